import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { convertManifest, encodeManifest, gzipLayerType } from '../../../lib/image/manifest-convert.js'
import { MediaType, parseManifest, type Descriptor, type ImageManifest } from '../../../lib/image/manifest.js'
import { throwsCode } from '../../support/assert.js'

const d = (mediaType: string, n: number, extra: Partial<Descriptor> = {}): Descriptor => ({ mediaType, digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: n * 100, ...extra })

const oci = (layers: Descriptor[], annotations?: Record<string, string>): ImageManifest => ({
  kind: 'manifest',
  mediaType: MediaType.OciManifest,
  config: d(MediaType.OciConfig, 9),
  layers,
  ...(annotations ? { annotations } : {}),
})

test('OCI to Docker v2s2: every layer type mapped as containers/image maps it, annotations dropped, digests and urls kept', () => {
  const m = oci([
    d(MediaType.OciLayer, 1),
    d(MediaType.OciLayerGzip, 2, { annotations: { a: 'b' } }),
    d(MediaType.OciLayerNondistributable, 3, { urls: ['https://example.com/l'] }),
    d(MediaType.OciLayerNondistributableGzip, 4),
  ], { 'org.opencontainers.image.created': 'now' })
  const docker = convertManifest(m, MediaType.DockerManifest, 'img')
  assert.equal(docker, {
    kind: 'manifest',
    mediaType: MediaType.DockerManifest,
    config: { ...m.config, mediaType: MediaType.DockerConfig },
    layers: [
      d(MediaType.DockerLayer, 1),
      d(MediaType.DockerLayerGzip, 2),
      d(MediaType.DockerLayerForeign, 3, { urls: ['https://example.com/l'] }),
      d(MediaType.DockerLayerForeignGzip, 4),
    ],
  })
  // and back: the OCI types again (annotations are gone: Docker's manifest had none)
  const back = convertManifest(docker, MediaType.OciManifest, 'img')
  assert.equal(back.layers.map(l => l.mediaType), m.layers.map(l => l.mediaType))
  assert.is(back.config.mediaType, MediaType.OciConfig)
  assert.is(convertManifest(m, MediaType.OciManifest, 'img'), m, 'the same type: unchanged')
})

test('Docker zstd maps to OCI zstd; zstd cannot be named by a Docker manifest, nor can an unknown layer or config type be converted', () => {
  const docker: ImageManifest = { ...oci([d(MediaType.DockerLayerZstd, 1)]), mediaType: MediaType.DockerManifest, config: d(MediaType.DockerConfig, 9) }
  assert.is(convertManifest(docker, MediaType.OciManifest, 'img').layers[0]!.mediaType, MediaType.OciLayerZstd)
  for (const t of [MediaType.OciLayerZstd, MediaType.OciLayerNondistributableZstd]) {
    const err = throwsCode(() => convertManifest(oci([d(MediaType.OciLayerGzip, 1), d(t, 2)]), MediaType.DockerManifest, 'img'), 'NOT_SUPPORTED', 'img: a layer is zstd-compressed')
    assert.match(err.hint ?? '', '--compression-format gzip')
  }
  throwsCode(() => convertManifest(oci([d('application/vnd.example.layer', 1)]), MediaType.DockerManifest, 'img'), 'NOT_SUPPORTED', 'media type application/vnd.example.layer to v2s2')
  throwsCode(() => convertManifest({ ...docker, layers: [d('application/x-other', 1)] }, MediaType.OciManifest, 'img'), 'NOT_SUPPORTED', 'to oci')
  throwsCode(() => convertManifest({ ...oci([]), config: d('application/vnd.example.config+json', 9) }, MediaType.DockerManifest, 'img'), 'NOT_SUPPORTED', 'not an image config')
})

test('the gzip type of a layer is of its own family; gzip and foreign layers have none (push leaves them as they are)', () => {
  assert.is(gzipLayerType(MediaType.OciLayer), MediaType.OciLayerGzip)
  assert.is(gzipLayerType(MediaType.OciLayerZstd), MediaType.OciLayerGzip)
  assert.is(gzipLayerType(MediaType.DockerLayer), MediaType.DockerLayerGzip)
  assert.is(gzipLayerType(MediaType.DockerLayerZstd), MediaType.DockerLayerGzip)
  for (const t of [MediaType.OciLayerGzip, MediaType.DockerLayerGzip, MediaType.OciLayerNondistributable, MediaType.DockerLayerForeign]) assert.is(gzipLayerType(t), undefined, t)
})

test('encoded manifests parse back to what was encoded, keys in the specs\' order', () => {
  const m = oci([d(MediaType.OciLayerGzip, 1, { annotations: { k: 'v' } }), d(MediaType.OciLayerNondistributable, 2, { urls: ['https://x/y'] })], { a: 'b' })
  const bytes = encodeManifest(m)
  assert.equal(parseManifest(bytes, MediaType.OciManifest, 'img'), m)
  assert.equal(Object.keys(JSON.parse(bytes.toString())), ['schemaVersion', 'mediaType', 'config', 'layers', 'annotations'])
  assert.equal(Object.keys(JSON.parse(bytes.toString()).layers[0]), ['mediaType', 'digest', 'size', 'annotations'])
  const docker = convertManifest(m, MediaType.DockerManifest, 'img')
  assert.equal(parseManifest(encodeManifest(docker), MediaType.DockerManifest, 'img'), docker)
  assert.not.match(encodeManifest(docker).toString(), 'annotations')
})

test.run()
