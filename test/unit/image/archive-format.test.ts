import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { archiveName, layerMediaType, linkTarget, loadedName, parseDockerManifest, parseOciIndex } from '../../../lib/image/archive-format.js'
import { throwsCode } from '../../support/assert.js'

test('archiveName normalises; absolute names and ".." are ARCHIVE_UNSAFE', () => {
  assert.is(archiveName('./a//b/./c', 'x.tar'), 'a/b/c')
  assert.is(archiveName('manifest.json', 'x.tar'), 'manifest.json')
  throwsCode(() => archiveName('/etc/passwd', 'x.tar'), 'ARCHIVE_UNSAFE')
  throwsCode(() => archiveName('a/../../b', 'x.tar'), 'ARCHIVE_UNSAFE')
  throwsCode(() => archiveName('a/../b', 'x.tar'), 'ARCHIVE_UNSAFE')
})

test('linkTarget resolves inside the archive and refuses to leave it', () => {
  assert.is(linkTarget('abc/layer.tar', '../def/layer.tar', 'x'), 'def/layer.tar')
  assert.is(linkTarget('l.tar', './blobs/x', 'x'), 'blobs/x')
  throwsCode(() => linkTarget('abc/layer.tar', '../../etc/passwd', 'x'), 'ARCHIVE_UNSAFE')
  throwsCode(() => linkTarget('l', '/etc/passwd', 'x'), 'ARCHIVE_UNSAFE')
})

test('parseDockerManifest: entries, RepoTags optional, malformed lists refused', () => {
  const m = parseDockerManifest(Buffer.from('[{"Config":"c.json","RepoTags":null,"Layers":["a.tar"]}]'), 'x')
  assert.equal(m, [{ Config: 'c.json', RepoTags: [], Layers: ['a.tar'] }])
  throwsCode(() => parseDockerManifest(Buffer.from('[]'), 'x'), 'ARCHIVE_INVALID')
  throwsCode(() => parseDockerManifest(Buffer.from('[{"Config":1,"Layers":[]}]'), 'x'), 'ARCHIVE_INVALID')
  throwsCode(() => parseDockerManifest(Buffer.from('{'), 'x'), 'ARCHIVE_INVALID')
})

test('parseOciIndex wants sha256 descriptors', () => {
  const d = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 3 }
  assert.equal(parseOciIndex(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [d] })), 'x'), [d])
  throwsCode(() => parseOciIndex(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ ...d, digest: 'sha256:../../x' }] })), 'x'), 'ARCHIVE_INVALID')
  throwsCode(() => parseOciIndex(Buffer.from('{"manifests":[]}'), 'x'), 'ARCHIVE_INVALID')
})

test('loadedName: bare names go to localhost/, as podman load', () => {
  assert.is(loadedName('foo:1'), 'localhost/foo:1')
  assert.is(loadedName('v7'), 'localhost/v7:latest')
  assert.is(loadedName('quay.io/a/b:2'), 'quay.io/a/b:2')
  assert.is(loadedName('NOT A NAME'), undefined)
})

test('layerMediaType sniffs gzip and zstd', () => {
  assert.is(layerMediaType(Buffer.from([0x1f, 0x8b, 8, 0])), 'application/vnd.oci.image.layer.v1.tar+gzip')
  assert.is(layerMediaType(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'application/vnd.oci.image.layer.v1.tar+zstd')
  assert.is(layerMediaType(Buffer.from('a.tx')), 'application/vnd.oci.image.layer.v1.tar')
})

test.run()
