/** The contents of /etc/hostname, /etc/hosts and /etc/resolv.conf that a container gets bind-mounted. */

import type { NetworkAddresses } from '../network/index.js'
import type { DnsOptions } from './run-options.js'

const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`)

/**
 * As Podman writes it: --add-host lines first. A container connected to the host's network
 * (pasta, slirp4netns: `network.containerIp`) gets the host's /etc/hosts, host.containers.internal
 * and its own address with its names; with the host's network, the host's file and its names on
 * 127.0.1.1; with loopback only, localhost and its names on 127.0.1.1.
 */
export function hostsFile(o: { hostname: string; name?: string; hostNetwork: boolean; hostHosts?: string; addHosts?: string[]; network?: NetworkAddresses }): string {
  const names = [o.hostname, ...(o.name && o.name !== o.hostname ? [o.name] : [])].join(' ')
  const added = (o.addHosts ?? []).map(l => `${l}\n`).join('')
  const ip = o.network?.containerIp
  const host = o.network?.hostAddress ? `${o.network.hostAddress}\thost.containers.internal\n` : ''
  if (ip && o.hostHosts !== undefined) return `${added}${withNewline(o.hostHosts)}${host}${ip}\t${names}\n`
  if (o.hostNetwork && o.hostHosts !== undefined) return `${added}${withNewline(o.hostHosts)}127.0.1.1\t${names}\n`
  // a bridge network's container: its address comes at its start (the network's DNS names it)
  return `${added}127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n` +
    `${host}127.0.1.1\t${names}\n`
}

/** Google's public resolvers: podman's fallback when the host names only loopback resolvers. */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4']

const isLoopback = (addr: string) => /^127\./.test(addr) || addr === '::1'

/**
 * The host's resolv.conf, as podman adapts it: with the host's network it is copied verbatim;
 * in the container's own network namespace a loopback resolver (systemd-resolved's 127.0.0.53,
 * dnsmasq's 127.0.0.1) is someone else's loopback, so those lines go. The network's own
 * resolver (`resolver`: slirp4netns's, pasta's) comes first; without one, where no host
 * resolver is left, the public fallback takes their place. Search domains and options are kept,
 * unless --dns, --dns-search or --dns-option (`dns`) replace the lines of their kind.
 */
export function resolvConf(hostResolvConf: string, o: { hostNetwork: boolean; resolver?: NetworkAddresses['resolver']; bridgeResolvers?: string[]; dns?: DnsOptions }): string {
  const dns = o.dns ?? { servers: [], search: [], options: [] }
  const kind = (line: string) => /^\s*(nameserver|search|domain|options)\b/.exec(line)?.[1]
  let lines = hostResolvConf.split('\n')
  if (!o.hostNetwork) {
    lines = lines.filter(line => {
      const m = /^\s*nameserver\s+(\S+)/.exec(line)
      return !m || !isLoopback(m[1])
    })
  }
  // a bridge network's resolver answers for its containers' names (in its domain, dns.podman) and forwards the rest
  const bridge = !o.hostNetwork && o.bridgeResolvers?.length ? o.bridgeResolvers : undefined
  const hostSearch = lines.filter(l => kind(l) === 'search' || kind(l) === 'domain').flatMap(l => l.trim().split(/\s+/).slice(1))
  const search = dns.search.length ? dns.search : bridge ? ['dns.podman', ...hostSearch] : []
  if (dns.servers.length || bridge) lines = lines.filter(l => kind(l) !== 'nameserver')
  if (search.length) lines = lines.filter(l => kind(l) !== 'search' && kind(l) !== 'domain')
  if (dns.options.length) lines = lines.filter(l => kind(l) !== 'options')
  const hasServer = lines.some(line => /^\s*nameserver\s+\S/.test(line))
  const servers = dns.servers.length ? dns.servers : bridge
    ?? (!o.hostNetwork && o.resolver ? [o.resolver] : [])
  const fallback = hasServer || servers.length || o.hostNetwork ? [] : FALLBACK_NAMESERVERS
  const body = lines.join('\n').replace(/\n*$/, '')
  const head = [...(search.length ? [`search ${search.join(' ')}`] : []), ...servers.map(s => `nameserver ${s}`)]
  const tail = [...fallback.map(s => `nameserver ${s}`), ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : [])]
  return [...head, ...(body === '' ? [] : [body]), ...tail].map(l => `${l}\n`).join('')
}
