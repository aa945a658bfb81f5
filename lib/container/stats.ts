/**
 * `stats`: what a container uses, read from its cgroup (cgroup v1 or v2, each controller where
 * this host mounts it) as Podman reads it, and its network counters from /proc/PID/net/dev (its
 * network namespace). Where the container has no cgroup of its own (rootless on cgroup v1, v2
 * without delegation, --cgroups disabled) the same figures are summed over its processes in
 * /proc: a rootless user may read those of the containers it owns (it holds every capability
 * in their user namespace), only their cgroup is the user's own, shared with everything else.
 */
import { posix } from 'node:path'
import type { CgroupLayout } from '../cgroups/index.js'
import { parseSelfCgroup } from '../cgroups/layout.js'

/** One reading of one container. Times in nanoseconds, sizes in bytes. */
export interface StatsSample {
  id: string
  name: string
  /** CPU time used since the container started. */
  cpuNs: number
  memUsage: number
  memLimit: number
  netInput: number
  netOutput: number
  blockInput: number
  blockOutput: number
  /** Tasks (threads) in the container, as pids.current counts them. */
  pids: number
  /** When it was read (ns since the epoch), and when the container started (0: not running). */
  at: number
  startedNs: number
  /** Where the figures come from; `why` says why not from a cgroup. */
  source: 'cgroup' | 'proc' | 'none'
  why?: string
}

/** A sample with Podman's percentages: CPU over the last interval (or since the start), average since the start. */
export interface ContainerStats extends StatsSample {
  cpuPercent: number
  avgCpuPercent: number
  memPercent: number
}

/** What a reading needs from the host; tests give their own. */
export interface StatsHost {
  layout: CgroupLayout
  rootless: boolean
  /** The host's memory: the limit of a container without one (Podman's sysinfo totalram). */
  memTotal: number
  /** A file's text, undefined when it cannot be read. */
  read(file: string): string | undefined
  /** The host pids of the container's processes, for a container without a cgroup of its own. */
  pids(): Promise<number[]>
  now(): number
}

export interface StatsTarget {
  id: string
  name: string
  /** The init's host pid; 0 when the container is not running. */
  pid: number
  /** The monitor's pid: a container in the same cgroup as its monitor has no cgroup of its own. */
  monitorPid?: number
  startedAt?: string
  cgroupsDisabled?: boolean
}

const TICKS = 100 // USER_HZ, the unit of /proc/PID/stat times on every architecture Linux runs on
const NS_PER_TICK = 1e9 / TICKS

const num = (text: string | undefined): number | undefined => {
  const n = Number(text?.trim())
  return text === undefined || text.trim() === '' || !Number.isFinite(n) ? undefined : n
}

/** "key value" lines (memory.stat, cpu.stat, /proc/PID/io with its colons) as a map. */
export function keyValues(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.replace(':', ' ').trim().split(/\s+/)
    if (k && v !== undefined && Number.isFinite(Number(v))) out.set(k, Number(v))
  }
  return out
}

/** Bytes received and sent on every interface of /proc/PID/net/dev but loopback. */
export function netDev(text: string | undefined): [number, number] {
  let rx = 0
  let tx = 0
  for (const line of (text ?? '').split('\n').slice(2)) {
    const colon = line.indexOf(':')
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number)
    rx += f[0] ?? 0
    tx += f[8] ?? 0
  }
  return [rx, tx]
}

/** Read and written bytes of v1 blkio "MAJ:MIN Read N" lines, or of v2 io.stat "MAJ:MIN rbytes=N wbytes=N …". */
export function blockIo(text: string | undefined): [number, number] {
  let read = 0
  let write = 0
  for (const line of (text ?? '').split('\n')) {
    const w = line.trim().split(/\s+/)
    if (w[1] === 'Read') read += Number(w[2])
    else if (w[1] === 'Write') write += Number(w[2])
    else for (const kv of w.slice(1)) {
      const [k, v] = kv.split('=')
      if (k === 'rbytes') read += Number(v)
      else if (k === 'wbytes') write += Number(v)
    }
  }
  return [read, write]
}

/** The container's dir in each hierarchy that has `controller` (v1 first, then cgroup v2), from /proc/PID/cgroup. */
export function controllerDir(layout: CgroupLayout, procCgroup: Record<string, string>, controller: string): { dir: string; v2: boolean } | undefined {
  const at = (mount: string, path: string) => {
    const rel = posix.relative(layout.roots?.[mount] ?? '/', path)
    return rel.startsWith('..') ? undefined : posix.join(mount, rel)
  }
  const v1 = layout.v1[controller]
  if (v1 && procCgroup[controller] !== undefined) {
    const dir = at(v1, procCgroup[controller]!)
    return dir === undefined ? undefined : { dir, v2: false }
  }
  if (layout.unified && procCgroup[''] !== undefined && (controller === 'cpu' || layout.unifiedControllers.includes(controller))) {
    const dir = at(layout.unified, procCgroup['']!)
    return dir === undefined ? undefined : { dir, v2: true }
  }
  return undefined
}

const ZERO = { cpuNs: 0, memUsage: 0, memLimit: 0, netInput: 0, netOutput: 0, blockInput: 0, blockOutput: 0, pids: 0 }

/**
 * Why the container has no cgroup of its own to read, or undefined when it has one. Its cgroup
 * is its monitor's when the runtime left it where it was started (v2 without delegation).
 */
export function noCgroupReason(t: StatsTarget, host: Pick<StatsHost, 'layout' | 'rootless' | 'read'>): string | undefined {
  if (t.cgroupsDisabled) return 'it runs with --cgroups disabled'
  if (host.rootless && host.layout.version !== 'v2') return 'cgroup v1 cannot be delegated to an unprivileged user'
  if (host.rootless && t.monitorPid) {
    const mine = parseSelfCgroup(host.read(`/proc/${t.pid}/cgroup`) ?? '')['']
    const monitor = parseSelfCgroup(host.read(`/proc/${t.monitorPid}/cgroup`) ?? '')['']
    if (mine !== undefined && mine === monitor) return 'no cgroup v2 subtree is delegated to this user'
  }
  return undefined
}

/** One reading of a container; zeros for one that does not run. */
export async function sampleContainer(t: StatsTarget, host: StatsHost): Promise<StatsSample> {
  const at = host.now()
  const base = { id: t.id, name: t.name, at, startedNs: t.pid && t.startedAt ? Date.parse(t.startedAt) * 1e6 : 0 }
  if (!t.pid) return { ...base, ...ZERO, source: 'none' }
  const [netInput, netOutput] = netDev(host.read(`/proc/${t.pid}/net/dev`))
  const why = noCgroupReason(t, host)
  if (why) return { ...base, ...fromProcesses(await host.pids(), host), netInput, netOutput, source: 'proc', why }
  return { ...base, ...fromCgroup(parseSelfCgroup(host.read(`/proc/${t.pid}/cgroup`) ?? ''), host), netInput, netOutput, source: 'cgroup' }
}

function fromCgroup(procCgroup: Record<string, string>, host: StatsHost) {
  const { layout, read } = host
  const file = (controller: string, v1: string, v2: string): string | undefined => {
    const d = controllerDir(layout, procCgroup, controller)
    return d && read(posix.join(d.dir, d.v2 ? v2 : v1))
  }
  const cpuacct = controllerDir(layout, procCgroup, 'cpuacct')
  const cpuNs = cpuacct && !cpuacct.v2 ? num(read(`${cpuacct.dir}/cpuacct.usage`)) ?? 0
    : (keyValues(file('cpu', 'cpu.stat', 'cpu.stat')).get('usage_usec') ?? 0) * 1000
  const memUsage = num(file('memory', 'memory.usage_in_bytes', 'memory.current')) ?? 0
  // unlimited is "max" on v2 and a page-rounded 2^63 on v1: both above the host's memory
  const limit = num(file('memory', 'memory.limit_in_bytes', 'memory.max'))
  const memLimit = limit === undefined || limit <= 0 || limit > host.memTotal ? host.memTotal : limit
  let pids = num(file('pids', 'pids.current', 'pids.current'))
  if (pids === undefined) {
    // no pids controller: count the tasks of the memory (or any) hierarchy
    const d = controllerDir(layout, procCgroup, 'memory') ?? controllerDir(layout, procCgroup, 'cpu')
    pids = d ? (read(`${d.dir}/${d.v2 ? 'cgroup.threads' : 'tasks'}`) ?? '').split('\n').filter(Boolean).length : 0
  }
  const blkio = controllerDir(layout, procCgroup, 'blkio')
  let io: [number, number] = [0, 0]
  if (blkio && !blkio.v2) {
    // runc's order: CFQ's counters, BFQ's, then the throttle layer's (which every kernel keeps)
    for (const f of ['blkio.io_service_bytes_recursive', 'blkio.bfq.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive']) {
      const text = read(`${blkio.dir}/${f}`)
      if (text !== undefined && /^\d+:\d+ /m.test(text)) {
        io = blockIo(text)
        break
      }
    }
  } else {
    const d = controllerDir(layout, procCgroup, 'io')
    if (d) io = blockIo(read(`${d.dir}/io.stat`))
  }
  return { cpuNs, memUsage, memLimit, pids, blockInput: io[0], blockOutput: io[1] }
}

/**
 * The figures summed over the container's processes: CPU time of each and of the children it
 * has reaped (/proc/PID/stat), proportional set size (smaps_rollup: shared pages counted once
 * in all), threads, and storage bytes (/proc/PID/io, which also holds reaped children's).
 */
function fromProcesses(pids: number[], host: StatsHost) {
  let cpuNs = 0
  let memUsage = 0
  let tasks = 0
  let blockInput = 0
  let blockOutput = 0
  for (const pid of pids) {
    const stat = host.read(`/proc/${pid}/stat`)
    if (stat === undefined) continue // ended meanwhile
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields 14-17 (utime stime cutime cstime), here from field 3 on
    cpuNs += [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i] ?? 0), 0) * NS_PER_TICK
    tasks += Number(f[17] ?? 1) // field 20, num_threads
    const rollup = keyValues(host.read(`/proc/${pid}/smaps_rollup`))
    memUsage += (rollup.get('Pss') ?? rollup.get('Rss') ?? 0) * 1024
    const io = keyValues(host.read(`/proc/${pid}/io`))
    blockInput += io.get('read_bytes') ?? 0
    blockOutput += io.get('write_bytes') ?? 0
  }
  return { cpuNs, memUsage, memLimit: host.memTotal, pids: tasks, blockInput, blockOutput }
}

/**
 * Podman's percentages: CPU over the time since the previous sample (since the start for the
 * first), average CPU since the start, memory of the limit.
 */
export function withPercents(s: StatsSample, previous?: StatsSample): ContainerStats {
  const pct = (part: number, whole: number) => (whole > 0 && part > 0 ? (part / whole) * 100 : 0)
  // a restarted container counts from 0 again: the previous sample is of another run
  const prev = previous && previous.cpuNs <= s.cpuNs && previous.startedNs === s.startedNs ? previous : undefined
  const avgCpuPercent = s.startedNs ? pct(s.cpuNs, s.at - s.startedNs) : 0
  return {
    ...s,
    cpuPercent: prev ? pct(s.cpuNs - prev.cpuNs, s.at - prev.at) : avgCpuPercent,
    avgCpuPercent,
    memPercent: pct(s.memUsage, s.memLimit),
  }
}
