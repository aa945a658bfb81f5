import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkVolumeOptions, createVolume, listVolumes, readVolume, removeVolume, requireVolume, volumeData, withVolumeLock } from '../../../lib/storage/volumes.js'
import { removeTree } from '../../../lib/sys/remove.js'
import { rejectsCode, throwsCode } from '../../support/assert.js'

const withStore = async (body: (root: string) => Promise<void>) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cocker-volumes-'))
  try {
    await body(root)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

test('createVolume: a volume whole in volumes/NAME, nothing left in tmp/; an existing name refused unless asked for', () => withStore(async root => {
  const { volume, created } = await createVolume(root, { name: 'data', labels: { app: 'web' } })
  assert.ok(created)
  assert.equal({ ...volume, created: typeof volume.created }, { name: 'data', driver: 'local', created: 'string', labels: { app: 'web' }, options: {}, needsCopyUp: true, needsChown: true })
  assert.ok(existsSync(volumeData(root, 'data')))
  assert.equal(readdirSync(path.join(root, 'tmp')), [])
  assert.equal(readVolume(root, 'data'), volume)
  await rejectsCode(() => createVolume(root, { name: 'data' }), 'VOLUME_EXISTS', 'volume with name data already exists: volume already exists')
  const again = await createVolume(root, { name: 'data', existing: true })
  assert.equal(again, { volume, created: false })
  const anon = await createVolume(root, { anonymous: true })
  assert.match(anon.volume.name, /^[0-9a-f]{64}$/)
  assert.ok(anon.volume.anonymous)
  assert.equal(listVolumes(root).map(v => v.name), [anon.volume.name, 'data'].sort())
  await rejectsCode(() => createVolume(root, { name: '../x' }), 'INVALID_ARGUMENT', /names must match/)
}))

test('createVolume: o=uid=,gid= own the root from the start (no chown at the first use)', () => withStore(async root => {
  const chowned: unknown[] = []
  const { volume } = await createVolume(root, { name: 'o', options: { o: 'uid=7,gid=8' }, chown: async (dir, uid, gid) => { chowned.push([path.basename(dir), uid, gid]) } })
  assert.equal([volume.uid, volume.gid, volume.needsChown], [7, 8, false])
  assert.equal(chowned, [['_data', 7, 8]])
}))

test('checkVolumeOptions: the local driver\'s keys', () => {
  assert.equal(checkVolumeOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=1' }), { uid: 1 })
  throwsCode(() => checkVolumeOptions({ size: '1m' }), 'INVALID_ARGUMENT', /invalid mount option size for driver 'local'/)
  throwsCode(() => checkVolumeOptions({ o: 'uid=me' }), 'INVALID_ARGUMENT', /uid must be a number/)
  throwsCode(() => checkVolumeOptions({ device: '/srv' }), 'INVALID_ARGUMENT', /needs -o type=TYPE/)
})

test('removeVolume: gone at once, its tree removed; a waiter for its lock is told it went', () => withStore(async root => {
  await createVolume(root, { name: 'v' })
  await removeVolume(root, 'v', async dir => removeTree(dir))
  assert.is(readVolume(root, 'v'), undefined)
  assert.equal(readdirSync(path.join(root, 'tmp')), [])
  throwsCode(() => requireVolume(root, 'v'), 'VOLUME_NOT_FOUND', 'no volume with name "v" found: no such volume')
  await rejectsCode(() => withVolumeLock(root, 'v', () => undefined), 'VOLUME_NOT_FOUND')
}))

test.run()
