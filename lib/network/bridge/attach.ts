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
import { hostAddresses, inSubnet, ipString, parseIp, parseSubnet, requireNetwork, type NetworkDef } from './networks.js'
import { attachedFile, dirs, listAttached, netnsFile, readAttached, writeAttached, type BridgePaths, type NetavarkStatus, type NetworkAttachment, type PortMapping,
  type SetupRequest } from './state.js'

/**
 * Joins the container (its init `pid`) to its network: an address, the namespace kept, netavark's setup.
 * Anything that fails part-way is undone before the error goes up.
 */
export async function attachContainer(p: BridgePaths, o: { storeRoot: string; id: string; name: string; pid: number; attachment: NetworkAttachment; ports: PortMapping[] }): Promise<void> {
  const def = requireNetwork(o.storeRoot, o.attachment.network)
  const tools = netavarkTools()
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
}

/** Leaves the network: netavark's teardown (veth, rules, DNS entry), the namespace's mount, the address. Idempotent. */
export async function detachContainer(p: BridgePaths, id: string): Promise<void> {
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

/** The containers (ids) attached to a network now, by its definition. */
export function containersOn(p: BridgePaths, def: NetworkDef): string[] {
  return listAttached(p).filter(([, a]) => a.request.network_info[def.name]?.id === def.id).map(([id]) => id)
}

const lockFile = (p: BridgePaths) => path.join(dirs(p).attached, 'lock')

/**
 * Attachments of containers that their store no longer has (a kill -9 of an rm after the
 * container's files went) are torn down like any other: their veth, rules and address go.
 */
async function reclaimStale(p: BridgePaths): Promise<void> {
  for (const [id, a] of listAttached(p)) {
    if (!existsSync(path.join(a.storeRoot, 'containers', id))) await detachContainer(p, id)
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
function netavark(tools: Tools, p: BridgePaths, verb: 'setup' | 'teardown', netns: string, request: SetupRequest): Promise<string> {
  mkdirSync(dirs(p).config, { recursive: true, mode: 0o700 })
  return withStoreLock(path.join(dirs(p).config, 'cocker.lock'), () => spawnNetavark(tools, p, verb, netns, request))
}

/**
 * netavark runs iptables from PATH, which lives in the sbin directories: a caller's PATH
 * without them (a user's own, `env PATH=…`) would fail the setup with a bare ENOENT.
 */
function withSbin(pathVar = ''): string {
  const dirs = pathVar.split(':').filter(Boolean)
  return [...dirs, ...['/usr/local/sbin', '/usr/sbin', '/sbin'].filter(d => !dirs.includes(d))].join(':')
}

function spawnNetavark(tools: Tools, p: BridgePaths, verb: 'setup' | 'teardown', netns: string, request: SetupRequest): Promise<string> {
  const args = ['--config', dirs(p).config, '--rootless', 'false', '--aardvark-binary', tools.aardvark, verb, netns]
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(tools.netavark, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PATH: withSbin(process.env.PATH) } })
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
