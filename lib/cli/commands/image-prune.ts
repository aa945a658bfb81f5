import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { confirm } from './confirm.js'
import { storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const all = args.all as boolean
  if (!args.force) {
    const what = all ? 'all images without at least one container associated with them' : 'all dangling images'
    if (!confirm(`WARNING! This command removes ${what}.\n`)) return {}
  }
  const deleted = await storeFor(ctx).pruneImages({ all })
  return { stdout: deleted.map(id => `${id}\n`).join('') }
}
