import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isRootless, realUid } from '../../../lib/rootless/identity.js'
import { storePaths, storeRoot } from '../../../lib/storage/paths.js'
import { runAsRoot, testAsRoot } from '../../support/namespace-root.js'

// Root's store, and the rootless user's seen from inside its user namespace, are decided
// by euid 0: as another user this file runs as root of a user namespace it makes.
runAsRoot()

testAsRoot('root: /var/lib/cocker; a user: XDG_DATA_HOME, else ~/.local/share', () => {
  assert.is(storeRoot({ env: { _COCKER_USERNS_UID: '0' } }), '/var/lib/cocker')
  assert.is(storeRoot({ env: { _COCKER_USERNS_UID: '1000', HOME: '/home/u' } }), '/home/u/.local/share/cocker')
  assert.is(storeRoot({ env: { _COCKER_USERNS_UID: '1000', HOME: '/home/u', XDG_DATA_HOME: '/data' } }), '/data/cocker')
})

testAsRoot('inside the rootless user namespace (euid 0, _COCKER_USERNS_UID set) the store stays the user\'s', () => {
  const env = { _COCKER_USERNS_UID: '1000', HOME: '/home/u' }
  assert.is(realUid(env), 1000)
  assert.ok(isRootless(env))
  assert.is(storeRoot({ env }), '/home/u/.local/share/cocker')
  // there uid 0's home would be root's: cocker hands HOME down (cli/main.ts), else says so
  assert.throws(() => storeRoot({ env: { _COCKER_USERNS_UID: '1000' } }), /^HOME is not set: cannot locate the rootless store/)
})

test('--root beats COCKER_STORAGE_ROOT beats the default', () => {
  assert.is(storeRoot({ root: '/r', env: { COCKER_STORAGE_ROOT: '/e' } }), '/r')
  assert.is(storeRoot({ env: { COCKER_STORAGE_ROOT: '/e', _COCKER_USERNS_UID: '0' } }), '/e')
})

test('layout', () => {
  const p = storePaths('/s')
  assert.equal([p.blobs, p.layers, p.links, p.tmp, p.metadata, p.lock], ['/s/blobs/sha256', '/s/layers', '/s/l', '/s/tmp', '/s/storage.json', '/s/storage.lock'])
})

test.run()
