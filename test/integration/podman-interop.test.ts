// Podman drives cocker-runtime through conmon, as root and rootless: `podman --runtime
// <cocker-runtime> run|exec|stop|rm|pause|unpause`. This is the runc command line as
// Podman 4.3 really uses it:
//
//   [--log-format=json --log <userdata>/oci-log] create --bundle <userdata> --pid-file <run>/pidfile
//       [--console-socket /tmp/conmon-term.XXXX] <id>
//   start <id>        exec --pid-file .. --process <file> --detach [--tty --console-socket ..] <id>
//   kill <id> 15|9    pause <id>    resume <id>    delete --force <id>
//
// Every mode gets its own storage, containers.conf and image, all under one temp dir that
// is removed at the end; see podmanEnv() for why each setting is there. The image is the
// host's static busybox (the busybox fixture's rootfs) brought in with `podman import`, so
// no registry or network is needed. Rootless runs go through the staged copy of the
// checkout (stageForRootless) with the test user's own XDG_RUNTIME_DIR under the temp dir.
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import { makeBusyboxBundle } from '../fixtures/busybox-bundle.js'
import { formatArgv, runCmd, type RunOptions, type RunResult } from '../support/exec.js'
import { safeName } from '../support/names.js'
import { RUNTIME_BIN } from '../support/paths.js'
import { hasNewuidmap, hasUserns, isRoot, rootlessOrSkip, skipUnless, which } from '../support/requires.js'
import { rootlessRuntimeBin, type RootlessUser } from '../support/rootless.js'

const IMAGE = 'localhost/cocker-busybox:latest'
const MODES = ['root', 'rootless'] as const
type ModeName = (typeof MODES)[number]

interface PodmanEnv {
  mode: ModeName
  user?: RootlessUser
  dir: string
  /** the cocker-runtime podman is given: the checkout's as root, the staged copy rootless */
  runtime: string
  env: Record<string, string>
  /** flags for `podman run`: rootless gets `--network none` (slirp4netns needs /dev/net/tun, mode 600 on some hosts) */
  runFlags: string[]
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
 */
async function podmanEnv(mode: ModeName, user: RootlessUser | undefined): Promise<PodmanEnv> {
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
      `runtime_supports_json = ["crun", "runc", "cocker-runtime"]\n`,
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

  // The image: the busybox fixture's rootfs as a one-layer tar.
  const bundle = makeBusyboxBundle(path.join(dir, 'bundle'))
  const tar = path.join(dir, 'busybox.tar')
  await runCmd(['tar', '-C', bundle.rootfs, '-cf', tar, '.'], { status: 0 })
  const pe: PodmanEnv = {
    mode,
    user,
    dir,
    runtime: user ? rootlessRuntimeBin() : RUNTIME_BIN,
    env,
    runFlags: user ? ['--network', 'none'] : [],
  }
  try {
    await podman(pe, ['import', tar, IMAGE], { status: 0, timeoutMs: 120_000 })
  } catch (e) {
    await cleanup(pe)
    throw e
  }
  return pe
}

function podman(pe: PodmanEnv, args: string[], opts: Omit<RunOptions, 'asUser' | 'env'> = {}): Promise<RunResult> {
  return runCmd(['podman', '--runtime', pe.runtime, ...args], { asUser: pe.user, env: pe.env, ...opts })
}

/** `podman run [--network none] ARGS`: the mode's run flags go before the image. */
function podmanRun(pe: PodmanEnv, args: string[], opts: Omit<RunOptions, 'asUser' | 'env'> = {}): Promise<RunResult> {
  return podman(pe, ['run', ...pe.runFlags, ...args], opts)
}

const envs = new Map<ModeName, Promise<PodmanEnv>>()

/** The mode's Podman setup (made once per file), or undefined after printing why it cannot run. */
async function envOrSkip(mode: ModeName, title: string): Promise<PodmanEnv | undefined> {
  const name = `${title} (${mode})`
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
    p = podmanEnv(mode, user)
    envs.set(mode, p)
  }
  return p
}

/** cocker-runtime's own view: the ids in its state dir (podman passes no --root). */
async function runtimeIds(pe: PodmanEnv): Promise<string[]> {
  const r = await runCmd([pe.runtime, 'list', '-q'], { asUser: pe.user, env: pe.env, status: 0 })
  return r.stdout.split('\n').filter(Boolean)
}

function modeTest(title: string, fn: (pe: PodmanEnv) => Promise<void>, modes: readonly ModeName[] = MODES): void {
  for (const mode of modes) {
    test(`${title} (${mode})`, async () => {
      const pe = await envOrSkip(mode, title)
      if (pe) await fn(pe)
    })
  }
}

modeTest('podman run --rm echo ok', async pe => {
  const r = await podmanRun(pe, ['--rm', IMAGE, 'echo', 'ok'], { status: 0 })
  assert.is(r.stdout, 'ok\n')
})

modeTest('podman run returns the exit status of the container', async pe => {
  await podmanRun(pe, ['--rm', IMAGE, 'sh', '-c', 'exit 3'], { status: 3 })
})

modeTest('podman run -d, exec, stop and rm', async pe => {
  const name = safeName()
  const id = (await podmanRun(pe, ['-d', '--name', name, IMAGE, 'sleep', '100'], { status: 0 })).stdout.trim()
  try {
    assert.match(id, /^[0-9a-f]{64}$/)
    assert.ok((await runtimeIds(pe)).includes(id), `cocker-runtime list shows ${id}`)
    assert.is((await podman(pe, ['exec', name, 'echo', 'hi'], { status: 0 })).stdout, 'hi\n')
    await podman(pe, ['exec', name, 'sh', '-c', 'exit 4'], { status: 4 })
    // sleep is PID 1 and has no SIGTERM handler, so it outlives SIGTERM (under runc too):
    // -t 2 has Podman send SIGKILL after 2 s instead of 10.
    await podman(pe, ['stop', '-t', '2', name], { status: 0 })
    assert.is((await podman(pe, ['inspect', '-f', '{{.State.Status}}', name], { status: 0 })).stdout.trim(), 'exited')
    await podman(pe, ['rm', name], { status: 0 })
    assert.not.ok((await runtimeIds(pe)).includes(id), `cocker-runtime list no longer shows ${id}`)
  } finally {
    await podman(pe, ['rm', '-f', '-t', '0', name])
  }
})

modeTest('podman run -t gets a terminal through the console socket', async pe => {
  if (skipUnless(!!which('script'), `podman run -t (${pe.mode})`, 'script (util-linux) is not installed')) return
  // script gives podman a terminal of its own; -e passes the exit status on.
  const cmd = formatArgv(['podman', '--runtime', pe.runtime, 'run', ...pe.runFlags, '--rm', '-t', IMAGE, 'sh', '-c', 'echo tty; tty'])
  const r = await runCmd(['script', '-qec', cmd, '/dev/null'], { asUser: pe.user, env: pe.env, status: 0 })
  assert.match(r.stdout, /^tty\r\n\/dev\/pts\/\d+\r\n/m)
})

modeTest(
  'podman pause and unpause',
  async pe => {
    const name = safeName()
    await podmanRun(pe, ['-d', '--name', name, IMAGE, 'sleep', '100'], { status: 0 })
    const status = async () => (await podman(pe, ['inspect', '-f', '{{.State.Status}}', name], { status: 0 })).stdout.trim()
    try {
      await podman(pe, ['pause', name], { status: 0 })
      assert.is(await status(), 'paused')
      await podman(pe, ['unpause', name], { status: 0 })
      assert.is(await status(), 'running')
      assert.is((await podman(pe, ['exec', name, 'echo', 'thawed'], { status: 0 })).stdout, 'thawed\n')
    } finally {
      await podman(pe, ['rm', '-f', '-t', '0', name])
    }
  },
  // Podman itself refuses to pause rootless containers on cgroup v1.
  ['root'],
)

/** Mount points at or below `dir` in our mount namespace, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map(l => l.split(' ')[4] ?? '')
    .filter(m => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length)
}

/** Removes the mode's containers, image, pause process, mounts and temp dir. */
async function cleanup(pe: PodmanEnv): Promise<void> {
  await podman(pe, ['rm', '-a', '-f', '-t', '0'])
  await podman(pe, ['rmi', '-a', '-f'])
  if (pe.user) {
    // Files of the container's other ids belong to subordinate ids: remove them from inside.
    if (!isRoot()) await podman(pe, ['unshare', 'rm', '-rf', path.join(pe.dir, 'graph')])
    // The rootless pause process holds Podman's user and mount namespaces; ours is the one
    // started with this mode's XDG_RUNTIME_DIR (where Podman records its pid varies by version).
    for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
      try {
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
        if (env.includes(`XDG_RUNTIME_DIR=${pe.env.XDG_RUNTIME_DIR}`) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'catatonit') {
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

// Self-contained at the end of the file: the setup above may move to test/support.
// With cocker-runtime in runtime_supports_json (see podmanEnv), conmon has it write its
// errors as JSON to a log file, where Podman reads the runtime's own message (without
// that, Podman shows the runtime's stderr, "cocker-runtime: " and all).
modeTest('podman shows cocker-runtime\'s own error message from its JSON log, and 127 for a command not found', async pe => {
  const r = await podmanRun(pe, ['--rm', IMAGE, '/no/such/program'])
  assert.is(r.status, 127, r.stderr)
  assert.is(r.stderr, `Error: ${pe.runtime}: exec: "/no/such/program": No such file or directory: OCI runtime attempted to invoke a command that was not found\n`)
})

test.after(async () => {
  for (const p of envs.values()) {
    // a failed setup cleaned up after itself, and its tests failed with the reason
    const pe = await p.catch(() => undefined)
    if (pe) await cleanup(pe)
  }
})

test.run()
