/**
 * `kube play`, second half: a plan (plan.ts) made real with the pod and container functions
 * `pod create` and `run --pod` use. Per pod: images first (nothing is made for a pod whose
 * image cannot be had), then the pod and its infra, its volumes, its containers, and at last
 * the start. A failure part-way removes what this pod got, so a play either makes a pod whole
 * or leaves none. `kube down` removes the pods a YAML names, with the volumes play made for
 * them (emptyDir, configMap, secret); PersistentVolumeClaims' volumes stay unless forced.
 */
import { existsSync, mkdirSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs'
import path from 'node:path'
import type { LifecycleOptions } from '../container/create.js'
import { createContainer } from '../container/create.js'
import type { Engine } from '../container/engine.js'
import { removeUnusedVolumes } from '../container/volumes.js'
import { CockerError } from '../errors.js'
import { createPod, findPod, podContainers, removePod, startPod, type PodRecord } from '../pod/pods.js'
import { podNotFound } from '../pod/record.js'
import type { MountRequest, RunOptions } from '../spec/run-options.js'
import type { DriverName } from '../storage/driver.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { createVolume, readVolume, volumeData } from '../storage/volumes.js'
import type { ContainerPlan, PlayPlan, PodPlan, RunFlags, VolumePlan } from './plan.js'

/** What play needs from the CLI: `run`'s parsing of flags (with containers.conf), and images. */
export interface PlayDeps {
  engine: Engine
  store: Store
  driver: DriverName
  runOptions(flags: RunFlags): Promise<RunOptions>
  lifecycle(flags: RunFlags): LifecycleOptions
  /** The image, pulled as the policy says. */
  image(name: string, pull: ContainerPlan['pull']): Promise<ImageRecord>
  /** The infra's options for the pod's network and published ports (`pod create`'s). */
  infra(o: { network?: string; publish: string[] }): Promise<RunOptions>
}

export interface PlayOptions {
  start: boolean
  replace: boolean
  /** --network: the pods' network, over the YAML's hostNetwork. */
  network?: string
}

export interface PlayReport {
  volumes: string[]
  pods: { id: string; containers: string[] }[]
}

/** A port back in -p's form: the infra's options are read as `pod create --publish` reads them, with its checks (the YAML's hostPort and hostIP too). */
const portSpec = (p: { hostIp: string; hostPort: number; containerPort: number; protocol: string }) =>
  `${p.hostIp ? `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:` : ''}${p.hostPort}:${p.containerPort}/${p.protocol}`

export async function playKube(plan: PlayPlan, o: PlayOptions, deps: PlayDeps): Promise<PlayReport> {
  const { engine } = deps
  const report: PlayReport = { volumes: [], pods: [] }
  for (const claim of plan.claims) {
    await createVolume(engine.storeRoot, { name: claim, existing: true })
    report.volumes.push(claim)
  }
  for (const pod of plan.pods) {
    const old = findPod(engine.storeRoot, pod.name)
    if (old?.record.name === pod.name) {
      if (!o.replace) {
        throw new CockerError('POD_EXISTS', `${pod.source}: the pod name "${pod.name}" is already in use by ${old.record.id}`,
          { hint: 'add --replace, or remove it first with "cocker kube down FILE"' })
      }
      await removeKubePod(engine, old.record.name)
    }
    report.pods.push(await playPod(pod, o, deps))
  }
  return report
}

async function playPod(pod: PodPlan, o: PlayOptions, deps: PlayDeps): Promise<{ id: string; containers: string[] }> {
  const { engine, store, driver } = deps
  // images first: nothing is made for a pod whose image cannot be had
  const images = new Map<string, ImageRecord>()
  for (const c of pod.containers) if (!images.has(c.image)) images.set(c.image, await deps.image(c.image, c.pull))
  const network = o.network ?? (pod.hostNetwork ? 'host' : undefined)
  const infra = await deps.infra({ ...(network !== undefined ? { network } : {}), publish: pod.ports.map(portSpec) })
  const record = await createPod(engine, store, driver, {
    name: pod.name, labels: pod.labels, infra, ...(pod.hostname ? { hostname: pod.hostname } : {}),
  })
  const made: string[] = []
  try {
    const volumes = await podVolumes(engine, pod, made)
    const ids: string[] = []
    for (const c of pod.containers) {
      const options = await deps.runOptions(c.flags)
      const mounts = c.mounts.map(m => mountOf(engine, pod, m, volumes))
      const taken = new Set(options.mounts.map(m => m.destination))
      for (const m of mounts) {
        if (taken.has(m.destination)) throw new CockerError('INVALID_ARGUMENT', `${pod.source}: container ${c.name}: more than one volume is mounted on ${m.destination}`)
        taken.add(m.destination)
      }
      options.mounts.push(...mounts)
      const { record: ctr } = await createContainer({
        store, image: images.get(c.image)!, imageName: c.image, options, lifecycle: deps.lifecycle(c.flags), driver, env: engine.env, warn: engine.warn,
        pod: { id: record.id, infraId: record.infraId, share: record.share },
      })
      ids.push(ctr.id)
    }
    if (o.start) await startPod(engine, record)
    return { id: record.id, containers: ids }
  } catch (err) {
    await removePlayed(engine, record, made).catch(e => engine.warn(`removing the pod ${pod.name} again: ${(e as Error).message}`))
    throw err
  }
}

/**
 * Readies the volumes the pod's containers mount: a hostPath checked (or made, as its type
 * says), a claim's volume made if missing, and a volume of the pod's own made for each emptyDir
 * on disk, configMap and secret (its name pushed on `made`). Returns those own volumes' store
 * names by the pod's volume name.
 */
async function podVolumes(engine: Engine, pod: PodPlan, made: string[]): Promise<Map<string, string>> {
  const used = new Set(pod.containers.flatMap(c => c.mounts.map(m => m.volume)))
  const out = new Map<string, string>()
  for (const [name, v] of Object.entries(pod.volumes)) {
    if (!used.has(name)) continue
    if (v.kind === 'hostPath') hostPathReady(pod, name, v)
    if (v.kind === 'claim') await createVolume(engine.storeRoot, { name: v.claim, existing: true })
    if (v.kind === 'files' || (v.kind === 'emptyDir' && !v.memory)) {
      const { volume } = await createVolume(engine.storeRoot, { anonymous: true, labels: { 'io.cocker.kube.pod': pod.name, 'io.cocker.kube.volume': name } })
      made.push(volume.name)
      out.set(name, volume.name)
      if (v.kind === 'files') writeFiles(volumeData(engine.storeRoot, volume.name), v)
    }
  }
  return out
}

/** A ConfigMap's or Secret's keys as files, each with the volume's mode (a path's directories made). */
function writeFiles(dir: string, v: VolumePlan & { kind: 'files' }): void {
  for (const [file, data] of Object.entries(v.files)) {
    const target = path.join(dir, file)
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 })
    writeFileSync(target, data, { mode: v.mode })
  }
}

/** hostPath's type, as Kubernetes checks it: DirectoryOrCreate and FileOrCreate make what is missing. */
function hostPathReady(pod: PodPlan, name: string, v: VolumePlan & { kind: 'hostPath' }): void {
  const where = `${pod.source}: volume ${name}: hostPath ${v.path}`
  if (!v.path.startsWith('/')) throw new CockerError('INVALID_ARGUMENT', `${where}: the path must be absolute`)
  const st = statSync(v.path, { throwIfNoEntry: false })
  switch (v.type ?? '') {
    case 'DirectoryOrCreate':
      if (!st) mkdirSync(v.path, { recursive: true, mode: 0o755 })
      return
    case 'FileOrCreate':
      if (!st) closeSync(openSync(v.path, 'a', 0o644))
      return
    case 'Directory':
      if (!st?.isDirectory()) throw new CockerError('INVALID_ARGUMENT', `${where}: not a directory`, { hint: 'create it, or use type DirectoryOrCreate' })
      return
    case 'File':
      if (!st?.isFile()) throw new CockerError('INVALID_ARGUMENT', `${where}: not a file`, { hint: 'create it, or use type FileOrCreate' })
      return
    case '':
      if (!st) throw new CockerError('INVALID_ARGUMENT', `${where}: no such file or directory`, { hint: 'create it, or give the volume type DirectoryOrCreate' })
      return
    default:
      throw new CockerError('NOT_SUPPORTED', `${where}: type ${v.type} is not supported`, { hint: 'use Directory, DirectoryOrCreate, File or FileOrCreate' })
  }
}

/** A volumeMount as `run` mounts: a bind of a host path, a volume, or a tmpfs (emptyDir in memory). */
function mountOf(engine: Engine, pod: PodPlan, m: ContainerPlan['mounts'][number], own: Map<string, string>): MountRequest {
  const v = pod.volumes[m.volume]!
  const ro = m.readOnly || v.kind === 'files' ? ['ro'] : []
  const bind = (source: string): MountRequest => {
    const full = m.subPath ? path.join(source, m.subPath) : source
    if (m.subPath && !existsSync(full)) mkdirSync(full, { recursive: true, mode: 0o755 })
    return { type: 'bind', source: full, destination: m.destination, options: ['rbind', ...ro, 'rprivate'] }
  }
  if (v.kind === 'hostPath') return bind(v.path)
  if (v.kind === 'emptyDir' && v.memory) return { type: 'tmpfs', destination: m.destination, options: ['rw', 'nosuid', 'nodev', ...ro] }
  const name = v.kind === 'claim' ? v.claim : own.get(m.volume)!
  if (m.subPath) return bind(volumeData(engine.storeRoot, name))
  return { type: 'volume', name, destination: m.destination, options: ['nosuid', 'nodev', 'rbind', ...ro, 'rprivate'], ...(v.kind === 'claim' ? {} : { noCopy: true }) }
}

/** The pod with its containers, then the volumes play made for it. */
async function removePlayed(engine: Engine, pod: PodRecord, volumes: readonly string[]): Promise<void> {
  const found = findPod(engine.storeRoot, pod.id)
  if (found) await removePod(engine, found, { force: true, timeout: 0 })
  await removeUnusedVolumes(engine.storeRoot, volumes, engine.rootless)
}

/** The volumes play made for a pod: the anonymous ones labelled with its name. */
function playedVolumes(engine: Engine, podName: string, containers: ReturnType<typeof podContainers>): string[] {
  const names = new Set(containers.flatMap(c => (c.record.volumes ?? []).filter(v => v.anonymous).map(v => v.name)))
  return [...names].filter(n => readVolume(engine.storeRoot, n)?.labels['io.cocker.kube.pod'] === podName)
}

/** `kube down` of one pod: stopped, removed with its containers, and the volumes play made for it; its id. */
export async function removeKubePod(engine: Engine, name: string): Promise<string> {
  const found = findPod(engine.storeRoot, name)
  // by its name only: an id prefix that the name happens to be is another pod
  if (!found || found.record.name !== name) throw podNotFound(name)
  const volumes = playedVolumes(engine, name, podContainers(engine.storeRoot, found.record.id))
  await removePod(engine, found, { force: true })
  await removeUnusedVolumes(engine.storeRoot, volumes, engine.rootless)
  return found.record.id
}

/** `kube down --force`: the claims' volumes too, where no container uses them (removeUnusedVolumes' rule). */
export async function removeClaims(engine: Engine, claims: readonly string[]): Promise<string[]> {
  const present = claims.filter(c => readVolume(engine.storeRoot, c))
  await removeUnusedVolumes(engine.storeRoot, present, engine.rootless)
  return present.filter(c => !readVolume(engine.storeRoot, c))
}
