/**
 * Published ports and network modes as Podman's ps, port and inspect show them: pure, and light
 * enough for the read commands' start-up.
 */
import type { NetworkMode, PortMapping } from '../spec/run-options.js'

/** As Podman's ps shows a published port: 0.0.0.0:8080->80/tcp. */
export function portText(p: PortMapping): string {
  return `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`
}

/** inspect's NetworkSettings.Ports and HostConfig.PortBindings: {"80/tcp": [{HostIp, HostPort}]}. */
export function portBindings(ports: PortMapping[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const p of ports) (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) })
  return out
}

/** The network mode as inspect's HostConfig.NetworkMode names it. */
export function networkModeName(net: NetworkMode): string {
  return net.mode === 'path' ? `ns:${net.path}` : net.mode
}
