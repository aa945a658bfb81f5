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
import { attachedStatus } from './bridge/state.js'

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

/** Undoes setupNetwork; safe to call for any container, any number of times. */
export async function teardownNetwork(engine: Engine, record: ContainerRecord): Promise<void> {
  if (record.bridgeNetwork) await (await import('./bridge/attach.js')).detachContainer(bridgePaths(engine), record.id)
}
