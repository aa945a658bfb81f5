import { containerState } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import { formatState } from '../render/state.js'
import type { RuntimeCliContext } from '../runtime-context.js'

export async function run(args: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  return { stdout: formatState(await containerState(ctx.runtime, args.containerId as string)) }
}
