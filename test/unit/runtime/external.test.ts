import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveOciRuntime } from '../../../lib/runtime/external.js'
import { makeTempDir } from '../../fixtures/bundle.js'
import { throwsCode } from '../../support/assert.js'

/** An executable file at dir/name. */
function fakeRuntime(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, name)
  writeFileSync(file, '#!/bin/sh\n')
  chmodSync(file, 0o755)
  return file
}

test('no choice, or "cocker": cocker\'s own runtime', () => {
  assert.is(resolveOciRuntime(undefined, { env: {} }), undefined)
  assert.is(resolveOciRuntime('cocker', { env: {} }), undefined)
})

test('a name: containers.conf\'s [engine.runtimes] first, then $PATH; named as given', () => {
  const dir = makeTempDir('cocker-rt-')
  const onPath = fakeRuntime(path.join(dir, 'bin'), 'myrt')
  const listed = fakeRuntime(path.join(dir, 'opt'), 'myrt')
  assert.equal(resolveOciRuntime('myrt', { env: { PATH: path.join(dir, 'bin') } }), { name: 'myrt', path: onPath })
  assert.equal(resolveOciRuntime('myrt', { env: { PATH: path.join(dir, 'bin') }, runtimes: { myrt: ['/no/such', listed] } }), { name: 'myrt', path: listed })
})

test('a path: that file, named by its base name', () => {
  const file = fakeRuntime(makeTempDir('cocker-rt-'), 'crun')
  assert.equal(resolveOciRuntime(file, { env: {} }), { name: 'crun', path: file })
  throwsCode(() => resolveOciRuntime('/no/such/runc', { env: {} }), 'RUNTIME_NOT_FOUND',
    '--runtime /no/such/runc: OCI runtime not found: /no/such/runc is not an executable file')
})

test('an unknown name: one line that says where it was looked for', () => {
  throwsCode(() => resolveOciRuntime('nosuch', { env: { PATH: '/nonexistent' }, what: 'containers.conf runtime' }), 'RUNTIME_NOT_FOUND',
    'containers.conf runtime nosuch: OCI runtime "nosuch" not found in $PATH or containers.conf\'s [engine.runtimes]')
})

test.run()
