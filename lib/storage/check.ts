/**
 * `system check`: finds what crashes and outside hands leave in a store, and with
 * repair removes it. Problems, by subject:
 *   - tmp/ entries (staging dirs, temp files, detached trees, the staging dirs of
 *     shifted layer copies) older than maxAge; a whole copy lives in its layer's dir,
 *     layers/<id>/mapped/ (mapped-layers.ts), and leaves with it;
 *   - layers/<id> dirs without a record, older than maxAge (a crash between rename and
 *     record); recorded layers whose dir is missing; layers no image uses, older
 *     than maxAge; missing or dangling short links;
 *   - images whose layers, config or manifest blob are missing, or whose blobs no
 *     longer match their digest (skipped with quick);
 *   - blobs no image needs, older than maxAge; corrupt layer blobs;
 *   - containers/<id> dirs whose `cocker run` was killed (its creator stamp names a process
 *     that is gone), whatever their age.
 * maxAge (default 24 h, podman's --max) spares what a running pull is still creating.
 * Repair removes damaged images (never one a container uses), then what nothing needs.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { stampAlive } from '../sys/proc.js'
import { readIfPresent } from '../sys/read.js'
import { readMetadata, updateMetadata, type Metadata } from './metadata.js'
import { imageBlobs, layerClosure, type RemoveReport, type Store } from './store.js'

export interface CheckOptions {
  /** Fix what can be fixed. */
  repair?: boolean
  /** Skip digest verification of blobs. */
  quick?: boolean
  /** Seconds; unrecorded or unused things younger than this are left alone. Default 24 h. */
  maxAge?: number
}

export type ProblemSubject = 'layer' | 'image' | 'blob' | 'link' | 'tmp' | 'container' | 'pod'

export interface CheckProblem {
  subject: ProblemSubject
  /** Layer or image ID, digest, link name or tmp/ entry name. */
  name: string
  message: string
}

export interface CheckReport {
  problems: CheckProblem[]
  /** With repair: what was removed or fixed, as [subject, name]. */
  removed: { subject: ProblemSubject; name: string }[]
}

const DAY = 24 * 3600

export async function checkStore(store: Store, opts: CheckOptions = {}): Promise<CheckReport> {
  const maxAge = opts.maxAge ?? DAY
  const { paths } = store
  const report: CheckReport = { problems: [], removed: [] }
  let md: Metadata
  try {
    md = readMetadata(paths)
  } catch (err) {
    if (err instanceof CockerError && err.code === 'STORE_CORRUPT') {
      report.problems.push({ subject: 'tmp', name: path.basename(paths.metadata), message: err.message })
      return report
    }
    throw err
  }
  const problem = (subject: ProblemSubject, name: string, message: string) => report.problems.push({ subject, name, message })
  const old = (p: string) => store.ageSeconds(p) >= maxAge

  for (const name of list(paths.tmp)) {
    if (old(path.join(paths.tmp, name))) problem('tmp', name, `tmp/${name} is left over from an interrupted operation`)
  }

  const containers = path.join(paths.root, 'containers')
  for (const id of list(containers)) {
    // a container with a record is the lifecycle's (cli/commands/system-check.ts reconciles those)
    const record = readIfPresent(path.join(containers, id, 'container.json'))
    if (record !== undefined && !record.includes('"status":"removing"')) continue
    const stamp = readIfPresent(path.join(containers, id, 'creator')) ?? ''
    if (record !== undefined || (!stampAlive(stamp) && (stamp || old(path.join(containers, id))))) {
      problem('container', id, `containers/${id} is left over from a \`cocker ${record ? 'rm' : 'run` or `create'}\` that was killed`)
    }
  }

  // pods/<id> of a `pod create` killed before its record (lib/pod/record.ts)
  const pods = path.join(paths.root, 'pods')
  for (const id of list(pods)) {
    if (existsSync(path.join(pods, id, 'pod.json'))) continue
    const stamp = readIfPresent(path.join(pods, id, 'creator')) ?? ''
    if (!stampAlive(stamp) && (stamp || old(path.join(pods, id)))) problem('pod', id, `pods/${id} is left over from a \`cocker pod create\` that was killed`)
  }

  const recorded = new Map(md.layers.map(l => [l.id, l]))
  const used = new Set(md.images.flatMap(i => layerClosure(md, i.layers)))
  for (const id of list(paths.layers)) {
    if (!recorded.has(id) && old(path.join(paths.layers, id))) problem('layer', id, `layers/${id} is not recorded in the metadata`)
  }
  const missingLayers = new Set<string>()
  for (const layer of md.layers) {
    if (!existsSync(store.layers.diffDir(layer.id))) {
      missingLayers.add(layer.id)
      problem('layer', layer.id, `layers/${layer.id}/diff is missing`)
      continue
    }
    if (!used.has(layer.id) && old(path.join(paths.layers, layer.id))) problem('layer', layer.id, 'no image uses the layer')
    if (readLink(path.join(paths.links, layer.link)) !== `../layers/${layer.id}/diff`) {
      problem('link', layer.link, `l/${layer.link} does not point to layers/${layer.id}/diff`)
    }
  }
  const links = new Set(md.layers.map(l => l.link))
  for (const name of list(paths.links)) {
    if (!links.has(name) && old(path.join(paths.links, name))) problem('link', name, `l/${name} belongs to no recorded layer`)
  }

  const neededBlobs = new Set(md.images.flatMap(i => imageBlobs(md, i)))
  const corrupt = new Set<string>()
  for (const hex of list(paths.blobs)) {
    const digest = `sha256:${hex}`
    if (!neededBlobs.has(digest)) {
      if (old(path.join(paths.blobs, hex))) problem('blob', digest, 'no image needs the blob')
    } else if (!opts.quick && !(await store.blobs.verify(digest).catch(() => false))) {
      corrupt.add(digest)
    }
  }
  const damaged = new Set<string>()
  for (const image of md.images) {
    const errors: string[] = []
    for (const id of layerClosure(md, image.layers)) {
      if (!recorded.has(id)) errors.push(`layer ${id} is not recorded`)
      else if (missingLayers.has(id)) errors.push(`layer ${id} is missing its content`)
    }
    for (const digest of [image.configDigest, image.manifestDigest]) {
      if (!store.blobs.has(digest)) errors.push(`blob ${digest} is missing`)
      else if (corrupt.has(digest)) errors.push(`blob ${digest} does not match its digest`)
    }
    for (const digest of imageBlobs(md, image).slice(2)) {
      if (corrupt.has(digest)) errors.push(`layer blob ${digest} does not match its digest`)
    }
    if (errors.length) damaged.add(image.id)
    for (const message of errors) problem('image', image.id, message)
  }

  if (opts.repair && report.problems.length) await repair(store, report, damaged, corrupt)
  return report
}

async function repair(store: Store, report: CheckReport, damaged: Set<string>, corrupt: Set<string>): Promise<void> {
  const { paths } = store
  const removed = report.removed
  const bySubject = (s: string) => new Set(report.problems.filter(p => p.subject === s).map(p => p.name))
  const problemLayers = bySubject('layer')
  const problemLinks = bySubject('link')
  const problemBlobs = bySubject('blob')
  const drop: RemoveReport = { untagged: [], deleted: [], errors: [] }
  const detached = await updateMetadata(paths, md => {
    const doomed = md.images.filter(i => damaged.has(i.id) && store.usedBy(i.id).length === 0)
    const dirs = store.dropImages(md, doomed, drop)
    for (const id of drop.deleted) removed.push({ subject: 'image', name: id })
    const recorded = new Map(md.layers.map(l => [l.id, l]))
    const used = new Set(md.images.flatMap(i => layerClosure(md, i.layers)))
    // Damaged or unused layers go; an unrecorded dir goes as it is.
    const dropLayers = md.layers.filter(l => problemLayers.has(l.id) && !used.has(l.id))
    md.layers = md.layers.filter(l => !dropLayers.includes(l))
    dirs.push(...store.layers.detach(dropLayers))
    for (const id of problemLayers) {
      if (recorded.has(id) && !dropLayers.some(l => l.id === id)) continue
      if (!recorded.has(id)) dirs.push(...store.layers.detach([{ id, link: readLinkName(store, id) }]))
      removed.push({ subject: 'layer', name: id })
    }
    for (const layer of md.layers) {
      if (!problemLinks.has(layer.link)) continue
      const link = path.join(paths.links, layer.link)
      rmQuiet(link)
      symlinkSync(`../layers/${layer.id}/diff`, link)
      removed.push({ subject: 'link', name: layer.link })
    }
    const links = new Set(md.layers.map(l => l.link))
    for (const name of problemLinks) {
      if (links.has(name)) continue
      rmQuiet(path.join(paths.links, name))
      removed.push({ subject: 'link', name })
    }
    const needed = new Set(md.images.flatMap(i => imageBlobs(md, i)))
    for (const digest of new Set([...problemBlobs, ...corrupt])) {
      if (needed.has(digest) && !corrupt.has(digest)) continue
      store.blobs.remove(digest)
      removed.push({ subject: 'blob', name: digest })
    }
    return dirs
  })
  for (const p of report.problems.filter(p => p.subject === 'tmp')) {
    await store.removeTree(path.join(paths.tmp, p.name))
    removed.push({ subject: 'tmp', name: p.name })
  }
  for (const p of report.problems.filter(p => p.subject === 'container')) {
    await store.removeTree(path.join(paths.root, 'containers', p.name))
    removed.push({ subject: 'container', name: p.name })
  }
  for (const p of report.problems.filter(p => p.subject === 'pod')) {
    await store.removeTree(path.join(paths.root, 'pods', p.name))
    removed.push({ subject: 'pod', name: p.name })
  }
  await store.layers.removeDetached(detached)
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

function readLink(p: string): string | undefined {
  try {
    return readlinkSync(p)
  } catch {
    return undefined
  }
}

/** An unrecorded dir's link name, from its link file; '' when it has none. */
function readLinkName(store: Store, id: string): string {
  try {
    return readFileSync(path.join(store.paths.layers, id, 'link'), 'utf8').trim()
  } catch {
    return ''
  }
}

function rmQuiet(p: string): void {
  try {
    unlinkSync(p)
  } catch {
    // already gone
  }
}
