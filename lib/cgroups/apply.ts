import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeSync } from 'node:fs'
import { posix } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CockerError } from '../errors.js'
import type { CgroupPlan } from './plan.js'

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code

const HINTS: Record<string, string> = {
  EACCES: 'cocker needs root, or a cgroup v2 subtree delegated to this user',
  EPERM: 'cocker needs root, or a cgroup v2 subtree delegated to this user',
  ENOENT: 'this kernel or hierarchy does not provide that file',
  EINVAL: 'the kernel refused the value; check the limit against the parent cgroup and the kernel docs',
  EBUSY: 'cgroup v2 enables controllers only in cgroups without processes: use a cgroupsPath outside your own cgroup',
  ENOSPC: 'the v1 cpuset cgroup has no CPUs or memory nodes',
}

function failed(message: string, err: unknown): CockerError {
  const code = errno(err)
  const hint = code ? HINTS[code] : undefined
  return new CockerError('CGROUP_FAILED', `cgroup: ${message}: ${(err as Error).message}`, { ...(hint ? { hint } : {}), cause: err })
}

/**
 * One write(2) of the whole value, without O_CREAT or O_TRUNC: cgroupfs refuses to create
 * files, and a missing file should read as ENOENT, not as an attempt to make one.
 */
function writeCgroupFile(file: string, value: string): void {
  let fd: number | undefined
  try {
    fd = openSync(file, constants.O_WRONLY)
    writeSync(fd, value)
  } catch (err) {
    throw failed(`writing ${value} to ${file}`, err)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Creates the plan's dirs and writes its files. On failure removes the dirs it created and throws CGROUP_FAILED. */
export function applyCgroupPlan(plan: CgroupPlan): void {
  const created: string[] = []
  try {
    for (const dir of plan.dirs) {
      let first: string | undefined
      try {
        first = mkdirSync(dir, { recursive: true })
      } catch (err) {
        throw failed(`creating ${dir}`, err)
      }
      for (let d = dir; first !== undefined; d = posix.dirname(d)) {
        created.push(d)
        if (d === first || d === '/') break
      }
    }
    for (const [file, value] of plan.writes) writeCgroupFile(file, value)
  } catch (err) {
    // Best effort: the write error is what the user needs to see.
    for (const d of created.sort((a, b) => b.length - a.length)) rmdirQuietly(d)
    throw err
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir)
  } catch {
    // still busy or already gone: nothing more to undo
  }
}

/** dir and every cgroup below it, deepest first. */
function subtree(dir: string): string[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    if (errno(err) === 'ENOENT') return []
    throw failed(`reading ${dir}`, err)
  }
  return [...entries.filter(e => e.isDirectory()).flatMap(e => subtree(posix.join(dir, e.name))), dir]
}

/** The pids in the container's cgroups, nested cgroups included, ascending. */
export function listPids(dirs: string[]): number[] {
  const pids = new Set<number>()
  for (const d of dirs.flatMap(subtree)) {
    let text: string
    try {
      text = readFileSync(`${d}/cgroup.procs`, 'utf8')
    } catch (err) {
      if (errno(err) === 'ENOENT') continue
      throw failed(`reading ${d}/cgroup.procs`, err)
    }
    for (const line of text.split('\n')) if (line) pids.add(Number(line))
  }
  return [...pids].sort((a, b) => a - b)
}

/** Removes the container's cgroups and any nested ones, deepest first. Missing dirs are fine. */
export function removeCgroup(dirs: string[]): void {
  for (const d of dirs.flatMap(subtree)) {
    // Processes that were just killed stay in the cgroup until they are reaped: rmdir gets EBUSY.
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(d)
        break
      } catch (err) {
        if (errno(err) === 'ENOENT') break
        if (errno(err) !== 'EBUSY' || attempt >= 20) {
          throw failed(`removing ${d}`, err)
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 * (attempt + 1))
      }
    }
  }
}

const FREEZE_TIMEOUT_MS = 5000

/** Whether the container's cgroup is frozen: v1 freezer.state FROZEN, or v2 cgroup.events "frozen 1". */
export function isFrozen(dirs: string[]): boolean {
  for (const dir of dirs) {
    for (const [file, line] of [['freezer.state', 'FROZEN'], ['cgroup.events', 'frozen 1']]) {
      try {
        if (readFileSync(`${dir}/${file}`, 'utf8').split('\n').includes(line)) return true
      } catch { /* not this hierarchy */ }
    }
  }
  return false
}

/**
 * Freezes or thaws the container: v1 freezer.state when a freezer hierarchy is there (on
 * hybrid hosts too), else v2 cgroup.freeze. Resolves once the kernel reports the new state.
 */
export async function freeze(dirs: string[], frozen: boolean): Promise<void> {
  const v1 = dirs.find(d => existsSync(`${d}/freezer.state`))
  const v2 = dirs.find(d => existsSync(`${d}/cgroup.freeze`))
  if (v1) return settle(`${v1}/freezer.state`, frozen ? 'FROZEN' : 'THAWED', `${v1}/freezer.state`, frozen ? 'FROZEN' : 'THAWED', 'THAWED')
  if (v2) return settle(`${v2}/cgroup.freeze`, frozen ? '1' : '0', `${v2}/cgroup.events`, `frozen ${frozen ? 1 : 0}`, '0')
  throw new CockerError('CGROUP_FAILED', `cgroup: the container has no freezer (looked in ${dirs.join(', ') || 'no cgroup'})`, {
    hint: 'rootless containers can be paused only with a delegated cgroup v2 subtree',
  })
}

/**
 * Writes `value` to `file` until `stateFile` has a line equal to `want`. v1 can stay in
 * FREEZING when a task races the freezer, and rewriting FROZEN retries the tasks that were
 * missed, so the write is repeated, as runc does. On timeout it writes `undo` and throws.
 */
async function settle(file: string, value: string, stateFile: string, want: string, undo: string): Promise<void> {
  const deadline = Date.now() + FREEZE_TIMEOUT_MS
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    writeCgroupFile(file, value)
    let state: string
    try {
      state = readFileSync(stateFile, 'utf8')
    } catch (err) {
      throw failed(`reading ${stateFile}`, err)
    }
    if (state.split('\n').includes(want)) return
    if (Date.now() > deadline) {
      if (value !== undo) writeCgroupFile(file, undo)
      throw new CockerError('CGROUP_FAILED', `cgroup: ${stateFile} did not reach "${want}" within ${FREEZE_TIMEOUT_MS / 1000} s`)
    }
    await sleep(delay)
  }
}
