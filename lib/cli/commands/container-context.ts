/**
 * What the container commands share in the CLI: the engine (lib/container/engine.ts) of the
 * store this command names, and running one action over several containers as podman does,
 * printing each name as given on success and an "Error:" line per failure.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { engineFor, type Engine } from '../../container/engine.js'
import { findContainer, listContainers, requireContainer, type FoundContainer } from '../../container/record.js'
import { CockerError } from '../../errors.js'
import { storeRoot } from '../../storage/paths.js'
import type { CliContext, Outcome } from '../command.js'
import { engineFailure } from '../exit.js'

export function engineOf(ctx: CliContext): Engine {
  return engineFor(storeRoot({ root: ctx.globals.root as string | undefined, env: ctx.env }), ctx.env,
    m => process.stderr.write(`WARN: ${m}\n`))
}

/** Where a --log-level info line goes: stderr at info, debug and trace, else nowhere. */
export function infoLine(ctx: CliContext): (message: string) => void {
  const level = ctx.globals.logLevel as string | undefined
  return level === 'info' || level === 'debug' || level === 'trace' ? m => process.stderr.write(`INFO: ${m}\n`) : () => {}
}

export { findContainer, requireContainer }

/** The containers named, or with `all` every one (`latest`: the newest). */
export function targets(engine: Engine, names: string[], o: { all?: boolean; latest?: boolean } = {}): string[] {
  if (o.all) return listContainers(engine.storeRoot).map(c => c.record.id)
  if (o.latest) {
    const newest = listContainers(engine.storeRoot).at(-1)
    if (!newest) throw new CockerError('CONTAINER_NOT_FOUND', 'no containers to act on with --latest')
    return [newest.record.id]
  }
  if (!names.length) throw new CockerError('INVALID_ARGUMENT', 'no container given', { hint: 'name one or more containers, or use --all' })
  return names
}

/**
 * The containers named, and those whose IDs --cidfile files hold; with --ignore a missing file,
 * or a container no longer there, names none (a unit's ExecStop after a failed start).
 */
export function withCidfiles(engine: Engine, names: string[], files: unknown, o: { ignore: boolean; cwd: string }): string[] {
  const ids = ((files as string[] | undefined) ?? []).flatMap(f => {
    const file = path.resolve(o.cwd, f)
    try {
      const id = readFileSync(file, 'utf8').trim()
      // --ignore: a container already gone (run --rm) is not named at all, as podman
      return id && !(o.ignore && !findContainer(engine.storeRoot, id)) ? [id] : []
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
      if (o.ignore && missing) return []
      throw new CockerError('INVALID_ARGUMENT', `--cidfile ${file}: ${missing ? 'no such file' : (err as Error).message}`, { hint: 'give the file run --cidfile wrote, or add --ignore' })
    }
  })
  return [...names, ...ids]
}

/**
 * Runs `act` on each container in turn; prints what it returns (by default the name as
 * given). The exit status is podman's: 0, else `notFoundStatus` / `stateStatus` when every
 * failure was of that kind, else 125.
 */
export async function eachContainer(engine: Engine, names: string[], act: (found: FoundContainer, given: string) => Promise<string | void>,
  o: { notFoundStatus?: number; stateStatus?: number } = {}): Promise<Outcome> {
  let stdout = ''
  let stderr = ''
  const statuses = new Set<number>()
  for (const given of names) {
    try {
      const found = requireContainer(engine.storeRoot, given)
      const out = await act(found, given)
      stdout += out === undefined ? `${given}\n` : out
    } catch (err) {
      stderr += engineFailure(err, { version: '' }).stderr
      const code = err instanceof CockerError ? err.code : undefined
      statuses.add(code === 'CONTAINER_NOT_FOUND' ? (o.notFoundStatus ?? 125) : code === 'CONTAINER_STATE_INVALID' ? (o.stateStatus ?? 125) : 125)
    }
  }
  const exitCode = statuses.size === 0 ? 0 : statuses.size === 1 ? [...statuses][0] : 125
  return { stdout, stderr, exitCode }
}
