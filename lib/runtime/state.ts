/**
 * Container records under the runtime's --root: <root>/<id>/state.json (written
 * by rename, so a crash leaves the old or the new one) and <root>/<id>/exec.fifo
 * while the container is created but not started.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { isProcessAlive, procStat } from '../sys/proc.js'
import type { Spec, State, Status } from './oci-spec.js'

export interface ContainerRecord {
  id: string
  /** 0 while the container is being created. */
  pid: number
  /** Field 22 of /proc/<pid>/stat when created: tells our init from a recycled pid. */
  pidStartTime: string
  bundle: string
  rootfs: string
  created: string
  ownerUid: number
  rootless: boolean
  config: Spec
  cgroupDirs: string[]
  /** The command creating it: if that died before the init existed, the record is a leftover. */
  creator?: { pid: number; startTime: string }
}

const ID_PATTERN = /^[\w+.-]+$/

export function checkId(id: string): void {
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new CockerError('INVALID_ARGUMENT', `invalid container id "${id}": use letters, digits, "_", "+", "-" and "."`)
  }
}

export const containerDir = (root: string, id: string) => path.join(root, id)
export const fifoPath = (root: string, id: string) => path.join(root, id, 'exec.fifo')

export function readRecord(root: string, id: string): ContainerRecord {
  checkId(id)
  let text: string
  try {
    text = readFileSync(path.join(containerDir(root, id), 'state.json'), 'utf8')
  } catch {
    throw new CockerError('CONTAINER_NOT_FOUND', `container "${id}" does not exist`, { hint: `"cocker-runtime --root ${root} list" shows the containers` })
  }
  return JSON.parse(text) as ContainerRecord
}

export function writeRecord(root: string, record: ContainerRecord): void {
  const dir = containerDir(root, record.id)
  const tmp = path.join(dir, `.state.json.${process.pid}`)
  writeFileSync(tmp, JSON.stringify(record))
  renameSync(tmp, path.join(dir, 'state.json'))
}

/** Removes a container's directory: its known files, else (leftovers of a crash) the whole tree. */
export function removeContainerDir(root: string, id: string): void {
  const dir = containerDir(root, id)
  for (const file of ['state.json', 'exec.fifo']) {
    try {
      unlinkSync(path.join(dir, file))
    } catch { /* not there */ }
  }
  try {
    rmdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') rmSync(dir, { recursive: true, force: true })
  }
}

/** A uid's name from /etc/passwd, as `list` shows the owner; the number when it has none. */
export function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':')
      if (id === String(uid)) return name
    }
  } catch { /* no passwd file */ }
  return String(uid)
}

export function listIds(root: string): string[] {
  if (!existsSync(root)) return []
  return readdirSync(root).filter(id => ID_PATTERN.test(id) && existsSync(path.join(root, id, 'state.json'))).sort()
}

export { procStat }

export function ensureRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o700 })
}

/** Whether the record's init is alive (a zombie has exited: it only waits to be reaped). */
export function isAlive(record: ContainerRecord): boolean {
  return isProcessAlive(record.pid, record.pidStartTime)
}


export function containerStatus(root: string, record: ContainerRecord, frozen: () => boolean): Status {
  if (!record.pid) return record.creator && isProcessAlive(record.creator.pid, record.creator.startTime) ? 'creating' : 'stopped'
  if (!isAlive(record)) return 'stopped'
  if (existsSync(fifoPath(root, record.id))) return 'created'
  return frozen() ? 'paused' : 'running'
}

export function ociState(record: ContainerRecord, status: Status): State {
  const state: State = { ociVersion: record.config.ociVersion, id: record.id, status, pid: record.pid, bundle: record.bundle }
  if (status === 'stopped') state.pid = 0
  if (record.config.annotations) state.annotations = record.config.annotations
  return state
}
