// The user-namespace and process flags of `cocker run`, seen from inside the container and
// from the host: --userns keep-id (the user as themselves inside; what they create in a bind
// mount is theirs outside), host, nomap, --uidmap/--gidmap (rootless: relative to the user's
// namespace, as podman's), --group-add, --oom-score-adj, --env-host. Podman 4.3 is the oracle
// for the maps: its uid_map is written against the user's namespace (it nests one), ours
// against the host's, so its lines are looked up in the user's namespace before comparing.
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, modeDir } from '../support/cocker-modes.js'
import { runCmd } from '../support/exec.js'
import { repoPath } from '../support/paths.js'
import { cleanupPodman, podmanOrSkip, podmanRun } from '../support/podman.js'
import { skipUnless, which } from '../support/requires.js'
import { FIXTURE_IMAGE } from '../support/image-fixture.js'
import { busyboxScenario, runSh, statusField, type BusyboxMode } from '../support/run-scenario.js'

interface Map3 { container: number; host: number; size: number }

const parseMap = (text: string): Map3[] => text.trim().split('\n').map(l => {
  const [container, host, size] = l.trim().split(/\s+/).map(Number)
  return { container: container!, host: host!, size: size! }
})

/** The user's own namespace as podman's info shows it: their id as 0, then their ranges of FILE. */
function userStack(file: string, name: string, self: number): Map3[] {
  const maps: Map3[] = [{ container: 0, host: self, size: 1 }]
  for (const line of readFileSync(file, 'utf8').split('\n').filter(l => l.startsWith(`${name}:`))) {
    const [, start, count] = line.split(':').map(Number)
    const last = maps[maps.length - 1]!
    maps.push({ container: last.container + last.size, host: start!, size: count! })
  }
  return maps
}

/** Maps whose host ids are ids of `stack`'s namespace, in host ids, split where the stack's ranges end. */
function throughStack(maps: Map3[], stack: Map3[]): Map3[] {
  const out: Map3[] = []
  for (const m of maps) {
    for (let done = 0; done < m.size;) {
      const at = m.host + done
      const r = stack.find(s => at >= s.container && at < s.container + s.size)!
      const n = Math.min(m.size - done, r.container + r.size - at)
      out.push({ container: m.container + done, host: r.host + at - r.container, size: n })
      done += n
    }
  }
  return out
}

const MAPS = 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map'
const splitMaps = (out: string) => out.split('--\n').map(parseMap)

/**
 * The same flags under cocker and (rootless) Podman: uid_map and gid_map must agree once Podman's are in host ids
 * (with --userns host Podman's container is in the user's namespace itself, so its maps are host ids already).
 */
async function sameMapsAsPodman(mode: BusyboxMode, flags: string[], podmanNests = true): Promise<[Map3[], Map3[]]> {
  const ours = splitMaps((await runSh(mode, flags, MAPS)).stdout)
  const pe = await podmanOrSkip('rootless', `podman run ${flags.join(' ')}`)
  if (pe) {
    const theirs = splitMaps((await podmanRun(pe, ['--rm', ...flags, FIXTURE_IMAGE, 'sh', '-c', MAPS], { status: 0 })).stdout)
    const user = mode.user!
    const host = (maps: Map3[], stack: Map3[]) => (podmanNests ? throughStack(maps, stack) : maps)
    assert.equal(ours[0], host(theirs[0]!, userStack('/etc/subuid', user.name, user.uid)), 'uid_map as podman\'s')
    assert.equal(ours[1], host(theirs[1]!, userStack('/etc/subgid', user.name, user.gid)), 'gid_map as podman\'s')
  }
  return ours as [Map3[], Map3[]]
}

/** Exit 125 and exactly one line on stderr that matches `line`. */
async function refused(mode: BusyboxMode, flags: string[], line: RegExp): Promise<void> {
  const r = await cocker(mode, ['run', '--rm', ...flags, mode.image, 'true'], { status: 125 })
  assert.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr)
  assert.match(r.stderr, line)
}

busyboxScenario('--userns keep-id: the user as themselves inside, with podman\'s maps and passwd entry; files in a bind mount are theirs', async mode => {
  const user = mode.user!
  const r = await runSh(mode, ['--userns', 'keep-id'], 'id; grep "^[^:]*:[^:]*:1001:" /etc/passwd; echo "HOME=$HOME"')
  assert.is(r.stdout, `uid=${user.uid}(${user.name}) gid=${user.gid}(${user.name}) groups=${user.gid}(${user.name})\n` +
    `${user.name}:*:${user.uid}:${user.gid}::/:/bin/sh\nHOME=/\n`)
  const [uidMap, gidMap] = await sameMapsAsPodman(mode, ['--userns', 'keep-id'])
  assert.ok(uidMap.some(m => m.container === user.uid && m.host === user.uid && m.size === 1), 'the user is mapped to themselves')
  assert.ok(gidMap.some(m => m.container === user.gid && m.host === user.gid && m.size === 1))

  const dir = modeDir(mode)
  await runSh(mode, ['--userns', 'keep-id', '-v', `${dir}:/data`], 'echo hi > /data/made && mkdir /data/sub')
  for (const p of ['made', 'sub']) {
    const st = statSync(path.join(dir, p))
    assert.equal([st.uid, st.gid], [user.uid, user.gid], `${p} belongs to the user on the host`)
  }
  // and without keep-id the same file is the user's as container root, not as themselves
  assert.is((await runSh(mode, ['-v', `${dir}:/data`], 'stat -c %u /data/made')).stdout, '0\n')
}, ['rootless'])

/** The shifted copies of layers in the mode's store: layers/<id>/mapped/<key>. */
function layerCopies(mode: BusyboxMode): string[] {
  const layers = path.join(mode.root, 'layers')
  return readdirSync(layers).flatMap(id => {
    const dir = path.join(layers, id, 'mapped')
    return existsSync(dir) ? readdirSync(dir).map(key => `${id}/${key}`) : []
  }).sort()
}

/** Owners of the image's files as `ls -ln` shows them: "uid gid name" per entry of /, then of / itself and a few files. */
const OWNERS = 'ls -lnA / | awk \'NF > 8 { print $3, $4, $9 }\'; stat -c "%u %g %n" / /bin/busybox /etc/passwd /etc/motd'

busyboxScenario('--userns keep-id: the image\'s files keep their owners (root\'s stay root\'s) as podman shows them, through a shifted copy of the layers made once', async mode => {
  const owners = (await runSh(mode, ['--userns', 'keep-id'], OWNERS)).stdout
  const pe = await podmanOrSkip('rootless', 'podman run --userns keep-id ls -ln /')
  if (pe) assert.is(owners, (await podmanRun(pe, ['--rm', '--userns', 'keep-id', FIXTURE_IMAGE, 'sh', '-c', OWNERS], { status: 0 })).stdout)
  assert.is(owners, (await runSh(mode, [], OWNERS)).stdout, 'as without keep-id')
  assert.match(owners, /^0 0 bin$/m)
  // the copy is kept in the store beside each layer, and the next run finds it
  const copies = () => layerCopies(mode)
  const made = copies()
  assert.ok(made.length > 0, 'a shifted copy of the layers in the store')
  await runSh(mode, ['--userns', 'keep-id'], 'true')
  assert.equal(copies(), made, 'the second run uses the same copies')
}, ['rootless'])

busyboxScenario('--userns keep-id:uid=N,gid=N: the user appears as N, with podman\'s maps', async mode => {
  const r = await runSh(mode, ['--userns', 'keep-id:uid=200,gid=300'], 'id -u; id -g; grep ^200: /etc/passwd')
  assert.is(r.stdout, '200\n300\n200:*:200:300:container user:/:/bin/sh\n')
  await sameMapsAsPodman(mode, ['--userns', 'keep-id:uid=200,gid=300'])
}, ['rootless'])

busyboxScenario('--userns host is the default: root is the user, then their ranges (rootless); no new user namespace (root)', async mode => {
  if (mode.user) {
    const [uidMap] = await sameMapsAsPodman(mode, ['--userns', 'host'], false)
    assert.equal(uidMap, userStack('/etc/subuid', mode.user.name, mode.user.uid))
  } else {
    const [uidMap] = splitMaps((await runSh(mode, ['--userns', 'host'], MAPS)).stdout)
    assert.equal(uidMap, [{ container: 0, host: 0, size: 4294967295 }])
  }
})

busyboxScenario('--uidmap alone maps gids too, relative to the user\'s namespace as in podman', async mode => {
  const [uidMap, gidMap] = await sameMapsAsPodman(mode, ['--uidmap', '0:0:1', '--uidmap', '1:1:2000'])
  assert.equal(gidMap, uidMap)
  assert.is((await runSh(mode, ['--uidmap', '0:0:1', '--uidmap', '1:1:2000'], 'id -u; cat /etc/motd')).stdout, '0\nhello from the cocker test image\n')
}, ['rootless'])

/** The host ids a map gives the container's ids 0 and up: "0 100000 65536" → [100000, 65536]. */
const firstRange = (uidMap: string): [number, number] => {
  const m = parseMap(uidMap)[0]!
  return [m.host, m.size]
}

/** No mount of the store left in the host's mount table. */
const storeMounts = (mode: BusyboxMode) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(l => l.includes(mode.root))

busyboxScenario('--uidmap as root: the container\'s root is the mapped host id, the image\'s files keep their owners as podman shows them, and what it writes in a bind mount has the mapped owners on the host', async mode => {
  const flags = ['--uidmap', '0:100000:65536']
  const r = await runSh(mode, flags, MAPS)
  assert.equal(splitMaps(r.stdout), [[{ container: 0, host: 100000, size: 65536 }], [{ container: 0, host: 100000, size: 65536 }]])
  const id = (await runSh(mode, flags, 'id')).stdout
  assert.is(id, (await runSh(mode, [], 'id')).stdout, 'root inside, as without a user namespace')
  const owners = (await runSh(mode, flags, OWNERS)).stdout
  // /proc and /sys belong to the host's root, which the container's namespace does not map
  const ofImage = (text: string) => text.split('\n').filter(l => !/ (proc|sys)$/.test(l)).join('\n')
  assert.is(ofImage(owners), ofImage((await runSh(mode, [], OWNERS)).stdout), 'as without a user namespace')
  assert.match(owners, /^0 0 bin$/m)
  const pe = await podmanOrSkip('root', 'podman run --uidmap ls -ln /')
  if (pe) {
    assert.is(owners, (await podmanRun(pe, ['--rm', ...flags, FIXTURE_IMAGE, 'sh', '-c', OWNERS], { status: 0 })).stdout, 'as podman\'s')
    const theirs = (await podmanRun(pe, ['--rm', ...flags, FIXTURE_IMAGE, 'sh', '-c', `id; ${MAPS}`], { status: 0 })).stdout
    assert.is(theirs, id + r.stdout, 'id and the maps as podman\'s')
  }
  const dir = modeDir(mode)
  chownSync(dir, 100000, 100000)
  await runSh(mode, [...flags, '-v', `${dir}:/data`], 'echo hi > /data/made && mkdir /data/sub && echo x > /data/theirs && chown 1000:1000 /data/theirs')
  const owner = (p: string) => { const st = statSync(path.join(dir, p)); return [st.uid, st.gid] }
  assert.equal(owner('made'), [100000, 100000], 'the container\'s root is host id 100000')
  assert.equal(owner('sub'), [100000, 100000])
  assert.equal(owner('theirs'), [101000, 101000], 'its uid 1000 is host id 101000')
  assert.equal(storeMounts(mode), [], 'nothing of the store is mounted on the host')
}, ['root'])

busyboxScenario('--userns auto as root: two containers get disjoint ranges of the "containers" ids, the image\'s files stay root\'s, and rm and rmi leave nothing', async mode => {
  const setup = spawnSync('bash', [repoPath('test/support/rootless-user.sh'), 'containers-ranges'], { encoding: 'utf8' })
  assert.is(setup.status, 0, setup.stderr)
  const [start, count] = parseSubid(readFileSync('/etc/subuid', 'utf8'))
  await importBusybox(mode, 'auto-rootfs', 'localhost/auto:1')
  const before = layerCopies(mode)
  const containers = () => readdirSync(path.join(mode.root, 'containers')).length
  const idle = containers()
  const ids: string[] = []
  for (const name of ['auto-a', 'auto-b']) {
    ids.push((await cocker(mode, ['run', '-d', '--name', name, '--userns', 'auto', 'localhost/auto:1', '/bin/sh', '-c', 'sleep 60'], { status: 0 })).stdout.trim())
  }
  const ranges = await Promise.all(['auto-a', 'auto-b'].map(async n => firstRange((await cocker(mode, ['exec', n, 'cat', '/proc/self/uid_map'], { status: 0 })).stdout)))
  for (const [host, size] of ranges) {
    assert.is(size, 1024, 'podman\'s default size')
    assert.ok(host >= start && host + size <= start + count, `${host} in the "containers" range ${start}:${count}`)
  }
  assert.ok(ranges[0]![0] + 1024 <= ranges[1]![0] || ranges[1]![0] + 1024 <= ranges[0]![0], `disjoint: ${JSON.stringify(ranges)}`)
  assert.is((await cocker(mode, ['exec', 'auto-a', 'sh', '-c', 'id -u; stat -c %u /bin/busybox'], { status: 0 })).stdout, '0\n0\n')
  await cocker(mode, ['rm', '-f', '-t', '0', 'auto-a', 'auto-b'], { status: 0 })
  assert.is(containers(), idle, 'no container directory left')
  assert.equal(storeMounts(mode), [], 'no mount left')
  assert.is(layerCopies(mode).length, before.length + 2, 'a shifted copy of the layer per range, kept with the image')
  await cocker(mode, ['rmi', 'localhost/auto:1'], { status: 0 })
  assert.equal(layerCopies(mode), before, 'rmi reclaims the copies')
}, ['root'])

busyboxScenario('--uidmap as root under --runtime crun and runc: root inside is the mapped id, the image\'s files stay root\'s, a bind mount gets the mapped owner', async mode => {
  for (const runtime of ['crun', 'runc']) {
    if (skipUnless(which(runtime) !== undefined, `--runtime ${runtime} --uidmap`, `${runtime} is not installed`)) continue
    const dir = modeDir(mode)
    chownSync(dir, 100000, 100000)
    const r = await runSh(mode, ['--runtime', runtime, '--uidmap', '0:100000:65536', '-v', `${dir}:/data`],
      'id -u; cat /proc/self/uid_map; stat -c "%u %g" /bin/busybox /etc/passwd; echo hi > /data/made')
    assert.is(r.stdout, '0\n         0     100000      65536\n0 0\n0 0\n', runtime)
    const st = statSync(path.join(dir, 'made'))
    assert.equal([st.uid, st.gid], [100000, 100000], `${runtime}: the container's root is host id 100000`)
  }
  assert.equal(storeMounts(mode), [])
}, ['root'])

busyboxScenario('--userns nomap and --uidmap without the user (rootless): a user namespace nested in the user\'s, with podman\'s maps; the image\'s files stay root\'s; a bind mount gets the mapped owner', async mode => {
  const user = mode.user!
  const [first] = userStack('/etc/subuid', user.name, user.uid).slice(1)
  for (const flags of [['--userns', 'nomap'], ['--uidmap', '0:1:1000']]) {
    // read inside, the maps are relative to the user's namespace, which the container's is nested in, as under podman
    const maps = (await runSh(mode, flags, MAPS)).stdout
    const size = flags[0] === '--uidmap' ? 1000 : first!.size
    assert.equal(splitMaps(maps)[0], [{ container: 0, host: 1, size }], flags.join(' '))
    const pe = await podmanOrSkip('rootless', `podman run ${flags.join(' ')}`)
    if (pe) assert.is(maps, (await podmanRun(pe, ['--rm', ...flags, FIXTURE_IMAGE, 'sh', '-c', MAPS], { status: 0 })).stdout, 'as podman\'s')
    const owners = (await runSh(mode, flags, OWNERS)).stdout
    const ofImage = (text: string) => text.split('\n').filter(l => !/ (proc|sys)$/.test(l)).join('\n')
    assert.is(ofImage(owners), ofImage((await runSh(mode, [], OWNERS)).stdout), 'as without a user namespace')
    if (pe) assert.is(owners, (await podmanRun(pe, ['--rm', ...flags, FIXTURE_IMAGE, 'sh', '-c', OWNERS], { status: 0 })).stdout, 'owners as podman\'s')
  }
  const dir = modeDir(mode)
  chownSync(dir, first!.host, first!.host)
  await runSh(mode, ['--userns', 'nomap', '-v', `${dir}:/data`], 'echo hi > /data/made')
  const st = statSync(path.join(dir, 'made'))
  assert.equal([st.uid, st.gid], [first!.host, first!.host], 'the container\'s root is the first subordinate id')
}, ['rootless'])

busyboxScenario('--userns auto (rootless): two containers get disjoint ranges of the user\'s ids; rm and rmi leave nothing', async mode => {
  await importBusybox(mode, 'auto-rootfs', 'localhost/auto:1')
  const before = layerCopies(mode)
  for (const name of ['auto-a', 'auto-b']) {
    await cocker(mode, ['run', '-d', '--name', name, '--userns', 'auto', 'localhost/auto:1', '/bin/sh', '-c', 'sleep 60'], { status: 0 })
  }
  const ranges = await Promise.all(['auto-a', 'auto-b'].map(async n => firstRange((await cocker(mode, ['exec', n, 'cat', '/proc/self/uid_map'], { status: 0 })).stdout)))
  assert.equal(ranges.map(r => r[1]), [1024, 1024])
  assert.ok(ranges[0]![0] + 1024 <= ranges[1]![0] || ranges[1]![0] + 1024 <= ranges[0]![0], `disjoint: ${JSON.stringify(ranges)}`)
  assert.is((await cocker(mode, ['exec', 'auto-b', 'sh', '-c', 'id -u; stat -c %u /bin/busybox'], { status: 0 })).stdout, '0\n0\n')
  await cocker(mode, ['rm', '-f', '-t', '0', 'auto-a', 'auto-b'], { status: 0 })
  assert.equal(storeMounts(mode), [], 'no mount left')
  assert.is(layerCopies(mode).length, before.length + 2, 'a shifted copy of the layer per range')
  await cocker(mode, ['rmi', 'localhost/auto:1'], { status: 0 })
  assert.equal(layerCopies(mode), before, 'rmi reclaims the copies')
}, ['rootless'])

/** The first "containers" range of /etc/subuid: [start, count]. */
function parseSubid(text: string): [number, number] {
  const line = text.split('\n').find(l => l.startsWith('containers:'))!
  const [, start, count] = line.split(':').map(Number)
  return [start!, count!]
}

busyboxScenario('user namespace flags cocker cannot honour are one line and 125', async mode => {
  if (mode.user) {
    await refused(mode, ['--uidmap', '0:0:70000'], /^Error: --uidmap 0:0:70000: id 65537 is not in your user namespace/)
    await refused(mode, ['--userns', 'keep-id:uid=70000'], /^Error: --userns keep-id:uid=70000,gid=\d+: uid 70000 is outside/)
  } else {
    await refused(mode, ['--userns', 'keep-id'], /^Error: --userns keep-id: only for rootless containers/)
    await refused(mode, ['--userns', 'nomap'], /^Error: --userns nomap: only for rootless containers/)
  }
  await refused(mode, ['--userns', 'bogus'], /^Error: --userns bogus: unknown mode; use host, keep-id/)
  await refused(mode, ['--userns', 'keep-id:uid=x'], /^Error: --userns keep-id:uid=x: uid must be a number/)
  await refused(mode, ['--uidmap', '0:100000'], /^Error: --uidmap 0:100000: expected CONTAINER_ID:HOST_ID:SIZE/)
  await refused(mode, ['--userns', 'keep-id', '--uidmap', '0:0:1'], /^Error: --userns keep-id cannot be combined with --uidmap/)
})

busyboxScenario('--group-add: gids and the image\'s group names in /proc/self/status Groups', async mode => {
  const r = await runSh(mode, ['--group-add', '10', '--group-add', 'nobody'], 'grep ^Groups: /proc/self/status')
  assert.equal(statusField(r.stdout, 'Groups').trim().split(/\s+/).map(Number), [0, 10, 65534])
  await refused(mode, ['--group-add', 'nosuch'], /^Error: --group-add nosuch: unable to find group nosuch/)
  await refused(mode, ['--group-add', 'keep-groups', '--group-add', '10'], /^Error: --group-add keep-groups cannot be combined/)
})

busyboxScenario('--group-add keep-groups: the process keeps the groups cocker runs with, as podman\'s', async mode => {
  const groups = async (flags: string[]) => statusField((await runSh(mode, flags, 'grep ^Groups: /proc/self/status')).stdout, 'Groups')
  const kept = await groups(['--group-add', 'keep-groups'])
  const pe = await podmanOrSkip('rootless', 'podman --group-add keep-groups')
  if (pe) {
    const theirs = (await podmanRun(pe, ['--rm', '--group-add', 'keep-groups', FIXTURE_IMAGE, 'grep', '^Groups:', '/proc/self/status'], { status: 0 })).stdout
    assert.is(kept, statusField(theirs, 'Groups'))
  }
  // the user's own group, root inside: without keep-groups the image's root has only gid 0 too,
  // so the difference shows with a user of the image
  assert.is.not(await groups(['--user', 'nobody', '--group-add', 'keep-groups']), await groups(['--user', 'nobody']))
}, ['rootless'])

busyboxScenario('--oom-score-adj sets /proc/self/oom_score_adj; out of range is one line and 125', async mode => {
  assert.is((await runSh(mode, ['--oom-score-adj', '500'], 'cat /proc/self/oom_score_adj')).stdout, '500\n')
  await refused(mode, ['--oom-score-adj', '2000'], /^Error: --oom-score-adj 2000: must be a whole number from -1000 to 1000$/m)
  await refused(mode, ['--oom-score-adj', 'high'], /^Error: --oom-score-adj high: must be a whole number/)
})

busyboxScenario('--env-host: the caller\'s environment inside, over the image\'s, under -e', async mode => {
  const env = { COCKER_T_HOST: 'from host', COCKER_T_FLAG: 'from host', PATH: '/host/bin:/usr/bin:/bin' }
  const r = await cocker(mode, ['run', '--rm', '--env-host', '-e', 'COCKER_T_FLAG=from flag', mode.image,
    '/bin/sh', '-c', 'echo "$COCKER_T_HOST|$COCKER_T_FLAG|$PATH"'], { status: 0, env })
  assert.is(r.stdout, 'from host|from flag|/host/bin:/usr/bin:/bin\n')
  const plain = await cocker(mode, ['run', '--rm', mode.image, '/bin/sh', '-c', 'echo "${COCKER_T_HOST:-unset}|$PATH"'], { status: 0, env })
  assert.is(plain.stdout, 'unset|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n')
})

/** A root filesystem of the host's static busybox, owned by the mode's user. */
function busyboxDir(mode: BusyboxMode, name = 'rootfs'): string {
  const dir = path.join(modeDir(mode), name)
  const own = (p: string) => { if (mode.user) chownSync(p, mode.user.uid, mode.user.gid) }
  for (const d of ['', 'bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) own((mkdirSync(path.join(dir, d), { recursive: true }), path.join(dir, d)))
  copyFileSync('/usr/bin/busybox', path.join(dir, 'bin/busybox'))
  own(path.join(dir, 'bin/busybox'))
  for (const applet of ['sh', 'id', 'cat', 'echo', 'ls']) symlinkSync('busybox', path.join(dir, 'bin', applet))
  return dir
}

/** The busybox directory as an image of one layer owned by root, as `ref`. */
async function importBusybox(mode: BusyboxMode, name: string, ref: string): Promise<void> {
  const dir = busyboxDir(mode, name)
  const tarball = path.join(modeDir(mode), `${name}.tar`)
  await runCmd(['tar', '--owner=0', '--group=0', '-C', dir, '-cf', tarball, '.'], { status: 0 })
  if (mode.user) chownSync(tarball, mode.user.uid, mode.user.gid)
  await cocker(mode, ['import', tarball, ref], { status: 0 })
}

busyboxScenario('--userns keep-id: a copy killed before its rename leaves only a tmp/ leftover that system check removes', async mode => {
  await importBusybox(mode, 'crash-rootfs', 'localhost/keepid-crash:1')
  const before = layerCopies(mode)
  const run = ['run', '--rm', '--userns', 'keep-id', 'localhost/keepid-crash:1', '/bin/sh', '-c', 'stat -c %u /bin/busybox']
  const r = await cocker(mode, run, { status: 125, env: { _COCKER_CRASH_AT: 'shift:before-rename' } })
  assert.match(r.stderr, /^Error: cannot make the copies of the image's layers for the container's user namespace/)
  assert.equal(layerCopies(mode), before, 'no copy in place')
  const check = await cocker(mode, ['system', 'check', '--max', '0s'], { status: 125 })
  assert.match(check.stdout, /tmp\/mapped-/)
  await cocker(mode, ['system', 'check', '--max', '0s', '--repair'], { status: 0 })
  assert.is((await cocker(mode, run, { status: 0 })).stdout, '0\n')
  assert.is(layerCopies(mode).length, before.length + 1)
  await cocker(mode, ['rmi', 'localhost/keepid-crash:1'], { status: 0 })
}, ['rootless'])

busyboxScenario('--userns keep-id: rmi of the image removes the shifted copies of its layers; system check finds nothing amiss', async mode => {
  await importBusybox(mode, 'rmi-rootfs', 'localhost/keepid-rmi:1')
  const before = layerCopies(mode)
  assert.is((await cocker(mode, ['run', '--rm', '--userns', 'keep-id', 'localhost/keepid-rmi:1', '/bin/sh', '-c', 'stat -c %u /bin/busybox'], { status: 0 })).stdout, '0\n')
  const made = layerCopies(mode).filter(c => !before.includes(c))
  assert.is(made.length, 1, 'one copy, of the image\'s one layer')
  assert.is((await cocker(mode, ['system', 'check'], { status: 0 })).stdout.includes('tmp/'), false)
  await cocker(mode, ['rmi', 'localhost/keepid-rmi:1'], { status: 0 })
  assert.equal(layerCopies(mode), before, 'the copy left with the image')
}, ['rootless'])

busyboxScenario('--rootfs DIR runs a directory as the root, written in place; DIR:O under an overlay; a missing DIR is one line and 125', async mode => {
  const dir = busyboxDir(mode)
  const r = await cocker(mode, ['run', '--rm', '--rootfs', dir, '/bin/sh', '-c', 'id -u; echo made > /made; cat /made'], { status: 0 })
  assert.is(r.stdout, '0\nmade\n')
  assert.is(readFileSync(path.join(dir, 'made'), 'utf8'), 'made\n', 'written in the directory itself')
  const o = await cocker(mode, ['run', '--rm', '--rootfs', `${dir}:O`, '/bin/sh', '-c', 'echo over > /over; cat /over /made'], { status: 0 })
  assert.is(o.stdout, 'over\nmade\n')
  assert.not.ok(existsSync(path.join(dir, 'over')), 'DIR:O leaves the directory as it was')
  const bad = await cocker(mode, ['run', '--rm', '--rootfs', `${dir}/nope`, '/bin/sh'], { status: 125 })
  assert.match(bad.stderr, /^Error: --rootfs \S+\/nope: the directory \S+\/nope does not exist; give the path of a root filesystem/)
  assert.is(bad.stderr.split('\n').filter(Boolean).length, 1)
})

test.after(cleanupPodman)
test.run()
