import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { confirm } from './confirm.js'
import { openStore } from '../../storage/store.js'

const REMOVES = ['all containers', 'all pods', 'all images', 'all networks', 'all build cache', 'all machines', 'all volumes']

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  // not storeFor: resetting is how a store changes drivers, so a mismatch must not stop it
  const store = openStore({ root: ctx.globals.root as string | undefined, env: ctx.env })
  if (!args.force) {
    const lines = [...REMOVES, `the graphRoot directory: "${store.paths.root}"`].map(l => `        - ${l}\n`).join('')
    if (!confirm(`WARNING! This will remove:\n${lines}`)) return {}
  }
  await store.reset()
  return {}
}
