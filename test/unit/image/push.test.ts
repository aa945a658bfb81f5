import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { endpointsFor, parseRegistriesConf } from '../../../lib/config/registries.js'
import { MediaType, type ImageManifest } from '../../../lib/image/manifest.js'
import { layerJobs, mountSource, pushDestination } from '../../../lib/image/push.js'
import type { ImageRecord } from '../../../lib/storage/metadata.js'
import { throwsCode } from '../../support/assert.js'

test('destination: given (docker:// allowed), else the name matched; by ID none', () => {
  assert.equal(pushDestination('x', 'docker://quay.io/a/b:1', undefined), { registry: 'quay.io', repository: 'a/b', tag: '1' })
  assert.equal(pushDestination('x', 'localhost:5000/b', undefined), { registry: 'localhost:5000', repository: 'b', tag: 'latest' })
  assert.equal(pushDestination('alpine', undefined, 'docker.io/library/alpine:latest'), { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' })
  const err = throwsCode(() => pushDestination('abc123', undefined, undefined), 'INVALID_ARGUMENT', 'Invalid image name "abc123", expected colon-separated transport:reference')
  assert.match(err.hint ?? '', 'cocker push abc123 REGISTRY/REPOSITORY[:TAG]')
  throwsCode(() => pushDestination('x', 'oci:/tmp/layout', undefined), 'NOT_SUPPORTED', 'cocker pushes to registries only')
  throwsCode(() => pushDestination('x', 'docker-archive:/tmp/a.tar', undefined), 'NOT_SUPPORTED')
})

const image = (repoDigests: string[], names: string[] = []): ImageRecord => ({
  id: 'a'.repeat(64), names, namesHistory: names, digest: `sha256:${'b'.repeat(64)}`, repoDigests, manifestMediaType: '',
  configDigest: '', manifestDigest: '', layers: [], created: '', size: 0,
})

test('mount source: a repository of the same registry the image came from, never the destination itself', () => {
  const conf = parseRegistriesConf('[[registry]]\nprefix = "alias.io/team"\nlocation = "real.io/team"\n')
  const endpointOf = (r: { registry: string; repository: string }) => endpointsFor(conf, r).at(-1)!
  const dest = endpointOf({ registry: 'quay.io', repository: 'me/app' })
  const d = 'sha256:' + 'b'.repeat(64)
  assert.is(mountSource(image([`docker.io/library/alpine@${d}`, `quay.io/other/app@${d}`]), dest, endpointOf), 'other/app')
  assert.is(mountSource(image([`quay.io/me/app@${d}`], ['quay.io/x/y:1']), dest, endpointOf), 'x/y')
  assert.is(mountSource(image([`docker.io/library/alpine@${d}`]), dest, endpointOf), undefined)
  // registries.conf rewrites the source as it does the destination
  const real = endpointOf({ registry: 'real.io', repository: 'team/dest' })
  assert.is(mountSource(image([`alias.io/team/src@${d}`]), real, endpointOf), 'team/src')
})

test('layer jobs: uncompressed layers are compressed, gzip and foreign ones sent as stored, zstd ones only when gzip is asked for', () => {
  const dig = (c: string) => `sha256:${c.repeat(64)}`
  const layer = (mediaType: string, c: string) => ({ mediaType, digest: dig(c), size: 1 })
  const manifest: ImageManifest = {
    kind: 'manifest', mediaType: MediaType.OciManifest, config: layer(MediaType.OciConfig, 'c'),
    layers: [layer(MediaType.OciLayerGzip, '1'), layer(MediaType.OciLayer, '2'), layer(MediaType.OciLayerZstd, '3'), layer(MediaType.OciLayerNondistributable, '4'), layer(MediaType.OciLayer, '2')],
  }
  const diffIds = [dig('a'), dig('2'), dig('b'), dig('d'), dig('2')]
  let read = 0
  const ids = () => (read++, diffIds)
  const plain = layerJobs(manifest, undefined, ids)
  assert.equal(plain.map(j => [j.stored.digest, j.compress]), [[dig('1'), false], [dig('2'), true], [dig('3'), false], [dig('4'), false]], 'a layer listed twice is sent once')
  assert.is(plain[1]!.diffId, dig('2'), 'an uncompressed blob is its own diff_id')
  assert.is(read, 0, 'the config is not read when no zstd layer is recompressed')
  const gzip = layerJobs(manifest, 'gzip', ids)
  assert.equal(gzip.map(j => j.compress), [false, true, true, false])
  assert.is(gzip[2]!.diffId, dig('b'), 'a zstd layer is remembered by its diff_id')
  assert.is(read, 1)
})

test.run()
