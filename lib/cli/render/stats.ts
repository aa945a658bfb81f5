/**
 * `stats` as Podman 4.3 prints it: the default table, the fields a --format template can name
 * (its methods and the raw fields of its ContainerStats), and the JSON of --format json.
 */
import type { ContainerStats } from '../../container/stats.js'
import { formatDurationNs } from '../../sys/duration.js'
import { goG } from './units.js'

export const STATS_HEADERS: Record<string, string> = {
  ID: 'ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemUsageBytes: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET IO', BlockIO: 'BLOCK IO', PIDS: 'PIDS', UpTime: 'CPU TIME', AVGCPU: 'AVG CPU %',
}

export const DEFAULT_STATS_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.UpTime}}\t{{.AVGCPU}}'

const scaled = (bytes: number, base: number, units: string[]): string => {
  let size = bytes
  let i = 0
  while (size >= base && i < units.length - 1) {
    size /= base
    i++
  }
  return `${goG(size, 4)}${units[i]}`
}

/** go-units HumanSize: '507.9kB', '67.11MB', '0B'. */
export const humanSize = (bytes: number): string => scaled(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'])

/** go-units BytesSize: '496KiB', '23.54GiB'. */
export const bytesSize = (bytes: number): string => scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'])

/** '0.27%': two decimals, as Podman's floatToPercentString. */
export const percent = (p: number): string => `${p.toFixed(2)}%`

/** Go's time.Duration String(): '7.857376ms', '1m2.5s', '0s'. */
export const goDurationNs = (ns: number): string => (ns > 0 ? formatDurationNs(Math.round(ns)) : '0s')

/** What a template sees: Podman's methods on its containerStats, and the raw fields it embeds. */
export function statsRow(s: ContainerStats, noTrunc: boolean) {
  return {
    ID: noTrunc ? s.id : s.id.slice(0, 12),
    ContainerID: s.id,
    Name: s.name,
    CPUPerc: percent(s.cpuPercent),
    AVGCPU: percent(s.avgCpuPercent),
    CPU: s.cpuPercent,
    AvgCPU: s.avgCpuPercent,
    CPUNano: s.cpuNs,
    SystemNano: s.at,
    Duration: s.cpuNs,
    UpTime: goDurationNs(s.cpuNs),
    Up: goDurationNs(s.cpuNs),
    MemUsage: `${humanSize(s.memUsage)} / ${humanSize(s.memLimit)}`,
    MemUsageBytes: `${bytesSize(s.memUsage)} / ${bytesSize(s.memLimit)}`,
    MemLimit: s.memLimit,
    MemPerc: percent(s.memPercent),
    NetIO: `${humanSize(s.netInput)} / ${humanSize(s.netOutput)}`,
    NetInput: s.netInput,
    NetOutput: s.netOutput,
    BlockIO: `${humanSize(s.blockInput)} / ${humanSize(s.blockOutput)}`,
    BlockInput: s.blockInput,
    BlockOutput: s.blockOutput,
    PIDS: String(s.pids),
    PIDs: s.pids,
  }
}

/** --format json: Podman's keys and order, every value a string. */
export function statsJson(rows: ReturnType<typeof statsRow>[]): string {
  const list = rows.map(r => ({
    id: r.ID, name: r.Name, cpu_time: r.UpTime, cpu_percent: r.CPUPerc, avg_cpu: r.AVGCPU, mem_usage: r.MemUsage,
    mem_percent: r.MemPerc, net_io: r.NetIO, block_io: r.BlockIO, pids: r.PIDS,
  }))
  return `${JSON.stringify(list, null, ' ')}\n`
}
