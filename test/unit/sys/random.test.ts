import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes, randomInt } from '../../../lib/sys/random.js'

test('randomBytes gives as many bytes as asked, different each time', () => {
  const a = randomBytes(32)
  assert.is(a.length, 32)
  assert.is.not(a.toString('hex'), randomBytes(32).toString('hex'))
})

test('randomInt stays below its bound and reaches each value', () => {
  const seen = new Set<number>()
  for (let i = 0; i < 400; i++) {
    const n = randomInt(5)
    assert.ok(Number.isInteger(n) && n >= 0 && n < 5, String(n))
    seen.add(n)
  }
  assert.is(seen.size, 5)
})

test.run()
