import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { capabilityMask, compilePlan, idmapMethod, type Plan, type PlanContext } from '../../../lib/runtime/compile.js'
import { MS } from '../../../lib/runtime/linux.js'
import type { Spec } from '../../../lib/runtime/oci-spec.js'
import { encodePlan, OPS, type Op, type OpName } from '../../../lib/runtime/protocol.js'
import { specTemplate } from '../../../lib/runtime/spec-template.js'
import { throwsCode } from '../../support/assert.js'

const UID = 1000
const GID = 1000
const ROOT: PlanContext = { bundle: '/b', rootless: false, hostUid: 0, hostGid: 0, mode: 'wait' }
const ROOTLESS: PlanContext = { bundle: '/b', rootless: true, hostUid: UID, hostGid: GID, mode: 'wait' }
const CREATE = { mode: 'create', fifo: '/run/c1/exec.fifo' } as const

/** `runc spec` (or `--rootless`) without a terminal, so that every mode compiles. */
function runcSpec(rootless = false): Spec {
  const spec = specTemplate({ rootless, uid: UID, gid: GID })
  spec.process!.terminal = false
  return spec
}

function compile(spec: Spec, ctx: PlanContext): Plan {
  const plan = compilePlan(spec, ctx)
  encodePlan(plan.ops) // every plan must also have the shapes the helper reads
  return plan
}

const names = (ops: Op[]) => ops.map(op => op[0])
const all = (ops: Op[], name: OpName) => ops.filter(op => op[0] === name)
const one = (ops: Op[], name: OpName) => {
  const found = all(ops, name)
  assert.is(found.length, 1, `${name} ${found.length} times in ${names(ops).join(' ')}`)
  return found[0]!
}
const stage0 = (ops: Op[]) => ops.filter(op => OPS[op[0]][0] === 'P')
const stage1 = (ops: Op[]) => ops.filter(op => OPS[op[0]][0] === 'C')
const index = (ops: Op[], match: (op: Op) => boolean, what: string) => {
  const i = ops.findIndex(match)
  assert.ok(i >= 0, `no ${what} in ${names(ops).join(' ')}`)
  return i
}
const at = (ops: Op[], name: OpName, arg?: unknown) =>
  index(ops, op => op[0] === name && (arg === undefined || op[1] === arg), arg === undefined ? name : `${name} ${String(arg)}`)

/** The ops named, in this relative order (each first occurrence). */
function inOrder(ops: Op[], ...expected: (OpName | [OpName, unknown])[]) {
  const positions = expected.map(e => (Array.isArray(e) ? at(ops, e[0], e[1]) : at(ops, e)))
  for (let i = 1; i < positions.length; i++) {
    assert.ok(positions[i - 1]! < positions[i]!, `${JSON.stringify(expected[i - 1])} should come before ${JSON.stringify(expected[i])}: ${names(ops).join(' ')}`)
  }
}


// CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10, CAP_AUDIT_WRITE = 29
const RUNC_CAPS_HEX = (2 ** 5 + 2 ** 10 + 2 ** 29).toString(16)

test('runc spec as root: stage 0', () => {
  const { ops, idmap, warnings } = compile(runcSpec(), ROOT)
  assert.equal(ops[0], ['mode', 'wait'])
  assert.equal(stage0(ops), [['mode', 'wait'], ['ns-new', 'pid,net,ipc,uts,mnt']])
  assert.is(idmap, 'none')
  assert.equal(warnings, [])
})

test('runc spec as root: stage 1 from setup to pivot_root', () => {
  const ops = stage1(compile(runcSpec(), ROOT).ops)
  assert.is(all(ops, 'setid').length, 1, 'no setid 0 0 without a user namespace')
  assert.equal(ops.slice(0, 3), [['hostname', 'cocker'], ['propagation', '/', MS.SLAVE | MS.REC], ['rootfs', '/b/rootfs']])
  const base = MS.NOSUID | MS.NODEV | MS.NOEXEC
  assert.equal(all(ops, 'mount'), [
    ['mount', 'proc', '/proc', 'proc', 0, 0, ''],
    ['mount', 'tmpfs', '/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 0, 'mode=755,size=65536k'],
    ['mount', 'devpts', '/dev/pts', 'devpts', MS.NOSUID | MS.NOEXEC, 0, 'newinstance,ptmxmode=0666,mode=0620,gid=5'],
    ['mount', 'shm', '/dev/shm', 'tmpfs', base, 0, 'mode=1777,size=65536k'],
    ['mount', 'mqueue', '/dev/mqueue', 'mqueue', base, 0, ''],
    ['mount', 'sysfs', '/sys', 'sysfs', base | MS.RDONLY, 0, ''],
    ['mount', 'cgroup2', '/sys/fs/cgroup', 'cgroup2', base | MS.RDONLY, 0, ''],
  ])
  // as root, the default devices are made with mknod in the new /dev tmpfs
  const chr = 0o020000 | 0o666
  assert.equal(all(ops, 'mknod'), [
    ['mknod', '/dev/null', chr, 1, 3, 0, 0], ['mknod', '/dev/zero', chr, 1, 5, 0, 0],
    ['mknod', '/dev/full', chr, 1, 7, 0, 0], ['mknod', '/dev/random', chr, 1, 8, 0, 0],
    ['mknod', '/dev/urandom', chr, 1, 9, 0, 0], ['mknod', '/dev/tty', chr, 5, 0, 0, 0],
  ])
  assert.equal(all(ops, 'symlink'), [
    ['symlink', '/proc/self/fd', '/dev/fd'], ['symlink', '/proc/self/fd/0', '/dev/stdin'],
    ['symlink', '/proc/self/fd/1', '/dev/stdout'], ['symlink', '/proc/self/fd/2', '/dev/stderr'],
    ['symlink', '/proc/kcore', '/dev/core'], ['symlink', 'pts/ptmx', '/dev/ptmx'],
  ])
  inOrder(ops, 'propagation', 'rootfs', ['mount', 'proc'], ['mount', 'cgroup2'], 'mknod', 'symlink', 'pivot-root')
  assert.is(at(ops, 'mknod'), at(ops, 'mount', 'cgroup2') + 1)
  assert.is(at(ops, 'pivot-root'), at(ops, 'symlink') + 6)
  assert.not.ok(names(ops).includes('chroot'))
})

test('runc spec as root: after pivot_root, masks, read-only paths, the process', () => {
  const spec = runcSpec()
  const ops = stage1(compile(spec, { ...ROOT, seccomp: { program: Buffer.alloc(8), flags: 0 } }).ops)
  const after = ops.slice(at(ops, 'pivot-root') + 1)
  assert.equal(all(after, 'mask').map(op => op[1]), spec.linux!.maskedPaths)
  assert.equal(all(after, 'readonly').map(op => op[1]), spec.linux!.readonlyPaths)
  assert.equal(all(ops, 'mask').length, spec.linux!.maskedPaths!.length, 'no mask before pivot_root')
  assert.equal(one(ops, 'remount-ro'), ['remount-ro', '/'])
  assert.equal(one(ops, 'rlimit'), ['rlimit', 7, 1024n, 1024n])
  assert.equal(one(ops, 'cwd'), ['cwd', '/'])
  assert.equal(all(ops, 'env'), spec.process!.env!.map(e => ['env', e]))
  assert.equal(one(ops, 'argv'), ['argv', ['sh']])
  assert.not.ok(names(ops).includes('fifo-wait'), 'no fifo-wait outside create mode')
  assert.not.ok(names(ops).includes('console'))
  assert.equal(names(after), [
    ...spec.linux!.maskedPaths!.map(() => 'mask'), ...spec.linux!.readonlyPaths!.map(() => 'readonly'), 'remount-ro',
    'rlimit', 'cwd', 'env', 'env', 'argv', 'check-exec', 'run-hooks',
    // noNewPrivileges: the filter goes in last, after no_new_privs, so it needs no capability
    'keep-caps', 'bounding', 'groups', 'setid', 'capset', 'umask', 'no-new-privs', 'seccomp', 'exec',
  ])
  assert.equal(one(ops, 'bounding'), ['bounding', RUNC_CAPS_HEX])
  assert.equal(one(ops, 'capset'), ['capset', RUNC_CAPS_HEX, RUNC_CAPS_HEX, '0'])
  assert.equal(one(ops, 'groups'), ['groups', []])
  assert.equal(one(ops, 'setid'), ['setid', 0, 0])
  assert.equal(one(ops, 'umask'), ['umask', '22'])
  assert.equal(one(ops, 'seccomp'), ['seccomp', 0, '0000000000000000'])
  assert.equal(ops[ops.length - 1], ['exec'])
})

test('rootfs overlay: the kernel overlay op, or fuse-overlay with /dev/fuse from stage 0 unless in a new user namespace', () => {
  const overlay = { data: 'lowerdir=l/A,upperdir=/u,workdir=/w', cwd: '/store' }
  const kernel = compile(runcSpec(), { ...ROOT, rootfsOverlay: overlay }).ops
  assert.equal(one(kernel, 'overlay'), ['overlay', '/b/rootfs', overlay.data, '/store'])
  assert.is(all(kernel, 'fuse-overlay').length, 0)
  const fuse = { ...overlay, program: '/usr/bin/fuse-overlayfs' }
  const root = compile(runcSpec(), { ...ROOT, rootfsOverlay: fuse }).ops
  assert.equal(one(root, 'fuse-overlay'), ['fuse-overlay', '/usr/bin/fuse-overlayfs', '/b/rootfs', overlay.data, '/store'])
  one(root, 'fuse-dev')
  assert.is(all(root, 'overlay').length, 0)
  const before = (a: OpName, b: OpName) => root.findIndex(op => op[0] === a) < root.findIndex(op => op[0] === b)
  assert.ok(before('fuse-overlay', 'rootfs') && before('fuse-overlay', 'pivot-root'))
  const rootless = compile(runcSpec(true), { ...ROOTLESS, rootfsOverlay: fuse }).ops
  one(rootless, 'fuse-overlay')
  assert.is(all(rootless, 'fuse-dev').length, 0)
})

test('rootfs overlay on remapped layers (rootless keep-id): fuse-overlay serves them on lower.dir, then the kernel overlay stacks the upper dir on that', () => {
  const overlay = { data: 'lowerdir=/store/c/1/lower,upperdir=/u,workdir=/w,userxattr', cwd: '/store',
    lower: { program: '/usr/bin/fuse-overlayfs', dir: '/store/c/1/lower', options: 'lowerdir=l/A:l/B,uidmapping=0:1:1000:1000:0:1,gidmapping=0:1:1000:1000:0:1' } }
  const ops = compile(runcSpec(true), { ...ROOTLESS, rootfsOverlay: overlay }).ops
  assert.equal(one(ops, 'fuse-overlay'), ['fuse-overlay', '/usr/bin/fuse-overlayfs', '/store/c/1/lower', overlay.lower.options, '/store'])
  assert.equal(one(ops, 'overlay'), ['overlay', '/b/rootfs', overlay.data, '/store'])
  assert.ok(at(ops, 'fuse-overlay') < at(ops, 'overlay') && at(ops, 'overlay') < at(ops, 'rootfs'))
  assert.is(all(ops, 'fuse-dev').length, 0, 'opened by the init, in its new user namespace')
})

test('rootless keep-id\'s own files are given to the container\'s root in stage 1, right after it becomes that root, before anything is mounted', () => {
  const ops = compile(runcSpec(true), { ...ROOTLESS, rootOwns: ['/store/c/1/work', '/store/c/1/upper'] }).ops
  const setid = ops.findIndex(op => op[0] === 'setid')
  assert.equal(ops.slice(setid, setid + 3), [['setid', 0, 0], ['chown', '/store/c/1/work', 0, 0], ['chown', '/store/c/1/upper', 0, 0]])
  assert.ok(setid < at(ops, 'propagation'))
})

test('root with a user namespace of the container\'s own: the overlay is mounted by stage 0 and the store hidden but for the rootfs and the bind sources in it', () => {
  const overlay = { data: 'lowerdir=l/A,upperdir=/store/c/1/upper,workdir=/store/c/1/work', cwd: '/store' }
  const spec = runcSpec()
  spec.root!.path = '/store/c/1/merged'
  spec.linux!.namespaces!.push({ type: 'user' })
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  spec.mounts!.push({ destination: '/etc/hosts', type: 'bind', source: '/store/c/1/userdata/hosts', options: ['rbind'] },
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] })
  const ops = compile(spec, { ...ROOT, rootfsOverlay: overlay, storeRoot: '/store' }).ops
  assert.equal(one(ops, 'host-overlay'), ['host-overlay', '/store/c/1/merged', overlay.data, '/store'])
  assert.equal(one(ops, 'host-expose'), ['host-expose', '/store', ['/store/c/1/merged', '/store/c/1/userdata/hosts']])
  assert.is(all(ops, 'overlay').length, 0, 'no overlay mounted inside the namespace')
  assert.ok(at(ops, 'host-expose') < at(ops, 'setid'), 'in stage 0')
  // without a user namespace, or rootless (the store is the user's), the init mounts it
  for (const plain of [compile(runcSpec(), { ...ROOT, rootfsOverlay: overlay, storeRoot: '/store' }).ops,
    compile(runcSpec(true), { ...ROOTLESS, rootfsOverlay: overlay, storeRoot: '/store' }).ops]) {
    one(plain, 'overlay')
    assert.is(all(plain, 'host-overlay').length + all(plain, 'host-expose').length, 0)
  }
})

test('rootless maps that leave the user out: the user\'s namespace through newuidmap, the container\'s nested in it, the mounts made there', () => {
  const overlay = { data: 'lowerdir=l/A,upperdir=/store/c/1/upper,workdir=/store/c/1/work,userxattr', cwd: '/store' }
  const callerNamespace = { uid: [{ containerID: 0, hostID: UID, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
    gid: [{ containerID: 0, hostID: GID, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }] }
  const ctx = { ...ROOTLESS, rootfsOverlay: overlay, storeRoot: '/store', callerNamespace }
  const spec = runcSpec(true)
  spec.root!.path = '/store/c/1/merged'
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  const ops = compile(spec, ctx).ops
  assert.equal(all(ops, 'uid-map'), [['uid-map', 0, UID, 1], ['uid-map', 1, 100000, 65536]], 'the user\'s own namespace')
  one(ops, 'idmap-external')
  assert.equal(all(ops, 'nest-uid-map'), [['nest-uid-map', 0, 1, 65536]], 'the container\'s, in ids of the user\'s')
  assert.equal(all(ops, 'nest-gid-map'), [['nest-gid-map', 0, 1, 65536]])
  one(ops, 'host-overlay')
  assert.equal(one(ops, 'host-expose'), ['host-expose', '/store', ['/store/c/1/merged']])
  assert.is(all(ops, 'overlay').length, 0)
  // maps that include the user: the container's namespace is mapped from the host directly, as before
  spec.linux!.uidMappings = callerNamespace.uid
  spec.linux!.gidMappings = callerNamespace.gid
  const plain = compile(spec, ctx).ops
  assert.is(all(plain, 'nest-uid-map').length + all(plain, 'host-overlay').length, 0)
  one(plain, 'overlay')
})

test('seccomp goes before the identity switch when noNewPrivileges is false', () => {
  const spec = runcSpec()
  spec.process!.noNewPrivileges = false
  const ops = compile(spec, { ...ROOT, seccomp: { program: Buffer.from('0600000000007fff', 'hex'), flags: 2 } }).ops
  assert.equal(one(ops, 'seccomp'), ['seccomp', 2, '0600000000007fff'])
  assert.not.ok(names(ops).includes('no-new-privs'))
  inOrder(ops, 'check-exec', 'seccomp', 'keep-caps', 'bounding', 'groups', 'setid', 'capset', 'umask', 'exec')
  assert.is(at(ops, 'keep-caps'), at(ops, 'seccomp') + 1)
})

test('identity ops in order: keep-caps, bounding, groups, setid, capset, ambient, umask', () => {
  const spec = runcSpec()
  const p = spec.process!
  p.noNewPrivileges = false
  p.user = { uid: 1000, gid: 100, additionalGids: [10, 20], umask: 0o077 }
  p.capabilities = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'],
    inheritable: ['CAP_KILL', 'CAP_CHOWN'], ambient: ['CAP_KILL', 'CAP_CHOWN', 'CAP_SYS_ADMIN'],
  }
  const ops = compile(spec, ROOT).ops
  const tail = ops.slice(at(ops, 'keep-caps'))
  assert.equal(tail, [
    ['keep-caps'],
    ['bounding', (2 ** 0 + 2 ** 5 + 2 ** 21).toString(16)],
    ['groups', ['10', '20']],
    ['setid', 1000, 100],
    ['capset', '20', '21', '21'],
    // CAP_SYS_ADMIN is neither permitted nor inheritable: the kernel would refuse it
    ['ambient', '21'],
    ['umask', '77'],
    ['exec'],
  ])
})

test('capabilityMask: bit numbers of known names', () => {
  assert.is(capabilityMask(['CAP_CHOWN'], 'effective'), 1n)
  assert.is(capabilityMask(['CAP_SYS_ADMIN', 'CAP_SYS_ADMIN'], 'effective'), 1n << 21n)
  assert.is(capabilityMask(['CAP_CHECKPOINT_RESTORE'], 'effective'), 1n << 40n)
  assert.is(capabilityMask(['CAP_BPF', 'CAP_PERFMON'], 'effective'), (1n << 39n) | (1n << 38n))
  assert.is(capabilityMask([], 'effective'), 0n)
  assert.is(capabilityMask(undefined, 'effective'), 0n)
})

test('an unknown capability names its set in /process/capabilities/<set>', () => {
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
    const spec = runcSpec()
    spec.process!.capabilities = { ...spec.process!.capabilities, [set]: ['CAP_KILL', 'CAP_FLY'] }
    throwsCode(() => compilePlan(spec, ROOT), 'CONFIG_INVALID', `/process/capabilities/${set}: unknown capability "CAP_FLY"`)
  }
  throwsCode(() => capabilityMask(['cap_kill'], 'bounding'), 'CONFIG_INVALID', '/process/capabilities/bounding')
})

test('runc spec --rootless: one self map, written by the helper with setgroups denied', () => {
  const { ops, idmap, warnings } = compile(runcSpec(true), ROOTLESS)
  assert.is(idmap, 'direct')
  assert.equal(stage0(ops), [
    ['mode', 'wait'], ['ns-new', 'pid,ipc,uts,mnt,user'],
    ['uid-map', 0, UID, 1], ['gid-map', 0, GID, 1], ['setgroups-deny'],
  ])
  assert.equal(warnings, [])
})

test('runc spec --rootless: setid 0 0 first, bind mounts instead of mknod, no setgroups', () => {
  const ops = stage1(compile(runcSpec(true), ROOTLESS).ops)
  assert.equal(ops[0], ['setid', 0, 0])
  assert.equal(ops[1], ['hostname', 'cocker'])
  assert.not.ok(names(ops).includes('mknod'))
  const devs = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']
  assert.equal(all(ops, 'mount').filter(op => op[2].toString().startsWith('/dev/') && op[1] === op[2]),
    devs.map(d => ['mount', d, d, '', MS.BIND | MS.NOSUID | MS.NOEXEC, 0, '']))
  const base = MS.NOSUID | MS.NODEV | MS.NOEXEC
  assert.ok(ops.some(op => JSON.stringify(op) === JSON.stringify(['mount', '/sys', '/sys', '', MS.BIND | MS.REC | base | MS.RDONLY, 0, ''])))
  // a rootless container cannot mount cgroupfs: on v2 the host's tree, read-only
  assert.ok(ops.some(op => JSON.stringify(op) === JSON.stringify(['mount', '/sys/fs/cgroup', '/sys/fs/cgroup', '', MS.BIND | MS.REC | MS.RDONLY | base, 0, ''])))
  inOrder(ops, 'setid', 'rootfs', ['mount', 'proc'], ['mount', '/dev/null'], 'symlink', 'pivot-root', 'mask', 'keep-caps')
  assert.not.ok(names(ops).includes('groups'), 'setgroups is denied with a single-id map')
  assert.equal(all(ops, 'setid'), [['setid', 0, 0], ['setid', 0, 0]])
})

test('rootless single map: additionalGids are dropped with a warning', () => {
  const spec = runcSpec(true)
  spec.process!.user.additionalGids = [5]
  const { ops, warnings } = compile(spec, ROOTLESS)
  assert.not.ok(names(ops).includes('groups'))
  assert.is(warnings.length, 1)
  assert.match(warnings[0]!, 'additionalGids')
})

test('rootless multi-range map: the maps go to newuidmap/newgidmap, groups allowed', () => {
  const spec = runcSpec(true)
  spec.linux!.uidMappings = [{ containerID: 0, hostID: UID, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }]
  spec.linux!.gidMappings = [{ containerID: 0, hostID: GID, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }]
  const { ops, idmap } = compile(spec, ROOTLESS)
  assert.is(idmap, 'external')
  assert.equal(stage0(ops), [['mode', 'wait'], ['ns-new', 'pid,ipc,uts,mnt,user'],
    ['uid-map', 0, UID, 1], ['uid-map', 1, 100000, 65536], ['gid-map', 0, GID, 1], ['gid-map', 1, 100000, 65536],
    ['idmap-external', 'newuidmap', 'newgidmap']])
  assert.equal(one(ops, 'groups'), ['groups', []])
})

test('idmapMethod cases', () => {
  const self = (uid: number, gid: number): Spec => ({
    ...runcSpec(true),
    linux: { namespaces: [{ type: 'user' }, { type: 'mount' }], uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }] },
  })
  const rootUserns: Spec = { ...self(0, 0), linux: { ...self(0, 0).linux, uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] } }
  assert.is(idmapMethod(rootUserns, ROOT), 'direct')
  assert.is(idmapMethod(self(UID, GID), ROOTLESS), 'direct')
  // a single map of another id, or of more than one id, needs the setuid helpers
  assert.is(idmapMethod(self(UID + 1, GID), ROOTLESS), 'external')
  assert.is(idmapMethod(self(UID, GID + 1), ROOTLESS), 'external')
  assert.is(idmapMethod(rootUserns, ROOTLESS), 'external')
  const joined: Spec = { ...runcSpec(true), linux: { namespaces: [{ type: 'user', path: '/proc/42/ns/user' }, { type: 'mount' }] } }
  assert.is(idmapMethod(joined, ROOTLESS), 'none')
  assert.is(idmapMethod(joined, ROOT), 'none')
  assert.is(idmapMethod(runcSpec(), ROOT), 'none')
})

test('root with a new user namespace: maps written directly, no setgroups-deny', () => {
  const spec = runcSpec()
  spec.linux!.namespaces!.push({ type: 'user' })
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  const { ops, idmap } = compile(spec, ROOT)
  assert.is(idmap, 'direct')
  assert.equal(stage0(ops).slice(2), [['uid-map', 0, 100000, 65536], ['gid-map', 0, 100000, 65536]])
  assert.equal(stage1(ops)[0], ['setid', 0, 0])
  // mknod is not allowed in a user namespace, even for real root
  assert.not.ok(names(ops).includes('mknod'))
  assert.ok(ops.some(op => op[0] === 'mount' && op[1] === '/dev/null' && op[4] === (MS.BIND | MS.NOSUID | MS.NOEXEC)))
})

test('joined namespaces: setns order user first, mount last; no setid 0 0', () => {
  const spec = runcSpec(true)
  spec.linux!.namespaces = [
    { type: 'mount' }, { type: 'network', path: '/proc/42/ns/net' }, { type: 'uts', path: '/proc/42/ns/uts' },
    { type: 'user', path: '/proc/42/ns/user' }, { type: 'pid' },
  ]
  const { ops, idmap } = compile(spec, ROOTLESS)
  assert.is(idmap, 'none')
  assert.equal(stage0(ops), [
    ['mode', 'wait'], ['ns-join', 'user', '/proc/42/ns/user'], ['ns-join', 'uts', '/proc/42/ns/uts'],
    ['ns-join', 'net', '/proc/42/ns/net'], ['ns-new', 'mnt,pid'],
  ])
  assert.not.equal(stage1(ops)[0], ['setid', 0, 0])
  assert.not.ok(names(ops).includes('hostname'), 'the joined uts namespace keeps its name')
})

test('a new user namespace needs a mapping for uid 0', () => {
  const spec = runcSpec(true)
  spec.linux!.uidMappings = [{ containerID: 1, hostID: UID, size: 1 }]
  throwsCode(() => compilePlan(spec, ROOTLESS), 'CONFIG_INVALID', '/linux/uidMappings')
  spec.linux!.uidMappings = []
  throwsCode(() => compilePlan(spec, ROOTLESS), 'CONFIG_INVALID', 'id 0')
  // a range that contains 0 is enough
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 10 }]
  compile(spec, ROOTLESS)
})

test('and for gid 0: a single self-map of another id is not the direct case', () => {
  const spec = runcSpec(true)
  spec.linux!.gidMappings = [{ containerID: 1, hostID: GID, size: 1 }]
  throwsCode(() => compilePlan(spec, ROOTLESS), 'CONFIG_INVALID', '/linux/gidMappings')
  assert.is(idmapMethod(spec, ROOTLESS), 'external')
})

test('rootless without a user namespace is an error', () => {
  const spec = runcSpec()
  throwsCode(() => compilePlan(spec, ROOTLESS), 'CONFIG_INVALID', 'needs a user namespace')
})

test('no mount namespace: the root is a detached copy of the rootfs that nothing of the host sees; a joined one pivots', () => {
  const spec = runcSpec()
  spec.linux!.namespaces = spec.linux!.namespaces!.filter(n => n.type !== 'mount')
  const ops = compile(spec, ROOT).ops
  assert.equal(one(ops, 'tree-rootfs'), ['tree-rootfs', '/b/rootfs', MS.SLAVE | MS.REC])
  for (const name of ['propagation', 'rootfs', 'pivot-root', 'chroot'] as const) assert.is(all(ops, name).length, 0, name)
  // mounts, devices and masks go on the copy, before and after the init enters it
  inOrder(ops, 'tree-rootfs', ['mount', 'proc'], 'mknod', ['enter-root', ''], 'mask', 'readonly', 'exec')
  assert.equal(one(compile(spec, { ...ROOT, noPivot: true }).ops, 'enter-root'), ['enter-root', ''])
  spec.linux!.rootfsPropagation = 'private'
  assert.equal(one(compile(spec, ROOT).ops, 'tree-rootfs')[2], MS.PRIVATE | MS.REC)
  // a shared copy would be a peer of the host's mounts, passing the container's on to it
  spec.linux!.rootfsPropagation = 'rshared'
  throwsCode(() => compilePlan(spec, ROOT), 'NOT_SUPPORTED', '/linux/rootfsPropagation: "rshared" without a mount namespace')
  delete spec.linux!.rootfsPropagation
  spec.linux!.namespaces!.push({ type: 'mount', path: '/proc/1/ns/mnt' })
  const joined = compile(spec, ROOT).ops
  assert.equal(all(joined, 'ns-join').at(-1), ['ns-join', 'mnt', '/proc/1/ns/mnt'])
  assert.ok(names(joined).includes('pivot-root'))
})

test('no mount namespace but a user namespace: a plain chroot, and each thing that needs a mount is refused by name', () => {
  const spec = runcSpec(true)
  spec.linux!.namespaces = spec.linux!.namespaces!.filter(n => n.type !== 'mount')
  throwsCode(() => compilePlan(spec, ROOTLESS), 'NOT_SUPPORTED', 'config.json: /mounts/0: "/proc" needs a mount')
  spec.mounts = []
  throwsCode(() => compilePlan(spec, ROOTLESS), 'NOT_SUPPORTED', 'config.json: /linux/maskedPaths: "/proc/acpi" needs a mount')
  spec.linux!.maskedPaths = []
  throwsCode(() => compilePlan(spec, ROOTLESS), 'NOT_SUPPORTED', '/linux/readonlyPaths')
  spec.linux!.readonlyPaths = []
  spec.root!.readonly = false
  const ops = compile(spec, ROOTLESS).ops
  inOrder(ops, ['dir-rootfs', '/b/rootfs'], ['enter-root', ''], 'exec')
  for (const name of ['tree-rootfs', 'mount', 'propagation', 'pivot-root'] as const) assert.is(all(ops, name).length, 0, name)
})

test('a new time namespace, with its offsets as /proc/self/timens_offsets takes them; rootless offsets are refused', () => {
  const spec = runcSpec()
  spec.linux!.namespaces!.push({ type: 'time' })
  assert.match(one(compile(spec, ROOT).ops, 'ns-new')[1] as string, /,time$/)
  assert.not.ok(names(compile(spec, ROOT).ops).includes('time-offsets'))
  spec.linux!.timeOffsets = { monotonic: { secs: 86400 }, boottime: { secs: 1, nanosecs: 5 } }
  assert.equal(one(compile(spec, ROOT).ops, 'time-offsets'), ['time-offsets', 'monotonic 86400 0\nboottime 1 5\n'])
  const rootless = runcSpec(true)
  rootless.linux!.namespaces!.push({ type: 'time' })
  rootless.linux!.timeOffsets = { monotonic: { secs: 1 } }
  throwsCode(() => compilePlan(rootless, ROOTLESS), 'NOT_SUPPORTED', '/linux/timeOffsets')
})

test('no command is a config error', () => {
  const spec = runcSpec()
  spec.process!.args = []
  throwsCode(() => compilePlan(spec, ROOT), 'CONFIG_INVALID', '/process/args')
})

test('create mode: detach, the fifo in stage 0, fifo-wait after check-exec', () => {
  const { ops } = compile(runcSpec(), { ...ROOT, ...CREATE })
  assert.equal(ops[0], ['mode', 'detach'])
  assert.equal(one(ops, 'fifo'), ['fifo', '/run/c1/exec.fifo'])
  assert.is(OPS.fifo[0], 'P')
  inOrder(ops, 'ns-new', 'fifo', 'propagation')
  one(ops, 'fifo-wait')
  inOrder(ops, 'argv', 'check-exec', 'fifo-wait', ['run-hooks', 'startContainer'], 'keep-caps', 'exec')
  assert.is(at(ops, 'fifo-wait'), at(ops, 'check-exec') + 1)
})

test('detach mode: no fifo', () => {
  const { ops } = compile(runcSpec(), { ...ROOT, mode: 'detach' })
  assert.equal(ops[0], ['mode', 'detach'])
  assert.not.ok(names(ops).includes('fifo'))
  assert.not.ok(names(ops).includes('fifo-wait'))
})

test('create mode without a fifo path is a bug in cocker', () => {
  try {
    compilePlan(runcSpec(), { ...ROOT, mode: 'create' })
    assert.unreachable('accepted')
  } catch (err) {
    assert.not.instance(err, CockerError)
    assert.match((err as Error).message, 'fifo')
  }
})

test('terminal: console socket, relay in the foreground, error without either in create mode', () => {
  const spec = runcSpec()
  spec.process!.terminal = true
  spec.process!.consoleSize = { height: 40, width: 120 }
  let { ops } = compile(spec, { ...ROOT, ...CREATE, consoleSocket: '/tmp/console.sock' })
  assert.equal(one(ops, 'console-socket'), ['console-socket', '/tmp/console.sock'])
  assert.not.ok(names(ops).includes('console-relay'))
  assert.equal(one(ops, 'console'), ['console', 40, 120])
  inOrder(ops, 'pivot-root', 'remount-ro', 'console', 'rlimit')
  ;({ ops } = compile(spec, ROOT))
  assert.equal(one(ops, 'console-relay'), ['console-relay'])
  assert.not.ok(names(ops).includes('console-socket'))
  ;({ ops } = compile(spec, { ...ROOT, consoleSocket: '/tmp/c.sock' }))
  assert.equal(one(ops, 'console-socket'), ['console-socket', '/tmp/c.sock'])
  throwsCode(() => compilePlan(spec, { ...ROOT, ...CREATE }), 'INVALID_ARGUMENT', 'console-socket')
  throwsCode(() => compilePlan(spec, { ...ROOT, mode: 'detach' }), 'INVALID_ARGUMENT', 'console-socket')
  delete spec.process!.consoleSize
  assert.equal(one(compile(spec, ROOT).ops, 'console'), ['console', 0, 0])
})

test('mode monitor: its ops right after the mode, and the pty relayed to it', () => {
  const spec = runcSpec()
  spec.process!.terminal = true
  const monitorOps: Op[] = [['monitor-exit', '/s/exit'], ['monitor-socket', '/s/attach']]
  const { ops } = compile(spec, { ...ROOT, mode: 'monitor', monitorOps })
  assert.equal(ops.slice(0, 3), [['mode', 'monitor'], ...monitorOps])
  assert.equal(one(ops, 'console-relay'), ['console-relay'])
})

test('terminal false: no console ops', () => {
  const ops = compile(runcSpec(), ROOT).ops
  for (const name of ['console', 'console-socket', 'console-relay'] as const) assert.not.ok(names(ops).includes(name), name)
})

test('noPivot: chroot instead of pivot-root', () => {
  const ops = compile(runcSpec(), { ...ROOT, noPivot: true }).ops
  assert.not.ok(names(ops).includes('pivot-root'))
  inOrder(ops, 'symlink', 'chroot', 'mask')
})

test('mounts keep config order; relative bind sources resolve against the bundle', () => {
  const spec = runcSpec()
  spec.mounts = [
    { destination: '/z', type: 'tmpfs', source: 'tmpfs' },
    { destination: '/data', type: 'bind', source: 'data', options: ['ro'] },
    { destination: '/a', type: 'none', source: '/srv/a', options: ['rbind', 'rprivate'] },
    { destination: '/proc', type: 'proc', source: 'proc' },
  ]
  spec.root = { path: 'fs' }
  const ops = compile(spec, ROOT).ops
  assert.equal(one(ops, 'rootfs'), ['rootfs', '/b/fs'])
  assert.equal(all(ops, 'mount'), [
    ['mount', 'tmpfs', '/z', 'tmpfs', 0, 0, ''],
    ['mount', '/b/data', '/data', '', MS.BIND | MS.RDONLY, 0, ''],
    ['mount', '/srv/a', '/a', '', MS.BIND | MS.REC, MS.PRIVATE | MS.REC, ''],
    ['mount', 'proc', '/proc', 'proc', 0, 0, ''],
  ])
  // no /dev tmpfs: no default devices, no /dev symlinks; not readonly: no remount-ro
  for (const name of ['mknod', 'symlink', 'remount-ro'] as const) assert.not.ok(names(ops).includes(name), name)
})

test('rootfsPropagation: "/" is a slave (or private) until the pivot, then what was asked', () => {
  const spec = runcSpec()
  spec.linux!.rootfsPropagation = 'private'
  assert.equal(one(compile(spec, ROOT).ops, 'propagation'), ['propagation', '/', MS.PRIVATE | MS.REC])
  spec.linux!.rootfsPropagation = 'shared'
  const ops = compile(spec, ROOT).ops
  assert.equal(all(ops, 'propagation'), [['propagation', '/', MS.SLAVE | MS.REC], ['propagation', '/', MS.SHARED | MS.REC]])
  assert.ok(names(ops).indexOf('pivot-root') < names(ops).lastIndexOf('propagation'))
  spec.linux!.rootfsPropagation = 'sideways'
  throwsCode(() => compilePlan(spec, ROOT), 'CONFIG_INVALID', '/linux/rootfsPropagation')
})

test('cgroup v1 mount: a tmpfs with a bind of the container\'s own cgroup per hierarchy, read-only rootless', () => {
  const cgroupV1 = { '/sys/fs/cgroup/memory': '/sys/fs/cgroup/memory/cocker/abc', '/sys/fs/cgroup/systemd': '/sys/fs/cgroup/systemd/user.slice' }
  const base = MS.NOSUID | MS.NODEV | MS.NOEXEC
  const expected = (ro: number) => [
    ['mount', 'tmpfs', '/sys/fs/cgroup', 'tmpfs', base, 0, 'mode=755'],
    ['mount', '/sys/fs/cgroup/memory/cocker/abc', '/sys/fs/cgroup/memory', '', MS.BIND | base | ro, 0, ''],
    ['mount', '/sys/fs/cgroup/systemd/user.slice', '/sys/fs/cgroup/systemd', '', MS.BIND | base | ro, 0, ''],
  ]
  assert.equal(all(compile(runcSpec(), { ...ROOT, cgroupV1 }).ops, 'mount').slice(-3), expected(MS.RDONLY))
  const rw = runcSpec()
  rw.mounts!.find(m => m.type === 'cgroup')!.options = ['nosuid', 'noexec', 'nodev', 'relatime']
  assert.equal(all(compile(rw, { ...ROOT, cgroupV1 }).ops, 'mount').slice(-3), expected(0))
  const rootless = all(compile(runcSpec(true), { ...ROOTLESS, cgroupV1 }).ops, 'mount')
  assert.equal(rootless.filter(op => String(op[2]).startsWith('/sys/fs/cgroup')), expected(MS.RDONLY))
})

test('config devices: mknod with type bits and owner; a default of the same path is replaced', () => {
  const spec = runcSpec()
  spec.linux!.devices = [
    { type: 'b', path: '/dev/sda', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
    { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o600 },
  ]
  const mknods = all(compile(spec, ROOT).ops, 'mknod')
  assert.equal(mknods.filter(op => op[1] === '/dev/null'), [['mknod', '/dev/null', 0o020600, 1, 3, 0, 0]])
  assert.equal(mknods.filter(op => op[1] === '/dev/sda'), [['mknod', '/dev/sda', 0o060660, 8, 0, 0, 6]])
  assert.is(mknods.length, 7)
})

test('sysctl: a write to /proc/sys after pivot_root; a key with "/" is rejected', () => {
  const spec = runcSpec()
  spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'a.b': 'x' }
  const ops = compile(spec, ROOT).ops
  assert.equal(all(ops, 'write'), [['write', '/proc/sys/net/ipv4/ip_forward', '1'], ['write', '/proc/sys/a/b', 'x']])
  inOrder(ops, 'pivot-root', 'write', 'mask', 'readonly')
  for (const key of ['a/b', '../../etc/passwd', 'kernel..x']) {
    spec.linux!.sysctl = { [key]: '1' }
    throwsCode(() => compilePlan(spec, ROOT), 'CONFIG_INVALID', `/linux/sysctl: "${key}"`)
  }
})

test('oomScoreAdj is written before pivot_root', () => {
  const spec = runcSpec()
  spec.process!.oomScoreAdj = -500
  const ops = compile(spec, ROOT).ops
  assert.equal(one(ops, 'write'), ['write', '/proc/self/oom_score_adj', -500])
  inOrder(ops, 'symlink', 'write', 'pivot-root')
})

test('hooks: recorded before pivot_root, TS synced, createContainer run, startContainer after fifo-wait', () => {
  const spec = runcSpec()
  spec.hooks = {
    createContainer: [{ path: '/bin/cc', args: ['cc', '-x'], env: ['A=1'], timeout: 5 }],
    startContainer: [{ path: '/bin/sc' }],
  }
  const ops = compile(spec, { ...ROOT, ...CREATE, hooks: true }).ops
  assert.equal(all(ops, 'hook'), [
    ['hook', 'createContainer', '/bin/cc', 5, ['cc', '-x'], ['A=1']],
    ['hook', 'startContainer', '/bin/sc', 0, [], []],
  ])
  assert.equal(one(ops, 'hooks-sync'), ['hooks-sync', 'createRuntime'])
  inOrder(ops, 'symlink', 'hook', 'hooks-sync', ['run-hooks', 'createContainer'], 'pivot-root',
    'check-exec', 'fifo-wait', ['run-hooks', 'startContainer'], 'keep-caps')
  const noHooks = compile(runcSpec(), ROOT).ops
  assert.not.ok(names(noHooks).includes('hooks-sync'))
  assert.not.ok(noHooks.some(op => op[0] === 'run-hooks' && op[1] === 'createContainer'))
})

test('stage 0 extras: preserve-fds first, cgroup-join after the namespaces', () => {
  const ops = compile(runcSpec(true), { ...ROOTLESS, preserveFds: 2, cgroupProcs: ['/sys/fs/cgroup/a/cgroup.procs', '/x/cgroup.procs'] }).ops
  assert.equal(stage0(ops), [
    ['mode', 'wait'], ['preserve-fds', 2], ['ns-new', 'pid,ipc,uts,mnt,user'],
    ['uid-map', 0, UID, 1], ['gid-map', 0, GID, 1], ['setgroups-deny'],
    ['cgroup-join', '/sys/fs/cgroup/a/cgroup.procs'], ['cgroup-join', '/x/cgroup.procs'],
  ])
})

test('stage 0 ops all come before stage 1 ops', () => {
  const spec = runcSpec()
  spec.process!.terminal = true
  const ops = compile(spec, { ...ROOT, ...CREATE, consoleSocket: '/s', preserveFds: 1, cgroupProcs: ['/c'] }).ops
  const phases = ops.map(op => OPS[op[0]][0]).join('')
  assert.match(phases, /^P+C+$/)
  assert.equal(names(stage0(ops)), ['mode', 'preserve-fds', 'ns-new', 'cgroup-join', 'fifo', 'console-socket'])
})

test('rlimits: numbers from linux.ts, bigints for the limits; unknown type rejected', () => {
  const spec = runcSpec()
  spec.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 2 ** 53 }, { type: 'RLIMIT_NPROC', soft: 10, hard: 20 }]
  assert.equal(all(compile(spec, ROOT).ops, 'rlimit'), [['rlimit', 4, 0n, 2n ** 53n], ['rlimit', 6, 10n, 20n]])
  spec.process!.rlimits = [{ type: 'RLIMIT_WINGS', soft: 1, hard: 1 }]
  throwsCode(() => compilePlan(spec, ROOT), 'CONFIG_INVALID', 'RLIMIT_WINGS')
})

test('personality LINUX32', () => {
  const spec = runcSpec()
  spec.linux!.personality = { domain: 'LINUX32' }
  const ops = compile(spec, ROOT).ops
  assert.equal(one(ops, 'personality'), ['personality', 8])
  inOrder(ops, 'umask', 'personality', 'exec')
})

test.run()
