/**
 * The one place the container lifecycle calls into for its network: `setupNetwork` at the
 * createRuntime hook point (the init exists, its namespaces too, nothing runs yet) and
 * `teardownNetwork` at its clean-up. Only containers that need it pay for it (needsNetworkSetup):
 * the modules behind are loaded by them alone.
 *
 * (bridge engineer's minimal version: the net engineer's branch owns this file; the bridge
 * case below is what the merge keeps.)
 */
import path from 'node:path'
import type { Engine } from '../container/engine.js'
import { runtimeStateDir } from '../container/engine.js'
import type { ContainerRecord } from '../container/record.js'
import { CockerError } from '../errors.js'
import { readIfPresent } from '../sys/read.js'
import { attachedStatus, type NetworkAttachment } from './bridge/state.js'

/** Whether the container's start stops at the hook point for its network. */
export function needsNetworkSetup(record: ContainerRecord): boolean {
  return Boolean(record.bridgeNetwork)
}

/** The run dir that bridge networks keep their state under (/run/cocker as root). */
export const bridgePaths = (engine: Pick<Engine, 'env'>) => ({ runDir: path.dirname(runtimeStateDir(engine.env)) })

export async function setupNetwork(engine: Engine, record: ContainerRecord, pid: number): Promise<void> {
  if (record.bridgeNetwork) {
    const { attachContainer } = await import('./bridge/attach.js')
    await attachContainer(bridgePaths(engine), { storeRoot: engine.storeRoot, id: record.id, name: record.name, pid, attachment: record.bridgeNetwork })
  }
}

/** The container's address on its bridge network while it is attached (inspect). */
export function bridgeStatus(record: ContainerRecord) {
  return attachedStatus(bridgePaths({ env: process.env }), record.id)
}

/**
 * `network connect`: the container joins the network, at once when it runs (its namespace is
 * there), else at its next start. One bridge network per container for now.
 */
export async function connectContainer(engine: Engine, found: { record: ContainerRecord; dir: string }, attachment: NetworkAttachment): Promise<void> {
  const { observe, readRecordFile, withContainerLock, writeRecordFile } = await import('../container/record.js')
  const { requireNetwork } = await import('./bridge/networks.js')
  const def = requireNetwork(engine.storeRoot, attachment.network)
  if (engine.rootless) {
    throw new CockerError('NOT_SUPPORTED', `network connect ${def.name}: bridge networks are not supported rootless yet`, { hint: 'run it as root' })
  }
  await withContainerLock(found.dir, async () => {
    const record = readRecordFile(found.dir)!
    const on = record.bridgeNetwork?.network
    if (on === def.name) throw new CockerError('INVALID_ARGUMENT', `container ${record.name} is already connected to network ${def.name}`)
    if (on) {
      throw new CockerError('NOT_SUPPORTED', `container ${record.name} is on network ${on}: a container on more than one network is not supported yet`,
        { hint: `disconnect it first with "cocker network disconnect ${on} ${record.name}"` })
    }
    const ns = sharedNetworkNamespace(found.dir)
    if (ns) throw new CockerError('INVALID_ARGUMENT', `container ${record.name} has ${ns}: it cannot join a bridge network`)
    if (attachment.ip) (await import('./bridge/attach.js')).checkRequestedIp(def, attachment.ip)
    record.bridgeNetwork = { ...attachment, network: def.name }
    if (observe(record, found.dir).status === 'running') await setupNetwork(engine, record, record.state.pid)
    writeRecordFile(found.dir, record)
  })
}

/** `network disconnect`: the container leaves its network, at once when it runs. */
export async function disconnectContainer(engine: Engine, found: { record: ContainerRecord; dir: string }, network: string): Promise<void> {
  const { readRecordFile, withContainerLock, writeRecordFile } = await import('../container/record.js')
  const { requireNetwork } = await import('./bridge/networks.js')
  const def = requireNetwork(engine.storeRoot, network)
  await withContainerLock(found.dir, async () => {
    const record = readRecordFile(found.dir)!
    if (record.bridgeNetwork?.network !== def.name) {
      throw new CockerError('INVALID_ARGUMENT', `container ${record.name} is not connected to network ${def.name}`)
    }
    await teardownNetwork(engine, record)
    delete record.bridgeNetwork
    writeRecordFile(found.dir, record)
  })
}

/** The host's network namespace or another's path, which a container of that mode shares: undefined for its own. */
function sharedNetworkNamespace(dir: string): string | undefined {
  const config = readIfPresent(path.join(dir, 'userdata', 'config.json'))
  const namespaces = config ? (JSON.parse(config) as { linux?: { namespaces?: { type: string; path?: string }[] } }).linux?.namespaces ?? [] : []
  const net = namespaces.find(n => n.type === 'network')
  if (!net) return 'the host\'s network (--network host)'
  return net.path ? `the network namespace ${net.path}` : undefined
}

/** Undoes setupNetwork; safe to call for any container, any number of times. */
export async function teardownNetwork(engine: Engine, record: ContainerRecord): Promise<void> {
  if (record.bridgeNetwork) await (await import('./bridge/attach.js')).detachContainer(bridgePaths(engine), record.id)
}
