import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { create } from './run.js'

/** `create`: the container, not started; its id on stdout. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const created = await create(args, ctx)
  if (typeof created === 'number') return { exitCode: created }
  return { stdout: `${created.id}\n` }
}
