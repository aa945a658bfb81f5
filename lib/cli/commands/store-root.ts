// The store as the read commands see it, without opening it: ps, inspect and top read
// container records under its root; images reads its metadata. Cheap to import: no
// node:crypto, node:stream or layer store (store-context.ts opens the store).
import { checkDriver } from '../../storage/driver.js'
import { readMetadata, type Metadata } from '../../storage/metadata.js'
import { storePaths, storeRoot, type StorePaths } from '../../storage/paths.js'
import type { CliContext } from '../command.js'

/** The store's root: --root, else COCKER_STORAGE_ROOT, else the user's. */
export function storeRootFor(ctx: CliContext): string {
  return storeRoot({ root: ctx.globals.root as string | undefined, env: ctx.env })
}

/** The store's metadata as it is now (lock-free), read once; DRIVER_MISMATCH as storeFor. */
export function storeMetadataFor(ctx: CliContext): { paths: StorePaths; metadata: Metadata } {
  const paths = storePaths(storeRootFor(ctx))
  const metadata = readMetadata(paths)
  checkDriver({ paths, metadata: () => metadata }, { flag: ctx.globals.storageDriver as string | undefined, env: ctx.env })
  return { paths, metadata }
}
