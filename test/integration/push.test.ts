// `cocker push` end to end against a real registry: what it sends is read back by
// skopeo (the oracle), and a counting proxy in front of the registry shows whether a
// blob was uploaded, mounted from another repository, or found present.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, loadBusybox, modeDir, type CockerMode } from '../support/cocker-modes.js'
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js'
import { formatArgv, runCmd } from '../support/exec.js'
import { fixtureLayout, pushFixture } from '../support/image-fixture.js'
import { safeName } from '../support/names.js'
import { cleanupPodman, podman, podmanOrSkip } from '../support/podman.js'
import { registryMissing, SKOPEO_ENV, startRegistry, type TestRegistry } from '../support/registry.js'
import { skipUnless, which } from '../support/requires.js'

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
  await cleanupPodman()
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

scenario('push by ID needs a destination; --compression-format zstd is refused, gzip keeps a gzip image as it is; --tls-verify=true refuses plain HTTP', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox')
  // by digest: an image without a name
  await cocker(mode, ['pull', '-q', `${registry!.host}/busybox@${pushed.digest}`], { status: 0 })
  const id = image().config.digest.slice(7)
  const byId = await cocker(mode, ['push', id], { status: 125 })
  assert.is(byId.stderr.split('\n').length, 2, 'one line')
  assert.match(byId.stderr, `Error: Invalid image name "${id}", expected colon-separated transport:reference`)
  await cocker(mode, ['push', id.slice(0, 12), `${registry!.host}/byid-${mode.name}:1`], { status: 0 })
  assert.is(JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry!.host}/byid-${mode.name}:1`])).Digest, pushed.digest)
  const zstd = await cocker(mode, ['push', '--compression-format', 'zstd', id, `${registry!.host}/zstd-${mode.name}:1`], { status: 125 })
  assert.match(zstd.stderr, /^Error: --compression-format zstd: cocker compresses layers with gzip only[^\n]*\n$/)
  // gzip layers with gzip asked for: nothing changes, the digest is the image's
  await cocker(mode, ['push', '--format', 'oci', '--compression-format', 'gzip', '--compress', '--remove-signatures', id, `${registry!.host}/oci-${mode.name}:1`], { status: 0 })
  assert.is(JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry!.host}/oci-${mode.name}:1`])).Digest, pushed.digest)
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

/** The reference on the registry itself: skopeo tries HTTPS first, which the counting proxy does not answer. */
const direct = (reference: string) => reference.replace(proxy!.host, registry!.host)

/** The image's blobs as the registry serves them, through skopeo into an OCI layout: manifest, config, and each layer's bytes. */
function fetched(reference: string): { manifest: { mediaType?: string; layers: { mediaType: string; digest: string; size: number }[] }; config: { rootfs: { diff_ids: string[] } }; layer: (digest: string) => Buffer } {
  const dir = path.join(modeDir({}), 'oci')
  skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${reference}`, `oci:${dir}:x`])
  const blob = (digest: string) => readFileSync(path.join(dir, 'blobs/sha256', digest.slice(7)))
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'))
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString())
  return { manifest, config: JSON.parse(blob(manifest.config.digest).toString()), layer: blob }
}

/** A container of the busybox fixture that wrote /hello and 4 MB of zeros, committed (its layer stored uncompressed). */
async function committedImage(mode: CockerMode): Promise<string> {
  const base = await loadBusybox(mode)
  const ct = safeName()
  const image = `localhost/committed-${ct}`
  await cocker(mode, ['run', '--name', ct, base, 'sh', '-c', 'echo committed > /hello && head -c 4000000 /dev/zero > /zeros'], { status: 0 })
  await cocker(mode, ['commit', '-q', ct, image], { status: 0 })
  await cocker(mode, ['rm', ct], { status: 0 })
  return image
}

scenario('a committed image goes out with its layer gzip-compressed: smaller, hashing to its diff_id once gunzipped, pulled back it runs', async mode => {
  const image = await committedImage(mode)
  const dest = `${proxy!.host}/committed-${mode.name}/img:1`
  const digestfile = path.join(modeDir(mode), 'digest')
  const first = await counted(() => cocker(mode, ['push', '--digestfile', digestfile, image, dest], { status: 0 }))
  assert.equal(first, { uploads: 4, mounts: 0, found: 0 }, 'two base layers, the committed one and the config')

  const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${direct(dest)}`]))
  assert.is(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json')
  assert.equal(raw.layers.map((l: { mediaType: string }) => l.mediaType), Array(3).fill('application/vnd.oci.image.layer.v1.tar+gzip'))
  assert.is(readFileSync(digestfile, 'utf8'), JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${direct(dest)}`])).Digest)
  const { manifest, config, layer } = fetched(direct(dest))
  const top = manifest.layers[2]!
  const blob = layer(top.digest)
  assert.is(blob.length, top.size, 'the manifest names the size of the blob the registry has')
  const tar = gunzipSync(blob)
  assert.is(`sha256:${createHash('sha256').update(tar).digest('hex')}`, config.rootfs.diff_ids[2], 'gunzipped, it is the committed layer')
  assert.ok(tar.length > 4_000_000 && blob.length < 100_000, `compressed: ${blob.length} bytes for a tar of ${tar.length}`)
  // the base layers, pulled gzip, went as they were stored
  assert.equal(manifest.layers.slice(0, 2).map(l => l.digest), fixtureLayout('busybox').images[0]!.layers.map(l => l.digest))

  const clean: CockerMode = { ...mode, root: path.join(modeDir(mode), 'store') }
  await cocker(clean, ['pull', '-q', dest], { status: 0 })
  assert.is((await cocker(clean, ['run', '--rm', dest, 'cat', '/hello'], { status: 0 })).stdout, 'committed\n')
})

scenario('a second push finds the compressed layer it sent: nothing compressed or uploaded again, and another repository mounts it', async mode => {
  if (skipUnless(Boolean(which('script')), `push progress (${mode.name})`, 'no script(1) to give the push a terminal (apt-get install bsdutils)')) return
  const image = await committedImage(mode)
  const diffId = JSON.parse((await cocker(mode, ['inspect', image], { status: 0 })).stdout)[0].RootFS.Layers[2] as string
  // script(1) runs the command on a pty and copies what it writes to our stdout
  const onTty = (args: string[]) =>
    runCmd(['script', '-qec', formatArgv([mode.bin, '--root', mode.root, ...args]), '/dev/null'], { asUser: mode.user, status: 0 })
  const dest = `${proxy!.host}/again-${mode.name}/img`
  await cocker(mode, ['push', image, `${dest}:1`], { status: 0 })
  let shown = { stdout: '' }
  const before = proxy!.log.length
  const again = await counted(async () => (shown = await onTty(['push', image, `${dest}:2`])))
  assert.equal(again, { uploads: 0, mounts: 0, found: 4 }, 'every blob found, the committed layer by its compressed digest')
  assert.equal(proxy!.log.slice(before).filter(r => r.method !== 'HEAD' && r.method !== 'GET').map(r => r.method), ['PUT'], 'no upload opened: only the manifest PUT')
  assert.match(shown.stdout, `Copying blob ${diffId.slice(7, 19)} skipped: already exists`)
  assert.match(shown.stdout, 'Writing manifest to image destination')
  assert.is(JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${direct(dest)}:2`])).Digest, JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${direct(dest)}:1`])).Digest,
    'the same manifest as the first push')
  const other = await onTty(['push', image, `${proxy!.host}/other-${mode.name}/img:1`])
  assert.match(other.stdout, `Copying blob ${diffId.slice(7, 19)} skipped: mounted`)

  // another image on top of this one shares the committed layer: found too, only its own goes up
  const ct = safeName()
  await cocker(mode, ['run', '--name', ct, image, 'sh', '-c', 'echo more > /more'], { status: 0 })
  await cocker(mode, ['commit', '-q', ct, `${image}-more`], { status: 0 })
  await cocker(mode, ['rm', ct], { status: 0 })
  const sharing = await counted(() => cocker(mode, ['push', `${image}-more`, `${dest}:3`], { status: 0 }))
  assert.equal(sharing, { uploads: 2, mounts: 0, found: 3 }, 'the new layer and the config uploaded; two base layers and the shared one found')
})

scenario('--format v2s2 of an OCI image gives a Docker manifest (Podman pulls it); a zstd image converts only with --compression-format gzip, or with the gzip blobs of its layers the store has', async mode => {
  const image = await committedImage(mode)
  const dest = `${registry!.host}/v2s2-${mode.name}/img:1`
  await cocker(mode, ['push', '--format', 'v2s2', image, dest], { status: 0 })
  const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${direct(dest)}`]))
  assert.is(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
  assert.is(raw.config.mediaType, 'application/vnd.docker.container.image.v1+json')
  assert.is(raw.config.digest, `sha256:${JSON.parse((await cocker(mode, ['inspect', image], { status: 0 })).stdout)[0].Id}`, 'the config as stored: the same image ID')
  assert.equal(raw.layers.map((l: { mediaType: string }) => l.mediaType), Array(3).fill('application/vnd.docker.image.rootfs.diff.tar.gzip'))
  const pe = await podmanOrSkip(mode.name, `podman pull of a pushed v2s2 image (${mode.name})`)
  if (pe) {
    await podman(pe, ['pull', '-q', '--tls-verify=false', dest], { status: 0 })
    const manifestType = await podman(pe, ['image', 'inspect', '--format', '{{.ManifestType}}', dest], { status: 0 })
    assert.is(manifestType.stdout.trim(), 'application/vnd.docker.distribution.manifest.v2+json')
  }

  // in this store the busybox layers are there already, so the pull of their zstd form fetches no blob: the push sends the gzip ones it has
  const zstd = await pushFixture(registry!.host, 'busybox-zstd')
  await cocker(mode, ['pull', '-q', zstd.reference], { status: 0 })
  await cocker(mode, ['push', zstd.reference, `${registry!.host}/zstd-${mode.name}/had:1`], { status: 0 })
  const had = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry!.host}/zstd-${mode.name}/had:1`]))
  assert.equal(had.layers, fixtureLayout('busybox').images[0]!.layers.map(l => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })))

  // a store of its own, where the pull fetches the zstd blobs
  const clean: CockerMode = { ...mode, root: path.join(modeDir(mode), 'store') }
  await cocker(clean, ['pull', '-q', zstd.reference], { status: 0 })
  const refused = await cocker(clean, ['push', '--format', 'v2s2', zstd.reference, `${registry!.host}/zstd-${mode.name}/img:1`], { status: 125 })
  assert.match(refused.stderr, /^Error: [^\n]*zstd-compressed[^\n]*--compression-format gzip[^\n]*\n$/)
  await cocker(clean, ['push', '--format', 'v2s2', '--compression-format', 'gzip', zstd.reference, `${registry!.host}/zstd-${mode.name}/img:1`], { status: 0 })
  const recompressed = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry!.host}/zstd-${mode.name}/img:1`]))
  assert.equal(recompressed.layers.map((l: { mediaType: string }) => l.mediaType), Array(2).fill('application/vnd.docker.image.rootfs.diff.tar.gzip'))
  // skopeo's copy into a layout is OCI again, with the same blobs
  const { manifest, config, layer } = fetched(`${registry!.host}/zstd-${mode.name}/img:1`)
  manifest.layers.forEach((l, i) => {
    assert.is(l.digest, recompressed.layers[i].digest)
    assert.is(`sha256:${createHash('sha256').update(gunzipSync(layer(l.digest))).digest('hex')}`, config.rootfs.diff_ids[i], `layer ${i} recompressed`)
  })
})

test.run()
