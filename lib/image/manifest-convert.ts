/**
 * What `push` changes in a manifest: layers it compresses get the gzip media type of their
 * family, and `--format` turns an OCI manifest into a Docker schema 2 one or back. The media
 * types map as containers/image maps them (internal/image/oci.go, docker_schema2.go); the
 * config blob is kept as it is (both formats read the same JSON, and the image keeps its ID).
 * Pure.
 */
import { CockerError } from '../errors.js'
import { MediaType, type Descriptor, type ImageManifest } from './manifest.js'

const OCI_TO_DOCKER: Record<string, string | undefined> = {
  [MediaType.OciLayer]: MediaType.DockerLayer,
  [MediaType.OciLayerGzip]: MediaType.DockerLayerGzip,
  [MediaType.OciLayerNondistributable]: MediaType.DockerLayerForeign,
  [MediaType.OciLayerNondistributableGzip]: MediaType.DockerLayerForeignGzip,
  // a Docker manifest has no zstd type of its own
  [MediaType.OciLayerZstd]: undefined,
  [MediaType.OciLayerNondistributableZstd]: undefined,
}

const DOCKER_TO_OCI: Record<string, string> = {
  [MediaType.DockerLayer]: MediaType.OciLayer,
  [MediaType.DockerLayerGzip]: MediaType.OciLayerGzip,
  [MediaType.DockerLayerZstd]: MediaType.OciLayerZstd,
  [MediaType.DockerLayerForeign]: MediaType.OciLayerNondistributable,
  [MediaType.DockerLayerForeignGzip]: MediaType.OciLayerNondistributableGzip,
}

/** The gzip type of a layer's own family; undefined for one that is gzip already or is not sent (foreign, non-distributable). */
const GZIP_OF: Record<string, string> = {
  [MediaType.OciLayer]: MediaType.OciLayerGzip,
  [MediaType.OciLayerZstd]: MediaType.OciLayerGzip,
  [MediaType.DockerLayer]: MediaType.DockerLayerGzip,
  [MediaType.DockerLayerZstd]: MediaType.DockerLayerGzip,
}

/** The media type of a layer of type `mediaType` once gzip-compressed; undefined when push leaves such a layer as it is. */
export function gzipLayerType(mediaType: string): string | undefined {
  return GZIP_OF[mediaType]
}

/**
 * The manifest as a manifest of type `to` (MediaType.OciManifest or DockerManifest): config
 * and layer media types mapped, a Docker manifest without annotations (it has none). A layer
 * that type cannot name (zstd in a Docker manifest, a type cocker does not know) is refused
 * with NOT_SUPPORTED; `what` names the image.
 */
export function convertManifest(m: ImageManifest, to: string, what: string): ImageManifest {
  if (m.mediaType === to) return m
  const toDocker = to === MediaType.DockerManifest
  if (!toDocker && to !== MediaType.OciManifest) throw new Error(`convertManifest: not a manifest type: ${to}`)
  const configType = toDocker ? MediaType.DockerConfig : MediaType.OciConfig
  if (m.config.mediaType !== MediaType.OciConfig && m.config.mediaType !== MediaType.DockerConfig) {
    throw new CockerError('NOT_SUPPORTED', `${what}: its config is ${m.config.mediaType}, not an image config; cocker converts images only`, {
      hint: 'push without --format to send it as stored',
    })
  }
  const layers = m.layers.map((l): Descriptor => {
    const mediaType = toDocker ? dockerLayerType(l.mediaType, what) : ociLayerType(l.mediaType, what)
    return { mediaType, digest: l.digest, size: l.size, ...(l.urls ? { urls: l.urls } : {}), ...(!toDocker && l.annotations ? { annotations: l.annotations } : {}) }
  })
  return {
    kind: 'manifest',
    mediaType: to,
    config: { mediaType: configType, digest: m.config.digest, size: m.config.size },
    layers,
    ...(!toDocker && m.annotations ? { annotations: m.annotations } : {}),
  }
}

/** A layer's media type in the family of manifest type `manifestType` (a pulled Docker layer named by an OCI manifest, say). */
export function layerTypeFor(type: string, manifestType: string, what: string): string {
  return manifestType === MediaType.DockerManifest ? dockerLayerType(type, what) : ociLayerType(type, what)
}

function dockerLayerType(type: string, what: string): string {
  if (type in DOCKER_TO_OCI) return type
  if (!(type in OCI_TO_DOCKER)) throw unknownLayer(type, what, 'v2s2')
  const mapped = OCI_TO_DOCKER[type]
  if (!mapped) {
    throw new CockerError('NOT_SUPPORTED', `${what}: a layer is zstd-compressed (${type}), which a Docker v2s2 manifest cannot name`, {
      hint: 'add --compression-format gzip to recompress it, or push it as oci',
    })
  }
  return mapped
}

function ociLayerType(type: string, what: string): string {
  if (type in OCI_TO_DOCKER) return type
  const mapped = DOCKER_TO_OCI[type]
  if (!mapped) throw unknownLayer(type, what, 'oci')
  return mapped
}

function unknownLayer(type: string, what: string, format: string): CockerError {
  return new CockerError('NOT_SUPPORTED', `${what}: cocker cannot convert a layer of media type ${type} to ${format}`, {
    hint: 'push without --format to send it as stored',
  })
}

/** The manifest's JSON, compact, keys in the order the specs list them. */
export function encodeManifest(m: ImageManifest): Buffer {
  const docker = m.mediaType === MediaType.DockerManifest
  const descriptor = (d: Descriptor) => ({
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.urls ? { urls: d.urls } : {}),
    ...(!docker && d.annotations ? { annotations: d.annotations } : {}),
  })
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: m.mediaType,
    config: descriptor(m.config),
    layers: m.layers.map(descriptor),
    ...(!docker && m.annotations ? { annotations: m.annotations } : {}),
  }))
}
