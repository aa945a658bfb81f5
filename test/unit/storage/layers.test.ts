import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chainIds } from '../../../lib/storage/layers.js'
import { tempStore, writeFiles } from '../../support/store-fixture.js'

const WORKER = fileURLToPath(new URL('../../support/store-worker.js', import.meta.url))
const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

function runWorker(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', b => (stdout += b))
    child.stderr.on('data', b => (stderr += b))
    child.on('close', status => resolve({ status, stdout, stderr }))
  })
}

test('chain ids follow the OCI image spec', () => {
  const d1 = `sha256:${'1'.repeat(64)}`
  const d2 = `sha256:${'2'.repeat(64)}`
  const ids = chainIds([d1, d2])
  assert.is(ids[0], '1'.repeat(64))
  // sha256("sha256:111… sha256:222…"), computed independently with sha256sum
  assert.is(ids[1], '9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5')
})

test('create fills a staging dir, renames it into layers/, links it and records it', async () => {
  const t = tempStore()
  try {
    let staging = ''
    const rec = await t.store.layers.create(A, { diffId: `sha256:${A}`, compressedDigest: `sha256:${B}`, compressedSize: 5, mediaType: 'x' }, async dir => {
      staging = dir
      assert.ok(dir.startsWith(path.join(t.root, 'tmp')))
      return writeFiles(dir, { 'etc/os-release': 'ID=test\n' })
    })
    assert.not.ok(existsSync(staging))
    assert.is(rec.size, 8)
    assert.is(rec.link.length, 26)
    assert.is(readFileSync(path.join(t.store.layers.diffDir(A), 'etc/os-release'), 'utf8'), 'ID=test\n')
    assert.is(readlinkSync(path.join(t.root, 'l', rec.link)), `../layers/${A}/diff`)
    assert.ok(t.store.layers.has(A))
    assert.equal(t.store.layers.get(A)!.compressedDigest, `sha256:${B}`)
    let called = false
    const again = await t.store.layers.create(A, { diffId: `sha256:${A}` }, async () => ((called = true), { size: 0 }))
    assert.not.ok(called, 'a recorded layer is not filled again')
    assert.is(again.link, rec.link)
  } finally {
    t.cleanup()
  }
})

test('lowerDirs lists short links, top first, relative to the root; chain needs the parents', async () => {
  const t = tempStore()
  try {
    const a = await t.store.layers.create(A, { diffId: `sha256:${A}` }, async dir => writeFiles(dir, { a: '1' }))
    const b = await t.store.layers.create(B, { parent: A, diffId: `sha256:${B}` }, async dir => writeFiles(dir, { b: '2' }))
    assert.equal(t.store.layers.lowerDirs(B), [`l/${b.link}`, `l/${a.link}`])
    assert.ok(existsSync(path.join(t.root, t.store.layers.lowerDirs(B)[1]!, 'a')))
    const err = await t.store.layers.create('c'.repeat(64), { parent: 'd'.repeat(64), diffId: 'sha256:x' }, async () => ({ size: 0 })).catch(e => e)
    assert.is(err.code, 'LAYER_NOT_FOUND')
  } finally {
    t.cleanup()
  }
})

test('a failing fill leaves nothing: no record, no dir, no link, empty tmp/', async () => {
  const t = tempStore()
  try {
    const err = await t.store.layers
      .create(A, { diffId: `sha256:${A}` }, async dir => {
        await writeFiles(dir, { partial: 'x' })
        throw new Error('unpack failed')
      })
      .catch(e => e)
    assert.is(err.message, 'unpack failed')
    assert.not.ok(t.store.layers.has(A))
    assert.equal(readdirSync(path.join(t.root, 'tmp')), [])
    assert.equal(readdirSync(path.join(t.root, 'layers')), [])
    assert.equal(readdirSync(path.join(t.root, 'l')), [])
    assert.equal((await t.store.check({ maxAge: 0 })).problems, [])
  } finally {
    t.cleanup()
  }
})

test('two processes creating the same layer at once: one copy wins, both see the same record', async () => {
  const t = tempStore()
  try {
    const [r1, r2] = await Promise.all([runWorker([t.root, 'layer', A]), runWorker([t.root, 'layer', A])])
    assert.is(r1.status, 0, r1.stderr)
    assert.is(r2.status, 0, r2.stderr)
    assert.is(r1.stdout, r2.stdout, 'same link')
    assert.is(t.store.metadata().layers.length, 1)
    assert.equal(readdirSync(path.join(t.root, 'l')), [r1.stdout.trim()])
    assert.equal(readdirSync(path.join(t.root, 'tmp')).filter(n => !n.startsWith('storage.json')), [])
    assert.equal((await t.store.check({ maxAge: 0 })).problems.filter(p => p.subject !== 'layer' || !/no image uses/.test(p.message)), [])
  } finally {
    t.cleanup()
  }
})

test('kill -9 during a fill leaves only a tmp/ leftover, which check finds and repair removes', async () => {
  const t = tempStore()
  try {
    const child = spawn(process.execPath, [WORKER, t.root, 'hang'], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>(resolve => child.stdout.on('data', b => String(b).includes('filling') && resolve()))
    child.kill('SIGKILL')
    await new Promise(r => child.on('close', r))
    assert.not.ok(t.store.layers.has('f'.repeat(64)))
    assert.equal((await t.store.check()).problems, [], 'younger than --max: maybe a running pull')
    const report = await t.store.check({ maxAge: 0 })
    assert.equal(report.problems.map(p => p.subject), ['tmp'])
    await t.store.check({ maxAge: 0, repair: true })
    assert.equal(readdirSync(path.join(t.root, 'tmp')), [])
    assert.equal((await t.store.check({ maxAge: 0 })).problems, [])
  } finally {
    t.cleanup()
  }
})

test.run()
