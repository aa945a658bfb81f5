import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { findContainer } from '../../container/record.js'
import { removeContainer } from '../../container/remove.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets, withCidfiles } from './container-context.js'

/** `rm`: podman's statuses: 1 when a container does not exist, 2 when one runs (without -f). */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const all = args.all === true
  const names = args.cidfile && !args.all && !args.latest
    ? withCidfiles(engine, (args.containers as string[] | undefined) ?? [], args.cidfile, { ignore: args.ignore === true || args.force === true, cwd: ctx.cwd })
    : targets(engine, args.containers as string[], { all, latest: args.latest === true })
  const timeout = typeof args.time === 'number' ? args.time : undefined
  const outcome = await eachContainer(engine, names, async found => {
    await removeContainer(engine, found, { force: args.force === true, timeout, volumes: args.volumes === true })
    return all ? `${found.record.id}\n` : undefined
  }, { notFoundStatus: args.ignore === true || args.force === true ? 0 : 1, stateStatus: 2 })
  // as Podman removes a container's cidfile with it: the next `run --cidfile` (a quadlet
  // unit's restart) may write it again
  for (const f of (args.cidfile as string[] | undefined) ?? []) {
    const file = path.resolve(ctx.cwd, f)
    let id: string
    try {
      id = readFileSync(file, 'utf8').trim()
    } catch {
      continue
    }
    if (!id || !findContainer(engine.storeRoot, id)) rmSync(file, { force: true })
  }
  return outcome
}
