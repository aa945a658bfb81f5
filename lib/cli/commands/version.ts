import { existsSync } from 'node:fs'
import { helperPath } from '../../runtime/helper.js'
import type { Outcome } from '../command.js'
import { packageVersion } from '../../package-root.js'

export async function run(): Promise<Outcome> {
  const helper = helperPath()
  const note = existsSync(helper) ? '' : ' (not found)'
  return { stdout: `cocker version ${packageVersion()}\nnode: ${process.version}\nhelper: ${helper}${note}\n` }
}
