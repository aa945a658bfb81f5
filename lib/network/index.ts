/**
 * A container's network, the one place create, start and clean-up call into: which mode a
 * container gets (containerNetwork, at create), the addresses its /etc/hosts and resolv.conf
 * name (networkAddresses), and what connects its namespace when it starts (setupNetwork at the
 * hook point of the start: pasta or slirp4netns, lib/network/programs.ts, or a bridge network,
 * lib/network/bridge) and disconnects it after (teardownNetwork). The modules behind are
 * loaded by the containers that use them.
 */
import { readlinkSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import path from 'node:path'
import type { Engine } from '../container/engine.js'
import { runtimeStateDir } from '../container/engine.js'
import type { ContainerRecord } from '../container/record.js'
import { CockerError } from '../errors.js'
import type { NetworkMode, PortMapping } from '../spec/run-options.js'
import { readIfPresent } from '../sys/read.js'
import { attachedStatus, DEFAULT_NETWORK, type NetworkAttachment, type PortMapping as NetavarkPort } from './bridge/state.js'
import { orderPorts } from './ports.js'
import { needsNetworkProcess, PASTA_DNS, rootlessBackend, spawnNetworkProcess, stopNetworkProcess, udpPublishCaveat, type NetworkProcess, type PendingNetworkProcess } from './programs.js'

/**
 * `default` made concrete, as Podman chooses: rootless, pasta, else slirp4netns, else loopback
 * only; root, its default bridge network.
 */
export function resolveNetwork(net: NetworkMode, rootless: boolean, env: NodeJS.ProcessEnv): NetworkMode {
  if (net.mode !== 'default') return net
  if (!rootless) return { mode: 'bridge', network: DEFAULT_NETWORK }
  const backend = rootlessBackend(env)
  if (backend === 'pasta') return { mode: 'pasta', args: [] }
  if (backend === 'slirp4netns') return { mode: 'slirp4netns', options: { allowHostLoopback: false, enableIpv6: false, mtu: 65520 } }
  return { mode: 'none' }
}

/** Whether a container of this mode connects its network at the hook point of its start. */
const connectsAtStart = (net: NetworkMode) => needsNetworkProcess(net) || net.mode === 'bridge'

/** Whether the container's start stops at the hook point to connect its network. */
export function needsNetworkSetup(record: ContainerRecord): boolean {
  return needsNetworkProcess(record.network) || Boolean(record.bridgeNetwork)
}

/**
 * The network a new container gets. An external runtime (--runtime) has no hook point of ours
 * to connect a network at: its default stays loopback only, and a network that needs one is
 * refused (an OCI createRuntime hook could do it: not written yet).
 */
export function containerNetwork(net: NetworkMode, o: { rootless: boolean; env: NodeJS.ProcessEnv; externalRuntime?: string; publishes: boolean; nestedUserns?: boolean }): NetworkMode {
  const ownHook = o.externalRuntime === undefined && !o.nestedUserns
  const chosen = ownHook ? resolveNetwork(net, o.rootless, o.env) : net.mode === 'default' ? { mode: 'none' as const } : net
  const name = chosen.mode === 'bridge' ? chosen.network : chosen.mode
  // rootless --userns keep-id/nomap/auto/--uidmap: the init runs as a subordinate id, whose
  // namespaces neither the user's pasta nor slirp4netns may open (they would need them made first)
  if (o.nestedUserns && connectsAtStart(chosen)) {
    throw new CockerError('NOT_SUPPORTED', `--network ${name} with --userns or --uidmap is not supported rootless yet`,
      { hint: 'drop --userns/--uidmap, or use --network none or host' })
  }
  if (o.externalRuntime !== undefined && connectsAtStart(chosen)) {
    throw new CockerError('NOT_SUPPORTED', `--network ${name} with --runtime ${o.externalRuntime} is not supported yet`,
      { hint: 'drop --runtime, or use --network none or host' })
  }
  if (o.publishes && !connectsAtStart(chosen)) {
    throw new CockerError('INVALID_ARGUMENT', `--publish: a container with --network ${name} cannot publish ports`,
      { hint: o.rootless ? 'use --network pasta or slirp4netns' : 'use --network bridge or a network\'s name' })
  }
  return chosen
}

/** What /etc/hosts and resolv.conf name: the container's address, the host's, a resolver of the network's. */
export interface NetworkAddresses {
  containerIp?: string
  /** host.containers.internal */
  hostAddress?: string
  /**
   * The resolver the network program answers on (slirp4netns's, pasta's --dns-forward), listed
   * first: it forwards to the host's resolvers from the host's namespace, which reaches them where
   * the container's packets may not (a loopback resolver; and pasta (2023) carries no query to a
   * resolver on another host here, while its forwarder does).
   */
  resolver?: string
  /**
   * A bridge network's resolvers (aardvark-dns on its gateways): they answer for its
   * containers' names and forward the rest, so they take the host's place.
   */
  bridgeResolvers?: string[]
}

/** The host's first IPv4 address that is not loopback. */
function hostIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    const a = list?.find(x => x.family === 'IPv4' && !x.internal)
    if (a) return a.address
  }
  return undefined
}

/** The gateway of the host's default IPv4 route, from /proc/net/route (little-endian hex). */
function hostGateway(): string | undefined {
  for (const line of (readIfPresent('/proc/net/route') ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[1] === '00000000' && f[2] && f[2] !== '00000000') {
      const n = parseInt(f[2], 16)
      return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.')
    }
  }
  return undefined
}

/** slirp4netns's fixed hosts in its subnet: .2 the gateway (the host), .3 the resolver, .100 the container. */
function slirpAddress(cidr: string | undefined, last: number): string {
  const base = (cidr ?? '10.0.2.0/24').split('/')[0].split('.').map(Number)
  return [base[0], base[1], base[2], last].join('.')
}

/**
 * As Podman writes them: host.containers.internal is the host's own address (which the
 * container reaches through the network program), or the gateway when the host's loopback is
 * mapped there (pasta --map-gw, and a rootless bridge network's pasta); slirp4netns's container
 * sits at .100 of its subnet, pasta's takes the host's address.
 */
export function networkAddresses(net: NetworkMode, rootless = false): NetworkAddresses {
  // a rootless bridge network's namespace reaches the host's loopback at the host's gateway (its pasta's --map-gw)
  if (net.mode === 'bridge' && rootless) return { ...(hostGateway() ? { hostAddress: hostGateway() } : {}) }
  if (net.mode === 'slirp4netns') {
    const o = net.options
    return {
      containerIp: slirpAddress(o.cidr, 100),
      hostAddress: o.allowHostLoopback ? slirpAddress(o.cidr, 2) : hostIPv4(),
      resolver: slirpAddress(o.cidr, 3),
    }
  }
  if (net.mode === 'pasta') {
    return {
      containerIp: hostIPv4(),
      ...(net.args.includes('--map-gw') ? { hostAddress: hostGateway() } : {}),
      resolver: PASTA_DNS,
    }
  }
  return {}
}


/** Whether `port` (0: one the kernel picks) of the host is free for `protocol`: the port, bound then let go. */
async function bindable(protocol: 'tcp' | 'udp', hostIp: string, port: number): Promise<number | undefined> {
  try {
    if (protocol === 'udp') {
      const sock = process.getBuiltinModule('node:dgram').createSocket(hostIp.includes(':') ? 'udp6' : 'udp4')
      try {
        await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(port, hostIp || undefined, resolve) })
        return sock.address().port
      } finally {
        sock.close()
      }
    }
    const server = process.getBuiltinModule('node:net').createServer()
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, hostIp || undefined, resolve) })
    const bound = (server.address() as { port: number }).port
    await new Promise(resolve => server.close(resolve))
    return bound
  } catch {
    return undefined
  }
}

/**
 * The first of `count` consecutive free host ports for a run of ports published without one:
 * `preferred` when free, else where the kernel's pick starts a free run (Podman tries 15).
 */
async function freeRun(p: PortMapping, count: number, preferred?: number): Promise<number> {
  const runFree = async (base: number) => {
    for (let k = 1; k < count; k++) if (base + k > 65535 || await bindable(p.protocol, p.hostIp, base + k) === undefined) return false
    return true
  }
  if (preferred && await bindable(p.protocol, p.hostIp, preferred) && await runFree(preferred)) return preferred
  for (let i = 0; i < 15; i++) {
    const base = await bindable(p.protocol, p.hostIp, 0)
    if (base && await runFree(base)) return base
  }
  throw new CockerError('INVALID_ARGUMENT', `--publish: no free host port${count > 1 ? `s (${count} in a row)` : ''} for container port ${p.containerPort}/${p.protocol}`)
}

/**
 * The ports a new container publishes, in Podman's order (orderPorts), with host ports chosen
 * where none was given (-p 80; a range gets consecutive ones) and, with -P, each port the
 * image exposes ("80/tcp") on a free one (Podman chooses them at create too). pasta's UDP gets
 * the container's own port number where free (udpPublishCaveat says why). Two mappings of one
 * host port and protocol are refused; what the network program will not do is warned of.
 */
export async function assignPorts(ports: PortMapping[], o: { publishAll: boolean; exposed: string[]; network?: NetworkMode; env?: NodeJS.ProcessEnv; warn?: (m: string) => void }): Promise<PortMapping[]> {
  const all = [...ports]
  if (o.publishAll) {
    for (const e of o.exposed) {
      const [port, proto = 'tcp'] = e.split('/')
      const containerPort = Number(port)
      if (!Number.isInteger(containerPort) || (proto !== 'tcp' && proto !== 'udp')) continue
      if (!all.some(p => p.containerPort === containerPort && p.protocol === proto)) all.push({ hostIp: '', hostPort: 0, containerPort, protocol: proto })
    }
  }
  const sorted = orderPorts(all)
  const out: PortMapping[] = []
  for (let i = 0; i < sorted.length;) {
    const p = sorted[i]!
    let n = 1
    const next = (q: PortMapping | undefined) => q && !q.hostPort && q.hostIp === p.hostIp && q.protocol === p.protocol && q.containerPort === p.containerPort + n
    if (!p.hostPort) while (next(sorted[i + n])) n++
    const base = p.hostPort || await freeRun(p, n, o.network?.mode === 'pasta' && p.protocol === 'udp' ? p.containerPort : undefined)
    for (let k = 0; k < n; k++, i++) {
      const hostPort = base + k
      if (out.some(q => q.hostPort === hostPort && q.protocol === p.protocol)) {
        throw new CockerError('INVALID_ARGUMENT', `--publish: host port ${hostPort}/${p.protocol} is published twice`)
      }
      out.push({ ...sorted[i]!, hostPort })
    }
  }
  const caveat = o.network && o.warn ? udpPublishCaveat(o.network, out, o.env ?? process.env) : undefined
  if (caveat) o.warn!(caveat)
  return out
}


/** Where a bridge network keeps what its containers hold (/run/cocker as root). */
export const bridgePaths = (engine: Pick<Engine, 'env'> & { rootless?: boolean }) =>
  ({ runDir: path.dirname(runtimeStateDir(engine.env)), rootless: engine.rootless ?? false })

/** The container's address on its bridge network while it is attached (inspect). */
export function bridgeStatus(record: ContainerRecord) {
  return attachedStatus(bridgePaths({ env: process.env }), record.id)
}

/** -p as netavark forwards it. */
const netavarkPorts = (ports: PortMapping[]): NetavarkPort[] =>
  ports.map(p => ({ host_ip: p.hostIp, host_port: p.hostPort, container_port: p.containerPort, range: 1, protocol: p.protocol }))

/**
 * Connects the container (its init `pid`, in `dir`) to its network, at the createRuntime hook
 * point: the namespaces exist, nothing runs in them yet. A network program's process is
 * returned, for the record.
 */
export async function setupNetwork(engine: Engine, record: ContainerRecord, dir: string, pid: number, early?: PendingNetworkProcess): Promise<NetworkProcess | undefined> {
  if (record.bridgeNetwork) {
    const { attachContainer } = await import('./bridge/attach.js')
    return attachContainer(bridgePaths(engine), {
      storeRoot: engine.storeRoot, id: record.id, name: record.name, pid, attachment: record.bridgeNetwork, ports: netavarkPorts(record.ports ?? []), containerDir: dir,
    })
  }
  return (early ?? beginNetwork(engine, record, dir, pid))?.ready
}

/**
 * pasta or slirp4netns started for the init `pid` as soon as it exists (its namespaces made
 * and its ids mapped), before the hook point where setupNetwork awaits it: the program's own
 * start-up overlaps the rest of the container's set-up.
 */
export function beginNetwork(engine: Engine, record: ContainerRecord, dir: string, pid: number): PendingNetworkProcess | undefined {
  if (record.bridgeNetwork || !needsNetworkProcess(record.network)) return undefined
  return spawnNetworkProcess(record.network, { pid, dir, rootless: engine.rootless, env: engine.env, ports: record.ports ?? [], whenConfigured: true })
}

/**
 * Rootless, before the container's process is made: a container on a bridge network joins the
 * rootless network namespace's user namespace (lib/network/bridge/rootless-netns.ts), which
 * exists from here on with the container's address taken; one that left its network gets a
 * user namespace of its own again. `bundle`: the directory of its config.json.
 */
export async function prepareNetwork(engine: Engine, record: ContainerRecord, bundle: string): Promise<void> {
  if (!engine.rootless || record.joins || (!record.bridgeNetwork && record.network?.mode !== 'bridge')) return
  const { pointUserNamespace } = await import('./bridge/rootless-netns.js')
  if (!record.bridgeNetwork) return pointUserNamespace(bundle, undefined)
  const { prepareRootless } = await import('./bridge/attach.js')
  const holder = await prepareRootless(bridgePaths(engine), { storeRoot: engine.storeRoot, id: record.id, name: record.name, attachment: record.bridgeNetwork, env: engine.env })
  pointUserNamespace(bundle, holder)
}

/**
 * Undoes setupNetwork; safe to call for any container, any number of times. `restarting`: the
 * container starts again right after (its restart policy), so the rootless network namespace
 * stays even if it was the last one there.
 */
export async function teardownNetwork(engine: Engine, record: ContainerRecord, dir: string, o: { restarting?: boolean } = {}): Promise<void> {
  await stopNetworkProcess(record.state.network, dir)
  if (record.bridgeNetwork) await (await import('./bridge/attach.js')).detachContainer(bridgePaths(engine), record.id, o)
}

/**
 * --network NAME (and the root default): the network must exist, and --ip be one of its
 * addresses; its containers resolve each other's names through its gateway (aardvark-dns)
 * when its DNS is on.
 */
export async function bridgeAttachment(storeRoot: string, attachment: NetworkAttachment): Promise<{ attachment: NetworkAttachment; resolvers: string[] }> {
  const { requireNetwork } = await import('./bridge/networks.js')
  const def = requireNetwork(storeRoot, attachment.network)
  if (attachment.ip) (await import('./bridge/attach.js')).checkRequestedIp(def, attachment.ip)
  return { attachment: { ...attachment, network: def.name }, resolvers: def.dns_enabled ? def.subnets.map(s => s.gateway) : [] }
}

/**
 * `network connect`: the container joins the network, at once when it runs (its namespace is
 * there), else at its next start. One bridge network per container for now.
 */
export async function connectContainer(engine: Engine, found: { record: ContainerRecord; dir: string }, attachment: NetworkAttachment): Promise<void> {
  const { observe, readRecordFile, withContainerLock, writeRecordFile } = await import('../container/record.js')
  const { requireNetwork } = await import('./bridge/networks.js')
  const def = requireNetwork(engine.storeRoot, attachment.network)
  await withContainerLock(found.dir, async () => {
    const record = readRecordFile(found.dir)!
    const on = record.bridgeNetwork?.network
    if (on === def.name) throw new CockerError('INVALID_ARGUMENT', `container ${record.name} is already connected to network ${def.name}`)
    if (on) {
      throw new CockerError('NOT_SUPPORTED', `container ${record.name} is on network ${on}: a container on more than one network is not supported yet`,
        { hint: `disconnect it first with "cocker network disconnect ${on} ${record.name}"` })
    }
    const ns = needsNetworkProcess(record.network) ? `--network ${record.network.mode}` : sharedNetworkNamespace(found.dir)
    if (ns) throw new CockerError('INVALID_ARGUMENT', `container ${record.name} has ${ns}: it cannot join a bridge network`)
    if (attachment.ip) (await import('./bridge/attach.js')).checkRequestedIp(def, attachment.ip)
    record.bridgeNetwork = { ...attachment, network: def.name }
    record.network = { mode: 'bridge', network: def.name }
    if (observe(record, found.dir).status === 'running') {
      if (engine.rootless) {
        // netavark, root of the rootless network namespace's user namespace, moves a veth only
        // into a namespace that user namespace owns: a container started on a bridge network
        // (then disconnected) is in it; one with a user namespace of its own is not
        const { holderPid } = await import('./bridge/rootless-netns.js')
        const holder = holderPid(bridgePaths(engine))
        if (!holder || userNamespaceOf(holder) !== userNamespaceOf(record.state.pid)) {
          throw new CockerError('NOT_SUPPORTED', `network connect ${def.name}: a running container joins a bridge network rootless only at its next start, unless it started on one`,
            { hint: `stop ${record.name} first, then connect it and start it again` })
        }
        const { prepareRootless } = await import('./bridge/attach.js')
        await prepareRootless(bridgePaths(engine), { storeRoot: engine.storeRoot, id: record.id, name: record.name, attachment: record.bridgeNetwork!, env: engine.env })
      }
      // a rootless one's published ports get their forwarder: the record names it for the clean-up
      const forwarder = await setupNetwork(engine, record, found.dir, record.state.pid)
      if (forwarder) record.state.network = forwarder
    }
    writeRecordFile(found.dir, record)
  })
}

/** `network disconnect`: the container leaves its network, at once when it runs. */
export async function disconnectContainer(engine: Engine, found: { record: ContainerRecord; dir: string }, network: string): Promise<void> {
  const { readRecordFile, withContainerLock, writeRecordFile } = await import('../container/record.js')
  const { requireNetwork } = await import('./bridge/networks.js')
  const def = requireNetwork(engine.storeRoot, network)
  await withContainerLock(found.dir, async () => {
    const record = readRecordFile(found.dir)!
    if (record.bridgeNetwork?.network !== def.name) {
      throw new CockerError('INVALID_ARGUMENT', `container ${record.name} is not connected to network ${def.name}`)
    }
    await (await import('./bridge/attach.js')).detachContainer(bridgePaths(engine), record.id)
    delete record.bridgeNetwork
    writeRecordFile(found.dir, record)
  })
}

/** The user namespace a process is in ("user:[4026531837]"), or undefined when it is gone. */
function userNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`)
  } catch {
    return undefined
  }
}

/** The host's network namespace or another's path, which a container of that mode shares: undefined for its own. */
function sharedNetworkNamespace(dir: string): string | undefined {
  const config = readIfPresent(path.join(dir, 'userdata', 'config.json'))
  const namespaces = config ? (JSON.parse(config) as { linux?: { namespaces?: { type: string; path?: string }[] } }).linux?.namespaces ?? [] : []
  const net = namespaces.find(n => n.type === 'network')
  if (!net) return 'the host\'s network (--network host)'
  return net.path ? `the network namespace ${net.path}` : undefined
}

