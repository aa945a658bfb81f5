import { CockerError } from '../../errors.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeFor } from './store-context.js'

// podman rmi: 1 when only unknown images failed, 2 when an image is in use, else 125.
function exitCodeFor(errors: readonly CockerError[]): number {
  if (errors.length === 0) return 0
  if (errors.some(e => e.code !== 'IMAGE_NOT_FOUND' && e.code !== 'IMAGE_IN_USE')) return 125
  return errors.some(e => e.code === 'IMAGE_IN_USE') ? 2 : 1
}

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const images = args.images as string[]
  if (args.all && images.length) throw new CockerError('INVALID_ARGUMENT', 'when using the --all switch, you may not pass any images names or IDs')
  if (!args.all && !images.length) throw new CockerError('INVALID_ARGUMENT', 'image name or ID must be specified')
  const store = storeFor(ctx)
  const report = args.all ? await store.removeAllImages() : await store.removeImages(images, { force: args.force as boolean, ignore: args.ignore as boolean })
  const stdout = [...report.untagged.map(n => `Untagged: ${n}\n`), ...report.deleted.map(id => `Deleted: ${id}\n`)].join('')
  const messages = report.errors.map(e => (e.hint && e.code === 'IMAGE_IN_USE' ? `${e.message}; ${e.hint}` : e.message))
  const stderr =
    messages.length === 0 ? '' : messages.length === 1 ? `Error: ${messages[0]}\n` : `Error: ${messages.length} errors occurred:\n${messages.map(m => `\t* ${m}\n`).join('')}`
  return { stdout, stderr, exitCode: exitCodeFor(report.errors) }
}
