/**
 * Runs cocker-helper with a plan and follows its events (protocol.ts).
 *
 *   TS                                  helper
 *   spawn; plan on fd R, EOF  ------->  hello (checked first: protocol versions must match)
 *                            <-------  pid
 *                            <-------  hooks          → onHooks: run TS hooks, send u32 length + state on fd S
 *                            <-------  created | started | exit | error
 *
 * The helper dying before the awaited event rejects with HELPER_DIED: a
 * crashed helper never turns into a hung command.
 *
 * Under bin/cocker-runtime, and in bin/cocker's `run`, the first helper is already
 * running: c/launch.c started it while node booted, waiting on pipes node inherited
 * (see there and launcher-fds.ts). It serves a plan whose stdio is its own.
 */
import type { StdioOptions } from 'node:child_process'
import { closeSync, existsSync, writeSync } from 'node:fs'
import { Socket } from 'node:net'
import type { Stream } from 'node:stream'
import { getSystemErrorMap } from 'node:util'
import { CockerError, ExecError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { childProcess } from '../sys/child-process.js'
import { takeLauncherFds } from './launcher-fds.js'
import { PROTOCOL_VERSION, type HelperEvent } from './protocol.js'

export function helperPath(): string {
  const override = process.env.COCKER_HELPER
  if (override) return override
  return `${packageRoot()}c/cocker-helper`
}

export interface HelperOptions {
  /** Which event ends the wait: the init waiting at the fifo, the process started, or its exit. */
  until: 'created' | 'started' | 'exit'
  /** Container stdio (fds 0-2) and preserved fds after them; default: inherit 0-2. 'pipe' (fds 0-2 only): see onStdio. A stream: its fd, as spawn shares it. */
  stdio?: (number | 'inherit' | 'ignore' | 'pipe' | Stream)[]
  /** fd 2 given as 'pipe': its read end, as soon as the helper is spawned. */
  onStderr?: (stderr: NodeJS.ReadableStream) => void
  /** fds 0 and 1 given as 'pipe': our ends (stdin's write end, stdout's read end), as soon as the helper is spawned. */
  onStdio?: (pipes: { stdin?: NodeJS.WritableStream; stdout?: NodeJS.ReadableStream }) => void
  onPid?: (pid: number) => void
  /** The process was exec'd: runs before the wait for its exit goes on. */
  onStarted?: (pid: number, helperPid?: number) => Promise<void>
  /** Foreground: pass the signals we get on to the helper, which passes them to the container. */
  forwardSignals?: boolean
  onHooks?: (stage: string, pid: number) => Promise<string>
  /** The helper process exists (its pid; the monitor's, in mode monitor): called before anything else. */
  onSpawn?: (helperPid: number) => void
  /** Mode monitor: a helper of our own (it outlives us), never the launcher's. */
  ownHelper?: boolean
  /** Mode monitor, foreground: at the exit, one byte on the sync fd says that we clean up. */
  ackExit?: boolean
  /**
   * With ackExit and monitor-remove: asked at the exit; true sends 'r' instead, and the monitor
   * empties those directories before it ends, which the result then waits for.
   */
  removeAtExit?: () => boolean
}

export interface HelperResult {
  pid: number; exitCode?: number; signal?: string
  /** Mode monitor: the foreground client detached. */
  detached?: boolean
  /** The helper's own pid (the monitor's, in mode monitor); unknown for the launcher's. */
  helperPid?: number
}

export function errnoText(errno: number): string {
  const entry = getSystemErrorMap().get(-errno)
  return entry ? entry[1] : `errno ${errno}`
}

const EXEC_STAGES = new Set(['check-exec', 'exec', 'fifo-wait'])

/** Turns the helper's structured error into a CockerError with a sentence a user can act on. */
export function helperError(ev: Extract<HelperEvent, { event: 'error' }>): CockerError {
  const reason = ev.errno ? `${ev.message}: ${errnoText(ev.errno)}` : ev.message
  if (ev.syscall === 'execve' && EXEC_STAGES.has(ev.stage)) return new ExecError(ev.errno, ev.path ?? '', ev.message)
  if (ev.stage === 'idmap-external') {
    return new CockerError('IDMAP_FAILED', reason,
      { hint: 'install newuidmap and newgidmap (the uidmap package), and check your lines in /etc/subuid and /etc/subgid' })
  }
  const hint = ev.errno === 1 && ev.stage === 'mount'
    ? 'a rootless container can only mount what its user namespace owns: bind-mount /sys instead of sysfs without a network namespace, and drop cgroup mounts'
    : undefined
  return new CockerError(ev.stage === 'hook' || ev.stage === 'run-hooks' ? 'HOOK_FAILED' : 'HELPER_FAILED', reason, { hint })
}

/** A helper to send a plan to: its three pipes, and how it ends. */
interface HelperLink {
  name: string
  pid?: number
  /** Writes the plan and closes the request pipe: its end is what the helper waits for. */
  sendPlan(plan: Buffer): void
  events: NodeJS.ReadableStream
  /** fd 2's read end, when the plan's stdio asked for a pipe there; fds 0 and 1 likewise. */
  stderr?: NodeJS.ReadableStream
  stdin?: NodeJS.WritableStream
  stdout?: NodeJS.ReadableStream
  /** Answers on the sync pipe; closeSync when done, as the init may hold the helper's end until it execs. */
  sendSync(data: Buffer): void
  closeSync(): void
  /** Passes a signal we got on, for the container. */
  forward(sig: NodeJS.Signals): void
  onExit(done: (how: string) => void): void
  onError(failed: (err: Error) => void): void
  /** Stops keeping node alive for it. */
  release(): void
}

/**
 * The launcher's helper (launcher-fds.ts), for the first plan whose stdio is the launcher's
 * own. bin/cocker-runtime's is our parent: it may serve 0-2 and the preserved fds after
 * them, and never a monitor (it outlives us as the process our caller waits for). bin/cocker's
 * is our child, as a spawned one: it holds 0-2 and no other fd of ours, so it serves only
 * plans with exactly 0-2, a monitor's among them.
 */
function launcherHelper(stdio: HelperOptions['stdio'] & object, ownHelper: boolean): HelperLink | undefined {
  const own = stdio.every((s, i) => (i < 3 ? s === 'inherit' : s === i))
  const fds = own ? takeLauncherFds(f => (f.childPid ? stdio.length === 3 : !ownHelper)) : undefined
  if (!fds) return undefined
  const { request, events, sync, childPid } = fds
  const eventStream = new Socket({ fd: events, readable: true, writable: false })
  return {
    name: childPid ? 'the helper bin/cocker started' : 'the helper of bin/cocker-runtime',
    ...(childPid ? { pid: childPid } : {}),
    // a helper that died is reported by the end of its events, not by EPIPE here
    sendPlan: plan => {
      try { writeSync(request, plan) } catch { /* see above */ }
      closeSync(request)
    },
    events: eventStream,
    sendSync: data => { try { writeSync(sync, data) } catch { /* see above */ } },
    closeSync: () => closeSync(sync),
    // bin/cocker-runtime's launcher is the process our caller signals: it passes them on itself
    forward: sig => { if (childPid) try { process.kill(childPid, sig) } catch { /* gone */ } },
    // the end of its events is its end (node does not reap a child it did not spawn)
    onExit: done => eventStream.on('end', () => done('its events ended')),
    onError: () => {},
    release: () => {},
  }
}

function spawnHelper(stdio: HelperOptions['stdio'] & object): HelperLink {
  const bin = helperPath()
  if (!process.env.COCKER_HELPER && !existsSync(bin)) {
    throw new CockerError('HELPER_NOT_FOUND', `the helper ${bin} is missing`, { hint: 'build it with "npm run build"' })
  }
  const base = stdio.length
  const child = childProcess().spawn(bin, ['--request-fd', String(base), '--event-fd', String(base + 1), '--sync-fd', String(base + 2)], {
    stdio: [...stdio, 'pipe', 'pipe', 'pipe'] as StdioOptions,
  })
  const sync = child.stdio[base + 2] as NodeJS.WritableStream & { destroy(): void }
  sync.on('error', () => { /* the helper went away: reported through its exit */ })
  return {
    name: bin,
    pid: child.pid,
    sendPlan: plan => (child.stdio[base] as NodeJS.WritableStream).end(plan),
    events: child.stdio[base + 1] as NodeJS.ReadableStream,
    ...(stdio[2] === 'pipe' ? { stderr: child.stdio[2] as NodeJS.ReadableStream } : {}),
    ...(stdio[0] === 'pipe' ? { stdin: child.stdio[0] as NodeJS.WritableStream } : {}),
    ...(stdio[1] === 'pipe' ? { stdout: child.stdio[1] as NodeJS.ReadableStream } : {}),
    sendSync: data => sync.write(data),
    closeSync: () => sync.destroy(),
    forward: sig => { try { child.kill(sig) } catch { /* gone */ } },
    onExit: done => child.on('exit', (code, signal) => done(signal ?? `status ${code}`)),
    onError: failed => child.on('error', err => failed(new CockerError('HELPER_NOT_FOUND', `cannot run the helper ${bin}: ${err.message}`))),
    release: () => child.unref(),
  }
}

export function runHelper(plan: Buffer, opts: HelperOptions): Promise<HelperResult> {
  const stdio = opts.stdio ?? ['inherit', 'inherit', 'inherit']
  let helper: HelperLink
  try {
    helper = launcherHelper(stdio, Boolean(opts.ownHelper)) ?? spawnHelper(stdio)
  } catch (err) {
    return Promise.reject(err)
  }
  const { events } = helper
  if (helper.pid) opts.onSpawn?.(helper.pid)
  if (helper.stderr) opts.onStderr?.(helper.stderr)
  if (helper.stdin || helper.stdout) opts.onStdio?.({ stdin: helper.stdin, stdout: helper.stdout })
  helper.sendPlan(plan)

  return new Promise<HelperResult>((resolve, reject) => {
    let pid = 0
    let hello = false
    let settled = false
    let buffered = ''
    let queue = Promise.resolve()
    const forward = (sig: NodeJS.Signals) => helper.forward(sig)
    const forwarded: NodeJS.Signals[] = opts.forwardSignals ? ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] : []
    for (const sig of forwarded) process.on(sig, forward)
    const finish = (err: Error | null, result?: HelperResult) => {
      if (settled) return
      settled = true
      for (const sig of forwarded) process.off(sig, forward)
      // the init may still hold the event and sync fds until it execs: never wait for their EOF
      ;(events as unknown as { destroy(): void }).destroy()
      helper.closeSync()
      helper.release()
      if (err) reject(err)
      else resolve(result!)
    }
    const handle = async (ev: HelperEvent) => {
      if (!hello) {
        if (ev.event !== 'hello' || ev.protocol !== PROTOCOL_VERSION) {
          const theirs = ev.event === 'hello' ? ev.protocol : 'none'
          throw new CockerError('HELPER_PROTOCOL_MISMATCH', `cocker expects helper protocol ${PROTOCOL_VERSION}, ${helper.name} speaks ${theirs}`,
            { hint: 'rebuild the helper with "npm run build"' })
        }
        hello = true
        return
      }
      switch (ev.event) {
        case 'pid':
          pid = ev.pid
          opts.onPid?.(pid)
          break
        case 'hooks': {
          const state = Buffer.from(opts.onHooks ? await opts.onHooks(ev.stage, pid) : '')
          const len = Buffer.alloc(4)
          len.writeUInt32LE(state.length)
          helper.sendSync(Buffer.concat([len, state]))
          break
        }
        case 'created':
          if (opts.until === 'created') finish(null, { pid })
          break
        case 'started':
          // the init's pid: with an external runtime it is not the process the `pid` event named
          pid = ev.pid
          await opts.onStarted?.(pid, helper.pid)
          if (opts.until !== 'exit') finish(null, { pid, helperPid: helper.pid })
          break
        case 'exit': {
          const remove = Boolean(opts.ackExit && opts.removeAtExit?.())
          if (opts.ackExit) helper.sendSync(Buffer.from(remove ? 'r' : '1'))
          // its end (the event pipe's, which only it holds now) says the removal is done
          if (remove) await helperGone
          finish(null, { pid, exitCode: ev.code, signal: ev.signal, helperPid: helper.pid })
          break
        }
        case 'detached':
          finish(null, { pid, detached: true, helperPid: helper.pid })
          break
        case 'error':
          throw helperError(ev)
      }
    }
    events.setEncoding('utf8')
    events.on('data', (chunk: string) => {
      buffered += chunk
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        let ev: HelperEvent
        try {
          ev = JSON.parse(line) as HelperEvent
        } catch {
          finish(new CockerError('HELPER_DIED', `the helper wrote something that is not an event: ${line.slice(0, 200)}`))
          return
        }
        queue = queue.then(() => handle(ev)).catch(err => {
          if (pid && !settled) try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
          finish(err as Error)
        })
      }
    })
    events.on('error', () => { /* reported through exit */ })
    helper.onError(err => finish(err))
    let ended = false
    let exited: string | undefined
    let gone = () => {}
    const helperGone = new Promise<void>(resolve => { gone = resolve })
    events.on('end', () => gone())
    helper.onExit(() => gone())
    const died = () => {
      // let queued events (the error that explains the exit) be handled first
      queue = queue.then(() => {
        if (!settled) {
          finish(new CockerError('HELPER_DIED', `the helper exited (${exited}) before the container ${opts.until === 'exit' ? 'exited' : opts.until}`))
        }
      })
    }
    events.on('end', () => {
      ended = true
      if (exited) died()
    })
    helper.onExit(how => {
      exited = how
      if (settled) return
      // the event stream may still hold the line that explains the exit; an init that
      // outlives the helper keeps the stream open, so do not wait for its end for long
      if (ended) died()
      else setTimeout(died, 200)
    })
  })
}
