/**
 * A container's root mounted on merged/ for a read (commit --squash, mount): by
 * this process, in the mount namespace it runs in (root, or rootless inside `cocker unshare`),
 * or, as helper ops (viewOps), in the namespace a helper enters. A keep-id container whose layers fuse-overlayfs serves
 * remapped gets the view its start mounts (rootfs.ts idmappedLowerMounts): in the caller's
 * namespace the same maps give the store's shifted ids, the ones its upper dir holds.
 */
import { closeSync, openSync } from 'node:fs'
import { CockerError } from '../errors.js'
import { fuseOverlayfsUsable } from '../storage/driver.js'
import { childProcess } from '../sys/child-process.js'
import { mountFuse, mountOverlay, unmountDetach } from '../sys/libc.js'
import type { Op } from '../runtime/protocol.js'
import { shiftId, type IdShift } from '../storage/copy-tree.js'
import type { ContainerRecord } from './record.js'
import { idmappedLowerMounts, overlayMountData, rootOwnsPending, type ContainerDirs } from './rootfs.js'

/** fuse-overlayfs, for the remapped view of `name`: the one its start runs. */
export function viewProgram(name: string, env: NodeJS.ProcessEnv): string {
  const fuse = fuseOverlayfsUsable(env)
  if (!fuse.ok) {
    throw new CockerError('STORAGE_DRIVER_UNAVAILABLE', `${name} has fuse-overlayfs serve the image's layers with its user namespace's ids, but ${fuse.reason}`,
      { hint: 'as root, "chmod 666 /dev/fuse" (most distributions ship it so)' })
  }
  return fuse.program
}

/**
 * A stopped keep-id container whose layers fuse-overlayfs serves remapped: the view its start
 * mounts (rootfs.ts idmappedLowerMounts), here in the caller's namespace, where the same maps
 * give the store's shifted ids, the ones its upper dir holds (the worker names the container's,
 * as for the shifted copies). The daemon runs apart, so that it ends with the worker.
 */
export function viewOps(engine: { env: NodeJS.ProcessEnv; storeRoot: string }, name: string, dirs: ContainerDirs, view: { fuse: string; overlay: string }): Op[] {
  return [['fuse-apart'], ['fuse-overlay', viewProgram(name, engine.env), dirs.lower, view.fuse, engine.storeRoot], ['overlay', dirs.merged, view.overlay, engine.storeRoot]]
}

/**
 * A keep-id container never started: its own files (storage.rootOwns) still the user's, as
 * ops giving them to its root, as its start would (run in the caller's namespace, where the
 * store's shifted ids are the container's); none once given.
 */
export function pendingOwnOps(record: ContainerRecord, dirs: ContainerDirs, shift: IdShift | undefined): Op[] {
  const own = shift && rootOwnsPending(record.storage, dirs)
  return own ? own.map((p): Op => ['chown', p, shiftId(shift.uid, 0), shiftId(shift.gid, 0)]) : []
}

/** Mounts it; returns the unmount (which, for the remapped view, ends its daemon too). */
export function mountContainerRoot(record: ContainerRecord, dirs: ContainerDirs, o: { storeRoot: string; rootless: boolean; env: NodeJS.ProcessEnv }): () => void {
  const view = idmappedLowerMounts(record.storage, dirs, { rootless: o.rootless })
  if (!view) {
    mountOverlay(dirs.merged, overlayMountData(record.storage.lowerDirs, dirs, { rootless: o.rootless }), o.storeRoot)
    return () => unmountDetach(dirs.merged)
  }
  const program = viewProgram(record.name, o.env)
  const fd = openSync('/dev/fuse', 'r+')
  try {
    mountFuse(dirs.lower, fd, 'fuse-overlayfs')
    // libfuse serves an fd that is mounted already; its first process exits once it serves
    const r = childProcess().spawnSync(program, ['-o', view.fuse, '/dev/fd/3'], { cwd: o.storeRoot, stdio: ['ignore', 'ignore', 'pipe', fd], encoding: 'utf8' })
    if (r.status !== 0) {
      unmountDetach(dirs.lower)
      throw new CockerError('HELPER_FAILED', `fuse-overlayfs could not serve ${record.name}'s layers (${r.error?.message ?? `status ${r.status}`})${r.stderr?.trim() ? `: ${r.stderr.trim()}` : ''}`)
    }
  } finally {
    closeSync(fd)
  }
  try {
    mountOverlay(dirs.merged, view.overlay, o.storeRoot)
  } catch (err) {
    unmountDetach(dirs.lower)
    throw err
  }
  // the FUSE mount's last reference gone, the kernel ends the daemon's connection
  return () => {
    unmountDetach(dirs.merged)
    unmountDetach(dirs.lower)
  }
}
