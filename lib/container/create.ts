/**
 * `create`: an image from the store becomes a container that can be started: its directory
 * in the store (rootfs.ts), the OCI bundle (config.json and the files bind-mounted into it) in
 * userdata/, a name, and its record (record.ts) saying "created". Nothing runs yet.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { detectCgroups } from '../cgroups/index.js'
import { CockerError } from '../errors.js'
import { parseImageConfig } from '../image/manifest.js'
import { assignPorts, bridgeAttachment, containerNetwork, networkAddresses } from '../network/index.js'
import { isRootless } from '../rootless/identity.js'
import { layerShift } from '../rootless/container-userns.js'
import { containerUserns, usernsMapsForCaller } from '../rootless/userns.js'
import { packageVersion } from '../package-root.js'
import { initBinary, readHostFacts } from '../spec/host.js'
import { processParts } from '../spec/image-config.js'
import { buildContainerConfig } from '../spec/oci-config.js'
import type { RunOptions } from '../spec/run-options.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import { readIfPresent } from '../sys/read.js'
import type { DriverName } from '../storage/driver.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { CAPABILITIES } from '../runtime/linux.js'
import { shiftId, type IdShift } from '../storage/copy-tree.js'
import { crashPoint } from '../sys/crash-point.js'
import { isoNow } from '../sys/time.js'
import { randomBytes } from '../sys/random.js'
import type { OciRuntime } from '../runtime/external.js'
import type { Spec } from '../runtime/oci-spec.js'
import { notifyProxyDir, withNotify } from '../systemd/notify.js'
import { generatedName } from './names.js'
import { createOptionsFile, nameOwner, releaseName, reserveName, writeRecordFile, type ContainerRecord, type Healthcheck,
  type RestartPolicy, type SdNotifyMode } from './record.js'
import { systemdUnitLabels } from './systemd-unit.js'
import { chownContainerFiles, copyRootfs, readImageFile, removeContainerFiles, lowersForShift, writeLayerFiles } from './files.js'
import { containerDirs, makeContainerDirs, type ContainerDirs } from './rootfs.js'
import { resolveJoins, type JoinableNamespace } from './joins.js'
import { resolveImageMounts } from './image-mounts.js'
import { removeUnusedVolumes, resolveVolumes, seedVolumes, type ResolvedVolumes } from './volumes.js'

/** What `run` and `create` take beyond the OCI config's options (lifecycle-options.ts parses them). */
export interface LifecycleOptions {
  restartPolicy: RestartPolicy
  /** Seconds; undefined: containers.conf's, else 10. */
  stopTimeout?: number
  logDriver: 'k8s-file' | 'none' | 'passthrough'
  logPath?: string
  logMaxSize?: number
  detachKeys: string
  /** Given flags over the image's HEALTHCHECK; `none` disables it. */
  healthcheck?: Partial<Healthcheck> & { disabled?: boolean }
  /** --sdnotify; undefined: conmon. */
  sdNotify?: SdNotifyMode
}

export interface CreateOptions {
  store: Store
  /** Undefined with --rootfs. */
  image?: ImageRecord
  /** As the user named it, for messages and records. */
  imageName: string
  options: RunOptions
  lifecycle: LifecycleOptions
  driver: DriverName
  env: NodeJS.ProcessEnv
  /** The command line that creates it, program first, for inspect's CreateCommand. */
  createCommand?: readonly string[]
  warn(message: string): void
  /** Where --log-level info lines go; absent: nowhere. */
  info?(message: string): void
  /** --runtime: an external OCI runtime; absent: cocker's own. */
  runtime?: OciRuntime
  /** --pod: the pod it belongs to, whose infra container's namespaces it shares. */
  pod?: { id: string; infraId: string; share: readonly JoinableNamespace[] }
  /** The container is the infra of this pod (lib/pod/): the holder of the namespaces the pod shares. */
  infraOf?: string
}

export const DEFAULT_STOP_TIMEOUT = 10

export async function createContainer(o: CreateOptions): Promise<{ record: ContainerRecord; dir: string }> {
  const { store } = o
  const rootless = isRootless(o.env)
  const source = rootSource(o)
  const { config, driver, image } = source
  // before joinPod changes them: a re-creation (auto-update) joins the pod again
  const asGiven = JSON.stringify({ imageName: o.imageName, options: o.options, lifecycle: o.lifecycle, ...(o.runtime ? { runtime: o.runtime } : {}), ...(o.pod ? { pod: o.pod } : {}) })
  if (o.pod) joinPod(o.options, o.pod)
  const joined = resolveJoins(store.paths.root, o.options)
  const network = containerNetwork(o.options.network, { rootless, env: o.env, publishes: o.options.ports.length > 0,
    nestedUserns: rootless && o.options.userns.mode !== 'default',
    ...(o.runtime ? { externalRuntime: o.runtime.name } : {}) })
  const { aliases, ip, mac } = o.options.bridge
  if (network.mode !== 'bridge' && (aliases.length || ip !== undefined || mac !== undefined)) {
    throw new CockerError('INVALID_ARGUMENT', `--network-alias, --ip and --mac-address need a bridge network, and the container's network is ${network.mode}`,
      { hint: 'add --network bridge (the default network) or --network NAME' })
  }
  const ports = await assignPorts(o.options.ports, { publishAll: o.options.publishAll, exposed: Object.keys(config.config?.ExposedPorts ?? {}), network, env: o.env, warn: o.warn })
  let lowerDirs = source.lowerDirs
  const id = randomBytes(32).toString('hex')
  const name = o.options.name ?? reserveGeneratedName(store.paths.root, id)
  if (!reserveName(store.paths.root, name, id)) {
    throw new CockerError('CONTAINER_EXISTS', `the container name "${name}" is already in use by ${nameOwner(store.paths.root, name)!}`,
      { hint: 'remove that container first, choose another name, or use --replace' })
  }
  const dirs = containerDirs(store.paths.root, id)
  let volumes: ResolvedVolumes | undefined
  try {
    makeContainerDirs(dirs, image.id)
    const maps = rootless ? usernsMapsForCaller() : undefined
    if (maps?.warning) o.warn(maps.warning)
    const userns = containerUserns(o.options.userns, maps, () => mappedByContainers(store.paths.root, rootless ? process.geteuid!() : undefined))
    if (Object.keys(joined.joins).length && o.options.userns.mode !== 'default') {
      // the joined namespaces belong to the other container's user namespace, which maps ids its own way
      throw new CockerError('NOT_SUPPORTED', 'another container\'s namespaces (container:NAME, --pod) with --userns, --uidmap or --gidmap are not supported yet',
        { hint: 'drop those flags: the container then shares the other one\'s user namespace' })
    }
    if (o.runtime && rootless && Object.keys(joined.joins).length) {
      // the external runtime runs in a user namespace the monitor makes, not the joined container's
      throw new CockerError('NOT_SUPPORTED', `--runtime ${o.runtime.name} with another container's namespaces (container:NAME, --pod) is not supported rootless yet`,
        { hint: 'drop --runtime, or run as root' })
    }
    if (o.runtime && rootless && o.options.userns.mode !== 'default') {
      // the external runtime runs in the namespace the monitor maps as the user's own (external.ts),
      // and gets a config without a user namespace: one nested in it is not written yet
      throw new CockerError('NOT_SUPPORTED', `--runtime ${o.runtime.name} with a user namespace of the container's own (--userns, --uidmap, --gidmap) is not supported yet`,
        { hint: 'drop --runtime, or run without those flags' })
    }
    const bridge = network.mode === 'bridge' ? await bridgeAttachment(store.paths.root, { network: network.network, ...o.options.bridge }) : undefined
    if (!rootless && userns && o.options.mounts.some(m => m.type === 'bind' && m.overlay)) {
      // its root sees only the rootfs and the bind sources of the store (runtime/compile.ts host-expose)
      throw new CockerError('NOT_SUPPORTED', 'an overlay mount (-v DIR:/path:O) in a container with a user namespace of its own is not supported as root yet',
        { hint: 'drop O, or --userns/--uidmap/--gidmap' })
    }
    const mounts = resolveImageMounts(store, o.options.mounts, { containerDir: dirs.dir, rootless, driver: o.driver,
      userns: o.options.userns.mode !== 'default' && userns !== undefined })
    volumes = await resolveVolumes(store.paths.root, { mounts, volumesFrom: o.options.volumesFrom,
      imageVolumes: Object.keys(config.config?.Volumes ?? {}), rootless, containerDir: dirs.dir })
    const layerDirs = o.options.rootfs && !o.options.rootfs.overlay ? [o.options.rootfs.path] : lowerDirs.map(l => path.resolve(store.paths.root, l))
    // a namespace that maps ids otherwise (keep-id) sees the image's owners only on shifted copies of its layers
    const shift = userns && image.topLayer ? layerShift(userns, maps) : undefined
    let idmapped: IdShift | undefined
    if (shift && driver !== 'vfs') {
      ({ lowerDirs, idmapped } = await lowersForShift(store.paths, store.layers.chain(image.topLayer!).map(l => l.id), lowerDirs, shift,
        { driver, keepId: o.options.userns.mode === 'keep-id', env: o.env, ...(o.info ? { info: o.info } : {}) }))
      if (idmapped) mkdirSync(dirs.lower, { mode: 0o755 })
    }
    const built = buildContainerConfig({
      image: { config: config.config, os: config.os, architecture: config.architecture },
      imageName: o.imageName,
      // the name as typed when it is a full one, else the image's first (no second metadata read)
      imageRef: { name: image.names.includes(o.imageName) ? o.imageName : image.names[0] ?? o.imageName, id: image.id },
      engineVersion: packageVersion(),
      ...(o.options.init ? { init: initBinary(o.options.initPath) } : {}),
      options: { ...o.options, network, mounts: volumes.mounts },
      network: { ...networkAddresses(network, rootless), ...(bridge ? { bridgeResolvers: bridge.resolvers } : {}) },
      rootfs: driver === 'rootfs' ? o.options.rootfs!.path : dirs.merged,
      ...(maps ? { rootless: { uidMappings: maps.uid, gidMappings: maps.gid } } : {}),
      ...(userns ? { userns } : {}),
      readFile: p => readImageFile(layerDirs, p),
      containerId: id,
      name,
      ...(joined.hostname !== undefined ? { hostname: joined.hostname } : {}),
      userdataDir: dirs.userdata,
      host: readHostFacts({ rootless, privileged: o.options.privileged }),
      cgroupVersion: detectCgroups().version === 'v2' ? 'v2' : 'v1',
    })
    built.warnings.forEach(w => o.warn(w))
    for (const f of built.files) writeFileSync(f.path, f.content)
    writeFileSync(createOptionsFile(dirs.dir), asGiven)
    // an external runtime runs rootless in the user namespace the monitor makes (lib/runtime/external.ts)
    const spec = withNotify(o.runtime && maps ? withoutUserNamespace(built.spec) : built.spec, o.lifecycle.sdNotify ?? 'conmon', dirs.userdata)
    if (o.lifecycle.sdNotify === 'container') mkdirSync(notifyProxyDir(dirs.userdata), { mode: 0o755 })
    writeFileSync(path.join(dirs.userdata, 'config.json'), JSON.stringify(spec))
    if (driver === 'vfs') await copyRootfs(store.layers.diffDir(image.topLayer!), dirs.merged, o.env, shift)
    const top = driver === 'vfs' ? dirs.merged : driver === 'rootfs' ? o.options.rootfs!.path : dirs.upper
    const layerFiles = writeLayerFiles(top, layerDirs, built.layerFiles)
    // cocker's own files belong to the container's root, as the image's root-owned ones do
    const own = shift ? [...(driver === 'vfs' ? [] : [dirs.upper, dirs.work]), ...built.files.map(f => f.path), ...layerFiles] : []
    // rootless keep-id: given at the first start, by its helper (no helper spawn of its own here)
    const ownAtStart = rootless && driver !== 'vfs' && driver !== 'rootfs' && o.options.userns.mode === 'keep-id'
    if (shift && !ownAtStart) await chownContainerFiles(own, shiftId(shift.uid, 0), shiftId(shift.gid, 0), rootless)
    if (volumes.seeds.length) {
      const user = built.spec.process?.user ?? { uid: 0, gid: 0 }
      await seedVolumes(store.paths.root, volumes.seeds, {
        layers: driver === 'vfs' ? [dirs.merged] : lowerDirs.map(l => path.resolve(store.paths.root, l)),
        user: { uid: user.uid, gid: user.gid },
        ...(idmapped ? { shift: idmapped } : {}),
        ...(userns ? { uidMappings: userns.uidMappings, gidMappings: userns.gidMappings } : {}),
        ...(maps ? { store: { uid: maps.uid, gid: maps.gid } } : {}),
        env: o.env,
      })
    }
    const volumeData = new Set(volumes.volumes.map(v => volumes!.mounts.find(m => m.destination === v.destination)).flatMap(m => (m?.type === 'bind' ? [m.source] : [])))
    const l = o.lifecycle
    const record: ContainerRecord = {
      // a pod's infra runs cocker-infra from an empty root: it has no image to name
      id, name, imageId: image.id, imageName: o.infraOf ? '' : image.names[0] ?? o.imageName,
      command: built.spec.process?.args ?? [],
      ...processParts(config.config ?? {}, o.options.entrypoint, o.options.command),
      ...(o.createCommand ? { createCommand: [...o.createCommand] } : {}),
      ...capabilityChanges(built.spec.process?.capabilities?.bounding ?? [], o.options),
      ...(o.options.privileged ? { privileged: true } : {}),
      created: isoNow(),
      labels: { ...(config.config?.Labels ?? {}), ...o.options.labels, ...systemdUnitLabels(o.env) },
      annotations: o.options.annotations,
      tty: o.options.tty, interactive: o.options.interactive, autoRemove: o.options.rm,
      restartPolicy: l.restartPolicy,
      stopSignal: built.spec.annotations?.['org.opencontainers.image.stopSignal'] ?? '15',
      stopTimeout: l.stopTimeout ?? DEFAULT_STOP_TIMEOUT,
      log: { driver: l.logDriver, path: l.logPath ?? path.join(dirs.dir, 'ctr.log'), ...(l.logMaxSize ? { maxSize: l.logMaxSize } : {}) },
      detachKeys: l.detachKeys,
      ...healthcheckOf(l, config.config?.Healthcheck),
      ...(l.sdNotify && l.sdNotify !== 'conmon' ? { sdNotify: l.sdNotify } : {}),
      mounts: (built.spec.mounts ?? []).filter(m => m.type === 'bind' && !m.source?.startsWith(dirs.userdata))
        .map(m => ({ type: volumeData.has(m.source ?? '') ? 'volume' : m.type ?? 'bind', source: m.source ?? '', destination: m.destination, options: m.options ?? [] })),
      ...(volumes.volumes.length ? { volumes: volumes.volumes } : {}),
      storage: { driver, lowerDirs, ...(idmapped ? { idmappedLowers: idmapped } : {}),
        ...(ownAtStart && own.length ? { rootOwns: own.map(p => path.relative(dirs.dir, p)) } : {}) },
      ...(o.options.cgroups === 'disabled' ? { cgroupsDisabled: true } : {}),
      ...(o.runtime ? { runtime: o.runtime } : {}),
      network,
      ...(ports.length ? { ports } : {}),
      ...(config.config?.ExposedPorts ? { exposedPorts: Object.keys(config.config.ExposedPorts) } : {}),
      ...(bridge ? { bridgeNetwork: bridge.attachment } : {}),
      ...(Object.keys(joined.joins).length ? { joins: joined.joins } : {}),
      ...(o.pod ? { pod: o.pod.id } : {}),
      ...(o.infraOf ? { pod: o.infraOf, infra: true } : {}),
      state: { status: 'created', pid: 0, restartCount: 0 },
    }
    if (record.sdNotify === 'healthy' && !record.healthcheck) {
      throw new CockerError('INVALID_ARGUMENT', '--sdnotify healthy: the container has no health check to wait for', { hint: 'add --health-cmd, or use --sdnotify conmon' })
    }
    crashPoint('create:before-record')
    writeRecordFile(dirs.dir, record)
    return { record, dir: dirs.dir }
  } catch (err) {
    await removeQuietly(dirs, rootless, o.warn)
    if (volumes) await removeUnusedVolumes(store.paths.root, volumes.created, rootless).catch(e => o.warn((e as Error).message))
    releaseName(store.paths.root, name, id)
    throw err
  }
}

/**
 * A container of a pod shares the namespaces the pod shares, its infra container's. Podman
 * refuses a flag that sets one of them otherwise: the pod decides.
 */
function joinPod(options: RunOptions, pod: NonNullable<CreateOptions['pod']>): void {
  for (const type of pod.share) {
    if (options[type].mode !== 'private' && options[type].mode !== 'default') {
      throw new CockerError('INVALID_ARGUMENT', `--${type === 'network' ? 'network' : type} cannot be set for a container of a pod: the pod shares its ${type} namespace`,
        { hint: 'drop the flag, or give it to "cocker pod create"' })
    }
    options[type] = { mode: 'container', container: pod.infraId }
  }
  if (pod.share.includes('network') && (options.ports.length || options.publishAll)) {
    throw new CockerError('INVALID_ARGUMENT', 'ports cannot be published by a container of a pod: the pod shares its network, and publishes them',
      { hint: 'give -p to "cocker pod create"' })
  }
}

/**
 * What the container's root is made of: the image's layers, or with --rootfs the directory
 * itself (driver "rootfs", written in place as podman does) or, with DIR:O, an overlay on it.
 */
function rootSource(o: CreateOptions): { config: ImageConfigSubset; lowerDirs: string[]; driver: string; image: { id: string; names: string[]; topLayer?: string } } {
  const rootfs = o.options.rootfs
  if (rootfs) {
    return { config: { config: {}, os: 'linux', architecture: process.arch }, lowerDirs: rootfs.overlay ? [rootfs.path] : [],
      driver: rootfs.overlay ? (o.driver === 'fuse-overlayfs' ? o.driver : 'overlay') : 'rootfs', image: { id: '', names: [rootfs.path] } }
  }
  const image = o.image!
  const config = parseImageConfig(o.store.blobs.read(`sha256:${image.id}`), o.imageName)
  if (!image.topLayer) throw new CockerError('NOT_SUPPORTED', `${o.imageName}: the image has no layers, so there is nothing to run`)
  // vfs: the top layer is the whole tree; its parents would show what it deleted
  const lowerDirs = o.driver === 'vfs' ? [`l/${o.store.layers.get(image.topLayer)!.link}`] : o.store.layers.lowerDirs(image.topLayer)
  return { config, lowerDirs, driver: o.driver, image }
}

type ImageConfigSubset = Pick<ReturnType<typeof parseImageConfig>, 'config' | 'os' | 'architecture'>

function withoutUserNamespace(spec: Spec): Spec {
  if (!spec.linux) return spec
  const { uidMappings: _u, gidMappings: _g, ...linux } = spec.linux
  return { ...spec, linux: { ...linux, namespaces: linux.namespaces?.filter(n => n.type !== 'user') } }
}

async function removeQuietly(dirs: ContainerDirs, rootless: boolean, warn: (m: string) => void): Promise<void> {
  try {
    await removeContainerFiles(dirs.dir, rootless)
  } catch (err) {
    warn((err as Error).message)
  }
}

/**
 * inspect's CapAdd and CapDrop, as Podman derives them from the bounding set: what it has
 * beyond the defaults and what it lacks of them; privileged, what it lacks of every capability.
 */
function capabilityChanges(bounding: readonly string[], o: RunOptions): { capAdd: string[]; capDrop: string[] } {
  const base: readonly string[] = o.privileged ? CAPABILITIES : o.defaults.capabilities
  return {
    capAdd: o.privileged ? [] : bounding.filter(c => !base.includes(c)).sort(),
    capDrop: base.filter(c => !bounding.includes(c)).sort(),
  }
}

/**
 * The host uids the store's containers map (for --userns auto), from their config.json;
 * rootless, not those of the namespaces that map the user (`self`), which are the user's own.
 */
function mappedByContainers(storeRoot: string, self?: number): IdMapping[] {
  const dir = path.join(storeRoot, 'containers')
  let ids: string[] = []
  try {
    ids = readdirSync(dir)
  } catch { /* no containers yet */ }
  return ids.flatMap(id => {
    const text = readIfPresent(path.join(dir, id, 'userdata', 'config.json'))
    try {
      const maps = text ? (JSON.parse(text).linux?.uidMappings ?? []) as IdMapping[] : []
      return maps.some(m => self !== undefined && self >= m.hostID && self < m.hostID + m.size) ? [] : maps
    } catch {
      return [] // a config being written
    }
  })
}

/** A generated name, reserved for `id`: another is drawn while the one drawn is taken. */
function reserveGeneratedName(storeRoot: string, id: string): string {
  for (;;) {
    const name = generatedName()
    if (reserveName(storeRoot, name, id)) return name
  }
}

/** The image's HEALTHCHECK with the --health-* flags over it; none when disabled or absent. */
function healthcheckOf(l: LifecycleOptions, image: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } | undefined): { healthcheck?: Healthcheck } {
  const h = l.healthcheck
  if (h?.disabled) return {}
  const test = h?.test ?? image?.Test
  if (!test?.length || test[0] === 'NONE') return {}
  const SECOND = 1_000_000_000
  return {
    healthcheck: {
      test,
      interval: h?.interval ?? (image?.Interval || 30 * SECOND),
      timeout: h?.timeout ?? (image?.Timeout || 30 * SECOND),
      startPeriod: h?.startPeriod ?? (image?.StartPeriod || 0),
      retries: h?.retries ?? (image?.Retries || 3),
      onFailure: h?.onFailure ?? 'none',
    },
  }
}
