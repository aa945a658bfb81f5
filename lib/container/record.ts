/**
 * Container records: what `ps`, `inspect` and every lifecycle command know of a container,
 * kept next to its files in <store>/containers/<id>/:
 *
 *   container.json  the record below, replaced by rename (readers take no lock; writers hold
 *                   the container's lock file, lock-file.ts)
 *   exit            written by the monitor (c/monitor.c) when the init ends, by rename (ExitFile)
 *   lock            the lock of the record's writers (withContainerLock), which the monitor's
 *                   own clean-up takes too (c/release.c)
 *   ctr.log         the k8s-file log the monitor writes
 *   userdata/attach the monitor's attach socket (owner only)
 *
 * The record says what the CLI last did (created, started with this monitor, stopped by the
 * user); what happened since is read from the processes and the exit file (`observe`): a
 * container whose monitor is gone has exited, with the code of its exit file when it wrote one.
 * Names are reserved in <store>/container-names/ (NameRegistry).
 */
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import type { NetworkAttachment } from '../network/bridge/state.js'
import type { NetworkProcess } from '../network/programs.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import type { NetworkMode, PortMapping } from '../spec/run-options.js'
import type { ContainerVolume } from './volumes.js'
import { withStampLock } from '../storage/lock.js'
import { isProcessAlive } from '../sys/proc.js'
import { heldByRecordOrCreator, NameRegistry } from '../sys/name-registry.js'

export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopping' | 'exited' | 'removing'

export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped'
  /** on-failure:N; 0 = no limit. */
  maxRetries: number
}

/** podman's --sdnotify modes; conmon (the monitor says READY=1 once the container runs) is the default. */
export const SD_NOTIFY_MODES = ['conmon', 'container', 'healthy', 'ignore'] as const
export type SdNotifyMode = typeof SD_NOTIFY_MODES[number]

export interface Healthcheck {
  /** As the image's config has it: ["CMD-SHELL", "…"] or ["CMD", …]. */
  test: string[]
  /** Nanoseconds, as podman's inspect shows them. */
  interval: number
  timeout: number
  startPeriod: number
  retries: number
  onFailure: 'none' | 'kill' | 'restart' | 'stop'
}

export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy'
  failingStreak: number
  log: { start: string; end: string; exitCode: number; output: string }[]
}

export interface ContainerState {
  status: ContainerStatus
  /** The init's host pid while it runs; 0 otherwise. */
  pid: number
  /** The monitor (c/monitor.c) of the current run: pid and /proc start time. */
  monitor?: { pid: number; startTime: string }
  startedAt?: string
  finishedAt?: string
  exitCode?: number
  oomKilled?: boolean
  /** Restarts by the restart policy since the last start by a user. */
  restartCount: number
  /** `stop` or `kill` by a user: unless-stopped and always do not restart it then. */
  stoppedByUser?: boolean
  health?: HealthState
  /** The current run's network process (pasta, slirp4netns): the clean-up ends it if the monitor could not. */
  network?: NetworkProcess
}

export interface ContainerRecord {
  /** 64 hex digits. */
  id: string
  name: string
  /** The image's ID (config digest hex) and the name the user gave for it. */
  imageId: string
  imageName: string
  /** The process the container runs: entrypoint + command, as resolved into config.json. */
  command: string[]
  /** The two halves of `command`, as inspect's Config shows them (absent in older records). */
  entrypoint?: string[]
  cmd?: string[]
  /** `cocker run …` as typed, for inspect's CreateCommand (and units made from it). */
  createCommand?: string[]
  /** The bounding set against the defaults (create.ts), for inspect's HostConfig. */
  capAdd?: string[]
  capDrop?: string[]
  privileged?: boolean
  /** ISO 8601 with nanoseconds. */
  created: string
  labels: Record<string, string>
  annotations: Record<string, string>
  tty: boolean
  interactive: boolean
  /** --rm */
  autoRemove: boolean
  restartPolicy: RestartPolicy
  stopSignal: string
  /** Seconds. */
  stopTimeout: number
  log: { driver: 'k8s-file' | 'none' | 'passthrough'; path: string; maxSize?: number }
  detachKeys: string
  healthcheck?: Healthcheck
  /** --sdnotify (absent: conmon): who tells systemd the container is ready (lib/systemd/notify.ts). */
  sdNotify?: SdNotifyMode
  /** OCI mounts of the container's config, for inspect's Mounts. */
  mounts: { type: string; source: string; destination: string; options: string[] }[]
  /** Its volumes (named, anonymous): for --volumes-from, rm -v and what uses a volume. */
  volumes?: ContainerVolume[]
  /** The container's working config: the OCI bundle (config.json) is in userdata/. */
  storage: {
    driver: string
    lowerDirs: string[]
    /**
     * Rootless, a user namespace that maps ids otherwise (keep-id): fuse-overlayfs serves
     * lowerDirs read-only with these maps (its uidmapping/gidmapping: the id as the container
     * sees the file → the image's id), under the kernel's overlay; absent: lowerDirs as they are.
     */
    idmappedLowers?: { uid: IdMapping[]; gid: IdMapping[] }
    /**
     * Rootless keep-id: cocker's own files of the container (its upper and work dirs, the files
     * bound in from userdata, what create wrote into the upper dir), relative to its dir, that go
     * to the container's root at its first start, by the start's helper in the container's
     * namespace, where both owners are mapped (the caller's own rights cannot give them away).
     * Still to do while the upper dir belongs to the caller (rootfs.ts rootOwnsPending).
     */
    rootOwns?: string[]
    /** `cocker mount`s not yet undone: the overlay stays mounted on merged/ while above 0. */
    mountCount?: number
  }
  /** --cgroups disabled: no cgroups at all. */
  cgroupsDisabled?: boolean
  /** --runtime: an external OCI runtime, by the name the user gave and its binary; absent: cocker's own. */
  runtime?: { name: string; path: string }
  /** --network, as create resolved it (absent in older records: loopback only, or the host's). */
  network?: NetworkMode
  /** -p and -P, host ports chosen. */
  ports?: PortMapping[]
  /** The image's EXPOSE ("80/tcp"), which inspect lists, null where not published. */
  exposedPorts?: string[]
  /** The bridge network it joins when it starts (lib/network/bridge): --network NAME, or `network connect`. */
  bridgeNetwork?: NetworkAttachment
  /** Namespaces of other containers it uses (container:ID, or its pod's infra), by their ids (joins.ts). */
  joins?: Partial<Record<'network' | 'ipc' | 'uts' | 'pid', string>>
  /** The id of the pod it belongs to (lib/pod/). */
  pod?: string
  /** A pod's infra container: the holder of the pod's namespaces. */
  infra?: boolean
  state: ContainerState
}

/**
 * What the monitor writes when the init ends (c/monitor.c writes this JSON by hand), one line:
 * {"exitCode":N,"signal":"KILL","finishedAt":ISO,"oomKilled":true,"cleanedUp":true}.
 */
export interface ExitFile {
  /** 128+N when killed by signal N. */
  exitCode: number
  /** Only when killed by a signal: its name without SIG. */
  signal?: string
  finishedAt: string
  /** Only from a monitor that releases the container itself (monitor-release): its OOM killer killed. */
  oomKilled?: boolean
  /**
   * The monitor released the container itself (cgroups, the runtime's state) and wrote the file
   * again with this: nothing is left for a clean-up, though the record still says "running".
   */
  cleanedUp?: boolean
}

export const recordFile = (containerDir: string) => path.join(containerDir, 'container.json')
export const exitFile = (containerDir: string) => path.join(containerDir, 'exit')
export const logFile = (containerDir: string) => path.join(containerDir, 'ctr.log')
export const attachSocket = (containerDir: string) => path.join(containerDir, 'userdata', 'attach')
export const lockFile = (containerDir: string) => path.join(containerDir, 'lock')
/** What create was given (image name, run and lifecycle options), as given: what auto-update re-creates it from (recreate.ts). */
export const createOptionsFile = (containerDir: string) => path.join(containerDir, 'create-options.json')

export function readRecordFile(containerDir: string): ContainerRecord | undefined {
  return readJson<ContainerRecord>(recordFile(containerDir))
}

/** The record, which a command that found the container needs still there. */
export function requireRecordFile(containerDir: string): ContainerRecord {
  const record = readRecordFile(containerDir)
  if (!record) throw removedMeanwhile(containerDir)
  return record
}

const removedMeanwhile = (containerDir: string) => new CockerError('CONTAINER_NOT_FOUND', `the container in ${containerDir} was removed meanwhile`)

/** A JSON file of the container's, or undefined when it is missing or unreadable. */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

export function readExitFile(containerDir: string): ExitFile | undefined {
  return readJson<ExitFile>(exitFile(containerDir))
}

/**
 * The record's state as it is now: a running container whose monitor is gone has exited,
 * with its exit file's code if that belongs to this run (else -1, as podman shows an exit it
 * never saw). Pure reading: nothing is written, so ps and inspect need no lock.
 */
export function observe(record: ContainerRecord, containerDir: string): ContainerState {
  const s = record.state
  if (s.status !== 'running' && s.status !== 'paused' && s.status !== 'stopping') return s
  if (s.monitor && isProcessAlive(s.monitor.pid, s.monitor.startTime)) {
    // the monitor outlives the init by the time it takes to record the exit and clean up
    const exit = readExitFile(containerDir)
    if (!exit || !isThisRun(exit, s)) return s
    return exited(s, exit)
  }
  const exit = readExitFile(containerDir)
  return exited(s, exit && isThisRun(exit, s) ? exit : undefined)
}

function isThisRun(exit: ExitFile, s: ContainerState): boolean {
  return !s.startedAt || exit.finishedAt >= s.startedAt
}

/** The record's run ended and its monitor released it all itself: no clean-up is due. */
export function releasedByMonitor(record: ContainerRecord, containerDir: string): boolean {
  const exit = readExitFile(containerDir)
  return exit?.cleanedUp === true && isThisRun(exit, record.state)
}

function exited(s: ContainerState, exit: ExitFile | undefined): ContainerState {
  return {
    ...s,
    status: 'exited',
    pid: 0,
    exitCode: exit ? exit.exitCode : (s.exitCode ?? -1),
    finishedAt: exit?.finishedAt ?? s.finishedAt ?? s.startedAt,
    ...(exit?.oomKilled ? { oomKilled: true } : {}),
  }
}

/** IDs of the store's containers that have a record (a directory without one is being created or a leftover). */
export function listContainerIds(storeRoot: string): string[] {
  const root = path.join(storeRoot, 'containers')
  let ids: string[]
  try {
    ids = readdirSync(root)
  } catch {
    return []
  }
  return ids.filter(id => /^[0-9a-f]{64}$/.test(id))
}

export const containersRoot = (storeRoot: string) => path.join(storeRoot, 'containers')
export const containerDirOf = (storeRoot: string, id: string) => path.join(storeRoot, 'containers', id)
const namesRoot = (storeRoot: string) => path.join(storeRoot, 'container-names')

/** Replaces container.json whole: readers see the old record or the new one. */
export function writeRecordFile(containerDir: string, record: ContainerRecord): void {
  const tmp = path.join(containerDir, `.container.json.${process.pid}`)
  writeFileSync(tmp, JSON.stringify(record))
  renameSync(tmp, recordFile(containerDir))
}

/** Container names: a name is held while its container has a record or its creator runs. */
const containerNames = (storeRoot: string) =>
  new NameRegistry(namesRoot(storeRoot), id => heldByRecordOrCreator(containerDirOf(storeRoot, id), 'container.json'))

/** The id a name is reserved for, if it is. */
export const nameOwner = (storeRoot: string, name: string) => containerNames(storeRoot).owner(name)

/** Reserves a name for a container; false when a container that exists holds it. */
export const reserveName = (storeRoot: string, name: string, id: string) => containerNames(storeRoot).reserve(name, id)

/** Frees a name if `id` holds it. */
export const releaseName = (storeRoot: string, name: string, id: string) => containerNames(storeRoot).release(name, id)

export interface FoundContainer {
  record: ContainerRecord
  dir: string
}

/** Every container with a record, oldest first. */
export function listContainers(storeRoot: string): FoundContainer[] {
  // joined by hand, root and ids being normal already: path.join per container shows in ps's time
  const root = containersRoot(storeRoot)
  return listContainerIds(storeRoot).flatMap(id => {
    const dir = `${root}/${id}`
    const record = readJson<ContainerRecord>(`${dir}/container.json`)
    return record ? [{ record, dir }] : []
  }).sort((a, b) => (a.record.created < b.record.created ? -1 : a.record.created > b.record.created ? 1 : 0)) // not localeCompare: ICU costs ps ~20 ms
}

/**
 * A container by full id, name, or unique id prefix, as podman looks them up; undefined
 * when none matches. An ambiguous prefix is an error naming the candidates.
 */
export function findContainer(storeRoot: string, nameOrId: string): FoundContainer | undefined {
  const byId = (id: string): FoundContainer | undefined => {
    const dir = containerDirOf(storeRoot, id)
    const record = readRecordFile(dir)
    return record ? { record, dir } : undefined
  }
  if (/^[0-9a-f]{64}$/.test(nameOrId)) {
    const found = byId(nameOrId)
    if (found) return found
  }
  const owner = /^[\w][\w.-]*$/.test(nameOrId) ? nameOwner(storeRoot, nameOrId) : undefined
  if (owner) {
    const found = byId(owner)
    if (found && found.record.name === nameOrId) return found
  }
  if (!/^[0-9a-f]+$/.test(nameOrId)) return undefined
  const matches = listContainerIds(storeRoot).filter(id => id.startsWith(nameOrId))
  if (matches.length > 1) {
    throw new CockerError('INVALID_ARGUMENT', `more than one container matches the id prefix "${nameOrId}": ${matches.map(m => m.slice(0, 12)).join(', ')}`,
      { hint: 'give more characters of the id, or the name' })
  }
  return matches.length ? byId(matches[0]) : undefined
}

/** findContainer, or podman's error for a container that does not exist. */
export function requireContainer(storeRoot: string, nameOrId: string): FoundContainer {
  const found = findContainer(storeRoot, nameOrId)
  if (!found) {
    // podman's words, which scripts match
    throw new CockerError('CONTAINER_NOT_FOUND', `no container with name or ID "${nameOrId}" found: no such container`)
  }
  return found
}

/**
 * The container's lock, for writers of its record (readers take none): a file created with
 * O_EXCL holding "PID STARTTIME" of its holder (selfStamp; c/release.c takes it the same way).
 * flock would need koffi (~200 ms to load) on every stop and rm; a holder that died (kill -9)
 * is seen by its stamp and its lock taken over.
 */
export function withContainerLock<T>(containerDir: string, fn: () => T | Promise<T>): Promise<T> {
  return withStampLock(lockFile(containerDir), { what: `the container in ${containerDir}`, missing: () => removedMeanwhile(containerDir) }, fn)
}
