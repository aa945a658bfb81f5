// A Debian root filesystem with systemd as /sbin/init, for the systemd-mode tests: made once
// by debootstrap (through the Debian archive or its apt proxy), tarred, and kept outside the
// repository between runs (COCKER_TEST_CACHE, default /var/cache/cocker-test). The first
// build takes minutes. Its /etc/machine-id is removed, as Debian's container images have none,
// so that each container gets its own.
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { runCmd } from './exec.js'
import { isRoot, which } from './requires.js'

export const DEBIAN_SUITE = 'bookworm'
const MIRROR = 'http://deb.debian.org/debian'

export function cacheDir(): string {
  return process.env.COCKER_TEST_CACHE || '/var/cache/cocker-test'
}

/** The cached tarball's path (it may not exist yet). */
export function debianSystemdTarball(): string {
  return path.join(cacheDir(), `debian-${DEBIAN_SUITE}-systemd.tar`)
}

/**
 * The tarball, built first when missing; or { missing: why } when it cannot be (not root, no
 * debootstrap, the archive unreachable). A build killed halfway leaves only a temp dir, which
 * the next build removes: the tarball appears by rename, whole.
 */
export async function ensureDebianSystemdTarball(timeoutMs = 360_000): Promise<{ tarball: string } | { missing: string }> {
  const tarball = debianSystemdTarball()
  if (existsSync(tarball)) return { tarball }
  if (!isRoot()) return { missing: `no ${tarball}, and building it (debootstrap) needs root` }
  if (!which('debootstrap')) return { missing: 'debootstrap is not installed (apt-get install debootstrap)' }
  const dir = cacheDir()
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  chmodSync(dir, 0o755) // the rootless test user imports from here
  const tree = path.join(dir, `build-${DEBIAN_SUITE}-systemd`)
  rmSync(tree, { recursive: true, force: true })
  const built = await runCmd(['debootstrap', '--variant=minbase', '--include=systemd,systemd-sysv', DEBIAN_SUITE, tree, MIRROR],
    { timeoutMs })
  if (built.status !== 0) {
    rmSync(tree, { recursive: true, force: true })
    const last = `${built.stdout}${built.stderr}`.trim().split('\n').slice(-3).join(' / ')
    const why = built.signal === 'SIGKILL' ? `took over ${timeoutMs / 1000} s` : `failed (status ${built.status})`
    return { missing: `debootstrap ${why}: ${last}` }
  }
  rmSync(path.join(tree, 'etc/machine-id'), { force: true })
  // the device nodes debootstrap makes would stop a rootless import; the runtime gives /dev
  for (const entry of ['dev', 'proc', 'sys']) {
    rmSync(path.join(tree, entry), { recursive: true, force: true })
    mkdirSync(path.join(tree, entry), { mode: 0o755 })
  }
  const partial = `${tarball}.${process.pid}.partial`
  await runCmd(['tar', '--numeric-owner', '-C', tree, '-cf', partial, '.'], { status: 0, timeoutMs: 300_000 })
  chmodSync(partial, 0o644)
  renameSync(partial, tarball)
  rmSync(tree, { recursive: true, force: true })
  return { tarball }
}
