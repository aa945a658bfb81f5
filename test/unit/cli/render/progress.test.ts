import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pullProgress, pushProgress } from '../../../../lib/cli/render/progress.js'

/** The lines as the terminal would show them at the end. */
function screen(out: string[]): string[] {
  const lines: string[] = []
  let row = 0
  for (const chunk of out) {
    for (const part of chunk.split(/(\x1b\[\d+A|\n)/)) {
      const up = /^\x1b\[(\d+)A$/.exec(part)
      if (up) row -= Number(up[1])
      else if (part === '\n') row++
      else if (part) lines[row] = part.replace(/^\r\x1b\[K/, '')
    }
  }
  return lines
}

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`
const C = `sha256:${'c'.repeat(64)}`

test('push: podman\'s lines, one per blob, redrawn in place', () => {
  const out: string[] = []
  const p = pushProgress(t => out.push(t))
  p.onEvent({ kind: 'blob', digest: A, size: 2e6, done: 0, state: 'checking' })
  p.onEvent({ kind: 'blob', digest: B, size: 10, done: 0, state: 'checking' })
  p.onEvent({ kind: 'blob', digest: A, size: 2e6, done: 1e6, state: 'uploading' })
  p.onEvent({ kind: 'blob', digest: A, size: 2e6, done: 2e6, state: 'uploaded' })
  p.onEvent({ kind: 'blob', digest: B, size: 10, done: 10, state: 'mounted' })
  p.onEvent({ kind: 'config', digest: C, state: 'checking' })
  p.onEvent({ kind: 'config', digest: C, state: 'exists' })
  p.onEvent({ kind: 'manifest', digest: C, state: 'writing' })
  p.finish()
  assert.equal(screen(out), [
    'Getting image source signatures',
    'Copying blob aaaaaaaaaaaa done',
    'Copying blob bbbbbbbbbbbb skipped: mounted',
    'Copying config cccccccccccc done',
    'Writing manifest to image destination',
  ])
})

test('pull: bars while downloading, then done or skipped', () => {
  const out: string[] = []
  const p = pullProgress(t => out.push(t))
  p.onEvent({ kind: 'trying', name: 'x/y:1' })
  p.onEvent({ kind: 'blob', digest: A, size: 3e6, done: 0, state: 'downloading' })
  p.onEvent({ kind: 'blob', digest: B, size: 1, done: 1, state: 'exists' })
  p.finish()
  assert.equal(screen(out), [
    'Trying to pull x/y:1...',
    `Copying blob aaaaaaaaaaaa [${' '.repeat(30)}] 0.0MB / 3.0MB`,
    'Copying blob bbbbbbbbbbbb skipped: already exists',
  ])
})

test.run()
