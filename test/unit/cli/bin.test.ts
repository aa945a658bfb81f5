import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { packageVersion } from '../../../lib/package-root.js'
import { packageRoot } from '../../../lib/package-root.js'

const PACKAGE_ROOT = packageRoot()

function run(bin: 'cocker' | 'cocker-runtime', args: string[]) {
  const r = spawnSync(join(PACKAGE_ROOT, 'bin', bin), args, { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('bin/cocker is a script, bin/cocker-runtime the C launcher; cocker starts from its code cache, the runtime from its snapshot or the bundle', () => {
  const cocker = join(PACKAGE_ROOT, 'bin', 'cocker')
  assert.ok(statSync(cocker).mode & 0o111, 'cocker is not executable')
  const text = readFileSync(cocker, 'utf8')
  assert.ok(text.startsWith('#!/bin/sh\n'))
  assert.ok(text.includes('dist/lib/cli/start.cjs'))
  assert.is(readlinkSync(join(PACKAGE_ROOT, 'bin', 'cocker-runtime')), '../c/cocker-launch')
  assert.ok(statSync(join(PACKAGE_ROOT, 'c', 'cocker-launch')).mode & 0o111, 'c/cocker-launch is not built')
})

/**
 * A package root with a copy of the launcher (c/cocker-launch), of bin/cocker and of the
 * code-cache loader, the real bundles, and the snapshots and helper as `setup` leaves them;
 * `check` gets the copy of `program`.
 */
function withPackageCopy(program: 'c/cocker-launch' | 'bin/cocker', setup: (root: string) => void, check: (bin: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'cocker-launch-'))
  try {
    for (const file of ['c/cocker-launch', 'bin/cocker', 'dist/lib/cli/start.cjs', 'dist/bundle/cocker.cjs', 'dist/bundle/cocker.code-cache', 'package.json']) {
      mkdirSync(join(root, dirname(file)), { recursive: true })
      copyFileSync(join(PACKAGE_ROOT, file), join(root, file))
    }
    for (const bin of ['c/cocker-launch', 'bin/cocker']) chmodSync(join(root, bin), 0o755)
    mkdirSync(join(root, 'dist', 'snapshot'), { recursive: true })
    for (const f of readdirSync(join(PACKAGE_ROOT, 'dist', 'bundle'))) {
      if (!f.startsWith('cocker.')) symlinkSync(join(PACKAGE_ROOT, 'dist', 'bundle', f), join(root, 'dist', 'bundle', f))
    }
    setup(root)
    check(join(root, program))
  } finally {
    rmSync(root, { recursive: true })
  }
}

/** Writes a file node refuses as a snapshot at dist/snapshot/NAME, dated before or after node itself. */
function brokenSnapshot(root: string, name: string, age: 'older' | 'newer'): void {
  const blob = join(root, 'dist', 'snapshot', name)
  writeFileSync(blob, 'not a snapshot')
  const when = age === 'older' ? new Date('2000-01-01') : new Date(statSync(process.execPath).mtimeMs + 60_000)
  utimesSync(blob, when, when)
}

test('bin/cocker takes its code cache, and runs without it: missing, damaged, or not fitting the V8 flags of NODE_OPTIONS', () => {
  const check = (env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dist/lib/cli/start.cjs'), '--check-code-cache'], { env: { ...process.env, NODE_OPTIONS: '', ...env } })
  assert.is(check().status, 0, 'V8 refuses the code cache of the build')
  assert.is(check({ NODE_OPTIONS: '--max-old-space-size=4096' }).status, 1, 'a V8 flag that the cache was not made with')
  const version = (env: NodeJS.ProcessEnv = {}) => (bin: string) => {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } })
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, `cocker version ${packageVersion()}\n`)
  }
  withPackageCopy('bin/cocker', () => {}, version())
  withPackageCopy('bin/cocker', root => rmSync(join(root, 'dist/bundle/cocker.code-cache')), version())
  withPackageCopy('bin/cocker', root => writeFileSync(join(root, 'dist/bundle/cocker.code-cache'), 'not a code cache'), version())
  withPackageCopy('bin/cocker', () => {}, version({ NODE_OPTIONS: '--max-old-space-size=4096' }))
})

test('cocker-runtime: a snapshot older than node is not used (node could not load it): the bundle runs', () => {
  withPackageCopy('c/cocker-launch', root => brokenSnapshot(root, 'cocker-runtime.blob', 'older'), launcher => {
    const r = spawnSync(launcher, ['--version'], { encoding: 'utf8' })
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout.split('\n')[0], `cocker-runtime version ${packageVersion()}`)
  })
})

test('cocker-runtime: without a helper to become, node runs alone; without node, one line and 127', () => {
  withPackageCopy('c/cocker-launch', () => {}, launcher => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'COCKER_HELPER'))
    const r = spawnSync(launcher, ['state', 'no-such-container'], { encoding: 'utf8', env })
    assert.is(r.status, 1)
    assert.match(r.stderr, /^cocker-runtime: container "no-such-container" does not exist/)
    const none = spawnSync(launcher, ['--version'], { encoding: 'utf8', env: { PATH: '/nonexistent' } })
    assert.is(none.status, 127)
    assert.is(none.stderr, 'cocker-runtime: node is not on PATH; cocker needs node 20.16 or later\n')
  })
})

/** The processes whose command line holds marker. */
function running(marker: string): number[] {
  return readdirSync('/proc').filter(p => /^\d+$/.test(p)).filter(p => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)
    } catch {
      return false
    }
  }).map(Number)
}

test('cocker-runtime: a signal ends it as it ends node; after a kill -9 no node of it is left', async () => {
  // node waits at the open of a fifo that nobody writes: it would wait forever on its own
  const dir = mkdtempSync(join(tmpdir(), 'cocker-bin-'))
  try {
    spawnSync('mkfifo', [join(dir, 'config.json')])
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const marker = `bin-signal-${process.pid}-${signal}`
      const child = spawn(join(PACKAGE_ROOT, 'bin', 'cocker-runtime'), ['--root', join(dir, 'state'), 'run', '--bundle', dir, marker], { stdio: 'ignore' })
      await new Promise(r => setTimeout(r, 300))
      child.kill(signal)
      const [, sig] = await once(child, 'exit')
      assert.is(sig, signal)
      for (let i = 0; i < 100 && running(marker).length; i++) await new Promise(r => setTimeout(r, 10))
      const left = running(marker)
      for (const pid of left) process.kill(pid, 'SIGKILL')
      assert.equal(left, [], `processes of "cocker-runtime run ${marker}" outlived it`)
    }
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('the user\'s NODE_OPTIONS, even a V8 flag that a snapshot refuses, stop neither program', () => {
  const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=4096' }
  const runtime = spawnSync(join(PACKAGE_ROOT, 'bin', 'cocker-runtime'), ['--version'], { encoding: 'utf8', env })
  assert.is(runtime.status, 0, runtime.stderr)
  assert.is(runtime.stdout.split('\n')[0], `cocker-runtime version ${packageVersion()}`)
  const cocker = spawnSync(join(PACKAGE_ROOT, 'bin', 'cocker'), ['--version'], { encoding: 'utf8', env })
  assert.is(cocker.status, 0, cocker.stderr)
  assert.is(cocker.stdout, `cocker version ${packageVersion()}\n`)
})

test('cocker-runtime with its standard streams closed still does its work, and fails as it should', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cocker-bin-'))
  try {
    // nothing to print to: what it did shows in files, which a crash (also exit 1) leaves unwritten
    const closed = (args: string) => spawnSync('/bin/sh', ['-c', `exec 0<&- 1>&- 2>&-; '${join(PACKAGE_ROOT, 'bin', 'cocker-runtime')}' ${args}`], { timeout: 10_000 })
    assert.is(closed(`spec --bundle '${dir}'`).status, 0)
    assert.is(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).process.args[0], 'sh')
    const log = join(dir, 'log.json')
    assert.is(closed(`--log '${log}' --log-format json state no-such-container`).status, 1)
    assert.match(JSON.parse(readFileSync(log, 'utf8')).msg, /^container "no-such-container" does not exist/)
  } finally {
    rmSync(dir, { recursive: true })
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

test('cocker writing into a closed pipe ends quietly with its status (cocker version | true)', () => {
  // true is gone long before node has started: the write finds no reader (EPIPE)
  const r = spawnSync('bash', ['-c', `'${join(PACKAGE_ROOT, 'bin', 'cocker')}' version | true; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' })
  assert.is(r.stderr, '')
  assert.is(r.stdout, '0\n')
})

test('ps and images load neither node:crypto, node:net, node:stream, node:child_process nor the store that writes', () => {
  for (const command of ['ps', 'images']) {
    const graph = staticGraph(join(PACKAGE_ROOT, `dist/lib/cli/commands/${command}.js`))
    const bad = graph.filter(f => /^node:(crypto|net|stream|child_process)|storage\/(store|blobs|layers)\.js|store-context\.js/.test(f))
    assert.equal(bad, [], `${command} loads ${bad.join(', ')}`)
  }
})

test('run loads node:crypto nowhere (ids and names come from /dev/urandom)', () => {
  const graph = staticGraph(join(PACKAGE_ROOT, 'dist/lib/cli/commands/run.js'))
  const bad = graph.filter(f => /^node:crypto/.test(f))
  assert.equal(bad, [], `run loads ${bad.join(', ')}`)
})

test('cocker loads no command module and no yargs/chalk/ora before dispatch', () => {
  const graph = staticGraph(join(PACKAGE_ROOT, 'dist/lib/cli/main.js'))
  // index.js and the *-defs.js lists it gathers hold definitions only (data)
  const bad = graph.filter(f => /commands\/(?!index\.js|[\w-]+-defs\.js)|^yargs|^chalk|^ora|cli\/help\.js/.test(f))
  assert.equal(bad, [], `eagerly loaded: ${bad.join(', ')}`)
})

test.run()
