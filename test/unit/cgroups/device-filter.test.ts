import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compileDeviceFilter } from '../../../lib/cgroups/device-filter.js'
import type { DeviceCgroup } from '../../../lib/runtime/oci-spec.js'
import { runDeviceFilter, type DeviceAccess } from '../../support/ebpf.js'

const dev = (s: string): DeviceAccess => {
  const [type, nums, access] = s.split(' ')
  const [major, minor] = nums.split(':').map(Number)
  return { type: type as 'b' | 'c', major, minor, access }
}
const allows = (rules: DeviceCgroup[], access: string) => runDeviceFilter(compileDeviceFilter(rules), dev(access)) === 1

test('deny all, then exceptions: what podman and runc write', () => {
  const rules: DeviceCgroup[] = [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
  ]
  assert.ok(allows(rules, 'c 1:3 rw'))
  assert.not.ok(allows(rules, 'c 1:5 r'), '/dev/zero is not in the list')
  assert.ok(allows(rules, 'c 8:0 m'), 'mknod of any char device')
  assert.not.ok(allows(rules, 'c 8:0 r'), 'but not opening it')
  assert.not.ok(allows(rules, 'b 8:0 m'), 'no block devices')
  assert.ok(allows(rules, 'c 136:7 rw'), 'any pty')
})

test('an allow grants only its accesses; a later deny takes only its own', () => {
  assert.ok(allows([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }], 'c 1:3 r'))
  assert.not.ok(allows([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }], 'c 1:3 rw'))
  const denyWrite: DeviceCgroup[] = [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]
  assert.ok(allows(denyWrite, 'c 1:3 r'))
  assert.not.ok(allows(denyWrite, 'c 1:3 w'))
  assert.not.ok(allows(denyWrite, 'c 1:3 rw'))
  assert.ok(allows(denyWrite, 'b 8:0 rw'))
})

test('without an all-covering rule the rest is allowed, as a v1 cgroup starts', () => {
  assert.ok(allows([{ allow: false, type: 'b', major: 8, minor: 0, access: 'rwm' }], 'c 1:3 rw'))
  assert.not.ok(allows([{ allow: false, type: 'b', major: 8, minor: 0, access: 'rwm' }], 'b 8:0 r'))
})

test('rules before the last all-covering one decide nothing', () => {
  const rules: DeviceCgroup[] = [{ allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, { allow: false, access: 'rwm' }]
  assert.not.ok(allows(rules, 'c 1:5 r'))
  assert.is(compileDeviceFilter(rules).length, compileDeviceFilter([{ allow: false, access: 'rwm' }]).length)
})

test.run()
