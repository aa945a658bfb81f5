/**
 * `cp`: files between the host and a container's root, as tar streams, with docker's and
 * podman's placement rules (placeCopy).
 *
 * The container's side never runs here: a worker (lib/cli/copy-main.ts) started by the helper
 * chroots into the container's root before it resolves any name the user or the archive
 * gives, so a symlink in the container, absolute or full of `..`, cannot lead out of it
 * (CVE-2018-15664, CVE-2019-14271), however the container changes its files meanwhile:
 * the kernel resolves every path inside the root. The worker reaches the root by
 *  - a running (or paused) container: /proc/PID/root of its init, from the container's own
 *    user namespace when it has one (joined: its root is then ours, and the files it sees
 *    through its mounts, volumes included, are what we copy);
 *  - a stopped one: its overlay, mounted by the helper in a mount namespace of the worker's
 *    own (rootless, in the caller's user namespace, as podman mounts it in `unshare`), under
 *    the container's lock so that it does not start meanwhile.
 * The host's side is this process, as the user who typed the command: it reads and writes
 * the host's files with their rights, never the worker's.
 */
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CockerError, type ErrorCode } from '../errors.js'
import type { TarEntry } from '../image/tar.js'
import { packageRoot } from '../package-root.js'
import { helperPath, runHelper } from '../runtime/helper.js'
import { encodePlan, type Op } from '../runtime/protocol.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import { layerShift, type ContainerUserns } from '../rootless/container-userns.js'
import { inRootlessUserNamespace } from '../rootless/identity.js'
import { enterOps, usernsMapsForCaller } from '../rootless/userns.js'
import { shiftId, type IdShift } from '../storage/copy-tree.js'
import { childProcess } from '../sys/child-process.js'
import type { Engine } from './engine.js'
import { observe, withContainerLock, type FoundContainer } from './record.js'
import { containerDirs, idmappedLowerMounts, overlayMountData } from './rootfs.js'
import { pendingOwnOps, viewOps } from './stopped-root.js'

/** One side of `cp`: a container's path (`CT:PATH`), a host path, or `-` (a tar stream on stdin or stdout). */
export interface CopyPath {
  container?: string
  path: string
}

/**
 * podman's reading: `NAME:PATH` is a container's when a colon comes before any slash; a host
 * path with a colon is written `./a:b` or `/a:b`.
 */
export function parseCopyPath(arg: string): CopyPath {
  const colon = arg.indexOf(':')
  const slash = arg.indexOf('/')
  if (colon > 0 && (slash < 0 || colon < slash)) {
    const p = arg.slice(colon + 1)
    return { container: arg.slice(0, colon), path: p === '' ? '/' : p }
  }
  return { path: arg }
}

/** Where a copy goes: what is at the destination, before anything is written. */
export interface Destination {
  /** As the user gave it (a trailing `/` matters). */
  path: string
  kind: 'dir' | 'file' | 'missing'
  /** Its parent is a directory (for a missing destination). */
  parentIsDir: boolean
}

/** What arrives: the archive's top entry (`cp` sends the source itself first) or a tar given as `-`. */
export type SourceKind = { top: string; isDir: boolean } | 'archive'

/**
 * docker's rules, pure: the directory the archive is unpacked in and the name its top entry
 * takes there ('' for the top's contents straight into it).
 *  - into an existing directory: under the source's own name; `SRC/.` its contents;
 *  - to a missing path: the source takes that name (its parent must exist; `DEST/` must be
 *    a directory, which a file cannot make);
 *  - onto an existing file: a file replaces it; a directory cannot.
 */
const clean = (p: string) => path.posix.normalize(p).replace(/(.)\/$/, '$1')

export function placeCopy(dest: Destination, src: SourceKind): { dir: string; name: string } {
  const p = clean(dest.path)
  const trailing = dest.path.endsWith('/') || dest.path.endsWith('/.')
  if (src === 'archive') {
    if (dest.kind !== 'dir') throw new CockerError('INVALID_ARGUMENT', `"${dest.path}" must be an existing directory to unpack a tar stream in`)
    return { dir: p, name: '' }
  }
  const contents = src.top === '.'
  if (dest.kind === 'dir') return { dir: p, name: contents ? '' : src.top }
  if (dest.kind === 'file') {
    if (src.isDir) throw new CockerError('INVALID_ARGUMENT', `cannot copy a directory onto the file "${dest.path}"`, { hint: 'name a directory, or a path that does not exist yet' })
    if (trailing) throw new CockerError('INVALID_ARGUMENT', `"${dest.path}" is not a directory`)
    return { dir: path.posix.dirname(p), name: path.posix.basename(p) }
  }
  if (!dest.parentIsDir) throw new CockerError('FILE_NOT_FOUND', `"${path.posix.dirname(p)}" is not a directory: the parent of "${dest.path}" must exist`)
  if (trailing && !src.isDir) throw new CockerError('FILE_NOT_FOUND', `"${dest.path}" does not exist: a file cannot be copied to a directory that is not there`)
  return { dir: path.posix.dirname(p), name: path.posix.basename(p) }
}

/**
 * The name each entry of a cp archive takes under placeCopy's dir: the first entry (the
 * source) decides the placement, which may refuse the copy before anything is written.
 */
export function copyNameMap(dest: Destination, archive: boolean): { dir: string; map: (e: TarEntry) => string | undefined } {
  if (archive) return { dir: placeCopy(dest, 'archive').dir, map: e => e.name }
  let top: string | undefined
  let name = ''
  return {
    dir: dest.kind === 'dir' ? clean(dest.path) : path.posix.dirname(clean(dest.path)),
    map: (e: TarEntry) => {
      const n = path.posix.normalize(e.name).replace(/\/$/, '')
      if (top === undefined) {
        top = n
        name = placeCopy(dest, { top, isDir: e.type === 'dir' }).name
      }
      let rest: string
      if (top === '.') rest = n === '.' ? '' : `/${n}`
      else if (n === top) rest = ''
      else if (n.startsWith(`${top}/`)) rest = n.slice(top.length)
      else return undefined // not under the source: not ours to write
      if (!name) return rest ? rest.slice(1) : undefined
      return name + rest
    },
  }
}

/** What is at `p` for placeCopy, following a symlink there (docker writes through it). */
export function destinationAt(p: string): Destination {
  const kindOf = (st: Stats | undefined) => (!st ? 'missing' : st.isDirectory() ? 'dir' : 'file')
  const st = statSync(p, { throwIfNoEntry: false }) ?? lstatSync(p, { throwIfNoEntry: false })
  const parent = statSync(path.dirname(path.resolve(p)), { throwIfNoEntry: false })
  return { path: p, kind: kindOf(st), parentIsDir: Boolean(parent?.isDirectory()) }
}

/** The cases `cocker-helper copy-in` tells apart, in its order: what the destination is, then whether the top entry is a directory. */
const PLACE_CASES = (['dir', 'file', 'missing', 'orphan'] as const).flatMap(kind => [false, true].map(isDir => ({ kind, isDir })))

/**
 * placeCopy of every case for `cocker-helper copy-in` (c/unpack.c), which looks at the
 * destination inside its root and at the archive's first entry, then takes one: "NAME/DIR"
 * (DIR relative to that root, `rel` makes it so), or "!" where placeCopy refuses.
 */
export function copyPlaces(destPath: string, top: string, rel: (dir: string) => string | undefined = d => d): string[] {
  return PLACE_CASES.map(({ kind, isDir }) => {
    try {
      const { dir, name } = placeCopy({ path: destPath, kind: kind === 'orphan' ? 'missing' : kind, parentIsDir: kind !== 'orphan' }, { top, isDir })
      const inRoot = rel(dir)
      return inRoot === undefined ? '!' : `${name}${inRoot}`
    } catch {
      return '!'
    }
  })
}

/** placeCopy's refusal of the case the helper met (its "PLACEMENT" error). */
function placementError(destPath: string, top: string, n: number): CockerError {
  const c = PLACE_CASES[n]
  try {
    if (c) placeCopy({ path: destPath, kind: c.kind === 'orphan' ? 'missing' : c.kind, parentIsDir: c.kind !== 'orphan' }, { top, isDir: c.isDir })
  } catch (err) {
    return err as CockerError
  }
  return new CockerError('INVALID_ARGUMENT', `cannot copy to "${destPath}": the destination changed during the copy`)
}

/** What `cocker-helper copy-in` printed: its failure as an error (placement, unsafe entry, system call), or nothing. */
async function copyInFailure(out: string, label: string, root: string, destPath: string, top: string): Promise<Error | undefined> {
  const lines = out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { event: string; code?: string; case?: number })
  const failed = lines.find(l => l.event === 'error')
  if (!failed) return lines.some(l => l.event === 'stats') ? undefined : new CockerError('HELPER_FAILED', `${label}: the copy ended without a result`)
  if (failed.code === 'PLACEMENT') return placementError(destPath, top, failed.case ?? -1)
  const { helperFailure } = await import('../storage/unpack.js')
  return helperFailure(failed as Parameters<typeof helperFailure>[0], label, root)
}

const MS_REC_PRIVATE = 0x4000 | 0x40000

/** How the worker reaches the container's root: the helper's ops before its exec, and the path to chroot to. */
interface RootAccess {
  ops: Op[]
  root: string
  /** The container's root as the worker's namespace names it: the owner of files copied in. */
  owner: { uid: number; gid: number }
  /** Stopped, with a user namespace of its own: how the store shifts its ids (the worker names the container's in archives). */
  shift?: IdShift
}

function nsInode(pid: number | 'self'): number {
  return statSync(`/proc/${pid}/ns/user`).ino
}

function rootAccess(engine: Engine, found: FoundContainer): RootAccess {
  const { record, dir } = found
  const state = observe(record, dir)
  if ((state.status === 'running' || state.status === 'paused') && state.pid > 0) {
    const ops: Op[] = [['mode', 'wait']]
    // its root is ours once we are in its user namespace, whatever the ids outside
    if (nsInode(state.pid) !== nsInode('self')) ops.push(['ns-join', 'user', `/proc/${state.pid}/ns/user`], ['setid', 0, 0])
    return { ops, root: `/proc/${state.pid}/root`, owner: { uid: 0, gid: 0 } }
  }
  const driver = record.storage.driver
  if (driver === 'fuse-overlayfs') {
    throw new CockerError('NOT_SUPPORTED', `cp to or from a stopped container needs its root mounted, which the fuse-overlayfs driver does not do here: ${record.name}`,
      { hint: `start the container first ("cocker start ${record.name}")` })
  }
  const dirs = containerDirs(engine.storeRoot, record.id)
  const ops: Op[] = [['mode', 'wait'], ...(engine.rootless ? enterOps(usernsMapsForCaller(), 'user,mnt') : [['ns-new', 'mnt'] as Op]),
    ['propagation', '/', MS_REC_PRIVATE]]
  let root = dirs.merged
  const config = readBundleConfig(dirs.userdata)
  const shift = storeShift(dirs.userdata, engine.rootless)
  ops.push(...pendingOwnOps(record, dirs, shift))
  const idmapped = idmappedLowerMounts(record.storage, dirs, { rootless: engine.rootless })
  if (driver === 'rootfs') root = path.resolve(dirs.userdata, config.root?.path ?? 'rootfs')
  else if (idmapped) ops.push(...viewOps(engine, record.name, dirs, idmapped))
  else if (driver !== 'vfs') {
    ops.push(['overlay', dirs.merged, overlayMountData(record.storage.lowerDirs, dirs, { rootless: engine.rootless && driver === 'overlay' }), engine.storeRoot])
  }
  return { ops, root, owner: shift ? { uid: shiftId(shift.uid, 0), gid: shiftId(shift.gid, 0) } : { uid: 0, gid: 0 }, ...(shift ? { shift } : {}) }
}

interface BundleConfig {
  root?: { path?: string }
  linux?: { uidMappings?: IdMapping[]; gidMappings?: IdMapping[]; namespaces?: { type: string; path?: string }[] }
}

function readBundleConfig(userdata: string): BundleConfig {
  try {
    return JSON.parse(readFileSync(path.join(userdata, 'config.json'), 'utf8')) as BundleConfig
  } catch {
    return {}
  }
}

/**
 * How the store's side names the container's ids, when it has a user namespace of its own
 * that maps them otherwise (keep-id, --userns auto): its maps, with host ids that rootless
 * are ids of the caller's namespace again (what `create` shifted the layers' copies by).
 */
export function storeShift(userdata: string, rootless: boolean): IdShift | undefined {
  const config = readBundleConfig(userdata)
  const linux = config.linux
  if (!linux?.namespaces?.some(n => n.type === 'user' && !n.path) || !linux.uidMappings || !linux.gidMappings) return undefined
  const caller = !rootless ? undefined : inRootlessUserNamespace() ? { uid: ownMaps('uid'), gid: ownMaps('gid') } : usernsMapsForCaller()
  return layerShift({ uidMappings: linux.uidMappings, gidMappings: linux.gidMappings } as ContainerUserns, caller)
}

/** The maps of the namespace we run in (the caller's, entered): what usernsMapsForCaller plans, as the kernel has it. */
function ownMaps(kind: 'uid' | 'gid'): IdMapping[] {
  return readFileSync(`/proc/self/${kind}_map`, 'utf8').trim().split('\n').map(l => l.trim().split(/\s+/).map(Number))
    .map(([containerID, hostID, size]) => ({ containerID: containerID!, hostID: hostID!, size: size! }))
}

interface WorkerIo {
  /** The worker's stdin: a host fd given as it is, or a stream we write. */
  stdin: number | 'ignore' | Readable
  /**
   * The worker's stdout: a host fd given as it is, what reads it, or the write end of a pipe
   * to another process, handed on (`to`, closed here once the worker is spawned, so that the
   * reader sees EOF when the worker ends) and `done` when the reader has finished.
   */
  stdout: number | 'ignore' | ((out: Readable) => Promise<void>) | { to: Writable; done: () => Promise<void> }
}

/**
 * The helper as runWorker's worker: the sealed copy the helper runs from (c/helper.c
 * ensure_sealed), by a path that needs no directory. The worker execs after joining a running
 * container's user namespace, whose root may not reach the package (installed under /root, or
 * in a 0700 home: the ids are not that namespace's).
 */
const HELPER_WORKER = '/proc/self/exe'

/** The node worker (lib/cli/copy-main.ts) in the container's root with `args`. */
const nodeWorker = (args: (access: RootAccess) => string[]) => (access: RootAccess): string[] =>
  [process.execPath, path.join(packageRoot(), 'dist/lib/cli/copy-main.js'), access.root, ...args(access), ...(access.shift ? [JSON.stringify(access.shift)] : [])]

/**
 * The node worker in a running container's user namespace reads cocker's modules as that
 * namespace's root, an id of no directory of ours: refused in one line where a directory on
 * the way lets no other user through (the helper's worker needs no path: HELPER_WORKER).
 */
function nodeReachable(name: string): void {
  for (let dir = path.resolve(packageRoot()); ; dir = path.dirname(dir)) {
    const mode = statSync(dir).mode
    if (!(mode & 0o001)) {
      throw new CockerError('NOT_SUPPORTED', `this copy with ${name} while it runs would run cocker's code as the root of its user namespace, which cannot enter ${dir} (mode ${(mode & 0o7777).toString(8).padStart(4, '0')})`,
        { hint: `stop the container first ("cocker stop ${name}"), or install cocker where every user may read it (e.g. /opt/cocker)` })
    }
    if (dir === '/') return
  }
}

/** Runs the worker `argv` gives where the container's root is reachable; its failure becomes a CockerError with its words. */
async function runWorker(engine: Engine, found: FoundContainer, worker: (access: RootAccess) => string[], io: WorkerIo): Promise<void> {
  const work = async () => {
    const access = rootAccess(engine, found)
    const argv = worker(access)
    if (argv[0] === process.execPath && access.ops.some(op => op[0] === 'ns-join' && op[1] === 'user')) nodeReachable(found.record.name)
    const ops: Op[] = [...access.ops, ['cwd', '/'], ['argv', argv], ['die-with-parent'], ['exec']]
    let stderr = ''
    let failure: unknown
    const pending: Promise<void>[] = []
    const track = (p: Promise<void>) => pending.push(p.catch(err => { failure ??= err }))
    const handOn = typeof io.stdout === 'object' ? io.stdout : undefined
    const result = await runHelper(encodePlan(ops), {
      until: 'exit',
      forwardSignals: true,
      stdio: [typeof io.stdin === 'number' ? io.stdin : io.stdin === 'ignore' ? 'ignore' : 'pipe',
        typeof io.stdout === 'number' ? io.stdout : io.stdout === 'ignore' ? 'ignore' : handOn ? handOn.to : 'pipe', 'pipe'],
      onStderr: s => { s.setEncoding('utf8'); s.on('data', (d: string) => { stderr += d }) },
      onStdio: ({ stdin, stdout }) => {
        if (stdin && typeof io.stdin === 'object') {
          stdin.on('error', () => { /* the worker stopped reading: its own error says why */ })
          pending.push(pipeline(io.stdin, stdin).catch(() => {}))
        }
        if (stdout && typeof io.stdout === 'function') {
          const out = stdout as Readable
          // a refusal halfway: the worker then ends on a closed pipe
          track(io.stdout(out).catch(err => { out.destroy(); throw err }))
        }
      },
      // the helper has its copy of the pipe: ours goes, and the reader's EOF is the worker's end
      onSpawn: () => handOn?.to.destroy(),
    }).finally(() => handOn?.to.destroy())
    if (handOn) track(handOn.done())
    await Promise.all(pending)
    // the worker's own words first; else ours (then it only saw its pipe close)
    const said = result.exitCode ? workerError(stderr) : undefined
    if (said) throw said
    if (failure) throw failure
    if (result.exitCode) {
      throw new CockerError('HELPER_FAILED', `the copy in the container failed (status ${result.exitCode})${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`)
    }
  }
  const record = found.record
  const state = observe(record, found.dir)
  if (state.status === 'running' || state.status === 'paused') return work()
  return withContainerLock(found.dir, work)
}

function workerError(stderr: string): CockerError | undefined {
  const line = stderr.trim().split('\n').reverse().find(l => l.startsWith('{'))
  if (line) {
    try {
      const e = JSON.parse(line) as { code: ErrorCode; message: string; hint?: string }
      return new CockerError(e.code, e.message, e.hint ? { hint: e.hint } : {})
    } catch { /* not ours */ }
  }
  return undefined
}

export interface CopyOptions {
  /** Keep the owners the archive gives (-a); else the destination's side owns what is copied. */
  archive: boolean
}

/**
 * The container's `src` out: as a tar stream on fd `toFd` (`cp CT:PATH -`), or unpacked at
 * the host's `dest` with the caller's ownership (-a: the archive's, which needs root).
 */
export async function copyFromContainer(engine: Engine, found: FoundContainer, src: string, dest: string | { fd: number }, o: CopyOptions): Promise<void> {
  const top = /(^|\/)\.$/.test(src) ? '.' : path.posix.basename(path.posix.normalize(`/${src}`)) || '.'
  // the walk in C (copy-out, looking SRC up inside the root), but where the store shifts the
  // container's ids, which the node worker maps back
  const pack = (a: RootAccess) => (a.shift ? nodeWorker(() => ['pack', src])(a) : [HELPER_WORKER, 'copy-out', a.root, src, top])
  if (typeof dest === 'object') {
    await runWorker(engine, found, pack, { stdin: 'ignore', stdout: dest.fd })
    return
  }
  // the archive comes from the container: `cocker-helper copy-in` writes it inside the
  // destination's directory, which nothing in it can lead out of (CVE-2019-14271)
  const target = destinationAt(dest)
  const root = target.kind === 'dir' ? path.resolve(dest) : path.dirname(path.resolve(dest))
  const destInRoot = target.kind === 'dir' ? '/' : `/${path.basename(path.resolve(dest))}${dest.endsWith('/') ? '/' : ''}`
  const places = copyPlaces(dest, top, dir => (path.resolve(dir) === root ? '/' : undefined))
  const owner = o.archive && process.geteuid!() === 0 ? 'keep' : `${process.geteuid!()}:${process.getegid!()}`
  // the worker writes straight into its pipe: no byte passes through node
  const child = childProcess().spawn(helperPath(), ['copy-in', root, destInRoot, owner, ...places], { stdio: ['pipe', 'pipe', 'inherit'] })
  let said = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (said += d))
  child.stdin.on('error', () => { /* a copy-in that refused stops reading: its own words say why */ })
  const closed = new Promise<void>((resolve, reject) => child.once('close', () => resolve()).once('error', reject))
  await runWorker(engine, found, pack, {
    stdin: 'ignore',
    stdout: {
      to: child.stdin,
      done: async () => {
        await closed
        const failure = await copyInFailure(said, `copy of ${found.record.name}:${src}`, root, dest, top)
        if (failure) throw failure
      },
    },
  })
}

/** The container's whole root as a tar stream on fd `fd`, without what is mounted in it (`export`). */
export async function exportContainer(engine: Engine, found: FoundContainer, fd: number): Promise<void> {
  await runWorker(engine, found, nodeWorker(() => ['export']), { stdin: 'ignore', stdout: fd })
}

/**
 * The host's `src` (or a tar stream on fd `fromFd`, `cp - CT:DIR`) into the container's
 * `dest`, owned by the container's root unless -a.
 */
export async function copyToContainer(engine: Engine, found: FoundContainer, src: string | { fd: number }, dest: string, o: CopyOptions): Promise<void> {
  const ownerArg = (a: RootAccess) => (o.archive ? 'keep' : `${a.owner.uid}:${a.owner.gid}`)
  if (typeof src === 'object') {
    await runWorker(engine, found, nodeWorker(a => ['unpack', dest, 'archive', ownerArg(a)]), { stdin: src.fd, stdout: 'ignore' })
    return
  }
  const st = lstatSync(src, { throwIfNoEntry: false })
  if (!st) throw new CockerError('FILE_NOT_FOUND', `"${src}" does not exist on the host`)
  const contents = /(^|\/)\.$/.test(src)
  if ((contents || src.endsWith('/')) && !statSync(src).isDirectory()) throw new CockerError('INVALID_ARGUMENT', `"${src}" is not a directory`)
  const real = contents || src.endsWith('/') ? realpathSync(src) : src
  const top = contents ? '.' : path.basename(path.resolve(src)) || '.'
  // the host's side packed in C too: the caller's own files, looked up as the caller
  const packer = childProcess().spawn(helperPath(), ['copy-out', '/', path.resolve(real) + (real !== src ? '/' : ''), top], { stdio: ['ignore', 'pipe', 'pipe'] })
  let packErr = ''
  packer.stderr.setEncoding('utf8').on('data', (d: string) => (packErr += d))
  const packed = new Promise<void>((resolve, reject) => packer.once('error', reject).once('close', code => {
    if (code === 0) return resolve()
    reject(workerError(packErr) ?? new CockerError('HELPER_FAILED', `packing ${src} failed (status ${code})`))
  }))
  packed.catch(() => {})
  const tar = packer.stdout
  // the per-file work in C (copy-in, resolving inside the root as the worker's chroot does), but
  // for -a into a store that shifts the container's ids, which the node worker maps
  const destPath = path.posix.join('/', dest) + (dest.endsWith('/') ? '/' : '')
  let root: string | undefined
  await runWorker(engine, found, a => {
    if (o.archive && a.shift) return nodeWorker(() => ['unpack', dest, 'copy', ownerArg(a)])(a)
    root = a.root
    return [HELPER_WORKER, 'copy-in', a.root, destPath, ownerArg(a), ...copyPlaces(destPath, top)]
  }, {
    stdin: tar,
    stdout: async stream => {
      let out = ''
      stream.setEncoding('utf8')
      for await (const chunk of stream) out += chunk as string
      const failure = root === undefined ? undefined : await copyInFailure(out, `copy to ${found.record.name}:${dest}`, root, destPath, top)
      if (failure) throw failure
    },
  })
  await packed
}
