import { resolve } from 'node:path'
import { createContainer } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import type { RuntimeCliContext } from '../runtime-context.js'

export interface CreateArgs {
  containerId: string
  bundle?: string
  consoleSocket?: string
  pidFile?: string
  noPivot: boolean
  preserveFds: number
}

export async function run(parsed: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  const args = parsed as unknown as CreateArgs
  await createContainer(ctx.runtime, createOptions(args, ctx.cwd))
  return {}
}

export function createOptions(args: CreateArgs, cwd: string) {
  return {
    id: args.containerId,
    bundle: resolve(cwd, args.bundle ?? '.'),
    pidFile: args.pidFile === undefined ? undefined : resolve(cwd, args.pidFile),
    consoleSocket: args.consoleSocket === undefined ? undefined : resolve(cwd, args.consoleSocket),
    noPivot: args.noPivot || undefined,
    preserveFds: args.preserveFds || undefined,
  }
}
