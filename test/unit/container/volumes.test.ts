import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveVolumes } from '../../../lib/container/volumes.js'
import { createVolume, listVolumes, volumeData } from '../../../lib/storage/volumes.js'

const withStore = async (body: (root: string) => Promise<void>) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cocker-ctr-volumes-'))
  try {
    await body(root)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

const VOLUME_OPTIONS = ['nosuid', 'nodev', 'rbind', 'rprivate']

test('resolveVolumes: -v and --mount first, the image\'s VOLUMEs where nothing targets them, each volume made once', () => withStore(async root => {
  const r = await resolveVolumes(root, {
    mounts: [
      { type: 'bind', source: '/srv', destination: '/data', options: ['rbind', 'rprivate'] },
      { type: 'volume', name: 'named', destination: '/named', options: VOLUME_OPTIONS, noCopy: true },
      { type: 'tmpfs', destination: '/t', options: ['rw'] },
    ],
    volumesFrom: [], imageVolumes: ['/data', '/var/lib/db/'], rootless: false,
  })
  const anon = listVolumes(root).find(v => v.anonymous)!
  assert.equal(listVolumes(root).map(v => v.name).sort(), [anon.name, 'named'].sort())
  assert.equal(r.mounts, [
    { type: 'bind', source: '/srv', destination: '/data', options: ['rbind', 'rprivate'] },
    { type: 'bind', source: volumeData(root, 'named'), destination: '/named', options: VOLUME_OPTIONS },
    { type: 'tmpfs', destination: '/t', options: ['rw'] },
    { type: 'bind', source: volumeData(root, anon.name), destination: '/var/lib/db', options: VOLUME_OPTIONS },
  ])
  assert.equal(r.volumes, [
    { name: 'named', destination: '/named', options: VOLUME_OPTIONS },
    { name: anon.name, destination: '/var/lib/db', options: VOLUME_OPTIONS, anonymous: true },
  ])
  assert.equal(r.seeds.map(s => [s.name, s.noCopy]), [['named', true], [anon.name, false]])
  assert.equal(r.created, [anon.name])
  // a second use finds the named volume: nothing new
  const again = await resolveVolumes(root, { mounts: [{ type: 'volume', name: 'named', destination: '/n', options: ['ro'] }], volumesFrom: [], imageVolumes: [], rootless: false })
  assert.equal(again.created, [])
  assert.is(listVolumes(root).length, 2)
}))

test('resolveVolumes: a tmpfs volume is a tmpfs of the container\'s own, a host directory\'s its bind; other devices are refused, and what the call made goes', () => withStore(async root => {
  await createVolume(root, { name: 't', options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=3' } })
  await createVolume(root, { name: 'b', options: { type: 'none', device: '/srv/host', o: 'bind' } })
  await createVolume(root, { name: 'e', options: { type: 'ext4', device: '/dev/sdz' } })
  const r = await resolveVolumes(root, {
    mounts: [{ type: 'volume', name: 't', destination: '/t', options: ['ro'] }, { type: 'volume', name: 'b', destination: '/b', options: [] }],
    volumesFrom: [], imageVolumes: [], rootless: false,
  })
  assert.equal(r.mounts, [
    { type: 'tmpfs', destination: '/t', options: ['rw', 'nosuid', 'nodev', 'size=1m', 'ro'] },
    { type: 'bind', source: '/srv/host', destination: '/b', options: ['rbind', 'rprivate'] },
  ])
  assert.equal(r.seeds, [])
  try {
    await resolveVolumes(root, { mounts: [{ type: 'volume', destination: '/anon', options: [] }, { type: 'volume', name: 'e', destination: '/e', options: [] }], volumesFrom: [], imageVolumes: [], rootless: false })
    assert.unreachable()
  } catch (err) {
    assert.match((err as Error).message, /mounting a device of type ext4 is not supported yet/)
  }
  // the anonymous volume made before the refusal is gone again
  assert.equal(listVolumes(root).map(v => v.name), ['b', 'e', 't'])
}))

test.run()
