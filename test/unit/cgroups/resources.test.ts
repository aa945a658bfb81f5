import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import type { Resources } from '../../../lib/runtime/oci-spec.js'
import {
  blkioToIoWeight, requestedLimits, sharesToWeight, swapToV2, unifiedControllers, validateResources,
} from '../../../lib/cgroups/resources.js'

function rejects(r: Resources, message: string, version: 'v1' | 'v2' | 'hybrid' = 'v2', code = 'INVALID_ARGUMENT'): void {
  try {
    validateResources(r, version)
  } catch (err) {
    assert.instance(err, CockerError)
    assert.is((err as CockerError).code, code)
    assert.is((err as CockerError).message, message)
    return
  }
  assert.unreachable(`accepted ${JSON.stringify(r)}`)
}

test('cpu.shares to cpu.weight: runc formula, ends of the range, clamping', () => {
  assert.is(sharesToWeight(2), 1)
  assert.is(sharesToWeight(1024), 39)
  assert.is(sharesToWeight(512), 20)
  assert.is(sharesToWeight(262144), 10000)
  assert.is(sharesToWeight(1), 1)
  assert.is(sharesToWeight(1_000_000), 10000)
})

test('blkio weight to io.weight', () => {
  assert.is(blkioToIoWeight(10), 1)
  assert.is(blkioToIoWeight(500), 4950)
  assert.is(blkioToIoWeight(1000), 10000)
})

test('OCI swap (memory+swap) to memory.swap.max', () => {
  assert.is(swapToV2(1024, 512), '512')
  assert.is(swapToV2(512, 512), '0')
  assert.is(swapToV2(-1, 512), 'max')
})

test('valid values pass, including unset zeros and -1 for unlimited', () => {
  validateResources({
    memory: { limit: -1, swap: -1, reservation: 0, swappiness: 0 },
    cpu: { shares: 0, quota: -1, period: 0, cpus: '0-3,8,10-15:2/3', mems: '' },
    pids: { limit: -1 },
    blockIO: { weight: 0, weightDevice: [{ major: 8, minor: 0, weight: 10 }] },
    devices: [{ allow: false }, { allow: true, type: 'c', major: -1, minor: 3, access: 'mrw' }],
    unified: { 'memory.high': '1G' },
  }, 'v2')
})

test('bad values name the field and the value', () => {
  rejects({ cpu: { cpus: 'x-y' } }, 'linux.resources.cpu.cpus: "x-y" is not a CPU list')
  rejects({ cpu: { cpus: '3-1' } }, 'linux.resources.cpu.cpus: "3-1" is not a CPU list')
  rejects({ cpu: { mems: '0,' } }, 'linux.resources.cpu.mems: "0," is not a memory node list')
  rejects({ memory: { limit: -2 } }, 'linux.resources.memory.limit: -2 is not an integer >= -1')
  rejects({ memory: { limit: 1.5 } }, 'linux.resources.memory.limit: 1.5 is not an integer >= -1')
  rejects({ memory: { swappiness: 101 } }, 'linux.resources.memory.swappiness: 101 is not an integer from 0 to 100')
  rejects({ memory: { swap: 100 } }, 'linux.resources.memory.swap: 100 needs memory.limit too (it limits memory+swap)')
  rejects({ memory: { limit: 200, swap: 100 } }, 'linux.resources.memory.swap: 100 is less than memory.limit 200 (it limits memory+swap)')
  rejects({ cpu: { shares: -5 } }, 'linux.resources.cpu.shares: -5 is not an integer >= 0')
  rejects({ cpu: { quota: 500 } }, 'linux.resources.cpu.quota: 500 is not an integer >= 1000')
  rejects({ cpu: { period: 10 } }, 'linux.resources.cpu.period: 10 is not an integer from 1000 to 1000000')
  rejects({ cpu: { idle: 2 } }, 'linux.resources.cpu.idle: 2 is not an integer from 0 to 1')
  rejects({ pids: { limit: 0.5 } }, 'linux.resources.pids.limit: 0.5 is not an integer')
  rejects({ blockIO: { weight: 5 } }, 'linux.resources.blockIO.weight: 5 is not an integer from 10 to 1000')
  rejects({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: -1 }] } },
    'linux.resources.blockIO.throttleReadBpsDevice[0].rate: -1 is not an integer >= 0')
  rejects({ hugepageLimits: [{ pageSize: '2M', limit: 0 }] }, 'linux.resources.hugepageLimits[0].pageSize: "2M" is not a page size like "2MB"')
  rejects({ devices: [{ allow: true, type: 'x' }] }, 'linux.resources.devices[0].type: "x" is not one of "a", "b", "c"')
  rejects({ devices: [{ allow: true, access: 'rr' }] }, 'linux.resources.devices[0].access: "rr" is not made of r, w, m')
  rejects({ network: { classID: -1 } }, 'linux.resources.network.classID: -1 is not an integer from 0 to 4294967295')
  rejects({ network: { priorities: [{ name: 'eth 0', priority: 1 }] } }, 'linux.resources.network.priorities[0].name: "eth 0" is not an interface name')
  rejects({ rdma: { mlx: { hcaHandles: -1 } } }, 'linux.resources.rdma.mlx.hcaHandles: -1 is not an integer >= 0')
  rejects({ unified: { '../memory.max': '1' } }, 'linux.resources.unified: "../memory.max" is not a cgroup file name')
  rejects({ unified: { '..': '1' } }, 'linux.resources.unified: ".." is not a cgroup file name')
})

test('linux.resources.unified on a v1-only host', () => {
  rejects({ unified: { 'memory.high': '1' } }, 'linux.resources.unified needs cgroup v2', 'v1', 'NOT_SUPPORTED')
  validateResources({ unified: { 'memory.high': '1' } }, 'hybrid')
  validateResources({ unified: {} }, 'v1')
})

test('requestedLimits lists the groups asked for, never device rules', () => {
  assert.equal(requestedLimits(undefined), [])
  assert.equal(requestedLimits({ devices: [{ allow: false }], memory: { limit: 0 } }), [])
  assert.equal(requestedLimits({ pids: { limit: 5 }, memory: { limit: 1 << 20, swappiness: 0 } }), ['memory', 'pids'])
  assert.equal(requestedLimits({ cpu: { cpus: '0' }, blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }), ['cpu', 'blockIO'])
})

test('unifiedControllers: key prefixes except the core cgroup.* files', () => {
  assert.equal(unifiedControllers({ unified: { 'memory.high': '1', 'cgroup.max.depth': '2', 'io.latency': 'x' } }), ['memory', 'io'])
})

test.run()
