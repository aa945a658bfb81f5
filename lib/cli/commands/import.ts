import { CockerError } from '../../errors.js'
import { importTarball } from '../../image/import.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { openInputFile } from './input-file.js'
import { driverFor, storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const file = args.file as string
  if (/^https?:\/\//.test(file)) {
    throw new CockerError('NOT_SUPPORTED', `${file}: importing from a URL is not supported`, { hint: 'download it first (curl -o FILE URL), then import FILE' })
  }
  if (file === '-' && process.stdin.isTTY) throw new CockerError('INVALID_ARGUMENT', 'cannot read from terminal, use command-line redirection')
  const source = file === '-' ? process.stdin : openInputFile(file, ctx.cwd, 'a tarball of the root filesystem (tar -C DIR -cf FILE .)')
  const store = storeFor(ctx)
  await driverFor(ctx, store)
  const image = await importTarball(source, {
    store,
    changes: args.change as string[],
    ...(args.message ? { message: args.message as string } : {}),
    ...(args.reference ? { reference: args.reference as string } : {}),
    name: file === '-' ? 'stdin' : file,
  })
  return { stdout: `sha256:${image.id}\n` }
}
