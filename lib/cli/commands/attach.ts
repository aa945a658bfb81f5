import { attachSocket, observe } from '../../container/record.js'
import { CockerError } from '../../errors.js'
import { attach } from '../../runtime/lifecycle.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, requireContainer } from './container-context.js'

/** `attach`: our stdio to a running container's, through its monitor, until it ends or we detach. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const { record, dir } = requireContainer(engine.storeRoot, args.container as string)
  const status = observe(record, dir).status
  if (status !== 'running' && status !== 'paused') {
    throw new CockerError('CONTAINER_STATE_INVALID', `you can only attach to running containers: ${record.name} is ${status}`,
      { hint: `"cocker start -a ${record.name}" starts it attached` })
  }
  const r = await attach(attachSocket(dir), {
    stdin: args.noStdin !== true && record.interactive,
    tty: record.tty,
    detachKeys: typeof args.detachKeys === 'string' ? args.detachKeys : record.detachKeys,
  })
  if (r.outcome === 'lost') throw new CockerError('HELPER_DIED', `the monitor of container ${record.name} went away`)
  return { exitCode: r.outcome === 'exit' ? r.code : 0 }
}
