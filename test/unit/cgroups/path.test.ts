import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CgroupLayout } from '../../../lib/cgroups/layout.js'
import { normalizeCgroupsPath, resolveHierarchies, systemdToCgroupfs, v1Views } from '../../../lib/cgroups/path.js'
import { throwsCode } from '../../support/assert.js'

const C = '/sys/fs/cgroup'
const HYBRID: CgroupLayout = {
  version: 'hybrid',
  v1: { cpu: `${C}/cpu,cpuacct`, cpuacct: `${C}/cpu,cpuacct`, memory: `${C}/memory`, 'name=systemd': `${C}/systemd` },
  unified: `${C}/unified`,
  unifiedControllers: ['hugetlb'],
}
const SELF = '9:name=systemd:/\n4:memory:/process_api/314e\n1:cpu,cpuacct:/\n0::/\n'
const self = (): string => SELF


test('no cgroupsPath: /cocker/<id> for root, cocker-<id> beside our own cgroup when rootless', () => {
  assert.is(normalizeCgroupsPath(undefined, 'abc', false, false), '/cocker/abc')
  assert.is(normalizeCgroupsPath('', 'abc', false, false), '/cocker/abc')
  assert.is(normalizeCgroupsPath(undefined, 'abc', true, false), '../cocker-abc')
  assert.is(normalizeCgroupsPath('/x/y', 'abc', true, false), '/x/y')
})

test('systemd form: slices expand into nested dirs, the unit becomes a .scope', () => {
  assert.is(systemdToCgroupfs('machine-qemu-1.slice:libpod:abc', false), '/machine.slice/machine-qemu.slice/machine-qemu-1.slice/libpod-abc.scope')
  assert.is(systemdToCgroupfs('system.slice:cocker:abc', false), '/system.slice/cocker-abc.scope')
  assert.is(systemdToCgroupfs('-.slice:cocker:abc', false), '/cocker-abc.scope')
  assert.is(systemdToCgroupfs(':cocker:abc', false), '/system.slice/cocker-abc.scope')
  assert.is(systemdToCgroupfs(':cocker:abc', true), '/user.slice/cocker-abc.scope')
  assert.is(systemdToCgroupfs('user.slice::abc', true), '/user.slice/abc.scope')
  assert.is(systemdToCgroupfs('a.slice:x:a-b.slice', false), '/a.slice/a-b.slice')
})

test('systemd form is used when asked for, or when the path has two colons', () => {
  assert.is(normalizeCgroupsPath(undefined, 'abc', false, true), '/system.slice/abc.scope')
  assert.is(normalizeCgroupsPath(undefined, 'abc', true, true), '/user.slice/abc.scope')
  assert.is(normalizeCgroupsPath('system.slice:cocker:abc', 'abc', false, false), '/system.slice/cocker-abc.scope')
  assert.is(throwsCode(() => normalizeCgroupsPath('/foo', 'abc', false, true), 'INVALID_ARGUMENT').message, 'linux.cgroupsPath: "/foo" is not "slice:prefix:name"')
})

test('bad systemd paths name the offending part', () => {
  assert.is(throwsCode(() => systemdToCgroupfs('system:cocker:abc', false), 'INVALID_ARGUMENT').message,
    'linux.cgroupsPath: "system:cocker:abc": "system" is not a valid slice name')
  assert.is(throwsCode(() => systemdToCgroupfs('a--b.slice:cocker:abc', false), 'INVALID_ARGUMENT').message,
    'linux.cgroupsPath: "a--b.slice:cocker:abc": "a--b.slice" is not a valid slice name')
  assert.is(throwsCode(() => systemdToCgroupfs('system.slice:cocker:', false), 'INVALID_ARGUMENT').message,
    'linux.cgroupsPath: "system.slice:cocker:" is not "slice:prefix:name"')
  assert.is(throwsCode(() => normalizeCgroupsPath(undefined, 'a/b', false, false), 'INVALID_ARGUMENT').message, 'container id "a/b" cannot name a cgroup')
})

test('absolute paths start at each hierarchy root; of the named hierarchies only name=systemd; cgroup2 last', () => {
  const layout: CgroupLayout = { ...HYBRID, v1: { ...HYBRID.v1, 'name=elogind': `${C}/elogind` } }
  const hs = resolveHierarchies(layout, '/cocker/abc', () => assert.unreachable('read /proc/self/cgroup') as never)
  assert.equal(hs, [
    { kind: 'v1', mount: `${C}/cpu,cpuacct`, controllers: ['cpu', 'cpuacct'], dir: `${C}/cpu,cpuacct/cocker/abc` },
    { kind: 'v1', mount: `${C}/memory`, controllers: ['memory'], dir: `${C}/memory/cocker/abc` },
    { kind: 'v1', mount: `${C}/systemd`, controllers: ['name=systemd'], dir: `${C}/systemd/cocker/abc` },
    { kind: 'v2', mount: `${C}/unified`, controllers: ['hugetlb'], dir: `${C}/unified/cocker/abc` },
  ])
})

test('relative paths start at our own cgroup in each hierarchy', () => {
  const dirs = resolveHierarchies(HYBRID, 'sub/abc', self).map(h => h.dir)
  assert.equal(dirs, [`${C}/cpu,cpuacct/sub/abc`, `${C}/memory/process_api/314e/sub/abc`, `${C}/systemd/sub/abc`, `${C}/unified/sub/abc`])
  const sibling = resolveHierarchies(HYBRID, '../cocker-abc', self).map(h => h.dir)
  assert.equal(sibling, [`${C}/cpu,cpuacct/cocker-abc`, `${C}/memory/process_api/cocker-abc`, `${C}/systemd/cocker-abc`, `${C}/unified/cocker-abc`])
})

test('a subtree mount: our path is taken relative to the mounted root', () => {
  const layout: CgroupLayout = { version: 'v2', v1: {}, unified: C, unifiedControllers: [], roots: { [C]: '/docker/abc' } }
  assert.is(resolveHierarchies(layout, 'x', () => '0::/docker/abc/init\n')[0]!.dir, `${C}/init/x`)
})

test('".." stops at the hierarchy root; the root itself is refused', () => {
  assert.is(resolveHierarchies(HYBRID, '../../x', self)[1]!.dir, `${C}/memory/x`)
  assert.is(resolveHierarchies(HYBRID, '../cocker-abc', self)[0]!.dir, `${C}/cpu,cpuacct/cocker-abc`)
  assert.is(throwsCode(() => resolveHierarchies(HYBRID, '/', self), 'INVALID_ARGUMENT').message, `linux.cgroupsPath: "/" is the root cgroup of ${C}/cpu,cpuacct`)
  assert.is(throwsCode(() => resolveHierarchies(HYBRID, '/a/..', self), 'INVALID_ARGUMENT').message, `linux.cgroupsPath: "/a/.." is the root cgroup of ${C}/cpu,cpuacct`)
})

test('a relative path needs our entry in /proc/self/cgroup', () => {
  assert.is(throwsCode(() => resolveHierarchies(HYBRID, 'x', () => '0::/\n'), 'CGROUP_FAILED').message, 'cgroup: /proc/self/cgroup has no entry for cpu')
})

test('v1Views: the container\'s own cgroup where it joined one, else ours', () => {
  const joined = [`${C}/cpu,cpuacct/cocker/abc/cgroup.procs`, `${C}/memory/cocker/abc/cgroup.procs`, `${C}/systemd/cocker/abc/cgroup.procs`,
    `${C}/unified/cocker/abc/cgroup.procs`]
  assert.equal(v1Views(HYBRID, joined, self), {
    [`${C}/cpu,cpuacct`]: `${C}/cpu,cpuacct/cocker/abc`,
    [`${C}/memory`]: `${C}/memory/cocker/abc`,
    [`${C}/systemd`]: `${C}/systemd/cocker/abc`,
  })
  // rootless on v1 (or --cgroups disabled): nothing joined, the container is where we are
  assert.equal(v1Views(HYBRID, [], () => '9:name=systemd:/user.slice/u\n4:memory:/process_api/314e\n1:cpu,cpuacct:/\n0::/\n'), {
    [`${C}/cpu,cpuacct`]: `${C}/cpu,cpuacct`,
    [`${C}/memory`]: `${C}/memory/process_api/314e`,
    [`${C}/systemd`]: `${C}/systemd/user.slice/u`,
  })
  // a subtree mount: our path relative to what is mounted
  const sub: CgroupLayout = { ...HYBRID, roots: { [`${C}/memory`]: '/process_api' } }
  assert.is(v1Views(sub, [], self)[`${C}/memory`], `${C}/memory/314e`)
})

test.run()
