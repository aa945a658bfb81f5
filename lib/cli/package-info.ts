import { readFileSync } from 'node:fs'
import { packageRoot } from '../package-root.js'

let version: string | undefined

export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(`${packageRoot()}package.json`, 'utf8')) as { version: string }).version
  return version
}
