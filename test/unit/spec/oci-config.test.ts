import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compilePlan, type PlanContext } from '../../../lib/runtime/compile.js'
import { CAPABILITIES } from '../../../lib/runtime/linux.js'
import type { Device, Mount, Spec } from '../../../lib/runtime/oci-spec.js'
import { encodePlan } from '../../../lib/runtime/protocol.js'
import { validateConfig } from '../../../lib/runtime/schema/validate.js'
import { compileSeccomp } from '../../../lib/runtime/seccomp.js'
import type { HostFacts } from '../../../lib/spec/host.js'
import type { ImageRunConfig } from '../../../lib/spec/image-config.js'
import { buildContainerConfig, type ContainerConfig, type ContainerConfigInput } from '../../../lib/spec/oci-config.js'
import { defaultRunOptions, type RunOptions } from '../../../lib/spec/run-options.js'
import { throwsCode } from '../../support/assert.js'
import { PODMAN_5_CAPABILITIES, PODMAN_MASKED_PATHS, PODMAN_READONLY_PATHS } from '../../support/podman-defaults.js'

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
const HOST: HostFacts = {
  hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: Infinity },
  resolvConf: 'search example.org\nnameserver 127.0.0.53\n',
  hosts: '127.0.0.1 localhost\n10.0.0.5 builder\n',
  hostname: 'builder',
  capabilities: [...CAPABILITIES],
  mqueue: true,
}
const FILES: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nalice:x:1001:1002:Alice:/home/alice:/bin/sh\n',
  '/etc/group': 'root:x:0:\nstaff:x:1002:\nwheel:x:10:alice\n',
}
const ROOTLESS = {
  uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
  gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
}

function build(options: Partial<RunOptions> = {}, image: ImageRunConfig = { Cmd: ['/bin/sh'] },
  extra: Partial<ContainerConfigInput> = {}): ContainerConfig {
  return buildContainerConfig({
    image: { config: image, os: 'linux', architecture: 'amd64' },
    imageName: 'busybox',
    options: { ...defaultRunOptions(), ...options },
    rootfs: '/var/lib/cocker/containers/c1/merged',
    readFile: p => FILES[p],
    containerId: ID,
    name: 'c1',
    userdataDir: '/run/cocker/c1',
    host: HOST,
    arch: 'x64',
    ...extra,
  })
}
const spec = (...a: Parameters<typeof build>) => build(...a).spec
const mount = (s: Spec, destination: string): Mount | undefined => s.mounts!.find(m => m.destination === destination)
const env = (s: Spec, key: string) => s.process!.env!.filter(e => e.startsWith(`${key}=`)).map(e => e.slice(key.length + 1))

// ---- command line ----

const ARGS: [string, ImageRunConfig, Partial<RunOptions>, string[]][] = [
  ['Cmd alone', { Cmd: ['/bin/sh'] }, {}, ['/bin/sh']],
  ['Entrypoint + Cmd', { Entrypoint: ['/init'], Cmd: ['--serve'] }, {}, ['/init', '--serve']],
  ['args replace Cmd', { Entrypoint: ['/init'], Cmd: ['--serve'] }, { command: ['--help'] }, ['/init', '--help']],
  ['args without Entrypoint', { Cmd: ['/bin/sh'] }, { command: ['echo', 'hi'] }, ['echo', 'hi']],
  ['--entrypoint drops Cmd', { Entrypoint: ['/init'], Cmd: ['--serve'] }, { entrypoint: ['/bin/echo'] }, ['/bin/echo']],
  ['--entrypoint + args', { Cmd: ['/bin/sh'] }, { entrypoint: ['/bin/echo', 'a'], command: ['b'] }, ['/bin/echo', 'a', 'b']],
  ["--entrypoint '' + args", { Entrypoint: ['/init'], Cmd: ['x'] }, { entrypoint: [], command: ['ls'] }, ['ls']],
  ['null Cmd', { Entrypoint: ['/init'], Cmd: null }, {}, ['/init']],
]
for (const [what, image, options, expected] of ARGS) {
  test(`args: ${what}`, () => assert.equal(spec(options, image).process!.args, expected))
}

test('args: nothing to run is an error naming the image', () => {
  throwsCode(() => build({}, {}), 'INVALID_ARGUMENT', /no command or entrypoint provided, and no CMD or ENTRYPOINT from image busybox/)
  throwsCode(() => build({ entrypoint: [] }, { Cmd: ['/bin/sh'] }), 'INVALID_ARGUMENT', /no command or entrypoint/)
})

// ---- environment ----

test('env: podman defaults, then the image, then -e; HOME and HOSTNAME last', () => {
  const s = spec({ env: ['X=1', 'FOO=override'] }, { Cmd: ['sh'], Env: ['FOO=bar', 'PATH=/opt/bin'] })
  assert.equal(s.process!.env, ['PATH=/opt/bin', 'TERM=xterm', 'container=podman', 'FOO=override', 'X=1', 'HOME=/root',
    `HOSTNAME=${ID.slice(0, 12)}`])
})

test('env: PATH defaults when the image has none; -e may set HOME and HOSTNAME', () => {
  const s = spec({ env: ['HOME=/x', 'HOSTNAME=h'] })
  assert.equal(env(s, 'PATH'), ['/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'])
  assert.equal(env(s, 'HOME'), ['/x'])
  assert.equal(env(s, 'HOSTNAME'), ['h'])
})

test('env: TERM=xterm with or without -t; -t sets terminal', () => {
  assert.equal(env(spec(), 'TERM'), ['xterm'])
  assert.is(spec().process!.terminal, false)
  assert.is(spec({ tty: true }).process!.terminal, true)
})

// ---- user ----

test('user: the image User, overridden by --user', () => {
  const s = spec({}, { Cmd: ['sh'], User: 'alice' })
  assert.equal(s.process!.user, { uid: 1001, gid: 1002, umask: 0o022, additionalGids: [1002, 10] })
  assert.equal(env(s, 'HOME'), ['/home/alice'])
  assert.equal(spec({ user: '0' }, { Cmd: ['sh'], User: 'alice' }).process!.user.uid, 0)
})

test('user: none given is root without additional groups', () => {
  assert.equal(spec().process!.user, { uid: 0, gid: 0, umask: 0o022 })
})

test('user: an unknown name is an error', () => {
  throwsCode(() => build({ user: 'bob' }), 'INVALID_ARGUMENT', 'unable to find user bob: no matching entries in passwd file')
})

test('user: an unknown uid gets HOME=/', () => {
  assert.equal(env(spec({ user: '4242' }), 'HOME'), ['/'])
})

// ---- working directory, hostname ----

test('cwd: -w, else WorkingDir, else /', () => {
  assert.is(spec().process!.cwd, '/')
  assert.is(spec({}, { Cmd: ['sh'], WorkingDir: '/app' }).process!.cwd, '/app')
  assert.is(spec({ workdir: '/tmp' }, { Cmd: ['sh'], WorkingDir: '/app' }).process!.cwd, '/tmp')
})

test('hostname: the id prefix, -h, or the host\'s with --network host or --uts host', () => {
  assert.is(spec().hostname, ID.slice(0, 12))
  assert.is(spec({}, undefined, { hostname: 'given' }).hostname, 'given')
  assert.is(spec({ hostname: 'web' }).hostname, 'web')
  assert.is(spec({ network: { mode: 'host' } }).hostname, 'builder')
  const uts = build({ uts: { mode: 'host' } })
  assert.is(uts.spec.hostname, undefined)
  assert.is(uts.files.find(f => f.path.endsWith('/hostname'))!.content, 'builder\n')
})

// ---- /etc files ----

test('files: hostname, hosts and an empty .containerenv in userdataDir, bind-mounted; no resolv.conf without a network', () => {
  const { spec: s, files } = build({ hostname: 'web' })
  assert.equal(files.map(f => f.path), ['/run/cocker/c1/hostname', '/run/cocker/c1/hosts', '/run/cocker/c1/.containerenv'])
  assert.is(files[0].content, 'web\n')
  assert.match(files[1].content, /^127\.0\.0\.1\tlocalhost/)
  assert.match(files[1].content, /127\.0\.1\.1\tweb c1\n$/)
  assert.is(files[2].content, '')
  for (const [destination, name] of [['/etc/hostname', 'hostname'], ['/etc/hosts', 'hosts'], ['/run/.containerenv', '.containerenv']]) {
    assert.equal(mount(s, destination), { destination, type: 'bind', source: `/run/cocker/c1/${name}`, options: ['bind', 'rprivate'] })
  }
  assert.is(mount(s, '/etc/resolv.conf'), undefined)
})

test('files: --network host keeps the host\'s hosts and resolv.conf', () => {
  const { spec: s, files } = build({ network: { mode: 'host' } })
  assert.is(files[1].content, `${HOST.hosts}127.0.1.1\tbuilder c1\n`)
  assert.equal(files[2], { path: '/run/cocker/c1/resolv.conf', content: HOST.resolvConf })
  assert.equal(mount(s, '/etc/resolv.conf'),
    { destination: '/etc/resolv.conf', type: 'bind', source: '/run/cocker/c1/resolv.conf', options: ['bind', 'rprivate'] })
})

test('files: a joined network namespace gets a resolv.conf, the public fallback for a loopback-only host', () => {
  const { files } = build({ network: { mode: 'path', path: '/run/netns/x' } })
  // the host's only resolver is its own loopback: replaced by the public fallback, search kept
  assert.equal(files[2], { path: '/run/cocker/c1/resolv.conf', content: 'search example.org\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n' })
})

// ---- read-only, privileged, capabilities ----

test('--read-only: read-only root, writable tmpfs on /run /tmp /var/tmp, read-only /etc files', () => {
  const s = spec({ readOnly: true })
  assert.equal(s.root, { path: '/var/lib/cocker/containers/c1/merged', readonly: true })
  for (const d of ['/run', '/tmp', '/var/tmp']) assert.is(mount(s, d)?.type, 'tmpfs')
  assert.ok(mount(s, '/etc/hosts')!.options!.includes('ro'))
  assert.is(mount(spec({ readOnly: true, readOnlyTmpfs: false }), '/tmp'), undefined)
  assert.equal(spec().root, { path: '/var/lib/cocker/containers/c1/merged' })
})

test('capabilities: Podman 5\'s eleven for root (containers.conf default_capabilities), in all three sets', () => {
  const caps = spec().process!.capabilities!
  assert.equal(caps.bounding, PODMAN_5_CAPABILITIES)
  assert.equal(caps.effective, caps.bounding)
  assert.equal(caps.permitted, caps.bounding)
  assert.is(caps.ambient, undefined)
})

test('capabilities: --cap-add, --cap-drop, ALL', () => {
  const bounding = (o: Partial<RunOptions>) => spec(o).process!.capabilities!.bounding!
  assert.ok(bounding({ capAdd: ['CAP_NET_ADMIN'] }).includes('CAP_NET_ADMIN'))
  assert.not.ok(bounding({ capDrop: ['CAP_CHOWN'] }).includes('CAP_CHOWN'))
  assert.equal(bounding({ capDrop: ['ALL'] }), [])
  assert.equal(bounding({ capDrop: ['ALL'], capAdd: ['CAP_KILL'] }), ['CAP_KILL'])
  assert.equal(bounding({ capAdd: ['ALL'] }), [...CAPABILITIES])
  assert.equal(bounding({ capAdd: ['ALL'], capDrop: ['CAP_SYS_ADMIN'] }), CAPABILITIES.filter(c => c !== 'CAP_SYS_ADMIN'))
})

test('capabilities: only those the host can grant; a --cap-add it cannot is a warning', () => {
  const host = { ...HOST, capabilities: CAPABILITIES.filter(c => c !== 'CAP_SYS_RESOURCE') }
  const privileged = build({ privileged: true }, undefined, { host })
  assert.equal(privileged.spec.process!.capabilities!.bounding, host.capabilities)
  assert.equal(privileged.warnings, [])
  const added = build({ capAdd: ['CAP_SYS_RESOURCE', 'CAP_NET_ADMIN'] }, undefined, { host })
  const bounding = added.spec.process!.capabilities!.bounding!
  assert.ok(bounding.includes('CAP_NET_ADMIN'))
  assert.not.ok(bounding.includes('CAP_SYS_RESOURCE'))
  assert.equal(added.warnings, ['--cap-add CAP_SYS_RESOURCE: not in the bounding set cocker runs with, so the container runs without it'])
})

test('capabilities: a non-root user gets only what --cap-add names, as ambient too', () => {
  assert.equal(spec({ user: 'alice' }).process!.capabilities!.effective, [])
  const caps = spec({ user: 'alice', capAdd: ['CAP_NET_BIND_SERVICE'] }).process!.capabilities!
  for (const set of ['effective', 'permitted', 'inheritable', 'ambient'] as const) assert.equal(caps[set], ['CAP_NET_BIND_SERVICE'])
})

const DEVICES: Device[] = ['/dev/console', '/dev/kmsg', '/dev/ptmx', '/dev/tty', '/dev/tty1', '/dev/ttyS0', '/dev/vda']
  .map((p, i) => ({ path: p, type: p === '/dev/vda' ? 'b' : 'c', major: 1, minor: i, fileMode: 0o600, uid: 0, gid: 0 }))

test('--privileged: every capability, no seccomp, no masked or read-only paths, the host\'s devices in a /dev of its own', () => {
  const s = spec({ privileged: true }, undefined, { host: { ...HOST, devices: DEVICES } })
  assert.equal(s.process!.capabilities!.bounding, [...CAPABILITIES])
  assert.is(s.linux!.seccomp, undefined)
  assert.is(s.linux!.maskedPaths, undefined)
  assert.is(s.linux!.readonlyPaths, undefined)
  assert.equal(mount(s, '/dev'), mount(spec(), '/dev'))
  assert.is(mount(s, '/dev')!.type, 'tmpfs')
  assert.not.ok(mount(s, '/sys')!.options!.includes('ro'))
  assert.equal(s.linux!.resources!.devices, [{ allow: true, access: 'rwm' }])
  // the console and ptmx are the runtime's; rootless, as podman, none of the host's consoles or serial lines
  assert.equal(s.linux!.devices!.map(d => d.path), ['/dev/kmsg', '/dev/tty', '/dev/tty1', '/dev/ttyS0', '/dev/vda'])
  const rootless = spec({ privileged: true }, undefined, { host: { ...HOST, devices: DEVICES }, rootless: ROOTLESS })
  assert.equal(rootless.linux!.devices!.map(d => d.path), ['/dev/kmsg', '/dev/tty', '/dev/vda'])
  assert.is(spec({}, undefined, { host: { ...HOST, devices: DEVICES } }).linux!.devices, undefined)
})

test('/run/.containerenv: empty, and with --privileged podman\'s keys with cocker as the engine', () => {
  const extra = { imageRef: { name: 'docker.io/library/busybox:latest', id: 'f'.repeat(64) }, engineVersion: '1.2.3' }
  const content = (o: Partial<RunOptions>, more: Partial<ContainerConfigInput> = {}) =>
    build(o, undefined, { ...extra, ...more }).files.find(f => f.path.endsWith('/.containerenv'))!.content
  assert.is(content({}), '')
  assert.is(content({ privileged: true }), `engine="cocker-1.2.3"\nname="c1"\nid="${ID}"\n` +
    `image="docker.io/library/busybox:latest"\nimageid="${'f'.repeat(64)}"\nrootless=0\n`)
  assert.match(content({ privileged: true }, { rootless: ROOTLESS }), /\nrootless=1\n$/)
})

test('--init: the init bound read-only at /run/podman-init runs the command after "--"', () => {
  const s = spec({ init: true, command: ['echo', 'hi'] }, undefined, { init: '/opt/cocker/c/cocker-init' })
  assert.equal(s.process!.args, ['/run/podman-init', '--', 'echo', 'hi'])
  assert.equal(mount(s, '/run/podman-init'),
    { destination: '/run/podman-init', source: '/opt/cocker/c/cocker-init', type: 'bind', options: ['bind', 'rprivate', 'ro'] })
  assert.is(mount(spec({ command: ['echo'] }, undefined, { init: '/opt/cocker/c/cocker-init' }), '/run/podman-init'), undefined)
  assert.throws(() => spec({ init: true }))
})

test('masked and read-only paths: podman\'s, with --security-opt mask and unmask', () => {
  const s = spec()
  assert.equal(s.linux!.maskedPaths, PODMAN_MASKED_PATHS)
  assert.equal(s.linux!.readonlyPaths, PODMAN_READONLY_PATHS)
  const changed = spec({ mask: ['/proc/cpuinfo'], unmask: ['/proc/kcore', '/proc/sys'] }).linux!
  assert.ok(changed.maskedPaths!.includes('/proc/cpuinfo'))
  assert.not.ok(changed.maskedPaths!.includes('/proc/kcore'))
  assert.not.ok(changed.readonlyPaths!.includes('/proc/sys'))
  assert.equal(spec({ unmask: ['ALL'] }).linux!.maskedPaths, [])
})

// ---- seccomp, no-new-privileges ----

test('seccomp: podman\'s default profile, none when unconfined, the given one otherwise', () => {
  const s = spec()
  assert.is(s.linux!.seccomp!.defaultAction, 'SCMP_ACT_ERRNO')
  assert.is(s.linux!.seccomp!.defaultErrnoRet, 38)
  assert.is(spec({ seccomp: { kind: 'unconfined' } }).linux!.seccomp, undefined)
  const profile = { defaultAction: 'SCMP_ACT_ALLOW' as const }
  assert.equal(spec({ seccomp: { kind: 'profile', profile } }).linux!.seccomp, profile)
  assert.is(s.process!.noNewPrivileges, false)
  assert.is(spec({ noNewPrivileges: true }).process!.noNewPrivileges, true)
})

test('seccomp: the default profile follows the capabilities (chroot needs CAP_SYS_CHROOT)', () => {
  const rules = (o: Partial<RunOptions>) => spec(o).linux!.seccomp!.syscalls!.filter(r => r.names.includes('chroot')).map(r => r.action)
  assert.equal(rules({}), ['SCMP_ACT_ALLOW'])
  assert.equal(rules({ capDrop: ['CAP_SYS_CHROOT'] }), ['SCMP_ACT_ERRNO'])
})

// ---- rlimits ----

test('rlimits: NOFILE and NPROC raised to 1048576 but never above the caller\'s hard limit', () => {
  assert.equal(spec().process!.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
    { type: 'RLIMIT_NPROC', soft: 1048576, hard: 1048576 },
  ])
  const unknown = spec({}, undefined, { host: { ...HOST, hardLimits: {} } })
  assert.equal(unknown.process!.rlimits, [])
})

test('rlimits: --ulimit replaces the default of its type and is passed as asked', () => {
  const nofile = { type: 'RLIMIT_NOFILE', soft: 100, hard: 50000 }
  const core = { type: 'RLIMIT_CORE', soft: 0, hard: 0 }
  assert.equal(spec({ ulimits: [nofile, core] }).process!.rlimits, [
    { type: 'RLIMIT_NPROC', soft: 1048576, hard: 1048576 }, nofile, core,
  ])
})

test('rlimits: a --ulimit above the caller\'s hard limit is refused when it cannot raise it', () => {
  const ulimits = [{ type: 'RLIMIT_NOFILE', soft: 30000, hard: 30000 }]
  const message = /^--ulimit nofile=30000:30000: the hard limit is above cocker's own, 20000, and raising it needs CAP_SYS_RESOURCE$/
  throwsCode(() => build({ ulimits }, undefined, { rootless: ROOTLESS }), 'INVALID_ARGUMENT', message)
  const host = { ...HOST, capabilities: CAPABILITIES.filter(c => c !== 'CAP_SYS_RESOURCE') }
  throwsCode(() => build({ ulimits }, undefined, { host }), 'INVALID_ARGUMENT', message)
  assert.equal(spec({ ulimits: [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 20000 }] }, undefined, { host }).process!.rlimits!.at(-1),
    { type: 'RLIMIT_NOFILE', soft: 100, hard: 20000 })
})

// ---- namespaces, sysctls ----

const nsTypes = (s: Spec) => s.linux!.namespaces!.map(n => n.path ? `${n.type}=${n.path}` : n.type)

test('namespaces: pid, network, ipc, uts, mount; user when rootless; cgroup on v2', () => {
  assert.equal(nsTypes(spec()), ['pid', 'network', 'ipc', 'uts', 'mount'])
  assert.equal(nsTypes(spec({}, undefined, { rootless: ROOTLESS, cgroupVersion: 'v2' })),
    ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'user'])
  const host = spec({ network: { mode: 'host' }, pid: { mode: 'host' }, ipc: { mode: 'host' }, uts: { mode: 'path', path: '/proc/1/ns/uts' } })
  assert.equal(nsTypes(host), ['uts=/proc/1/ns/uts', 'mount'])
})

test('rootless: the caller\'s maps; /sys is the host\'s, read-only, without a network namespace of its own', () => {
  const s = spec({}, undefined, { rootless: ROOTLESS })
  assert.equal(s.linux!.uidMappings, ROOTLESS.uidMappings)
  assert.equal(s.linux!.gidMappings, ROOTLESS.gidMappings)
  assert.is(mount(s, '/sys')!.type, 'sysfs')
  assert.is(s.linux!.resources, undefined)
  assert.not.ok(mount(s, '/dev/pts')!.options!.includes('gid=5'))
  const host = spec({ network: { mode: 'host' } }, undefined, { rootless: ROOTLESS })
  assert.equal(mount(host, '/sys'), { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] })
})

test('rootless: /proc and /dev/mqueue are the host\'s, bound, with the host\'s pid or IPC namespace', () => {
  const s = spec({ pid: { mode: 'host' }, ipc: { mode: 'path', path: '/proc/1/ns/ipc' } }, undefined, { rootless: ROOTLESS })
  assert.equal(mount(s, '/proc'), { destination: '/proc', type: 'bind', source: '/proc', options: ['rbind', 'nosuid', 'noexec', 'nodev'] })
  assert.equal(mount(s, '/dev/mqueue'), { destination: '/dev/mqueue', type: 'bind', source: '/dev/mqueue', options: ['rbind', 'nosuid', 'noexec', 'nodev'] })
  assert.is(mount(s, '/sys')!.type, 'sysfs')
  const root = spec({ pid: { mode: 'host' }, ipc: { mode: 'host' } })
  assert.is(mount(root, '/proc')!.type, 'proc')
  assert.is(mount(root, '/dev/mqueue')!.type, 'mqueue')
  // a host without /dev/mqueue has nothing to bind: the container has none either
  const bare = spec({ ipc: { mode: 'host' } }, undefined, { rootless: ROOTLESS, host: { ...HOST, mqueue: false } })
  assert.is(mount(bare, '/dev/mqueue'), undefined)
})

test('sysctls: ping_group_range with a private network; namespaced ones only', () => {
  assert.equal(spec().linux!.sysctl, { 'net.ipv4.ping_group_range': '0 0' })
  assert.equal(spec({ network: { mode: 'host' } }).linux!.sysctl, {})
  assert.equal(spec({ sysctls: { 'kernel.shmmax': '1000', 'net.core.somaxconn': '1024' } }).linux!.sysctl,
    { 'net.ipv4.ping_group_range': '0 0', 'kernel.shmmax': '1000', 'net.core.somaxconn': '1024' })
  throwsCode(() => build({ sysctls: { 'vm.swappiness': '1' } }), 'INVALID_ARGUMENT', /not a namespaced sysctl/)
  throwsCode(() => build({ sysctls: { 'net.core.somaxconn': '1' }, network: { mode: 'host' } }), 'INVALID_ARGUMENT', /host's network/)
  throwsCode(() => build({ sysctls: { 'kernel.sem': '1' }, ipc: { mode: 'host' } }), 'INVALID_ARGUMENT', /host's IPC/)
})

// ---- mounts ----

test('mounts: podman\'s kernel filesystems first, in order; the userdata files over --read-only\'s tmpfs', () => {
  const kernel = ['/proc', '/dev', '/sys', '/dev/pts', '/dev/mqueue', '/dev/shm', '/sys/fs/cgroup']
  assert.equal(spec().mounts!.map(m => m.destination), [...kernel, '/etc/hostname', '/etc/hosts', '/run/.containerenv'])
  assert.equal(spec({ readOnly: true }).mounts!.map(m => m.destination),
    [...kernel, '/run', '/tmp', '/var/tmp', '/etc/hostname', '/etc/hosts', '/run/.containerenv'])
})

test('mounts: volumes after the defaults, parents first; a volume replaces a default at its path', () => {
  const s = spec({ mounts: [
    { type: 'bind', source: '/srv/a/b', destination: '/data/sub', options: ['rbind', 'rprivate'] },
    { type: 'bind', source: '/srv/a', destination: '/data', options: ['rbind', 'ro', 'rprivate'] },
    { type: 'tmpfs', destination: '/dev/shm', options: ['rw', 'size=1g'] },
    { type: 'bind', source: '/etc/myhosts', destination: '/etc/hosts', options: ['rbind', 'rprivate'] },
  ] })
  const dests = s.mounts!.map(m => m.destination)
  assert.equal(dests.slice(-4), ['/data', '/data/sub', '/dev/shm', '/etc/hosts'])
  assert.is(dests.filter(d => d === '/dev/shm').length, 1)
  assert.equal(mount(s, '/data'), { destination: '/data', type: 'bind', source: '/srv/a', options: ['rbind', 'ro', 'rprivate'] })
  assert.equal(mount(s, '/dev/shm'), { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'size=1g'] })
})

// ---- resources, annotations ----

test('resources: memory, cpus, pids; the device cgroup as root only', () => {
  const r = spec({ memory: 64 * 1024 ** 2, memorySwap: 128 * 1024 ** 2, cpus: 1.5, pidsLimit: 100 }).linux!.resources!
  assert.equal(r.memory, { limit: 64 * 1024 ** 2, swap: 128 * 1024 ** 2 })
  assert.equal(r.cpu, { quota: 150000, period: 100000 })
  assert.equal(r.pids, { limit: 100 })
  assert.equal(r.devices, [{ allow: false, access: 'rwm' }])
  assert.is(spec({ pidsLimit: -1 }).linux!.resources!.pids, undefined)
  throwsCode(() => build({ memory: 1024 }), 'INVALID_ARGUMENT', /minimum memory limit is 6MB/)
  throwsCode(() => build({ memorySwap: 1e9 }), 'INVALID_ARGUMENT', /--memory-swap needs --memory/)
  throwsCode(() => build({ memory: 1e9, cgroups: 'disabled' }), 'INVALID_ARGUMENT', /need cgroups/)
  assert.is(spec({ cgroups: 'disabled' }).linux!.resources, undefined)
})

test('resources: Podman\'s pids_limit of 2048 by default, as root; none rootless, unlimited with --pids-limit -1', () => {
  assert.equal(spec().linux!.resources, { pids: { limit: 2048 }, devices: [{ allow: false, access: 'rwm' }] })
  assert.equal(spec({ privileged: true }).linux!.resources!.pids, { limit: 2048 })
  assert.is(spec({ pidsLimit: 0 }).linux!.resources!.pids, undefined)
  assert.is(spec({}, undefined, { rootless: ROOTLESS }).linux!.resources, undefined)
})

test('annotations: the user\'s plus the stop signal (option, image, SIGTERM)', () => {
  assert.equal(spec({ annotations: { a: 'b' } }).annotations, { a: 'b', 'org.opencontainers.image.stopSignal': '15' })
  assert.is(spec({}, { Cmd: ['sh'], StopSignal: 'SIGQUIT' }).annotations!['org.opencontainers.image.stopSignal'], '3')
  assert.is(spec({ stopSignal: 'KILL' }, { Cmd: ['sh'], StopSignal: 'SIGQUIT' }).annotations!['org.opencontainers.image.stopSignal'], '9')
  const bad = build({}, { Cmd: ['sh'], StopSignal: 'SIGNOPE' })
  assert.is(bad.spec.annotations!['org.opencontainers.image.stopSignal'], '15')
  assert.match(bad.warnings[0], /SIGNOPE/)
})

// ---- the runtime accepts what it gets ----

const PLAN_ROOT: PlanContext = { bundle: '/b', rootless: false, hostUid: 0, hostGid: 0, mode: 'wait' }
const PLAN_ROOTLESS: PlanContext = { bundle: '/b', rootless: true, hostUid: 1000, hostGid: 1000, mode: 'wait' }

const VARIANTS: [string, Partial<RunOptions>][] = [
  ['plain', {}],
  ['everything', {
    tty: true, readOnly: true, user: 'alice', capAdd: ['CAP_NET_ADMIN'], noNewPrivileges: true, workdir: '/w',
    ulimits: [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }], sysctls: { 'net.core.somaxconn': '512' },
    mounts: [{ type: 'bind', source: '/srv', destination: '/srv', options: ['rbind', 'ro', 'rprivate'] },
      { type: 'tmpfs', destination: '/scratch', options: ['rw', 'noexec', 'nosuid', 'nodev', 'size=1048576'] }],
    memory: 64 * 1024 ** 2, cpus: 0.5, pidsLimit: 50, annotations: { x: 'y' },
  }],
  ['privileged, host namespaces', { privileged: true, network: { mode: 'host' }, pid: { mode: 'host' }, ipc: { mode: 'host' } }],
]

for (const [what, options] of VARIANTS) {
  for (const [mode, ctx, extra] of [['root', PLAN_ROOT, {}], ['rootless', PLAN_ROOTLESS, { rootless: ROOTLESS }]] as const) {
    test(`runtime: ${what} (${mode}) passes config.json validation and compiles to a plan`, () => {
      const s = spec(options, { Cmd: ['/bin/sh'] }, extra)
      const validated = validateConfig(JSON.parse(JSON.stringify(s)))
      const seccomp = validated.linux?.seccomp ? { program: compileSeccomp(validated.linux.seccomp, 'x64'), flags: 0 } : undefined
      const plan = compilePlan(validated, { ...ctx, seccomp, consoleSocket: undefined })
      encodePlan(plan.ops)
      assert.ok(plan.ops.some(op => op[0] === 'exec'))
    })
  }
}

// ---- user namespace, groups, oom_score_adj, env-host ----

const KEEP_ID = {
  uidMappings: [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 1000, size: 1 }],
  gidMappings: [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 1000, size: 1 }],
  keepId: { uid: 1000, gid: 1000, name: 'bob', gecos: '', groupName: 'bob' },
}

test('keep-id: the maps, a user namespace, the process as the user, and passwd/group entries bound in', () => {
  const { spec: s, files } = build({}, { Cmd: ['/bin/sh'], User: 'alice' }, { rootless: ROOTLESS, userns: KEEP_ID })
  assert.equal(s.linux!.uidMappings, KEEP_ID.uidMappings)
  assert.equal(s.linux!.gidMappings, KEEP_ID.gidMappings)
  assert.ok(s.linux!.namespaces!.some(n => n.type === 'user'))
  assert.equal(s.process!.user, { uid: 1000, gid: 1000, umask: 0o022, additionalGids: [1000] })
  assert.equal(env(s, 'HOME'), ['/'])
  const passwd = files.find(f => f.path === '/run/cocker/c1/passwd')!.content
  assert.is(passwd, `${FILES['/etc/passwd']}bob:*:1000:1000::/:/bin/sh\n`)
  assert.is(files.find(f => f.path === '/run/cocker/c1/group')!.content, `${FILES['/etc/group']}bob:x:1000:bob\n`)
  assert.equal(mount(s, '/etc/passwd')?.source, '/run/cocker/c1/passwd')
  // --user still wins; an image that knows the id keeps its own files
  assert.is(spec({ user: '0' }, undefined, { rootless: ROOTLESS, userns: KEEP_ID }).process!.user.uid, 0)
  const known = build({}, undefined, { rootless: ROOTLESS, userns: { ...KEEP_ID, keepId: { ...KEEP_ID.keepId, uid: 1001, gid: 1002 } } })
  assert.equal(known.spec.process!.user, { uid: 1001, gid: 1002, umask: 0o022, additionalGids: [1002] })
  assert.equal(env(known.spec, 'HOME'), ['/home/alice'])
  assert.not.ok(known.files.some(f => f.path.endsWith('/passwd') || f.path.endsWith('/group')))
})

test('a user namespace as root comes from `userns` alone; none without it', () => {
  const maps = { uidMappings: [{ containerID: 0, hostID: 100000, size: 5000 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 5000 }] }
  const s = spec({}, undefined, { userns: maps })
  assert.equal(s.linux!.uidMappings, maps.uidMappings)
  assert.ok(s.linux!.namespaces!.some(n => n.type === 'user'))
  assert.not.ok(spec().linux!.namespaces!.some(n => n.type === 'user'))
  assert.is(spec().linux!.uidMappings, undefined)
})

test('--group-add: gids and the image\'s group names join the user\'s groups; keep-groups is crun\'s annotation', () => {
  assert.equal(spec({ groupAdd: ['10', 'staff'] }).process!.user.additionalGids, [0, 10, 1002])
  assert.equal(spec({ user: 'alice', groupAdd: ['wheel', '5'] }).process!.user.additionalGids, [1002, 10, 5])
  throwsCode(() => spec({ groupAdd: ['audio'] }), 'INVALID_ARGUMENT', '--group-add audio: unable to find group audio')
  const keep = spec({ groupAdd: ['keep-groups'] })
  assert.is(keep.annotations!['run.oci.keep_original_groups'], '1')
  assert.is(keep.process!.user.additionalGids, undefined)
  assert.not.ok(compilePlan(keep, { bundle: '/b', rootless: false, hostUid: 0, hostGid: 0, mode: 'wait' }).ops.some(op => op[0] === 'groups'))
  assert.ok(compilePlan(spec(), { bundle: '/b', rootless: false, hostUid: 0, hostGid: 0, mode: 'wait' }).ops.some(op => op[0] === 'groups'))
})

test('--oom-score-adj goes to process.oomScoreAdj', () => {
  assert.is(spec({ oomScoreAdj: -200 }).process!.oomScoreAdj, -200)
  assert.is(spec().process!.oomScoreAdj, undefined)
})

test('--env-host: over the image\'s and the defaults, under -e', () => {
  // --env-host puts the host's environment before -e's entries (lib/cli/commands/run-options.ts)
  const s = spec({ env: ['PATH=/host/bin', 'container=host', 'A=host', 'HOME=/home/h', 'A=flag'] }, { Cmd: ['/bin/sh'], Env: ['PATH=/img', 'B=img'] })
  assert.equal(env(s, 'PATH'), ['/host/bin'])
  assert.equal(env(s, 'container'), ['host'])
  assert.equal(env(s, 'A'), ['flag'])
  assert.equal(env(s, 'B'), ['img'])
  assert.equal(env(s, 'HOME'), ['/home/h'])
})

test.run()
