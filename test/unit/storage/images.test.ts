import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findImage, normalizeTagName } from '../../../lib/storage/images.js'
import { throwsCode } from '../../support/assert.js'
import { addTestImage, tempStore } from '../../support/store-fixture.js'

const WORKER = fileURLToPath(new URL('../../support/store-worker.js', import.meta.url))

test('add records the image: id from the config, layers, top layer, size, repo digests', async () => {
  const t = tempStore()
  try {
    const img = await addTestImage(t.store, { names: ['docker.io/library/alpine:latest'], layers: [{ a: '1234' }, { b: '56' }] })
    assert.match(img.id, /^[0-9a-f]{64}$/)
    assert.is(img.configDigest, `sha256:${img.id}`)
    assert.equal(img.names, ['docker.io/library/alpine:latest'])
    assert.is(img.layers.length, 2)
    assert.is(img.topLayer, img.layers[1])
    assert.is(img.size, 6)
    assert.equal(img.repoDigests, [`docker.io/library/alpine@${img.digest}`])
    assert.equal(t.store.images.list().map(i => i.id), [img.id])
  } finally {
    t.cleanup()
  }
})

test('a name taken by a new image leaves the old one dangling', async () => {
  const t = tempStore()
  try {
    const old = await addTestImage(t.store, { names: ['quay.io/x/y:1'], layers: [{ a: 'old' }] })
    const neu = await addTestImage(t.store, { names: ['quay.io/x/y:1'], layers: [{ a: 'new' }] })
    assert.equal(t.store.images.lookup(old.id).names, [])
    assert.equal(t.store.images.lookup('quay.io/x/y:1').id, neu.id)
  } finally {
    t.cleanup()
  }
})

test('lookup: short names, qualified names, IDs, ID prefixes, name@digest, sha256:ID', async () => {
  const t = tempStore()
  try {
    const alpine = await addTestImage(t.store, { names: ['docker.io/library/alpine:latest', 'docker.io/library/alpine:3'], layers: [{ a: '1' }] })
    const foo = await addTestImage(t.store, { names: ['localhost/foo:latest', 'quay.io/team/app:v1'], layers: [{ f: '1' }] })
    const md = t.store.metadata()
    const id = (input: string) => findImage(md, input)?.image.id
    assert.is(id('alpine'), alpine.id)
    assert.is(id('alpine:3'), alpine.id)
    assert.is(id('library/alpine'), alpine.id)
    assert.is(id('docker.io/alpine'), alpine.id)
    assert.is(id('foo'), foo.id)
    assert.is(id('app:v1'), foo.id)
    assert.is(id('team/app:v1'), foo.id)
    assert.is(id('quay.io/team/app:v1'), foo.id)
    assert.is(id('docker.io/library/foo'), undefined)
    assert.is(id('alpine:4'), undefined)
    assert.is(id(alpine.id), alpine.id)
    assert.is(id(`sha256:${alpine.id}`), alpine.id)
    assert.is(id(foo.id.slice(0, 12)), foo.id)
    assert.is(id(`alpine@${alpine.digest}`), alpine.id)
    assert.is(id(`docker.io/library/alpine@${alpine.digest}`), alpine.id)
    assert.is(id(`foo@${alpine.digest}`), undefined)
    assert.is(findImage(md, 'foo')!.name, 'localhost/foo:latest')
    throwsCode(() => findImage(md, 'sha256:53c5'), 'INVALID_ARGUMENT', /no 64-byte hexadecimal value/)
    throwsCode(() => t.store.images.lookup('nosuch'), 'IMAGE_NOT_FOUND', /^nosuch: image not known$/)
    assert.ok(t.store.images.exists('alpine'))
    assert.not.ok(t.store.images.exists('nosuch'))
  } finally {
    t.cleanup()
  }
})

test('tag names like podman tag: short names go to localhost/; untag removes one or all', async () => {
  assert.is(normalizeTagName('foo'), 'localhost/foo:latest')
  assert.is(normalizeTagName('user/x:2'), 'localhost/user/x:2')
  assert.is(normalizeTagName('docker.io/foo'), 'docker.io/library/foo:latest')
  throwsCode(() => normalizeTagName(`foo@sha256:${'a'.repeat(64)}`), 'INVALID_ARGUMENT', /tag by digest/)
  throwsCode(() => normalizeTagName('BAD'), 'INVALID_ARGUMENT', /lowercase/)
  const t = tempStore()
  try {
    const img = await addTestImage(t.store, { names: ['localhost/foo:latest'], layers: [{ a: '1' }] })
    assert.equal(await t.store.images.tag('foo', ['bar', 'quay.io/x/y:1']), ['localhost/bar:latest', 'quay.io/x/y:1'])
    assert.equal(t.store.images.lookup(img.id).names, ['localhost/foo:latest', 'localhost/bar:latest', 'quay.io/x/y:1'])
    assert.equal(t.store.images.lookup(img.id).namesHistory, ['quay.io/x/y:1', 'localhost/bar:latest', 'localhost/foo:latest'])
    assert.equal(await t.store.images.untag(img.id, ['bar']), ['localhost/bar:latest'])
    const err = await t.store.images.untag(img.id, ['quay.io/nope']).catch(e => e)
    assert.is(err.code, 'TAG_NOT_FOUND')
    assert.is(err.message, 'quay.io/nope:latest: tag not known')
    assert.equal(await t.store.images.untag('foo'), ['localhost/foo:latest', 'quay.io/x/y:1'])
    assert.equal(t.store.images.lookup(img.id).names, [])
    assert.is((await t.store.images.tag('nosuch', ['x']).catch(e => e)).code, 'IMAGE_NOT_FOUND')
  } finally {
    t.cleanup()
  }
})

test('add refuses an image whose layers or blobs are not stored', async () => {
  const t = tempStore()
  try {
    const configDigest = await t.store.blobs.put('{}')
    const err = await t.store.images
      .add({ configDigest, manifestDigest: `sha256:${'e'.repeat(64)}`, manifestMediaType: 'x', layers: [] })
      .catch(e => e)
    assert.is(err.code, 'BLOB_NOT_FOUND')
    const err2 = await t.store.images.add({ configDigest, manifestDigest: configDigest, manifestMediaType: 'x', layers: ['a'.repeat(64)] }).catch(e => e)
    assert.is(err2.code, 'LAYER_NOT_FOUND')
  } finally {
    t.cleanup()
  }
})

test('two processes adding images at once (sharing a base layer): both recorded', async () => {
  const t = tempStore()
  try {
    const run = (tag: string) =>
      new Promise<{ status: number | null; out: string }>(resolve => {
        const c = spawn(process.execPath, [WORKER, t.root, 'image', tag], { stdio: ['ignore', 'pipe', 'inherit'] })
        let out = ''
        c.stdout.on('data', b => (out += b))
        c.on('close', status => resolve({ status, out }))
      })
    const results = await Promise.all(['one', 'two', 'three'].map(run))
    for (const r of results) assert.is(r.status, 0)
    const md = t.store.metadata()
    assert.equal(md.images.flatMap(i => i.names).sort(), ['docker.io/library/one:latest', 'docker.io/library/three:latest', 'docker.io/library/two:latest'])
    assert.is(md.layers.length, 4, 'the base layer once, three tops')
    assert.equal((await t.store.check({ maxAge: 0 })).problems, [])
  } finally {
    t.cleanup()
  }
})

test.run()
