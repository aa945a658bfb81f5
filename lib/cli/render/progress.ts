/**
 * Per-blob progress of a pull or push on a terminal: one line per blob, redrawn in place
 * at most ten times a second. Only for a TTY: on a pipe `pull` and `push` print no
 * progress. The lines read as podman's.
 */
import type { PullEvent } from '../../image/pull.js'
import type { PushEvent } from '../../image/push.js'

const WIDTH = 30

export interface Progress<E> {
  onEvent(e: E): void
  /** Draws the last state; call it once, success or failure. */
  finish(): void
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)}MB`
}

function bar(done: number, size: number): string {
  const filled = size > 0 ? Math.min(WIDTH, Math.round((done / size) * WIDTH)) : WIDTH
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(WIDTH - filled)}]`
}

const short = (digest: string) => digest.slice(digest.indexOf(':') + 1).slice(0, 12)

/** Lines by key, in the order first set; `set` redraws them all, throttled unless `now`. */
export function progressBoard(write: (text: string) => void): { set(key: string, line: string, now: boolean): void; finish(): void } {
  const lines = new Map<string, string>()
  let drawn = 0
  let last = 0
  const draw = (force: boolean) => {
    const t = Date.now()
    if (!force && t - last < 100) return
    last = t
    // back to the first line we drew, then every line again, each cleared to its end
    let text = drawn ? `\x1b[${drawn}A` : ''
    for (const line of lines.values()) text += `\r\x1b[K${line}\n`
    drawn = lines.size
    write(text)
  }
  return {
    set(key, line, now) {
      lines.set(key, line)
      draw(now)
    },
    finish() {
      if (lines.size) draw(true)
    },
  }
}

export function pullProgress(write: (text: string) => void): Progress<PullEvent> {
  const board = progressBoard(write)
  return {
    onEvent(e) {
      if (e.kind === 'trying') return board.set('trying', `Trying to pull ${e.name}...`, true)
      if (e.kind === 'config') return board.set('config', `Copying config ${short(e.digest)} done`, true)
      // said as a warning by the command, on every output
      if (e.kind === 'skipped') return
      const state = e.state === 'exists' ? 'skipped: already exists'
        : e.state === 'downloading' ? `${bar(e.done, e.size)} ${mb(e.done)} / ${mb(e.size)}`
        : e.state === 'unpacking' ? `${bar(e.size, e.size)} ${mb(e.size)} unpacking` : 'done'
      board.set(e.digest, `Copying blob ${short(e.digest)} ${state}`, e.state !== 'downloading')
    },
    finish: board.finish,
  }
}

export function pushProgress(write: (text: string) => void): Progress<PushEvent> {
  const board = progressBoard(write)
  const outcome = { exists: 'skipped: already exists', mounted: 'skipped: mounted', uploaded: 'done' } as const
  let started = false
  return {
    onEvent(e) {
      if (!started) board.set('start', 'Getting image source signatures', !(started = true))
      if (e.kind === 'manifest') return board.set('manifest', 'Writing manifest to image destination', true)
      if (e.kind === 'config') return board.set('config', `Copying config ${short(e.digest)} ${e.state === 'checking' ? '' : 'done'}`.trimEnd(), true)
      const state = e.state === 'checking' ? ''
        : e.state === 'uploading' ? `${bar(e.done, e.size)} ${mb(e.done)} / ${mb(e.size)}` : outcome[e.state]
      board.set(e.digest, `Copying blob ${short(e.digest)} ${state}`.trimEnd(), e.state !== 'uploading')
    },
    finish: board.finish,
  }
}
