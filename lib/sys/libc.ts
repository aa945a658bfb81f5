/**
 * The few libc calls Node lacks, through koffi: flock for the store's locks, mknod for
 * overlay whiteouts and device nodes, the l*xattr family for opaque directories and the
 * xattrs a layer carries, and mount for the network namespaces of bridge networks. Loading
 * koffi costs ~90 ms, so this module is imported lazily, by heavy commands only (pull, load,
 * import, rmi...) and containers on a bridge network, never on a hot path.
 *
 * Every call throws a Node-style error (code 'EACCES', errno, syscall, path) so callers
 * handle it like an fs error.
 */
import { constants } from 'node:os'
import { packageRoot } from '../package-root.js'

interface Bindings {
  flock(fd: number, op: number): number
  mknod(path: string, mode: number, dev: bigint): number
  lsetxattr(path: string, name: string, value: Buffer, size: number, flags: number): number
  lgetxattr(path: string, name: string, value: Buffer | null, size: number): number
  llistxattr(path: string, list: Buffer | null, size: number): number
  mount(source: string, target: string, type: string | null, flags: number, data: string | null): number
  umount2(target: string, flags: number): number
  chroot(path: string): number
  prctl(option: number, a2: number, a3: number, a4: number, a5: number): number
  errno(): number
}

let bindings: Bindings | undefined

function libc(): Bindings {
  if (bindings) return bindings
  const koffi = loadKoffi()
  const lib = koffi.load('libc.so.6')
  bindings = {
    flock: lib.func('int flock(int fd, int op)'),
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
    llistxattr: lib.func('intptr_t llistxattr(const char *path, _Out_ char *list, size_t size)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    chroot: lib.func('int chroot(const char *path)'),
    prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    errno: () => koffi.errno(),
  }
  return bindings
}

/**
 * koffi, the FFI every native call here goes through. CommonJS with a native addon: a
 * require keeps esbuild's bundle loading it at run time, found from the package root (a
 * program started from a heap snapshot has no module URL to resolve from).
 */
export function loadKoffi(): any {
  // node:module taken here, not imported: the heap snapshot (tools/bundle.mjs) must not hold it
  return process.getBuiltinModule('node:module').createRequire(`${packageRoot()}package.json`)('koffi')
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]))

function check(ret: number | bigint, syscall: string, path?: string): number {
  const n = Number(ret)
  if (n >= 0) return n
  const errno = libc().errno()
  const code = errnoNames.get(errno) ?? `E${errno}`
  const err = new Error(`${code}: ${syscall} failed${path ? `, '${path}'` : ''}`) as NodeJS.ErrnoException
  Object.assign(err, { code, errno: -errno, syscall, path })
  throw err
}

export const LOCK_SH = 1
export const LOCK_EX = 2
export const LOCK_NB = 4
export const LOCK_UN = 8

/** flock(2). With LOCK_NB, returns false instead of waiting when the lock is held. */
export function flock(fd: number, op: number): boolean {
  const ret = libc().flock(fd, op)
  if (ret < 0 && op & LOCK_NB && libc().errno() === constants.errno.EWOULDBLOCK) return false
  check(ret, 'flock')
  return true
}

/** makedev(3) for Linux's encoding. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major)
  const mi = BigInt(minor)
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n)
}

/** mknod(2); `mode` includes the file type (S_IFCHR, S_IFBLK, S_IFIFO). */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(libc().mknod(path, mode, makedev(major, minor)), 'mknod', path)
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(libc().lsetxattr(path, name, value, value.length, 0), 'lsetxattr', path)
}

/** The value of one xattr, or undefined when the file has none of that name. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const b = libc()
  const size = Number(b.lgetxattr(path, name, null, 0))
  if (size < 0) {
    if (b.errno() === constants.errno.ENODATA) return undefined
    check(size, 'lgetxattr', path)
  }
  const buf = Buffer.alloc(size)
  return buf.subarray(0, check(b.lgetxattr(path, name, buf, size), 'lgetxattr', path))
}

export function llistxattr(path: string): string[] {
  const b = libc()
  const size = check(b.llistxattr(path, null, 0), 'llistxattr', path)
  if (size === 0) return []
  const buf = Buffer.alloc(size)
  const n = check(b.llistxattr(path, buf, size), 'llistxattr', path)
  return buf.subarray(0, n).toString('latin1').split('\0').filter(Boolean)
}

const MS_BIND = 0x1000
const MNT_DETACH = 2

/** mount(2) of `source` bound on `target` (a network namespace kept past its last process). */
export function bindMount(source: string, target: string): void {
  check(libc().mount(source, target, null, MS_BIND, null), 'mount', target)
}

/** umount2(2), lazily: whoever still holds the namespace keeps it, the name goes. */
export function unmountDetach(target: string): void {
  check(libc().umount2(target, MNT_DETACH), 'umount2', target)
}

/** chroot(2): every later path of the process resolves inside `dir`, `..` and absolute symlinks included. */
export function chroot(dir: string): void {
  check(libc().chroot(dir), 'chroot', dir)
}

const PR_SET_DUMPABLE = 4

/**
 * prctl(PR_SET_DUMPABLE, 0): /proc/self of this process belongs to root, so a process of the
 * container that could see it (--pid host) cannot ptrace it or open its mem or fds.
 */
export function setNotDumpable(): void {
  check(libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 'prctl', 'PR_SET_DUMPABLE')
}

const MS_NOSUID = 0x2
const MS_NODEV = 0x4

/**
 * A FUSE filesystem on `target` over the /dev/fuse fd `fd` (its daemon serves that fd after),
 * as the helper's fuse-overlay op mounts it: every user reaches it, the kernel checks modes.
 */
export function mountFuse(target: string, fd: number, type: string): void {
  const data = `fd=${fd},rootmode=40000,user_id=${process.geteuid!()},group_id=${process.getegid!()},allow_other,default_permissions`
  check(libc().mount(type, target, `fuse.${type}`, MS_NOSUID | MS_NODEV, data), 'mount', target)
}

/** An overlay on `target`; `data`'s relative lowerdirs are taken from `cwd`, where the mount is made. */
export function mountOverlay(target: string, data: string, cwd: string): void {
  const back = process.cwd()
  process.chdir(cwd)
  try {
    check(libc().mount('overlay', target, 'overlay', 0, data), 'mount', target)
  } finally {
    process.chdir(back)
  }
}
