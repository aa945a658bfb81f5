// The mount data of a container's root: the overlay's, and fuse-overlayfs's for layers it serves remapped (keep-id).
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { containerDirs, idmappedLowerMounts, overlayMountData, rootOwnsPending } from '../../../lib/container/rootfs.js'
import { makeTempDir } from '../../fixtures/bundle.js'

test('remapped layers: fuse-overlayfs gets the layers and the shift as uidmapping/gidmapping runs; the overlay gets its view as its one lowerdir', () => {
  const dirs = containerDirs('/store', 'c1')
  const keepId = {
    uid: [{ containerID: 0, hostID: 1, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }, { containerID: 1001, hostID: 1001, size: 64535 }],
    gid: [{ containerID: 0, hostID: 1, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }],
  }
  const m = idmappedLowerMounts({ lowerDirs: ['l/TOP', 'l/BASE'], idmappedLowers: keepId }, dirs, { rootless: true })
  assert.equal(m, {
    fuse: 'lowerdir=l/TOP:l/BASE,uidmapping=0:1:1000:1000:0:1:1001:1001:64535,gidmapping=0:1:1000:1000:0:1,noacl',
    overlay: 'lowerdir=/store/containers/c1/lower,upperdir=/store/containers/c1/upper,workdir=/store/containers/c1/work,userxattr',
  })
  assert.is(idmappedLowerMounts({ lowerDirs: ['l/TOP'] }, dirs, { rootless: true }), undefined)
})

test('as root the overlay makes neither redirects nor metacopy-only files, whatever the host\'s defaults: commit reads its upper dir as whole changes', () => {
  const dirs = containerDirs(makeTempDir('cocker-rootfs-'), 'c3')
  assert.is(overlayMountData(['l/A'], dirs, { rootless: false }), `lowerdir=l/A,upperdir=${dirs.upper},workdir=${dirs.work},redirect_dir=off,metacopy=off`)
})

test('a container whose layers are served remapped cannot be mounted as plain layers: one line, start it first', () => {
  const dirs = containerDirs(makeTempDir('cocker-rootfs-'), 'c2')
  assert.is(overlayMountData(['l/A'], dirs, { rootless: true }), `lowerdir=l/A,upperdir=${dirs.upper},workdir=${dirs.work},userxattr`)
  mkdirSync(dirs.lower, { recursive: true })
  assert.throws(() => overlayMountData(['l/A'], dirs, { rootless: true }), (e: Error) => /sees its image's files through fuse-overlayfs/.test(e.message) && !e.message.includes('\n'))
  assert.ok(overlayMountData([dirs.lower], dirs, { rootless: true, idmapped: true }).startsWith(`lowerdir=${path.join(dirs.dir, 'lower')},`))
})

test('keep-id\'s own files go to its root while its upper dir is still the caller\'s, the upper dir last (its owner says the rest is done)', () => {
  const dirs = containerDirs(makeTempDir('cocker-rootfs-'), 'c3')
  mkdirSync(dirs.upper, { recursive: true })
  const storage = { rootOwns: ['upper', 'work', 'userdata/hostname'] }
  assert.equal(rootOwnsPending(storage, dirs), [dirs.work, path.join(dirs.userdata, 'hostname'), dirs.upper])
  assert.is(rootOwnsPending({}, dirs), undefined)
})

test.run()
