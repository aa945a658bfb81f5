import { deleteContainer } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import type { RuntimeCliContext } from '../runtime-context.js'

export async function run(args: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  await deleteContainer(ctx.runtime, args.containerId as string, { force: args.force === true })
  return {}
}
