// The store a command works on: --root, else COCKER_STORAGE_ROOT, else the user's.
import { openStore, type Store } from '../../storage/store.js'
import type { CliContext } from '../command.js'

export function storeFor(ctx: CliContext): Store {
  return openStore({ root: ctx.globals.root as string | undefined, env: ctx.env })
}
