/**
 * Layer decompression, chosen by magic bytes rather than media type: registries and
 * archives mislabel layers often enough that podman sniffs too. gzip through node:zlib;
 * zstd through the system's libzstd (Node 20 has none), bound with koffi on first use.
 */
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { CockerError } from '../errors.js'
import { loadKoffi } from '../sys/libc.js'

export type Compression = 'gzip' | 'zstd' | 'none'

const CHUNK = 128 * 1024

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd'
  return 'none'
}

/**
 * The decompressed bytes of `source`, whatever it is compressed with. Errors of the source
 * and of the decoder surface on the returned stream.
 */
export function decompress(source: AsyncIterable<Buffer> | Readable): Readable {
  return Readable.from(decompressChunks(source), { objectMode: false, highWaterMark: CHUNK })
}

async function* decompressChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let n = 0
  let ended = false
  while (n < 4 && !ended) {
    const r = await it.next()
    if (r.done) ended = true
    else head.push(r.value), (n += r.value.length)
  }
  const first = Buffer.concat(head)
  async function* all(): AsyncGenerator<Buffer> {
    if (first.length) yield first
    if (!ended) for (let r = await it.next(); !r.done; r = await it.next()) yield r.value
  }
  const kind = detectCompression(first)
  if (kind === 'none') return yield* all()
  const decoder = kind === 'gzip' ? createGunzip({ chunkSize: CHUNK }) : new ZstdDecompress()
  try {
    yield* pipeline(Readable.from(all(), { objectMode: false }), decoder, () => {}) as AsyncIterable<Buffer>
  } catch (err) {
    throw asDecompressError(err)
  }
}

function asDecompressError(err: unknown): unknown {
  if (err instanceof CockerError) return err
  const code = (err as NodeJS.ErrnoException).code
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new CockerError('ARCHIVE_INVALID', `gzip data is corrupt: ${(err as Error).message}`, {
      hint: 'the download or file is damaged; fetch it again',
      cause: err,
    })
  }
  return err
}

interface Zstd {
  createDStream(): unknown
  initDStream(ds: unknown): number
  freeDStream(ds: unknown): number
  decompressStream(ds: unknown, out: { dst: Buffer; size: number; pos: number }, input: { src: Buffer; size: number; pos: number }): number
  isError(code: number): number
  getErrorName(code: number): string
}

let zstd: Zstd | undefined

function libzstd(): Zstd {
  if (zstd) return zstd
  const koffi = loadKoffi()
  let lib
  try {
    lib = koffi.load('libzstd.so.1')
  } catch (err) {
    throw new CockerError('ZSTD_UNAVAILABLE', `cannot load libzstd.so.1 to decompress a zstd layer: ${(err as Error).message}`, {
      hint: 'install the zstd library (Debian and Ubuntu: apt install libzstd1; Fedora: dnf install libzstd)',
      cause: err,
    })
  }
  // Declared once per process (zstd is cached): koffi refuses a second struct of one name.
  koffi.struct('ZSTD_inBuffer', { src: 'void *', size: 'size_t', pos: 'size_t' })
  koffi.struct('ZSTD_outBuffer', { dst: 'void *', size: 'size_t', pos: 'size_t' })
  zstd = {
    createDStream: lib.func('void *ZSTD_createDStream()'),
    initDStream: lib.func('size_t ZSTD_initDStream(void *zds)'),
    freeDStream: lib.func('size_t ZSTD_freeDStream(void *zds)'),
    decompressStream: lib.func('size_t ZSTD_decompressStream(void *zds, _Inout_ ZSTD_outBuffer *output, _Inout_ ZSTD_inBuffer *input)'),
    isError: lib.func('unsigned int ZSTD_isError(size_t code)'),
    getErrorName: lib.func('const char *ZSTD_getErrorName(size_t code)'),
  }
  return zstd
}

/**
 * zstd frames in, bytes out; any number of concatenated frames. The stream must not end
 * inside a frame: a cut-off download is an error, not a short file.
 */
export class ZstdDecompress extends Transform {
  private z = libzstd()
  private ds: unknown = this.z.createDStream()
  /** Whether the last call ended exactly at a frame boundary (decompressStream returned 0). */
  private frameDone = true
  private outBuf = Buffer.allocUnsafe(CHUNK)

  constructor() {
    super({ readableHighWaterMark: CHUNK })
    if (!this.ds) throw new CockerError('ZSTD_UNAVAILABLE', 'ZSTD_createDStream failed: out of memory')
    this.z.initDStream(this.ds)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const input = { src: chunk, size: chunk.length, pos: 0 }
    try {
      // Keep calling while input remains or the output filled up (more may be buffered inside).
      for (;;) {
        const output = { dst: this.outBuf, size: this.outBuf.length, pos: 0 }
        const ret = this.z.decompressStream(this.ds, output, input)
        if (this.z.isError(ret)) {
          throw new CockerError('ARCHIVE_INVALID', `zstd data is corrupt: ${this.z.getErrorName(ret)}`, {
            hint: 'the download or file is damaged; fetch it again',
          })
        }
        this.frameDone = ret === 0
        if (output.pos > 0) {
          this.push(this.outBuf.subarray(0, output.pos))
          this.outBuf = Buffer.allocUnsafe(CHUNK)
        }
        if (input.pos >= input.size && output.pos < output.size) break
      }
    } catch (err) {
      cb(err as Error)
      return
    }
    cb()
  }

  override _flush(cb: TransformCallback): void {
    if (!this.frameDone) cb(new CockerError('ARCHIVE_INVALID', 'zstd data is truncated: the stream ends inside a frame', { hint: 'the download or file is incomplete; fetch it again' }))
    else cb()
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (this.ds) this.z.freeDStream(this.ds)
    this.ds = undefined
    cb(err)
  }
}
