// The rootless network namespace's bookkeeping without a kernel: a container's config.json
// pointed at the holder's user namespace and back to one of its own; processes recognised by
// their command line naming our file, never by a pid alone.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { holderPid, mountedInHolder, pointUserNamespace } from '../../../../lib/network/bridge/rootless-netns.js'
import { makeTempDir } from '../../../fixtures/bundle.js'

const maps = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }]
const config = (bundle: string) => JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'))

test('a container on a bridge network joins the holder\'s user namespace, without maps; off it, it has its own again', () => {
  const bundle = makeTempDir()
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({
    linux: { namespaces: [{ type: 'network' }, { type: 'user' }, { type: 'mount' }], uidMappings: maps, gidMappings: maps },
  }))
  pointUserNamespace(bundle, 4242)
  assert.equal(config(bundle).linux, { namespaces: [{ type: 'network' }, { type: 'mount' }, { type: 'user', path: '/proc/4242/ns/user' }] })
  pointUserNamespace(bundle, 4343)
  assert.equal(config(bundle).linux.namespaces.filter((n: { type: string }) => n.type === 'user'), [{ type: 'user', path: '/proc/4343/ns/user' }])
  pointUserNamespace(bundle, undefined)
  const back = config(bundle).linux
  assert.equal(back.namespaces, [{ type: 'network' }, { type: 'mount' }, { type: 'user' }])
  assert.ok(Array.isArray(back.uidMappings) && back.uidMappings.length > 0 && Array.isArray(back.gidMappings))
})

test('a container that never joined one keeps its config.json as it is', () => {
  const bundle = makeTempDir()
  const text = JSON.stringify({ linux: { namespaces: [{ type: 'user' }], uidMappings: maps, gidMappings: maps } })
  writeFileSync(path.join(bundle, 'config.json'), text)
  pointUserNamespace(bundle, undefined)
  assert.is(readFileSync(path.join(bundle, 'config.json'), 'utf8'), text)
})

test('a holder pid file naming a process whose command line does not name the file is no holder', () => {
  const runDir = makeTempDir()
  const p = { runDir, rootless: true }
  assert.is(holderPid(p), undefined)
  const dir = path.join(runDir, 'rootless-netns')
  process.getBuiltinModule('node:fs').mkdirSync(dir)
  // our own pid: a live process, but not a cocker-infra started with this file
  writeFileSync(path.join(dir, 'holder.pid'), `${process.pid}\n`)
  assert.is(holderPid(p), undefined)
  assert.is(mountedInHolder(process.pid, path.join(runDir, 'netns', 'x')), false)
})

test.run()
