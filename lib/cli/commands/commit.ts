import { commitContainer } from '../../container/commit.js'
import { CockerError } from '../../errors.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, requireContainer } from './container-context.js'
import { storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const format = (args.format as string | undefined) ?? 'oci'
  if (format !== 'oci' && format !== 'docker') {
    throw new CockerError('INVALID_ARGUMENT', `unknown image format "${format}"`, { hint: 'use --format oci or --format docker' })
  }
  const engine = engineOf(ctx)
  const found = requireContainer(engine.storeRoot, args.container as string)
  const image = await commitContainer(engine, storeFor(ctx), found, {
    ...(args.image ? { reference: args.image as string } : {}),
    changes: (args.change as string[] | undefined) ?? [],
    ...(args.message ? { message: args.message as string } : {}),
    ...(args.author ? { author: args.author as string } : {}),
    pause: Boolean(args.pause),
    format,
    squash: Boolean(args.squash),
  })
  return { stdout: `${image.id}\n` }
}
