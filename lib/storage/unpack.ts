/**
 * Applies one image layer (a decompressed tar stream) to a directory.
 *
 * Formats: 'overlay' unpacks into a fresh directory that is later stacked as a lowerdir, so
 * whiteouts become what overlayfs reads (a 0/0 character device, the `<ns>.overlay.opaque`
 * xattr). 'vfs' unpacks over a copy of the parent layer's tree and carries the whiteouts
 * out (removing files).
 *
 * Safety: nothing outside targetDir is ever created or changed, whatever the archive says.
 *  - Names are normalised lexically; one whose `..` climbs above the root is LAYER_UNSAFE.
 *  - Parent directories are resolved inside targetDir with securejoin semantics, as
 *    containerd does: a symlink met on the way is followed as if targetDir were `/`
 *    (absolute targets restart at targetDir, `..` stops at it). Refusing them instead would
 *    reject archives that legitimately write through their own `lib -> usr/lib`.
 *  - The last component is never followed: whatever is there (a symlink included) is
 *    removed and the entry is created with O_CREAT|O_EXCL|O_NOFOLLOW, mkdir, symlink, mknod
 *    or link, which all refuse to follow a symlink there.
 *  - Hardlink targets are stricter: a target reached through a symlink is LAYER_UNSAFE, since
 *    link(2) would hand the container a second name for a file wherever the symlink points.
 *  - Directories' modes, owners and times are set at the end through an O_NOFOLLOW descriptor,
 *    after every directory that a later entry replaced has been forgotten.
 *
 * Rootless (in a user namespace, as root of it):
 *  - Device nodes cannot be created (mknod needs CAP_MKNOD in the initial namespace). Like
 *    Podman (containers/storage skips them in a user namespace) they are skipped and listed in
 *    LayerStats.skipped so the caller can say so; the runtime provides /dev anyway.
 *  - xattrs the kernel refuses with EPERM or ENOTSUP (trusted.* needs CAP_SYS_ADMIN in the
 *    initial namespace; some filesystems have no user.*) are skipped and listed, as Podman
 *    does. security.capability is set as the layer gives it: the kernel stores it against
 *    the namespace's root, which is what file capabilities inside the container need.
 *  - overlay.* xattrs carried by the layer itself are always dropped: only this module
 *    decides what overlayfs sees as opaque or redirected.
 *
 * Two unpackers, one set of rules: the 'overlay' format runs in C (`cocker-helper unpack`,
 * c/unpack.c), fed the plain tar stream on a pipe. Node's cost per filesystem call was
 * most of the time of a pull of many small files (a debootstrap image: 9,000 files, ~7
 * calls each). This module is the reference: it words every message, does 'vfs' (applied
 * over a copy of the parent's tree, whiteouts carried out), and its tests run against both.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { getSystemErrorName } from 'node:util'
import { CockerError } from '../errors.js'
import { ARCHIVE_HINTS, readTar, type TarEntry } from '../image/tar.js'
import { helperPath } from '../runtime/helper.js'
import { childProcess } from '../sys/child-process.js'
import { lsetxattr, mknod } from '../sys/libc.js'

export interface ApplyLayerOptions {
  /** 'plain': an archive, not a layer (`cp`): names starting with .wh. are files like any other. */
  format: 'overlay' | 'vfs' | 'plain'
  /** 'trusted' as root; 'user' rootless, for overlay mounts with userxattr. */
  xattrNamespace: 'trusted' | 'user'
  /** Ids at or above these are not mapped in the user namespace we unpack in. */
  idLimit?: { uid: number; gid: number }
  /** Names the layer in messages, e.g. its digest. */
  layerName?: string
  /** The name each entry is written under (undefined: skipped), for an archive whose top is renamed (`cp`). */
  mapName?: (e: TarEntry) => string | undefined
  /** Every entry's owner, whatever the archive says (`cp` without --archive). */
  owner?: { uid: number; gid: number }
  /** The owner each entry's is written as (`cp -a` into a container whose ids the store shifts). */
  mapOwner?: (uid: number, gid: number) => [uid: number, gid: number]
  /** 'overlay' runs in C unless 'node' is asked for (the tests run both). */
  unpacker?: 'helper' | 'node'
}

export interface LayerStats {
  entries: number
  /** Bytes of regular file content written. */
  bytes: number
  files: number
  dirs: number
  symlinks: number
  hardlinks: number
  /** Other entries: fifos and device nodes. */
  specials: number
  whiteouts: number
  opaques: number
  /** What could not be created as the layer says, and why (device nodes rootless, refused xattrs). */
  skipped: SkippedEntry[]
}

export interface SkippedEntry {
  name: string
  /** A device node (rootless: the runtime provides /dev, so callers need not warn) or an xattr. */
  what: 'device' | 'xattr'
  reason: string
}

interface DirMeta {
  mode: number
  uid: number
  gid: number
  atime: number
  mtime: number
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY, S_IFCHR, S_IFBLK, S_IFIFO } = constants
const MAX_SYMLINKS = 40 // the kernel's limit for one path walk
const WHITEOUT = '.wh.'
const OPAQUE = '.wh..wh..opq'

/**
 * Applies the tar stream to targetDir: an empty directory, or a missing one whose parent
 * exists. The C unpacker makes a missing one where ext4 gives it block groups of its own
 * (c/unpack.c open_root), which is why a fresh layer's dir is best left to it.
 */
export async function applyLayer(source: Readable | AsyncIterable<Buffer>, targetDir: string, opts: ApplyLayerOptions): Promise<LayerStats> {
  if (opts.format === 'overlay' && opts.unpacker !== 'node') return applyInHelper(source, targetDir, opts)
  mkdirSync(targetDir, { recursive: true, mode: 0o755 })
  const layer = new LayerWriter(targetDir.replace(/\/+$/, '') || '/', opts)
  for await (const entry of readTar(source, { name: `layer ${opts.layerName ?? targetDir}` })) {
    if (opts.mapName) {
      const name = opts.mapName(entry)
      if (name === undefined) continue
      // a hardlink names its target as the archive does: renamed alike
      const target = entry.type === 'hardlink' ? opts.mapName({ ...entry, name: entry.linkname }) : undefined
      if (entry.type === 'hardlink' && target === undefined) continue
      entry.name = name
      if (target !== undefined) entry.linkname = target
    }
    await layer.apply(entry)
  }
  layer.finish()
  return layer.stats
}

class LayerWriter {
  readonly stats: LayerStats = { entries: 0, bytes: 0, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, whiteouts: 0, opaques: 0, skipped: [] }
  private readonly label: string
  /**
   * Relative paths known to be real directories. Invariant: every ancestor of a member is a
   * member, so a hit for a whole parent path needs no walk. forget() keeps it true.
   */
  private realDirs = new Set<string>([''])
  private dirMeta = new Map<string, DirMeta>()
  /** vfs: what this layer created, so an opaque marker spares it whatever the entry order. */
  private added = new Set<string>()
  private opaqueDirs: string[] = []

  constructor(
    private readonly root: string,
    private readonly opts: ApplyLayerOptions,
  ) {
    this.label = `layer ${opts.layerName ?? root}`
  }

  private unsafe(name: string, why: string): CockerError {
    return layerError('LAYER_UNSAFE', this.label, name, why)
  }

  private invalid(name: string, why: string): CockerError {
    return layerError('LAYER_INVALID', this.label, name, why)
  }

  /** Lexical normalisation; the components of a path inside the root. */
  private components(name: string, entry: string): string[] {
    if (name.includes('\0')) throw this.invalid(entry, 'name contains a NUL byte')
    const out: string[] = []
    for (const c of name.split('/')) {
      if (c === '' || c === '.') continue
      if (c === '..') {
        if (out.length === 0) throw this.unsafe(entry, `'${name}' points outside the layer`)
        out.pop()
      } else out.push(c)
    }
    return out
  }

  private abs(rel: string): string {
    return rel ? `${this.root}/${rel}` : this.root
  }

  /** The real directory (relative to root) that `parts` name, symlinks resolved inside root; created when missing. */
  private resolveDir(parts: string[], entry: string): string {
    const direct = parts.join('/')
    if (this.realDirs.has(direct)) return direct
    let cur: string[] = []
    const todo = parts.slice()
    let links = 0
    while (todo.length) {
      const c = todo.shift()!
      if (c === '' || c === '.') continue
      if (c === '..') {
        cur.pop() // never above the root: securejoin semantics
        continue
      }
      const rel = cur.length ? `${cur.join('/')}/${c}` : c
      if (!this.realDirs.has(rel)) {
        const st = lstatSync(this.abs(rel), { throwIfNoEntry: false })
        if (st === undefined) {
          mkdirSync(this.abs(rel), 0o755)
          this.markAdded(rel)
        } else if (st.isSymbolicLink()) {
          if (++links > MAX_SYMLINKS) throw this.unsafe(entry, 'too many levels of symbolic links in its path')
          const target = readlinkSync(this.abs(rel))
          if (target.startsWith('/')) cur = []
          todo.unshift(...target.split('/'))
          continue
        } else if (!st.isDirectory()) {
          throw this.invalid(entry, `'${rel}' in its path is not a directory`)
        }
        this.realDirs.add(rel)
      }
      cur.push(c)
    }
    return cur.join('/')
  }

  /** Drops what we know about rel and everything below it: it is about to stop being a directory. */
  private forget(rel: string): void {
    const prefix = rel ? `${rel}/` : ''
    for (const set of [this.realDirs, this.dirMeta] as const) {
      for (const k of set.keys()) if (k === rel || k.startsWith(prefix)) set.delete(k)
    }
    this.realDirs.add('')
  }

  /** Removes whatever is at rel (not following a symlink there). */
  private clear(rel: string, st: Stats): void {
    if (st.isDirectory()) {
      this.forget(rel)
      rmSync(this.abs(rel), { recursive: true, force: true })
    } else unlinkSync(this.abs(rel))
  }

  private markAdded(rel: string): void {
    if (this.opts.format === 'vfs') this.added.add(rel)
  }

  private checkIds(e: TarEntry): void {
    const limit = this.opts.idLimit
    if (!limit) return
    for (const [kind, id, max] of [['uid', e.uid, limit.uid], ['gid', e.gid, limit.gid]] as const) {
      if (id >= max) throw idError(this.label, e, { kind, id, max })
    }
  }

  private unmapped(e: TarEntry, err: unknown): unknown {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') return err
    return idError(this.label, e, undefined, err)
  }

  async apply(e: TarEntry): Promise<void> {
    this.stats.entries++
    if (this.opts.owner) Object.assign(e, this.opts.owner)
    if (this.opts.mapOwner) [e.uid, e.gid] = this.opts.mapOwner(e.uid, e.gid)
    const parts = this.components(e.name, e.name)
    if (parts.length === 0) {
      if (e.type === 'dir') this.dirMeta.set('', meta(e))
      return
    }
    const base = parts.pop()!
    const parent = this.resolveDir(parts, e.name)
    const rel = parent ? `${parent}/${base}` : base
    if (base.startsWith(WHITEOUT) && this.opts.format !== 'plain') return this.whiteout(e, parent, base)
    this.checkIds(e)
    const abs = this.abs(rel)
    const existing = lstatSync(abs, { throwIfNoEntry: false })
    this.markAdded(rel)

    switch (e.type) {
      case 'dir':
        this.stats.dirs++
        if (!existing?.isDirectory()) {
          if (existing) this.clear(rel, existing)
          mkdirSync(abs, 0o700) // the real mode at the end: a read-only dir must still take its children
        }
        this.realDirs.add(rel)
        this.dirMeta.set(rel, meta(e))
        this.xattrs(e, abs)
        return
      case 'file': {
        this.stats.files++
        if (existing) this.clear(rel, existing)
        const fd = openSync(abs, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        try {
          for await (const chunk of e.body()) {
            for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off)
          }
          this.stats.bytes += e.size
          try {
            fchownSync(fd, e.uid, e.gid)
          } catch (err) {
            throw this.unmapped(e, err)
          }
          fchmodSync(fd, e.mode) // after chown, which clears setuid and setgid
          this.xattrs(e, abs) // after chown too, which clears security.capability
          futimesSync(fd, e.atime ?? e.mtime, e.mtime)
        } finally {
          closeSync(fd)
        }
        return
      }
      case 'symlink':
        this.stats.symlinks++
        if (existing) this.clear(rel, existing)
        symlinkSync(e.linkname, abs)
        this.owner(e, abs)
        this.xattrs(e, abs)
        lutimesSync(abs, e.atime ?? e.mtime, e.mtime)
        return
      case 'hardlink': {
        this.stats.hardlinks++
        const target = this.linkTarget(e)
        if (target === rel) return
        if (existing) this.clear(rel, existing)
        linkSync(this.abs(target), abs)
        return
      }
      case 'fifo':
      case 'char':
      case 'block': {
        this.stats.specials++
        if (existing) this.clear(rel, existing)
        const type = e.type === 'fifo' ? S_IFIFO : e.type === 'char' ? S_IFCHR : S_IFBLK
        try {
          mknod(abs, type | 0o600, e.devmajor, e.devminor)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EPERM' || e.type === 'fifo') throw err
          this.stats.skipped.push({ name: e.name, what: 'device', reason: `device nodes cannot be created rootless (${e.type} ${e.devmajor}:${e.devminor})` })
          return
        }
        this.owner(e, abs)
        chmodSync(abs, e.mode) // by path, but mknod just made it: not a symlink; opening a device is worse
        lutimesSync(abs, e.atime ?? e.mtime, e.mtime)
        this.xattrs(e, abs)
        return
      }
    }
  }

  private owner(e: TarEntry, abs: string): void {
    try {
      lchownSync(abs, e.uid, e.gid)
    } catch (err) {
      throw this.unmapped(e, err)
    }
  }

  /** A hardlink's target, inside the root and not reached through any symlink. */
  private linkTarget(e: TarEntry): string {
    const parts = this.components(e.linkname, e.name)
    if (parts.length === 0) throw this.invalid(e.name, 'hardlink to the layer root')
    let rel = ''
    for (let i = 0; i < parts.length; i++) {
      rel = rel ? `${rel}/${parts[i]}` : parts[i]!
      const last = i === parts.length - 1
      if (!last && this.realDirs.has(rel)) continue
      const st = lstatSync(this.abs(rel), { throwIfNoEntry: false })
      if (!st) throw this.invalid(e.name, `hardlink target '${e.linkname}' does not exist in this layer`)
      if (last) {
        if (st.isDirectory()) throw this.invalid(e.name, `hardlink target '${e.linkname}' is a directory`)
      } else if (st.isSymbolicLink()) {
        throw this.unsafe(e.name, `hardlink target '${e.linkname}' is reached through the symlink '${rel}'`)
      } else if (!st.isDirectory()) {
        throw this.invalid(e.name, `hardlink target '${e.linkname}': '${rel}' is not a directory`)
      }
    }
    return rel
  }

  private whiteout(e: TarEntry, parent: string, base: string): void {
    if (base === OPAQUE) {
      this.stats.opaques++
      if (this.opts.format === 'vfs') this.opaqueDirs.push(parent)
      else lsetxattr(this.abs(parent), `${this.opts.xattrNamespace}.overlay.opaque`, Buffer.from('y'))
      return
    }
    if (base.startsWith(OPAQUE.slice(0, 8))) return // .wh..wh.* other than opq: aufs bookkeeping, meaningless here
    this.stats.whiteouts++
    const name = base.slice(WHITEOUT.length)
    if (name === '' || name === '.' || name === '..') throw this.unsafe(e.name, `whiteout of '${name}' is not a file name`)
    const rel = parent ? `${parent}/${name}` : name
    const existing = lstatSync(this.abs(rel), { throwIfNoEntry: false })
    if (existing) this.clear(rel, existing)
    if (this.opts.format === 'vfs') {
      this.added.delete(rel)
      return
    }
    this.checkIds(e)
    mknod(this.abs(rel), S_IFCHR, 0, 0) // allowed in a user namespace since Linux 5.8
    this.owner(e, this.abs(rel))
  }

  private xattrs(e: TarEntry, abs: string): void {
    for (const [name, value] of Object.entries(e.xattrs)) {
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) {
        this.stats.skipped.push({ name: e.name, what: 'xattr', reason: `xattr ${name}: overlay xattrs in a layer are ignored` })
        continue
      }
      try {
        lsetxattr(abs, name, value)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
        this.stats.skipped.push({ name: e.name, what: 'xattr', reason: `xattr ${name}: ${code}` })
      }
    }
  }

  finish(): void {
    if (this.opaqueDirs.length) this.applyOpaques()
    // Deepest first: setting a child's times touches nothing above, but creating it did.
    const dirs = [...this.dirMeta.entries()].sort((a, b) => depth(b[0]) - depth(a[0]))
    for (const [rel, m] of dirs) {
      let fd: number
      try {
        fd = openSync(this.abs(rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') continue // removed by a later entry
        throw err
      }
      try {
        fchownSync(fd, m.uid, m.gid)
        fchmodSync(fd, m.mode)
        futimesSync(fd, m.atime, m.mtime)
      } finally {
        closeSync(fd)
      }
    }
  }

  /** vfs: empties each opaque directory of all that this layer did not add. */
  private applyOpaques(): void {
    const keep = new Set<string>()
    for (const rel of this.added) {
      for (let p = rel; p && !keep.has(p); p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) keep.add(p)
    }
    const prune = (dir: string) => {
      for (const d of readdirSync(this.abs(dir), { withFileTypes: true })) {
        const rel = dir ? `${dir}/${d.name}` : d.name
        if (!keep.has(rel)) {
          if (d.isDirectory()) this.forget(rel)
          rmSync(this.abs(rel), { recursive: true, force: true })
        } else if (d.isDirectory()) prune(rel)
      }
    }
    for (const dir of new Set(this.opaqueDirs)) prune(dir)
  }
}

function meta(e: TarEntry): DirMeta {
  return { mode: e.mode, uid: e.uid, gid: e.gid, atime: e.atime ?? e.mtime, mtime: e.mtime }
}

function depth(rel: string): number {
  let n = rel ? 1 : 0
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) n++
  return n
}

const LAYER_HINTS = {
  LAYER_UNSAFE: 'the image is malformed or malicious; nothing was written outside the layer, do not use this image',
  LAYER_INVALID: 'the image is malformed; rebuild or re-push it',
}

function layerError(code: keyof typeof LAYER_HINTS, label: string, name: string, why: string): CockerError {
  return new CockerError(code, `${label}: ${name}: ${why}`, { hint: LAYER_HINTS[code] })
}

/** An owner the user namespace cannot have: past the mapped ids (limit), or refused by chown (EINVAL). */
function idError(label: string, e: { name: string; uid: number; gid: number }, limit?: { kind: string; id: number; max: number }, cause?: unknown): CockerError {
  const why = limit ? `is owned by ${limit.kind} ${limit.id}, outside the ${limit.max} ids mapped for you`
    : `is owned by ${e.uid}:${e.gid}, which is not mapped in this user namespace`
  return new CockerError('LAYER_ID_UNMAPPED', `${label}: ${e.name} ${why}`, {
    hint: 'add a larger range for you to /etc/subuid and /etc/subgid',
    ...(cause ? { cause } : {}),
  })
}

/** One line of `cocker-helper unpack`'s output (c/unpack.c). */
export type UnpackLine =
  | ({ event: 'skipped' } & SkippedEntry)
  | ({ event: 'stats' } & Omit<LayerStats, 'skipped'>)
  | { event: 'error'; code: string; entry?: string; kind?: string; message?: string; uid?: number; gid?: number; id?: number; max?: number; syscall?: string; errno?: number }

/** The 'overlay' format in C: the tar stream into `cocker-helper unpack` on its stdin. */
async function applyInHelper(source: Readable | AsyncIterable<Buffer>, targetDir: string, opts: ApplyLayerOptions): Promise<LayerStats> {
  const limit = opts.idLimit
  const child = childProcess().spawn(helperPath(),
    ['unpack', targetDir, opts.xattrNamespace, String(limit?.uid ?? 0), String(limit?.gid ?? 0)],
    { stdio: ['pipe', 'pipe', 'inherit'] })
  // a helper that stopped early (it refused the layer) stops the source too
  const exited = new Promise<number | null>(resolve => child.on('close', code => {
    child.stdin!.destroy()
    resolve(code)
  }))
  const spawned = new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject))
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  let fed: unknown
  try {
    await spawned
    await pipeline(source, child.stdin!)
  } catch (err) {
    fed = err
  }
  const code = await exited
  const lines = out.split('\n').filter(Boolean).map(l => JSON.parse(l) as UnpackLine)
  const label = `layer ${opts.layerName ?? targetDir}`
  const failure = lines.find(l => l.event === 'error')
  // the source's own failure (a download cut off) explains the truncated stream the helper saw
  if (fed && !isPipeGone(fed)) throw fed
  if (failure?.event === 'error') throw helperFailure(failure, label, targetDir)
  const stats = lines.find(l => l.event === 'stats')
  if (fed || code !== 0 || stats?.event !== 'stats') {
    throw new CockerError('HELPER_DIED', `${label}: the unpacker (${helperPath()} unpack) ended with status ${code} without a result`, { cause: fed })
  }
  const { event: _, ...counts } = stats
  return { ...counts, skipped: lines.flatMap(l => (l.event === 'skipped' ? [{ name: l.name, what: l.what, reason: l.reason }] : [])) }
}

function isPipeGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED'
}

export function helperFailure(f: Extract<UnpackLine, { event: 'error' }>, label: string, targetDir: string): Error {
  const entry = f.entry ?? ''
  switch (f.code) {
    case 'LAYER_UNSAFE':
    case 'LAYER_INVALID':
      return layerError(f.code, label, entry, f.message ?? '')
    case 'LAYER_ID_UNMAPPED':
      return idError(label, { name: entry, uid: f.uid!, gid: f.gid! }, f.kind ? { kind: f.kind, id: f.id!, max: f.max! } : undefined)
    case 'ARCHIVE_INVALID':
      return new CockerError('ARCHIVE_INVALID', `${label}: ${f.message}`, f.kind && ARCHIVE_HINTS[f.kind] ? { hint: ARCHIVE_HINTS[f.kind] } : {})
    default: {
      // a system call failed: an error as node's own fs calls give
      const name = f.errno ? getSystemErrorName(-f.errno) : 'EIO'
      const where = entry.startsWith('/') ? entry : `${targetDir}/${entry}`
      return Object.assign(new Error(`${name}: ${f.message}, ${f.syscall} '${where}'`), { code: name, errno: -(f.errno ?? 5), syscall: f.syscall, path: where })
    }
  }
}
