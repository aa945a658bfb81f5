/**
 * A container's files in the store: the vfs copy of its root, the ID-shifted copies of its
 * layers, image files read before it runs, and removal.
 */
import { chmodSync, existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { isRootless } from '../rootless/identity.js'
import { chownInUserNamespace, removeTreesInUserNamespace, runInUserNamespace } from '../rootless/userns.js'
import { removeTree } from '../sys/remove.js'
import type { IdShift } from '../storage/copy-tree.js'
import { fuseOverlayfsUsable } from '../storage/driver.js'
import { unmountRoot } from './mount.js'
import type { StorePaths } from '../storage/paths.js'

/**
 * vfs: the container's root is a copy of the image's top layer. Rootless, the copy must run
 * where the layer's owners are mapped: node again, inside the user namespace (vfs is the
 * slow driver anyway; overlay's `run` never pays for this).
 */
export async function copyRootfs(top: string, merged: string, env: NodeJS.ProcessEnv, shift?: IdShift): Promise<void> {
  if (!isRootless(env)) {
    // loaded here only: it brings libc.js and node:module, which overlay's `run` does without
    const { copyTree } = await import('../storage/copy-tree.js')
    copyTree(top, merged, shift)
    return
  }
  const status = await copyTreeInUserNamespace([top, merged, ...(shift ? [JSON.stringify(shift)] : [])], env)
  if (status !== 0) throw new CockerError('HELPER_FAILED', `cannot copy the image's files into ${merged} (status ${status})`)
}

/**
 * How a container whose user namespace maps ids otherwise (`shift`) sees the image's owners.
 * Rootless on native overlay with fuse-overlayfs usable: fuse-overlayfs serves the layers as
 * they are, ids remapped as it reads them (no copy; start.ts stacks the kernel's overlay with
 * the container's upper dir on it, so the upper dir keeps the shifted ids a copy would give).
 * Else the shifted copies (shiftedLowerDirs), with the reason told to `info`. The kernel cannot
 * do it rootless: an idmapped mount of the store's filesystem needs CAP_SYS_ADMIN where that
 * filesystem was mounted (the host's namespace), and overlayfs itself cannot be idmapped.
 */
export async function lowersForShift(paths: StorePaths, layerIds: readonly string[], lowerDirs: string[], shift: IdShift,
  o: { driver: string; keepId: boolean; env: NodeJS.ProcessEnv; info?: (m: string) => void }): Promise<{ lowerDirs: string[]; idmapped?: IdShift }> {
  const rootless = isRootless(o.env)
  let why: string
  if (!rootless) why = 'as root, the layers are copied with their owners shifted (remapping them as they are read is done rootless only)'
  else if (o.driver !== 'overlay') why = `the store's driver is ${o.driver}, so the layers are copied with their owners shifted`
  // other maps may leave the user out: the container's root then cannot reach the store to serve it (compile.ts nestedMaps)
  else if (!o.keepId) why = 'only --userns keep-id has fuse-overlayfs remap the layers\' owners: they are copied with their owners shifted'
  else {
    const fuse = fuseOverlayfsUsable(o.env)
    if (fuse.ok) return { lowerDirs, idmapped: shift }
    why = `fuse-overlayfs cannot remap the layers' owners as it serves them (${fuse.reason}): the first run with this mapping copies the image's layers`
  }
  o.info?.(why)
  return { lowerDirs: await shiftedLowerDirs(paths, layerIds, shift, o.env) }
}

/**
 * The lowerdirs of the layers `layerIds` (top first) with their owners shifted: the copies
 * mapped-layers.ts keeps in the store, made now where they are missing (the first run with
 * a mapping is slow; the next ones find them).
 */
export async function shiftedLowerDirs(paths: StorePaths, layerIds: readonly string[], shift: IdShift, env: NodeJS.ProcessEnv): Promise<string[]> {
  // (off the run path of a container without a mapping of its own, as copy-tree)
  const { makeShiftedCopies, shiftedLayers } = await import('../storage/mapped-layers.js')
  const { lowerDirs, jobs } = shiftedLayers(paths, layerIds, shift)
  if (!jobs.length) return lowerDirs
  mkdirSync(paths.tmp, { recursive: true })
  if (!isRootless(env)) makeShiftedCopies(jobs, shift)
  else {
    const status = await copyTreeInUserNamespace(['--shifted', JSON.stringify(jobs), JSON.stringify(shift)], env)
    if (status !== 0) throw new CockerError('HELPER_FAILED', `cannot make the copies of the image's layers for the container's user namespace (status ${status})`)
  }
  return lowerDirs
}

/**
 * Gives files of the container's own (the root of its writable layer, the files bound in
 * from userdata) to its root, `uid`:`gid` as the store's side names it (the caller's
 * namespace rootless, where the helper changes them; the host as root).
 */
export async function chownContainerFiles(paths: string[], uid: number, gid: number, rootless: boolean): Promise<void> {
  if (!rootless) paths.forEach(p => lchownSync(p, uid, gid))
  else await chownInUserNamespace(paths, uid, gid)
}

/** node copy-tree-main.js ARGS inside the caller's user namespace; its exit status. */
export const copyTreeInUserNamespace = (args: string[], env: NodeJS.ProcessEnv) =>
  runInUserNamespace([process.execPath, path.join(packageRoot(), 'dist/lib/cli/copy-tree-main.js'), ...args], { env, cwd: '/', warn: () => {} })

/**
 * A file of the image, looked up through its layers top first, as the overlay will show it:
 * a whiteout (0/0 character device) hides the lower layers' file. Only for small files
 * that decide the config (/etc/passwd, /etc/group); symlinks are not followed.
 */
export function readImageFile(layerDirs: string[], file: string): string | undefined {
  const rel = path.posix.normalize(`/${file}`).slice(1)
  for (const dir of layerDirs) {
    const p = path.join(dir, rel)
    let st
    try {
      st = lstatSync(p)
    } catch {
      continue
    }
    if (st.isCharacterDevice() && st.rdev === 0) return undefined
    return st.isFile() ? readFileSync(p, 'utf8') : undefined
  }
  return undefined
}

/** The upper dir may hold files of the namespace's other ids: rootless, those need the helper. */
export async function removeContainerFiles(dir: string, rootless: boolean): Promise<void> {
  // still mounted by `cocker mount` (here, or in this `cocker unshare`): its files must not go through
  // the overlay, nor through keep-id's remapped layers under it
  await unmountRoot(dir)
  try {
    removeTree(dir)
  } catch (err) {
    if (!rootless || !existsSync(dir)) throw err
    try {
      await removeTreesInUserNamespace([dir])
    } catch (inner) {
      throw new CockerError('HELPER_FAILED', `cannot remove the container's files in ${dir}: ${(inner as Error).message}`,
        { hint: `remove them with "cocker unshare rm -rf ${dir}"` })
    }
  }
}

/**
 * Writes files into the container's own layer (`top`: the overlay's upper dir, or the root
 * itself with vfs and --rootfs) before its first start, as if the container had written them.
 * A directory missing from `top` is made with the mode, owner and times of the image's (the
 * first of `layerDirs` that has it), so the merged view shows the image's. Returns the paths
 * made, for a caller that shifts their owners.
 */
export function writeLayerFiles(top: string, layerDirs: string[], files: { path: string; content: string; mode: number }[]): string[] {
  const made: string[] = []
  const times: [string, Date, Date][] = []
  const root = process.geteuid?.() === 0
  for (const f of files) {
    const rel = path.posix.normalize(`/${f.path}`).slice(1)
    const parts = rel.split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      const target = path.join(top, dir)
      if (existsSync(target)) continue
      const image = layerDirs.map(l => path.join(l, dir)).find(p => existsSync(p))
      const st = image ? lstatSync(image) : undefined
      mkdirSync(target)
      chmodSync(target, st ? st.mode & 0o7777 : 0o755)
      if (st && root) lchownSync(target, st.uid, st.gid)
      if (st) times.push([target, st.atime, st.mtime])
      made.push(target)
    }
    const file = path.join(top, rel)
    writeFileSync(file, f.content, { mode: f.mode })
    chmodSync(file, f.mode)
    made.push(file)
  }
  // after the files, whose creation moves their directory's mtime
  for (const [dir, atime, mtime] of times.reverse()) utimesSync(dir, atime, mtime)
  return made
}
