/**
 * `stop` and `kill`: signals to a running container's init, as podman sends them. `stop`
 * sends the stop signal, waits the timeout, then SIGKILLs every process of the container, and
 * returns once the monitor has recorded the exit and cleaned up (its process is gone), so that
 * a `start` or `rm` right after finds a stopped container. For most containers the monitor
 * cleans up in C (cleanup.ts monitorReleases), so that wait is short.
 */
import { readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { CockerError } from '../errors.js'
import { initRunning, killContainer, resumeContainer } from '../runtime/lifecycle.js'
import { signalNumber } from '../runtime/linux.js'
import { crashPoint } from '../sys/crash-point.js'
import { isProcessAlive } from '../sys/proc.js'
import { runtimeContext, type Engine } from './engine.js'
import { observe, readRecordFile, requireRecordFile, withContainerLock, writeRecordFile, type ContainerRecord, type FoundContainer } from './record.js'

const isUp = (status: string) => status === 'running' || status === 'paused' || status === 'stopping'

/** Marks the container as stopped by its user (restart policies leave it then); its record as it is now. */
async function markStoppedByUser(dir: string): Promise<ContainerRecord> {
  return withContainerLock(dir, () => {
    const record = requireRecordFile(dir)
    if (isUp(observe(record, dir).status) && !record.state.stoppedByUser) {
      record.state.stoppedByUser = true
      writeRecordFile(dir, record)
    }
    return record
  })
}

/** Sends a signal to the init (or, with `all`, to every process of the container); false when it runs no more. */
async function signal(engine: Engine, record: ContainerRecord, sig: string, all = false): Promise<boolean> {
  const ctx = runtimeContext(engine, record)
  try {
    // a frozen process takes no signal until it thaws
    if (record.state.status === 'paused') await resumeContainer(ctx, record.id).catch(() => {})
    await killContainer(ctx, record.id, sig, { all })
    return true
  } catch (err) {
    if (err instanceof CockerError && (err.code === 'CONTAINER_NOT_FOUND' || err.code === 'CONTAINER_STATE_INVALID')) return false
    throw err
  }
}

/** Polls until `done` or the time is up; true if done. */
async function until(done: () => boolean, ms: number, every = 20): Promise<boolean> {
  for (const end = Date.now() + ms; ;) {
    if (done()) return true
    if (Date.now() >= end) return false
    await new Promise(r => setTimeout(r, every))
  }
}

/** The monitor of the run the record names is gone: the exit is recorded and cleaned up. */
function monitorGone(dir: string): boolean {
  const record = readRecordFile(dir)
  const m = record?.state.monitor
  return !record || !m || !isProcessAlive(m.pid, m.startTime)
}

/**
 * The monitor is gone, or has become its clean-up (`cocker container cleanup`, exec'd in its
 * pid): either way the exit is recorded and its clients (a foreground run, attach) are told.
 * The node clean-up, if it runs, is ended; the monitor's own release (c/release.c, no node
 * start) is waited for, as it keeps the monitor's name. The names are c/helper.c's and c/monitor.c's.
 */
function endMonitorAfterExit(dir: string): boolean {
  const m = readRecordFile(dir)?.state.monitor
  if (!m || !isProcessAlive(m.pid, m.startTime)) return true
  let name: string
  try {
    name = readFileSync(`/proc/${m.pid}/comm`, 'utf8').trim()
  } catch {
    return true
  }
  if (name.startsWith('cocker:[0:')) return false
  try { process.kill(m.pid, 'SIGKILL') } catch { /* gone */ }
  return true
}

/**
 * `removing` (rm -f): returns once the monitor has recorded the exit and told its clients,
 * ending the monitor's clean-up (a node start) instead of waiting for it: the record goes, so
 * nothing that clean-up records matters, and rm's own removal does the rest (taking the lock
 * over if the clean-up held it, as after any kill -9).
 */
export async function stopContainer(engine: Engine, found: FoundContainer, o: { timeout?: number; removing?: boolean } = {}): Promise<void> {
  const record = await markStoppedByUser(found.dir)
  if (!isUp(observe(record, found.dir).status)) return
  const timeout = o.timeout ?? record.stopTimeout
  crashPoint('stop:before-signal')
  const ctx = runtimeContext(engine, record)
  const exited = () => !initRunning(ctx, record.id)
  if (await signal(engine, record, record.stopSignal) && !await until(exited, timeout * 1000)) {
    engine.warn(`StopSignal ${signalName(record.stopSignal)} failed to stop container ${record.name} in ${timeout} seconds, resorting to SIGKILL`)
    await signal(engine, record, 'KILL', true)
  }
  const done = o.removing ? () => endMonitorAfterExit(found.dir) : () => monitorGone(found.dir)
  if (!await until(done, 30_000, o.removing ? 5 : 20)) {
    throw new CockerError('CONTAINER_STATE_INVALID', `container ${record.name} did not finish stopping within 30 seconds`,
      { hint: `"cocker container cleanup ${record.name}" cleans up after it` })
  }
}

/**
 * `kill`: as Podman 4.3 does, only SIGKILL counts as the user stopping the container; after
 * another signal that ends it, its restart policy applies as to any exit.
 */
export async function killContainerBySignal(engine: Engine, found: FoundContainer, sig: string): Promise<void> {
  const record = signalNumber(sig) === constants.signals.SIGKILL ? await markStoppedByUser(found.dir) : requireRecordFile(found.dir)
  if (!isUp(observe(record, found.dir).status) || !await signal(engine, record, sig)) {
    throw new CockerError('CONTAINER_STATE_INVALID', `can only kill running containers. ${record.id} is in state ${observe(record, found.dir).status}`)
  }
}

/** "15" → "SIGTERM", as podman names the stop signal. */
function signalName(sig: string): string {
  const n = Number(sig)
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${sig}`
}
