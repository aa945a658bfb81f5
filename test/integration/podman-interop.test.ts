// Podman drives cocker-runtime through conmon, as root and rootless: `podman --runtime
// <cocker-runtime> run|exec|stop|rm|pause|unpause`. This is the runc command line as
// Podman 4.3 really uses it:
//
//   [--log-format=json --log <userdata>/oci-log] create --bundle <userdata> --pid-file <run>/pidfile
//       [--console-socket /tmp/conmon-term.XXXX] <id>
//   start <id>        exec --pid-file .. --process <file> --detach [--tty --console-socket ..] <id>
//   kill <id> 15|9    pause <id>    resume <id>    delete --force <id>
//
// Every mode gets its own storage, containers.conf and image (the busybox fixture), all
// under one temp dir that is removed at the end: see test/support/podman.ts. Rootless runs
// go through the staged copy of the checkout (stageForRootless) with the test user's own
// XDG_RUNTIME_DIR under the temp dir.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatArgv, runCmd } from '../support/exec.js'
import { FIXTURE_IMAGE as IMAGE } from '../support/image-fixture.js'
import { safeName } from '../support/names.js'
import { cleanupPodman, podman, podmanOrSkip, podmanRun, PODMAN_MODES, type PodmanEnv, type PodmanModeName } from '../support/podman.js'
import { skipUnless, which } from '../support/requires.js'

/** cocker-runtime's own view: the ids in its state dir (podman passes no --root). */
async function runtimeIds(pe: PodmanEnv): Promise<string[]> {
  const r = await runCmd([pe.runtime!, 'list', '-q'], { asUser: pe.user, env: pe.env, status: 0 })
  return r.stdout.split('\n').filter(Boolean)
}

function modeTest(title: string, fn: (pe: PodmanEnv) => Promise<void>, modes: readonly PodmanModeName[] = PODMAN_MODES): void {
  for (const mode of modes) {
    test(`${title} (${mode})`, async () => {
      const pe = await podmanOrSkip(mode, `${title} (${mode})`, { cockerRuntime: true })
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
  const cmd = formatArgv([...pe.argv, 'run', ...pe.runFlags, '--rm', '-t', IMAGE, 'sh', '-c', 'echo tty; tty'])
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

// With cocker-runtime in runtime_supports_json (see test/support/podman.ts), conmon has it
// write its errors as JSON to a log file, where Podman reads the runtime's own message
// (without that, Podman shows the runtime's stderr, "cocker-runtime: " and all).
modeTest('podman shows cocker-runtime\'s own error message from its JSON log, and 127 for a command not found', async pe => {
  const r = await podmanRun(pe, ['--rm', IMAGE, '/no/such/program'])
  assert.is(r.status, 127, r.stderr)
  assert.is(r.stderr, `Error: ${pe.runtime}: exec: "/no/such/program": No such file or directory: OCI runtime attempted to invoke a command that was not found\n`)
})

test.after(cleanupPodman)

test.run()
