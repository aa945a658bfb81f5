// auto-update's policies and references, and the systemd unit a container is made by.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkUpdatableReference, lookupPolicy } from '../../../lib/container/auto-update.js'
import { serviceOfCgroup, systemdUnitLabels } from '../../../lib/container/systemd-unit.js'

test('policies as Podman 4.3 names them: image is registry, empty is disabled; another is an error listing them', () => {
  assert.is(lookupPolicy('registry'), 'registry')
  assert.is(lookupPolicy('image'), 'registry')
  assert.is(lookupPolicy('local'), 'local')
  assert.is(lookupPolicy(''), 'disabled')
  assert.is(lookupPolicy('disabled'), 'disabled')
  assert.throws(() => lookupPolicy('Registry'), /invalid auto-update policy "Registry": valid policies are "disabled", "image", "local", "registry"$/)
})

test('the registry policy needs a reference that names its registry and no digest', () => {
  checkUpdatableReference('quay.io/podman/stable:latest')
  checkUpdatableReference('127.0.0.1:5000/app')
  checkUpdatableReference('localhost/app:1')
  assert.throws(() => checkUpdatableReference('alpine'), /fully-qualified image references: "alpine" names no registry/)
  assert.throws(() => checkUpdatableReference('library/alpine:3'), /names no registry/)
  assert.throws(() => checkUpdatableReference(`quay.io/a/b@sha256:${'a'.repeat(64)}`), /without digest/)
})

test('the unit: PODMAN_SYSTEMD_UNIT first; under NOTIFY_SOCKET the service of our cgroup; nothing otherwise', () => {
  assert.equal(systemdUnitLabels({ PODMAN_SYSTEMD_UNIT: 'web.service', NOTIFY_SOCKET: '/run/x' }), { PODMAN_SYSTEMD_UNIT: 'web.service' })
  assert.equal(systemdUnitLabels({}), {})
  assert.is(serviceOfCgroup('0::/user.slice/user-1000.slice/user@1000.service/app.slice/web.service\n'), 'web.service')
  assert.is(serviceOfCgroup('0::/system.slice/container-db@1.service\n'), 'container-db@1.service')
  assert.is(serviceOfCgroup('12:pids:/x\n1:name=systemd:/system.slice/old.service\n'), 'old.service')
  assert.is(serviceOfCgroup('0::/user.slice/user-1000.slice/session-3.scope\n'), undefined)
  assert.is(serviceOfCgroup(''), undefined)
})

test.run()
