import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { MS } from '../../../lib/runtime/linux.js'
import { parseMountOptions, rootPropagation } from '../../../lib/runtime/mount-options.js'

// option → the flag it sets, and its opposite that clears it (runc's table)
const FLAGS: [string, number, string | undefined][] = [
  ['ro', MS.RDONLY, 'rw'],
  ['nosuid', MS.NOSUID, 'suid'],
  ['nodev', MS.NODEV, 'dev'],
  ['noexec', MS.NOEXEC, 'exec'],
  ['sync', MS.SYNCHRONOUS, 'async'],
  ['dirsync', MS.DIRSYNC, undefined],
  ['remount', MS.REMOUNT, undefined],
  ['mand', MS.MANDLOCK, 'nomand'],
  ['noatime', MS.NOATIME, 'atime'],
  ['nodiratime', MS.NODIRATIME, 'diratime'],
  ['relatime', MS.RELATIME, 'norelatime'],
  ['strictatime', MS.STRICTATIME, 'nostrictatime'],
  ['nosymfollow', MS.NOSYMFOLLOW, 'symfollow'],
  ['lazytime', MS.LAZYTIME, 'nolazytime'],
]

const PROPAGATION: [string, number][] = [
  ['private', MS.PRIVATE], ['rprivate', MS.PRIVATE | MS.REC],
  ['shared', MS.SHARED], ['rshared', MS.SHARED | MS.REC],
  ['slave', MS.SLAVE], ['rslave', MS.SLAVE | MS.REC],
  ['unbindable', MS.UNBINDABLE], ['runbindable', MS.UNBINDABLE | MS.REC],
]

test('no options: nothing set', () => {
  assert.equal(parseMountOptions('proc'), { flags: 0, propagation: 0, data: '', bind: false })
  assert.equal(parseMountOptions(undefined, []), { flags: 0, propagation: 0, data: '', bind: false })
})

test('each flag option sets its MS_ flag, and only that', () => {
  for (const [opt, flag] of FLAGS) {
    assert.equal(parseMountOptions('tmpfs', [opt]), { flags: flag, propagation: 0, data: '', bind: false }, opt)
  }
})

test('each opposite option clears the flag set before it', () => {
  for (const [opt, flag, opposite] of FLAGS) {
    if (!opposite) continue
    assert.is(parseMountOptions('tmpfs', [opposite]).flags, 0, opposite)
    assert.is(parseMountOptions('tmpfs', [opt, opposite]).flags, 0, `${opt},${opposite}`)
    // the last one wins
    assert.is(parseMountOptions('tmpfs', [opposite, opt]).flags, flag, `${opposite},${opt}`)
  }
})

test('flags accumulate', () => {
  const { flags } = parseMountOptions('tmpfs', ['nosuid', 'noexec', 'nodev', 'ro', 'relatime'])
  assert.is(flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY | MS.RELATIME)
  assert.is(parseMountOptions('tmpfs', ['nosuid', 'ro', 'suid']).flags, MS.RDONLY)
})

test('each propagation option goes to propagation, not flags', () => {
  for (const [opt, flag] of PROPAGATION) {
    assert.equal(parseMountOptions('bind', ['rbind', opt]),
      { flags: MS.BIND | MS.REC, propagation: flag, data: '', bind: true }, opt)
  }
})

test('bind and rbind', () => {
  assert.equal(parseMountOptions('none', ['bind']), { flags: MS.BIND, propagation: 0, data: '', bind: true })
  assert.equal(parseMountOptions('none', ['rbind']), { flags: MS.BIND | MS.REC, propagation: 0, data: '', bind: true })
  assert.equal(parseMountOptions(undefined, ['rbind', 'ro']), { flags: MS.BIND | MS.REC | MS.RDONLY, propagation: 0, data: '', bind: true })
})

test('type "bind" is a bind mount without a bind option', () => {
  assert.equal(parseMountOptions('bind', []), { flags: MS.BIND, propagation: 0, data: '', bind: true })
  assert.equal(parseMountOptions('bind', ['ro', 'nosuid']), { flags: MS.BIND | MS.RDONLY | MS.NOSUID, propagation: 0, data: '', bind: true })
  assert.is(parseMountOptions('bind', ['rbind']).flags, MS.BIND | MS.REC)
})

test('unknown options become the data string, in order', () => {
  const args = parseMountOptions('tmpfs', ['nosuid', 'mode=755', 'strictatime', 'size=65536k', 'uid=0', 'nr_inodes=1k'])
  assert.equal(args, { flags: MS.NOSUID | MS.STRICTATIME, propagation: 0, data: 'mode=755,size=65536k,uid=0,nr_inodes=1k', bind: false })
  assert.is(parseMountOptions('devpts', ['newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']).data,
    'newinstance,ptmxmode=0666,mode=0620,gid=5')
  assert.is(parseMountOptions('overlay', ['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w']).data, 'lowerdir=/a:/b,upperdir=/u,workdir=/w')
})

test('options that mean nothing to mount(2) are dropped', () => {
  for (const opt of ['tmpcopyup', 'notmpcopyup', 'copy-symlink', 'z', 'Z', 'U', 'idmap', 'ridmap']) {
    assert.equal(parseMountOptions('tmpfs', [opt, 'mode=700']), { flags: 0, propagation: 0, data: 'mode=700', bind: false }, opt)
  }
})

test('runc spec mounts', () => {
  assert.equal(parseMountOptions('tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
    { flags: MS.NOSUID | MS.STRICTATIME, propagation: 0, data: 'mode=755,size=65536k', bind: false })
  assert.equal(parseMountOptions('sysfs', ['nosuid', 'noexec', 'nodev', 'ro']),
    { flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, propagation: 0, data: '', bind: false })
  assert.equal(parseMountOptions('none', ['rbind', 'nosuid', 'noexec', 'nodev', 'ro']),
    { flags: MS.BIND | MS.REC | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, propagation: 0, data: '', bind: true })
})

test('rootPropagation: default rslave; every mode recursive', () => {
  assert.is(rootPropagation(undefined), MS.SLAVE | MS.REC)
  assert.is(rootPropagation(''), MS.SLAVE | MS.REC)
  for (const [mode, flag] of PROPAGATION) assert.is(rootPropagation(mode), flag | MS.REC, mode)
})

test('rootPropagation: an unknown mode is a config error naming the field and value', () => {
  for (const bad of ['bogus', 'rbind', 'ro', 'Private']) {
    try {
      rootPropagation(bad)
      assert.unreachable(`"${bad}" accepted`)
    } catch (err) {
      assert.instance(err, CockerError)
      assert.is((err as CockerError).code, 'CONFIG_INVALID')
      assert.match((err as CockerError).message, '/linux/rootfsPropagation')
      assert.match((err as CockerError).message, `"${bad}"`)
    }
  }
})

test.run()
