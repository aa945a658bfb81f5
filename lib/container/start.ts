/**
 * `start`: a created or exited container runs again, under a monitor of its own (the helper in
 * monitor mode, c/monitor.c): detached, the command returns once the container's process has
 * started; in the foreground (`run` without -d, `start -a`) the caller's stdio is the monitor's
 * first client and the container's exit status is the result.
 *
 * The record goes to "running" with the monitor's pid under the container's lock, so that the
 * monitor's clean-up (cleanup.ts), which takes the lock too, always finds the run it belongs to.
 */
import { rmSync } from 'node:fs'
import { CockerError } from '../errors.js'
import { deleteContainer, runContainer } from '../runtime/lifecycle.js'
import { usernsMapsForCaller } from '../rootless/userns.js'
import { realUid, USERNS_UID_ENV } from '../rootless/identity.js'
import { beginNetwork, needsNetworkSetup, prepareNetwork, setupNetwork, teardownNetwork } from '../network/index.js'
import { checkTun, needsNetworkProcess, networkPidFile, type NetworkProcess, type PendingNetworkProcess } from '../network/programs.js'
import { fuseOverlayfsUsable } from '../storage/driver.js'
import { crashPoint } from '../sys/crash-point.js'
import { procStat } from '../sys/proc.js'
import { cockerCommand, runtimeContext, type Engine } from './engine.js'
import { isoNow } from '../sys/time.js'
import { monitorReleases } from './cleanup.js'
import { attachSocket, containerDirOf, exitFile, lockFile, observe, readRecordFile, requireRecordFile, withContainerLock, writeRecordFile, type ContainerRecord } from './record.js'
import { containerDirs, hiddenRoot, idmappedLowerMounts, overlayMountData, rootOwnsPending } from './rootfs.js'
import { pointJoinsAtInits } from './joins.js'
import { monitorNotify, takeNotifySocket } from '../systemd/notify.js'

const notifyOption = <T>(notify: T | undefined) => (notify ? { notify } : {})
const optional = <K extends string, T>(key: K, value: T | undefined) => (value === undefined ? {} : { [key]: value } as { [P in K]: T })

export interface StartOptions {
  /** The caller's stdio is attached until the container ends (or detach keys are typed). */
  foreground?: boolean
  /** Foreground: pass the signals we get on to the container (--sig-proxy). */
  sigProxy?: boolean
  /** A restart by the restart policy: counted, and `stoppedByUser` is kept. */
  byPolicy?: boolean
  /** A restart after a failed health check: the health state starts again. */
  resetHealth?: boolean
}

export interface StartResult {
  /** Foreground: the container's exit status; undefined when it was detached from. */
  exitCode?: number
  detached?: boolean
  /** Foreground: the monitor (this pid) left the clean-up to us: cleanupContainer's handedOverBy. */
  cleanupPendingFrom?: number
}

export async function startContainer(engine: Engine, dir: string, o: StartOptions = {}): Promise<StartResult> {
  let record = requireRecordFile(dir)
  const id = record.id
  await startJoinedInfras(engine, record)
  const ctx = runtimeContext(engine, record)
  const launch = await withContainerLock(dir, async () => {
    record = readRecordFile(dir)!
    const now = observe(record, dir)
    if (now.status === 'running' || now.status === 'paused' || now.status === 'stopping') return undefined
    if (now.status === 'removing') throw new CockerError('CONTAINER_STATE_INVALID', `container ${record.name} is being removed`)
    // what an earlier run left, if its clean-up never came (a kill -9 of everything)
    try {
      await deleteContainer(ctx, id, { force: true })
    } catch { /* nothing of it left */ }
    await teardownNetwork(engine, record, dir)
    rmSync(exitFile(dir), { force: true })
    if (record.joins) pointJoinsAtInits(engine.storeRoot, record, containerDirs(engine.storeRoot, id).userdata, engine.rootless)
    await prepareNetwork(engine, record, containerDirs(engine.storeRoot, id).userdata)
    record.state = {
      status: 'running', pid: 0, startedAt: isoNow(), restartCount: o.byPolicy ? record.state.restartCount + 1 : 0,
      ...(o.byPolicy && record.state.stoppedByUser ? { stoppedByUser: true } : {}),
      ...(record.healthcheck ? { health: { status: 'starting', failingStreak: 0, log: o.resetHealth ? [] : record.state.health?.log ?? [] } } : {}),
    }
    // written with the monitor's pid, not before: a record "running" without a monitor would
    // read as a run that died (exited, -1) to ps and wait while the monitor is being spawned
    crashPoint('start:before-monitor')
    try {
      return await launchMonitored(engine, record, dir, o, {
        // recorded at once: from here a kill -9 of this command leaves a container whose monitor is known
        spawned: monitorPid => {
          record!.state.monitor = { pid: monitorPid, startTime: procStat(monitorPid)?.startTime ?? '' }
          writeRecordFile(dir, record!)
        },
        // recorded at once, so that a clean-up after a kill -9 of the monitor ends it
        network: p => {
          record!.state.network = p
          writeRecordFile(dir, record!)
        },
        started: pid => {
          record!.state.pid = pid
          writeRecordFile(dir, record!)
        },
      })
    } catch (err) {
      record.state = { ...record.state, status: 'exited', pid: 0, exitCode: exitCodeOf(err), finishedAt: isoNow() }
      await teardownNetwork(engine, record, dir)
      delete record.state.monitor
      delete record.state.network
      writeRecordFile(dir, record)
      throw err
    }
  })
  if (!launch) return {}
  return launch.wait ? await launch.wait() : {}
}

/**
 * A pod's container starts its pod's infra first, as podman does: the namespaces it joins are
 * the infra's. (Another container it joins with container:NAME is the user's to start.)
 */
async function startJoinedInfras(engine: Engine, record: ContainerRecord): Promise<void> {
  for (const joined of new Set(Object.values(record.joins ?? {}))) {
    const dir = containerDirOf(engine.storeRoot, joined)
    if (readRecordFile(dir)?.infra) await startContainer(engine, dir)
  }
}

/** The status podman records for a start that failed: 126/127 for an exec error, else 125. */
function exitCodeOf(err: unknown): number {
  const code = (err as { exitCode?: number }).exitCode
  return typeof code === 'number' ? code : 125
}

/**
 * A cocker command the monitor runs. Rootless, a monitor that joined another user namespace
 * (a bridge network's, a pod's: its container's namespaces are made there) runs it as uid 0 of
 * that namespace, where only this variable says that it acts for the user (identity.ts).
 */
function monitorCommand(engine: Engine, record: ContainerRecord, ...args: string[]): string[] {
  const argv = cockerCommand(engine, ...args)
  if (!engine.rootless || (!record.bridgeNetwork && !record.joins)) return argv
  return ['/usr/bin/env', `${USERNS_UID_ENV}=${realUid(engine.env)}`, ...argv]
}

/**
 * Runs the container under a new monitor. Under the caller's lock, `spawned` is told the
 * monitor's pid as soon as it exists and `started` the init's once it runs; for a foreground
 * start, `wait` then waits (without the lock) for the exit.
 */
async function launchMonitored(engine: Engine, record: ContainerRecord, dir: string, o: StartOptions,
  on: { spawned(monitorPid: number): void; network(p: NetworkProcess): void; started(pid: number): void }): Promise<{ wait?: () => Promise<StartResult> }> {
  const dirs = containerDirs(engine.storeRoot, record.id)
  const ctx = runtimeContext(engine, record)
  const driver = record.storage.driver
  const idmapped = idmappedLowerMounts(record.storage, dirs, { rootless: engine.rootless })
  const fuse = driver === 'fuse-overlayfs' || idmapped ? fuseOverlayfsUsable(engine.env) : undefined
  if (fuse && !fuse.ok) {
    throw idmapped
      ? new CockerError('STORAGE_DRIVER_UNAVAILABLE', `${record.name} was created to have fuse-overlayfs serve the image's layers with its user namespace's ids, but ${fuse.reason}`,
        { hint: 'as root, "chmod 666 /dev/fuse" (most distributions ship it so), or create the container again' })
      : new CockerError('STORAGE_DRIVER_UNAVAILABLE', `the store's driver is fuse-overlayfs, but ${fuse.reason}`,
        { hint: 'as root, "chmod 666 /dev/fuse" (most distributions ship it so), or use the overlay or vfs driver (after "cocker system reset")' })
  }
  const net = record.network
  if (needsNetworkProcess(net)) checkTun(engine.rootless)
  const monitor = {
    exitFile: exitFile(dir),
    ...(needsNetworkProcess(net) ? { networkPidFile: networkPidFile(dir) } : {}),
    ...(record.log.driver === 'k8s-file' ? { logFile: record.log.path } : {}),
    ...(record.log.maxSize ? { logMaxSize: record.log.maxSize } : {}),
    socket: attachSocket(dir),
    stdin: record.interactive,
    foreground: o.foreground ?? false,
    passthrough: record.log.driver === 'passthrough',
    detachKeys: record.detachKeys,
    cleanup: monitorCommand(engine, record, 'container', 'cleanup', record.id),
    ...(monitorReleases(record) ? { releaseLock: lockFile(dir) } : {}),
    ...(record.healthcheck ? { health: { intervalMs: Math.max(1, Math.round(record.healthcheck.interval / 1e6)),
      argv: monitorCommand(engine, record, 'healthcheck', 'run', record.id) } } : {}),
    ...notifyOption(monitorNotify(record.sdNotify ?? 'conmon', takeNotifySocket(engine.env), dirs.userdata)),
    // rootless --rm: the container's ids own what it wrote; the monitor, in its namespace, removes
    // it at once, unless the record said otherwise meanwhile (auto-update keeps the old container)
    ...(engine.rootless && record.autoRemove && o.foreground && (driver === 'overlay' || driver === 'fuse-overlayfs')
      ? { removeAtExit: { dirs: [dirs.upper, dirs.work], wanted: () => readRecordFile(dir)?.autoRemove === true } } : {}),
  }
  // pasta or slirp4netns, started when the init exists and awaited at the hook point
  let early: PendingNetworkProcess | undefined
  let markStarted = () => {}
  const startedOrFailed = new Promise<void>(resolve => { markStarted = resolve })
  const run = runContainer(ctx, {
    id: record.id,
    bundle: dirs.userdata,
    storeRoot: hiddenRoot(engine.storeRoot),
    ...(engine.rootless ? { callerNamespace: usernsMapsForCaller() } : {}),
    ...optional('rootOwns', rootOwnsPending(record.storage, dirs)),
    // vfs copied the image into merged/; --rootfs without :O runs the directory itself
    ...(driver === 'vfs' || driver === 'rootfs' ? {} : {
      rootfsOverlay: idmapped && fuse?.ok
        ? { data: idmapped.overlay, cwd: engine.storeRoot, lower: { program: fuse.program, dir: dirs.lower, options: idmapped.fuse } }
        : {
            data: overlayMountData(record.storage.lowerDirs, dirs, { rootless: engine.rootless && driver === 'overlay' }),
            cwd: engine.storeRoot,
            ...(fuse?.ok ? { program: fuse.program } : {}),
          },
    }),
    ...(needsNetworkSetup(record) ? {
      onInit: (pid: number) => { early = beginNetwork(engine, record, dir, pid) },
      onNamespaces: async (pid: number) => {
        const p = await setupNetwork(engine, record, dir, pid, early)
        // the record names it from here: a failure later is teardownNetwork's
        early = undefined
        if (p) on.network(p)
      },
    } : {}),
    monitor: {
      ...monitor,
      sigProxy: o.sigProxy !== false,
      onSpawn: on.spawned,
      onStarted: (_monitorPid, pid) => {
        crashPoint('start:before-pids')
        on.started(pid)
        markStarted()
      },
    },
  })
  // a start that failed before the hook point leaves no network program behind
  run.catch(() => early?.abort())
  // under the caller's lock until the process started; a foreground caller then waits without it
  await Promise.race([startedOrFailed, run])
  if (!o.foreground) return {}
  return {
    wait: async () => {
      const r = await run
      return r.detached ? { detached: true } : { exitCode: r.exitCode ?? 0, cleanupPendingFrom: r.monitorPid }
    },
  }
}

