import { runContainer } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import type { RuntimeCliContext } from '../runtime-context.js'
import { createOptions, type CreateArgs } from './create.js'

interface RunArgs extends CreateArgs {
  detach: boolean
  keep: boolean
}

export async function run(parsed: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  const args = parsed as unknown as RunArgs
  const exitCode = await runContainer(ctx.runtime, {
    ...createOptions(args, ctx.cwd),
    detach: args.detach || undefined,
    keep: args.keep || undefined,
  })
  return { exitCode }
}
