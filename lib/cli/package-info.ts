import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The repository (or installed package) root: dist/lib/cli/ is three levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

let version: string | undefined

export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: string }).version
  return version
}
