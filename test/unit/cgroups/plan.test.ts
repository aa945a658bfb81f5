import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Resources } from '../../../lib/runtime/oci-spec.js'
import { detectCgroups } from '../../../lib/cgroups/layout.js'
import { cgroupDirs, planCgroup, unavailableLine, type PlanOptions } from '../../../lib/cgroups/plan.js'
import { HYBRID_CGROUP_MOUNTS } from '../../fixtures/cgroup-mounts.js'

const C = '/sys/fs/cgroup'

const HYBRID_SELF = '9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/process_api/314e41e59b2bfad3e2d39efba7e979b3\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n'

const V1_MOUNTS = `25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,net_cls,net_prio
32 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpuset
33 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
34 25 0:31 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,blkio
35 25 0:32 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,devices
36 25 0:33 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,freezer
37 25 0:34 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,hugetlb
`

const V2_MOUNTS = '25 24 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n'
const ALL_V2 = 'cpuset cpu io memory hugetlb pids rdma misc\n'

const fake = (files: Record<string, string>) => (f: string): string | undefined => files[f]
const hybrid = detectCgroups(HYBRID_CGROUP_MOUNTS, fake({ [`${C}/unified/cgroup.controllers`]: 'hugetlb\n' }))
const v1 = detectCgroups(V1_MOUNTS, fake({}))
const v2 = detectCgroups(V2_MOUNTS, fake({ [`${C}/cgroup.controllers`]: ALL_V2 }))

/** [dir/file, value] */
const at = (dir: string) => (file: string, value: string): [string, string] => [`${dir}/${file}`, value]

const MiB = 1024 * 1024

/** Every linux.resources field (linux.resources.unified is added per test: v1 refuses it). */
const ALL: Resources = {
  devices: [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rw' },
    { allow: false, type: 'a', major: 8, access: 'm' },
  ],
  memory: {
    limit: 512 * MiB, reservation: 256 * MiB, swap: 1024 * MiB, kernel: 64 * MiB, kernelTCP: 64 * MiB,
    swappiness: 30, disableOOMKiller: true, useHierarchy: true, checkBeforeUpdate: true,
  },
  cpu: { shares: 512, quota: 150000, burst: 10000, period: 100000, realtimeRuntime: 950, realtimePeriod: 1000000, cpus: '0-1', mems: '0', idle: 0 },
  pids: { limit: 100 },
  blockIO: {
    weight: 300, leafWeight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 500 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
  network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
  rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 10000 } },
}

const base = (o: Partial<PlanOptions>): PlanOptions => ({
  layout: v2, cgroupsPath: '/cocker/abc', id: 'abc', resources: undefined, rootless: false, systemd: false,
  selfCgroup: '0::/\n', readFile: fake({}), canWrite: () => assert.unreachable('canWrite is for rootless') as never, ...o,
})

test('v1: every field, one dir per mount, cpuset copied down, memsw and blkio.weight probed', () => {
  const plan = planCgroup(base({
    layout: v1, resources: ALL,
    readFile: fake({
      [`${C}/memory/memory.memsw.limit_in_bytes`]: '9223372036854771712\n',
      [`${C}/blkio/blkio.weight`]: '500\n',
      [`${C}/cpuset/cpuset.cpus`]: '0-3\n',
      [`${C}/cpuset/cpuset.mems`]: '0\n',
    }),
  }))
  // name=systemd too, as runc and crun join it: a container's systemd keeps its units there
  const mounts = ['systemd', 'cpu,cpuacct', 'memory', 'net_cls,net_prio', 'cpuset', 'pids', 'blkio', 'devices', 'freezer', 'hugetlb']
  assert.equal(plan.dirs, mounts.map(m => `${C}/${m}/cocker/abc`))
  assert.equal(plan.procs, mounts.map(m => `${C}/${m}/cocker/abc/cgroup.procs`))
  const mem = at(`${C}/memory/cocker/abc`)
  const cpu = at(`${C}/cpu,cpuacct/cocker/abc`)
  const cpuset = at(`${C}/cpuset/cocker/abc`)
  const blkio = at(`${C}/blkio/cocker/abc`)
  const dev = at(`${C}/devices/cocker/abc`)
  assert.equal(plan.writes, [
    [`${C}/cpuset/cocker/cpuset.cpus`, '0-3'], [`${C}/cpuset/cocker/cpuset.mems`, '0'],
    cpuset('cpuset.cpus', '0-3'), cpuset('cpuset.mems', '0'),
    mem('memory.limit_in_bytes', '536870912'),
    mem('memory.soft_limit_in_bytes', '268435456'),
    mem('memory.memsw.limit_in_bytes', '1073741824'),
    mem('memory.kmem.tcp.limit_in_bytes', '67108864'),
    mem('memory.swappiness', '30'),
    mem('memory.oom_control', '1'),
    cpu('cpu.shares', '512'),
    cpu('cpu.cfs_period_us', '100000'),
    cpu('cpu.cfs_quota_us', '150000'),
    cpu('cpu.cfs_burst_us', '10000'),
    cpu('cpu.rt_period_us', '1000000'),
    cpu('cpu.rt_runtime_us', '950'),
    cpu('cpu.idle', '0'),
    cpuset('cpuset.cpus', '0-1'),
    cpuset('cpuset.mems', '0'),
    [`${C}/pids/cocker/abc/pids.max`, '100'],
    blkio('blkio.weight', '300'),
    blkio('blkio.weight_device', '8:0 500'),
    blkio('blkio.throttle.read_bps_device', '8:0 1048576'),
    blkio('blkio.throttle.write_bps_device', '8:0 2097152'),
    blkio('blkio.throttle.read_iops_device', '8:16 100'),
    blkio('blkio.throttle.write_iops_device', '8:0 200'),
    [`${C}/hugetlb/cocker/abc/hugetlb.2MB.limit_in_bytes`, '4194304'],
    dev('devices.deny', 'a'),
    dev('devices.allow', 'c 1:3 rwm'),
    dev('devices.allow', 'c 136:* rw'),
    dev('devices.deny', 'c 8:* m'),
    dev('devices.deny', 'b 8:* m'),
    [`${C}/net_cls,net_prio/cocker/abc/net_cls.classid`, '1048577'],
    [`${C}/net_cls,net_prio/cocker/abc/net_prio.ifpriomap`, 'eth0 5'],
  ])
  assert.equal(plan.warnings, [
    'linux.resources.memory.kernel is ignored: kernel memory limits are deprecated by Linux',
    'linux.resources.blockIO.leafWeight is ignored: leaf weights went away with the CFQ I/O scheduler (Linux 5.0)',
  ])
  assert.equal(plan.unavailable, [{ limits: ['rdma'], why: 'the rdma controller is not mounted' }])
})

test('v1: no swap accounting and no blkio weight files make those limits unavailable', () => {
  const plan = planCgroup(base({
    layout: v1, resources: { memory: { limit: MiB, swap: 2 * MiB }, blockIO: { weight: 100, weightDevice: [{ major: 8, minor: 0, weight: 500 }] } },
  }))
  assert.equal(plan.writes, [[`${C}/memory/cocker/abc/memory.limit_in_bytes`, '1048576']])
  assert.equal(plan.warnings, [])
  // one reason, named once
  assert.equal(plan.unavailable, [
    { limits: ['memory.swap'], why: 'this kernel does not account swap (no memory.memsw.limit_in_bytes; boot with swapaccount=1)' },
    { limits: ['blockIO.weight', 'blockIO.weightDevice'], why: 'the I/O scheduler has no blkio weight files: it needs CFQ or BFQ' },
  ])
})

test('v1: linux.resources.unified is an error', () => {
  assert.throws(() => planCgroup(base({ layout: v1, resources: { unified: { 'memory.high': '1' } } })), /linux.resources.unified needs cgroup v2/)
})

test('v2: every field, controllers enabled from the root down, conversions', () => {
  const plan = planCgroup(base({
    resources: { ...ALL, unified: { 'memory.high': '400000000' } },
    readFile: fake({ [`${C}/cgroup.controllers`]: ALL_V2, [`${C}/cgroup.subtree_control`]: 'memory pids\n' }),
  }))
  const d = at(`${C}/cocker/abc`)
  assert.equal(plan.dirs, [`${C}/cocker/abc`])
  assert.equal(plan.procs, [`${C}/cocker/abc/cgroup.procs`])
  // the device rules become an eBPF program for the container's cgroup
  assert.is(plan.deviceFilter?.dir, `${C}/cocker/abc`)
  assert.ok(plan.deviceFilter!.program.length > 0 && plan.deviceFilter!.program.length % 8 === 0)
  assert.equal(plan.writes, [
    [`${C}/cgroup.subtree_control`, '+cpuset +cpu +io +hugetlb +rdma'],
    [`${C}/cocker/cgroup.subtree_control`, '+cpuset +cpu +io +memory +hugetlb +pids +rdma'],
    d('memory.max', '536870912'),
    d('memory.low', '268435456'),
    d('memory.swap.max', '536870912'),
    d('cpu.weight', '20'),
    d('cpu.max', '150000 100000'),
    d('cpu.max.burst', '10000'),
    d('cpu.idle', '0'),
    d('cpuset.cpus', '0-1'),
    d('cpuset.mems', '0'),
    d('pids.max', '100'),
    d('io.weight', '2930'),
    d('io.weight', '8:0 4950'),
    d('io.max', '8:0 rbps=1048576 wbps=2097152 wiops=200'),
    d('io.max', '8:16 riops=100'),
    d('hugetlb.2MB.max', '4194304'),
    d('rdma.max', 'mlx5_0 hca_handle=3 hca_object=10000'),
    d('memory.high', '400000000'),
  ])
  assert.equal(plan.warnings, [
    'linux.resources.memory.kernel is ignored: kernel memory limits are deprecated by Linux',
    'linux.resources.memory.kernelTCP is ignored: it has no cgroup v2 equivalent',
    'linux.resources.memory.swappiness is ignored: it has no cgroup v2 equivalent',
    'linux.resources.memory.disableOOMKiller is ignored: it has no cgroup v2 equivalent',
    'linux.resources.cpu.realtimeRuntime is ignored: it has no cgroup v2 equivalent',
    'linux.resources.blockIO.leafWeight is ignored: leaf weights went away with the CFQ I/O scheduler (Linux 5.0)',
    'linux.resources.network.classID is ignored: it has no cgroup v2 equivalent',
    'linux.resources.network.priorities is ignored: it has no cgroup v2 equivalent',
  ])
})

test('v2: quota <= 0 is "max", a missing period is left to the kernel, pids <= 0 is "max", unlimited memory', () => {
  const plan = planCgroup(base({
    resources: { cpu: { quota: -1, period: 50000 }, pids: { limit: 0 }, memory: { limit: -1, swap: -1 } },
    readFile: fake({ [`${C}/cgroup.controllers`]: ALL_V2, [`${C}/cgroup.subtree_control`]: ALL_V2 }),
  }))
  assert.equal(plan.writes, [
    [`${C}/cocker/cgroup.subtree_control`, '+cpu +memory +pids'],
    [`${C}/cocker/abc/memory.max`, 'max'],
    [`${C}/cocker/abc/memory.swap.max`, 'max'],
    [`${C}/cocker/abc/cpu.max`, 'max 50000'],
    [`${C}/cocker/abc/pids.max`, 'max'],
  ])
  const quotaOnly = planCgroup(base({ resources: { cpu: { quota: 20000 } }, readFile: fake({ [`${C}/cgroup.controllers`]: ALL_V2, [`${C}/cgroup.subtree_control`]: ALL_V2 }) }))
  assert.equal(quotaOnly.writes.at(-1), [`${C}/cocker/abc/cpu.max`, '20000'])
})

test('v2: enabling walks every level top-down and skips what is already on', () => {
  const plan = planCgroup(base({
    cgroupsPath: '/a/b/c',
    resources: { memory: { limit: MiB }, pids: { limit: 5 }, cpu: { shares: 1024 }, blockIO: { weight: 10 } },
    readFile: fake({
      [`${C}/cgroup.controllers`]: 'cpuset cpu io memory pids\n',
      [`${C}/cgroup.subtree_control`]: 'cpu memory\n',
      [`${C}/a/cgroup.procs`]: '',
      [`${C}/a/cgroup.controllers`]: 'cpu io memory pids\n',
      [`${C}/a/cgroup.subtree_control`]: 'cpu\n',
    }),
  }))
  assert.equal(plan.writes, [
    [`${C}/cgroup.subtree_control`, '+io +pids'],
    [`${C}/a/cgroup.subtree_control`, '+io +memory +pids'],
    [`${C}/a/b/cgroup.subtree_control`, '+cpu +io +memory +pids'],
    [`${C}/a/b/c/memory.max`, '1048576'],
    [`${C}/a/b/c/cpu.weight`, '39'],
    [`${C}/a/b/c/pids.max`, '5'],
    [`${C}/a/b/c/io.weight`, '1'],
  ])
  assert.equal(plan.warnings, [])
})

test('v2: a controller the host lacks makes its limit unavailable, the rest still applies', () => {
  const plan = planCgroup(base({
    resources: { hugepageLimits: [{ pageSize: '1GB', limit: 0 }], pids: { limit: 3 } },
    readFile: fake({ [`${C}/cgroup.controllers`]: 'cpu memory pids\n', [`${C}/cgroup.subtree_control`]: '' }),
  }))
  assert.equal(plan.writes, [
    [`${C}/cgroup.subtree_control`, '+pids'],
    [`${C}/cocker/cgroup.subtree_control`, '+pids'],
    [`${C}/cocker/abc/pids.max`, '3'],
  ])
  assert.equal(plan.warnings, [])
  assert.equal(plan.unavailable, [{ limits: ['hugepageLimits'], why: 'the hugetlb controller is not available below /sys/fs/cgroup (cgroup v2)' }])
})

test('hybrid (this VM): v1 for mounted controllers, cgroup2 for hugetlb, unified writes go to cgroup2', () => {
  const plan = planCgroup(base({
    layout: hybrid,
    resources: { ...ALL, unified: { 'hugetlb.2MB.rsvd.max': '4194304' } },
    readFile: fake({
      [`${C}/unified/cgroup.controllers`]: 'hugetlb\n',
      [`${C}/unified/cgroup.subtree_control`]: '\n',
      [`${C}/memory/memory.memsw.limit_in_bytes`]: '9223372036854771712\n',
      [`${C}/blkio/blkio.bfq.io_service_bytes`]: 'Total 0\n',
      [`${C}/cpuset/cpuset.cpus`]: '0-1\n',
      [`${C}/cpuset/cpuset.mems`]: '0\n',
    }),
  }))
  const mounts = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified']
  assert.equal(plan.dirs, mounts.map(m => `${C}/${m}/cocker/abc`))
  assert.equal(plan.procs, mounts.map(m => `${C}/${m}/cocker/abc/cgroup.procs`))
  const mem = at(`${C}/memory/cocker/abc`)
  const cpu = at(`${C}/cpu/cocker/abc`)
  const blkio = at(`${C}/blkio/cocker/abc`)
  const dev = at(`${C}/devices/cocker/abc`)
  assert.equal(plan.writes, [
    [`${C}/unified/cgroup.subtree_control`, '+hugetlb'],
    [`${C}/unified/cocker/cgroup.subtree_control`, '+hugetlb'],
    [`${C}/cpuset/cocker/cpuset.cpus`, '0-1'], [`${C}/cpuset/cocker/cpuset.mems`, '0'],
    [`${C}/cpuset/cocker/abc/cpuset.cpus`, '0-1'], [`${C}/cpuset/cocker/abc/cpuset.mems`, '0'],
    mem('memory.limit_in_bytes', '536870912'),
    mem('memory.soft_limit_in_bytes', '268435456'),
    mem('memory.memsw.limit_in_bytes', '1073741824'),
    mem('memory.kmem.tcp.limit_in_bytes', '67108864'),
    mem('memory.swappiness', '30'),
    mem('memory.oom_control', '1'),
    cpu('cpu.shares', '512'),
    cpu('cpu.cfs_period_us', '100000'),
    cpu('cpu.cfs_quota_us', '150000'),
    cpu('cpu.cfs_burst_us', '10000'),
    cpu('cpu.rt_period_us', '1000000'),
    cpu('cpu.rt_runtime_us', '950'),
    cpu('cpu.idle', '0'),
    [`${C}/cpuset/cocker/abc/cpuset.cpus`, '0-1'],
    [`${C}/cpuset/cocker/abc/cpuset.mems`, '0'],
    [`${C}/pids/cocker/abc/pids.max`, '100'],
    blkio('blkio.bfq.weight', '300'),
    blkio('blkio.bfq.weight_device', '8:0 500'),
    blkio('blkio.throttle.read_bps_device', '8:0 1048576'),
    blkio('blkio.throttle.write_bps_device', '8:0 2097152'),
    blkio('blkio.throttle.read_iops_device', '8:16 100'),
    blkio('blkio.throttle.write_iops_device', '8:0 200'),
    [`${C}/unified/cocker/abc/hugetlb.2MB.max`, '4194304'],
    dev('devices.deny', 'a'),
    dev('devices.allow', 'c 1:3 rwm'),
    dev('devices.allow', 'c 136:* rw'),
    dev('devices.deny', 'c 8:* m'),
    dev('devices.deny', 'b 8:* m'),
    [`${C}/unified/cocker/abc/hugetlb.2MB.rsvd.max`, '4194304'],
  ])
  assert.equal(plan.warnings, [
    'linux.resources.memory.kernel is ignored: kernel memory limits are deprecated by Linux',
    'linux.resources.blockIO.leafWeight is ignored: leaf weights went away with the CFQ I/O scheduler (Linux 5.0)',
  ])
  assert.equal(plan.unavailable, [
    { limits: ['network.classID'], why: 'the net_cls controller is not mounted' },
    { limits: ['network.priorities'], why: 'the net_prio controller is not mounted' },
    { limits: ['rdma'], why: 'the rdma controller is not available below /sys/fs/cgroup/unified (cgroup v2)' },
  ])
})

test('hybrid: a relative path follows our own cgroup in each hierarchy', () => {
  const plan = planCgroup(base({ layout: hybrid, cgroupsPath: 'ctr', selfCgroup: HYBRID_SELF }))
  assert.equal(plan.dirs[3], `${C}/memory/process_api/314e41e59b2bfad3e2d39efba7e979b3/ctr`)
  assert.equal(plan.dirs[0], `${C}/cpu/ctr`)
})

test('cpuset copy-down: only new levels, from the nearest ancestor that has values', () => {
  const plan = planCgroup(base({
    layout: hybrid, cgroupsPath: '/parent/a/b',
    readFile: fake({
      [`${C}/cpuset/cpuset.cpus`]: '0-7\n', [`${C}/cpuset/cpuset.mems`]: '0-1\n',
      [`${C}/cpuset/parent/cgroup.procs`]: '', [`${C}/cpuset/parent/cpuset.cpus`]: '2-3\n', [`${C}/cpuset/parent/cpuset.mems`]: '\n',
    }),
  }))
  assert.equal(plan.writes, [
    [`${C}/cpuset/parent/a/cpuset.cpus`, '2-3'], [`${C}/cpuset/parent/a/cpuset.mems`, '0-1'],
    [`${C}/cpuset/parent/a/b/cpuset.cpus`, '2-3'], [`${C}/cpuset/parent/a/b/cpuset.mems`, '0-1'],
  ])
  const existing = planCgroup(base({
    layout: hybrid, cgroupsPath: '/parent',
    readFile: fake({ [`${C}/cpuset/cpuset.cpus`]: '0-7\n', [`${C}/cpuset/cpuset.mems`]: '0\n', [`${C}/cpuset/parent/cgroup.procs`]: '' }),
  }))
  assert.equal(existing.writes, [])
})

test('systemd cgroupsPath becomes the cgroupfs path systemd would use', () => {
  const plan = planCgroup(base({ cgroupsPath: 'machine-qemu.slice:libpod:abc', readFile: fake({ [`${C}/cgroup.controllers`]: ALL_V2 }) }))
  assert.equal(plan.dirs, [`${C}/machine.slice/machine-qemu.slice/libpod-abc.scope`])
  const dflt = planCgroup(base({ cgroupsPath: undefined, systemd: true, readFile: fake({ [`${C}/cgroup.controllers`]: ALL_V2 }) }))
  assert.equal(dflt.dirs, [`${C}/system.slice/abc.scope`])
})

test('rootless on v1 and hybrid: nothing to do, every limit asked for is unavailable', () => {
  for (const layout of [v1, hybrid]) {
    const plan = planCgroup(base({ layout, rootless: true, resources: { memory: { limit: MiB }, pids: { limit: 10 }, devices: [{ allow: false }] } }))
    assert.equal(plan, {
      dirs: [], writes: [], procs: [], warnings: [],
      unavailable: [{ limits: ['memory', 'pids'], why: 'cgroup v1 cannot be delegated to an unprivileged user' }],
    })
  }
  assert.equal(planCgroup(base({ layout: v1, rootless: true, resources: { devices: [{ allow: false }] } })).unavailable, [])
})

test('unavailable limits in one line: the runtime refuses them, cocker run drops them', () => {
  const v1 = [{ limits: ['memory', 'pids'], why: 'cgroup v1 cannot be delegated to an unprivileged user' }]
  assert.is(unavailableLine(v1, true), 'cgroup v1 cannot be delegated to an unprivileged user: running without the requested limits (memory, pids)')
  assert.is(unavailableLine(v1, false), 'this host cannot apply linux.resources memory, pids (cgroup v1 cannot be delegated to an unprivileged user)')
  const net = [
    { limits: ['network.classID'], why: 'the net_cls controller is not mounted' },
    { limits: ['network.priorities'], why: 'the net_prio controller is not mounted' },
  ]
  assert.is(unavailableLine(net, false),
    'this host cannot apply linux.resources network.classID (the net_cls controller is not mounted), network.priorities (the net_prio controller is not mounted)')
  assert.is(unavailableLine(net.slice(1), true),
    'running without the requested limits this host cannot apply: network.priorities (the net_prio controller is not mounted)')
})

const USER = `${C}/user.slice/user-1000.slice/user@1000.service`
const ROOTLESS_FILES = {
  [`${C}/cgroup.controllers`]: ALL_V2, [`${C}/cgroup.subtree_control`]: 'cpuset cpu io memory pids\n',
  [`${C}/user.slice/cgroup.procs`]: '', [`${C}/user.slice/cgroup.controllers`]: 'cpuset cpu io memory pids\n',
  [`${C}/user.slice/cgroup.subtree_control`]: 'cpu memory pids\n',
  [`${C}/user.slice/user-1000.slice/cgroup.procs`]: '', [`${C}/user.slice/user-1000.slice/cgroup.controllers`]: 'cpu memory pids\n',
  [`${C}/user.slice/user-1000.slice/cgroup.subtree_control`]: 'cpu memory pids\n',
  [`${USER}/cgroup.procs`]: '', [`${USER}/cgroup.controllers`]: 'cpu memory pids\n', [`${USER}/cgroup.subtree_control`]: 'cpu memory pids\n',
  [`${USER}/app.slice/cgroup.procs`]: '', [`${USER}/app.slice/cgroup.controllers`]: 'cpu memory pids\n',
  [`${USER}/app.slice/cgroup.subtree_control`]: 'memory\n',
}
const SELF_USER = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope\n'

test('rootless v2 with delegation: a sibling of our cgroup, delegated controllers only', () => {
  const plan = planCgroup(base({
    rootless: true, cgroupsPath: undefined, selfCgroup: SELF_USER, readFile: fake(ROOTLESS_FILES),
    canWrite: d => d.startsWith(USER),
    resources: { memory: { limit: 64 * MiB }, pids: { limit: 50 }, cpu: { cpus: '0' }, blockIO: { weight: 100 } },
  }))
  assert.equal(plan, {
    dirs: [`${USER}/app.slice/cocker-abc`],
    writes: [
      [`${USER}/app.slice/cgroup.subtree_control`, '+pids'],
      [`${USER}/app.slice/cocker-abc/memory.max`, '67108864'],
      [`${USER}/app.slice/cocker-abc/pids.max`, '50'],
    ],
    procs: [`${USER}/app.slice/cocker-abc/cgroup.procs`],
    warnings: [],
    unavailable: [
      { limits: ['cpu.cpus'], why: 'the cpuset controller is not available below /sys/fs/cgroup/user.slice (cgroup v2)' },
      { limits: ['blockIO.weight'], why: 'the io controller is not available below /sys/fs/cgroup/user.slice (cgroup v2)' },
    ],
  })
})

test('rootless v2 without delegation: no cgroup; unavailable only when limits were asked for', () => {
  const opts = base({ rootless: true, cgroupsPath: undefined, selfCgroup: SELF_USER, readFile: fake(ROOTLESS_FILES), canWrite: () => false })
  assert.equal(planCgroup({ ...opts, resources: { pids: { limit: 5 } } }), {
    dirs: [], writes: [], procs: [], warnings: [],
    unavailable: [{ limits: ['pids'], why: `cgroup v2: ${USER}/app.slice is not writable by this user (no delegation)` }],
  })
  assert.equal(planCgroup(opts), { dirs: [], writes: [], procs: [], warnings: [], unavailable: [] })
})

test('no resources: the cgroup is still made, for pause, ps and stats', () => {
  const plan = planCgroup(base({ readFile: fake({ [`${C}/cgroup.controllers`]: ALL_V2 }) }))
  assert.equal(plan, { dirs: [`${C}/cocker/abc`], writes: [], procs: [`${C}/cocker/abc/cgroup.procs`], warnings: [], unavailable: [] })
})

test('no cgroup mounts: unavailable when limits were asked for', () => {
  const none = detectCgroups('', fake({}))
  assert.equal(planCgroup(base({ layout: none, resources: { pids: { limit: 1 } } })).unavailable,
    [{ limits: ['pids'], why: 'no cgroup hierarchy is mounted' }])
})

test('cgroupDirs matches the plan, and is empty for rootless on v1', () => {
  assert.equal(cgroupDirs(hybrid, undefined, 'abc', false, false), planCgroup(base({ layout: hybrid, cgroupsPath: undefined })).dirs)
  assert.equal(cgroupDirs(hybrid, undefined, 'abc', true, false), [])
  assert.equal(cgroupDirs(v2, undefined, 'abc', true, false, SELF_USER), [`${USER}/app.slice/cocker-abc`])
})

test.run()
