import { chownSync, readdirSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, linkSync, utimesSync, writeFileSync, chmodSync, lutimesSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { copyTree, copyUnion, copyUp, shiftId, unionDir } from '../../../lib/storage/copy-tree.js'
import { makeShiftedCopies, shiftedLayers } from '../../../lib/storage/mapped-layers.js'
import { storePaths } from '../../../lib/storage/paths.js'
import { lgetxattr, lsetxattr, mknod } from '../../../lib/sys/libc.js'
import { isRoot, skipUnless } from '../../support/requires.js'

test('a tree copied as it is: owners, modes, setuid, xattrs, hardlinks, symlinks, fifos, devices, times', () => {
  const name = 'copyTree keeps owners, modes, xattrs, hardlinks, symlinks, times'
  if (skipUnless(isRoot(), name, 'owners other than ours and device nodes need root')) return
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cocker-copy-'))
  try {
    const src = path.join(dir, 'src')
    const dst = path.join(dir, 'dst')
    mkdirSync(path.join(src, 'etc/sub'), { recursive: true })
    mkdirSync(dst)
    writeFileSync(path.join(src, 'etc/passwd'), 'root:x:0:0\n')
    chownSync(path.join(src, 'etc/passwd'), 1234, 5678)
    writeFileSync(path.join(src, 'su'), 'binary')
    chownSync(path.join(src, 'su'), 0, 0)
    chmodSync(path.join(src, 'su'), 0o4755)
    lsetxattr(path.join(src, 'su'), 'user.test', Buffer.from('value'))
    lsetxattr(path.join(src, 'su'), 'trusted.test', Buffer.from('t'))
    linkSync(path.join(src, 'su'), path.join(src, 'etc/sub/su-again'))
    symlinkSync('../su', path.join(src, 'etc/link'))
    mknod(path.join(src, 'fifo'), 0o010640)
    mknod(path.join(src, 'null'), 0o020666, 1, 3)
    chmodSync(path.join(src, 'etc/sub'), 0o700)
    chownSync(path.join(src, 'etc/sub'), 42, 43)
    utimesSync(path.join(src, 'etc/passwd'), 1000, 2000)
    lutimesSync(path.join(src, 'etc/link'), 3000, 4000)
    utimesSync(path.join(src, 'etc/sub'), 5000, 6000)
    chmodSync(src, 0o751)

    const stats = copyTree(src, dst)
    assert.equal({ files: stats.files, hardlinks: stats.hardlinks, symlinks: stats.symlinks, specials: stats.specials, dirs: stats.dirs }, { files: 2, hardlinks: 1, symlinks: 1, specials: 2, dirs: 2 })
    assert.equal(stats.skipped, [])
    const st = (p: string) => lstatSync(path.join(dst, p))
    // before the read, which would move the atime (relatime)
    assert.equal([st('etc/passwd').uid, st('etc/passwd').gid, st('etc/passwd').mtimeMs, st('etc/passwd').atimeMs], [1234, 5678, 2000_000, 1000_000])
    assert.is(readFileSync(path.join(dst, 'etc/passwd'), 'utf8'), 'root:x:0:0\n')
    assert.is(st('su').mode & 0o7777, 0o4755)
    assert.is(lgetxattr(path.join(dst, 'su'), 'user.test')!.toString(), 'value')
    assert.is(lgetxattr(path.join(dst, 'su'), 'trusted.test')!.toString(), 't')
    assert.is(st('etc/sub/su-again').ino, st('su').ino)
    assert.is(readlinkSync(path.join(dst, 'etc/link')), '../su')
    assert.is(st('etc/link').mtimeMs, 4000_000)
    assert.ok(st('fifo').isFIFO())
    assert.is(st('fifo').mode & 0o777, 0o640)
    assert.ok(st('null').isCharacterDevice())
    assert.is(st('null').rdev, lstatSync('/dev/null').rdev)
    assert.equal([st('etc/sub').mode & 0o7777, st('etc/sub').uid, st('etc/sub').gid, st('etc/sub').mtimeMs], [0o700, 42, 43, 6000_000])
    assert.is(st('.').mode & 0o7777, 0o751)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('shiftId: ids in a mapping move by its offset, others keep their number', () => {
  const maps = [{ containerID: 0, hostID: 1, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }]
  assert.equal([0, 999, 1000, 5000].map(id => shiftId(maps, id)), [1, 1000, 0, 5000])
})

test('shifted copies of layers: owners changed, placed in layers/<id>/mapped/<key> by a rename, found again by the next run', () => {
  if (skipUnless(isRoot(), 'shifted layer copies', 'owners other than ours need root')) return
  const root = mkdtempSync(path.join(os.tmpdir(), 'cocker-shift-'))
  try {
    const paths = storePaths(root)
    const id = 'a'.repeat(64)
    mkdirSync(path.join(paths.layers, id, 'diff/bin'), { recursive: true })
    writeFileSync(path.join(paths.layers, id, 'diff/bin/sh'), 'sh')
    chownSync(path.join(paths.layers, id, 'diff/bin/sh'), 1000, 1000)
    mkdirSync(paths.tmp)
    const shift = { uid: [{ containerID: 0, hostID: 1, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }], gid: [{ containerID: 0, hostID: 7, size: 1 }] }
    const first = shiftedLayers(paths, [id], shift)
    assert.is(first.jobs.length, 1)
    makeShiftedCopies(first.jobs, shift)
    const copy = path.join(root, first.lowerDirs[0]!)
    assert.match(first.lowerDirs[0]!, new RegExp(`^layers/${id}/mapped/[0-9a-f]{16}$`))
    assert.equal([lstatSync(copy).uid, lstatSync(copy).gid], [1, 7], 'root\'s dir is now 1:7')
    assert.equal([lstatSync(path.join(copy, 'bin/sh')).uid, lstatSync(path.join(copy, 'bin/sh')).gid], [0, 1000])
    assert.is(readFileSync(path.join(copy, 'bin/sh'), 'utf8'), 'sh')
    assert.equal(readdirSync(paths.tmp), [], 'no staging dir left')
    const again = shiftedLayers(paths, [id], shift)
    assert.equal(again, { lowerDirs: first.lowerDirs, jobs: [] })
    // a second maker that lost the race drops its own copy
    makeShiftedCopies([{ ...first.jobs[0]!, staging: path.join(paths.tmp, 'mapped-late') }], shift)
    assert.equal(readdirSync(paths.tmp), [])
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('copyUnion: a directory of several layers as overlayfs shows it: whiteouts hide, opaque dirs stop, symlinks on the way resolve inside', () => {
  const name = 'copyUnion of layers'
  if (skipUnless(isRoot(), name, 'whiteouts are device nodes, which need root')) return
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cocker-union-'))
  try {
    const [lower, middle, upper] = ['lower', 'middle', 'upper'].map(l => path.join(dir, l))
    mkdirSync(path.join(lower, 'srv/data/old'), { recursive: true })
    writeFileSync(path.join(lower, 'srv/data/kept'), 'lower\n')
    writeFileSync(path.join(lower, 'srv/data/deleted'), 'x')
    writeFileSync(path.join(lower, 'srv/data/old/gone'), 'x')
    writeFileSync(path.join(lower, 'srv/data/shadowed'), 'lower\n')
    mkdirSync(path.join(middle, 'srv/data/old'), { recursive: true })
    lsetxattr(path.join(middle, 'srv/data/old'), 'trusted.overlay.opaque', Buffer.from('y'))
    writeFileSync(path.join(middle, 'srv/data/old/new'), 'middle\n')
    mknod(path.join(middle, 'srv/data/deleted'), 0o020000, 0, 0)
    mkdirSync(path.join(upper, 'srv'), { recursive: true })
    symlinkSync('/srv', path.join(upper, 'link'))
    mkdirSync(path.join(upper, 'srv/data'))
    chownSync(path.join(upper, 'srv/data'), 7, 8)
    chmodSync(path.join(upper, 'srv/data'), 0o750)
    writeFileSync(path.join(upper, 'srv/data/shadowed'), 'upper\n')
    const layers = [upper, middle, lower]
    assert.is(unionDir(layers, 'srv/data')?.dirs.length, 3)
    assert.is(unionDir(layers, 'link/../link/data')?.dirs.length, 3)
    assert.is(unionDir(layers, 'srv/data/kept'), undefined)
    assert.is(unionDir(layers, 'srv/nothing'), undefined)

    const dst = path.join(dir, 'dst')
    mkdirSync(dst)
    copyUnion(layers, '/link/data', dst)
    const walk = (d: string): string[] => readdirSync(d).sort().flatMap(n => {
      const p = path.join(d, n)
      return lstatSync(p).isDirectory() ? [`${n}/`, ...walk(p).map(c => `${n}/${c}`)] : [`${n}=${readFileSync(p, 'utf8').trim()}`]
    })
    assert.equal(walk(dst), ['kept=lower', 'old/', 'old/new=middle', 'shadowed=upper'])
    const st = lstatSync(dst)
    assert.equal([st.uid, st.gid, st.mode & 0o7777], [7, 8, 0o750])
    assert.is(lgetxattr(path.join(dst, 'old'), 'trusted.overlay.opaque'), undefined)

    // copyUp: made in a staging dir, moved into the volume's root, which takes the directory's owner
    const data = path.join(dir, 'data')
    mkdirSync(data)
    copyUp({ layers, rel: 'srv/data', data, staging: path.join(dir, 'staging') })
    assert.equal(walk(data), walk(dst))
    assert.equal([lstatSync(data).uid, lstatSync(data).mode & 0o7777], [7, 0o750])
    assert.not.ok(readdirSync(dir).includes('staging'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
