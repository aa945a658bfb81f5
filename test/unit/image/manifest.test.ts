import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { layerCompression, MediaType, parseImageConfig, parseManifest } from '../../../lib/image/manifest.js'
import { throwsCode } from '../../support/assert.js'

const D = (c: string) => `sha256:${c.repeat(64)}`
const desc = (mediaType: string, c: string, size = 10) => ({ mediaType, digest: D(c), size })
const json = (o: unknown) => Buffer.from(JSON.stringify(o))

test('Docker schema 2 and OCI manifests', () => {
  for (const [type, layer] of [
    [MediaType.DockerManifest, MediaType.DockerLayerGzip],
    [MediaType.OciManifest, MediaType.OciLayerZstd],
  ] as const) {
    const m = parseManifest(json({ schemaVersion: 2, mediaType: type, config: desc(MediaType.OciConfig, 'c'), layers: [desc(layer, 'a')] }), type, 'x')
    assert.equal(m, { kind: 'manifest', mediaType: type, config: desc(MediaType.OciConfig, 'c'), layers: [desc(layer, 'a')] })
  }
  // OCI may leave out mediaType: the registry's Content-Type, or the shape, decides.
  const bare = parseManifest(json({ schemaVersion: 2, config: desc(MediaType.OciConfig, 'c'), layers: [] }), undefined, 'x')
  assert.is(bare.mediaType, MediaType.OciManifest)
})

test('indexes and manifest lists keep platforms', () => {
  const m = { ...desc(MediaType.OciManifest, 'b'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }
  for (const type of [MediaType.OciIndex, MediaType.DockerManifestList]) {
    const idx = parseManifest(json({ schemaVersion: 2, mediaType: type, manifests: [m] }), 'application/json', 'x')
    assert.equal(idx, { kind: 'index', mediaType: type, manifests: [m] })
  }
  assert.is(parseManifest(json({ schemaVersion: 2, manifests: [] }), undefined, 'x').kind, 'index')
})

test('invalid manifests say what is wrong, naming the image', () => {
  const ok = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc(MediaType.OciConfig, 'c'), layers: [] }
  throwsCode(() => parseManifest(Buffer.from('{'), undefined, 'quay.io/a:1'), 'MANIFEST_INVALID', /^quay.io\/a:1: not valid JSON/)
  throwsCode(() => parseManifest(json({ ...ok, layers: [{ ...desc('t', 'a'), size: -1 }] }), undefined, 'i'), 'MANIFEST_INVALID', 'i: layers[0].size is not a byte count')
  throwsCode(() => parseManifest(json({ ...ok, config: { ...desc('t', 'a'), digest: 'nope' } }), undefined, 'i'), 'MANIFEST_INVALID', 'config.digest "nope" is not a digest')
  throwsCode(() => parseManifest(json({ ...ok, schemaVersion: 3 }), undefined, 'i'), 'MANIFEST_INVALID', 'schemaVersion is 3')
  throwsCode(() => parseManifest(json(ok), MediaType.DockerManifest, 'i'), 'MANIFEST_INVALID', 'the registry calls it')
  throwsCode(() => parseManifest(json({ ...ok, mediaType: 'text/html' }), undefined, 'i'), 'MANIFEST_INVALID', 'unknown manifest media type "text/html"')
  throwsCode(() => parseManifest(json({ schemaVersion: 1, name: 'a', fsLayers: [] }), MediaType.DockerSchema1Signed, 'i'), 'NOT_SUPPORTED', 'i: Docker schema 1 manifests are not supported')
})

test('image config: the fields a container needs, nulls dropped', () => {
  const c = parseImageConfig(
    json({
      architecture: 'arm',
      variant: 'v7',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Entrypoint: null, Cmd: ['sh'], Env: ['PATH=/bin'], WorkingDir: '/w', User: '1:1', ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' }, StopSignal: 'SIGINT', Volumes: { '/v': {} } },
      rootfs: { type: 'layers', diff_ids: [D('d')] },
      history: [{ created_by: 'x' }, { empty_layer: true }],
    }),
    'img',
  )
  assert.equal(c, {
    os: 'linux',
    architecture: 'arm',
    variant: 'v7',
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['sh'], Env: ['PATH=/bin'], WorkingDir: '/w', User: '1:1', ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' }, StopSignal: 'SIGINT', Volumes: { '/v': {} } },
    rootfs: { type: 'layers', diff_ids: [D('d')] },
    history: [{ created_by: 'x' }, { empty_layer: true }],
  })
  throwsCode(() => parseImageConfig(json({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] }, config: { Cmd: 'sh' } }), 'img'), 'MANIFEST_INVALID', 'img: image config: config.Cmd is not a list of strings')
  throwsCode(() => parseImageConfig(json({ os: 'linux', architecture: 'amd64' }), 'img'), 'MANIFEST_INVALID', 'rootfs is not an object')
})

test('layer compression by media type', () => {
  assert.is(layerCompression(MediaType.DockerLayerGzip), 'gzip')
  assert.is(layerCompression(MediaType.OciLayerGzip), 'gzip')
  assert.is(layerCompression(MediaType.OciLayerZstd), 'zstd')
  assert.is(layerCompression(MediaType.OciLayer), 'none')
  assert.is(layerCompression('application/vnd.in-toto+json'), undefined)
})

test.run()
