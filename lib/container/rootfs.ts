/**
 * A container's root filesystem: the image's layers as overlay lowerdirs, and the
 * container's own upper and work dirs, under <store>/containers/<id>/:
 *
 *   upper/     what the container writes         work/   overlay's scratch dir
 *   merged/    the mount point: the bundle's root.path
 *   userdata/  the bundle (config.json) and the files bind-mounted into the
 *              container: hostname, hosts, resolv.conf, .containerenv
 *   creator    "PID STARTTIME" of the `cocker run` that owns the dir: when that process is
 *              gone and the dir is not, it was killed, and `system check` removes the dir
 *   image      the image's ID: `rmi` refuses an image a running container stands on
 *
 * The overlay is mounted by the helper inside the container's own mount namespace
 * (the `overlay` op), so nothing is mounted on the host and nothing needs unmounting.
 * As root with a user namespace of the container's own (--uidmap, --userns auto), the
 * helper mounts it just before, in a namespace the container's is copied from, and shows
 * the container only its own dirs of the store (`host-overlay`, `host-expose`).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import { selfStamp, stampAlive } from '../sys/proc.js'
import { readIfPresent } from '../sys/read.js'

export interface ContainerDirs {
  dir: string
  upper: string
  work: string
  merged: string
  userdata: string
  /** Where fuse-overlayfs serves the layers remapped (storage.idmappedLowers), under the overlay. */
  lower: string
}

export function containerDirs(storeRoot: string, id: string): ContainerDirs {
  const dir = path.join(storeRoot, 'containers', id)
  return {
    dir,
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
    merged: path.join(dir, 'merged'),
    userdata: path.join(dir, 'userdata'),
    lower: path.join(dir, 'lower'),
  }
}

export function makeContainerDirs(dirs: ContainerDirs, imageId: string): void {
  mkdirSync(path.dirname(dirs.dir), { recursive: true, mode: 0o700 })
  mkdirSync(dirs.dir, { mode: 0o700 })
  writeFileSync(path.join(dirs.dir, 'creator'), selfStamp())
  writeFileSync(path.join(dirs.dir, 'image'), imageId)
  // the container's root is the upper dir's owner: us, which is root in our user namespace
  for (const d of [dirs.upper, dirs.work, dirs.merged, dirs.userdata]) mkdirSync(d, { mode: 0o755 })
}

/**
 * What a container with a user namespace of its own is kept out of (PlanContext.storeRoot):
 * the store, or the highest of its parents that others cannot search (a rootless store in a
 * 0700 ~/.local), since the container's root must pass every parent of its rootfs.
 */
export function hiddenRoot(storeRoot: string): string {
  const parts = storeRoot.split('/').filter(Boolean)
  for (let i = 1; i < parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`
    if ((statSync(dir).mode & 0o001) === 0) return dir
  }
  return storeRoot
}

/** The kernel takes at most a page of mount data. */
const MOUNT_DATA_MAX = 4095

/**
 * The overlay's mount data. `lowerDirs` (top first) are relative to the store's root, where
 * the helper mounts from; `userxattr` makes a rootless overlay keep its whiteouts and
 * opaque markers in user.* xattrs, as the unpacker wrote them.
 */
export function overlayMountData(lowerDirs: readonly string[], dirs: ContainerDirs, o: { rootless: boolean; idmapped?: boolean }): string {
  if (!lowerDirs.length) throw new CockerError('INVALID_ARGUMENT', 'the image has no layers to mount')
  if (!o.idmapped && existsSync(dirs.lower)) {
    // its layers hold the image's ids, and only fuse-overlayfs (start.ts, stopped-root.ts) shows them as its upper dir's ids expect
    throw new CockerError('NOT_SUPPORTED', `container ${path.basename(dirs.dir).slice(0, 12)} sees its image's files through fuse-overlayfs with its user namespace's ids, a view this command does not mount: its files cannot be read or written here while it is stopped`,
      { hint: 'start the container first' })
  }
  const data = [`lowerdir=${lowerDirs.join(':')}`, `upperdir=${dirs.upper}`, `workdir=${dirs.work}`]
  // rootless, userxattr: the kernel makes neither redirects nor metacopy-only files. As root a
  // host may turn them on (overlay's module parameters): commit and diff read the upper dir as
  // a layer's changes, whole files and renamed directories' contents included, so they stay off
  data.push(...(o.rootless ? ['userxattr'] : ['redirect_dir=off', 'metacopy=off']))
  const text = data.join(',')
  if (text.length > MOUNT_DATA_MAX) {
    throw new CockerError('NOT_SUPPORTED', `the image has ${lowerDirs.length} layers, more than one overlay mount can stack here`,
      { hint: 'squash the image into fewer layers' })
  }
  return text
}

/**
 * The two mounts of a container whose layers fuse-overlayfs serves remapped: its options
 * (the layers read-only, relative to the store's root, and the maps as `id:id:count` runs)
 * for `dirs.lower`, and the overlay's data with that view as its one lower dir.
 */
export function idmappedLowerMounts(storage: { lowerDirs: readonly string[]; idmappedLowers?: { uid: IdMapping[]; gid: IdMapping[] } }, dirs: ContainerDirs,
  o: { rootless: boolean }): { fuse: string; overlay: string } | undefined {
  const maps = storage.idmappedLowers
  if (!maps) return undefined
  // fuse-overlayfs: a file it finds owned by A+i (as its namespace, the container's, names it) is served as B+i.
  // noacl: the kernel checks the mode bits alone and never asks the daemon for POSIX ACLs, which
  // images next to never carry (a walk of /usr costs its daemon ~20% less CPU here)
  const runs = (m: IdMapping[]) => m.map(r => `${r.containerID}:${r.hostID}:${r.size}`).join(':')
  return {
    fuse: `lowerdir=${storage.lowerDirs.join(':')},uidmapping=${runs(maps.uid)},gidmapping=${runs(maps.gid)},noacl`,
    overlay: overlayMountData([dirs.lower], dirs, { ...o, idmapped: true }),
  }
}

/**
 * The files of storage.rootOwns (absolute) while they are still to give to the container's
 * root: its upper dir still belongs to the caller. Their owner is then changed by whoever
 * next runs in a namespace that maps both (start's helper; cp and export of a stopped one).
 */
export function rootOwnsPending(storage: { rootOwns?: string[] }, dirs: ContainerDirs): string[] | undefined {
  if (!storage.rootOwns?.length || statSync(dirs.upper, { throwIfNoEntry: false })?.uid !== process.geteuid!()) return undefined
  // the upper dir last: its owner says whether the rest is done
  const paths = storage.rootOwns.map(p => path.join(dirs.dir, p))
  return [...paths.filter(p => p !== dirs.upper), ...paths.filter(p => p === dirs.upper)]
}

/**
 * IDs (short) of the containers whose rootfs stands on the image: every container with a
 * record, running or not (as podman, `rmi` refuses the image of a stopped container too), and
 * a directory without one while the command creating it runs.
 */
export function containersUsing(storeRoot: string, imageId: string): string[] {
  const root = path.join(storeRoot, 'containers')
  let ids: string[]
  try {
    ids = readdirSync(root)
  } catch {
    return []
  }
  const read = (id: string, file: string) => readIfPresent(path.join(root, id, file)) ?? ''
  return ids.filter(id => read(id, 'image') === imageId && (existsSync(path.join(root, id, 'container.json')) || stampAlive(read(id, 'creator'))))
    .map(id => id.slice(0, 12))
}
