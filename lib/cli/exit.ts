/**
 * The one place that turns outcomes and errors into stdout, stderr and exit statuses. Man pages copy the
 * tables below (EXIT STATUS), so what is documented is what is done.
 */
import { CockerError, InternalError } from '../errors.js'
import { UsageError } from './argv.js'
import type { Outcome } from './command.js'

export const ENGINE_FAILED = 125
export const CANNOT_INVOKE = 126
export const NOT_FOUND = 127
export const RUNTIME_FAILED = 1

export const ENGINE_EXIT_STATUSES = [
  { status: '0', meaning: 'success' },
  { status: '1', meaning: 'rm, stop, kill: some target did not exist, and nothing else failed' },
  { status: '2', meaning: 'rm, stop, kill: some target was in the wrong state, and nothing else failed' },
  { status: '125', meaning: 'cocker itself failed: bad flags, missing image, helper failure, internal error' },
  { status: '126', meaning: 'the contained command could not be invoked (permission denied, not executable)' },
  { status: '127', meaning: 'the contained command was not found' },
  { status: 'N', meaning: "run, exec: the contained command's own exit status" },
  { status: '128+N', meaning: 'run, exec: the contained command was killed by signal N' },
]

export const RUNTIME_EXIT_STATUSES = [
  { status: '0', meaning: 'success' },
  { status: '1', meaning: 'any failure (as runc)' },
  { status: 'N', meaning: "run, and exec without --detach: the container process's own exit status (128+N when killed by signal N)" },
]

export interface Failure {
  status: number
  /** Complete text for stderr, newline-terminated. */
  stderr: string
  /** One line for the --log file. */
  logMessage: string
}

export interface FailureContext {
  version: string
  /** Print stacks of unexpected errors. */
  debug?: boolean
}

/** `cocker`: podman's "Error: ..." and 125/126/127. */
export function engineFailure(err: unknown, ctx: FailureContext): Failure {
  if (err instanceof UsageError) {
    const help = ['cocker', ...err.path, '--help'].join(' ')
    return { status: ENGINE_FAILED, stderr: `Error: ${err.message}\nSee '${help}'.\n`, logMessage: err.message }
  }
  if (err instanceof CockerError) {
    const message = describeChain(err)
    const status = err.code === 'EXEC_NOT_FOUND' ? NOT_FOUND : err.code === 'EXEC_CANNOT_INVOKE' ? CANNOT_INVOKE : ENGINE_FAILED
    return { status, stderr: `Error: ${oneLine(err, message)}\n`, logMessage: message }
  }
  const host = hostFilesystemError(err)
  if (host) return { status: ENGINE_FAILED, stderr: `Error: ${host}\n`, logMessage: host }
  const message = `internal error: ${describeChain(err)}`
  return {
    status: ENGINE_FAILED,
    stderr: `Error: ${message}\n${bugReport(err, ctx)}`,
    logMessage: message,
  }
}

/** `cocker-runtime`: runc's status 1 and one line per error. */
export function runtimeFailure(err: unknown, ctx: FailureContext): Failure {
  if (err instanceof UsageError) {
    const message = `${err.message} (see "${['cocker-runtime', ...err.path, '--help'].join(' ')}")`
    return { status: RUNTIME_FAILED, stderr: `cocker-runtime: ${message}\n`, logMessage: message }
  }
  if (err instanceof CockerError) {
    const message = describeChain(err)
    return { status: RUNTIME_FAILED, stderr: `cocker-runtime: ${oneLine(err, message)}\n`, logMessage: oneLine(err, message) }
  }
  const host = hostFilesystemError(err)
  if (host) return { status: RUNTIME_FAILED, stderr: `cocker-runtime: ${host}\n`, logMessage: host }
  const message = `internal error: ${describeChain(err)}`
  const extra = bugReport(err, ctx).replace(/^(?=.)/gm, 'cocker-runtime: ')
  return { status: RUNTIME_FAILED, stderr: `cocker-runtime: ${message}\n${extra}`, logMessage: message }
}

// What the host's filesystem refuses is no bug of cocker's, wherever in cocker it happens
// (a --root the user may not write, a full disk): the path and what to do, on one line.
const HOST_FS_HINTS: Record<string, string> = {
  EACCES: 'permission denied; check the owner and mode of that path, or choose a place of yours (--root)',
  EPERM: 'operation not permitted; check the owner and mode of that path, or choose a place of yours (--root)',
  EROFS: 'the filesystem is read-only; choose a writable place (--root)',
  ENOSPC: 'no space left on the device; free some (cocker system df shows what the store holds)',
  EDQUOT: 'the disk quota is used up; free some (cocker system df shows what the store holds)',
}

/** "cannot mkdir /x/y: permission denied; …" for node's errors on a path, else undefined. */
export function hostFilesystemError(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException
  if (!(err instanceof Error) || typeof e.path !== 'string' || typeof e.syscall !== 'string') return undefined
  const hint = HOST_FS_HINTS[e.code ?? '']
  return hint && `cannot ${e.syscall} ${e.path}: ${hint}`
}

/** A user error is one line: what is wrong, with what, then what to do. */
function oneLine(err: CockerError, message: string): string {
  return err.hint ? `${message}; ${err.hint}` : message
}

/**
 * "outer: inner: innermost", skipping causes whose text the outer message already carries;
 * one line, whatever the causes' texts hold (OpenSSL's, for one, end in a newline).
 */
export function describeChain(err: unknown): string {
  const flat = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim()
  let text = flat(err instanceof Error ? err.message : String(err))
  let cause = err instanceof Error ? err.cause : undefined
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    const next = flat(cause instanceof Error ? cause.message : String(cause))
    if (next && !text.includes(next)) text += `: ${next}`
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return text
}

function bugReport(err: unknown, ctx: FailureContext): string {
  const kind = err instanceof InternalError ? 'This is a bug in cocker.' : 'This is probably a bug in cocker.'
  const stack = ctx.debug && err instanceof Error && err.stack ? `${err.stack}\n` : ''
  return `${kind} Please report it with this message and: cocker ${ctx.version}, node ${process.version}\n${stack}`
}

export function renderOutcome(outcome: Outcome): string {
  let text = outcome.stdout ?? ''
  if (outcome.json !== undefined) text += JSON.stringify(outcome.json) + '\n'
  return text
}
