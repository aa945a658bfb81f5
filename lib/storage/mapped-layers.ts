/**
 * ID-shifted copies of layers, for a container whose user namespace maps ids otherwise than
 * the one its layers were unpacked for (rootless `--userns keep-id`: the image's root must
 * still be the container's root, not the user). The kernel could show the layers shifted
 * through an idmapped mount, but rootless it may not: idmapping a mount of the host's
 * filesystem needs CAP_SYS_ADMIN in the user namespace that mounted it (the initial one), and
 * overlayfs itself cannot be idmapped. fuse-overlayfs could shift owners (its uidmapping
 * option), but only where it is the store's driver and /dev/fuse is open to the user. So
 * cocker does what containers/storage does then, with any driver: a copy of each layer with
 * its owners changed, made once per mapping and kept beside the layer:
 *
 *   layers/<id>/mapped/<key>/    the shifted copy of layers/<id>/diff for the shift <key>
 *
 * They leave with the layer (rmi detaches layers/<id> whole), and `system check` needs no
 * new rule: a copy is filled in tmp/mapped-<random> and renamed into place, so a kill -9
 * leaves either no copy or a whole one, plus a tmp/ leftover that check removes. Two runs
 * making the same copy both fill; the first rename wins and the other drops its own.
 *
 * Owners can only be changed where both the old and the new ids are mapped: rootless, the
 * copies are made in the caller's user namespace (lib/cli/copy-tree-main.js, run there).
 * Root's containers with --uidmap or --userns auto use them too (root copies in-process).
 * Root could idmap the lower dirs instead (mount_setattr MOUNT_ATTR_IDMAP; overlay on
 * idmapped lowers needs kernel 5.19): not done yet, so --userns auto, whose range differs
 * per container, makes a copy per range, kept until rmi.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { copyTree, type IdShift } from './copy-tree.js'
import { randomName } from './atomic.js'
import { sha256Digest } from './blobs.js'
import type { StorePaths } from './paths.js'
import { crashPoint } from '../sys/crash-point.js'

/** One copy to make: the layer's diff dir, a staging dir in tmp/ and where the copy goes. */
export interface ShiftJob {
  src: string
  staging: string
  dst: string
}

/** The shift's name in the store: the same mapping finds the same copies. */
export function shiftKey(shift: IdShift): string {
  return sha256Digest(JSON.stringify([shift.uid, shift.gid])).slice('sha256:'.length, 'sha256:'.length + 16)
}

/**
 * The lowerdirs (relative to the store's root, as LayerStore.lowerDirs gives them) of the
 * shifted copies of `layerIds` (top first), and the copies still to make.
 */
export function shiftedLayers(paths: StorePaths, layerIds: readonly string[], shift: IdShift): { lowerDirs: string[]; jobs: ShiftJob[] } {
  const key = shiftKey(shift)
  const lowerDirs = layerIds.map(id => `layers/${id}/mapped/${key}`)
  const jobs = layerIds.filter((_, i) => !existsSync(path.join(paths.root, lowerDirs[i]!))).map(id => ({
    src: path.join(paths.layers, id, 'diff'),
    staging: path.join(paths.tmp, `mapped-${randomName(16)}`),
    dst: path.join(paths.layers, id, 'mapped', key),
  }))
  return { lowerDirs, jobs }
}

/** Makes the copies (see the module header for the order); where the ids are mapped (rootless: in the user namespace). */
export function makeShiftedCopies(jobs: readonly ShiftJob[], shift: IdShift): void {
  for (const job of jobs) {
    mkdirSync(job.staging, { recursive: true })
    try {
      copyTree(job.src, job.staging, shift)
      mkdirSync(path.dirname(job.dst), { recursive: true, mode: 0o700 })
      crashPoint('shift:before-rename')
      renameSync(job.staging, job.dst)
    } catch (err) {
      rmSync(job.staging, { recursive: true, force: true })
      // another run placed it first: its copy is whole (renames come after fills)
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
    }
  }
}
