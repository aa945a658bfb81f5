// Podman's environment inside the container, root and rootless, with Podman 4.3 as the oracle
// where it runs here: /run/.containerenv and container=podman, the /dev symlinks, the mount
// table (no host-only mount, such as a hybrid host's /sys/fs/cgroup/unified), --privileged
// (capabilities, devices, a /dev of its own) and --init (PID 1 that reaps and forwards signals).
import { copyFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hostDevices } from '../../lib/spec/host.js'
import { modeDir } from '../support/cocker-modes.js'
import { formatArgv, runCmd, type RunResult } from '../support/exec.js'
import { cleanupPodman, podmanOrSkip, podmanRun } from '../support/podman.js'
import { repoPath } from '../support/paths.js'
import { stageForRootless } from '../support/rootless.js'
import { busyboxScenario, capField, runSh, startRun, type BusyboxMode } from '../support/run-scenario.js'

const VERSION = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version

/** The same `run --rm FLAGS IMAGE sh -c SCRIPT` by Podman in this mode, or undefined (it says why) where Podman cannot run. */
async function podmanSh(mode: BusyboxMode, title: string, flags: string[], script: string, status = 0): Promise<RunResult | undefined> {
  const pe = await podmanOrSkip(mode.name, `${title} (${mode.name}): the comparison with Podman`)
  if (!pe) return undefined
  // compared with cocker's --network none (podmanRun adds it rootless); root's default is none in both
  const none = mode.name === 'root' ? ['--network', 'none'] : []
  return podmanRun(pe, ['--rm', ...none, ...flags, mode.image, 'sh', '-c', script], { status })
}

/** The init as this mode's user can reach it: the checkout's as root, the staged copy's rootless. */
const initBinary = (mode: BusyboxMode) => path.join(mode.user ? stageForRootless() : repoPath(''), 'c/cocker-init')

const ENV_PROBE = 'hostname; cat /run/.containerenv; echo ---; env | grep ^container= || true'

const title1 = '/run/.containerenv: empty, and with --privileged Podman\'s keys naming cocker; container=podman'
busyboxScenario(title1, async mode => {
  assert.is((await runSh(mode, [], ENV_PROBE)).stdout.replace(/^.*\n/, ''), '---\ncontainer=podman\n')
  const name = `tenv-${process.pid}`
  const r = await runSh(mode, ['--privileged', '--name', name], ENV_PROBE)
  const [hostname = '', ...env] = r.stdout.split('\n')
  const id = /^id="([0-9a-f]{64})"$/m.exec(r.stdout)?.[1] ?? ''
  assert.ok(id.startsWith(hostname), `id="…" is the container's, whose hostname is its first 12 characters:\n${r.stdout}`)
  const imageId = /^imageid="([0-9a-f]{64})"$/m.exec(r.stdout)?.[1]
  assert.ok(imageId, `imageid="…" is an image id:\n${r.stdout}`)
  const rootless = mode.name === 'rootless' ? 1 : 0
  assert.is(env.join('\n'), `engine="cocker-${VERSION}"\nname="${name}"\nid="${id}"\nimage="${mode.image}"\nimageid="${imageId}"\n` +
    `rootless=${rootless}\n---\ncontainer=podman\n`)

  // Podman: the same keys and values but for the engine and the container's id; the image is
  // the same archive, so the same image id
  const podmanDefault = await podmanSh(mode, title1, [], ENV_PROBE)
  if (!podmanDefault) return
  assert.is(podmanDefault.stdout.replace(/^.*\n/, ''), '---\ncontainer=podman\n')
  const podman = await podmanSh(mode, title1, ['--privileged', '--name', name], ENV_PROBE)
  const normalized = (out: string) => out.replace(/^.*\n/, '').replace(/^engine=".*"$/m, 'engine=E').replace(/^id=".*"$/m, 'id=ID')
  assert.is(normalized(r.stdout), normalized(podman!.stdout))
  assert.match(podman!.stdout, /^engine="podman-/m)
})

const LINKS_PROBE = 'for f in /dev/* /dev/.*; do if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; fi; done'

const title2 = '/dev holds the symlinks Podman\'s containers have: core, fd, stdin, stdout, stderr, ptmx'
busyboxScenario(title2, async mode => {
  const links = '/dev/core -> /proc/kcore\n/dev/fd -> /proc/self/fd\n/dev/ptmx -> pts/ptmx\n/dev/stderr -> /proc/self/fd/2\n' +
    '/dev/stdin -> /proc/self/fd/0\n/dev/stdout -> /proc/self/fd/1\n'
  for (const flags of [[], ['--privileged']]) {
    assert.is((await runSh(mode, flags, LINKS_PROBE)).stdout, links, flags.join(' '))
    const podman = await podmanSh(mode, title2, flags, LINKS_PROBE)
    if (podman) assert.is(podman.stdout, links, `Podman ${flags.join(' ')}`)
  }
})

const MOUNTS_PROBE = 'cut -d" " -f5 /proc/self/mountinfo | sort -u'

const title3 = 'the mount points are Podman\'s, and no host-only mount shows (a hybrid host\'s /sys/fs/cgroup/unified)'
busyboxScenario(title3, async mode => {
  for (const flags of [[], ['--privileged']]) {
    // the network Podman runs with here (podmanSh): none has no resolv.conf
    const points = (await runSh(mode, ['--network', 'none', ...flags], MOUNTS_PROBE)).stdout
    assert.not.match(points, /^\/sys\/fs\/cgroup\/unified$/m, `the host's cgroup2 mount is not the container's:\n${points}`)
    assert.not.match(points, /^\/run\/podman-init$/m)
    const podman = await podmanSh(mode, title3, flags, MOUNTS_PROBE)
    // Podman binds /dev/null and its like twice rootless with --privileged: sort -u makes that one
    if (podman) assert.is(points, podman.stdout, `the mount points of a container with ${flags.join(' ') || 'no flags'}`)
  }
})

/** The capabilities --privileged gives: the engine's own bounding set as root; rootless, every one of the kernel's. */
function engineCapabilities(mode: BusyboxMode): bigint {
  if (mode.name === 'root') return capField(readFileSync('/proc/self/status', 'utf8'), 'CapBnd')
  return (1n << BigInt(Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')) + 1)) - 1n
}

const PRIVILEGED_PROBE = [
  'grep -E "^Cap(Bnd|Eff|Prm):" /proc/self/status',
  'echo ---',
  'find /dev -path /dev/pts -prune -o \\( -type c -o -type b \\) -print | sort',
  'echo ---',
  'grep -E "^[^ ]+ /dev(/shm)? " /proc/mounts | cut -d" " -f1-3',
].join('\n')

const title4 = '--privileged: the engine\'s capabilities and the host\'s devices as Podman gives them, in a /dev of its own'
busyboxScenario(title4, async mode => {
  const r = await runSh(mode, ['--privileged'], PRIVILEGED_PROBE)
  const [caps = '', devices = '', mounts = ''] = r.stdout.split('---\n')
  const mask = engineCapabilities(mode).toString(16).padStart(16, '0')
  assert.is(caps, `CapPrm:\t${mask}\nCapEff:\t${mask}\nCapBnd:\t${mask}\n`)
  // the host's, but the console and ptmx (the runtime's) and, rootless, the host's consoles and serial lines
  const host = hostDevices().map(d => d.path)
    .filter(p => p !== '/dev/console' && p !== '/dev/ptmx' && !(mode.user && /^\/dev\/tty./.test(p)))
  assert.is(devices, [...host].sort().map(p => `${p}\n`).join(''))
  assert.ok(host.includes('/dev/kmsg'), 'the default /dev has no /dev/kmsg, so the check above can fail')
  // never the host's /dev (devtmpfs) nor its shared memory
  assert.is(mounts, 'tmpfs /dev tmpfs\nshm /dev/shm tmpfs\n')

  const podman = await podmanSh(mode, title4, ['--privileged'], PRIVILEGED_PROBE)
  if (podman) assert.is(r.stdout, podman.stdout, 'Podman gives the same capabilities, devices and /dev')
})

busyboxScenario('--privileged as root: each device has the host\'s type, numbers and mode', async mode => {
  const devices = hostDevices().map(d => d.path).filter(p => p !== '/dev/console' && p !== '/dev/ptmx')
  const stat = ['stat', '-c', '%n %F %t:%T %a', ...devices]
  const host = await runCmd(stat, { status: 0 })
  const r = await runSh(mode, ['--privileged'], formatArgv(stat))
  assert.is(r.stdout, host.stdout)
}, ['root'])

// --init: Podman 4.3 would use catatonit, which Debian does not install here; given cocker's
// init with --init-path, it shows where Podman binds an init and what argv it gives it
const CMDLINE_PROBE = 'tr "\\0" " " < /proc/1/cmdline; echo'

const title5 = '--init: PID 1 is the init at /run/podman-init, running the command after "--", as Podman'
busyboxScenario(title5, async mode => {
  const r = await runSh(mode, ['--init'], CMDLINE_PROBE)
  assert.is(r.stdout, `/run/podman-init -- sh -c ${CMDLINE_PROBE} \n`)
  const podman = await podmanSh(mode, title5, ['--init', '--init-path', initBinary(mode)], CMDLINE_PROBE)
  if (podman) assert.is(podman.stdout, r.stdout)
  // a read-only bind, as Podman's
  const mount = await runSh(mode, ['--init'], 'grep " /run/podman-init " /proc/mounts | cut -d" " -f4 | cut -d, -f1')
  assert.is(mount.stdout, 'ro\n')
})

busyboxScenario('--init passes the command\'s status through: its exit code, 128+N after signal N, 127 when missing', async mode => {
  await runSh(mode, ['--init'], 'exit 7', { status: 7 })
  await runSh(mode, ['--init'], 'kill -KILL $$', { status: 137 })
  const missing = await runSh(mode, ['--init'], 'exec /no/such/program', { status: 127 })
  assert.match(missing.stderr, /\/no\/such\/program/)
})

busyboxScenario('--init reaps the processes orphaned in the container: none is left a zombie', async mode => {
  // a child whose parent ends at once is reparented to PID 1, which alone can reap it; the
  // loop waits (at most 10 s) for it to be gone, and prints its state if it is not
  const script = [
    'sh -c "sleep 0.3 & echo \\$!" > /tmp/orphan',
    'p=$(cat /tmp/orphan); i=0',
    'while [ -e /proc/$p ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
    'if [ -e /proc/$p ]; then grep ^State: /proc/$p/status; else echo reaped; fi',
  ].join('\n')
  assert.is((await runSh(mode, ['--init'], script)).stdout, 'reaped\n')
})

busyboxScenario('--init forwards a signal sent to cocker run to the command, whose trap runs', async mode => {
  const run = startRun(mode, ['--init'], 'trap "echo got TERM; exit 3" TERM; echo ready;' +
    ' i=0; while [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done')
  await run.waitFor('ready\n')
  run.child.kill('SIGTERM')
  assert.is(await run.exited, 3, `exit status; stderr: ${run.output().err}`)
  assert.is(run.output().out, 'ready\ngot TERM\n')
})

busyboxScenario('--init-path: that init instead of cocker\'s; a missing one is one line and status 125', async mode => {
  const own = path.join(modeDir(mode), 'my-init')
  copyFileSync(initBinary(mode), own)
  const r = await runSh(mode, ['--init', '--init-path', own], CMDLINE_PROBE)
  assert.is(r.stdout, `/run/podman-init -- sh -c ${CMDLINE_PROBE} \n`)
  const missing = await runSh(mode, ['--init', '--init-path', '/no/such/init'], 'true', { status: 125 })
  assert.match(missing.stderr, /^Error: [^\n]*\/no\/such\/init[^\n]*\n$/)
})

test.after(cleanupPodman)
test.run()
