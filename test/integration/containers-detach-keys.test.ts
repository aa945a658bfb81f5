// Detach keys of one's own choosing in a real terminal (tmux), root and rootless: `run -it
// --detach-keys` and `attach --detach-keys` leave on those keys, the default ctrl-p ctrl-q is
// then an ordinary key, and the container runs on.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { cocker, cockerScenario, loadBusybox, type CockerMode } from '../support/cocker-modes.js'
import { wrapForUser } from '../support/exec.js'
import { skipUnless, which } from '../support/requires.js'
import { tmuxServer, type TmuxServer } from '../support/tmux.js'

const TITLE = 'run -it --detach-keys and attach --detach-keys detach on the keys given, and only on them'

function startCocker(server: TmuxServer, window: string, mode: CockerMode, args: string[]): Promise<void> {
  const { argv, env } = wrapForUser(['sh', '-c', '"$@"; echo "ended $?"; exec sleep 600', 'sh', mode.bin, '--root', mode.root, ...args], mode.user, { TERM: 'xterm' })
  return server.start(window, argv, env)
}

cockerScenario(TITLE, async mode => {
  const tmux = which('tmux')
  if (skipUnless(tmux !== undefined, `${TITLE} (${mode.name})`, 'tmux is not installed (apt-get install tmux)')) return
  const image = await loadBusybox(mode)
  const server = tmuxServer(tmux!)
  const shows = async (window: string, text: RegExp) => {
    const { ok, screen } = await server.waitFor(window, text)
    assert.ok(ok, `the ${window} window does not show ${text}:\n${screen}`)
  }
  try {
    await startCocker(server, 'run', mode, ['run', '-it', '--detach-keys', 'ctrl-x,x', '--name', 'keys', image, 'sh'])
    await server.keys('run', 'echo in-$((1+1))', 'Enter')
    await shows('run', /^in-2\s*$/m)
    // ctrl-p ctrl-q is no detach sequence now: it reaches the shell, which is still there
    await server.keys('run', 'C-p', 'C-q')
    await server.keys('run', 'C-u', 'echo still-$((2+1))', 'Enter')
    await shows('run', /^still-3\s*$/m)
    await server.keys('run', 'C-x', 'x')
    await shows('run', /ended 0\s*$/m)
    assert.is((await cocker(mode, ['ps', '--format', '{{.Names}}'], { status: 0 })).stdout, 'keys\n')

    await startCocker(server, 'attach', mode, ['attach', '--detach-keys', 'ctrl-a', 'keys'])
    await server.keys('attach', 'echo again-$((3+1))', 'Enter')
    await shows('attach', /^again-4\s*$/m)
    await server.keys('attach', 'C-a')
    await shows('attach', /ended 0\s*$/m)
    assert.is((await cocker(mode, ['ps', '--format', '{{.Names}}'], { status: 0 })).stdout, 'keys\n')
  } finally {
    await server.kill()
    await cocker(mode, ['rm', '-f', '-a', '-t', '0'])
  }
})

test.run()
