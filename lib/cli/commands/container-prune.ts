import { CockerError } from '../../errors.js'
import { removeExitedContainer } from '../../container/remove.js'
import { labelFilter, untilFilter, viewContainers, type ContainerFilter } from '../../container/view.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { confirm } from './confirm.js'
import { storeRootFor } from './store-context.js'

// podman container prune: every container that is not running (or paused), filtered by until and label
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const filters = ((args.filter as string[] | undefined) ?? []).map(pruneFilter)
  if (!args.force && !confirm('WARNING! This will remove all non running containers.\n')) return {}
  const root = storeRootFor(ctx)
  const removed: string[] = []
  for (const v of viewContainers(root)) {
    if (!['created', 'exited'].includes(v.state.status) || !filters.every(f => f(v))) continue
    if (await removeExitedContainer(root, v, ctx.env)) removed.push(v.record.id)
  }
  return { stdout: removed.map(id => `${id}\n`).join('') }
}

/** until=…, label=KEY[=VALUE], label!=KEY[=VALUE]: podman's prune filters. */
function pruneFilter(spec: string): ContainerFilter {
  const m = /^(until|label!?)=(.*)$/.exec(spec)
  if (!m) throw new CockerError('INVALID_ARGUMENT', `invalid filter "${spec}"`, { hint: 'container prune takes until=TIME, label=KEY[=VALUE] and label!=KEY[=VALUE]' })
  const [, key, value] = m as unknown as [string, string, string]
  if (key === 'until') return untilFilter(value)
  const has = labelFilter(value)
  return key === 'label' ? has : v => !has(v)
}
