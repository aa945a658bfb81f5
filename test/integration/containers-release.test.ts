// The monitor's own clean-up (c/release.c): a container with nothing to follow its exit is
// released by its monitor, without a node start, and what it leaves (the exit file, read back
// through lib/container/record.ts) is what ps, inspect, wait, system check and rm go by; a
// kill -9 of the monitor at each step of it leaves a container they still agree on.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { externalStateDir } from '../../lib/container/engine.js'
import { containerDirOf, lockFile, readExitFile, recordFile } from '../../lib/container/record.js'
import { cocker, cockerScenario } from '../support/cocker-modes.js'
import { entries, eventually, monitorsOf, runtimeStateDirOf, withContainers } from '../support/containers.js'
import { runCmd } from '../support/exec.js'
import { cleanupPodman, podman, podmanOrSkip } from '../support/podman.js'
import { ociRuntimeMissing } from '../support/requires.js'

/** The cgroups the runtime's state file names for a container. */
const cgroupDirsOf = (stateDir: string): string[] => JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')).cgroupDirs

const states = async (mode: Parameters<typeof cocker>[0]) =>
  (await cocker(mode, ['ps', '-a', '--format', '{{.Names}} {{.State}}'], { status: 0 })).stdout.split('\n').filter(Boolean).sort()

// The containers here have --network none: the monitor releases a container itself only when
// nothing of node's follows its exit, and a bridge network's teardown (root's default) is node's.
cockerScenario('stop: the monitor releases a plain container itself (cgroups, runtime state, lock), and ps -a, inspect, wait, system check and rm agree', mode => withContainers(mode, async image => {
  const id = (await cocker(mode, ['run', '-d', '--name', 'plain', '--network', 'none', image, 'sleep', '1000'], { status: 0 })).stdout.trim()
  const stateDir = path.join(await runtimeStateDirOf(mode), id)
  const cgroups = cgroupDirsOf(stateDir)
  await cocker(mode, ['stop', '-t', '0', 'plain'], { status: 0 })
  // stop returns once the monitor is gone: by then it has released everything, and said so
  const dir = containerDirOf(mode.root, id)
  const exit = readExitFile(dir)
  assert.ok(exit)
  assert.equal({ ...exit, finishedAt: typeof exit.finishedAt }, { exitCode: 137, signal: 'KILL', finishedAt: 'string', cleanedUp: true })
  assert.not.ok(existsSync(stateDir), 'the runtime state is left')
  assert.equal(cgroups.filter(existsSync), [])
  assert.not.ok(existsSync(lockFile(dir)))
  assert.equal(await states(mode), ['plain exited'])
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}', 'plain'], { status: 0 })).stdout, 'exited 137 false\n')
  assert.is((await cocker(mode, ['wait', 'plain'], { status: 0 })).stdout, '137\n')
  assert.is((await cocker(mode, ['system', 'check'], { status: 0 })).stdout, '')
  // started again, its exit released again
  await cocker(mode, ['start', 'plain'], { status: 0 })
  assert.equal(await states(mode), ['plain running'])
  await cocker(mode, ['stop', '-t', '0', 'plain'], { status: 0 })
  assert.ok(readExitFile(dir)?.cleanedUp)
  assert.is((await cocker(mode, ['rm', 'plain'], { status: 0 })).stdout, 'plain\n')
  assert.equal(entries(path.join(mode.root, 'containers')), [])
}))

cockerScenario('a kill -9 of the monitor at each step of its release leaves a container that ps -a, system check and rm agree on', mode => withContainers(mode, async image => {
  const stateRoot = await runtimeStateDirOf(mode)
  for (const point of ['monitor:release-locked', 'monitor:release-cgroups', 'monitor:release-state']) {
    // the monitor has the environment of the run that started it
    const id = (await cocker(mode, ['run', '-d', '--name', 'k', '--network', 'none', image, 'sleep', '1000'], { status: 0, env: { _COCKER_CRASH_AT: point } })).stdout.trim()
    await cocker(mode, ['stop', '-t', '0', 'k'], { status: 0 })
    const dir = containerDirOf(mode.root, id)
    assert.is(readExitFile(dir)?.exitCode, 137, point)
    assert.not.ok(readExitFile(dir)?.cleanedUp, `${point}: the monitor was not killed there`)
    assert.equal(await states(mode), ['k exited'], point)
    assert.is((await cocker(mode, ['system', 'check'], { status: 0 })).stdout, `Cleaned up container ${id}: its monitor was gone\n`, point)
    assert.not.ok(existsSync(path.join(stateRoot, id)), `${point}: the runtime state is left`)
    assert.not.ok(existsSync(lockFile(dir)), `${point}: the dead monitor's lock is left`)
    assert.is((await cocker(mode, ['system', 'check'], { status: 0 })).stdout, '', point)
    assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'k'], { status: 0 })).stdout, 'exited 137\n', point)
    await cocker(mode, ['rm', 'k'], { status: 0 })
  }
  assert.equal(entries(path.join(mode.root, 'containers')), [])
}))

cockerScenario('a detached container the kernel kills for memory: its monitor records OOMKilled', mode => withContainers(mode, async image => {
  const id = (await cocker(mode, ['run', '-d', '--name', 'hog', '--network', 'none', '--memory', '16m', image, 'tail', '/dev/zero'], { status: 0 })).stdout.trim()
  assert.is((await cocker(mode, ['wait', 'hog'], { status: 0 })).stdout, '137\n')
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog'], { status: 0 })).stdout, 'true 137\n')
  const exit = readExitFile(containerDirOf(mode.root, id))
  assert.equal([exit?.oomKilled, exit?.cleanedUp], [true, true])
}), ['root']) // rootless on cgroup v1 has no memory limit to hit

cockerScenario('20 parallel run -d, then rm -f of them all, the monitors releasing their containers: no leaked process, mount, cgroup, directory, lock or record', mode => withContainers(mode, async image => {
  const script = `for i in $(seq 1 20); do "$1" --root "$2" run -d --name p$i "$3" sleep 1000 || echo "run $i failed: $?" & done; wait`
  const ids = (await runCmd(['sh', '-c', script, 'sh', mode.bin, mode.root, image], { asUser: mode.user, status: 0, timeoutMs: 180_000 })).stdout.split('\n').filter(Boolean)
  assert.is(ids.length, 20, ids.join('\n'))
  const stateRoot = await runtimeStateDirOf(mode)
  const cgroups = ids.flatMap(id => cgroupDirsOf(path.join(stateRoot, id)))
  const names = Array.from({ length: 20 }, (_, i) => `p${i + 1}`)
  assert.is((await cocker(mode, ['rm', '-f', '-t', '0', ...names], { status: 0, timeoutMs: 180_000 })).stdout.split('\n').filter(Boolean).length, 20)
  assert.equal(entries(path.join(mode.root, 'containers')), [])
  assert.equal(entries(path.join(mode.root, 'container-names')), [])
  assert.equal(entries(path.join(mode.root, 'tmp')).filter(e => e.startsWith('container-')), [])
  assert.equal(await monitorsOf(mode), [])
  assert.equal(ids.filter(id => existsSync(path.join(stateRoot, id))), [])
  assert.equal(cgroups.filter(existsSync), [])
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), mode.root)
  const procs = await runCmd(['sh', '-c', 'ps -eo args | grep -F "$1" | grep -v grep; true', 'sh', mode.root])
  assert.is(procs.stdout, '')
}))

for (const runtime of ['crun', 'runc']) {
  cockerScenario(`--runtime ${runtime}: system check --repair removes what the runtime holds of a container whose record was lost`, mode => withContainers(mode, async image => {
    const id = (await cocker(mode, ['run', '-d', '--runtime', runtime, '--name', 'lost', image, 'sleep', '1000'], { status: 0 })).stdout.trim()
    const state = path.join(externalStateDir(await runtimeStateDirOf(mode), runtime), id)
    assert.ok(existsSync(state), state)
    rmSync(recordFile(containerDirOf(mode.root, id)))
    const check = await cocker(mode, ['system', 'check', '--repair', '--max', '0s'], { status: 0 })
    assert.match(check.stdout, `Deleted damaged container: ${id}\n`)
    assert.not.ok(existsSync(state), `${runtime}'s state is left`)
    // its init killed, the monitor ends with it
    await eventually('the monitor to end', async () => (await monitorsOf(mode)).length === 0)
    assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
    await cocker(mode, ['run', '-d', '--runtime', runtime, '--name', 'lost', image, 'true'], { status: 0 })
  }), undefined, ociRuntimeMissing(runtime))
}

for (const runtime of ['crun', 'runc']) {
  cockerScenario(`--runtime ${runtime}: exec of a missing command prints one line, as Podman does, and 127; a started exec's stderr comes through`, mode => withContainers(mode, async image => {
    await cocker(mode, ['run', '-d', '--runtime', runtime, '--name', 'ex', image, 'sleep', '1000'], { status: 0 })
    const missing = await cocker(mode, ['exec', 'ex', 'nosuch'], { status: 127 })
    assert.match(missing.stderr, new RegExp(`^Error: ${runtime}: [^\n]*nosuch[^\n]*: OCI runtime attempted to invoke a command that was not found\n$`))
    const started = await cocker(mode, ['exec', 'ex', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { status: 3 })
    assert.equal([started.stdout, started.stderr], ['out\n', 'err\n'])
    if (runtime !== 'crun') return
    const pe = await podmanOrSkip(mode.name, `podman --runtime crun exec CT nosuch (${mode.name})`)
    if (!pe) return
    await podman(pe, ['--runtime', 'crun', 'run', ...pe.runFlags, '-d', '--name', 'ex', image, 'sleep', '1000'], { status: 0 })
    const oracle = await podman(pe, ['exec', 'ex', 'nosuch'], { status: 127 })
    await podman(pe, ['rm', '-f', '-t', '0', 'ex'])
    assert.is(missing.stderr, oracle.stderr)
  }), undefined, ociRuntimeMissing(runtime))
}

test.after(cleanupPodman)
test.run()
