/**
 * A streaming tar reader: ustar, GNU (L/K long names, base-256 numbers) and PAX (x and g
 * records). Bodies are handed out as subarrays of the source's chunks, never copied or
 * buffered whole, so a 200 MB layer streams through in the source's chunk size.
 *
 *   for await (const entry of readTar(stream)) {
 *     if (entry.type === 'file') for await (const chunk of entry.body()) write(chunk)
 *   }
 *
 * A body not read by the time the loop asks for the next entry is skipped.
 */
import { CockerError } from '../errors.js'

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'

export interface TarEntry {
  /** As in the archive (PAX path, GNU long name or ustar prefix/name); not normalised. */
  name: string
  type: TarEntryType
  /** Permission bits with setuid, setgid and sticky (mode & 0o7777). */
  mode: number
  uid: number
  gid: number
  /** Body length; 0 for everything but files. */
  size: number
  /** Seconds since the epoch, fractional when a PAX record says so. */
  mtime: number
  /** PAX atime when present. */
  atime?: number
  linkname: string
  devmajor: number
  devminor: number
  /** From PAX SCHILY.xattr.* records. */
  xattrs: Record<string, Buffer>
  /** The body, once, before the loop moves on. */
  body(): AsyncIterable<Buffer>
}

export interface ReadTarOptions {
  /** Names the archive in error messages, e.g. "layer sha256:abc…". */
  name?: string
}

const BLOCK = 512

/** What to do about a broken archive, by the kind of break; c/unpack.c names the kind too. */
export const ARCHIVE_HINTS: Record<string, string> = {
  truncated: 'the download or file is incomplete; fetch it again',
  checksum: 'the file is damaged or not a tar archive',
  type: 'GNU sparse files, volume labels and multi-volume archives are not supported',
}
const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a plain file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
}

/**
 * Chunks from the source, consumed from the front without copying. `pull` fetches one
 * more chunk; false at the end of the source.
 */
class Input {
  private chunks: Buffer[] = []
  private head = 0 // offset into chunks[0]
  length = 0
  private it: AsyncIterator<Buffer | string | Uint8Array>
  constructor(source: AsyncIterable<Buffer | string | Uint8Array>) {
    this.it = source[Symbol.asyncIterator]()
  }

  async pull(): Promise<boolean> {
    for (;;) {
      const r = await this.it.next()
      if (r.done) return false
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
      if (b.length === 0) continue
      this.chunks.push(b)
      this.length += b.length
      return true
    }
  }

  /** At least n bytes buffered, or false at the end of the source. */
  async fill(n: number): Promise<boolean> {
    while (this.length < n) if (!(await this.pull())) return false
    return true
  }

  /** Exactly n buffered bytes (copied only when they span chunks). */
  take(n: number): Buffer {
    const first = this.chunks[0]!
    if (first.length - this.head >= n) {
      const b = first.subarray(this.head, this.head + n)
      this.advance(n)
      return b
    }
    const out = Buffer.allocUnsafe(n)
    let off = 0
    while (off < n) {
      const piece = this.takeUpTo(n - off)
      piece.copy(out, off)
      off += piece.length
    }
    return out
  }

  /** Up to n bytes from the first chunk, without copying. */
  takeUpTo(n: number): Buffer {
    const first = this.chunks[0]!
    const b = first.subarray(this.head, this.head + Math.min(n, first.length - this.head))
    this.advance(b.length)
    return b
  }

  private advance(n: number): void {
    this.head += n
    this.length -= n
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift()
      this.head = 0
    }
  }

  /** Drops n bytes; false if the source ends first. */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.length === 0 && !(await this.pull())) return false
      n -= this.takeUpTo(n).length
    }
    return true
  }

  async drain(): Promise<void> {
    this.chunks = []
    this.length = this.head = 0
    while (!(await this.it.next()).done);
  }
}

function cstring(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start)
  return b.toString('utf8', start, end < 0 || end > start + len ? start + len : end)
}

/** An octal field, or GNU's base-256 (top bit set) for values that do not fit. */
function number(b: Buffer, start: number, len: number): number {
  if (b[start]! & 0x80) {
    let n = b[start]! & 0x3f // 0x40 is the sign: negative numbers are of no use here
    for (let i = start + 1; i < start + len; i++) n = n * 256 + b[i]!
    return n
  }
  const s = b.toString('latin1', start, start + len).replace(/[\0 ]+$/, '').trim()
  if (s === '') return 0
  if (!/^[0-7]+$/.test(s)) return NaN
  return parseInt(s, 8)
}

function checksumOk(h: Buffer): boolean {
  const stored = number(h, 148, 8)
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!
    unsigned += c
    signed += c > 127 ? c - 256 : c // some old tars summed signed chars
  }
  return stored === unsigned || stored === signed
}

function isZero(h: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 8) if (h.readBigUInt64LE(i) !== 0n) return false
  return true
}

type Pax = Map<string, Buffer>

/** "%d key=value\n" records; values stay bytes (xattr values are binary). */
function parsePax(b: Buffer, where: () => string): Pax {
  const out: Pax = new Map()
  let off = 0
  while (off < b.length) {
    if (b[off] === 0) break // some writers pad the record block with NULs
    const sp = b.indexOf(0x20, off)
    const len = sp < 0 ? NaN : Number(b.toString('latin1', off, sp))
    if (!Number.isInteger(len) || len <= sp - off || off + len > b.length || b[off + len - 1] !== 0x0a) {
      throw new CockerError('ARCHIVE_INVALID', `${where()}: malformed PAX record at offset ${off}`)
    }
    const eq = b.indexOf(0x3d, sp + 1)
    if (eq < 0 || eq >= off + len) throw new CockerError('ARCHIVE_INVALID', `${where()}: PAX record without '=' at offset ${off}`)
    out.set(b.toString('utf8', sp + 1, eq), b.subarray(eq + 1, off + len - 1))
    off += len
  }
  return out
}

function paxNumber(v: Buffer | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v.toString('latin1'))
  return Number.isFinite(n) ? n : undefined
}

export async function* readTar(source: AsyncIterable<Buffer | string | Uint8Array>, opts: ReadTarOptions = {}): AsyncGenerator<TarEntry> {
  const input = new Input(source)
  const archive = opts.name ?? 'tar archive'
  let global: Pax = new Map()
  let pax: Pax | undefined
  let longName: string | undefined
  let longLink: string | undefined
  let lastName = '(start of archive)'
  let index = 0
  const where = (name?: string) => `${archive}: entry ${name === undefined ? `after '${lastName}'` : `'${name}'`}`
  const truncated = (what: string, name?: string) =>
    new CockerError('ARCHIVE_INVALID', `${where(name)}: truncated ${what} (the archive ends early)`, { hint: ARCHIVE_HINTS.truncated })

  /** A meta entry's body (PAX, GNU long name), whole: these are small. */
  const metaBody = async (size: number, kind: string): Promise<Buffer> => {
    if (size > 16 << 20) throw new CockerError('ARCHIVE_INVALID', `${where()}: ${kind} record of ${size} bytes is too large`)
    const padded = Math.ceil(size / BLOCK) * BLOCK
    if (!(await input.fill(padded))) throw truncated(kind)
    return Buffer.from(input.take(padded).subarray(0, size))
  }

  for (;;) {
    if (!(await input.fill(BLOCK))) {
      if (input.length === 0 && index > 0) return // no end blocks: GNU tar accepts this too
      throw truncated('header')
    }
    const h = input.take(BLOCK)
    index++
    if (isZero(h)) {
      // End of archive. Read the rest so whoever hashes the source sees all of it.
      await input.drain()
      return
    }
    if (!checksumOk(h)) {
      throw new CockerError('ARCHIVE_INVALID', `${where()}: bad header checksum at block ${index} (not a tar archive, or corrupt)`, {
        hint: ARCHIVE_HINTS.checksum,
      })
    }
    const flag = String.fromCharCode(h[156]!)
    const size = number(h, 124, 12)
    if (!Number.isSafeInteger(size)) throw new CockerError('ARCHIVE_INVALID', `${where()}: invalid size field`)

    if (flag === 'x' || flag === 'g') {
      const records = parsePax(await metaBody(size, 'PAX header'), where)
      if (flag === 'g') global = new Map([...global, ...records])
      else pax = records
      continue
    }
    if (flag === 'L' || flag === 'K') {
      const s = cstring(await metaBody(size, 'GNU long name'), 0, size)
      if (flag === 'L') longName = s
      else longLink = s
      continue
    }

    const magic = h.toString('latin1', 257, 263)
    const ustarPrefix = magic === 'ustar\0' ? cstring(h, 345, 155) : '' // old GNU keeps times there
    const rec = (key: string) => pax?.get(key) ?? global.get(key)
    const name = rec('path')?.toString('utf8') ?? longName ?? (ustarPrefix ? `${ustarPrefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100))
    const linkname = rec('linkpath')?.toString('utf8') ?? longLink ?? cstring(h, 157, 100)
    let type = TYPES[flag]
    if (type === undefined) {
      throw new CockerError('ARCHIVE_INVALID', `${where(name)}: unsupported entry type '${flag.replace(/[^\x20-\x7e]/, '?')}'`, {
        hint: ARCHIVE_HINTS.type,
      })
    }
    if (type === 'file' && flag !== '7' && name.endsWith('/')) type = 'dir' // pre-POSIX tars mark directories this way
    const entrySize = paxNumber(rec('size')) ?? size
    const xattrs: Record<string, Buffer> = {}
    for (const map of [global, pax ?? new Map<string, Buffer>()]) {
      for (const [k, v] of map) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = v
    }
    const mode = number(h, 100, 8)
    const uid = paxNumber(rec('uid')) ?? number(h, 108, 8)
    const gid = paxNumber(rec('gid')) ?? number(h, 116, 8)
    const mtime = paxNumber(rec('mtime')) ?? number(h, 136, 12)
    for (const [field, v] of [['mode', mode], ['uid', uid], ['gid', gid], ['mtime', mtime]] as const) {
      if (Number.isNaN(v)) throw new CockerError('ARCHIVE_INVALID', `${where(name)}: invalid ${field} field`)
    }
    pax = longName = longLink = undefined
    if (name.length === 0) throw new CockerError('ARCHIVE_INVALID', `${where()}: entry with an empty name`)

    // Links, directories and devices have no body whatever the size field says (Go's
    // archive/tar reads them the same way).
    const dataSize = type === 'file' ? entrySize : 0
    let remaining = dataSize
    let bodyTaken = false
    async function* body(): AsyncGenerator<Buffer> {
      if (bodyTaken) throw new Error(`tar entry '${name}': body() called twice`)
      bodyTaken = true
      if (type !== 'file') return
      while (remaining > 0) {
        if (input.length === 0 && !(await input.pull())) throw truncated('body', name)
        const piece = input.takeUpTo(remaining)
        remaining -= piece.length
        yield piece
      }
    }
    const atime = paxNumber(rec('atime'))
    yield {
      name,
      type,
      mode: mode & 0o7777,
      uid,
      gid,
      size: dataSize,
      mtime,
      ...(atime === undefined ? {} : { atime }),
      linkname,
      devmajor: number(h, 329, 8) || 0,
      devminor: number(h, 337, 8) || 0,
      xattrs,
      body,
    }
    lastName = name
    const pad = (BLOCK - (dataSize % BLOCK)) % BLOCK
    if (!(await input.skip(remaining + pad))) throw truncated('body', name)
    remaining = 0
    bodyTaken = true
  }
}
