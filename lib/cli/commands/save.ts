import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CockerError } from '../../errors.js'
import { archiveChunks, planSave, saveDirectory, SAVE_FORMATS, type SaveFormat } from '../../image/save.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const format = (args.format as string | undefined) ?? 'docker-archive'
  if (!SAVE_FORMATS.includes(format as SaveFormat)) {
    throw new CockerError('INVALID_ARGUMENT', `unsupported format "${format}"`, { hint: `use one of ${SAVE_FORMATS.join(', ')}` })
  }
  const output = args.output as string | undefined
  const store = storeFor(ctx)
  const plans = planSave(store, { inputs: args.images as string[], multiImage: args.multiImageArchive as boolean, format: format as SaveFormat })
  if (format === 'oci-dir' || format === 'docker-dir') {
    if (!output) throw new CockerError('INVALID_ARGUMENT', `--format ${format} needs a directory: give it with -o`)
    await saveDirectory(store, plans, format, path.resolve(ctx.cwd, output))
    return {}
  }
  const chunks = Readable.from(archiveChunks(store, plans, format as 'docker-archive' | 'oci-archive'))
  if (output) {
    const file = path.resolve(ctx.cwd, output)
    await pipeline(chunks, createWriteStream(file))
    return {}
  }
  if (process.stdout.isTTY) throw new CockerError('INVALID_ARGUMENT', 'refusing to save to terminal. Use -o flag or redirect')
  await pipeline(chunks, process.stdout, { end: false })
  return {}
}
