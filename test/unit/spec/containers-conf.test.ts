// What containers.conf's [containers] defaults (RunOptions.defaults, umask, timezone, as
// lib/cli/commands/run-options.ts fills them) do to the OCI config, each under the flags.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CAPABILITIES } from '../../../lib/runtime/linux.js'
import type { Spec } from '../../../lib/runtime/oci-spec.js'
import { buildContainerConfig } from '../../../lib/spec/oci-config.js'
import { defaultRunOptions, type ContainerDefaults, type RunOptions } from '../../../lib/spec/run-options.js'

const ROOTLESS_MAP = [{ containerID: 0, hostID: 1000, size: 1 }]

function spec(options: Partial<RunOptions>, defaults: Partial<ContainerDefaults> = {}, o: { env?: string[]; rootless?: boolean } = {}): Spec {
  const base = defaultRunOptions()
  return buildContainerConfig({
    image: { config: { Cmd: ['sh'], Env: o.env }, os: 'linux', architecture: 'amd64' },
    options: { ...base, ...options, defaults: { ...base.defaults, ...defaults } },
    rootfs: '/r', readFile: () => undefined, containerId: 'c'.repeat(64), userdataDir: '/u', arch: 'x64',
    host: { hardLimits: {}, resolvConf: '', hosts: '', hostname: 'h', capabilities: [...CAPABILITIES], mqueue: true },
    ...(o.rootless ? { rootless: { uidMappings: ROOTLESS_MAP, gidMappings: ROOTLESS_MAP } } : {}),
  }).spec
}
const envOf = (s: Spec) => s.process!.env!.filter(e => !/^(HOME|HOSTNAME)=/.test(e))

test('env: over podman\'s PATH, TERM and container=podman, under the image\'s Env and -e', () => {
  const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  assert.equal(envOf(spec({}, { env: ['A=conf', 'B=conf'] })), [PATH, 'TERM=xterm', 'container=podman', 'A=conf', 'B=conf'])
  assert.equal(envOf(spec({ env: ['B=flag'] }, { env: ['A=conf', 'B=conf', 'C=conf'] }, { env: ['A=image', 'B=image'] })),
    [PATH, 'TERM=xterm', 'container=podman', 'A=image', 'B=flag', 'C=conf'])
  assert.equal(envOf(spec({}, { env: ['container=other', 'TERM=vt100'] })), [PATH, 'TERM=vt100', 'container=other'])
})

test('umask: the process\'s', () => {
  assert.is(spec({}).process!.user.umask, 0o022)
  assert.is(spec({ umask: 0o077 }).process!.user.umask, 0o077)
})

test('default_capabilities: the base set that --cap-add and --cap-drop change', () => {
  const caps = spec({}, { capabilities: ['CAP_CHOWN', 'CAP_KILL'] }).process!.capabilities!
  assert.equal(caps.bounding, ['CAP_CHOWN', 'CAP_KILL'])
  assert.equal(caps.effective, ['CAP_CHOWN', 'CAP_KILL'])
  assert.equal(spec({ capAdd: ['CAP_NET_RAW'], capDrop: ['CAP_KILL'] }, { capabilities: ['CAP_CHOWN', 'CAP_KILL'] }).process!.capabilities!.bounding,
    ['CAP_CHOWN', 'CAP_NET_RAW'])
})

test('default_sysctls: replaced as a whole, --sysctl over them by key, left out where the namespace is the host\'s', () => {
  const defaults = { sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '20' } }
  assert.equal(spec({}, defaults).linux!.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '20' })
  assert.equal(spec({ sysctls: { 'net.ipv4.ip_forward': '0' } }, defaults).linux!.sysctl, { 'net.ipv4.ip_forward': '0', 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '20' })
  assert.equal(spec({ network: { mode: 'host' } }, defaults).linux!.sysctl, { 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '20' })
  assert.equal(spec({ ipc: { mode: 'host' } }, defaults).linux!.sysctl, { 'net.ipv4.ip_forward': '1' })
  assert.equal(spec({}, { sysctls: {} }).linux!.sysctl, {})
})

test('pids_limit: the default limit as root; 0 is none; --pids-limit over it; none rootless', () => {
  assert.equal(spec({}, { pidsLimit: 100 }).linux!.resources!.pids, { limit: 100 })
  assert.is(spec({}, { pidsLimit: 0 }).linux!.resources!.pids, undefined)
  assert.equal(spec({ pidsLimit: 7 }, { pidsLimit: 100 }).linux!.resources!.pids, { limit: 7 })
  assert.is(spec({}, { pidsLimit: 100 }, { rootless: true }).linux!.resources, undefined)
})

test('tz: the zone file bound read-only on /etc/localtime; a -v there wins', () => {
  const timezone = { name: 'Asia/Tokyo', file: '/usr/share/zoneinfo/Asia/Tokyo' }
  assert.equal(spec({ timezone }).mounts!.filter(m => m.destination === '/etc/localtime'),
    [{ destination: '/etc/localtime', type: 'bind', source: '/usr/share/zoneinfo/Asia/Tokyo', options: ['bind', 'ro', 'rprivate'] }])
  assert.is(spec({}).mounts!.some(m => m.destination === '/etc/localtime'), false)
  const own = spec({ timezone, mounts: [{ type: 'bind', source: '/tz', destination: '/etc/localtime', options: ['rbind'] }] })
  assert.equal(own.mounts!.filter(m => m.destination === '/etc/localtime').map(m => m.source), ['/tz'])
})

test('no_hosts: no /etc/hosts of cocker\'s, the image\'s stays', () => {
  assert.is(spec({}).mounts!.some(m => m.destination === '/etc/hosts'), true)
  assert.is(spec({ noHosts: true }).mounts!.some(m => m.destination === '/etc/hosts'), false)
})

test.run()
