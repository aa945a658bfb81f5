import { existsSync } from 'node:fs'
import type { CliContext, Outcome } from '../command.js'
import { PACKAGE_ROOT, packageVersion } from '../package-info.js'

export async function run(_args: unknown, ctx: CliContext): Promise<Outcome> {
  const helper = ctx.env.COCKER_HELPER || `${PACKAGE_ROOT}c/cocker-helper`
  const note = existsSync(helper) ? '' : ' (not found)'
  return { stdout: `cocker version ${packageVersion()}\nnode: ${process.version}\nhelper: ${helper}${note}\n` }
}
