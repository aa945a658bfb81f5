// The store a command works on: --root, else COCKER_STORAGE_ROOT, else the user's; and its
// driver, chosen (and recorded) on first use: --storage-driver, STORAGE_DRIVER, storage.conf, probe.
import { checkDriver, resolveDriver, type DriverName } from '../../storage/driver.js'
import { openStore, type Store } from '../../storage/store.js'
import { containersUsing } from '../../container/rootfs.js'
import type { CliContext } from '../command.js'
import { storeRootFor } from './store-root.js'

/** The store; DRIVER_MISMATCH when this command names another driver than the store's. */
export function storeFor(ctx: CliContext): Store {
  const root = storeRootFor(ctx)
  const store = openStore({ root, env: ctx.env, usedBy: imageId => containersUsing(root, imageId) })
  checkDriver(store, { flag: ctx.globals.storageDriver as string | undefined, env: ctx.env })
  return store
}

/** The store's driver; says on stderr why, when the probe chose a slower one than overlay. */
export async function driverFor(ctx: CliContext, store: Store): Promise<DriverName> {
  // the probe (the helper, node:net, node:crypto) loads only where a driver is chosen
  const { overlayProbe } = await import('../../container/overlay-probe.js')
  const choice = await resolveDriver(store, { flag: ctx.globals.storageDriver as string | undefined, env: ctx.env, probe: overlayProbe(store, ctx.env) })
  if (choice.warning) process.stderr.write(`WARN: ${choice.warning}\n`)
  return choice.name
}
