// What cocker-runtime does to the host's mount table and cgroups on behalf of a config:
// a config without a mount namespace runs in the host's one and leaves its mount table as
// it was, before, during and after the container; a limit this host cannot apply is refused
// in one line, as runc and crun refuse it.
import { readFileSync, readlinkSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { FixtureSpec } from '../fixtures/oci-config.js'
import { safeName } from '../support/names.js'
import { cgroupLayout, skipUnless } from '../support/requires.js'
import { busybox, forceDelete, runtime, scenario } from '../support/runtime-modes.js'

function noMountNamespace(s: FixtureSpec): void {
  s.linux.namespaces = s.linux.namespaces.filter(n => n.type !== 'mount')
}

/** The host's mounts under dir: other tests on this machine change the rest of the table meanwhile. */
function hostMountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(l => l.split(' ')[4]?.startsWith(dir))
}

/** Linux 6.15 lets a detached mount tree take mounts; older kernels refuse the container's first mount. */
function kernelAtLeast(major: number, minor: number): boolean {
  const [a, b] = readFileSync('/proc/sys/kernel/osrelease', 'utf8').split('.').map(Number)
  return a! > major || (a === major && b! >= minor)
}

scenario('no mount namespace: the container shares the host\'s, gets its mounts, masks and read-only paths, and the host\'s mount table never sees them', async mode => {
  if (skipUnless(kernelAtLeast(6, 15), 'a config without a mount namespace (root)', 'mounting on a detached tree needs Linux 6.15')) return
  const bundle = busybox(mode, ['sleep', '300'], noMountNamespace)
  const before = hostMountsUnder(bundle.dir)
  const id = safeName()
  try {
    await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 0 })
    assert.equal(hostMountsUnder(bundle.dir), before, 'mounts of the created container in the host\'s table')
    const script = [
      'readlink /proc/self/ns/mnt', 'ls /proc/self/fd >/dev/null && echo proc', 'echo x > /dev/null && echo null',
      'wc -c < /proc/timer_list', 'touch /proc/sys/x 2>/dev/null || echo proc-sys-ro', 'touch /new 2>/dev/null || echo root-ro',
    ].join('; ')
    const r = await runtime(mode, ['exec', id, 'sh', '-c', script], { status: 0 })
    assert.is(r.stdout, `${readlinkSync('/proc/self/ns/mnt')}\nproc\nnull\n0\nproc-sys-ro\nroot-ro\n`)
    await runtime(mode, ['start', id], { status: 0 })
    assert.equal(hostMountsUnder(bundle.dir), before, 'mounts of the running container in the host\'s table')
    await runtime(mode, ['delete', '--force', id], { status: 0 })
    assert.equal(hostMountsUnder(bundle.dir), before)
  } finally {
    await forceDelete(mode, id)
  }
}, 'busybox', ['root'])

scenario('no mount namespace but a user namespace: each thing that needs a mount is refused by name; without them it runs in a chroot', async mode => {
  const refused = await runtime(mode, ['run', '--bundle', busybox(mode, ['true'], noMountNamespace).dir, safeName()], { status: 1 })
  assert.is(refused.stderr, 'cocker-runtime: config.json: /mounts/0: "/proc" needs a mount, which a container with a user namespace but without ' +
    'a mount namespace of its own cannot make; add {"type": "mount"} to linux.namespaces\n')
  const bare = busybox(mode, ['sleep', '300'], s => {
    noMountNamespace(s)
    s.mounts = []
    s.linux.maskedPaths = []
    s.linux.readonlyPaths = []
    s.root.readonly = false
  })
  const before = hostMountsUnder(bare.dir)
  const id = safeName()
  try {
    // created: the init waits at the exec fifo, which it reopens without a /proc of its own
    await runtime(mode, ['create', '--bundle', bare.dir, id], { status: 0 })
    const r = await runtime(mode, ['exec', id, 'sh', '-c', 'ls /bin/busybox; ls /proc'], { status: 0 })
    assert.is(r.stdout, '/bin/busybox\n')
    await runtime(mode, ['start', id], { status: 0 })
    assert.is((await runtime(mode, ['state', id], { status: 0 })).stdout.includes('"running"'), true)
    assert.equal(hostMountsUnder(bare.dir), before)
  } finally {
    await forceDelete(mode, id)
  }
}, 'busybox', ['rootless'])

/** Whether a cgroup v1 hierarchy of this controller is mounted. */
function v1Controller(name: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some(l => {
    const [, post] = l.split(' - ')
    const [fstype, , superopts] = post?.split(' ') ?? []
    return fstype === 'cgroup' && superopts!.split(',').includes(name)
  })
}

scenario('a network class limit on a host without net_cls is refused in one line, exit 1, and leaves nothing behind', async mode => {
  const layout = cgroupLayout()
  if (skipUnless(layout !== 'v2' && layout !== 'none' && !v1Controller('net_cls') && !v1Controller('net_prio'),
    'linux.resources.network without net_cls (root)', `needs cgroup v1 without net_cls and net_prio (layout ${layout})`)) return
  const bundle = busybox(mode, ['true'], s => {
    ;(s.linux as Record<string, unknown>).resources = { network: { classID: 0x100001, priorities: [{ name: 'lo', priority: 1 }] } }
  })
  const id = safeName()
  const r = await runtime(mode, ['run', '--bundle', bundle.dir, id], { status: 1 })
  assert.is(r.stderr, 'cocker-runtime: this host cannot apply linux.resources network.classID (the net_cls controller is not mounted), ' +
    'network.priorities (the net_prio controller is not mounted); remove them from config.json\n')
  assert.is((await runtime(mode, ['state', id], { status: 1 })).stdout, '')
}, 'busybox', ['root'])

test.run()
