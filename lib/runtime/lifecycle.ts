/**
 * The container lifecycle of the OCI runtime spec, as runc has it: create,
 * start, state, kill, delete, run, exec, list, ps, pause, resume. Each
 * function does its work and returns; nothing stays resident but the
 * container's own processes.
 */
import { constants as fsc, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync,
  unlinkSync, writeFileSync } from 'node:fs'
import { Socket } from 'node:net'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { applyCgroupPlan, cgroupDirs, detectCgroups, freeze, isFrozen, listPids, planCgroup, removeCgroup, unavailableLine, v1Views,
  type CgroupPlan } from '../cgroups/index.js'
import { checkSubordinateIds } from '../rootless/idmap.js'
import { compilePlan, processOps, withDeviceRules, type PlanContext } from './compile.js'
import { helperError, runHelper, type HelperOptions } from './helper.js'
import { monitorOps, type MonitorOptions, type MonitorResult } from './monitor.js'
import { CAPABILITIES, signalNumber } from './linux.js'
import type { Hook, Process, Seccomp, Spec, State, Status } from './oci-spec.js'
import { encodePlan, type HelperEvent, type Op } from './protocol.js'
import { pidRunning } from '../sys/proc.js'
import type { ExternalRuntime } from './external.js'
import { checkId, containerDir, containerStatus, ensureRoot, fifoPath, isAlive, listIds, ociState, procStat, readRecord,
  removeContainerDir, userName, writeRecord, type ContainerRecord } from './state.js'

export { specTemplate } from './spec-template.js'
export { attach, parseDetachKeys, type AttachOutcome, type MonitorOptions, type MonitorResult } from './monitor.js'

export interface RuntimeContext {
  root: string
  /** The container's runtime is an external one (--runtime): every call goes to it (external.ts). */
  external?: ExternalRuntime
  rootless: boolean
  systemdCgroup: boolean
  /** No cgroups at all (crun's --cgroup-manager disabled): no limits, no freezer. */
  cgroupsDisabled?: boolean
  /** The bundles are cocker's own: their config.json, cocker's work, is not validated again. */
  trustedConfigs?: boolean
  /**
   * Limits this host cannot apply are dropped with one warning line (`cocker run`, as Podman
   * drops them), not refused (cocker-runtime, as runc and crun refuse them).
   */
  dropUnavailableLimits?: boolean
  /** Where compiled seccomp programs are kept between runs (compileSeccompCached). */
  seccompCache?: string
  warn(message: string): void
  debug(message: string): void
}

export interface LaunchOptions {
  id: string; bundle: string; pidFile?: string; consoleSocket?: string; noPivot?: boolean; preserveFds?: number
  /** cocker's containers: the image's layers, mounted on the rootfs in the container's mount namespace. */
  rootfsOverlay?: PlanContext['rootfsOverlay']
  /** cocker's containers: the store they live in (PlanContext.storeRoot). */
  storeRoot?: string
  /** Rootless: the user's own namespace (PlanContext.callerNamespace). */
  callerNamespace?: PlanContext['callerNamespace']
  /** Files given to the container's root first (PlanContext.rootOwns). */
  rootOwns?: string[]
  /** `run` without -i: the container reads /dev/null, not our stdin. */
  stdin?: 'inherit' | 'ignore'
  /**
   * Called with the init's pid once its namespaces exist, before anything runs in them (the
   * createRuntime hook point): cocker's containers connect their network there (lib/network).
   */
  onNamespaces?: (pid: number) => Promise<void>
  /** Called with the init's pid as soon as it exists (its ids mapped), before onNamespaces. */
  onInit?: (pid: number) => void
}

/** An external runtime's module, loaded by the containers that use one. */
const external = () => import('./external.js')

/** Whether the container's init still runs (a zombie does not). */
export function initRunning(ctx: RuntimeContext, id: string): boolean {
  if (ctx.external) return pidRunning(ctx.external.pid)
  try {
    return isAlive(readRecord(ctx.root, id))
  } catch {
    return false
  }
}

const HOOK_STAGES_IN_TS = ['prestart', 'createRuntime'] as const

// Seccomp and hooks are loaded only by the containers that use them: the run path stays small.

async function compileSeccompIfAny(profile: Seccomp | undefined, cache: string | undefined): Promise<PlanContext['seccomp']> {
  if (!profile) return undefined
  const { compileSeccomp, compileSeccompCached, seccompFilterFlags } = await import('./seccomp.js')
  return { program: cache ? compileSeccompCached(profile, cache) : compileSeccomp(profile), flags: seccompFilterFlags(profile.flags) }
}

async function runHooks(stage: string, hooks: Hook[] | undefined, state: State): Promise<void> {
  if (hooks?.length) await (await import('./hooks.js')).runHooks(stage, hooks, state)
}

async function runHooksWarn(stage: string, hooks: Hook[] | undefined, state: State, warn: (m: string) => void): Promise<void> {
  if (hooks?.length) await (await import('./hooks.js')).runHooksWarn(stage, hooks, state, warn)
}

async function readBundleConfig(bundle: string, trusted: boolean): Promise<Spec> {
  const file = path.join(bundle, 'config.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new CockerError('CONFIG_INVALID', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { hint: 'pass the bundle directory with --bundle, or create a config with "cocker-runtime spec"' })
  }
  if (trusted) return JSON.parse(text) as Spec
  // the validator is large: loaded only for configs from others
  return (await import('./schema/validate.js')).parseConfig(text)
}

function writePidFile(file: string | undefined, pid: number): void {
  if (!file) return
  // conmon and containerd read it as soon as it appears: write it whole, then rename
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, String(pid))
  renameSync(tmp, file)
}

export function stdioFor(preserveFds = 0, stdin: 'inherit' | 'ignore' = 'inherit', out: 'inherit' | 'ignore' = 'inherit'): HelperOptions['stdio'] {
  return [stdin, out, out, ...Array.from({ length: preserveFds }, (_, i) => 3 + i)]
}

/**
 * A monitor gets our stdio only to serve it (foreground) or to hand it on (passthrough);
 * detached it must hold none of it, or a caller reading our output would wait for the container.
 */
export function monitorStdio(m: MonitorOptions, preserveFds?: number): HelperOptions['stdio'] {
  if (m.passthrough) return stdioFor(preserveFds, m.stdin ? 'inherit' : 'ignore')
  return stdioFor(preserveFds, m.foreground ? 'inherit' : 'ignore', m.foreground ? 'inherit' : 'ignore')
}

function statusOf(ctx: RuntimeContext, record: ContainerRecord): Status {
  return containerStatus(ctx.root, record, () => isFrozen(record.cgroupDirs))
}

/** Sets up cgroups, compiles the plan and runs the helper; shared by create and run. */
async function launch(ctx: RuntimeContext, o: LaunchOptions, mode: PlanContext['mode'],
  after: { until: HelperOptions['until']; onStarted?: (record: ContainerRecord, helperPid?: number) => Promise<void>; monitor?: MonitorOptions }):
  Promise<{ record: ContainerRecord; exitCode?: number; signal?: string; detached?: boolean; helperPid?: number }> {
  checkId(o.id)
  const bundle = path.resolve(o.bundle)
  const spec = await readBundleConfig(bundle, ctx.trustedConfigs ?? false)
  // the cgroup plan only reads the host: made before anything is written, so that the
  // record follows the directory at once and a kill -9 anywhere leaves something delete can act on
  const layout = detectCgroups()
  const cgroups: CgroupPlan = ctx.cgroupsDisabled
    ? { dirs: [], writes: [], procs: [], warnings: [], unavailable: [] }
    : planCgroup({ layout, cgroupsPath: spec.linux?.cgroupsPath, id: o.id, resources: withDeviceRules(spec),
      rootless: ctx.rootless, systemd: ctx.systemdCgroup })
  if (cgroups.unavailable.length && !ctx.dropUnavailableLimits) {
    throw new CockerError('NOT_SUPPORTED', unavailableLine(cgroups.unavailable, false), { hint: 'remove them from config.json' })
  }
  ensureRoot(ctx.root)
  const dir = containerDir(ctx.root, o.id)
  try {
    mkdirSync(dir, { mode: 0o711 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CockerError('CONTAINER_EXISTS', `container "${o.id}" already exists`, { hint: `delete it first with "cocker-runtime delete ${o.id}"` })
    }
    throw err
  }
  const record: ContainerRecord = {
    id: o.id, pid: 0, pidStartTime: '', bundle, rootfs: path.resolve(bundle, spec.root?.path ?? 'rootfs'),
    created: new Date().toISOString(), ownerUid: process.geteuid!(), rootless: ctx.rootless, config: spec,
    cgroupDirs: ctx.cgroupsDisabled ? [] : cgroupDirs(layout, spec.linux?.cgroupsPath, o.id, ctx.rootless, ctx.systemdCgroup),
    creator: { pid: process.pid, startTime: procStat(process.pid)?.startTime ?? '' },
  }
  try {
    // written before the cgroups exist, so that a crash leaves them named in a record; without
    // cgroups the first write waits for the pid (a directory alone is cleared by delete --force)
    if (cgroups.dirs.length) writeRecord(ctx.root, record)
    cgroups.warnings.forEach(w => ctx.warn(w))
    if (cgroups.unavailable.length) ctx.warn(unavailableLine(cgroups.unavailable, true))
    applyCgroupPlan(cgroups)
    const seccomp = await compileSeccompIfAny(spec.linux?.seccomp, ctx.seccompCache)
    const hooks = spec.hooks ?? {}
    const plan = compilePlan(spec, {
      bundle, rootless: ctx.rootless, hostUid: process.geteuid!(), hostGid: process.getegid!(), mode,
      fifo: fifoPath(ctx.root, o.id), consoleSocket: o.consoleSocket, noPivot: o.noPivot, preserveFds: o.preserveFds,
      cgroupProcs: cgroups.procs, deviceFilter: cgroups.deviceFilter, seccomp, cgroupV1: layout.version === 'v2' ? {} : v1Views(layout, cgroups.procs),
      rootfsOverlay: o.rootfsOverlay, storeRoot: o.storeRoot, callerNamespace: o.callerNamespace, rootOwns: o.rootOwns,
      // poststop hooks are run by node: a container with some is released by the node clean-up
      monitorOps: after.monitor && monitorOps(after.monitor, hooks.poststop?.length ? undefined : { stateDir: dir, cgroupDirs: record.cgroupDirs }),
      hooks: Boolean(o.onNamespaces || hooks.prestart?.length || hooks.createRuntime?.length || hooks.createContainer?.length || hooks.startContainer?.length),
    })
    plan.warnings.forEach(w => ctx.warn(w))
    if (plan.idmap === 'external') checkSubordinateIds(spec.linux?.uidMappings ?? [], spec.linux?.gidMappings ?? [])
    const result = await runHelper(encodePlan(plan.ops), {
      until: after.until,
      stdio: after.monitor ? monitorStdio(after.monitor, o.preserveFds) : stdioFor(o.preserveFds, o.stdin),
      forwardSignals: after.until === 'exit' && (after.monitor?.sigProxy ?? true),
      ownHelper: Boolean(after.monitor),
      onSpawn: after.monitor?.onSpawn,
      ackExit: after.monitor?.foreground && (after.monitor.ackExit ?? true),
      ...(after.monitor?.foreground && after.monitor.removeAtExit ? { removeAtExit: after.monitor.removeAtExit.wanted } : {}),
      onPid: pid => {
        record.pid = pid
        record.pidStartTime = procStat(pid)?.startTime ?? ''
        // from here a kill -9 of this command must leave a record that delete can act on
        writeRecord(ctx.root, record)
        o.onInit?.(pid)
      },
      onHooks: async () => {
        await o.onNamespaces?.(record.pid)
        // "created", as the runtime-tools validation suite (hooks_stdin) and crun have it (runc says "creating")
        const state = ociState(record, 'created')
        for (const stage of HOOK_STAGES_IN_TS) await runHooks(stage, hooks[stage], state)
        return JSON.stringify(state)
      },
      onStarted: async (_pid, helperPid) => {
        writePidFile(o.pidFile, record.pid)
        await after.onStarted?.(record, helperPid)
      },
    })
    if (after.until === 'created') writePidFile(o.pidFile, record.pid)
    return { record, ...result }
  } catch (err) {
    // nothing of a failed create may stay behind: the init, its cgroups, its state
    if (record.pid) try { process.kill(record.pid, 'SIGKILL') } catch { /* gone */ }
    removeCgroupQuietly(record.cgroupDirs)
    removeContainerDir(ctx.root, o.id)
    throw err
  }
}

function removeCgroupQuietly(dirs: string[]): void {
  try {
    removeCgroup(dirs)
  } catch { /* best effort: a later delete retries */ }
}

export async function createContainer(ctx: RuntimeContext, o: LaunchOptions): Promise<void> {
  await launch(ctx, o, 'create', { until: 'created' })
}

/**
 * Runs a container. With a monitor (mode monitor, c/monitor.c): foreground, it returns when
 * the container ends or the caller's client detaches; otherwise as soon as it has started,
 * holding nothing that keeps node alive. The monitor's end leaves the runtime's state for
 * the clean-up (deleteContainer) to remove, unless the foreground caller does it itself.
 * Without one: the runtime's own run (cocker-runtime run), which returns the exit status.
 */
export async function runContainer(ctx: RuntimeContext, o: LaunchOptions & { monitor: MonitorOptions }): Promise<MonitorResult>
export async function runContainer(ctx: RuntimeContext, o: LaunchOptions & { detach?: boolean; keep?: boolean }): Promise<number>
export async function runContainer(ctx: RuntimeContext, o: LaunchOptions & { detach?: boolean; keep?: boolean; monitor?: MonitorOptions }):
  Promise<number | MonitorResult> {
  if (ctx.external && o.monitor) return (await external()).runExternal(ctx, ctx.external, { ...o, monitor: o.monitor })
  const poststart = async (record: ContainerRecord) =>
    runHooksWarn('poststart', record.config.hooks?.poststart, ociState(record, 'running'), ctx.warn)
  const monitor = o.monitor
  if (monitor) {
    const onStarted = async (record: ContainerRecord, helperPid?: number) => {
      monitor.onStarted?.(helperPid ?? 0, record.pid)
      await poststart(record)
    }
    const r = await launch(ctx, o, 'monitor', { until: monitor.foreground ? 'exit' : 'started', onStarted, monitor })
    return { exitCode: r.exitCode, signal: r.signal, detached: r.detached ?? false, monitorPid: r.helperPid ?? 0, pid: r.record.pid }
  }
  if (o.detach) {
    const { record } = await launch(ctx, o, 'detach', { until: 'started' })
    await poststart(record)
    return 0
  }
  const { record, exitCode } = await launch(ctx, o, 'wait', { until: 'exit', onStarted: poststart })
  if (!o.keep) await destroy(ctx, record)
  return exitCode ?? 0
}

/** Opens the exec fifo: the init's blocked open returns, it runs startContainer hooks and execs. */
export async function startContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const record = readRecord(ctx.root, id)
  const status = statusOf(ctx, record)
  if (status !== 'created') {
    throw new CockerError('CONTAINER_STATE_INVALID', `cannot start container "${id}": it is ${status}, not created`)
  }
  const fifo = fifoPath(ctx.root, id)
  // non-blocking, so a dead init cannot hang us; libuv then waits for data or EOF
  const fd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK)
  const output = await new Promise<string>((resolve, reject) => {
    const sock = new Socket({ fd, readable: true, writable: false })
    let data = ''
    const watchdog = setInterval(() => {
      if (!data && !isAlive(record)) {
        sock.destroy()
        reject(new CockerError('CONTAINER_STATE_INVALID', `container "${id}" died before it could start`))
      }
    }, 100)
    sock.setEncoding('utf8')
    sock.on('data', (chunk: string) => {
      if (!data) try { unlinkSync(fifo) } catch { /* already gone */ }
      data += chunk
    })
    sock.on('end', () => { clearInterval(watchdog); resolve(data) })
    sock.on('error', err => { clearInterval(watchdog); reject(err) })
  })
  if (existsSync(fifo)) try { unlinkSync(fifo) } catch { /* raced */ }
  // after the go byte, anything written before EOF is the error that stopped the exec
  const errorLine = output.slice(1).split('\n').find(l => l.startsWith('{'))
  if (errorLine) throw helperError(JSON.parse(errorLine) as Extract<HelperEvent, { event: 'error' }>)
  await runHooksWarn('poststart', record.config.hooks?.poststart, ociState(record, 'running'), ctx.warn)
}

export async function containerState(ctx: RuntimeContext, id: string): Promise<State> {
  const record = readRecord(ctx.root, id)
  return ociState(record, statusOf(ctx, record))
}

/** The container's processes: from its cgroup, else every process in its pid namespace. */
function pidsOf(record: ContainerRecord): number[] {
  if (!isAlive(record)) return []
  if (record.cgroupDirs.length) {
    const pids = listPids(record.cgroupDirs)
    if (pids.length) return pids
  }
  const ownsPidNs = record.config.linux?.namespaces?.some(n => n.type === 'pid' && !n.path)
  return ownsPidNs ? pidNamespaceMembers(record.pid) : [record.pid]
}

/** The processes in the pid namespace of `init`, which has one of its own. */
function pidNamespaceMembers(init: number): number[] {
  const nsOf = (pid: number | string) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/pid`)
    } catch {
      return undefined
    }
  }
  const ns = nsOf(init)
  // unreadable from inside another user namespace (rootless `system check` runs in one): then
  // every process it cannot read would match; the init alone will do, its end ends them all
  if (ns === undefined) return [init]
  return readdirSync('/proc').filter(p => /^\d+$/.test(p) && nsOf(p) === ns).map(Number).sort((a, b) => a - b)
}

export async function killContainer(ctx: RuntimeContext, id: string, signal: string, o: { all?: boolean }): Promise<void> {
  if (ctx.external) return (await external()).killExternal(ctx, ctx.external, id, signal, o)
  const record = readRecord(ctx.root, id)
  const sig = signalNumber(signal)
  if (sig === undefined) throw new CockerError('INVALID_ARGUMENT', `unknown signal "${signal}"`, { hint: 'use a name such as TERM or KILL, or a number' })
  const status = statusOf(ctx, record)
  // runc's words, which containerd's shim matches to take a kill of an exited task as done
  if (status === 'stopped') throw new CockerError('CONTAINER_STATE_INVALID', `cannot kill container "${id}": container not running`)
  for (const pid of o.all ? pidsOf(record) : [record.pid]) {
    try {
      process.kill(pid, sig)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }
}

async function waitDead(record: ContainerRecord, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (!isAlive(record)) return true
    await new Promise(r => setTimeout(r, 10))
  }
  return !isAlive(record)
}

/** Removes a container that no longer runs: poststop hooks, cgroups, state. */
async function destroy(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  await runHooksWarn('poststop', record.config.hooks?.poststop, ociState(record, 'stopped'), ctx.warn)
  removeCgroupQuietly(record.cgroupDirs)
  removeContainerDir(ctx.root, record.id)
}

export async function deleteContainer(ctx: RuntimeContext, id: string, o: { force?: boolean }): Promise<void> {
  if (ctx.external) return (await external()).deleteExternal(ctx, ctx.external, id)
  let record: ContainerRecord
  try {
    record = readRecord(ctx.root, id)
  } catch (err) {
    // as runc: forcing the removal of what is already gone succeeds (podman cleans up after a failed create so);
    // a directory without a record is what a create killed at its first step leaves
    if (o.force && err instanceof CockerError && err.code === 'CONTAINER_NOT_FOUND') return removeContainerDir(ctx.root, id)
    throw err
  }
  const status = statusOf(ctx, record)
  if (status !== 'stopped') {
    if (status !== 'created' && !o.force) {
      throw new CockerError('CONTAINER_STATE_INVALID', `cannot delete container "${id}": it is ${status}`,
        { hint: `stop it first, or use "cocker-runtime delete --force ${id}"` })
    }
    if (status === 'paused') await freeze(record.cgroupDirs, false)
    for (const pid of pidsOf(record)) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    if (!await waitDead(record, 5000)) {
      throw new CockerError('CONTAINER_STATE_INVALID', `container "${id}" did not die after SIGKILL`)
    }
  }
  await destroy(ctx, record)
}

export async function execProcess(ctx: RuntimeContext, o: {
  id: string; processFile?: string; args?: string[]; tty?: boolean; detach?: boolean; pidFile?: string; consoleSocket?: string
  cwd?: string; env?: string[]; user?: string; additionalGids?: number[]; caps?: string[]; noNewPrivs?: boolean
  preserveFds?: number; ignorePaused?: boolean
  /** With a terminal relayed: these bytes (hex, monitor.ts parseDetachKeys) typed on it detach, the process runs on. */
  detachKeys?: string
  /** The process's stdin when not our own (exec without -i reads /dev/null); or its whole stdio (health checks capture it). */
  stdin?: 'inherit' | 'ignore'; stdio?: HelperOptions['stdio']
}): Promise<number> {
  if (ctx.external) return (await external()).execExternal(ctx, ctx.external, o)
  const record = readRecord(ctx.root, o.id)
  const status = statusOf(ctx, record)
  if (status !== 'running' && status !== 'created' && !(status === 'paused' && o.ignorePaused)) {
    throw new CockerError('CONTAINER_STATE_INVALID', `cannot exec in container "${o.id}": it is ${status}`)
  }
  const proc = execSpecProcess(record.config, o)
  const seccomp = await compileSeccompIfAny(record.config.linux?.seccomp, ctx.seccompCache)
  const mode = o.detach ? 'detach' : 'wait'
  const ops: Op[] = [['mode', mode]]
  if (o.preserveFds) ops.push(['preserve-fds', o.preserveFds])
  const nsFile: Record<string, string> = { user: 'user', ipc: 'ipc', uts: 'uts', network: 'net', pid: 'pid', cgroup: 'cgroup', mount: 'mnt' }
  for (const type of ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'mount']) {
    if (record.config.linux?.namespaces?.some(n => n.type === type)) ops.push(['ns-join', nsFile[type], `/proc/${record.pid}/ns/${nsFile[type]}`])
  }
  for (const dir of record.cgroupDirs) ops.push(['cgroup-join', path.join(dir, 'cgroup.procs')])
  // without a mount namespace to join, the container's root is only where its init has it
  if (!record.config.linux?.namespaces?.some(n => n.type === 'mount')) ops.push(['enter-root', `/proc/${record.pid}/root`])
  if (proc.terminal) {
    if (o.consoleSocket) ops.push(['console-socket', o.consoleSocket])
    else if (!o.detach) {
      ops.push(['console-relay'])
      if (o.detachKeys) ops.push(['monitor-detach-keys', o.detachKeys])
    }
    else throw new CockerError('INVALID_ARGUMENT', 'exec --tty --detach needs --console-socket to receive the terminal')
    ops.push(['console', proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0])
  }
  const warnings: string[] = []
  const userns = record.config.linux?.namespaces?.some(n => n.type === 'user')
  const idmap = userns ? (record.rootless && (record.config.linux?.uidMappings?.length ?? 0) <= 1 ? 'direct' : 'external') : 'none'
  ops.push(...processOps(proc, { mode, seccomp, rootless: record.rootless }, idmap, warnings))
  warnings.forEach(w => ctx.warn(w))
  const result = await runHelper(encodePlan(ops), {
    until: o.detach ? 'started' : 'exit',
    stdio: o.stdio ?? stdioFor(o.preserveFds, o.stdin),
    forwardSignals: !o.detach,
    onStarted: async pid => writePidFile(o.pidFile, pid),
  })
  return result.exitCode ?? 0
}

/** The process to exec: --process JSON, or the container's process with argv and the flags applied (runc's rules). */
export function execSpecProcess(config: Spec, o: Parameters<typeof execProcess>[1]): Process {
  if (o.processFile) {
    let text: string
    try {
      text = readFileSync(o.processFile, 'utf8')
    } catch (err) {
      throw new CockerError('INVALID_ARGUMENT', `cannot read the process file ${o.processFile}: ${(err as Error).message}`)
    }
    let proc: Process
    try {
      proc = JSON.parse(text) as Process
    } catch (err) {
      throw new CockerError('CONFIG_INVALID', `${o.processFile}: not valid JSON: ${(err as Error).message}`)
    }
    if (!proc.args?.length) throw new CockerError('CONFIG_INVALID', `${o.processFile}: /args: the process has no command to run`)
    proc.user ??= { uid: 0, gid: 0 }
    proc.cwd ??= '/'
    return proc
  }
  if (!o.args?.length) throw new CockerError('INVALID_ARGUMENT', 'exec needs a command to run, or --process')
  const base = config.process ?? { user: { uid: 0, gid: 0 }, cwd: '/' }
  const user = { ...base.user, additionalGids: o.additionalGids ?? base.user.additionalGids }
  if (o.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user)
    if (!m) throw new CockerError('INVALID_ARGUMENT', `--user "${o.user}" must be UID or UID:GID`)
    user.uid = Number(m[1])
    user.gid = m[2] !== undefined ? Number(m[2]) : 0
  }
  const caps = base.capabilities ?? {}
  const plus = (list: string[] | undefined) => [...new Set([...(list ?? []), ...(o.caps ?? [])])]
  return {
    ...base,
    args: o.args,
    terminal: o.tty ?? false,
    cwd: o.cwd ?? base.cwd,
    env: [...(base.env ?? []), ...(o.env ?? [])],
    user,
    capabilities: o.caps?.length
      ? { bounding: plus(caps.bounding), effective: plus(caps.effective), permitted: plus(caps.permitted), inheritable: plus(caps.inheritable), ambient: plus(caps.ambient) }
      : caps,
    noNewPrivileges: o.noNewPrivs || base.noNewPrivileges,
  }
}

export async function listContainers(ctx: RuntimeContext): Promise<{ id: string; pid: number; status: string; bundle: string; created: string; owner: string }[]> {
  return listIds(ctx.root).flatMap(id => {
    try {
      const record = readRecord(ctx.root, id)
      const status = statusOf(ctx, record)
      return [{ id, pid: status === 'stopped' ? 0 : record.pid, status, bundle: record.bundle, created: record.created, owner: userName(record.ownerUid) }]
    } catch {
      return []
    }
  })
}

export async function containerPids(ctx: RuntimeContext, id: string): Promise<number[]> {
  // an external runtime's container has its own pid namespace unless told otherwise (its `ps` needs cgroups, which rootless lacks here)
  if (ctx.external) return ctx.external.pid ? pidNamespaceMembers(ctx.external.pid) : []
  return pidsOf(readRecord(ctx.root, id))
}

async function setFrozen(ctx: RuntimeContext, id: string, frozen: boolean): Promise<void> {
  if (ctx.external) return (await external()).setFrozenExternal(ctx, ctx.external, id, frozen)
  const record = readRecord(ctx.root, id)
  const status = statusOf(ctx, record)
  const want = frozen ? 'running' : 'paused'
  if (status !== want) throw new CockerError('CONTAINER_STATE_INVALID', `cannot ${frozen ? 'pause' : 'resume'} container "${id}": it is ${status}`)
  if (!record.cgroupDirs.length) {
    throw new CockerError('NOT_SUPPORTED', `cannot ${frozen ? 'pause' : 'resume'} container "${id}": it has no cgroup with a freezer`,
      { hint: 'a rootless container gets cgroups only on cgroup v2 with delegation' })
  }
  await freeze(record.cgroupDirs, frozen)
}

export const pauseContainer = (ctx: RuntimeContext, id: string) => setFrozen(ctx, id, true)
export const resumeContainer = (ctx: RuntimeContext, id: string) => setFrozen(ctx, id, false)

export async function runtimeFeatures(): Promise<object> {
  const { seccompFeatures } = await import('./seccomp.js')
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['async', 'atime', 'bind', 'dev', 'diratime', 'dirsync', 'exec', 'lazytime', 'mand', 'noatime', 'nodev',
      'nodiratime', 'noexec', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'nosymfollow', 'private',
      'rbind', 'relatime', 'remount', 'ro', 'rprivate', 'rshared', 'rslave', 'runbindable', 'rw', 'shared', 'slave',
      'strictatime', 'suid', 'symfollow', 'sync', 'unbindable'],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: { enabled: true, ...seccompFeatures },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
  }
}
