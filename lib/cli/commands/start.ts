import { cleanupContainer } from '../../container/cleanup.js'
import { startContainer } from '../../container/start.js'
import { CockerError } from '../../errors.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, requireContainer, targets } from './container-context.js'

/** `start`: each container detached (its name printed), or one attached with -a: its status is ours. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = targets(engine, args.containers as string[], { all: args.all === true, latest: args.latest === true })
  if (args.attach === true || args.interactive === true) {
    if (names.length !== 1) throw new CockerError('INVALID_ARGUMENT', 'you cannot start and attach multiple containers at once')
    const { dir, record } = requireContainer(engine.storeRoot, names[0])
    const r = await startContainer(engine, dir, { foreground: true, sigProxy: args.sigProxy !== false })
    if (r.cleanupPendingFrom !== undefined) await cleanupContainer(engine, record.id, { handedOverBy: r.cleanupPendingFrom })
    return { exitCode: r.detached ? 0 : (r.exitCode ?? 0) }
  }
  return eachContainer(engine, names, async found => { await startContainer(engine, found.dir) })
}
