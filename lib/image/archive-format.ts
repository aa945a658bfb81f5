/**
 * The two archive formats' small documents, pure: docker-archive's manifest.json (what
 * `docker save` writes) and the OCI image layout's index.json, and the names inside
 * archives, which are never trusted as paths.
 */
import { CockerError } from '../errors.js'
import { normalizeTagName } from '../storage/images.js'
import { MediaType, type Descriptor } from './manifest.js'

export const REF_NAME = 'org.opencontainers.image.ref.name'
export const OCI_LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' })

/** One image of docker-archive's manifest.json. */
export interface DockerArchiveEntry {
  Config: string
  RepoTags: string[]
  Layers: string[]
}

/**
 * An entry's name inside the archive, normalised ('./a//b' → 'a/b'); ARCHIVE_UNSAFE for an
 * absolute name or one with a '..' component: such an archive was made to reach outside.
 */
export function archiveName(name: string, archive: string): string {
  if (name.startsWith('/')) throw unsafe(archive, `entry "${name}" has an absolute name`)
  const parts = name.split('/').filter(p => p !== '' && p !== '.')
  if (parts.includes('..')) throw unsafe(archive, `entry "${name}" climbs out of the archive with ".."`)
  return parts.join('/')
}

/** A symlink's target, as an archive name relative to the link's directory; ARCHIVE_UNSAFE when it leaves the archive. */
export function linkTarget(linkName: string, target: string, archive: string): string {
  if (target.startsWith('/')) throw unsafe(archive, `symlink "${linkName}" points to the absolute path "${target}"`)
  const parts = linkName.split('/').slice(0, -1)
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') {
      if (parts.length === 0) throw unsafe(archive, `symlink "${linkName}" points outside the archive ("${target}")`)
      parts.pop()
    } else parts.push(p)
  }
  return parts.join('/')
}

function unsafe(archive: string, why: string): CockerError {
  return new CockerError('ARCHIVE_UNSAFE', `${archive}: ${why}`, { hint: 'the archive is damaged or hostile; it was not loaded' })
}

function invalid(archive: string, why: string): CockerError {
  return new CockerError('ARCHIVE_INVALID', `${archive}: ${why}`)
}

function parseJson(bytes: Buffer, archive: string, file: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw invalid(archive, `${file} is not valid JSON (${(err as Error).message})`)
  }
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(s => typeof s === 'string')

/** docker-archive's manifest.json: one entry per image. */
export function parseDockerManifest(bytes: Buffer, archive: string): DockerArchiveEntry[] {
  const doc = parseJson(bytes, archive, 'manifest.json')
  if (!Array.isArray(doc) || doc.length === 0) throw invalid(archive, 'manifest.json is not a non-empty list of images')
  return doc.map((e: Record<string, unknown>, i) => {
    if (typeof e !== 'object' || e === null) throw invalid(archive, `manifest.json[${i}] is not an object`)
    if (typeof e.Config !== 'string') throw invalid(archive, `manifest.json[${i}].Config is not a string`)
    if (!isStrings(e.Layers)) throw invalid(archive, `manifest.json[${i}].Layers is not a list of strings`)
    const tags = e.RepoTags ?? []
    if (!isStrings(tags)) throw invalid(archive, `manifest.json[${i}].RepoTags is not a list of strings`)
    return { Config: e.Config, RepoTags: tags, Layers: e.Layers }
  })
}

/** The OCI layout's index.json: its manifest descriptors. */
export function parseOciIndex(bytes: Buffer, archive: string): Descriptor[] {
  const doc = parseJson(bytes, archive, 'index.json') as Record<string, unknown>
  if (typeof doc !== 'object' || doc === null || doc.schemaVersion !== 2 || !Array.isArray(doc.manifests)) {
    throw invalid(archive, 'index.json is not an OCI image index (schemaVersion 2 with manifests)')
  }
  return doc.manifests.map((d: Record<string, unknown>, i) => {
    if (typeof d !== 'object' || d === null || typeof d.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.digest) ||
      typeof d.size !== 'number' || typeof d.mediaType !== 'string') {
      throw invalid(archive, `index.json manifests[${i}] is not a descriptor with a sha256 digest, a size and a media type`)
    }
    return d as unknown as Descriptor
  })
}

/**
 * The full name a name in an archive gives the image, as podman load: a bare name goes to
 * localhost/ ('foo:1' → localhost/foo:1, an OCI ref.name 'v7' → localhost/v7:latest).
 * Undefined for what is not a usable name (a digest, garbage).
 */
export function loadedName(name: string): string | undefined {
  try {
    return normalizeTagName(name)
  } catch {
    return undefined
  }
}

/** A layer blob's OCI media type, from its first bytes. */
export function layerMediaType(head: Buffer): string {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return MediaType.OciLayerGzip
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return MediaType.OciLayerZstd
  return MediaType.OciLayer
}

/** The OCI media type of a Docker schema 2 one (OCI ones unchanged). */
export function ociMediaType(mediaType: string): string {
  switch (mediaType) {
    case MediaType.DockerManifest: return MediaType.OciManifest
    case MediaType.DockerConfig: return MediaType.OciConfig
    case MediaType.DockerLayerGzip: return MediaType.OciLayerGzip
    case MediaType.DockerLayerForeignGzip: return MediaType.OciLayerNondistributableGzip
    default: return mediaType
  }
}

/** The Docker schema 2 media type of an OCI one, for docker-dir (others unchanged). */
export function dockerMediaType(mediaType: string): string {
  switch (mediaType) {
    case MediaType.OciManifest: return MediaType.DockerManifest
    case MediaType.OciConfig: return MediaType.DockerConfig
    case MediaType.OciLayerGzip: return MediaType.DockerLayerGzip
    case MediaType.OciLayer: return 'application/vnd.docker.image.rootfs.diff.tar'
    default: return mediaType
  }
}
