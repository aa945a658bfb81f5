import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MediaType, type ImageIndex } from '../../../lib/image/manifest.js'
import { formatPlatform, hostPlatform, normalizePlatform, parsePlatform, selectManifest } from '../../../lib/image/platform.js'
import { throwsCode } from '../../support/assert.js'

const entry = (c: string, os: string, architecture: string, variant?: string) => ({
  mediaType: MediaType.OciManifest,
  digest: `sha256:${c.repeat(64)}`,
  size: 1,
  platform: { os, architecture, ...(variant ? { variant } : {}) },
})
const index = (...manifests: ReturnType<typeof entry>[]): ImageIndex => ({ kind: 'index', mediaType: MediaType.OciIndex, manifests })

test('normalisation as containerd: aliases, arm64 v8 implied, arm v7 by default', () => {
  assert.equal(normalizePlatform({ os: 'Linux', architecture: 'x86_64' }), { os: 'linux', architecture: 'amd64' })
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: 'v8' }), { os: 'linux', architecture: 'arm64' })
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'arm' }), { os: 'linux', architecture: 'arm', variant: 'v7' })
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'arm', variant: '6' }), { os: 'linux', architecture: 'arm', variant: 'v6' })
  assert.equal(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' })
  assert.equal(parsePlatform('arm'), { os: 'linux', architecture: 'arm', variant: 'v7' })
  throwsCode(() => parsePlatform('linux//x'), 'INVALID_ARGUMENT', 'invalid platform "linux//x"')
  assert.is(hostPlatform().os, 'linux')
  assert.is(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7')
})

test('selection: exact match first, older arm variants as fallback, attestations ignored', () => {
  const idx = index(entry('1', 'linux', 'amd64'), entry('2', 'linux', 'arm64', 'v8'), entry('3', 'linux', 'arm', 'v6'), entry('4', 'linux', 'arm', 'v5'), entry('5', 'unknown', 'unknown'))
  assert.is(selectManifest(idx, 'i', { os: 'linux', architecture: 'x86_64' }).digest, idx.manifests[0]!.digest)
  assert.is(selectManifest(idx, 'i', { os: 'linux', architecture: 'arm64' }).digest, idx.manifests[1]!.digest)
  assert.is(selectManifest(idx, 'i', { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, idx.manifests[2]!.digest)
  const err = throwsCode(() => selectManifest(idx, 'docker.io/library/x:1', { os: 'linux', architecture: 'riscv64' }), 'PLATFORM_NOT_FOUND')
  assert.is(err.message, 'docker.io/library/x:1: no image for linux/riscv64 (the image offers linux/amd64, linux/arm64, linux/arm/v6, linux/arm/v5)')
  assert.is(err.hint, 'choose one with --platform, e.g. --platform linux/amd64')
})

test.run()
