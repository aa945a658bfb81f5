/**
 * The store's metadata: one JSON file (<root>/storage.json) with every image and layer
 * record. Readers parse it without a lock (it is only ever replaced by rename); writers
 * change it inside updateMetadata, under the store lock. One small file keeps `images`
 * to a single read; this module imports node:fs and node:path only.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { CockerError } from '../errors.js'
import { writeFileAtomic } from './atomic.js'
import { withStoreLock } from './lock.js'
import type { StorePaths } from './paths.js'

export const METADATA_VERSION = 1

export interface LayerRecord {
  /** The chain id's hex (OCI image spec ChainID). */
  id: string
  /** The parent layer's id; absent for a base layer. */
  parent?: string
  /** 'sha256:…' of the uncompressed tar. */
  diffId: string
  /** 'sha256:…' of the blob the layer came from, when it came from one. */
  compressedDigest?: string
  compressedSize?: number
  mediaType?: string
  /** Bytes of the unpacked content, as the fill reported them. */
  size: number
  /** The short link's name: l/<link> → ../layers/<id>/diff. */
  link: string
  /** ISO 8601. */
  created: string
}

export interface ImageRecord {
  /** The config digest's hex: the image ID. */
  id: string
  /** Full references, e.g. docker.io/library/alpine:latest; empty for a dangling image. */
  names: string[]
  /** Every name the image had, newest first (podman's NamesHistory). */
  namesHistory: string[]
  /** The manifest digest: 'sha256:…'. */
  digest: string
  /** Full repository names with a digest: docker.io/library/alpine@sha256:…. */
  repoDigests: string[]
  manifestMediaType: string
  configDigest: string
  manifestDigest: string
  /** Chain id of the top layer; absent for an image without layers. */
  topLayer?: string
  /** Chain ids, base first. */
  layers: string[]
  /** The config's created time (ISO 8601), or when the image was stored. */
  created: string
  /** Sum of the unpacked layer sizes. */
  size: number
}

export interface Metadata {
  version: number
  /** The storage driver (driver.ts), recorded at the store's first use; absent in an unused store. */
  driver?: 'overlay' | 'fuse-overlayfs' | 'vfs'
  images: ImageRecord[]
  layers: LayerRecord[]
}

export function emptyMetadata(): Metadata {
  return { version: METADATA_VERSION, images: [], layers: [] }
}

/** The current metadata, without a lock; an empty store when the file does not exist yet. */
export function readMetadata(paths: StorePaths): Metadata {
  let text: string
  try {
    text = readFileSync(paths.metadata, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyMetadata()
    throw err
  }
  let data: Metadata
  try {
    data = JSON.parse(text) as Metadata
  } catch (err) {
    throw new CockerError('STORE_CORRUPT', `${paths.metadata} is not valid JSON`, {
      cause: err,
      hint: 'restore it from a backup, or run "cocker system reset"',
    })
  }
  if (data.version !== METADATA_VERSION || !Array.isArray(data.images) || !Array.isArray(data.layers)) {
    throw new CockerError('STORE_CORRUPT', `${paths.metadata} has version ${String(data.version)}; this cocker reads version ${METADATA_VERSION}`, {
      hint: 'use the cocker that wrote the store, or run "cocker system reset"',
    })
  }
  return data
}

/**
 * A metadata transaction: under the store lock, reads the metadata, lets fn change it
 * in place, and writes it back atomically unless fn throws. Returns fn's result.
 */
export function updateMetadata<T>(paths: StorePaths, fn: (md: Metadata) => T | Promise<T>): Promise<T> {
  mkdirSync(paths.tmp, { recursive: true })
  return withStoreLock(paths.lock, async () => {
    const md = readMetadata(paths)
    const result = await fn(md)
    writeFileAtomic(paths.metadata, JSON.stringify(md), paths.tmp)
    return result
  })
}
