import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compressedBlobs, recordCompressed } from '../../../lib/storage/blob-info.js'
import { storePaths } from '../../../lib/storage/paths.js'

const root = mkdtempSync(path.join(os.tmpdir(), 'cocker-blob-info-'))
test.after(() => rmSync(root, { recursive: true, force: true }))

const dig = (c: string) => `sha256:${c.repeat(64)}`

test('what was compressed is found again by its uncompressed digest, with the repositories that have it, most recent first', () => {
  const paths = storePaths(path.join(root, 'a'))
  assert.equal(compressedBlobs(paths, dig('1'), 'gzip'), [], 'an empty store knows nothing')
  recordCompressed(paths, [{ uncompressed: dig('1'), blob: { digest: dig('a'), size: 10, compression: 'gzip' }, location: 'r:5000/one' }])
  recordCompressed(paths, [
    { uncompressed: dig('1'), blob: { digest: dig('a'), size: 10, compression: 'gzip' }, location: 'r:5000/two' },
    { uncompressed: dig('2'), blob: { digest: dig('b'), size: 20, compression: 'gzip' }, location: 'r:5000/two' },
  ])
  assert.equal(compressedBlobs(paths, dig('1'), 'gzip'), [{ digest: dig('a'), size: 10, compression: 'gzip', locations: ['r:5000/two', 'r:5000/one'] }])
  assert.equal(compressedBlobs(paths, dig('2'), 'gzip').map(b => b.digest), [dig('b')])
  // another blob of the same layer (another compressor) comes first from now on
  recordCompressed(paths, [{ uncompressed: dig('1'), blob: { digest: dig('c'), size: 11, compression: 'gzip' }, location: 'q/x' }])
  assert.equal(compressedBlobs(paths, dig('1'), 'gzip').map(b => b.digest), [dig('c'), dig('a')])
  assert.equal(readdirSync(paths.tmp), [], 'written by rename: no temp file left')
  const file = path.join(paths.root, 'blob-info.json')
  const before = statSync(file).ino
  recordCompressed(paths, [{ uncompressed: dig('1'), blob: { digest: dig('c'), size: 11, compression: 'gzip' }, location: 'q/x' }])
  assert.is(statSync(file).ino, before, 'what is known already is not written again (a write renames a new file in)')
})

test('a damaged file is a cache that starts again, not an error', () => {
  const paths = storePaths(path.join(root, 'b'))
  recordCompressed(paths, [{ uncompressed: dig('1'), blob: { digest: dig('a'), size: 10, compression: 'gzip' }, location: 'r/x' }])
  const file = path.join(paths.root, 'blob-info.json')
  writeFileSync(file, '{"version":1,"lay')
  assert.equal(compressedBlobs(paths, dig('1'), 'gzip'), [])
  recordCompressed(paths, [{ uncompressed: dig('2'), blob: { digest: dig('b'), size: 20, compression: 'gzip' }, location: 'r/x' }])
  assert.equal(Object.keys(JSON.parse(readFileSync(file, 'utf8')).layers), [dig('2')])
})

test.run()
