import { startContainer } from '../../container/start.js'
import { stopContainer } from '../../container/stop.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets } from './container-context.js'

/** `restart`: stop (if running), then start detached. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = targets(engine, args.containers as string[], { all: args.all === true, latest: args.latest === true })
  const timeout = typeof args.time === 'number' ? args.time : undefined
  return eachContainer(engine, names, async found => {
    await stopContainer(engine, found, { timeout })
    await startContainer(engine, found.dir)
    return `${found.record.id}\n`
  })
}
