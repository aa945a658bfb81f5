/**
 * `container cleanup`: what follows a container's end. The monitor runs it (exec'd in its
 * own process, so the record's monitor pid is ours) once it has written the exit file, or a
 * foreground `run`/`start -a` runs it in-process. Under the container's lock: the OCI
 * runtime's leftovers go (processes, cgroups, state), the record says "exited" with the
 * code, time and OOM kill; then the restart policy may start it again, or --rm removes it.
 *
 * For the common container (monitorReleases) the monitor does it in C instead, without a node
 * start, so that `stop` returns sooner: it releases the cgroups and the runtime's state under
 * the lock and says so in the exit file (ExitFile.cleanedUp). The record keeps saying
 * "running" until the next command that writes it; observe() reads it as exited meanwhile.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { CockerError } from '../errors.js'
import { teardownNetwork } from '../network/index.js'
import { deleteContainer } from '../runtime/lifecycle.js'
import { readRecord } from '../runtime/state.js'
import { isProcessAlive } from '../sys/proc.js'
import { externalStateDir, runtimeContext, type Engine } from './engine.js'
import { isoNow } from '../sys/time.js'
import { findContainer, readExitFile, readRecordFile, withContainerLock, writeRecordFile, type ContainerRecord } from './record.js'

export type CleanupOutcome = 'running' | 'exited' | 'restarted' | 'removed' | 'gone'

/**
 * `handedOverBy`: the pid of a monitor that left the clean-up to a foreground caller (it may
 * not have exited yet); otherwise a monitor still alive means the container still runs.
 */
export async function cleanupContainer(engine: Engine, nameOrId: string, o: { handedOverBy?: number } = {}): Promise<CleanupOutcome> {
  const found = findContainer(engine.storeRoot, nameOrId)
  if (!found) return 'gone'
  const { dir } = found
  const next = await withContainerLock(dir, async (): Promise<CleanupOutcome | 'restart' | 'remove'> => {
    const record = readRecordFile(dir)
    if (!record) return 'gone'
    const m = record.state.monitor
    // a monitor that runs (and is not us, exec'd into this clean-up) still has its container
    if (m && m.pid !== process.pid && m.pid !== o.handedOverBy && isProcessAlive(m.pid, m.startTime)) return 'running'
    if (record.state.status === 'created' || record.state.status === 'removing') return 'exited'
    const ctx = runtimeContext(engine, record)
    const oomKilled = oomKillsOf(ctx.root, record.id) > 0
    try {
      await deleteContainer(ctx, record.id, { force: true })
    } catch { /* its runtime state is gone already */ }
    const exit = readExitFile(dir)
    const wasRunning = record.state.status !== 'exited'
    record.state = {
      ...record.state,
      status: 'exited',
      pid: 0,
      exitCode: exit?.exitCode ?? record.state.exitCode ?? -1,
      finishedAt: exit?.finishedAt ?? record.state.finishedAt ?? isoNow(),
      oomKilled: oomKilled || Boolean(exit?.oomKilled) || Boolean(record.state.oomKilled && !wasRunning),
    }
    const restart = wasRunning && restartWanted(record)
    // a restart keeps what the container shares (the rootless network namespace) for its next start
    await teardownNetwork(engine, record, dir, { restarting: restart })
    delete record.state.monitor
    delete record.state.network
    writeRecordFile(dir, record)
    if (restart) return 'restart'
    return record.autoRemove ? 'remove' : 'exited'
  }).catch(err => {
    // removed meanwhile, by another clean-up of the same exit (the monitor's, system check's)
    if ((err as CockerError).code === 'CONTAINER_NOT_FOUND') return 'gone' as const
    throw err
  })
  if (next === 'restart') {
    const { startContainer } = await import('./start.js')
    await startContainer(engine, dir, { byPolicy: true })
    return 'restarted'
  }
  if (next === 'remove') {
    // found again: the record read before the lock said "running", and another clean-up of
    // the same exit (the monitor's, system check's) may have removed it since
    const now = findContainer(engine.storeRoot, found.record.id)
    if (!now) return 'gone'
    const { removeContainer } = await import('./remove.js')
    try {
      await removeContainer(engine, now, { force: true, volumes: true })
    } catch (err) {
      if ((err as CockerError).code !== 'CONTAINER_NOT_FOUND') throw err
    }
    return 'removed'
  }
  return next
}

/**
 * What the runtimes still hold of a container whose record was lost (`system check --repair`
 * removes its leftover dir): its processes, cgroups and state, in cocker's runtime and in each
 * external one that has state for it (its dir beside ours, externalStateDir), found by that
 * name as `run` finds it (`runtimes`: containers.conf's [engine.runtimes]).
 */
export async function forgetRuntimeState(engine: Engine, id: string, runtimes?: Record<string, string[]>): Promise<void> {
  const ctx = runtimeContext(engine)
  await deleteContainer(ctx, id, { force: true }).catch(() => {})
  let dirs: string[] = []
  try {
    dirs = readdirSync(path.dirname(ctx.root))
  } catch { /* no runtime has run a container yet */ }
  for (const entry of dirs) {
    const name = /^runtime-(.+)$/.exec(entry)?.[1]
    if (!name || !existsSync(path.join(externalStateDir(ctx.root, name), id))) continue
    try {
      const { resolveOciRuntime } = await import('../runtime/external.js')
      const runtime = resolveOciRuntime(name, { env: engine.env, runtimes })!
      // its log went with the container's dir
      const external = { ...runtime, root: externalStateDir(ctx.root, name), logFile: '/dev/null', pid: 0 }
      await deleteContainer({ ...ctx, external }, id, { force: true })
    } catch (err) {
      engine.warn(`cannot remove what the runtime ${name} holds of container ${id}: ${(err as Error).message}`)
    }
  }
}

/**
 * Whether the container's monitor can do its clean-up itself (c/release.c): nothing follows
 * the exit (no restart policy, no --rm), no health state to keep, cocker's own runtime (an
 * external one is released through its `delete`), and no bridge network (node runs netavark's teardown).
 */
export function monitorReleases(record: ContainerRecord): boolean {
  return record.restartPolicy.name === 'no' && !record.autoRemove && !record.healthcheck && !record.runtime && !record.bridgeNetwork
}

/** Whether the restart policy starts the container again after this exit. */
export function restartWanted(record: ContainerRecord): boolean {
  const { name, maxRetries } = record.restartPolicy
  const s = record.state
  if (s.stoppedByUser || name === 'no') return false
  if (name === 'always' || name === 'unless-stopped') return true
  return (s.exitCode ?? 0) !== 0 && (maxRetries === 0 || s.restartCount < maxRetries)
}

/** How many processes of the container the kernel's OOM killer killed, from its memory cgroup. */
function oomKillsOf(runtimeRoot: string, id: string): number {
  let dirs: string[]
  try {
    dirs = readRecord(runtimeRoot, id).cgroupDirs
  } catch {
    return 0
  }
  for (const dir of dirs) {
    for (const file of ['memory.events', 'memory.oom_control']) {
      try {
        const m = /^oom_kill (\d+)$/m.exec(readFileSync(path.join(dir, file), 'utf8'))
        if (m) return Number(m[1])
      } catch { /* not this controller */ }
    }
  }
  return 0
}
