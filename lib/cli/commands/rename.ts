import { CockerError } from '../../errors.js'
import { requireContainer } from '../../container/record.js'
import { renameContainer } from '../../container/rename.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeRootFor } from './store-root.js'
import { NAME_PATTERN } from '../../spec/run-options.js'


export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const newName = args.newName as string
  if (!NAME_PATTERN.test(newName)) {
    throw new CockerError('INVALID_ARGUMENT', `invalid container name "${newName}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`)
  }
  const root = storeRootFor(ctx)
  await renameContainer(root, requireContainer(root, args.container as string).dir, newName)
  return {}
}
