/**
 * A tar writer for tests that shares no code with lib/, so a bug in lib/image/tar*.ts
 * cannot hide itself. It writes whatever it is told, hostile archives included: `..` and
 * absolute names, links pointing anywhere, devices, PAX records and GNU long names.
 */

export interface RawEntry {
  name: string
  /** Tar typeflag: '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, or anything. */
  flag?: string
  mode?: number
  uid?: number
  gid?: number
  mtime?: number
  linkname?: string
  body?: Buffer | string
  devmajor?: number
  devminor?: number
  /** PAX records written in an 'x' header before this entry (values written verbatim). */
  pax?: Record<string, string | Buffer>
  /** Write the name as a GNU 'L' record (and the linkname as 'K'); the ustar field keeps a truncated copy. */
  gnuLong?: boolean
  /** Override the size field (a lie, for corrupt archives). */
  size?: number
}

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, '0') + '\0'
}

function header(name: string, flag: string, e: RawEntry, size: number, magic: 'ustar' | 'gnu' = 'ustar'): Buffer {
  const h = Buffer.alloc(512)
  h.write(name.slice(0, 100), 0, 'utf8')
  h.write(octal(e.mode ?? (flag === '5' ? 0o755 : 0o644), 8), 100, 'latin1')
  h.write(octal(e.uid ?? 0, 8), 108, 'latin1')
  h.write(octal(e.gid ?? 0, 8), 116, 'latin1')
  h.write(octal(size, 12), 124, 'latin1')
  h.write(octal(e.mtime ?? 1_700_000_000, 12), 136, 'latin1')
  h.write(flag, 156, 'latin1')
  h.write((e.linkname ?? '').slice(0, 100), 157, 'utf8')
  if (magic === 'ustar') h.write('ustar\x0000', 257, 'latin1')
  else h.write('ustar  \0', 257, 'latin1')
  h.write(octal(e.devmajor ?? 0, 8), 329, 'latin1')
  h.write(octal(e.devminor ?? 0, 8), 337, 'latin1')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const c of h) sum += c
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  return h
}

function padded(body: Buffer): Buffer[] {
  const pad = (512 - (body.length % 512)) % 512
  return pad ? [body, Buffer.alloc(pad)] : [body]
}

function paxBody(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = []
  for (const [k, v] of Object.entries(records)) {
    const kv = Buffer.concat([Buffer.from(` ${k}=`), Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\n')])
    let len = kv.length + 1
    while (String(len).length + kv.length !== len) len = String(len).length + kv.length
    parts.push(Buffer.from(String(len)), kv)
  }
  return Buffer.concat(parts)
}

/** One entry's blocks (meta headers, header, padded body). */
export function entryBlocks(e: RawEntry): Buffer[] {
  const out: Buffer[] = []
  const flag = e.flag ?? '0'
  const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0))
  if (e.pax) {
    const p = paxBody(e.pax)
    out.push(header('PaxHeaders/' + e.name.slice(0, 80), 'x', { name: '' }, p.length), ...padded(p))
  }
  if (e.gnuLong) {
    const n = Buffer.from(e.name + '\0')
    out.push(header('././@LongLink', 'L', { name: '' }, n.length, 'gnu'), ...padded(n))
    if (e.linkname) {
      const l = Buffer.from(e.linkname + '\0')
      out.push(header('././@LongLink', 'K', { name: '' }, l.length, 'gnu'), ...padded(l))
    }
  }
  out.push(header(e.name, flag, e, e.size ?? body.length, e.gnuLong ? 'gnu' : 'ustar'))
  if (body.length) out.push(...padded(body))
  return out
}

/** A whole archive, with the two zero blocks at the end unless `end: false`. */
export function buildTar(entries: RawEntry[], opts: { end?: boolean } = {}): Buffer {
  const blocks = entries.flatMap(entryBlocks)
  if (opts.end !== false) blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

export const file = (name: string, body: string | Buffer = '', extra: Partial<RawEntry> = {}): RawEntry => ({ name, flag: '0', body, ...extra })
export const dir = (name: string, extra: Partial<RawEntry> = {}): RawEntry => ({ name, flag: '5', ...extra })
export const symlink = (name: string, linkname: string, extra: Partial<RawEntry> = {}): RawEntry => ({ name, flag: '2', linkname, mode: 0o777, ...extra })
export const hardlink = (name: string, linkname: string, extra: Partial<RawEntry> = {}): RawEntry => ({ name, flag: '1', linkname, ...extra })
export const fifo = (name: string, extra: Partial<RawEntry> = {}): RawEntry => ({ name, flag: '6', ...extra })
export const chardev = (name: string, major: number, minor: number, extra: Partial<RawEntry> = {}): RawEntry => ({ name, flag: '3', devmajor: major, devminor: minor, ...extra })
