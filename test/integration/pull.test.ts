// `cocker pull` and `cocker run` end to end against a real registry (Debian's
// docker-registry on 127.0.0.1, plain HTTP), as root and as the rootless user; the
// images are built by test/support and pushed by skopeo, the oracle.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, modeDir, spawnCocker, type CockerMode } from '../support/cocker-modes.js'
import { fixtureLayout, hostArch, pushFixture } from '../support/image-fixture.js'
import { registryMissing, startRegistry, type TestRegistry } from '../support/registry.js'
import { runCmd, formatArgv } from '../support/exec.js'
import { skipUnless, which } from '../support/requires.js'

const missing = registryMissing()
let registry: TestRegistry | undefined
let authRegistry: TestRegistry | undefined

test.before(async () => {
  if (missing) return
  registry = await startRegistry()
  authRegistry = await startRegistry({ auth: { username: 'alice', password: 's3cret' } })
})

test.after(async () => {
  await registry?.stop()
  await authRegistry?.stop()
})

/** Runs the scenario in both modes when a registry can run here, else prints why not. */
function scenario(title: string, body: (mode: CockerMode) => Promise<void>, modes?: readonly CockerMode['name'][]): void {
  cockerScenario(title, body, modes, missing)
}

/** Live processes (not zombies) that `match` accepts, as "PID: command line". */
function liveProcesses(match: (pgrp: number, cmdline: string) => boolean): string[] {
  return readdirSync('/proc').filter(p => /^\d+$/.test(p)).flatMap(p => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8')
      return !'ZX'.includes(state!) && match(Number(pgrp), cmdline) ? [`${p}: ${cmdline.replaceAll('\0', ' ')}`] : []
    } catch {
      return [] // gone while we looked
    }
  })
}

/**
 * Waits (bounded) until nothing of a killed command is left: no live process in its process
 * group `pgid`, and none that names `store` when given (cocker re-run in the user's namespace is in a
 * session of its own, so the group's SIGKILL reaches it only through its dying parent).
 * SIGKILL ends them, each in its own time.
 */
async function killedCommandGone(pgid: number, store?: string): Promise<void> {
  const members = () => liveProcesses(pgrp => pgrp === pgid)
  for (let i = 0; i < 500 && members().length; i++) await new Promise(r => setTimeout(r, 10))
  assert.equal(members(), [], `processes of a command killed (-9) outlived it (group ${pgid})`)
  if (store === undefined) return
  // what names the store and is out of the group was sent SIGKILL when its parent died,
  // before the group was gone: a second is ample, where a pull left alone runs on
  const named = () => liveProcesses((_, cmdline) => cmdline.includes(store))
  for (let i = 0; i < 100 && named().length; i++) await new Promise(r => setTimeout(r, 10))
  assert.equal(named(), [], `processes of a command killed (-9) outlived it, out of its group`)
}

const BUSYBOX_ID = () => fixtureLayout('busybox').images[0]!.config.digest.slice(7)

interface StoreJson {
  images: { id: string; names: string[]; layers: string[] }[]
  layers: { id: string; compressedDigest?: string }[]
}

function storeJson(mode: CockerMode): StoreJson {
  try {
    return JSON.parse(readFileSync(path.join(mode.root, 'storage.json'), 'utf8')) as StoreJson
  } catch {
    return { images: [], layers: [] }
  }
}

const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : [])

scenario('pull prints the image ID, images lists it, run prints its motd and passes exit codes', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox')
  const pull = await cocker(mode, ['pull', pushed.reference], { status: 0 })
  assert.is(pull.stdout, `${BUSYBOX_ID()}\n`)
  assert.is(pull.stderr, '', 'nothing on stderr when it is not a terminal')
  const images = await cocker(mode, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'], { status: 0 })
  assert.is(images.stdout, `${registry!.host}/busybox:latest ${BUSYBOX_ID().slice(0, 12)}\n`)
  const motd = await cocker(mode, ['run', '--rm', pushed.reference, 'cat', '/etc/motd'], { status: 0 })
  assert.is(motd.stdout, 'hello from the cocker test image\n')
  await cocker(mode, ['run', '--rm', pushed.reference, 'sh', '-c', 'exit 3'], { status: 3 })
  const nope = await cocker(mode, ['run', '--rm', pushed.reference, '/nonexistent'], { status: 127 })
  assert.match(nope.stderr, '/nonexistent')
  // the whiteout of layer 2 hides layer 1's file
  await cocker(mode, ['run', '--rm', pushed.reference, 'test', '!', '-e', '/etc/removed-later'], { status: 0 })
})

scenario('on a terminal a pull shows each layer\'s progress; -q shows none', async mode => {
  if (skipUnless(Boolean(which('script')), `pull progress (${mode.name})`, 'no script(1) to give the pull a terminal (apt-get install bsdutils)')) return
  const pushed = await pushFixture(registry!.host, 'busybox')
  // script(1) runs the command on a pty and copies what it writes to our stdout
  const onTty = (args: string[]) =>
    runCmd(['script', '-qec', formatArgv([mode.bin, '--root', mode.root, ...args]), '/dev/null'], { asUser: mode.user, status: 0 })
  const shown = await onTty(['pull', pushed.reference])
  assert.match(shown.stdout, `Trying to pull ${pushed.reference}`)
  for (const layer of fixtureLayout('busybox').images[0]!.layers) assert.match(shown.stdout, `Copying blob ${layer.digest.slice(7, 19)}`)
  assert.match(shown.stdout, BUSYBOX_ID())
  const quiet = await onTty(['pull', '-q', pushed.reference])
  assert.is(quiet.stdout.trim(), BUSYBOX_ID())
})

scenario('files in the image belong to root in the container; a bind-mounted dir gets files of the user', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox')
  await cocker(mode, ['pull', '-q', pushed.reference], { status: 0 })
  const owners = await cocker(mode, ['run', '--rm', pushed.reference, 'stat', '-c', '%u:%g', '/etc/motd', '/bin/busybox'], { status: 0 })
  assert.is(owners.stdout, '0:0\n0:0\n')
  const dir = modeDir(mode, 'cocker-bind-')
  await cocker(mode, ['run', '--rm', '-v', `${dir}:/mnt`, pushed.reference, 'sh', '-c', 'echo hi > /mnt/made && stat -c %u /mnt/made'], { status: 0 })
  const st = statSync(path.join(dir, 'made'))
  assert.is(st.uid, mode.user?.uid ?? 0, 'the host file belongs to the user who ran cocker')
  assert.is(readFileSync(path.join(dir, 'made'), 'utf8'), 'hi\n')
})

scenario('the Docker schema 2 and the OCI forms of the image both pull, to the same image ID', async mode => {
  for (const format of ['v2s2', 'oci'] as const) {
    const pushed = await pushFixture(registry!.host, 'busybox', { format })
    const pull = await cocker(mode, ['pull', pushed.reference], { status: 0 })
    assert.is(pull.stdout, `${BUSYBOX_ID()}\n`, format)
    const [info] = JSON.parse((await cocker(mode, ['inspect', pushed.reference], { status: 0 })).stdout)
    assert.is(info.Digest, pushed.digest, `${format}: the manifest digest is the registry's`)
    assert.is(info.ManifestType, format === 'v2s2' ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json')
    const motd = await cocker(mode, ['run', '--rm', pushed.reference, 'cat', '/etc/motd'], { status: 0 })
    assert.is(motd.stdout, 'hello from the cocker test image\n')
  }
  assert.is(storeJson(mode).images.length, 1, 'one image: same config, so same ID')
})

scenario('zstd layers pull and run like gzip ones', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox-zstd')
  const pull = await cocker(mode, ['pull', '-q', pushed.reference], { status: 0 })
  assert.is(pull.stdout, `${BUSYBOX_ID()}\n`, 'the same config as the gzip image, so the same ID')
  const [info] = JSON.parse((await cocker(mode, ['inspect', pushed.reference], { status: 0 })).stdout)
  const layerTypes = JSON.parse(readFileSync(path.join(mode.root, 'blobs/sha256', info.Digest.slice(7)), 'utf8')).layers.map((l: { mediaType: string }) => l.mediaType)
  assert.equal([...new Set(layerTypes)], ['application/vnd.oci.image.layer.v1.tar+zstd'])
  const motd = await cocker(mode, ['run', '--rm', pushed.reference, 'cat', '/etc/motd'], { status: 0 })
  assert.is(motd.stdout, 'hello from the cocker test image\n')
})

/** The content of /arch in the image's only layer, read from the store. */
async function archOf(mode: CockerMode, image: string): Promise<string> {
  const [info] = JSON.parse((await cocker(mode, ['inspect', image], { status: 0 })).stdout)
  const data = info.GraphDriver.Data as { UpperDir?: string; LowerDir?: string }
  const dir = data.UpperDir ?? data.LowerDir!.split(':')[0]!
  return `${info.Os}/${info.Architecture} ${readFileSync(path.join(dir, 'arch'), 'utf8').trim()}`
}

scenario('a multi-arch index gives the host platform, --platform the other one', async mode => {
  const pushed = await pushFixture(registry!.host, 'multiarch')
  const host = hostArch()
  const other = host === 'arm64' ? 'amd64' : 'arm64'
  const layout = fixtureLayout('multiarch')
  const idOf = (arch: string) => layout.images.find(i => i.manifest.platform!.architecture === arch)!.config.digest.slice(7)
  if (skipUnless(layout.images.some(i => i.manifest.platform!.architecture === host), `multi-arch host platform (${mode.name})`, `the fixture has no ${host} image`)) return
  assert.is((await cocker(mode, ['pull', pushed.reference], { status: 0 })).stdout, `${idOf(host)}\n`)
  assert.match(await archOf(mode, pushed.reference), new RegExp(`^linux/${host} linux/${host}`))
  const otherPull = await cocker(mode, ['pull', '--platform', `linux/${other}`, pushed.reference], { status: 0 })
  assert.is(otherPull.stdout, `${idOf(other)}\n`)
  assert.match(await archOf(mode, pushed.reference), new RegExp(`^linux/${other} linux/${other}`))
  const none = await cocker(mode, ['pull', '--platform', 'linux/s390x', pushed.reference], { status: 125 })
  assert.match(none.stderr, /^Error: .*s390x/)
  assert.is(none.stderr.split('\n').length, 2, 'one line')
})

scenario('htpasswd registry: a pull without login fails naming the registry and cocker login; after login it works', async mode => {
  const pushed = await pushFixture(authRegistry!.host, 'busybox', { auth: authRegistry!.auth })
  const runtimeDir = modeDir(mode, 'cocker-xdg-')
  const env = { XDG_RUNTIME_DIR: runtimeDir, REGISTRY_AUTH_FILE: undefined }
  const refused = await cocker(mode, ['pull', pushed.reference], { env, status: 125 })
  assert.match(refused.stderr, /^Error: [^\n]*127\.0\.0\.1:\d+[^\n]*cocker login[^\n]*\n$/)
  assert.match(refused.stderr, authRegistry!.host)
  assert.is((await cocker(mode, ['pull', '--creds', 'alice:s3cret', pushed.reference], { env, status: 0 })).stdout, `${BUSYBOX_ID()}\n`)
  await cocker(mode, ['rmi', '-a'], { status: 0 })
  await cocker(mode, ['login', '-u', 'alice', '-p', 's3cret', authRegistry!.host], { env, status: 0 })
  assert.is((await cocker(mode, ['pull', pushed.reference], { env, status: 0 })).stdout, `${BUSYBOX_ID()}\n`)
})

scenario('plain HTTP on loopback needs no flag; --tls-verify=true refuses it with one line', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox')
  const r = await cocker(mode, ['pull', '--tls-verify=true', pushed.reference], { status: 125 })
  assert.match(r.stderr, /^Error: cannot reach registry 127\.0\.0\.1:\d+: it answers HTTPS with plain HTTP[^\n]*\n$/)
  assert.is(storeJson(mode).images.length, 0)
  await cocker(mode, ['pull', '--tls-verify=false', pushed.reference], { status: 0 })
})

/** Flips the middle byte of a blob in the registry's storage; its size stays. */
function corruptRegistryBlob(reg: TestRegistry, digest: string): void {
  const hex = digest.slice(7)
  const file = path.join(reg.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data')
  const bytes = readFileSync(file)
  bytes[bytes.length >> 1] ^= 0xff
  writeFileSync(file, bytes)
}

let corrupt: Promise<{ registry: TestRegistry; reference: string; digest: string }> | undefined
test.after(async () => (await corrupt?.catch(() => undefined))?.registry.stop())

scenario('a blob corrupted in the registry is rejected naming its digest; nothing of it stays in the store', async mode => {
  // a registry of its own: blobs are shared by all of a registry's repositories
  corrupt ??= (async () => {
    const reg = await startRegistry()
    const pushed = await pushFixture(reg.host, 'busybox')
    const digest = fixtureLayout('busybox').images[0]!.layers[1]!.digest
    corruptRegistryBlob(reg, digest)
    return { registry: reg, reference: pushed.reference, digest }
  })()
  const { reference, digest } = await corrupt
  const r = await cocker(mode, ['pull', reference], { status: 125 })
  assert.match(r.stderr, new RegExp(`^Error: [^\\n]*${digest}[^\\n]*\\n$`))
  assert.is(storeJson(mode).images.length, 0, 'no image')
  assert.not.ok(ls(path.join(mode.root, 'blobs')).includes(digest.slice(7)), 'the bad blob is not kept')
  assert.equal(ls(path.join(mode.root, 'tmp')), [], 'no staging leftovers')
  const check = await cocker(mode, ['system', 'check', '--max', '0s'], { status: 0 })
  assert.is(check.stdout, '')
  assert.is((await cocker(mode, ['images', '-q'], { status: 0 })).stdout, '')
})

scenario('two pulls of one image at once both succeed; the store has it once', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox')
  const [a, b] = await Promise.all([cocker(mode, ['pull', pushed.reference], { status: 0 }), cocker(mode, ['pull', pushed.reference], { status: 0 })])
  assert.is(a.stdout, `${BUSYBOX_ID()}\n`)
  assert.is(b.stdout, a.stdout)
  const md = storeJson(mode)
  assert.is(md.images.length, 1)
  assert.is(md.layers.length, 2, 'each layer once')
  assert.is(ls(path.join(mode.root, 'layers')).length, 2)
  assert.equal(ls(path.join(mode.root, 'tmp')), [])
  assert.is((await cocker(mode, ['system', 'check', '--max', '0s'], { status: 0 })).stdout, '')
  await cocker(mode, ['run', '--rm', pushed.reference, 'cat', '/opt/data/hello.txt'], { status: 0 })
})

scenario('rmi refuses an image a container stands on; a run killed (-9) leaves its container running under its monitor, and rm -f removes it all', async mode => {
  const pushed = await pushFixture(registry!.host, 'busybox')
  await cocker(mode, ['pull', '-q', pushed.reference], { status: 0 })
  // no network to connect: the kill lands once the container runs, not during its network's setup
  const child = spawnCocker(mode, ['run', '--rm', '--network', 'none', pushed.reference, 'sleep', '60'])
  const exited = new Promise(resolve => child.once('exit', resolve))
  const containers = path.join(mode.root, 'containers')
  for (let i = 0; i < 250 && ls(containers).length === 0; i++) await new Promise(r => setTimeout(r, 20))
  const [id] = ls(containers)
  assert.ok(id, 'the run made its container dir')
  const rmi = await cocker(mode, ['rmi', pushed.reference])
  assert.is.not(rmi.status, 0)
  assert.match(rmi.stderr, `image used by ${id!.slice(0, 12)}: image is in use by a container`)
  process.kill(-child.pid!, 'SIGKILL')
  await exited
  await killedCommandGone(child.pid!)
  // the monitor keeps it: not a leftover, its image still in use
  assert.not.match((await cocker(mode, ['system', 'check'], { status: 0 })).stdout, id!)
  assert.is.not((await cocker(mode, ['rmi', pushed.reference])).status, 0)
  const runtimeState = path.join((await cocker(mode, ['info', '--format', '{{.Store.RunRoot}}'], { status: 0 })).stdout.trim(), 'runtime', id!)
  assert.ok(existsSync(runtimeState), `the runtime's record ${runtimeState} is there while it runs`)
  await cocker(mode, ['rm', '-f', '-t', '0', id!], { status: 0 })
  assert.equal(ls(containers), [])
  assert.not.ok(existsSync(runtimeState), 'and goes with the container')
  await cocker(mode, ['rmi', pushed.reference], { status: 0 })
})

scenario('a pull killed (-9) at any moment leaves a store the next pull completes; check --repair clears tmp/', async mode => {
  const pushed = await pushFixture(registry!.host, 'big')
  const image = fixtureLayout('big').images[0]!
  for (const delayMs of [20, 60, 150, 400, 1000]) {
    const child = spawnCocker(mode, ['pull', pushed.reference])
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
    await new Promise(r => setTimeout(r, delayMs))
    // once node has reaped it, its pid (the group's id) may already be another's
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL')
    await exited
    // the namespace child of a rootless pull dies with the group, maybe after its leader
    await killedCommandGone(child.pid!, mode.root)
    const check = await cocker(mode, ['system', 'check'])
    assert.is(check.status, 0, `after a kill at ${delayMs} ms, check reports no damage:\n${check.stdout}${check.stderr}`)
    const pull = await cocker(mode, ['pull', pushed.reference], { status: 0 })
    assert.is(pull.stdout, `${image.config.digest.slice(7)}\n`, `pull after a kill at ${delayMs} ms`)
    const sums = await cocker(mode, ['run', '--rm', pushed.reference, 'sh', '-c', 'for n in 1 2 3; do sha256sum /big/$n/noise | cut -d" " -f1; cat /big/$n/sum; ls /big/$n/many | wc -l; done'], { status: 0 })
    const lines = sums.stdout.trim().split('\n')
    for (let n = 0; n < 3; n++) {
      assert.is(lines[n * 3], lines[n * 3 + 1], `layer ${n + 3} content intact after a kill at ${delayMs} ms`)
      assert.is(lines[n * 3 + 2]!.trim(), '1000')
    }
    await cocker(mode, ['system', 'check', '--repair', '--max', '0s'], { status: 0 })
    assert.equal(ls(path.join(mode.root, 'tmp')), [], `no leftovers in tmp/ after repair (kill at ${delayMs} ms)`)
    assert.is(storeJson(mode).layers.length, image.layers.length)
    await cocker(mode, ['rmi', '-a'], { status: 0 })
    assert.is(storeJson(mode).layers.length, 0)
  }
})

test.run()
