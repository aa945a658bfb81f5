import { runHealthcheck } from '../../container/health.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, requireContainer } from './container-context.js'

/** `healthcheck run`: one check now; "unhealthy" and status 1 when it fails, as podman. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const result = await runHealthcheck(engine, requireContainer(engine.storeRoot, args.container as string))
  // "starting": the check failed within the start period (status 1 as podman; --sdnotify healthy waits on 0)
  if (result !== 'healthy') return { stdout: `${result}\n`, exitCode: 1 }
  return { stdout: 'healthy\n' }
}
