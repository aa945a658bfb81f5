// Layers that try to write outside their directory, pulled from a real registry by
// bin/cocker as root and rootless: the host stays untouched, and the user reads one
// line saying what the layer tried. Images are built here (test/support/tar-builder.ts),
// pushed with skopeo.
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import { hostBusybox } from '../fixtures/busybox-bundle.js'
import { cocker, cockerScenario, type CockerMode } from '../support/cocker-modes.js'
import { buildLayout, pushLayout } from '../support/image-fixture.js'
import { registryMissing, startRegistry, type TestRegistry } from '../support/registry.js'
import { buildTar, chardev, dir, file, hardlink, symlink, type RawEntry } from '../support/tar-builder.js'

let registry: TestRegistry | undefined
const missing = registryMissing()

test.before(async () => {
  if (!missing) registry = await startRegistry()
})
test.after(async () => {
  await registry?.stop()
})

/** A directory beside the store that no layer may touch, with one file in it. */
function canary(): string {
  const d = makeTempDir('cocker-canary-')
  writeFileSync(path.join(d, 'keep'), 'untouched\n')
  return d
}

function assertUntouched(d: string): void {
  assert.equal(readdirSync(d), ['keep'])
  assert.is(readFileSync(path.join(d, 'keep'), 'utf8'), 'untouched\n')
}

const base = (): RawEntry[] => [dir('bin'), file('bin/busybox', readFileSync(hostBusybox()), { mode: 0o755 }), symlink('bin/sh', 'busybox')]

async function pushImage(name: string, layers: RawEntry[][]): Promise<string> {
  const layout = buildLayout(makeTempDir(`cocker-hostile-${name}-`), layers.map(l => buildTar(l)))
  return (await pushLayout(registry!.host, layout, { repository: `hostile/${name}` })).reference
}

/** After a refused pull: no image, no layer, nothing left in tmp/ (system check finds nothing). */
async function assertStoreClean(e: CockerMode): Promise<void> {
  assert.is((await cocker(e, ['images', '-q'], { status: 0 })).stdout, '')
  const check = await cocker(e, ['system', 'check', '--max', '0s'], { status: 0 })
  assert.not.match(check.stdout, /layer|tmp|blob/i, check.stdout)
  assert.equal(existsSync(path.join(e.root, 'tmp')) ? readdirSync(path.join(e.root, 'tmp')) : [], [])
}

function scenario(title: string, body: (e: CockerMode) => Promise<void>, modes?: readonly CockerMode['name'][]): void {
  cockerScenario(title, body, modes, missing)
}

scenario('a layer entry climbing out with ".." is refused, naming the entry', async e => {
  const c = canary()
  const up = path.relative('/', c).split('/').map(() => '..').join('/')
  const ref = await pushImage('dotdot', [[...base(), file(`${up}/../..${c}/pwned`, 'x')]])
  const r = await cocker(e, ['pull', '-q', ref], { status: 125 })
  assert.match(r.stderr, /^Error: .*pwned.*\n$/)
  assert.is(r.stderr.split('\n').length, 2, r.stderr)
  assertUntouched(c)
  await assertStoreClean(e)
})

scenario('a symlink to the host, then a file through it: the file stays inside the layer', async e => {
  const c = canary()
  const ref = await pushImage('symlink', [[...base(), symlink('evil', c), file('evil/pwned', 'x')]])
  await cocker(e, ['pull', '-q', ref], { status: 0 })
  assertUntouched(c)
  // in the container, the symlink points to where the file landed: the image's own /<canary>
  const out = await cocker(e, ['run', '--rm', ref, 'sh', '-c', `cat ${c}/pwned; ls ${c}`], { status: 0 })
  assert.is(out.stdout, 'xpwned\n')
})

scenario('a symlink planted by a lower layer does not lead an upper layer out', async e => {
  const c = canary()
  const ref = await pushImage('symlink-lower', [[...base(), symlink('evil', c)], [file('evil/pwned', 'x')]])
  await cocker(e, ['pull', '-q', ref], { status: 0 })
  assertUntouched(c)
})

scenario('a hardlink to a file outside the layer is refused', async e => {
  const c = canary()
  const ref = await pushImage('hardlink', [[...base(), hardlink('stolen', `${c}/keep`)]])
  const r = await cocker(e, ['pull', '-q', ref], { status: 125 })
  assert.match(r.stderr, /^Error: .*stolen/)
  assertUntouched(c)
  await assertStoreClean(e)
})

scenario('a hardlink through a symlink is refused', async e => {
  const c = canary()
  const ref = await pushImage('hardlink-symlink', [[...base(), symlink('out', c), hardlink('stolen', 'out/keep')]])
  const r = await cocker(e, ['pull', '-q', ref], { status: 125 })
  assert.match(r.stderr, /^Error: .*stolen/)
  assertUntouched(c)
  await assertStoreClean(e)
})

scenario('device nodes: made as root; rootless, skipped quietly, counted at --log-level info, named at debug', async e => {
  const ref = await pushImage('device', [[...base(), dir('dev'), chardev('dev/kmsg2', 1, 11), chardev('dev/kmsg3', 1, 11)]])
  const r = await cocker(e, ['pull', '-q', ref], { status: 0 })
  const out = await cocker(e, ['run', '--rm', ref, 'sh', '-c', 'echo /*'], { status: 0 })
  assert.match(out.stdout, /\/bin/)
  const store = (await cocker(e, ['image', 'inspect', '--format', '{{.GraphDriver.Data.UpperDir}}', ref], { status: 0 })).stdout.trim()
  const node = path.join(store, 'dev/kmsg2')
  if (e.name === 'root') {
    assert.is(r.stderr, '')
    assert.ok(lstatSync(node).isCharacterDevice())
  } else {
    assert.is(r.stderr, '', 'quiet, as Podman: the runtime provides /dev')
    assert.not.ok(existsSync(node))
    await cocker(e, ['rmi', ref], { status: 0 })
    const info = await cocker(e, ['--log-level', 'info', 'pull', '-q', ref], { status: 0 })
    assert.match(info.stderr, /^INFO: layer [0-9a-f]{12}: 2 device nodes skipped: they cannot be created rootless, and the runtime provides \/dev\n$/)
    await cocker(e, ['rmi', ref], { status: 0 })
    const debug = await cocker(e, ['pull', '--log-level=debug', '-q', ref], { status: 0 })
    assert.match(debug.stderr, /^DEBUG: layer [0-9a-f]{12}: \/dev\/kmsg2: device nodes cannot be created rootless \(char 1:11\); skipped\n/)
    assert.match(debug.stderr, /\nINFO: layer [0-9a-f]{12}: 2 device nodes skipped/)
  }
})

scenario('rootless: a file owned by an id outside the subordinate range is one clear error', async e => {
  const ref = await pushImage('unmapped', [[...base(), file('opt-owned', 'x', { uid: 300000, gid: 0 })]])
  const r = await cocker(e, ['pull', '-q', ref], { status: 125 })
  assert.match(r.stderr, /^Error: .*opt-owned.* uid 300000/)
  assert.is(r.stderr.split('\n').length, 2, r.stderr)
  await assertStoreClean(e)
}, ['rootless'])

test.run()
