import type { UsageRow } from '../../storage/store.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { formatTabTable } from '../render/table.js'
import { dfSize } from '../render/units.js'
import { storeFor } from './store-context.js'
import { volumeUsage } from '../../container/volumes.js'

export async function run(_args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const store = storeFor(ctx)
  const df = store.diskUsage()
  const row = (type: string, r: UsageRow) => {
    const pct = r.size ? Math.round((r.reclaimable / r.size) * 100) : 0
    return [type, String(r.total), String(r.active), dfSize(r.size), `${dfSize(r.reclaimable)} (${pct}%)`]
  }
  const rows = [
    ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
    row('Images', df.images),
    row('Containers', df.containers),
    row('Local Volumes', volumeUsage(store.paths.root)),
  ]
  return { stdout: formatTabTable(rows, { minWidth: 12, padding: 2 }) }
}
