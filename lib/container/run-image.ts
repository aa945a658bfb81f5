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
import { userRuntimeDir } from '../config/runtime-dir.js'
import { CockerError } from '../errors.js'
import { parseImageConfig } from '../image/manifest.js'
import { isRootless } from '../rootless/identity.js'
import { packageRoot } from '../package-root.js'
import { removeTreesInUserNamespace, runInUserNamespace, usernsMapsForCaller } from '../rootless/userns.js'
import { runContainer, type RuntimeContext } from '../runtime/lifecycle.js'
import { packageVersion } from '../cli/package-info.js'
import { initBinary, readHostFacts } from '../spec/host.js'
import { buildContainerConfig } from '../spec/oci-config.js'
import type { RunOptions } from '../spec/run-options.js'
import { copyTree } from '../storage/copy-tree.js'
import { fuseOverlayfsUsable, type DriverName } from '../storage/driver.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { containerDirs, makeContainerDirs, overlayMountData, type ContainerDirs } from './rootfs.js'

export interface RunImageOptions {
  store: Store
  image: ImageRecord
  /** As the user named it, for messages. */
  imageName: string
  options: RunOptions
  /** The store's driver (storage/driver.ts): how the container's root is made. */
  driver: DriverName
  env: NodeJS.ProcessEnv
  warn(message: string): void
}

/** Where the runtime keeps the state of cocker's running containers. */
export function runtimeStateDir(env: NodeJS.ProcessEnv): string {
  if (!isRootless(env)) return '/run/cocker/runtime'
  return path.join(userRuntimeDir(env), 'cocker', 'runtime')
}

export async function runImage(o: RunImageOptions): Promise<number> {
  const { store, image } = o
  const rootless = isRootless(o.env)
  const config = parseImageConfig(store.blobs.read(`sha256:${image.id}`), o.imageName)
  if (!image.topLayer) throw new CockerError('NOT_SUPPORTED', `${o.imageName}: the image has no layers, so there is nothing to run`)
  // vfs: the top layer is the whole tree; its parents would show what it deleted
  const lowerDirs = o.driver === 'vfs' ? [`l/${store.layers.get(image.topLayer)!.link}`] : store.layers.lowerDirs(image.topLayer)
  const fuse = o.driver === 'fuse-overlayfs' ? fuseOverlayfsUsable(o.env) : undefined
  if (fuse && !fuse.ok) {
    throw new CockerError('STORAGE_DRIVER_UNAVAILABLE', `the store's driver is fuse-overlayfs, but ${fuse.reason}`,
      { hint: 'as root, "chmod 666 /dev/fuse" (most distributions ship it so), or use the overlay or vfs driver (after "cocker system reset")' })
  }
  const id = randomBytes(32).toString('hex')
  const dirs = containerDirs(store.paths.root, id)
  makeContainerDirs(dirs, image.id)
  try {
    const maps = rootless ? usernsMapsForCaller() : undefined
    if (maps?.warning) o.warn(maps.warning)
    const layerDirs = lowerDirs.map(l => path.resolve(store.paths.root, l))
    const built = buildContainerConfig({
      image: { config: config.config, os: config.os, architecture: config.architecture },
      imageName: o.imageName,
      // the name as typed when it is a full one, else the image's first (no second metadata read on the run path)
      imageRef: { name: image.names.includes(o.imageName) ? o.imageName : image.names[0] ?? o.imageName, id: image.id },
      engineVersion: packageVersion(),
      ...(o.options.init ? { init: initBinary(o.options.initPath) } : {}),
      options: o.options,
      rootfs: dirs.merged,
      ...(maps ? { rootless: { uidMappings: maps.uid, gidMappings: maps.gid } } : {}),
      readFile: p => readImageFile(layerDirs, p),
      containerId: id,
      ...(o.options.name ? { name: o.options.name } : {}),
      userdataDir: dirs.userdata,
      host: readHostFacts({ rootless, privileged: o.options.privileged }),
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
    if (o.driver === 'vfs') await copyRootfs(store.layers.diffDir(image.topLayer), dirs.merged, o.env)
    return await runContainer(runtime, {
      id,
      bundle: dirs.userdata,
      ...(o.driver === 'vfs' ? {} : {
        rootfsOverlay: {
          data: overlayMountData(lowerDirs, dirs, { rootless: rootless && o.driver === 'overlay' }),
          cwd: store.paths.root,
          ...(fuse?.ok ? { program: fuse.program } : {}),
        },
      }),
      stdin: o.options.interactive ? 'inherit' : 'ignore',
    })
  } finally {
    await removeContainerFiles(dirs, rootless)
  }
}

/**
 * vfs: the container's root is a copy of the image's top layer. Rootless, the copy must run
 * where the layer's owners are mapped: node again, inside the user namespace (vfs is the
 * slow driver anyway; overlay's `run` never pays for this).
 */
async function copyRootfs(top: string, merged: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!isRootless(env)) {
    copyTree(top, merged)
    return
  }
  const script = path.join(packageRoot(), 'dist/lib/cli/copy-tree-main.js')
  const status = await runInUserNamespace([process.execPath, script, top, merged], { env, cwd: '/', warn: () => {} })
  if (status !== 0) throw new CockerError('HELPER_FAILED', `cannot copy the image's files into ${merged} (status ${status})`)
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
