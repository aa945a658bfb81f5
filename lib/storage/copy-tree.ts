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
import { chmodSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, type Stats } from 'node:fs'
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
  const stats: CopyTreeStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, bytes: 0, skipped: [] }
  const inodes = new Map<string, string>()
  const skip = (p: string, reason: string) => stats.skipped.push({ path: path.relative(dst, p) || '.', reason })

  const copyDir = (from: string, to: string) => {
    for (const name of readdirSync(from)) {
      const s = path.join(from, name)
      const d = path.join(to, name)
      const st = lstatSync(s)
      if (st.isDirectory()) {
        mkdirSync(d, { mode: 0o700 })
        copyDir(s, d)
        finish(s, d, st)
        stats.dirs++
        continue
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`
        const first = inodes.get(key)
        if (first) {
          linkSync(first, d)
          stats.hardlinks++
          continue
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
          continue
        }
        try {
          mknod(d, type | (st.mode & 0o7777), major(st.rdev), minor(st.rdev))
        } catch (err) {
          if ((type === S_IFCHR || type === S_IFBLK) && (err as NodeJS.ErrnoException).code === 'EPERM') {
            skip(d, 'device nodes cannot be made in a user namespace')
            continue
          }
          throw err
        }
        stats.specials++
      }
      finish(s, d, st)
    }
  }

  copyDir(src, dst)
  finish(src, dst, lstatSync(src))
  return stats

  function finish(from: string, to: string, st: Stats): void {
    lchownSync(to, shift ? shiftId(shift.uid, st.uid) : st.uid, shift ? shiftId(shift.gid, st.gid) : st.gid)
    if (!st.isSymbolicLink()) chmodSync(to, st.mode & 0o7777)
    for (const name of llistxattr(from)) {
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
}

function major(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn))
}

function minor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn))
}
