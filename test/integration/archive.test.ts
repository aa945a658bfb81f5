// save, load, import, history and image tree through bin/cocker, root and rootless, with
// podman, skopeo and umoci as the oracles. The source image is the busybox fixture's OCI
// layout (two layers, a whiteout) tarred as an oci-archive.
import { chownSync, chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import { runCmd, type RunOptions, type RunResult } from '../support/exec.js'
import { FIXTURE_IMAGE, fixtureLayout, fixtureOciArchive, sha256, tar } from '../support/image-fixture.js'
import { repoPath } from '../support/paths.js'
import { hasNewuidmap, hasUserns, isRoot, rootlessOrSkip, skipUnless, which } from '../support/requires.js'
import { stageForRootless, type RootlessUser } from '../support/rootless.js'

const MOTD = 'hello from the cocker test image\n'
const NAME = FIXTURE_IMAGE
const tmp = makeTempDir('cocker-archive-')
chmodSync(tmp, 0o1777) // the rootless user writes archives here too
const stores: string[] = []

interface Side {
  name: 'root' | 'rootless'
  user?: RootlessUser
  bin: string
}

function side(name: 'root' | 'rootless', title: string): Side | undefined {
  if (name === 'root') return skipUnless(isRoot(), `${title} (root)`, 'needs root') ? undefined : { name, bin: repoPath('bin/cocker') }
  const user = rootlessOrSkip(`${title} (rootless)`)
  if (!user) return undefined
  if (skipUnless(hasUserns(user) && hasNewuidmap(), `${title} (rootless)`, 'no user namespaces or newuidmap for the rootless user')) return undefined
  return { name, user, bin: path.join(stageForRootless(), 'bin/cocker') }
}

/** A fresh store for the side: a temp dir the side owns. */
function store(s: Side): string {
  const dir = makeTempDir('cocker-archive-store-')
  stores.push(dir)
  if (s.user) chownSync(dir, s.user.uid, s.user.gid)
  return dir
}

function cocker(s: Side, root: string, args: string[], opts: Omit<RunOptions, 'asUser'> = {}): Promise<RunResult> {
  return runCmd([s.bin, '--root', root, ...args], { asUser: s.user, status: 0, timeoutMs: 120_000, ...opts })
}

/** A file under tmp/ every side can read. */
function file(name: string, bytes?: Buffer): string {
  const p = path.join(tmp, name)
  if (bytes) writeFileSync(p, bytes, { mode: 0o644 })
  return p
}

async function checkClean(s: Side, root: string): Promise<void> {
  const r = await cocker(s, root, ['system', 'check', '--max', '0s'], { status: undefined })
  assert.is(r.status, 0, `system check: ${r.stdout}${r.stderr}`)
}

for (const name of ['root', 'rootless'] as const) {
  test(`load an oci-archive, run it; save→load round trips keep the image ID (${name})`, async () => {
    const s = side(name, 'load and save round trip')
    if (!s) return
    const a = store(s)
    const loaded = await cocker(s, a, ['load', '-i', fixtureOciArchive()])
    assert.is(loaded.stdout, `Loaded image: ${NAME}\n`)
    assert.is((await cocker(s, a, ['run', '--rm', NAME, 'cat', '/etc/motd'])).stdout, MOTD)
    await cocker(s, a, ['run', '--rm', NAME, 'cat', '/etc/removed-later'], { status: 1 })
    const id = (await cocker(s, a, ['images', '-q', '--no-trunc'])).stdout.trim()
    const digest = (await cocker(s, a, ['inspect', '--format', '{{.Digest}}', NAME])).stdout.trim()
    assert.is(digest, fixtureLayout('busybox').top.digest, 'the OCI manifest is stored as it came')

    for (const format of ['docker-archive', 'oci-archive'] as const) {
      const out = file(`${name}-${format}.tar`)
      rmSync(out, { force: true })
      await cocker(s, a, ['save', '--format', format, '-o', out, NAME])
      const b = store(s)
      assert.is((await cocker(s, b, ['load', '-i', out])).stdout, `Loaded image: ${NAME}\n`)
      assert.is((await cocker(s, b, ['images', '-q', '--no-trunc'])).stdout.trim(), id, `${format}: same image ID`)
      if (format === 'oci-archive') assert.is((await cocker(s, b, ['inspect', '--format', '{{.Digest}}', NAME])).stdout.trim(), digest)
      assert.is((await cocker(s, b, ['run', '--rm', NAME, 'cat', '/opt/data/hello.txt'])).stdout, 'hello\n')
      await checkClean(s, b)
    }
    // to stdout, gzip-compressed, back through stdin
    const gz = path.join(tmp, `${name}-stdout.tar.gz`)
    rmSync(gz, { force: true })
    const sh = (script: string, ...args: string[]) => runCmd(['sh', '-c', script, s.bin, ...args], { asUser: s.user, status: 0, timeoutMs: 120_000 })
    await sh('umask 022; "$0" --root "$1" save "$2" | gzip > "$3"', a, NAME, gz)
    const c = store(s)
    assert.is((await sh('"$0" --root "$1" load < "$2"', c, gz)).stdout, `Loaded image: ${NAME}\n`)
    assert.is((await cocker(s, c, ['images', '-q', '--no-trunc'])).stdout.trim(), id)
    await checkClean(s, a)
  })
}

test('save to a terminal is refused in one line, and writes nothing there', async () => {
  const s = side('root', 'save to a terminal')
  if (!s) return
  if (skipUnless(!!which('script'), 'save to a terminal', 'script(1) is missing')) return
  const a = store(s)
  await cocker(s, a, ['load', '-i', fixtureOciArchive()])
  // script gives the command a terminal for its standard streams; -e passes its exit status on
  const r = await runCmd(['script', '-qec', `${s.bin} --root ${a} save ${NAME}`, '/dev/null'])
  assert.is(r.status, 125, r.stdout)
  assert.is(r.stdout, 'Error: refusing to save to terminal. Use -o flag or redirect\r\n')
})

test('save --format docker-dir writes the dir: transport, which skopeo copies into an archive cocker loads and runs', async () => {
  const s = side('root', 'save --format docker-dir')
  if (!s) return
  if (skipUnless(!!which('skopeo'), 'save --format docker-dir', 'skopeo is not installed')) return
  const a = store(s)
  await cocker(s, a, ['load', '-i', fixtureOciArchive()])
  const dir = path.join(tmp, 'docker-dir')
  await cocker(s, a, ['save', '--format', 'docker-dir', '-o', dir, NAME])
  const layout = fixtureLayout('busybox').images[0]!
  assert.is(readFileSync(path.join(dir, 'version'), 'utf8'), 'Directory Transport Version: 1.1\n')
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
  assert.is(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
  assert.is(manifest.config.digest, layout.config.digest)
  assert.equal(manifest.layers.map((l: { digest: string }) => l.digest), layout.layers.map(l => l.digest), 'the layers go out as stored')
  // skopeo checks every blob against its digest as it copies
  const info = JSON.parse((await runCmd(['skopeo', 'inspect', `dir:${dir}`], { status: 0 })).stdout)
  assert.equal(info.Layers, layout.layers.map(l => l.digest))
  const archive = file('from-docker-dir.tar')
  rmSync(archive, { force: true })
  await runCmd(['skopeo', 'copy', '--quiet', `dir:${dir}`, `oci-archive:${archive}:from-dir:1`], { status: 0 })
  const b = store(s)
  assert.is((await cocker(s, b, ['load', '-i', archive])).stdout, 'Loaded image: localhost/from-dir:1\n')
  assert.is((await cocker(s, b, ['run', '--rm', 'localhost/from-dir:1', 'cat', '/etc/motd'])).stdout, MOTD)
  // load reads archives only: a directory is one line saying so
  const r = await cocker(s, b, ['load', '-i', dir], { status: 125 })
  assert.is(r.stderr, `Error: ${dir} is a directory; give a docker-archive or oci-archive file (load reads no directories)\n`)
})

test('podman loads and runs what cocker save writes; skopeo and umoci read its oci-archive and oci-dir', async () => {
  const s = side('root', 'podman, skopeo and umoci read cocker save')
  if (!s) return
  const a = store(s)
  await cocker(s, a, ['load', '-i', fixtureOciArchive()])
  const docker = file('for-podman.tar')
  await cocker(s, a, ['save', '-o', docker, NAME])
  const oci = file('for-skopeo.tar')
  await cocker(s, a, ['save', '--format', 'oci-archive', '-o', oci, NAME])
  const ociDir = path.join(tmp, 'for-umoci')
  await cocker(s, a, ['save', '--format', 'oci-dir', '-o', ociDir, NAME])

  if (!skipUnless(!!which('skopeo'), 'skopeo inspect oci-archive', 'skopeo is not installed')) {
    const info = JSON.parse((await runCmd(['skopeo', 'inspect', `oci-archive:${oci}`], { status: 0 })).stdout)
    assert.is(info.Digest, fixtureLayout('busybox').top.digest)
    assert.is(info.Layers.length, 2)
  }
  if (!skipUnless(!!which('umoci'), 'umoci reads the oci-dir', 'umoci is not installed')) {
    assert.is((await runCmd(['umoci', 'ls', '--layout', ociDir], { status: 0 })).stdout, `${NAME}\n`)
    const bundle = path.join(tmp, 'umoci-bundle')
    await runCmd(['umoci', 'unpack', '--image', `${ociDir}:${NAME}`, bundle], { status: 0 })
    assert.is(readFileSync(path.join(bundle, 'rootfs/etc/motd'), 'utf8'), MOTD)
    assert.not.ok(existsSync(path.join(bundle, 'rootfs/etc/removed-later')))
  }
  const pe = await podmanEnv()
  if (!pe) return
  assert.match((await podman(pe, ['load', '-i', docker])).stdout, `Loaded image: ${NAME}`)
  assert.is((await podman(pe, ['run', '--rm', NAME, 'cat', '/etc/motd'])).stdout, MOTD)
})

test('cocker loads and runs what podman save writes, docker-archive and oci-archive', async () => {
  const s = side('root', 'cocker loads podman save')
  if (!s) return
  const pe = await podmanEnv()
  if (!pe) return
  const rootfs = path.join(tmp, 'podman-rootfs')
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true })
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true })
  cpSync(which('busybox')!, path.join(rootfs, 'bin/busybox'))
  writeFileSync(path.join(rootfs, 'etc/motd'), 'from podman\n')
  const src = file('podman-src.tar')
  await runCmd(['tar', '-C', rootfs, '-cf', src, '.'], { status: 0 })
  await podman(pe, ['import', '-q', src, 'localhost/from-podman:1'])
  for (const format of ['docker-archive', 'oci-archive']) {
    const out = file(`podman-${format}.tar`)
    rmSync(out, { force: true })
    await podman(pe, ['save', '-q', '--format', format, '-o', out, 'localhost/from-podman:1'])
    const a = store(s)
    assert.is((await cocker(s, a, ['load', '-i', out])).stdout, 'Loaded image: localhost/from-podman:1\n')
    assert.is((await cocker(s, a, ['run', '--rm', 'localhost/from-podman:1', '/bin/busybox', 'cat', '/etc/motd'])).stdout, 'from podman\n')
    await checkClean(s, a)
  }
})

for (const name of ['root', 'rootless'] as const) {
  test(`import a tarball (plain and gzip from stdin) with --change, then run it (${name})`, async () => {
    const s = side(name, 'import')
    if (!s) return
    const busybox = readFileSync(which('busybox')!)
    const rootfs = tar([
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      { type: 'dir', path: 'etc' },
      { type: 'file', path: 'etc/motd', data: 'imported\n' },
    ])
    const plain = file(`${name}-rootfs.tar`, rootfs)
    const a = store(s)
    const r = await cocker(s, a, ['import', '-c', 'CMD ["/bin/sh", "-c", "echo $GREETING; cat /etc/motd"]', '-c', 'ENV GREETING="hi there" OTHER=1',
      '-m', 'from a test', plain, 'imported:1'])
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/)
    assert.is((await cocker(s, a, ['run', '--rm', 'imported:1'])).stdout, 'hi there\nimported\n')
    const hist = (await cocker(s, a, ['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'imported:1'])).stdout
    assert.is(hist, `/bin/sh -c #(nop) ADD file:${sha256(rootfs).slice(7)} in /|from a test\n`)

    const gz = file(`${name}-rootfs.tar.gz`, gzipSync(rootfs))
    const viaStdin = await runCmd(['sh', '-c', `"$0" --root "$1" import -c "ENTRYPOINT cat /etc/motd" - < "$2"`, s.bin, a, gz], { asUser: s.user, status: 0 })
    const id = viaStdin.stdout.trim().slice(7)
    assert.is((await cocker(s, a, ['run', '--rm', id])).stdout, 'imported\n')
    const bad = await cocker(s, a, ['import', '-c', 'FROM x', plain], { status: 125 })
    assert.match(bad.stderr.split('\n')[0]!, /^Error: invalid change "FROM x" - invalid instruction FROM/)
    await cocker(s, a, ['import', 'https://example.com/x.tar'], { status: 125 })
    const missing = path.join(tmp, 'no-such.tar')
    assert.is((await cocker(s, a, ['import', missing], { status: 125 })).stderr, `Error: cannot read ${missing}: no such file\n`)
    await checkClean(s, a)
  })
}

test('history and image tree of a two-layer image', async () => {
  const s = side('root', 'history and tree')
  if (!s) return
  const a = store(s)
  await cocker(s, a, ['load', '-i', fixtureOciArchive()])
  const id = (await cocker(s, a, ['images', '-q'])).stdout.trim()
  const hist = (await cocker(s, a, ['history', NAME])).stdout.split('\n')
  assert.match(hist[0]!, /^ID\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/)
  assert.match(hist[1]!, new RegExp(`^${id}  .* ago  cocker test fixture layer 2 `))
  assert.match(hist[2]!, /^<missing>  .* ago  cocker test fixture layer 1 /)
  assert.is((await cocker(s, a, ['image', 'history', '-q', NAME])).stdout, `${id}\n<missing>\n`)
  const tree = (await cocker(s, a, ['image', 'tree', NAME])).stdout.split('\n')
  assert.is(tree[0], `Image ID: ${id}`)
  assert.is(tree[1], `Tags:     [${NAME}]`)
  assert.is(tree[3], 'Image Layers')
  assert.match(tree[4]!, /^├── ID: [0-9a-f]{12} Size: \S+$/)
  assert.match(tree[5]!, new RegExp(`^└── ID: [0-9a-f]{12} Size: \\S+ Top Layer of: \\[${NAME}\\]$`))
  const what = (await cocker(s, a, ['image', 'tree', '--whatrequires', NAME])).stdout.split('\n')
  assert.is(what.length, 7, 'the top layer alone, then a blank line')
})

/** Archives made to reach outside; each must fail with one line and change nothing. */
function hostileArchives(): [string, Buffer, RegExp][] {
  const layer = tar([{ type: 'file', path: 'x', data: 'x' }])
  const config = JSON.stringify({ os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } })
  const manifest = (layers: string[]) => JSON.stringify([{ Config: 'c.json', RepoTags: ['evil:1'], Layers: layers }])
  return [
    ['dotdot', tar([{ type: 'file', path: '../../escape', data: 'x' }]), /climbs out of the archive/],
    ['absolute', tar([{ type: 'file', path: '/tmp/escape', data: 'x' }]), /absolute name/],
    ['symlink out', tar([
      { type: 'file', path: 'c.json', data: config },
      { type: 'symlink', path: 'l.tar', target: '../../../etc/passwd' },
      { type: 'file', path: 'manifest.json', data: manifest(['l.tar']) },
    ]), /points outside the archive/],
    ['absolute symlink', tar([{ type: 'symlink', path: 'l.tar', target: '/etc/passwd' }]), /points to the absolute path/],
    ['manifest names a host path', tar([
      { type: 'file', path: 'c.json', data: config },
      { type: 'file', path: 'manifest.json', data: manifest(['/etc/passwd']) },
    ]), /absolute name/],
    ['layer not matching its diff id', tar([
      { type: 'file', path: 'c.json', data: config },
      { type: 'file', path: 'l.tar', data: tar([{ type: 'file', path: 'y', data: 'y' }]) },
      { type: 'file', path: 'manifest.json', data: manifest(['l.tar']) },
    ]), /its content has digest/],
    ['not an archive', Buffer.from('hello'.repeat(200)), /not a tar archive|checksum|truncated/],
  ]
}

for (const name of ['root', 'rootless'] as const) {
  test(`hostile archives fail with one clear line and leave the store as it was (${name})`, async () => {
    const s = side(name, 'hostile archives')
    if (!s) return
    const a = store(s)
    await cocker(s, a, ['load', '-i', fixtureOciArchive()])
    const before = (await cocker(s, a, ['images', '--no-trunc'])).stdout
    for (const [what, bytes, message] of hostileArchives()) {
      const f = file(`${name}-hostile-${what.replace(/\W+/g, '-')}.tar`, bytes)
      const r = await cocker(s, a, ['load', '-i', f], { status: 125 })
      assert.is(r.stdout, '', what)
      assert.match(r.stderr, /^Error: [^\n]+\n/, what)
      assert.match(r.stderr.split('\n')[0]!, message, what)
      assert.is((await cocker(s, a, ['images', '--no-trunc'])).stdout, before, `${what}: the images are unchanged`)
      assert.equal(readdirSync(path.join(a, 'tmp')), [], `${what}: nothing left in tmp/`)
      await checkClean(s, a)
    }
    assert.not.ok(existsSync('/tmp/escape'))
  })
}

// --- podman, as root, with its own storage (see /work/shared/PEERS.md)

interface PodmanEnv {
  env: Record<string, string>
}

let podmanSetup: Promise<PodmanEnv | undefined> | undefined
function podmanEnv(): Promise<PodmanEnv | undefined> {
  podmanSetup ??= (async () => {
    if (skipUnless(!!which('podman'), 'podman interop', 'podman is not installed')) return undefined
    const dir = path.join(tmp, 'podman')
    mkdirSync(dir, { recursive: true })
    const limit = async (what: string) => {
      const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find(l => l.startsWith(what))!
      const hard = line.slice(25).trim().split(/\s+/)[1]!
      return hard === 'unlimited' ? 1048576 : Number(hard)
    }
    const nofile = await limit('Max open files')
    const nproc = Math.min(await limit('Max processes'), 32768)
    writeFileSync(path.join(dir, 'containers.conf'),
      `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`)
    writeFileSync(path.join(dir, 'storage.conf'), `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`)
    return { env: { CONTAINERS_CONF: path.join(dir, 'containers.conf'), CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf') } }
  })()
  return podmanSetup
}

function podman(pe: PodmanEnv, args: string[]): Promise<RunResult> {
  return runCmd(['podman', ...args], { env: pe.env, status: 0, timeoutMs: 120_000 })
}

test.after(async () => {
  if (podmanSetup && (await podmanSetup)) await runCmd(['podman', 'system', 'reset', '-f'], { env: (await podmanSetup)!.env }).catch(() => {})
  for (const dir of [...stores, tmp]) rmSync(dir, { recursive: true, force: true })
})

test.run()
