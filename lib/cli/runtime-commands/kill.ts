import { killContainer } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import type { RuntimeCliContext } from '../runtime-context.js'
import { parseSignal } from '../signals.js'

export async function run(args: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  const signal = parseSignal(args.signal as string)
  await killContainer(ctx.runtime, args.containerId as string, signal, { all: args.all === true })
  return {}
}
