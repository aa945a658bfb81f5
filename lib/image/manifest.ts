// Manifests, indexes and image configs, Docker schema 2 and OCI: parsed and
// checked so that later code can trust every field it reads. Pure.
import { CockerError } from '../errors.js'

export const MediaType = {
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** Not in Docker's spec; containers/image writes it for zstd layers of a v2s2 image. */
  DockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  DockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar',
  DockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
} as const

/** What a pull asks the registry for (Accept), preferred first. */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.OciIndex,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.DockerManifest,
]

export interface Platform {
  os: string
  architecture: string
  variant?: string
  'os.version'?: string
  'os.features'?: string[]
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  urls?: string[]
  annotations?: Record<string, string>
  platform?: Platform
}

export interface ImageManifest {
  kind: 'manifest'
  mediaType: string
  config: Descriptor
  layers: Descriptor[]
  annotations?: Record<string, string>
}

/** An OCI index or a Docker manifest list. */
export interface ImageIndex {
  kind: 'index'
  mediaType: string
  manifests: Descriptor[]
  annotations?: Record<string, string>
}

export type Manifest = ImageManifest | ImageIndex

export interface ContainerConfig {
  Entrypoint?: string[]
  Cmd?: string[]
  Env?: string[]
  WorkingDir?: string
  User?: string
  ExposedPorts?: Record<string, object>
  Labels?: Record<string, string>
  StopSignal?: string
  Volumes?: Record<string, object>
  /** Docker's HEALTHCHECK (not in the OCI image spec, but in images docker and buildah build); durations in ns. */
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number }
}

export interface HistoryEntry {
  created?: string
  created_by?: string
  author?: string
  comment?: string
  empty_layer?: boolean
}

export interface ImageConfig {
  os: string
  architecture: string
  variant?: string
  created?: string
  author?: string
  config: ContainerConfig
  rootfs: { type: 'layers'; diff_ids: string[] }
  history: HistoryEntry[]
}

export type Compression = 'gzip' | 'zstd' | 'none'

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/
const SHA256 = /^sha256:[a-f0-9]{64}$/

const LAYER_COMPRESSION: Record<string, Compression> = {
  [MediaType.DockerLayer]: 'none',
  [MediaType.DockerLayerGzip]: 'gzip',
  [MediaType.DockerLayerZstd]: 'zstd',
  [MediaType.DockerLayerForeign]: 'none',
  [MediaType.DockerLayerForeignGzip]: 'gzip',
  [MediaType.OciLayer]: 'none',
  [MediaType.OciLayerGzip]: 'gzip',
  [MediaType.OciLayerZstd]: 'zstd',
  [MediaType.OciLayerNondistributable]: 'none',
  [MediaType.OciLayerNondistributableGzip]: 'gzip',
  [MediaType.OciLayerNondistributableZstd]: 'zstd',
}

/** How a layer blob is compressed, by its media type; undefined for a type that is not a layer we know. */
export function layerCompression(mediaType: string): Compression | undefined {
  return LAYER_COMPRESSION[mediaType]
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList
}

class Checker {
  constructor(readonly what: string) {}

  fail(why: string): never {
    throw new CockerError('MANIFEST_INVALID', `${this.what}: ${why}`, { hint: 'the image was written by a broken tool; rebuild or push it again' })
  }

  object(v: unknown, at: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${at} is not an object`)
    return v as Record<string, unknown>
  }

  string(v: unknown, at: string): string {
    if (typeof v !== 'string') this.fail(`${at} is not a string`)
    return v
  }

  optString(v: unknown, at: string): string | undefined {
    return v === undefined || v === null ? undefined : this.string(v, at)
  }

  strings(v: unknown, at: string): string[] | undefined {
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v) || v.some(s => typeof s !== 'string')) this.fail(`${at} is not a list of strings`)
    return v as string[]
  }

  stringMap(v: unknown, at: string): Record<string, string> | undefined {
    if (v === undefined || v === null) return undefined
    const o = this.object(v, at)
    for (const [k, x] of Object.entries(o)) this.string(x, `${at}["${k}"]`)
    return o as Record<string, string>
  }

  objectMap(v: unknown, at: string): Record<string, object> | undefined {
    if (v === undefined || v === null) return undefined
    const o = this.object(v, at)
    for (const [k, x] of Object.entries(o)) if (typeof x !== 'object') this.fail(`${at}["${k}"] is not an object`)
    return o as Record<string, object>
  }

  digest(v: unknown, at: string): string {
    const d = this.string(v, at)
    if (!DIGEST.test(d)) this.fail(`${at} "${d}" is not a digest`)
    return d
  }

  platform(v: unknown, at: string): Platform {
    const o = this.object(v, at)
    const p: Platform = { os: this.string(o.os, `${at}.os`), architecture: this.string(o.architecture, `${at}.architecture`) }
    const variant = this.optString(o.variant, `${at}.variant`)
    if (variant) p.variant = variant
    const version = this.optString(o['os.version'], `${at}["os.version"]`)
    if (version) p['os.version'] = version
    const features = this.strings(o['os.features'], `${at}["os.features"]`)
    if (features) p['os.features'] = features
    return p
  }

  descriptor(v: unknown, at: string): Descriptor {
    const o = this.object(v, at)
    const size = o.size
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) this.fail(`${at}.size is not a byte count`)
    const d: Descriptor = { mediaType: this.string(o.mediaType, `${at}.mediaType`), digest: this.digest(o.digest, `${at}.digest`), size }
    const urls = this.strings(o.urls, `${at}.urls`)
    if (urls) d.urls = urls
    const annotations = this.stringMap(o.annotations, `${at}.annotations`)
    if (annotations) d.annotations = annotations
    if (o.platform !== undefined && o.platform !== null) d.platform = this.platform(o.platform, `${at}.platform`)
    return d
  }
}

function parseJson(bytes: Buffer | string, c: Checker): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'))
  } catch (err) {
    return c.fail(`not valid JSON (${(err as Error).message})`)
  }
}

/**
 * A manifest or index. `mediaType` is what the registry (or layout) said it is; the JSON's
 * own mediaType must agree when both exist, and OCI documents may omit theirs. `what` names
 * the image in errors.
 */
export function parseManifest(bytes: Buffer | string, mediaType: string | undefined, what: string): Manifest {
  const c: Checker = new Checker(what)
  const o = c.object(parseJson(bytes, c), 'the manifest')
  const declared = c.optString(o.mediaType, 'mediaType')
  const type = declared || mediaType || (Array.isArray(o.manifests) ? MediaType.OciIndex : MediaType.OciManifest)
  if (o.schemaVersion === 1 || type === MediaType.DockerSchema1 || type === MediaType.DockerSchema1Signed) {
    throw new CockerError('NOT_SUPPORTED', `${what}: Docker schema 1 manifests are not supported`, {
      hint: 'push the image again with a current tool (docker, podman, skopeo), which writes schema 2 or OCI',
    })
  }
  if (declared && mediaType && !isGenericType(mediaType) && declared !== mediaType) c.fail(`the registry calls it ${mediaType} but it declares ${declared}`)
  if (o.schemaVersion !== 2) c.fail(`schemaVersion is ${JSON.stringify(o.schemaVersion)}, expected 2`)
  const annotations = c.stringMap(o.annotations, 'annotations')
  if (isIndexMediaType(type)) {
    if (!Array.isArray(o.manifests)) c.fail('manifests is not a list')
    const manifests = o.manifests.map((m, i) => c.descriptor(m, `manifests[${i}]`))
    return { kind: 'index', mediaType: type, manifests, ...(annotations ? { annotations } : {}) }
  }
  if (type !== MediaType.OciManifest && type !== MediaType.DockerManifest) c.fail(`unknown manifest media type "${type}"`)
  const config = c.descriptor(o.config, 'config')
  if (!Array.isArray(o.layers)) c.fail('layers is not a list')
  const layers = o.layers.map((l, i) => c.descriptor(l, `layers[${i}]`))
  return { kind: 'manifest', mediaType: type, config, layers, ...(annotations ? { annotations } : {}) }
}

function isGenericType(mediaType: string): boolean {
  return mediaType === '' || mediaType === 'application/json' || mediaType === 'text/plain' || mediaType === 'application/octet-stream'
}

/** An image config (Docker's and OCI's are the same JSON). */
export function parseImageConfig(bytes: Buffer | string, what: string): ImageConfig {
  const c: Checker = new Checker(`${what}: image config`)
  const o = c.object(parseJson(bytes, c), 'the config')
  const rootfs = c.object(o.rootfs, 'rootfs')
  if (rootfs.type !== 'layers') c.fail(`rootfs.type is ${JSON.stringify(rootfs.type)}, expected "layers"`)
  if (!Array.isArray(rootfs.diff_ids)) c.fail('rootfs.diff_ids is not a list')
  const diffIds = rootfs.diff_ids.map((d, i) => {
    const s = c.digest(d, `rootfs.diff_ids[${i}]`)
    if (!SHA256.test(s)) c.fail(`rootfs.diff_ids[${i}] "${s}" is not a sha256 digest`)
    return s
  })
  const history = o.history === undefined || o.history === null ? [] : o.history
  if (!Array.isArray(history)) c.fail('history is not a list')
  const config: ImageConfig = {
    os: c.string(o.os, 'os'),
    architecture: c.string(o.architecture, 'architecture'),
    config: containerConfig(c, o.config),
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: history.map((h, i) => historyEntry(c, h, `history[${i}]`)),
  }
  const variant = c.optString(o.variant, 'variant')
  if (variant) config.variant = variant
  const created = c.optString(o.created, 'created')
  if (created) config.created = created
  const author = c.optString(o.author, 'author')
  if (author) config.author = author
  return config
}

function containerConfig(c: Checker, v: unknown): ContainerConfig {
  if (v === undefined || v === null) return {}
  const o = c.object(v, 'config')
  const out: ContainerConfig = {}
  const set = <K extends keyof ContainerConfig>(k: K, x: ContainerConfig[K] | undefined) => {
    if (x !== undefined) out[k] = x
  }
  set('Entrypoint', c.strings(o.Entrypoint, 'config.Entrypoint'))
  set('Cmd', c.strings(o.Cmd, 'config.Cmd'))
  set('Env', c.strings(o.Env, 'config.Env'))
  set('WorkingDir', c.optString(o.WorkingDir, 'config.WorkingDir'))
  set('User', c.optString(o.User, 'config.User'))
  set('ExposedPorts', c.objectMap(o.ExposedPorts, 'config.ExposedPorts'))
  set('Labels', c.stringMap(o.Labels, 'config.Labels'))
  set('StopSignal', c.optString(o.StopSignal, 'config.StopSignal'))
  set('Volumes', c.objectMap(o.Volumes, 'config.Volumes'))
  if (o.Healthcheck !== undefined && o.Healthcheck !== null) {
    const h = c.object(o.Healthcheck, 'config.Healthcheck')
    const num = (x: unknown, at: string) => {
      if (x === undefined || x === null) return undefined
      if (typeof x !== 'number') c.fail(`config.Healthcheck.${at} is not a number`)
      return x as number
    }
    out.Healthcheck = { Test: c.strings(h.Test, 'config.Healthcheck.Test'), Interval: num(h.Interval, 'Interval'), Timeout: num(h.Timeout, 'Timeout'),
      StartPeriod: num(h.StartPeriod, 'StartPeriod'), Retries: num(h.Retries, 'Retries') }
  }
  return out
}

function historyEntry(c: Checker, v: unknown, at: string): HistoryEntry {
  const o = c.object(v, at)
  const h: HistoryEntry = {}
  for (const k of ['created', 'created_by', 'author', 'comment'] as const) {
    const s = c.optString(o[k], `${at}.${k}`)
    if (s !== undefined) h[k] = s
  }
  if (o.empty_layer !== undefined && o.empty_layer !== null) {
    if (typeof o.empty_layer !== 'boolean') c.fail(`${at}.empty_layer is not a boolean`)
    h.empty_layer = o.empty_layer
  }
  return h
}
