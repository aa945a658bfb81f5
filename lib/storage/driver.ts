/**
 * The storage driver: how the store keeps layers and makes a container's root.
 *
 *   overlay         layers unpacked once each (whiteouts as overlay reads them), stacked
 *                   by a kernel overlay mount in the container's mount namespace
 *                   (rootless: userxattr, kernel 5.11 or later)
 *   fuse-overlayfs  the same layers, stacked by the fuse-overlayfs program instead
 *   vfs             each layer a full copy of its parent's tree with its own changes
 *                   applied; a container's root is a copy of its image's top layer
 *
 * The driver is a property of the store, recorded in its metadata when it is first
 * used, as containers/storage does: a later --storage-driver, STORAGE_DRIVER or
 * storage.conf that names another driver is refused with podman's error until
 * `system reset` empties the store. The first use picks --storage-driver, else
 * $STORAGE_DRIVER, else storage.conf's, else probes: overlay when an overlay mount
 * works, else fuse-overlayfs when it can run, else vfs, with a warning that says why.
 */
import { accessSync, constants, existsSync } from 'node:fs'
import path from 'node:path'
import { loadStorageConf } from '../config/storage-conf.js'
import { CockerError } from '../errors.js'
import { isRootless } from '../rootless/identity.js'
import { updateMetadata } from './metadata.js'
import type { Store } from './store.js'

export const DRIVERS = ['overlay', 'fuse-overlayfs', 'vfs'] as const
export type DriverName = (typeof DRIVERS)[number]

/** Where the driver named for this command came from. */
export type DriverSource = 'flag' | 'env' | 'config'

export interface DriverRequest {
  name: DriverName
  source: DriverSource
  /** The storage.conf that named it. */
  file?: string
}

export interface DriverChoice {
  name: DriverName
  /** 'store': recorded before; 'probe': chosen now by probing; else who named it now. */
  source: DriverSource | 'store' | 'probe'
  /** Why the probe did not choose overlay: said once, when the store records a fallback. */
  warning?: string
}

/** Whether a native overlay mount works here; when not, why (one sentence, no final period). */
export type OverlayProbe = () => Promise<{ ok: true } | { ok: false; reason: string }>

export function isDriverName(name: string): name is DriverName {
  return (DRIVERS as readonly string[]).includes(name)
}

/** containers/storage's aliases: overlay2 is overlay. */
function driverName(name: string, where: string): DriverName {
  const n = name === 'overlay2' ? 'overlay' : name
  if (isDriverName(n)) return n
  throw new CockerError('INVALID_ARGUMENT', `${where}: unknown storage driver "${name}"`, { hint: `use one of ${DRIVERS.join(', ')}` })
}

/** The driver this command names: --storage-driver, $STORAGE_DRIVER, storage.conf; undefined for none. */
export function requestedDriver(o: { flag?: string; env: NodeJS.ProcessEnv }): DriverRequest | undefined {
  if (o.flag) return { name: driverName(o.flag, '--storage-driver'), source: 'flag' }
  if (o.env.STORAGE_DRIVER) return { name: driverName(o.env.STORAGE_DRIVER, 'STORAGE_DRIVER'), source: 'env' }
  const conf = loadStorageConf(o.env, isRootless(o.env))
  if (conf.driver) return { name: driverName(conf.driver, conf.file!), source: 'config', file: conf.file! }
  return undefined
}

/** podman's text (libpod's sqlite state), so scripts that match it keep working. */
export function driverMismatch(recorded: string, requested: DriverRequest, root: string): CockerError {
  const from = requested.source === 'flag' ? '--storage-driver' : requested.source === 'env' ? 'STORAGE_DRIVER' : requested.file
  return new CockerError('STORE_DRIVER_MISMATCH',
    `database graph driver "${recorded}" does not match our graph driver "${requested.name}": database configuration mismatch`,
    { hint: `the store ${root} holds ${recorded} layers and ${from} asks for ${requested.name}: drop that, or run "cocker system reset" (it removes every image) to change drivers` })
}

/** The driver recorded in the store, without probing or recording anything. */
export function recordedDriver(store: Pick<Store, 'metadata'>): DriverName | undefined {
  const md = store.metadata()
  if (md.driver) return md.driver
  // a store filled before drivers were recorded holds overlay layers
  return md.layers.length ? 'overlay' : undefined
}

/** Refuses a command that names another driver than the store's recorded one (cheap: no probe, no write). */
export function checkDriver(store: Pick<Store, 'metadata' | 'paths'>, o: { flag?: string; env: NodeJS.ProcessEnv }): void {
  const recorded = recordedDriver(store)
  if (!recorded) return
  const requested = requestedDriver(o)
  if (requested && requested.name !== recorded) throw driverMismatch(recorded, requested, store.paths.root)
}

/** Whether fuse-overlayfs can run here: the program on PATH and /dev/fuse open to us; else why not. */
export function fuseOverlayfsUsable(env: NodeJS.ProcessEnv): { ok: true; program: string } | { ok: false; reason: string } {
  const program = findProgram('fuse-overlayfs', env)
  if (!program) return { ok: false, reason: 'fuse-overlayfs is not installed' }
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return { ok: false, reason: code === 'ENOENT' ? '/dev/fuse does not exist' : `/dev/fuse is not usable by this user (${code})` }
  }
  return { ok: true, program }
}

export function findProgram(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (!dir || !path.isAbsolute(dir)) continue
    const p = path.join(dir, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * The store's driver: the recorded one (DRIVER_MISMATCH when this command names another),
 * else the one named, else the probe's; recorded in the store before it is returned.
 */
export async function resolveDriver(store: Store, o: { flag?: string; env: NodeJS.ProcessEnv; probe: OverlayProbe }): Promise<DriverChoice> {
  const requested = requestedDriver(o)
  const recorded = recordedDriver(store)
  if (recorded) {
    if (requested && requested.name !== recorded) throw driverMismatch(recorded, requested, store.paths.root)
    if (!store.metadata().driver && existsSync(store.paths.metadata)) await record(store, recorded, requested)
    return { name: recorded, source: 'store' }
  }
  let choice: DriverChoice
  if (requested) choice = { name: requested.name, source: requested.source }
  else {
    const overlay = await o.probe()
    if (overlay.ok) choice = { name: 'overlay', source: 'probe' }
    else {
      const fuse = fuseOverlayfsUsable(o.env)
      choice = fuse.ok
        ? { name: 'fuse-overlayfs', source: 'probe', warning: `native overlay is not possible here (${overlay.reason}): using fuse-overlayfs, which is slower` }
        : {
            name: 'vfs', source: 'probe',
            warning: `native overlay is not possible here (${overlay.reason}) and fuse-overlayfs cannot run (${fuse.reason}): ` +
              'using the vfs driver, which copies every layer and every container\'s root (slow, and large on disk)',
          }
    }
  }
  const name = await record(store, choice.name, requested)
  return name === choice.name ? choice : { name, source: 'store' }
}

/** Records the driver unless another process recorded one first; returns the store's driver. */
async function record(store: Store, name: DriverName, requested: DriverRequest | undefined): Promise<DriverName> {
  return updateMetadata(store.paths, md => {
    if (md.driver) {
      if (requested && requested.name !== md.driver) throw driverMismatch(md.driver, requested, store.paths.root)
      return md.driver
    }
    md.driver = name
    return name
  })
}
