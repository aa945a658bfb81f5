import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { monitorNotify, takeNotifySocket, withNotify } from '../../../lib/systemd/notify.js'
import type { Spec } from '../../../lib/runtime/oci-spec.js'

test('takeNotifySocket: the variable once, gone from the environment children inherit', () => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/user/1000/systemd/notify', PATH: '/bin' }
  assert.is(takeNotifySocket(env), '/run/user/1000/systemd/notify')
  assert.equal(env, { PATH: '/bin' })
  assert.is(takeNotifySocket(env), undefined, 'the second container of one command is not the unit\'s main process')
  assert.is(takeNotifySocket({ NOTIFY_SOCKET: '' }), undefined)
})

test('monitorNotify: nothing without systemd but for container, whose socket the bind mount needs', () => {
  assert.is(monitorNotify('conmon', undefined, '/u'), undefined)
  assert.is(monitorNotify('healthy', undefined, '/u'), undefined)
  assert.is(monitorNotify('ignore', '@sd', '/u'), undefined)
  assert.equal(monitorNotify('conmon', '@sd', '/u'), { socket: '@sd', mode: 'conmon', proxyDir: '' })
  assert.equal(monitorNotify('healthy', '/s', '/u'), { socket: '/s', mode: 'healthy', proxyDir: '' })
  assert.equal(monitorNotify('container', undefined, '/u'), { socket: '', mode: 'container', proxyDir: '/u/notify' })
})

const SPEC: Spec = { ociVersion: '1.0.2', process: { cwd: '/', user: { uid: 0, gid: 0 }, args: ['sh'], env: ['PATH=/bin', 'NOTIFY_SOCKET=/leaked'] }, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }] }

test('withNotify: only --sdnotify container gets NOTIFY_SOCKET and the socket\'s directory', () => {
  const plain = withNotify(SPEC, 'conmon', '/u')
  assert.equal(plain.process?.env, ['PATH=/bin'])
  assert.equal(plain.mounts, SPEC.mounts)
  const passed = withNotify(SPEC, 'container', '/u')
  assert.equal(passed.process?.env, ['PATH=/bin', 'NOTIFY_SOCKET=/run/notify/notify.sock'])
  assert.equal(passed.mounts?.at(-1), { destination: '/run/notify', type: 'bind', source: '/u/notify', options: ['bind', 'rw', 'nosuid', 'nodev', 'noexec'] })
})

test.run()
