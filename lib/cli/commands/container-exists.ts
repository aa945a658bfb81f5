import { findContainer } from '../../container/record.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeRootFor } from './store-root.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  return { exitCode: findContainer(storeRootFor(ctx), args.container as string) ? 0 : 1 }
}
