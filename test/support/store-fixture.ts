// A store in a temp dir, filled through the storage API as pull will fill it: config
// and manifest blobs, then layers whose fill writes a few files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chainIds } from '../../lib/storage/layers.js'
import type { ImageRecord } from '../../lib/storage/metadata.js'
import { sha256Digest } from '../../lib/storage/blobs.js'
import { openStore, type Store, type StoreOptions } from '../../lib/storage/store.js'

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip'

export interface TempStore {
  root: string
  store: Store
  cleanup(): void
}

export function tempStore(opts: Omit<StoreOptions, 'root'> = {}): TempStore {
  const root = mkdtempSync(path.join(tmpdir(), 'cocker-store-'))
  return { root, store: openStore({ ...opts, root }), cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

/** One layer: file path → content. */
export type LayerFiles = Record<string, string>

export interface TestImage {
  names?: string[]
  layers: LayerFiles[]
  /** ISO time for the config's created. */
  created?: string
  /** Makes the config (and so the ID) unique. */
  tag?: string
  labels?: Record<string, string>
}

/** Writes a layer's files; the "diff id" and "compressed blob" are stand-ins derived from them. */
export function layerBlob(files: LayerFiles): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(files).sort()))
}

export async function addTestImage(store: Store, spec: TestImage): Promise<ImageRecord> {
  const blobs = spec.layers.map(layerBlob)
  const diffIds = blobs.map(b => sha256Digest(Buffer.concat([Buffer.from('diff:'), b])))
  const ids = chainIds(diffIds)
  for (let i = 0; i < spec.layers.length; i++) {
    const digest = await store.blobs.put(blobs[i]!)
    await store.layers.create(
      ids[i]!,
      { parent: i ? ids[i - 1] : undefined, diffId: diffIds[i]!, compressedDigest: digest, compressedSize: blobs[i]!.length, mediaType: OCI_LAYER },
      async dir => writeFiles(dir, spec.layers[i]!),
    )
  }
  const created = spec.created ?? new Date().toISOString()
  const config = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'], ...(spec.labels ? { Labels: spec.labels } : {}) },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.layers.map(() => ({ created, created_by: `fixture ${spec.tag ?? ''}`.trim() })),
  }
  const configDigest = await store.blobs.put(JSON.stringify(config))
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: JSON.stringify(config).length },
    layers: blobs.map(b => ({ mediaType: OCI_LAYER, digest: sha256Digest(b), size: b.length })),
  }
  const manifestDigest = await store.blobs.put(JSON.stringify(manifest))
  return store.images.add({ configDigest, manifestDigest, manifestMediaType: OCI_MANIFEST, names: spec.names, layers: ids, created })
}

export async function writeFiles(dir: string, files: LayerFiles): Promise<{ size: number }> {
  let size = 0
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), content)
    size += Buffer.byteLength(content)
  }
  return { size }
}
