/**
 * Where the store lives, decided in one place. A rootless user's store is under
 * $XDG_DATA_HOME/cocker (default ~/.local/share/cocker); root's is /var/lib/cocker.
 * Heavy commands of a rootless user run re-executed in a user namespace where
 * geteuid() is 0: the re-exec sets _COCKER_USERNS_UID to the real uid, so the store
 * stays the user's there (lib/rootless/identity.ts). Cheap to import: every command reads this.
 */
import os from 'node:os'
import path from 'node:path'
import { inRootlessUserNamespace, isRootless } from '../rootless/identity.js'

export const STORAGE_ROOT_ENV = 'COCKER_STORAGE_ROOT'

/** The store's root: `--root`, else $COCKER_STORAGE_ROOT, else the user's or root's default. */
export function storeRoot(opts: { root?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = opts.env ?? process.env
  if (opts.root) return path.resolve(opts.root)
  if (env[STORAGE_ROOT_ENV]) return path.resolve(env[STORAGE_ROOT_ENV]!)
  if (!isRootless(env)) return '/var/lib/cocker'
  const data = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(homeDir(env), '.local/share')
  return path.join(data, 'cocker')
}

function homeDir(env: NodeJS.ProcessEnv): string {
  if (env.HOME) return env.HOME
  // Inside the user namespace os.homedir() would say root's; cocker hands HOME down (cli/main.ts).
  if (!inRootlessUserNamespace(env)) return os.homedir()
  throw new Error('HOME is not set: cannot locate the rootless store (set HOME, XDG_DATA_HOME or --root)')
}

/** The store's layout (DESIGN.md §4). */
export interface StorePaths {
  root: string
  /** blobs/sha256/<hex>: manifests, configs, compressed layers. */
  blobs: string
  /** layers/<chain id hex>/diff: unpacked layers. */
  layers: string
  /** l/<short>: symlinks to ../layers/<id>/diff, so many lowerdirs fit in one mount option. */
  links: string
  /** Staging dirs and temp files, on the store's filesystem so renames are atomic. */
  tmp: string
  /** The one metadata file: images and layers. */
  metadata: string
  /** flock'ed by metadata transactions. */
  lock: string
}

export function storePaths(root: string): StorePaths {
  return {
    root,
    blobs: path.join(root, 'blobs/sha256'),
    layers: path.join(root, 'layers'),
    links: path.join(root, 'l'),
    tmp: path.join(root, 'tmp'),
    metadata: path.join(root, 'storage.json'),
    lock: path.join(root, 'storage.lock'),
  }
}
