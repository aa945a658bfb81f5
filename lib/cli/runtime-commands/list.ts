import { listContainers } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import { orderStateFields } from '../render/state.js'
import { formatTabTable } from '../render/table.js'
import type { RuntimeCliContext } from '../runtime-context.js'

export async function run(args: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  const containers = await listContainers(ctx.runtime)
  if (args.quiet) return { stdout: containers.map(c => `${c.id}\n`).join('') }
  if (args.format === 'json') return { json: containers.map(orderStateFields) }
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']]
  for (const c of containers) rows.push([c.id, String(c.pid), c.status, c.bundle, c.created, c.owner])
  return { stdout: formatTabTable(rows) }
}
