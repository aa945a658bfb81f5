// The runner's parser of uvu output (test/support/summary.ts), fed the real stdout of
// small uvu files run here with the uvu the suite uses, so a change of uvu's format fails.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../../fixtures/bundle.js'
import { repoPath } from '../../support/paths.js'
import { parseOutput } from '../../support/summary.js'

const dir = makeTempDir('cocker-summary-')
let n = 0

/** Runs a uvu file whose body is `source` (skip(name, reason) prints a marker as skipUnless does). */
function uvu(source: string, env: Record<string, string> = {}): { stdout: string; status: number } {
  const file = path.join(dir, `t${n++}.mjs`)
  const uvuUrl = pathToFileURL(repoPath('node_modules/uvu/dist/index.mjs')).href
  writeFileSync(file, `import { test } from '${uvuUrl}'
const skip = (name, reason) => console.log('# SKIP ' + name + ': ' + reason)
const fail = () => { throw new Error('boom') }
${source}
test.run()
`)
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } })
  return { stdout: r.stdout, status: r.status ?? 1 }
}

test('4 tests, one of them skipped: 3 passed, 1 skipped', () => {
  const r = uvu(`
test('a', () => {})
test('b', () => { skip('b on zsh', 'zsh is not installed') })
test('c', () => { console.log('some output') })
test('d', () => {})`)
  assert.is(r.status, 0)
  assert.match(r.stdout, /^• # SKIP b on zsh: zsh is not installed$/m, 'the marker follows the glyph of the test before')
  assert.equal(parseOutput(r.stdout, r.status), {
    passed: 3, failed: 0, skipped: [[{ name: 'b on zsh', reason: 'zsh is not installed' }]], stray: [], problems: [], ok: true,
  })
})

test('a test that printed two markers is one skipped test with both reasons', () => {
  const r = uvu(`
test('shells', () => { skip('zsh parses it', 'zsh is not installed'); skip('fish parses it', 'fish is not installed') })
test('after', () => {})`)
  const s = parseOutput(r.stdout, r.status)
  assert.equal([s.passed, s.failed, s.ok], [1, 0, true])
  assert.equal(s.skipped, [[{ name: 'zsh parses it', reason: 'zsh is not installed' }, { name: 'fish parses it', reason: 'fish is not installed' }]])
})

test('a failing test that printed a marker is failed, not skipped', () => {
  const r = uvu(`
test('first', () => {})
test('half', () => { skip('half (root)', 'needs root'); fail() })
test('last', () => { skip('last', 'needs root') })`)
  assert.is(r.status, 1)
  assert.equal(parseOutput(r.stdout, r.status), {
    passed: 1, failed: 1, skipped: [[{ name: 'last', reason: 'needs root' }]], stray: [], problems: [], ok: false,
  })
})

test('colours (FORCE_COLOR) change nothing', () => {
  const r = uvu(`test('a', () => { skip('a', 'why') }); test('b', () => {})`, { FORCE_COLOR: '1' })
  assert.match(r.stdout, /\x1b\[/)
  assert.equal(parseOutput(r.stdout, r.status), {
    passed: 1, failed: 0, skipped: [[{ name: 'a', reason: 'why' }]], stray: [], problems: [], ok: true,
  })
})

test("uvu's test.skip counts as skipped; a marker from a hook is listed, not counted", () => {
  const r = uvu(`
test.after(() => skip('cleanup', 'nothing to clean'))
test.skip('later', () => {})
test('a', () => {})`)
  assert.equal(parseOutput(r.stdout, r.status), {
    passed: 1, failed: 0, skipped: [[{ name: '(test.skip)', reason: 'skipped in code' }]],
    stray: [{ name: 'cleanup', reason: 'nothing to clean' }], problems: [], ok: true,
  })
})

test('a test.before that throws: uvu exits 0 and shows no error, every test counts as failed', () => {
  const r = uvu(`test.before(() => fail()); test('a', () => {}); test('b', () => {})`)
  assert.is(r.status, 0)
  assert.equal(parseOutput(r.stdout, r.status), {
    passed: 0, failed: 2, skipped: [], stray: [], problems: ['2 of 2 tests never ran (a test.before hook threw?)'], ok: false,
  })
})

test('a crash mid-file, a failing exit after a clean summary, a timeout: the file fails', () => {
  const crash = uvu(`test('a', () => {}); test('b', () => { skip('b', 'x'); process.exit(3) })`)
  assert.equal(parseOutput(crash.stdout, crash.status), {
    passed: 1, failed: 1, skipped: [], stray: [{ name: 'b', reason: 'x' }], problems: ['no uvu summary: the file ended after 1 test'], ok: false,
  })
  const clean = uvu(`test('a', () => {}); test.after(() => { process.exitCode = 0; setTimeout(() => process.exit(2)) })`)
  assert.is(clean.status, 2)
  assert.equal(parseOutput(clean.stdout, clean.status), {
    passed: 1, failed: 1, skipped: [], stray: [], problems: ['exited 2 after its tests passed'], ok: false,
  })
  assert.equal(parseOutput(clean.stdout, 0, true).problems, ['timed out'])
  assert.equal(parseOutput('', 0).problems, ['no uvu summary: the file ended after 0 tests'])
})

test('output that looks like a glyph is caught by uvu\'s own count', () => {
  const r = uvu(`test('a', () => { process.stdout.write('• ') })`)
  assert.equal(parseOutput(r.stdout, r.status).problems, ['uvu counts 1 of 1 passed, the output shows 2 of 2'])
})

test.run()
