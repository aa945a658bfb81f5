// cocker in real terminals: tmux windows running bin/cocker as a mode's user, what the
// terminal tests (run -it, exec -it, attach, detach keys) share.
import * as assert from 'uvu/assert'
import type { CockerMode } from './cocker-modes.js'
import { wrapForUser } from './exec.js'
import { skipUnless, which } from './requires.js'
import { tmuxServer, type TmuxServer } from './tmux.js'

export interface CockerTerminal {
  server: TmuxServer
  /** `cocker ARGS` in a new window; when it ends the window says "ended STATUS". */
  start(window: string, args: string[]): Promise<void>
  /** Waits for the window to show `text`, else fails with what it shows. */
  shows(window: string, text: RegExp): Promise<void>
}

/** A tmux server of the test's own for `mode`; undefined, with the reason printed, where tmux is missing. */
export function cockerTerminal(mode: CockerMode, title: string): CockerTerminal | undefined {
  const tmux = which('tmux')
  if (skipUnless(tmux !== undefined, `${title} (${mode.name})`, 'tmux is not installed (apt-get install tmux)')) return undefined
  const server = tmuxServer(tmux!)
  return {
    server,
    start: (window, args) => {
      const { argv, env } = wrapForUser(['sh', '-c', '"$@"; echo "ended $?"; exec sleep 600', 'sh', mode.bin, '--root', mode.root, ...args],
        mode.user, { TERM: 'xterm' })
      return server.start(window, argv, env)
    },
    shows: async (window, text) => {
      const { ok, screen } = await server.waitFor(window, text)
      assert.ok(ok, `the ${window} window does not show ${text}:\n${screen}`)
    },
  }
}
