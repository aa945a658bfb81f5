// applyLayer as cocker's rootless commands run it: as root of a user namespace that maps
// the rootless user (as root: cockertest; else us) to 0 and its subordinate ids from 1.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { LayerStats } from '../../../lib/storage/unpack.js'
import { lgetxattr } from '../../../lib/sys/libc.js'
import { runCmd } from '../../support/exec.js'
import { hasNewuidmap, hasUserns, rootlessOrSkip, skipUnless } from '../../support/requires.js'
import { stageForRootless } from '../../support/rootless.js'
import { buildTar, chardev, dir, file } from '../../support/tar-builder.js'

test('rootless, in a user namespace with subordinate ids: owners mapped, user.overlay.opaque, devices skipped', async () => {
  const user = rootlessOrSkip('rootless unpack')
  if (!user) return
  if (skipUnless(hasUserns(user) && hasNewuidmap(), 'rootless unpack', 'no user namespaces or newuidmap for the rootless user')) return
  const subid = readFileSync('/etc/subuid', 'utf8').match(new RegExp(`^${user.name}:(\\d+):(\\d+)$`, 'm'))
  if (skipUnless(subid !== null && Number(subid[2]) >= 65536, 'rootless unpack', `no 65536 subordinate ids for ${user.name}`)) return
  const SUBID = Number(subid![1])
  const stage = stageForRootless()
  const dirFor = mkdtempSync(path.join(os.tmpdir(), 'cocker-unpack-rootless-'))
  chmodSync(dirFor, 0o755)
  const tarFile = path.join(dirFor, 'layer.tar')
  writeFileSync(
    tarFile,
    buildTar([
      dir('home/', { mode: 0o755 }),
      dir('home/user/', { uid: 1000, gid: 1000, mode: 0o700 }),
      file('home/user/.profile', 'x', { uid: 1000, gid: 1000, mode: 0o4750 }),
      file('var/.wh..wh..opq'),
      file('etc/.wh.gone'),
      chardev('dev/null', 1, 3),
      file('t', 'x', { pax: { 'SCHILY.xattr.trusted.x': 'y', 'SCHILY.xattr.user.ok': 'y' } }),
    ]),
  )
  const bad = path.join(dirFor, 'bad.tar')
  writeFileSync(bad, buildTar([file('usr/bin/x', 'x', { uid: 300000 })]))
  const target = path.join(dirFor, 'layer')
  mkdirSync(target)
  chownSync(target, user.uid, user.gid)
  const script = (tar: string) => `
    import { createReadStream } from 'node:fs'
    import { applyLayer } from '${stage}/dist/lib/storage/unpack.js'
    try {
      const stats = await applyLayer(createReadStream('${tar}'), '${target}', { format: 'overlay', xattrNamespace: 'user', idLimit: { uid: 65537, gid: 65537 }, layerName: 'sha256:abc' })
      console.log(JSON.stringify(stats))
    } catch (err) { console.log(err.code + ' ' + err.message); process.exitCode = 1 }`
  const unshare = ['unshare', '--map-root-user', `--map-users=${SUBID},1,65536`, `--map-groups=${SUBID},1,65536`]
  try {
    const ok = await runCmd([...unshare, process.execPath, '--input-type=module', '-e', script(tarFile)], { asUser: user, status: 0 })
    const stats = JSON.parse(ok.stdout) as LayerStats
    const st = (p: string) => lstatSync(path.join(target, p))
    assert.equal([st('home/user').uid, st('home/user').gid], [SUBID + 999, SUBID + 999], 'uid 1000 in the namespace')
    assert.is(st('home').uid, user.uid, 'root is the user')
    // home/user is 0700, its owner a subordinate id: only root (of the host or the namespace) sees inside
    assert.is((await runCmd([...unshare, 'stat', '-c', '%a', path.join(target, 'home/user/.profile')], { asUser: user, status: 0 })).stdout, '4750\n', 'setuid kept')
    assert.is(lgetxattr(path.join(target, 'var'), 'user.overlay.opaque')?.toString(), 'y')
    assert.ok(st('etc/gone').isCharacterDevice())
    assert.not.ok(existsSync(path.join(target, 'dev/null')))
    assert.is(lgetxattr(path.join(target, 't'), 'user.ok')?.toString(), 'y')
    assert.equal(stats.skipped, [
      { name: 'dev/null', what: 'device', reason: 'device nodes cannot be created rootless (char 1:3)' },
      { name: 't', what: 'xattr', reason: 'xattr trusted.x: EPERM' },
    ])
    const fail = await runCmd([...unshare, process.execPath, '--input-type=module', '-e', script(bad)], { asUser: user, status: 1 })
    assert.is(fail.stdout.trim(), 'LAYER_ID_UNMAPPED layer sha256:abc: usr/bin/x is owned by uid 300000, outside the 65537 ids mapped for you')
  } finally {
    // the user may not remove what its subordinate ids own; root of its namespace may
    await runCmd([...unshare, 'find', target, '-mindepth', '1', '-delete'], { asUser: user, status: 0 })
    rmSync(dirFor, { recursive: true, force: true })
  }
})

test.run()
