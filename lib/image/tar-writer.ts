/**
 * A tar writer: ustar headers, with a PAX record for whatever ustar cannot hold (long or
 * non-ASCII names, ids and sizes too large for octal, xattrs). Output is a function of the
 * input only: no user or group names, no pids or times of day in PAX header names, and
 * packDirectory sorts what it walks, so equal trees give equal digests.
 *
 *   Readable.from(writeTar(entries))       Readable.from(packDirectory(dir, { mtime: 0 }))
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type BigIntStats } from 'node:fs'
import path from 'node:path'
import type { TarEntryType } from './tar.js'

export interface TarWriteEntry {
  name: string
  type: TarEntryType
  /** Permission bits with setuid, setgid and sticky; defaults 0644, 0755 for dirs, 0777 for symlinks. */
  mode?: number
  uid?: number
  gid?: number
  /** Seconds since the epoch, whole seconds kept; default 0. */
  mtime?: number
  linkname?: string
  devmajor?: number
  devminor?: number
  xattrs?: Record<string, Buffer>
  /** Files: the body. A stream must give exactly `size` bytes. */
  body?: Buffer | AsyncIterable<Buffer>
  size?: number
}

const BLOCK = 512
const END = Buffer.alloc(2 * BLOCK)
const MAX_OCTAL_7 = 0o7777777
const MAX_OCTAL_11 = 0o77777777777
const FLAGS: Record<TarEntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' }

function octal(h: Buffer, off: number, len: number, n: number): void {
  h.write(n.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1')
}

/** ustar splits a name at a '/' into prefix (155) and name (100); undefined when it cannot. */
function splitName(name: string): [string, string] | undefined {
  if (name.length <= 100) return ['', name]
  for (let i = name.indexOf('/'); i >= 0 && i <= 155; i = name.indexOf('/', i + 1)) {
    if (name.length - i - 1 <= 100 && i > 0) return [name.slice(0, i), name.slice(i + 1)]
  }
  return undefined
}

function paxRecord(key: string, value: Buffer | string): Buffer {
  const kv = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')])
  let len = kv.length + 1
  while (String(len).length + kv.length !== len) len = String(len).length + kv.length
  return Buffer.concat([Buffer.from(String(len)), kv])
}

function ustar(name: string, flag: string, mode: number, uid: number, gid: number, size: number, mtime: number, linkname: string, major: number, minor: number): Buffer {
  const h = Buffer.alloc(BLOCK)
  const [prefix, base] = splitName(name) ?? ['', name.slice(0, 100)]
  h.write(base, 0, 100, 'utf8')
  octal(h, 100, 8, mode)
  octal(h, 108, 8, uid)
  octal(h, 116, 8, gid)
  octal(h, 124, 12, size)
  octal(h, 136, 12, mtime)
  h.write(flag, 156, 'latin1')
  h.write(linkname.slice(0, 100), 157, 100, 'utf8')
  h.write('ustar\x0000', 257, 'latin1')
  octal(h, 329, 8, major)
  octal(h, 337, 8, minor)
  h.write(prefix, 345, 155, 'utf8')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += h[i]!
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  return h
}

const ascii = (s: string) => /^[\x01-\x7f]*$/.test(s)

/** The header blocks of one entry: a PAX 'x' header when needed, then the ustar header. */
export function tarHeader(e: TarWriteEntry): Buffer {
  const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name
  const linkname = e.linkname ?? ''
  const size = e.type === 'file' ? (e.size ?? (Buffer.isBuffer(e.body) ? e.body.length : 0)) : 0
  const uid = e.uid ?? 0
  const gid = e.gid ?? 0
  const mtime = Math.max(0, Math.floor(e.mtime ?? 0))
  const mode = e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644)

  const pax: Buffer[] = []
  if (!ascii(name) || !splitName(name)) pax.push(paxRecord('path', name))
  if (!ascii(linkname) || Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname))
  if (uid > MAX_OCTAL_7) pax.push(paxRecord('uid', String(uid)))
  if (gid > MAX_OCTAL_7) pax.push(paxRecord('gid', String(gid)))
  if (size > MAX_OCTAL_11) pax.push(paxRecord('size', String(size)))
  if (mtime > MAX_OCTAL_11) pax.push(paxRecord('mtime', String(mtime)))
  for (const k of Object.keys(e.xattrs ?? {}).sort()) pax.push(paxRecord(`SCHILY.xattr.${k}`, e.xattrs![k]!))

  const header = ustar(
    ascii(name) ? name : name.replace(/[^\x01-\x7f]/g, '_'),
    FLAGS[e.type],
    mode & 0o7777,
    uid > MAX_OCTAL_7 ? 0 : uid,
    gid > MAX_OCTAL_7 ? 0 : gid,
    size > MAX_OCTAL_11 ? 0 : size,
    mtime > MAX_OCTAL_11 ? 0 : mtime,
    ascii(linkname) ? linkname : '',
    e.devmajor ?? 0,
    e.devminor ?? 0,
  )
  if (pax.length === 0) return header
  const body = Buffer.concat(pax)
  // GNU tar names these after the pid; a fixed name keeps the output deterministic.
  const paxName = `PaxHeaders/${path.posix.basename(name).replace(/[^\x01-\x7f]/g, '_')}`.slice(0, 100)
  return Buffer.concat([ustar(paxName, 'x', 0o644, 0, 0, body.length, mtime > MAX_OCTAL_11 ? 0 : mtime, '', 0, 0), body, padding(body.length), header])
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK)
}

/** The archive's bytes: each entry's headers and body, then the end-of-archive blocks. */
export async function* writeTar(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield tarHeader(e)
    if (e.type !== 'file' || e.body === undefined) continue
    let written = 0
    if (Buffer.isBuffer(e.body)) {
      written = e.body.length
      if (written) yield e.body
    } else {
      for await (const chunk of e.body) {
        written += chunk.length
        yield chunk
      }
    }
    const size = e.size ?? written
    if (written !== size) throw new Error(`tar writer: '${e.name}' gave ${written} bytes, its header says ${size}`)
    if (size % BLOCK) yield padding(size)
  }
  yield END
}

export interface PackOptions {
  /** Every entry's mtime (seconds), for reproducible output; default each file's own. */
  mtime?: number
  /** Record xattrs (loads koffi, ~90 ms); default true. */
  xattrs?: boolean
  /** Prefix for names in the archive, e.g. './'; default none. */
  prefix?: string
  /**
   * The path itself is the first entry, under this name, and what a directory holds
   * follows as `self/…` (`cp`); the path may then be any file. Default: the contents only.
   */
  self?: string
  /** Relative paths of mount points (`export` of a running container): a directory is written empty, anything else left out. */
  prune?: ReadonlySet<string>
  /**
   * The dir is an overlay upper directory (`commit`): its whiteouts (0/0 character devices)
   * become `.wh.NAME` entries, an opaque directory gets `.wh..wh..opq`, overlay.* xattrs are dropped.
   */
  overlayWhiteouts?: boolean
  /** The owners as the archive names them (`commit` of a container whose ids the store shifts). */
  mapOwner?: (uid: number, gid: number) => [uid: number, gid: number]
}

/** The tar of a directory tree, sorted by name; the directory itself is not an entry. */
export async function* packDirectory(dir: string, opts: PackOptions = {}): AsyncGenerator<Buffer> {
  const libc = opts.xattrs === false ? undefined : await import('../sys/libc.js')
  const seen = new Map<string, string>() // dev:ino of multiply-linked files -> first name
  const prefix = opts.self !== undefined ? `${opts.self}/` : opts.prefix ?? ''

  const readXattrs = (p: string): Record<string, Buffer> | undefined => {
    if (!libc) return undefined
    let names: string[]
    try {
      names = libc.llistxattr(p)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTSUP') return undefined
      throw err
    }
    if (opts.overlayWhiteouts) names = names.filter(n => !/^(trusted|user)\.overlay\./.test(n))
    if (names.length === 0) return undefined
    const out: Record<string, Buffer> = {}
    for (const n of names) {
      const v = libc.lgetxattr(p, n)
      if (v !== undefined) out[n] = Buffer.from(v)
    }
    return out
  }

  function entry(rel: string, st: BigIntStats): TarWriteEntry | undefined {
    const abs = path.join(dir, rel)
    const base: TarWriteEntry = {
      name: prefix + rel,
      type: 'file',
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtime: opts.mtime ?? Number(st.mtimeMs / 1000n),
    }
    if (opts.mapOwner) [base.uid, base.gid] = opts.mapOwner(base.uid!, base.gid!)
    const xattrs = readXattrs(abs)
    if (xattrs) base.xattrs = xattrs
    if (st.isDirectory()) return { ...base, type: 'dir' }
    if (st.isSymbolicLink()) return { ...base, type: 'symlink', linkname: readlinkSync(abs) }
    if (st.isFIFO()) return { ...base, type: 'fifo' }
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const r = st.rdev
      return {
        ...base,
        type: st.isCharacterDevice() ? 'char' : 'block',
        devmajor: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)),
        devminor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)),
      }
    }
    if (!st.isFile()) return undefined // sockets: tar has no type for them
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`
      const first = seen.get(key)
      if (first !== undefined) return { ...base, type: 'hardlink', linkname: first }
      seen.set(key, prefix + rel)
    }
    return { ...base, size: Number(st.size), body: readChunks(abs, Number(st.size)) }
  }

  const marker = (rel: string, st: BigIntStats): TarWriteEntry =>
    ({ name: prefix + rel, type: 'file', mode: 0, uid: 0, gid: 0, mtime: opts.mtime ?? Number(st.mtimeMs / 1000n), size: 0, body: Buffer.alloc(0) })
  const isOpaque = (p: string): boolean => ['trusted', 'user'].some(ns => {
    try {
      return libc?.lgetxattr(p, `${ns}.overlay.opaque`)?.toString() === 'y'
    } catch {
      return false
    }
  })

  function* walk(rel: string): Generator<TarWriteEntry> {
    const names = readdirSync(path.join(dir, rel)).sort()
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name
      const st = lstatSync(path.join(dir, r), { bigint: true })
      const pruned = opts.prune?.has(r)
      if (pruned && !st.isDirectory()) continue
      if (opts.overlayWhiteouts && st.isCharacterDevice() && st.rdev === 0n) {
        yield marker(rel ? `${rel}/.wh.${name}` : `.wh.${name}`, st)
        continue
      }
      const e = entry(r, st)
      if (e) yield e
      if (opts.overlayWhiteouts && st.isDirectory() && isOpaque(path.join(dir, r))) yield marker(`${r}/.wh..wh..opq`, st)
      if (st.isDirectory() && !pruned) yield* walk(r)
    }
  }

  function* all(): Generator<TarWriteEntry> {
    if (opts.self === undefined) return yield* walk('')
    const st = lstatSync(dir, { bigint: true })
    const e = entry('', st)
    if (e) yield { ...e, name: opts.self }
    if (st.isDirectory()) yield* walk('')
  }

  yield* writeTar(all())
}

const READ_CHUNK = 1 << 20

/** A file's bytes in chunks, read synchronously: exactly `size` of them or an error. */
async function* readChunks(file: string, size: number): AsyncGenerator<Buffer> {
  const fd = openSync(file, 'r')
  try {
    let left = size
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, READ_CHUNK))
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) throw new Error(`tar writer: '${file}' shrank while being read`)
      left -= n
      yield n === buf.length ? buf : buf.subarray(0, n)
    }
  } finally {
    closeSync(fd)
  }
}
