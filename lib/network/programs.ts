/**
 * pasta and slirp4netns, the programs Podman runs for rootless containers, which connect a
 * container's own network namespace to the host's network. Started with the init's pid once
 * its namespaces exist, they live as long as the container: the monitor kills the pid in
 * network.pid when the init ends (c/monitor.c, monitor-kill-pidfile), and the record names it
 * too, so that a clean-up after a killed monitor still finds it.
 */
import { accessSync, closeSync, constants as fsc, existsSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import type { NetworkMode, PortMapping } from '../spec/run-options.js'
import { childProcess } from '../sys/child-process.js'
import { isProcessAlive, procStat } from '../sys/proc.js'
import { readIfPresent } from '../sys/read.js'

export type NetworkProgramMode = Extract<NetworkMode, { mode: 'pasta' | 'slirp4netns' }>

/** A running network process, as the record keeps it. */
export interface NetworkProcess { pid: number; startTime: string }

/** `name` found on PATH (an access() per directory: this runs on the create path). */
export function findProgram(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const file = path.join(dir || '.', name)
    try {
      accessSync(file, fsc.X_OK)
      return file
    } catch { /* next */ }
  }
  return undefined
}

/**
 * The pasta to run: where the CPU has AVX2, pasta re-executes itself as the `.avx2` build
 * beside it (Debian's passt ships pasta.avx2; passt's arch.c), so that one is run at once,
 * which spares that exec (about 7 ms of CPU and twice that before it starts, measured).
 */
export function pastaProgram(env: NodeJS.ProcessEnv, cpuinfo = () => readIfPresent('/proc/cpuinfo') ?? ''): string | undefined {
  const program = findProgram('pasta', env)
  if (!program || process.arch !== 'x64') return program
  if (!/^flags\s*:.*\bavx2\b/m.test(cpuinfo())) return program
  try {
    accessSync(`${program}.avx2`, fsc.X_OK)
    return `${program}.avx2`
  } catch {
    return program
  }
}

/** The rootless default, as `info` reports it: pasta where installed, else slirp4netns. */
export function rootlessBackend(env: NodeJS.ProcessEnv): 'pasta' | 'slirp4netns' | undefined {
  if (findProgram('pasta', env)) return 'pasta'
  if (findProgram('slirp4netns', env)) return 'slirp4netns'
  return undefined
}

/** Whether the mode runs a program of its own beside the container. */
export function needsNetworkProcess(net: NetworkMode | undefined): net is NetworkProgramMode {
  return net?.mode === 'pasta' || net?.mode === 'slirp4netns'
}

/** pasta's resolver address inside the container (its --dns-forward), first in resolv.conf as Podman 5 writes it. */
export const PASTA_DNS = '169.254.1.1'

/** rootless pasta and slirp4netns open /dev/net/tun in the container's namespace: it must be open to all. */
export function checkTun(rootless: boolean, device = '/dev/net/tun'): void {
  if (!rootless) return
  try {
    accessSync(device, fsc.R_OK | fsc.W_OK)
  } catch {
    throw new CockerError('NETWORK_FAILED', `${device} cannot be opened by this user, and the container's network (pasta or slirp4netns) needs it`,
      { hint: `as root, chmod 666 ${device} (most distributions ship it so), or run with --network none` })
  }
}

export const networkPidFile = (containerDir: string) => path.join(containerDir, 'network.pid')
const networkLog = (containerDir: string) => path.join(containerDir, 'network.log')

/** pasta's command line: the mapping of the host's loopback only when asked, no port forwarded but the published ones. */
export function pastaArgs(net: Extract<NetworkMode, { mode: 'pasta' }>, o: { pidFile: string; rootless: boolean; target: string; ports: PortMapping[] }): string[] {
  // --map-gw is Podman's word, not every pasta's (mapping is pasta's default): it only keeps --no-map-gw out
  const user = net.args.filter(a => a !== '--map-gw')
  const given = (...names: string[]) => net.args.some(a => names.includes(a))
  const args = ['--config-net', '-f', '--quiet', '--pid', o.pidFile]
  if (!given('--map-gw', '--no-map-gw')) args.push('--no-map-gw')
  for (const [flag, proto] of [['-t', 'tcp'], ['-u', 'udp']] as const) {
    const mine = o.ports.filter(p => p.protocol === proto)
    for (const p of mine) args.push(flag, `${p.hostIp && p.hostIp !== '0.0.0.0' ? `${p.hostIp}/` : ''}${p.hostPort}:${p.containerPort}`)
    if (!mine.length && !given(flag, `--${proto}-ports`)) args.push(flag, 'none')
  }
  if (!given('-T', '--tcp-ns')) args.push('-T', 'none')
  if (!given('-U', '--udp-ns')) args.push('-U', 'none')
  // the resolver resolv.conf names first (networkAddresses)
  if (!given('--dns-forward')) args.push('--dns-forward', PASTA_DNS)
  // root: pasta drops its capabilities before it opens the namespace, so it gets it as an fd
  // it inherits (fd 3), and stays root (--runas 0) to enter it
  const target = o.rootless ? [o.target] : ['--runas', '0', '--netns', '/proc/self/fd/3']
  return [...args, ...user, ...target]
}

/** The first line of `pasta --version` ("pasta 2024_08_21.1d6142f"; Debian 12's says "pasta unknown version"). */
function pastaVersion(env: NodeJS.ProcessEnv): string {
  const program = findProgram('pasta', env)
  const r = program ? childProcess().spawnSync(program, ['--version'], { encoding: 'utf8', timeout: 2000 }) : undefined
  return r?.stdout?.split('\n')[0]?.replace(/^pasta\s*/, '').trim() || 'unknown version'
}

/**
 * What a published UDP port will not do with this network program, as one line for a
 * warning, or undefined. pasta before its UDP flow tracking (2024; Debian 12 has a 2023
 * one, which does not say its version) loses the container's replies to a client on the
 * host's loopback when the host port differs from the container's (other hosts get them).
 * slirp4netns drops replies to the host's loopback unless allow_host_loopback=true, as its
 * own port handler (Podman's port_handler=slirp4netns) does.
 */
export function udpPublishCaveat(net: NetworkMode, ports: PortMapping[], env: NodeJS.ProcessEnv): string | undefined {
  const udp = ports.filter(p => p.protocol === 'udp')
  if (net.mode === 'slirp4netns' && udp.length && !net.options.allowHostLoopback && net.options.portHandler !== 'rootlesskit') {
    return `--network slirp4netns drops UDP replies to clients on the host's loopback (port ${udp[0]!.hostPort}/udp); other hosts get them; for both use --network slirp4netns:allow_host_loopback=true`
  }
  const moved = udp.find(p => p.hostPort !== p.containerPort)
  if (net.mode !== 'pasta' || !moved) return undefined
  const version = pastaVersion(env)
  const date = /(\d{4})_(\d{2})_(\d{2})/.exec(version)
  if (date && `${date[1]}${date[2]}` >= '202408') return undefined
  return `pasta (${version}) loses UDP replies to clients on the host's loopback when the host port is not the container's (-p ${moved.hostPort}:${moved.containerPort}/udp); other hosts get them; for both publish -p ${moved.containerPort}:${moved.containerPort}/udp`
}

/** slirp4netns's container address: .100 of its subnet. */
export function slirpContainerAddress(cidr: string | undefined): string {
  const base = (cidr ?? '10.0.2.0/24').split('/')[0]!.split('.')
  return [base[0], base[1], base[2], 100].join('.')
}

/** slirp4netns's API socket, relative to the container's directory (its cwd): the full path may pass sun_path's 108 bytes. */
const SLIRP_SOCKET = 'slirp.sock'

/** Publishes one port through slirp4netns's API (add_hostfwd); its handler keeps the client's source address. */
async function slirpForward(dir: string, p: PortMapping): Promise<void> {
  const net = process.getBuiltinModule('node:net')
  const dirFd = openSync(dir, 'r')
  const request = { execute: 'add_hostfwd', arguments: { proto: p.protocol, host_addr: p.hostIp || '0.0.0.0', host_port: p.hostPort, guest_port: p.containerPort } }
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.createConnection(`/proc/self/fd/${dirFd}/${SLIRP_SOCKET}`)
      let data = ''
      c.setEncoding('utf8')
      c.on('connect', () => c.write(JSON.stringify(request)))
      c.on('data', (d: string) => { data += d; if (data.includes('}')) { c.destroy(); resolve(data) } })
      c.on('end', () => resolve(data))
      c.on('error', reject)
    })
    const r = JSON.parse(reply) as { error?: { desc?: string } }
    if (r.error) throw new Error(r.error.desc ?? reply)
  } catch (err) {
    throw new CockerError('NETWORK_FAILED', `cannot publish port ${p.hostPort}/${p.protocol}: ${(err as Error).message}`,
      { hint: 'choose another host port, or see whether something else listens on it' })
  } finally {
    closeSync(dirFd)
  }
}

export function slirpArgs(net: Extract<NetworkMode, { mode: 'slirp4netns' }>, o: { target: string; apiSocket?: string }): string[] {
  const s = net.options
  return ['--configure', `--mtu=${s.mtu}`, '--ready-fd=3', ...(s.allowHostLoopback ? [] : ['--disable-host-loopback']),
    ...(s.cidr ? [`--cidr=${s.cidr}`] : []), ...(s.enableIpv6 ? ['--enable-ipv6'] : []),
    ...(o.apiSocket ? [`--api-socket=${o.apiSocket}`] : []), o.target, 'tap0']
}

/** What the program said that stopped it, for the error: a complaint about its options (before its usage text), else its last line. */
function lastWords(log: string): string {
  const lines = (readIfPresent(log) ?? '').split('\n').slice(1).map(l => l.trim()).filter(l => l && !/syslog/.test(l))
  return lines.find(l => /unrecognized option|invalid option|requires an argument/.test(l)) ?? lines[lines.length - 1] ?? 'no message'
}

const READY_TIMEOUT_MS = 10_000

/**
 * Starts the container's network process for its init `pid` (at the createRuntime hook point:
 * the namespaces exist, nothing runs in them yet) and returns once the namespace is configured.
 * Its pid goes into network.pid in `dir`, where the monitor finds it.
 */
export async function startNetworkProcess(net: NetworkProgramMode, o: NetworkProgramOptions): Promise<NetworkProcess> {
  return spawnNetworkProcess(net, o).ready
}

export interface NetworkProgramOptions {
  pid: number; dir: string; rootless: boolean; env: NodeJS.ProcessEnv; ports: PortMapping[]
  /** pasta forwarding no port: ready once the namespace is configured (pastaConfigured), not once pasta serves */
  whenConfigured?: boolean
}

/** The families (4, 6) with a default route in /proc/net/route and /proc/net/ipv6_route texts. */
export function defaultRouteFamilies(route: string, ipv6Route: string): (4 | 6)[] {
  const fields = (text: string) => text.split('\n').map(l => l.trim().split(/\s+/))
  const v4 = fields(route).some(f => f[1] === '00000000' && f[7] === '00000000')
  const v6 = fields(ipv6Route).some(f => f[0] === '0'.repeat(32) && f[1] === '00' && f[9] !== undefined && f[9] !== 'lo')
  return [...(v4 ? [4 as const] : []), ...(v6 ? [6 as const] : [])]
}

const routesOf = (pid: number | 'self') =>
  defaultRouteFamilies(readIfPresent(`/proc/${pid}/net/route`) ?? '', readIfPresent(`/proc/${pid}/net/ipv6_route`) ?? '')

/**
 * Whether pasta has configured the namespace of `pid`: the default route of each family it
 * copies from the host (those the host has, less what -4 or -6 leave out) is there, its last
 * step before it allocates its buffers and socket pools (Debian 12's pasta: about two thirds
 * of its start, ~7,600 page faults, before it writes its pid file). From then on, what the
 * container sends waits in the tap device's queue until pasta's loop reads it: a container
 * that publishes nothing needs no more (pasta listens for published ports only later).
 */
export function pastaConfigured(pid: number, args: string[]): boolean {
  const given = (...flags: string[]) => args.some(a => flags.includes(a))
  const wanted = routesOf('self').filter(f => !given(...(f === 4 ? ['-6', '--ipv6-only'] : ['-4', '--ipv4-only'])))
  const there = routesOf(pid)
  return wanted.length > 0 && wanted.every(f => there.includes(f))
}

/** Whether pasta forwards a port (published, or asked for in its options): it binds them, or fails to, only once it serves. */
export function forwardsPorts(net: Extract<NetworkMode, { mode: 'pasta' }>, ports: PortMapping[]): boolean {
  return ports.length > 0 || net.args.some(a => /^(-[tuTU]|--(tcp|udp)-(ports|ns))$/.test(a))
}

/** A network process on its way: `ready` once the namespace is configured; `abort` kills it (a start that failed before the record named it). */
export interface PendingNetworkProcess { ready: Promise<NetworkProcess>; abort(): void }

/**
 * startNetworkProcess in two halves: the program starts now, as soon as the init's namespaces
 * exist (pasta takes 70-100 ms to be ready: its socket pools in both namespaces), and the
 * caller awaits `ready` only where the container needs its network (the hook point), so the
 * rest of the container's set-up runs meanwhile. A failure is only reported through `ready`.
 */
export function spawnNetworkProcess(net: NetworkProgramMode, o: NetworkProgramOptions): PendingNetworkProcess {
  let child: ReturnType<ReturnType<typeof childProcess>['spawn']> | undefined
  const ready = (async () => {
    checkTun(o.rootless)
    const program = net.mode === 'pasta' ? pastaProgram(o.env) : findProgram(net.mode, o.env)
    if (!program) {
      throw new CockerError('NETWORK_FAILED', `--network ${net.mode}: the program ${net.mode} is not installed`,
        { hint: `install it (Debian: apt install ${net.mode === 'pasta' ? 'passt' : 'slirp4netns'}), or run with --network none` })
    }
    const pidFile = networkPidFile(o.dir)
    const log = networkLog(o.dir)
    rmSync(pidFile, { force: true })
    const logFd = openSync(log, 'w', 0o600)
    const nsFd = net.mode === 'pasta' && !o.rootless ? openSync(`/proc/${o.pid}/ns/net`, 'r') : undefined
    const args = net.mode === 'pasta'
      ? pastaArgs(net, { pidFile, rootless: o.rootless, target: String(o.pid), ports: o.ports })
      : slirpArgs(net, { target: String(o.pid), ...(o.ports.length && net.options.portHandler !== 'rootlesskit' ? { apiSocket: SLIRP_SOCKET } : {}) })
    if (net.mode === 'slirp4netns') rmSync(path.join(o.dir, SLIRP_SOCKET), { force: true })
    writeFileSync(logFd, `${program} ${args.join(' ')}\n`)
    const started = childProcess().spawn(program, args, {
      detached: true,
      cwd: o.dir,
      stdio: ['ignore', logFd, logFd, nsFd ?? (net.mode === 'slirp4netns' ? 'pipe' : 'ignore')],
    })
    child = started
    closeSync(logFd)
    if (nsFd !== undefined) closeSync(nsFd)
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => reject(new CockerError('NETWORK_FAILED', `${net.mode} could not set up the container's network: ${why}`,
        { hint: `see ${log}; or run with --network none` }))
      const timer = setTimeout(() => fail('it did not finish within 10 s'), READY_TIMEOUT_MS)
      const done = () => { clearTimeout(timer); clearInterval(poll); resolve() }
      started.on('error', err => { clearTimeout(timer); clearInterval(poll); fail(err.message) })
      started.on('exit', () => { clearTimeout(timer); clearInterval(poll); fail(lastWords(log)) })
      // pasta writes its pid file once it serves (or, forwarding no port, configured is enough);
      // slirp4netns writes "1" on --ready-fd
      const early = net.mode === 'pasta' && o.whenConfigured && !forwardsPorts(net, o.ports)
      const poll = setInterval(() => {
        if (net.mode === 'pasta' && (existsSync(pidFile) || (early && pastaConfigured(o.pid, net.args)))) done()
      }, 2)
      const readyFd = started.stdio[3] as NodeJS.ReadableStream | null
      if (net.mode === 'slirp4netns' && readyFd) readyFd.once('data', done)
    })
    started.removeAllListeners()
    ;(started.stdio[3] as { destroy?: () => void } | null)?.destroy?.()
    started.unref()
    const pid = started.pid!
    // for the monitor, which kills it when the init ends: pasta may not have written it yet
    // (it writes the same pid); whole or not at all
    if (net.mode === 'pasta' && !existsSync(pidFile)) {
      writeFileSync(`${pidFile}.tmp`, `${pid}\n`)
      renameSync(`${pidFile}.tmp`, pidFile)
    }
    if (net.mode === 'slirp4netns') {
      writeFileSync(pidFile, `${pid}\n`)
      try {
        if (net.options.portHandler === 'rootlesskit' && o.ports.length) {
          // it ends with the init (c/cocker-netns.c watches it): network.pid stays slirp4netns's
          const { startForwarder } = await import('./forwarder.js')
          await startForwarder(o.pid, slirpContainerAddress(net.options.cidr), o.ports)
        } else {
          for (const p of o.ports) await slirpForward(o.dir, p)
        }
      } catch (err) {
        await stopNetworkProcess({ pid, startTime: procStat(pid)?.startTime ?? '' }, o.dir)
        throw err
      }
    }
    return { pid, startTime: procStat(pid)?.startTime ?? '' }
  })()
  const abort = () => {
    try { child?.kill('SIGKILL') } catch { /* gone */ }
  }
  ready.catch(abort)
  return { ready, abort }
}

const STOP_WAIT_MS = 2000

/**
 * Ends a network process that outlived its container (the monitor, which kills it when the
 * init ends, was killed itself) and its pid file, and waits until it has exited, 2 s at most:
 * rm and pod rm leave no process behind when they return, and the host ports it held are free.
 */
export async function stopNetworkProcess(p: NetworkProcess | undefined, containerDir: string): Promise<void> {
  if (p && isProcessAlive(p.pid, p.startTime)) {
    try { process.kill(p.pid, 'SIGKILL') } catch { /* gone */ }
    for (const end = Date.now() + STOP_WAIT_MS; isProcessAlive(p.pid, p.startTime) && Date.now() < end;) {
      await new Promise(resolve => setTimeout(resolve, 5))
    }
  }
  rmSync(networkPidFile(containerDir), { force: true })
}
