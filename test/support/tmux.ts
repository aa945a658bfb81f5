// A tmux server of a test's own, whose windows are real terminals that the test types into,
// resizes and reads: for raw mode, window sizes and detach keys (test/integration/*terminal*).
import { formatArgv, runCmd } from './exec.js'
import { safeName } from './names.js'

export interface TmuxServer {
  /** A window running `argv` with exactly `env` (tmux's own shell would have its own). */
  start(window: string, argv: string[], env: Record<string, string | undefined>): Promise<void>
  keys(window: string, ...keys: string[]): Promise<unknown>
  screen(window: string): Promise<string>
  resize(window: string, cols: number, rows: number): Promise<unknown>
  /** Polls the window's screen until it matches; the screen seen last otherwise. */
  waitFor(window: string, text: RegExp, ms?: number): Promise<{ ok: boolean; screen: string }>
  kill(): Promise<unknown>
}

export function tmuxServer(tmux: string): TmuxServer {
  const name = `cocker-${safeName()}`
  const run = (...args: string[]) => runCmd([tmux, '-L', name, ...args], { status: 0 })
  let started = false
  const server: TmuxServer = {
    start: async (window, argv, env) => {
      const vars = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]))
      const cmd = formatArgv(['env', '-i', ...vars, ...argv])
      // a first window that stays, so the server outlives the others
      if (!started) await run('new-session', '-d', '-s', name, '-n', 'keep', '-x', '100', '-y', '30', 'sleep 600')
      started = true
      await run('new-window', '-t', name, '-n', window, cmd)
    },
    keys: (window, ...keys) => run('send-keys', '-t', `${name}:${window}`, ...keys),
    screen: async window => (await run('capture-pane', '-p', '-t', `${name}:${window}`)).stdout,
    resize: (window, cols, rows) => run('resize-window', '-t', `${name}:${window}`, '-x', String(cols), '-y', String(rows)),
    waitFor: async (window, text, ms = 10_000) => {
      let screen = ''
      for (const end = Date.now() + ms; Date.now() < end;) {
        screen = await server.screen(window)
        if (text.test(screen)) return { ok: true, screen }
        await new Promise(r => setTimeout(r, 100))
      }
      return { ok: false, screen }
    },
    kill: () => runCmd([tmux, '-L', name, 'kill-server']),
  }
  return server
}
