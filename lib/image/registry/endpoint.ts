// Where a registry name is served, and whether plain HTTP may be used for it.
import net from 'node:net'

/** Docker Hub's API is not served at docker.io. */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry
}

/** The host part of 'host', 'host:port', '[::1]:port'. */
export function hostname(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'))
  const colon = registry.lastIndexOf(':')
  return colon >= 0 && registry.indexOf(':') === colon ? registry.slice(0, colon) : registry
}

/**
 * localhost, 127.0.0.0/8 and ::1: Docker and Podman allow plain HTTP there without
 * configuration, since nothing on the wire leaves the machine.
 */
export function isLoopback(registry: string): boolean {
  const host = hostname(registry).toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (net.isIPv4(host)) return host.startsWith('127.')
  return net.isIPv6(host) && (host === '::1' || host === '0:0:0:0:0:0:0:1')
}
