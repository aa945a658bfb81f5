import { spawnSync } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  symlinkSync,
  cpSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { applyLayer, type ApplyLayerOptions, type LayerStats } from '../../../lib/storage/unpack.js'
import { lgetxattr } from '../../../lib/sys/libc.js'
import { runAsRoot, testAsRoot } from '../../support/namespace-root.js'
import { isRoot, skipUnless } from '../../support/requires.js'
import { buildTar, chardev, dir, fifo, file, hardlink, symlink, type RawEntry } from '../../support/tar-builder.js'

// Unpacking gives each file the owner its entry names (root, in most tests here), which
// takes root: as another user this file runs as root of a user namespace it makes.
runAsRoot()

const work = mkdtempSync(path.join(os.tmpdir(), 'cocker-unpack-'))
const canary = path.join(work, 'canary')
let n = 0

/** A fresh target beside the canary directory, which every test checks is untouched. */
function freshTarget(): string {
  const t = path.join(work, `t${n++}`)
  mkdirSync(t)
  return t
}

function resetCanary(): void {
  rmSync(canary, { recursive: true, force: true })
  mkdirSync(path.join(canary, 'sub'), { recursive: true, mode: 0o755 })
  writeFileSync(path.join(canary, 'file'), 'canary')
}

function canaryState(): string {
  const out: string[] = []
  for (const f of (readdirSync(canary, { recursive: true }) as string[]).sort()) {
    const st = lstatSync(path.join(canary, f))
    out.push(`${f} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs} ${st.isFile() ? readFileSync(path.join(canary, f), 'utf8') : ''}`)
  }
  const st = lstatSync(canary)
  return `${st.mode.toString(8)} ${st.mtimeMs}\n${out.join('\n')}`
}

// trusted.* takes root of the host; in a user namespace cocker writes user.* (userxattr)
const XATTRS = isRoot() ? 'trusted' : 'user'
// 'overlay' unpacks in C (cocker-helper unpack); unpack-node.test.ts runs this file against the node unpacker
const UNPACKER = process.env.COCKER_TEST_UNPACKER === 'node' ? 'node' : 'helper'
const OVERLAY: ApplyLayerOptions = { format: 'overlay', xattrNamespace: XATTRS, layerName: 'sha256:abc', unpacker: UNPACKER }
const VFS: ApplyLayerOptions = { format: 'vfs', xattrNamespace: XATTRS, layerName: 'sha256:abc' }

async function apply(entries: RawEntry[], target: string, opts: ApplyLayerOptions = OVERLAY): Promise<LayerStats> {
  return applyLayer(Readable.from([buildTar(entries)]), target, opts)
}

/** Applies a hostile layer: it must fail with code/message (when given) and leave the canary as it was. */
async function hostile(entries: RawEntry[], code: string | undefined, message?: RegExp, opts: ApplyLayerOptions = OVERLAY): Promise<string> {
  resetCanary()
  const before = canaryState()
  const target = freshTarget()
  try {
    await apply(entries, target, opts)
    if (code) assert.unreachable(`expected ${code}`)
  } catch (err) {
    if (!code || !(err instanceof CockerError)) throw err
    assert.is(err.code, code, err.message)
    if (message) assert.match(err.message, message)
  }
  assert.is(canaryState(), before, 'the canary beside the target is untouched')
  assert.not.ok(existsSync(path.join(work, 'pwned')))
  return target
}

testAsRoot('every entry type with owners, modes (setuid, sticky), times and xattrs', async () => {
  if (skipUnless(isRoot(), 'unpack with owners', 'device nodes and file capabilities need root of the host, not of a user namespace')) return
  const t = freshTarget()
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex')
  const stats = await apply(
    [
      dir('usr/', { mode: 0o755, mtime: 1000 }),
      dir('usr/bin/', { mode: 0o755, mtime: 2000 }),
      file('usr/bin/su', 'su', { mode: 0o4755, uid: 1000, gid: 1001, mtime: 3000 }),
      file('usr/bin/ping', 'ping', { mode: 0o755, pax: { 'SCHILY.xattr.security.capability': cap, 'SCHILY.xattr.user.note': 'hi' } }),
      hardlink('usr/bin/su2', 'usr/bin/su'),
      symlink('bin', 'usr/bin', { uid: 7, gid: 8, mtime: 4000 }),
      dir('tmp/', { mode: 0o1777, mtime: 5000 }),
      fifo('tmp/fifo', { mode: 0o620 }),
      chardev('dev/null', 1, 3, { mode: 0o666 }),
      { name: 'big', flag: '0', body: Buffer.alloc(300_000, 'b'), mode: 0o2750, gid: 50 },
    ],
    t,
  )
  const st = (p: string) => lstatSync(path.join(t, p))
  assert.is(st('usr/bin/su').mode & 0o7777, 0o4755)
  assert.equal([st('usr/bin/su').uid, st('usr/bin/su').gid, st('usr/bin/su').mtimeMs], [1000, 1001, 3000_000])
  assert.is(st('usr/bin/su2').ino, st('usr/bin/su').ino)
  assert.is(readlinkSync(path.join(t, 'bin')), 'usr/bin')
  assert.equal([st('bin').uid, st('bin').gid, st('bin').mtimeMs], [7, 8, 4000_000])
  assert.is(st('tmp').mode & 0o7777, 0o1777)
  assert.is(st('tmp').mtimeMs, 5000_000, 'directory times are set after their children')
  assert.is(st('usr/bin').mtimeMs, 2000_000)
  assert.ok(st('tmp/fifo').isFIFO())
  assert.is(st('tmp/fifo').mode & 0o777, 0o620)
  assert.ok(st('dev/null').isCharacterDevice())
  assert.is(st('dev/null').rdev, statSync('/dev/null').rdev)
  assert.is(st('dev').mode & 0o777, 0o755, 'implicit parents are 0755')
  assert.is(st('big').mode & 0o7777, 0o2750)
  assert.is(st('big').size, 300_000)
  assert.ok(lgetxattr(path.join(t, 'usr/bin/ping'), 'security.capability')!.equals(cap))
  assert.is(lgetxattr(path.join(t, 'usr/bin/ping'), 'user.note')!.toString(), 'hi')
  assert.equal(
    { ...stats, skipped: stats.skipped.length },
    { entries: 10, bytes: 300_000 + 6, files: 3, dirs: 3, symlinks: 1, hardlinks: 1, specials: 2, whiteouts: 0, opaques: 0, skipped: 0 },
  )
})

testAsRoot('a directory entry for an existing directory updates it', async () => {
  const t = freshTarget()
  await apply([dir('d/', { mode: 0o700 }), file('d/f', 'x'), dir('d/', { mode: 0o750, mtime: 42 })], t)
  assert.is(statSync(path.join(t, 'd')).mode & 0o777, 0o750)
  assert.is(statSync(path.join(t, 'd')).mtimeMs, 42_000)
  assert.is(readFileSync(path.join(t, 'd/f'), 'utf8'), 'x')
})

testAsRoot('entries below the root replace what an earlier entry made there, directories with their contents', async () => {
  const t = freshTarget()
  await apply([
    dir('a/b/d/', { mode: 0o700 }), file('a/b/d/f', 'x'), file('a/b/d', 'now a file'), file('a/b/g', 'g'),
    dir('a/b/e/'), file('a/b/e/f', 'y'), symlink('a/b/e', 'd'), file('a/b/h', 'h'),
  ], t)
  assert.is(readFileSync(path.join(t, 'a/b/d'), 'utf8'), 'now a file')
  assert.is(readlinkSync(path.join(t, 'a/b/e')), 'd')
  assert.equal(readdirSync(path.join(t, 'a/b')).sort(), ['d', 'e', 'g', 'h'])
})

testAsRoot('a read-only directory still takes its children', async () => {
  const t = freshTarget()
  await apply([dir('ro/', { mode: 0o555 }), file('ro/f', 'x'), dir('ro/sub/', { mode: 0o500 }), file('ro/sub/g', 'y')], t)
  assert.is(readFileSync(path.join(t, 'ro/sub/g'), 'utf8'), 'y')
  assert.is(statSync(path.join(t, 'ro')).mode & 0o777, 0o555)
})

testAsRoot('overlay: whiteouts become 0/0 char devices, opaque markers an xattr', async () => {
  if (skipUnless(isRoot(), 'overlay whiteouts', 'trusted.* xattrs need root of the host, not of a user namespace')) return
  const t = freshTarget()
  const stats = await apply([dir('etc/'), file('etc/.wh.motd'), file('.wh.gone-dir'), dir('var/'), file('var/.wh..wh..opq'), file('var/new', 'n')], t)
  const wh = lstatSync(path.join(t, 'etc/motd'))
  assert.ok(wh.isCharacterDevice())
  assert.is(wh.rdev, 0)
  assert.ok(lstatSync(path.join(t, 'gone-dir')).isCharacterDevice())
  assert.not.ok(existsSync(path.join(t, 'etc/.wh.motd')))
  assert.is(lgetxattr(path.join(t, 'var'), 'trusted.overlay.opaque')?.toString(), 'y')
  assert.is(lgetxattr(path.join(t, 'var'), 'user.overlay.opaque'), undefined)
  assert.not.ok(existsSync(path.join(t, 'var/.wh..wh..opq')))
  assert.equal([stats.whiteouts, stats.opaques], [2, 1])

  const u = freshTarget()
  await apply([file('var/.wh..wh..opq')], u, { ...OVERLAY, xattrNamespace: 'user' })
  assert.is(lgetxattr(path.join(u, 'var'), 'user.overlay.opaque')?.toString(), 'y')
  assert.is(lgetxattr(path.join(u, 'var'), 'trusted.overlay.opaque'), undefined)
})

testAsRoot('overlay xattrs carried by a layer are dropped', async () => {
  const t = freshTarget()
  const stats = await apply([dir('d/', { pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.user.overlay.opaque': 'y' } })], t)
  assert.is(lgetxattr(path.join(t, 'd'), 'user.overlay.opaque'), undefined)
  assert.is(stats.skipped.length, 2)
  assert.match(stats.skipped[0]!.reason, /overlay xattrs in a layer are ignored/)
})

/** A vfs target: a copy of the parent layer. */
function vfsParent(): string {
  const t = freshTarget()
  mkdirSync(path.join(t, 'etc/old/deep'), { recursive: true })
  writeFileSync(path.join(t, 'etc/old/deep/f'), 'old')
  writeFileSync(path.join(t, 'etc/keep'), 'keep')
  writeFileSync(path.join(t, 'etc/passwd'), 'old passwd')
  mkdirSync(path.join(t, 'opq/sub'), { recursive: true })
  writeFileSync(path.join(t, 'opq/a'), 'old a')
  writeFileSync(path.join(t, 'opq/b'), 'old b')
  writeFileSync(path.join(t, 'opq/sub/old'), 'old sub')
  return t
}

function tree(t: string): string[] {
  return (readdirSync(t, { recursive: true }) as string[]).sort()
}

testAsRoot('vfs: whiteouts remove files and whole directories', async () => {
  const t = vfsParent()
  await apply([file('etc/.wh.old'), file('etc/.wh.passwd'), file('etc/.wh.never-existed')], t, VFS)
  assert.equal(tree(path.join(t, 'etc')), ['keep'])
})

for (const order of ['marker first', 'marker last']) {
  testAsRoot(`vfs: an opaque directory keeps only what this layer adds (${order})`, async () => {
    const t = vfsParent()
    const adds = [file('opq/b', 'new b'), file('opq/sub/new', 'new sub'), dir('opq/newdir/'), file('opq/newdir/x', 'x')]
    const marker = file('opq/.wh..wh..opq')
    await apply(order === 'marker first' ? [marker, ...adds] : [...adds, marker], t, VFS)
    assert.equal(tree(path.join(t, 'opq')), ['b', 'newdir', 'newdir/x', 'sub', 'sub/new'])
    assert.is(readFileSync(path.join(t, 'opq/b'), 'utf8'), 'new b')
    assert.equal(tree(path.join(t, 'etc')).length, 5, 'other directories untouched')
  })
}

testAsRoot('vfs: a hardlink to a file of the parent layer', async () => {
  const t = vfsParent()
  await apply([hardlink('etc/keep2', 'etc/keep')], t, VFS)
  assert.is(statSync(path.join(t, 'etc/keep2')).ino, statSync(path.join(t, 'etc/keep')).ino)
})

testAsRoot('a file over a symlink replaces the symlink and never writes through it', async () => {
  const t = await hostile([symlink('f', path.join(canary, 'file')), file('f', 'replaced'), symlink('g', '../canary/file'), file('g', 'replaced')], undefined)
  assert.ok(lstatSync(path.join(t, 'f')).isFile())
  assert.is(readFileSync(path.join(t, 'g'), 'utf8'), 'replaced')
})

testAsRoot('a directory entry over a symlink replaces the symlink', async () => {
  const t = await hostile([symlink('d', canary), dir('d/', { mode: 0o700 }), file('d/x', 'x')], undefined)
  assert.ok(lstatSync(path.join(t, 'd')).isDirectory())
})

testAsRoot('hostile: names climbing out with .. are LAYER_UNSAFE and name the entry', async () => {
  await hostile([file('../canary/file', 'pwned')], 'LAYER_UNSAFE', /^layer sha256:abc: \.\.\/canary\/file: '\.\.\/canary\/file' points outside the layer$/)
  await hostile([file('a/../../pwned', 'x')], 'LAYER_UNSAFE', /points outside the layer/)
  await hostile([dir('../pwned/')], 'LAYER_UNSAFE')
  await hostile([symlink('ok', 'x'), file('./../pwned', 'x')], 'LAYER_UNSAFE')
  await hostile([file('../pwned', 'x', { gnuLong: true })], 'LAYER_UNSAFE')
  await hostile([file('x', 'x', { pax: { path: '../../pwned' } })], 'LAYER_UNSAFE')
  await hostile([file('.wh...'), file('x')], 'LAYER_UNSAFE', /whiteout of '\.\.'/, VFS)
  await hostile([file('sub/.wh..'), file('x')], 'LAYER_UNSAFE', /whiteout of '\.'/, VFS)
})

testAsRoot('hostile: absolute names land inside the target', async () => {
  const t = await hostile([file(path.join(canary, 'file'), 'inside'), file('/pwned', 'inside')], undefined)
  assert.is(readFileSync(path.join(t, canary, 'file'), 'utf8'), 'inside')
  assert.is(readFileSync(path.join(t, 'pwned'), 'utf8'), 'inside')
})

testAsRoot('hostile: writing through a planted symlink stays inside the target (securejoin)', async () => {
  // absolute symlink to the real canary: resolved as if the target were /
  let t = await hostile([symlink('abs', canary), file('abs/file', 'pwned'), dir('abs/sub/', { mode: 0o700 })], undefined)
  assert.is(readFileSync(path.join(t, canary, 'file'), 'utf8'), 'pwned')
  // relative symlink climbing out: .. stops at the target's root
  t = await hostile([symlink('rel', '../../../../canary'), file('rel/file', 'pwned'), symlink('rel2', '..'), file('rel2/pwned', 'x')], undefined)
  assert.is(readFileSync(path.join(t, 'canary/file'), 'utf8'), 'pwned')
  assert.is(readFileSync(path.join(t, 'pwned'), 'utf8'), 'x')
  // chains of symlinks
  t = await hostile([symlink('a', 'b'), symlink('b', '/c/../../..'), file('a/pwned', 'x')], undefined)
  assert.ok(existsSync(path.join(t, 'pwned')))
  // whiteouts through a symlink, both formats
  await hostile([symlink('w', canary), file('w/.wh.file'), file('w/.wh..wh..opq')], undefined)
  await hostile([symlink('w', canary), file('w/.wh.file'), file('w/.wh.sub'), file('w/.wh..wh..opq')], undefined, undefined, VFS)
})

testAsRoot('hostile: symlink loops are LAYER_UNSAFE', async () => {
  await hostile([symlink('loop', 'loop'), file('loop/x', 'x')], 'LAYER_UNSAFE', /loop\/x: too many levels of symbolic links/)
})

testAsRoot('hostile: hardlinks out of the target or through a symlink', async () => {
  await hostile([hardlink('h', '../canary/file')], 'LAYER_UNSAFE', /^layer sha256:abc: h: '\.\.\/canary\/file' points outside the layer$/)
  await hostile([symlink('s', canary), hardlink('h', 's/file')], 'LAYER_UNSAFE', /h: hardlink target 's\/file' is reached through the symlink 's'/)
  // absolute: the target's own /canary/file, which does not exist
  await hostile([hardlink('h', path.join(canary, 'file'))], 'LAYER_INVALID', /does not exist in this layer/)
  await hostile([hardlink('h', '/etc/passwd')], 'LAYER_INVALID', /h: hardlink target '\/etc\/passwd' does not exist in this layer/)
  // a hardlink to a symlink links the symlink itself, which stays pointing where it did
  const t = await hostile([symlink('s', path.join(canary, 'file')), hardlink('h', 's'), file('h', 'replaced')], undefined)
  assert.is(readlinkSync(path.join(t, 's')), path.join(canary, 'file'))
})

testAsRoot('hostile: a directory replaced by a symlink does not get its metadata applied through it', async () => {
  // d/sub's mode and times are applied at the end; by then d is a symlink to the canary.
  await hostile([dir('d/'), dir('d/sub/', { mode: 0o700, mtime: 1 }), symlink('d', canary)], undefined)
  await hostile([dir('d/'), dir('d/sub/', { mode: 0o700, mtime: 1 }), file('.wh.d'), symlink('d', canary)], undefined, undefined, VFS)
})

testAsRoot('hostile: device nodes and fifos are created inside only', async () => {
  if (skipUnless(isRoot(), 'hostile devices', 'device nodes need root of the host, not of a user namespace')) return
  const t = await hostile([symlink('dev', canary), chardev('dev/pwned', 1, 3), fifo('dev/fifo')], undefined)
  assert.ok(lstatSync(path.join(t, canary, 'pwned')).isCharacterDevice())
})

testAsRoot('ids beyond the mapped range name the file and the id', async () => {
  const err = await hostile([file('usr/bin/x', 'x', { uid: 300000 })], 'LAYER_ID_UNMAPPED', /^layer sha256:abc: usr\/bin\/x is owned by uid 300000, outside the 65537 ids mapped for you$/, {
    ...OVERLAY,
    idLimit: { uid: 65537, gid: 65537 },
  })
  void err
  await hostile([dir('d/', { gid: 70000 })], 'LAYER_ID_UNMAPPED', /d\/ is owned by gid 70000/, { ...OVERLAY, idLimit: { uid: 65537, gid: 65537 } })
})

testAsRoot('invalid layers: hardlink to a directory, parent that is a file, truncated archive', async () => {
  await hostile([dir('d/'), hardlink('h', 'd')], 'LAYER_INVALID', /h: hardlink target 'd' is a directory/)
  await hostile([file('f', 'x'), file('f/g', 'y')], 'LAYER_INVALID', /f\/g: 'f' in its path is not a directory/)
  resetCanary()
  const tar = buildTar([file('a', Buffer.alloc(4000))])
  try {
    await applyLayer(Readable.from([tar.subarray(0, 1500)]), freshTarget(), OVERLAY)
    assert.unreachable()
  } catch (err) {
    assert.is((err as CockerError).code, 'ARCHIVE_INVALID')
    assert.match((err as Error).message, /^layer sha256:abc: entry 'a': truncated body/)
  }
})

testAsRoot('the layer root entry sets the target directory metadata', async () => {
  const t = freshTarget()
  await apply([dir('./', { mode: 0o751, mtime: 77 }), file('./a', 'x')], t)
  assert.is(statSync(t).mode & 0o777, 0o751)
  assert.is(statSync(t).mtimeMs, 77_000)
})

testAsRoot('a missing target is made; the C unpacker marks its parent an ext4 top directory first', async () => {
  const parent = freshTarget()
  const target = path.join(parent, 'layer')
  await apply([dir('etc'), file('etc/hostname', 'box')], target)
  assert.is(readFileSync(path.join(target, 'etc/hostname'), 'utf8'), 'box')
  assert.is((lstatSync(target).mode & 0o7777).toString(8), '755')
  // lsattr's 'T': each layer made in it gets block groups of its own (c/unpack.c open_root)
  const attrs = spawnSync('lsattr', ['-d', parent], { encoding: 'utf8' })
  if (UNPACKER === 'node' || skipUnless(attrs.status === 0, 'top directory flag', `lsattr -d: ${attrs.stderr.trim()} (not ext4?)`)) return
  assert.match(attrs.stdout.split(' ')[0]!, /T/)
})

testAsRoot('matches GNU tar on a busybox-style tree', async () => {
  const bb = '/usr/bin/busybox'
  if (skipUnless(existsSync(bb), 'GNU tar comparison', `no ${bb} (apt-get install busybox-static)`)) return
  const src = freshTarget()
  mkdirSync(path.join(src, 'bin'))
  cpSync(bb, path.join(src, 'bin/busybox'))
  for (const a of ['sh', 'ls', 'cat']) symlinkSync('busybox', path.join(src, 'bin', a))
  mkdirSync(path.join(src, 'etc/deep/er'), { recursive: true })
  writeFileSync(path.join(src, 'etc/deep/er/file'), 'x'.repeat(1000))
  const tarFile = path.join(work, 'bb.tar')
  assert.is(spawnSync('tar', ['-C', src, '--xattrs', '--format=posix', '-cf', tarFile, '.']).status, 0)
  const ours = freshTarget()
  const theirs = freshTarget()
  await applyLayer(Readable.from([readFileSync(tarFile)]), ours, OVERLAY)
  assert.is(spawnSync('tar', ['-C', theirs, '--xattrs', '-xpf', tarFile]).status, 0)
  // Times to the millisecond: Node's utimes takes a double, which cannot hold nanoseconds.
  const listing = (d: string) =>
    spawnSync('find', [d, '-printf', '%P %M %U:%G %s %T@ %l\n'], { encoding: 'utf8' })
      .stdout.replace(/ (\d+\.\d+) /g, (_, t: string) => ` ${Math.round(Number(t) * 1000)} `)
      .split('\n')
      .sort()
      .join('\n')
  assert.is(listing(ours), listing(theirs))
})

test.after(() => rmSync(work, { recursive: true, force: true }))

test.run()
