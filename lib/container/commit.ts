/**
 * `commit`: a container's changes become an image. The new layer is the overlay's upper
 * directory as a tar, its whiteouts (0/0 character devices) and opaque directories turned
 * back into `.wh.NAME` and `.wh..wh..opq` entries, with xattrs and the owners the container
 * sees. One walk in C (`cocker-helper layer-out`, c/pack.c) writes that tar to us, which we
 * hash (diff_id) and store as the layer's blob as it streams, and stages the same layer,
 * from the same bytes, in the store's overlay form (what unpacking the tar again would make),
 * ready for importLayers to record. The layer is stored uncompressed, as Podman's commit
 * stores it. The config is the image's with --change applied, one more diff_id and history
 * entry. --squash makes one layer of the whole root instead: the overlay mounted for the
 * time of the copy. layer-out runs where the store's files are readable: rootless, the
 * helper starts it in the caller's user namespace (and mounts the overlay there for
 * --squash), so node starts once; the rest (blobs, records, the staged dir renamed into
 * place) needs nothing the user lacks.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { CockerError, type ErrorCode } from '../errors.js'
import { applyChanges } from '../image/changes.js'
import { importLayers, type LayerToImport } from '../image/layer-import.js'
import { MediaType, type ContainerConfig } from '../image/manifest.js'
import { pauseContainer, resumeContainer } from '../runtime/lifecycle.js'
import { helperPath, runHelper } from '../runtime/helper.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import { encodePlan, type Op } from '../runtime/protocol.js'
import { inRootlessUserNamespace } from '../rootless/identity.js'
import { enterOps, removeTreesInUserNamespace, usernsMapsForCaller } from '../rootless/userns.js'
import type { BlobWriter } from '../storage/blobs.js'
import type { IdShift } from '../storage/copy-tree.js'
import { normalizeTagName } from '../storage/images.js'
import type { ImageRecord } from '../storage/metadata.js'
import type { Store } from '../storage/store.js'
import { childProcess } from '../sys/child-process.js'
import { runtimeContext, type Engine } from './engine.js'
import { storeShift } from './copy.js'
import { observe, type FoundContainer } from './record.js'
import { containerDirs, idmappedLowerMounts, overlayMountData } from './rootfs.js'
import { mountContainerRoot, pendingOwnOps, viewOps } from './stopped-root.js'

export interface CommitOptions {
  /** The name to give the image; a bare name goes to localhost/. */
  reference?: string
  changes: string[]
  message?: string
  author?: string
  /** Freeze a running container for the time of the copy. */
  pause: boolean
  format: 'oci' | 'docker'
  squash: boolean
}

interface ImageConfigFile {
  config?: ContainerConfig
  rootfs?: { type: string; diff_ids: string[] }
  history?: Record<string, unknown>[]
  [key: string]: unknown
}

const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar'

/** The layer media type a manifest of `format` names for a stored layer of type `type`. */
function layerType(type: string | undefined, format: CommitOptions['format']): string {
  const gzip = type === MediaType.DockerLayerGzip || type === `${MediaType.OciLayer}+gzip`
  const zstd = type === `${MediaType.OciLayer}+zstd`
  if (format === 'oci') return gzip ? `${MediaType.OciLayer}+gzip` : zstd ? type! : MediaType.OciLayer
  return gzip ? MediaType.DockerLayerGzip : zstd ? type! : DOCKER_LAYER
}

/** What layer-out packs, and where it runs: here, or (`enter`) through the helper in the user's namespace, the mounts it needs made there. */
interface LayerJob {
  dir: string
  mode: 'upper' | 'tree'
  /** How the store shifts the container's ids, which the layer names as the container does. */
  shift: IdShift | undefined
  /** The staging dir layer-out makes. */
  stage: string
  /** Gets the tar, hashed as it is written. */
  writer: BlobWriter
  ns: 'user' | 'trusted'
  enter?: Op[]
}

/** `cocker-helper layer-out`: the job's tar into its writer, the layer staged; returns the bytes of file content staged. */
async function packLayer(job: LayerJob): Promise<number> {
  const { shift, writer } = job
  const runs = (maps: IdMapping[] | undefined) => (maps?.length ? maps.map(m => `${m.containerID}:${m.hostID}:${m.size}`).join(',') : '-')
  const argv = [helperPath(), 'layer-out', job.dir, job.mode, job.ns, runs(shift?.uid), runs(shift?.gid), job.stage]
  let said = ''
  let streamed: Promise<unknown> = Promise.resolve()
  const take = (out: NodeJS.ReadableStream, err: NodeJS.ReadableStream) => {
    err.setEncoding('utf8')
    err.on('data', (d: string) => (said += d))
    streamed = pipeline(out, writer).then(() => undefined, (e: unknown) => e)
  }
  let code: number | null | undefined
  if (!job.enter) {
    const child = childProcess().spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    take(child.stdout, child.stderr)
    code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', c => resolve(c)))
  } else {
    // rootless: the helper enters the user's namespace and execs layer-out there, no second node start
    let stderr: NodeJS.ReadableStream | undefined
    const ops: Op[] = [...job.enter, ['cwd', '/'], ['argv', argv], ['die-with-parent'], ['exec']]
    code = (await runHelper(encodePlan(ops), {
      until: 'exit',
      forwardSignals: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      onStderr: s => { stderr = s },
      onStdio: ({ stdout }) => take(stdout!, stderr!),
    })).exitCode
  }
  const failed = await streamed
  const lines = said.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { event: string; code?: ErrorCode; message?: string; bytes?: number })
  const error = lines.find(l => l.event === 'error')
  if (error) throw new CockerError(error.code ?? 'HELPER_FAILED', `commit: ${error.message}`)
  const stats = lines.find(l => l.event === 'stats')
  if (code !== 0 || failed || !stats) {
    throw new CockerError('HELPER_FAILED', `commit: ${helperPath()} layer-out ended with status ${code}${said.trim() ? `: ${said.trim().split('\n').at(-1)}` : ''}`, { cause: failed })
  }
  return stats.bytes ?? 0
}

const MS_REC_PRIVATE = 0x4000 | 0x40000

export async function commitContainer(engine: Engine, store: Store, found: FoundContainer, o: CommitOptions): Promise<ImageRecord> {
  const { record } = found
  const driver = record.storage.driver
  if (driver === 'vfs' || driver === 'rootfs' || driver === 'fuse-overlayfs') {
    throw new CockerError('NOT_SUPPORTED', `commit reads a container's overlay upper directory, and ${record.name} has none that cocker can read here (storage driver ${driver})`)
  }
  const names = o.reference ? [normalizeTagName(o.reference)] : []
  const parent = store.images.lookup(record.imageId)
  const parentConfig = JSON.parse(store.blobs.read(parent.configDigest).toString()) as ImageConfigFile
  const parentLayers = parent.topLayer ? store.layers.chain(parent.topLayer).reverse() : []
  const dirs = containerDirs(engine.storeRoot, record.id)
  // the store holds a container with a user namespace of its own under shifted ids: the image gets the container's
  const shift = storeShift(dirs.userdata, engine.rootless)
  const paused = o.pause && observe(record, found.dir).status === 'running'
  const ctx = runtimeContext(engine, record)
  const writer = store.blobs.writer()
  mkdirSync(store.paths.tmp, { recursive: true })
  const staged = path.join(store.paths.tmp, `layer-${randomBytes(8).toString('hex')}`)
  let handedOver = false
  // rootless, unless run in the user's namespace already: layer-out runs there through the helper
  const viaHelper = engine.rootless && !inRootlessUserNamespace()
  const ns = viaHelper || inRootlessUserNamespace() ? 'user' : 'trusted'
  try {
    let bytes: number
    if (paused) await pauseContainer(ctx, record.id)
    try {
      // keep-id never started: its own files are given to its root first, as its start would
      const enter = viaHelper ? [...enterOps(usernsMapsForCaller(), o.squash ? 'user,mnt' : 'user'), ...pendingOwnOps(record, dirs, shift)] : undefined
      const job = { shift, stage: staged, writer, ns } as const
      if (!o.squash) bytes = await packLayer({ ...job, dir: dirs.upper, mode: 'upper', ...(enter ? { enter } : {}) })
      else if (enter) {
        // the merged root (a keep-id container's remapped view, as its start mounts it), mounted in the namespace that layer-out runs in, and gone with it
        const view = idmappedLowerMounts(record.storage, dirs, { rootless: engine.rootless })
        const mounts: Op[] = view ? viewOps(engine, record.name, dirs, view)
          : [['overlay', dirs.merged, overlayMountData(record.storage.lowerDirs, dirs, { rootless: engine.rootless }), engine.storeRoot]]
        bytes = await packLayer({ ...job, dir: dirs.merged, mode: 'tree', enter: [...enter, ['propagation', '/', MS_REC_PRIVATE], ...mounts] })
      } else {
        const unmount = mountContainerRoot(record, dirs, { storeRoot: engine.storeRoot, rootless: engine.rootless, env: engine.env })
        try {
          bytes = await packLayer({ ...job, dir: dirs.merged, mode: 'tree' })
        } finally {
          unmount()
        }
      }
    } finally {
      if (paused) await resumeContainer(ctx, record.id)
    }
    const diffId = writer.digest!
    const created = new Date().toISOString()
    const entry = {
      created,
      created_by: record.command.join(' '),
      ...(o.author ? { author: o.author } : {}),
      ...(o.message ? { comment: o.message } : {}),
    }
    const config = Buffer.from(JSON.stringify({
      ...parentConfig,
      created,
      ...(o.author ? { author: o.author } : {}),
      config: applyChanges(parentConfig.config ?? {}, o.changes),
      rootfs: { type: 'layers', diff_ids: [...(o.squash ? [] : parentConfig.rootfs?.diff_ids ?? []), diffId] },
      history: [...(o.squash ? [] : parentConfig.history ?? []), entry],
    }))
    const ours: LayerToImport = { blob: { digest: diffId, size: writer.size, mediaType: layerType(undefined, o.format) }, diffId }
    const layers: LayerToImport[] = [
      ...(o.squash ? [] : parentLayers.map(l => ({
        blob: { digest: l.compressedDigest ?? l.diffId, size: l.compressedSize ?? 0, mediaType: layerType(l.mediaType, o.format) },
        diffId: l.diffId,
      }))),
      ours,
    ]
    let configDigest = ''
    const ids = await importLayers(store, layers, {
      stage: async layer => {
        if (layer !== ours) throw new CockerError('LAYER_NOT_FOUND', `layer ${layer.diffId} of image ${parent.id.slice(0, 12)} is not in the store`, { hint: 'run "cocker system check"' })
        handedOver = true
        return { dir: staged, size: bytes }
      },
      beforeRecord: async () => {
        if (!store.blobs.has(diffId)) await writer.commit()
        configDigest = await store.blobs.put(config)
      },
    })
    if (!configDigest) configDigest = await store.blobs.put(config)
    if (!store.blobs.has(diffId)) await writer.commit()
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: o.format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest,
      config: { mediaType: o.format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig, digest: configDigest, size: config.length },
      layers: layers.map(l => l.blob),
    }))
    return await store.images.add({
      configDigest,
      manifestDigest: await store.blobs.put(manifest),
      manifestMediaType: o.format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest,
      names,
      layers: ids,
      created,
    })
  } finally {
    writer.discard()
    // importLayers owns it once handed over; else (the store had the layer, or a failure) it goes,
    // by the namespace's root where the namespace's ids own it
    if (!handedOver && existsSync(staged)) {
      if (viaHelper) await removeTreesInUserNamespace([staged])
      else rmSync(staged, { recursive: true, force: true })
    }
  }
}
