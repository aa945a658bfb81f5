// Test images as OCI layouts, built here and sharing no code with lib/ so that
// a bug in lib/ cannot hide itself: an own ustar writer, gzip from node:zlib,
// hand-written manifests. skopeo (the oracle) pushes them to the test registry.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { hostBusybox } from '../fixtures/busybox-bundle.js'
import { SKOPEO_ENV } from './registry.js'

export type TarEntry =
  | { type: 'file'; path: string; data: Buffer | string; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string }

const MTIME = 1_700_000_000

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

function header(name: string, mode: number, size: number, typeflag: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512)
  let prefix = ''
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar path too long for ustar: ${name}`)
    prefix = name.slice(0, cut)
    name = name.slice(cut + 1)
  }
  h.write(name, 0, 100)
  h.write(octal(mode, 8), 100)
  h.write(octal(0, 8), 108)
  h.write(octal(0, 8), 116)
  h.write(octal(size, 12), 124)
  h.write(octal(MTIME, 12), 136)
  h.write('        ', 148) // checksum is computed with its own field as spaces
  h.write(typeflag, 156)
  h.write(linkname, 157, 100)
  h.write('ustar\0', 257)
  h.write('00', 263)
  h.write('root', 265)
  h.write('root', 297)
  h.write(prefix, 345, 155)
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + ' ', 148)
  return h
}

/** An uncompressed ustar archive; owners are root, mtimes fixed, so the bytes are reproducible. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    if (e.type === 'dir') {
      parts.push(header(e.path.replace(/\/?$/, '/'), e.mode ?? 0o755, 0, '5'))
    } else if (e.type === 'symlink') {
      parts.push(header(e.path, 0o777, 0, '2', e.target))
    } else {
      const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data
      parts.push(header(e.path, e.mode ?? 0o644, data.length, '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512))
    }
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: { os: string; architecture: string; variant?: string }
}

export interface FixtureLayer extends Descriptor {
  diffId: string
  /** Uncompressed tar. */
  tar: Buffer
  /** The bytes as stored (gzip). */
  blob: Buffer
}

export interface FixtureImage {
  manifest: Descriptor
  manifestBytes: Buffer
  config: Descriptor
  configBytes: Buffer
  layers: FixtureLayer[]
}

export interface FixtureLayout {
  dir: string
  tag: string
  /** What index.json points at: the image manifest, or the multi-arch index. */
  top: Descriptor
  topBytes: Buffer
  images: FixtureImage[]
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd'

/** Go's GOARCH for this host, as images name it. */
export function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch
}

function writeBlob(dir: string, bytes: Buffer): string {
  const digest = sha256(bytes)
  const file = path.join(dir, 'blobs', 'sha256', digest.slice(7))
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, bytes)
  return digest
}

/** zstd through the zstd CLI (Node 20 has none; lib's own decoder must not judge itself). */
function zstdSync(data: Buffer): Buffer {
  const r = spawnSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 })
  if (r.status !== 0) throw new Error(`zstd exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

function makeImage(dir: string, layerTars: Buffer[], platform: { os: string; architecture: string; variant?: string }, cmd: string[],
  compression: 'gzip' | 'zstd' = 'gzip'): FixtureImage {
  const layers: FixtureLayer[] = layerTars.map(t => {
    const blob = compression === 'zstd' ? zstdSync(t) : gzipSync(t)
    const mediaType = compression === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER_GZIP
    return { mediaType, digest: writeBlob(dir, blob), size: blob.length, diffId: sha256(t), tar: t, blob }
  })
  const configBytes = Buffer.from(
    JSON.stringify({
      created: new Date(MTIME * 1000).toISOString(),
      ...platform,
      config: { Cmd: cmd, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/', Labels: { 'org.cocker.test': 'fixture' } },
      rootfs: { type: 'layers', diff_ids: layers.map(l => l.diffId) },
      history: layers.map((_, i) => ({ created: new Date(MTIME * 1000).toISOString(), created_by: `cocker test fixture layer ${i + 1}` })),
    }),
  )
  const config: Descriptor = { mediaType: OCI_CONFIG, digest: writeBlob(dir, configBytes), size: configBytes.length }
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config,
      layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    }),
  )
  const manifest: Descriptor = { mediaType: OCI_MANIFEST, digest: writeBlob(dir, manifestBytes), size: manifestBytes.length, platform }
  return { manifest, manifestBytes, config, configBytes, layers }
}

function finishLayout(dir: string, tag: string, top: Descriptor, topBytes: Buffer, images: FixtureImage[]): FixtureLayout {
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const { platform: _, ...desc } = top
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ ...desc, annotations: { 'org.opencontainers.image.ref.name': tag } }] }),
  )
  return { dir, tag, top, topBytes, images }
}

let applets: string[] | undefined

function busyboxApplets(busybox: string): string[] {
  if (!applets) {
    const r = spawnSync(busybox, ['--list'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${busybox} --list exited ${r.status}: ${r.stderr}`)
    applets = r.stdout.split('\n').filter(a => /^[a-z0-9_.-]+$/.test(a) && a !== 'busybox')
  }
  return applets
}

/**
 * Two layers. Layer 1: /bin/busybox (the host's static one) with an applet symlink per
 * command in /bin, /etc/passwd, /etc/group, /tmp and /etc/removed-later. Layer 2: /etc/motd,
 * /opt/data/hello.txt and a whiteout of /etc/removed-later. Config: Cmd ["sh"], Env PATH.
 */
export function buildBusyboxLayout(dir: string, tag = 'latest', compression: 'gzip' | 'zstd' = 'gzip'): FixtureLayout {
  const busybox = hostBusybox()
  const layer1 = tar([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    ...busyboxApplets(busybox).map(a => ({ type: 'symlink' as const, path: `bin/${a}`, target: 'busybox' })),
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { type: 'file', path: 'etc/group', data: 'root:x:0:\nnobody:x:65534:\n' },
    { type: 'file', path: 'etc/removed-later', data: 'layer 2 deletes me\n' },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ])
  const layer2 = tar([
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/motd', data: 'hello from the cocker test image\n' },
    { type: 'file', path: 'etc/.wh.removed-later', data: '' },
    { type: 'dir', path: 'opt' },
    { type: 'dir', path: 'opt/data' },
    { type: 'file', path: 'opt/data/hello.txt', data: 'hello\n' },
  ])
  mkdirSync(dir, { recursive: true })
  const image = makeImage(dir, [layer1, layer2], { os: 'linux', architecture: hostArch() }, ['sh'], compression)
  return finishLayout(dir, tag, image.manifest, image.manifestBytes, [image])
}

/** An OCI index over two single-layer images, linux/amd64 and linux/arm64/v8, each with /arch naming itself. */
export function buildMultiArchLayout(dir: string, tag = 'latest'): FixtureLayout {
  mkdirSync(dir, { recursive: true })
  const platforms = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]
  const images = platforms.map(p => {
    const name = [p.os, p.architecture, p.variant].filter(Boolean).join('/')
    return makeImage(dir, [tar([{ type: 'file', path: 'arch', data: `${name}\n` }])], p, ['cat', '/arch'])
  })
  const topBytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: images.map(i => i.manifest) }),
  )
  const top: Descriptor = { mediaType: OCI_INDEX, digest: writeBlob(dir, topBytes), size: topBytes.length }
  return finishLayout(dir, tag, top, topBytes, images)
}

/** An image of the given layer tars (uncompressed; gzipped here), e.g. hostile ones built by test/support/tar-builder.ts. */
export function buildLayout(dir: string, layerTars: Buffer[], cmd: string[] = ['sh'], tag = 'latest'): FixtureLayout {
  mkdirSync(dir, { recursive: true })
  const image = makeImage(dir, layerTars, { os: 'linux', architecture: hostArch() }, cmd)
  return finishLayout(dir, tag, image.manifest, image.manifestBytes, [image])
}

/** Bytes that gzip cannot shrink, the same on every run (xorshift32 from `seed`). */
function noise(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size)
  let x = seed | 0 || 1
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    b.writeInt32LE(x, i)
  }
  return b
}

/**
 * The busybox image plus three layers of 4 MB of noise and 1000 small files each: a pull
 * takes long enough on loopback that a test can kill it halfway. /big/N/sum holds the
 * sha256 of /big/N/noise.
 */
export function buildBigLayout(dir: string, tag = 'latest'): FixtureLayout {
  const base = buildBusyboxLayout(path.join(dir, 'base'))
  rmSync(path.join(dir, 'base'), { recursive: true, force: true })
  const extra = [1, 2, 3].map(n => {
    const data = noise(4 << 20, n * 7919)
    return tar([
      { type: 'dir', path: 'big' },
      { type: 'dir', path: `big/${n}` },
      { type: 'file', path: `big/${n}/noise`, data },
      { type: 'file', path: `big/${n}/sum`, data: `${sha256(data).slice(7)}\n` },
      { type: 'dir', path: `big/${n}/many` },
      ...Array.from({ length: 1000 }, (_, i) => ({ type: 'file' as const, path: `big/${n}/many/f${i}`, data: `${n}:${i}\n` })),
    ])
  })
  mkdirSync(dir, { recursive: true })
  const image = makeImage(dir, [...base.images[0]!.layers.map(l => l.tar), ...extra], { os: 'linux', architecture: hostArch() }, ['sh'])
  return finishLayout(dir, tag, image.manifest, image.manifestBytes, [image])
}

export type FixtureKind = 'busybox' | 'busybox-zstd' | 'multiarch' | 'big'

export interface PushedFixture {
  layout: FixtureLayout
  /** 'HOST/NAME:TAG' */
  reference: string
  repository: string
  tag: string
  /** Digest of the manifest (or index) as stored by the registry: differs from the layout's with v2s2. */
  digest: string
}

export interface PushOptions {
  /** Docker schema 2 media types instead of OCI (skopeo --format v2s2). */
  format?: 'oci' | 'v2s2'
  /** Credentials of a registry started with auth. */
  auth?: { username: string; password: string }
}

const layouts = new Map<FixtureKind, FixtureLayout>()
process.on('exit', () => {
  for (const layout of layouts.values()) rmSync(layout.dir, { recursive: true, force: true })
})
const pushes = new Map<string, Promise<PushedFixture>>()

export function fixtureLayout(kind: FixtureKind): FixtureLayout {
  let layout = layouts.get(kind)
  if (!layout) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `cocker-fixture-${kind}-`))
    layout = kind === 'busybox' ? buildBusyboxLayout(dir) : kind === 'busybox-zstd' ? buildBusyboxLayout(dir, 'latest', 'zstd')
      : kind === 'big' ? buildBigLayout(dir) : buildMultiArchLayout(dir)
    layouts.set(kind, layout)
  }
  return layout
}

/**
 * Pushes a fixture to HOST/REPOSITORY:TAG with skopeo, once per process for the same
 * arguments. The repository defaults to the kind, plus "-v2s2" for that format.
 */
export function pushFixture(host: string, kind: FixtureKind, opts: PushOptions & { repository?: string; tag?: string } = {}): Promise<PushedFixture> {
  const format = opts.format ?? 'oci'
  const repository = opts.repository ?? (format === 'v2s2' ? `${kind}-v2s2` : kind)
  const tag = opts.tag ?? 'latest'
  const key = `${host}/${repository}:${tag}`
  let p = pushes.get(key)
  if (!p) {
    p = pushLayout(host, fixtureLayout(kind), { ...opts, repository, tag, all: kind === 'multiarch' })
    pushes.set(key, p)
  }
  return p
}

/** Pushes a layout to HOST/REPOSITORY:TAG with skopeo. */
export async function pushLayout(host: string, layout: FixtureLayout,
  opts: PushOptions & { repository: string; tag?: string; all?: boolean }): Promise<PushedFixture> {
  const tag = opts.tag ?? 'latest'
  const key = `${host}/${opts.repository}:${tag}`
  const digestFile = path.join(layout.dir, `pushed-${opts.repository.replace(/\//g, '_')}-${tag}.digest`)
  const argv = ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile]
  if (opts.all) argv.push('--all')
  if (opts.format === 'v2s2') argv.push('--format', 'v2s2')
  if (opts.auth) argv.push('--dest-creds', `${opts.auth.username}:${opts.auth.password}`)
  argv.push(`oci:${layout.dir}:${layout.tag}`, `docker://${key}`)
  const r = spawnSync('skopeo', argv, { encoding: 'utf8', timeout: 120_000, env: SKOPEO_ENV })
  if (r.status !== 0) throw new Error(`skopeo ${argv.join(' ')} exited ${r.status}:\n${r.stderr}`)
  return { layout, reference: key, repository: opts.repository, tag, digest: readFileSync(digestFile, 'utf8').trim() }
}

/** The name the busybox fixture's oci-archive gives its image. */
export const FIXTURE_IMAGE = 'localhost/cocker-fixture:1'

let ociArchive: string | undefined
/**
 * The busybox fixture (buildBusyboxLayout) as an oci-archive whose index names it
 * FIXTURE_IMAGE, made once per process in a temp dir every user can read: what
 * `cocker load -i` and `podman load -i` take.
 */
export function fixtureOciArchive(): string {
  if (ociArchive) return ociArchive
  const layout = fixtureLayout('busybox')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cocker-fixture-archive-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  chmodSync(dir, 0o755)
  const index = JSON.parse(readFileSync(path.join(layout.dir, 'index.json'), 'utf8'))
  index.manifests[0].annotations['org.opencontainers.image.ref.name'] = FIXTURE_IMAGE.replace(/^localhost\//, '')
  const blobs = readdirSync(path.join(layout.dir, 'blobs/sha256')).map(f => ({
    type: 'file' as const, path: `blobs/sha256/${f}`, data: readFileSync(path.join(layout.dir, 'blobs/sha256', f)),
  }))
  const archive = path.join(dir, 'fixture-oci.tar')
  writeFileSync(archive, tar([
    { type: 'file', path: 'oci-layout', data: readFileSync(path.join(layout.dir, 'oci-layout')) },
    { type: 'file', path: 'index.json', data: JSON.stringify(index) },
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    ...blobs,
  ]), { mode: 0o644 })
  return (ociArchive = archive)
}
