import { imageTreeLayers } from '../../image/history.js'
import { resolveImage } from '../../storage/images.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { dfSize } from '../render/units.js'
import { storeFor } from './store-context.js'

// podman 4's `image tree`: a header, then the layers as one level of a tree.
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const md = storeFor(ctx).metadata()
  const { image } = resolveImage(md, args.image as string)
  const layers = imageTreeLayers(md, image, args.whatrequires as boolean)
  const lines = [
    `Image ID: ${image.id.slice(0, 12)}`,
    `Tags:     [${(image.names.length ? image.names : ['<none>']).join(' ')}]`,
    `Size:     ${dfSize(image.size)}`,
    'Image Layers',
    ...layers.map((l, i) => {
      const top = l.topOf.length ? ` Top Layer of: [${l.topOf.join(' ')}]` : ''
      return `${i === layers.length - 1 ? '└──' : '├──'} ID: ${l.id.slice(0, 12)} Size: ${dfSize(l.size)}${top}`
    }),
  ]
  return { stdout: `${lines.join('\n')}\n\n` }
}
