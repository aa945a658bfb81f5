import { lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { convertQuadlets } from '../../../lib/quadlet/convert.js'
import { findQuadletFiles, quadletDirs, readQuadletFiles, writeServices } from '../../../lib/quadlet/files.js'
import { makeTempDir } from '../../fixtures/bundle.js'

function tree(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), text)
  }
}

test('the search lists: Podman\'s for root and for a user; QUADLET_UNIT_DIRS replaces them', () => {
  assert.equal(quadletDirs(false, {}), ['/run/containers/systemd', '/etc/containers/systemd', '/usr/share/containers/systemd'])
  assert.equal(quadletDirs(true, { HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), [
    '/run/user/1000/containers/systemd', '/home/u/.config/containers/systemd',
    '/etc/containers/systemd/users', '/etc/containers/systemd/users/1000',
    '/usr/share/containers/systemd/users', '/usr/share/containers/systemd/users/1000',
  ])
  assert.equal(quadletDirs(true, { HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' }, 1000)[0], '/cfg/containers/systemd')
  assert.equal(quadletDirs(true, { QUADLET_UNIT_DIRS: '/a:relative:/b' }), ['/a', '/b'])
})

test('files: subdirectories searched, the first of a name wins, drop-in dirs and other users\' dirs skipped', () => {
  const root = makeTempDir('quadlet-files-')
  const [mine, users] = [path.join(root, 'mine'), path.join(root, 'users')]
  tree(mine, { 'web.container': '[Container]\nImage=a\n', 'sub/db.container': '[Container]\nImage=b\n', 'web.container.d/x.conf': '', 'notes.txt': '' })
  tree(users, { 'web.container': '[Container]\nImage=hidden\n', 'team/app.volume': '[Volume]\n', '1234/other.container': '[Container]\nImage=c\n' })
  const { files } = findQuadletFiles([mine, users], true)
  assert.equal(files.map(f => path.relative(root, f)), ['mine/sub/db.container', 'mine/web.container', 'users/team/app.volume'])
})

test('drop-ins: NAME.container.d, truncated a-.container.d, container.d; the most specific of a name hides the others', () => {
  const root = makeTempDir('quadlet-dropins-')
  tree(root, {
    'web-front.container': '[Container]\nImage=a\nEnvironment=A=1\n',
    'web-front.container.d/10-env.conf': '[Container]\nEnvironment=B=2\n',
    'web-.container.d/10-env.conf': '[Container]\nEnvironment=HIDDEN=1\n',
    'web-.container.d/20-label.conf': '[Container]\nLabel=tier=front\n[Service]\nRestart=always\n',
    'container.d/30-all.conf': '[Container]\nPodmanArgs=--log-level=debug\n',
    'container.d/ignored.txt': '[Container]\nImage=x\n',
  })
  const { sources, errors } = readQuadletFiles([path.join(root, 'web-front.container')], [root])
  assert.equal(errors, [])
  const u = sources[0]!.unit
  assert.equal(u.all('Container', 'Environment'), ['A=1', 'B=2'])
  assert.equal([u.get('Container', 'Label'), u.get('Service', 'Restart'), u.get('Container', 'PodmanArgs')], ['tier=front', 'always', '--log-level=debug'])
})

test('a file that does not parse is named, the others are read', () => {
  const root = makeTempDir('quadlet-bad-')
  tree(root, { 'a.container': '[Container]\nImage=a\n', 'b.container': 'Image=b\n' })
  const r = readQuadletFiles([path.join(root, 'a.container'), path.join(root, 'b.container')])
  assert.equal(r.sources.length, 1)
  assert.equal(r.errors, [{ file: path.join(root, 'b.container'), message: `${path.join(root, 'b.container')}:1: Image= comes before any [Section]` }])
})

test('writeServices: units, WantedBy/RequiredBy links in .wants/.requires, Alias, a template under its DefaultInstance', () => {
  const root = makeTempDir('quadlet-out-')
  tree(root, {
    'q/web.container': '[Container]\nImage=a\n[Install]\nWantedBy=default.target multi-user.target\nRequiredBy=x.target\nAlias=www.service\n',
    'q/echo@.container': '[Container]\nImage=a\n[Install]\nWantedBy=default.target\nDefaultInstance=hi\n',
    'q/plain@.container': '[Container]\nImage=a\n[Install]\nWantedBy=default.target\n',
  })
  const { sources } = readQuadletFiles(['web.container', 'echo@.container', 'plain@.container'].map(f => path.join(root, 'q', f)))
  const out = path.join(root, 'out')
  const written = writeServices(out, convertQuadlets(sources, { cocker: '/c' }).services)
  assert.equal(written.map(f => path.relative(out, f)).sort(), ['default.target.wants/echo@hi.service', 'default.target.wants/web.service', 'echo@.service',
    'multi-user.target.wants/web.service', 'plain@.service', 'web.service', 'www.service', 'x.target.requires/web.service'])
  assert.equal(readlinkSync(path.join(out, 'default.target.wants/web.service')), '../web.service')
  assert.equal(readlinkSync(path.join(out, 'www.service')), 'web.service')
  assert.ok(lstatSync(path.join(out, 'web.service')).isFile())
  assert.match(readFileSync(path.join(out, 'web.service'), 'utf8'), /^# Automatically generated by cocker-systemd-generator from \S+\/q\/web\.container\n\[Unit\]\nSourcePath=/)
})

test.run()
