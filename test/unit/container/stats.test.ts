// stats: what is read of a container's cgroup (v1, v2, hybrid) or, without one, of its
// processes, and Podman's percentages and units.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CgroupLayout } from '../../../lib/cgroups/index.js'
import { blockIo, netDev, sampleContainer, withPercents, type StatsHost, type StatsSample } from '../../../lib/container/stats.js'
import { bytesSize, goDurationNs, humanSize, statsJson, statsRow } from '../../../lib/cli/render/stats.js'

const GiB = 1024 ** 3
const V1: CgroupLayout = {
  version: 'hybrid', unified: '/sys/fs/cgroup/unified', unifiedControllers: [],
  v1: { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids', blkio: '/sys/fs/cgroup/blkio' },
  roots: {},
}
const V2: CgroupLayout = { version: 'v2', unified: '/sys/fs/cgroup', unifiedControllers: ['cpu', 'io', 'memory', 'pids'], v1: {}, roots: {} }
const CT = '/cocker/abc'
const PROC_CGROUP = `4:memory:${CT}\n3:pids:${CT}\n2:cpuacct:${CT}\n1:cpu:${CT}\n7:blkio:${CT}\n0::${CT}\n`
const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    1920      20    0    0    0     0          0         0      866       9    0    0    0     0       0          0
`

function host(layout: CgroupLayout, files: Record<string, string>, o: Partial<StatsHost> = {}): StatsHost {
  return { layout, rootless: false, memTotal: 16 * GiB, read: f => files[f], pids: async () => [], now: () => 2_000_000_000_000_000_000, ...o }
}
const target = { id: 'abc'.padEnd(64, '0'), name: 'web', pid: 42, startedAt: new Date(1_999_999_990_000).toISOString() }

test('cgroup v1 (hybrid host): cpuacct, memory with its limit, pids, the throttle layer\'s bytes, the netns\'s interfaces but lo', async () => {
  const s = await sampleContainer(target, host(V1, {
    '/proc/42/cgroup': PROC_CGROUP, '/proc/42/net/dev': NET_DEV,
    [`/sys/fs/cgroup/cpuacct${CT}/cpuacct.usage`]: '8016127\n',
    [`/sys/fs/cgroup/memory${CT}/memory.usage_in_bytes`]: '225280\n',
    [`/sys/fs/cgroup/memory${CT}/memory.limit_in_bytes`]: '67108864\n',
    [`/sys/fs/cgroup/pids${CT}/pids.current`]: '3\n',
    [`/sys/fs/cgroup/blkio${CT}/blkio.io_service_bytes_recursive`]: 'Total 0\n',
    [`/sys/fs/cgroup/blkio${CT}/blkio.throttle.io_service_bytes_recursive`]: '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\nTotal 12288\n',
  }))
  assert.equal({ ...s, at: 0, startedNs: 0 }, {
    id: target.id, name: 'web', at: 0, startedNs: 0, source: 'cgroup', cpuNs: 8016127, memUsage: 225280, memLimit: 64 * 1024 * 1024,
    pids: 3, blockInput: 4096, blockOutput: 8192, netInput: 1920, netOutput: 866,
  })
})

test('cgroup v2: cpu.stat, memory.current, "max" is the host\'s memory, io.stat', async () => {
  const s = await sampleContainer(target, host(V2, {
    '/proc/42/cgroup': `0::${CT}\n`,
    [`/sys/fs/cgroup${CT}/cpu.stat`]: 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n',
    [`/sys/fs/cgroup${CT}/memory.current`]: '4096\n',
    [`/sys/fs/cgroup${CT}/memory.max`]: 'max\n',
    [`/sys/fs/cgroup${CT}/pids.current`]: '2\n',
    [`/sys/fs/cgroup${CT}/io.stat`]: '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=1 wbytes=2\n',
  }))
  assert.equal([s.cpuNs, s.memUsage, s.memLimit, s.pids, s.blockInput, s.blockOutput], [1_500_000, 4096, 16 * GiB, 2, 101, 202])
})

test('an unlimited v1 memory.limit_in_bytes (2^63 rounded to pages) is the host\'s memory', async () => {
  const s = await sampleContainer(target, host(V1, {
    '/proc/42/cgroup': PROC_CGROUP, [`/sys/fs/cgroup/memory${CT}/memory.limit_in_bytes`]: '9223372036854771712\n',
  }))
  assert.is(s.memLimit, 16 * GiB)
})

test('rootless on cgroup v1: summed over the processes (ticks, Pss, threads, /proc/PID/io), with the reason', async () => {
  const stat = (threads: number) => `7 (s h) S 1 7 7 0 -1 4194560 1 0 0 0 3 2 1 0 20 0 ${threads} 0 100 0 0`
  const s = await sampleContainer(target, host(V1, {
    '/proc/7/stat': stat(1), '/proc/8/stat': stat(2),
    '/proc/7/smaps_rollup': 'Rss: 900 kB\nPss: 300 kB\n', '/proc/8/smaps_rollup': 'Rss: 100 kB\nPss: 100 kB\n',
    '/proc/7/io': 'rchar: 9\nread_bytes: 4096\nwrite_bytes: 0\n', '/proc/8/io': 'read_bytes: 0\nwrite_bytes: 512\n',
  }, { rootless: true, pids: async () => [7, 8, 9] }))
  assert.is(s.source, 'proc')
  assert.is(s.why, 'cgroup v1 cannot be delegated to an unprivileged user')
  // (3+2+1+0) ticks of 10 ms each, twice
  assert.equal([s.cpuNs, s.memUsage, s.memLimit, s.pids, s.blockInput, s.blockOutput], [120_000_000, 400 * 1024, 16 * GiB, 3, 4096, 512])
})

test('rootless on v2 in its monitor\'s cgroup (no delegation) has no cgroup of its own; --cgroups disabled neither', async () => {
  const files = { '/proc/42/cgroup': '0::/user.slice/session-1.scope\n', '/proc/41/cgroup': '0::/user.slice/session-1.scope\n' }
  assert.is((await sampleContainer({ ...target, monitorPid: 41 }, host(V2, files, { rootless: true }))).why, 'no cgroup v2 subtree is delegated to this user')
  assert.is((await sampleContainer({ ...target, cgroupsDisabled: true }, host(V2, files))).why, 'it runs with --cgroups disabled')
  assert.is((await sampleContainer({ ...target, monitorPid: 41 }, host(V2, { ...files, '/proc/42/cgroup': '0::/user.slice/cocker-abc\n' }, { rootless: true }))).source, 'cgroup')
})

test('a container that does not run is all zeros', async () => {
  const s = await sampleContainer({ ...target, pid: 0 }, host(V1, {}))
  assert.equal([s.source, s.cpuNs, s.memLimit, s.pids, s.startedNs], ['none', 0, 0, 0, 0])
})

test('CPU %: since the start without a previous sample (as Podman\'s first report), else over the interval', () => {
  const s: StatsSample = { id: 'x', name: 'x', cpuNs: 5e9, memUsage: 1, memLimit: 4, netInput: 0, netOutput: 0, blockInput: 0, blockOutput: 0,
    pids: 1, at: 20e9, startedNs: 10e9, source: 'cgroup' }
  const first = withPercents(s)
  assert.equal([first.cpuPercent, first.avgCpuPercent, first.memPercent], [50, 50, 25])
  const next = withPercents({ ...s, cpuNs: 6e9, at: 22e9 }, s)
  assert.equal([next.cpuPercent, next.avgCpuPercent], [50, 50])
  // a restart: the previous sample is of another run
  assert.is(withPercents({ ...s, cpuNs: 1e9, at: 22e9, startedNs: 21e9 }, s).cpuPercent, 100)
})

test('Podman\'s units: HumanSize, BytesSize, Go durations, JSON keys', () => {
  assert.equal([humanSize(0), humanSize(426), humanSize(507904), humanSize(67108864), humanSize(25276166144)], ['0B', '426B', '507.9kB', '67.11MB', '25.28GB'])
  assert.equal([bytesSize(507904), bytesSize(67108864), bytesSize(25276166144)], ['496KiB', '64MiB', '23.54GiB'])
  assert.equal([goDurationNs(0), goDurationNs(7857376), goDurationNs(1386979217), goDurationNs(62.5e9), goDurationNs(345000)], ['0s', '7.857376ms', '1.386979217s', '1m2.5s', '345µs'])
  const row = statsRow(withPercents({ id: 'a'.repeat(64), name: 'web', cpuNs: 7857376, memUsage: 507904, memLimit: 67108864, netInput: 0, netOutput: 1220,
    blockInput: 0, blockOutput: 0, pids: 1, at: 2e9, startedNs: 1e9, source: 'cgroup' }), false)
  assert.is(statsJson([row]), `[
 {
  "id": "aaaaaaaaaaaa",
  "name": "web",
  "cpu_time": "7.857376ms",
  "cpu_percent": "0.79%",
  "avg_cpu": "0.79%",
  "mem_usage": "507.9kB / 67.11MB",
  "mem_percent": "0.76%",
  "net_io": "0B / 1.22kB",
  "block_io": "0B / 0B",
  "pids": "1"
 }
]
`)
  assert.is(statsJson([]), '[]\n')
})

test('net/dev and block I/O parsers', () => {
  assert.equal(netDev(NET_DEV), [1920, 866])
  assert.equal(netDev(undefined), [0, 0])
  assert.equal(blockIo('8:0 Read 1\n8:16 Read 2\n8:0 Write 3\nTotal 6\n'), [3, 3])
})

test.run()
