/**
 * `auto-update`, with Podman 4.3's policies: a running container labelled
 * io.containers.autoupdate=registry is updated when its image's fully qualified reference
 * names another manifest in the registry now (pulled once per reference), one labelled
 * `local` when that name names another image in the store now. A container that a systemd
 * unit made (its PODMAN_SYSTEMD_UNIT label) is updated by restarting that unit, as Podman does;
 * any other is made again here on the new image (recreate.ts), which Podman cannot do.
 *
 * Each container gets a report; one that fails does not stop the others (Podman's rule: a
 * broken one must not keep the rest from their updates).
 */
import { endpointsFor, loadRegistriesConf } from '../config/registries.js'
import { CockerError } from '../errors.js'
import { MANIFEST_ACCEPT, parseManifest } from '../image/manifest.js'
import { selectManifest } from '../image/platform.js'
import { fullReference, isShortName, parseReference } from '../image/reference.js'
import { openRegistry } from '../image/registry/open.js'
import type { DriverName } from '../storage/driver.js'
import { findImage } from '../storage/images.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import type { Engine } from './engine.js'
import { listContainers, observe, type FoundContainer } from './record.js'
import { readCreateOptions, recreateContainer } from './recreate.js'
import { SYSTEMD_UNIT_LABEL } from './systemd-unit.js'

export const AUTO_UPDATE_LABEL = 'io.containers.autoupdate'
export const AUTHFILE_LABEL = 'io.containers.autoupdate.authfile'

export type AutoUpdatePolicy = 'registry' | 'local'
/** Podman's words for UPDATED. */
export type UpdateStatus = 'true' | 'false' | 'pending' | 'failed' | 'rolled back'

export interface AutoUpdateReport {
  containerId: string
  containerName: string
  /** The image as the container was created with it. */
  imageName: string
  policy: AutoUpdatePolicy
  /** The systemd unit restarted; '' for a container that cocker makes again itself. */
  unit: string
  updated: UpdateStatus
}

export interface AutoUpdateOptions {
  engine: Engine
  store: Store
  driver: DriverName
  dryRun: boolean
  rollback: boolean
  authfile?: string
  tlsVerify?: boolean
  /** Pulls a reference into the store (rootless, in the user's namespace: the CLI knows how). */
  pull(name: string, o: { authfile?: string }): Promise<void>
  /** Restarts a systemd unit and resolves once it runs again; rejects when it failed. */
  restartUnit(unit: string): Promise<void>
  /** How long a container made again must keep running to count as updated; ms. */
  settleMs: number
}

const POLICIES: Record<string, AutoUpdatePolicy | 'disabled'> = { '': 'disabled', disabled: 'disabled', image: 'registry', registry: 'registry', local: 'local' }

/** The policy a label value names; INVALID_ARGUMENT with the valid ones. */
export function lookupPolicy(value: string): AutoUpdatePolicy | 'disabled' {
  const policy = POLICIES[value]
  if (policy) return policy
  throw new CockerError('INVALID_ARGUMENT', `invalid auto-update policy "${value}": valid policies are ${Object.keys(POLICIES).filter(Boolean).sort().map(p => `"${p}"`).join(', ')}`)
}

/** A registry policy needs a reference naming its registry, and a tag to follow rather than a digest. */
export function checkUpdatableReference(name: string): void {
  if (!name || isShortName(name)) {
    throw new CockerError('INVALID_ARGUMENT', `auto updates require fully-qualified image references: "${name}" names no registry`,
      { hint: 'create the container with a name such as docker.io/library/alpine:latest' })
  }
  if (parseReference(name).digest) {
    throw new CockerError('INVALID_ARGUMENT', `auto updates require fully-qualified image references without digest: "${name}"`,
      { hint: 'create the container with the tag to follow' })
  }
}

interface Task {
  found: FoundContainer
  policy: AutoUpdatePolicy
  unit: string
  rawName: string
  image: ImageRecord
  authfile?: string
}

export async function autoUpdate(o: AutoUpdateOptions): Promise<{ reports: AutoUpdateReport[]; errors: CockerError[] }> {
  const errors: CockerError[] = []
  const tasks = assembleTasks(o, errors)
  const reports: AutoUpdateReport[] = []
  // a reference is looked up and pulled once, however many containers follow it
  const pulled = new Map<string, Promise<boolean>>()
  for (const task of tasks) {
    const report: AutoUpdateReport = {
      containerId: task.found.record.id, containerName: task.found.record.name, imageName: task.rawName,
      policy: task.policy, unit: task.unit, updated: 'failed',
    }
    reports.push(report)
    try {
      report.updated = await update(task, o, pulled)
    } catch (err) {
      errors.push(asCockerError(err, `auto-updating container ${task.found.record.name}`))
    }
  }
  return { reports, errors }
}

function assembleTasks(o: AutoUpdateOptions, errors: CockerError[]): Task[] {
  const md = o.store.metadata()
  const tasks: Task[] = []
  for (const found of listContainers(o.engine.storeRoot)) {
    const { record, dir } = found
    const value = record.labels[AUTO_UPDATE_LABEL]
    if (value === undefined || record.infra || observe(record, dir).status !== 'running') continue
    let policy: AutoUpdatePolicy | 'disabled'
    try {
      policy = lookupPolicy(value)
    } catch (err) {
      errors.push(asCockerError(err, `container ${record.name}`))
      continue
    }
    if (policy === 'disabled') continue
    const image = md.images.find(i => i.id === record.imageId)
    if (!image) {
      errors.push(new CockerError('IMAGE_NOT_FOUND', `auto-updating container ${record.name}: its image ${record.imageId.slice(0, 12)} is not in the store`))
      continue
    }
    const authfile = record.labels[AUTHFILE_LABEL]
    tasks.push({
      found, policy, image, unit: record.labels[SYSTEMD_UNIT_LABEL] ?? '',
      rawName: readCreateOptions(dir)?.imageName ?? record.imageName,
      ...(authfile ? { authfile } : {}),
    })
  }
  return tasks
}

async function update(task: Task, o: AutoUpdateOptions, pulled: Map<string, Promise<boolean>>): Promise<UpdateStatus> {
  const { rawName } = task
  if (task.policy === 'registry') {
    checkUpdatableReference(rawName)
    // a reference pulled already in this run is newer for every container that follows it
    if (!pulled.has(rawName) && !await newerInRegistry(task, o)) return 'false'
    if (o.dryRun) return 'pending'
    if (!pulled.has(rawName)) pulled.set(rawName, o.pull(rawName, { authfile: task.authfile ?? o.authfile }).then(() => true))
    await pulled.get(rawName)
  } else {
    const local = findImage(o.store.metadata(), rawName)?.image
    if (!local) throw new CockerError('IMAGE_NOT_FOUND', `${rawName}: image not known`)
    if (local.id === task.image.id) return 'false'
    if (o.dryRun) return 'pending'
  }
  const next = findImage(o.store.metadata(), rawName)?.image
  if (!next) throw new CockerError('IMAGE_NOT_FOUND', `${rawName}: image not known after pulling it`)
  // pulled for another container that follows the name, while this one runs what it gives already
  if (next.id === task.image.id) return 'false'
  return task.unit ? restartUnit(task, o) : recreate(task, next, o)
}

/** Podman's way: the unit makes the container again on the image its name now gives. */
async function restartUnit(task: Task, o: AutoUpdateOptions): Promise<UpdateStatus> {
  try {
    await o.restartUnit(task.unit)
    return 'true'
  } catch (err) {
    if (!o.rollback) throw err
    // back to the image the name gave before, and the unit once more
    await o.store.images.tag(task.image.id, [task.rawName])
    try {
      await o.restartUnit(task.unit)
    } catch (again) {
      throw asCockerError(again, `restarting unit ${task.unit} with the previous image after the update failed (${(err as Error).message})`)
    }
    return 'rolled back'
  }
}

async function recreate(task: Task, image: ImageRecord, o: AutoUpdateOptions): Promise<UpdateStatus> {
  const result = await recreateContainer(task.found, { engine: o.engine, store: o.store, driver: o.driver, image, rollback: o.rollback, settleMs: o.settleMs })
  if (result.outcome === 'updated') return 'true'
  // the name gives the image that runs again, as Podman re-tags it
  await o.store.images.tag(task.image.id, [task.rawName])
  o.engine.warn(`container ${task.found.record.name} rolled back to image ${task.image.id.slice(0, 12)}: ${result.error.message}`)
  return 'rolled back'
}

/**
 * Whether the registry has another manifest under the reference than the container's image:
 * from an index, the one for this platform, as a pull would choose it.
 */
async function newerInRegistry(task: Task, o: AutoUpdateOptions): Promise<boolean> {
  const ref = parseReference(task.rawName)
  const what = fullReference(ref)
  const conf = await loadRegistriesConf(o.engine.env)
  const endpoints = endpointsFor(conf, ref)
  let failure: unknown
  for (const endpoint of endpoints) {
    const client = await openRegistry(endpoint, { env: o.engine.env, authfile: task.authfile ?? o.authfile, tlsVerify: o.tlsVerify })
    try {
      const tag = ref.tag ?? 'latest'
      let fetched = await client.getManifest(endpoint.repository, tag, MANIFEST_ACCEPT)
      const known = new Set([task.image.digest, task.image.manifestDigest, ...task.image.repoDigests.map(r => r.slice(r.indexOf('@') + 1))])
      if (known.has(fetched.digest)) return false
      const manifest = parseManifest(fetched.bytes, fetched.mediaType, what)
      if (manifest.kind === 'index') fetched = { ...fetched, digest: selectManifest(manifest, what).digest }
      return !known.has(fetched.digest)
    } catch (err) {
      failure = err
    } finally {
      client.close()
    }
  }
  throw asCockerError(failure, `checking ${what} in its registry`)
}

function asCockerError(err: unknown, context: string): CockerError {
  if (err instanceof CockerError) return new CockerError(err.code, `${context}: ${err.message}`, { hint: err.hint, cause: err })
  return new CockerError('AUTO_UPDATE_FAILED', `${context}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
}
