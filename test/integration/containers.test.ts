// Containers that outlive the command: run -d, logs, exec, stop, start, kill, rm, wait, restart
// policies and health checks through bin/cocker, as root and rootless, each asserted on what a
// user sees (output, exit statuses) and on what must not be left behind (processes, files).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { cocker, cockerScenario, spawnCocker, type CockerMode } from '../support/cocker-modes.js'
import { crashAt, entries, eventually, withContainers } from '../support/containers.js'
import { runCmd } from '../support/exec.js'

const ID = /^[0-9a-f]{64}\n$/

cockerScenario('run -d: the container runs on, logs, takes exec, stops, starts again and is removed', mode => withContainers(mode, async image => {
  const run = await cocker(mode, ['run', '-d', '--name', 'web', image, 'sh', '-c', 'echo hello; echo oops >&2; exec sleep 1000'], { status: 0 })
  assert.match(run.stdout, ID)
  await eventually('the log', async () => (await cocker(mode, ['logs', 'web'])).stdout === 'hello\n')
  const logs = await cocker(mode, ['logs', 'web'], { status: 0 })
  assert.equal([logs.stdout, logs.stderr], ['hello\n', 'oops\n'])
  assert.is((await cocker(mode, ['exec', 'web', 'echo', 'inside'], { status: 0 })).stdout, 'inside\n')
  await cocker(mode, ['exec', 'web', 'sh', '-c', 'exit 7'], { status: 7 })
  const missing = await cocker(mode, ['exec', 'web', 'no-such-command'], { status: 127 })
  assert.match(missing.stderr, /no-such-command/)
  const running = await cocker(mode, ['rm', 'web'], { status: 2 })
  assert.match(running.stderr, /^Error: cannot remove container [0-9a-f]{64} as it is running/)
  // sleep as PID 1 ignores SIGTERM: the stop signal, then SIGKILL after the timeout
  const stop = await cocker(mode, ['stop', '-t', '1', 'web'], { status: 0 })
  assert.is(stop.stdout, 'web\n')
  assert.match(stop.stderr, /resorting to SIGKILL/)
  assert.is((await cocker(mode, ['wait', 'web'], { status: 0 })).stdout, '137\n')
  await cocker(mode, ['exec', 'web', 'true'], { status: 125 })
  assert.is((await cocker(mode, ['start', 'web'], { status: 0 })).stdout, 'web\n')
  await eventually('the second run\'s log', async () => (await cocker(mode, ['logs', 'web'])).stdout === 'hello\nhello\n')
  assert.is((await cocker(mode, ['kill', 'web'], { status: 0 })).stdout, 'web\n')
  assert.is((await cocker(mode, ['wait', 'web'], { status: 0 })).stdout, '137\n')
  assert.is((await cocker(mode, ['rm', 'web'], { status: 0 })).stdout, 'web\n')
  const gone = await cocker(mode, ['rm', 'web'], { status: 1 })
  assert.is(gone.stderr, 'Error: no container with name or ID "web" found: no such container\n')
  assert.equal(entries(path.join(mode.root, 'containers')), [])
}))

cockerScenario('run in the foreground: its status is ours, the container stays without --rm and goes with it', mode => withContainers(mode, async image => {
  const r = await cocker(mode, ['run', '--name', 'fg', image, 'sh', '-c', 'echo out; echo err >&2; exit 3'], { status: 3 })
  assert.equal([r.stdout, r.stderr], ['out\n', 'err\n'])
  assert.is((await cocker(mode, ['logs', 'fg'], { status: 0 })).stdout, 'out\n')
  assert.is((await cocker(mode, ['wait', 'fg'], { status: 0 })).stdout, '3\n')
  const taken = await cocker(mode, ['run', '--name', 'fg', image, 'true'], { status: 125 })
  assert.match(taken.stderr, /^Error: the container name "fg" is already in use/)
  await cocker(mode, ['run', '--replace', '--name', 'fg', image, 'true'], { status: 0 })
  await cocker(mode, ['rm', 'fg'], { status: 0 })
  await cocker(mode, ['run', '--rm', image, 'true'], { status: 0 })
  await cocker(mode, ['run', '--rm', image, 'no-such-command'], { status: 127 })
  assert.equal(entries(path.join(mode.root, 'containers')), [])
  assert.equal(entries(path.join(mode.root, 'container-names')), [])
}))

cockerScenario('a foreground run takes the helper bin/cocker started beside node, and node never loads node:child_process', mode => withContainers(mode, async image => {
  // a preload (readable by the rootless user) that names, at exit, the builtins node loaded
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cocker-it-preload-'))
  chmodSync(dir, 0o755)
  try {
    const preload = path.join(dir, 'builtins.cjs')
    writeFileSync(preload, "process.on('exit', () => require('fs').writeSync(2, 'builtins: ' + process.moduleLoadList.filter(m => m.startsWith('NativeModule ')).join(',') + '\\n'))\n", { mode: 0o644 })
    const env = { NODE_OPTIONS: `--require ${preload}` }
    // a network of its own is connected by a program node starts (pasta, netavark): none here
    const r = await cocker(mode, ['run', '--rm', '--network', 'none', image, 'sh', '-c', 'echo out; exit 5'], { status: 5, env })
    assert.is(r.stdout, 'out\n')
    assert.match(r.stderr, /^builtins: .*NativeModule fs/)
    assert.not.match(r.stderr, /child_process/)
    // -d spawns its monitor itself: the preload sees it
    const d = await cocker(mode, ['run', '-d', image, 'true'], { status: 0, env })
    assert.match(d.stderr, /NativeModule child_process/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}))

cockerScenario('create, then start -a: the output comes to the terminal and the status back', mode => withContainers(mode, async image => {
  const id = (await cocker(mode, ['create', '--name', 'later', image, 'sh', '-c', 'echo started; exit 4'], { status: 0 })).stdout
  assert.match(id, ID)
  assert.is((await cocker(mode, ['logs', 'later'], { status: 0 })).stdout, '')
  const r = await cocker(mode, ['start', '-a', 'later'], { status: 4 })
  assert.is(r.stdout, 'started\n')
  assert.is((await cocker(mode, ['wait', id.trim()], { status: 0 })).stdout, '4\n')
}))

cockerScenario('the monitor keeps the container running and logging when the whole process group of `run` is killed', mode => withContainers(mode, async image => {
  const child = spawnCocker(mode, ['run', '--name', 'orphan', image, 'sh', '-c', 'i=0; while [ $i -lt 1000 ]; do echo line $i; i=$((i+1)); sleep 0.1; done'])
  await eventually('the first line', async () => (await cocker(mode, ['logs', 'orphan'])).stdout.startsWith('line 0\n'))
  process.kill(-child.pid!, 'SIGKILL')
  const before = (await cocker(mode, ['logs', 'orphan'], { status: 0 })).stdout.split('\n').length
  await eventually('more lines', async () => (await cocker(mode, ['logs', 'orphan'])).stdout.split('\n').length > before + 3)
  await cocker(mode, ['stop', '-t', '0', 'orphan'], { status: 0 })
  assert.is((await cocker(mode, ['wait', 'orphan'], { status: 0 })).stdout, '137\n')
}))

cockerScenario('logs -f follows the output and ends when the container does; --tail, -t and several containers', mode => withContainers(mode, async image => {
  await cocker(mode, ['run', '-d', '--name', 'a', image, 'sh', '-c', 'echo one; echo two; echo three'], { status: 0 })
  await cocker(mode, ['wait', 'a'], { status: 0 })
  assert.is((await cocker(mode, ['logs', '--tail', '2', 'a'], { status: 0 })).stdout, 'two\nthree\n')
  assert.match((await cocker(mode, ['logs', '-t', 'a'], { status: 0 })).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/)
  const ticker = await cocker(mode, ['run', '-d', '--name', 'b', image, 'sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.3; done'], { status: 0 })
  const follow = await cocker(mode, ['logs', '-f', 'b'], { status: 0, timeoutMs: 20_000 })
  assert.is(follow.stdout, 'tick 1\ntick 2\ntick 3\n')
  const both = await cocker(mode, ['logs', 'a', 'b'], { status: 0 })
  assert.match(both.stdout, new RegExp(`^[0-9a-f]{12} one\\n[0-9a-f]{12} two\\n[0-9a-f]{12} three\\n${ticker.stdout.slice(0, 12)} tick 1\\n`))
}))

cockerScenario('--restart on-failure:3 restarts exactly three times; stop keeps an always or unless-stopped container stopped', mode => withContainers(mode, async image => {
  await cocker(mode, ['run', '-d', '--name', 'flaky', '--restart', 'on-failure:3', image, 'sh', '-c', 'echo try; exit 1'], { status: 0 })
  await eventually('four runs', async () => (await cocker(mode, ['logs', 'flaky'])).stdout === 'try\n'.repeat(4))
  await new Promise(r => setTimeout(r, 1500))
  assert.is((await cocker(mode, ['logs', 'flaky'], { status: 0 })).stdout, 'try\n'.repeat(4))
  assert.is((await cocker(mode, ['wait', 'flaky'], { status: 0 })).stdout, '1\n')
  await cocker(mode, ['run', '-d', '--name', 'always', '--restart', 'always', image, 'sh', '-c', 'echo up; exec sleep 1000'], { status: 0 })
  await cocker(mode, ['stop', '-t', '0', 'always'], { status: 0 })
  await new Promise(r => setTimeout(r, 1000))
  assert.is((await cocker(mode, ['logs', 'always'], { status: 0 })).stdout, 'up\n')
  await cocker(mode, ['exec', 'always', 'true'], { status: 125 })
  // kill with a signal the container ends on by itself is no stop by the user: it restarts (not so after SIGKILL, as Podman)
  await cocker(mode, ['run', '-d', '--name', 'hup', '--restart', 'always', image, 'sh', '-c', 'trap "exit 5" HUP; echo up; while :; do sleep 0.1; done'], { status: 0 })
  await eventually('up', async () => (await cocker(mode, ['logs', 'hup'])).stdout === 'up\n')
  await cocker(mode, ['kill', '-s', 'HUP', 'hup'], { status: 0 })
  await eventually('a restart after HUP', async () => (await cocker(mode, ['logs', 'hup'])).stdout === 'up\nup\n')
  await cocker(mode, ['kill', 'hup'], { status: 0 })
  await eventually('exited', async () => (await cocker(mode, ['inspect', '--format', '{{.State.Status}}', 'hup'])).stdout === 'exited\n')
  await new Promise(r => setTimeout(r, 1500))
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Status}} {{.RestartCount}}', 'hup'], { status: 0 })).stdout, 'exited 1\n')
  // unless-stopped: restarted after it exits by itself, whatever its status, but not after stop
  await cocker(mode, ['run', '-d', '--name', 'unless', '--restart', 'unless-stopped', image, 'sh', '-c', 'echo up; sleep 1; exit 0'], { status: 0 })
  await eventually('a restart', async () => (await cocker(mode, ['logs', 'unless'])).stdout.startsWith('up\nup\n'))
  await cocker(mode, ['stop', '-t', '0', 'unless'], { status: 0 })
  const seen = (await cocker(mode, ['logs', 'unless'], { status: 0 })).stdout
  await new Promise(r => setTimeout(r, 2500))
  assert.is((await cocker(mode, ['logs', 'unless'], { status: 0 })).stdout, seen)
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Status}}', 'unless'], { status: 0 })).stdout, 'exited\n')
}))

cockerScenario('a failing --health-cmd makes the container unhealthy, and --health-on-failure=restart restarts it', mode => withContainers(mode, async image => {
  await cocker(mode, ['run', '-d', '--name', 'sick', '--health-cmd', 'exit 1', '--health-retries', '1', '--health-interval', '1h', image, 'sleep', '1000'], { status: 0 })
  const check = await cocker(mode, ['healthcheck', 'run', 'sick'], { status: 1 })
  assert.is(check.stdout, 'unhealthy\n')
  await cocker(mode, ['run', '-d', '--name', 'well', '--health-cmd', 'true', '--health-interval', '1h', image, 'sleep', '1000'], { status: 0 })
  assert.is((await cocker(mode, ['healthcheck', 'run', 'well'], { status: 0 })).stdout, 'healthy\n')
  await cocker(mode, ['run', '-d', '--name', 'restarts', '--health-cmd', 'exit 1', '--health-retries', '1', '--health-interval', '1s',
    '--health-on-failure', 'restart', image, 'sh', '-c', 'echo boot; exec sleep 1000'], { status: 0 })
  await eventually('a restart', async () => (await cocker(mode, ['logs', 'restarts'])).stdout.startsWith('boot\nboot\n'), 30_000)
}))

// 20 parallel run -d, then rm -f of them all: containers-release.test.ts

cockerScenario('run -i feeds stdin; --rm with -d removes the container when it exits; --cidfile; log drivers; restart; pause', mode => withContainers(mode, async image => {
  assert.is((await cocker(mode, ['run', '--rm', '-i', image, 'cat'], { input: 'through stdin\n', status: 0 })).stdout, 'through stdin\n')
  assert.is((await cocker(mode, ['run', '--rm', image, 'cat'], { input: 'ignored\n', status: 0 })).stdout, '')
  const cidfile = path.join(mode.root, 'cid')
  const id = (await cocker(mode, ['run', '-d', '--rm', '--cidfile', cidfile, image, 'sh', '-c', 'sleep 0.5'], { status: 0 })).stdout.trim()
  assert.is((await runCmd(['cat', cidfile], { asUser: mode.user, status: 0 })).stdout, id)
  await eventually('--rm to remove it', async () => (await cocker(mode, ['container', 'exists', id])).status === 1)
  const again = await cocker(mode, ['run', '--cidfile', cidfile, image, 'true'], { status: 125 })
  assert.match(again.stderr, /^Error: --cidfile .*: the file exists already/)
  await cocker(mode, ['run', '--name', 'quiet', '--log-driver', 'none', image, 'echo', 'unlogged'], { status: 0 })
  const none = await cocker(mode, ['logs', 'quiet'], { status: 125 })
  assert.match(none.stderr, /none driver/)
  const pass = await cocker(mode, ['run', '--rm', '--log-driver', 'passthrough', image, 'echo', 'direct'], { status: 0 })
  assert.is(pass.stdout, 'direct\n')
  await cocker(mode, ['run', '-d', '--name', 'again', image, 'sh', '-c', 'echo up; exec sleep 1000'], { status: 0 })
  await eventually('up', async () => (await cocker(mode, ['logs', 'again'])).stdout === 'up\n')
  await cocker(mode, ['restart', '-t', '0', 'again'], { status: 0 })
  await eventually('up twice', async () => (await cocker(mode, ['logs', 'again'])).stdout === 'up\nup\n')
  const bad = await cocker(mode, ['run', '--restart', 'sometimes', image, 'true'], { status: 125 })
  assert.is(bad.stderr, 'Error: --restart sometimes: invalid restart policy; use no, on-failure[:N], always or unless-stopped\n')
}))

const logLines = async (mode: CockerMode, name: string) => (await cocker(mode, ['logs', name], { status: 0 })).stdout.split('\n').filter(Boolean).length

cockerScenario('pause freezes a container (ps, inspect, its log stops growing) and unpause lets it go on; rootless on cgroup v1 says why it cannot', mode => withContainers(mode, async image => {
  await cocker(mode, ['run', '-d', '--name', 'ticker', image, 'sh', '-c', 'while :; do echo tick; sleep 0.1; done'], { status: 0 })
  await eventually('ticks', async () => await logLines(mode, 'ticker') > 2)
  if (mode.user) {
    // no freezer without a delegated cgroup: one line, and the container runs on
    const r = await cocker(mode, ['pause', 'ticker'], { status: 125 })
    assert.match(r.stderr, /^Error: cannot pause container "[0-9a-f]{64}": it has no cgroup with a freezer/)
    assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Status}}', 'ticker'], { status: 0 })).stdout, 'running\n')
    return
  }
  assert.is((await cocker(mode, ['pause', 'ticker'], { status: 0 })).stdout, 'ticker\n')
  // as Podman 4.3: ps without -a lists running containers only, and a paused one is not
  assert.is((await cocker(mode, ['ps', '--format', '{{.Names}}'], { status: 0 })).stdout, '')
  assert.is((await cocker(mode, ['ps', '-a', '--format', '{{.Names}} {{.State}}'], { status: 0 })).stdout, 'ticker paused\n')
  await cocker(mode, ['exec', 'ticker', 'true'], { status: 125 })
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'ticker'], { status: 0 })).stdout,
    'paused true false\n')
  const frozen = await logLines(mode, 'ticker')
  await new Promise(r => setTimeout(r, 1000))
  assert.is(await logLines(mode, 'ticker'), frozen, 'a paused container writes nothing')
  const again = await cocker(mode, ['pause', 'ticker'], { status: 125 })
  assert.match(again.stderr, /is paused: it must be running to be paused/)
  assert.is((await cocker(mode, ['unpause', 'ticker'], { status: 0 })).stdout, 'ticker\n')
  await eventually('ticks after unpause', async () => await logLines(mode, 'ticker') > frozen)
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Status}}', 'ticker'], { status: 0 })).stdout, 'running\n')
}))

cockerScenario('a container the kernel kills for memory exits 137 with OOMKilled in inspect', mode => withContainers(mode, async image => {
  // tail buffers a line that never ends, so it grows until the memory cgroup's limit
  const r = await cocker(mode, ['run', '--name', 'hog', '--memory', '16m', image, 'tail', '/dev/zero'], { status: 137 })
  assert.is(r.stdout, '')
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog'], { status: 0 })).stdout, 'true 137\n')
  await cocker(mode, ['run', '--name', 'fine', '--memory', '16m', image, 'true'], { status: 0 })
  assert.is((await cocker(mode, ['inspect', '--format', '{{.State.OOMKilled}}', 'fine'], { status: 0 })).stdout, 'false\n')
}), ['root']) // rootless on cgroup v1 has no memory limit to hit (run-resources shows its warning)

cockerScenario('wait --condition, stop -a, rm -v, container ls/list, logs --since/--until, start -a -i, attach --no-stdin', mode => withContainers(mode, async image => {
  const c = (args: string[], status = 0, input?: string) => cocker(mode, args, { status, ...(input !== undefined ? { input } : {}) })
  await c(['run', '-d', '--name', 'up', image, 'sleep', '1000'])
  // as podman: the exit code once stopped, -1 for any other condition
  assert.is((await c(['wait', '--condition', 'running', 'up'])).stdout, '-1\n')
  await c(['create', '--name', 'four', image, 'sh', '-c', 'exit 4'])
  await c(['start', 'four'])
  assert.is((await c(['wait', '--condition', 'exited', 'four'])).stdout, '4\n')
  assert.is((await c(['wait', '--condition', 'bogus', 'four'], 125)).stderr.split('\n')[0], 'Error: --condition bogus: unknown condition; ' +
    'use one of configured, created, exited, stopped, paused, running, stopping, removing, healthy, unhealthy')
  assert.is((await c(['container', 'ls', '--format', '{{.Names}}'])).stdout, 'up\n')
  assert.is((await c(['container', 'list', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort().join(' '), 'four up')
  const stopped = await c(['stop', '-a', '-t', '0'])
  assert.match(stopped.stdout, /^[0-9a-f]{64}\n[0-9a-f]{64}\n$/)
  assert.is((await c(['ps', '--format', '{{.Names}}'])).stdout, '')
  assert.is((await c(['rm', '-v', 'four'])).stdout, 'four\n')

  // logs: the lines before and after a moment between them
  await c(['run', '-d', '--name', 'two', image, 'sh', '-c', 'echo before; sleep 2; echo after'])
  await eventually('the first line', async () => (await c(['logs', 'two'])).stdout === 'before\n')
  await new Promise(r => setTimeout(r, 500))
  const between = new Date().toISOString()
  assert.is((await c(['wait', 'two'])).stdout, '0\n')
  assert.is((await c(['logs', '--since', between, 'two'])).stdout, 'after\n')
  assert.is((await c(['logs', '--until', between, 'two'])).stdout, 'before\n')

  // start -a -i feeds the container created with -i; attach --no-stdin does not
  await c(['create', '-i', '--name', 'cat', image, 'cat'])
  assert.is((await c(['start', '-a', '-i', 'cat'], 0, 'fed\n')).stdout, 'fed\n')
  const probe = 'sleep 1; if read -t 5 x; then echo "got:$x"; else echo nothing; fi'
  await c(['run', '-d', '-i', '--name', 'deaf', image, 'sh', '-c', probe])
  assert.is((await c(['attach', '--no-stdin', 'deaf'], 0, 'data\n')).stdout, 'nothing\n')
  await c(['run', '-d', '-i', '--name', 'hears', image, 'sh', '-c', probe])
  assert.is((await c(['attach', 'hears'], 0, 'data\n')).stdout, 'got:data\n')
}))

// a foreground run in the background of a shell, signalled once the container says it is ready
const SIG_PROXY_SCRIPT = `"$1" --root "$2" run --name "$4" $5 "$3" sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done' > "$2/$4.out" &
pid=$!
i=0; until grep -q ready "$2/$4.out"; do sleep 0.1; i=$((i+1)); [ $i -gt 600 ] && exit 99; done
kill -TERM $pid; wait $pid; echo "status=$?"; cat "$2/$4.out"`

cockerScenario('--sig-proxy, --stop-timeout, --log-opt path= and max-size=, --health-timeout and --health-start-period, container cleanup', mode => withContainers(mode, async image => {
  const c = (args: string[], status = 0) => cocker(mode, args, { status })
  const sh = (name: string, flags: string) => runCmd(['sh', '-c', SIG_PROXY_SCRIPT, 'sh', mode.bin, mode.root, image, name, flags], { asUser: mode.user, status: 0 })
  // the signal reaches the container, whose status is run's
  assert.is((await sh('proxied', '')).stdout, 'status=3\nready\ngot TERM\n')
  // without the proxy the signal ends the command, and the container runs on
  assert.is((await sh('unproxied', '--sig-proxy=false')).stdout, 'status=143\nready\n')
  assert.is((await c(['inspect', '--format', '{{.State.Status}}', 'unproxied'])).stdout, 'running\n')

  await c(['run', '-d', '--name', 'slow', '--stop-timeout', '1', image, 'sleep', '1000'])
  assert.is((await c(['inspect', '--format', '{{.Config.StopTimeout}}', 'slow'])).stdout, '1\n')
  assert.match((await c(['stop', 'slow'])).stderr, /failed to stop container slow in 1 seconds, resorting to SIGKILL/)

  const logPath = path.join(mode.root, 'mine.log')
  await c(['run', '--name', 'logged', '--log-opt', `path=${logPath}`, '--log-opt', 'max-size=2000', image,
    'sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done'])
  assert.is((await c(['inspect', '--format', '{{.HostConfig.LogConfig.Path}} {{.HostConfig.LogConfig.Size}}', 'logged'])).stdout, `${logPath} 2000B\n`)
  const size = Number((await runCmd(['stat', '-c', '%s', logPath], { asUser: mode.user, status: 0 })).stdout)
  assert.ok(size > 0 && size <= 2000, `the log at --log-opt path has ${size} bytes, at most max-size`)
  const kept = (await c(['logs', 'logged'])).stdout.split('\n').filter(Boolean)
  assert.is(kept.at(-1), 'line 299')
  assert.ok(kept.length < 300, 'the log started again past max-size')

  // a check that outlives --health-timeout is killed and fails, as Podman says; within
  // --health-start-period a failure leaves the container starting
  const hung = ['--health-cmd', 'sleep 600', '--health-timeout', '1s', '--health-interval', '1h', '--health-retries', '1']
  await c(['run', '-d', '--name', 'hung', ...hung, image, 'sleep', '1000'])
  assert.is((await c(['healthcheck', 'run', 'hung'], 125)).stderr, 'Error: healthcheck command exceeded timeout of 1s\n')
  assert.is((await c(['inspect', '--format', '{{.State.Health.Status}} {{.Config.Healthcheck.Timeout}}', 'hung'])).stdout, 'unhealthy 1000000000\n')
  assert.is((await c(['top', 'hung', 'args'])).stdout, 'COMMAND\nsleep 1000\n')
  await c(['run', '-d', '--name', 'young', ...hung, '--health-start-period', '2m', image, 'sleep', '1000'])
  await c(['healthcheck', 'run', 'young'], 125)
  assert.is((await c(['inspect', '--format', '{{.State.Health.Status}} {{.Config.Healthcheck.StartPeriod}}', 'young'])).stdout,
    'starting 120000000000\n')

  // container cleanup of a container whose clean-up was done: nothing to do, its name back
  await c(['run', '--name', 'done', image, 'true'])
  assert.is((await c(['container', 'cleanup', 'done'])).stdout, 'done\n')
  assert.is((await c(['container', 'cleanup', 'nope'], 125)).stderr, 'Error: no container with name or ID "nope" found: no such container\n')
}))

cockerScenario('a kill -9 of run -d, stop or rm at any of their steps leaves containers the next command can use', mode => withContainers(mode, async image => {
  await crashAt(mode, 'create:before-record', ['run', '-d', '--name', 'k1', image, 'sleep', '1000'])
  // the name of a container that never got its record is free again
  await cocker(mode, ['run', '-d', '--name', 'k1', image, 'sleep', '1000'], { status: 0 })
  await crashAt(mode, 'start:before-monitor', ['run', '-d', '--name', 'k2', image, 'sleep', '1000'])
  await crashAt(mode, 'start:before-pids', ['run', '-d', '--name', 'k3', image, 'sleep', '1000'])
  await crashAt(mode, 'stop:before-signal', ['stop', 'k1'])
  const ps = (await cocker(mode, ['ps', '-a', '--format', '{{.Names}} {{.State}}'], { status: 0 })).stdout.split('\n').filter(Boolean).sort()
  // killed before its monitor existed, k2 never ran
  assert.equal(ps, ['k1 running', 'k2 created', 'k3 running'])
  const check = await cocker(mode, ['system', 'check', '--repair'], { status: 0 })
  assert.not.match(check.stdout, /k1|k3/)
  await cocker(mode, ['stop', '-t', '0', 'k1', 'k3'], { status: 0 })
  await crashAt(mode, 'rm:before-rename', ['rm', 'k1'])
  await cocker(mode, ['rm', 'k1'], { status: 0 })
  await crashAt(mode, 'rm:after-rename', ['rm', 'k2'])
  await cocker(mode, ['rm', 'k2'], { status: 1 })
  await cocker(mode, ['run', '-d', '--name', 'k2', image, 'true'], { status: 0 })
  await cocker(mode, ['rm', '-f', 'k2', 'k3'], { status: 0 })
  assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
  await cocker(mode, ['system', 'check', '--repair', '--max', '0s'], { status: 0 })
  assert.equal(entries(path.join(mode.root, 'containers')), [])
  assert.equal(entries(path.join(mode.root, 'tmp')), [])
}))

test.run()
