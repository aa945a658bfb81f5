/**
 * The flags of a container on a bridge network that `run` and `network connect` share: -p
 * [ip:]hostPort[-end]:containerPort[-end][/tcp|udp] as netavark forwards them (bridge
 * engineer's parser; the net engineer's -p for pasta and slirp4netns is the one the merge
 * keeps, giving these mappings to a bridge network), and --mac-address.
 */
import { CockerError } from '../../errors.js'
import type { PortMapping } from './state.js'

export function parsePublish(spec: string): PortMapping {
  const fail = (what: string) => new CockerError('INVALID_ARGUMENT', `-p ${spec}: ${what}`, { hint: 'e.g. -p 8080:80, -p 127.0.0.1:8053:53/udp or -p 8000-8001:80-81' })
  const [addr, proto = 'tcp', ...extra] = spec.split('/')
  if (extra.length || (proto !== 'tcp' && proto !== 'udp')) throw fail('the protocol must be tcp or udp')
  const parts = addr!.split(':')
  if (parts.length < 2) throw fail('a host port is needed: publishing on a free port of its own choice is not supported yet')
  if (parts.length > 3) throw fail('IPv6 host addresses are not supported yet')
  const [hostIp, host, container] = parts.length === 3 ? parts as [string, string, string] : ['', ...parts] as [string, string, string]
  if (hostIp && !/^\d{1,3}(\.\d{1,3}){3}$/.test(hostIp)) throw fail(`${hostIp} is not an IPv4 address`)
  const range = (text: string): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text)
    const first = Number(m?.[1])
    const last = m?.[2] ? Number(m[2]) : first
    if (!m || first < 1 || last > 65535 || last < first) throw fail(`${text} is not a port or a range of ports (1-65535)`)
    return [first, last]
  }
  const [hostFirst, hostLast] = range(host)
  const [containerFirst, containerLast] = range(container)
  if (hostLast - hostFirst !== containerLast - containerFirst) throw fail('the host and container ranges differ in length')
  return { host_ip: hostIp, host_port: hostFirst, container_port: containerFirst, range: hostLast - hostFirst + 1, protocol: proto }
}

/** --mac-address: six hex pairs. */
export function checkMacAddress(mac: string): string {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) {
    throw new CockerError('INVALID_ARGUMENT', `--mac-address ${mac}: not a MAC address`, { hint: 'e.g. 92:d0:c6:0a:29:33' })
  }
  return mac
}
