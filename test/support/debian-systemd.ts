// A Debian root filesystem with systemd as /sbin/init, for the systemd-mode tests, built once
// by debian-systemd.sh (debootstrap, through the Debian archive or its apt proxy) and kept
// outside the repository between runs (COCKER_TEST_CACHE, default /var/cache/cocker-test).
// The build takes minutes, more than a test file's budget allows on a busy machine: it runs
// in a process group of its own, which outlives the test file that started it, and the next
// run finds the tarball. .ci/run starts it early for the same reason.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { repoPath } from './paths.js'
import { isRoot, which } from './requires.js'

export const DEBIAN_SUITE = 'bookworm'

export function cacheDir(): string {
  return process.env.COCKER_TEST_CACHE || '/var/cache/cocker-test'
}

/** The cached tarball's path (it may not exist yet). */
export function debianSystemdTarball(): string {
  return path.join(cacheDir(), `debian-${DEBIAN_SUITE}-systemd.tar`)
}

/**
 * The tarball, waiting up to `waitMs` for a build (started here when none runs; a running one
 * holds the script's lock); or { missing: why }: not root, no debootstrap, the build failed,
 * or it is still going (it then finishes for the next run).
 */
export async function ensureDebianSystemdTarball(waitMs = 420_000): Promise<{ tarball: string } | { missing: string }> {
  const tarball = debianSystemdTarball()
  if (existsSync(tarball)) return { tarball }
  if (!isRoot()) return { missing: `no ${tarball}, and building it (debootstrap) needs root` }
  if (!which('debootstrap')) return { missing: 'debootstrap is not installed (apt-get install debootstrap)' }
  const child = spawn('bash', [repoPath('test/support/debian-systemd.sh'), cacheDir()], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString() })
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  child.unref()
  const status = await Promise.race([exited, new Promise<'waiting'>(resolve => setTimeout(() => resolve('waiting'), waitMs).unref())])
  if (existsSync(tarball)) return { tarball }
  if (status === 'waiting') {
    child.stderr!.destroy() // the build goes on without us
    const log = path.join(cacheDir(), 'build.log')
    const last = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').at(-1) : ''
    return { missing: `the image is still being built after ${waitMs / 1000} s (debootstrap: "${last}"); it is kept for the next run` }
  }
  return { missing: `building ${tarball} failed (status ${status}): ${stderr.trim().split('\n').join(' / ')}` }
}
