/**
 * Bridge networks: their definitions, one file per network in <store>/networks/NAME.json, in
 * the shape netavark reads and Podman's `network inspect` prints (Podman keeps the same JSON
 * in /etc/containers/networks). The default network "podman" (no DNS, as Podman's) is never
 * written: it exists on every store, and cannot be removed. Its subnet is not Podman's
 * 10.88.0.0/16: on a host that runs Podman too, two bridges routing one subnet would cut the
 * containers of one of them off (this machine's Podman left cni-podman0 on it, and did so).
 * Files are written whole and renamed into place, so a kill -9 leaves a network or none.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { isoNow } from '../../sys/time.js'
import { CockerError } from '../../errors.js'
import { withStoreLock } from '../../storage/lock.js'
import { readIfPresent } from '../../sys/read.js'
import { DEFAULT_NETWORK } from './state.js'
import { NAME_PATTERN } from '../../spec/run-options.js'

export interface Subnet {
  subnet: string
  gateway: string
}

/** netavark's network (its types/network.rs), which Podman's `network inspect` prints as is. */
export interface NetworkDef {
  name: string
  id: string
  driver: 'bridge'
  network_interface: string
  created: string
  subnets: Subnet[]
  ipv6_enabled: boolean
  internal: boolean
  dns_enabled: boolean
  labels?: Record<string, string>
  /** The driver's options: isolate (no traffic to or from other networks), mtu. */
  options?: Record<string, string>
  ipam_options: { driver: 'host-local' }
}

export { DEFAULT_NETWORK }

export const networksDir = (storeRoot: string) => path.join(storeRoot, 'networks')
const networkFile = (storeRoot: string, name: string) => path.join(networksDir(storeRoot), `${name}.json`)

/** The default network's subnet: Podman's is 10.88.0.0/16, its created ones 10.89.x.0/24. */
export const DEFAULT_SUBNET = { subnet: '10.86.0.0/16', gateway: '10.86.0.1' }

/** Podman's default network, with its id (sha256 of its name), on a subnet of its own. */
function defaultNetwork(storeRoot: string): NetworkDef {
  return {
    name: DEFAULT_NETWORK, id: createHash('sha256').update(DEFAULT_NETWORK).digest('hex'), driver: 'bridge',
    network_interface: 'cocker0', created: storeCreated(storeRoot), subnets: [{ ...DEFAULT_SUBNET }],
    ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' },
  }
}

function storeCreated(storeRoot: string): string {
  // the store's own birth stands for the default network's: stable from one command to the next
  try {
    return statSync(storeRoot).birthtime.toISOString()
  } catch {
    return new Date(0).toISOString()
  }
}

/** Every network, the default one included, sorted by name as `network ls` shows them. */
export function listNetworks(storeRoot: string): NetworkDef[] {
  let files: string[] = []
  try {
    files = readdirSync(networksDir(storeRoot)).filter(f => f.endsWith('.json'))
  } catch { /* no network created yet */ }
  const own = files.map(f => readNetworkFile(path.join(networksDir(storeRoot), f))).filter((n): n is NetworkDef => Boolean(n))
  return [defaultNetwork(storeRoot), ...own].sort((a, b) => a.name.localeCompare(b.name))
}

function readNetworkFile(file: string): NetworkDef | undefined {
  const text = readIfPresent(file)
  try {
    return text === undefined ? undefined : JSON.parse(text) as NetworkDef
  } catch {
    return undefined
  }
}

/** A network by its name, its full id or a unique prefix of its id, as Podman finds them. */
export function findNetwork(storeRoot: string, nameOrId: string): NetworkDef | undefined {
  const all = listNetworks(storeRoot)
  const byName = all.find(n => n.name === nameOrId)
  if (byName) return byName
  const byId = /^[0-9a-f]+$/.test(nameOrId) ? all.filter(n => n.id.startsWith(nameOrId)) : []
  return byId.length === 1 ? byId[0] : undefined
}

export function requireNetwork(storeRoot: string, nameOrId: string): NetworkDef {
  const found = findNetwork(storeRoot, nameOrId)
  if (!found) {
    throw new CockerError('NETWORK_NOT_FOUND', `unable to find network with name or ID ${nameOrId}: network not found`,
      { hint: 'see "cocker network ls", or create it with "cocker network create"' })
  }
  return found
}

export interface CreateNetworkOptions {
  name?: string
  subnet?: string
  gateway?: string
  internal?: boolean
  disableDns?: boolean
  labels?: Record<string, string>
  /** -o KEY=VALUE; isolate is "true" unless given. */
  options?: Record<string, string>
}

const OPTIONS = ['isolate', 'mtu']

/** Runs fn under the store's networks lock: creations and removals do not cross. */
export function withNetworksLock<T>(storeRoot: string, fn: () => T | Promise<T>): Promise<T> {
  return withStoreLock(path.join(networksDir(storeRoot), 'lock'), fn)
}

/**
 * Creates a network: a free /24 of 10.89.0.0/16 (as Podman picks them, none that the host
 * routes already) unless --subnet. The caller holds withNetworksLock.
 */
export function createNetwork(storeRoot: string, o: CreateNetworkOptions): NetworkDef {
  const all = listNetworks(storeRoot)
  const name = o.name ?? freeName(all)
  if (!NAME_PATTERN.test(name)) {
    throw new CockerError('INVALID_ARGUMENT', `network name ${name} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`, { hint: 'e.g. "web_1"' })
  }
  if (all.some(n => n.name === name)) {
    throw new CockerError('NETWORK_EXISTS', `network name ${name} already used: network already exists`, { hint: `remove it first with "cocker network rm ${name}", or choose another name` })
  }
  const subnet = o.subnet ? parseSubnet(o.subnet) : freeSubnet(all)
  const taken = all.find(n => n.subnets.some(s => overlaps(parseSubnet(s.subnet), subnet)))
  if (!taken && o.subnet && hostRoutes().some(r => overlaps(r, subnet))) {
    throw new CockerError('INVALID_ARGUMENT', `subnet ${formatSubnet(subnet)} is already used on the host`, { hint: 'choose another --subnet, or leave it out for a free one' })
  }
  if (taken) {
    throw new CockerError('INVALID_ARGUMENT', `subnet ${formatSubnet(subnet)} is already used by network ${taken.name}`, { hint: 'choose another --subnet, or leave it out for a free one' })
  }
  // the first address, as Podman's
  const gateway = o.gateway ?? ipString(subnet.base + 1)
  if (!inSubnet(parseIp(gateway, 'gateway'), subnet)) {
    throw new CockerError('INVALID_ARGUMENT', `gateway ${gateway} is not in subnet ${formatSubnet(subnet)}`, { hint: 'give a --gateway inside --subnet, or leave it out for the first address' })
  }
  for (const [key, value] of Object.entries(o.options ?? {})) {
    if (!OPTIONS.includes(key)) throw new CockerError('INVALID_ARGUMENT', `unsupported bridge network option ${key}`, { hint: `use ${OPTIONS.join(' or ')}` })
    if (key === 'isolate' && !['true', 'false'].includes(value)) throw new CockerError('INVALID_ARGUMENT', `-o isolate=${value}: must be true or false`)
    if (key === 'mtu' && !/^\d+$/.test(value)) throw new CockerError('INVALID_ARGUMENT', `-o mtu=${value}: must be a number of bytes`)
  }
  const id = randomBytes(32).toString('hex')
  const def: NetworkDef = {
    // named by its id: bridges are the host's, and another store's network must not share one
    name, id, driver: 'bridge', network_interface: `cocker${id.slice(0, 9)}`,
    created: isoNow(), subnets: [{ subnet: formatSubnet(subnet), gateway }],
    ipv6_enabled: false, internal: o.internal ?? false, dns_enabled: !o.disableDns,
    ...(o.labels && Object.keys(o.labels).length ? { labels: o.labels } : {}),
    // cocker's networks are isolated from each other unless asked otherwise (netavark's isolate)
    options: { isolate: 'true', ...o.options },
    ipam_options: { driver: 'host-local' },
  }
  mkdirSync(networksDir(storeRoot), { recursive: true, mode: 0o700 })
  const file = networkFile(storeRoot, name)
  writeFileSync(`${file}.tmp`, `${JSON.stringify(def, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
  return def
}

export function removeNetworkFile(storeRoot: string, name: string): void {
  if (name === DEFAULT_NETWORK) {
    throw new CockerError('INVALID_ARGUMENT', `default network ${name} cannot be removed`, { hint: 'it exists on every store; remove only networks made by "cocker network create"' })
  }
  rmSync(networkFile(storeRoot, name), { force: true })
}

function freeName(all: NetworkDef[]): string {
  for (let i = 1; ; i++) if (!all.some(n => n.name === `podman${i}`)) return `podman${i}`
}

function freeSubnet(all: NetworkDef[]): ParsedSubnet {
  const used = [...all.flatMap(n => n.subnets.map(s => parseSubnet(s.subnet))), ...hostRoutes()]
  for (let i = 0; i < 256; i++) {
    const candidate = { base: parseIp(`10.89.${i}.0`), prefix: 24 }
    if (!used.some(u => overlaps(u, candidate))) return candidate
  }
  throw new CockerError('INVALID_ARGUMENT', 'every subnet of 10.89.0.0/16 is in use by a network', { hint: 'give one with --subnet' })
}

/** The host's IPv4 routes (/proc/net/route: little-endian hex), which a new network must not cover. */
function hostRoutes(): ParsedSubnet[] {
  const lines = (readIfPresent('/proc/net/route') ?? '').split('\n').slice(1)
  return lines.flatMap(line => {
    const f = line.trim().split(/\s+/)
    if (f.length < 8) return []
    const le = (hex: string) => Number.parseInt(hex.match(/../g)!.reverse().join(''), 16)
    const mask = le(f[7]!)
    const prefix = mask.toString(2).replace(/0+$/, '').length
    // the default route covers everything: it is not a subnet of the host's
    return prefix === 0 ? [] : [{ base: le(f[1]!), prefix }]
  })
}

export interface ParsedSubnet {
  /** The network address as a 32-bit number. */
  base: number
  prefix: number
}

export function parseIp(text: string, what = 'address'): number {
  const parts = text.split('.')
  if (parts.length !== 4 || parts.some(p => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new CockerError('INVALID_ARGUMENT', `${what} ${text}: not an IPv4 address`, { hint: 'IPv6 networks are not supported yet' })
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

export const ipString = (n: number) => [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join('.')

export function parseSubnet(text: string): ParsedSubnet {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text)
  const prefix = m ? Number(m[2]) : -1
  if (!m || prefix < 8 || prefix > 30) {
    throw new CockerError('INVALID_ARGUMENT', `subnet ${text}: not an IPv4 subnet in CIDR form with a prefix of 8 to 30`, { hint: 'e.g. --subnet 10.90.0.0/24' })
  }
  const size = 2 ** (32 - prefix)
  return { base: Math.floor(parseIp(m[1], 'subnet') / size) * size, prefix }
}

export const formatSubnet = (s: ParsedSubnet) => `${ipString(s.base)}/${s.prefix}`
const size = (s: ParsedSubnet) => 2 ** (32 - s.prefix)
export const inSubnet = (ip: number, s: ParsedSubnet) => ip >= s.base && ip < s.base + size(s)
const overlaps = (a: ParsedSubnet, b: ParsedSubnet) => a.base < b.base + size(b) && b.base < a.base + size(a)

/** The addresses a container may get: the subnet without its network, gateway and broadcast addresses. */
export function hostAddresses(s: Subnet): { first: number; last: number; gateway: number } {
  const p = parseSubnet(s.subnet)
  return { first: p.base + 1, last: p.base + size(p) - 2, gateway: parseIp(s.gateway) }
}
