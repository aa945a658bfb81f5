// What a container's network holds on the host, noted while it runs (networkFootprint), and
// what of it is still there once `rm` or `pod rm` has returned (networkLeftovers): its
// processes (the container's own and its pasta or slirp4netns: by pid and start time, and any
// process naming its id in its arguments or working directory, or its init's pid in a network
// program's arguments), its network namespace (a process in it or holding it open, a bind
// mount of it), the host ports it published (still bound), the host side of its veth and the
// firewall rules naming it (bridge networks). It only looks: nothing is killed or removed.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { cocker, type CockerMode } from './cocker-modes.js'
import { which } from './requires.js'

interface NotedProcess { pid: number; startTime: number; what: string }

export interface NetworkFootprint {
  id: string
  /** The container's init, as the host sees it. */
  pid: number
  /** /proc/uptime in clock ticks when noted: a process that started later is not the container's. */
  notedAt: number
  processes: NotedProcess[]
  /** "net:[4026532…]" of the init. */
  netns?: string
  hostPorts: { port: number; protocol: 'tcp' | 'udp' }[]
  /** The host end of a bridge network's veth pair. */
  veth?: { name: string; ifindex: number }
}

const CLK_TCK = 100

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function link(file: string): string | undefined {
  try {
    return readlinkSync(file)
  } catch {
    return undefined
  }
}

/** Start time (field 22, clock ticks since boot) and state of a live process; a zombie has exited. */
function stat(pid: number): { startTime: number; state: string } | undefined {
  const s = read(`/proc/${pid}/stat`)
  if (!s) return undefined
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  return { state: f[0]!, startTime: Number(f[19]) }
}

const alive = (pid: number, startTime: number) => {
  const st = stat(pid)
  return st !== undefined && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X'
}

const uptimeTicks = () => Math.floor(Number((read('/proc/uptime') ?? '0').split(' ')[0]) * CLK_TCK)

function pids(): number[] {
  return readdirSync('/proc').filter(p => /^\d+$/.test(p)).map(Number)
}

/** Processes whose arguments or working directory name the container, or a network program's arguments its init. */
function namingProcesses(id: string, initPid: number): NotedProcess[] {
  const out: NotedProcess[] = []
  for (const pid of pids()) {
    if (pid === process.pid) continue
    const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean)
    const cwd = link(`/proc/${pid}/cwd`) ?? ''
    const program = argv[0]?.split('/').pop() ?? ''
    const networkProgram = (program === 'pasta' || program === 'slirp4netns') && argv.includes(String(initPid))
    if (argv.some(a => a.includes(id)) || cwd.includes(id) || networkProgram) {
      const st = stat(pid)
      if (st && st.state !== 'Z') out.push({ pid, startTime: st.startTime, what: argv.join(' ') })
    }
  }
  return out
}

/** Live listening TCP / bound UDP sockets of the host's namespace on `port`, from /proc/net. */
function boundPort(port: number, protocol: 'tcp' | 'udp'): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  return [protocol, `${protocol}6`].some(table => (read(`/proc/net/${table}`) ?? '').split('\n').slice(1).some(line => {
    const f = line.trim().split(/\s+/)
    // TCP: only LISTEN (0A); a TIME_WAIT of a test's own connection is not the container's
    return f[1]?.endsWith(`:${hex}`) && (protocol === 'udp' || f[3] === '0A')
  }))
}

/** The host interface with this index: the peer of a container's eth0 (its iflink). */
function hostInterface(ifindex: number): { name: string; ifindex: number } | undefined {
  for (const name of readdirSync('/sys/class/net')) {
    if (Number(read(`/sys/class/net/${name}/ifindex`)) === ifindex) return { name, ifindex }
  }
  return undefined
}

/** Notes what the running container `id` holds on the host, to compare after it is removed. */
export async function networkFootprint(mode: CockerMode, id: string): Promise<NetworkFootprint> {
  const [inspected] = JSON.parse((await cocker(mode, ['inspect', id], { status: 0 })).stdout) as {
    Id: string; State: { Pid: number }; NetworkSettings: { Ports?: Record<string, { HostPort: string }[] | null> }
  }[]
  const full = inspected!.Id
  const pid = inspected!.State.Pid
  if (!pid) throw new Error(`networkFootprint: ${id} does not run`)
  const hostPorts = Object.entries(inspected!.NetworkSettings.Ports ?? {}).flatMap(([key, bindings]) =>
    (bindings ?? []).map(b => ({ port: Number(b.HostPort), protocol: key.split('/')[1] as 'tcp' | 'udp' })))
  const iflink = Number(read(`/proc/${pid}/root/sys/class/net/eth0/iflink`))
  const ifindex = Number(read(`/proc/${pid}/root/sys/class/net/eth0/ifindex`))
  // a veth's iflink is its peer; a tap device's (pasta, slirp4netns) is itself
  const veth = iflink && iflink !== ifindex ? hostInterface(iflink) : undefined
  const initStat = stat(pid)
  const processes = namingProcesses(full, pid)
  if (initStat && !processes.some(p => p.pid === pid)) processes.push({ pid, startTime: initStat.startTime, what: 'the container\'s init' })
  return { id: full, pid, notedAt: uptimeTicks(), processes, netns: link(`/proc/${pid}/ns/net`), hostPorts, ...(veth ? { veth } : {}) }
}

/** Does the process hold `ns` as its namespace or on an open fd? */
function holdsNamespace(pid: number, ns: string): boolean {
  if (link(`/proc/${pid}/ns/net`) === ns) return true
  let fds: string[] = []
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return false
  }
  return fds.some(fd => link(`/proc/${pid}/fd/${fd}`) === ns)
}

/** What of the footprint is still there, one line each; [] when the container left nothing. */
export function networkLeftovers(fp: NetworkFootprint): string[] {
  const out: string[] = []
  for (const p of fp.processes) if (alive(p.pid, p.startTime)) out.push(`process ${p.pid} still runs: ${p.what}`)
  for (const p of namingProcesses(fp.id, fp.pid)) {
    if (!fp.processes.some(q => q.pid === p.pid)) out.push(`process ${p.pid} names the container: ${p.what}`)
  }
  if (fp.netns) {
    // namespace inode numbers are reused: only a process that existed when noted can hold the old one
    for (const pid of pids()) {
      const st = stat(pid)
      if (st && st.state !== 'Z' && st.startTime <= fp.notedAt && pid !== process.pid && holdsNamespace(pid, fp.netns)) {
        out.push(`process ${pid} holds the container's network namespace ${fp.netns}: ${(read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ')}`)
      }
    }
  }
  for (const line of (read('/proc/self/mountinfo') ?? '').split('\n')) {
    const mountPoint = line.split(' ')[4] ?? ''
    if (mountPoint.includes(fp.id)) out.push(`mount left: ${mountPoint}`)
  }
  for (const p of fp.hostPorts) if (boundPort(p.port, p.protocol)) out.push(`host port ${p.port}/${p.protocol} is still bound`)
  if (fp.veth && Number(read(`/sys/class/net/${fp.veth.name}/ifindex`)) === fp.veth.ifindex) out.push(`host interface ${fp.veth.name} (the container's veth) is still there`)
  const iptablesSave = which('iptables-save')
  if (iptablesSave) {
    const rules = spawnSync(iptablesSave, [], { encoding: 'utf8' }).stdout ?? ''
    for (const rule of rules.split('\n')) if (rule.includes(fp.id)) out.push(`firewall rule left: ${rule}`)
  }
  return out
}
