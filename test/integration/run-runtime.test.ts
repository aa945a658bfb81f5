// `--runtime crun|runc|PATH`: the container runs under the external runtime the user chose, with
// cocker's monitor holding its stdio, log and exit, root and rootless: run --rm's output and
// status, the run -d lifecycle (logs, exec, stop, start, rm), a terminal through tmux, inspect's
// OCIRuntime, the global flag and containers.conf's runtime, and the unknown runtime's one line.
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { cocker, cockerScenario, loadBusybox, modeDir, type CockerMode } from '../support/cocker-modes.js'
import { ociRuntimeMissing, which } from '../support/requires.js'
import { cockerTerminal } from '../support/cocker-terminal.js'

const RUNTIMES = ['crun', 'runc'] as const
type Runtime = typeof RUNTIMES[number]

const missing = ociRuntimeMissing

/** Polls `check` (every 100 ms, up to 20 s) until it holds. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const end = Date.now() + 20_000; !await check();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 100))
  }
}

/**
 * `runtime` behind a wrapper named as it is, which logs each command line it gets (without
 * the global flags) to a file: the calls show that the runtime, not cocker's own, ran it.
 */
function wrapped(mode: CockerMode, runtime: Runtime): { path: string; calls(): string[] } {
  const dir = modeDir(mode)
  const log = path.join(dir, 'calls')
  const wrapper = path.join(dir, runtime)
  writeFileSync(wrapper, `#!/bin/sh\n(while [ "\${1#--}" != "$1" ]; do shift 2; done; echo "$*" >>${log})\n` +
    `exec ${which(runtime)} "$@"\n`)
  chmodSync(wrapper, 0o755)
  if (mode.user) chownSync(wrapper, mode.user.uid, mode.user.gid)
  return { path: wrapper, calls: () => existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map(l => l.split(' ')[0]!) : [] }
}

async function withImage(mode: CockerMode, body: (image: string) => Promise<void>): Promise<void> {
  const image = await loadBusybox(mode)
  try {
    await body(image)
  } finally {
    await cocker(mode, ['rm', '-f', '-a', '-t', '0'])
  }
}

for (const runtime of RUNTIMES) {
  cockerScenario(`run --rm --runtime ${runtime}: the output, the status, nothing left`, mode => withImage(mode, async image => {
    const rt = wrapped(mode, runtime)
    const r = await cocker(mode, ['run', '--rm', '--runtime', rt.path, image, 'sh', '-c', 'echo out; echo err >&2; id -u; exit 3'], { status: 3 })
    assert.equal([r.stdout, r.stderr], ['out\n0\n', 'err\n'])
    assert.equal(rt.calls(), ['create', 'start', 'delete'])
    await cocker(mode, ['run', '--rm', '--runtime', rt.path, image, 'no-such-command'], { status: 127 })
    assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
  }), undefined, missing(runtime))

  cockerScenario(`run -d --runtime ${runtime}: logs, exec, top, inspect, stop, start, rm`, mode => withImage(mode, async image => {
    const name = `rt-${runtime}`
    const rt = wrapped(mode, runtime)
    await cocker(mode, ['run', '-d', '--name', name, '--runtime', rt.path, image, 'sh', '-c', 'echo hello; exec sleep 1000'], { status: 0 })
    await eventually('the log', async () => (await cocker(mode, ['logs', name])).stdout === 'hello\n')
    const inspect = await cocker(mode, ['inspect', '--format', '{{.OCIRuntime}} {{.State.Status}}', name], { status: 0 })
    assert.is(inspect.stdout, `${runtime} running\n`)
    assert.is((await cocker(mode, ['exec', name, 'echo', 'inside'], { status: 0 })).stdout, 'inside\n')
    await cocker(mode, ['exec', name, 'sh', '-c', 'exit 7'], { status: 7 })
    await cocker(mode, ['exec', name, 'no-such-command'], { status: 127 })
    await cocker(mode, ['exec', '-d', name, 'sleep', '500'], { status: 0 })
    assert.is((await cocker(mode, ['top', name, 'args'], { status: 0 })).stdout, 'COMMAND\nsleep 1000\nsleep 500\n')
    // sleep as PID 1 ignores SIGTERM: the stop signal, then SIGKILL after the timeout
    const stop = await cocker(mode, ['stop', '-t', '1', name], { status: 0 })
    assert.match(stop.stderr, /resorting to SIGKILL/)
    assert.is((await cocker(mode, ['wait', name], { status: 0 })).stdout, '137\n')
    await cocker(mode, ['start', name], { status: 0 })
    await eventually('the second run\'s log', async () => (await cocker(mode, ['logs', name])).stdout === 'hello\nhello\n')
    await cocker(mode, ['kill', name], { status: 0 })
    assert.is((await cocker(mode, ['wait', name], { status: 0 })).stdout, '137\n')
    await cocker(mode, ['rm', name], { status: 0 })
    assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
    // two runs, each stopped by a kill, and the exec's processes
    const calls = rt.calls()
    assert.equal(calls.filter(c => c === 'create' || c === 'start'), ['create', 'start', 'create', 'start'])
    assert.is(calls.filter(c => c === 'exec').length, 4)
    assert.ok(calls.includes('kill') && calls.at(-1) === 'delete', calls.join(' '))
  }), undefined, missing(runtime))

  cockerScenario(`run -it --runtime ${runtime} in a real terminal: its size, its status`, async mode => {
    const terminal = cockerTerminal(mode, `run -it --runtime ${runtime}`)
    if (!terminal) return
    const { server, shows } = terminal
    await withImage(mode, async image => {
      const rt = wrapped(mode, runtime)
      try {
        await terminal.start('run', ['run', '-it', '--rm', '--runtime', rt.path, image, 'sh'])
        await server.keys('run', 'tty; stty size', 'Enter')
        // the terminal is the container's
        await shows('run', /^\/dev\/pts\/\d+\s*\n30 100\s*$/m)
        await server.keys('run', 'exit 3', 'Enter')
        await shows('run', /ended 3\s*$/m)
        assert.equal(rt.calls(), ['create', 'start', 'delete'])
      } finally {
        await server.kill()
      }
    })
  }, undefined, missing(runtime))
}

cockerScenario('the global --runtime and containers.conf\'s runtime choose it too; run\'s flag comes first', mode => withImage(mode, async image => {
  const runtimeOf = async (globals: string[], env: Record<string, string> = {}) => {
    await cocker(mode, [...globals, 'create', '--name', 'pick', image, 'true'], { status: 0, env })
    const out = (await cocker(mode, ['inspect', '--format', '{{.OCIRuntime}}', 'pick'], { status: 0 })).stdout
    await cocker(mode, ['rm', 'pick'], { status: 0 })
    return out
  }
  assert.is(await runtimeOf([]), 'cocker\n')
  assert.is(await runtimeOf(['--runtime', 'runc']), 'runc\n')
  const dir = modeDir(mode)
  const conf = path.join(dir, 'containers.conf')
  writeFileSync(conf, '[engine]\nruntime = "runc"\n')
  assert.is(await runtimeOf([], { CONTAINERS_CONF: conf }), 'runc\n')
  await cocker(mode, ['run', '--rm', '--runtime', 'runc', image, 'true'], { status: 0, env: { CONTAINERS_CONF: conf } })
  // a path is a runtime too, named by its file
  await cocker(mode, ['create', '--name', 'pick', '--runtime', which('runc')!, image, 'true'], { status: 0 })
  assert.is((await cocker(mode, ['inspect', '--format', '{{.OCIRuntime}}', 'pick'], { status: 0 })).stdout, 'runc\n')
}), undefined, missing('runc'))

cockerScenario('an unknown runtime, or one with --userns: one line, status 125, no container', mode => withImage(mode, async image => {
  const r = await cocker(mode, ['run', '--rm', '--runtime', 'no-such-runtime', image, 'true'], { status: 125 })
  assert.match(r.stderr, /^Error: --runtime no-such-runtime: OCI runtime "no-such-runtime" not found .*install it or give a path.*\n$/)
  const p = await cocker(mode, ['create', '--runtime', '/no/such/runtime', image, 'true'], { status: 125 })
  assert.match(p.stderr, /^Error: --runtime \/no\/such\/runtime: OCI runtime not found: \/no\/such\/runtime is not an executable file.*\n$/)
  const userns = await cocker(mode, ['run', '--rm', '--runtime', 'runc', '--userns', 'keep-id', image, 'true'], { status: 125 })
  // (as root keep-id is refused before the runtime is looked at)
  assert.match(userns.stderr, mode.user ? /^Error: --runtime runc with a user namespace of the container's own .* is not supported yet; .*\n$/ : /^Error: .*\n$/)
  assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
}))

test.run()
