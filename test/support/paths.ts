import { fileURLToPath } from 'node:url'
import path from 'node:path'

/** The checkout (or staged copy) this file runs from: dist/test/support/ is three levels down. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')

/** Where a source-tree file lives, e.g. `repoPath('test/support/rootless-user.sh')`. */
export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts)
}

/** bin/cocker-runtime of this checkout; rootless runs use rootlessRuntimeBin() instead. */
export const RUNTIME_BIN = repoPath('bin/cocker-runtime')
