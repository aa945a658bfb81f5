/**
 * The monitor: the helper in mode monitor (c/monitor.c) stays the parent of a
 * container's init for its whole life, as conmon does for podman. It writes
 * the log and the exit file, serves the attach socket and, at the end,
 * releases the container itself or runs the clean-up command. This module turns MonitorOptions into its ops and
 * attaches to a running one through `cocker-helper attach`.
 */
import { CockerError } from '../errors.js'
import { childProcess } from '../sys/child-process.js'
import { helperPath } from './helper.js'
import type { Op } from './protocol.js'

export interface MonitorOptions {
  /** Written when the init ends: {"exitCode":N,"signal"?:"KILL","finishedAt":"…Z"}. */
  exitFile: string
  /** The k8s-file log; none without (log driver none). */
  logFile?: string
  /** Past this many bytes the log starts again from empty (podman's max-size). */
  logMaxSize?: number
  /** The attach socket (SOCK_SEQPACKET, 0600). */
  socket: string
  /** -i: the container's stdin is a pipe fed by clients; else /dev/null. */
  stdin: boolean
  /** The caller's stdio is a client from the start and runContainer waits for the exit. */
  foreground: boolean
  /** --log-driver passthrough: the container gets the caller's fds 0-2 themselves. */
  passthrough?: boolean
  /** Podman's syntax ("ctrl-p,ctrl-q"; "" for none), for the foreground client. */
  detachKeys: string
  /** Run by the monitor after the exit file, unless a foreground caller said it cleans up. */
  cleanup: string[]
  /**
   * The container's lock file: the monitor itself releases what the runtime holds (its cgroups
   * and state dir, which runContainer names) under this lock, and runs `cleanup` only if that
   * fails (c/release.c). For containers whose clean-up is no more than that (cleanup.ts).
   */
  releaseLock?: string
  health?: { intervalMs: number; argv: string[] }
  /** The container's network process writes its pid here (lib/network): the monitor kills it when the init ends. */
  networkPidFile?: string
  /** sd_notify (lib/systemd/notify.ts): systemd's socket ("" for none), the mode, the container's socket directory ("" for none). */
  notify?: { socket: string; mode: string; proxyDir: string }
  /** Foreground: pass our signals on to the container (--sig-proxy); default true. */
  sigProxy?: boolean
  /** Called as soon as the monitor process exists, with its pid. */
  onSpawn?: (monitorPid: number) => void
  /** Called once the container's process started, with the monitor's pid and the init's. */
  onStarted?: (monitorPid: number, pid: number) => void
  /** Foreground: when the container ends, tell the monitor that we clean up; default true. */
  ackExit?: boolean
  /**
   * Foreground, rootless --rm: directories (the upper and work dirs) that the monitor empties,
   * as root of the container's user namespace, when `wanted()` says at the exit that the
   * container goes; the run's result then waits for the monitor's end (helper.ts removeAtExit).
   */
  removeAtExit?: { dirs: string[]; wanted(): boolean }
}

export interface MonitorResult {
  /** The container's status (128+N for signal N), foreground only, unless detached. */
  exitCode?: number
  signal?: string
  /** The foreground client typed the detach keys: the container runs on. */
  detached: boolean
  monitorPid: number
  /** The init's pid. */
  pid: number
}

/** The ops that follow `mode monitor` in the plan; `held`: what the runtime holds of the container, to release. */
export function monitorOps(o: MonitorOptions, held?: { stateDir: string; cgroupDirs: string[] }): Op[] {
  const ops: Op[] = [['monitor-exit', o.exitFile], ['monitor-socket', o.socket]]
  if (o.logFile && !o.passthrough) ops.push(['monitor-log', o.logFile])
  if (o.logFile && o.logMaxSize) ops.push(['monitor-log-max', o.logMaxSize])
  if (o.stdin) ops.push(['monitor-stdin'])
  if (o.passthrough) ops.push(['monitor-passthrough'])
  if (o.foreground) ops.push(['monitor-foreground'])
  const keys = parseDetachKeys(o.detachKeys)
  if (keys) ops.push(['monitor-detach-keys', keys])
  ops.push(['monitor-cleanup', o.cleanup])
  if (o.releaseLock && held) ops.push(['monitor-release', o.releaseLock, held.stateDir, held.cgroupDirs])
  if (o.health) ops.push(['monitor-health', o.health.intervalMs, o.health.argv])
  if (o.networkPidFile) ops.push(['monitor-kill-pidfile', o.networkPidFile])
  if (o.notify) ops.push(['monitor-notify', o.notify.socket, o.notify.mode, o.notify.proxyDir])
  if (o.foreground && o.removeAtExit) ops.push(['monitor-remove', o.removeAtExit.dirs])
  return ops
}

/** ctrl-@ is 0, ctrl-a … ctrl-z 1-26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_ 27-31 (the terminal's control codes). */
const CTRL = '@abcdefghijklmnopqrstuvwxyz[\\]^_'

/**
 * Podman's --detach-keys: a comma-separated list of single characters and
 * ctrl-<key>; "" disables detaching. Returns the bytes as hex ("ctrl-p,ctrl-q" → "1011").
 */
export function parseDetachKeys(spec: string): string {
  if (spec === '') return ''
  const bytes = spec.split(',').map(key => {
    const ctrl = /^ctrl-(.)$/i.exec(key)
    const code = key.length === 1 ? key.charCodeAt(0) : ctrl ? CTRL.indexOf(ctrl[1]!.toLowerCase()) : -1
    if (code < 0 || code > 127) {
      throw new CockerError('INVALID_ARGUMENT', `--detach-keys "${spec}": "${key}" is not a key`,
        { hint: 'give single ASCII characters and ctrl-<a-z, @, [, \\, ], ^ or _>, separated by commas, such as "ctrl-p,ctrl-q"' })
    }
    return code
  })
  return Buffer.from(bytes).toString('hex')
}

export type AttachOutcome = { outcome: 'exit'; code: number } | { outcome: 'detached' } | { outcome: 'lost' }

/**
 * Attaches our stdio to a running container's monitor until the container
 * ends, the detach keys are typed, or the monitor goes away.
 */
export function attach(socket: string, o: { stdin: boolean; tty: boolean; detachKeys: string }): Promise<AttachOutcome> {
  const keys = parseDetachKeys(o.detachKeys)
  const args = ['attach', socket, '--status-fd', '3']
  if (!o.stdin) args.push('--no-stdin')
  if (o.tty) args.push('--tty')
  if (keys) args.push('--detach-keys', keys)
  const child = childProcess().spawn(helperPath(), args, { stdio: [o.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit', 'pipe'] })
  const statusPipe = child.stdio[3] as NodeJS.ReadableStream
  let status = ''
  statusPipe.setEncoding('utf8')
  statusPipe.on('data', (chunk: string) => { status += chunk })
  return new Promise((resolve, reject) => {
    child.on('error', err => reject(new CockerError('HELPER_NOT_FOUND', `cannot run the helper ${helperPath()}: ${err.message}`)))
    child.on('close', () => {
      const line = status.trim()
      const exit = /^exit (\d+)$/.exec(line)
      if (exit) resolve({ outcome: 'exit', code: Number(exit[1]) })
      else if (line === 'detached') resolve({ outcome: 'detached' })
      else resolve({ outcome: 'lost' })
    })
  })
}
