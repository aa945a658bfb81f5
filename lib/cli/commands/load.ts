import { CockerError } from '../../errors.js'
import { loadArchive } from '../../image/load.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { openInputFile } from './input-file.js'
import { driverFor, storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const input = args.input as string | undefined
  if (!input && process.stdin.isTTY) {
    throw new CockerError('INVALID_ARGUMENT', 'cannot read from terminal, use command-line redirection or the --input flag')
  }
  const source = input ? openInputFile(input, ctx.cwd, 'a docker-archive or oci-archive file (load reads no directories)') : process.stdin
  const store = storeFor(ctx)
  await driverFor(ctx, store)
  const loaded = await loadArchive(source, { store, name: input ?? 'stdin' })
  const names = loaded.flatMap(i => (i.names.length ? i.names : [`sha256:${i.id}`]))
  return { stdout: names.map(n => `Loaded image: ${n}\n`).join('') }
}
