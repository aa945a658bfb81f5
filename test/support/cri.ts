// A Kubernetes CRI client small enough for the tests: unary gRPC calls (HTTP/2 with node:http2
// over containerd's unix socket) carrying protobuf messages encoded and decoded by hand. The
// field numbers are those of k8s.io/cri-api pkg/apis/runtime/v1/api.proto; a message is given
// as [field number, value] pairs, so only the fields a test sets are written.
import http2 from 'node:http2'
import net from 'node:net'

/** A field: a string, a number (varint), a boolean, a nested message, or repeated ones. */
export type Field = [number, string | number | boolean | Message | Message[] | string[]]
export type Message = Field[]

function varint(n: number): Buffer {
  const out: number[] = []
  let v = BigInt(n)
  if (v < 0n) v += 1n << 64n
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v) byte |= 0x80
    out.push(byte)
  } while (v)
  return Buffer.from(out)
}

export function encode(message: Message): Buffer {
  const parts: Buffer[] = []
  const bytes = (field: number, b: Buffer) => parts.push(varint((field << 3) | 2), varint(b.length), b)
  for (const [field, value] of message) {
    const values = Array.isArray(value) && (value.length === 0 || typeof value[0] === 'string' || Array.isArray(value[0]?.[0])) ? value : [value]
    for (const v of values as (string | number | boolean | Message)[]) {
      if (typeof v === 'string') bytes(field, Buffer.from(v))
      else if (typeof v === 'number' || typeof v === 'boolean') parts.push(varint(field << 3), varint(Number(v)))
      else bytes(field, encode(v))
    }
  }
  return Buffer.concat(parts)
}

/** A map<string, string> field's entries. */
export const map = (entries: Record<string, string>): Message[] => Object.entries(entries).map(([k, v]) => [[1, k], [2, v]])

/** A decoded message: each field number with its values in order (varints as numbers, the rest as bytes). */
export class Decoded {
  constructor(readonly fields: Map<number, (number | Buffer)[]>) {}
  static from(buf: Buffer): Decoded {
    const fields = new Map<number, (number | Buffer)[]>()
    let i = 0
    const readVarint = () => {
      let n = 0n
      for (let shift = 0n; ; shift += 7n) {
        const b = buf[i++]!
        n |= BigInt(b & 0x7f) << shift
        if (!(b & 0x80)) return Number(BigInt.asIntN(64, n))
      }
    }
    while (i < buf.length) {
      const key = readVarint()
      const field = key >> 3
      let value: number | Buffer
      switch (key & 7) {
        case 0: value = readVarint(); break
        case 1: value = buf.subarray(i, i + 8); i += 8; break
        case 2: { const len = readVarint(); value = buf.subarray(i, i + len); i += len; break }
        case 5: value = buf.subarray(i, i + 4); i += 4; break
        default: throw new Error(`protobuf: wire type ${key & 7} of field ${field}`)
      }
      fields.set(field, [...(fields.get(field) ?? []), value])
    }
    return new Decoded(fields)
  }
  string(field: number): string {
    const v = this.fields.get(field)?.[0]
    return Buffer.isBuffer(v) ? v.toString() : ''
  }
  number(field: number): number {
    const v = this.fields.get(field)?.[0]
    return typeof v === 'number' ? v : 0
  }
  message(field: number): Decoded {
    const v = this.fields.get(field)?.[0]
    return Decoded.from(Buffer.isBuffer(v) ? v : Buffer.alloc(0))
  }
}

export class CriError extends Error {
  constructor(readonly method: string, readonly status: number, message: string) {
    super(`${method}: grpc status ${status}: ${message}`)
  }
}

/** Unary calls to containerd's CRI services on `socket`. */
export class CriClient {
  private readonly session: http2.ClientHttp2Session

  constructor(socket: string) {
    this.session = http2.connect('http://localhost', { createConnection: () => net.connect(socket) })
    this.session.on('error', () => {})
  }

  close(): void {
    this.session.close()
  }

  /** `service`: RuntimeService or ImageService; `method`: e.g. RunPodSandbox. */
  call(service: string, method: string, request: Message, timeoutMs = 120_000): Promise<Decoded> {
    const path = `/runtime.v1.${service}/${method}`
    const body = encode(request)
    const frame = Buffer.alloc(5 + body.length)
    frame.writeUInt32BE(body.length, 1)
    body.copy(frame, 5)
    return new Promise((resolve, reject) => {
      const stream = this.session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' })
      const chunks: Buffer[] = []
      let headers: http2.IncomingHttpHeaders = {}
      const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), timeoutMs)
      stream.on('response', h => (headers = h))
      stream.on('data', (b: Buffer) => chunks.push(b))
      stream.on('trailers', t => (headers = { ...headers, ...t }))
      stream.on('error', err => { clearTimeout(timer); reject(err) })
      stream.on('close', () => {
        clearTimeout(timer)
        const status = Number(headers['grpc-status'] ?? -1)
        if (status !== 0) {
          reject(new CriError(method, status, decodeURIComponent(String(headers['grpc-message'] ?? 'no status (timed out?)'))))
          return
        }
        const data = Buffer.concat(chunks)
        resolve(Decoded.from(data.length >= 5 ? data.subarray(5, 5 + data.readUInt32BE(1)) : Buffer.alloc(0)))
      })
      stream.end(frame)
    })
  }
}
