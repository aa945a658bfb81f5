import { observe, withContainerLock, writeRecordFile, readRecordFile } from '../../container/record.js'
import { runtimeContext } from '../../container/engine.js'
import { CockerError } from '../../errors.js'
import { pauseContainer, resumeContainer } from '../../runtime/lifecycle.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets } from './container-context.js'

/** `pause` and `unpause` (the same module): the cgroup freezer, and the record's status. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const pause = ctx.path.at(-1) === 'pause'
  const names = targets(engine, args.containers as string[], { all: args.all === true })
  return eachContainer(engine, names, async found => {
    await withContainerLock(found.dir, async () => {
      const record = readRecordFile(found.dir)!
      const status = observe(record, found.dir).status
      if (status !== (pause ? 'running' : 'paused')) {
        throw new CockerError('CONTAINER_STATE_INVALID', `"${record.name}" is ${status}: it must be ${pause ? 'running' : 'paused'} to be ${pause ? 'paused' : 'unpaused'}`)
      }
      await (pause ? pauseContainer : resumeContainer)(runtimeContext(engine, record), record.id)
      record.state.status = pause ? 'paused' : 'running'
      writeRecordFile(found.dir, record)
    })
    return args.all === true ? `${found.record.id}\n` : undefined
  })
}
