import { CockerError } from '../../errors.js'
import { removeContainer } from '../../container/remove.js'
import { labelFilter, untilFilter, viewContainers, type ContainerFilter } from '../../container/view.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { confirm } from './confirm.js'
import { engineOf } from './container-context.js'

// podman container prune: every container that is not running (or paused), filtered by until and label
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const filters = ((args.filter as string[] | undefined) ?? []).map(pruneFilter)
  if (!args.force && !confirm('WARNING! This will remove all non running containers.\n')) return {}
  const engine = engineOf(ctx)
  const removed: string[] = []
  for (const v of viewContainers(engine.storeRoot)) {
    if (!['created', 'exited'].includes(v.state.status) || !filters.every(f => f(v))) continue
    // without force: a container started meanwhile is refused, not stopped
    try {
      await removeContainer(engine, v)
      removed.push(v.record.id)
    } catch (err) {
      if (!(err instanceof CockerError && err.code === 'CONTAINER_STATE_INVALID')) throw err
    }
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
