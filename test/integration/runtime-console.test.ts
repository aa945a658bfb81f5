// process.terminal under cocker-runtime: the pty master handed to a
// --console-socket receiver, and the foreground relay of `run` without one.
// Node cannot receive fds over a unix socket, so the receiver is python3.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir, type Bundle } from '../fixtures/bundle.js'
import { formatArgv, runCmd, type RunResult } from '../support/exec.js'
import { safeName } from '../support/names.js'
import { skipUnless, which } from '../support/requires.js'
import { busybox, fixture, forceDelete, poll, runtime, scenario, waitStatus, type Mode } from '../support/runtime-modes.js'

// Accepts one connection on argv[1], takes the fd it carries (the pty master),
// and copies what the container writes to stdout until the last slave closes
// (EIO). argv[2] appears once it listens; the socket is 0777 for rootless.
const RECEIVER = `
import os, socket, sys
path, ready = sys.argv[1], sys.argv[2]
os.umask(0)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(ready, 'w').close()
srv.settimeout(30)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
if len(fds) != 1:
    sys.exit('no fd received')
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)
`

/** The pty turns \\n into \\r\\n (onlcr). */
const lines = (s: string) => s.replace(/\r\n/g, '\n')

/** Starts the receiver; resolves to its socket path once it listens, and the promise of its output. */
async function startReceiver(python: string): Promise<{ socket: string; output: Promise<RunResult> }> {
  const dir = makeTempDir('cocker-console-')
  const socket = path.join(dir, 'console.sock')
  const ready = path.join(dir, 'ready')
  const output = runCmd([python, '-c', RECEIVER, socket, ready], { timeoutMs: 40_000 })
  const ok = await poll(() => existsSync(ready))
  if (!ok) throw new Error(`the python console receiver did not listen on ${socket}: ${JSON.stringify(await output)}`)
  return { socket, output }
}

function pythonOrSkip(title: string, mode: Mode): string | undefined {
  const python = which('python3')
  skipUnless(python !== undefined, `${title} (${mode.name})`, 'python3 is not installed (it receives the console fd)')
  return python
}

/** create --console-socket, start, and what the container printed to its terminal. */
async function throughConsoleSocket(mode: Mode, python: string, bundle: Bundle): Promise<string> {
  const receiver = await startReceiver(python)
  const id = safeName()
  try {
    await runtime(mode, ['create', '--console-socket', receiver.socket, '--bundle', bundle.dir, id], { status: 0 })
    await runtime(mode, ['start', id], { status: 0 })
    await waitStatus(mode, id, 'stopped')
    const r = await receiver.output
    assert.is(r.status, 0, `receiver failed: ${r.stderr}`)
    return lines(r.stdout)
  } finally {
    await forceDelete(mode, id)
  }
}

const TTY = 'terminal: true with --console-socket: the receiver gets the pty master'
scenario(TTY, async mode => {
  const python = pythonOrSkip(TTY, mode)
  if (!python) return
  const out = await throughConsoleSocket(mode, python, busybox(mode, ['sh', '-c', 'tty; echo hi'], s => { s.process.terminal = true }))
  assert.match(out, /^\/dev\/pts\/\d+\nhi\n$/)
})

const ISATTY = 'terminal: true: stdin, stdout and stderr are all the terminal'
scenario(ISATTY, async mode => {
  const python = pythonOrSkip(ISATTY, mode)
  if (!python) return
  const out = await throughConsoleSocket(mode, python, fixture(mode, ['isatty'], s => { s.process.terminal = true }))
  assert.is(out, '0 yes\n1 yes\n2 yes\n')
}, 'fixture')

const RELAY = 'run with terminal: true and no console socket relays the pty in the foreground'
scenario(RELAY, async mode => {
  if (skipUnless(which('script') !== undefined, `${RELAY} (${mode.name})`, 'script (util-linux) is not installed')) return
  const bundle = busybox(mode, ['sh', '-c', 'tty; echo hi; exit 3'], s => { s.process.terminal = true })
  const id = safeName()
  try {
    // script gives cocker-runtime a terminal of its own, as an interactive shell would
    const cmd = formatArgv([mode.bin, '--root', mode.root, 'run', '--bundle', bundle.dir, id])
    const r = await runCmd(['script', '-qec', cmd, '/dev/null'], { asUser: mode.user, status: 3 })
    // script forwards the EOF of its empty stdin, which the pty echoes as ^@ (runc's output shows it too)
    assert.match(lines(r.stdout).replaceAll('^@', ''), /^\/dev\/pts\/\d+\nhi\n$/)
  } finally {
    await forceDelete(mode, id)
  }
})

test.run()
