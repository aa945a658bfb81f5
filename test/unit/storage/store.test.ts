import { existsSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { updateMetadata } from '../../../lib/storage/metadata.js'
import { addTestImage, tempStore } from '../../support/store-fixture.js'

test('rmi: a name of a multi-name image untags; the last name deletes image, layers and blobs', async () => {
  const t = tempStore()
  try {
    const img = await addTestImage(t.store, { names: ['localhost/foo:latest', 'localhost/bar:latest'], layers: [{ a: '1' }, { b: '2' }] })
    let r = await t.store.removeImages(['bar'])
    assert.equal(r, { untagged: ['localhost/bar:latest'], deleted: [], errors: [] })
    r = await t.store.removeImages(['foo'])
    assert.equal(r, { untagged: ['localhost/foo:latest'], deleted: [img.id], errors: [] })
    const md = t.store.metadata()
    assert.equal([md.images, md.layers], [[], []])
    assert.equal(readdirSync(path.join(t.root, 'blobs/sha256')), [])
    assert.equal(readdirSync(path.join(t.root, 'layers')), [])
    assert.equal(readdirSync(path.join(t.root, 'l')), [])
    assert.equal(readdirSync(path.join(t.root, 'tmp')), [])
  } finally {
    t.cleanup()
  }
})

test('rmi by ID of a multi-name image needs force; unknown images are errors unless forced or ignored', async () => {
  const t = tempStore()
  try {
    const img = await addTestImage(t.store, { names: ['localhost/a:latest', 'localhost/b:latest'], layers: [{ a: '1' }] })
    let r = await t.store.removeImages([img.id.slice(0, 12), 'nosuch'])
    assert.equal(r.errors.map(e => [e.code, e.message]), [
      ['IMAGE_MULTIPLE_NAMES', `unable to delete image "${img.id}" by ID with more than one tag ([localhost/a:latest localhost/b:latest]): please force removal`],
      ['IMAGE_NOT_FOUND', 'nosuch: image not known'],
    ])
    r = await t.store.removeImages([img.id.slice(0, 12), 'nosuch'], { force: true })
    assert.equal(r, { untagged: ['localhost/a:latest', 'localhost/b:latest'], deleted: [img.id], errors: [] })
    assert.equal((await t.store.removeImages(['nosuch'], { ignore: true })).errors, [])
  } finally {
    t.cleanup()
  }
})

test('rmi keeps layers and blobs that other images still need; removeTree is the injected one', async () => {
  const removed: string[] = []
  const t = tempStore({ removeTree: dir => (removed.push(dir), rmSync(dir, { recursive: true })) })
  try {
    const base = { 'etc/base': 'shared' }
    const one = await addTestImage(t.store, { names: ['one'], layers: [base, { one: '1' }] })
    const two = await addTestImage(t.store, { names: ['two'], layers: [base, { two: '2' }] })
    await t.store.removeImages(['one'])
    assert.equal(t.store.metadata().layers.map(l => l.id).sort(), [...two.layers].sort())
    assert.is(removed.length, 1)
    assert.match(removed[0]!, new RegExp(`/tmp/rm-${one.layers[1]!.slice(0, 12)}-`))
    for (const d of [two.configDigest, two.manifestDigest]) assert.ok(t.store.blobs.has(d))
    assert.not.ok(t.store.blobs.has(one.configDigest))
    assert.ok(existsSync(t.store.layers.diffDir(two.layers[0]!)))
  } finally {
    t.cleanup()
  }
})

test('an image a container uses is refused (IMAGE_IN_USE), but a name of it can be untagged', async () => {
  const t0 = tempStore()
  const t = tempStore({ usedBy: id => (id === img.id ? ['c0ffee'] : []) })
  let img = await addTestImage(t.store, { names: ['x', 'y'], layers: [{ a: '1' }] })
  try {
    assert.equal((await t.store.removeImages(['y'])).untagged, ['docker.io/library/y:latest'])
    const r = await t.store.removeImages(['x'], { force: true })
    assert.equal(r.errors.map(e => e.code), ['IMAGE_IN_USE'])
    assert.equal(await t.store.pruneImages({ all: true }), [])
    assert.equal(t.store.diskUsage().images.active, 1)
  } finally {
    t.cleanup()
    t0.cleanup()
  }
})

test('prune removes dangling images; -a every unused one; rmi -a everything', async () => {
  const t = tempStore()
  try {
    const old = await addTestImage(t.store, { names: ['x'], layers: [{ a: 'old' }] })
    const neu = await addTestImage(t.store, { names: ['x'], layers: [{ a: 'new' }] })
    const other = await addTestImage(t.store, { names: ['y'], layers: [{ a: 'y' }] })
    assert.equal(await t.store.pruneImages(), [old.id])
    assert.equal((await t.store.pruneImages({ all: true })).sort(), [neu.id, other.id].sort())
    await addTestImage(t.store, { names: ['z'], layers: [{ a: 'z' }] })
    const r = await t.store.removeAllImages()
    assert.equal([r.untagged, r.deleted.length], [['docker.io/library/z:latest'], 1])
    assert.equal(t.store.metadata().layers, [])
  } finally {
    t.cleanup()
  }
})

test('df counts shared layers once; everything unused is reclaimable', async () => {
  const t = tempStore()
  try {
    await addTestImage(t.store, { names: ['one'], layers: [{ base: '1234567890' }, { one: '1' }] })
    await addTestImage(t.store, { names: ['two'], layers: [{ base: '1234567890' }, { two: '22' }] })
    const df = t.store.diskUsage()
    assert.equal(df.images, { total: 2, active: 0, size: 13, reclaimable: 13 })
    assert.equal(df.perImage.map(p => [p.sharedSize, p.uniqueSize]).sort(), [[10, 1], [10, 2]])
    assert.equal(df.containers, { total: 0, active: 0, size: 0, reclaimable: 0 })
  } finally {
    t.cleanup()
  }
})

test('reset removes everything and leaves a usable empty store', async () => {
  const t = tempStore()
  try {
    await addTestImage(t.store, { names: ['one'], layers: [{ a: '1' }] })
    writeFileSync(path.join(t.root, 'tmp', 'junk'), 'x')
    await t.store.reset()
    assert.equal(readdirSync(t.root).sort(), ['storage.json', 'storage.lock', 'tmp'])
    assert.equal(readdirSync(path.join(t.root, 'tmp')), [])
    assert.equal(t.store.images.list(), [])
    await addTestImage(t.store, { names: ['one'], layers: [{ a: '1' }] })
    assert.is(t.store.images.list().length, 1)
  } finally {
    t.cleanup()
  }
})

test('check: a crash between rename and record leaves an unrecorded layer; repair removes it and its link', async () => {
  const t = tempStore()
  try {
    const layer = await t.store.layers.create('a'.repeat(64), { diffId: 'sha256:x' }, async () => ({ size: 0 }))
    // The metadata as it was before step 4 of create().
    await updateMetadata(t.store.paths, md => void (md.layers = []))
    const report = await t.store.check({ maxAge: 0 })
    assert.equal(report.problems.map(p => [p.subject, p.message]), [
      ['layer', `layers/${'a'.repeat(64)} is not recorded in the metadata`],
      ['link', `l/${layer.link} belongs to no recorded layer`],
    ])
    assert.equal((await t.store.check()).problems, [], 'young leftovers may be a running pull')
    const fixed = await t.store.check({ maxAge: 0, repair: true })
    assert.equal(fixed.removed.map(r => r.subject).sort(), ['layer', 'link'])
    assert.equal([readdirSync(path.join(t.root, 'layers')), readdirSync(path.join(t.root, 'l')), readdirSync(path.join(t.root, 'tmp'))], [[], [], []])
    assert.equal((await t.store.check({ maxAge: 0 })).problems, [])
  } finally {
    t.cleanup()
  }
})

test('check: missing layer dir, missing blob and corrupt blob damage images; repair removes them', async () => {
  const t = tempStore()
  try {
    const a = await addTestImage(t.store, { names: ['a'], layers: [{ a: '1' }] })
    const b = await addTestImage(t.store, { names: ['b'], layers: [{ b: '1' }] })
    const c = await addTestImage(t.store, { names: ['c'], layers: [{ c: '1' }] })
    const ok = await addTestImage(t.store, { names: ['ok'], layers: [{ ok: '1' }] })
    rmSync(path.join(t.root, 'layers', a.layers[0]!), { recursive: true })
    unlinkSync(t.store.blobs.path(b.manifestDigest))
    writeFileSync(t.store.blobs.path(c.configDigest), 'garbage')
    const quick = await t.store.check({ quick: true })
    assert.not.ok(quick.problems.some(p => p.name === c.id), 'quick skips digests')
    const report = await t.store.check()
    const damaged = [...new Set(report.problems.filter(p => p.subject === 'image').map(p => p.name))].sort()
    assert.equal(damaged, [a.id, b.id, c.id].sort())
    assert.ok(report.problems.some(p => p.message === `layers/${a.layers[0]}/diff is missing`))
    const fixed = await t.store.check({ repair: true })
    assert.equal(fixed.removed.filter(r => r.subject === 'image').map(r => r.name).sort(), [a.id, b.id, c.id].sort())
    assert.equal(t.store.images.list().map(i => i.id), [ok.id])
    assert.equal((await t.store.check({ maxAge: 0 })).problems, [])
  } finally {
    t.cleanup()
  }
})

test.run()
