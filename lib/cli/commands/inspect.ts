import { CockerError } from '../../errors.js'
import { findContainer } from '../../container/record.js'
import { inspectContainer, latestContainer, viewOf, type ContainerView } from '../../container/view.js'
import { findImage } from '../../storage/images.js'
import { inspectImage } from '../../storage/inspect.js'
import { inspectVolume, readVolume } from '../../storage/volumes.js'
import type { Store } from '../../storage/store.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { renderTemplate } from '../render/go-template.js'
import { storeFor } from './store-context.js'
import { storeRootFor } from './store-root.js'

type Kind = 'container' | 'image' | 'volume' | 'all'

/**
 * podman inspect: containers first, then images, then volumes (`inspect`), or one kind (`container inspect`,
 * `image inspect`, --type). What was found is printed, then the first missing name fails the
 * command. Containers are read without a lock and without opening the image store.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const kind: Kind = ctx.path[0] === 'container' ? 'container' : ctx.path[0] === 'image' ? 'image' : (args.type as Kind | undefined) ?? 'all'
  const names = (args.names as string[] | undefined) ?? []
  if (args.latest && kind === 'image') throw new CockerError('INVALID_ARGUMENT', '--latest takes the newest container, not an image', { hint: 'drop --latest or use --type container' })
  if (args.latest && names.length) throw new CockerError('INVALID_ARGUMENT', '--latest and names cannot be used together', { hint: 'give names or --latest' })
  if (!args.latest && !names.length) throw new CockerError('INVALID_ARGUMENT', 'inspect needs at least one name or ID', { hint: 'name a container or image, or give --latest' })

  const root = storeRootFor(ctx)
  let store: Store | undefined
  const openStore = () => (store ??= storeFor(ctx))
  const containerJson = (v: ContainerView) => inspectContainer(v, {
    storeRoot: root,
    runtime: 'cocker',
    size: !!args.size,
    imageSize: id => openStore().metadata().images.find(i => i.id === id)?.size ?? 0,
  })

  const found: unknown[] = []
  let missing: string | undefined
  if (args.latest) found.push(containerJson(latestContainer(root)))
  for (const input of names) {
    const container = kind === 'image' || kind === 'volume' ? undefined : findContainer(root, input)
    if (container) {
      found.push(containerJson(viewOf(container)))
      continue
    }
    const md = kind === 'container' || kind === 'volume' ? undefined : openStore().metadata()
    const image = md && findImage(md, input)
    const volume = !image && (kind === 'volume' || kind === 'all') ? readVolume(root, input) : undefined
    if (image) found.push(inspectImage(openStore(), image.image, md))
    else if (volume) found.push(inspectVolume(root, volume))
    else missing ??= input
  }

  const format = args.format as string | undefined
  const stdout =
    format && format !== 'json'
      ? found.map(i => renderTemplate(format.endsWith('\n') ? format : `${format}\n`, i)).join('')
      : `${JSON.stringify(found, null, 5)}\n`
  if (missing === undefined) return { stdout }
  const what = kind === 'image' ? `${missing}: image not known` : kind === 'container' ? `no such container ${missing}`
    : kind === 'volume' ? `no such volume ${missing}` : `no such object: "${missing}"`
  return { stdout, stderr: `Error: inspecting object: ${what}\n`, exitCode: 125 }
}
