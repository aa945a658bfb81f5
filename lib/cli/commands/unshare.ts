import { CockerError } from '../../errors.js'
import { USERNS_UID_ENV } from '../../rootless/identity.js'
import { runInUserNamespace } from '../../rootless/userns.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  if (process.geteuid!() === 0) {
    throw new CockerError('INVALID_ARGUMENT', 'cocker unshare is for rootless users: root needs no user namespace', { hint: 'run the command directly' })
  }
  const command = args.command as string[] | undefined
  const exitCode = await runInUserNamespace(command?.length ? command : [ctx.env.SHELL || '/bin/sh'], {
    env: { ...ctx.env, CONTAINERS_ROOTLESS_UID: String(process.geteuid!()), [USERNS_UID_ENV]: String(process.geteuid!()) },
    cwd: ctx.cwd,
    warn: m => process.stderr.write(`WARN: ${m}\n`),
  })
  return { exitCode }
}
