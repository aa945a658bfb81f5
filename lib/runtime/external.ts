/**
 * An external OCI runtime (`--runtime crun|runc|PATH`), driven through its runc-compatible
 * command line as podman drives it, with the monitor (c/monitor.c) in conmon's role: it
 * stays the container's parent of record, holds its stdio, writes the log and the exit file.
 *
 *   start    the monitor clones a launcher into a mount namespace of its own (rootless: and
 *            a user namespace mapped from /etc/subuid, where it is root), which mounts the
 *            image's layers on merged/, runs `RUNTIME create` with the container's stdio
 *            (a pty master comes back over --console-socket), then execs `RUNTIME start`.
 *            The init, orphaned by create, reparents to the monitor, the subreaper; the
 *            monitor reads its pid from --pid-file. The overlay stays in the container's
 *            mount namespace only: nothing is mounted on the host.
 *   kill, exec, pause, resume, delete
 *            `RUNTIME --root STATE …` from here as root; rootless through the helper, as root
 *            of the container's user namespace (joined from /proc/INIT/ns/user; once the
 *            init is gone, a new one with the same maps does for delete).
 *
 * Rootless, the bundle's config.json has no user namespace of its own (create.ts): the
 * runtime runs as root in ours, as it does under podman. Every command logs to
 * userdata/oci-log (--log-format json), whose last error explains a failure.
 */
import { accessSync, constants as fsc, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync,
  statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from '../sys/random.js'
import { CockerError, ExecError } from '../errors.js'
import { enterOps, usernsMapsForCaller, type UsernsMaps } from '../rootless/userns.js'
import { childProcess } from '../sys/child-process.js'
import { pidRunning } from '../sys/proc.js'
import { runHelper, type HelperOptions } from './helper.js'
import { hostMountOps } from './compile.js'
import { execSpecProcess, monitorStdio, stdioFor, type LaunchOptions, type RuntimeContext } from './lifecycle.js'
import { signalNumber } from './linux.js'
import { monitorOps, type MonitorOptions, type MonitorResult } from './monitor.js'
import type { Spec } from './oci-spec.js'
import { encodePlan, type Op } from './protocol.js'

/** A runtime as the user chose it: its name (inspect's OCIRuntime) and its binary. */
export interface OciRuntime {
  name: string
  path: string
}

/** What the commands on one container need of its runtime. */
export interface ExternalRuntime extends OciRuntime {
  /** --root: the runtime's state of our containers. */
  root: string
  /** --log: the container's userdata/oci-log. */
  logFile: string
  /** The init's host pid while it runs, else 0. */
  pid: number
}

/** Where podman looks for the runtimes it knows ([engine.runtimes]'s defaults), after containers.conf's. */
const KNOWN_PATHS: Record<string, string[]> = {
  crun: ['/usr/bin/crun', '/usr/sbin/crun', '/usr/local/bin/crun', '/usr/local/sbin/crun', '/sbin/crun', '/bin/crun', '/run/current-system/sw/bin/crun'],
  runc: ['/usr/bin/runc', '/usr/sbin/runc', '/usr/local/bin/runc', '/usr/local/sbin/runc', '/sbin/runc', '/bin/runc',
    '/usr/lib/cri-o-runc/sbin/runc', '/run/current-system/sw/bin/runc'],
}

/** cocker's built-in runtime, by the name inspect shows for it. */
export const BUILTIN_RUNTIME = 'cocker'

const executable = (file: string): boolean => {
  try {
    accessSync(file, fsc.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

/**
 * The runtime `choice` names (--runtime, containers.conf's runtime): undefined for cocker's own;
 * a path as it is; a name through containers.conf's [engine.runtimes], podman's known paths,
 * then $PATH.
 */
export function resolveOciRuntime(choice: string | undefined, o: { env: NodeJS.ProcessEnv; runtimes?: Record<string, string[]>; what?: string }): OciRuntime | undefined {
  if (!choice || choice === BUILTIN_RUNTIME) return undefined
  const what = o.what ?? '--runtime'
  if (choice.includes('/')) {
    const file = path.resolve(choice)
    if (!executable(file)) {
      throw new CockerError('RUNTIME_NOT_FOUND', `${what} ${choice}: OCI runtime not found: ${file} is not an executable file`,
        { hint: 'install it or give the path of a runc-compatible runtime' })
    }
    return { name: path.basename(file), path: file }
  }
  const dirs = (o.env.PATH ?? '').split(':').filter(d => d.startsWith('/'))
  const candidates = [...o.runtimes?.[choice] ?? [], ...KNOWN_PATHS[choice] ?? [], ...dirs.map(d => path.join(d, choice))]
  const found = candidates.find(executable)
  if (!found) {
    throw new CockerError('RUNTIME_NOT_FOUND', `${what} ${choice}: OCI runtime "${choice}" not found in $PATH or containers.conf's [engine.runtimes]`,
      { hint: `install it or give a path, such as --runtime /usr/bin/${choice}` })
  }
  return { name: choice, path: found }
}

const MS_REC_SLAVE = 0x4000 | 0x80000
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

function globalArgs(rt: ExternalRuntime): string[] {
  return [rt.path, '--root', rt.root, '--log', rt.logFile, '--log-format', 'json']
}

const sizeOf = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0

/** The last error the runtime logged since `offset` (its JSON lines: {"level":"error","msg":…}). */
function loggedError(file: string, offset: number): string | undefined {
  let text: string
  try {
    const fd = openSync(file, 'r')
    const buf = Buffer.alloc(Math.max(0, Math.min(sizeOf(file) - offset, 1 << 20)))
    readSync(fd, buf, 0, buf.length, offset)
    closeSync(fd)
    text = buf.toString('utf8')
  } catch {
    return undefined
  }
  let last: string | undefined
  // runc may end a JSON line with plain text and no newline: split at each {"
  for (const line of text.split(/\n|(?=\{")/)) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string }
      if (entry.level === 'error' && entry.msg) last = entry.msg
    } catch { /* not one of its lines */ }
  }
  return last
}

/**
 * The runtime's failure as podman reports it: a command that is not there is 127, one that
 * cannot be run 126 (podman reads both from the runtime's message; there is nothing else to
 * go by), anything else 125 with the runtime's words.
 */
function runtimeError(rt: OciRuntime, message: string): CockerError {
  const text = `${rt.name}: ${message}`
  // with the words podman adds to the runtime's
  if (/executable file not found|no such file or directory/i.test(message)) {
    return new ExecError(os.constants.errno.ENOENT, '', `${text}: OCI runtime attempted to invoke a command that was not found`)
  }
  if (/permission denied/i.test(message)) return new ExecError(os.constants.errno.EACCES, '', `${text}: OCI permission denied`)
  // crun refuses a hybrid cgroup host whose cgroup2 mount holds controllers
  const hint = /hybrid mode/i.test(message)
    ? 'as root, give those controllers their own v1 hierarchy, e.g. "mkdir /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb", or use another runtime'
    : undefined
  return new CockerError('RUNTIME_FAILED', text, { hint })
}

/** The container's config.json, beside the runtime's log in its bundle. */
const bundleConfig = (rt: ExternalRuntime): Spec => JSON.parse(readFileSync(path.join(path.dirname(rt.logFile), 'config.json'), 'utf8')) as Spec

const pathEnv = (): Op => ['env', `PATH=${process.env.PATH || DEFAULT_PATH}`]

/**
 * Runs the container: create and start under a new monitor. As runContainer (lifecycle.ts)
 * with a monitor: foreground, it returns when the container ends; else once it started.
 */
export async function runExternal(ctx: RuntimeContext, rt: ExternalRuntime, o: LaunchOptions & { monitor: MonitorOptions }): Promise<MonitorResult> {
  const m = o.monitor
  const bundle = path.resolve(o.bundle)
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as Spec
  if (o.rootfsOverlay?.program) {
    throw new CockerError('NOT_SUPPORTED', `--runtime ${rt.name}: the fuse-overlayfs storage driver works with cocker's own runtime only`,
      { hint: 'drop --runtime, or use the overlay or vfs driver (after "cocker system reset")' })
  }
  mkdirSync(rt.root, { recursive: true, mode: 0o700 })
  const pidFile = path.join(bundle, 'pidfile')
  rmSync(pidFile, { force: true })
  const logStart = sizeOf(rt.logFile)
  // the runtime connects to it by path: short, in a private dir
  const consoleDir = spec.process?.terminal ? mkdtempSync(path.join(os.tmpdir(), 'cocker-console-')) : undefined
  const consoleSocket = consoleDir && path.join(consoleDir, 'sock')
  const dropConsoleDir = () => { if (consoleDir) rmSync(consoleDir, { recursive: true, force: true }) }
  const maps = ctx.rootless ? usernsMapsForCaller() : undefined
  if (maps?.warning) ctx.warn(maps.warning)

  const ops: Op[] = [['mode', 'monitor'], ...monitorOps(m), ['runtime-pid-file', pidFile]]
  if (consoleSocket) ops.push(['console-listen', consoleSocket])
  ops.push(...(maps ? enterOps(maps, 'user,mnt') : [['ns-new', 'mnt'] as Op]))
  const rootfs = path.resolve(bundle, spec.root?.path ?? 'rootfs')
  // root, and the container has a user namespace: its root could not pass the store (compile.ts, storeRoot)
  const ownUserns = spec.linux?.namespaces?.some(n => n.type === 'user' && !n.path)
  const fromHost = !maps && ownUserns && o.storeRoot !== undefined
  if (fromHost) ops.push(...hostMountOps(spec, { bundle, rootfs, storeRoot: o.storeRoot!, overlay: o.rootfsOverlay, more: [bundle] }))
  // the overlay is mounted where only the runtime (and the container's copy of this namespace) sees it
  ops.push(['propagation', '/', MS_REC_SLAVE])
  if (o.rootfsOverlay && !fromHost) ops.push(['overlay', rootfs, o.rootfsOverlay.data, o.rootfsOverlay.cwd])
  ops.push(pathEnv())
  ops.push(['spawn-wait', [...globalArgs(rt), 'create', '--bundle', bundle, '--pid-file', pidFile,
    ...(consoleSocket ? ['--console-socket', consoleSocket] : []), o.id]])
  ops.push(['argv', [...globalArgs(rt), 'start', o.id]], ['exec'])
  try {
    const r = await runHelper(encodePlan(ops), {
      until: m.foreground ? 'exit' : 'started',
      stdio: monitorStdio(m),
      forwardSignals: m.foreground && (m.sigProxy ?? true),
      ownHelper: true,
      onSpawn: m.onSpawn,
      ackExit: m.foreground && (m.ackExit ?? true),
      onStarted: async (pid, helperPid) => {
        dropConsoleDir()
        m.onStarted?.(helperPid ?? 0, pid)
      },
    })
    return { exitCode: r.exitCode, signal: r.signal, detached: r.detached ?? false, monitorPid: r.helperPid ?? 0, pid: r.pid }
  } catch (err) {
    dropConsoleDir()
    // the helper says which step failed; the runtime's log says why
    const logged = loggedError(rt.logFile, logStart)
    await deleteExternal(ctx, { ...rt, pid: 0 }, o.id).catch(() => {})
    throw logged ? runtimeError(rt, logged) : err
  }
}

/**
 * `RUNTIME ARGS…` with the given stdio; its exit status. Rootless, as root of the container's
 * user namespace while its init runs, else of a new one with the same maps.
 */
async function runtimeCommand(ctx: RuntimeContext, rt: ExternalRuntime, args: string[], stdio: HelperOptions['stdio'] = ['inherit', 'inherit', 'inherit'],
  onStderr?: HelperOptions['onStderr']): Promise<number> {
  const argv = [...globalArgs(rt), ...args]
  if (!ctx.rootless) {
    const child = childProcess().spawn(argv[0]!, argv.slice(1), { stdio })
    if (child.stderr) onStderr?.(child.stderr)
    return new Promise((resolve, reject) => {
      child.on('error', err => reject(new CockerError('RUNTIME_NOT_FOUND', `cannot run ${rt.path}: ${err.message}`)))
      child.on('exit', (code, signal) => resolve(code ?? 128 + (signalNumber(signal ?? 'KILL') ?? 9)))
    })
  }
  let maps: UsernsMaps | undefined
  const ops: Op[] = [['mode', 'wait']]
  if (pidRunning(rt.pid)) {
    ops.push(['ns-join', 'user', `/proc/${rt.pid}/ns/user`], ['setid', 0, 0])
  } else {
    maps = usernsMapsForCaller()
    ops.push(...enterOps(maps, 'user'))
  }
  ops.push(pathEnv(), ['argv', argv], ['exec'])
  const r = await runHelper(encodePlan(ops), {
    until: 'exit',
    stdio,
    onStderr,
    forwardSignals: true,
  })
  return r.exitCode ?? 0
}

const QUIET: HelperOptions['stdio'] = ['ignore', 'ignore', 'ignore']

/** `RUNTIME ARGS…` that must succeed; its logged error otherwise. */
async function mustRun(ctx: RuntimeContext, rt: ExternalRuntime, what: string, args: string[]): Promise<void> {
  const logStart = sizeOf(rt.logFile)
  const code = await runtimeCommand(ctx, rt, args, QUIET)
  if (code !== 0) throw runtimeError(rt, loggedError(rt.logFile, logStart) ?? `${what} failed with status ${code} and logged no reason`)
}

export async function killExternal(ctx: RuntimeContext, rt: ExternalRuntime, id: string, signal: string, o: { all?: boolean }): Promise<void> {
  const sig = signalNumber(signal)
  if (sig === undefined) throw new CockerError('INVALID_ARGUMENT', `unknown signal "${signal}"`, { hint: 'use a name such as TERM or KILL, or a number' })
  const notRunning = () => new CockerError('CONTAINER_STATE_INVALID', `container "${id}" is not running`)
  if (!pidRunning(rt.pid)) throw notRunning()
  // with a pid namespace of its own, the init's end ends every process in it (as podman
  // decides); --all would go by the cgroup, which a rootless container may lack
  const all = o.all && !bundleConfig(rt).linux?.namespaces?.some(n => n.type === 'pid' && !n.path)
  try {
    await mustRun(ctx, rt, 'kill', ['kill', ...(all ? ['--all'] : []), id, String(sig)])
  } catch (err) {
    if (!pidRunning(rt.pid)) throw notRunning()
    throw err
  }
}

/** `RUNTIME delete --force`: what is left of the container in the runtime (processes, cgroups, state). */
export async function deleteExternal(ctx: RuntimeContext, rt: ExternalRuntime, id: string): Promise<void> {
  if (!existsSync(path.join(rt.root, id))) return
  await mustRun(ctx, rt, 'delete', ['delete', '--force', id])
}

export async function setFrozenExternal(ctx: RuntimeContext, rt: ExternalRuntime, id: string, frozen: boolean): Promise<void> {
  await mustRun(ctx, rt, frozen ? 'pause' : 'resume', [frozen ? 'pause' : 'resume', id])
}

/**
 * `RUNTIME exec --process FILE`: the process as execProcess builds it from the container's config.
 * The runtime's complaint about a process it could not start (a missing command) goes to the fd 2
 * the process would have had; Podman shows only its own line for it (conmon drops the output of an
 * exec that never started). So, waiting for the process, fd 2 is a pipe held back until the process
 * has started (the runtime has written the pid file), and dropped if it never did and the runtime
 * logged why: runtimeError's line is the one the user sees.
 */
export async function execExternal(ctx: RuntimeContext, rt: ExternalRuntime, o: Parameters<typeof import('./lifecycle.js').execProcess>[1]): Promise<number> {
  if (!pidRunning(rt.pid)) throw new CockerError('CONTAINER_STATE_INVALID', `cannot exec in container "${o.id}": it is not running`)
  const bundle = path.dirname(rt.logFile)
  const proc = execSpecProcess(bundleConfig(rt), o)
  const file = path.join(bundle, `exec-${randomBytes(6).toString('hex')}.json`)
  const pidFile = o.pidFile ?? `${file}.pid`
  writeFileSync(file, JSON.stringify(proc))
  const logStart = sizeOf(rt.logFile)
  const held = o.detach || o.stdio ? undefined : holdUntilStarted(pidFile)
  try {
    const args = ['exec', '--process', file, ...(o.detach ? ['--detach'] : []), '--pid-file', pidFile, o.id]
    const stdio = o.stdio ?? stdioFor(o.preserveFds, o.stdin)!
    const code = await runtimeCommand(ctx, rt, args, held ? stdio.map((s, i) => (i === 2 ? 'pipe' : s)) : stdio, held?.attach)
    // the runtime's own failure (its status 1 or 255 and a logged error), not the process's status
    const failure = loggedError(rt.logFile, logStart)
    await held?.settle(failure !== undefined)
    if (failure) throw runtimeError(rt, failure)
    return code
  } finally {
    held?.stop()
    rmSync(file, { force: true })
    if (!o.pidFile) rmSync(pidFile, { force: true })
  }
}

/** Passes a stream on to our stderr once `pidFile` exists; what came before is held (execExternal). */
function holdUntilStarted(pidFile: string) {
  let held: Buffer[] = []
  let started = false
  let ended: Promise<void> = Promise.resolve()
  const start = () => {
    started = true
    clearInterval(poll)
    for (const b of held) process.stderr.write(b)
    held = []
  }
  // a process that writes once and waits still has its line shown
  const poll = setInterval(() => { if (held.length && existsSync(pidFile)) start() }, 10)
  return {
    attach: (stream: NodeJS.ReadableStream) => {
      ended = new Promise(resolve => { stream.on('end', resolve); stream.on('error', () => resolve()) })
      stream.on('data', (b: Buffer) => {
        if (!started && existsSync(pidFile)) start()
        if (started) process.stderr.write(b)
        else held.push(b)
      })
    },
    /** After the runtime's exit: once its fd 2 has ended, what was held is dropped if the process never started. */
    settle: async (failed: boolean) => {
      await ended
      if (failed && !started && !existsSync(pidFile)) held = []
      start()
    },
    stop: () => clearInterval(poll),
  }
}
