/**
 * `run` in the foreground: an image from the store becomes a bundle (config.json in the
 * container's userdata dir, its root the overlay of the image's layers and a fresh upper
 * dir) that the built-in runtime runs; the container's exit status is the result, and the
 * container is removed when it ends. Detached containers, the monitor, names and `ps` come
 * with the container lifecycle; until then every container is a --rm one.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { detectCgroups } from '../cgroups/index.js'
import { CockerError } from '../errors.js'
import { parseImageConfig } from '../image/manifest.js'
import { isRootless } from '../rootless/identity.js'
import { removeTreesInUserNamespace, usernsMapsForCaller } from '../rootless/userns.js'
import { runContainer, type RuntimeContext } from '../runtime/lifecycle.js'
import { readHostFacts } from '../spec/host.js'
import { buildContainerConfig } from '../spec/oci-config.js'
import type { RunOptions } from '../spec/run-options.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { containerDirs, makeContainerDirs, overlayMountData, type ContainerDirs } from './rootfs.js'

export interface RunImageOptions {
  store: Store
  image: ImageRecord
  /** As the user named it, for messages. */
  imageName: string
  options: RunOptions
  env: NodeJS.ProcessEnv
  warn(message: string): void
}

/** Where the runtime keeps the state of cocker's running containers. */
export function runtimeStateDir(env: NodeJS.ProcessEnv): string {
  if (!isRootless(env)) return '/run/cocker/runtime'
  const base = env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) ? env.XDG_RUNTIME_DIR : `/tmp/cocker-${process.geteuid!()}`
  return path.join(base, 'cocker', 'runtime')
}

export async function runImage(o: RunImageOptions): Promise<number> {
  const { store, image } = o
  const rootless = isRootless(o.env)
  const config = parseImageConfig(store.blobs.read(`sha256:${image.id}`), o.imageName)
  if (!image.topLayer) throw new CockerError('NOT_SUPPORTED', `${o.imageName}: the image has no layers, so there is nothing to run`)
  const lowerDirs = store.layers.lowerDirs(image.topLayer)
  const id = randomBytes(32).toString('hex')
  const dirs = containerDirs(store.paths.root, id)
  makeContainerDirs(dirs)
  try {
    const maps = rootless ? usernsMapsForCaller() : undefined
    if (maps?.warning) o.warn(maps.warning)
    const layerDirs = lowerDirs.map(l => path.resolve(store.paths.root, l))
    const built = buildContainerConfig({
      image: { config: config.config, os: config.os, architecture: config.architecture },
      imageName: o.imageName,
      options: o.options,
      rootfs: dirs.merged,
      ...(maps ? { rootless: { uidMappings: maps.uid, gidMappings: maps.gid } } : {}),
      readFile: p => readImageFile(layerDirs, p),
      containerId: id,
      ...(o.options.name ? { name: o.options.name } : {}),
      userdataDir: dirs.userdata,
      host: readHostFacts(),
      cgroupVersion: detectCgroups().version === 'v2' ? 'v2' : 'v1',
    })
    built.warnings.forEach(w => o.warn(w))
    for (const f of built.files) writeFileSync(f.path, f.content)
    writeFileSync(path.join(dirs.userdata, 'config.json'), JSON.stringify(built.spec))
    const runtime: RuntimeContext = {
      root: runtimeStateDir(o.env),
      rootless,
      systemdCgroup: false,
      cgroupsDisabled: o.options.cgroups === 'disabled',
      warn: o.warn,
      debug: () => {},
    }
    return await runContainer(runtime, {
      id,
      bundle: dirs.userdata,
      rootfsOverlay: { data: overlayMountData(lowerDirs, dirs, { rootless }), cwd: store.paths.root },
      stdin: o.options.interactive ? 'inherit' : 'ignore',
    })
  } finally {
    await removeContainerFiles(dirs, rootless)
  }
}

/**
 * A file of the image, looked up through its layers top first, as the overlay will show it:
 * a whiteout (0/0 character device) hides the lower layers' file. Only for small files
 * that decide the config (/etc/passwd, /etc/group); symlinks are not followed.
 */
function readImageFile(layerDirs: string[], file: string): string | undefined {
  const rel = path.posix.normalize(`/${file}`).slice(1)
  for (const dir of layerDirs) {
    const p = path.join(dir, rel)
    let st
    try {
      st = lstatSync(p)
    } catch {
      continue
    }
    if (st.isCharacterDevice() && st.rdev === 0) return undefined
    return st.isFile() ? readFileSync(p, 'utf8') : undefined
  }
  return undefined
}

/** The upper dir may hold files of the namespace's other ids: rootless, those need the helper. */
async function removeContainerFiles(dirs: ContainerDirs, rootless: boolean): Promise<void> {
  try {
    rmSync(dirs.dir, { recursive: true, force: true })
  } catch (err) {
    if (!rootless || !existsSync(dirs.dir)) throw err
    try {
      await removeTreesInUserNamespace([dirs.dir])
    } catch (inner) {
      throw new CockerError('HELPER_FAILED', `cannot remove the container's files in ${dirs.dir}: ${(inner as Error).message}`,
        { hint: `remove them with "cocker unshare rm -rf ${dirs.dir}"` })
    }
  }
}
