// import → save → load through the API on temp stores: archives written and read back.
import { Readable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { imageHistory, imageTreeLayers } from '../../../lib/image/history.js'
import { importTarball } from '../../../lib/image/import.js'
import { loadArchive } from '../../../lib/image/load.js'
import { parseImageConfig } from '../../../lib/image/manifest.js'
import { archiveChunks, planSave } from '../../../lib/image/save.js'
import { readTar } from '../../../lib/image/tar.js'
import { sha256, tar } from '../../support/image-fixture.js'
import { runAsRoot, testAsRoot } from '../../support/namespace-root.js'
import { tempStore } from '../../support/store-fixture.js'

// Importing and loading unpack layers, whose files belong to root: as another user this
// file runs as root of a user namespace it makes.
runAsRoot()

const rootfs = tar([{ type: 'dir', path: 'etc' }, { type: 'file', path: 'etc/motd', data: 'hi\n' }])

async function bytes(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of chunks) out.push(Buffer.from(c))
  return Buffer.concat(out)
}

async function names(archive: Buffer): Promise<string[]> {
  const out: string[] = []
  for await (const e of readTar(Readable.from([archive]))) out.push(e.name)
  return out
}

testAsRoot('docker-archive: <config>.json, <diff-id>.tar, manifest.json, repositories; loads back to the same ID', async () => {
  const a = tempStore()
  const b = tempStore()
  try {
    const image = await importTarball(Readable.from([rootfs]), { store: a.store, reference: 'foo:1', changes: ['CMD ["/bin/sh"]'] })
    const plans = planSave(a.store, { inputs: ['foo:1', 'bar:2'], format: 'docker-archive' })
    assert.equal(plans[0]!.names, ['localhost/foo:1', 'localhost/bar:2'])
    const archive = await bytes(archiveChunks(a.store, plans, 'docker-archive'))
    assert.equal(await names(archive), [`${image.id}.json`, `${sha256(rootfs).slice(7)}.tar`, 'manifest.json', 'repositories'])
    const loaded = await loadArchive(Readable.from([archive]), { store: b.store })
    assert.equal(loaded, [{ id: image.id, names: ['localhost/foo:1', 'localhost/bar:2'] }])
    assert.equal((await b.store.check({ maxAge: 0 })).problems, [])
  } finally {
    a.cleanup()
    b.cleanup()
  }
})

testAsRoot('oci-archive keeps the manifest digest; a blob whose name lies is refused and nothing is kept', async () => {
  const a = tempStore()
  const b = tempStore()
  try {
    const image = await importTarball(Readable.from([rootfs]), { store: a.store, reference: 'foo:1' })
    const archive = await bytes(archiveChunks(a.store, planSave(a.store, { inputs: ['foo:1'], format: 'oci-archive' }), 'oci-archive'))
    const [loaded] = await loadArchive(Readable.from([archive]), { store: b.store })
    assert.is(loaded!.id, image.id)
    assert.is(b.store.images.lookup('foo:1').manifestDigest, image.manifestDigest)

    const c = tempStore()
    try {
      const liar = tar([
        { type: 'file', path: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
        { type: 'file', path: `blobs/sha256/${'0'.repeat(64)}`, data: 'not what the name says' },
      ])
      await loadArchive(Readable.from([liar]), { store: c.store }).then(() => assert.unreachable(), err => assert.is(err.code, 'ARCHIVE_INVALID'))
      assert.equal((await c.store.check({ maxAge: 0 })).problems, [])
    } finally {
      c.cleanup()
    }
  } finally {
    a.cleanup()
    b.cleanup()
  }
})

testAsRoot('history and tree of an imported image', async () => {
  const a = tempStore()
  try {
    const image = await importTarball(Readable.from([rootfs]), { store: a.store, message: 'm' })
    const md = a.store.metadata()
    const config = parseImageConfig(a.store.blobs.read(image.configDigest), 'x')
    const [row] = imageHistory(md, image, config)
    assert.is(row!.id, image.id)
    assert.is(row!.comment, 'm')
    assert.is(row!.size, 3)
    assert.equal(imageTreeLayers(md, image, false), [{ id: image.layers[0]!, size: 3, topOf: ['<none>'] }])
  } finally {
    a.cleanup()
  }
})

test.run()
