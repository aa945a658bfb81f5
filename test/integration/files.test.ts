// A container's files in and out: cp (both ways, running and stopped, tar streams, the
// placement rules, owners and modes), and never through a symlink that leads out of the
// container's root (CVE-2018-15664, CVE-2019-14271).
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, modeDir, type CockerMode } from '../support/cocker-modes.js'
import { repoPath } from '../support/paths.js'
import { withContainers } from '../support/containers.js'
import { FIXTURE_IMAGE, fixtureOciArchive } from '../support/image-fixture.js'
import { runCmd } from '../support/exec.js'
import { cleanupPodman, podman, podmanOrSkip } from '../support/podman.js'

/** `cocker ARGS | tar OPTS` as the mode's user: what tar prints. */
async function piped(mode: CockerMode, args: string[], tar: string, o: { status?: number; input?: string } = {}): Promise<string> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const cmd = `${[mode.bin, '--root', mode.root, ...args].map(q).join(' ')} | ${tar}`
  return (await runCmd(['bash', '-c', `set -o pipefail; ${cmd}`], { asUser: mode.user, status: o.status ?? 0, timeoutMs: 120_000 })).stdout
}

const sh = (mode: CockerMode, ct: string, script: string, status = 0) => cocker(mode, ['exec', ct, 'sh', '-c', script], { status })

/** A running container `run` and a stopped one `stopped`, each with /d/f (0640) and /d/sub/g. */
async function twoContainers(mode: CockerMode, image: string, extra = ''): Promise<string[]> {
  const setup = `mkdir -p /d/sub && echo hi > /d/f && chmod 640 /d/f && echo g > /d/sub/g${extra ? `; ${extra}` : ''}`
  await cocker(mode, ['run', '-d', '--name', 'run', '--network', 'none', image, 'sh', '-c', `${setup}; sleep 1000`], { status: 0 })
  await cocker(mode, ['run', '--name', 'stopped', '--network', 'none', image, 'sh', '-c', setup], { status: 0 })
  // the running one did its set-up once exec sees it
  for (let i = 0; i < 100 && (await cocker(mode, ['exec', 'run', 'test', '-e', '/d/sub/g'])).status !== 0; i++) await new Promise(r => setTimeout(r, 50))
  return ['run', 'stopped']
}

cockerScenario('cp out: a tar stream on stdout, a directory, its contents with /., a file to a new name; modes kept, owned by the caller', mode => withContainers(mode, async image => {
  for (const ct of await twoContainers(mode, image)) {
    assert.equal((await piped(mode, ['cp', `${ct}:/d`, '-'], 'tar t')).split('\n').filter(Boolean).sort(), ['d/', 'd/f', 'd/sub/', 'd/sub/g'], ct)
    assert.equal((await piped(mode, ['cp', `${ct}:/d/.`, '-'], 'tar t')).split('\n').filter(Boolean).sort(), ['./', './f', './sub/', './sub/g'], ct)
    assert.ok((await piped(mode, ['cp', `${ct}:/etc`, '-'], 'tar t')).split('\n').includes('etc/passwd'), ct)
    const host = modeDir(mode)
    await cocker(mode, ['cp', `${ct}:/d`, host], { status: 0 })
    assert.is(readFileSync(path.join(host, 'd/f'), 'utf8'), 'hi\n')
    assert.is(statSync(path.join(host, 'd/f')).mode & 0o777, 0o640)
    assert.is(statSync(path.join(host, 'd/f')).uid, mode.user?.uid ?? 0)
    await cocker(mode, ['cp', `${ct}:/d/.`, path.join(host, 'copy')], { status: 0 })
    assert.equal(readdirSync(path.join(host, 'copy')).sort(), ['f', 'sub'])
    await cocker(mode, ['cp', `${ct}:/d/sub/g`, path.join(host, 'renamed')], { status: 0 })
    assert.is(readFileSync(path.join(host, 'renamed'), 'utf8'), 'g\n')
    const r = await cocker(mode, ['cp', `${ct}:/nope`, host], { status: 125 })
    assert.match(r.stderr, /"\/nope" does not exist in the container/)
    const onFile = await cocker(mode, ['cp', `${ct}:/d`, path.join(host, 'renamed')], { status: 125 })
    assert.match(onFile.stderr, /cannot copy a directory onto the file/)
  }
}))

cockerScenario('cp in: a file and a directory, running and stopped, owned by the container\'s root unless -a; - unpacks a tar stream', mode => withContainers(mode, async image => {
  const host = modeDir(mode)
  mkdirSync(path.join(host, 'tree/inner'), { recursive: true })
  writeFileSync(path.join(host, 'tree/inner/x'), 'x\n')
  writeFileSync(path.join(host, 'tool'), '#!/bin/sh\necho tool\n')
  chmodSync(path.join(host, 'tool'), 0o751)
  if (mode.user) await runCmd(['chown', '-R', `${mode.user.uid}:${mode.user.gid}`, host], { status: 0 })
  for (const ct of await twoContainers(mode, image)) {
    await cocker(mode, ['cp', path.join(host, 'tool'), `${ct}:/d/`], { status: 0 })
    await cocker(mode, ['cp', path.join(host, 'tree'), `${ct}:/newtree`], { status: 0 })
    await cocker(mode, ['cp', path.join(host, 'tree'), `${ct}:/d`], { status: 0 })
    await runCmd(['sh', '-c', `cd ${host} && tar c tree | ${mode.bin} --root ${mode.root} cp - ${ct}:/d/sub`], { asUser: mode.user, status: 0 })
    await cocker(mode, ['cp', '-a', path.join(host, 'tool'), `${ct}:/d/kept`], { status: 0 })
    const listing = [...(await piped(mode, ['cp', `${ct}:/d`, '-'], 'tar --numeric-owner -tv')).split('\n'),
      ...(await piped(mode, ['cp', `${ct}:/newtree`, '-'], 'tar --numeric-owner -tv')).split('\n')]
    const line = (name: string) => listing.find(l => l.endsWith(` ${name}`))?.split(/\s+/).slice(0, 2).join(' ')
    assert.is(line('d/tool'), '-rwxr-x--x 0/0', ct)
    assert.is(line('d/kept'), `-rwxr-x--x ${mode.user ? `${mode.user.uid}/${mode.user.gid}` : '0/0'}`, ct)
    for (const f of ['newtree/inner/x', 'd/tree/inner/x', 'd/sub/tree/inner/x']) assert.ok(line(f), `${ct}: ${f}`)
    if (ct === 'run') assert.is((await sh(mode, ct, '/d/tool; cat /d/sub/tree/inner/x')).stdout, 'tool\nx\n')
  }
  const none = await cocker(mode, ['cp', path.join(host, 'nope'), 'run:/'], { status: 125 })
  assert.match(none.stderr, /does not exist on the host/)
  const noParent = await cocker(mode, ['cp', path.join(host, 'tool'), 'run:/no/such/dir'], { status: 125 })
  assert.match(noParent.stderr, /must exist/)
}))

cockerScenario('CVE-2019-14271: cp out of a symlink to /etc/shadow copies the link, and a link to a host directory gives nothing of the host', mode => withContainers(mode, async image => {
  const secretDir = modeDir(mode)
  writeFileSync(path.join(secretDir, 'secret'), 'host secret\n')
  if (mode.user) await runCmd(['chown', '-R', `${mode.user.uid}:${mode.user.gid}`, secretDir], { status: 0 })
  const links = `ln /d/f /d/hard; ln -s /etc/shadow /shadowlink; ln -s ${secretDir} /hostdir; ln -s ../../../../../../${secretDir}/secret /climb`
  for (const ct of await twoContainers(mode, image, links)) {
    const host = modeDir(mode)
    await cocker(mode, ['cp', `${ct}:/shadowlink`, host], { status: 0 })
    assert.ok(lstatSync(path.join(host, 'shadowlink')).isSymbolicLink())
    assert.is(readlinkSync(path.join(host, 'shadowlink')), '/etc/shadow')
    await cocker(mode, ['cp', `${ct}:/climb`, host], { status: 0 })
    // hardlinks stay hardlinks under a new name
    await cocker(mode, ['cp', `${ct}:/d`, path.join(host, 'renamed')], { status: 0 })
    assert.is(statSync(path.join(host, 'renamed/hard')).ino, statSync(path.join(host, 'renamed/f')).ino)
    assert.ok(lstatSync(path.join(host, 'climb')).isSymbolicLink())
    // through the link: the container's own path, which it does not have
    await cocker(mode, ['cp', `${ct}:/hostdir/.`, path.join(host, 'got')], { status: 125 })
    await cocker(mode, ['cp', `${ct}:/hostdir/secret`, path.join(host, 'got')], { status: 125 })
    assert.not.ok(existsSync(path.join(host, 'got')))
    const listed = await piped(mode, ['cp', `${ct}:/shadowlink`, '-'], 'tar tv')
    assert.match(listed, /shadowlink -> \/etc\/shadow/)
  }
}))

cockerScenario('CVE-2018-15664: cp into a container through a symlink that points out writes nothing outside, also while the container swaps it', mode => withContainers(mode, async image => {
  const outside = modeDir(mode)
  const host = modeDir(mode)
  writeFileSync(path.join(host, 'payload'), 'payload\n')
  if (mode.user) await runCmd(['chown', '-R', `${mode.user.uid}:${mode.user.gid}`, host], { status: 0 })
  for (const ct of await twoContainers(mode, image, `ln -s ${outside} /out; ln -s ../../../../..${outside} /d/climb`)) {
    await cocker(mode, ['cp', path.join(host, 'payload'), `${ct}:/out/`])
    await cocker(mode, ['cp', path.join(host, 'payload'), `${ct}:/d/climb/payload`])
    await runCmd(['sh', '-c', `cd ${host} && tar c payload | ${mode.bin} --root ${mode.root} cp - ${ct}:/out`], { asUser: mode.user })
    assert.equal(readdirSync(outside), [], ct)
  }
  // the running container swaps a directory and a symlink out while we copy into it
  await cocker(mode, ['exec', '-d', 'run', 'sh', '-c', `mkdir -p /w; while true; do mkdir /w/d 2>/dev/null; rm -rf /w/d; ln -s ${outside} /w/d; rm -f /w/d; done`], { status: 0 })
  for (let i = 0; i < 20; i++) await cocker(mode, ['cp', path.join(host, 'payload'), 'run:/w/d/'])
  assert.equal(readdirSync(outside), [])
}))

cockerScenario('diff: A, C and D from the upper directory (whiteouts, an opaque directory), and --format json', mode => withContainers(mode, async image => {
  const script = 'echo x > /new; rm /etc/group; echo y >> /etc/passwd; mkdir /nd; touch /nd/f; rm -rf /opt/data; mkdir /opt/data; echo z > /opt/data/other'
  await cocker(mode, ['run', '--name', 'changed', '--network', 'none', image, 'sh', '-c', script], { status: 0 })
  const lines = (await cocker(mode, ['diff', 'changed'], { status: 0 })).stdout.split('\n').filter(Boolean)
  for (const l of ['A /new', 'D /etc/group', 'C /etc/passwd', 'C /etc', 'A /nd', 'A /nd/f', 'C /opt/data', 'D /opt/data/hello.txt', 'A /opt/data/other']) {
    assert.ok(lines.includes(l), `${l} in ${lines.join(', ')}`)
  }
  assert.not.ok(lines.some(l => l.includes('removed-later')), 'a file the image deleted itself is no change')
  assert.equal([...lines].sort((a, b) => (a.slice(2) < b.slice(2) ? -1 : 1)), lines, 'sorted by path')
  const json = JSON.parse((await cocker(mode, ['diff', '--format', 'json', 'changed'], { status: 0 })).stdout)
  assert.ok(json.added.includes('/new') && json.deleted.includes('/etc/group') && json.changed.includes('/etc/passwd'))
}))

cockerScenario('export: the root of a running and a stopped container as a tar stream on stdout or -o, without what is mounted in it', mode => withContainers(mode, async image => {
  for (const ct of await twoContainers(mode, image)) {
    const names = (await piped(mode, ['export', ct], 'tar t')).split('\n')
    for (const n of ['bin/busybox', 'etc/passwd', 'opt/data/hello.txt', 'd/f', 'd/sub/g']) assert.ok(names.includes(n), `${ct}: ${n}`)
    assert.not.ok(names.some(n => n.startsWith('proc/') && n !== 'proc/'), `${ct}: nothing of /proc`)
    assert.not.ok(names.includes('etc/removed-later'), `${ct}: what the image deleted`)
    const file = path.join(modeDir(mode), 'out.tar')
    await cocker(mode, ['export', '-o', file, ct], { status: 0 })
    const listed = (await runCmd(['tar', 'tf', file], { status: 0 })).stdout.split('\n')
    assert.ok(listed.includes('d/f'), ct)
  }
}))

cockerScenario('commit: run of the new image shows the change, deleted files stay deleted (an opaque directory too); -c, -m, --author, --squash, --format docker', mode => withContainers(mode, async image => {
  const script = 'echo new > /new; rm /etc/group; echo changed > /etc/motd; rm -rf /opt/data; mkdir /opt/data; echo other > /opt/data/other'
  await cocker(mode, ['run', '--name', 'base', '--network', 'none', image, 'sh', '-c', script], { status: 0 })
  const check = 'cat /new /etc/motd; test -e /etc/group && echo group; ls /opt/data; test -e /etc/removed-later && echo removed'
  for (const [flags, name] of [[[], 'committed:1'], [['--squash'], 'squashed:1'], [['--format', 'docker'], 'dockerfmt:1']] as const) {
    const id = (await cocker(mode, ['commit', ...flags, '-c', 'CMD ["cat", "/new"]', '-m', 'made by a test', '--author', 'tester', 'base', name], { status: 0 })).stdout.trim()
    assert.match(id, /^[0-9a-f]{64}$/)
    assert.is((await cocker(mode, ['run', '--rm', '--network', 'none', name], { status: 0 })).stdout, 'new\n', name)
    assert.is((await cocker(mode, ['run', '--rm', '--network', 'none', name, 'sh', '-c', check])).stdout, 'new\nchanged\nother\n', name)
    const history = (await cocker(mode, ['history', '--format', '{{.Comment}}', name], { status: 0 })).stdout
    assert.match(history, /made by a test/, name)
    // what save writes of it, the peers read
    const archive = path.join(modeDir(mode), 'saved.tar')
    await cocker(mode, ['save', '-o', archive, name], { status: 0 })
    const inspected = JSON.parse((await runCmd(['skopeo', 'inspect', `docker-archive:${archive}`], { status: 0 })).stdout)
    assert.is(inspected.Layers.length, name === 'squashed:1' ? 1 : 3, name)
    const pe = await podmanOrSkip(mode.name, `podman load of a committed image (${mode.name})`)
    if (pe) {
      const loaded = await podman(pe, ['load', '-i', archive], { status: 0 })
      assert.match(loaded.stdout, /Loaded image/)
      assert.is((await podman(pe, ['run', '--rm', ...pe.runFlags, `localhost/${name}`], { status: 0 })).stdout, 'new\n', name)
      await podman(pe, ['rmi', `localhost/${name}`])
    }
  }
  // a commit of a running container, paused meanwhile where it has a freezer (rootless: a delegated cgroup v2)
  await cocker(mode, ['run', '-d', '--name', 'live', '--network', 'none', image, 'sh', '-c', 'echo live > /live; sleep 1000'], { status: 0 })
  for (let i = 0; i < 100 && (await cocker(mode, ['exec', 'live', 'test', '-e', '/live'])).status !== 0; i++) await new Promise(r => setTimeout(r, 50))
  await cocker(mode, ['commit', ...(mode.user ? [] : ['--pause']), 'live', 'live:1'], { status: 0 })
  assert.is((await cocker(mode, ['run', '--rm', '--network', 'none', 'live:1', 'cat', '/live'], { status: 0 })).stdout, 'live\n')
  await cocker(mode, ['rmi', 'committed:1', 'squashed:1', 'dockerfmt:1', 'live:1'])
}))

cockerScenario('a user namespace of its own (keep-id rootless, auto as root): cp in belongs to its root, running or stopped, and commit keeps the ids the container saw, not the store\'s shifted ones', mode => withContainers(mode, async image => {
  const userns = mode.user ? ['--userns', 'keep-id'] : ['--userns', 'auto']
  const writer = mode.user ? `${mode.user.uid}:${mode.user.gid}` : '0:0'
  await cocker(mode, ['run', ...userns, '--name', 'k', '--network', 'none', image, 'sh', '-c', 'echo k > /tmp/k'], { status: 0 })
  const host = modeDir(mode)
  writeFileSync(path.join(host, 'copied'), 'c\n')
  if (mode.user) await runCmd(['chown', '-R', `${mode.user.uid}:${mode.user.gid}`, host], { status: 0 })
  await cocker(mode, ['cp', path.join(host, 'copied'), 'k:/tmp/'], { status: 0 })
  await cocker(mode, ['cp', '-a', path.join(host, 'copied'), 'k:/tmp/archived'], { status: 0 })
  // out of the stopped one: the container's ids, not the store's
  const listed = await piped(mode, ['cp', 'k:/tmp/k', '-'], 'tar --numeric-owner -tv')
  assert.match(listed, new RegExp(`^-\\S+ ${writer.replace(':', '/')} `))
  await cocker(mode, ['commit', 'k', 'kept:1'], { status: 0 })
  const owners = (await cocker(mode, ['run', '--rm', '--network', 'none', 'kept:1', 'stat', '-c', '%u:%g', '/tmp/k', '/tmp/copied', '/tmp/archived'], { status: 0 })).stdout
  assert.is(owners, `${writer}\n0:0\n${writer}\n`)
  // running: the copy joins its user namespace, where its root is ours
  await cocker(mode, ['run', '-d', ...userns, '--user', '0', '--name', 'kr', '--network', 'none', image, 'sleep', '1000'], { status: 0 })
  await cocker(mode, ['cp', path.join(host, 'copied'), 'kr:/tmp/'], { status: 0 })
  assert.is((await cocker(mode, ['exec', 'kr', 'stat', '-c', '%u:%g', '/tmp/copied'], { status: 0 })).stdout, '0:0\n')
  assert.is((await piped(mode, ['cp', 'kr:/tmp/copied', '-'], 'tar xO')), 'c\n')
  await cocker(mode, ['rmi', 'kept:1'])
}))

cockerScenario('vfs: cp in and out of a stopped container and export work on its copy of the image; diff and commit say that they need an overlay', async mode => {
  const vfs = (args: string[], o: { status?: number } = {}) => cocker(mode, ['--storage-driver', 'vfs', ...args], o)
  await vfs(['load', '-q', '-i', fixtureOciArchive()], { status: 0 })
  try {
    await vfs(['run', '--name', 'v', '--network', 'none', FIXTURE_IMAGE, 'sh', '-c', 'echo v > /v'], { status: 0 })
    const host = modeDir(mode)
    writeFileSync(path.join(host, 'in'), 'in\n')
    if (mode.user) await runCmd(['chown', '-R', `${mode.user.uid}:${mode.user.gid}`, host], { status: 0 })
    await vfs(['cp', path.join(host, 'in'), 'v:/in'], { status: 0 })
    await vfs(['cp', 'v:/v', path.join(host, 'out')], { status: 0 })
    assert.is(readFileSync(path.join(host, 'out'), 'utf8'), 'v\n')
    assert.ok((await piped(mode, ['--storage-driver', 'vfs', 'export', 'v'], 'tar t')).split('\n').includes('in'))
    assert.match((await vfs(['diff', 'v'], { status: 125 })).stderr, /storage driver vfs/)
    assert.match((await vfs(['commit', 'v', 'vc:1'], { status: 125 })).stderr, /storage driver vfs/)
  } finally {
    await vfs(['rm', '-f', '-a', '-t', '0'])
  }
})

/**
 * Root's cocker where no other user may enter (under /root, a 0700 home): the checkout bound
 * below a 0700 directory. A copy with a running container that has a user namespace of its
 * own runs in that namespace, whose root is no owner of ours.
 */
cockerScenario('installed where other users cannot enter: cp in and out of a running --userns auto container; export and cp - say why not, and work once it stopped', mode => withContainers(mode, async image => {
  const closed = modeDir(mode, 'cocker-closed-')
  chmodSync(closed, 0o700)
  const pkg = path.join(closed, 'pkg')
  mkdirSync(pkg)
  const helper = process.env.COCKER_HELPER
  const env = helper?.startsWith(repoPath() + path.sep) ? { COCKER_HELPER: path.join(pkg, path.relative(repoPath(), helper)) } : {}
  const inClosed = { ...mode, bin: path.join(pkg, 'bin/cocker') }
  const closedCocker = (args: string[], status: number, input?: string) => cocker(inClosed, args, { status, env, ...(input !== undefined ? { input } : {}) })
  await runCmd(['mount', '--bind', repoPath(), pkg], { status: 0 })
  try {
    await closedCocker(['run', '-d', '--userns', 'auto', '--name', 'kc', '--network', 'none', image, 'sleep', '1000'], 0)
    writeFileSync(path.join(closed, 'copied'), 'c\n')
    await closedCocker(['cp', path.join(closed, 'copied'), 'kc:/tmp/'], 0)
    assert.is((await closedCocker(['exec', 'kc', 'stat', '-c', '%u:%g', '/tmp/copied'], 0)).stdout, '0:0\n')
    const tarred = (await closedCocker(['cp', 'kc:/tmp/copied', '-'], 0)).stdout
    assert.ok(tarred.includes('c\n'), 'cp out: the file in the tar')
    for (const args of [['export', 'kc'], ['cp', '-', 'kc:/tmp/']]) {
      const r = await closedCocker(args, 125, args[0] === 'cp' ? tarred : undefined)
      assert.match(r.stderr, new RegExp(`^Error: this copy with kc while it runs would run cocker's code as the root of its user namespace, which cannot enter ${closed} \\(mode 0700\\)`, 'm'), args.join(' '))
    }
    await closedCocker(['stop', '-t', '0', 'kc'], 0)
    assert.ok((await closedCocker(['export', 'kc'], 0)).stdout.length > 0, 'export of the stopped container')
  } finally {
    await closedCocker(['rm', '-f', '-t', '0', 'kc'], 0)
    await runCmd(['umount', pkg])
  }
}), ['root'])

test.after(cleanupPodman)
test.run()
