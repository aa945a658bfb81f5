import { resolve } from 'node:path'
import { execProcess } from '../../runtime/lifecycle.js'
import { UsageError } from '../argv.js'
import type { Outcome, ParsedArgs } from '../command.js'
import type { RuntimeCliContext } from '../runtime-context.js'

interface ExecArgs {
  containerId: string
  command?: string
  args: string[]
  consoleSocket?: string
  cwd?: string
  env: string[]
  tty: boolean
  user?: string
  additionalGids: string[]
  process?: string
  detach: boolean
  pidFile?: string
  processLabel?: string
  apparmor?: string
  noNewPrivs: boolean
  cap: string[]
  preserveFds: number
  cgroup: string[]
  ignorePaused: boolean
}

export async function run(parsed: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  const a = parsed as unknown as ExecArgs
  if (a.command === undefined && a.process === undefined) {
    throw new UsageError('missing argument: <command> (or --process)', ['exec'])
  }
  if (a.user !== undefined && !/^\d+(:\d+)?$/.test(a.user)) {
    throw new UsageError(`invalid value "${a.user}" for --user: expected uid[:gid]`, ['exec'])
  }
  const gids = a.additionalGids.map(g => {
    if (!/^\d+$/.test(g)) throw new UsageError(`invalid value "${g}" for --additional-gids: not a number`, ['exec'])
    return Number(g)
  })
  for (const [flag, given] of [['--apparmor', a.apparmor], ['--process-label', a.processLabel], ['--cgroup', a.cgroup.length ? a.cgroup : undefined]] as const) {
    if (given !== undefined) ctx.runtime.warn(`${flag} is not supported by cocker-runtime; ignored`)
  }
  const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(ctx.cwd, p))
  const exitCode = await execProcess(ctx.runtime, {
    id: a.containerId,
    processFile: abs(a.process),
    args: a.command === undefined ? undefined : [a.command, ...a.args],
    tty: a.tty || undefined,
    detach: a.detach || undefined,
    pidFile: abs(a.pidFile),
    consoleSocket: abs(a.consoleSocket),
    cwd: a.cwd,
    env: a.env.length ? a.env : undefined,
    user: a.user,
    additionalGids: gids.length ? gids : undefined,
    caps: a.cap.length ? a.cap : undefined,
    noNewPrivs: a.noNewPrivs || undefined,
    preserveFds: a.preserveFds || undefined,
    ignorePaused: a.ignorePaused || undefined,
  })
  return { exitCode }
}
