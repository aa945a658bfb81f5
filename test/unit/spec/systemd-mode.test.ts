import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CAPABILITIES } from '../../../lib/runtime/linux.js'
import type { Mount, Spec } from '../../../lib/runtime/oci-spec.js'
import type { HostFacts } from '../../../lib/spec/host.js'
import type { ImageRunConfig } from '../../../lib/spec/image-config.js'
import { buildContainerConfig, type ContainerConfig, type ContainerConfigInput } from '../../../lib/spec/oci-config.js'
import { defaultRunOptions, type RunOptions } from '../../../lib/spec/run-options.js'
import { parseSystemdFlag, systemdMode, systemdSetup, type SystemdFlag } from '../../../lib/spec/systemd-mode.js'
import { throwsCode } from '../../support/assert.js'

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
const UUID = ID.slice(0, 32)
const TMPFS = ['/run', '/run/lock', '/tmp', '/var/log/journal']

// ---- which commands are systemd's ----

const MODES: [SystemdFlag, string[], boolean][] = [
  ['true', ['/sbin/init'], true],
  ['true', ['/usr/sbin/init'], true],
  ['true', ['/usr/local/sbin/init'], true],
  ['true', ['systemd'], true],
  ['true', ['/lib/systemd/systemd', '--log-level=debug'], true],
  ['true', ['/usr/lib/systemd/systemd'], true],
  ['true', ['/bin/sh', '-c', '/sbin/init'], true],
  ['true', ['/bin/sh', '-c', 'exec /sbin/init'], false],
  ['true', ['/bin/sh', '-c'], false],
  ['true', ['init'], false],
  ['true', ['/bin/init'], false],
  ['true', ['/usr/bin/systemd-run'], false],
  ['true', ['/bin/bash'], false],
  ['true', [], false],
  ['false', ['/sbin/init'], false],
  ['false', ['/usr/lib/systemd/systemd'], false],
  ['always', ['/bin/sleep', '1000'], true],
  ['always', [], true],
]

for (const [flag, args, expected] of MODES) {
  test(`--systemd=${flag} ${JSON.stringify(args)}: ${expected ? 'systemd mode' : 'not'}`, () => {
    assert.is(systemdMode(flag, args), expected)
  })
}

test('--systemd takes true, false or always, and names the value otherwise', () => {
  for (const v of ['true', 'false', 'always']) assert.is(parseSystemdFlag(v), v)
  const err = throwsCode(() => parseSystemdFlag('yes'), 'INVALID_ARGUMENT')
  assert.is(err.message, '--systemd yes: expected true, false or always')
})

// ---- what systemd mode adds ----

test('setup: tmpfs on /run, /run/lock, /tmp, /var/log/journal; container_uuid; a machine id in the layer', () => {
  const s = systemdSetup({ containerId: ID, taken: new Set(), env: ['PATH=/bin', 'container=podman'], imageMachineId: undefined, readOnlyRoot: false })
  assert.equal(s.mounts.map(m => m.destination), TMPFS)
  for (const m of s.mounts) assert.equal(m, { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] })
  assert.equal(s.env, [`container_uuid=${UUID}`])
  assert.equal(s.machineId, { content: `${UUID}\n`, bind: false })
})

test('setup: the user\'s mounts, container_uuid and the image\'s machine id are kept', () => {
  const s = systemdSetup({ containerId: ID, taken: new Set(['/tmp', '/run/lock']), env: ['container_uuid=mine'], imageMachineId: 'f00dfeedf00dfeedf00dfeedf00dfeed\n', readOnlyRoot: false })
  assert.equal(s.mounts.map(m => m.destination), ['/run', '/var/log/journal'])
  assert.equal(s.env, [])
  assert.is(s.machineId, undefined)
  const mounted = systemdSetup({ containerId: ID, taken: new Set(['/etc/machine-id']), env: [], imageMachineId: undefined, readOnlyRoot: false })
  assert.is(mounted.machineId, undefined)
})

test('setup: an empty machine-id is none; a read-only root gets the file bound', () => {
  const s = systemdSetup({ containerId: ID, taken: new Set(), env: [], imageMachineId: '\n', readOnlyRoot: true })
  assert.equal(s.machineId, { content: `${UUID}\n`, bind: true })
})

// ---- in the container's config ----

const HOST: HostFacts = {
  hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: Infinity }, resolvConf: 'nameserver 127.0.0.53\n', hosts: '127.0.0.1 localhost\n',
  hostname: 'builder', capabilities: [...CAPABILITIES], mqueue: true,
}

function build(options: Partial<RunOptions> = {}, image: ImageRunConfig = { Cmd: ['/sbin/init'] }, extra: Partial<ContainerConfigInput> = {}): ContainerConfig {
  return buildContainerConfig({
    image: { config: image, os: 'linux', architecture: 'amd64' }, imageName: 'debian',
    options: { ...defaultRunOptions(), ...options }, rootfs: '/store/c1/merged', readFile: () => undefined,
    containerId: ID, name: 'c1', userdataDir: '/run/cocker/c1', host: HOST, arch: 'x64', cgroupVersion: 'v1', ...extra,
  })
}
const mount = (s: Spec, d: string): Mount | undefined => s.mounts!.find(m => m.destination === d)
const stopSignal = (c: ContainerConfig) => c.spec.annotations!['org.opencontainers.image.stopSignal']

test('config: the image\'s /sbin/init runs in systemd mode by default', () => {
  const c = build()
  const dests = c.spec.mounts!.map(m => m.destination)
  for (const d of TMPFS) assert.is(mount(c.spec, d)!.type, 'tmpfs', d)
  // parents first, and /run before the files bound into it
  assert.ok(dests.indexOf('/run') < dests.indexOf('/run/lock'))
  assert.ok(dests.indexOf('/run') < dests.indexOf('/run/.containerenv'))
  assert.ok(c.spec.process!.env!.includes(`container_uuid=${UUID}`))
  assert.ok(c.spec.process!.env!.includes('container=podman'))
  assert.is(stopSignal(c), '37')
  assert.equal(c.layerFiles, [{ path: '/etc/machine-id', content: `${UUID}\n`, mode: 0o444 }])
  assert.is(mount(c.spec, '/etc/machine-id'), undefined)
})

test('config: a writable cgroup tree in a cgroup namespace of its own, on v1 too', () => {
  for (const cgroupVersion of ['v1', 'v2'] as const) {
    const s = build({}, undefined, { cgroupVersion }).spec
    assert.ok(s.linux!.namespaces!.some(n => n.type === 'cgroup' && !n.path), cgroupVersion)
    assert.not.ok(mount(s, '/sys/fs/cgroup')!.options!.includes('ro'), cgroupVersion)
  }
  const off = build({ systemd: 'false' }).spec
  assert.not.ok(off.linux!.namespaces!.some(n => n.type === 'cgroup'))
  assert.ok(mount(off, '/sys/fs/cgroup')!.options!.includes('ro'))
})

test('config: --systemd=false gives none of it', () => {
  const c = build({ systemd: 'false' })
  for (const d of TMPFS) assert.is(mount(c.spec, d), undefined, d)
  assert.not.ok(c.spec.process!.env!.some(e => e.startsWith('container_uuid=')))
  assert.is(stopSignal(c), '15')
  assert.equal(c.layerFiles, [])
})

test('config: the stop signal is --stop-signal\'s, else the image\'s, else SIGRTMIN+3', () => {
  assert.is(stopSignal(build({ stopSignal: 'TERM' })), '15')
  assert.is(stopSignal(build({}, { Cmd: ['/sbin/init'], StopSignal: 'SIGINT' })), '2')
  assert.is(stopSignal(build({ systemd: 'always', command: ['sleep', '1'] })), '37')
})

test('config: with --read-only the machine id is bound, and /run, /tmp stay single tmpfs mounts', () => {
  const c = build({ readOnly: true })
  assert.equal(c.layerFiles, [])
  assert.is(mount(c.spec, '/etc/machine-id')!.source, '/run/cocker/c1/machine-id')
  assert.ok(c.files.some(f => f.path === '/run/cocker/c1/machine-id' && f.content === `${UUID}\n`))
  const dests = c.spec.mounts!.map(m => m.destination)
  for (const d of ['/run', '/tmp']) assert.is(dests.filter(x => x === d).length, 1, d)
})

test('config: the user\'s tmpfs on /tmp is theirs; --init still sees systemd as the command', () => {
  const s = build({ mounts: [{ type: 'tmpfs', destination: '/tmp', options: ['rw', 'size=1m'] }] }).spec
  assert.equal(s.mounts!.filter(m => m.destination === '/tmp').map(m => m.options), [['rw', 'size=1m']])
  const withInit = build({ init: true }, undefined, { init: '/usr/libexec/cocker/cocker-init' })
  assert.is(stopSignal(withInit), '37')
})

test.run()
