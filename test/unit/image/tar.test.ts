import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { readTar, type TarEntry } from '../../../lib/image/tar.js'
import { skipUnless, which } from '../../support/requires.js'
import { buildTar, chardev, dir, fifo, file, hardlink, symlink } from '../../support/tar-builder.js'

type Plain = Omit<TarEntry, 'body'> & { data?: string }

/** Feeds `tar` in chunks of `chunk` bytes, so headers and bodies straddle chunk boundaries. */
async function* chunked(tar: Buffer, chunk: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < tar.length; i += chunk) yield tar.subarray(i, i + chunk)
}

async function list(tar: Buffer, chunk = 64 * 1024, readBodies = true): Promise<Plain[]> {
  const out: Plain[] = []
  for await (const e of readTar(chunked(tar, chunk))) {
    const { body, ...rest } = e
    const p: Plain = { ...rest }
    if (readBodies && e.type === 'file') {
      const parts: Buffer[] = []
      for await (const b of body()) parts.push(Buffer.from(b))
      p.data = Buffer.concat(parts).toString()
    }
    out.push(p)
  }
  return out
}

async function rejectsCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<CockerError> {
  try {
    await p
  } catch (err) {
    assert.instance(err, CockerError)
    assert.is((err as CockerError).code, code)
    if (message) assert.match((err as CockerError).message, message)
    return err as CockerError
  }
  assert.unreachable(`expected a CockerError ${code}`)
  throw new Error('unreachable')
}

test('every entry type with its fields, headers and bodies split across chunks', async () => {
  const tar = buildTar([
    dir('etc/', { mode: 0o755, uid: 1, gid: 2, mtime: 1234 }),
    file('etc/passwd', 'root:x:0:0\n', { mode: 0o4755, uid: 1000, gid: 1001 }),
    symlink('etc/link', '../usr/bin'),
    hardlink('etc/hard', 'etc/passwd'),
    chardev('dev/null', 1, 3),
    { name: 'dev/sda', flag: '4', devmajor: 8, devminor: 0 },
    fifo('run/fifo', { mode: 0o600 }),
  ])
  for (const chunk of [1, 100, 511, 513, 1 << 16]) {
    const es = await list(tar, chunk)
    assert.equal(es.map(e => [e.name, e.type]), [
      ['etc/', 'dir'],
      ['etc/passwd', 'file'],
      ['etc/link', 'symlink'],
      ['etc/hard', 'hardlink'],
      ['dev/null', 'char'],
      ['dev/sda', 'block'],
      ['run/fifo', 'fifo'],
    ])
    assert.equal([es[0]!.mode, es[0]!.uid, es[0]!.gid, es[0]!.mtime], [0o755, 1, 2, 1234])
    assert.equal([es[1]!.mode, es[1]!.uid, es[1]!.gid, es[1]!.size, es[1]!.data], [0o4755, 1000, 1001, 11, 'root:x:0:0\n'])
    assert.is(es[2]!.linkname, '../usr/bin')
    assert.is(es[3]!.linkname, 'etc/passwd')
    assert.equal([es[4]!.devmajor, es[4]!.devminor, es[5]!.devmajor], [1, 3, 8])
    assert.is(es[6]!.mode, 0o600)
  }
})

test('bodies not read are skipped', async () => {
  const big = Buffer.alloc(200_000, 'x')
  const tar = buildTar([file('a', big), file('b', 'second')])
  const es = await list(tar, 4096, false)
  assert.equal(es.map(e => e.name), ['a', 'b'])
  // read only the second
  const names: string[] = []
  for await (const e of readTar(chunked(tar, 777))) {
    if (e.name === 'b') for await (const c of e.body()) names.push(c.toString())
  }
  assert.equal(names, ['second'])
})

test('PAX records: long names, large ids, fractional mtime, binary xattrs, global headers', async () => {
  const long = 'd/'.repeat(120) + 'file'
  const cap = Buffer.from([1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  const tar = buildTar([
    { name: 'PaxGlobal', flag: 'g', body: '17 uid=123456789\n' },
    file('short-name', 'abc', {
      pax: { path: long, gid: '4000000000', mtime: '1700000000.25', 'SCHILY.xattr.security.capability': cap, 'SCHILY.xattr.user.é': 'v=1' },
    }),
    symlink('l', 'short', { pax: { linkpath: 'x/'.repeat(80) + 'target' } }),
    file('plain', 'p'),
  ])
  const es = await list(tar, 300)
  assert.is(es[0]!.name, long)
  assert.is(es[0]!.uid, 123456789)
  assert.is(es[0]!.gid, 4000000000)
  assert.is(es[0]!.mtime, 1700000000.25)
  assert.ok(es[0]!.xattrs['security.capability']!.equals(cap))
  assert.is(es[0]!.xattrs['user.é']!.toString(), 'v=1')
  assert.is(es[0]!.data, 'abc')
  assert.is(es[1]!.linkname, 'x/'.repeat(80) + 'target')
  assert.is(es[2]!.name, 'plain')
  assert.is(es[2]!.uid, 123456789, 'global records apply to every later entry')
  assert.equal(es[2]!.xattrs, {}, 'x records apply to one entry only')
})

test('GNU long names and long link names', async () => {
  const long = 'g/'.repeat(100) + 'name'
  const target = 't/'.repeat(90) + 'target'
  const es = await list(buildTar([symlink(long, target, { gnuLong: true }), file('after', 'z')]))
  assert.equal(es.map(e => [e.name, e.linkname]), [
    [long, target],
    ['after', ''],
  ])
})

test('archives written by GNU tar in gnu, ustar and posix formats read back the same', async () => {
  if (skipUnless(which('tar') !== undefined, 'GNU tar oracle', 'tar not installed')) return
  const work = mkdtempSync(path.join(os.tmpdir(), 'cocker-tar-'))
  try {
    const src = path.join(work, 'src')
    const deep = path.join(src, 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(30))
    mkdirSync(deep, { recursive: true })
    writeFileSync(path.join(deep, 'f'.repeat(90)), 'deep')
    writeFileSync(path.join(src, 'big'), Buffer.alloc(3_000_001, 7))
    for (const format of ['gnu', 'ustar', 'posix']) {
      const out = path.join(work, `${format}.tar`)
      const r = spawnSync('tar', ['-C', src, `--format=${format}`, '--owner=:3000000', '--group=:7', '--sort=name', '-cf', out, '.'], { encoding: 'utf8' })
      if (format === 'ustar') {
        // ustar cannot hold uid 3000000: GNU tar refuses, which is the point of PAX and base-256
        assert.is.not(r.status, 0)
        spawnSync('tar', ['-C', src, '--format=ustar', '--sort=name', '-cf', out, '.'])
      } else assert.is(r.status, 0, r.stderr)
      const expected = spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout.trim().split('\n')
      const es = await list(readFileSync(out), 10_000)
      assert.equal(es.map(e => (e.type === 'dir' && !e.name.endsWith('/') ? e.name + '/' : e.name)), expected, format)
      const deepFile = es.find(e => e.name.endsWith('f'.repeat(90)))!
      assert.is(deepFile.data, 'deep')
      const big = es.find(e => e.name === './big')!
      assert.is(big.size, 3_000_001)
      if (format !== 'ustar') assert.is(big.uid, 3000000, `${format} large uid`)
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
})

test('a bad checksum is an error naming the position', async () => {
  const tar = buildTar([file('good', 'x'), file('bad', 'y')])
  tar[512 * 2 + 10] ^= 0xff // second header's name
  await rejectsCode(list(tar), 'ARCHIVE_INVALID', /entry after 'good': bad header checksum/)
})

test('random bytes are not a tar archive', async () => {
  await rejectsCode(list(Buffer.alloc(4096, 'junk')), 'ARCHIVE_INVALID', /bad header checksum/)
})

test('truncated archives name the entry', async () => {
  const tar = buildTar([file('first', 'x'), file('cut', Buffer.alloc(5000, 1))])
  await rejectsCode(list(tar.subarray(0, 2048)), 'ARCHIVE_INVALID', /entry 'cut': truncated body/)
  await rejectsCode(list(tar.subarray(0, 2048), 64, false), 'ARCHIVE_INVALID', /entry 'cut': truncated body/)
  await rejectsCode(list(tar.subarray(0, 1024 + 100)), 'ARCHIVE_INVALID', /after 'first': truncated header/)
})

test('a missing end-of-archive marker is accepted, as GNU tar does', async () => {
  const es = await list(buildTar([file('a', 'x')], { end: false }))
  assert.equal(es.map(e => e.name), ['a'])
})

test('unsupported entry types are named', async () => {
  await rejectsCode(list(buildTar([{ name: 'sparse', flag: 'S' }])), 'ARCHIVE_INVALID', /entry 'sparse': unsupported entry type 'S'/)
})

test('a malformed PAX record is an error', async () => {
  await rejectsCode(list(buildTar([{ name: 'p', flag: 'x', body: '99 path=x\n' }, file('a')])), 'ARCHIVE_INVALID', /malformed PAX record/)
})

test('the whole source is consumed after the end marker', async () => {
  let pulled = 0
  const tar = Buffer.concat([buildTar([file('a', 'x')]), Buffer.alloc(10_240)])
  async function* src() {
    for (let i = 0; i < tar.length; i += 512) {
      pulled += 512
      yield tar.subarray(i, i + 512)
    }
  }
  for await (const _ of readTar(src()));
  assert.is(pulled, tar.length)
})

test('200 MB stream without buffering: throughput', async () => {
  const chunk = Buffer.alloc(1 << 16, 1)
  const header = buildTar([file('big', '', { size: 200 << 20 })], { end: false })
  async function* src() {
    yield header
    for (let i = 0; i < (200 << 20) / chunk.length; i++) yield chunk
    yield Buffer.alloc(1024)
  }
  const t = process.hrtime.bigint()
  let n = 0
  for await (const e of readTar(src())) for await (const b of e.body()) n += b.length
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  assert.is(n, 200 << 20)
  console.log(`# tar reader: 200 MB in ${ms.toFixed(0)} ms`)
})

test.run()
