import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  return { exitCode: storeFor(ctx).images.exists(args.image as string) ? 0 : 1 }
}
