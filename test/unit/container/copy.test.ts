// cp's pure rules: which side is a container's, and where an archive lands (docker's placement).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { copyNameMap, copyPlaces, parseCopyPath, placeCopy, type Destination } from '../../../lib/container/copy.js'
import type { TarEntry } from '../../../lib/image/tar.js'

const dir = (p: string): Destination => ({ path: p, kind: 'dir', parentIsDir: true })
const file = (p: string): Destination => ({ path: p, kind: 'file', parentIsDir: true })
const missing = (p: string, parentIsDir = true): Destination => ({ path: p, kind: 'missing', parentIsDir })
const entry = (name: string, type: TarEntry['type'] = 'file') => ({ name, type }) as TarEntry

test('a colon before any slash names a container', () => {
  assert.equal(parseCopyPath('web:/etc'), { container: 'web', path: '/etc' })
  assert.equal(parseCopyPath('web:'), { container: 'web', path: '/' })
  assert.equal(parseCopyPath('./a:b'), { path: './a:b' })
  assert.equal(parseCopyPath('/a:b'), { path: '/a:b' })
  assert.equal(parseCopyPath('-'), { path: '-' })
})

test('into an existing directory: under its own name, or its contents with /.', () => {
  assert.equal(placeCopy(dir('/srv'), { top: 'etc', isDir: true }), { dir: '/srv', name: 'etc' })
  assert.equal(placeCopy(dir('/srv/'), { top: '.', isDir: true }), { dir: '/srv', name: '' })
  assert.equal(placeCopy(dir('/srv'), { top: 'f', isDir: false }), { dir: '/srv', name: 'f' })
})

test('to a missing path: the copy takes its name; its parent must exist; DEST/ is for directories', () => {
  assert.equal(placeCopy(missing('/srv/new'), { top: 'etc', isDir: true }), { dir: '/srv', name: 'new' })
  assert.equal(placeCopy(missing('/srv/new'), { top: 'f', isDir: false }), { dir: '/srv', name: 'new' })
  assert.throws(() => placeCopy(missing('/no/such', false), { top: 'f', isDir: false }), /must exist/)
  assert.throws(() => placeCopy(missing('/srv/new/'), { top: 'f', isDir: false }), /does not exist/)
})

test('onto a file: a file replaces it, a directory cannot; a tar stream needs a directory', () => {
  assert.equal(placeCopy(file('/etc/motd'), { top: 'f', isDir: false }), { dir: '/etc', name: 'motd' })
  assert.throws(() => placeCopy(file('/etc/motd'), { top: 'd', isDir: true }), /cannot copy a directory onto the file/)
  assert.throws(() => placeCopy(file('/etc/motd'), 'archive'), /must be an existing directory/)
  assert.equal(placeCopy(dir('/srv'), 'archive'), { dir: '/srv', name: '' })
})

test("the archive's names are renamed below the placement; what is not under the source is dropped", () => {
  const renamed = copyNameMap(missing('/srv/new'), false)
  assert.is(renamed.dir, '/srv')
  assert.equal(['d/', 'd/f', 'd/sub/g', 'other'].map((n, i) => renamed.map(entry(n, i === 0 ? 'dir' : 'file'))), ['new', 'new/f', 'new/sub/g', undefined])
  const contents = copyNameMap(dir('/srv'), false)
  assert.equal(['.', './f', './sub/'].map((n, i) => contents.map(entry(n, i === 1 ? 'file' : 'dir'))), [undefined, 'f', 'sub'])
})

test('copyPlaces: placeCopy of every case cocker-helper copy-in tells apart, as NAME then DIR, "!" where refused', () => {
  // dir, file, missing, missing without a parent; each for a file, then a directory, at the top
  assert.equal(copyPlaces('/tmp/in', 'tree'), ['tree/tmp/in', 'tree/tmp/in', 'in/tmp', '!', 'in/tmp', 'in/tmp', '!', '!'])
  assert.equal(copyPlaces('/tmp/in/', '.'), ['/tmp/in', '/tmp/in', '!', '!', '!', 'in/tmp', '!', '!'])
  // the host's side: dirs made relative to the root the helper gets, others refused
  assert.equal(copyPlaces('out', 'data', d => (d === '.' ? '/' : undefined)), ['!', '!', 'out/', '!', 'out/', 'out/', '!', '!'])
})

test.run()
