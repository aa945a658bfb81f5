import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { gunzipSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { looksIncompressible, ParallelGzip, type ParallelGzipOptions } from '../../../lib/image/gzip-parallel.js'

const gzip = (chunks: Buffer[], o?: ParallelGzipOptions) => buffer(Readable.from(chunks).pipe(new ParallelGzip(o)))

test('whatever the blocks and chunks, gunzip gives back the input (and gzip -t would agree: CRC and length checked)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }),
    fc.integer({ min: 1, max: 2000 }),
    fc.integer({ min: 1, max: 4 }),
    async (chunks, blockSize, parallel) => {
      const input = chunks.map(c => Buffer.from(c))
      const out = await gzip(input, { blockSize, parallel })
      assert.ok(gunzipSync(out).equals(Buffer.concat(input)))
    }), { numRuns: 200 })
})

test('as small as one stream: each block refers back into the one before', async () => {
  const line = Buffer.from('a line of a large text file, repeated\n')
  const text = Buffer.concat([...Array(100_000)].map((_, i) => (i % 7 ? line : Buffer.from(`${i}\n`))))
  const input = Buffer.concat([randomBytes(3 << 20), text])
  const out = await gzip([input])
  assert.ok(gunzipSync(out).equals(input))
  const one = gzipSync(input).length
  assert.ok(out.length < one * 1.01, `${out.length} bytes against ${one} of one zlib stream`)
  // empty input: a valid, empty gzip file
  assert.is(gunzipSync(await gzip([])).length, 0)
})

test('random bytes are stored rather than deflated, text is deflated; both come back whole', async () => {
  const random = randomBytes(1 << 20)
  const text = Buffer.from('compressible text, line after line\n'.repeat(30_000))
  assert.ok(looksIncompressible(random))
  assert.not.ok(looksIncompressible(text))
  // random bytes with a compressible quarter: deflated, it is not worth storing
  assert.not.ok(looksIncompressible(Buffer.concat([random.subarray(0, 3 << 18), text.subarray(0, 1 << 18)])))
  const out = await gzip([random, text])
  assert.ok(gunzipSync(out).equals(Buffer.concat([random, text])))
  assert.ok(out.length < random.length + random.length / 100 + text.length / 10, `${out.length} bytes`)
})

test.run()
