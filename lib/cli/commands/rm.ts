import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { findContainer } from '../../container/record.js'
import { removeContainer } from '../../container/remove.js'
import { CockerError } from '../../errors.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets } from './container-context.js'

/** `rm`: podman's statuses: 1 when a container does not exist, 2 when one runs (without -f). */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const all = args.all === true
  const ignore = args.ignore === true || args.force === true
  const cidfiles = (Array.isArray(args.cidfile) ? args.cidfile.map(String) : []).map(f => path.resolve(ctx.cwd, f))
  const fromFiles = cidfiles.flatMap(f => readCidfile(f, args.ignore === true))
  // with -i, a cidfile's container that is gone already is no error (quadlet's ExecStopPost after ExecStop)
  const live = fromFiles.filter(c => !args.ignore || findContainer(engine.storeRoot, c.id))
  const given = [...(args.containers as string[] | undefined ?? []), ...live.map(c => c.id)]
  const outcome = cidfiles.length && !given.length && !all ? {} : await eachContainer(engine, targets(engine, given, { all, latest: args.latest === true }),
    async found => {
      await removeContainer(engine, found, { force: args.force === true, timeout: typeof args.time === 'number' ? args.time : undefined, volumes: args.volumes === true })
      return all ? `${found.record.id}\n` : undefined
    }, { notFoundStatus: ignore ? 0 : 1, stateStatus: 2 })
  // as Podman removes a container's cidfile with it: the next `run --cidfile` may write it again
  for (const { file, id } of fromFiles) if (!findContainer(engine.storeRoot, id)) rmSync(file, { force: true })
  return outcome
}

function readCidfile(file: string, ignore: boolean): { file: string; id: string }[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if (ignore && (err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new CockerError('INVALID_ARGUMENT', `--cidfile ${file}: ${(err as Error).message}`, { hint: 'give the file that run --cidfile wrote' })
  }
  const id = text.split('\n')[0]!.trim()
  if (!id) {
    if (!ignore) throw new CockerError('INVALID_ARGUMENT', `--cidfile ${file}: the file holds no container ID`, { hint: 'give the file that run --cidfile wrote' })
    // left by a run that failed before it had a container (it makes the file first)
    rmSync(file, { force: true })
    return []
  }
  return [{ file, id }]
}
