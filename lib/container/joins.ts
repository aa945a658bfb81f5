/**
 * `--network/--ipc/--uts/--pid container:ID|NAME`, and a pod's containers joining its infra:
 * a container that uses another one's namespaces. `create` resolves the other container to its
 * id once (record.joins); every `start` then points config.json at that container's current
 * init (/proc/PID/ns/…), since a restart gives it a new one. Rootless, the other container's
 * namespaces belong to its user namespace, so that is joined too, in place of a new one.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import type { NamespaceType, Spec } from '../runtime/oci-spec.js'
import type { RunOptions } from '../spec/run-options.js'
import { containerDirOf, observe, readRecordFile, requireContainer, type ContainerRecord } from './record.js'

export type JoinableNamespace = 'network' | 'ipc' | 'uts' | 'pid'
export type Joins = NonNullable<ContainerRecord['joins']>

const JOINABLE: JoinableNamespace[] = ['network', 'ipc', 'uts', 'pid']
const PROC_NAMES: Record<JoinableNamespace | 'user', string> = { network: 'net', ipc: 'ipc', uts: 'uts', pid: 'pid', user: 'user' }

/**
 * The containers `o` names in container: modes, by full id, with the options rewritten to
 * those ids; and the hostname a shared UTS namespace has (the other container's).
 */
export function resolveJoins(storeRoot: string, o: RunOptions): { joins: Joins; hostname?: string } {
  const joins: Joins = {}
  let hostname: string | undefined
  for (const type of JOINABLE) {
    const mode = o[type]
    if (mode.mode !== 'container') continue
    const found = requireContainer(storeRoot, mode.container)
    const config = configOf(path.join(found.dir, 'userdata'))
    if (type === 'uts') hostname = config.hostname
    // a namespace the other container shares with the host, or has by path, is shared so too
    const theirs = config.linux?.namespaces?.find(n => n.type === type)
    if (!theirs) o[type] = { mode: 'host' }
    else if (theirs.path) o[type] = { mode: 'path', path: theirs.path }
    else {
      joins[type] = found.record.id
      o[type] = { mode: 'container', container: found.record.id }
    }
  }
  return { joins, ...(hostname !== undefined ? { hostname } : {}) }
}

/**
 * Rewrites the bundle's config.json to join the namespaces of the containers `record` joins,
 * as they run now. Throws, naming the container, when one of them does not run.
 */
export function pointJoinsAtInits(storeRoot: string, record: ContainerRecord, bundle: string, rootless: boolean): void {
  const joins = record.joins ?? {}
  const spec = configOf(bundle)
  const namespaces = (spec.linux?.namespaces ?? []).filter(n => !(n.type in joins) && !(rootless && n.type === 'user'))
  let userOf: number | undefined
  for (const [type, id] of Object.entries(joins) as [JoinableNamespace, string][]) {
    const pid = runningInit(storeRoot, id, record.name, type)
    namespaces.push({ type, path: `/proc/${pid}/ns/${PROC_NAMES[type]}` })
    userOf ??= pid
  }
  if (rootless && userOf !== undefined) namespaces.push({ type: 'user' as NamespaceType, path: `/proc/${userOf}/ns/user` })
  const { uidMappings: _u, gidMappings: _g, ...linux } = spec.linux ?? {}
  const joined: Spec = { ...spec, linux: { ...(rootless ? linux : spec.linux), namespaces } }
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(joined))
}

function runningInit(storeRoot: string, id: string, joiner: string, type: JoinableNamespace): number {
  const dir = containerDirOf(storeRoot, id)
  const record = readRecordFile(dir)
  if (!record) {
    throw new CockerError('CONTAINER_NOT_FOUND', `${joiner} joins the ${type} namespace of container ${id.slice(0, 12)}, which no longer exists`,
      { hint: `remove ${joiner} and create it again` })
  }
  const state = observe(record, dir)
  if ((state.status !== 'running' && state.status !== 'paused') || !state.pid) {
    throw new CockerError('CONTAINER_STATE_INVALID', `${joiner} joins the ${type} namespace of container ${record.name}, which is not running`,
      { hint: `start ${record.name} first` })
  }
  return state.pid
}

const configOf = (bundle: string) => JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as Spec
