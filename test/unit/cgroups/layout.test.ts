import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { detectCgroups, parseSelfCgroup } from '../../../lib/cgroups/layout.js'
import { HYBRID_CGROUP_MOUNTS } from '../../fixtures/cgroup-mounts.js'

// /proc/self/mountinfo of the development VM, with the mounts around the cgroup ones.
const HYBRID = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
${HYBRID_CGROUP_MOUNTS}`

// A systemd v1 host (CentOS 7 style): co-mounted controllers, optional fields, extra super options.
const V1 = `25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,net_cls,net_prio
32 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpuset,clone_children
33 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
34 25 0:31 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,blkio
35 25 0:32 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,devices
36 25 0:33 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,freezer
37 25 0:34 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,hugetlb
`

// A current distro: one cgroup2 hierarchy at /sys/fs/cgroup.
const V2 = `24 23 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
25 24 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`

const files = (m: Record<string, string>) => (f: string): string | undefined => m[f]

test('hybrid: v1 controllers, name=systemd, and the cgroup2 mount with its controllers', () => {
  const layout = detectCgroups(HYBRID, files({ '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n' }))
  const C = '/sys/fs/cgroup'
  assert.equal(layout.version, 'hybrid')
  assert.equal(layout.v1, {
    cpu: `${C}/cpu`, cpuacct: `${C}/cpuacct`, cpuset: `${C}/cpuset`, memory: `${C}/memory`, devices: `${C}/devices`,
    freezer: `${C}/freezer`, blkio: `${C}/blkio`, pids: `${C}/pids`, 'name=systemd': `${C}/systemd`,
  })
  assert.is(layout.unified, `${C}/unified`)
  assert.equal(layout.unifiedControllers, ['hugetlb'])
  assert.is(layout.roots?.[`${C}/unified`], '/')
})

test('v1: co-mounted controllers share a mount point; options are not controllers', () => {
  const layout = detectCgroups(V1, files({}))
  assert.equal(layout.version, 'v1')
  assert.is(layout.unified, undefined)
  assert.equal(layout.unifiedControllers, [])
  assert.is(layout.v1.cpu, '/sys/fs/cgroup/cpu,cpuacct')
  assert.is(layout.v1.cpuacct, '/sys/fs/cgroup/cpu,cpuacct')
  assert.is(layout.v1.net_prio, '/sys/fs/cgroup/net_cls,net_prio')
  assert.is(layout.v1['name=systemd'], '/sys/fs/cgroup/systemd')
  assert.not.ok('xattr' in layout.v1)
  assert.not.ok('clone_children' in layout.v1)
  assert.equal(Object.keys(layout.v1).length, 12)
})

test('v2: one cgroup2 mount', () => {
  const layout = detectCgroups(V2, files({ '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n' }))
  assert.equal(layout, {
    version: 'v2', v1: {}, unified: '/sys/fs/cgroup',
    unifiedControllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'], roots: { '/sys/fs/cgroup': '/' },
  })
})

test('mount points with escaped characters and bind-mounted subtrees', () => {
  const layout = detectCgroups('40 1 0:38 /docker/abc /my\\040cgroup rw - cgroup2 cgroup2 rw\n', files({}))
  assert.is(layout.unified, '/my cgroup')
  assert.equal(layout.roots, { '/my cgroup': '/docker/abc' })
})

test('no cgroup mounts at all', () => {
  assert.equal(detectCgroups(`27 1 254:0 / / rw - ext4 /dev/vda rw\n`, files({})), { version: 'v1', v1: {}, unifiedControllers: [], roots: {} })
})

test('a v1 hierarchy mounted twice keeps its first mount point', () => {
  const twice = `${V1}50 25 0:27 / /mnt/memory rw - cgroup cgroup rw,memory\n`
  assert.is(detectCgroups(twice, files({})).v1.memory, '/sys/fs/cgroup/memory')
})

test('parseSelfCgroup maps every controller, and cgroup2 to ""', () => {
  const self = parseSelfCgroup('9:name=systemd:/\n4:memory:/process_api/314e\n2:cpu,cpuacct:/a b\n0::/user.slice\n')
  assert.equal(self, { 'name=systemd': '/', memory: '/process_api/314e', cpu: '/a b', cpuacct: '/a b', '': '/user.slice' })
})

test.run()
