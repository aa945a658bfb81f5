import { copyFromContainer, copyToContainer, parseCopyPath } from '../../container/copy.js'
import { CockerError } from '../../errors.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, requireContainer } from './container-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const src = parseCopyPath(args.src as string)
  const dest = parseCopyPath(args.dest as string)
  if (src.container !== undefined && dest.container !== undefined) {
    throw new CockerError('INVALID_ARGUMENT', `cannot copy between two containers: "${args.src as string}" and "${args.dest as string}"`,
      { hint: 'copy to the host first, then into the other container' })
  }
  if (src.container === undefined && dest.container === undefined) {
    throw new CockerError('INVALID_ARGUMENT', `one of "${args.src as string}" and "${args.dest as string}" must be a container's path`, { hint: 'write it CONTAINER:PATH' })
  }
  const engine = engineOf(ctx)
  const archive = Boolean(args.archive)
  if (src.container !== undefined) {
    const found = requireContainer(engine.storeRoot, src.container)
    await copyFromContainer(engine, found, src.path, dest.path === '-' ? { fd: 1 } : dest.path, { archive })
  } else {
    const found = requireContainer(engine.storeRoot, dest.container!)
    await copyToContainer(engine, found, src.path === '-' ? { fd: 0 } : src.path, dest.path, { archive })
  }
  return {}
}
