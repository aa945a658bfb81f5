/**
 * A container's volumes: -v NAME:/path, -v /path, --mount type=volume, --volumes-from and the
 * image's VOLUME entries become bind mounts of volumes' _data (lib/storage/volumes.ts), each
 * volume made at its first use. At a use that finds a volume empty, it is seeded as Podman
 * does (libpod's mountNamedVolume and fixVolumePermissions): the image's content at the mount
 * point copied in with its owners and modes (unless nocopy), and _data given to the container's
 * user, then to the owner and mode of the image's directory there. Rootless, the owners are
 * ids of the user's namespace: the copy runs there (node again, on a volume's first use only),
 * a plain chown through the helper.
 */
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import type { MountRequest, VolumesFrom } from '../spec/run-options.js'
import { randomName } from '../storage/atomic.js'
import type { IdShift } from '../storage/copy-tree.js'
import { createVolume, listVolumes, removeVolume, volumeData, withVolumeLock, writeVolume, type VolumeRecord } from '../storage/volumes.js'
import { chownInUserNamespace } from '../rootless/userns.js'
import { copyTreeInUserNamespace, removeContainerFiles } from './files.js'
import { listContainers, requireContainer, type ContainerRecord } from './record.js'

/** A volume as the container's record keeps it (--volumes-from and rm -v read it). */
export interface ContainerVolume {
  name: string
  destination: string
  /** OCI mount options of the bind. */
  options: string[]
  anonymous?: boolean
}

/** A volume to seed when the container is made. */
interface Seed {
  name: string
  destination: string
  noCopy: boolean
  chown: boolean
}

export interface ResolvedVolumes {
  /** The container's mounts, volumes turned into binds of their _data (or tmpfs, or the device's bind). */
  mounts: MountRequest[]
  volumes: ContainerVolume[]
  seeds: Seed[]
  /** Anonymous volumes this call made: removed again if the container cannot be made. */
  created: string[]
}

// binds that cocker adds itself (oci-config.ts): not the user's, so not passed on by --volumes-from
const OWN_BINDS = new Set(['/etc/localtime', '/proc', '/sys', '/dev/mqueue'])

/**
 * The mounts with their volumes made: -v and --mount first, then what --volumes-from passes on
 * and the image's VOLUME entries, each where nothing before it targets the same path. An
 * overlay on a host directory (-v DIR:/p:O) gets its upper and work dirs in `containerDir`,
 * so its changes go with the container.
 */
export async function resolveVolumes(storeRoot: string, o: { mounts: MountRequest[]; volumesFrom: VolumesFrom[]; imageVolumes: string[]; rootless: boolean; containerDir?: string }): Promise<ResolvedVolumes> {
  const requests = [...o.mounts]
  const taken = new Set(requests.map(m => m.destination))
  const add = (m: MountRequest) => {
    if (taken.has(m.destination)) return
    taken.add(m.destination)
    requests.push(m)
  }
  for (const from of o.volumesFrom) {
    const { record } = requireContainer(storeRoot, from.container)
    const mode = (options: string[]) => (from.mode ? [...options.filter(x => x !== 'ro' && x !== 'rw'), ...(from.mode === 'ro' ? ['ro'] : [])] : options)
    for (const v of record.volumes ?? []) add({ type: 'volume', name: v.name, destination: v.destination, options: mode(v.options), noCopy: true })
    for (const m of record.mounts) {
      if (m.type === 'bind' && !OWN_BINDS.has(m.destination)) add({ type: 'bind', source: m.source, destination: m.destination, options: mode(m.options) })
    }
  }
  for (const dest of o.imageVolumes) add({ type: 'volume', destination: path.posix.normalize(`/${dest}`).replace(/(.)\/$/, '$1'), options: ['nosuid', 'nodev', 'rbind', 'rprivate'] })

  const out: ResolvedVolumes = { mounts: [], volumes: [], seeds: [], created: [] }
  try {
    for (const m of requests) {
      if (m.type === 'bind' && m.overlay) {
        out.mounts.push(overlayMount(m, o.containerDir, out.mounts.length, o.rootless))
        continue
      }
      if (m.type !== 'volume') {
        out.mounts.push(m)
        continue
      }
      const { volume, created } = await createVolume(storeRoot, {
        ...(m.name !== undefined ? { name: m.name } : { anonymous: true }), existing: true, chown: chowner(o.rootless),
      })
      if (created && volume.anonymous) out.created.push(volume.name)
      out.volumes.push({ name: volume.name, destination: m.destination, options: m.options, ...(volume.anonymous ? { anonymous: true } : {}) })
      const special = specialMount(volume, m, o.rootless)
      if (special) {
        out.mounts.push(special)
        continue
      }
      out.mounts.push({ type: 'bind', source: volumeData(storeRoot, volume.name), destination: m.destination, options: m.options })
      out.seeds.push({ name: volume.name, destination: m.destination, noCopy: m.noCopy === true, chown: m.chown === true })
    }
  } catch (err) {
    await removeUnusedVolumes(storeRoot, out.created, o.rootless)
    throw err
  }
  return out
}

/** -v DIR:/p:O: an overlay with DIR as its lower layer, its writes in the container's overlay/N/. */
function overlayMount(m: MountRequest & { type: 'bind' }, containerDir: string | undefined, n: number, rootless: boolean): MountRequest {
  if (!containerDir) throw new Error('an overlay mount needs the container\'s dir')
  const dir = path.join(containerDir, 'overlay', String(n))
  mkdirSync(path.join(dir, 'upper'), { recursive: true, mode: 0o755 })
  mkdirSync(path.join(dir, 'work'), { mode: 0o755 })
  return {
    type: 'overlay', lower: m.source, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), destination: m.destination,
    // rootless overlay keeps its own xattrs in user.* (userxattr), as the container's root does
    options: [...(rootless ? ['userxattr'] : []), ...(m.options.includes('ro') ? ['ro'] : [])],
  }
}

/** A volume made with -o type=…: a tmpfs of its own per container, or its device's bind mount. */
function specialMount(volume: VolumeRecord, m: MountRequest & { type: 'volume' }, rootless: boolean): MountRequest | undefined {
  const { type, device, o = '' } = volume.options
  if (!type) return undefined
  const mountOptions = o.split(',').filter(x => x && !/^(uid|gid)=/.test(x))
  const ro = m.options.includes('ro') ? ['ro'] : []
  if (type === 'tmpfs') return { type: 'tmpfs', destination: m.destination, options: ['rw', 'nosuid', 'nodev', ...mountOptions, ...ro] }
  if (device && mountOptions.some(x => x === 'bind' || x === 'rbind')) {
    return { type: 'bind', source: device, destination: m.destination, options: ['rbind', ...mountOptions.filter(x => x !== 'bind' && x !== 'rbind'), ...ro, 'rprivate'] }
  }
  throw new CockerError('NOT_SUPPORTED', `volume ${volume.name}: mounting a device of type ${type} is not supported yet${rootless ? ' (nor possible rootless)' : ''}`,
    { hint: 'use -o type=tmpfs, or -o type=none -o device=/host/dir -o o=bind' })
}

const chowner = (rootless: boolean) => async (dir: string, uid: number, gid: number) => {
  if (rootless) await chownInUserNamespace([dir], uid, gid)
  else lchownSync(dir, uid, gid)
}

export interface SeedContext {
  /** The container's layers as host paths, top first (its root with vfs or --rootfs). */
  layers: string[]
  /** The container's process user, as the container names it. */
  user: { uid: number; gid: number }
  /** The container's user namespace (host ids); undefined: the host's. */
  uidMappings?: IdMapping[]
  gidMappings?: IdMapping[]
  /** Rootless: the store's namespace (the caller's stack), to name host ids as the store's side does. */
  store?: { uid: IdMapping[]; gid: IdMapping[] }
  /** Layers whose owners the container sees remapped (files.ts lowersForShift): what a copy-up shifts them by. */
  shift?: IdShift
  env: NodeJS.ProcessEnv
}

/** Seeds the container's volumes that need it (the copy-up and chown of a first use), each under its lock. */
export async function seedVolumes(storeRoot: string, seeds: readonly Seed[], c: SeedContext): Promise<void> {
  for (const seed of seeds) await withVolumeLock(storeRoot, seed.name, volume => seedVolume(storeRoot, volume, seed, c))
}

async function seedVolume(storeRoot: string, volume: VolumeRecord, seed: Seed, c: SeedContext): Promise<void> {
  if (!volume.needsCopyUp && !volume.needsChown && !seed.chown) return
  const data = volumeData(storeRoot, volume.name)
  const rootless = c.store !== undefined
  const { shiftId, unionDir } = await import('../storage/copy-tree.js')
  let image: ReturnType<typeof unionDir> | null = null
  // looked up only for a volume found empty: a used one needs nothing of the image
  const imageDir = () => {
    if (image !== null) return image
    try {
      return (image = unionDir(c.layers, seed.destination))
    } catch {
      return (image = undefined) // a directory of the image the caller cannot read: as if absent
    }
  }
  const user = { uid: toStore(c, 'uid', c.user.uid), gid: toStore(c, 'gid', c.user.gid) }
  let empty = isEmpty(data)
  let copied = false
  if (volume.needsCopyUp && !seed.noCopy && !('nocopy' in volume.options) && empty && imageDir()?.dirs.some(d => !isEmpty(d))) {
    // recorded after the copy (Podman records it before): a copy killed part-way is made again
    // at the next use, from a fresh staging dir; the lock keeps two from running at once
    const job = { layers: c.layers, rel: seed.destination, data, staging: path.join(storeRoot, 'tmp', `copyup-${randomName(10)}`), ...(c.shift ? { shift: c.shift } : {}) }
    if (!rootless) (await import('../storage/copy-tree.js')).copyUp(job)
    else await inNamespace(['--copy-up', JSON.stringify(job)], c.env, `cannot copy the image's ${seed.destination} into volume ${volume.name}`)
    copied = !isEmpty(data)
    empty = !copied
    volume.needsCopyUp = false
  }
  if (volume.needsChown && !copied && !empty) {
    volume.needsChown = false
  } else if (volume.needsChown) {
    if (copied) volume.needsChown = false
    else {
      let owner = user
      const dir = seed.chown ? undefined : imageDir()
      if (dir) {
        // the volume takes the image directory's owner and mode, as Podman's does
        try {
          chmodSync(data, dir.st.mode & 0o7777)
        } catch (err) {
          // rootless, a root an earlier use gave to another id: that use set the mode
          if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err
        }
        owner = { uid: hostToStore(c.store?.uid, dir.st.uid), gid: hostToStore(c.store?.gid, dir.st.gid) }
        if (c.shift) owner = { uid: shiftId(c.shift.uid, owner.uid), gid: shiftId(c.shift.gid, owner.gid) }
        if (owner.uid === 0 && owner.gid === 0) volume.needsChown = false
      }
      const st = lstatSync(data)
      // rootless, a chown is a helper's run: none for the owner it has (a fresh root is the caller's)
      if (hostToStore(c.store?.uid, st.uid) !== owner.uid || hostToStore(c.store?.gid, st.gid) !== owner.gid) await chowner(rootless)(data, owner.uid, owner.gid)
    }
  }
  if (seed.chown) {
    if (!rootless) (await import('../storage/copy-tree.js')).chownTree(data, user.uid, user.gid)
    else await inNamespace(['--chown-tree', data, String(user.uid), String(user.gid)], c.env, `cannot give volume ${volume.name} to the container's user`)
  }
  writeVolume(storeRoot, volume)
}

async function inNamespace(args: string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  const status = await copyTreeInUserNamespace(args, env)
  if (status !== 0) throw new CockerError('HELPER_FAILED', `${what} (status ${status})`)
}

function isEmpty(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0
  } catch {
    return false // unreadable: someone's content
  }
}

/** An id of the container as the store's side names it: through the container's map to the host, then into the store's namespace. */
function toStore(c: SeedContext, kind: 'uid' | 'gid', id: number): number {
  const maps = kind === 'uid' ? c.uidMappings : c.gidMappings
  const m = maps?.find(m => id >= m.containerID && id < m.containerID + m.size)
  const host = maps ? (m ? m.hostID + id - m.containerID : id) : id
  return hostToStore(kind === 'uid' ? c.store?.uid : c.store?.gid, host)
}

function hostToStore(stack: IdMapping[] | undefined, host: number): number {
  if (!stack) return host
  const m = stack.find(m => host >= m.hostID && host < m.hostID + m.size)
  return m ? m.containerID + host - m.hostID : host
}

/** The containers whose record names the volume. */
export function containersUsing(storeRoot: string, name: string) {
  return listContainers(storeRoot).filter(c => c.record.volumes?.some(v => v.name === name))
}

/** Removes those of the named volumes that no container uses (a failed create's new ones, a removed container's anonymous ones, kube down's claims). */
export async function removeUnusedVolumes(storeRoot: string, names: readonly string[], rootless: boolean): Promise<void> {
  for (const name of names) {
    if (containersUsing(storeRoot, name).length) continue
    try {
      await removeVolume(storeRoot, name, dir => removeContainerFiles(dir, rootless))
    } catch (err) {
      if ((err as CockerError).code !== 'VOLUME_NOT_FOUND') throw err
    }
  }
}

/** rm -v and --rm: the container's anonymous volumes go with it, unless another container uses them. */
export async function removeContainerVolumes(storeRoot: string, record: ContainerRecord, rootless: boolean): Promise<void> {
  const anonymous = (record.volumes ?? []).filter(v => v.anonymous).map(v => v.name)
  if (anonymous.length) await removeUnusedVolumes(storeRoot, anonymous, rootless)
}

/** `system df`'s volumes row: how many, how many a container uses, their bytes and those of the unused ones. */
export function volumeUsage(storeRoot: string): { total: number; active: number; size: number; reclaimable: number } {
  const used = new Set(listContainers(storeRoot).flatMap(c => (c.record.volumes ?? []).map(v => v.name)))
  const row = { total: 0, active: 0, size: 0, reclaimable: 0 }
  for (const v of listVolumes(storeRoot)) {
    const bytes = treeBytes(volumeData(storeRoot, v.name))
    row.total++
    row.size += bytes
    if (used.has(v.name)) row.active++
    else row.reclaimable += bytes
  }
  return row
}

/** Bytes of the regular files of a tree, what the caller can read of it. */
function treeBytes(dir: string): number {
  let n = 0
  let names: string[] = []
  try {
    names = readdirSync(dir)
  } catch { /* unreadable: a subordinate id's, rootless */ }
  for (const name of names) {
    const st = lstatSync(path.join(dir, name), { throwIfNoEntry: false })
    if (st?.isDirectory()) n += treeBytes(path.join(dir, name))
    else if (st?.isFile()) n += st.size
  }
  return n
}
