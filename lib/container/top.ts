/**
 * `top`: a container's processes described by ps(1)'s AIX format descriptors, read from
 * /proc of the host. Ids are shown as the container sees them: its pids (the last NSpid),
 * its users and groups (through the process's uid_map and gid_map, named by the container's
 * own /etc/passwd and /etc/group); the h* descriptors give the host's.
 */
import { readFileSync } from 'node:fs'
import { CockerError } from '../errors.js'

/** Descriptor → column header, podman's names. */
export const TOP_DESCRIPTORS: Record<string, string> = {
  args: 'COMMAND', comm: 'COMMAND', etime: 'ELAPSED', group: 'GROUP', hgroup: 'HGROUP', hpid: 'HPID', huser: 'HUSER',
  nice: 'NI', pcpu: '%CPU', pgid: 'PGID', pid: 'PID', ppid: 'PPID', rgroup: 'RGROUP', rss: 'RSS', ruser: 'RUSER',
  state: 'STATE', stime: 'STIME', time: 'TIME', tty: 'TTY', user: 'USER', vsz: 'VSZ',
}

/** Other names a descriptor goes by: AIX's %-codes and ps(1)'s -o names. */
const ALIASES: Record<string, string> = {
  '%C': 'pcpu', '%G': 'group', '%P': 'ppid', '%U': 'user', '%a': 'args', '%c': 'comm', '%g': 'rgroup', '%n': 'nice',
  '%p': 'pid', '%r': 'pgid', '%t': 'etime', '%u': 'ruser', '%x': 'time', '%y': 'tty', '%z': 'vsz',
  '%cpu': 'pcpu', cmd: 'args', command: 'args', elapsed: 'etime', ni: 'nice', s: 'state', stat: 'state', uid: 'user', gid: 'group',
}

export const DEFAULT_TOP_DESCRIPTORS = ['user', 'pid', 'ppid', 'pcpu', 'etime', 'tty', 'time', 'args']

/**
 * The descriptors of `top`'s arguments: names separated by spaces or commas, and ps(1)'s
 * `-o LIST` / `-eo LIST` (other ps options such as -e select every process, which top does anyway).
 */
export function parseDescriptors(args: readonly string[]): string[] {
  if (!args.length) return DEFAULT_TOP_DESCRIPTORS
  const out: string[] = []
  for (const arg of args) {
    if (/^-[a-zA-Z]*o$/.test(arg) || /^-[a-zA-Z]+$/.test(arg)) continue
    for (const word of arg.split(/[\s,]+/).filter(Boolean)) {
      const name = ALIASES[word] ?? ALIASES[word.toLowerCase()] ?? word
      if (!(name in TOP_DESCRIPTORS)) {
        throw new CockerError('INVALID_ARGUMENT', `unknown top descriptor "${word}"`, { hint: `descriptors: ${Object.keys(TOP_DESCRIPTORS).join(', ')}` })
      }
      out.push(name)
    }
  }
  return out
}

const TICKS = 100 // USER_HZ: the kernel's unit for /proc/<pid>/stat times on every architecture Linux runs on

interface ProcessInfo {
  hostPid: number
  stat: string[]
  status: Map<string, string>
  cmdline: string[]
  comm: string
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const statText = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = statText.lastIndexOf(')')
    // fields from 3 on (state); index 0 here is field 3
    const stat = statText.slice(close + 2).trim().split(' ')
    const status = new Map(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').map(l => {
      const colon = l.indexOf(':')
      return [l.slice(0, colon), l.slice(colon + 1).trim()] as [string, string]
    }))
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    if (cmdline.at(-1) === '') cmdline.pop()
    return { hostPid: pid, stat, status, cmdline, comm: statText.slice(statText.indexOf('(') + 1, close) }
  } catch {
    return undefined // ended meanwhile
  }
}

/** An id as the process's user namespace sees it, through its uid_map or gid_map. */
function innerId(hostId: number, mapText: string | undefined): number {
  for (const line of (mapText ?? '').split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number)
    if (count !== undefined && hostId >= outside! && hostId < outside! + count) return hostId - outside! + inside!
  }
  return hostId
}

/** Names of ids from a passwd or group file's text. */
function namesOf(text: string | undefined): Map<number, string> {
  const names = new Map<number, string>()
  for (const line of (text ?? '').split('\n')) {
    const [name, , id] = line.split(':')
    if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name)
  }
  return names
}

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** Go's time.Duration String(): '12.838281612s', '1m2s', '0s'. */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s'
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  const sec = `${Number(s.toFixed(9))}s`
  if (h) return `${h}h${m}m${sec}`
  if (m) return `${m}m${sec}`
  if (ms < 1000) return `${Number(ms.toFixed(6))}ms`
  return sec
}

/** A controlling terminal's name from stat's tty_nr: pts/N, ttyN, or "?". */
function ttyName(ttyNr: number): string {
  if (!ttyNr) return '?'
  const major = (ttyNr >> 8) & 0xfff
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00)
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`
  if (major === 4) return `tty${minor}`
  return '?'
}

/**
 * One row of strings per process (in `pids` order), one cell per descriptor. `pids` are host
 * pids of one container; the first is its init, whose /etc files name its ids.
 */
export function describeProcesses(pids: readonly number[], descriptors: readonly string[]): string[][] {
  const procs = pids.map(readProcess).filter((p): p is ProcessInfo => !!p)
  const init = procs[0]?.hostPid
  const uidMap = init ? read(`/proc/${init}/uid_map`) : undefined
  const gidMap = init ? read(`/proc/${init}/gid_map`) : undefined
  const users = namesOf(init ? read(`/proc/${init}/root/etc/passwd`) : undefined)
  const groups = namesOf(init ? read(`/proc/${init}/root/etc/group`) : undefined)
  const hostUsers = namesOf(read('/etc/passwd'))
  const hostGroups = namesOf(read('/etc/group'))
  const uptime = Number((read('/proc/uptime') ?? '0').split(' ')[0])
  // the container's pid of a host pid: the last NSpid of the process that has it
  const innerPid = new Map(procs.map(p => [p.hostPid, Number(p.status.get('NSpid')?.split(/\s+/).at(-1) ?? p.hostPid)]))
  const name = (names: Map<number, string>, id: number) => names.get(id) ?? String(id)

  return procs.map(p => {
    const field = (n: number) => p.stat[n - 3] ?? '0' // proc(5) numbers fields from 1
    const [ruid, euid] = (p.status.get('Uid') ?? '0 0').split(/\s+/).map(Number)
    const [rgid, egid] = (p.status.get('Gid') ?? '0 0').split(/\s+/).map(Number)
    const startedSec = Number(field(22)) / TICKS
    const elapsedMs = Math.max(0, (uptime - startedSec) * 1000)
    const cpuMs = ((Number(field(14)) + Number(field(15))) / TICKS) * 1000
    const ppidHost = Number(field(4))
    const cell: Record<string, () => string> = {
      args: () => (p.cmdline.length ? p.cmdline.join(' ') : `[${p.comm}]`),
      comm: () => p.comm,
      etime: () => goDuration(elapsedMs),
      group: () => name(groups, innerId(egid!, gidMap)),
      hgroup: () => name(hostGroups, egid!),
      hpid: () => String(p.hostPid),
      huser: () => name(hostUsers, euid!),
      nice: () => field(19),
      pcpu: () => (elapsedMs ? (cpuMs / elapsedMs) * 100 : 0).toFixed(3),
      pgid: () => String(innerPid.get(Number(field(5))) ?? field(5)),
      pid: () => String(innerPid.get(p.hostPid)),
      ppid: () => String(innerPid.get(ppidHost) ?? 0),
      rgroup: () => name(groups, innerId(rgid!, gidMap)),
      rss: () => String(Number(field(24)) * 4),
      ruser: () => name(users, innerId(ruid!, uidMap)),
      state: () => field(3),
      stime: () => `${new Date(Date.now() - elapsedMs).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`,
      time: () => goDuration(cpuMs),
      tty: () => ttyName(Number(field(7))),
      user: () => name(users, innerId(euid!, uidMap)),
      vsz: () => String(Math.floor(Number(field(23)) / 1024)),
    }
    return descriptors.map(d => cell[d]!())
  })
}
