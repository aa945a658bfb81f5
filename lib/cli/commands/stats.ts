import { setTimeout as sleep } from 'node:timers/promises'
import { detectCgroups } from '../../cgroups/index.js'
import { requireContainer } from '../../container/record.js'
import { sampleContainer, withPercents, type StatsHost, type StatsSample } from '../../container/stats.js'
import { latestContainer, stateName, viewContainers, viewOf, type ContainerView } from '../../container/view.js'
import { CockerError } from '../../errors.js'
import { isRootless } from '../../rootless/identity.js'
import { readIfPresent } from '../../sys/read.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { renderRows } from '../render/go-template.js'
import { DEFAULT_STATS_FORMAT, STATS_HEADERS, statsJson, statsRow } from '../render/stats.js'
import { containerPids } from './top.js'
import { storeRootFor } from './store-root.js'

const JSON_FORMAT = /^\s*(json|\{\{\s*json\s+\.\s*\}\})\s*$/

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const names = (args.containers as string[] | undefined) ?? []
  if ([args.all === true, args.latest === true, names.length > 0].filter(Boolean).length > 1) {
    throw new CockerError('INVALID_ARGUMENT', '--all, --latest and containers cannot be used together')
  }
  const interval = (args.interval as number | undefined) ?? 5
  if (!Number.isInteger(interval) || interval <= 0) {
    throw new CockerError('INVALID_ARGUMENT', `--interval ${interval}: must be a whole number of seconds above 0`)
  }
  const root = storeRootFor(ctx)
  const select = (): ContainerView[] => {
    if (names.length) return names.map(n => viewOf(requireContainer(root, n)))
    if (args.latest) return [latestContainer(root)]
    return viewContainers(root).filter(v => args.all === true || ['running', 'paused'].includes(stateName(v.state)))
  }
  const layout = detectCgroups()
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readIfPresent('/proc/meminfo') ?? '')?.[1] ?? 0) * 1024
  const host = (v: ContainerView): StatsHost => ({
    layout, memTotal, rootless: isRootless(ctx.env), read: readIfPresent, now: () => Date.now() * 1e6,
    pids: () => containerPids(ctx, v.record, v.state.pid),
  })
  const format = args.format as string | undefined
  const render = (samples: StatsSample[], previous: Map<string, StatsSample>): string => {
    const rows = samples.map(s => statsRow(withPercents(s, previous.get(s.id)), args.noTrunc === true))
    if (format !== undefined && JSON_FORMAT.test(format)) return statsJson(rows)
    return renderRows(format ?? DEFAULT_STATS_FORMAT, rows, STATS_HEADERS)
  }
  const round = async () => {
    const views = select()
    return Promise.all(views.map(v => sampleContainer({
      id: v.record.id, name: v.record.name, pid: ['running', 'paused'].includes(v.state.status) ? v.state.pid : 0,
      monitorPid: v.state.monitor?.pid, startedAt: v.state.startedAt, cgroupsDisabled: v.record.cgroupsDisabled,
    }, host(v))))
  }

  const first = await round()
  const warnings = noCgroupLines(first)
  if (args.noStream === true) return { stdout: render(first, new Map()), stderr: warnings }
  process.stderr.write(warnings)
  // a stream: a screen per interval (cleared on a terminal unless --no-reset) until interrupted
  const clear = process.stdout.isTTY && args.noReset !== true ? '\x1b[2J\x1b[1;1H' : ''
  let previous = new Map<string, StatsSample>()
  for (let samples = first; ; samples = await round()) {
    process.stdout.write(clear + render(samples, previous))
    previous = new Map(samples.map(s => [s.id, s]))
    await sleep(interval * 1000)
  }
}

/** One line per reason why containers have no cgroup to read, and what is shown instead. */
function noCgroupLines(samples: StatsSample[]): string {
  const reasons = [...new Set(samples.flatMap(s => (s.why ? [s.why] : [])))]
  return reasons.map(why => `WARN: ${why}, so there is no cgroup to read: the figures are summed over the container's processes in /proc (MEM USAGE is their proportional set size, LIMIT the host's memory)\n`).join('')
}
