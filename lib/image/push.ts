/**
 * `push`: an image of the store to a registry, as containers/image's copy sends it.
 *
 *   image (by name or ID) → destination reference → endpoint → for each layer blob, at
 *   most three at once:
 *     stored compressed: HEAD (skip when present), else a cross-repository mount from a
 *       repository of the same registry the image came from, else an upload of the blob;
 *     stored uncompressed (what commit makes), or zstd with --compression-format gzip: HEAD
 *       each gzip blob known to hold it (blob-info.json), else a mount from a repository it
 *       was pushed to, else gzip it while it is sent (on every core: gzip-parallel.ts),
 *       hashed as it goes, and remember it
 *   → the config, as stored → the manifest: byte for byte as stored when no layer changed
 *   and --format asks for no other type (so its digest is the image's), else written anew
 *   with the compressed blobs and the media types of --format.
 *
 * The registry checks every digest on upload.
 */
import { createReadStream, statSync } from 'node:fs'
import { Transform, type Readable } from 'node:stream'
import { endpointsFor, loadRegistriesConf, type Endpoint } from '../config/registries.js'
import { CockerError } from '../errors.js'
import { compressedBlobs, recordCompressed, type CompressedRecord } from '../storage/blob-info.js'
import { sha256Digest } from '../storage/blobs.js'
import { findImage } from '../storage/images.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { decompress } from './decompress.js'
import { ParallelGzip } from './gzip-parallel.js'
import { convertManifest, encodeManifest, gzipLayerType, layerTypeFor } from './manifest-convert.js'
import { layerCompression, MediaType, parseImageConfig, parseManifest, type Descriptor, type ImageManifest } from './manifest.js'
import { fullReference, parseReference, type ImageReference } from './reference.js'
import type { Credentials, RegistryClient, UploadResult } from './registry/client.js'
import { openRegistry } from './registry/open.js'

export type PushEvent =
  | { kind: 'blob'; digest: string; size: number; done: number; state: 'checking' | 'uploading' | UploadResult }
  | { kind: 'config'; digest: string; state: 'checking' | UploadResult }
  | { kind: 'manifest'; digest: string; state: 'writing' | 'done' }

/** podman's --format: the manifest types each name. */
export const PUSH_FORMATS: Record<'oci' | 'v2s2', string> = { oci: MediaType.OciManifest, v2s2: MediaType.DockerManifest }

export interface PushOptions {
  store: Store
  env?: NodeJS.ProcessEnv
  /** podman's --tls-verify; undefined: the registry's own setting (loopback is plain HTTP). */
  tlsVerify?: boolean
  authfile?: string
  /** --creds: used instead of auth.json. */
  credentials?: Credentials
  /** The manifest type to send; default the stored one. */
  format?: keyof typeof PUSH_FORMATS
  /**
   * podman's --compression-format, given: layers compressed otherwise are recompressed to
   * it. Uncompressed layers are gzip-compressed either way.
   */
  compressionFormat?: 'gzip'
  /** Layer blobs sent at once. Default 3. */
  parallel?: number
  onEvent?: (event: PushEvent) => void
}

export interface PushResult {
  /** The full reference pushed to, e.g. quay.io/team/app:1. */
  destination: string
  /** The manifest's digest: the image's own. */
  digest: string
  /** What happened to each layer blob (by its digest in the store), then the config. */
  blobs: { digest: string; result: UploadResult; /** The compressed blob sent (or found) in its place. */ sent?: Descriptor }[]
}

/** One layer blob to send, and how. */
interface LayerJob {
  /** As the stored manifest names it. */
  stored: Descriptor
  /** Its uncompressed digest: the key of what was compressed before. */
  diffId: string
  /** Sent gzip-compressed (from none, or from zstd). */
  compress: boolean
}

/** The compressor's block, and the reads of an uncompressed layer. */
const BLOCK = 1 << 20

const DOCKER_TRANSPORT = 'docker://'
/** containers-transports(5) that are not registries ('dir:5000/x' would be a registry with a port). */
const OTHER_TRANSPORTS = /^(oci|oci-archive|dir|docker-archive|docker-daemon|containers-storage|sif|ostree):(?!\d)/

/**
 * The reference a push goes to: DESTINATION (a `docker://` prefix allowed), else the
 * name the image was given by. An image named by ID has no name to go to (podman's
 * error, with a hint).
 */
export function pushDestination(input: string, destination: string | undefined, matchedName: string | undefined): ImageReference {
  if (destination === undefined) {
    if (matchedName) return parseReference(matchedName)
    throw new CockerError('INVALID_ARGUMENT', `Invalid image name "${input}", expected colon-separated transport:reference`, {
      hint: `an image named by its ID needs a destination: cocker push ${input} REGISTRY/REPOSITORY[:TAG]`,
    })
  }
  let name = destination
  if (name.startsWith(DOCKER_TRANSPORT)) name = name.slice(DOCKER_TRANSPORT.length)
  else if (OTHER_TRANSPORTS.test(name)) {
    throw new CockerError('NOT_SUPPORTED', `${destination}: cocker pushes to registries only (docker://)`, { hint: 'give a registry reference such as quay.io/team/app:1' })
  }
  return parseReference(name)
}

export async function pushImage(input: string, destination: string | undefined, o: PushOptions): Promise<PushResult> {
  const { store } = o
  const match = findImage(store.metadata(), input)
  if (!match) throw new CockerError('IMAGE_NOT_FOUND', `${input}: image not known`)
  const image = match.image
  const ref = pushDestination(input, destination, match.name)
  const what = fullReference(ref)
  const manifestBytes = store.blobs.read(image.manifestDigest)
  const manifest = parseManifest(manifestBytes, image.manifestMediaType, what)
  if (manifest.kind !== 'manifest') throw new CockerError('MANIFEST_INVALID', `image ${image.id.slice(0, 12)}: its stored manifest is an index`)
  const target = o.format ? PUSH_FORMATS[o.format] : manifest.mediaType
  let configured: string[] | undefined
  const diffIds = () => (configured ??= parseImageConfig(store.blobs.read(manifest.config.digest), what).rootfs.diff_ids)
  const source = withStoredBlobs(store, manifest, diffIds, input)
  const jobs = layerJobs(source, o.compressionFormat, diffIds)
  const changes = target !== manifest.mediaType || source !== manifest || jobs.some(j => j.compress)
  // what cannot be converted is refused before anything is sent
  convertManifest(withLayers(source, jobs.map(j => (j.compress ? { ...j.stored, mediaType: gzipLayerType(j.stored.mediaType)! } : j.stored))), target, input)
  if (ref.digest && (ref.digest !== image.manifestDigest || changes)) {
    const why = changes ? 'the manifest pushed is not the stored one (layers compressed or replaced, or its type converted)' : `the image's manifest digest is ${image.manifestDigest}`
    throw new CockerError('INVALID_ARGUMENT', `${what}: ${why}`, { hint: 'push to a tag' })
  }
  for (const d of [...source.layers, manifest.config]) {
    if (!store.blobs.has(d.digest)) {
      throw new CockerError('BLOB_NOT_FOUND', `${input}: blob ${d.digest} of the image is not in the store`, {
        hint: 'pull the image again (cocker keeps the compressed layers of pulled images only)',
      })
    }
  }

  const conf = await loadRegistriesConf(o.env)
  const endpoint = pushEndpoint(endpointsFor(conf, ref))
  const mountFrom = mountSource(image, endpoint, r => pushEndpoint(endpointsFor(conf, r)))
  const client = await openRegistry(endpoint, { env: o.env, authfile: o.authfile, tlsVerify: o.tlsVerify, credentials: o.credentials })
  const records: CompressedRecord[] = []
  try {
    const blobs = await pushLayers({ client, endpoint, jobs, mountFrom, records, o })
    o.onEvent?.({ kind: 'config', digest: manifest.config.digest, state: 'checking' })
    const config = await client.uploadBlob(endpoint.repository, manifest.config.digest, manifest.config.size,
      () => createReadStream(store.blobs.path(manifest.config.digest)), mountFrom ? { mountFrom } : {})
    o.onEvent?.({ kind: 'config', digest: manifest.config.digest, state: config })
    const sent = new Map(blobs.map(b => [b.digest, b.sent ?? null]))
    blobs.push({ digest: manifest.config.digest, result: config })
    const pushed = changes ? convertManifest(withLayers(source, source.layers.map(d => sent.get(d.digest) ?? d)), target, input) : manifest
    const bytes = changes ? encodeManifest(pushed) : manifestBytes
    o.onEvent?.({ kind: 'manifest', digest: changes ? sha256Digest(bytes) : image.manifestDigest, state: 'writing' })
    const digest = await client.putManifest(endpoint.repository, ref.digest ?? ref.tag ?? 'latest', pushed.mediaType, bytes)
    o.onEvent?.({ kind: 'manifest', digest, state: 'done' })
    return { destination: what, digest, blobs }
  } finally {
    client.close()
    // what was compressed or found stays known even when a later blob failed
    try {
      recordCompressed(store.paths, records)
    } catch {
      // a cache that cannot be written costs a later push one compression, not this push
    }
  }
}

/**
 * Each distinct layer blob, and whether it is compressed on the way: an uncompressed one
 * always (a registry gets gzip, as containers/image sends it), a zstd one when gzip was asked
 * for. Foreign and non-distributable layers go as they are. `diffIds` is read only when a zstd
 * layer needs its uncompressed digest.
 */
export function layerJobs(manifest: ImageManifest, compressionFormat: 'gzip' | undefined, diffIds: () => string[]): LayerJob[] {
  const jobs = new Map<string, LayerJob>()
  let ids: string[] | undefined
  manifest.layers.forEach((d, i) => {
    if (jobs.has(d.digest)) return
    const from = layerCompression(d.mediaType)
    const compress = gzipLayerType(d.mediaType) !== undefined && (from === 'none' || (from === 'zstd' && compressionFormat === 'gzip'))
    const diffId = from === 'none' ? d.digest : compress ? (ids ??= diffIds())[i] ?? d.digest : d.digest
    jobs.set(d.digest, { stored: d, diffId, compress })
  })
  return [...jobs.values()]
}

/**
 * The manifest with each layer blob the store lacks replaced by another blob of the same layer
 * that it has: a layer that came first with another image, compressed otherwise (a pull then
 * fetches no blob of its own). The manifest itself when none is missing, or none can stand in.
 */
function withStoredBlobs(store: Store, manifest: ImageManifest, diffIds: () => string[], what: string): ImageManifest {
  if (manifest.layers.every(d => store.blobs.has(d.digest))) return manifest
  const records = store.metadata().layers
  const layers = manifest.layers.map((d, i) => {
    if (store.blobs.has(d.digest)) return d
    const other = records.find(l => l.diffId === diffIds()[i] && l.compressedDigest && l.mediaType && store.blobs.has(l.compressedDigest))
    if (!other) return d
    const size = other.compressedSize ?? statSync(store.blobs.path(other.compressedDigest!)).size
    return { mediaType: layerTypeFor(other.mediaType!, manifest.mediaType, what), digest: other.compressedDigest!, size }
  })
  return layers.every((d, i) => d === manifest.layers[i]) ? manifest : withLayers(manifest, layers)
}

function withLayers(m: ImageManifest, layers: Descriptor[]): ImageManifest {
  return { ...m, layers }
}

/** Mirrors serve pulls only: a push goes to the registry's own location. */
function pushEndpoint(endpoints: Endpoint[]): Endpoint {
  return endpoints.find(e => !e.mirror) ?? endpoints[endpoints.length - 1]!
}

/**
 * A repository of the destination's registry that already has the image's blobs: where
 * it was pulled from (its repo digests), else under which it is named. The registry
 * mounts a blob from there instead of receiving it again.
 */
export function mountSource(image: ImageRecord, destination: Endpoint, endpointOf: (ref: ImageReference) => Endpoint): string | undefined {
  const names = [...image.repoDigests.map(r => r.slice(0, r.indexOf('@'))), ...image.names]
  for (const name of names) {
    let source: Endpoint
    try {
      source = endpointOf(parseReference(name))
    } catch {
      continue
    }
    if (source.host === destination.host && source.repository !== destination.repository) return source.repository
  }
  return undefined
}

interface LayersContext {
  client: RegistryClient
  endpoint: Endpoint
  jobs: LayerJob[]
  mountFrom: string | undefined
  /** Filled with what was compressed or found, for blob-info.json. */
  records: CompressedRecord[]
  o: PushOptions
}

async function pushLayers(c: LayersContext): Promise<PushResult['blobs']> {
  const results = new Map<string, PushResult['blobs'][number]>()
  let next = 0
  const worker = async () => {
    while (next < c.jobs.length) {
      const job = c.jobs[next++]!
      results.set(job.stored.digest, job.compress ? await pushCompressed(c, job) : { digest: job.stored.digest, result: await pushBlob(c, job.stored) })
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(c.o.parallel ?? 3, c.jobs.length)) }, worker))
  return c.jobs.map(j => results.get(j.stored.digest)!)
}

function blobEvents(o: PushOptions, d: Descriptor) {
  return (state: 'checking' | 'uploading' | UploadResult, done: number) => o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done, state })
}

/** The stored blob, read with its progress reported. */
function readStored(o: PushOptions, d: Descriptor, event: ReturnType<typeof blobEvents>, highWaterMark?: number): Readable {
  event('uploading', 0)
  let sent = 0
  const counting = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length
      event('uploading', sent)
      done(null, chunk)
    },
  })
  return createReadStream(o.store.blobs.path(d.digest), { highWaterMark }).on('error', err => counting.destroy(err)).pipe(counting)
}

async function pushBlob({ client, endpoint, mountFrom, o }: LayersContext, d: Descriptor): Promise<UploadResult> {
  const event = blobEvents(o, d)
  event('checking', 0)
  const result = await client.uploadBlob(endpoint.repository, d.digest, d.size, () => readStored(o, d, event), mountFrom ? { mountFrom } : {})
  event(result, d.size)
  return result
}

/**
 * A layer sent gzip-compressed: a blob known to hold it when the registry has one (or can
 * mount one from a repository it was pushed to), else compressed as it is sent.
 */
async function pushCompressed({ client, endpoint, records, o }: LayersContext, job: LayerJob): Promise<PushResult['blobs'][number]> {
  const { stored, diffId } = job
  const event = blobEvents(o, stored)
  const repo = endpoint.repository
  const mediaType = gzipLayerType(stored.mediaType)!
  const done = (result: UploadResult, blob: { digest: string; size: number }) => {
    records.push({ uncompressed: diffId, blob: { digest: blob.digest, size: blob.size, compression: 'gzip' }, location: `${endpoint.host}/${repo}` })
    event(result, stored.size)
    return { digest: stored.digest, result, sent: { mediaType, digest: blob.digest, size: blob.size } }
  }
  event('checking', 0)
  const known = compressedBlobs(o.store.paths, diffId, 'gzip')
  for (const blob of known) if (await client.blobExists(repo, blob.digest)) return done('exists', blob)
  for (const blob of known) {
    for (const location of blob.locations) {
      const [host, from] = [location.slice(0, location.indexOf('/')), location.slice(location.indexOf('/') + 1)]
      if (host === endpoint.host && from !== repo && (await client.mountBlob(repo, blob.digest, from))) return done('mounted', blob)
    }
  }
  const from = layerCompression(stored.mediaType)
  const blob = await client.uploadStream(repo, () => {
    // read in the compressor's blocks: each chunk one block, none copied to be cut
    const tar = from === 'none' ? readStored(o, stored, event, BLOCK) : decompress(readStored(o, stored, event))
    const gzip = new ParallelGzip({ blockSize: BLOCK })
    tar.on('error', err => gzip.destroy(err))
    return tar.pipe(gzip)
  })
  return done('uploaded', blob)
}
