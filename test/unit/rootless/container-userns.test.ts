import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { layerShift, planContainerUserns, throughStack, type UsernsCaller } from '../../../lib/rootless/container-userns.js'
import type { IdMapping } from '../../../lib/runtime/oci-spec.js'
import type { UsernsRequest } from '../../../lib/spec/run-options.js'
import { throwsCode } from '../../support/assert.js'

const map = (containerID: number, hostID: number, size: number): IdMapping => ({ containerID, hostID, size })

// a user 1000 with one range 100000:65536: their namespace has 65537 ids
const ROOTLESS: UsernsCaller = {
  rootless: true, name: 'alice', uid: 1000, gid: 1000,
  uidStack: [map(0, 1000, 1), map(1, 100000, 65536)],
  gidStack: [map(0, 1000, 1), map(1, 100000, 65536)],
}
const ROOT: UsernsCaller = { rootless: false, name: 'root', uid: 0, gid: 0 }
const plan = (req: UsernsRequest, caller = ROOTLESS) => planContainerUserns(req, caller)

test('rootless by default and with --userns host: the user\'s own namespace', () => {
  for (const req of [{ mode: 'default' }, { mode: 'host' }] as const) {
    assert.equal(plan(req), { uidMappings: ROOTLESS.uidStack, gidMappings: ROOTLESS.gidStack })
  }
})

test('keep-id: podman\'s maps (0 1 1000, 1000 0 1, 1001 1001 64536) in host ids, and the caller\'s passwd entry', () => {
  const u = plan({ mode: 'keep-id' })!
  assert.equal(u.uidMappings, [map(0, 100000, 1000), map(1000, 1000, 1), map(1001, 101000, 64536)])
  assert.equal(u.gidMappings, u.uidMappings)
  assert.equal(u.keepId, { uid: 1000, gid: 1000, name: 'alice', gecos: '', groupName: 'alice' })
})

test('keep-id:uid=N,gid=N: the user appears as N, with podman\'s generic entry', () => {
  const u = plan({ mode: 'keep-id', uid: 200, gid: 300 })!
  assert.equal(u.uidMappings, [map(0, 100000, 200), map(200, 1000, 1), map(201, 100200, 65336)])
  assert.equal(u.gidMappings, [map(0, 100000, 300), map(300, 1000, 1), map(301, 100300, 65236)])
  assert.equal(u.keepId, { uid: 200, gid: 300, name: '200', gecos: 'container user' })
  assert.equal(plan({ mode: 'keep-id', uid: 0, gid: 0 })!.uidMappings, [map(0, 1000, 1), map(1, 100000, 65536)])
})

test('keep-id: an id outside the user\'s namespace, or a user without ranges, is one clear error', () => {
  throwsCode(() => plan({ mode: 'keep-id', uid: 65537 }), 'INVALID_ARGUMENT', /uid 65537 is outside the 65537 ids your user namespace has/)
  const alone: UsernsCaller = { rootless: true, name: 'bob', uid: 1003, gid: 1003 }
  throwsCode(() => plan({ mode: 'keep-id' }, alone), 'INVALID_ARGUMENT', /uid 1003 is outside the 1 ids/)
})

test('--uidmap/--gidmap rootless: host ids of the user\'s namespace, split where its ranges end', () => {
  const u = plan({ mode: 'maps', uid: [map(0, 0, 1), map(1, 1, 2000)], gid: [map(0, 0, 10)] })!
  assert.equal(u.uidMappings, [map(0, 1000, 1), map(1, 100000, 2000)])
  assert.equal(u.gidMappings, [map(0, 1000, 1), map(1, 100000, 9)])
  throwsCode(() => plan({ mode: 'maps', uid: [map(0, 0, 70000)], gid: [map(0, 0, 1)] }), 'INVALID_ARGUMENT',
    /--uidmap 0:0:70000: id 65537 is not in your user namespace, which has ids 0 to 65536/)
})

test('rootless nomap and auto: the user\'s subordinate ids only; auto takes the first free 1024 of them', () => {
  assert.equal(plan({ mode: 'nomap' }), { uidMappings: [map(0, 100000, 65536)], gidMappings: [map(0, 100000, 65536)] })
  assert.equal(plan({ mode: 'auto' }), { uidMappings: [map(0, 100000, 1024)], gidMappings: [map(0, 100000, 1024)] })
  // what other containers map (host ids) is taken; the gids follow the uids' place
  const taken = { ...ROOTLESS, taken: [map(0, 100000, 1024), map(0, 102048, 10)] }
  assert.equal(plan({ mode: 'auto' }, taken), { uidMappings: [map(0, 101024, 1024)], gidMappings: [map(0, 101024, 1024)] })
  throwsCode(() => plan({ mode: 'auto', size: 65000 }, taken), 'USERNS_UNAVAILABLE', /no 65000 free ids left in your ranges of \/etc\/subuid/)
})

test('root: no user namespace by default or with host; keep-id and nomap are rootless only; maps as given', () => {
  assert.is(plan({ mode: 'default' }, ROOT), undefined)
  assert.is(plan({ mode: 'host' }, ROOT), undefined)
  throwsCode(() => plan({ mode: 'keep-id' }, ROOT), 'INVALID_ARGUMENT', /--userns keep-id: only for rootless containers/)
  throwsCode(() => plan({ mode: 'nomap' }, ROOT), 'INVALID_ARGUMENT', /--userns nomap: only for rootless containers/)
  assert.equal(plan({ mode: 'maps', uid: [map(0, 100000, 5000)], gid: [map(0, 200000, 10)] }, ROOT),
    { uidMappings: [map(0, 100000, 5000)], gidMappings: [map(0, 200000, 10)] })
})

test('root, --userns auto: a free part of the "containers" ranges, or why there is none', () => {
  throwsCode(() => plan({ mode: 'auto' }, ROOT), 'INVALID_ARGUMENT', /\/etc\/subuid has no range for the user "containers"/)
  const ranges = { autoUids: [{ start: 2000000, count: 4096 }], autoGids: [{ start: 2000000, count: 4096 }] }
  assert.equal(plan({ mode: 'auto' }, { ...ROOT, ...ranges, taken: [] }),
    { uidMappings: [map(0, 2000000, 1024)], gidMappings: [map(0, 2000000, 1024)] })
  assert.equal(plan({ mode: 'auto', size: 100 }, { ...ROOT, ...ranges, taken: [map(0, 2000000, 1024), map(0, 1000, 1)] }),
    { uidMappings: [map(0, 2001024, 100)], gidMappings: [map(0, 2001024, 100)] })
  throwsCode(() => plan({ mode: 'auto', size: 4000 }, { ...ROOT, ...ranges, taken: [map(0, 2000000, 1024)] }), 'USERNS_UNAVAILABLE',
    /no 4000 free ids left/)
})

test('throughStack keeps a map that fits one range whole', () => {
  assert.equal(throughStack('--uidmap', [map(10, 5, 10)], ROOTLESS.uidStack!), [map(10, 100004, 10)])
})

test('layerShift: keep-id moves the layers\' owners to the ids that the same container ids map to; the default namespace needs no shift', () => {
  const stack = { uid: ROOTLESS.uidStack!, gid: ROOTLESS.gidStack! }
  // container 0..999 was 0..999 of the user's namespace and is now 1..1000 there; 1000 is the user (0); above, unchanged
  const keep = layerShift(plan({ mode: 'keep-id' })!, stack)!
  assert.equal(keep.uid, [map(0, 1, 1000), map(1000, 0, 1), map(1001, 1001, 64536)])
  assert.equal(keep.gid, keep.uid)
  assert.is(layerShift(plan({ mode: 'default' })!, stack), undefined)
  // root: the maps themselves, from host ids
  assert.equal(layerShift({ uidMappings: [map(0, 100000, 10)], gidMappings: [map(0, 200000, 10)] }),
    { uid: [map(0, 100000, 10)], gid: [map(0, 200000, 10)] })
})

test.run()
