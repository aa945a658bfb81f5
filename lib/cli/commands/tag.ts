import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  await storeFor(ctx).images.tag(args.image as string, args.names as string[])
  return {}
}
