import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkDriver, requestedDriver, resolveDriver, type OverlayProbe } from '../../../lib/storage/driver.js'
import { throwsCode } from '../../support/assert.js'
import { rejectsCode } from '../../support/registry.js'
import { addTestImage, tempStore } from '../../support/store-fixture.js'

// no storage.conf of the machine's, no fuse-overlayfs on PATH
const ENV = { CONTAINERS_STORAGE_CONF: '/nonexistent/storage.conf', PATH: '/nonexistent' }
const works: OverlayProbe = async () => ({ ok: true })
const fails: OverlayProbe = async () => ({ ok: false, reason: 'an overlay mount failed: Operation not permitted' })
const never: OverlayProbe = async () => { throw new Error('the probe ran') }

test('requested: --storage-driver, then STORAGE_DRIVER; overlay2 is overlay; unknown names refused', () => {
  assert.equal(requestedDriver({ flag: 'vfs', env: { ...ENV, STORAGE_DRIVER: 'overlay' } }), { name: 'vfs', source: 'flag' })
  assert.equal(requestedDriver({ env: { ...ENV, STORAGE_DRIVER: 'overlay2' } }), { name: 'overlay', source: 'env' })
  assert.is(requestedDriver({ env: ENV }), undefined)
  throwsCode(() => requestedDriver({ flag: 'btrfs', env: ENV }), 'INVALID_ARGUMENT', '--storage-driver: unknown storage driver "btrfs"')
})

test('first use: the probe decides and the store records it; later uses do not probe', async () => {
  const t = tempStore()
  try {
    assert.equal(await resolveDriver(t.store, { env: ENV, probe: works }), { name: 'overlay', source: 'probe' })
    assert.is(t.store.metadata().driver, 'overlay')
    assert.equal(await resolveDriver(t.store, { env: ENV, probe: never }), { name: 'overlay', source: 'store' })
  } finally {
    t.cleanup()
  }
})

test('no overlay and no fuse-overlayfs: vfs, with a warning that says why', async () => {
  const t = tempStore()
  try {
    const choice = await resolveDriver(t.store, { env: ENV, probe: fails })
    assert.is(choice.name, 'vfs')
    assert.match(choice.warning!, /^native overlay is not possible here \(an overlay mount failed: Operation not permitted\) and fuse-overlayfs cannot run \(fuse-overlayfs is not installed\): using the vfs driver/)
    assert.is(t.store.metadata().driver, 'vfs')
    // said once: the store remembers
    assert.is((await resolveDriver(t.store, { env: ENV, probe: never })).warning, undefined)
  } finally {
    t.cleanup()
  }
})

test('a named driver is recorded without a probe; another one later is podman\'s mismatch error', async () => {
  const t = tempStore()
  try {
    assert.equal(await resolveDriver(t.store, { flag: 'vfs', env: ENV, probe: never }), { name: 'vfs', source: 'flag' })
    const err = await rejectsCode(() => resolveDriver(t.store, { flag: 'overlay', env: ENV, probe: never }), 'STORE_DRIVER_MISMATCH')
    assert.is(err.message, 'database graph driver "vfs" does not match our graph driver "overlay": database configuration mismatch')
    assert.match(err.hint!, /cocker system reset/)
    throwsCode(() => checkDriver(t.store, { env: { ...ENV, STORAGE_DRIVER: 'overlay' } }), 'STORE_DRIVER_MISMATCH')
    checkDriver(t.store, { flag: 'vfs', env: ENV })
    await t.store.reset()
    assert.is(t.store.metadata().driver, undefined)
    assert.is((await resolveDriver(t.store, { flag: 'overlay', env: ENV, probe: never })).name, 'overlay')
  } finally {
    t.cleanup()
  }
})

test('a store filled before drivers were recorded holds overlay layers', async () => {
  const t = tempStore()
  try {
    await addTestImage(t.store, { names: ['localhost/a:latest'], layers: [{ a: '1' }] })
    assert.equal(await resolveDriver(t.store, { env: ENV, probe: never }), { name: 'overlay', source: 'store' })
    assert.is(t.store.metadata().driver, 'overlay')
  } finally {
    t.cleanup()
  }
})

test.run()
