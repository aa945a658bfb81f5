/** A container's files in the store: the vfs copy of its root, image files read before it runs, and removal. */
import { existsSync, lstatSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { isRootless } from '../rootless/identity.js'
import { removeTreesInUserNamespace, runInUserNamespace } from '../rootless/userns.js'

/**
 * vfs: the container's root is a copy of the image's top layer. Rootless, the copy must run
 * where the layer's owners are mapped: node again, inside the user namespace (vfs is the
 * slow driver anyway; overlay's `run` never pays for this).
 */
export async function copyRootfs(top: string, merged: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!isRootless(env)) {
    // loaded here only: it brings libc.js and node:module, which overlay's `run` does without
    const { copyTree } = await import('../storage/copy-tree.js')
    copyTree(top, merged)
    return
  }
  const script = path.join(packageRoot(), 'dist/lib/cli/copy-tree-main.js')
  const status = await runInUserNamespace([process.execPath, script, top, merged], { env, cwd: '/', warn: () => {} })
  if (status !== 0) throw new CockerError('HELPER_FAILED', `cannot copy the image's files into ${merged} (status ${status})`)
}

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
  try {
    rmSync(dir, { recursive: true, force: true })
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
