/**
 * Layers into the store, shared by pull, load and import:
 *
 *   stage (each missing layer unpacked into tmp/layer-<random>, all at once, the
 *   uncompressed stream hashed and checked against the config's diff_id)
 *   → beforeRecord (the caller commits the blobs the records will name)
 *   → record, base first (LayerStore.create renames each staging dir into place)
 *
 * A failure while staging removes every staging dir and records nothing, so the store
 * stays as it was. A layer already recorded (its chain id) is neither staged nor
 * recorded again; two importers of one layer both stage and the second drops its copy.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { CockerError } from '../errors.js'
import { inRootlessUserNamespace } from '../rootless/identity.js'
import { chainIds } from '../storage/layers.js'
import type { LayerRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import type { SkippedEntry } from '../storage/unpack.js'
import { decompress } from './decompress.js'
import type { Descriptor } from './manifest.js'

export interface LayerToImport {
  /** The blob the layer comes from (compressed or not); its digest goes into the record. */
  blob: Pick<Descriptor, 'digest' | 'size' | 'mediaType'>
  /** 'sha256:…' of the uncompressed tar, from the image's config. */
  diffId: string
}

export interface StagedLayer {
  dir: string
  /** Bytes of file content unpacked. */
  size: number
}

export interface ImportLayersOptions {
  /**
   * Unpacks layer i into a staging dir (usually through stageLayer); called only for layers
   * the store lacks. With `vfs`, one at a time, base first, and `base` is the tree to copy
   * first: the parent's staging dir, or its dir in the store.
   */
  stage: (layer: LayerToImport, index: number, base?: string) => Promise<StagedLayer>
  /** The vfs driver: a layer is its parent's tree with its own changes applied, not a diff. */
  vfs?: boolean
  /** After every layer is staged and verified, before the first record: commit blobs here. */
  beforeRecord?: (staged: readonly (StagedLayer | undefined)[]) => Promise<void>
  /** A layer the store already has. */
  onExisting?: (layer: LayerToImport, index: number) => void
}

/** Stages the layers the store lacks, all at once, then records them base first. Returns the chain ids. */
export async function importLayers(store: Store, layers: readonly LayerToImport[], o: ImportLayersOptions): Promise<string[]> {
  const ids = chainIds(layers.map(l => l.diffId))
  const md = store.metadata()
  const pending: Promise<StagedLayer | undefined>[] = []
  for (const [i, layer] of layers.entries()) {
    if (store.layers.has(ids[i]!, md)) {
      o.onExisting?.(layer, i)
      pending.push(Promise.resolve(undefined))
    } else if (o.vfs) {
      const parent = i > 0 ? pending[i - 1]! : Promise.resolve(undefined)
      pending.push(parent.then(staged => o.stage(layer, i, staged?.dir ?? (i > 0 ? store.layers.diffDir(ids[i - 1]!) : undefined))))
    } else {
      pending.push(o.stage(layer, i))
    }
  }
  // a failure of one layer must not leave the others' staging dirs behind
  const results = await Promise.allSettled(pending)
  const staged = results.map(r => (r.status === 'fulfilled' ? r.value : undefined))
  const failed = results.find(r => r.status === 'rejected') as PromiseRejectedResult | undefined
  if (failed) {
    discardStaged(staged)
    throw failed.reason
  }
  try {
    await o.beforeRecord?.(staged)
  } catch (err) {
    discardStaged(staged)
    throw err
  }
  for (const [i, id] of ids.entries()) {
    const s = staged[i]
    if (!s) continue
    await store.layers.create(id, layerInfo(layers[i]!, i > 0 ? ids[i - 1] : undefined), async diffDir => {
      rmdirSync(diffDir)
      renameSync(s.dir, diffDir)
      return { size: s.size }
    })
    // another importer recorded it first: ours is not needed
    rmSync(s.dir, { recursive: true, force: true })
  }
  return ids
}

function layerInfo(layer: LayerToImport, parent: string | undefined): Omit<LayerRecord, 'id' | 'size' | 'link' | 'created'> {
  return {
    ...(parent ? { parent } : {}),
    diffId: layer.diffId,
    compressedDigest: layer.blob.digest,
    compressedSize: layer.blob.size,
    mediaType: layer.blob.mediaType,
  }
}

function discardStaged(staged: readonly (StagedLayer | undefined)[]): void {
  for (const s of staged) if (s) rmSync(s.dir, { recursive: true, force: true })
}

export interface StageOptions {
  /** Hears of what the layer asked for that could not be made (device nodes rootless). */
  onSkipped?: (skip: SkippedEntry) => void
  /** vfs: the tree the layer applies over, copied into the staging dir first. */
  base?: string
  format?: 'overlay' | 'vfs'
}

/**
 * Unpacks a layer blob's bytes (gzip, zstd or none, sniffed) into a fresh staging dir
 * under tmp/ and checks the uncompressed stream against diffId (LAYER_INVALID). Rootless,
 * call it inside the user's namespace. `name` names the layer in messages.
 */
export async function stageLayer(store: Store, source: Readable | AsyncIterable<Buffer>, diffId: string, name: string,
  o: StageOptions = {}): Promise<StagedLayer> {
  // the dir itself is made by applyLayer, which places it well (storage/unpack.ts)
  mkdirSync(store.paths.tmp, { recursive: true })
  const dir = path.join(store.paths.tmp, `layer-${randomBytes(8).toString('hex')}`)
  try {
    if (o.base !== undefined) {
      mkdirSync(dir, { mode: 0o755 })
      ;(await import('../storage/copy-tree.js')).copyTree(o.base, dir)
    }
    const hash = createHash('sha256')
    const { applyLayer } = await import('../storage/unpack.js')
    const stats = await applyLayer(hashing(decompress(source), hash), dir, {
      format: o.format ?? 'overlay',
      xattrNamespace: inRootlessUserNamespace() ? 'user' : 'trusted',
      idLimit: mappedIdLimit(),
      layerName: name,
    })
    const actual = `sha256:${hash.digest('hex')}`
    if (actual !== diffId) {
      throw new CockerError('LAYER_INVALID', `layer ${name}: its content has digest ${actual}, but the image's config says ${diffId}`, {
        hint: 'the image is corrupt where it came from: write it again',
      })
    }
    for (const skip of stats.skipped) o.onSkipped?.(skip)
    return { dir, size: stats.bytes }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

async function* hashing(source: AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk)
    yield chunk
  }
}

/** In the rootless namespace, ids at or above this are unmapped: files owned by them cannot be made. */
export function mappedIdLimit(): { uid: number; gid: number } | undefined {
  if (!inRootlessUserNamespace()) return undefined
  const limit = (file: string) => Math.max(...readFileSync(file, 'utf8').trim().split('\n')
    .map(line => line.trim().split(/\s+/).map(Number)).map(([inside, , count]) => inside! + count!))
  return { uid: limit('/proc/self/uid_map'), gid: limit('/proc/self/gid_map') }
}
