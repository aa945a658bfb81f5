/**
 * Copies a directory tree as it is: owners, modes (setuid included), xattrs, hardlinks,
 * symlinks, fifos and device nodes, and access and modification times. The vfs driver
 * makes each layer and each container's root this way.
 *
 * Owners can only be kept where they are mapped: rootless, run this inside the user
 * namespace (pull already runs there; `run` re-executes lib/cli/copy-tree-main.js there).
 * Order per file matters: chown clears setuid bits and security.capability, so it comes
 * before chmod and the xattrs; a directory's times are set after its content is written.
 * Regular files are copied with FICLONE where the filesystem can share their blocks.
 * With a `shift`, each owner is changed on the way (the ID-shifted copies of
 * mapped-layers.ts); ids the shift does not name keep their number.
 */
import { chmodSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmdirSync, symlinkSync, type Stats } from 'node:fs'
import path from 'node:path'
import type { IdMapping } from '../runtime/oci-spec.js'
import { lgetxattr, llistxattr, lsetxattr, mknod } from '../sys/libc.js'

export interface CopyTreeStats {
  files: number
  dirs: number
  symlinks: number
  hardlinks: number
  specials: number
  bytes: number
  /** What could not be copied as it is, and why (a device node or xattr the kernel refuses here). */
  skipped: { path: string; reason: string }[]
}

const { S_IFMT, S_IFCHR, S_IFBLK, S_IFSOCK } = constants

/** New owners for old ones: an id in a mapping's [containerID, +size) becomes hostID + the offset. */
export interface IdShift {
  uid: IdMapping[]
  gid: IdMapping[]
}

export function shiftId(maps: readonly IdMapping[], id: number): number {
  const m = maps.find(m => id >= m.containerID && id < m.containerID + m.size)
  return m ? m.hostID + id - m.containerID : id
}

/** shiftId's inverse: the container's id of a shifted one. */
export function unshiftId(maps: readonly IdMapping[], id: number): number {
  const m = maps.find(m => id >= m.hostID && id < m.hostID + m.size)
  return m ? m.containerID + id - m.hostID : id
}

/** Copies the content of `src` into `dst`, which must exist (empty); `dst` gets `src`'s owner, mode and times too. */
export function copyTree(src: string, dst: string, shift?: IdShift): CopyTreeStats {
  const c = copier(dst, shift, false)
  const copyDir = (from: string, to: string) => {
    for (const name of readdirSync(from)) {
      const s = path.join(from, name)
      const d = path.join(to, name)
      const st = lstatSync(s)
      if (!st.isDirectory()) {
        c.copyEntry(s, d, st)
        continue
      }
      mkdirSync(d, { mode: 0o700 })
      copyDir(s, d)
      c.finish(s, d, st)
      c.stats.dirs++
    }
  }
  copyDir(src, dst)
  c.finish(src, dst, lstatSync(src))
  return c.stats
}

/**
 * One entry of a union of layers (top first) as overlayfs shows it: the directories that
 * merge into a directory (down to an opaque one), else the topmost non-directory; whiteouts
 * (0/0 character devices) hide what lies below them.
 */
type UnionEntry = { kind: 'dir'; dirs: string[]; st: Stats } | { kind: 'other'; path: string; st: Stats } | undefined

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0

function isOpaque(dir: string): boolean {
  return ['trusted.overlay.opaque', 'user.overlay.opaque'].some(n => {
    try {
      return lgetxattr(dir, n)?.toString() === 'y'
    } catch {
      return false // unreadable from outside the user namespace: what it hides, the copy there will see
    }
  })
}

function unionChild(dirs: readonly string[], name: string): UnionEntry {
  const merged: string[] = []
  let top: Stats | undefined
  for (const d of dirs) {
    const p = path.join(d, name)
    let st: Stats
    try {
      st = lstatSync(p)
    } catch {
      continue
    }
    if (isWhiteout(st)) break
    if (!st.isDirectory()) {
      if (!merged.length) return { kind: 'other', path: p, st }
      break // a file below a directory is hidden by it
    }
    merged.push(p)
    top ??= st
    // only a lower layer can be hidden: no xattr read (nor koffi) for the bottom one
    if (d !== dirs[dirs.length - 1] && isOpaque(p)) break
  }
  return merged.length ? { kind: 'dir', dirs: merged, st: top! } : undefined
}

const MAX_SYMLINKS = 40

/**
 * The directory at `rel` in the union of `layers` (top first), symlinks on the way resolved
 * inside the union as if it were `/` (securejoin semantics): its merged dirs, or undefined when
 * it is missing or not a directory.
 */
export function unionDir(layers: readonly string[], rel: string): { dirs: string[]; st: Stats } | undefined {
  let todo = rel.split('/').filter(p => p && p !== '.')
  let cur: string[] = []
  let dirs: string[] = [...layers]
  let st = lstatSync(layers[0]!)
  for (let links = 0; todo.length;) {
    const c = todo.shift()!
    if (c === '..') {
      cur.pop()
      ;({ dirs, st } = unionDir(layers, cur.join('/')) ?? { dirs: [], st })
      continue
    }
    const e = unionChild(dirs, c)
    if (!e) return undefined
    if (e.kind === 'dir') {
      cur.push(c)
      dirs = e.dirs
      st = e.st
      continue
    }
    if (!e.st.isSymbolicLink() || ++links > MAX_SYMLINKS) return undefined
    const target = readlinkSync(e.path)
    todo = [...target.split('/').filter(p => p && p !== '.'), ...todo]
    if (target.startsWith('/')) cur = []
    ;({ dirs, st } = unionDir(layers, cur.join('/')) ?? { dirs: [], st })
    if (!dirs.length) return undefined
  }
  return { dirs, st }
}

/**
 * Copies the directory at `rel` of the union of `layers` (top first) into `dst` (which must
 * exist, empty) as the container sees it: a volume's copy-up. `dst` gets the directory's owner,
 * mode and times. Overlay's own xattrs stay behind. Returns undefined when there is no
 * directory at `rel`.
 */
export function copyUnion(layers: readonly string[], rel: string, dst: string, shift?: IdShift): CopyTreeStats | undefined {
  const root = unionDir(layers, rel)
  if (!root) return undefined
  const c = copier(dst, shift, true)
  const copyDir = (from: readonly string[], to: string) => {
    const seen = new Set<string>()
    for (const dir of from) {
      for (const name of readdirSync(dir)) {
        if (seen.has(name)) continue
        seen.add(name)
        const e = unionChild(from, name)
        if (!e) continue
        const d = path.join(to, name)
        if (e.kind === 'other') {
          c.copyEntry(e.path, d, e.st)
          continue
        }
        mkdirSync(d, { mode: 0o700 })
        copyDir(e.dirs, d)
        c.finish(e.dirs[0]!, d, e.st)
        c.stats.dirs++
      }
    }
  }
  copyDir(root.dirs, dst)
  c.finish(root.dirs[0]!, dst, root.st)
  return c.stats
}

/** A volume's copy-up: the image's directory `rel` of `layers` (top first) into the volume's empty `data`. */
export interface CopyUpJob {
  layers: string[]
  rel: string
  data: string
  /** A fresh path on data's filesystem (the store's tmp/): the copy is made there, then moved in. */
  staging: string
  /** Owners changed on the way, as copyTree's. */
  shift?: IdShift
}

/**
 * Copies the image's directory into the volume: made whole in `staging`, then its entries
 * renamed into `data`, which takes the directory's owner, mode and times. Does nothing when
 * the image has no directory there.
 */
export function copyUp(job: CopyUpJob): void {
  mkdirSync(job.staging, { mode: 0o700 })
  if (!copyUnion(job.layers, job.rel, job.staging, job.shift)) {
    rmdirSync(job.staging)
    return
  }
  // its times before the moves out of it change them
  const st = lstatSync(job.staging)
  for (const name of readdirSync(job.staging)) renameSync(path.join(job.staging, name), path.join(job.data, name))
  lchownSync(job.data, st.uid, st.gid)
  chmodSync(job.data, st.mode & 0o7777)
  lutimesSync(job.data, st.atimeMs / 1000, st.mtimeMs / 1000)
  rmdirSync(job.staging)
}

/** Gives every file of the tree `dir` to `uid`:`gid` (a volume's U option); symlinks themselves. */
export function chownTree(dir: string, uid: number, gid: number): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name)
    if (lstatSync(p).isDirectory()) chownTree(p, uid, gid)
    else lchownSync(p, uid, gid)
  }
  lchownSync(dir, uid, gid)
}

/** What copyTree and copyUnion share: one entry copied, the metadata set after the content. */
function copier(dst: string, shift: IdShift | undefined, union: boolean) {
  const stats: CopyTreeStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, bytes: 0, skipped: [] }
  const inodes = new Map<string, string>()
  const skip = (p: string, reason: string) => stats.skipped.push({ path: path.relative(dst, p) || '.', reason })

  function copyEntry(s: string, d: string, st: Stats): void {
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`
      const first = inodes.get(key)
      if (first) {
        linkSync(first, d)
        stats.hardlinks++
        return
      }
      inodes.set(key, d)
    }
    if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(s), d)
      stats.symlinks++
    } else if (st.isFile()) {
      copyFileSync(s, d, constants.COPYFILE_FICLONE)
      stats.files++
      stats.bytes += st.size
    } else {
      const type = st.mode & S_IFMT
      if (type === S_IFSOCK) {
        skip(d, 'a socket')
        return
      }
      try {
        mknod(d, type | (st.mode & 0o7777), major(st.rdev), minor(st.rdev))
      } catch (err) {
        if ((type === S_IFCHR || type === S_IFBLK) && (err as NodeJS.ErrnoException).code === 'EPERM') {
          skip(d, 'device nodes cannot be made in a user namespace')
          return
        }
        throw err
      }
      stats.specials++
    }
    finish(s, d, st)
  }

  function finish(from: string, to: string, st: Stats): void {
    lchownSync(to, shift ? shiftId(shift.uid, st.uid) : st.uid, shift ? shiftId(shift.gid, st.gid) : st.gid)
    if (!st.isSymbolicLink()) chmodSync(to, st.mode & 0o7777)
    for (const name of llistxattr(from)) {
      // the union's own markers (opaque directories) mean nothing outside it
      if (union && /^(trusted|user)\.overlay\./.test(name)) continue
      const value = lgetxattr(from, name)
      if (value === undefined) continue
      try {
        lsetxattr(to, name, value)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
        skip(to, `xattr ${name}: ${code}`)
      }
    }
    lutimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000)
  }

  return { stats, copyEntry, finish }
}

function major(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn))
}

function minor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn))
}
