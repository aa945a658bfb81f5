import { killContainerBySignal } from '../../container/stop.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets } from './container-context.js'

/** `kill`: a signal (KILL by default) to each container's main process. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = targets(engine, args.containers as string[], { all: args.all === true, latest: args.latest === true })
  const signal = String(args.signal ?? 'KILL').replace(/^SIG/i, '')
  return eachContainer(engine, names, async found => {
    await killContainerBySignal(engine, found, signal)
    return args.all === true ? `${found.record.id}\n` : undefined
  })
}
