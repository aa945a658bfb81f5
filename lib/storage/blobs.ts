/**
 * Content-addressed blobs: blobs/sha256/<hex> holds manifests, configs and compressed
 * layers. Nothing enters unverified: bytes are hashed while they are written to tmp/,
 * and only a file whose digest (and size, when expected) match is renamed into place.
 * Writers need no lock: two writers of one digest write the same bytes.
 *
 *   const w = store.blobs.writer({ digest, size })   // a Writable
 *   await pipeline(response, w)
 *   await w.commit()                                 // BLOB_INVALID when it does not match
 */
import type { Hash } from 'node:crypto'
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CockerError } from '../errors.js'
import { randomName } from './atomic.js'
import type { StorePaths } from './paths.js'

const DIGEST = /^sha256:([0-9a-f]{64})$/

// node:crypto taken on first use: loading it costs a few ms, and `run` opens the store without hashing
const createHash = (algorithm: string) => process.getBuiltinModule('node:crypto').createHash(algorithm)

export interface ExpectedBlob {
  digest?: string
  size?: number
}

/** 'sha256:<hex>' of the bytes. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

/** The hex of a sha256 digest; INVALID_ARGUMENT for anything else. */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest)
  if (!m) throw new CockerError('INVALID_ARGUMENT', `digest "${digest}" is not a sha256 digest (sha256:<64 lowercase hex>)`)
  return m[1]!
}

/** A sink that hashes while it writes to tmp/; commit() verifies and moves the blob in. */
export class BlobWriter extends Writable {
  readonly tempPath: string
  private readonly hash: Hash = createHash('sha256')
  private fd: number | undefined
  private written = 0
  private committed = false
  private renamed = false
  private finalDigest: string | undefined

  constructor(
    private readonly store: BlobStore,
    private readonly expected: ExpectedBlob = {},
  ) {
    super()
    mkdirSync(store.paths.tmp, { recursive: true })
    this.tempPath = path.join(store.paths.tmp, `blob-${randomName(16)}`)
    this.fd = openSync(this.tempPath, 'wx', 0o644)
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.hash.update(chunk)
      let off = 0
      while (off < chunk.length) off += writeSync(this.fd!, chunk, off)
      this.written += chunk.length
      cb()
    } catch (err) {
      cb(err as Error)
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    try {
      // no fsync: a kill -9 cannot lose what the kernel has, and after a power loss the
      // digest check of `system check` finds a damaged blob (fsync of every layer costs seconds)
      closeSync(this.fd!)
      this.fd = undefined
      this.finalDigest = `sha256:${this.hash.digest('hex')}`
      cb()
    } catch (err) {
      cb(err as Error)
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // A finished stream is destroyed too (autoDestroy): its file waits for commit().
    if (err || !this.writableFinished) this.discard()
    cb(err)
  }

  /** Bytes written so far. */
  get size(): number {
    return this.written
  }

  /** The digest of what was written, once the stream has finished (before commit). */
  get digest(): string | undefined {
    return this.finalDigest
  }

  /**
   * After the stream finished: checks digest and size against what was expected and
   * renames the blob into place. Returns the digest. Throws BLOB_INVALID (and deletes
   * the temp file) on a mismatch.
   */
  async commit(): Promise<string> {
    if (this.committed) throw new Error('BlobWriter.commit called twice')
    if (!this.writableFinished) {
      if (!this.writableEnded) this.end()
      await new Promise<void>((resolve, reject) => {
        this.once('finish', resolve)
        this.once('error', reject)
      })
    }
    this.committed = true
    const digest = this.finalDigest!
    const { expected } = this
    const what = expected.digest ?? digest
    if (expected.size !== undefined && expected.size !== this.written) {
      this.discard()
      throw new CockerError('BLOB_INVALID', `blob ${what} has ${this.written} bytes, ${expected.size} were expected`, {
        hint: 'the source sent other data than it announced; try again',
      })
    }
    if (expected.digest !== undefined && expected.digest !== digest) {
      this.discard()
      throw new CockerError('BLOB_INVALID', `blob ${expected.digest} does not match its content, whose digest is ${digest}`, {
        hint: 'the source sent corrupt or other data; try again',
      })
    }
    mkdirSync(this.store.paths.blobs, { recursive: true })
    renameSync(this.tempPath, this.store.path(digest))
    this.renamed = true
    return digest
  }

  /** Drops the temp file of a blob that will not be committed (no-op after commit). */
  discard(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd)
      this.fd = undefined
    }
    if (!this.renamed) rmSync(this.tempPath, { force: true })
  }
}

export class BlobStore {
  constructor(readonly paths: StorePaths) {}

  /** Where the blob is (whether or not it is there). */
  path(digest: string): string {
    return path.join(this.paths.blobs, digestHex(digest))
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest))
  }

  writer(expected?: ExpectedBlob): BlobWriter {
    return new BlobWriter(this, expected)
  }

  /** Stores bytes, verified against expectedDigest when given; returns their digest. */
  async put(data: Buffer | string, expectedDigest?: string): Promise<string> {
    const w = this.writer({ digest: expectedDigest })
    w.end(typeof data === 'string' ? Buffer.from(data) : data)
    return w.commit()
  }

  /** The blob's bytes; BLOB_NOT_FOUND when it is not stored. */
  read(digest: string): Buffer {
    try {
      return readFileSync(this.path(digest))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CockerError('BLOB_NOT_FOUND', `blob ${digest} is not in the store`, { hint: 'pull the image again' })
      }
      throw err
    }
  }

  /** Whether the stored blob still hashes to its name (read as a stream: layers are big). */
  async verify(digest: string): Promise<boolean> {
    const hash = createHash('sha256')
    await pipeline(createReadStream(this.path(digest)), hash)
    return `sha256:${hash.digest('hex')}` === digest
  }

  /** Removes the blob; absent is fine. */
  remove(digest: string): void {
    rmSync(this.path(digest), { force: true })
  }
}
