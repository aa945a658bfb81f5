/**
 * What push has compressed, as containers/image's blob info cache keeps it: for a layer's
 * uncompressed digest, the compressed blobs made of it (digest, size, compression) and the
 * registry repositories that received each. A second push of the layer asks the registry for
 * a known blob first, and neither compresses nor sends it when the registry has it.
 *
 * One small file, <root>/blob-info.json, rather than fields of the layer records: a record
 * says which blob the store holds, and these blobs are only in registries; the file also
 * stays out of storage.json, which every `images` reads. Written whole by rename, so a
 * kill -9 leaves the old file or the new one; without the store lock, because a lost update
 * of two pushes at once only costs a later push one compression.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { writeFileAtomic } from './atomic.js'
import type { StorePaths } from './paths.js'

export interface CompressedBlob {
  digest: string
  size: number
  compression: 'gzip'
  /** 'host/repository' that received the blob, most recent first. */
  locations: string[]
}

interface BlobInfoFile {
  version: 1
  /** By uncompressed digest, in order of last use (oldest first). */
  layers: Record<string, CompressedBlob[]>
}

/** Layers remembered; the oldest are forgotten beyond this. */
const MAX_LAYERS = 2000
const MAX_LOCATIONS = 10

function file(paths: StorePaths): string {
  return path.join(paths.root, 'blob-info.json')
}

function read(paths: StorePaths): BlobInfoFile {
  try {
    const data = JSON.parse(readFileSync(file(paths), 'utf8')) as BlobInfoFile
    if (data.version === 1 && data.layers && typeof data.layers === 'object') return data
  } catch {
    // absent or damaged: a cache starts again empty
  }
  return { version: 1, layers: {} }
}

/** The blobs known to hold `uncompressed` compressed with `compression`, most recent first. */
export function compressedBlobs(paths: StorePaths, uncompressed: string, compression: CompressedBlob['compression']): CompressedBlob[] {
  return (read(paths).layers[uncompressed] ?? []).filter(b => b.compression === compression)
}

export interface CompressedRecord {
  uncompressed: string
  blob: Omit<CompressedBlob, 'locations'>
  /** 'host/repository' where the blob now is. */
  location: string
}

/** Remembers what a push compressed or found; one write for all. */
export function recordCompressed(paths: StorePaths, records: CompressedRecord[]): void {
  const data = read(paths)
  // a push that found what it knew changes nothing worth an fsync
  if (records.every(r => data.layers[r.uncompressed]?.[0]?.digest === r.blob.digest && data.layers[r.uncompressed]![0]!.locations[0] === r.location)) return
  for (const r of records) {
    const known = data.layers[r.uncompressed] ?? []
    const old = known.find(b => b.digest === r.blob.digest)
    const locations = [r.location, ...(old?.locations ?? []).filter(l => l !== r.location)].slice(0, MAX_LOCATIONS)
    // re-inserted: the key moves to the end, the most recently used
    delete data.layers[r.uncompressed]
    data.layers[r.uncompressed] = [{ ...r.blob, locations }, ...known.filter(b => b !== old)]
  }
  const keys = Object.keys(data.layers)
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_LAYERS))) delete data.layers[k]
  mkdirSync(paths.tmp, { recursive: true })
  writeFileAtomic(file(paths), JSON.stringify(data), paths.tmp)
}
