import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderBash, renderFish, renderZsh } from '../../../../lib/cli/render/completions.js'
import { runtimeProgram } from '../../../../lib/cli/runtime-commands/index.js'
import { FIXTURE } from '../fixture-program.js'

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** Runs the bash completion function on a command line; the last word is the one completed. */
function bashComplete(script: string, fn: string, words: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cocker-compl-'))
  try {
    writeFileSync(join(dir, 'c.bash'), script)
    const quoted = words.map(w => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')
    const r = spawnSync('bash', ['-c', `cd ${dir}; mkdir -p adir; touch afile; source c.bash; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; ${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' })
    assert.is(r.status, 0, r.stderr)
    return r.stdout.split('\n').filter(Boolean)
  } finally {
    rmSync(dir, { recursive: true })
  }
}

const runtime = renderBash(runtimeProgram)
const fixture = renderBash(FIXTURE)
const rt = (...words: string[]) => bashComplete(runtime, '_cocker_runtime', ['cocker-runtime', ...words])
const fx = (...words: string[]) => bashComplete(fixture, '_fixture', ['fixture', ...words])

test('bash: commands, options, option values', () => {
  assert.equal(rt('s'), ['spec', 'start', 'state'])
  assert.equal(rt('--log-format', ''), ['text', 'json'])
  assert.equal(rt('--root', '/x', 'de'), ['delete'])
  assert.equal(rt('create', '--b'), ['--bundle'])
  assert.equal(rt('list', '-f', ''), ['table', 'json'])
  assert.equal(rt('create', '-b', 'ad'), ['adir'])
  assert.equal(rt('help', 'st'), ['start', 'state'])
})

test('bash: positionals by place (container id, then signal)', () => {
  assert.equal(rt('kill', '-a', 'c1', 'SIGK'), ['SIGKILL'])
  assert.equal(rt('exec', 'c1', 'af'), ['afile'])
})

test('bash: groups, aliases, global options after the command', () => {
  assert.equal(fx('image', ''), ['list', 'ls', 'pull'])
  assert.equal(fx('image', 'ls', '--f'), ['--format'])
  assert.equal(fx('image', 'ls', '--format', ''), ['table', 'json'])
  assert.equal(fx('pull', '--log'), ['--log-level'])
  assert.equal(fx('run', '--signal', 'SIGTE'), ['SIGTERM'])
})

test('zsh and fish completions of a program with groups parse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cocker-compl-'))
  try {
    for (const [shell, text] of [['zsh', renderZsh(FIXTURE)], ['fish', renderFish(FIXTURE)], ['bash', fixture]] as const) {
      if (!has(shell)) {
        console.log(`# SKIP ${shell} completions of a program with groups parse: ${shell} is not installed`)
        continue
      }
      writeFileSync(join(dir, shell), text)
      const r = spawnSync(shell, ['-n', join(dir, shell)], { encoding: 'utf8' })
      assert.is(r.status, 0, `${shell}: ${r.stderr}`)
    }
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('fish completes the options of a command and of a group command', () => {
  if (!has('fish')) return console.log("# SKIP fish completes the options of a command and of a group command: fish is not installed")
  const dir = mkdtempSync(join(tmpdir(), 'cocker-compl-'))
  try {
    writeFileSync(join(dir, 'c.fish'), renderFish(FIXTURE))
    const r = spawnSync('fish', ['-c', `source ${join(dir, 'c.fish')}; complete -C 'fixture image '; complete -C 'fixture image ls --f'`], { encoding: 'utf8' })
    assert.equal(r.stdout.split('\n').filter(Boolean).map(l => l.split('\t')[0]), ['list', 'ls', 'pull', '--format'])
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test.run()
