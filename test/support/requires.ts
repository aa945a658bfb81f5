import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { wrapForUser } from './exec.js'
import { repoPath, RUNTIME_BIN } from './paths.js'
import { isRoot, rootlessUser, rootlessUserWithoutSubids, type RootlessUser } from './rootless.js'

export { isRoot }

/**
 * Capability probes for gating tests, and the skip marker that test/run.ts
 * counts. A test that cannot run says so and returns (STYLE §4.7):
 *
 *   if (skipUnless(hasUserns(), 'runs busybox rootless', 'no user namespaces')) return
 */
export function skipUnless(cond: boolean, name: string, reason: string): boolean {
  if (!cond) console.log(`# SKIP ${name}: ${reason}`)
  return !cond
}

/** The rootless user, or undefined after printing the skip marker with the reason. */
export function rootlessOrSkip(name: string): RootlessUser | undefined {
  const probe = rootlessUser()
  if (probe.user) return probe.user
  skipUnless(false, name, `no rootless user: ${probe.reason}`)
  return undefined
}

const usernsCache = new Map<number, boolean>()

/** Whether `user` (default: us) can create a user namespace. */
export function hasUserns(user?: RootlessUser): boolean {
  const key = user?.uid ?? process.getuid!()
  let ok = usernsCache.get(key)
  if (ok === undefined) {
    const { argv, env } = wrapForUser(['unshare', '-U', 'true'], user)
    ok = spawnSync(argv[0]!, argv.slice(1), { env, stdio: 'ignore', timeout: 10_000 }).status === 0
    usernsCache.set(key, ok)
  }
  return ok
}

/** `cmd` as found on PATH (plus the sbin dirs a non-login root shell may lack), or undefined. */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin']
  for (const dir of dirs) {
    if (!dir) continue
    const p = path.join(dir, cmd)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/** newuidmap and newgidmap (Debian: uidmap) are installed. */
export function hasNewuidmap(): boolean {
  return which('newuidmap') !== undefined && which('newgidmap') !== undefined
}

/** 'v2' (unified), 'hybrid' (v1 controllers plus a cgroup2 mount), 'v1', or 'none'. */
export function cgroupLayout(): 'v2' | 'hybrid' | 'v1' | 'none' {
  let v1 = false
  let v2 = false
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // Fields after " - " are: fstype source superoptions.
    const fstype = line.split(' - ')[1]?.split(' ')[0]
    const mountpoint = line.split(' ')[4] ?? ''
    if (!mountpoint.startsWith('/sys/fs/cgroup')) continue
    if (fstype === 'cgroup2') {
      if (mountpoint === '/sys/fs/cgroup') return 'v2'
      v2 = true
    } else if (fstype === 'cgroup') {
      v1 = true
    }
  }
  return v1 ? (v2 ? 'hybrid' : 'v1') : v2 ? 'v2' : 'none'
}

/**
 * The one host condition known to stop crun (PEERS.md): on a hybrid host whose cgroup2
 * mount holds controllers, crun refuses every container. Why, or undefined.
 */
export function crunRefusesHost(): string | undefined {
  if (cgroupLayout() !== 'hybrid') return undefined
  const controllers = readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim()
  return controllers ? `crun refuses hybrid cgroup hosts whose cgroup2 mount holds controllers (${controllers}); .ci/run mounts hugetlb as v1` : undefined
}

/** "0666 root:root" style, or "missing". */
export function deviceMode(dev: string): string {
  try {
    const st = statSync(dev)
    return `${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${st.uid}:${st.gid}`
  } catch {
    return 'missing'
  }
}

function readTrim(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return 'unreadable'
  }
}

function subidLine(file: string, name: string): string {
  try {
    const line = readFileSync(file, 'utf8').split('\n').find(l => l.startsWith(`${name}:`))
    return line ? line.slice(name.length + 1) : 'none'
  } catch {
    return 'none'
  }
}

function withoutSubids(): string {
  const probe = rootlessUserWithoutSubids()
  return `rootless user without subordinate ids: ${probe.user ? `${probe.user.name} uid ${probe.user.uid}` : `not ready: ${probe.reason}`}`
}

/** One line per probe, for the top of a test log: why tests skip shows there. */
export function probeReport(): string[] {
  const root = isRoot()
  const probe = rootlessUser()
  const u = probe.user
  const cgroup = cgroupLayout()
  const cgroup2Dir = cgroup === 'hybrid' ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup'
  const controllers =
    cgroup === 'v2' || cgroup === 'hybrid'
      ? ` (cgroup2 controllers: ${readTrim(path.join(cgroup2Dir, 'cgroup.controllers')) || 'none'})`
      : ''
  return [
    `root: ${root ? 'yes' : `no (uid ${process.getuid!()})`}`,
    `kernel: ${os.release()}, max_user_namespaces ${readTrim('/proc/sys/user/max_user_namespaces')}`,
    `userns: ${hasUserns() ? 'yes' : 'no'} for us` + (u && u.uid !== process.getuid!() ? `, ${hasUserns(u) ? 'yes' : 'no'} for ${u.name}` : ''),
    `newuidmap/newgidmap: ${which('newuidmap') ?? 'missing'} ${which('newgidmap') ?? 'missing'}`,
    u
      ? `rootless user: ${u.name} uid ${u.uid} gid ${u.gid}, subuid ${subidLine('/etc/subuid', u.name)}, subgid ${subidLine('/etc/subgid', u.name)}, XDG_RUNTIME_DIR ${u.env.XDG_RUNTIME_DIR ?? 'unset'}`
      : `rootless user: not ready: ${probe.reason}`,
    withoutSubids(),
    `cgroup: ${cgroup}${controllers}`,
    `/dev/net/tun: ${deviceMode('/dev/net/tun')}, /dev/fuse: ${deviceMode('/dev/fuse')}`,
    `binaries: bin/cocker-runtime ${existsSync(RUNTIME_BIN) ? 'present' : 'missing'}, c/cocker-helper ${existsSync(repoPath('c/cocker-helper')) ? 'present' : 'missing'}, c/tests/fixture-init ${existsSync(repoPath('c/tests/fixture-init')) ? 'present' : 'missing'}, busybox ${which('busybox') ?? 'missing'}`,
  ]
}

/** Why the OCI runtime `runtime` (crun, runc) cannot run containers here, or undefined. */
export function ociRuntimeMissing(runtime: string): string | undefined {
  if (!which(runtime)) return `${runtime} is not installed (apt-get install ${runtime})`
  return runtime === 'crun' ? crunRefusesHost() : undefined
}
