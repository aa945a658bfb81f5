import { containerChanges } from '../../container/diff.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, requireContainer } from './container-context.js'

const JSON_KEYS = { A: 'added', C: 'changed', D: 'deleted' } as const

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const changes = containerChanges(engine.storeRoot, requireContainer(engine.storeRoot, args.container as string))
  if (args.format === 'json') {
    const out: Partial<Record<string, string[]>> = {}
    for (const c of changes) (out[JSON_KEYS[c.kind]] ??= []).push(c.path)
    return { json: out }
  }
  return { stdout: changes.map(c => `${c.kind} ${c.path}\n`).join('') }
}
