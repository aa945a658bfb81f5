import { CockerError } from '../../errors.js'
import { removeAllCredentials, removeCredentials } from '../../image/auth-file.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { registryKey } from './login.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const opts = { env: ctx.env, authfile: args.authfile as string | undefined }
  if (args.all) {
    if (args.registry) throw new CockerError('INVALID_ARGUMENT', '--all takes no registry')
    await removeAllCredentials(opts)
    return { stdout: 'Removed login credentials for all registries\n' }
  }
  const key = await registryKey(args.registry as string | undefined, ctx.env, 'logout')
  const result = await removeCredentials(key, opts)
  if (result === 'elsewhere') {
    throw new CockerError('INVALID_ARGUMENT', `not logged into ${key} with current tool: existing credentials were established via docker login`, {
      hint: 'use docker logout instead',
    })
  }
  if (result === 'not-found') throw new CockerError('INVALID_ARGUMENT', `not logged into ${key}`)
  return { stdout: `Removed login credentials for ${key}\n` }
}
