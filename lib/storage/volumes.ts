/**
 * Volumes, in Podman's layout: <store>/volumes/NAME/_data is what containers bind-mount, and
 * volumes/NAME/volume.json its record (below). Podman's driver "local" only.
 *
 * Creation makes the whole volume in the store's tmp/ and renames it into volumes/: of two
 * commands creating one name at once (two `run -v data:/x`), one rename wins and the other
 * takes the winner's volume, with no lock on the way; a kill -9 leaves a volume or none, and
 * at most a tmp/ entry that `system check` removes. What changes a volume later (the copy-up and
 * chown of its first use, volumes.ts in container/) happens under its lock file,
 * volumes/NAME/lock (withStampLock), with the record replaced by rename. Removal renames the
 * volume into tmp/ first, so a kill -9 part-way leaves either the volume or a leftover.
 */
import { lchownSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { NAME_PATTERN } from '../spec/run-options.js'
import { crashPoint } from '../sys/crash-point.js'
import { randomBytes } from '../sys/random.js'
import { removeTree } from '../sys/remove.js'
import { isoNow } from '../sys/time.js'
import { randomName, writeFileAtomic } from './atomic.js'
import { withStampLock } from './lock.js'

export interface VolumeRecord {
  name: string
  driver: 'local'
  /** ISO 8601 with nanoseconds. */
  created: string
  labels: Record<string, string>
  /** -o KEY=VALUE as given (type, device, o, nocopy), as Podman's inspect shows them. */
  options: Record<string, string>
  /** Made for a container (-v /path, an image's VOLUME): `rm -v` and `--rm` remove it with the container. */
  anonymous?: boolean
  /** The image's content at the mount point is copied in at a use that finds the volume empty. */
  needsCopyUp: boolean
  /** _data goes to the container's user (or the image directory's owner) at its next use. */
  needsChown: boolean
  /** o=uid=N,gid=N: _data's owner, as the container sees it. */
  uid?: number
  gid?: number
}

export const volumesDir = (storeRoot: string) => path.join(storeRoot, 'volumes')
export const volumeDir = (storeRoot: string, name: string) => path.join(storeRoot, 'volumes', name)
export const volumeData = (storeRoot: string, name: string) => path.join(storeRoot, 'volumes', name, '_data')
const recordFile = (dir: string) => path.join(dir, 'volume.json')

export function readVolume(storeRoot: string, name: string): VolumeRecord | undefined {
  if (!NAME_PATTERN.test(name)) return undefined
  try {
    return JSON.parse(readFileSync(recordFile(volumeDir(storeRoot, name)), 'utf8')) as VolumeRecord
  } catch {
    return undefined
  }
}

/** The volume, or Podman's error for one that does not exist. */
export function requireVolume(storeRoot: string, name: string): VolumeRecord {
  const v = readVolume(storeRoot, name)
  if (!v) {
    throw new CockerError('VOLUME_NOT_FOUND', `no volume with name "${name}" found: no such volume`,
      { hint: 'see "cocker volume ls", or create it with "cocker volume create"' })
  }
  return v
}

/** Podman's `volume inspect` of one volume: its keys, in its order; Options sorted as Go prints a map. */
export function inspectVolume(root: string, v: VolumeRecord) {
  const options: Record<string, string> = { ...v.options, ...(v.uid !== undefined ? { UID: String(v.uid) } : {}), ...(v.gid !== undefined ? { GID: String(v.gid) } : {}) }
  return {
    Name: v.name,
    Driver: v.driver,
    Mountpoint: volumeData(root, v.name),
    CreatedAt: v.created,
    Labels: v.labels,
    Scope: 'local',
    Options: Object.fromEntries(Object.keys(options).sort().map(k => [k, options[k]])),
    ...(v.uid !== undefined ? { UID: v.uid } : {}),
    ...(v.gid !== undefined ? { GID: v.gid } : {}),
    ...(v.anonymous ? { Anonymous: true } : {}),
    MountCount: 0,
    ...(v.needsCopyUp ? { NeedsCopyUp: true } : {}),
    ...(v.needsChown ? { NeedsChown: true } : {}),
  }
}

/** Every volume, sorted by name. */
export function listVolumes(storeRoot: string): VolumeRecord[] {
  let names: string[] = []
  try {
    names = readdirSync(volumesDir(storeRoot))
  } catch { /* no volume yet */ }
  return names.sort().flatMap(n => readVolume(storeRoot, n) ?? [])
}

export interface CreateVolumeOptions {
  /** Absent: an anonymous volume, named by 64 random hex digits. */
  name?: string
  labels?: Record<string, string>
  options?: Record<string, string>
  anonymous?: boolean
  /** An existing volume of that name is returned instead of refused (`-v NAME:…`, `volume create --ignore`). */
  existing?: boolean
  /** Gives _data to uid:gid as the store's side names them (rootless: the user namespace's ids). */
  chown?: (dir: string, uid: number, gid: number) => Promise<void>
}

/** The local driver's options: type, device and o as mount(8) takes them, and nocopy. */
export function checkVolumeOptions(options: Record<string, string>): { uid?: number; gid?: number } {
  const out: { uid?: number; gid?: number } = {}
  for (const [key, value] of Object.entries(options)) {
    if (key === 'o') {
      for (const o of value.split(',')) {
        const m = /^(uid|gid)=(.*)$/.exec(o)
        if (!m) continue
        if (!/^\d+$/.test(m[2]!)) throw new CockerError('INVALID_ARGUMENT', `-o o=${value}: ${m[1]} must be a number`)
        out[m[1] as 'uid' | 'gid'] = Number(m[2])
      }
    } else if (key === 'type' || key === 'device') {
      if (!value) throw new CockerError('INVALID_ARGUMENT', `-o ${key}=: the value is empty`)
    } else if (key !== 'nocopy') {
      throw new CockerError('INVALID_ARGUMENT', `invalid mount option ${key} for driver 'local'`, { hint: 'the local driver takes type=, device=, o= and nocopy' })
    }
  }
  if (options.device && !options.type) {
    throw new CockerError('INVALID_ARGUMENT', `-o device=${options.device} needs -o type=TYPE`, { hint: 'e.g. -o type=none -o o=bind for a host directory, or -o type=tmpfs' })
  }
  return out
}

/**
 * Creates a volume, or with `existing` returns the one of that name. Returns whether this
 * call created it (an anonymous one is removed again if its container cannot be made).
 */
export async function createVolume(storeRoot: string, o: CreateVolumeOptions): Promise<{ volume: VolumeRecord; created: boolean }> {
  const name = o.name ?? randomBytes(32).toString('hex')
  if (!NAME_PATTERN.test(name)) {
    throw new CockerError('INVALID_ARGUMENT', `volume name ${name} is invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`, { hint: 'e.g. "data_1"' })
  }
  const found = readVolume(storeRoot, name)
  if (found) return existingOrRefused(found, o)
  const options = o.options ?? {}
  const ids = checkVolumeOptions(options)
  const volume: VolumeRecord = {
    name, driver: 'local', created: isoNow(), labels: o.labels ?? {}, options,
    ...(o.anonymous ? { anonymous: true } : {}),
    // o=uid/gid decide the owner, as Podman's: no chown at the first use then
    needsCopyUp: true, needsChown: ids.uid === undefined && ids.gid === undefined,
    ...ids,
  }
  const tmp = path.join(storeRoot, 'tmp')
  const staging = path.join(tmp, `volume-${randomName(10)}`)
  mkdirSync(tmp, { recursive: true })
  mkdirSync(volumesDir(storeRoot), { recursive: true, mode: 0o700 })
  mkdirSync(staging, { mode: 0o700 })
  try {
    mkdirSync(path.join(staging, '_data'), { mode: 0o755 })
    if (!volume.needsChown) await (o.chown ?? chownHere)(path.join(staging, '_data'), ids.uid ?? 0, ids.gid ?? 0)
    writeFileSync(recordFile(staging), JSON.stringify(volume))
    crashPoint('volume-create:before-rename')
    renameSync(staging, volumeDir(storeRoot, name))
    return { volume, created: true }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    removeTree(staging)
    // another command created it meanwhile
    const winner = (code === 'EEXIST' || code === 'ENOTEMPTY') ? readVolume(storeRoot, name) : undefined
    if (winner) return existingOrRefused(winner, o)
    throw err
  }
}

async function chownHere(dir: string, uid: number, gid: number): Promise<void> {
  lchownSync(dir, uid, gid)
}

function existingOrRefused(volume: VolumeRecord, o: CreateVolumeOptions): { volume: VolumeRecord; created: boolean } {
  if (o.existing) return { volume, created: false }
  // Podman's words
  throw new CockerError('VOLUME_EXISTS', `volume with name ${volume.name} already exists: volume already exists`,
    { hint: `remove it first with "cocker volume rm ${volume.name}", or add --ignore` })
}

/** Replaces volume.json whole, by way of tmp/ (a kill -9 leaves a temp file system check removes); the caller holds the volume's lock. */
export function writeVolume(storeRoot: string, volume: VolumeRecord): void {
  writeFileAtomic(recordFile(volumeDir(storeRoot, volume.name)), JSON.stringify(volume), path.join(storeRoot, 'tmp'))
}

/** Runs fn holding the volume's lock; fn gets the record as it is then. */
export function withVolumeLock<T>(storeRoot: string, name: string, fn: (volume: VolumeRecord) => T | Promise<T>): Promise<T> {
  const dir = volumeDir(storeRoot, name)
  const gone = () => new CockerError('VOLUME_NOT_FOUND', `volume ${name} was removed meanwhile`)
  return withStampLock(path.join(dir, 'lock'), { what: `volume ${name}`, missing: gone }, () => {
    const volume = readVolume(storeRoot, name)
    if (!volume) throw gone()
    return fn(volume)
  })
}

/**
 * Removes a volume: renamed into tmp/ (gone for every reader at once), then deleted there.
 * `removeTree` deletes what the namespace's ids own (rootless: through the helper).
 */
export async function removeVolume(storeRoot: string, name: string, remove: (dir: string) => Promise<void>): Promise<void> {
  const doomed = path.join(storeRoot, 'tmp', `volume-rm-${randomName(10)}`)
  await withVolumeLock(storeRoot, name, () => {
    mkdirSync(path.dirname(doomed), { recursive: true })
    renameSync(volumeDir(storeRoot, name), doomed)
  })
  crashPoint('volume-rm:after-rename')
  await remove(doomed)
}
