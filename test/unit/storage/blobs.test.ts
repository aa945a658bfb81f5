import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { sha256Digest } from '../../../lib/storage/blobs.js'
import { tempStore } from '../../support/store-fixture.js'

const ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'

test('put stores by digest; has, path, read', async () => {
  const t = tempStore()
  try {
    const digest = await t.store.blobs.put('abc')
    assert.is(digest, ABC)
    assert.ok(t.store.blobs.has(ABC))
    assert.is(t.store.blobs.path(ABC), `${t.root}/blobs/sha256/${ABC.slice(7)}`)
    assert.is(t.store.blobs.read(ABC).toString(), 'abc')
    assert.ok(await t.store.blobs.verify(ABC))
    assert.equal(readdirSync(`${t.root}/tmp`), [])
  } finally {
    t.cleanup()
  }
})

test('a writer hashes while streaming and commits only matching content', async () => {
  const t = tempStore()
  try {
    const w = t.store.blobs.writer({ digest: ABC, size: 3 })
    await pipeline(Readable.from([Buffer.from('a'), Buffer.from('bc')]), w)
    assert.is(await w.commit(), ABC)
    assert.ok(t.store.blobs.has(ABC))
  } finally {
    t.cleanup()
  }
})

test('a wrong digest or size is BLOB_INVALID and leaves nothing behind', async () => {
  const t = tempStore()
  try {
    const bad = t.store.blobs.writer({ digest: sha256Digest('xyz') })
    bad.end('abc')
    const err = await bad.commit().catch(e => e)
    assert.instance(err, CockerError)
    assert.is(err.code, 'BLOB_INVALID')
    assert.match(err.message, /does not match its content/)
    const short = t.store.blobs.writer({ digest: ABC, size: 4 })
    short.end('abc')
    assert.is((await short.commit().catch(e => e)).code, 'BLOB_INVALID')
    assert.not.ok(t.store.blobs.has(ABC))
    assert.equal(readdirSync(`${t.root}/tmp`), [])
    assert.is((await t.store.blobs.put('abc', sha256Digest('nope')).catch(e => e)).code, 'BLOB_INVALID')
  } finally {
    t.cleanup()
  }
})

test('a destroyed writer deletes its temp file; read of a missing blob is BLOB_NOT_FOUND', async () => {
  const t = tempStore()
  try {
    const w = t.store.blobs.writer()
    w.on('error', () => undefined)
    w.write('partial')
    w.destroy(new Error('network went away'))
    await new Promise(r => w.once('close', r))
    assert.equal(readdirSync(`${t.root}/tmp`), [])
    try {
      t.store.blobs.read(ABC)
      assert.unreachable()
    } catch (err) {
      assert.is((err as CockerError).code, 'BLOB_NOT_FOUND')
    }
  } finally {
    t.cleanup()
  }
})

test('verify finds a blob changed on disk', async () => {
  const t = tempStore()
  try {
    await t.store.blobs.put('abc')
    writeFileSync(t.store.blobs.path(ABC), 'abd')
    assert.not.ok(await t.store.blobs.verify(ABC))
    assert.is(readFileSync(t.store.blobs.path(ABC), 'utf8'), 'abd')
  } finally {
    t.cleanup()
  }
})

test.run()
