/** The contents of /etc/hostname, /etc/hosts and /etc/resolv.conf that a container gets bind-mounted. */

/**
 * Until cocker has a network stack a container's own network namespace holds only loopback,
 * so its names resolve there. With the host's network it sees the host's /etc/hosts.
 */
export function hostsFile(o: { hostname: string; name?: string; hostNetwork: boolean; hostHosts?: string }): string {
  const names = [o.hostname, ...(o.name && o.name !== o.hostname ? [o.name] : [])].join(' ')
  if (o.hostNetwork && o.hostHosts !== undefined) {
    const base = o.hostHosts.endsWith('\n') || o.hostHosts === '' ? o.hostHosts : `${o.hostHosts}\n`
    return `${base}127.0.1.1\t${names}\n`
  }
  return `127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n` +
    `127.0.1.1\t${names}\n`
}

/** Google's public resolvers: podman's fallback when the host names only loopback resolvers. */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4']

const isLoopback = (addr: string) => /^127\./.test(addr) || addr === '::1'

/**
 * The host's resolv.conf, as podman adapts it: with the host's network it is copied verbatim;
 * in the container's own network namespace a loopback resolver (systemd-resolved's 127.0.0.53,
 * dnsmasq's 127.0.0.1) is someone else's loopback, so those lines go, and when none is left
 * the public fallback takes their place. Search domains and options are kept.
 */
export function resolvConf(hostResolvConf: string, hostNetwork: boolean, bridgeDns: string[] = []): string {
  if (hostNetwork) return hostResolvConf
  // a bridge network's own resolver (aardvark-dns) answers for its containers' names and forwards the rest
  if (bridgeDns.length) return `search dns.podman\n${bridgeDns.map(ns => `nameserver ${ns}\n`).join('')}`
  const lines = hostResolvConf.split('\n')
  const kept = lines.filter(line => {
    const m = /^\s*nameserver\s+(\S+)/.exec(line)
    return !m || !isLoopback(m[1])
  })
  const hasServer = kept.some(line => /^\s*nameserver\s+\S/.test(line))
  const body = kept.join('\n').replace(/\n*$/, '')
  const fallback = hasServer ? '' : FALLBACK_NAMESERVERS.map(ns => `nameserver ${ns}\n`).join('')
  return `${body === '' ? '' : `${body}\n`}${fallback}`
}
