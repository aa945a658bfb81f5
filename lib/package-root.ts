import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/**
 * The checkout or installed package: where bin/, c/ and package.json are. Modules
 * and bundles sit two directories below it (dist/lib/, dist/bundle/); a program
 * started from a heap snapshot has no module URL of its own and sets it instead.
 */
export function packageRoot(): string {
  root ??= fileURLToPath(new URL('../../', import.meta.url))
  return root
}

/** bin/cocker, for what cocker runs of itself: a command inside the user namespace, a unit's ExecStart, a detached --rm's remover. */
export function cockerProgram(): string {
  return `${packageRoot()}bin/cocker`
}

export function setPackageRoot(dir: string): void {
  root = dir.endsWith('/') ? dir : `${dir}/`
}

let version: string | undefined

/** cocker's version, from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(`${packageRoot()}package.json`, 'utf8')) as { version: string }).version
  return version
}
