// `run -it`, `exec -it` and `attach` in a real terminal (tmux), root and rootless: raw mode,
// the window's size and its changes inside, ctrl-p ctrl-q detaching with the container running
// on, exec's detach keys leaving its process running, attach coming back, and the statuses of
// what ends.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { cocker, cockerScenario, loadBusybox } from '../support/cocker-modes.js'
import { cockerTerminal } from '../support/cocker-terminal.js'

const TITLE = 'run -it, exec -it and attach in a real terminal: sizes, resizes, detach keys, statuses'

cockerScenario(TITLE, async mode => {
  const terminal = cockerTerminal(mode, TITLE)
  if (!terminal) return
  const { server, shows } = terminal
  const image = await loadBusybox(mode)
  try {
    await terminal.start('run', ['run', '-it', '--name', 'tty', image, 'sh'])
    await server.keys('run', 'stty size', 'Enter')
    await shows('run', /^30 100\s*$/m)
    await server.resize('run', 120, 40)
    let seen = false
    for (let i = 0; i < 50 && !seen; i++) {
      await server.keys('run', 'stty size', 'Enter')
      seen = (await server.waitFor('run', /^40 120\s*$/m, 300)).ok
    }
    assert.ok(seen, `the container did not see the new size:\n${await server.screen('run')}`)
    await server.keys('run', 'C-p', 'C-q')
    await shows('run', /ended 0\s*$/m)
    assert.is((await cocker(mode, ['ps', '--format', '{{.Names}}'], { status: 0 })).stdout, 'tty\n')

    await terminal.start('exec', ['exec', '-it', 'tty', 'sh'])
    await server.keys('exec', 'tty; stty size', 'Enter')
    await shows('exec', /^\/dev\/pts\/\d+\s*\n30 100\s*$/m)
    await server.keys('exec', 'exit 3', 'Enter')
    await shows('exec', /ended 3\s*$/m)

    // the detach keys leave the exec'd shell running, as podman's exec session does; cocker returns 0
    await terminal.start('exec-keys', ['exec', '-it', '--detach-keys', 'ctrl-x', 'tty', 'sh'])
    await server.keys('exec-keys', 'echo $$ > /tmp/sh-pid; echo written', 'Enter')
    await shows('exec-keys', /^written\s*$/m)
    await server.keys('exec-keys', 'C-x')
    await shows('exec-keys', /ended 0\s*$/m)
    const alive = await cocker(mode, ['exec', 'tty', 'sh', '-c', 'kill -0 "$(cat /tmp/sh-pid)" && echo alive'], { status: 0 })
    assert.is(alive.stdout, 'alive\n')
    await terminal.start('exec-default', ['exec', '-it', 'tty', 'sh'])
    await server.keys('exec-default', 'echo default-$((1+1))', 'Enter')
    await shows('exec-default', /^default-2\s*$/m)
    await server.keys('exec-default', 'C-p', 'C-q')
    await shows('exec-default', /ended 0\s*$/m)

    await terminal.start('attach', ['attach', 'tty'])
    await server.keys('attach', 'echo back-$((40+2))', 'Enter')
    await shows('attach', /^back-42\s*$/m)
    await server.keys('attach', 'exit 7', 'Enter')
    await shows('attach', /ended 7\s*$/m)
    assert.is((await cocker(mode, ['wait', 'tty'], { status: 0 })).stdout, '7\n')
  } finally {
    await server.kill()
    await cocker(mode, ['rm', '-f', '-a', '-t', '0'])
  }
})

test.run()
