// The registry client against a real distribution registry (Debian's docker-registry),
// with images built and pushed by test/support (skopeo as the oracle).
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MANIFEST_ACCEPT, MediaType, parseImageConfig, parseManifest, type ImageManifest } from '../../lib/image/manifest.js'
import { selectManifest } from '../../lib/image/platform.js'
import { RegistryClient } from '../../lib/image/registry/client.js'
import { throwsCode } from '../support/assert.js'
import { fixtureLayout, pushFixture, sha256 } from '../support/image-fixture.js'
import { registryMissing, rejectsCode, SKOPEO_ENV, startRegistry, type TestRegistry } from '../support/registry.js'
import { skipUnless, which } from '../support/requires.js'
import { runCmd } from '../support/exec.js'
import { repoPath } from '../support/paths.js'

const missing = registryMissing()
let registry: TestRegistry | undefined
let authRegistry: TestRegistry | undefined
const clients: RegistryClient[] = []
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocker-registry-test-'))

function client(host: string, opts: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const c = new RegistryClient({ host, retryDelayMs: 10, ...opts })
  clients.push(c)
  return c
}

function skip(name: string): boolean {
  return skipUnless(!missing, name, missing ?? '')
}

test.before(async () => {
  if (missing) return
  registry = await startRegistry()
  authRegistry = await startRegistry({ auth: { username: 'alice', password: 's3cret' } })
})

test.after(async () => {
  for (const c of clients) c.close()
  await registry?.stop()
  await authRegistry?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

async function collect(): Promise<{ sink: Writable; bytes: () => Buffer }> {
  const chunks: Buffer[] = []
  const sink = new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c), done()) })
  return { sink, bytes: () => Buffer.concat(chunks) }
}

for (const format of ['oci', 'v2s2'] as const) {
  test(`anonymous pull of the ${format} busybox image: manifest, config and layers verified`, async () => {
    if (skip(`anonymous pull (${format})`)) return
    const pushed = await pushFixture(registry!.host, 'busybox', { format })
    const c = client(registry!.host)
    const fetched = await c.getManifest(pushed.repository, pushed.tag, MANIFEST_ACCEPT)
    assert.is(fetched.digest, pushed.digest)
    assert.is(fetched.mediaType, format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest)
    const manifest = parseManifest(fetched.bytes, fetched.mediaType, pushed.reference) as ImageManifest
    assert.is(manifest.kind, 'manifest')
    const byDigest = await c.getManifest(pushed.repository, fetched.digest, MANIFEST_ACCEPT)
    assert.ok(byDigest.bytes.equals(fetched.bytes))

    const image = pushed.layout.images[0]!
    const cfg = await collect()
    await c.fetchBlob(pushed.repository, manifest.config.digest, manifest.config.size, cfg.sink)
    const config = parseImageConfig(cfg.bytes(), pushed.reference)
    assert.equal(config.config.Cmd, ['sh'])
    assert.equal(config.rootfs.diff_ids, image.layers.map(l => l.diffId))

    // Several layers at once, into files, with progress.
    const progress = new Map<string, number>()
    await Promise.all(
      manifest.layers.map((l, i) =>
        c.fetchBlob(pushed.repository, l.digest, l.size, path.join(tmp, `${format}-layer${i}`), n => progress.set(l.digest, n)),
      ),
    )
    manifest.layers.forEach((l, i) => {
      assert.ok(readFileSync(path.join(tmp, `${format}-layer${i}`)).equals(image.layers[i]!.blob), `layer ${i} is byte-identical`)
      assert.is(progress.get(l.digest), l.size)
    })
  })
}

test('a missing tag is IMAGE_NOT_FOUND naming the image; an unknown blob is BLOB_NOT_FOUND', async () => {
  if (skip('missing tag')) return
  const c = client(registry!.host)
  const err = await rejectsCode(() => c.getManifest('library/nope', 'latest', MANIFEST_ACCEPT), 'IMAGE_NOT_FOUND')
  assert.is(err.message, `${registry!.host}/library/nope:latest: image not found in the registry`)
  await pushFixture(registry!.host, 'busybox')
  assert.is(await c.blobExists('busybox', sha256('nothing')), false)
  const file = path.join(tmp, 'absent')
  await rejectsCode(() => c.fetchBlob('busybox', sha256('nothing'), 7, file), 'BLOB_NOT_FOUND')
  assert.not.ok(existsSync(file))
})

test('a registry that is not listening is REGISTRY_UNREACHABLE: connection refused', async () => {
  const { freePort } = await import('../support/registry.js')
  const host = `127.0.0.1:${await freePort()}`
  const err = await rejectsCode(() => client(host).getManifest('x', 'latest', MANIFEST_ACCEPT), 'REGISTRY_UNREACHABLE')
  assert.is(err.message, `cannot reach registry ${host}: connection refused`)
  assert.match(err.hint ?? '', /check the address/)
})

test('the multi-arch index: each platform gets its own manifest, config and layer', async () => {
  if (skip('platform selection')) return
  const pushed = await pushFixture(registry!.host, 'multiarch')
  const c = client(registry!.host)
  const top = await c.getManifest(pushed.repository, pushed.tag, MANIFEST_ACCEPT)
  assert.is(top.digest, pushed.layout.top.digest)
  const index = parseManifest(top.bytes, top.mediaType, pushed.reference)
  assert.is(index.kind, 'index')
  if (index.kind !== 'index') return
  for (const [arch, variant, want] of [
    ['amd64', undefined, 'linux/amd64'],
    ['aarch64', undefined, 'linux/arm64/v8'],
    ['arm64', 'v8', 'linux/arm64/v8'],
  ] as const) {
    const desc = selectManifest(index, pushed.reference, { os: 'linux', architecture: arch, ...(variant ? { variant } : {}) })
    const m = await c.getManifest(pushed.repository, desc.digest, MANIFEST_ACCEPT)
    const manifest = parseManifest(m.bytes, m.mediaType, pushed.reference) as ImageManifest
    const layer = await collect()
    await c.fetchBlob(pushed.repository, manifest.layers[0]!.digest, manifest.layers[0]!.size, layer.sink)
    const { gunzipSync } = await import('node:zlib')
    assert.match(gunzipSync(layer.bytes()).toString('latin1'), `${want}\n`)
  }
  const err = throwsCode(() => selectManifest(index, pushed.reference, { os: 'linux', architecture: 's390x' }), 'PLATFORM_NOT_FOUND')
  assert.match(err.message, 'no image for linux/s390x (the image offers linux/amd64, linux/arm64)')
})

test('a blob corrupted in the registry is rejected and no partial file is left', async () => {
  if (skip('corrupt blob')) return
  const c = client(registry!.host)
  const data = randomBytes(100_000)
  const digest = sha256(data)
  assert.is(await c.uploadBlob('corrupt/me', digest, data.length, () => Readable.from([data])), 'uploaded')
  const stored = path.join(registry!.storageDir, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data')
  const bad = Buffer.from(data)
  bad[50_000] ^= 0xff
  writeFileSync(stored, bad)
  const file = path.join(tmp, 'corrupt')
  const err = await rejectsCode(() => c.fetchBlob('corrupt/me', digest, data.length, file), 'BLOB_INVALID')
  assert.match(err.message, digest)
  assert.match(err.message, registry!.host)
  assert.not.ok(existsSync(file), 'the partial file is removed')
  const short = path.join(tmp, 'short')
  await rejectsCode(() => c.fetchBlob('corrupt/me', digest, data.length + 1, short), 'BLOB_INVALID')
  assert.not.ok(existsSync(short))
})

async function pushLayout(c: RegistryClient, repository: string, mountFrom?: string): Promise<string[]> {
  const image = fixtureLayout('busybox').images[0]!
  const results: string[] = []
  for (const blob of [...image.layers.map(l => ({ digest: l.digest, bytes: l.blob })), { digest: image.config.digest, bytes: image.configBytes }]) {
    results.push(await c.uploadBlob(repository, blob.digest, blob.bytes.length, () => Readable.from([blob.bytes]), { mountFrom }))
  }
  const digest = await c.putManifest(repository, 'v1', image.manifest.mediaType, image.manifestBytes)
  assert.is(digest, image.manifest.digest)
  return results
}

test('push blobs and manifest; skopeo reads them back byte-identical; a second repository mounts', async () => {
  if (skip('push')) return
  const c = client(registry!.host)
  assert.equal(await pushLayout(c, 'pushed/busybox'), ['uploaded', 'uploaded', 'uploaded'])
  assert.equal(await pushLayout(c, 'pushed/busybox'), ['exists', 'exists', 'exists'])
  const image = fixtureLayout('busybox').images[0]!
  const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry!.host}/pushed/busybox:v1`], { env: SKOPEO_ENV })
  assert.is(raw.status, 0, raw.stderr?.toString())
  assert.ok(raw.stdout.equals(image.manifestBytes), 'skopeo reads the manifest we pushed')
  const out = path.join(tmp, 'copied')
  const copy = spawnSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${registry!.host}/pushed/busybox:v1`, `oci:${out}:v1`], { encoding: 'utf8', env: SKOPEO_ENV })
  assert.is(copy.status, 0, copy.stderr)
  for (const blob of [...image.layers.map(l => l.blob), image.configBytes, image.manifestBytes]) {
    const file = path.join(out, 'blobs/sha256', createHash('sha256').update(blob).digest('hex'))
    assert.ok(readFileSync(file).equals(blob), `${file} is byte-identical`)
  }
  assert.equal(await pushLayout(c, 'pushed/second', 'pushed/busybox'), ['mounted', 'mounted', 'mounted'])
  assert.ok(readdirSync(path.join(registry!.storageDir, 'docker/registry/v2/repositories/pushed/second/_layers/sha256')).length === 3)
  assert.equal(await c.listTags('pushed/second'), ['v1'])
})

test('htpasswd registry: anonymous is refused with a login hint; credentials work; a wrong password is refused', async () => {
  if (skip('basic auth')) return
  const pushed = await pushFixture(authRegistry!.host, 'busybox', { auth: authRegistry!.auth })
  const anonymous = client(authRegistry!.host)
  const err = await rejectsCode(() => anonymous.getManifest(pushed.repository, 'latest', MANIFEST_ACCEPT), 'REGISTRY_UNAUTHORIZED')
  assert.is(err.hint, `run \`cocker login ${authRegistry!.host}\``)
  const alice = client(authRegistry!.host, { credentials: authRegistry!.auth })
  await alice.ping()
  const m = await alice.getManifest(pushed.repository, 'latest', MANIFEST_ACCEPT)
  assert.is(m.digest, pushed.digest)
  assert.equal(await pushLayout(alice, 'alice/busybox', pushed.repository), ['mounted', 'mounted', 'mounted'])
  const wrong = client(authRegistry!.host, { credentials: { username: 'alice', password: 'nope' } })
  const e2 = await rejectsCode(() => wrong.ping(), 'REGISTRY_UNAUTHORIZED')
  assert.match(e2.message, 'invalid username or password')
})

test('a streamed upload (digest known at the end) into a registry with basic auth; the blob is then there', async () => {
  if (skip('streamed upload')) return
  const alice = client(authRegistry!.host, { credentials: authRegistry!.auth })
  const bytes = Buffer.from('a layer compressed on its way '.repeat(5000))
  const sent = await alice.uploadStream('alice/streamed', () => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]))
  assert.equal(sent, { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length })
  assert.ok(await alice.blobExists('alice/streamed', sent.digest))
  assert.is(await alice.mountBlob('alice/other', sent.digest, 'alice/streamed'), true)
  assert.is(await alice.mountBlob('alice/third', `sha256:${'0'.repeat(64)}`, 'alice/streamed'), false, 'a blob the source lacks is not mounted')
})

test('cocker login checks the password, writes auth.json (mode 600); logout removes it', async () => {
  if (skip('login and logout')) return
  const cocker = repoPath('bin/cocker')
  const host = authRegistry!.host
  const runtimeDir = mkdtempSync(path.join(tmp, 'xdg-'))
  const env = { XDG_RUNTIME_DIR: runtimeDir, REGISTRY_AUTH_FILE: undefined, HOME: runtimeDir }
  const authFile = path.join(runtimeDir, 'containers/auth.json')

  const bad = await runCmd([cocker, 'login', '-u', 'alice', '-p', 'wrong', host], { env, status: 125 })
  assert.match(bad.stderr, `Error: ${host}: invalid username or password`)
  assert.not.ok(existsSync(authFile), 'nothing written for a refused login')

  const ok = await runCmd([cocker, 'login', '-u', 'alice', '--password-stdin', host], { env, input: 's3cret\n', status: 0 })
  assert.is(ok.stdout, 'Login Succeeded!\n')
  assert.is(statSync(authFile).mode & 0o777, 0o600)
  assert.equal(JSON.parse(readFileSync(authFile, 'utf8')).auths, { [host]: { auth: Buffer.from('alice:s3cret').toString('base64') } })
  assert.is((await runCmd([cocker, 'login', '--get-login', host], { env, status: 0 })).stdout, 'alice\n')

  // What login stored is what a client opened for the endpoint uses.
  const { openRegistry } = await import('../../lib/image/registry/open.js')
  const { endpointsFor, parseRegistriesConf } = await import('../../lib/config/registries.js')
  const [endpoint] = endpointsFor(parseRegistriesConf(''), { registry: host, repository: 'busybox' })
  const opened = await openRegistry(endpoint!, { env: { ...process.env, ...env } })
  clients.push(opened)
  assert.is((await opened.getManifest('busybox', 'latest', MANIFEST_ACCEPT)).bytes.length > 0, true)

  const out = await runCmd([cocker, 'logout', host], { env, status: 0 })
  assert.is(out.stdout, `Removed login credentials for ${host}\n`)
  assert.equal(JSON.parse(readFileSync(authFile, 'utf8')).auths, {})
  const again = await runCmd([cocker, 'logout', host], { env, status: 125 })
  assert.is(again.stderr, `Error: not logged into ${host}\n`)
  await runCmd([cocker, 'login', '-u', 'alice', '-p', 's3cret', '--authfile', path.join(runtimeDir, 'other.json'), host], { env, status: 0 })
  assert.ok(existsSync(path.join(runtimeDir, 'other.json')))
  assert.is((await runCmd([cocker, 'logout', '--all', '--authfile', path.join(runtimeDir, 'other.json')], { env, status: 0 })).stdout, 'Removed login credentials for all registries\n')
})

/** A CA of its own and a certificate from it for 127.0.0.1, as a private registry has. */
function privateCa(dir: string): { ca: string; certificate: string; key: string } {
  const f = (name: string) => path.join(dir, name)
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`)
  }
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n')
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=cocker test CA')
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1')
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '2', '-extfile', f('san.ext'))
  return { ca: f('ca.pem'), certificate: f('server.pem'), key: f('server.key') }
}

test('a registry on TLS with a private CA: cocker trusts it through NODE_EXTRA_CA_CERTS, or NODE_OPTIONS=--use-openssl-ca, and only then', async () => {
  if (skip('TLS registry') || skipUnless(Boolean(which('openssl')), 'TLS registry', 'no openssl (apt-get install openssl)')) return
  const dir = mkdtempSync(path.join(tmp, 'tls-'))
  const { ca, certificate, key } = privateCa(dir)
  const tlsRegistry = await startRegistry({ tls: { certificate, key } })
  try {
    const pushed = await pushFixture(tlsRegistry.host, 'busybox')
    let stores = 0 // a fresh store each time, so that every pull reaches the registry
    const pull = (env: Record<string, string>) => runCmd([repoPath('bin/cocker'), '--root', path.join(dir, `store-${stores++}`), 'pull', '-q',
      '--tls-verify=true', pushed.reference], { env })
    const refused = await pull({ NODE_EXTRA_CA_CERTS: '' })
    assert.is(refused.status, 125)
    assert.match(refused.stderr, /^Error: cannot reach registry 127\.0\.0\.1:\d+: its TLS certificate is not trusted/)
    const trusted = await pull({ NODE_EXTRA_CA_CERTS: ca })
    assert.is(trusted.status, 0, trusted.stderr)
    assert.match(trusted.stdout, /^[0-9a-f]{64}\n$/)
    // node options reach the pull (bin/cocker starts from the bundle then): OpenSSL's store,
    // which SSL_CERT_FILE names, instead of node's own
    const openssl = await pull({ NODE_EXTRA_CA_CERTS: '', NODE_OPTIONS: '--use-openssl-ca', SSL_CERT_FILE: ca })
    assert.is(openssl.status, 0, openssl.stderr)
    assert.is(openssl.stdout, trusted.stdout)
    const nodeStore = await pull({ NODE_EXTRA_CA_CERTS: '', NODE_OPTIONS: '', SSL_CERT_FILE: ca })
    assert.is(nodeStore.status, 125, 'without --use-openssl-ca, node trusts its own CAs only')
  } finally {
    await tlsRegistry.stop()
  }
})

/** An IPv4 address of this machine that is not loopback, where plain HTTP needs --tls-verify=false. */
function nonLoopbackAddress(): string | undefined {
  return Object.values(os.networkInterfaces()).flat().find(a => a?.family === 'IPv4' && !a.internal)?.address
}

test('cocker login --tls-verify=false reaches a registry on plain HTTP; without it the login is refused', async () => {
  const name = 'login --tls-verify=false'
  const address = nonLoopbackAddress()
  // a loopback registry may speak plain HTTP anyway, so the flag would change nothing there
  if (skip(name) || skipUnless(address !== undefined, name, 'this machine has no IPv4 address but loopback')) return
  const plain = await startRegistry({ address, auth: { username: 'alice', password: 's3cret' } })
  try {
    const runtimeDir = mkdtempSync(path.join(tmp, 'xdg-'))
    const login = (...flags: string[]) => runCmd([repoPath('bin/cocker'), 'login', ...flags, '-u', 'alice', '-p', 's3cret', plain.host],
      { env: { XDG_RUNTIME_DIR: runtimeDir, REGISTRY_AUTH_FILE: undefined } })
    const refused = await login()
    assert.is(refused.status, 125, refused.stderr)
    assert.is(refused.stderr.split('\n')[0]!.split(';')[0], `Error: cannot reach registry ${plain.host}: it answers HTTPS with plain HTTP`)
    const r = await login('--tls-verify=false')
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, 'Login Succeeded!\n')
    assert.ok(existsSync(path.join(runtimeDir, 'containers/auth.json')))
  } finally {
    await plain.stop()
  }
})

test.run()
