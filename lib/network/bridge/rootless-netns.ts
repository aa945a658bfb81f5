/**
 * Bridge networks rootless, as Podman 5 does them: one network namespace per user (the
 * "rootless network namespace") holds the bridges, the containers' veths' other ends, the
 * firewall rules and aardvark-dns; pasta connects it to the host's network (outbound access;
 * the host's loopback at its gateway, --map-gw); a published port is a small forwarder of our
 * own (c/cocker-netns.c forward) that listens on the host and connects to the container's
 * address inside. netavark runs inside, as root of the namespace's user namespace.
 *
 * The namespaces (user, mount, network) are held by a cocker-infra started through the helper
 * with the caller's id maps; the containers on a bridge network join its user namespace in
 * place of a new one of their own (a veth moves only between network namespaces that one user
 * namespace's root administers). Node cannot setns: c/cocker-netns does what happens inside.
 *
 * Under the run dir, beside the attachments (attach.ts):
 *
 *   rootless-netns/holder.pid   the holder's pid, written by the holder itself (a kill -9 of the
 *                               command that started it cannot lose it)
 *   rootless-netns/network.pid  pasta's, written by pasta (network.log: its output)
 *   rootless-netns/lock         taken around every change: a container's joining, its leaving,
 *                               and the namespace's making and ending
 *   netns/<id>                  a container's network namespace, bound in the holder's mount
 *                               namespace only: netavark's teardown finds it after the container's
 *                               processes are gone, and the holder's end releases every one
 *
 * The namespace lives while a container is attached: the last one's leaving ends the holder,
 * pasta and aardvark-dns, and removes their files. Each process is recognised by its command
 * line naming our file before it is signalled, never by a pid alone.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../../errors.js'
import { packageRoot } from '../../package-root.js'
import { enterOps, usernsMapsForCaller } from '../../rootless/userns.js'
import { runHelper } from '../../runtime/helper.js'
import { encodePlan, type Op } from '../../runtime/protocol.js'
import { withStoreLock } from '../../storage/lock.js'
import { childProcess } from '../../sys/child-process.js'
import { procStat } from '../../sys/proc.js'
import { readIfPresent } from '../../sys/read.js'
import { netnsTool } from '../forwarder.js'
import { startNetworkProcess, type NetworkProcess } from '../programs.js'
import { dirs, listAttached, type BridgePaths, type PortMapping } from './state.js'

const rootlessDir = (p: BridgePaths) => path.join(p.runDir, 'rootless-netns')
const holderFile = (p: BridgePaths) => path.join(rootlessDir(p), 'holder.pid')
const pastaFile = (p: BridgePaths) => path.join(rootlessDir(p), 'network.pid')
const aardvarkFile = (p: BridgePaths) => path.join(dirs(p).config, 'aardvark-dns', 'aardvark.pid')

export { netnsTool }
const infraBinary = () => path.join(packageRoot(), 'c', 'cocker-infra')

/** Runs fn with the rootless network namespace locked (not re-entrant: fn never takes it again). */
export function withRootlessLock<T>(p: BridgePaths, fn: () => T | Promise<T>): Promise<T> {
  return withStoreLock(path.join(rootlessDir(p), 'lock'), fn)
}

/** The pid a pid file names, if that process runs and its command line holds `mark` (our file's name). */
function ownProcess(pidFile: string, mark: string): number | undefined {
  const pid = Number((readIfPresent(pidFile) ?? '').trim())
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  const st = procStat(pid)
  if (!st || st.state === 'Z' || st.state === 'X') return undefined
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(mark) ? pid : undefined
  } catch {
    return undefined
  }
}

/** The holder's pid while it runs. */
export const holderPid = (p: BridgePaths) => ownProcess(holderFile(p), holderFile(p))
const pastaPid = (p: BridgePaths) => ownProcess(pastaFile(p), pastaFile(p))
const aardvarkPid = (p: BridgePaths) => ownProcess(aardvarkFile(p), path.dirname(aardvarkFile(p)))

/** Whether `file` is a mount point in the holder's mount namespace. */
export function mountedInHolder(holder: number, file: string): boolean {
  return (readIfPresent(`/proc/${holder}/mountinfo`) ?? '').split('\n').some(l => l.split(' ')[4] === file)
}

/** The rootless network namespace's holder, made (with its pasta) when there is none. The caller holds the lock. */
export async function ensureRootlessNetns(p: BridgePaths, env: NodeJS.ProcessEnv): Promise<number> {
  let holder = holderPid(p)
  if (!holder) {
    // what a killed holder left: its pasta and aardvark-dns hold a namespace nothing can reach
    endRootlessNetns(p)
    holder = await startHolder(p)
  }
  if (!pastaPid(p)) {
    const pasta = await startNetworkProcess({ mode: 'pasta', args: ['--map-gw'] }, { pid: holder, dir: rootlessDir(p), rootless: true, env, ports: [] })
    // pasta creates its pid file before it writes the pid: the next command must read the pid
    // there, or it would start a second pasta on the namespace (and lose track of this one)
    await until(() => pastaPid(p) === pasta.pid, 'pasta did not write its pid file')
  }
  return holder
}

/** Polls (2 ms) until `done`, for at most 5 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 5000; !done(); await new Promise(r => setTimeout(r, 2))) {
    if (Date.now() > end) throw new CockerError('NETWORK_FAILED', `the rootless network namespace could not be made: ${what}`)
  }
}

/** cocker-infra in a new user, mount and network namespace with the caller's id maps, in a session of its own. */
async function startHolder(p: BridgePaths): Promise<number> {
  mkdirSync(rootlessDir(p), { recursive: true, mode: 0o700 })
  const file = holderFile(p)
  rmSync(file, { force: true })
  const ops: Op[] = [['mode', 'detach'], ...enterOps(usernsMapsForCaller(), 'user,mnt,net'), ['argv', [infraBinary(), '--pid-file', file]], ['exec']]
  await runHelper(encodePlan(ops), { until: 'started', stdio: ['ignore', 'ignore', 'ignore'] })
  // it writes the file first thing (by rename: whole or not at all)
  await until(() => holderPid(p) !== undefined, `its holder ${infraBinary()} did not start`)
  return holderPid(p)!
}

/**
 * Ends the rootless network namespace: its holder, pasta and aardvark-dns, and their files
 * (netavark's state among them: it described that namespace). The caller holds the lock.
 */
export function endRootlessNetns(p: BridgePaths): void {
  for (const pid of [aardvarkPid(p), pastaPid(p), holderPid(p)]) {
    if (pid) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  }
  try {
    for (const f of [holderFile(p), pastaFile(p), path.join(rootlessDir(p), 'network.log')]) rmSync(f, { force: true })
    rmSync(dirs(p).config, { recursive: true, force: true })
  } catch { /* a process of it was still writing: the next end or making removes the rest */ }
}

/** Ends the namespace once no container is attached to it. The caller holds the lock. */
export function endRootlessNetnsIfUnused(p: BridgePaths): void {
  if (!listAttached(p).length) endRootlessNetns(p)
}

/** c/cocker-netns VERB HOLDER ARGS…, which must succeed; its line on stderr otherwise. */
export function netnsCommand(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(netnsTool(), args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let errText = ''
    child.stderr!.on('data', (d: Buffer) => { errText += d })
    child.on('error', err => reject(new CockerError('NETWORK_FAILED', `cannot run ${netnsTool()}: ${err.message}`, { hint: 'build it with "npm run build"' })))
    child.on('close', code => code === 0 ? resolve()
      : reject(new CockerError('NETWORK_FAILED', errText.trim().split('\n').pop() || `cocker-netns ${args[0]} failed with status ${code}`)))
  })
}

/**
 * The container's published ports, forwarded from the host to its address in the rootless
 * network namespace by c/cocker-netns forward (lib/network/forwarder.ts): returned once it
 * listens, as the container's network process (the record names it; clean-up ends it).
 */
export async function startForwarder(holder: number, ip: string, ports: PortMapping[], containerDir: string): Promise<NetworkProcess | undefined> {
  if (!ports.length) return undefined
  const { startForwarder: start } = await import('../forwarder.js')
  const fwd = await start(holder, ip, ports.map(m => ({ hostIp: m.host_ip, hostPort: m.host_port, containerPort: m.container_port, protocol: m.protocol })))
  writeFileSync(path.join(containerDir, 'network.pid'), `${fwd.pid}\n`)
  return fwd
}

/**
 * Rewrites the bundle's config.json so that the container joins the holder's user namespace
 * (`holder`), or, with none, has one of its own again with the caller's maps (after it left
 * its bridge network).
 */
export function pointUserNamespace(bundle: string, holder: number | undefined): void {
  const file = path.join(bundle, 'config.json')
  const spec = JSON.parse(readFileSync(file, 'utf8')) as { linux?: { namespaces?: { type: string; path?: string }[]; uidMappings?: unknown; gidMappings?: unknown } }
  const linux = spec.linux ??= {}
  const others = (linux.namespaces ?? []).filter(n => n.type !== 'user')
  if (holder) {
    linux.namespaces = [...others, { type: 'user', path: `/proc/${holder}/ns/user` }]
    delete linux.uidMappings
    delete linux.gidMappings
  } else {
    if (!(linux.namespaces ?? []).some(n => n.type === 'user' && n.path?.startsWith('/proc/'))) return
    const maps = usernsMapsForCaller()
    linux.namespaces = [...others, { type: 'user' }]
    linux.uidMappings = maps.uid
    linux.gidMappings = maps.gid
  }
  writeFileSync(`${file}.tmp`, JSON.stringify(spec))
  renameSync(`${file}.tmp`, file)
}
