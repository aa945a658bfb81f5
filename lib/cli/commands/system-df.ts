import type { UsageRow } from '../../storage/store.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { formatTabTable } from '../render/table.js'
import { dfSize } from '../render/units.js'
import { storeFor } from './store-context.js'

export async function run(_args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const df = storeFor(ctx).diskUsage()
  const row = (type: string, r: UsageRow) => {
    const pct = r.size ? Math.round((r.reclaimable / r.size) * 100) : 0
    return [type, String(r.total), String(r.active), dfSize(r.size), `${dfSize(r.reclaimable)} (${pct}%)`]
  }
  const rows = [
    ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
    row('Images', df.images),
    row('Containers', df.containers),
    row('Local Volumes', df.volumes),
  ]
  return { stdout: formatTabTable(rows, { minWidth: 12, padding: 2 }) }
}
