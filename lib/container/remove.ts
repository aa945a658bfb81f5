/**
 * `rm`: a container that does not run goes, with its files and its name. A running one needs
 * --force, which stops it first (podman's rule: the stop signal, then SIGKILL after the
 * timeout). The directory is first renamed into the store's tmp/, so a kill -9 part-way leaves
 * either the whole container or a leftover that `system check` removes, never half a record.
 */
import { mkdirSync, renameSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { teardownNetwork } from '../network/index.js'
import { deleteContainer } from '../runtime/lifecycle.js'
import { crashPoint } from '../sys/crash-point.js'
import { runtimeContext, type Engine } from './engine.js'
import { removeContainerFiles } from './files.js'
import { observe, readRecordFile, releaseName, withContainerLock, writeRecordFile, type FoundContainer } from './record.js'
import { stopContainer } from './stop.js'
import { podDirOf, readPodRecord } from '../pod/record.js'

/**
 * `infra`: the caller removes the container's pod too (a pod's infra goes only with its pod).
 * `volumes`: its anonymous volumes go too (rm -v, --rm).
 */
export async function removeContainer(engine: Engine, found: FoundContainer, o: { force?: boolean; timeout?: number; infra?: boolean; volumes?: boolean } = {}): Promise<void> {
  const { record, dir } = found
  // an infra whose pod has no record (a pod create killed part-way) goes as any container
  if (record.infra && !o.infra && record.pod && readPodRecord(podDirOf(engine.storeRoot, record.pod))) {
    // podman's words
    throw new CockerError('CONTAINER_STATE_INVALID', `container ${record.id} is the infra container of pod ${record.pod} and cannot be removed without removing the pod`,
      { hint: `remove the pod with "cocker pod rm ${record.pod?.slice(0, 12)}"` })
  }
  const status = observe(record, dir).status
  if (status === 'running' || status === 'paused' || status === 'stopping') {
    if (!o.force) {
      throw new CockerError('CONTAINER_STATE_INVALID',
        `cannot remove container ${record.id} as it is running - running or paused containers cannot be removed without force`,
        { hint: `stop it first, or use "cocker rm -f ${record.name}"` })
    }
    await stopContainer(engine, found, { timeout: o.timeout, removing: true })
  }
  const doomed = path.join(engine.storeRoot, 'tmp', `container-${record.id}`)
  await withContainerLock(dir, async () => {
    const now = readRecordFile(dir)
    if (!now) return
    now.state.status = 'removing'
    writeRecordFile(dir, now)
    try {
      await deleteContainer(runtimeContext(engine, now), now.id, { force: true })
    } catch { /* no runtime state left */ }
    await teardownNetwork(engine, now, dir)
    crashPoint('rm:before-rename')
    mkdirSync(path.dirname(doomed), { recursive: true, mode: 0o700 })
    renameSync(dir, doomed)
  })
  crashPoint('rm:after-rename')
  releaseName(engine.storeRoot, record.name, record.id)
  await removeContainerFiles(doomed, engine.rootless)
  if (o.volumes && record.volumes?.length) {
    const { removeContainerVolumes } = await import('./volumes.js')
    await removeContainerVolumes(engine.storeRoot, record, engine.rootless)
  }
}
