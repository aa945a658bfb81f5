/**
 * A running container made again on another image, with the options it was created with
 * (create-options.json beside its record), its name, its host ports and its volumes
 * (anonymous ones too: the new container mounts the old one's). What auto-update does for a
 * container that no systemd unit runs:
 *
 *   stop the old one (its --rm suspended) → rename it NAME-old-ID → create NAME on the image
 *   → start it → it must keep running for a moment (and pass its health check, if it has
 *   one) → remove the old one.
 *
 * If the new one fails: with rollback it is removed and the old one gets its name back and
 * starts again; without, the new one stays as it failed and the old one goes (as a unit that
 * re-creates its container leaves it), unless the new one could not even be created. A kill -9
 * part-way leaves the old one stopped under NAME-old-ID, where `cocker rename` can fetch it.
 */
import { CockerError } from '../errors.js'
import type { OciRuntime } from '../runtime/external.js'
import type { MountRequest, RunOptions } from '../spec/run-options.js'
import type { DriverName } from '../storage/driver.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { createContainer, type CreateOptions, type LifecycleOptions } from './create.js'
import type { Engine } from './engine.js'
import { createOptionsFile, findContainer, observe, readJson, readRecordFile, requireRecordFile, withContainerLock, writeRecordFile, type ContainerRecord, type FoundContainer } from './record.js'
import { removeContainer } from './remove.js'
import { renameContainer } from './rename.js'
import { startContainer } from './start.js'
import { stopContainer } from './stop.js'
import { SYSTEMD_UNIT_LABEL } from './systemd-unit.js'

/** What create was given, as create-options.json keeps it. */
export interface CreateOptionsAsGiven {
  imageName: string
  options: RunOptions
  lifecycle: LifecycleOptions
  runtime?: OciRuntime
  pod?: CreateOptions['pod']
}

export interface RecreateOptions {
  engine: Engine
  store: Store
  driver: DriverName
  image: ImageRecord
  rollback: boolean
  /** How long the new container must keep running (or end with 0) to count as started; ms. */
  settleMs: number
}

export type RecreateResult = { outcome: 'updated'; id: string } | { outcome: 'rolled back'; error: CockerError }

export function readCreateOptions(dir: string): CreateOptionsAsGiven | undefined {
  return readJson<CreateOptionsAsGiven>(createOptionsFile(dir))
}

/** Throws when the update failed and was not rolled back (the error says what became of both containers). */
export async function recreateContainer(old: FoundContainer, o: RecreateOptions): Promise<RecreateResult> {
  const { engine } = o
  const given = readCreateOptions(old.dir)
  if (!given) {
    throw new CockerError('NOT_SUPPORTED', `container ${old.record.name} was created by a cocker that did not keep its options, so it cannot be made again`,
      { hint: `re-create it once with "cocker run --replace"; its next update then works` })
  }
  const name = old.record.name
  const parkedName = `${name}-old-${old.record.id.slice(0, 12)}`
  const autoRemove = await setAutoRemove(old.dir, false)
  try {
    await stopContainer(engine, old)
    await renameContainer(engine.storeRoot, old.dir, parkedName)
  } catch (err) {
    await setAutoRemove(old.dir, autoRemove).catch(() => {})
    throw err
  }
  let made: { id: string; dir: string } | undefined
  try {
    const { record, dir } = await createContainer({
      store: o.store, image: o.image, imageName: given.imageName, options: optionsFor(given.options, old.record),
      lifecycle: given.lifecycle, driver: o.driver, env: withoutUnit(engine.env), warn: engine.warn,
      ...(old.record.createCommand ? { createCommand: old.record.createCommand } : {}),
      ...(given.runtime ? { runtime: given.runtime } : {}), ...(given.pod ? { pod: given.pod } : {}),
    })
    made = { id: record.id, dir }
    await startContainer(engine, dir)
    await checkStarted(engine, dir, o.settleMs)
  } catch (err) {
    const error = err instanceof CockerError ? err : new CockerError('CONTAINER_STATE_INVALID', (err as Error).message, { cause: err })
    if (o.rollback || !made) {
      // its anonymous volumes are the old container's, which keeps them
      if (made) await removeQuietly(engine, made.id, 'the new container')
      await renameContainer(engine.storeRoot, old.dir, name)
      await setAutoRemove(old.dir, autoRemove)
      if (!o.rollback) throw error
      await startContainer(engine, old.dir)
      return { outcome: 'rolled back', error }
    }
    await removeQuietly(engine, old.record.id, 'the old container')
    throw error
  }
  await removeQuietly(engine, old.record.id, 'the old container')
  return { outcome: 'updated', id: made.id }
}

/**
 * The options as given, where the container's record knows better: its name now (a rename
 * since), the host ports chosen for it, and its anonymous volumes, which the new one mounts.
 */
function optionsFor(given: RunOptions, record: ContainerRecord): RunOptions {
  const anonymous = (record.volumes ?? []).filter(v => v.anonymous)
  const mounts: MountRequest[] = given.mounts.filter(m => !(m.type === 'volume' && m.name === undefined && anonymous.some(v => v.destination === m.destination)))
  for (const v of anonymous) mounts.push({ type: 'volume', name: v.name, destination: v.destination, options: v.options })
  return { ...given, name: record.name, ports: record.ports ?? given.ports, mounts }
}

/** The environment without what would mark the new container as a unit's: no unit made it. */
function withoutUnit(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { [SYSTEMD_UNIT_LABEL]: _unit, NOTIFY_SOCKET: _socket, ...rest } = env
  return rest
}

/** Sets the record's --rm; returns what it was. */
async function setAutoRemove(dir: string, value: boolean): Promise<boolean> {
  return withContainerLock(dir, () => {
    const record = requireRecordFile(dir)
    const was = record.autoRemove
    if (was !== value) writeRecordFile(dir, { ...record, autoRemove: value })
    return was
  })
}

/**
 * Started means: still running (or ended with 0) after `settleMs`, and, with a health check,
 * that check passing once then.
 */
async function checkStarted(engine: Engine, dir: string, settleMs: number): Promise<void> {
  for (const end = Date.now() + settleMs; Date.now() < end;) {
    await new Promise(r => setTimeout(r, 100))
    if (exitedWithError(dir)) break
  }
  const record = readRecordFile(dir)
  if (!record) throw new CockerError('CONTAINER_NOT_FOUND', `the new container was removed while it started`)
  const state = observe(record, dir)
  if (state.status === 'exited' && state.exitCode !== 0) {
    throw new CockerError('CONTAINER_STATE_INVALID', `the new container ${record.name} exited with status ${state.exitCode} right after it started`)
  }
  if (record.healthcheck && state.status === 'running') {
    const { runHealthcheck } = await import('./health.js')
    await runHealthcheck(engine, { record, dir })
    const last = readRecordFile(dir)?.state.health?.log.at(-1)
    if (last && last.exitCode !== 0) {
      throw new CockerError('CONTAINER_STATE_INVALID', `the new container ${record.name} failed its health check (status ${last.exitCode})`)
    }
  }
}

function exitedWithError(dir: string): boolean {
  const record = readRecordFile(dir)
  if (!record) return true
  const state = observe(record, dir)
  return state.status === 'exited' && state.exitCode !== 0
}

/** rm -f of one of the two, where a failure is a warning: the update's outcome is decided already. */
async function removeQuietly(engine: Engine, id: string, which: string): Promise<void> {
  const found = findContainer(engine.storeRoot, id)
  if (found) await removeContainer(engine, found, { force: true }).catch(err => engine.warn(`${which} ${found.record.name}: ${(err as Error).message}`))
}
