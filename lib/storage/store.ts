/**
 * The local store: one object over blobs, layers and images, plus the operations that
 * span them (rmi, prune, df, reset, check). Open it with openStore(); nothing is
 * created on disk until the first write.
 *
 *   const store = openStore({ root: globals.root })
 *   store.images.list()                              // lock-free read
 *   await store.removeImages(['alpine'], { force: false })
 *
 * Removal order: one metadata transaction drops the image records, the layers no
 * image references any more and the blobs no image needs, and renames those layer
 * dirs into tmp/; the trees are removed after the lock is released, so a kill -9
 * leaves at most leftovers in tmp/ for check() to remove.
 */
import { existsSync, lstatSync, readdirSync, renameSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { randomName } from './atomic.js'
import { BlobStore } from './blobs.js'
import { checkStore, type CheckOptions, type CheckReport } from './check.js'
import { ImageStore, resolveImage, sortedImages } from './images.js'
import { defaultRemoveTree, LayerStore, type RemoveTree } from './layers.js'
import { readMetadata, updateMetadata, type ImageRecord, type Metadata } from './metadata.js'
import { withStoreLock } from './lock.js'
import { storePaths, storeRoot, type StorePaths } from './paths.js'

export interface StoreOptions {
  /** --root; default storeRoot() (COCKER_STORAGE_ROOT, XDG, /var/lib/cocker). */
  root?: string
  env?: NodeJS.ProcessEnv
  /** Removes a tree of the store; rootless stores need one that runs in the user namespace. */
  removeTree?: RemoveTree
  /** IDs or names of the containers that use an image; none until containers exist. */
  usedBy?: (imageId: string) => string[]
}

export interface RemoveOptions {
  /** rmi -f: delete images that have several names even when named by ID; ignore unknown images. */
  force?: boolean
  /** rmi -i: ignore unknown images. */
  ignore?: boolean
}

/** What rmi did, in podman's order: every "Untagged:", then every "Deleted:". */
export interface RemoveReport {
  untagged: string[]
  /** Full image IDs. */
  deleted: string[]
  /** One per input that failed (IMAGE_NOT_FOUND, IMAGE_IN_USE, INVALID_ARGUMENT…). */
  errors: CockerError[]
}

export interface UsageRow {
  total: number
  active: number
  /** Bytes. */
  size: number
  reclaimable: number
}

/** `system df`: what the store holds and what removing unused things would free. */
export interface DiskUsage {
  images: UsageRow
  containers: UsageRow
  volumes: UsageRow
  /** Per image, for `system df -v`. */
  perImage: { image: ImageRecord; size: number; sharedSize: number; uniqueSize: number; containers: number }[]
}

export class Store {
  readonly paths: StorePaths
  readonly blobs: BlobStore
  readonly layers: LayerStore
  readonly images: ImageStore
  readonly removeTree: RemoveTree
  readonly usedBy: (imageId: string) => string[]

  constructor(opts: StoreOptions = {}) {
    this.paths = storePaths(storeRoot(opts))
    this.removeTree = opts.removeTree ?? defaultRemoveTree
    this.usedBy = opts.usedBy ?? (() => [])
    this.blobs = new BlobStore(this.paths)
    this.layers = new LayerStore(this.paths, this.removeTree)
    this.images = new ImageStore(this.paths, this.blobs)
  }

  /** The metadata as it is now (lock-free). */
  metadata(): Metadata {
    return readMetadata(this.paths)
  }

  /**
   * `rmi`: podman's semantics. A name of an image that has other names is only
   * untagged; otherwise the image is deleted, with its layers and blobs that no other
   * image needs. An image with several names named by ID needs force. An image a
   * container uses is refused (IMAGE_IN_USE). Errors are collected per input.
   */
  async removeImages(inputs: readonly string[], opts: RemoveOptions = {}): Promise<RemoveReport> {
    const report: RemoveReport = { untagged: [], deleted: [], errors: [] }
    const detached = await updateMetadata(this.paths, md => {
      const doomed = new Set<ImageRecord>()
      for (const input of inputs) {
        try {
          const match = resolveImage(md, input)
          const image = match.image
          if (doomed.has(image)) continue
          const users = this.usedBy(image.id)
          if (match.name && image.names.length > 1) {
            image.names = image.names.filter(n => n !== match.name)
            report.untagged.push(match.name)
            continue
          }
          if (users.length) throw inUse(image, users)
          if (!match.name && image.names.length > 1 && !opts.force) {
            throw new CockerError(
              'IMAGE_MULTIPLE_NAMES',
              `unable to delete image "${image.id}" by ID with more than one tag ([${image.names.join(' ')}]): please force removal`,
            )
          }
          doomed.add(image)
        } catch (err) {
          if (!(err instanceof CockerError)) throw err
          if (err.code === 'IMAGE_NOT_FOUND' && (opts.force || opts.ignore)) continue
          report.errors.push(err)
        }
      }
      return this.dropImages(md, [...doomed], report)
    })
    await this.layers.removeDetached(detached)
    return report
  }

  /** `rmi -a`: every image no container uses. */
  async removeAllImages(): Promise<RemoveReport> {
    const report: RemoveReport = { untagged: [], deleted: [], errors: [] }
    const detached = await updateMetadata(this.paths, md => {
      const doomed: ImageRecord[] = []
      for (const image of sortedImages(md)) {
        const users = this.usedBy(image.id)
        if (users.length) report.errors.push(inUse(image, users))
        else doomed.push(md.images.find(i => i.id === image.id)!)
      }
      return this.dropImages(md, doomed, report)
    })
    await this.layers.removeDetached(detached)
    return report
  }

  /** `image prune`: dangling images (with all, every image no container uses); returns their IDs. */
  async pruneImages(opts: { all?: boolean } = {}): Promise<string[]> {
    const report: RemoveReport = { untagged: [], deleted: [], errors: [] }
    const detached = await updateMetadata(this.paths, md => {
      const doomed = sortedImages(md).filter(i => (opts.all || i.names.length === 0) && this.usedBy(i.id).length === 0)
      return this.dropImages(md, doomed.map(d => md.images.find(i => i.id === d.id)!), report)
    })
    await this.layers.removeDetached(detached)
    return report.deleted
  }

  /**
   * Inside a transaction: drops the images, then the layers and blobs nothing left
   * needs; detaches the layer dirs. Returns them for removal after the lock.
   */
  dropImages(md: Metadata, doomed: readonly ImageRecord[], report: RemoveReport): string[] {
    if (doomed.length === 0) return []
    const gone = new Set(doomed)
    for (const image of doomed) {
      report.untagged.push(...image.names)
      report.deleted.push(image.id)
    }
    md.images = md.images.filter(i => !gone.has(i))
    const keptLayers = new Set(md.images.flatMap(i => layerClosure(md, i.layers)))
    const candidates = new Set(doomed.flatMap(i => layerClosure(md, i.layers)))
    const dropLayers = md.layers.filter(l => candidates.has(l.id) && !keptLayers.has(l.id))
    const dropIds = new Set(dropLayers.map(l => l.id))
    md.layers = md.layers.filter(l => !dropIds.has(l.id))
    const keptBlobs = new Set(md.images.flatMap(i => imageBlobs(md, i)))
    for (const digest of new Set(doomed.flatMap(i => [i.configDigest, i.manifestDigest, ...dropLayers.map(l => l.compressedDigest)]))) {
      if (digest && !keptBlobs.has(digest)) this.blobs.remove(digest)
    }
    return this.layers.detach(dropLayers)
  }

  /**
   * Blobs a failed pull fetched: removed unless an image or a layer record needs them (under
   * the lock, so one recorded meanwhile by another pull keeps them).
   */
  async removeUnusedBlobs(digests: Iterable<string>): Promise<void> {
    await withStoreLock(this.paths.lock, () => {
      const md = readMetadata(this.paths)
      const kept = new Set([...md.images.flatMap(i => imageBlobs(md, i)), ...md.layers.map(l => l.compressedDigest)])
      for (const digest of digests) if (!kept.has(digest)) this.blobs.remove(digest)
    })
  }

  /** `system df`. Container and volume rows stay empty until those subsystems exist. */
  diskUsage(): DiskUsage {
    const md = this.metadata()
    const layerSize = new Map(md.layers.map(l => [l.id, l.size]))
    const users = new Map<string, number>()
    for (const l of md.layers) users.set(l.id, 0)
    for (const i of md.images) for (const id of new Set(i.layers)) users.set(id, (users.get(id) ?? 0) + 1)
    const activeLayers = new Set<string>()
    const perImage = sortedImages(md).map(image => {
      const containers = this.usedBy(image.id).length
      if (containers) image.layers.forEach(l => activeLayers.add(l))
      let shared = 0
      let unique = 0
      for (const id of new Set(image.layers)) {
        const size = layerSize.get(id) ?? 0
        if ((users.get(id) ?? 0) > 1) shared += size
        else unique += size
      }
      return { image, size: shared + unique, sharedSize: shared, uniqueSize: unique, containers }
    })
    const size = md.layers.reduce((n, l) => n + l.size, 0)
    const reclaimable = md.layers.filter(l => !activeLayers.has(l.id)).reduce((n, l) => n + l.size, 0)
    const none = { total: 0, active: 0, size: 0, reclaimable: 0 }
    return {
      images: { total: md.images.length, active: perImage.filter(p => p.containers > 0).length, size, reclaimable },
      containers: none,
      volumes: { ...none },
      perImage,
    }
  }

  /**
   * `system reset`: removes everything in the store. Under the lock the metadata is
   * emptied and every entry moves into tmp/ (renames: quick); the trees are removed
   * after, so a kill -9 leaves only tmp/ leftovers.
   */
  async reset(): Promise<void> {
    if (!existsSync(this.paths.root)) return
    const batch = `reset-${randomName(8)}`
    await updateMetadata(this.paths, md => {
      md.images = []
      md.layers = []
      // the next use chooses the driver afresh
      delete md.driver
      for (const name of readdirSync(this.paths.root)) {
        const from = path.join(this.paths.root, name)
        if (from === this.paths.lock || from === this.paths.metadata || from === this.paths.tmp) continue
        renameSync(from, path.join(this.paths.tmp, `${batch}-${name}`))
      }
    })
    for (const name of readdirSync(this.paths.tmp)) {
      await this.removeTree(path.join(this.paths.tmp, name))
    }
  }

  /** `system check`; see check.ts. */
  check(opts: CheckOptions = {}): Promise<CheckReport> {
    return checkStore(this, opts)
  }

  /** Seconds since the entry's mtime (a missing entry is infinitely old). */
  ageSeconds(p: string): number {
    try {
      return (Date.now() - lstatSync(p).mtimeMs) / 1000
    } catch {
      return Infinity
    }
  }
}

export function openStore(opts: StoreOptions = {}): Store {
  return new Store(opts)
}

function inUse(image: ImageRecord, users: readonly string[]): CockerError {
  return new CockerError('IMAGE_IN_USE', `image used by ${users.join(', ')}: image is in use by a container`, {
    hint: `remove the container${users.length > 1 ? 's' : ''} first (image ${image.id.slice(0, 12)})`,
  })
}

/** The layers an image's stack needs: the listed ones and their parents. */
export function layerClosure(md: Metadata, layers: readonly string[]): string[] {
  const byId = new Map(md.layers.map(l => [l.id, l]))
  const out: string[] = []
  for (const top of layers) {
    for (let id: string | undefined = top; id !== undefined && !out.includes(id); id = byId.get(id)?.parent) out.push(id)
  }
  return out
}

/** Blobs an image needs: manifest, config, and the compressed blobs of its layers. */
export function imageBlobs(md: Metadata, image: ImageRecord): string[] {
  const byId = new Map(md.layers.map(l => [l.id, l]))
  const layerBlobs = image.layers.map(id => byId.get(id)?.compressedDigest).filter((d): d is string => d !== undefined)
  return [image.configDigest, image.manifestDigest, ...layerBlobs]
}
