/**
 * A container joins a bridge network when its init exists (the createRuntime hook point) and
 * leaves it at its clean-up. netavark, Podman's own network tool (Debian's package), does the
 * plumbing behind its documented interface: `netavark setup NETNS < JSON` makes the bridge,
 * the veth pair, the addresses, the firewall rules (masquerade, port forwarding, isolation
 * between networks) and the aardvark-dns entries; `teardown` undoes them. netavark assigns no
 * address itself: we do, under one lock.
 *
 * What a container holds on a network lives under the run dir (/run/cocker, as Podman keeps
 * its address database under its run root, so a reboot frees everything with the veths):
 *
 *   networks/<id>.json  what netavark was asked (its address among it): the address is taken
 *                       while the file exists. Written under networks/lock before the setup,
 *                       removed after the teardown, so a kill -9 leaves an address that the
 *                       container's next clean-up, start or rm frees, never one given twice.
 *   netns/<id>          the container's network namespace, bind-mounted: teardown needs it,
 *                       and a namespace dies with the container's last process.
 *   netavark/           netavark's own state (aardvark-dns's config and pid file).
 *
 * Addresses are kept per subnet, not per network, across stores: two stores' networks on one
 * subnet share the bridge, never an address.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../../errors.js'
import { withStoreLock } from '../../storage/lock.js'
import { childProcess } from '../../sys/child-process.js'
import { crashPoint } from '../../sys/crash-point.js'
import { readIfPresent } from '../../sys/read.js'
import type { NetworkProcess } from '../programs.js'
import { hostAddresses, inSubnet, ipString, parseIp, parseSubnet, requireNetwork, type NetworkDef } from './networks.js'
import { attachedFile, dirs, listAttached, netnsFile, readAttached, writeAttached, type BridgePaths, type NetavarkStatus, type NetworkAttachment, type PortMapping,
  type SetupRequest } from './state.js'

/**
 * Joins the container (its init `pid`) to its network: an address, the namespace kept, netavark's setup.
 * Rootless, inside the rootless network namespace (rootless-netns.ts), where prepareRootless
 * has taken the address already; its published ports' forwarder is returned then.
 * Anything that fails part-way is undone before the error goes up.
 */
export async function attachContainer(p: BridgePaths, o: AttachOptions): Promise<NetworkProcess | undefined> {
  const def = requireNetwork(o.storeRoot, o.attachment.network)
  const tools = netavarkTools()
  if (p.rootless) return attachRootless(p, o, tools)
  await reclaimStale(p)
  await allocate(p, o, def)
  crashPoint('network:allocated')
  try {
    const ns = netnsFile(p, o.id)
    mkdirSync(path.dirname(ns), { recursive: true, mode: 0o700 })
    writeFileSync(ns, '')
    const { bindMount } = await import('../../sys/libc.js')
    bindMount(`/proc/${o.pid}/ns/net`, ns)
    const attached = readAttached(p, o.id)!
    const out = await netavark(tools, p, 'setup', ns, attached.request)
    attached.status = JSON.parse(out) as NetavarkStatus
    writeAttached(p, o.id, attached)
  } catch (err) {
    await detachContainer(p, o.id).catch(() => {})
    throw err
  }
  return undefined
}

interface AttachOptions {
  storeRoot: string
  id: string
  name: string
  pid: number
  attachment: NetworkAttachment
  ports: PortMapping[]
  /** The container's directory: its forwarder's pid file (rootless). */
  containerDir: string
}

/**
 * Rootless, before the container's process exists: the rootless network namespace made if
 * there is none, and the container's address taken in it, so that the namespace has a user
 * from now on (no other command's last leaving ends it meanwhile). The holder's pid is
 * returned: the container joins its user namespace.
 */
export async function prepareRootless(p: BridgePaths, o: { storeRoot: string; id: string; name: string; attachment: NetworkAttachment; env: NodeJS.ProcessEnv }): Promise<number> {
  const def = requireNetwork(o.storeRoot, o.attachment.network)
  netavarkTools()
  const rn = await import('./rootless-netns.js')
  return rn.withRootlessLock(p, async () => {
    await reclaimStale(p, id => detachRootlessLocked(p, id))
    const holder = await rn.ensureRootlessNetns(p, o.env)
    try {
      await allocate(p, { ...o, ports: [] }, def)
    } catch (err) {
      rn.endRootlessNetnsIfUnused(p)
      throw err
    }
    crashPoint('network:allocated')
    return holder
  })
}

async function attachRootless(p: BridgePaths, o: AttachOptions, tools: Tools): Promise<NetworkProcess | undefined> {
  const rn = await import('./rootless-netns.js')
  try {
    return await rn.withRootlessLock(p, async () => {
      const holder = rn.holderPid(p)
      const attached = readAttached(p, o.id)
      if (!holder || !attached) {
        throw new CockerError('NETWORK_FAILED', `the rootless network namespace went away while container ${o.name} was starting`, { hint: 'start it again' })
      }
      const ns = netnsFile(p, o.id)
      mkdirSync(path.dirname(ns), { recursive: true, mode: 0o700 })
      writeFileSync(ns, '')
      await rn.netnsCommand(['bind', String(holder), `/proc/${o.pid}/ns/net`, ns])
      const out = await netavark(tools, p, 'setup', ns, attached.request, holder)
      attached.status = JSON.parse(out) as NetavarkStatus
      writeAttached(p, o.id, attached)
      const ip = Object.values(attached.request.networks)[0]!.static_ips[0]!
      return rn.startForwarder(holder, ip, o.ports, o.containerDir)
    })
  } catch (err) {
    await detachContainer(p, o.id).catch(() => {})
    throw err
  }
}

/** Leaves the network: netavark's teardown (veth, rules, DNS entry), the namespace's mount, the address. Idempotent. */
export async function detachContainer(p: BridgePaths, id: string, o: { restarting?: boolean } = {}): Promise<void> {
  if (p.rootless) {
    const rn = await import('./rootless-netns.js')
    return rn.withRootlessLock(p, async () => {
      await detachRootlessLocked(p, id)
      // a clean-up in the holder's user namespace could not make the namespace again for the restart
      if (!o.restarting) rn.endRootlessNetnsIfUnused(p)
    })
  }
  const attached = readAttached(p, id)
  const ns = netnsFile(p, id)
  if (attached && existsSync(ns) && isMounted(ns)) {
    await netavark(netavarkTools(), p, 'teardown', ns, attached.request).catch(() => {
      // the namespace went with its processes: the veth went with it, the rules did not
      // (netavark tears those down from the request); nothing more can be done here
    })
  }
  if (existsSync(ns)) {
    if (isMounted(ns)) (await import('../../sys/libc.js')).unmountDetach(ns)
    rmSync(ns, { force: true })
  }
  if (attached) await withStoreLock(lockFile(p), () => rmSync(attachedFile(p, id), { force: true }))
}

/**
 * Rootless detach, under the rootless lock. The container's namespace stays bound in the
 * holder's mount namespace until here, so netavark's teardown is complete even when the
 * container's processes are long gone; a holder that is gone took every such mount with it.
 */
async function detachRootlessLocked(p: BridgePaths, id: string): Promise<void> {
  const rn = await import('./rootless-netns.js')
  const attached = readAttached(p, id)
  const ns = netnsFile(p, id)
  const holder = rn.holderPid(p)
  const mounted = holder !== undefined && rn.mountedInHolder(holder, ns)
  if (attached && mounted) {
    try {
      await netavark(netavarkTools(), p, 'teardown', ns, attached.request, holder)
    } catch { /* what it could not undo goes with the namespace, when the last container leaves */ }
  }
  crashPoint('network:torn-down')
  if (mounted) await rn.netnsCommand(['unbind', String(holder), ns]).catch(() => {})
  rmSync(ns, { force: true })
  if (attached) await withStoreLock(lockFile(p), () => rmSync(attachedFile(p, id), { force: true }))
}

/** The containers (ids) attached to a network now, by its definition. */
export function containersOn(p: BridgePaths, def: NetworkDef): string[] {
  return listAttached(p).filter(([, a]) => a.request.network_info[def.name]?.id === def.id).map(([id]) => id)
}

const lockFile = (p: BridgePaths) => path.join(dirs(p).attached, 'lock')

/**
 * Attachments of containers that their store no longer has (a kill -9 of an rm after the
 * container's files went) are torn down like any other: their veth, rules and address go.
 */
async function reclaimStale(p: BridgePaths, detach = (id: string) => detachContainer(p, id)): Promise<void> {
  for (const [id, a] of listAttached(p)) {
    if (!existsSync(path.join(a.storeRoot, 'containers', id))) await detach(id)
  }
}

/** Takes the container's address under the lock: the one asked (--ip) if free, else the lowest free one. */
async function allocate(p: BridgePaths, o: { storeRoot: string; id: string; name: string; attachment: NetworkAttachment; ports: PortMapping[] },
  def: NetworkDef): Promise<void> {
  const subnet = def.subnets[0]!
  const range = hostAddresses(subnet)
  await withStoreLock(lockFile(p), () => {
    const taken = new Map<number, string>()
    for (const [id, a] of listAttached(p)) {
      for (const [name, net] of Object.entries(a.request.networks)) {
        if (a.request.network_info[name]?.subnets[0]?.subnet !== subnet.subnet) continue
        for (const ip of net.static_ips) taken.set(parseIp(ip), id)
      }
    }
    let ip: number
    if (o.attachment.ip) {
      ip = parseIp(o.attachment.ip, '--ip')
      const owner = taken.get(ip)
      if (owner) {
        throw new CockerError('ADDRESS_UNAVAILABLE', `IP address ${o.attachment.ip} on network ${def.name} is already allocated to container ${owner.slice(0, 12)}`,
          { hint: 'choose another --ip, or leave it out for a free one' })
      }
    } else {
      ip = range.first
      while (ip <= range.last && (ip === range.gateway || taken.has(ip))) ip++
      if (ip > range.last) {
        throw new CockerError('ADDRESS_UNAVAILABLE', `network ${def.name} has no free address left in ${subnet.subnet}`,
          { hint: 'remove a container from it, or create a network with a larger --subnet' })
      }
    }
    const request: SetupRequest = {
      container_id: o.id,
      container_name: o.name,
      networks: {
        [def.name]: {
          interface_name: 'eth0', static_ips: [ipString(ip)],
          aliases: [...(o.attachment.aliases ?? []), o.id.slice(0, 12)],
          ...(o.attachment.mac ? { static_mac: o.attachment.mac } : {}),
        },
      },
      network_info: { [def.name]: def },
      port_mappings: o.ports,
    }
    mkdirSync(dirs(p).attached, { recursive: true, mode: 0o700 })
    writeAttached(p, o.id, { storeRoot: o.storeRoot, request })
  })
}

/** Checks an --ip against the network before anything is created. */
export function checkRequestedIp(def: NetworkDef, ip: string): void {
  const n = parseIp(ip, '--ip')
  const subnet = def.subnets[0]!
  const range = hostAddresses(subnet)
  if (!inSubnet(n, parseSubnet(subnet.subnet)) || n < range.first || n > range.last || n === range.gateway) {
    throw new CockerError('INVALID_ARGUMENT', `--ip ${ip}: not a free host address of network ${def.name} (${subnet.subnet}, gateway ${subnet.gateway})`)
  }
}

function isMounted(file: string): boolean {
  // a bound namespace file reads as nsfs in /proc/self/mountinfo
  return (readIfPresent('/proc/self/mountinfo') ?? '').split('\n').some(l => l.split(' ')[4] === file)
}

interface Tools { netavark: string; aardvark: string }

const LIBEXEC = ['/usr/libexec/podman', '/usr/lib/podman', '/usr/local/libexec/podman', '/usr/local/lib/podman']

/** netavark and aardvark-dns where Podman's packages put them. */
function netavarkTools(): Tools {
  const find = (name: string) => LIBEXEC.map(d => path.join(d, name)).find(f => existsSync(f))
  const netavark = find('netavark')
  const aardvark = find('aardvark-dns')
  if (!netavark || !aardvark) {
    throw new CockerError('NETWORK_FAILED', `bridge networks need netavark and aardvark-dns, and ${netavark ? 'aardvark-dns' : 'netavark'} is not in ${LIBEXEC.join(', ')}`,
      { hint: 'install them (Debian, Ubuntu: apt-get install netavark aardvark-dns)' })
  }
  return { netavark, aardvark }
}

/**
 * Runs netavark with the request on its stdin; its stdout, or its own error as one line. One
 * at a time on the host, as Podman runs it: two setups at once race on the iptables chains
 * they both create ("Chain already exists").
 */
function netavark(tools: Tools, p: BridgePaths, verb: 'setup' | 'teardown', netns: string, request: SetupRequest, holder?: number): Promise<string> {
  mkdirSync(dirs(p).config, { recursive: true, mode: 0o700 })
  return withStoreLock(path.join(dirs(p).config, 'cocker.lock'), () => spawnNetavark(tools, p, verb, netns, request, holder))
}

/**
 * netavark runs iptables from PATH, which lives in the sbin directories: a caller's PATH
 * without them (a user's own, `env PATH=…`) would fail the setup with a bare ENOENT.
 */
function withSbin(pathVar = ''): string {
  const dirs = pathVar.split(':').filter(Boolean)
  return [...dirs, ...['/usr/local/sbin', '/usr/sbin', '/sbin'].filter(d => !dirs.includes(d))].join(':')
}

/**
 * Rootless (`holder`), netavark runs in the rootless network namespace, as root of its user
 * namespace, through c/cocker-netns run; it starts aardvark-dns there too.
 */
async function spawnNetavark(tools: Tools, p: BridgePaths, verb: 'setup' | 'teardown', netns: string, request: SetupRequest, holder?: number): Promise<string> {
  const args = ['--config', dirs(p).config, '--rootless', String(holder !== undefined), '--aardvark-binary', tools.aardvark, verb, netns]
  const argv = holder === undefined ? [tools.netavark, ...args] : [(await import('./rootless-netns.js')).netnsTool(), 'run', String(holder), tools.netavark, ...args]
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PATH: withSbin(process.env.PATH) } })
    let out = ''
    let errText = ''
    child.stdout.on('data', (d: Buffer) => { out += d })
    child.stderr.on('data', (d: Buffer) => { errText += d })
    child.on('error', reject)
    child.on('close', code => {
      if (code === 0) return resolve(out)
      // netavark answers with {"error": "…"} on stdout, or a message on stderr
      let message = errText.trim().split('\n').pop() ?? ''
      try {
        message = (JSON.parse(out) as { error?: string }).error ?? message
      } catch { /* not JSON */ }
      reject(new CockerError('NETWORK_FAILED', `netavark ${verb} of network ${Object.keys(request.networks)[0]} failed: ${message || `status ${code}`}`))
    })
    child.stdin.end(JSON.stringify(request))
  })
}
