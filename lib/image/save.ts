/**
 * `save`: images of the store as an archive or a directory, podman's four formats.
 *
 *   docker-archive  what `docker save` and `podman save` write: <config-hex>.json,
 *                   <diff-id-hex>.tar (layers uncompressed, as Docker's loader wants),
 *                   manifest.json [{Config, RepoTags, Layers}] and repositories
 *   oci-archive     a tar of an OCI image layout: oci-layout, blobs/sha256/<hex>, index.json
 *                   whose manifests carry org.opencontainers.image.ref.name
 *   oci-dir         the same layout as a directory
 *   docker-dir      the containers `dir:` transport: manifest.json (Docker schema 2),
 *                   version, and the blobs named by their hex
 *
 * Blobs go out as they are stored, byte for byte, so layer and config digests survive;
 * the stored manifest too when it is OCI and every blob it names is stored (otherwise an
 * OCI manifest is written from the blobs there are, and its digest differs). A
 * compressed layer has to be decompressed for docker-archive, and a tar header needs the
 * size first: such layers are read twice (counted, then streamed), never held whole.
 *
 * Podman also writes Docker's legacy <v1-id>/{layer.tar,json,VERSION} directories; no
 * loader of the last years needs them, and cocker leaves them out. `repositories` maps
 * each name to the top layer's chain id (Docker's loaders read manifest.json instead).
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CockerError } from '../errors.js'
import { digestHex, sha256Digest } from '../storage/blobs.js'
import { normalizeTagName, resolveImage } from '../storage/images.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { dockerMediaType, OCI_LAYOUT, ociMediaType, REF_NAME } from './archive-format.js'
import { decompress } from './decompress.js'
import { MediaType, parseImageConfig, parseManifest, type Descriptor } from './manifest.js'
import { writeTar, type TarWriteEntry } from './tar-writer.js'

export type SaveFormat = 'docker-archive' | 'oci-archive' | 'oci-dir' | 'docker-dir'
export const SAVE_FORMATS: readonly SaveFormat[] = ['docker-archive', 'oci-archive', 'oci-dir', 'docker-dir']

export interface SaveRequest {
  /** The images as the user named them. */
  inputs: string[]
  /** podman's -m: every input is an image. Without it, inputs after the first are more names for the first. */
  multiImage?: boolean
  format: SaveFormat
}

/** One image to write, resolved and checked against the store. */
export interface SavePlan {
  image: ImageRecord
  /** Full names written into the archive (RepoTags, ref.name): the name it was asked by, plus extras. */
  names: string[]
  config: Descriptor
  configDiffIds: string[]
  /** The layer blobs, base first, as stored. */
  layers: (Descriptor & { diffId: string })[]
  /** The OCI manifest to write and its digest. */
  manifest: { bytes: Buffer; digest: string }
}

/** Resolves the inputs to images and what to write for each (IMAGE_NOT_FOUND, BLOB_NOT_FOUND up front). */
export function planSave(store: Store, req: SaveRequest): SavePlan[] {
  if (req.inputs.length === 0) throw new CockerError('INVALID_ARGUMENT', 'need at least 1 argument')
  if (req.multiImage && req.format !== 'docker-archive') {
    throw new CockerError('INVALID_ARGUMENT', '--multi-image-archive can only be used with --format docker-archive')
  }
  const md = store.metadata()
  const asked = req.multiImage ? req.inputs : [req.inputs[0]!]
  const plans = asked.map(input => {
    const match = resolveImage(md, input)
    return plan(store, match.image, match.name ? [match.name] : [])
  })
  if (!req.multiImage && req.inputs.length > 1) {
    for (const extra of req.inputs.slice(1)) {
      const name = normalizeTagName(extra)
      if (!plans[0]!.names.includes(name)) plans[0]!.names.push(name)
    }
  }
  return plans
}

function plan(store: Store, image: ImageRecord, names: string[]): SavePlan {
  const what = image.names[0] ?? image.id.slice(0, 12)
  const manifestBytes = store.blobs.read(image.manifestDigest)
  const stored = parseManifest(manifestBytes, image.manifestMediaType, what)
  if (stored.kind !== 'manifest') throw new CockerError('MANIFEST_INVALID', `${what}: the stored manifest is an index`)
  const configBytes = store.blobs.read(image.configDigest)
  const config = parseImageConfig(configBytes, what)
  const md = store.metadata()
  const layers = image.layers.map((id, i) => {
    const fromManifest = stored.layers[i]
    if (fromManifest && store.blobs.has(fromManifest.digest)) return { ...fromManifest, diffId: config.rootfs.diff_ids[i]! }
    const r = store.layers.get(id, md)
    if (!r?.compressedDigest || r.compressedSize === undefined || !store.blobs.has(r.compressedDigest)) {
      throw new CockerError('BLOB_NOT_FOUND', `${what}: the blob of layer ${i + 1} (${fromManifest?.digest ?? id}) is not in the store`, {
        hint: 'pull the image again',
      })
    }
    return { mediaType: r.mediaType ?? MediaType.OciLayer, digest: r.compressedDigest, size: r.compressedSize, diffId: r.diffId }
  })
  const configDesc: Descriptor = { mediaType: MediaType.OciConfig, digest: image.configDigest, size: configBytes.length }
  const verbatim = image.manifestMediaType === MediaType.OciManifest && layers.every((l, i) => l.digest === stored.layers[i]?.digest)
  const bytes = verbatim
    ? manifestBytes
    : Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDesc,
      layers: layers.map(l => ({ mediaType: ociMediaType(l.mediaType), digest: l.digest, size: l.size })),
    }))
  const digest = verbatim ? image.manifestDigest : sha256Digest(bytes)
  return { image, names, config: configDesc, configDiffIds: config.rootfs.diff_ids, layers, manifest: { bytes, digest } }
}

/** The archive's bytes (docker-archive, oci-archive), streamed. */
export async function* archiveChunks(store: Store, plans: readonly SavePlan[], format: 'docker-archive' | 'oci-archive'): AsyncGenerator<Buffer> {
  yield* writeTar(format === 'docker-archive' ? dockerArchiveEntries(store, plans) : ociArchiveEntries(store, plans))
}

const FILE = { type: 'file', mode: 0o444, mtime: 0 } as const

function blobEntry(store: Store, name: string, d: Pick<Descriptor, 'digest' | 'size'>): TarWriteEntry {
  return { ...FILE, name, size: d.size, body: createReadStream(store.blobs.path(d.digest)) }
}

async function* dockerArchiveEntries(store: Store, plans: readonly SavePlan[]): AsyncGenerator<TarWriteEntry> {
  const written = new Set<string>()
  const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = []
  const repositories: Record<string, Record<string, string>> = {}
  for (const p of plans) {
    const configName = `${digestHex(p.config.digest)}.json`
    if (!written.has(configName)) {
      written.add(configName)
      yield blobEntry(store, configName, p.config)
    }
    const layerNames: string[] = []
    for (const l of p.layers) {
      const name = `${digestHex(l.diffId)}.tar`
      layerNames.push(name)
      if (written.has(name)) continue
      written.add(name)
      if (l.digest === l.diffId) {
        yield blobEntry(store, name, l)
      } else {
        const size = await uncompressedSize(store, l)
        yield { ...FILE, name, size, body: decompress(createReadStream(store.blobs.path(l.digest))) }
      }
    }
    manifest.push({ Config: configName, RepoTags: p.names, Layers: layerNames })
    const top = p.image.topLayer
    for (const n of p.names) {
      const colon = n.lastIndexOf(':')
      ;(repositories[n.slice(0, colon)] ??= {})[n.slice(colon + 1)] = top ?? ''
    }
  }
  yield { ...FILE, name: 'manifest.json', body: Buffer.from(JSON.stringify(manifest)) }
  yield { ...FILE, name: 'repositories', body: Buffer.from(JSON.stringify(repositories)) }
}

/** Bytes of the layer's uncompressed tar; also checks them against the diff id (a store that rotted). */
async function uncompressedSize(store: Store, l: Descriptor & { diffId: string }): Promise<number> {
  const hash = createHash('sha256')
  let size = 0
  await pipeline(decompress(createReadStream(store.blobs.path(l.digest))), new Writable({
    write(chunk: Buffer, _e, done) {
      size += chunk.length
      hash.update(chunk)
      done()
    },
  }))
  if (`sha256:${hash.digest('hex')}` !== l.diffId) {
    throw new CockerError('LAYER_INVALID', `layer blob ${l.digest} does not decompress to its diff id ${l.diffId}`, { hint: 'run "cocker system check"' })
  }
  return size
}

/** The OCI layout's files, blobs first, each once, then index.json. */
function ociLayoutFiles(plans: readonly SavePlan[]): { name: string; blob?: Descriptor; bytes?: Buffer }[] {
  const files: { name: string; blob?: Descriptor; bytes?: Buffer }[] = [{ name: 'oci-layout', bytes: Buffer.from(OCI_LAYOUT) }]
  const seen = new Set<string>()
  const add = (d: Descriptor, bytes?: Buffer) => {
    if (seen.has(d.digest)) return
    seen.add(d.digest)
    files.push({ name: `blobs/sha256/${digestHex(d.digest)}`, blob: d, ...(bytes ? { bytes } : {}) })
  }
  const manifests: Descriptor[] = []
  for (const p of plans) {
    for (const l of p.layers) add(l)
    add(p.config)
    const desc: Descriptor = { mediaType: MediaType.OciManifest, digest: p.manifest.digest, size: p.manifest.bytes.length }
    add(desc, p.manifest.bytes)
    if (p.names.length === 0) manifests.push(desc)
    for (const n of p.names) manifests.push({ ...desc, annotations: { [REF_NAME]: n } })
  }
  files.push({ name: 'index.json', bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests })) })
  return files
}

async function* ociArchiveEntries(store: Store, plans: readonly SavePlan[]): AsyncGenerator<TarWriteEntry> {
  yield { type: 'dir', name: 'blobs', mode: 0o755 }
  yield { type: 'dir', name: 'blobs/sha256', mode: 0o755 }
  for (const f of ociLayoutFiles(plans)) {
    yield f.bytes ? { type: 'file', name: f.name, mode: 0o644, body: f.bytes } : { ...blobEntry(store, f.name, f.blob!), mode: 0o644 }
  }
}

/** oci-dir and docker-dir: the files under dir (made if missing). */
export async function saveDirectory(store: Store, plans: readonly SavePlan[], format: 'oci-dir' | 'docker-dir', dir: string): Promise<void> {
  if (format === 'docker-dir' && plans.length !== 1) throw new CockerError('INVALID_ARGUMENT', 'docker-dir holds exactly one image')
  mkdirSync(dir, { recursive: true })
  const copy = async (d: Descriptor, to: string) => pipeline(createReadStream(store.blobs.path(d.digest)), createWriteStream(to))
  if (format === 'oci-dir') {
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true })
    for (const f of ociLayoutFiles(plans)) {
      if (f.bytes) writeFileSync(path.join(dir, f.name), f.bytes)
      else await copy(f.blob!, path.join(dir, f.name))
    }
    return
  }
  const p = plans[0]!
  for (const l of p.layers) await copy(l, path.join(dir, digestHex(l.digest)))
  await copy(p.config, path.join(dir, digestHex(p.config.digest)))
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: { mediaType: MediaType.DockerConfig, digest: p.config.digest, size: p.config.size },
    layers: p.layers.map(l => ({ mediaType: dockerMediaType(ociMediaType(l.mediaType)), digest: l.digest, size: l.size })),
  }))
  writeFileSync(path.join(dir, 'version'), 'Directory Transport Version: 1.1\n')
}
