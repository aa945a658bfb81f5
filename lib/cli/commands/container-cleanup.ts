import { cleanupContainer } from '../../container/cleanup.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets } from './container-context.js'

/** `container cleanup`: what the monitor runs after the container ended; a user may run it too. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = targets(engine, args.containers as string[], { all: args.all === true, latest: args.latest === true })
  return eachContainer(engine, names, async found => {
    await cleanupContainer(engine, found.record.id)
    // as podman: each container as it was named; its ID when picked by --all or --latest
    return args.all === true || args.latest === true ? `${found.record.id}\n` : undefined
  })
}
