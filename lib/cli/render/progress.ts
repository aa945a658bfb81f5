/**
 * Per-layer progress of a pull on a terminal: one line per blob, redrawn in place at most
 * ten times a second. Only for a TTY: on a pipe `pull` prints nothing but the image ID.
 */
import type { PullEvent } from '../../image/pull.js'

const WIDTH = 30

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)}MB`
}

function bar(done: number, size: number): string {
  const filled = size > 0 ? Math.min(WIDTH, Math.round((done / size) * WIDTH)) : WIDTH
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(WIDTH - filled)}]`
}

export function pullProgress(write: (text: string) => void): { onEvent(e: PullEvent): void; finish(): void } {
  const lines = new Map<string, string>()
  let drawn = 0
  let last = 0
  const draw = (force = false) => {
    const now = Date.now()
    if (!force && now - last < 100) return
    last = now
    // back to the first line we drew, then every line again, each cleared to its end
    let text = drawn ? `\x1b[${drawn}A` : ''
    for (const line of lines.values()) text += `\r\x1b[K${line}\n`
    drawn = lines.size
    write(text)
  }
  return {
    onEvent(e) {
      if (e.kind === 'trying') lines.set('trying', `Trying to pull ${e.name}...`)
      else if (e.kind === 'config') lines.set(`config`, `Copying config ${e.digest.slice(7, 19)} done`)
      else {
        const id = e.digest.slice(7, 19)
        const state = e.state === 'exists' ? 'skipped: already exists'
          : e.state === 'downloading' ? `${bar(e.done, e.size)} ${mb(e.done)} / ${mb(e.size)}`
          : e.state === 'unpacking' ? `${bar(e.size, e.size)} ${mb(e.size)} unpacking` : 'done'
        lines.set(e.digest, `Copying blob ${id} ${state}`)
      }
      draw(e.kind !== 'blob' || e.state !== 'downloading')
    },
    finish() {
      if (lines.size) draw(true)
    },
  }
}
