// `cocker push` end to end against a real registry: what it sends is read back by
// skopeo (the oracle), and a counting proxy in front of the registry shows whether a
// blob was uploaded, mounted from another repository, or found present.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, modeDir, type CockerMode } from '../support/cocker-modes.js'
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js'
import { fixtureLayout, pushFixture } from '../support/image-fixture.js'
import { registryMissing, SKOPEO_ENV, startRegistry, type TestRegistry } from '../support/registry.js'

const missing = registryMissing()
let registry: TestRegistry | undefined
let authRegistry: TestRegistry | undefined
let proxy: CountingProxy | undefined

test.before(async () => {
  if (missing) return
  registry = await startRegistry()
  authRegistry = await startRegistry({ auth: { username: 'alice', password: 's3cret' } })
  proxy = await startCountingProxy(registry.host)
})

test.after(async () => {
  await proxy?.close()
  await registry?.stop()
  await authRegistry?.stop()
})

/** Runs the scenario in both modes when a registry can run here, else prints why not. */
function scenario(title: string, body: (mode: CockerMode) => Promise<void>, modes?: readonly CockerMode['name'][]): void {
  cockerScenario(title, body, modes, missing)
}

const image = () => fixtureLayout('busybox').images[0]!

function skopeo(args: string[]): string {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 120_000, env: SKOPEO_ENV })
  assert.is(r.status, 0, `skopeo ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** The counts of what the proxy saw while fn ran. */
async function counted(fn: () => Promise<unknown>): Promise<{ uploads: number; mounts: number; found: number }> {
  const before = { uploads: proxy!.uploads(), mounts: proxy!.mounts(), found: proxy!.found() }
  await fn()
  return { uploads: proxy!.uploads() - before.uploads, mounts: proxy!.mounts() - before.mounts, found: proxy!.found() - before.found }
}

scenario('push to another repository mounts every blob from where the image came; skopeo reads it back byte-identical', async mode => {
  // through the proxy, so the image's repo digests name the host we push to
  await pushFixture(registry!.host, 'busybox')
  const source = `${proxy!.host}/busybox:latest`
  await cocker(mode, ['pull', source], { status: 0 })
  const dest = `${proxy!.host}/pushed-${mode.name}/busybox:1`
  const digestfile = path.join(modeDir(mode), 'digest')
  let out = { stdout: '', stderr: '' }
  const first = await counted(async () => (out = await cocker(mode, ['push', '--digestfile', digestfile, source, `docker://${dest}`], { status: 0 })))
  assert.is(out.stdout, '', 'nothing on stdout')
  assert.is(out.stderr, '', 'no progress on a pipe')
  assert.equal(first, { uploads: 0, mounts: 3, found: 0 }, 'two layers and the config mounted, nothing uploaded')
  assert.is(readFileSync(digestfile, 'utf8'), image().manifest.digest)

  const inspect = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry!.host}/pushed-${mode.name}/busybox:1`]))
  assert.is(inspect.Digest, image().manifest.digest, 'the digest the image was pulled with')
  assert.is(inspect.Layers.length, 2)
  const dir = path.join(modeDir({}), 'oci')
  skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${registry!.host}/pushed-${mode.name}/busybox:1`, `oci:${dir}:x`])
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'))
  assert.is(index.manifests[0].digest, image().manifest.digest)
  for (const blob of [...image().layers.map(l => l.blob), image().configBytes, image().manifestBytes]) {
    const file = path.join(dir, 'blobs/sha256', createHash('sha256').update(blob).digest('hex'))
    assert.ok(existsSync(file) && readFileSync(file).equals(blob), `${file} is byte-identical`)
  }

  const again = await counted(() => cocker(mode, ['push', source, dest], { status: 0 }))
  assert.equal(again, { uploads: 0, mounts: 0, found: 3 }, 'a second push finds every blob there')
})

scenario('push to another registry uploads; with htpasswd auth it needs login (or --creds)', async mode => {
  await pushFixture(registry!.host, 'busybox')
  const source = `${registry!.host}/busybox:latest`
  await cocker(mode, ['pull', '-q', source], { status: 0 })
  const runtimeDir = modeDir(mode, 'cocker-xdg-')
  const env = { XDG_RUNTIME_DIR: runtimeDir, REGISTRY_AUTH_FILE: undefined }
  const dest = `${authRegistry!.host}/pushed-${mode.name}/busybox:2`
  const refused = await cocker(mode, ['push', source, dest], { env, status: 125 })
  assert.match(refused.stderr, /^Error: [^\n]*127\.0\.0\.1:\d+[^\n]*cocker login[^\n]*\n$/)
  await cocker(mode, ['login', '-u', 'alice', '-p', 's3cret', authRegistry!.host], { env, status: 0 })
  await cocker(mode, ['push', source, dest], { env, status: 0 })
  const inspect = JSON.parse(skopeo(['inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${dest}`]))
  assert.is(inspect.Digest, image().manifest.digest)
  await cocker(mode, ['push', '--creds', 'alice:s3cret', source, `${authRegistry!.host}/creds-${mode.name}/busybox:3`], { status: 0 })
  const wrong = await cocker(mode, ['push', '--creds', 'alice:nope', source, `${authRegistry!.host}/creds-${mode.name}/busybox:4`], { status: 125 })
  assert.match(wrong.stderr, /^Error: [^\n]*\n$/)
})

scenario('push by ID needs a destination; --format does not convert; --tls-verify=true refuses plain HTTP', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox')
  // by digest: an image without a name
  await cocker(mode, ['pull', '-q', `${registry!.host}/busybox@${pushed.digest}`], { status: 0 })
  const id = image().config.digest.slice(7)
  const byId = await cocker(mode, ['push', id], { status: 125 })
  assert.is(byId.stderr.split('\n').length, 2, 'one line')
  assert.match(byId.stderr, `Error: Invalid image name "${id}", expected colon-separated transport:reference`)
  await cocker(mode, ['push', id.slice(0, 12), `${registry!.host}/byid-${mode.name}:1`], { status: 0 })
  assert.is(JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry!.host}/byid-${mode.name}:1`])).Digest, pushed.digest)
  const format = await cocker(mode, ['push', '--format', 'v2s2', id, `${registry!.host}/v2s2-${mode.name}:1`], { status: 125 })
  assert.match(format.stderr, /^Error: [^\n]*does not convert it to v2s2[^\n]*\n$/)
  await cocker(mode, ['push', '--format', 'oci', '--remove-signatures', id, `${registry!.host}/oci-${mode.name}:1`], { status: 0 })
  const tls = await cocker(mode, ['push', '--tls-verify=true', id, `${registry!.host}/tls-${mode.name}:1`], { status: 125 })
  assert.match(tls.stderr, /^Error: cannot reach registry 127\.0\.0\.1:\d+: it answers HTTPS with plain HTTP[^\n]*\n$/)
  const transport = await cocker(mode, ['push', id, 'oci:/tmp/x'], { status: 125 })
  assert.match(transport.stderr, 'cocker pushes to registries only')
  assert.match((await cocker(mode, ['push', 'nosuch', `${registry!.host}/x:1`], { status: 125 })).stderr, 'Error: nosuch: image not known')
})

scenario('a v2s2 image pushes as stored: same digest and media type', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox', { format: 'v2s2' })
  await cocker(mode, ['pull', '-q', pushed.reference], { status: 0 })
  await cocker(mode, ['push', '--format', 'v2s2', pushed.reference, `${registry!.host}/again-v2s2-${mode.name}:1`], { status: 0 })
  const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry!.host}/again-v2s2-${mode.name}:1`]))
  assert.is(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
  assert.is(JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry!.host}/again-v2s2-${mode.name}:1`])).Digest, pushed.digest)
}, ['root'])

test.run()
