/**
 * Pods: containers that share network, IPC and UTS namespaces, held by an infra container of
 * the pod's own. The infra runs cocker-infra (c/cocker-infra.c) from a root that holds
 * nothing else (no image to pull), with whatever network a container would get; the pod's
 * containers join its namespaces (container/joins.ts), so they talk over 127.0.0.1 and share
 * a hostname. Starting the pod starts the infra first; stopping it stops the infra last.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createContainer, type LifecycleOptions } from '../container/create.js'
import { isoNow } from '../sys/time.js'
import type { Engine } from '../container/engine.js'
import { generatedName } from '../container/names.js'
import { listContainers, observe, readRecordFile, withContainerLock, type ContainerState, type FoundContainer } from '../container/record.js'
import { removeContainer } from '../container/remove.js'
import { startContainer } from '../container/start.js'
import { killContainerBySignal, stopContainer } from '../container/stop.js'
import { CockerError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { defaultRunOptions, type RunOptions } from '../spec/run-options.js'
import type { DriverName } from '../storage/driver.js'
import type { Store } from '../storage/store.js'
import { selfStamp } from '../sys/proc.js'
import { crashPoint } from '../sys/crash-point.js'
import { findPod, listPods, podDirOf, podRootfs, releasePodName, reservePodName, requirePod, SHARED_NAMESPACES, writePodRecord,
  type FoundPod, type PodRecord } from './record.js'

export { findPod, listPods, requirePod, type FoundPod, type PodRecord }

/** Podman's pod states, from its containers' (GetPodStatus). */
export type PodStatus = 'Created' | 'Running' | 'Degraded' | 'Paused' | 'Exited' | 'Stopped' | 'Error'

export interface PodCreateOptions {
  name?: string
  hostname?: string
  labels: Record<string, string>
  /**
   * The infra's options, as `run` parses a container's (--network and what goes with it):
   * the pod's containers share the network it gets. Its process, root and name are the pod's.
   */
  infra?: RunOptions
  createCommand?: string[]
}

const INFRA_IN_ROOTFS = '/cocker-infra'

/** The infra's program: static, bound read-only into the pod's empty root. */
function infraBinary(): string {
  const file = path.join(packageRoot(), 'c', 'cocker-infra')
  if (!existsSync(file)) throw new CockerError('HELPER_NOT_FOUND', `the pod infra program ${file} does not exist`, { hint: 'build it with "make -C c"' })
  return file
}

export async function createPod(engine: Engine, store: Store, driver: DriverName, o: PodCreateOptions): Promise<PodRecord> {
  if (o.name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(o.name)) {
    throw new CockerError('INVALID_ARGUMENT', `${o.name}: pod names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`)
  }
  const binary = infraBinary()
  const id = randomBytes(32).toString('hex')
  const name = o.name ?? generatedPodName(engine.storeRoot, id)
  if (o.name) reservePodName(engine.storeRoot, name, id)
  const dir = podDirOf(engine.storeRoot, id)
  try {
    mkdirSync(podRootfs(dir), { recursive: true, mode: 0o755 })
    // a create killed before pod.json leaves a dir whose creator is gone: its name is free again
    writeFileSync(path.join(dir, 'creator'), selfStamp())
    const options: RunOptions = {
      ...(o.infra ?? defaultRunOptions()),
      name: `${id.slice(0, 12)}-infra`, hostname: o.hostname ?? name, command: [INFRA_IN_ROOTFS], detach: true,
      rootfs: { path: podRootfs(dir), overlay: false },
      mounts: [{ type: 'bind' as const, source: binary, destination: INFRA_IN_ROOTFS, options: ['rbind', 'ro', 'rprivate'] }],
      // for cocker-infra to bring the loopback up, and for nothing else: it runs only that
      capAdd: ['CAP_NET_ADMIN'],
    }
    const infra = await createContainer({
      store, imageName: '', options, lifecycle: INFRA_LIFECYCLE, driver, env: engine.env, warn: engine.warn, infraOf: id,
    })
    crashPoint('pod-create:before-record')
    const record: PodRecord = {
      id, name, created: isoNow(), ...(o.createCommand ? { createCommand: o.createCommand } : {}), labels: o.labels,
      ...(o.hostname ? { hostname: o.hostname } : {}),
      infraId: infra.record.id, share: [...SHARED_NAMESPACES],
    }
    writePodRecord(dir, record)
    rmSync(path.join(dir, 'creator'), { force: true })
    return record
  } catch (err) {
    for (const c of podContainers(engine.storeRoot, id)) await removeContainer(engine, c, { force: true, infra: true }).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    releasePodName(engine.storeRoot, name, id)
    throw err
  }
}

const INFRA_LIFECYCLE: LifecycleOptions = { restartPolicy: { name: 'no', maxRetries: 0 }, logDriver: 'k8s-file', detachKeys: '' }

function generatedPodName(storeRoot: string, id: string): string {
  for (;;) {
    const name = generatedName()
    try {
      reservePodName(storeRoot, name, id)
      return name
    } catch (err) {
      if ((err as CockerError).code !== 'POD_EXISTS') throw err
    }
  }
}

/** The pod's containers, oldest first (the infra, made with the pod, among the first). */
export function podContainers(storeRoot: string, podId: string): FoundContainer[] {
  return listContainers(storeRoot).filter(c => c.record.pod === podId)
}

/** The pod's infra apart from its other containers (oldest first); POD_STATE_INVALID when the infra is gone. */
export function podInfraAndContainers(storeRoot: string, pod: PodRecord): { infra: FoundContainer; containers: FoundContainer[] } {
  const all = podContainers(storeRoot, pod.id)
  const infra = all.find(c => c.record.id === pod.infraId)
  if (!infra) throw new CockerError('POD_STATE_INVALID', `pod ${pod.name} has no infra container`)
  return { infra, containers: all.filter(c => c !== infra) }
}

/** Podman's pod state from its containers' states. */
export function podStatus(states: readonly ContainerState['status'][]): PodStatus {
  const count = (...s: ContainerState['status'][]) => states.filter(x => s.includes(x)).length
  const total = states.length
  if (total === 0) return 'Created'
  const running = count('running', 'stopping')
  if (running === total) return 'Running'
  if (running > 0) return 'Degraded'
  if (count('paused') === total) return 'Paused'
  if (count('exited') === total) return 'Exited'
  if (count('created') === total) return 'Created'
  if (count('exited', 'created') === total) return 'Stopped'
  return 'Error'
}

/** The pod's containers as they are now, infra marked. */
export function podMembers(storeRoot: string, pod: PodRecord): { found: FoundContainer; state: ContainerState; infra: boolean }[] {
  return podContainers(storeRoot, pod.id).map(found => ({ found, state: observe(found.record, found.dir), infra: found.record.id === pod.infraId }))
}

const up = (s: ContainerState) => s.status === 'running' || s.status === 'paused' || s.status === 'stopping'

/** Starts the infra, then every container of the pod that does not run. */
export async function startPod(engine: Engine, pod: PodRecord): Promise<void> {
  const members = podMembers(engine.storeRoot, pod)
  for (const m of [...members.filter(m => m.infra), ...members.filter(m => !m.infra)]) {
    if (!up(m.state)) await startContainer(engine, m.found.dir)
  }
}

/** Stops the pod's containers, the infra last: it holds the namespaces the others use. */
export async function stopPod(engine: Engine, pod: PodRecord, o: { timeout?: number; removing?: boolean } = {}): Promise<void> {
  const members = podMembers(engine.storeRoot, pod)
  await Promise.all(members.filter(m => !m.infra && up(m.state)).map(m => stopContainer(engine, m.found, o)))
  for (const m of members.filter(m => m.infra && up(m.state))) await stopContainer(engine, m.found, o)
}

/** A signal to every running container of the pod. */
export async function killPod(engine: Engine, pod: PodRecord, signal: string): Promise<void> {
  const running = podMembers(engine.storeRoot, pod).filter(m => up(m.state))
  if (!running.length) throw new CockerError('POD_STATE_INVALID', `no containers of pod ${pod.id} are running`, { hint: `start it with "cocker pod start ${pod.name}"` })
  for (const m of [...running.filter(m => !m.infra), ...running.filter(m => m.infra)]) await killContainerBySignal(engine, m.found, signal)
}

/**
 * Removes the pod with its containers; a running one only with `force` (stopped first). The
 * pod's dir goes by rename into the store's tmp/, after its containers, so a kill -9 part-way
 * leaves the pod (with fewer containers, which `pod rm` removes again) or no pod.
 */
export async function removePod(engine: Engine, found: FoundPod, o: { force?: boolean; timeout?: number } = {}): Promise<void> {
  const pod = found.record
  const members = podMembers(engine.storeRoot, pod)
  const running = members.filter(m => up(m.state) && !m.infra)
  if (running.length && !o.force) {
    throw new CockerError('POD_STATE_INVALID', `cannot remove pod ${pod.name}: its container ${running[0].found.record.name} is running`,
      { hint: `stop the pod first, or use "cocker pod rm -f ${pod.name}"` })
  }
  await stopPod(engine, pod, { timeout: o.timeout, removing: true })
  for (const m of [...members.filter(m => !m.infra), ...members.filter(m => m.infra)]) {
    if (readRecordFile(m.found.dir)) await removeContainer(engine, m.found, { force: true, infra: true })
  }
  crashPoint('pod-rm:before-rename')
  const doomed = path.join(engine.storeRoot, 'tmp', `pod-${pod.id}`)
  await withContainerLock(found.dir, () => {
    mkdirSync(path.dirname(doomed), { recursive: true, mode: 0o700 })
    renameSync(found.dir, doomed)
  })
  releasePodName(engine.storeRoot, pod.name, pod.id)
  rmSync(doomed, { recursive: true, force: true })
}

/** `pod prune`: the pods none of whose containers runs any more (Podman's Exited and Stopped ones). */
export async function prunePods(engine: Engine): Promise<string[]> {
  const gone: string[] = []
  for (const found of listPods(engine.storeRoot)) {
    const status = podStatus(podMembers(engine.storeRoot, found.record).map(m => m.state.status))
    if (status !== 'Exited' && status !== 'Stopped') continue
    await removePod(engine, found)
    gone.push(found.record.id)
  }
  return gone
}
