import { observe, readRecordFile, type ContainerStatus } from '../../container/record.js'
import { CockerError } from '../../errors.js'
import { isProcessAlive } from '../../sys/proc.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { parseDuration } from './lifecycle-options.js'
import { eachContainer, engineOf, targets } from './container-context.js'

const CONDITIONS: Record<string, ContainerStatus[]> = {
  configured: ['created'], created: ['created'], exited: ['exited'], stopped: ['exited', 'created'], paused: ['paused'],
  running: ['running'], stopping: ['stopping'], removing: ['removing'],
}

/**
 * `wait`: blocks until each container meets a condition (by default: it has exited, and its
 * exit was cleaned up), then prints its exit code, as podman does.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = targets(engine, args.containers as string[], { latest: args.latest === true })
  const conditions = (args.condition as string[] | undefined)?.length ? (args.condition as string[]) : ['stopped']
  for (const c of conditions) {
    if (!CONDITIONS[c] && c !== 'healthy' && c !== 'unhealthy') {
      throw new CockerError('INVALID_ARGUMENT', `--condition ${c}: unknown condition`, { hint: `use one of ${Object.keys(CONDITIONS).join(', ')}, healthy, unhealthy` })
    }
  }
  // podman polls every 250ms by default; a script waiting for a container is better served sooner
  const interval = typeof args.interval === 'string' ? Math.max(1, parseDuration('--interval', /\d$/.test(args.interval) ? `${args.interval}ms` : args.interval) / 1e6) : 50
  return eachContainer(engine, names, async found => {
    for (;;) {
      const record = readRecordFile(found.dir)
      if (!record) return '-1\n'
      const state = observe(record, found.dir)
      const met = conditions.filter(c => (c === 'healthy' || c === 'unhealthy') ? state.health?.status === c : CONDITIONS[c].includes(state.status))
      // an exit counts once the monitor has recorded it (or, gone, cannot any more)
      const m = record.state.monitor
      const settled = state.status !== 'exited' || record.state.status === 'exited' || !m || !isProcessAlive(m.pid, m.startTime)
      // as podman: an exit code once it has stopped, -1 for any other condition
      if (met.length && settled) return met.some(c => c === 'stopped' || c === 'exited') ? `${state.exitCode ?? 0}\n` : '-1\n'
      await new Promise(r => setTimeout(r, interval))
    }
  })
}
