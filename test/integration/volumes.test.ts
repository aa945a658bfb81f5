// Volumes (lib/storage/volumes.ts, lib/container/volumes.ts), root and rootless: named ones
// outlive their containers, a volume's first use copies the image's content in with its
// owners and modes, anonymous ones go with --rm and rm -v, one in use is not removed without
// -f, export and import round-trip, concurrent first uses make one volume, and the commands
// print what Podman's print.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { cocker, cockerModeOrSkip, cockerScenario, loadBusybox, modeDir, type CockerMode } from '../support/cocker-modes.js'
import { crashAt, eventually, withContainers } from '../support/containers.js'
import { buildBusyboxLayout } from '../support/image-fixture.js'
import { podman, podmanOrSkip } from '../support/podman.js'
import { buildTar, dir, file, symlink } from '../support/tar-builder.js'

const NONE = ['--network', 'none']
const SEEDED = 'localhost/volume-seed:1'

/**
 * An image of the busybox fixture's first layer plus /srv/seed with owners and modes of
 * several kinds, and /srv/anon, which its config declares a VOLUME.
 */
async function loadSeedImage(mode: CockerMode): Promise<string> {
  const work = modeDir(mode)
  const base = buildBusyboxLayout(path.join(work, 'layout')).images[0]!.layers[0]!.tar
  const extra = buildTar([
    dir('srv/'),
    dir('srv/seed/', { mode: 0o750, uid: 1000, gid: 1000 }),
    file('srv/seed/owned', 'data\n', { mode: 0o640, uid: 33, gid: 44 }),
    dir('srv/seed/sub/', { mode: 0o700, uid: 2, gid: 3 }),
    file('srv/seed/sub/setuid', 'x', { mode: 0o4755 }),
    symlink('srv/seed/link', 'owned', { uid: 33, gid: 44 }),
    dir('srv/anon/'),
    file('srv/anon/from-image', 'image\n'),
  ])
  const tarFile = path.join(work, 'rootfs.tar')
  writeFileSync(tarFile, Buffer.concat([base.subarray(0, base.length - 1024), extra]), { mode: 0o644 })
  await cocker(mode, ['import', '-q', '-c', 'VOLUME ["/srv/anon"]', '-c', 'CMD ["sh"]', tarFile, SEEDED], { status: 0 })
  return SEEDED
}

const lines = (s: string) => s.split('\n').filter(Boolean)
const out = async (mode: CockerMode, args: string[]) => (await cocker(mode, args, { status: 0 })).stdout

cockerScenario('a named volume outlives its container, another container sees its data, --volumes-from passes it on', async mode => {
  await withContainers(mode, async image => {
    await cocker(mode, ['run', '--rm', ...NONE, '-v', 'keep:/data', image, 'sh', '-c', 'echo kept > /data/f'], { status: 0 })
    assert.is(await out(mode, ['volume', 'ls', '-q']), 'keep\n')
    assert.is(await out(mode, ['run', '--rm', ...NONE, '--mount', 'type=volume,source=keep,target=/mnt,readonly', image, 'cat', '/mnt/f']), 'kept\n')
    const ro = await cocker(mode, ['run', '--rm', ...NONE, '-v', 'keep:/mnt:ro', image, 'touch', '/mnt/g'], { status: 1 })
    assert.match(ro.stderr, /Read-only file system/)
    await cocker(mode, ['create', '--name', 'holder', ...NONE, '-v', 'keep:/data', image, 'true'], { status: 0 })
    assert.is(await out(mode, ['run', '--rm', ...NONE, '--volumes-from', 'holder:ro', image, 'cat', '/data/f']), 'kept\n')
    await cocker(mode, ['run', '--rm', ...NONE, '--volumes-from', 'holder:ro', image, 'touch', '/data/g'], { status: 1 })
    // the union of the image's layers, as the container sees it: what layer 2 deleted stays deleted
    const etc = await out(mode, ['run', '--rm', ...NONE, '-v', 'etc:/etc', image, 'ls', '/etc'])
    assert.equal(lines(etc).filter(f => !['hostname', 'hosts', 'resolv.conf', '.containerenv'].includes(f)), ['group', 'motd', 'passwd'])
    const [inspected] = JSON.parse(await out(mode, ['volume', 'inspect', 'keep']))
    assert.is(inspected.Mountpoint, path.join(mode.root, 'volumes/keep/_data'))
    assert.equal(JSON.parse(await out(mode, ['inspect', 'keep'])), [inspected])
    assert.is(await out(mode, ['inspect', '--type', 'volume', '--format', '{{.Name}}', 'keep']), 'keep\n')
    assert.match((await cocker(mode, ['inspect', '--type', 'volume', 'nope'], { status: 125 })).stderr, /no such volume nope/)
    const [mount] = JSON.parse(await out(mode, ['container', 'inspect', '--format', '{{json .Mounts}}', 'holder']))
    assert.equal([mount.Type, mount.Name, mount.Driver, mount.Destination], ['volume', 'keep', 'local', '/data'])
    assert.match(await out(mode, ['container', 'inspect', '--format', '{{json .HostConfig.Binds}}', 'holder']), /^\["keep:\/data:rw,nosuid,nodev,rbind,rprivate"\]/)
    assert.match(await out(mode, ['system', 'df']), /Local Volumes +2 +1 /)
    assert.is(await out(mode, ['ps', '-a', '--format', '{{.Names}}', '--filter', 'volume=keep']), 'holder\n')
    assert.is(await out(mode, ['ps', '-a', '--format', '{{.Names}}', '--filter', 'volume=etc']), '')
    await cocker(mode, ['rm', 'holder'], { status: 0 })
    assert.is(await out(mode, ['volume', 'ls', '-q']), 'etc\nkeep\n')
  })
})

cockerScenario('a volume seeded from the image keeps its owners and modes; a fresh one belongs to the container\'s user', async mode => {
  await withContainers(mode, async () => {
    const image = await loadSeedImage(mode)
    const listing = (args: string[]) => out(mode, ['run', '--rm', ...NONE, ...args, image, 'ls', '-lnRa', '/srv/seed'])
    const inImage = await listing([])
    assert.match(inImage, /-rw-r----- +1 33 +44 .* owned/)
    assert.match(inImage, /-rwsr-xr-x +1 0 +0 .* setuid/)
    assert.is(await listing(['-v', 'seeded:/srv/seed']), inImage)
    // a second use does not copy again, and sees what the first left
    await cocker(mode, ['run', '--rm', ...NONE, '-v', 'seeded:/srv/seed', image, 'rm', '/srv/seed/owned'], { status: 0 })
    assert.not.match(await listing(['-v', 'seeded:/srv/seed']), /\d owned\n/)
    // on the store's side the owners are the user namespace's (rootless: subordinate ids on the host)
    const mountpoint = JSON.parse(await out(mode, ['volume', 'inspect', 'seeded']))[0].Mountpoint as string
    const statOf = (p: string) => out(mode, ['unshare', 'stat', '-c', '%u:%g %a', p]).then(s => s.trim())
    if (mode.user) assert.is(await statOf(path.join(mountpoint, 'sub')), '2:3 700')
    assert.is(await out(mode, ['volume', 'inspect', '--format', '{{.NeedsCopyUp}} {{.NeedsChown}}', 'seeded']), 'false false\n')

    const stat = (args: string[], p: string) => out(mode, ['run', '--rm', ...NONE, ...args, image, 'stat', '-c', '%u:%g %a', p]).then(s => s.trim())
    assert.is(await stat(['-v', 'fresh:/newdir'], '/newdir'), '0:0 755')
    assert.is(await stat(['--user', '1000:1001', '-v', 'mine:/newdir'], '/newdir'), '1000:1001 755')
    await cocker(mode, ['run', '--rm', ...NONE, '--user', '1000:1001', '-v', 'mine:/newdir', image, 'touch', '/newdir/x'], { status: 0 })
    assert.is(await out(mode, ['run', '--rm', ...NONE, '-v', 'empty:/srv/seed:nocopy', image, 'ls', '-A', '/srv/seed']), '')
    assert.is(await stat(['--user', '5:6', '-v', 'given:/srv/seed:U'], '/srv/seed/owned'), '5:6 640')
    // content of the namespace's other ids goes too (rootless: through the helper)
    assert.is(await out(mode, ['volume', 'rm', 'seeded', 'given']), 'seeded\ngiven\n')
    // o=uid=,gid= decide the owner of the root
    await cocker(mode, ['volume', 'create', '-o', 'o=uid=7,gid=8', 'owned'], { status: 0 })
    assert.is(await stat(['-v', 'owned:/newdir'], '/newdir'), '7:8 755')
  })
})

cockerScenario('anonymous volumes: the image\'s VOLUME and -v /path, removed by --rm and rm -v, kept by rm', async mode => {
  await withContainers(mode, async () => {
    const image = await loadSeedImage(mode)
    assert.is(await out(mode, ['run', '--rm', ...NONE, image, 'cat', '/srv/anon/from-image']), 'image\n')
    assert.is(await out(mode, ['volume', 'ls', '-q']), '')
    await cocker(mode, ['run', '--name', 'kept', ...NONE, image, 'true'], { status: 0 })
    const [anon] = lines(await out(mode, ['volume', 'ls', '-q']))
    assert.match(anon ?? '', /^[0-9a-f]{64}$/)
    assert.is(await out(mode, ['volume', 'inspect', '--format', '{{.Anonymous}}', anon!]), 'true\n')
    assert.is(await out(mode, ['volume', 'ls', '-q', '--filter', 'dangling=true']), '')
    await cocker(mode, ['rm', 'kept'], { status: 0 })
    assert.is(await out(mode, ['volume', 'ls', '-q', '--filter', 'dangling=true']), `${anon}\n`)
    assert.is(await out(mode, ['volume', 'prune', '-f']), `${anon}\n`)
    await cocker(mode, ['run', '--name', 'scratch', ...NONE, '-v', '/scratch', '-v', 'named:/named', image, 'true'], { status: 0 })
    assert.is(lines(await out(mode, ['volume', 'ls', '-q'])).length, 3)
    await cocker(mode, ['rm', '-v', 'scratch'], { status: 0 })
    assert.is(await out(mode, ['volume', 'ls', '-q']), 'named\n')
    // --rm of a detached container: the monitor's clean-up removes them
    await cocker(mode, ['run', '-d', '--rm', ...NONE, image, 'true'], { status: 0 })
    await eventually('the anonymous volume of a detached --rm container to go', async () => (await out(mode, ['volume', 'ls', '-q'])) === 'named\n')
  })
})

cockerScenario('volumes of -o type=tmpfs (one per container) and of a host directory (type=none, o=bind)', async mode => {
  await withContainers(mode, async image => {
    await cocker(mode, ['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'tv'], { status: 0 })
    assert.match(await out(mode, ['run', '--rm', ...NONE, '-v', 'tv:/t', image, 'grep', ' /t ', '/proc/mounts']), /^tmpfs \/t tmpfs .*size=1024k/)
    const host = modeDir(mode)
    await cocker(mode, ['volume', 'create', '-o', 'type=none', '-o', `device=${host}`, '-o', 'o=bind', 'bv'], { status: 0 })
    await cocker(mode, ['run', '--rm', ...NONE, '-v', 'bv:/b', image, 'sh', '-c', 'echo through > /b/f'], { status: 0 })
    assert.is(readFileSync(path.join(host, 'f'), 'utf8'), 'through\n')
    const refused = await cocker(mode, ['volume', 'export', '-o', path.join(host, 'x.tar'), 'bv'], { status: 125 })
    assert.match(refused.stderr, /^Error: volume bv is a none mount/)
  })
})

cockerScenario('-v DIR:/path:O: the host directory under an overlay, the container\'s writes its own', async mode => {
  await withContainers(mode, async image => {
    const host = modeDir(mode)
    writeFileSync(path.join(host, 'existing'), 'host\n')
    if (mode.user) await import('node:fs').then(fs => fs.chownSync(path.join(host, 'existing'), mode.user!.uid, mode.user!.gid))
    const script = 'cat /o/existing && echo changed > /o/existing && echo new > /o/new && rm /o/existing && ls -A /o'
    assert.is(await out(mode, ['run', '--rm', ...NONE, '-v', `${host}:/o:O`, image, 'sh', '-c', script]), 'host\nnew\n')
    assert.is(readFileSync(path.join(host, 'existing'), 'utf8'), 'host\n')
    assert.equal((await import('node:fs')).readdirSync(host), ['existing'])
  })
})

cockerScenario('volume rm of a volume in use is refused in one line, -f removes its containers first', async mode => {
  await withContainers(mode, async image => {
    await cocker(mode, ['create', '--name', 'user', ...NONE, '-v', 'busy:/x', image, 'true'], { status: 0 })
    const refused = await cocker(mode, ['volume', 'rm', 'busy'], { status: 2 })
    assert.match(refused.stderr, /^Error: volume busy is being used by the following container\(s\): [0-9a-f]{64}: volume is being used\n$/)
    assert.match((await cocker(mode, ['volume', 'rm', 'nope'], { status: 1 })).stderr, /^Error: no volume with name "nope" found: no such volume/)
    assert.is(await out(mode, ['volume', 'rm', '-f', 'busy']), 'busy\n')
    await cocker(mode, ['container', 'exists', 'user'], { status: 1 })
    await cocker(mode, ['volume', 'exists', 'busy'], { status: 1 })
    assert.match((await cocker(mode, ['volume', 'create', 'bad/name'], { status: 125 })).stderr, /names must match/)
  })
})

cockerScenario('volume export then import gives the same files, owners and modes', async mode => {
  await withContainers(mode, async image => {
    await cocker(mode, ['run', '--rm', ...NONE, '-v', 'src:/d', image, 'sh', '-c',
      'echo a > /d/a && mkdir /d/sub && echo b > /d/sub/b && chown 1000:1001 /d/sub/b && chmod 600 /d/sub/b && ln -s a /d/l'], { status: 0 })
    const tarFile = path.join(modeDir(mode), 'src.tar')
    await cocker(mode, ['volume', 'export', '-o', tarFile, 'src'], { status: 0 })
    await cocker(mode, ['volume', 'create', 'dst'], { status: 0 })
    await cocker(mode, ['volume', 'import', 'dst', tarFile], { status: 0 })
    const listing = (v: string) => out(mode, ['run', '--rm', ...NONE, '-v', `${v}:/d`, image, 'sh', '-c', 'cd /d && ls -lnR . && cat sub/b'])
    assert.is(await listing('dst'), await listing('src'))
    // standard output and standard input
    const piped = await cocker(mode, ['volume', 'export', 'src'], { status: 0 })
    assert.ok(piped.stdout.includes('sub/b'))
    await cocker(mode, ['volume', 'create', 'fromstdin'], { status: 0 })
    await cocker(mode, ['volume', 'import', 'fromstdin', '-'], { status: 0, input: await import('node:fs').then(fs => fs.readFileSync(tarFile)) })
    assert.is(await listing('fromstdin'), await listing('src'))
    await cocker(mode, ['volume', 'import', 'nope', tarFile], { status: 125 })
  })
})

cockerScenario('concurrent first uses of a volume make one volume, copied up once; a create killed before its rename leaves none', async mode => {
  await withContainers(mode, async image => {
    const runs = await Promise.all([1, 2, 3].map(() => cocker(mode, ['run', '--rm', ...NONE, '-v', 'conc:/opt/data', image, 'ls', '/opt/data'])))
    for (const r of runs) assert.is(r.stdout, 'hello.txt\n', r.stderr)
    assert.is(await out(mode, ['volume', 'ls', '-q']), 'conc\n')
    await crashAt(mode, 'volume-create:before-rename', ['volume', 'create', 'crashed'])
    await cocker(mode, ['volume', 'exists', 'crashed'], { status: 1 })
    assert.is(await out(mode, ['volume', 'ls', '-q']), 'conc\n')
    assert.is(await out(mode, ['volume', 'create', 'crashed']), 'crashed\n')
    // a removal killed after its rename: the volume is gone, its files are tmp/'s
    await crashAt(mode, 'volume-rm:after-rename', ['volume', 'rm', 'conc'])
    assert.is(await out(mode, ['volume', 'ls', '-q']), 'crashed\n')
    const check = await cocker(mode, ['system', 'check', '--max', '0s'], { status: undefined })
    assert.match(check.stdout + check.stderr, /tmp\/volume-rm-/)
    assert.match(check.stdout + check.stderr, /tmp\/volume-[a-z0-9]{10} /)
    await cocker(mode, ['system', 'check', '--max', '0s', '--repair'], { status: 0 })
    await cocker(mode, ['system', 'check', '--max', '0s'], { status: 0 })
  })
})

for (const name of ['root', 'rootless'] as const) test(`volume create, ls and inspect print what Podman prints (${name})`, async () => {
  const title = `volume commands against podman (${name})`
  const pe = await podmanOrSkip(name, title)
  const mode = pe && cockerModeOrSkip(name, title)
  if (!pe || !mode) return
  const create = ['volume', 'create', '--label', 'app=web', '-o', 'o=uid=1000,gid=1000', 'cmp']
  assert.is((await cocker(mode, create, { status: 0 })).stdout, (await podman(pe, create, { status: 0 })).stdout)
  await cocker(mode, ['volume', 'create', 'plain'], { status: 0 })
  await podman(pe, ['volume', 'create', 'plain'], { status: 0 })
  const ls = ['volume', 'ls', '--filter', 'name=^(cmp|plain)$']
  assert.is((await cocker(mode, ls, { status: 0 })).stdout, (await podman(pe, ls, { status: 0 })).stdout)
  const inspect = ['volume', 'inspect', 'cmp', 'plain']
  const strip = (text: string) => JSON.parse(text).map((v: Record<string, unknown>) => ({ ...v, Mountpoint: typeof v.Mountpoint, CreatedAt: typeof v.CreatedAt }))
  assert.equal(strip((await cocker(mode, inspect, { status: 0 })).stdout), strip((await podman(pe, inspect, { status: 0 })).stdout))
  const tmpl = ['volume', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Options}} {{.Labels}} {{.NeedsCopyUp}} {{.Anonymous}}', 'cmp']
  assert.is((await cocker(mode, tmpl, { status: 0 })).stdout, (await podman(pe, tmpl, { status: 0 })).stdout)
  for (const cmd of [['volume', 'inspect', 'nope'], ['volume', 'exists', 'nope'], ['volume', 'rm', 'nope'], ['volume', 'create', 'cmp']]) {
    const [c, p] = [await cocker(mode, cmd), await podman(pe, cmd)]
    assert.is(c.status, p.status, cmd.join(' '))
  }
  // a container's volume mounts, as inspect shows them
  const image = await loadBusybox(mode)
  const mounts = async (run: (args: string[]) => Promise<{ stdout: string }>) => {
    await run(['create', '--name', 'vols', ...NONE, '-v', 'pv:/opt/data', '-v', 'ro:/mnt:ro', image, 'true'])
    const shown = JSON.parse((await run(['container', 'inspect', '--format', '{{json .Mounts}}', 'vols'])).stdout)
    await run(['rm', '-v', 'vols'])
    // sorted: Podman's order changes from one run to the next
    return shown.map((m: { Source: string }) => ({ ...m, Source: path.basename(path.dirname(m.Source)) }))
      .sort((a: { Destination: string }, b: { Destination: string }) => a.Destination.localeCompare(b.Destination))
  }
  assert.equal(await mounts(args => cocker(mode, args, { status: 0 })), await mounts(args => podman(pe, args, { status: 0 })))
  await cocker(mode, ['volume', 'rm', '-a'], { status: 0 })
  await podman(pe, ['volume', 'rm', '-a'])
})

test.run()
