/**
 * `pull`: from a reference to an image in the store.
 *
 *   reference → candidates (short names through the search registries) → endpoints
 *   (mirrors first) → manifest (an index picks the platform) → config → layers → record
 *
 * Every layer is downloaded into the blob store and, as it arrives, unpacked into a staging
 * dir of its own; it counts only when the blob's size and digest and the unpacked stream's
 * diff id (from the config) all match. All layers download and unpack at once
 * (each has its own dir: overlay stacks them later), and are recorded base first, so a
 * kill -9 leaves at most unrecorded leftovers under tmp/ for `system check`. A layer or
 * blob already in the store is not fetched again; two pulls of one image both succeed
 * and the store keeps one copy (the second to record a layer drops its own).
 *
 * Under the vfs driver a layer is a full tree: the downloads still run at once, but each
 * layer then unpacks over a copy of its parent's tree, base first (lib/image/layer-import.ts).
 *
 * Rootless, this runs inside the user's namespace (the command re-executes there):
 * files get the layer's owners as mapped ids, whiteouts are 0/0 character devices and
 * opaque markers are user.overlay.opaque, as a userxattr overlay reads them.
 */
import { createReadStream, rmSync } from 'node:fs'
import { PassThrough, Writable } from 'node:stream'
import { endpointsFor, loadRegistriesConf, searchRegistries, type Endpoint } from '../config/registries.js'
import { CockerError } from '../errors.js'
import type { DriverName } from '../storage/driver.js'
import { chainIds } from '../storage/layers.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import type { SkippedEntry } from '../storage/unpack.js'
import { importLayers, stageLayer, type StagedLayer } from './layer-import.js'
import { MANIFEST_ACCEPT, parseImageConfig, parseManifest, type Descriptor, type ImageConfig, type ImageManifest } from './manifest.js'
import { selectManifest, type PlatformSpec } from './platform.js'
import { fullReference, isShortName, parseReference, resolveShortName, type ImageReference } from './reference.js'
import { openRegistry } from './registry/open.js'
import type { Credentials, RegistryClient } from './registry/client.js'

export type PullEvent =
  | { kind: 'trying'; name: string }
  | { kind: 'blob'; digest: string; size: number; done: number; state: 'downloading' | 'unpacking' | 'exists' | 'done' }
  | { kind: 'config'; digest: string }
  /** What a layer asked for that could not be made (device nodes rootless, refused xattrs). */
  | ({ kind: 'skipped'; digest: string } & SkippedEntry)

export interface PullOptions {
  store: Store
  env?: NodeJS.ProcessEnv
  /** podman's --tls-verify; undefined: the registry's own setting (loopback is plain HTTP). */
  tlsVerify?: boolean
  authfile?: string
  /** --creds: used instead of auth.json. */
  credentials?: Credentials
  platform?: PlatformSpec
  /** The store's driver (storage/driver.ts); default overlay. vfs stores full trees. */
  driver?: DriverName
  onEvent?: (event: PullEvent) => void
}

export interface PullResult {
  image: ImageRecord
  /** The full name pulled, e.g. docker.io/library/alpine:latest. */
  name: string
}

/** Errors after which the next candidate or endpoint is worth a try. */
const TRY_NEXT = new Set(['IMAGE_NOT_FOUND', 'REGISTRY_UNREACHABLE', 'REGISTRY_ERROR', 'REGISTRY_UNAUTHORIZED'])

export async function pullImage(input: string, o: PullOptions): Promise<PullResult> {
  const env = o.env ?? process.env
  const conf = await loadRegistriesConf(env)
  const candidates = isShortName(input) ? resolveShortName(input, searchRegistries(conf)) : [parseReference(input)]
  const failures: CockerError[] = []
  for (const ref of candidates) {
    const name = fullReference(ref)
    for (const endpoint of endpointsFor(conf, ref)) {
      o.onEvent?.({ kind: 'trying', name })
      try {
        return { image: await pullFrom(endpoint, ref, o), name }
      } catch (err) {
        if (!(err instanceof CockerError) || !TRY_NEXT.has(err.code)) throw err
        failures.push(err)
      }
    }
  }
  if (failures.length === 1) throw failures[0]
  const notFound = failures.every(f => f.code === 'IMAGE_NOT_FOUND')
  throw new CockerError(notFound ? 'IMAGE_NOT_FOUND' : failures[0]!.code,
    `${input}: no candidate could be pulled: ${failures.map(f => f.message).join('; ')}`, { hint: failures[0]!.hint })
}

async function pullFrom(endpoint: Endpoint, ref: ImageReference, o: PullOptions): Promise<ImageRecord> {
  const what = fullReference(ref)
  const client = await openRegistry(endpoint, { env: o.env, authfile: o.authfile, tlsVerify: o.tlsVerify, credentials: o.credentials })
  try {
    const repo = endpoint.repository
    let fetched = await client.getManifest(repo, ref.digest ?? ref.tag ?? 'latest', MANIFEST_ACCEPT)
    let manifest = parseManifest(fetched.bytes, fetched.mediaType, what)
    if (manifest.kind === 'index') {
      const chosen = selectManifest(manifest, what, o.platform)
      fetched = await client.getManifest(repo, chosen.digest, MANIFEST_ACCEPT)
      manifest = parseManifest(fetched.bytes, fetched.mediaType, what)
      if (manifest.kind !== 'manifest') {
        throw new CockerError('MANIFEST_INVALID', `${what}: the index entry ${chosen.digest} is itself an index`)
      }
    }
    const { store } = o
    // what this pull brings into blobs/: a pull that fails takes it away again
    const fetchedBlobs = [manifest.config, ...manifest.layers].map(d => d.digest).filter(d => !store.blobs.has(d))
    if (!store.blobs.has(fetched.digest)) fetchedBlobs.push(fetched.digest)
    try {
      const configBytes = await fetchSmallBlob(client, repo, manifest.config, store)
      o.onEvent?.({ kind: 'config', digest: manifest.config.digest })
      const config = parseImageConfig(configBytes, what)
      checkLayerCount(manifest, config, what)
      const layers = await fetchLayers(client, repo, manifest, config, o)
      await store.blobs.put(fetched.bytes, fetched.digest)
      return await store.images.add({
        configDigest: manifest.config.digest,
        manifestDigest: fetched.digest,
        manifestMediaType: manifest.mediaType,
        names: ref.digest ? [] : [what],
        repoDigests: [`${ref.registry}/${ref.repository}@${fetched.digest}`],
        layers,
        ...(config.created ? { created: config.created } : {}),
      })
    } catch (err) {
      await store.removeUnusedBlobs(fetchedBlobs)
      throw err
    }
  } finally {
    client.close()
  }
}

async function fetchSmallBlob(client: RegistryClient, repo: string, d: Descriptor, store: Store): Promise<Buffer> {
  await download(client, repo, d, store)
  return store.blobs.read(d.digest)
}

function checkLayerCount(manifest: ImageManifest, config: ImageConfig, what: string): void {
  if (manifest.layers.length !== config.rootfs.diff_ids.length) {
    throw new CockerError('MANIFEST_INVALID',
      `${what}: the manifest lists ${manifest.layers.length} layers but the config ${config.rootfs.diff_ids.length} diff ids`)
  }
}

/** Downloads and unpacks what the store lacks, all layers at once; records them base first. Returns the chain ids. */
async function fetchLayers(client: RegistryClient, repo: string, manifest: ImageManifest, config: ImageConfig, o: PullOptions): Promise<string[]> {
  const layers = manifest.layers.map((blob, i) => ({ blob, diffId: config.rootfs.diff_ids[i]! }))
  const onExisting = ({ blob: d }: { blob: Descriptor }) => o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done: d.size, state: 'exists' })
  if (o.driver !== 'vfs') {
    return importLayers(o.store, layers, {
      stage: (_, i) => fetchAndStage(client, repo, manifest.layers[i]!, config.rootfs.diff_ids[i]!, o),
      onExisting,
    })
  }
  // vfs: a layer unpacks over its parent's tree, so only the downloads run at once
  const ids = chainIds(config.rootfs.diff_ids)
  const md = o.store.metadata()
  const progress = (d: Descriptor) => (n: number) => o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done: n, state: 'downloading' })
  await Promise.all(manifest.layers.map((d, i) => (o.store.layers.has(ids[i]!, md) ? undefined : download(client, repo, d, o.store, progress(d)))))
  return importLayers(o.store, layers, {
    vfs: true,
    stage: ({ blob: d, diffId }, _i, base) => stageFromBlob(d, diffId, o, base),
    onExisting,
  })
}

/** Downloads a blob into the blob store (verified there), unless it is there. */
async function download(client: RegistryClient, repo: string, d: Descriptor, store: Store, onProgress?: (done: number) => void): Promise<void> {
  if (store.blobs.has(d.digest)) return
  onProgress?.(0)
  const writer = store.blobs.writer({ digest: d.digest, size: d.size })
  try {
    await client.fetchBlob(repo, d.digest, d.size, writer, onProgress)
    await writer.commit()
  } catch (err) {
    writer.destroy()
    throw err
  }
}

/** A layer whose blob is in the store, into a staging dir; with `base`, over a copy of that tree (vfs). */
async function stageFromBlob(d: Descriptor, diffId: string, o: PullOptions, base?: string): Promise<StagedLayer> {
  o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done: d.size, state: 'unpacking' })
  const staged = await stageLayer(o.store, createReadStream(o.store.blobs.path(d.digest)), diffId, d.digest, {
    onSkipped: skip => o.onEvent?.({ kind: 'skipped', digest: d.digest, ...skip }),
    ...(base === undefined ? {} : { base }),
    format: o.driver === 'vfs' ? 'vfs' : 'overlay',
  })
  o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done: d.size, state: 'done' })
  return staged
}

/**
 * One layer into a fresh staging dir. A blob the store lacks is unpacked as it downloads:
 * the bytes go to the blob store and to the unpacker at once, and the result counts only
 * when both the blob's digest and the unpacked stream's diff id match (the unpacker never
 * writes outside its dir, so unverified bytes can do no harm before they are thrown away).
 */
async function fetchAndStage(client: RegistryClient, repo: string, d: Descriptor, diffId: string, o: PullOptions): Promise<StagedLayer> {
  const { store } = o
  const event = (state: 'downloading' | 'unpacking' | 'done', done: number) =>
    o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done, state })
  const onSkipped = (skip: SkippedEntry) => o.onEvent?.({ kind: 'skipped', digest: d.digest, ...skip })
  if (store.blobs.has(d.digest)) return stageFromBlob(d, diffId, o)
  event('downloading', 0)
  const writer = store.blobs.writer({ digest: d.digest, size: d.size })
  const unpacker = new PassThrough({ highWaterMark: 1 << 20 })
  const tee = new Tee(writer, unpacker)
  // whichever side fails first stops the other, and its error is the one to tell: a bad
  // download makes the unpacker fail too, a refused layer makes the download fail, less clearly
  let firstError: unknown
  const stop = (err: unknown, other: { destroy(err: Error): void }) => {
    firstError ??= err
    other.destroy(err as Error)
    throw err
  }
  const [fetched, unpacked] = await Promise.allSettled([
    client.fetchBlob(repo, d.digest, d.size, tee, n => event('downloading', n)).catch(err => stop(err, unpacker)),
    stageLayer(store, unpacker, diffId, d.digest, { onSkipped }).catch(err => stop(err, tee)),
  ])
  try {
    // bytes that do not match their digest explain anything the unpacker made of them
    if (fetched.status === 'rejected' && (fetched.reason as CockerError).code === 'BLOB_INVALID') throw fetched.reason
    if (fetched.status === 'rejected' || unpacked.status === 'rejected') throw firstError
    await writer.commit()
  } catch (err) {
    writer.destroy()
    if (unpacked.status === 'fulfilled') rmSync(unpacked.value.dir, { recursive: true, force: true })
    throw err
  }
  event('done', d.size)
  return unpacked.value
}

/** Bytes of a download on their way to the blob store and, at the same time, to the unpacker. */
class Tee extends Writable {
  constructor(private readonly file: Writable, private readonly unpacker: PassThrough) {
    super()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.file.write(chunk)
    if (this.unpacker.write(chunk)) cb()
    else this.unpacker.once('drain', () => cb())
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.unpacker.end()
    cb()
  }
}
