/**
 * Unpacked layers: layers/<id>/diff, where id is the OCI chain id's hex, with a short
 * link l/<name> → ../layers/<id>/diff for overlay's lowerdir list.
 *
 * create() works in this order, so that a kill -9 at any instant leaves either no
 * record (leftovers that check() finds and removes) or a complete, recorded layer:
 *   1. tmp/layer-<random>/diff is filled by the caller (the unpacker);
 *   2. the staging dir is renamed to layers/<id> (atomic: same filesystem);
 *   3. the short link l/<name> is made (its name was written to layers/<id>/link in 1);
 *   4. the layer is recorded in the metadata, under the store lock.
 * Two processes creating one layer both fill; the first rename wins and the other
 * drops its copy and uses the winner's. Directories leave by the reverse route: the
 * record goes first, then the dir is renamed into tmp/ and removed from there.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { randomName } from './atomic.js'
import { sha256Digest } from './blobs.js'
import { readMetadata, updateMetadata, type LayerRecord, type Metadata } from './metadata.js'
import type { StorePaths } from './paths.js'

export interface LayerInfo {
  /** The parent's chain id hex; absent for a base layer. */
  parent?: string
  /** 'sha256:…' of the uncompressed tar. */
  diffId: string
  compressedDigest?: string
  compressedSize?: number
  mediaType?: string
}

/** Fills the empty directory it is given with the layer's content; returns its size in bytes. */
export type LayerFill = (diffDir: string) => Promise<{ size: number }>

/** Removes a directory tree; the default is rmSync. Rootless stores inject one that runs in the user namespace. */
export type RemoveTree = (dir: string) => void | Promise<void>

export const defaultRemoveTree: RemoveTree = dir => rmSync(dir, { recursive: true, force: true })

/** The OCI chain ids (hex) of a stack of diff ids, base first. */
export function chainIds(diffIds: readonly string[]): string[] {
  const ids: string[] = []
  let chain: string | undefined
  for (const diffId of diffIds) {
    chain = chain === undefined ? diffId : sha256Digest(`${chain} ${diffId}`)
    ids.push(chain.slice('sha256:'.length))
  }
  return ids
}

const LINK_LENGTH = 26

export class LayerStore {
  constructor(
    readonly paths: StorePaths,
    private readonly removeTree: RemoveTree = defaultRemoveTree,
  ) {}

  /** Whether the layer is recorded (and so complete). */
  has(id: string, md: Metadata = readMetadata(this.paths)): boolean {
    return md.layers.some(l => l.id === id)
  }

  get(id: string, md: Metadata = readMetadata(this.paths)): LayerRecord | undefined {
    return md.layers.find(l => l.id === id)
  }

  /** layers/<id>/diff, absolute. */
  diffDir(id: string): string {
    return path.join(this.paths.layers, id, 'diff')
  }

  /**
   * Makes the layer `id` with the content `fill` puts in a staging dir, and records it
   * (see the module header for the order). Returns the record; when the layer is
   * already recorded, fill is not called. LAYER_NOT_FOUND when the parent is not
   * recorded. A fill that throws leaves nothing behind.
   */
  async create(id: string, info: LayerInfo, fill: LayerFill): Promise<LayerRecord> {
    checkId(id)
    const before = readMetadata(this.paths)
    const existing = this.get(id, before)
    if (existing && existsSync(this.diffDir(id))) return existing
    if (info.parent !== undefined && !this.has(info.parent, before)) {
      throw new CockerError('LAYER_NOT_FOUND', `layer ${id}: its parent layer ${info.parent} is not in the store`, {
        hint: 'create the layers base first',
      })
    }

    // A remover may detach the dir between our rename and our record: then place it again.
    for (let attempt = 1; ; attempt++) {
      const { link, size } = await this.place(id, fill)
      const record = await updateMetadata(this.paths, md => {
        const recorded = md.layers.find(l => l.id === id)
        if (recorded) return recorded
        if (!existsSync(this.diffDir(id))) return undefined
        const layer: LayerRecord = {
          id,
          ...(info.parent === undefined ? {} : { parent: info.parent }),
          diffId: info.diffId,
          ...(info.compressedDigest === undefined ? {} : { compressedDigest: info.compressedDigest }),
          ...(info.compressedSize === undefined ? {} : { compressedSize: info.compressedSize }),
          ...(info.mediaType === undefined ? {} : { mediaType: info.mediaType }),
          size,
          link,
          created: new Date().toISOString(),
        }
        md.layers.push(layer)
        return layer
      })
      if (record) return record
      if (attempt === 3) throw new CockerError('STORE_CORRUPT', `layer ${id} keeps disappearing while it is created`, { hint: 'run "cocker system check"' })
    }
  }

  /** Steps 1-3 of the module header: fill, rename into layers/, link. */
  private async place(id: string, fill: LayerFill): Promise<{ link: string; size: number }> {
    mkdirSync(this.paths.tmp, { recursive: true })
    mkdirSync(this.paths.layers, { recursive: true })
    mkdirSync(this.paths.links, { recursive: true })
    const staging = path.join(this.paths.tmp, `layer-${randomName(16)}`)
    mkdirSync(path.join(staging, 'diff'), { recursive: true })
    let size: number
    try {
      writeFileSync(path.join(staging, 'link'), randomName(LINK_LENGTH).toUpperCase())
      size = (await fill(path.join(staging, 'diff'))).size
    } catch (err) {
      await this.removeTree(staging)
      throw err
    }

    const dir = path.join(this.paths.layers, id)
    try {
      renameSync(staging, dir)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
      // Another process made it first: its copy is complete (renames come after fills).
      await this.removeTree(staging)
    }
    const link = readFileSync(path.join(dir, 'link'), 'utf8').trim()
    try {
      symlinkSync(`../layers/${id}/diff`, path.join(this.paths.links, link))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    return { link, size }
  }

  /** The layer and its parents, top first; LAYER_NOT_FOUND when one is not recorded. */
  chain(topId: string, md: Metadata = readMetadata(this.paths)): LayerRecord[] {
    const byId = new Map(md.layers.map(l => [l.id, l]))
    const out: LayerRecord[] = []
    for (let id: string | undefined = topId; id !== undefined; ) {
      const layer = byId.get(id)
      if (!layer) throw new CockerError('LAYER_NOT_FOUND', `layer ${id} is not in the store`, { hint: 'run "cocker system check"' })
      out.push(layer)
      id = layer.parent
    }
    return out
  }

  /**
   * The overlay lowerdirs of a layer stack, top first, as short links relative to the
   * store root ('l/ABC…'): the mount must run with the root as working directory.
   */
  lowerDirs(topId: string, md?: Metadata): string[] {
    return this.chain(topId, md).map(l => `l/${l.link}`)
  }

  /**
   * Detaches the dirs of layers whose records this transaction removes (call it inside
   * updateMetadata, so no creator adopts a dir on its way out): renames each into tmp/
   * and unlinks its short link. Returns the detached dirs, for removeDetached() after
   * the lock is released.
   */
  detach(layers: readonly Pick<LayerRecord, 'id' | 'link'>[]): string[] {
    const detached: string[] = []
    for (const layer of layers) {
      if (layer.link) try {
        unlinkSync(path.join(this.paths.links, layer.link))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      const to = path.join(this.paths.tmp, `rm-${layer.id.slice(0, 12)}-${randomName(8)}`)
      try {
        renameSync(path.join(this.paths.layers, layer.id), to)
        detached.push(to)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    return detached
  }

  async removeDetached(dirs: readonly string[]): Promise<void> {
    for (const dir of dirs) await this.removeTree(dir)
  }
}

function checkId(id: string): void {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new CockerError('INVALID_ARGUMENT', `layer id "${id}" is not 64 lowercase hex characters (a chain id's hex)`)
}
