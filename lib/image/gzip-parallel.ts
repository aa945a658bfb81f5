/**
 * gzip on every core, as pigz (and Podman's pgzip) make it: the input is cut into blocks that
 * libuv's threads deflate at once, each primed with the 32 KB before it (so a block still
 * refers back into its predecessor, and the ratio stays that of one stream), each ended by a
 * sync flush so that the blocks join into one deflate stream, closed by an empty final block
 * and gzip's CRC-32 and length. One zlib stream would compress on one core: half the
 * machine here, and the longest part of pushing a committed layer.
 *
 * zlib spends as long on bytes it cannot shrink (compressed files, random data) as on text,
 * where Go's deflate (Podman's) gives up early. A block of which every sample stays as large
 * deflated is stored instead: that costs a few bytes of framing, and most of the time.
 */
import { Transform, type TransformCallback } from 'node:stream'
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib'

const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]) // deflate, no name, no mtime, OS unix
const LAST_BLOCK = Buffer.from([3, 0]) // an empty final block (fixed Huffman)
const WINDOW = 32 << 10
const SAMPLES = 4
const SAMPLE = 8 << 10

/** Whether deflate would not shrink the block: each of a few samples spread over it deflates (fast) to 98% of its size or more. */
export function looksIncompressible(block: Buffer): boolean {
  if (block.length < SAMPLES * SAMPLE * 2) return false
  const step = Math.floor((block.length - SAMPLE) / (SAMPLES - 1))
  for (let i = 0; i < SAMPLES; i++) {
    const sample = block.subarray(i * step, i * step + SAMPLE)
    if (deflateRawSync(sample, { level: 1 }).length < sample.length * 0.98) return false
  }
  return true
}

export interface ParallelGzipOptions {
  /** zlib's level; default 6 (gzip's and containers/image's default). */
  level?: number
  /** Input bytes per block; default 1 MiB. */
  blockSize?: number
  /** Blocks in flight; default 4 (libuv's threads). */
  parallel?: number
}

export class ParallelGzip extends Transform {
  private readonly level: number
  private readonly blockSize: number
  private readonly parallel: number
  private pending: Buffer[] = []
  private pendingBytes = 0
  private previous: Buffer | undefined
  private readonly queue: Promise<Buffer>[] = []
  private crc = 0
  private length = 0

  constructor(o: ParallelGzipOptions = {}) {
    super()
    this.level = o.level ?? 6
    this.blockSize = o.blockSize ?? 1 << 20
    this.parallel = o.parallel ?? 4
    this.push(HEADER)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    this.cut(false).then(() => done(), done)
  }

  override _flush(done: TransformCallback): void {
    this.cut(true).then(async () => {
      while (this.queue.length) this.push(await this.queue.shift()!)
      const trailer = Buffer.alloc(8)
      trailer.writeUInt32LE(this.crc >>> 0, 0)
      trailer.writeUInt32LE(this.length % 2 ** 32, 4)
      this.push(Buffer.concat([LAST_BLOCK, trailer]))
      done()
    }, done)
  }

  /** Starts a deflate for each whole block pending (and, at the end, the rest); waits while too many are in flight. */
  private async cut(end: boolean): Promise<void> {
    while (this.pendingBytes >= this.blockSize || (end && this.pendingBytes > 0)) {
      const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending)
      const block = all.subarray(0, Math.min(this.blockSize, all.length))
      const rest = all.subarray(block.length)
      this.pending = rest.length ? [rest] : []
      this.pendingBytes = rest.length
      this.crc = crc32(block, this.crc)
      this.length += block.length
      const dictionary = this.previous && this.previous.length > WINDOW ? this.previous.subarray(this.previous.length - WINDOW) : this.previous
      this.previous = block
      const deflated = new Promise<Buffer>((resolve, reject) =>
        deflateRaw(block, { level: looksIncompressible(block) ? 0 : this.level, finishFlush: constants.Z_SYNC_FLUSH, ...(dictionary ? { dictionary } : {}) },
          (err, out) => (err ? reject(err) : resolve(out))))
      // awaited in order below; a failure is seen there, not as an unhandled rejection meanwhile
      deflated.catch(() => undefined)
      this.queue.push(deflated)
      while (this.queue.length >= this.parallel) this.push(await this.queue.shift()!)
    }
  }
}
