import { CockerError } from '../../errors.js'
import { requireContainer, type ContainerRecord } from '../../container/record.js'
import { describeProcesses, parseDescriptors, TOP_DESCRIPTORS } from '../../container/top.js'
import { latestContainer, viewOf } from '../../container/view.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { formatTabTable } from '../render/table.js'
import { engineOf } from './container-context.js'
import { storeRootFor } from './store-root.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  // with --latest the first argument is already a descriptor
  const words = [...(args.container === undefined ? [] : [args.container as string]), ...((args.descriptors as string[] | undefined) ?? [])]
  const view = args.latest ? latestContainer(root) : viewOf(requireContainer(root, words.shift() ?? missing()))
  const descriptors = parseDescriptors(words)
  if (view.state.status !== 'running' && view.state.status !== 'paused') {
    throw new CockerError('CONTAINER_STATE_INVALID', `top can only be used on running containers: ${view.record.name} is ${view.state.status}`)
  }
  const rows = describeProcesses(await containerPids(ctx, view.record, view.state.pid), descriptors)
  return { stdout: formatTabTable([descriptors.map(d => TOP_DESCRIPTORS[d]!), ...rows], { minWidth: 12, padding: 2 }) }
}

function missing(): never {
  throw new CockerError('INVALID_ARGUMENT', 'top needs a container', { hint: 'name a container, or give --latest' })
}

/** Host pids of the container's processes, init first: the runtime's view (cgroup or pid namespace). */
export async function containerPids(ctx: CliContext, record: ContainerRecord, initPid: number): Promise<number[]> {
  const { containerPids } = await import('../../runtime/lifecycle.js')
  const { runtimeContext } = await import('../../container/engine.js')
  let pids: number[]
  try {
    pids = await containerPids(runtimeContext(engineOf(ctx), record), record.id)
  } catch {
    pids = [] // no runtime state (yet): the init alone
  }
  if (!pids.length && initPid) pids = [initPid]
  return [...pids.filter(p => p === initPid), ...pids.filter(p => p !== initPid)]
}
