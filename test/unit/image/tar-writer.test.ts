import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readTar } from '../../../lib/image/tar.js'
import { packDirectory, writeTar, type TarWriteEntry } from '../../../lib/image/tar-writer.js'
import { lsetxattr, mknod } from '../../../lib/sys/libc.js'
import { runAsRoot, testAsRoot } from '../../support/namespace-root.js'
import { isRoot, skipUnless, which } from '../../support/requires.js'

// packDirectory records the owners of the tree it packs, made here: as another user this
// file runs as root of a user namespace it makes, so they are 0:0 as for root.
runAsRoot()

const work = mkdtempSync(path.join(os.tmpdir(), 'cocker-tarw-'))
const hasTar = which('tar') !== undefined

async function bytes(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const b of gen) parts.push(Buffer.from(b))
  return Buffer.concat(parts)
}

async function* from(...chunks: string[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield Buffer.from(c)
}

const longName = 'very/'.repeat(40) + 'long-file-name'
const ENTRIES = (): TarWriteEntry[] => [
  { name: 'etc', type: 'dir', mtime: 100 },
  { name: 'etc/passwd', type: 'file', body: Buffer.from('root:x:0:0\n'), mode: 0o4755, uid: 1000, gid: 1001, mtime: 200 },
  { name: 'etc/streamed', type: 'file', body: from('a', 'bc'), size: 3 },
  { name: longName, type: 'file', body: Buffer.from('long') },
  { name: 'dir/' + 'x'.repeat(90) + '/' + 'y'.repeat(90), type: 'file', body: Buffer.alloc(0) },
  { name: 'étoile', type: 'symlink', linkname: 'l/'.repeat(70) + 'target' },
  { name: 'hard', type: 'hardlink', linkname: 'etc/passwd' },
  { name: 'big-ids', type: 'file', uid: 3_000_000, gid: 4_000_000_000, xattrs: { 'user.b': Buffer.from('2'), 'security.capability': Buffer.from([1, 0, 0, 2]) } },
  { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 },
  { name: 'fifo', type: 'fifo' },
]

test('our reader reads back every field', async () => {
  const tar = await bytes(writeTar(ENTRIES()))
  assert.is(tar.length % 512, 0)
  const got: Record<string, unknown>[] = []
  for await (const e of readTar(Readable.from([tar]))) {
    const parts: Buffer[] = []
    for await (const b of e.body()) parts.push(b)
    const { body: _, ...rest } = e
    got.push({ ...rest, data: Buffer.concat(parts).toString() })
  }
  assert.equal(got.map(e => e.name), ['etc/', 'etc/passwd', 'etc/streamed', longName, 'dir/' + 'x'.repeat(90) + '/' + 'y'.repeat(90), 'étoile', 'hard', 'big-ids', 'dev/null', 'dev/sda', 'fifo'])
  assert.equal([got[1]!.mode, got[1]!.uid, got[1]!.gid, got[1]!.mtime, got[1]!.data], [0o4755, 1000, 1001, 200, 'root:x:0:0\n'])
  assert.is(got[2]!.data, 'abc')
  assert.is(got[3]!.data, 'long')
  assert.is(got[5]!.linkname, 'l/'.repeat(70) + 'target')
  assert.equal([got[7]!.uid, got[7]!.gid], [3_000_000, 4_000_000_000])
  assert.equal(Object.keys(got[7]!.xattrs as object), ['security.capability', 'user.b'])
  assert.equal([got[8]!.type, got[8]!.devmajor, got[8]!.devminor, got[9]!.type], ['char', 1, 3, 'block'])
})

test('GNU tar lists it', async () => {
  if (skipUnless(hasTar, 'GNU tar oracle', 'tar not installed')) return
  const file = path.join(work, 'w.tar')
  writeFileSync(file, await bytes(writeTar(ENTRIES())))
  // GNU tar prints a name it cannot show in the locale's charset as octal escapes
  const r = spawnSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } })
  assert.is(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.is(lines.length, 11)
  assert.match(lines[1]!, /^-rwsr-xr-x 1000\/1001\s+11 1970-01-01 00:03 etc\/passwd$/)
  assert.match(lines[3]!, new RegExp(`${longName}$`))
  assert.match(lines[5]!, /étoile -> (l\/){70}target$/)
  assert.match(lines[6]!, /hard link to etc\/passwd$/)
  assert.match(lines[7]!, /3000000\/4000000000 .* big-ids$/)
  assert.match(lines[8]!, /^crw-rw-rw- 0\/0\s+1,3 .* dev\/null$/)
  // only root of the host may make the devices, owners beyond 65536 and file capabilities
  const rootOnly = isRoot() ? [] : ['--no-same-owner', '--exclude=dev', '--xattrs-exclude=security.capability']
  const x = spawnSync('tar', ['--xattrs', '--xattrs-include=*', ...rootOnly, '-xf', file, '-C', mkdtempSync(path.join(work, 'x-'))], { encoding: 'utf8' })
  assert.is(x.status, 0, x.stderr)
})

test('a stream giving the wrong number of bytes is an error', async () => {
  try {
    await bytes(writeTar([{ name: 'f', type: 'file', body: from('abc'), size: 5 }]))
    assert.unreachable()
  } catch (err) {
    assert.match((err as Error).message, /'f' gave 3 bytes, its header says 5/)
  }
})

function makeTree(root: string): void {
  mkdirSync(path.join(root, 'b/c'), { recursive: true })
  mkdirSync(path.join(root, 'a'))
  writeFileSync(path.join(root, 'b/c/file'), 'content')
  writeFileSync(path.join(root, 'big'), Buffer.alloc(3_000_000, 9))
  linkSync(path.join(root, 'b/c/file'), path.join(root, 'a/hardlink'))
  symlinkSync('../b/c/file', path.join(root, 'a/sym'))
  if (isRoot()) {
    mknod(path.join(root, 'null'), 0o20666, 1, 3)
    mknod(path.join(root, 'fifo'), 0o10644)
    lsetxattr(path.join(root, 'b/c/file'), 'user.k', Buffer.from('v'))
  }
}

testAsRoot('packDirectory: sorted, hardlinks by inode, deterministic, and GNU tar extracts the same tree', async () => {
  if (skipUnless(hasTar, 'packDirectory oracle', 'tar not installed')) return
  const src = path.join(work, 'src')
  makeTree(src)
  const one = await bytes(packDirectory(src, { mtime: 1_000_000 }))
  utimesSync(path.join(src, 'big'), 5, 5)
  const two = await bytes(packDirectory(src, { mtime: 1_000_000 }))
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  assert.is(digest(one), digest(two), 'equal trees, equal digests')

  const names: string[] = []
  for await (const e of readTar(Readable.from([one]))) names.push(`${e.type} ${e.name}${e.linkname ? ` ${e.linkname}` : ''}`)
  const expected = ['dir a/', 'file a/hardlink', 'symlink a/sym ../b/c/file', 'dir b/', 'dir b/c/', 'hardlink b/c/file a/hardlink', 'file big']
  if (isRoot()) expected.splice(expected.length - 1, 1, 'file big', 'fifo fifo', 'char null')
  assert.equal(names, expected)

  const file = path.join(work, 'p.tar')
  writeFileSync(file, one)
  const out = mkdtempSync(path.join(work, 'out-'))
  const x = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-xpf', file, '-C', out], { encoding: 'utf8' })
  assert.is(x.status, 0, x.stderr)
  const listing = (d: string, times: boolean) =>
    spawnSync('find', [d, '-mindepth', '1', '-printf', times ? '%P %M %U:%G %s %n %l %T@\n' : '%P %M %U:%G %s %n %l\n'], { encoding: 'utf8' }).stdout.split('\n').sort().join('\n')
  assert.is(listing(out, false), listing(src, false))
  assert.match(listing(out, true), /big -rw-r--r-- 0:0 3000000 1  1000000\.0+/)
  if (isRoot()) {
    const getf = spawnSync('getfattr', ['-n', 'user.k', '--only-values', path.join(out, 'b/c/file')], { encoding: 'utf8' })
    if (getf.status === 0) assert.is(getf.stdout, 'v')
  }
})

test.after(() => rmSync(work, { recursive: true, force: true }))

test.run()
