/**
 * `commit`: a container's changes become an image. The new layer is the overlay's upper
 * directory as a tar, its whiteouts (0/0 character devices) and opaque directories turned
 * back into `.wh.NAME` and `.wh..wh..opq` entries (tar-writer's overlayWhiteouts), stored
 * as import and pull store layers (layer-import.ts: unpacked again, overlay form); the
 * config is the image's with --change applied, one more diff_id and history entry.
 * --squash makes one layer of the whole root instead: the overlay mounted for the time of
 * the copy. Runs where the store's files are readable: rootless, in the caller's user
 * namespace (the command re-executes there, as import does).
 */
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CockerError } from '../errors.js'
import { applyChanges } from '../image/changes.js'
import { importLayers, stageLayer, type LayerToImport } from '../image/layer-import.js'
import { MediaType, type ContainerConfig } from '../image/manifest.js'
import { packDirectory } from '../image/tar-writer.js'
import { pauseContainer, resumeContainer } from '../runtime/lifecycle.js'
import { normalizeTagName } from '../storage/images.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { runtimeContext, type Engine } from './engine.js'
import { storeShift } from './copy.js'
import { observe, type FoundContainer } from './record.js'
import { unshiftId } from '../storage/copy-tree.js'
import { containerDirs } from './rootfs.js'
import { mountContainerRoot } from './stopped-root.js'

export interface CommitOptions {
  /** The name to give the image; a bare name goes to localhost/. */
  reference?: string
  changes: string[]
  message?: string
  author?: string
  /** Freeze a running container for the time of the copy. */
  pause: boolean
  format: 'oci' | 'docker'
  squash: boolean
}

interface ImageConfigFile {
  config?: ContainerConfig
  rootfs?: { type: string; diff_ids: string[] }
  history?: Record<string, unknown>[]
  [key: string]: unknown
}

const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar'

/** The layer media type a manifest of `format` names for a stored layer of type `type`. */
function layerType(type: string | undefined, format: CommitOptions['format']): string {
  const gzip = type === MediaType.DockerLayerGzip || type === `${MediaType.OciLayer}+gzip`
  const zstd = type === `${MediaType.OciLayer}+zstd`
  if (format === 'oci') return gzip ? `${MediaType.OciLayer}+gzip` : zstd ? type! : MediaType.OciLayer
  return gzip ? MediaType.DockerLayerGzip : zstd ? type! : DOCKER_LAYER
}

export async function commitContainer(engine: Engine, store: Store, found: FoundContainer, o: CommitOptions): Promise<ImageRecord> {
  const { record } = found
  const driver = record.storage.driver
  if (driver === 'vfs' || driver === 'rootfs' || driver === 'fuse-overlayfs') {
    throw new CockerError('NOT_SUPPORTED', `commit reads a container's overlay upper directory, and ${record.name} has none that cocker can read here (storage driver ${driver})`)
  }
  const names = o.reference ? [normalizeTagName(o.reference)] : []
  const parent = store.images.lookup(record.imageId)
  const parentConfig = JSON.parse(store.blobs.read(parent.configDigest).toString()) as ImageConfigFile
  const parentLayers = parent.topLayer ? store.layers.chain(parent.topLayer).reverse() : []
  const dirs = containerDirs(engine.storeRoot, record.id)
  // the store holds a container with a user namespace of its own under shifted ids: the image gets the container's
  const shift = storeShift(dirs.userdata, engine.rootless)
  const mapOwner = shift ? (uid: number, gid: number): [number, number] => [unshiftId(shift.uid, uid), unshiftId(shift.gid, gid)] : undefined
  const paused = o.pause && observe(record, found.dir).status === 'running'
  const ctx = runtimeContext(engine, record)
  const writer = store.blobs.writer()
  try {
    if (paused) await pauseContainer(ctx, record.id)
    try {
      if (!o.squash) await pipeline(Readable.from(packDirectory(dirs.upper, { overlayWhiteouts: true, ...(mapOwner ? { mapOwner } : {}) })), writer)
      else {
        const unmount = mountContainerRoot(record, dirs, { storeRoot: engine.storeRoot, rootless: engine.rootless, env: engine.env })
        try {
          await pipeline(Readable.from(packDirectory(dirs.merged, mapOwner ? { mapOwner } : {})), writer)
        } finally {
          unmount()
        }
      }
    } finally {
      if (paused) await resumeContainer(ctx, record.id)
    }
    const diffId = writer.digest!
    const created = new Date().toISOString()
    const entry = {
      created,
      created_by: record.command.join(' '),
      ...(o.author ? { author: o.author } : {}),
      ...(o.message ? { comment: o.message } : {}),
    }
    const config = Buffer.from(JSON.stringify({
      ...parentConfig,
      created,
      ...(o.author ? { author: o.author } : {}),
      config: applyChanges(parentConfig.config ?? {}, o.changes),
      rootfs: { type: 'layers', diff_ids: [...(o.squash ? [] : parentConfig.rootfs?.diff_ids ?? []), diffId] },
      history: [...(o.squash ? [] : parentConfig.history ?? []), entry],
    }))
    const ours: LayerToImport = { blob: { digest: diffId, size: writer.size, mediaType: layerType(undefined, o.format) }, diffId }
    const layers: LayerToImport[] = [
      ...(o.squash ? [] : parentLayers.map(l => ({
        blob: { digest: l.compressedDigest ?? l.diffId, size: l.compressedSize ?? 0, mediaType: layerType(l.mediaType, o.format) },
        diffId: l.diffId,
      }))),
      ours,
    ]
    let configDigest = ''
    const ids = await importLayers(store, layers, {
      stage: layer => {
        if (layer !== ours) throw new CockerError('LAYER_NOT_FOUND', `layer ${layer.diffId} of image ${parent.id.slice(0, 12)} is not in the store`, { hint: 'run "cocker system check"' })
        return stageLayer(store, createReadStream(writer.tempPath), diffId, `commit of ${record.name}`, { format: 'overlay' })
      },
      beforeRecord: async () => {
        if (!store.blobs.has(diffId)) await writer.commit()
        configDigest = await store.blobs.put(config)
      },
    })
    if (!configDigest) configDigest = await store.blobs.put(config)
    if (!store.blobs.has(diffId)) await writer.commit()
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: o.format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest,
      config: { mediaType: o.format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig, digest: configDigest, size: config.length },
      layers: layers.map(l => l.blob),
    }))
    return await store.images.add({
      configDigest,
      manifestDigest: await store.blobs.put(manifest),
      manifestMediaType: o.format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest,
      names,
      layers: ids,
      created,
    })
  } finally {
    writer.discard()
  }
}
