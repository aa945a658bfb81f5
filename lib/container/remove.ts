/**
 * Removing a container that has exited: its name, the runtime's state of it, and its
 * directory. Stand-in for the lead's removal (rm), which `container prune` should call once
 * it lands. Rootless, the directory holds files of the container's other ids: the caller runs
 * in the user namespace (the command's userNamespace).
 */
import { renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { runtimeStateDir } from './run-image.js'
import { isRootless } from '../rootless/identity.js'
import { containersRoot, observe, readRecordFile, releaseName, withContainerLock, type FoundContainer } from './record.js'

/** Removes `found` unless it runs (a start may have come meanwhile); true when removed. */
export async function removeExitedContainer(storeRoot: string, found: FoundContainer, env: NodeJS.ProcessEnv): Promise<boolean> {
  const id = found.record.id
  const tombstone = path.join(containersRoot(storeRoot), `.removing-${id}`)
  const taken = await withContainerLock(found.dir, () => {
    const record = readRecordFile(found.dir)
    if (!record || !['created', 'exited'].includes(observe(record, found.dir).status)) return false
    // out of every listing at once (ids are 64 hex digits); the files go after the lock
    renameSync(found.dir, tombstone)
    releaseName(storeRoot, record.name, id)
    return true
  })
  if (!taken) return false
  const { deleteContainer } = await import('../runtime/lifecycle.js')
  const ignore = () => {}
  await deleteContainer({ root: runtimeStateDir(env), rootless: isRootless(env), systemdCgroup: false, warn: ignore, debug: ignore }, id, { force: true })
    .catch(ignore)
  rmSync(tombstone, { recursive: true, force: true })
  return true
}
