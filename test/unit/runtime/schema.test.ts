import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { parseConfig, validateConfig } from '../../../lib/runtime/schema/validate.js'
import { skipUnless, which } from '../../support/requires.js'

type Doc = Record<string, any>

/** The CockerError message `fn` throws; fails the test if it does not throw one. */
function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.instance(err, CockerError)
    assert.is((err as CockerError).code, 'CONFIG_INVALID')
    assert.ok((err as CockerError).hint, 'has a hint')
    return (err as Error).message
  }
  assert.unreachable('expected CONFIG_INVALID')
  return ''
}

/** `config.json` as printed by `<tool> spec [args]` in an empty directory. */
function specFrom(tool: string, args: string[]): Doc {
  const dir = mkdtempSync(path.join(tmpdir(), 'cocker-schema-'))
  try {
    execFileSync(tool, ['spec', ...args], { cwd: dir, stdio: 'ignore' })
    return JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

for (const [tool, args] of [['runc', []], ['runc', ['--rootless']], ['crun', []], ['crun', ['--rootless']]] as const) {
  const name = `\`${tool} spec ${args.join(' ')}\` is valid`.replace(' `', '`')
  test(name, () => {
    if (skipUnless(which(tool) !== undefined, name, `${tool} is not installed`)) return
    validateConfig(specFrom(tool, [...args]))
  })
}

// What `podman run` (rootful, --userns=auto, a GPU hook, resource flags) hands its runtime,
// written by hand after podman 4/5 output: seccomp, hooks, resources, annotations.
const podman: Doc = {
  ociVersion: '1.2.0',
  process: {
    terminal: true,
    user: { uid: 0, gid: 0, umask: 18, additionalGids: [0, 1, 2, 3, 4, 6, 10, 11, 20, 26, 27] },
    args: ['/bin/sh', '-c', 'echo hi'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'container=podman', 'HOME=/root', 'HOSTNAME=3f1c2d4e5a6b'],
    cwd: '/',
    capabilities: {
      bounding: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'],
      effective: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'],
      permitted: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'],
    },
    rlimits: [
      { type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 },
      { type: 'RLIMIT_NPROC', hard: 4194304, soft: 4194304 },
    ],
    apparmorProfile: 'containers-default-0.50.0',
    oomScoreAdj: 0,
    selinuxLabel: 'system_u:system_r:container_t:s0:c123,c456',
  },
  root: { path: '/var/lib/containers/storage/overlay/9a1b7c0e/merged' },
  hostname: '3f1c2d4e5a6b',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: '/run/containers/storage/overlay-containers/3f1c/userdata/resolv.conf', options: ['bind', 'rprivate'] },
    { destination: '/dev/shm', type: 'bind', source: '/var/lib/containers/storage/overlay-containers/3f1c/userdata/shm', options: ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/run/.containerenv', type: 'bind', source: '/run/containers/storage/overlay-containers/3f1c/userdata/.containerenv', options: ['bind', 'rprivate'] },
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rslave', 'idmap'], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ],
  hooks: {
    prestart: [{ path: '/usr/bin/nvidia-container-runtime-hook', args: ['nvidia-container-runtime-hook', 'prestart'], env: ['NVIDIA_VISIBLE_DEVICES=all'] }],
    createRuntime: [{ path: '/usr/bin/nvidia-ctk', args: ['nvidia-ctk', 'hook', 'update-ldcache'] }],
    poststop: [{ path: '/usr/libexec/oci/hooks.d/cleanup', timeout: 10 }],
  },
  annotations: {
    'io.container.manager': 'libpod',
    'io.podman.annotations.autoremove': 'TRUE',
    'org.opencontainers.image.stopSignal': '15',
    'org.systemd.property.TimeoutStopUSec': 'uint64 10000000',
    'empty.value.is.fine': '',
  },
  linux: {
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    sysctl: { 'net.ipv4.ping_group_range': '0 0' },
    resources: {
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }],
      memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, swappiness: 60, disableOOMKiller: false },
      cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-1', mems: '0' },
      pids: { limit: 2048 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], weightDevice: [{ major: 8, minor: 0, weight: 300 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
      unified: { 'memory.high': '400000000' },
    },
    cgroupsPath: 'machine.slice:libpod:3f1c2d4e5a6b',
    namespaces: [
      { type: 'pid' }, { type: 'network', path: '/run/netns/netns-4b1d' }, { type: 'ipc' }, { type: 'uts' },
      { type: 'mount' }, { type: 'cgroup' }, { type: 'user' },
    ],
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 }],
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['bdflush', 'kexec_load', 'nfsservctl', 'uselib', 'vm86'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['accept', 'read', 'write', 'openat', 'execve', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }] },
      ],
    },
    rootfsPropagation: 'rslave',
    maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block'],
    readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    mountLabel: 'system_u:object_r:container_file_t:s0:c123,c456',
  },
}

// Rootless podman runs the runtime inside its own user namespace already: no "user" entry,
// no mappings, a bind-mounted /sys and only a pids limit.
const podmanRootless: Doc = {
  ociVersion: '1.0.2-dev',
  process: {
    user: { uid: 1000, gid: 1000 },
    args: ['sleep', 'infinity'],
    env: ['PATH=/usr/bin:/bin', 'container=podman'],
    cwd: '/home/user',
    capabilities: { bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: [], permitted: [] },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 524288, soft: 524288 }],
  },
  root: { path: '/home/user/.local/share/containers/storage/overlay/77aa/merged' },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'bind', source: '/sys', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'ro', 'rbind'] },
  ],
  annotations: { 'io.container.manager': 'libpod' },
  linux: {
    resources: { pids: { limit: 2048 } },
    cgroupsPath: 'user.slice:libpod:77aa',
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
    seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['keyctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] },
  },
}

const config = (base: Doc = podman): Doc => structuredClone(base)

test('a podman-shaped config with seccomp, hooks and resources is valid', () => {
  const doc = config()
  assert.is(validateConfig(doc), doc)
})

test('a rootless podman-shaped config is valid', () => {
  validateConfig(config(podmanRootless))
})

test('every optional Linux feature of the spec is accepted', () => {
  const doc = config()
  Object.assign(doc.process, {
    consoleSize: { height: 25, width: 80 },
    scheduler: { policy: 'SCHED_DEADLINE', nice: -5, priority: 0, flags: ['SCHED_FLAG_RESET_ON_FORK'], runtime: 1000, deadline: 2000, period: 3000 },
    ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 4 },
    execCPUAffinity: { initial: '7', final: '0-3,7' },
    noNewPrivileges: true,
  })
  Object.assign(doc.linux, {
    timeOffsets: { monotonic: { secs: 172800, nanosecs: 0 }, boottime: { secs: -10 } },
    netDevices: { eth1: { name: 'ctr1' }, ens4: {} },
    intelRdt: { closID: 'guaranteed', l3CacheSchema: 'L3:0=7f0', memBwSchema: 'MB:0=20', schemata: ['L2:0=ff'], enableMonitoring: true },
    memoryPolicy: { mode: 'MPOL_INTERLEAVE', nodes: '0-3', flags: ['MPOL_F_STATIC_NODES'] },
    personality: { domain: 'LINUX32', flags: [] },
  })
  doc.linux.devices.push({ path: '/dev/pipe0', type: 'p' })
  Object.assign(doc.linux.resources, {
    network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
    rdma: { mlx5_1: { hcaHandles: 3 }, mlx4_0: { hcaObjects: 100 } },
  })
  doc.linux.resources.pids = {} // limit became OPTIONAL in 1.3
  doc.linux.seccomp.flags = ['SECCOMP_FILTER_FLAG_LOG']
  doc.linux.seccomp.listenerPath = '/run/seccomp-agent.sock'
  doc.linux.seccomp.listenerMetadata = 'opaque'
  doc.hooks.createContainer = [{ path: '/usr/bin/a' }]
  doc.hooks.startContainer = [{ path: '/usr/bin/b' }]
  doc.hooks.poststart = [{ path: '/usr/bin/c' }]
  doc.domainname = 'example.test'
  validateConfig(doc)
})

test('unknown properties are ignored at every level (config.md "Extensibility")', () => {
  const doc = config()
  doc.vm = { hypervisor: { path: '/usr/bin/qemu' } }
  doc['org.example.future'] = [1, 2, 3]
  doc.process.futureField = { x: 1 }
  doc.process.user.futureField = true
  doc.mounts[0].futureField = 'x'
  doc.linux.futureField = null
  doc.linux.seccomp.syscalls[0].comment = 'docker-style comments survive'
  doc.hooks.futureHook = 'not even an array'
  validateConfig(doc)
})

test('what the spec allows but does not recommend still passes', () => {
  const doc = config(podmanRootless)
  doc.mounts.push({ destination: 'relative/dest' }) // deprecated, "interpreted as relative to /"
  doc.linux.namespaces.push({ type: 'user' }) // a user namespace without mappings
  doc.process.capabilities.ambient = ['CAP_NOT_IN_THIS_KERNEL'] // unknown capabilities are warnings
  doc.process.env.push('NO_EQUALS_SIGN')
  doc.process.rlimits[0].soft = 2 ** 40 // soft above hard is the kernel's call, not the spec's
  validateConfig(doc)
})

test('a missing process.user means uid 0, gid 0, as in runc and crun', () => {
  const doc = config(podmanRootless)
  delete doc.process.user
  assert.equal(validateConfig(doc).process?.user, { uid: 0, gid: 0 })
})

const mistakes: [string, (doc: Doc) => unknown, string][] = [
  ['args not an array', d => (d.process.args = 'sh'), 'config.json: /process/args: must be an array of strings'],
  ['args entry not a string', d => (d.process.args = ['sh', 3]), 'config.json: /process/args/1: must be a string'],
  ['args empty', d => (d.process.args = []), 'config.json: /process/args: must have at least 1 entry'],
  ['args missing', d => delete d.process.args, 'config.json: /process: missing required field "args"'],
  ['namespace type unknown', d => (d.linux.namespaces[2].type = 'foo'),
    'config.json: /linux/namespaces/2/type: "foo" is not one of pid, network, mount, ipc, uts, user, cgroup, time'],
  ['namespace type twice', d => d.linux.namespaces.push({ type: 'ipc' }),
    'config.json: /linux/namespaces/7/type: "ipc" is listed twice (first at /linux/namespaces/2)'],
  ['namespace path relative', d => (d.linux.namespaces[1].path = 'netns'), 'config.json: /linux/namespaces/1/path: must be an absolute path'],
  ['cwd missing', d => delete d.process.cwd, 'config.json: /process: missing required field "cwd"'],
  ['cwd relative', d => (d.process.cwd = 'srv'), 'config.json: /process/cwd: must be an absolute path'],
  ['ociVersion missing', d => delete d.ociVersion, 'config.json: missing required field "ociVersion"'],
  ['ociVersion not semver', d => (d.ociVersion = '1.0'), 'config.json: /ociVersion: must be a SemVer 2.0.0 version such as "1.2.0"'],
  ['process missing', d => delete d.process, 'config.json: missing required field "process"'],
  ['root missing', d => delete d.root, 'config.json: missing required field "root"'],
  ['root.path missing', d => (d.root = { readonly: true }), 'config.json: /root: missing required field "path"'],
  ['uid negative', d => (d.process.user.uid = -1), 'config.json: /process/user/uid: must be at least 0 (got -1)'],
  ['gid not an integer', d => (d.process.user.gid = 1.5), 'config.json: /process/user/gid: must be an integer'],
  ['uid missing', d => delete d.process.user.uid, 'config.json: /process/user: missing required field "uid"'],
  ['uid beyond uint32', d => (d.process.user.uid = 2 ** 32), 'config.json: /process/user/uid: must be at most 4294967295 (got 4294967296)'],
  ['id mapping incomplete', d => delete d.linux.uidMappings[0].size, 'config.json: /linux/uidMappings/0: missing required field "size"'],
  ['id mapping hostID a string', d => (d.linux.gidMappings[0].hostID = '100000'), 'config.json: /linux/gidMappings/0/hostID: must be an integer'],
  ['mount without destination', d => delete d.mounts[3].destination, 'config.json: /mounts/3: missing required field "destination"'],
  ['mount uidMappings alone', d => delete d.mounts[8].gidMappings, 'config.json: /mounts/8: "uidMappings" is set without "gidMappings"'],
  ['rlimit type unknown', d => (d.process.rlimits[1].type = 'RLIMIT_FOO'),
    'config.json: /process/rlimits/1/type: "RLIMIT_FOO" is not one of RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, ' +
    'RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, ' +
    'RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK'],
  ['rlimit type twice', d => d.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }),
    'config.json: /process/rlimits/2/type: "RLIMIT_NOFILE" is listed twice (first at /process/rlimits/0)'],
  ['rlimit without hard', d => delete d.process.rlimits[0].hard, 'config.json: /process/rlimits/0: missing required field "hard"'],
  ['capability without CAP_', d => (d.process.capabilities.bounding[4] = 'KILL'),
    'config.json: /process/capabilities/bounding/4: must be a capability name such as "CAP_CHOWN"'],
  ['seccomp action unknown', d => (d.linux.seccomp.syscalls[1].action = 'SCMP_ACT_ACCEPT'),
    'config.json: /linux/seccomp/syscalls/1/action: "SCMP_ACT_ACCEPT" is not one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, ' +
    'SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY'],
  ['seccomp operator unknown', d => (d.linux.seccomp.syscalls[2].args[0].op = 'EQ'),
    'config.json: /linux/seccomp/syscalls/2/args/0/op: "EQ" is not one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, ' +
    'SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ'],
  ['seccomp without defaultAction', d => delete d.linux.seccomp.defaultAction, 'config.json: /linux/seccomp: missing required field "defaultAction"'],
  ['seccomp names empty', d => (d.linux.seccomp.syscalls[0].names = []), 'config.json: /linux/seccomp/syscalls/0/names: must have at least 1 entry'],
  ['seccomp listenerMetadata alone', d => (d.linux.seccomp.listenerMetadata = 'x'),
    'config.json: /linux/seccomp: "listenerMetadata" is set without "listenerPath"'],
  ['hook path relative', d => (d.hooks.prestart[0].path = 'nvidia-hook'), 'config.json: /hooks/prestart/0/path: must be an absolute path'],
  ['hook without path', d => delete d.hooks.poststop[0].path, 'config.json: /hooks/poststop/0: missing required field "path"'],
  ['hook timeout zero', d => (d.hooks.poststop[0].timeout = 0), 'config.json: /hooks/poststop/0/timeout: must be at least 1 (got 0)'],
  ['device without minor', d => delete d.linux.devices[0].minor, 'config.json: /linux/devices/0: missing required field "minor"'],
  ['device type unknown', d => (d.linux.devices[0].type = 'x'), 'config.json: /linux/devices/0/type: "x" is not one of c, b, u, p'],
  ['cgroup device access', d => (d.linux.resources.devices[0].access = 'rwx'),
    'config.json: /linux/resources/devices/0/access: must be made of the letters r, w and m'],
  ['weightDevice without a weight', d => delete d.linux.resources.blockIO.weightDevice[0].weight,
    'config.json: /linux/resources/blockIO/weightDevice/0: needs at least one of "weight", "leafWeight"'],
  ['masked path relative', d => (d.linux.maskedPaths[1] = 'proc/kcore'), 'config.json: /linux/maskedPaths/1: must be an absolute path'],
  ['rootfsPropagation unknown', d => (d.linux.rootfsPropagation = 'bogus'),
    'config.json: /linux/rootfsPropagation: "bogus" is not one of shared, slave, private, unbindable, rshared, rslave, rprivate, runbindable, ""'],
  ['annotation value not a string', d => (d.annotations['com.example/x~y'] = 2), 'config.json: /annotations/com.example~1x~0y: must be a string'],
  ['annotation key empty', d => (d.annotations[''] = 'x'), 'config.json: /annotations: "" is not allowed as a key: keys must not be empty'],
  ['sysctl value a number', d => (d.linux.sysctl['net.core.somaxconn'] = 256), 'config.json: /linux/sysctl/net.core.somaxconn: must be a string'],
  ['hostname null', d => (d.hostname = null), 'config.json: /hostname: must be a string'],
  ['terminal a string', d => (d.process.terminal = 'yes'), 'config.json: /process/terminal: must be true or false'],
  ['mounts an object', d => (d.mounts = {}), 'config.json: /mounts: must be an array of objects'],
  ['memBwSchema without MB:', d => (d.linux.intelRdt = { memBwSchema: 'L3:0=1' }),
    'config.json: /linux/intelRdt/memBwSchema: must be a single line starting with "MB:"'],
  ['scheduler without policy', d => (d.process.scheduler = { nice: 1 }), 'config.json: /process/scheduler: missing required field "policy"'],
  ['ioPriority without priority', d => (d.process.ioPriority = { class: 'IOPRIO_CLASS_BE' }),
    'config.json: /process/ioPriority: missing required field "priority"'],
  ['rdma entry empty', d => (d.linux.resources.rdma = { mlx5_1: {} }),
    'config.json: /linux/resources/rdma/mlx5_1: needs at least one of "hcaHandles", "hcaObjects"'],
]

for (const [name, mutate, expected] of mistakes) {
  test(`rejects: ${name}`, () => {
    const doc = config()
    mutate(doc)
    const message = messageOf(() => validateConfig(doc))
    assert.is(message, expected)
    assert.not.match(message, '\n')
  })
}

test('rejects a document that is not an object', () => {
  for (const doc of [[], 'x', null, 42]) assert.is(messageOf(() => validateConfig(doc)), 'config.json: must be an object')
})

test('the hint says why, where the schema knows', () => {
  const doc = config()
  delete doc.linux.devices[0].major
  try {
    validateConfig(doc)
    assert.unreachable()
  } catch (err) {
    assert.is((err as CockerError).hint, 'major and minor are required unless type is "p"')
  }
})

test('the file name is the one given', () => {
  assert.is(messageOf(() => validateConfig({}, '/b/config.json')), '/b/config.json: missing required field "ociVersion"')
})

test('parseConfig returns the validated document', () => {
  assert.equal(parseConfig(JSON.stringify(podman)), podman)
})

const syntaxErrors: [string, string][] = [
  ['{"ociVersion": }', 'unexpected token \'}\' at line 1 column 16'],
  ['{\n  "ociVersion": "1.0.0",\n  "x": tru\n}', 'unexpected token \'\\n\' at line 3 column 11'],
  ['{\n  "a": [1,,2]\n}', 'unexpected token \',\' at line 2 column 11'],
  ['{"a" 1}', 'expected \':\' after property name at line 1 column 6'],
  ['{"a": 1,}', 'expected double-quoted property name at line 1 column 9'],
  ['{"a": "x\ny"}', 'bad control character in string literal at line 1 column 9'],
  ['{} {}', 'unexpected non-whitespace character after JSON at line 1 column 4'],
  ['', 'unexpected end of JSON input at line 1 column 1'],
  ['{\n"a": [1, 2', 'expected \',\' or \']\' after array element at line 2 column 11'],
  ['\uFEFF{}', 'the file starts with a byte order mark at line 1 column 1'],
]

for (const [text, reason] of syntaxErrors) {
  test(`JSON syntax error: ${JSON.stringify(text)}`, () => {
    assert.is(messageOf(() => parseConfig(text)), `config.json: not valid JSON: ${reason}`)
  })
}

test.run()
