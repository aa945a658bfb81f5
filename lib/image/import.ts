/**
 * `import`: a flat root filesystem tarball (gzip, zstd or plain) becomes a one-layer image.
 * The tar is stored uncompressed as the layer blob (its digest is the diff_id, as with
 * load), unpacked through layer-import.ts, and given a config as podman writes one: the
 * host's platform, --change applied, and one history entry
 * "/bin/sh -c #(nop) ADD file:<diff-id hex> in /" with --message as its comment.
 */
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { ImageRecord } from '../storage/metadata.js'
import { normalizeTagName } from '../storage/images.js'
import type { Store } from '../storage/store.js'
import { applyChanges } from './changes.js'
import { decompress } from './decompress.js'
import { recordedDriver } from '../storage/driver.js'
import { importLayers, stageLayer } from './layer-import.js'
import { MediaType } from './manifest.js'
import { hostPlatform } from './platform.js'

export interface ImportOptions {
  store: Store
  /** --change instructions. */
  changes?: string[]
  /** --message: the history entry's comment. */
  message?: string
  /** The name to give the image; a bare name goes to localhost/. */
  reference?: string
  /** Names the tarball in messages. */
  name?: string
}

export async function importTarball(source: AsyncIterable<Buffer>, o: ImportOptions): Promise<ImageRecord> {
  const { store } = o
  // checked before the tarball is read
  const names = o.reference ? [normalizeTagName(o.reference)] : []
  const containerConfig = applyChanges({}, o.changes ?? [])
  const writer = store.blobs.writer()
  try {
    await pipeline(decompress(source), writer)
    const diffId = writer.digest!
    const created = new Date().toISOString()
    const platform = hostPlatform()
    const config = Buffer.from(JSON.stringify({
      created,
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      config: containerConfig,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, created_by: `/bin/sh -c #(nop) ADD file:${diffId.slice('sha256:'.length)} in /`, ...(o.message ? { comment: o.message } : {}) }],
    }))
    const blob = { digest: diffId, size: writer.size, mediaType: MediaType.OciLayer }
    let configDigest = ''
    const vfs = recordedDriver(store) === 'vfs'
    const ids = await importLayers(store, [{ blob, diffId }], {
      vfs,
      stage: () => stageLayer(store, createReadStream(writer.tempPath), diffId, o.name ?? 'tarball', { format: vfs ? 'vfs' : 'overlay' }),
      beforeRecord: async () => {
        if (!store.blobs.has(diffId)) await writer.commit()
        configDigest = await store.blobs.put(config)
      },
    })
    if (!configDigest) configDigest = await store.blobs.put(config)
    const layer = store.layers.get(ids[0]!)!
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
      layers: [layer.compressedDigest && layer.compressedSize !== undefined
        ? { mediaType: layer.mediaType ?? MediaType.OciLayer, digest: layer.compressedDigest, size: layer.compressedSize }
        : blob],
    }))
    return await store.images.add({
      configDigest,
      manifestDigest: await store.blobs.put(manifest),
      manifestMediaType: MediaType.OciManifest,
      names,
      layers: ids,
      created,
    })
  } finally {
    writer.discard()
  }
}
