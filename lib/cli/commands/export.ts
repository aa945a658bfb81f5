import { closeSync, openSync } from 'node:fs'
import { isatty } from 'node:tty'
import { exportContainer } from '../../container/copy.js'
import { CockerError } from '../../errors.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, requireContainer } from './container-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const found = requireContainer(engine.storeRoot, args.container as string)
  const output = args.output as string | undefined
  if (!output) {
    if (isatty(1)) throw new CockerError('INVALID_ARGUMENT', 'refusing to export to a terminal', { hint: 'use -o FILE or redirect the output' })
    // fd 1 as it is: a pipe another user made cannot be reopened through /dev/stdout
    await exportContainer(engine, found, 1)
    return {}
  }
  const fd = openSync(output, 'w', 0o644)
  try {
    await exportContainer(engine, found, fd)
  } finally {
    closeSync(fd)
  }
  return {}
}
