// Whose files a user sees and makes, rootless above all: --userns keep-id served by
// fuse-overlayfs with remapped ids (no copy of the layers) where /dev/fuse is open, and the
// shifted copy where it is not; the user's own files in a bind mount; volumes made on first use
// that the container's user (--user N, the image's USER, keep-id) can write, seen with `ls -ln`
// inside and stat outside. And `mount`/`unmount`: as root on the host, rootless only inside
// `cocker unshare`.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, modeDir } from '../support/cocker-modes.js'
import { fusePrefix } from '../support/fuse.js'
import { skipUnless } from '../support/requires.js'
import { busyboxScenario, runSh, type BusyboxMode } from '../support/run-scenario.js'

/** The shifted copies of layers in the mode's store (layers/<id>/mapped/<key>). */
function layerCopies(mode: BusyboxMode): string[] {
  const layers = path.join(mode.root, 'layers')
  return readdirSync(layers).flatMap(id => {
    const dir = path.join(layers, id, 'mapped')
    return existsSync(dir) ? readdirSync(dir).map(key => `${id}/${key}`) : []
  })
}

/** The host uid of `id` of the rootless user's namespace (1 and up: their /etc/subuid range). */
function hostUid(mode: BusyboxMode, id: number): number {
  if (!mode.user) return id
  if (id === 0) return mode.user.uid
  const line = readFileSync('/etc/subuid', 'utf8').split('\n').find(l => l.startsWith(`${mode.user!.name}:`))!
  return Number(line.split(':')[1]) + id - 1
}

const OWNERS = 'stat -c "%u %g %n" / /bin/busybox /etc/passwd /etc/motd /root'

busyboxScenario('--userns keep-id where /dev/fuse is open: fuse-overlayfs serves the layers with the ids remapped, no copy is made; the image\'s owners as without keep-id; what its root writes keeps its ids in a commit', async mode => {
  const prefix = fusePrefix(true)
  if (skipUnless(prefix !== undefined, 'keep-id through fuse-overlayfs', '/dev/fuse is not open to users here, and only root can open it for a test')) return
  const keepId = ['--userns', 'keep-id']
  const r = await runSh(mode, ['--log-level', 'info', ...keepId], OWNERS, { prefix })
  assert.is(r.stdout, (await runSh(mode, [], OWNERS)).stdout, 'owners as without keep-id')
  assert.match(r.stdout, /^0 0 \/bin\/busybox$/m)
  assert.is(r.stderr, '', 'nothing said at info: nothing was copied')
  assert.equal(layerCopies(mode), [], 'no shifted copy of the layers')

  const ct = `keepid-fuse-${process.pid}`
  await cocker(mode, ['run', '--name', ct, ...keepId, '--user', '0', mode.image, 'sh', '-c', 'echo x > /made && chown 5:6 /made && rm -f /etc/motd'], { status: 0, prefix })
  assert.is((await cocker(mode, ['diff', ct], { status: 0 })).stdout.split('\n').filter(l => /made|motd/.test(l)).join(','), 'D /etc/motd,A /made')
  await cocker(mode, ['commit', '-q', ct, `localhost/${ct}:1`], { status: 0 })
  const c = await cocker(mode, ['run', '--rm', `localhost/${ct}:1`, 'sh', '-c', 'stat -c "%u %g" /made /bin/busybox; ls /etc/motd 2>&1 || true'], { status: 0 })
  assert.is(c.stdout, '5 6\n0 0\nls: /etc/motd: No such file or directory\n')
  // stopped: its files through the view its start mounts, with the container's ids, in and out
  const dir = modeDir(mode)
  writeFileSync(path.join(dir, 'in.txt'), 'in\n')
  chownSync(path.join(dir, 'in.txt'), mode.user!.uid, mode.user!.gid)
  await cocker(mode, ['cp', path.join(dir, 'in.txt'), `${ct}:/`], { status: 0, prefix })
  await cocker(mode, ['cp', `${ct}:/made`, path.join(dir, 'out')], { status: 0, prefix })
  assert.is(readFileSync(path.join(dir, 'out'), 'utf8'), 'x\n')
  const tarFile = path.join(dir, 'ct.tar')
  const e = await cocker(mode, ['export', '-o', tarFile, ct], { status: 0, prefix })
  assert.is(e.stderr, '', 'no refusal: "start the container first" is gone')
  const listed = execFileSync('tar', ['-tvnf', tarFile], { encoding: 'utf8' }).split('\n')
  const owner = (name: string) => listed.find(l => l.endsWith(` ${name}`))?.split(/\s+/)[1]
  assert.equal([owner('made'), owner('in.txt'), owner('bin/busybox'), owner('etc/passwd')], ['5/6', '0/0', '0/0', '0/0'], 'the container\'s ids')
  assert.not.ok(listed.some(l => l.endsWith(' etc/motd')), 'deleted stays deleted')
  // cp out as a tar stream keeps them too
  const header = (await cocker(mode, ['cp', `${ct}:/made`, '-'], { status: 0, prefix })).stdout
  const octal = (at: number) => parseInt(header.slice(at, at + 8).replace(/[\0 ]+$/, ''), 8)
  assert.equal([header.slice(0, 4), octal(108), octal(116)], ['made', 5, 6])
  await cocker(mode, ['commit', '-q', '--squash', ct, `localhost/${ct}:2`], { status: 0, prefix })
  const sq = await cocker(mode, ['run', '--rm', `localhost/${ct}:2`, 'sh', '-c', 'stat -c "%u %g %n" /made /in.txt /bin/busybox; cat /in.txt; ls /etc/motd 2>&1 || true'], { status: 0 })
  assert.is(sq.stdout, '5 6 /made\n0 0 /in.txt\n0 0 /bin/busybox\nin\nls: /etc/motd: No such file or directory\n')
  // fuse-overlayfs served those and ended with them: nothing runs from the store (its daemon's cwd)
  assert.equal(processesIn(mode.root), [], 'no fuse-overlayfs left')
  // and it starts again, the file copied in there
  assert.is((await cocker(mode, ['start', '-a', ct], { status: 0, prefix })).stderr, '')
  await cocker(mode, ['rm', ct], { status: 0 })
  await cocker(mode, ['rmi', `localhost/${ct}:1`, `localhost/${ct}:2`], { status: 0 })
}, ['rootless'])

/** Pids of the processes whose working directory is `dir` (fuse-overlayfs runs from the store's root). */
function processesIn(dir: string): number[] {
  return readdirSync('/proc').filter(p => /^\d+$/.test(p)).filter(p => {
    try {
      return readlinkSync(`/proc/${p}/cwd`) === dir
    } catch {
      return false
    }
  }).map(Number)
}

busyboxScenario('--userns keep-id --rm leaves nothing of the container, what its root and its user wrote included; a created one gets its own files given to its root at its start', async mode => {
  const prefix = fusePrefix(true) ?? []
  const before = readdirSync(path.join(mode.root, 'containers')).length
  await runSh(mode, ['--userns', 'keep-id', '--user', '0'], 'mkdir -p /a/b && echo x > /a/b/c && chown -R 7:7 /a && mkdir -m 0 /z', { prefix })
  await runSh(mode, ['--userns', 'keep-id'], 'echo y > /tmp/mine', { prefix })
  assert.is(readdirSync(path.join(mode.root, 'containers')).length, before, 'no container dir left')
  assert.equal(readdirSync(path.join(mode.root, 'tmp')).filter(n => n.startsWith('container-')), [], 'nothing left to remove')
  const ct = `keepid-created-${process.pid}`
  await cocker(mode, ['create', '--name', ct, '--userns', 'keep-id', mode.image, 'stat', '-c', '%u %g %n', '/', '/etc/hostname'], { status: 0, prefix })
  assert.is((await cocker(mode, ['start', '-a', ct], { status: 0, prefix })).stdout, '0 0 /\n0 0 /etc/hostname\n')
  await cocker(mode, ['rm', ct], { status: 0 })
  // committed before any start: the layer names those files its root's too (--systemd always
  // writes /etc/machine-id into the container's layer at create)
  const never = `keepid-never-${process.pid}`
  const image = `localhost/keepid-never-${process.pid}`
  await cocker(mode, ['create', '--name', never, '--userns', 'keep-id', '--systemd', 'always', mode.image, 'true'], { status: 0, prefix })
  const own = (await cocker(mode, ['diff', never], { status: 0 })).stdout.split('\n').filter(l => /^A /.test(l)).map(l => l.slice(2))
  assert.equal(own, ['/etc/machine-id'], 'create added a file of its own')
  await cocker(mode, ['commit', '-q', never, image], { status: 0, prefix })
  const r = await cocker(mode, ['run', '--rm', image, 'stat', '-c', '%u %g %n', ...own], { status: 0 })
  assert.is(r.stdout, own.map(f => `0 0 ${f}\n`).join(''))
  await cocker(mode, ['rm', never], { status: 0 })
  await cocker(mode, ['rmi', image], { status: 0 })
}, ['rootless'])

busyboxScenario('--userns keep-id where /dev/fuse is closed to users: the layers are copied with their owners shifted, and --log-level info says why in one line', async mode => {
  const prefix = fusePrefix(false)
  if (skipUnless(prefix !== undefined, 'keep-id with /dev/fuse closed', '/dev/fuse is open to users here, and only root can close it for a test')) return
  const r = await runSh(mode, ['--log-level', 'info', '--userns', 'keep-id'], OWNERS, { prefix })
  assert.is(r.stdout, (await runSh(mode, [], OWNERS)).stdout, 'owners as without keep-id')
  assert.match(r.stderr, /^INFO: fuse-overlayfs cannot remap the layers' owners as it serves them \(\/dev\/fuse is not usable by this user \(EACCES\)\): the first run with this mapping copies the image's layers\n$/)
  assert.ok(layerCopies(mode).length > 0, 'a shifted copy of the layers')
  // at the default level nothing is said
  assert.is((await runSh(mode, ['--userns', 'keep-id'], 'true', { prefix })).stderr, '')
}, ['rootless'])

busyboxScenario('where /dev/fuse is open, maps that leave the user out (--userns nomap, auto) still get the shifted copy: their root could not reach the store to serve it', async mode => {
  const prefix = fusePrefix(true)
  if (skipUnless(prefix !== undefined, 'nomap with /dev/fuse open', '/dev/fuse is not open to users here, and only root can open it for a test')) return
  const plain = (await runSh(mode, [], 'stat -c "%u %g %n" /bin/busybox /etc/passwd')).stdout
  for (const userns of ['nomap', 'auto']) {
    const r = await runSh(mode, ['--log-level', 'info', '--userns', userns], 'stat -c "%u %g %n" /bin/busybox /etc/passwd', { prefix })
    assert.is(r.stdout, plain, userns)
    assert.match(r.stderr, /^INFO: only --userns keep-id has fuse-overlayfs remap the layers' owners/, userns)
  }
}, ['rootless'])

busyboxScenario('--userns keep-id: the user\'s own files in a bind mount are theirs inside (ls -ln), and what the container makes there is theirs outside', async mode => {
  const user = mode.user!
  const prefix = fusePrefix(true) ?? []
  const dir = modeDir(mode)
  writeFileSync(path.join(dir, 'mine'), 'x')
  chownSync(path.join(dir, 'mine'), user.uid, user.gid)
  const LS = 'ls -ln /data | awk \'NF > 8 { print $3, $4, $9 }\''
  const r = await runSh(mode, ['--userns', 'keep-id', '-v', `${dir}:/data`], `${LS}; id -u; touch /data/made; mkdir /data/sub`, { prefix })
  assert.is(r.stdout, `${user.uid} ${user.gid} mine\n${user.uid}\n`)
  for (const p of ['made', 'sub']) {
    const st = statSync(path.join(dir, p))
    assert.equal([st.uid, st.gid], [user.uid, user.gid], `${p} belongs to the user outside`)
  }
  // without keep-id the user is the container's root
  assert.is((await runSh(mode, ['-v', `${dir}:/data`], LS)).stdout, '0 0 made\n0 0 mine\n0 0 sub\n')
}, ['rootless'])

/** The volume's data dir on the host. */
async function volumePath(mode: BusyboxMode, name: string): Promise<string> {
  return (await cocker(mode, ['volume', 'inspect', '--format', '{{.Mountpoint}}', name], { status: 0 })).stdout.trim()
}

busyboxScenario('a volume made on first use, named or anonymous, seeded or not, can be written by the container\'s user: --user N, the image\'s USER, keep-id', async mode => {
  const tag = `${process.pid}`
  const LS = 'touch /data/f && ls -lnd /data /data/f | awk \'{ print $3, $4, $9 }\''
  // --user N, a named volume the image has no directory for: the volume is the user's
  const named = `kv-user-${tag}`
  assert.is((await runSh(mode, ['--user', '1000', '-v', `${named}:/data`], LS)).stdout, '1000 0 /data\n1000 0 /data/f\n')
  const st = statSync(path.join(await volumePath(mode, named), 'f'))
  assert.is(st.uid, hostUid(mode, 1000), 'outside: the container\'s 1000')
  // anonymous
  assert.is((await runSh(mode, ['--user', '1000:1000', '-v', '/data'], LS)).stdout, '1000 1000 /data\n1000 1000 /data/f\n')

  // the image's USER, and a directory of the image the volume is seeded from
  const mk = `kv-mk-${tag}`
  await cocker(mode, ['run', '--name', mk, mode.image, 'sh', '-c', 'mkdir /appdata && echo seed > /appdata/s && chown -R 1000:1000 /appdata'], { status: 0 })
  await cocker(mode, ['commit', '-q', '-c', 'USER 1000', mk, `localhost/${mk}:1`], { status: 0 })
  await cocker(mode, ['rm', mk], { status: 0 })
  const image = `localhost/${mk}:1`
  const fresh = await cocker(mode, ['run', '--rm', '-v', `kv-img-${tag}:/data`, image, 'sh', '-c', `id -u; ${LS}`], { status: 0 })
  assert.is(fresh.stdout, '1000\n1000 0 /data\n1000 0 /data/f\n')
  const seeded = await cocker(mode, ['run', '--rm', '-v', `kv-seed-${tag}:/appdata`, image, 'sh', '-c',
    'cat /appdata/s; touch /appdata/f && ls -lnd /appdata /appdata/f /appdata/s | awk \'{ print $3, $4, $9 }\''], { status: 0 })
  assert.is(seeded.stdout, 'seed\n1000 1000 /appdata\n1000 0 /appdata/f\n1000 1000 /appdata/s\n')
  assert.is(statSync(await volumePath(mode, `kv-seed-${tag}`)).uid, hostUid(mode, 1000))

  if (mode.user) {
    // keep-id: the user as themselves, the volume theirs inside and out
    const prefix = fusePrefix(true) ?? []
    const k = await runSh(mode, ['--userns', 'keep-id', '-v', `kv-keepid-${tag}:/data`], `id -u; ${LS}`, { prefix })
    assert.is(k.stdout, `${mode.user.uid}\n${mode.user.uid} ${mode.user.gid} /data\n${mode.user.uid} ${mode.user.gid} /data/f\n`)
    const f = statSync(path.join(await volumePath(mode, `kv-keepid-${tag}`), 'f'))
    assert.equal([f.uid, f.gid], [mode.user.uid, mode.user.gid], 'the user\'s outside')
  }
  for (const v of ['user', 'img', 'seed', 'keepid']) await cocker(mode, ['volume', 'rm', '-f', `kv-${v}-${tag}`])
  await cocker(mode, ['rmi', image], { status: 0 })
})

const isMounted = (dir: string) => statSync(dir).dev !== statSync(path.dirname(dir)).dev

busyboxScenario('mount and unmount: the root stays mounted until as many unmounts; what is written there is the container\'s; rm unmounts it', async mode => {
  const ct = `kmount-${process.pid}`
  await cocker(mode, ['create', '--name', ct, mode.image, 'cat', '/etc/hello'], { status: 0 })
  const d = (await cocker(mode, ['mount', ct], { status: 0 })).stdout.trim()
  assert.match(d, /\/containers\/[0-9a-f]{64}\/merged$/)
  assert.ok(isMounted(d))
  assert.match(readFileSync(path.join(d, 'etc/passwd'), 'utf8'), /^root:/)
  writeFileSync(path.join(d, 'etc/hello'), 'written through mount\n')
  assert.is((await cocker(mode, ['container', 'mount', ct], { status: 0 })).stdout.trim(), d, 'a second mount: the same path')
  const id = (await cocker(mode, ['inspect', '--format', '{{.Id}}', ct], { status: 0 })).stdout.trim()
  assert.is((await cocker(mode, ['mount'], { status: 0 })).stdout, `${id.slice(0, 12)} ${d}\n`)
  assert.is((await cocker(mode, ['mount', '--notruncate'], { status: 0 })).stdout, `${id} ${d}\n`)
  assert.equal(JSON.parse((await cocker(mode, ['mount', '--format', 'json'], { status: 0 })).stdout), [{ id, names: [ct], mountpoint: d }])
  assert.is((await cocker(mode, ['unmount', ct], { status: 0 })).stdout, `${id}\n`)
  assert.ok(isMounted(d), 'one mount is left')
  assert.is((await cocker(mode, ['umount', ct], { status: 0 })).stdout, `${id}\n`)
  assert.not.ok(isMounted(d), 'unmounted at the last one')
  assert.is((await cocker(mode, ['mount'], { status: 0 })).stdout, '')
  // the container sees what was written
  assert.is((await cocker(mode, ['start', '-a', ct], { status: 0 })).stdout, 'written through mount\n')
  assert.match((await cocker(mode, ['diff', ct], { status: 0 })).stdout, /^A \/etc\/hello$/m)
  // rm of a mounted container unmounts it first
  await cocker(mode, ['mount', ct], { status: 0 })
  await cocker(mode, ['rm', ct], { status: 0 })
  assert.not.ok(existsSync(d))
  await cocker(mode, ['unmount', 'no-such-container'], { status: 125 })
}, ['root'])

busyboxScenario('mount rootless: refused outside cocker unshare in one line, as Podman; inside it the root is mounted until unmount', async mode => {
  const ct = `kmount-${process.pid}`
  await cocker(mode, ['create', '--name', ct, mode.image, 'cat', '/etc/hello'], { status: 0 })
  for (const cmd of [['mount', ct], ['unmount', ct], ['mount']]) {
    const r = await cocker(mode, cmd, { status: 125 })
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, new RegExp(`^Error: cannot run "cocker ${cmd[0]}" rootless outside "cocker unshare"`))
  }
  const c = `${mode.bin} --root ${mode.root}`
  const script = `d=$(${c} mount ${ct}) && echo "$d" && cat "$d/etc/passwd" | head -1 && echo inside > "$d/etc/hello" && stat -c %u "$d/etc/hello" && ` +
    `${c} mount | cut -d' ' -f2 && ${c} unmount ${ct} >/dev/null && ${c} mount | wc -l && ls "$d" | wc -l`
  const r = await cocker(mode, ['unshare', 'sh', '-c', script], { status: 0 })
  const [d, passwd, owner, listed, after, entries] = r.stdout.trim().split('\n')
  assert.match(d!, /\/containers\/[0-9a-f]{64}\/merged$/)
  assert.is(passwd, 'root:x:0:0:root:/root:/bin/sh')
  assert.is(owner, '0', 'written as the container\'s root')
  assert.is(listed, d)
  assert.is(after, '0', 'nothing mounted after unmount')
  assert.is(entries, '0', 'merged/ is empty again')
  assert.is((await cocker(mode, ['start', '-a', ct], { status: 0 })).stdout, 'inside\n')
  await cocker(mode, ['rm', ct], { status: 0 })

  // keep-id whose layers fuse-overlayfs serves: mounted through the same remapped view, its root
  // as the caller's namespace names it (1 for this user's keep-id, as in a shifted copy), not the store's 0
  const prefix = fusePrefix(true)
  if (skipUnless(prefix !== undefined, 'mount of a keep-id container', '/dev/fuse is not open to users here, and only root can open it for a test')) return
  const kid = `kmount-kid-${process.pid}`
  await cocker(mode, ['create', '--name', kid, '--userns', 'keep-id', mode.image, 'true'], { status: 0, prefix })
  const k = await cocker(mode, ['unshare', 'sh', '-c', `d=$(${c} mount ${kid}) && stat -c %u "$d/bin/busybox" && ${c} unmount ${kid} >/dev/null && ls "$d" | wc -l`], { status: 0, prefix })
  const keepIdRoot = mode.user!.uid > 0 ? 1 : 0
  assert.is(k.stdout, `${keepIdRoot}\n0\n`)
  assert.equal(processesIn(mode.root), [], 'no fuse-overlayfs left after the unmount')
  await cocker(mode, ['rm', kid], { status: 0 })
}, ['rootless'])

test.run()
