import { CockerError } from '../../errors.js'
import { findImage } from '../../storage/images.js'
import { inspectImage, type ImageInspect } from '../../storage/inspect.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { renderTemplate } from '../render/go-template.js'
import { storeFor } from './store-context.js'

// podman inspect: what was found is printed, then the first missing name fails the command.
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const store = storeFor(ctx)
  const md = store.metadata()
  const found: ImageInspect[] = []
  let missing: string | undefined
  for (const input of args.names as string[]) {
    const match = findImage(md, input)
    if (match) found.push(inspectImage(store, match.image, md))
    else missing ??= input
  }
  const format = args.format as string | undefined
  const stdout =
    format && format !== 'json'
      ? found.map(i => renderTemplate(format.endsWith('\n') ? format : `${format}\n`, i)).join('')
      : `${JSON.stringify(found, null, 5)}\n`
  if (missing === undefined) return { stdout }
  const what = ctx.path[0] === 'image' ? `${missing}: image not known` : `no such object: "${missing}"`
  return { stdout, stderr: `Error: ${new CockerError('IMAGE_NOT_FOUND', `inspecting object: ${what}`).message}\n`, exitCode: 125 }
}
