/**
 * Pod records, kept as container records are (container/record.ts), in <store>/pods/<id>/:
 *
 *   pod.json   the record below, replaced by rename (readers take no lock; writers hold `lock`,
 *              the same kind of lock file as a container's, withContainerLock)
 *   rootfs/    the infra container's root: empty, cocker-infra is bound into it
 *
 * Names are reserved in <store>/pod-names/ (NameRegistry).
 * A pod's containers are the container records that name it (record.pod); its state is
 * theirs, read when asked (podStatus), so nothing in pod.json goes stale.
 */
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { heldByRecordOrCreator, NameRegistry } from '../sys/name-registry.js'

/** The namespaces a pod's containers share: Podman's default --share. */
export const SHARED_NAMESPACES = ['network', 'ipc', 'uts'] as const
export type SharedNamespace = (typeof SHARED_NAMESPACES)[number]

export interface PodRecord {
  /** 64 hex digits. */
  id: string
  name: string
  /** ISO 8601 with nanoseconds. */
  created: string
  createCommand?: string[]
  labels: Record<string, string>
  /** --hostname: the UTS name its containers share, else the pod's name (the infra's config has it). */
  hostname?: string
  /** The container that holds the shared namespaces (cocker-infra). */
  infraId: string
  share: SharedNamespace[]
}

export const podsRoot = (storeRoot: string) => path.join(storeRoot, 'pods')
export const podDirOf = (storeRoot: string, id: string) => path.join(storeRoot, 'pods', id)
export const podRootfs = (podDir: string) => path.join(podDir, 'rootfs')
const namesRoot = (storeRoot: string) => path.join(storeRoot, 'pod-names')
const podNames = (storeRoot: string) =>
  new NameRegistry(namesRoot(storeRoot), id => heldByRecordOrCreator(podDirOf(storeRoot, id), 'pod.json'))

export interface FoundPod {
  record: PodRecord
  dir: string
}

export function readPodRecord(dir: string): PodRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'pod.json'), 'utf8')) as PodRecord
  } catch {
    return undefined
  }
}

export function writePodRecord(dir: string, record: PodRecord): void {
  const tmp = path.join(dir, `.pod.json.${process.pid}`)
  writeFileSync(tmp, JSON.stringify(record))
  renameSync(tmp, path.join(dir, 'pod.json'))
}

/** Every pod with a record, oldest first. */
export function listPods(storeRoot: string): FoundPod[] {
  let ids: string[] = []
  try {
    ids = readdirSync(podsRoot(storeRoot)).filter(id => /^[0-9a-f]{64}$/.test(id))
  } catch { /* no pods yet */ }
  return ids.flatMap(id => {
    const dir = podDirOf(storeRoot, id)
    const record = readPodRecord(dir)
    return record ? [{ record, dir }] : []
  }).sort((a, b) => (a.record.created < b.record.created ? -1 : a.record.created > b.record.created ? 1 : 0))
}

/** A pod by full id, name or unique id prefix, as containers are found; undefined when none matches. */
export function findPod(storeRoot: string, nameOrId: string): FoundPod | undefined {
  const byId = (id: string) => {
    const dir = podDirOf(storeRoot, id)
    const record = readPodRecord(dir)
    return record ? { record, dir } : undefined
  }
  if (/^[0-9a-f]{64}$/.test(nameOrId)) {
    const found = byId(nameOrId)
    if (found) return found
  }
  const owner = /^[\w][\w.-]*$/.test(nameOrId) ? podNames(storeRoot).owner(nameOrId) : undefined
  const named = owner ? byId(owner) : undefined
  if (named?.record.name === nameOrId) return named
  if (!/^[0-9a-f]+$/.test(nameOrId)) return undefined
  const matches = listPods(storeRoot).filter(p => p.record.id.startsWith(nameOrId))
  if (matches.length > 1) {
    throw new CockerError('INVALID_ARGUMENT', `more than one pod matches the id prefix "${nameOrId}": ${matches.map(m => m.record.id.slice(0, 12)).join(', ')}`,
      { hint: 'give more characters of the id, or the name' })
  }
  return matches[0]
}

/** Podman's error for a pod that does not exist, in its words, which scripts match. */
export const podNotFound = (nameOrId: string) => new CockerError('POD_NOT_FOUND', `no pod with name or ID ${nameOrId} found: no such pod`)

/** findPod, or podNotFound. */
export function requirePod(storeRoot: string, nameOrId: string): FoundPod {
  const found = findPod(storeRoot, nameOrId)
  if (!found) throw podNotFound(nameOrId)
  return found
}

/** Reserves a pod name, atomically (NameRegistry). Throws when a pod holds it. */
export function reservePodName(storeRoot: string, name: string, id: string): void {
  const names = podNames(storeRoot)
  if (names.reserve(name, id)) return
  const owner = names.owner(name)
  if (owner) {
    throw new CockerError('POD_EXISTS', `the pod name "${name}" is already in use by ${owner}`,
      { hint: 'remove that pod first, or choose another name' })
  }
  throw new CockerError('POD_EXISTS', `the pod name "${name}" is being taken by another command`, { hint: 'choose another name' })
}

export const releasePodName = (storeRoot: string, name: string, id: string) => podNames(storeRoot).release(name, id)
