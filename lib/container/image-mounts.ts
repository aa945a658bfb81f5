/**
 * --mount type=image: another image's root in the container, as Podman mounts it: read-only,
 * or with rw=true writable through an overlay whose changes stay the container's (in its
 * overlay/image-N/, gone with it), never the image's. The layers are stacked as the
 * container's own root is, by their short links in the store.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import type { MountRequest } from '../spec/run-options.js'
import { findImage } from '../storage/images.js'
import type { Store } from '../storage/store.js'

// The kernel takes a mount's data in one page; an overlay's lowerdir list must fit in it.
const MAX_MOUNT_DATA = 4000

export interface ImageMountOptions {
  containerDir: string
  rootless: boolean
  /** The store's driver. */
  driver: string
  /** The container has a user namespace of its own (--userns, --uidmap): its root cannot reach the store's layers. */
  userns: boolean
}

/** The mounts with every type=image one turned into a bind or an overlay of the image's layers. */
export function resolveImageMounts(store: Store, mounts: MountRequest[], o: ImageMountOptions): MountRequest[] {
  if (!mounts.some(m => m.type === 'image')) return mounts
  return mounts.map((m, n) => (m.type === 'image' ? imageMount(store, m, n, o) : m))
}

function imageMount(store: Store, m: MountRequest & { type: 'image' }, n: number, o: ImageMountOptions): MountRequest {
  const what = `--mount type=image,source=${m.image}`
  const rw = m.options[0] === 'rw'
  if (o.userns) {
    throw new CockerError('NOT_SUPPORTED', `${what}: an image mount in a container with a user namespace of its own is not supported yet`,
      { hint: 'drop --userns, --uidmap and --gidmap, or mount the image\'s files another way' })
  }
  const image = findImage(store.metadata(), m.image)?.image
  if (!image) throw new CockerError('IMAGE_NOT_FOUND', `${what}: ${m.image}: image not known`, { hint: `pull it first with "cocker pull ${m.image}"` })
  if (!image.topLayer) throw new CockerError('NOT_SUPPORTED', `${what}: the image has no layers, so there is nothing to mount`)
  // vfs: the top layer is the whole tree
  const links = o.driver === 'vfs' ? [`l/${store.layers.get(image.topLayer)!.link}`] : store.layers.lowerDirs(image.topLayer)
  const lowers = links.map(l => path.join(store.paths.root, l))
  if (!rw && lowers.length === 1) return { type: 'bind', source: lowers[0]!, destination: m.destination, options: ['bind', 'ro', 'rprivate'] }
  if (o.driver === 'fuse-overlayfs') {
    throw new CockerError('NOT_SUPPORTED', `${what}: ${rw ? 'rw=true' : 'an image of several layers'} needs the kernel's overlay, and this store uses fuse-overlayfs`,
      { hint: rw ? 'drop rw=true' : 'use the overlay storage driver' })
  }
  const lower = lowers.join(':')
  if (lower.length > MAX_MOUNT_DATA) {
    throw new CockerError('NOT_SUPPORTED', `${what}: the image has ${lowers.length} layers, more than one overlay mount can stack here`,
      { hint: 'squash the image (cocker commit --squash, or build --squash) and mount that' })
  }
  // rootless overlay keeps its own xattrs in user.* (userxattr), as the container's root does
  const options = o.rootless ? ['userxattr'] : []
  if (!rw) return { type: 'overlay', lower, destination: m.destination, options: [...options, 'ro'] }
  const dir = path.join(o.containerDir, 'overlay', `image-${n}`)
  mkdirSync(path.join(dir, 'upper'), { recursive: true, mode: 0o755 })
  mkdirSync(path.join(dir, 'work'), { mode: 0o755 })
  return { type: 'overlay', lower, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), destination: m.destination, options }
}
