// What `commit` writes into the image's new layer (cocker-helper layer-out): the layer tar
// that `save` hands on carries the container's xattrs (a file capability among them),
// hardlinks, whiteouts and opaque directories as `.wh.` entries, and hashes to the config's
// diff_id; the store's own copy of the layer (what containers of the image mount) has the same.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, modeDir } from '../support/cocker-modes.js'
import { withContainers } from '../support/containers.js'
import { runCmd } from '../support/exec.js'
import { skipUnless } from '../support/requires.js'

const has = async (tool: string) => (await runCmd(['sh', '-c', `command -v ${tool}`])).status === 0

cockerScenario('commit: the layer carries xattrs (a capability too), hardlinks, whiteouts and an opaque directory; its digest is the diff_id; the store\'s copy alike', mode => withContainers(mode, async image => {
  const title = `commit of xattrs (${mode.name})`
  if (skipUnless(await has('setfattr') && await has('getfattr') && await has('setcap'), title, 'needs setfattr, getfattr (attr) and setcap (libcap2-bin)')) return
  const script = 'mkdir /h && echo same > /h/a && ln /h/a /h/b && echo cap > /capfile && rm /etc/group && rm -rf /opt/data && mkdir /opt/data && echo o > /opt/data/o'
  await cocker(mode, ['run', '--name', 'x', '--network', 'none', image, 'sh', '-c', script], { status: 0 })
  const id = (await cocker(mode, ['inspect', '--format', '{{.Id}}', 'x'], { status: 0 })).stdout.trim()
  // xattrs as a process in the container would set them: a user one, and a capability whose
  // root is the container's (rootless: the user, root of its namespace)
  const file = path.join(mode.root, 'containers', id, 'upper/capfile')
  await runCmd(['setfattr', '-n', 'user.cocker', '-v', 'hello', file], { status: 0 })
  await runCmd(['setcap', ...(mode.user ? ['-n', String(mode.user.uid)] : []), 'cap_net_raw+ep', file], { status: 0 })

  await cocker(mode, ['commit', '-q', 'x', 'layered:1'], { status: 0 })
  const archive = path.join(modeDir(mode), 'saved.tar')
  await cocker(mode, ['save', '-o', archive, 'layered:1'], { status: 0 })
  const dir = modeDir({})
  await runCmd(['tar', '-xf', archive, '-C', dir], { status: 0 })
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[]
  const config = JSON.parse(readFileSync(path.join(dir, manifest[0]!.Config), 'utf8')) as { rootfs: { diff_ids: string[] } }
  const layerTar = path.join(dir, manifest[0]!.Layers.at(-1)!)
  assert.is(`sha256:${createHash('sha256').update(readFileSync(layerTar)).digest('hex')}`, config.rootfs.diff_ids.at(-1))

  const listing = (await runCmd(['tar', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-tvvf', layerTar], { status: 0 })).stdout
  for (const want of [/h\/b link to h\/a/, /etc\/\.wh\.group/, /opt\/data\/\.wh\.\.wh\.\.opq/, /x: \d+ user\.cocker/, /x: \d+ security\.capability/]) {
    assert.match(listing, want)
  }
  assert.not.match(listing, /overlay\./, 'overlay\'s own xattrs stay out')

  // the image as a container sees it
  const seen = (await cocker(mode, ['run', '--rm', '--network', 'none', 'layered:1', 'sh', '-c',
    'stat -c %i:%h /h/a /h/b; test -e /etc/group && echo group; ls /opt/data'], { status: 0 })).stdout.split('\n')
  assert.is(seen[0], seen[1])
  assert.match(seen[0]!, /:2$/)
  assert.equal(seen.slice(2).filter(Boolean), ['o'])

  // the store's copy: the layer holding capfile
  const layers = path.join(mode.root, 'layers')
  const ours = readdirSync(layers).map(l => path.join(layers, l, 'diff')).find(d => statSync(path.join(d, 'capfile'), { throwIfNoEntry: false }))
  assert.ok(ours, 'the committed layer is in the store')
  const attr = (name: string, f: string) => runCmd(['getfattr', '-h', '--only-values', '-n', name, path.join(ours!, f)])
  assert.is((await attr('user.cocker', 'capfile')).stdout, 'hello')
  assert.match((await runCmd(['getcap', path.join(ours!, 'capfile')], { status: 0 })).stdout, /cap_net_raw[=+]ep/)
  assert.is(statSync(path.join(ours!, 'h/a')).ino, statSync(path.join(ours!, 'h/b')).ino)
  const wh = statSync(path.join(ours!, 'etc/group'))
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'a whiteout: a 0/0 character device')
  assert.is((await attr(`${mode.user ? 'user' : 'trusted'}.overlay.opaque`, 'opt/data')).stdout, 'y')
  assert.is(readFileSync(path.join(ours!, 'opt/data/o'), 'utf8'), 'o\n')
  await cocker(mode, ['rmi', 'layered:1'])
}))

test.run()
