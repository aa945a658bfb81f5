import { CockerError } from '../errors.js'
import type { DeviceCgroup, Resources, ThrottleDevice } from '../runtime/oci-spec.js'
import type { CgroupLayout } from './layout.js'

/** [file name in the container's cgroup dir, value]; each value is one write(2). */
export type CgroupWrite = [file: string, value: string]

/** Files to write, or a warning saying why this host cannot apply the field. */
type Writes = CgroupWrite[] | string

interface Side<T> {
  /** the controller that provides the files ('' for linux.resources.unified: per key) */
  ctrl: string
  /** `has` tells whether a file exists in the hierarchy (checked in the nearest existing ancestor) */
  files: (value: T, r: Resources, has: (file: string) => boolean) => Writes
}

/** How one linux.resources field maps to cgroup v1 and v2 files. */
export interface ResourceRule {
  /** path under linux.resources */
  field: string
  /** the field's value, undefined when unset */
  get(r: Resources): unknown
  v1?: Side<unknown>
  v2?: Side<unknown>
  /** why the field cannot be applied on a hierarchy kind without a writer */
  missing?: string
}

function rule<T>(field: string, get: (r: Resources) => T | undefined, sides: { v1?: Side<T>; v2?: Side<T>; missing?: string }): ResourceRule {
  return { field, get, ...sides } as ResourceRule
}

/** One file, one value: the common case. */
const file = <T>(ctrl: string, name: string, format: (v: T) => string = String): Side<T> => ({ ctrl, files: v => [[name, format(v)]] })

// OCI (like runc) treats 0 as "not set" for most numbers; these keep only real values.
const nz = (v: number | undefined): number | undefined => (v === 0 ? undefined : v)
const some = <T>(a: T[] | undefined): T[] | undefined => (a?.length ? a : undefined)
/** v2 spells "unlimited" as max; OCI as -1 (any negative). */
const max = (v: number): string => (v < 0 ? 'max' : String(v))
type Cpu = NonNullable<Resources['cpu']>
const pidsMax = (v: number): string => (v <= 0 ? 'max' : String(v))
const dev = (d: { major: number; minor: number }): string => `${d.major}:${d.minor}`

/** cpu.shares (2..262144) to cpu.weight (1..10000), runc's linear map. */
export function sharesToWeight(shares: number): number {
  const s = Math.min(Math.max(shares, 2), 262144)
  return 1 + Math.floor(((s - 2) * 9999) / 262142)
}

/** blkio.weight (10..1000) to io.weight (1..10000), as runc and crun convert. */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990)
}

/** OCI swap is memory+swap (v1's memsw); v2's memory.swap.max is swap alone. */
export function swapToV2(swap: number, limit: number | undefined): string {
  return swap < 0 ? 'max' : String(swap - (limit ?? 0))
}

const THROTTLES = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device', 'wiops'],
] as const

type Throttle = [v1File: string, v2Key: string, ThrottleDevice]

function throttles(r: Resources): Throttle[] | undefined {
  return some(THROTTLES.flatMap(([k, v1, v2]) => (r.blockIO?.[k] ?? []).map((t): Throttle => [v1, v2, t])))
}

/** v2 io.max takes one line per device with all its limits. */
function ioMax(list: Throttle[]): CgroupWrite[] {
  const lines = new Map<string, string[]>()
  for (const [, key, t] of list) lines.set(dev(t), [...(lines.get(dev(t)) ?? []), `${key}=${t.rate}`])
  return [...lines].map(([d, kv]) => ['io.max', `${d} ${kv.join(' ')}`])
}

// CFQ had blkio.weight even in the root cgroup. BFQ calls it blkio.bfq.weight and leaves it
// out of the root cgroup, so there its statistics files are what tells that BFQ is in use.
function blkioPrefix(has: (file: string) => boolean): string | undefined {
  if (has('blkio.weight')) return 'blkio.'
  if (has('blkio.bfq.weight') || has('blkio.bfq.io_service_bytes')) return 'blkio.bfq.'
  return undefined
}
const NO_BLKIO_WEIGHT = 'the I/O scheduler has no blkio weight files: it needs CFQ or BFQ'

function deviceRules(rules: DeviceCgroup[]): CgroupWrite[] {
  return rules.flatMap((d): CgroupWrite[] => {
    const target = d.allow ? 'devices.allow' : 'devices.deny'
    const type = d.type ?? 'a'
    const access = d.access ?? 'rwm'
    const majmin = `${(d.major ?? -1) < 0 ? '*' : d.major}:${(d.minor ?? -1) < 0 ? '*' : d.minor}`
    if (type === 'a' && majmin === '*:*' && access.length === 3) return [[target, 'a']]
    // The kernel reads a type "a" line as "all devices, all access" whatever follows, so a
    // narrower "a" rule is written as its char and block halves.
    return (type === 'a' ? ['c', 'b'] : [type]).map((t): CgroupWrite => [target, `${t} ${majmin} ${access}`])
  })
}

/**
 * linux.resources field by field, in write order. Order matters within v1: the CFS period
 * before the quota checked against it, memory.limit before memsw (which must be >= it).
 * linux.resources.unified is last so its raw values win, as in runc. Not written:
 * memory.useHierarchy (always on since Linux 5.16) and memory.checkBeforeUpdate (update only).
 */
export const RULES: ResourceRule[] = [
  rule('memory.limit', r => nz(r.memory?.limit), {
    v1: file('memory', 'memory.limit_in_bytes'),
    v2: file('memory', 'memory.max', max),
  }),
  rule('memory.reservation', r => nz(r.memory?.reservation), {
    v1: file('memory', 'memory.soft_limit_in_bytes'),
    v2: file('memory', 'memory.low', max),
  }),
  rule('memory.swap', r => nz(r.memory?.swap), {
    v1: {
      ctrl: 'memory',
      files: (v, _, has) => (has('memory.memsw.limit_in_bytes') ? [['memory.memsw.limit_in_bytes', String(v)]]
        : 'this kernel does not account swap (no memory.memsw.limit_in_bytes; boot with swapaccount=1)'),
    },
    v2: { ctrl: 'memory', files: (v, r) => [['memory.swap.max', swapToV2(v, r.memory?.limit)]] },
  }),
  rule('memory.kernel', r => nz(r.memory?.kernel), { missing: 'kernel memory limits are deprecated by Linux' }),
  rule('memory.kernelTCP', r => nz(r.memory?.kernelTCP), { v1: file('memory', 'memory.kmem.tcp.limit_in_bytes') }),
  rule('memory.swappiness', r => r.memory?.swappiness, { v1: file('memory', 'memory.swappiness') }),
  rule('memory.disableOOMKiller', r => r.memory?.disableOOMKiller || undefined, { v1: file('memory', 'memory.oom_control', () => '1') }),
  rule('cpu.shares', r => nz(r.cpu?.shares), {
    v1: file('cpu', 'cpu.shares'),
    v2: file('cpu', 'cpu.weight', (v: number) => String(sharesToWeight(v))),
  }),
  rule('cpu.quota', r => ((nz(r.cpu?.quota) ?? nz(r.cpu?.period)) !== undefined ? r.cpu : undefined), {
    v1: {
      ctrl: 'cpu',
      files: c => [
        ...(c.period ? [['cpu.cfs_period_us', String(c.period)] as CgroupWrite] : []),
        ...(c.quota ? [['cpu.cfs_quota_us', String(c.quota)] as CgroupWrite] : []),
      ],
    },
    v2: file('cpu', 'cpu.max', (c: Cpu) => `${c.quota && c.quota > 0 ? c.quota : 'max'}${c.period ? ` ${c.period}` : ''}`),
  }),
  rule('cpu.burst', r => r.cpu?.burst, { v1: file('cpu', 'cpu.cfs_burst_us'), v2: file('cpu', 'cpu.max.burst') }),
  rule('cpu.realtimeRuntime', r => ((nz(r.cpu?.realtimePeriod) ?? nz(r.cpu?.realtimeRuntime)) !== undefined ? r.cpu : undefined), {
    v1: {
      ctrl: 'cpu',
      files: c => [
        ...(c.realtimePeriod ? [['cpu.rt_period_us', String(c.realtimePeriod)] as CgroupWrite] : []),
        ...(c.realtimeRuntime ? [['cpu.rt_runtime_us', String(c.realtimeRuntime)] as CgroupWrite] : []),
      ],
    },
  }),
  rule('cpu.idle', r => r.cpu?.idle, { v1: file('cpu', 'cpu.idle'), v2: file('cpu', 'cpu.idle') }),
  rule('cpu.cpus', r => r.cpu?.cpus || undefined, { v1: file('cpuset', 'cpuset.cpus'), v2: file('cpuset', 'cpuset.cpus') }),
  rule('cpu.mems', r => r.cpu?.mems || undefined, { v1: file('cpuset', 'cpuset.mems'), v2: file('cpuset', 'cpuset.mems') }),
  rule('pids.limit', r => r.pids?.limit, {
    v1: file('pids', 'pids.max', pidsMax),
    v2: file('pids', 'pids.max', pidsMax),
  }),
  rule('blockIO.weight', r => nz(r.blockIO?.weight), {
    v1: { ctrl: 'blkio', files: (v, _, has) => { const p = blkioPrefix(has); return p ? [[`${p}weight`, String(v)]] : NO_BLKIO_WEIGHT } },
    v2: file('io', 'io.weight', (v: number) => String(blkioToIoWeight(v))),
  }),
  rule('blockIO.leafWeight', r => nz(r.blockIO?.leafWeight) ?? r.blockIO?.weightDevice?.find(d => nz(d.leafWeight)), {
    missing: 'leaf weights went away with the CFQ I/O scheduler (Linux 5.0)',
  }),
  rule('blockIO.weightDevice', r => some(r.blockIO?.weightDevice?.filter(d => nz(d.weight))), {
    v1: {
      ctrl: 'blkio',
      files: (list, _, has) => {
        const p = blkioPrefix(has)
        return p ? list.map((d): CgroupWrite => [`${p}weight_device`, `${dev(d)} ${d.weight}`]) : NO_BLKIO_WEIGHT
      },
    },
    v2: { ctrl: 'io', files: list => list.map(d => ['io.weight', `${dev(d)} ${blkioToIoWeight(d.weight!)}`]) },
  }),
  rule('blockIO.throttle', throttles, {
    v1: { ctrl: 'blkio', files: list => list.map(([f, , t]): CgroupWrite => [f, `${dev(t)} ${t.rate}`]) },
    v2: { ctrl: 'io', files: ioMax },
  }),
  rule('hugepageLimits', r => some(r.hugepageLimits), {
    v1: { ctrl: 'hugetlb', files: list => list.map(h => [`hugetlb.${h.pageSize}.limit_in_bytes`, String(h.limit)]) },
    v2: { ctrl: 'hugetlb', files: list => list.map(h => [`hugetlb.${h.pageSize}.max`, String(h.limit)]) },
  }),
  rule('devices', r => some(r.devices), {
    // on cgroup v2, planCgroup turns the rules into an eBPF program (device-filter.ts)
    v1: { ctrl: 'devices', files: deviceRules },
  }),
  rule('network.classID', r => nz(r.network?.classID), { v1: file('net_cls', 'net_cls.classid') }),
  rule('network.priorities', r => some(r.network?.priorities), {
    v1: { ctrl: 'net_prio', files: list => list.map(p => ['net_prio.ifpriomap', `${p.name} ${p.priority}`]) },
  }),
  rule('rdma', r => some(Object.entries(r.rdma ?? {})), {
    v1: { ctrl: 'rdma', files: list => list.map(rdmaLine) },
    v2: { ctrl: 'rdma', files: list => list.map(rdmaLine) },
  }),
  rule('unified', r => some(Object.entries(r.unified ?? {})), { v2: { ctrl: '', files: list => list } }),
]

function rdmaLine([hca, l]: [string, { hcaHandles?: number; hcaObjects?: number }]): CgroupWrite {
  const kv = [l.hcaHandles !== undefined && `hca_handle=${l.hcaHandles}`, l.hcaObjects !== undefined && `hca_object=${l.hcaObjects}`]
  return ['rdma.max', [hca, ...kv.filter(Boolean)].join(' ')]
}

/** The groups of linux.resources that ask for a limit, for "running without …" warnings. */
export function requestedLimits(r: Resources | undefined): string[] {
  // Device rules are left out: every container carries them, and without a device cgroup an
  // unprivileged user still cannot mknod or open the host's devices.
  const set = RULES.filter(x => x.field !== 'devices' && r && x.get(r) !== undefined).map(x => x.field.split('.')[0]!)
  return [...new Set(set)]
}

/** linux.resources.unified keys that name a controller (memory.high -> memory), to enable it. */
export function unifiedControllers(r: Resources): string[] {
  return Object.keys(r.unified ?? {}).map(k => k.split('.')[0]!).filter(c => c !== 'cgroup')
}

const bad = (field: string, value: unknown, why: string): CockerError =>
  new CockerError('INVALID_ARGUMENT', `linux.resources.${field}: ${JSON.stringify(value)} ${why}`)

function int(field: string, v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER, unsetZero = false): void {
  if (v === undefined || (unsetZero && v === 0)) return
  if (Number.isInteger(v) && v >= min && v <= max) return
  if (min === -Infinity) throw bad(field, v, 'is not an integer')
  throw bad(field, v, max === Number.MAX_SAFE_INTEGER ? `is not an integer >= ${min}` : `is not an integer from ${min} to ${max}`)
}

/** "0-3,8,10-11" as cpuset.cpus takes it (bitmap_parselist, including "0-15:2/4" strides). */
const isIdList = (s: string): boolean =>
  s.split(',').every(part => {
    const m = /^(\d+)(?:-(\d+)(?::\d+\/\d+)?)?$/.exec(part.trim())
    return m !== null && (m[2] === undefined || Number(m[1]) <= Number(m[2]))
  })

/** Rejects values the kernel would refuse or misread, naming the field. */
export function validateResources(r: Resources, version: CgroupLayout['version']): void {
  const { memory: m, cpu: c, blockIO: b } = r
  for (const k of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) int(`memory.${k}`, m?.[k], -1)
  int('memory.swappiness', m?.swappiness, 0, 100)
  if (m?.swap !== undefined && m.swap > 0) {
    if (!m.limit || m.limit < 0) throw bad('memory.swap', m.swap, 'needs memory.limit too (it limits memory+swap)')
    if (m.swap < m.limit) throw bad('memory.swap', m.swap, `is less than memory.limit ${m.limit} (it limits memory+swap)`)
  }
  int('cpu.shares', c?.shares, 0)
  int('cpu.quota', c?.quota, -Infinity)
  if (c?.quota && c.quota > 0) int('cpu.quota', c.quota, 1000)
  int('cpu.period', c?.period, 1000, 1000000, true)
  int('cpu.burst', c?.burst, 0)
  int('cpu.realtimePeriod', c?.realtimePeriod, 0)
  int('cpu.realtimeRuntime', c?.realtimeRuntime, -1)
  int('cpu.idle', c?.idle, 0, 1)
  if (c?.cpus && !isIdList(c.cpus)) throw bad('cpu.cpus', c.cpus, 'is not a CPU list')
  if (c?.mems && !isIdList(c.mems)) throw bad('cpu.mems', c.mems, 'is not a memory node list')
  int('pids.limit', r.pids?.limit, -Infinity)
  int('blockIO.weight', b?.weight, 10, 1000, true)
  int('blockIO.leafWeight', b?.leafWeight, 10, 1000, true)
  b?.weightDevice?.forEach((d, i) => {
    int(`blockIO.weightDevice[${i}].major`, d.major, 0)
    int(`blockIO.weightDevice[${i}].minor`, d.minor, 0)
    int(`blockIO.weightDevice[${i}].weight`, d.weight, 10, 1000, true)
    int(`blockIO.weightDevice[${i}].leafWeight`, d.leafWeight, 10, 1000, true)
  })
  for (const [k] of THROTTLES) {
    b?.[k]?.forEach((t, i) => {
      int(`blockIO.${k}[${i}].major`, t.major, 0)
      int(`blockIO.${k}[${i}].minor`, t.minor, 0)
      int(`blockIO.${k}[${i}].rate`, t.rate, 0)
    })
  }
  r.hugepageLimits?.forEach((h, i) => {
    if (!/^[1-9]\d*[KMG]B$/.test(h.pageSize)) throw bad(`hugepageLimits[${i}].pageSize`, h.pageSize, 'is not a page size like "2MB"')
    int(`hugepageLimits[${i}].limit`, h.limit, 0)
  })
  r.devices?.forEach((d, i) => {
    if (d.type !== undefined && !['a', 'b', 'c'].includes(d.type)) throw bad(`devices[${i}].type`, d.type, 'is not one of "a", "b", "c"')
    int(`devices[${i}].major`, d.major, -1)
    int(`devices[${i}].minor`, d.minor, -1)
    if (d.access !== undefined && !/^(?!.*(.).*\1)[rwm]{1,3}$/.test(d.access)) throw bad(`devices[${i}].access`, d.access, 'is not made of r, w, m')
  })
  int('network.classID', r.network?.classID, 0, 0xffffffff)
  r.network?.priorities?.forEach((p, i) => {
    if (!/^[^\s/]+$/.test(p.name)) throw bad(`network.priorities[${i}].name`, p.name, 'is not an interface name')
    int(`network.priorities[${i}].priority`, p.priority, 0, 0xffffffff)
  })
  for (const [hca, l] of Object.entries(r.rdma ?? {})) {
    if (!/^\S+$/.test(hca)) throw bad('rdma', hca, 'is not an RDMA device name')
    int(`rdma.${hca}.hcaHandles`, l.hcaHandles, 0)
    int(`rdma.${hca}.hcaObjects`, l.hcaObjects, 0)
  }
  if (r.unified && Object.keys(r.unified).length) {
    if (version === 'v1') throw new CockerError('NOT_SUPPORTED', 'linux.resources.unified needs cgroup v2', { hint: 'this host mounts only cgroup v1 hierarchies' })
    for (const [k, v] of Object.entries(r.unified)) {
      // Keys are file names inside the container's cgroup, never paths out of it.
      if (k === '' || k.includes('/') || k === '.' || k === '..') throw bad(`unified`, k, 'is not a cgroup file name')
      if (typeof v !== 'string') throw bad(`unified.${k}`, v, 'is not a string')
    }
  }
}
