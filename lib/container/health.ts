/**
 * Health checks without a daemon: the monitor runs `cocker healthcheck run ID` every interval
 * (c/monitor.c, monitor-health); each run execs the check in the container, keeps its result
 * in the record (the last five, podman's log), counts failures in a row, and once `retries`
 * of them have come after the start period, the container is unhealthy and the
 * --health-on-failure action is taken.
 */
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { formatDurationNs } from '../sys/duration.js'
import { execProcess } from '../runtime/lifecycle.js'
import { runtimeContext, type Engine } from './engine.js'
import { isoNow } from '../sys/time.js'
import { observe, readRecordFile, withContainerLock, writeRecordFile, type FoundContainer, type HealthState } from './record.js'

const LOG_ENTRIES = 5
const OUTPUT_MAX = 4096

export type HealthResult = 'healthy' | 'unhealthy' | 'starting'

export async function runHealthcheck(engine: Engine, found: FoundContainer): Promise<HealthResult> {
  const { record, dir } = found
  const check = record.healthcheck
  if (!check) throw new CockerError('INVALID_ARGUMENT', `container ${record.name} has no defined healthcheck`)
  if (observe(record, dir).status !== 'running') {
    throw new CockerError('CONTAINER_STATE_INVALID', `container ${record.name} is not running`)
  }
  const argv = check.test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', check.test.slice(1).join(' ')] : check.test.slice(1)
  const start = isoNow()
  const outFile = path.join(dir, `healthcheck.${process.pid}.out`)
  const pidFile = path.join(dir, `healthcheck.${process.pid}.pid`)
  const fd = openSync(outFile, 'w', 0o600)
  let exitCode: number
  // past the timeout the check is killed (Podman lets it run on and only then says it took too long)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    killQuietly(pidFile)
  }, check.timeout / 1e6)
  try {
    exitCode = await execProcess(runtimeContext(engine, record), { id: record.id, args: argv, stdio: ['ignore', fd, fd], pidFile })
  } catch (err) {
    exitCode = err instanceof CockerError && err.code === 'EXEC_NOT_FOUND' ? 127 : 125
  } finally {
    clearTimeout(timer)
    closeSync(fd)
  }
  if (timedOut) exitCode = -1
  let output = ''
  try {
    output = readFileSync(outFile, 'utf8').slice(0, OUTPUT_MAX)
  } finally {
    rmSync(outFile, { force: true })
    rmSync(pidFile, { force: true })
  }
  const entry = { start, end: isoNow(), exitCode, output }
  const result = await withContainerLock(dir, () => {
    const now = readRecordFile(dir)
    if (!now) return 'unhealthy' as const
    const health: HealthState = now.state.health ?? { status: 'starting', failingStreak: 0, log: [] }
    health.log = [...health.log, entry].slice(-LOG_ENTRIES)
    const inStartPeriod = Date.parse(now.state.startedAt ?? start) + check.startPeriod / 1e6 > Date.now()
    if (exitCode === 0) {
      health.status = 'healthy'
      health.failingStreak = 0
    } else if (!inStartPeriod) {
      health.failingStreak++
      if (health.failingStreak >= check.retries) health.status = 'unhealthy'
    }
    now.state.health = health
    writeRecordFile(dir, now)
    return health.status
  })
  if (result === 'unhealthy') await onFailure(engine, found)
  if (timedOut) throw new CockerError('HEALTHCHECK_TIMEOUT', `healthcheck command exceeded timeout of ${formatDurationNs(check.timeout)}`)
  return result
}

/** The check's process, by the pid file exec wrote once it started (none yet: nothing to kill). */
function killQuietly(pidFile: string): void {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL')
  } catch { /* not started, or gone */ }
}

/** --health-on-failure: what an unhealthy container gets. */
async function onFailure(engine: Engine, found: FoundContainer): Promise<void> {
  const action = found.record.healthcheck?.onFailure ?? 'none'
  if (action === 'none') return
  const { stopContainer, killContainerBySignal } = await import('./stop.js')
  if (action === 'kill') return killContainerBySignal(engine, found, 'KILL')
  if (action === 'stop') return stopContainer(engine, found)
  // restart: stopped as a user would, then started again with a fresh health state
  await stopContainer(engine, found)
  const { startContainer } = await import('./start.js')
  await startContainer(engine, found.dir, { resetHealth: true })
}
