// Podman 4.3 as a test oracle, root and rootless, on a setup of its own that leaves the
// host's Podman alone: storage, containers.conf, runtime dir and the busybox fixture image
// (FIXTURE_IMAGE, the one `loadBusybox` gives cocker) under one temp dir that cleanup()
// removes. See podmanEnv() for why each setting is there, and /work/shared/PEERS.md.
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { makeTempDir } from '../fixtures/bundle.js'
import { runCmd, type RunOptions, type RunResult } from './exec.js'
import { fixtureOciArchive } from './image-fixture.js'
import { RUNTIME_BIN } from './paths.js'
import { hasNewuidmap, hasUserns, isRoot, rootlessOrSkip, skipUnless, which } from './requires.js'
import { rootlessRuntimeBin, type RootlessUser } from './rootless.js'

export const PODMAN_MODES = ['root', 'rootless'] as const
export type PodmanModeName = (typeof PODMAN_MODES)[number]

export interface PodmanEnv {
  mode: PodmanModeName
  user?: RootlessUser
  dir: string
  /** `podman` and its global flags: `--runtime <cocker-runtime>` when Podman drives cocker's runtime */
  argv: string[]
  /** the cocker-runtime Podman is given, if any: the checkout's as root, the staged copy rootless */
  runtime?: string
  env: Record<string, string>
  /** flags for `podman run`: rootless gets `--network none` (slirp4netns needs /dev/net/tun, mode 600 on some hosts) */
  runFlags: string[]
}

export interface PodmanSetup {
  /** Run containers with cocker-runtime instead of Podman's default runtime (crun on Debian). */
  cockerRuntime?: boolean
  /**
   * network_backend = "netavark": root Podman 4.3 takes CNI where a CNI config exists (Debian
   * ships 87-podman-bridge.conflist without the plugins), and cannot then publish a port.
   */
  netavark?: boolean
}

/** The user's hard limit for `what` ("Max open files", "Max processes"), capped at what Podman would ask. */
async function hardLimit(what: string, user?: RootlessUser): Promise<number> {
  const r = await runCmd(['cat', '/proc/self/limits'], { asUser: user, status: 0 })
  const hard = r.stdout.split('\n').find(l => l.startsWith(what))?.slice(what.length).trim().split(/\s+/)[1]
  if (hard === undefined) throw new Error(`no "${what}" in /proc/self/limits:\n${r.stdout}`)
  return hard === 'unlimited' ? 1048576 : Math.min(Number(hard), 1048576)
}

/**
 * A private Podman setup for one mode:
 *  - containers.conf (CONTAINERS_CONF):
 *    default_ulimits at the caller's hard limits: Podman asks for nofile/nproc 1048576 and
 *      setrlimit fails for a root without CAP_SYS_RESOURCE (runc fails the same way);
 *    cgroup_manager = "cgroupfs": there may be no systemd (Debian's libpod.conf says systemd);
 *    events_logger = "file": there may be no journald;
 *    runtime_supports_json = [.., "cocker-runtime"]: Podman matches the runtime by basename,
 *      and only then has conmon pass `--log <file> --log-format=json`, so a failing create is
 *      reported with cocker-runtime's own message;
 *    tmp_dir under the temp dir, so root's /run/libpod is not shared with the host's Podman.
 *  - storage.conf (CONTAINERS_STORAGE_CONF): driver overlay (rootless would pick vfs and
 *    record it), graphroot/runroot under the temp dir; rootless Podman reads graphroot from
 *    rootless_storage_path and puts runroot under XDG_RUNTIME_DIR.
 *  - rootless: XDG_RUNTIME_DIR = <dir>/xdg (0700, the user's): Podman's runroot, its pause
 *    process and cocker-runtime's default --root then belong to this test alone.
 *  - the image: the busybox fixture's oci-archive, `podman load`ed as FIXTURE_IMAGE.
 */
async function podmanEnv(mode: PodmanModeName, user: RootlessUser | undefined, setup: PodmanSetup): Promise<PodmanEnv> {
  const dir = makeTempDir('cocker-podman-')
  const owned = (p: string, dirMode = 0o755) => {
    mkdirSync(p, { recursive: true, mode: dirMode })
    if (user && isRoot()) chownSync(p, user.uid, user.gid)
    return p
  }
  const nofile = await hardLimit('Max open files', user)
  // Podman lowers its own RLIMIT_NPROC to 32768, and conmon and the runtime inherit that.
  const nproc = Math.min(await hardLimit('Max processes', user), 32768)
  const graph = owned(path.join(dir, 'graph'))
  const run = owned(path.join(dir, 'run'))
  const tmp = owned(path.join(dir, 'tmp'))
  writeFileSync(
    path.join(dir, 'containers.conf'),
    `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]\n` +
      `[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\ntmp_dir = "${tmp}"\n` +
      `runtime_supports_json = ["crun", "runc", "cocker-runtime"]\n` +
      (setup.netavark ? '[network]\nnetwork_backend = "netavark"\n' : ''),
  )
  writeFileSync(
    path.join(dir, 'storage.conf'),
    `[storage]\ndriver = "overlay"\ngraphroot = "${graph}"\nrunroot = "${run}"\n` +
      (user ? `rootless_storage_path = "${graph}"\n` : ''),
  )
  const env: Record<string, string> = {
    CONTAINERS_CONF: path.join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
  }
  if (user) env.XDG_RUNTIME_DIR = owned(path.join(dir, 'xdg'), 0o700)
  const runtime = setup.cockerRuntime ? (user ? rootlessRuntimeBin() : RUNTIME_BIN) : undefined
  const pe: PodmanEnv = {
    mode,
    user,
    dir,
    argv: ['podman', ...(runtime ? ['--runtime', runtime] : [])],
    ...(runtime ? { runtime } : {}),
    env,
    runFlags: user ? ['--network', 'none'] : [],
  }
  try {
    await podman(pe, ['load', '-q', '-i', fixtureOciArchive()], { status: 0, timeoutMs: 120_000 })
  } catch (e) {
    await cleanup(pe)
    throw e
  }
  return pe
}

/** `podman [--runtime R] ARGS` as the mode's user, in the mode's setup. */
export function podman(pe: PodmanEnv, args: string[], opts: Omit<RunOptions, 'asUser' | 'env'> = {}): Promise<RunResult> {
  return runCmd([...pe.argv, ...args], { asUser: pe.user, env: pe.env, timeoutMs: 120_000, ...opts })
}

/** `podman run [--network none] ARGS`: the mode's run flags go before the image. */
export function podmanRun(pe: PodmanEnv, args: string[], opts: Omit<RunOptions, 'asUser' | 'env'> = {}): Promise<RunResult> {
  return podman(pe, ['run', ...pe.runFlags, ...args], opts)
}

const envs = new Map<PodmanModeName, Promise<PodmanEnv>>()

/**
 * The mode's Podman setup, made once per test file (the first call's `setup` holds), or
 * undefined after printing why it cannot run. End the file with `test.after(cleanupPodman)`.
 */
export async function podmanOrSkip(mode: PodmanModeName, name: string, setup: PodmanSetup = {}): Promise<PodmanEnv | undefined> {
  if (skipUnless(!!which('podman'), name, 'podman is not installed')) return undefined
  if (skipUnless(!!which('conmon'), name, 'conmon is not installed')) return undefined
  if (skipUnless(!!which('busybox'), name, 'busybox is not installed (apt-get install busybox-static)')) return undefined
  let user: RootlessUser | undefined
  if (mode === 'root') {
    if (skipUnless(isRoot(), name, 'needs root')) return undefined
  } else {
    user = rootlessOrSkip(name)
    if (!user) return undefined
    if (skipUnless(hasUserns(user), name, `${user.name} cannot create user namespaces`)) return undefined
    if (skipUnless(hasNewuidmap(), name, 'newuidmap/newgidmap are missing (apt-get install uidmap)')) return undefined
    const subuid = readFileSync('/etc/subuid', 'utf8').split('\n').some(l => l.startsWith(`${user!.name}:`))
    if (skipUnless(subuid, name, `${user.name} has no range in /etc/subuid`)) return undefined
  }
  let p = envs.get(mode)
  if (!p) {
    p = podmanEnv(mode, user, setup)
    envs.set(mode, p)
  }
  return p
}

/** Mount points at or below `dir` in our mount namespace, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map(l => l.split(' ')[4] ?? '')
    .filter(m => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length)
}

const PAUSE_NAMES = ['catatonit', 'podman pause']

/** Removes the setup's containers, image, pause process, mounts and temp dir. */
async function cleanup(pe: PodmanEnv): Promise<void> {
  await podman(pe, ['rm', '-a', '-f', '-t', '0'])
  await podman(pe, ['rmi', '-a', '-f'])
  if (pe.user) {
    // Files of the container's other ids belong to subordinate ids: remove them from inside.
    if (!isRoot()) await podman(pe, ['unshare', 'rm', '-rf', path.join(pe.dir, 'graph')])
    // The rootless pause process holds Podman's user and mount namespaces; ours is the one
    // started with this mode's XDG_RUNTIME_DIR (where Podman records its pid varies by version).
    // It is catatonit where that is installed; Podman 4.3 without it runs itself, "podman pause".
    for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
      try {
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
        if (env.includes(`XDG_RUNTIME_DIR=${pe.env.XDG_RUNTIME_DIR}`) && PAUSE_NAMES.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) {
          process.kill(Number(pid), 'SIGKILL')
        }
      } catch {
        // gone, or not ours to read
      }
    }
  }
  // root's overlay driver bind-mounts its home onto itself
  for (const m of mountsUnder(pe.dir)) await runCmd(['umount', '-l', m])
  rmSync(pe.dir, { recursive: true, force: true })
}

/** Removes every setup this file made: for `test.after`. */
export async function cleanupPodman(): Promise<void> {
  for (const p of envs.values()) {
    // a failed setup cleaned up after itself, and its tests failed with the reason
    const pe = await p.catch(() => undefined)
    if (pe) await cleanup(pe)
  }
  envs.clear()
}
