import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateDocs, GENERATED_MARK, listGenerated, PROGRAMS, writeDocs } from '../../../lib/cli/docs.js'
import { packageVersion } from '../../../lib/package-root.js'
import { packageRoot } from '../../../lib/package-root.js'

const PACKAGE_ROOT = packageRoot()

const FIX = 'run npm run docs (after npm run build) and commit man/ and completions/'

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}

test('man/ and completions/ match the command definitions byte for byte', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cocker-docs-'))
  try {
    const written = writeDocs(tmp, packageVersion()).sort()
    const committed = listGenerated(PACKAGE_ROOT)
    const missing = written.filter(f => !committed.includes(f))
    const stale = committed.filter(f => !written.includes(f))
    assert.equal(missing, [], `generated files missing from the repository: ${missing.join(', ')}; ${FIX}`)
    assert.equal(stale, [], `files no definition generates any more: ${stale.join(', ')}; ${FIX}`)
    for (const file of written) {
      const want = readFileSync(join(tmp, file), 'utf8')
      const got = readFileSync(join(PACKAGE_ROOT, file), 'utf8')
      assert.ok(got === want, `${file} is out of date with the command definitions; ${FIX}`)
    }
  } finally {
    rmSync(tmp, { recursive: true })
  }
})

test('every generated file carries the do-not-edit mark', () => {
  for (const [file, text] of generateDocs(PROGRAMS, packageVersion())) assert.ok(text.includes(GENERATED_MARK), file)
})

function checkSyntax(shell: string, files: string[]): void {
  for (const file of files) {
    const r = spawnSync(shell, ['-n', join(PACKAGE_ROOT, file)], { encoding: 'utf8' })
    assert.is(r.status, 0, `${shell} -n ${file}: ${r.stderr}`)
  }
}

const files = [...generateDocs(PROGRAMS, packageVersion()).keys()]

test('bash -n accepts the bash completions', () => {
  checkSyntax('bash', files.filter(f => f.startsWith('completions/bash/')))
})

test('zsh -n accepts the zsh completions', () => {
  if (!has('zsh')) return console.log('# SKIP zsh -n accepts the zsh completions: zsh is not installed')
  checkSyntax('zsh', files.filter(f => f.startsWith('completions/zsh/')))
})

test('fish -n accepts the fish completions', () => {
  if (!has('fish')) return console.log('# SKIP fish -n accepts the fish completions: fish is not installed')
  checkSyntax('fish', files.filter(f => f.startsWith('completions/fish/')))
})

test('groff reads the man pages without warnings', () => {
  if (!has('groff')) return console.log('# SKIP groff reads the man pages without warnings: groff is not installed')
  for (const file of files.filter(f => f.startsWith('man/'))) {
    const r = spawnSync('groff', ['-man', '-ww', '-z', '-M', join(PACKAGE_ROOT, 'man'), join(PACKAGE_ROOT, file)], { encoding: 'utf8' })
    assert.is(r.status, 0, `${file}: ${r.stderr}`)
    assert.is(r.stderr, '', `${file}: ${r.stderr}`)
  }
})

test.run()
