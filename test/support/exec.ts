import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from './paths.js'
import { stageForRootless, type RootlessUser } from './rootless.js'

export interface RunOptions {
  /** Expected exit status; any other status throws with the command's output. */
  status?: number
  /** Run as this user with its clean environment (see rootless.ts). */
  asUser?: RootlessUser
  /** A wrapper that runs before the switch to asUser and ends by exec'ing its arguments (a namespace made as root). */
  prefix?: string[]
  cwd?: string
  /** Added over process.env, or over the user's clean environment with asUser. */
  env?: Record<string, string | undefined>
  input?: string | Buffer
  /** Default 60 s; the whole process group is killed when it runs out. */
  timeoutMs?: number
}

export interface RunResult {
  /** Exit code, or 128+N when killed by signal N (shell convention). */
  status: number
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

// Each command leads its own process group so a timeout can kill what it
// started too; groups still alive when the test process exits are killed.
const liveGroups = new Set<number>()
process.on('exit', () => {
  for (const pgid of liveGroups) killGroup(pgid)
})

/** SIGKILL to every process of the group `pgid`, if any is left. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {
    // ESRCH: already gone.
  }
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map(a => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ')
}

/**
 * The helper chosen for the tests (COCKER_HELPER, the sanitizer build when
 * test/run.ts finds it), at its place in the rootless user's staged copy.
 */
function stagedHelper(): Record<string, string> {
  const helper = process.env.COCKER_HELPER
  if (!helper) return {}
  if (!helper.startsWith(REPO_ROOT + path.sep)) return { COCKER_HELPER: helper }
  return { COCKER_HELPER: path.join(stageForRootless(), path.relative(REPO_ROOT, helper)) }
}

/** The argv and environment that run `argv` as `user`, or unchanged when that is us. */
export function wrapForUser(
  argv: readonly string[],
  user: RootlessUser | undefined,
  env: Record<string, string | undefined> = {},
): { argv: string[]; env: Record<string, string | undefined> } {
  if (!user) return { argv: [...argv], env: { ...process.env, ...env } }
  const cleanEnv = { ...user.env, ...stagedHelper(), ...env }
  if (user.uid === process.getuid?.()) return { argv: [...argv], env: cleanEnv }
  return {
    argv: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...argv],
    env: cleanEnv,
  }
}

/**
 * Runs argv to completion and returns its status and output. With `status`,
 * a different exit status throws an Error that shows the status first, then
 * the command, stdout and stderr (podman's `run_podman 127 ...`).
 */
export async function runCmd(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const wrapped = wrapForUser(argv, opts.asUser, opts.env)
  const full = [...(opts.prefix ?? []), ...wrapped.argv]
  const env = wrapped.env
  const timeoutMs = opts.timeoutMs ?? 60_000
  const child = spawn(full[0]!, full.slice(1), {
    // CI's checkout may be a directory the test user cannot enter: start them at home
    cwd: opts.cwd ?? (opts.asUser && opts.asUser.uid !== process.getuid!() ? opts.asUser.home : undefined),
    env,
    detached: true,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout!.on('data', (b: Buffer) => out.push(b))
  child.stderr!.on('data', (b: Buffer) => err.push(b))
  if (opts.input !== undefined) {
    child.stdin!.on('error', () => {}) // EPIPE when the command does not read stdin
    child.stdin!.end(opts.input)
  }

  let timedOut = false
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    if (child.pid !== undefined) liveGroups.add(child.pid)
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid !== undefined) killGroup(child.pid)
    }, timeoutMs)
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let open = 2
    let drain: NodeJS.Timeout | undefined
    const settle = () => {
      if (!exit || open > 0) return
      clearTimeout(timer)
      clearTimeout(drain)
      resolve(exit)
    }
    child.stdout!.once('close', () => (open--, settle()))
    child.stderr!.once('close', () => (open--, settle()))
    child.on('error', e => (clearTimeout(timer), reject(e)))
    child.on('exit', (code, signal) => {
      exit = { code, signal }
      // A daemon the command started may hold our pipes open forever;
      // give the output a moment to drain, then stop waiting for it.
      drain = setTimeout(() => {
        child.stdout!.destroy()
        child.stderr!.destroy()
      }, 2000)
      settle()
    })
  }).finally(() => {
    if (child.pid !== undefined) liveGroups.delete(child.pid)
  })

  const status = result.code ?? 128 + (result.signal ? constants.signals[result.signal] : 0)
  const res: RunResult = {
    status,
    signal: result.signal,
    stdout: Buffer.concat(out).toString(),
    stderr: Buffer.concat(err).toString(),
  }
  if (timedOut || (opts.status !== undefined && status !== opts.status)) {
    const why = timedOut
      ? `command timed out after ${timeoutMs} ms`
      : `command exited ${status}${result.signal ? ` (${result.signal})` : ''}, expected ${opts.status}`
    throw new Error(
      `${why}: ${formatArgv(full)}\n--- stdout\n${res.stdout}${res.stdout.endsWith('\n') || !res.stdout ? '' : '\n'}` +
        `--- stderr\n${res.stderr}`,
    )
  }
  return res
}
