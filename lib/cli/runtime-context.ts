import { accessSync, appendFileSync, constants, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { RuntimeContext } from '../runtime/lifecycle.js'
import type { CliContext, ParsedArgs } from './command.js'

export interface RuntimeCliContext extends CliContext {
  runtime: RuntimeContext
}

export type LogLevel = 'error' | 'warning' | 'debug'

export interface RuntimeLog {
  file?: string
  format: 'text' | 'json'
  debug: boolean
  /** Where stderr lines go; injected by tests. */
  stderr: (text: string) => void
}

/** A line for the --log file, in the formats podman and conmon read (logrus text or JSON). */
export function formatLogLine(level: LogLevel, msg: string, format: 'text' | 'json', now = new Date()): string {
  const time = now.toISOString().replace(/\.\d+Z$/, 'Z')
  if (format === 'json') return JSON.stringify({ level, msg, time }) + '\n'
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`
}

export function writeLog(log: RuntimeLog, level: LogLevel, msg: string): void {
  if (!log.file) return
  try {
    appendFileSync(log.file, formatLogLine(level, msg, log.format))
  } catch (err) {
    log.stderr(`cocker-runtime: warning: cannot write to --log ${log.file}: ${(err as Error).message}\n`)
    log.file = undefined
  }
}

export function makeRuntimeContext(globals: ParsedArgs, env: NodeJS.ProcessEnv, log: RuntimeLog): RuntimeContext {
  const euid = process.geteuid?.() ?? 0
  const inUserNs = euid === 0 && runningInUserNamespace()
  const rootless = globals.rootless === 'true' || (globals.rootless === 'auto' && (euid !== 0 || inUserNs))
  const ctx: RuntimeContext = {
    root: typeof globals.root === 'string' ? resolve(globals.root) : defaultRoot(env, euid, inUserNs),
    rootless,
    systemdCgroup: globals.systemdCgroup === true || globals.cgroupManager === 'systemd',
    cgroupsDisabled: globals.cgroupManager === 'disabled',
    warn(message: string) {
      log.stderr(`cocker-runtime: warning: ${message}\n`)
      writeLog(log, 'warning', message)
    },
    debug(message: string) {
      if (!log.debug) return
      if (log.file) writeLog(log, 'debug', message)
      else log.stderr(`cocker-runtime: debug: ${message}\n`)
    },
  }
  return ctx
}

/** runc's rule: honour XDG_RUNTIME_DIR when not root, or when root only inside a user namespace. */
export function defaultRoot(env: NodeJS.ProcessEnv, euid: number, inUserNs: boolean): string {
  if (euid === 0 && !inUserNs) return '/run/cocker-runtime'
  const xdg = env.XDG_RUNTIME_DIR
  if (xdg && xdg.startsWith('/') && isWritableDir(xdg)) return `${xdg}/cocker-runtime`
  return euid === 0 ? '/run/cocker-runtime' : `/tmp/cocker-runtime-${euid}`
}

function isWritableDir(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false
    accessSync(path, constants.W_OK | constants.X_OK)
    return true
  } catch {
    return false
  }
}

function runningInUserNamespace(): boolean {
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/)
    return !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295')
  } catch {
    return false
  }
}
