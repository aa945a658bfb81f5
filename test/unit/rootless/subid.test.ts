import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { coversRange, parseSubid } from '../../../lib/rootless/subid.js'

const FILE = `# /etc/subuid
root:1000000:65536
alice:100000:65536
bob:165536:65536
1001:231072:65536
alice:300000:1000
`

test('parseSubid: ranges of a user named by name, in file order', () => {
  assert.equal(parseSubid(FILE, 'alice', 1000), [{ start: 100000, count: 65536 }, { start: 300000, count: 1000 }])
  assert.equal(parseSubid(FILE, 'root', 0), [{ start: 1000000, count: 65536 }])
})

test('parseSubid: a user named by numeric uid', () => {
  assert.equal(parseSubid(FILE, 'carol', 1001), [{ start: 231072, count: 65536 }])
})

test('parseSubid: both forms for the same user', () => {
  assert.equal(parseSubid('dave:100:10\n1002:200:20\n', 'dave', 1002), [{ start: 100, count: 10 }, { start: 200, count: 20 }])
})

test('parseSubid: no lines for the user', () => {
  assert.equal(parseSubid(FILE, 'mallory', 4242), [])
  assert.equal(parseSubid('', 'alice', 1000), [])
})

test('parseSubid: names match whole, not as prefixes', () => {
  assert.equal(parseSubid('alice2:1:2\nal:3:4\n10000:5:6\n', 'alice', 1000), [])
})

test('parseSubid: comments, blank lines, indentation and CRLF', () => {
  const text = '# alice:1:1\n\n   \n  alice:500:5  \r\n\t# alice:2:2\nalice:600:6\r\n'
  assert.equal(parseSubid(text, 'alice', 1000), [{ start: 500, count: 5 }, { start: 600, count: 6 }])
})

test('parseSubid: bad lines are skipped, good ones around them kept', () => {
  const text = [
    'alice',
    'alice:100',
    'alice:x:10',
    'alice:100:x',
    'alice:100:0',
    'alice:100:-5',
    'alice:100:2.5',
    'alice:1.5:10',
    'alice:100:',
    'alice:700:7',
  ].join('\n')
  assert.equal(parseSubid(text, 'alice', 1000), [{ start: 700, count: 7 }])
})

test('coversRange: the own id alone, without any ranges', () => {
  assert.ok(coversRange([], 1000, 1000, 1))
  assert.not.ok(coversRange([], 1000, 1001, 1))
  assert.not.ok(coversRange([], 1000, 999, 2))
})

test('coversRange: inside one range, at its edges, and past them', () => {
  const r = [{ start: 100000, count: 65536 }]
  assert.ok(coversRange(r, 1000, 100000, 65536))
  assert.ok(coversRange(r, 1000, 100000, 1))
  assert.ok(coversRange(r, 1000, 165535, 1))
  assert.ok(coversRange(r, 1000, 120000, 100))
  assert.not.ok(coversRange(r, 1000, 99999, 2))
  assert.not.ok(coversRange(r, 1000, 165535, 2))
  assert.not.ok(coversRange(r, 1000, 100000, 65537))
})

test('coversRange: across adjacent ranges, in any order', () => {
  const r = [{ start: 200, count: 100 }, { start: 100, count: 100 }]
  assert.ok(coversRange(r, 1000, 100, 200))
  assert.ok(coversRange(r, 1000, 150, 100))
})

test('coversRange: a gap between ranges is not covered', () => {
  const r = [{ start: 100, count: 100 }, { start: 201, count: 100 }]
  assert.not.ok(coversRange(r, 1000, 100, 201))
  assert.not.ok(coversRange(r, 1000, 150, 100))
  assert.ok(coversRange(r, 1000, 201, 100))
})

test('coversRange: the own id fills a gap', () => {
  const r = [{ start: 100, count: 100 }, { start: 201, count: 100 }]
  assert.ok(coversRange(r, 200, 100, 201))
  assert.ok(coversRange([{ start: 1001, count: 10 }], 1000, 1000, 11))
})

test('coversRange: overlapping ranges', () => {
  assert.ok(coversRange([{ start: 100, count: 50 }, { start: 120, count: 80 }], 0, 100, 100))
})

test('coversRange: an empty request is covered', () => {
  assert.ok(coversRange([], 1000, 5, 0))
})

test('fields that are not plain decimal numbers make the line invalid', () => {
  assert.equal(parseSubid('alice::65536\nalice:-5:10\nalice:1e5:10\nalice:0x10:5\nalice:7:\nalice:100:5\n', 'alice', 1000), [{ start: 100, count: 5 }])
})

test.run()
