import { spawnSync } from 'node:child_process'
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { decompress, detectCompression } from '../../../lib/image/decompress.js'
import { skipUnless, which } from '../../support/requires.js'

const work = mkdtempSync(path.join(os.tmpdir(), 'cocker-decompress-'))
const hasTools = which('zstd') !== undefined && which('gzip') !== undefined

// Compressible but not trivial: zstd and gzip both work for their output.
const plain = Buffer.concat(Array.from({ length: 40_000 }, (_, i) => Buffer.from(`line ${i} ${(i * 2654435761) % 1000003}\n`)))
writeFileSync(path.join(work, 'plain'), plain)

function cli(argv: string[], out: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 })
  assert.is(r.status, 0, r.stderr?.toString())
  writeFileSync(path.join(work, out), r.stdout)
  return path.join(work, out)
}

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const b of r) parts.push(b as Buffer)
  return Buffer.concat(parts)
}

async function rejectsCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  try {
    await p
  } catch (err) {
    assert.instance(err, CockerError, String(err))
    assert.is((err as CockerError).code, code)
    if (message) assert.match((err as CockerError).message, message)
    return
  }
  assert.unreachable(`expected a CockerError ${code}`)
}

test('magic bytes', () => {
  assert.is(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip')
  assert.is(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd')
  assert.is(detectCompression(Buffer.from('ustar')), 'none')
  assert.is(detectCompression(Buffer.alloc(0)), 'none')
})

test('plain input passes through, even when tiny', async () => {
  assert.ok((await collect(decompress(createReadStream(path.join(work, 'plain'))))).equals(plain))
  assert.equal(await collect(decompress(Readable.from([Buffer.from('ab')]))), Buffer.from('ab'))
  assert.equal(await collect(decompress(Readable.from([]))), Buffer.alloc(0))
})

test('gzip from the gzip CLI, fed in 1-byte and large chunks', async () => {
  if (skipUnless(hasTools, 'gzip oracle', 'gzip or zstd CLI missing')) return
  const gz = cli(['gzip', '-c', path.join(work, 'plain')], 'plain.gz')
  assert.ok((await collect(decompress(createReadStream(gz)))).equals(plain))
  const bytes = readFileSync(gz)
  const tiny = Readable.from((function* () { for (let i = 0; i < 2000; i++) yield bytes.subarray(i, i + 1); yield bytes.subarray(2000) })())
  assert.ok((await collect(decompress(tiny))).equals(plain))
})

test('zstd from the zstd CLI, single and multi-frame', async () => {
  if (skipUnless(hasTools, 'zstd oracle', 'gzip or zstd CLI missing')) return
  const one = cli(['zstd', '-q', '-c', path.join(work, 'plain')], 'plain.zst')
  assert.ok((await collect(decompress(createReadStream(one)))).equals(plain))
  // Two frames, concatenated: what a multi-threaded or appending writer produces.
  const half = plain.length >> 1
  writeFileSync(path.join(work, 'a'), plain.subarray(0, half))
  writeFileSync(path.join(work, 'b'), plain.subarray(half))
  const fa = readFileSync(cli(['zstd', '-q', '-19', '-c', path.join(work, 'a')], 'a.zst'))
  const fb = readFileSync(cli(['zstd', '-q', '-c', path.join(work, 'b')], 'b.zst'))
  const multi = Buffer.concat([fa, fb])
  assert.ok((await collect(decompress(Readable.from([multi])))).equals(plain))
  // and byte-at-a-time across the frame boundary
  const pieces = Array.from({ length: multi.length }, (_, i) => multi.subarray(i, i + 1))
  assert.ok((await collect(decompress(Readable.from(pieces)))).equals(plain))
})

test('corrupt and truncated zstd are ARCHIVE_INVALID', async () => {
  if (skipUnless(hasTools, 'zstd corruption', 'gzip or zstd CLI missing')) return
  const zst = readFileSync(cli(['zstd', '-q', '--no-check', '-c', path.join(work, 'plain')], 'c.zst'))
  const corrupt = Buffer.from(zst)
  for (let i = 20; i < 60; i++) corrupt[i] ^= 0x5a
  await rejectsCode(collect(decompress(Readable.from([corrupt]))), 'ARCHIVE_INVALID', /zstd data is corrupt/)
  await rejectsCode(collect(decompress(Readable.from([zst.subarray(0, zst.length - 10)]))), 'ARCHIVE_INVALID', /zstd data is truncated/)
})

test('corrupt and truncated gzip are ARCHIVE_INVALID', async () => {
  if (skipUnless(hasTools, 'gzip corruption', 'gzip or zstd CLI missing')) return
  const gz = readFileSync(path.join(work, 'plain.gz'))
  const corrupt = Buffer.from(gz)
  for (let i = 30; i < 90; i++) corrupt[i] ^= 0x5a
  await rejectsCode(collect(decompress(Readable.from([corrupt]))), 'ARCHIVE_INVALID', /gzip data is corrupt/)
  await rejectsCode(collect(decompress(Readable.from([gz.subarray(0, gz.length - 100)]))), 'ARCHIVE_INVALID', /gzip data is corrupt/)
})

test('an error of the source surfaces on the output', async () => {
  async function* failing(): AsyncGenerator<Buffer> {
    yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])
    throw new Error('connection reset')
  }
  try {
    await collect(decompress(failing()))
    assert.unreachable('should fail')
  } catch (err) {
    assert.match((err as Error).message, /connection reset/)
  }
})

test('throughput', async () => {
  if (skipUnless(hasTools, 'decompress throughput', 'gzip or zstd CLI missing')) return
  const big = path.join(work, 'big')
  writeFileSync(big, Buffer.concat(Array.from({ length: 40 }, () => plain)))
  const size = readFileSync(big).length
  for (const [name, argv] of [['gzip', ['gzip', '-1', '-c', big]], ['zstd', ['zstd', '-q', '-c', big]]] as const) {
    const f = cli([...argv], `big.${name}`)
    const t = process.hrtime.bigint()
    const n = (await collect(decompress(createReadStream(f, { highWaterMark: 1 << 20 })))).length
    const ms = Number(process.hrtime.bigint() - t) / 1e6
    assert.is(n, size)
    console.log(`# ${name}: ${(size / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms (${(size / 1e3 / ms).toFixed(0)} MB/s)`)
  }
})

test.after(() => rmSync(work, { recursive: true, force: true }))

test.run()
