/**
 * `pull`: from a reference to an image in the store.
 *
 *   reference → candidates (short names through the search registries) → endpoints
 *   (mirrors first) → manifest (an index picks the platform) → config → layers → record
 *
 * Every layer is downloaded into the blob store, verified (size and digest) before a byte
 * of it is unpacked, then unpacked into a staging dir of its own; the unpacked stream is
 * hashed and must match the config's diff_id. All layers download and unpack at once
 * (each has its own dir: overlay stacks them later), and are recorded base first, so a
 * kill -9 leaves at most unrecorded leftovers under tmp/ for `system check`. A layer or
 * blob already in the store is not fetched again; two pulls of one image both succeed
 * and the store keeps one copy (the second to record a layer drops its own).
 *
 * Rootless, this runs inside the user's namespace (the command re-executes there):
 * files get the layer's owners as mapped ids, whiteouts are 0/0 character devices and
 * opaque markers are user.overlay.opaque, as a userxattr overlay reads them.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { endpointsFor, loadRegistriesConf, searchRegistries, type Endpoint } from '../config/registries.js'
import { CockerError } from '../errors.js'
import { inRootlessUserNamespace } from '../rootless/identity.js'
import { chainIds } from '../storage/layers.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { decompress } from './decompress.js'
import { MANIFEST_ACCEPT, parseImageConfig, parseManifest, type Descriptor, type ImageConfig, type ImageManifest } from './manifest.js'
import { selectManifest, type PlatformSpec } from './platform.js'
import { fullReference, isShortName, parseReference, resolveShortName, type ImageReference } from './reference.js'
import { openRegistry } from './registry/open.js'
import type { Credentials, RegistryClient } from './registry/client.js'

export type PullEvent =
  | { kind: 'trying'; name: string }
  | { kind: 'blob'; digest: string; size: number; done: number; state: 'downloading' | 'unpacking' | 'exists' | 'done' }
  | { kind: 'config'; digest: string }

export interface PullOptions {
  store: Store
  env?: NodeJS.ProcessEnv
  /** podman's --tls-verify; undefined: the registry's own setting (loopback is plain HTTP). */
  tlsVerify?: boolean
  authfile?: string
  /** --creds: used instead of auth.json. */
  credentials?: Credentials
  platform?: PlatformSpec
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

/** A pull's options, and the blobs it has stored itself (removed again if it fails). */
type PullState = PullOptions & { written: string[] }

async function pullFrom(endpoint: Endpoint, ref: ImageReference, opts: PullOptions): Promise<ImageRecord> {
  const what = fullReference(ref)
  const o: PullState = { ...opts, written: [] }
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
    const configBytes = await fetchSmallBlob(client, repo, manifest.config, o)
    o.onEvent?.({ kind: 'config', digest: manifest.config.digest })
    const config = parseImageConfig(configBytes, what)
    checkLayerCount(manifest, config, what)
    const layers = await fetchLayers(client, repo, manifest, config, o)
    if (!store.blobs.has(fetched.digest)) o.written.push(await store.blobs.put(fetched.bytes, fetched.digest))
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
    // what this pull stored and no image needs would be left for `system check` to find
    await o.store.dropUnneededBlobs(o.written)
    throw err
  } finally {
    client.close()
  }
}

async function fetchSmallBlob(client: RegistryClient, repo: string, d: Descriptor, o: PullState): Promise<Buffer> {
  const { store } = o
  if (!store.blobs.has(d.digest)) {
    const writer = store.blobs.writer({ digest: d.digest, size: d.size })
    try {
      await client.fetchBlob(repo, d.digest, d.size, writer)
      o.written.push(await writer.commit())
    } catch (err) {
      writer.destroy()
      throw err
    }
  }
  return store.blobs.read(d.digest)
}

function checkLayerCount(manifest: ImageManifest, config: ImageConfig, what: string): void {
  if (manifest.layers.length !== config.rootfs.diff_ids.length) {
    throw new CockerError('MANIFEST_INVALID',
      `${what}: the manifest lists ${manifest.layers.length} layers but the config ${config.rootfs.diff_ids.length} diff ids`)
  }
}

/** Downloads and unpacks what the store lacks, all layers at once; records them base first. Returns the chain ids. */
async function fetchLayers(client: RegistryClient, repo: string, manifest: ImageManifest, config: ImageConfig, o: PullState): Promise<string[]> {
  const { store } = o
  const ids = chainIds(config.rootfs.diff_ids)
  const md = store.metadata()
  const staged = ids.map((id, i) => {
    const d = manifest.layers[i]!
    if (store.layers.has(id, md)) {
      o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done: d.size, state: 'exists' })
      return Promise.resolve(undefined)
    }
    return stageLayer(client, repo, d, config.rootfs.diff_ids[i]!, o)
  })
  // a failure of one layer must not leave the others' staging dirs behind
  const results = await Promise.allSettled(staged)
  const failed = results.find(r => r.status === 'rejected') as PromiseRejectedResult | undefined
  if (failed) {
    for (const r of results) if (r.status === 'fulfilled' && r.value) rmSync(r.value, { recursive: true, force: true })
    throw failed.reason
  }
  for (const [i, id] of ids.entries()) {
    const dir = (results[i] as PromiseFulfilledResult<string | undefined>).value
    if (!dir) continue
    const d = manifest.layers[i]!
    await store.layers.create(id, {
      ...(i > 0 ? { parent: ids[i - 1] } : {}),
      diffId: config.rootfs.diff_ids[i]!,
      compressedDigest: d.digest,
      compressedSize: d.size,
      mediaType: d.mediaType,
    }, async diffDir => {
      rmdirSync(diffDir)
      renameSync(dir, diffDir)
      return { size: sizeOf(dir) }
    })
    // another pull recorded it first: ours is not needed
    rmSync(dir, { recursive: true, force: true })
  }
  return ids
}

const stagedSizes = new Map<string, number>()
const sizeOf = (dir: string) => stagedSizes.get(dir) ?? 0

/** Downloads (unless the blob is there), verifies, and unpacks one layer into a fresh staging dir, which it returns. */
async function stageLayer(client: RegistryClient, repo: string, d: Descriptor, diffId: string, o: PullState): Promise<string> {
  const { store } = o
  const event = (state: 'downloading' | 'unpacking' | 'done', done: number) =>
    o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done, state })
  if (!store.blobs.has(d.digest)) {
    event('downloading', 0)
    const writer = store.blobs.writer({ digest: d.digest, size: d.size })
    try {
      await client.fetchBlob(repo, d.digest, d.size, writer, n => event('downloading', n))
      o.written.push(await writer.commit())
    } catch (err) {
      writer.destroy()
      throw err
    }
  }
  event('unpacking', d.size)
  const dir = path.join(store.paths.tmp, `layer-${randomBytes(8).toString('hex')}`)
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  try {
    const hash = createHash('sha256')
    const stats = await (await import('../storage/unpack.js')).applyLayer(hashing(decompress(createReadStream(store.blobs.path(d.digest))), hash), dir, {
      format: 'overlay',
      xattrNamespace: inRootlessUserNamespace() ? 'user' : 'trusted',
      idLimit: mappedIdLimit(),
      layerName: d.digest,
    })
    const actual = `sha256:${hash.digest('hex')}`
    if (actual !== diffId) {
      throw new CockerError('LAYER_INVALID', `layer ${d.digest}: its content has digest ${actual}, but the image's config says ${diffId}`,
        { hint: 'the image is corrupt in the registry: push it again' })
    }
    stagedSizes.set(dir, stats.bytes)
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  event('done', d.size)
  return dir
}

async function* hashing(source: AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk)
    yield chunk
  }
}

/** In the rootless namespace, ids at or above this are unmapped: files owned by them cannot be made. */
function mappedIdLimit(): { uid: number; gid: number } | undefined {
  if (!inRootlessUserNamespace()) return undefined
  const limit = (file: string) => Math.max(...readFileSync(file, 'utf8').trim().split('\n')
    .map(line => line.trim().split(/\s+/).map(Number)).map(([inside, , count]) => inside! + count!))
  return { uid: limit('/proc/self/uid_map'), gid: limit('/proc/self/gid_map') }
}
