/**
 * `cocker mount` / `unmount`: a container's root mounted on its merged/ dir, where the caller
 * can read and change its files, until as many unmounts as mounts. As root the overlay goes
 * into the host's mount namespace; rootless only into the namespace of `cocker unshare`
 * (outside it a mount would vanish with the process that made it, so it is refused, as Podman
 * does). The count is kept in the record (storage.mountCount); whether merged/ is mounted
 * is read from the kernel (its own st_dev), so a count left by a namespace that has ended
 * does not lie: the next mount starts again from one.
 */
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { inRootlessUserNamespace } from '../rootless/identity.js'
import type { Engine } from './engine.js'
import { listContainers, observe, readRecordFile, withContainerLock, writeRecordFile, type FoundContainer } from './record.js'
import { containerDirs } from './rootfs.js'

/** Whether `dir` is a mount point here: its filesystem is not its parent's. */
export function isMountPoint(dir: string): boolean {
  try {
    return statSync(dir).dev !== statSync(path.dirname(dir)).dev
  } catch {
    return false
  }
}

/**
 * The container's root unmounted where it is mounted here: merged/, and keep-id's remapped
 * layers under it (lower/, whose daemon ends with this mount). libc is loaded only then:
 * koffi stays off the path of a command that finds nothing mounted.
 */
export async function unmountRoot(dir: string): Promise<void> {
  for (const mount of ['merged', 'lower'].map(d => path.join(dir, d)).filter(isMountPoint)) {
    const { unmountDetach } = await import('../sys/libc.js')
    unmountDetach(mount)
  }
}

/** Refused where a mount could not outlive the command: rootless outside `cocker unshare`. */
export function checkMountAllowed(engine: Engine, command: string): void {
  if (engine.rootless && !inRootlessUserNamespace(engine.env)) {
    throw new CockerError('NOT_SUPPORTED', `cannot run "cocker ${command}" rootless outside "cocker unshare": the mount would end with it`,
      { hint: `run it inside "cocker unshare", e.g. cocker unshare sh -c 'cd "$(cocker ${command === 'mount' ? 'mount CONTAINER' : 'mount'})" && ls'` })
  }
}

/** Where the container's root is when mounted: merged/, or the directory of --rootfs. */
function rootPath(engine: Engine, found: FoundContainer): string {
  const dirs = containerDirs(engine.storeRoot, found.record.id)
  if (found.record.storage.driver !== 'rootfs') return dirs.merged
  const config = JSON.parse(readFileSync(path.join(dirs.userdata, 'config.json'), 'utf8')) as { root?: { path?: string } }
  return path.resolve(dirs.userdata, config.root?.path ?? 'rootfs')
}

/** Mounts the container's root (once: later calls count) and returns where it is. */
export async function mountContainer(engine: Engine, found: FoundContainer): Promise<string> {
  return withContainerLock(found.dir, async () => {
    const record = readRecordFile(found.dir) ?? found.record
    const state = observe(record, found.dir)
    if (state.status === 'running' || state.status === 'paused') {
      // its root is an overlay in its own mount namespace, which the host's cannot take a copy of
      throw new CockerError('NOT_SUPPORTED', `cocker mount of a running container is not supported yet: ${record.name}`,
        { hint: state.pid > 0 ? `its files are at /proc/${state.pid}/root (as root), or use "cocker cp"` : 'use "cocker cp"' })
    }
    const dirs = containerDirs(engine.storeRoot, record.id)
    const driver = record.storage.driver
    const overlay = driver !== 'vfs' && driver !== 'rootfs'
    const mounted = !overlay || isMountPoint(dirs.merged)
    if (overlay && !mounted) {
      if (driver === 'fuse-overlayfs') {
        throw new CockerError('NOT_SUPPORTED', `cocker mount with the fuse-overlayfs driver is not supported yet: ${record.name}`,
          { hint: 'use "cocker cp", or start the container and read /proc/PID/root' })
      }
      // loaded here only: koffi is off every other command's path (keep-id's remapped view too)
      const { mountContainerRoot } = await import('./stopped-root.js')
      mountContainerRoot(record, dirs, { storeRoot: engine.storeRoot, rootless: engine.rootless, env: engine.env })
    }
    // a count from a namespace that has ended (rootless) or from before a reboot starts again
    record.storage.mountCount = (overlay && !mounted ? 0 : record.storage.mountCount ?? 0) + 1
    writeRecordFile(found.dir, record)
    return rootPath(engine, { ...found, record })
  })
}

/** One unmount: the overlay goes when the count reaches 0 (or at once with `force`). */
export async function unmountContainer(engine: Engine, found: FoundContainer, o: { force?: boolean } = {}): Promise<void> {
  await withContainerLock(found.dir, async () => {
    const record = readRecordFile(found.dir) ?? found.record
    const dirs = containerDirs(engine.storeRoot, record.id)
    const mounted = isMountPoint(dirs.merged)
    const count = mounted ? Math.max(0, (record.storage.mountCount ?? 1) - 1) : 0
    if (mounted && (count === 0 || o.force)) await unmountRoot(dirs.dir)
    const next = o.force ? 0 : count
    if ((record.storage.mountCount ?? 0) !== next) {
      record.storage.mountCount = next
      writeRecordFile(found.dir, record)
    }
  })
}

/** The containers whose root is mounted here, with where. */
export function mountedContainers(engine: Engine): { found: FoundContainer; path: string }[] {
  return listContainers(engine.storeRoot)
    .filter(f => (f.record.storage.mountCount ?? 0) > 0)
    .filter(f => f.record.storage.driver === 'vfs' || f.record.storage.driver === 'rootfs' || isMountPoint(containerDirs(engine.storeRoot, f.record.id).merged))
    .map(found => ({ found, path: rootPath(engine, found) }))
}
