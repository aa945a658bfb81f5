/**
 * Image records: lookup as podman matches local images, and the transactions that add,
 * tag and untag. The lookup functions are pure over a Metadata value (no locks, no
 * koffi): `images`, `inspect` and `image exists` use them on a lock-free read.
 *
 * Lookup order (podman's libimage): `sha256:<64 hex>` or 64 hex is an ID; otherwise a
 * name (a qualified name exactly; a short name first as localhost/NAME, then as
 * docker.io's, then as any registry's repository ending in /NAME; name@digest by
 * repository and manifest digest); then a unique ID prefix of any length.
 */
import { CockerError } from '../errors.js'
import { fullReference, isShortName, parseReference, type ImageReference } from '../image/reference.js'
import type { BlobStore } from './blobs.js'
import { readMetadata, updateMetadata, type ImageRecord, type Metadata } from './metadata.js'
import type { StorePaths } from './paths.js'

/** What a caller (pull, load, build) knows about a new image; the store computes the rest. */
export interface NewImage {
  /** 'sha256:…' of the config: the image ID is its hex. */
  configDigest: string
  manifestDigest: string
  manifestMediaType: string
  /** Full references to give the image; each is taken from any image that has it. */
  names?: string[]
  /** Extra repo@digest references (a pull by digest); names' own are added. */
  repoDigests?: string[]
  /** Chain ids, base first; all must be recorded. */
  layers: string[]
  /** ISO 8601 (the config's created); default now. */
  created?: string
}

/** How an input matched: by a name (which one) or by ID or digest. */
export interface ImageMatch {
  image: ImageRecord
  /** The full name the input resolved to, when it matched by name. */
  name?: string
}

const HEX64 = /^[0-9a-f]{64}$/

function notKnown(input: string): CockerError {
  return new CockerError('IMAGE_NOT_FOUND', `${input}: image not known`)
}

/** 'docker.io/library/alpine:latest' → ['docker.io/library/alpine', 'latest']. Names always carry a tag. */
export function splitName(name: string): [repository: string, tag: string] {
  const colon = name.lastIndexOf(':')
  if (colon <= name.lastIndexOf('/')) return [name, '']
  return [name.slice(0, colon), name.slice(colon + 1)]
}

/** `sha256:<hex>` of the image ID. */
export function imageDigestId(image: ImageRecord): string {
  return `sha256:${image.id}`
}

/** The image an input names, or undefined; INVALID_ARGUMENT for a malformed ID or reference. */
export function findImage(md: Metadata, input: string): ImageMatch | undefined {
  if (input.startsWith('sha256:')) {
    const hex = input.slice('sha256:'.length)
    if (!HEX64.test(hex)) throw new CockerError('INVALID_ARGUMENT', `${input}: invalid format: no 64-byte hexadecimal value`)
    const image = md.images.find(i => i.id === hex)
    return image && { image }
  }
  if (HEX64.test(input)) {
    const image = md.images.find(i => i.id === input)
    return image && { image }
  }
  let ref: ImageReference | undefined
  try {
    ref = parseReference(input)
  } catch (err) {
    if (!/^[0-9a-f]+$/.test(input)) throw err
  }
  if (ref) {
    const byName = findByName(md, input, ref)
    if (byName) return byName
  }
  if (/^[0-9a-f]+$/.test(input)) {
    const matches = md.images.filter(i => i.id.startsWith(input))
    if (matches.length > 1) {
      throw new CockerError('IMAGE_AMBIGUOUS', `${input}: the ID prefix matches ${matches.length} images`, { hint: 'give more characters of the ID' })
    }
    if (matches.length === 1) return { image: matches[0]! }
  }
  return undefined
}

/** Like findImage, but IMAGE_NOT_FOUND ("NAME: image not known", as podman) when none matches. */
export function resolveImage(md: Metadata, input: string): ImageMatch {
  const match = findImage(md, input)
  if (!match) throw notKnown(input)
  return match
}

function findByName(md: Metadata, input: string, ref: ImageReference): ImageMatch | undefined {
  if (ref.digest !== undefined) {
    const repos = repositoryCandidates(input, ref)
    for (const image of md.images) {
      const digests = new Set([image.digest, image.manifestDigest, ...image.repoDigests.map(r => r.slice(r.indexOf('@') + 1))])
      if (!digests.has(ref.digest)) continue
      const repoOf = (r: string) => r.slice(0, r.indexOf('@'))
      const imageRepos = [...image.names.map(n => splitName(n)[0]), ...image.repoDigests.map(repoOf)]
      if (imageRepos.some(r => repos(r))) return { image }
    }
    return undefined
  }
  const tag = ref.tag ?? 'latest'
  if (!isShortName(input)) {
    const full = fullReference(ref)
    const image = md.images.find(i => i.names.includes(full))
    return image && { image, name: full }
  }
  const path = writtenPath(input)
  const exact = [`localhost/${path}:${tag}`, fullReference({ registry: ref.registry, repository: ref.repository, tag })]
  for (const full of exact) {
    const image = md.images.find(i => i.names.includes(full))
    if (image) return { image, name: full }
  }
  for (const image of md.images) {
    for (const name of image.names) {
      const [repo, t] = splitName(name)
      if (t === tag && repo.endsWith(`/${path}`)) return { image, name }
    }
  }
  return undefined
}

/** A predicate on full repository names ('quay.io/a/b') for the input's repository. */
function repositoryCandidates(input: string, ref: ImageReference): (repo: string) => boolean {
  if (!isShortName(input)) {
    const want = `${ref.registry}/${ref.repository}`
    return repo => repo === want
  }
  const path = writtenPath(input)
  return repo => repo.endsWith(`/${path}`)
}

/** The repository path as the user wrote it: 'alpine' for 'alpine:3', not 'library/alpine'. */
function writtenPath(input: string): string {
  let name = input.split('@')[0]!
  const colon = name.lastIndexOf(':')
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon)
  return name
}

/**
 * The full name a new tag gets, as `podman tag`: a name without a registry goes to
 * localhost/ ('foo' → localhost/foo:latest). INVALID_ARGUMENT for a digest.
 */
export function normalizeTagName(name: string): string {
  const ref = isShortName(name) ? parseReference(`localhost/${name}`) : parseReference(name)
  if (ref.digest !== undefined) {
    throw new CockerError('INVALID_ARGUMENT', `${name}: tag by digest not supported`, { hint: 'give a name with a tag, or none (latest)' })
  }
  return fullReference(ref)
}

/** Images sorted as `podman images` lists them: newest first. */
export function sortedImages(md: Metadata): ImageRecord[] {
  return [...md.images].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0))
}

export class ImageStore {
  constructor(
    readonly paths: StorePaths,
    private readonly blobs: BlobStore,
  ) {}

  list(): ImageRecord[] {
    return sortedImages(readMetadata(this.paths))
  }

  /** IMAGE_NOT_FOUND when nothing matches. */
  lookup(input: string): ImageRecord {
    return resolveImage(readMetadata(this.paths), input).image
  }

  exists(input: string): boolean {
    return findImage(readMetadata(this.paths), input) !== undefined
  }

  /**
   * Records an image whose blobs and layers are already stored (LAYER_NOT_FOUND,
   * BLOB_NOT_FOUND otherwise, checked under the lock: a concurrent rmi may have removed
   * them, and the caller can then store them again). An image with the same ID gets
   * the new names added. A name another image had moves here; that image stays, maybe
   * dangling (<none>).
   */
  async add(input: NewImage): Promise<ImageRecord> {
    const id = input.configDigest.replace(/^sha256:/, '')
    if (!HEX64.test(id)) throw new CockerError('INVALID_ARGUMENT', `config digest "${input.configDigest}" is not a sha256 digest`)
    const names = (input.names ?? []).map(n => fullReference(parseReference(n)))
    return updateMetadata(this.paths, md => {
      for (const digest of [input.configDigest, input.manifestDigest]) {
        if (!this.blobs.has(digest)) {
          throw new CockerError('BLOB_NOT_FOUND', `image ${id.slice(0, 12)}: blob ${digest} is not in the store`, { hint: 'store the blob again' })
        }
      }
      const byId = new Map(md.layers.map(l => [l.id, l]))
      let size = 0
      input.layers.forEach((layerId, i) => {
        const layer = byId.get(layerId)
        if (!layer) throw new CockerError('LAYER_NOT_FOUND', `image ${id.slice(0, 12)}: layer ${layerId} is not in the store`, { hint: 'create the layer again' })
        if ((layer.parent ?? undefined) !== (i === 0 ? undefined : input.layers[i - 1])) {
          throw new CockerError('INVALID_ARGUMENT', `image ${id.slice(0, 12)}: layer ${layerId} does not sit on ${input.layers[i - 1] ?? 'nothing'}`)
        }
        size += layer.size
      })
      let image = md.images.find(i => i.id === id)
      if (!image) {
        image = {
          id,
          names: [],
          namesHistory: [],
          digest: input.manifestDigest,
          repoDigests: [],
          manifestMediaType: input.manifestMediaType,
          configDigest: input.configDigest,
          manifestDigest: input.manifestDigest,
          ...(input.layers.length ? { topLayer: input.layers[input.layers.length - 1] } : {}),
          layers: [...input.layers],
          created: input.created ?? new Date().toISOString(),
          size,
        }
        md.images.push(image)
      } else {
        // the same image from another source (a load after a pull): its old manifest may be needed no more
        const old = image.manifestDigest
        if (old !== input.manifestDigest && !md.images.some(i => i !== image && i.manifestDigest === old)) this.blobs.remove(old)
        image.digest = input.manifestDigest
        image.manifestDigest = input.manifestDigest
        image.manifestMediaType = input.manifestMediaType
      }
      for (const r of input.repoDigests ?? []) if (!image.repoDigests.includes(r)) image.repoDigests.push(r)
      giveNames(md, image, names)
      return structuredClone(image)
    })
  }

  /** Adds names (normalized as normalizeTagName) to an image; returns the full names. */
  async tag(input: string, names: readonly string[]): Promise<string[]> {
    const full = names.map(normalizeTagName)
    return updateMetadata(this.paths, md => {
      giveNames(md, resolveImage(md, input).image, full)
      return full
    })
  }

  /**
   * Removes names from an image, all of them when `names` is empty; returns the names
   * removed. TAG_NOT_FOUND ("NAME: tag not known", as podman) for a name it lacks.
   */
  async untag(input: string, names: readonly string[] = []): Promise<string[]> {
    const full = names.map(normalizeTagName)
    return updateMetadata(this.paths, md => {
      const image = resolveImage(md, input).image
      for (const name of full) {
        if (!image.names.includes(name)) throw new CockerError('TAG_NOT_FOUND', `${name}: tag not known`)
      }
      const removed = full.length ? full : [...image.names]
      image.names = image.names.filter(n => !removed.includes(n))
      return removed
    })
  }
}

/** Moves names to `image` (from whichever image had them) and records their repo digests. */
export function giveNames(md: Metadata, image: ImageRecord, names: readonly string[]): void {
  for (const name of names) {
    for (const other of md.images) {
      if (other !== image) other.names = other.names.filter(n => n !== name)
    }
    if (!image.names.includes(name)) image.names.push(name)
    image.namesHistory = [name, ...image.namesHistory.filter(n => n !== name)]
    const repoDigest = `${splitName(name)[0]}@${image.digest}`
    if (!image.repoDigests.includes(repoDigest)) image.repoDigests.push(repoDigest)
  }
}
