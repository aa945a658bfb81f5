/**
 * `push`: an image of the store to a registry, as it is stored.
 *
 *   image (by name or ID) → destination reference → endpoint → for each layer blob, at
 *   most three at once: HEAD (skip when present), else a cross-repository mount from a
 *   repository of the same registry the image came from, else an upload → the config →
 *   the manifest, byte for byte as pulled (so its digest is the one the image has)
 *
 * Nothing is converted: the manifest keeps its media type (--format must agree) and the
 * layers their compression. The registry checks every digest on upload.
 */
import { createReadStream } from 'node:fs'
import { Transform, type Readable } from 'node:stream'
import { endpointsFor, loadRegistriesConf, type Endpoint } from '../config/registries.js'
import { CockerError } from '../errors.js'
import { findImage } from '../storage/images.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { MediaType, parseManifest, type Descriptor, type ImageManifest } from './manifest.js'
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
  /** The manifest format wanted; the image must already be stored in it (no conversion). */
  format?: keyof typeof PUSH_FORMATS
  /** Layer blobs sent at once. Default 3. */
  parallel?: number
  onEvent?: (event: PushEvent) => void
}

export interface PushResult {
  /** The full reference pushed to, e.g. quay.io/team/app:1. */
  destination: string
  /** The manifest's digest: the image's own. */
  digest: string
  /** What happened to each layer blob, then the config. */
  blobs: { digest: string; result: UploadResult }[]
}

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
  if (o.format && PUSH_FORMATS[o.format] !== manifest.mediaType) {
    throw new CockerError('NOT_SUPPORTED', `${input}: the image is stored as ${manifest.mediaType}; cocker does not convert it to ${o.format}`, {
      hint: 'push without --format to send it as stored',
    })
  }
  if (ref.digest && ref.digest !== image.manifestDigest) {
    throw new CockerError('INVALID_ARGUMENT', `${what}: the image's manifest digest is ${image.manifestDigest}`, { hint: 'push to a tag, or to the image\'s own digest' })
  }
  for (const d of [...manifest.layers, manifest.config]) {
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
  try {
    const blobs = await pushLayers(client, endpoint.repository, manifest, mountFrom, o)
    o.onEvent?.({ kind: 'config', digest: manifest.config.digest, state: 'checking' })
    const config = await client.uploadBlob(endpoint.repository, manifest.config.digest, manifest.config.size,
      () => createReadStream(store.blobs.path(manifest.config.digest)), mountFrom ? { mountFrom } : {})
    o.onEvent?.({ kind: 'config', digest: manifest.config.digest, state: config })
    blobs.push({ digest: manifest.config.digest, result: config })
    o.onEvent?.({ kind: 'manifest', digest: image.manifestDigest, state: 'writing' })
    const digest = await client.putManifest(endpoint.repository, ref.digest ?? ref.tag ?? 'latest', manifest.mediaType, manifestBytes)
    o.onEvent?.({ kind: 'manifest', digest, state: 'done' })
    return { destination: what, digest, blobs }
  } finally {
    client.close()
  }
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

async function pushLayers(client: RegistryClient, repo: string, manifest: ImageManifest, mountFrom: string | undefined, o: PushOptions): Promise<PushResult['blobs']> {
  // One manifest may list a blob twice (an empty layer); send it once.
  const unique = [...new Map(manifest.layers.map(d => [d.digest, d])).values()]
  const results = new Map<string, UploadResult>()
  let next = 0
  const worker = async () => {
    while (next < unique.length) {
      const d = unique[next++]!
      results.set(d.digest, await pushBlob(client, repo, d, mountFrom, o))
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel ?? 3, unique.length)) }, worker))
  return unique.map(d => ({ digest: d.digest, result: results.get(d.digest)! }))
}

async function pushBlob(client: RegistryClient, repo: string, d: Descriptor, mountFrom: string | undefined, o: PushOptions): Promise<UploadResult> {
  const event = (state: 'checking' | 'uploading' | UploadResult, done: number) =>
    o.onEvent?.({ kind: 'blob', digest: d.digest, size: d.size, done, state })
  event('checking', 0)
  const source = (): Readable => {
    event('uploading', 0)
    let sent = 0
    const counting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent += chunk.length
        event('uploading', sent)
        done(null, chunk)
      },
    })
    return createReadStream(o.store.blobs.path(d.digest)).on('error', err => counting.destroy(err)).pipe(counting)
  }
  const result = await client.uploadBlob(repo, d.digest, d.size, source, mountFrom ? { mountFrom } : {})
  event(result, d.size)
  return result
}
