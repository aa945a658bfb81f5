import { stopContainer } from '../../container/stop.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets, withCidfiles } from './container-context.js'

/** `stop`: the stop signal, SIGKILL after the timeout; each name printed as given. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = args.cidfile && !args.all && !args.latest
    ? withCidfiles((args.containers as string[] | undefined) ?? [], args.cidfile, { ignore: args.ignore === true, cwd: ctx.cwd })
    : targets(engine, args.containers as string[], { all: args.all === true, latest: args.latest === true })
  const timeout = typeof args.time === 'number' ? args.time : undefined
  return eachContainer(engine, names, async found => {
    await stopContainer(engine, found, { timeout })
    return args.all === true ? `${found.record.id}\n` : undefined
  }, { notFoundStatus: args.ignore === true ? 0 : 125 })
}
