import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { packageVersion } from '../../../lib/cli/package-info.js'
import { packageRoot } from '../../../lib/package-root.js'

const PACKAGE_ROOT = packageRoot()

function run(bin: 'cocker' | 'cocker-runtime', args: string[]) {
  const r = spawnSync(join(PACKAGE_ROOT, 'bin', bin), args, { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('bin files are executable scripts that start node from the snapshot or the bundle', () => {
  for (const bin of ['cocker', 'cocker-runtime']) {
    const path = join(PACKAGE_ROOT, 'bin', bin)
    assert.ok(statSync(path).mode & 0o111, `${bin} is not executable`)
    const text = readFileSync(path, 'utf8')
    assert.ok(text.startsWith('#!/bin/sh\n'), bin)
    assert.ok(text.includes(`dist/snapshot/${bin}.blob`) && text.includes(`dist/bundle/${bin}.js`), bin)
  }
})

test('cocker-runtime --version, -v', () => {
  for (const flag of ['--version', '-v']) {
    const r = run('cocker-runtime', [flag])
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout.split('\n')[0], `cocker-runtime version ${packageVersion()}`)
  }
})

test('cocker-runtime: a bad flag is exit 1 and one line naming it, also in the --log file as JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cocker-bin-'))
  try {
    const log = join(dir, 'log.json')
    const r = run('cocker-runtime', ['--log', log, '--log-format', 'json', 'create', '--bogus', 'c1'])
    assert.is(r.status, 1)
    assert.is(r.stdout, '')
    assert.is(r.stderr, 'cocker-runtime: unknown flag: --bogus (see "cocker-runtime create --help")\n')
    const entry = JSON.parse(readFileSync(log, 'utf8'))
    assert.is(entry.level, 'error')
    assert.is(entry.msg, 'unknown flag: --bogus (see "cocker-runtime create --help")')
    assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('cocker-runtime: unknown command and missing argument are exit 1', () => {
  assert.is(run('cocker-runtime', ['nope']).stderr, 'cocker-runtime: unknown command "nope" (see "cocker-runtime --help")\n')
  const r = run('cocker-runtime', ['kill'])
  assert.is(r.status, 1)
  assert.is(r.stderr, 'cocker-runtime: missing argument: <container-id> (see "cocker-runtime kill --help")\n')
})

test('cocker-runtime: help on stdout, exit 0', () => {
  for (const args of [[], ['--help'], ['help'], ['state', '--help'], ['help', 'state']]) {
    const r = run('cocker-runtime', args)
    assert.is(r.status, 0, args.join(' '))
    assert.match(r.stdout, /^Usage: cocker-runtime /)
  }
})

test('cocker: version, --version, errors are 125 with Error:', () => {
  const v = run('cocker', ['version'])
  assert.is(v.status, 0, v.stderr)
  assert.match(v.stdout, new RegExp(`^cocker version ${packageVersion().replace(/\./g, '\\.')}\nnode: v\\d+\\.\\d+\\.\\d+\nhelper: /`))
  assert.is(run('cocker', ['--version']).stdout, `cocker version ${packageVersion()}\n`)
  const bad = run('cocker', ['version', '--bogus'])
  assert.is(bad.status, 125)
  assert.is(bad.stderr, "Error: unknown flag: --bogus\nSee 'cocker version --help'.\n")
  const none = run('cocker', [])
  assert.is(none.status, 125)
  assert.match(none.stdout, /^Usage: cocker /)
  assert.is(none.stderr, "Error: missing command 'cocker COMMAND'\n")
})

/** Static imports of a compiled module, transitively (what loads before any await import()). */
function staticGraph(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec))
      else seen.add(spec)
    }
  }
  visit(entry)
  return [...seen].map(f => (f.startsWith('/') ? relative(join(PACKAGE_ROOT, 'dist'), f) : f)).sort()
}

test('cocker-runtime loads no command module, no lifecycle, no yargs/chalk/ora before dispatch', () => {
  const graph = staticGraph(join(PACKAGE_ROOT, 'dist/lib/cli/runtime-main.js'))
  const bad = graph.filter(f => /runtime-commands\/(?!index\.js)|runtime\/lifecycle|^yargs|^chalk|^ora|cli\/help\.js/.test(f))
  assert.equal(bad, [], `eagerly loaded: ${bad.join(', ')}`)
  const local = graph.filter(f => !f.startsWith('node:'))
  assert.ok(local.length <= 12, `runtime-main loads ${local.length} modules: ${local.join(', ')}`)
})

test('cocker loads no command module and no yargs/chalk/ora before dispatch', () => {
  const graph = staticGraph(join(PACKAGE_ROOT, 'dist/lib/cli/main.js'))
  const bad = graph.filter(f => /commands\/(?!index\.js)|^yargs|^chalk|^ora|cli\/help\.js/.test(f))
  assert.equal(bad, [], `eagerly loaded: ${bad.join(', ')}`)
})

test.run()
