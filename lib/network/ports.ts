/**
 * Published ports and network modes as Podman's ps, port and inspect show them: pure, and light
 * enough for the read commands' start-up.
 */
import type { NetworkMode, PortMapping } from '../spec/run-options.js'

/** As Podman's ps shows a published port: 0.0.0.0:8080->80/tcp. */
export function portText(p: PortMapping): string {
  return `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`
}

/** A run of published ports that are consecutive on both sides, as Podman keeps them. */
export interface PortRun extends PortMapping { range: number }

/** Consecutive mappings (host and container port each one more, same address and protocol) joined into runs. */
export function portRuns(ports: PortMapping[]): PortRun[] {
  const runs: PortRun[] = []
  for (const p of ports) {
    const last = runs[runs.length - 1]
    if (last && last.hostIp === p.hostIp && last.protocol === p.protocol &&
      p.hostPort === last.hostPort + last.range && p.containerPort === last.containerPort + last.range) last.range++
    else runs.push({ ...p, range: 1 })
  }
  return runs
}

/** ps's PORTS, as Podman's: runs as 0.0.0.0:8080-8081->80-81/tcp, joined by ", ". */
export function portsText(ports: PortMapping[]): string {
  return portRuns(ports).map(r => r.range === 1 ? portText(r)
    : `${r.hostIp || '0.0.0.0'}:${r.hostPort}-${r.hostPort + r.range - 1}->${r.containerPort}-${r.containerPort + r.range - 1}/${r.protocol}`).join(', ')
}

/**
 * The order Podman keeps published ports in (and port, ps and inspect show): by host address
 * as first given, TCP before UDP, given host ports ascending, then those without one by
 * container port.
 */
export function orderPorts(ports: PortMapping[]): PortMapping[] {
  const ips = [...new Set(ports.map(p => p.hostIp))]
  const key = (p: PortMapping) => [ips.indexOf(p.hostIp), p.protocol === 'tcp' ? 0 : 1, p.hostPort ? 0 : 1, p.hostPort, p.containerPort]
  return [...ports].sort((a, b) => {
    const ka = key(a), kb = key(b)
    const i = ka.findIndex((v, j) => v !== kb[j])
    return i < 0 ? 0 : ka[i]! - kb[i]!
  })
}

/**
 * inspect's NetworkSettings.Ports and HostConfig.PortBindings: {"80/tcp": [{HostIp, HostPort}]},
 * and null for each port the image exposes ("53/udp", "80": tcp) but the container does not
 * publish; keys sorted as Go's JSON sorts them.
 */
export function portBindings(ports: PortMapping[], exposed: string[] = []): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {}
  const key = (p: PortMapping) => `${p.containerPort}/${p.protocol}`
  const keys = [...new Set([...ports.map(key), ...exposed.map(e => e.includes('/') ? e : `${e}/tcp`)])].sort()
  for (const k of keys) {
    const bound = ports.filter(p => key(p) === k)
    out[k] = bound.length ? bound.map(p => ({ HostIp: p.hostIp, HostPort: String(p.hostPort) })) : null
  }
  return out
}

/** The network mode as inspect's HostConfig.NetworkMode names it. */
export function networkModeName(net: NetworkMode): string {
  return net.mode === 'path' ? `ns:${net.path}` : net.mode
}
