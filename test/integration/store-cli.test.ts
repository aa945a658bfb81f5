// The store's commands through bin/cocker, on a temp store filled through the API.
import { spawnSync } from 'node:child_process'
import { chmodSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker as cockerAs, cockerScenario, loadBusybox } from '../support/cocker-modes.js'
import { makeTempDir } from '../fixtures/bundle.js'
import { repoPath } from '../support/paths.js'
import { addTestImage, tempStore } from '../support/store-fixture.js'

function cocker(root: string, args: string[], status: number, input = '') {
  const r = spawnSync(repoPath('bin/cocker'), ['--root', root, ...args], { encoding: 'utf8', input })
  assert.is(r.status, status, `cocker ${args.join(' ')}: ${r.stdout}${r.stderr}`)
  return r
}

test('images: header on an empty store; rows per name, dangling as <none>; -q, --format, filters', async () => {
  const t = tempStore()
  try {
    assert.is(cocker(t.root, ['images'], 0).stdout, 'REPOSITORY  TAG         IMAGE ID    CREATED     SIZE\n')
    // ages that read the same for half an hour either way, however slow the machine
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600e3).toISOString()
    const old = await addTestImage(t.store, { names: ['localhost/foo:latest'], layers: [{ a: 'x'.repeat(11329) }], created: hoursAgo(30) })
    const neu = await addTestImage(t.store, { names: ['localhost/foo:latest', 'quay.io/x/y:1'], layers: [{ a: 'new' }], created: hoursAgo(3) })
    const out = cocker(t.root, ['images'], 0).stdout
    assert.is(out, [
      'REPOSITORY     TAG         IMAGE ID      CREATED       SIZE',
      `localhost/foo  latest      ${neu.id.slice(0, 12)}  3 hours ago   3 B`,
      `quay.io/x/y    1           ${neu.id.slice(0, 12)}  3 hours ago   3 B`,
      `<none>         <none>      ${old.id.slice(0, 12)}  30 hours ago  11.3 kB`,
      '',
    ].join('\n'))
    assert.is(cocker(t.root, ['images', '-q'], 0).stdout, `${neu.id.slice(0, 12)}\n${old.id.slice(0, 12)}\n`)
    assert.is(cocker(t.root, ['images', '--format', '{{.Repository}}:{{.Tag}}', '-f', 'dangling=false'], 0).stdout, 'localhost/foo:latest\nquay.io/x/y:1\n')
    assert.is(cocker(t.root, ['image', 'ls', '-q', '--no-trunc', '--filter', 'reference=y'], 0).stdout, `sha256:${neu.id}\n`)
    assert.is(JSON.parse(cocker(t.root, ['images', '--format', 'json'], 0).stdout).length, 2)
  } finally {
    t.cleanup()
  }
})

test('tag, untag, image exists, inspect', async () => {
  const t = tempStore()
  try {
    const img = await addTestImage(t.store, { names: ['docker.io/library/alpine:latest'], layers: [{ a: '1' }, { b: '2' }] })
    assert.is(cocker(t.root, ['tag', 'alpine', 'foo', 'quay.io/x/y:1'], 0).stdout, '')
    assert.is(cocker(t.root, ['image', 'exists', 'foo'], 0).stdout, '')
    assert.is(cocker(t.root, ['image', 'exists', 'nosuch'], 1).stderr, '')
    assert.is(cocker(t.root, ['tag', 'nosuch', 'x'], 125).stderr, 'Error: nosuch: image not known\n')
    assert.is(cocker(t.root, ['untag', 'foo', 'quay.io/nope'], 125).stderr, 'Error: quay.io/nope:latest: tag not known\n')
    cocker(t.root, ['untag', 'foo', 'foo'], 0)
    const [info] = JSON.parse(cocker(t.root, ['inspect', 'alpine'], 0).stdout)
    assert.is(info.Id, img.id)
    assert.equal(info.RepoTags, ['docker.io/library/alpine:latest', 'quay.io/x/y:1'])
    assert.is(info.GraphDriver.Name, 'overlay')
    assert.ok(info.GraphDriver.Data.LowerDir.endsWith(`/layers/${img.layers[0]}/diff`))
    assert.is(info.RootFS.Layers.length, 2)
    assert.is(cocker(t.root, ['image', 'inspect', '--format', '{{.Id}} {{.RepoTags}}', img.id.slice(0, 6)], 0).stdout, `${img.id} [docker.io/library/alpine:latest quay.io/x/y:1]\n`)
    const missing = cocker(t.root, ['inspect', 'nosuch'], 125)
    assert.is(missing.stdout, '[]\n')
    assert.is(missing.stderr, 'Error: inspecting object: no such object: "nosuch"\n')
  } finally {
    t.cleanup()
  }
})

test('rmi: Untagged/Deleted lines; missing images exit 1; several names by ID need -f (125)', async () => {
  const t = tempStore()
  try {
    const img = await addTestImage(t.store, { names: ['localhost/a:latest', 'localhost/b:latest'], layers: [{ a: '1' }] })
    assert.is(cocker(t.root, ['rmi', 'nosuch'], 1).stderr, 'Error: nosuch: image not known\n')
    assert.is(cocker(t.root, ['rmi', 'x1', 'x2'], 1).stderr, 'Error: 2 errors occurred:\n\t* x1: image not known\n\t* x2: image not known\n')
    assert.match(cocker(t.root, ['rmi', img.id.slice(0, 12)], 125).stderr, /by ID with more than one tag \(\[localhost\/a:latest localhost\/b:latest\]\): please force removal/)
    assert.is(cocker(t.root, ['rmi', 'b'], 0).stdout, 'Untagged: localhost/b:latest\n')
    assert.is(cocker(t.root, ['image', 'rm', 'a'], 0).stdout, `Untagged: localhost/a:latest\nDeleted: ${img.id}\n`)
    assert.is(cocker(t.root, ['rmi', '-a'], 0).stdout, '')
    assert.is(cocker(t.root, ['rmi'], 125).stderr, 'Error: image name or ID must be specified\n')
  } finally {
    t.cleanup()
  }
})

test('image prune, system df, system reset (asks unless -f), system check', async () => {
  const t = tempStore()
  try {
    const old = await addTestImage(t.store, { names: ['x'], layers: [{ a: 'x'.repeat(22660) }] })
    await addTestImage(t.store, { names: ['x'], layers: [{ a: 'y' }] })
    assert.is(cocker(t.root, ['system', 'df'], 0).stdout, [
      'TYPE           TOTAL       ACTIVE      SIZE        RECLAIMABLE',
      'Images         2           0           22.66kB     22.66kB (100%)',
      'Containers     0           0           0B          0B (0%)',
      'Local Volumes  0           0           0B          0B (0%)',
      '',
    ].join('\n'))
    assert.match(cocker(t.root, ['image', 'prune'], 0, 'n\n').stdout, /removes all dangling images\.\nAre you sure you want to continue\? \[y\/N\] $/)
    assert.is(cocker(t.root, ['image', 'prune', '-f'], 0).stdout, `${old.id}\n`)
    assert.is(cocker(t.root, ['system', 'check'], 0).stdout, '')
    await t.store.layers.create('c'.repeat(64), { diffId: 'sha256:c' }, async () => ({ size: 0 }))
    const damaged = cocker(t.root, ['system', 'check', '--max', '0s'], 125)
    assert.match(damaged.stdout, new RegExp(`^Damaged layer ${'c'.repeat(64)}:\n1 error occurred:\n\t\\* no image uses the layer\n`))
    assert.is(damaged.stderr, 'Error: damage detected in local storage\n')
    assert.match(cocker(t.root, ['system', 'check', '--max', '0s', '--repair'], 0).stdout, /Deleted damaged layer: c{64}\n/)
    cocker(t.root, ['system', 'reset'], 0, 'n\n')
    assert.is(t.store.images.list().length, 1)
    cocker(t.root, ['system', 'reset', '-f'], 0)
    assert.is(t.store.images.list().length, 0)
  } finally {
    t.cleanup()
  }
})

// Only rootless: root may write anywhere that is not read-only.
cockerScenario('a store where the user may not write: one line naming the path and what to do, no bug report', async mode => {
  const notYours = makeTempDir('cocker-not-yours-')
  chmodSync(notYours, 0o555) // not the user's to write, whether root or the user made it
  const r = await cockerAs({ ...mode, root: `${notYours}/store` }, ['load', '-i', '/dev/null'], { status: 125 })
  assert.match(r.stderr, new RegExp(`^Error: cannot mkdir ${notYours}/store\\S*: permission denied; check the owner and mode of that path, or choose a place of yours \\(--root\\)\n$`))
  // and the store the user owns still works
  await loadBusybox(mode)
}, ['rootless'])

test.run()
