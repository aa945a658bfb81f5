// The test infrastructure itself: the rootless user, the staged copy, runCmd,
// and the fixtures (checked against runc, which shares no code with either
// cocker or the fixtures). The runner's summary parser: test/unit/support/.
import { existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import { makeBusyboxBundle } from '../fixtures/busybox-bundle.js'
import { fixtureInitPath, hasFixtureInit, makeInitBundle } from '../fixtures/init-bundle.js'
import { modeDir } from '../support/cocker-modes.js'
import { runCmd } from '../support/exec.js'
import { namePrefix, safeName } from '../support/names.js'
import { RUNTIME_BIN } from '../support/paths.js'
import { hasUserns, isRoot, rootlessOrSkip, skipUnless, which } from '../support/requires.js'
import { rootlessRuntimeBin, stageForRootless } from '../support/rootless.js'

test('rootless user setup gives an unprivileged user', async () => {
  const user = rootlessOrSkip('rootless user setup gives an unprivileged user')
  if (!user) return
  const r = await runCmd(['id', '-u'], { asUser: user, status: 0 })
  assert.is(r.stdout.trim(), String(user.uid))
  assert.ok(user.uid !== 0, 'the rootless user must not be root')
  // cockertest gets a private runtime dir; the calling user keeps what it has (none without a login session)
  const xdg = await runCmd(['sh', '-c', 'echo "${XDG_RUNTIME_DIR-unset}"; [ -z "$XDG_RUNTIME_DIR" ] || stat -c %u:%a "$XDG_RUNTIME_DIR"'], { asUser: user, status: 0 })
  assert.is(xdg.stdout, user.env.XDG_RUNTIME_DIR ? `${user.env.XDG_RUNTIME_DIR}\n${user.uid}:700\n` : 'unset\n')
})

test('the rootless user can read the staged copy and run node', async () => {
  const name = 'the rootless user can read the staged copy and run node'
  const user = rootlessOrSkip(name)
  if (!user) return
  const stage = stageForRootless()
  const readName = 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).name)'
  const r = await runCmd(['node', '-e', readName, path.join(stage, 'package.json')], { asUser: user, status: 0 })
  assert.is(r.stdout, 'cocker')
  await runCmd(['test', '-r', path.join(stage, 'node_modules/uvu/package.json')], { asUser: user, status: 0 })
  if (existsSync(RUNTIME_BIN)) await runCmd(['test', '-x', rootlessRuntimeBin()], { asUser: user, status: 0 })
})

test('runCmd puts the exit status first, then argv and output', async () => {
  const argv = ['sh', '-c', 'echo out; echo err >&2; exit 3']
  const r = await runCmd(argv, { status: 3 })
  assert.equal([r.status, r.stdout, r.stderr], [3, 'out\n', 'err\n'])
  try {
    await runCmd(argv, { status: 0 })
    assert.unreachable('runCmd must throw on an unexpected status')
  } catch (e) {
    assert.match((e as Error).message, /^command exited 3, expected 0: sh -c 'echo out; echo err >&2; exit 3'\n--- stdout\nout\n--- stderr\nerr\n$/)
  }
})

test('runCmd passes input and kills what outlives its timeout', async () => {
  const r = await runCmd(['cat'], { input: 'abc', status: 0 })
  assert.is(r.stdout, 'abc')
  const start = Date.now()
  try {
    // The grandchild sleep would keep the pipes open if only sh were killed.
    await runCmd(['sh', '-c', 'sleep 30 & sleep 30'], { timeoutMs: 300 })
    assert.unreachable('runCmd must throw on a timeout')
  } catch (e) {
    assert.match((e as Error).message, /^command timed out after 300 ms/)
  }
  assert.ok(Date.now() - start < 5000, 'the timeout must not wait for the grandchild')
})

test('safeName is unique and carries the file tag', () => {
  const a = safeName()
  const b = safeName()
  assert.is.not(a, b)
  assert.ok(a.startsWith(namePrefix()), `${a} starts with ${namePrefix()}`)
  assert.match(a, /^tsmoke-\d+-[0-9a-f]{6}$/)
})

test('fixture-init answers its verbs', async () => {
  const name = 'fixture-init answers its verbs'
  if (skipUnless(hasFixtureInit(), name, 'c/tests/fixture-init is not built'))
    return
  const init = fixtureInitPath()
  assert.is((await runCmd([init, 'echo', 'a', 'b'], { status: 0 })).stdout, 'a b\n')
  await runCmd([init, 'exit', '7'], { status: 7 })
  await runCmd([init, 'false'], { status: 1 })
  await runCmd([init, 'no-such-verb'], { status: 2 })
  assert.is((await runCmd([init, 'isatty'], { status: 0 })).stdout, '0 no\n1 no\n2 no\n')
  assert.match((await runCmd([init, 'rlimit', 'nofile'], { status: 0 })).stdout, /^\d+ \d+\n$/)
  assert.is((await runCmd([init, 'syscall', 'getpid'], { status: 0 })).stdout, 'ok\n')
  const caps = (await runCmd([init, 'caps'], { status: 0 })).stdout
  assert.equal(caps.split('\n').map(l => l.split(':')[0]).filter(Boolean), ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
})

// runc rather than crun: crun refuses hybrid cgroup hosts (see PEERS.md).
test('the busybox bundle runs under runc as root', async () => {
  const name = 'the busybox bundle runs under runc as root'
  if (skipUnless(isRoot(), name, 'needs root') || skipUnless(!!which('runc'), name, 'runc is not installed')) return
  const dir = makeTempDir()
  try {
    makeBusyboxBundle(dir, { args: ['sh', '-c', 'echo hi; id -u; hostname; ls /usr/bin/env'] })
    const r = await runCmd(['runc', 'run', '--bundle', dir, safeName()], { status: 0 })
    assert.is(r.stdout, 'hi\n0\nrunc\n/usr/bin/env\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the rootless busybox bundle runs under runc as the rootless user', async () => {
  const name = 'the rootless busybox bundle runs under runc as the rootless user'
  const user = rootlessOrSkip(name)
  if (!user || skipUnless(!!which('runc'), name, 'runc is not installed')) return
  if (skipUnless(hasUserns(user), name, `${user.name} cannot create user namespaces`)) return
  const dir = makeTempDir()
  try {
    makeBusyboxBundle(dir, { rootless: user, args: ['sh', '-c', 'id -u; cat /proc/self/uid_map'] })
    const root = modeDir({ user }, 'cocker-runc-') // no XDG_RUNTIME_DIR without a login session
    const r = await runCmd(['runc', '--root', root, 'run', '--bundle', dir, safeName()], { asUser: user, status: 0 })
    assert.equal(r.stdout.split(/\s+/).filter(Boolean), ['0', '0', String(user.uid), '1'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the init bundle runs under runc, as root and rootless', async () => {
  const name = 'the init bundle runs under runc, as root and rootless'
  if (skipUnless(!!which('runc'), name, 'runc is not installed')) return
  if (skipUnless(hasFixtureInit(), name, 'c/tests/fixture-init is not built'))
    return
  const dir = makeTempDir()
  try {
    if (isRoot()) {
      makeInitBundle(path.join(dir, 'root'), { args: ['/init', 'echo', 'hello'] })
      const r = await runCmd(['runc', 'run', '--bundle', path.join(dir, 'root'), safeName()], { status: 0 })
      assert.is(r.stdout, 'hello\n')
    }
    const user = rootlessOrSkip(`${name} (rootless part)`)
    if (!user || !hasUserns(user)) return
    makeInitBundle(path.join(dir, 'rootless'), { rootless: user, args: ['/init', 'id'] })
    const root = modeDir({ user }, 'cocker-runc-') // no XDG_RUNTIME_DIR without a login session
    const r = await runCmd(['runc', '--root', root, 'run', '--bundle', path.join(dir, 'rootless'), safeName()], {
      asUser: user,
      status: 0,
    })
    assert.match(r.stdout, /^uid=0 gid=0 groups=/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
