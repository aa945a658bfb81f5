// Detach keys of one's own choosing in a real terminal (tmux), root and rootless: `run -it
// --detach-keys` and `attach --detach-keys` leave on those keys, the default ctrl-p ctrl-q is
// then an ordinary key, and the container runs on.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { cocker, cockerScenario, loadBusybox } from '../support/cocker-modes.js'
import { cockerTerminal } from '../support/cocker-terminal.js'

const TITLE = 'run -it --detach-keys and attach --detach-keys detach on the keys given, and only on them'

cockerScenario(TITLE, async mode => {
  const terminal = cockerTerminal(mode, TITLE)
  if (!terminal) return
  const { server, shows } = terminal
  const image = await loadBusybox(mode)
  try {
    await terminal.start('run', ['run', '-it', '--detach-keys', 'ctrl-x,x', '--name', 'keys', image, 'sh'])
    await server.keys('run', 'echo in-$((1+1))', 'Enter')
    await shows('run', /^in-2\s*$/m)
    // ctrl-p ctrl-q is no detach sequence now: it reaches the shell, which is still there
    await server.keys('run', 'C-p', 'C-q')
    await server.keys('run', 'C-u', 'echo still-$((2+1))', 'Enter')
    await shows('run', /^still-3\s*$/m)
    await server.keys('run', 'C-x', 'x')
    await shows('run', /ended 0\s*$/m)
    assert.is((await cocker(mode, ['ps', '--format', '{{.Names}}'], { status: 0 })).stdout, 'keys\n')

    await terminal.start('attach', ['attach', '--detach-keys', 'ctrl-a', 'keys'])
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
