// The linux section of config.json under cocker-runtime, seen from inside the
// container and from the host: sysctls, oom_score_adj, devices, joining
// another container's namespaces, cgroup limits, and pause/resume.
import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { FixtureSpec } from '../fixtures/oci-config.js'
import { safeName } from '../support/names.js'
import { cgroupLayout, skipUnless } from '../support/requires.js'
import { busybox, forceDelete, poll, run, runtime, scenario, stateOf, type Mode } from '../support/runtime-modes.js'

/** Gives the container a network namespace of its own (rootless configs keep the host's). */
function ownNetwork(s: FixtureSpec): void {
  if (!s.linux.namespaces.some(n => n.type === 'network')) s.linux.namespaces.push({ type: 'network' })
}

scenario('a sysctl of the container\'s network namespace is set inside, not on the host', async mode => {
  const read = 'cat /proc/sys/net/ipv4/ip_forward'
  const before = (await run(mode, busybox(mode, ['sh', '-c', read], ownNetwork))).trim()
  // the opposite of the new namespace's default, so only the sysctl can explain the value
  const want = before === '1' ? '0' : '1'
  const host = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')
  const out = await run(mode, busybox(mode, ['sh', '-c', read], s => {
    ownNetwork(s)
    s.linux.sysctl = { 'net.ipv4.ip_forward': want }
  }))
  assert.is(out, `${want}\n`)
  assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), host, 'the host\'s value is untouched')
})

scenario('kernel.domainname is set in the container\'s UTS namespace', async mode => {
  const host = readFileSync('/proc/sys/kernel/domainname', 'utf8')
  const out = await run(mode, busybox(mode, ['cat', '/proc/sys/kernel/domainname'], s => {
    s.linux.sysctl = { 'kernel.domainname': 'cocker.test' }
  }))
  assert.is(out, 'cocker.test\n')
  assert.is(readFileSync('/proc/sys/kernel/domainname', 'utf8'), host)
}, 'busybox', ['root'])

scenario('oomScoreAdj sets /proc/self/oom_score_adj', async mode => {
  const out = await run(mode, busybox(mode, ['cat', '/proc/self/oom_score_adj'], s => { s.process.oomScoreAdj = 500 }))
  assert.is(out, '500\n')
})

// fuse (10:229): a device the default rules do not allow, harmless to open where a bug lets it through
const UNLISTED = 'mknod /dev/unlisted c 10 229 && { true < /dev/unlisted && echo opened; } 2>&1 || true'

scenario('linux.devices creates the node with its type, numbers and mode, and the device cgroup allows it; a node not in the list is refused', async mode => {
  const out = await run(mode, busybox(mode, ['sh', '-c', `ls -ln /dev/mynull; echo x > /dev/mynull && echo written; ${UNLISTED}`], s => {
    ;(s.linux as Record<string, unknown>).devices = [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 0, gid: 0 }]
    // to make the unlisted node: the rules allow mknod of any char device ("c *:* m"), not its use
    for (const set of ['bounding', 'effective', 'permitted'] as const) s.process.capabilities![set]!.push('CAP_MKNOD')
  }))
  const [ls, written, unlisted] = out.trim().split('\n')
  const f = ls!.split(/\s+/)
  // crw-r-----  1 0  0  1,  3 <date> /dev/mynull
  assert.equal([f[0], f[2], f[3], f[4], f[5], f[f.length - 1]], ['crw-r-----', '0', '0', '1,', '3', '/dev/mynull'], ls)
  assert.is(written, 'written')
  // the device cgroup (v1 devices controller, or v2's eBPF filter) says EPERM; a mode would say EACCES
  assert.is(unlisted, "sh: can't open /dev/unlisted: Operation not permitted")
}, 'busybox', ['root'])

scenario('a container joins another\'s UTS and network namespaces by path', async mode => {
  const a = busybox(mode, ['sleep', '300'], s => {
    s.hostname = 'ns-a'
    ownNetwork(s)
  })
  const idA = safeName()
  const idB = safeName()
  try {
    await runtime(mode, ['run', '--detach', '--bundle', a.dir, idA], { status: 0 })
    const pidA = (await stateOf(mode, idA))!.pid
    const b = busybox(mode, ['sh', '-c', 'hostname; readlink /proc/self/ns/uts; readlink /proc/self/ns/net'], s => {
      delete s.hostname
      const join: Record<string, string> = { uts: 'uts', network: 'net' }
      // rootless: A's namespaces belong to A's user namespace, so B must join that too (its
      // mappings stay: they describe the joined namespace, and runc refuses a config without them)
      if (mode.rootless) join.user = 'user'
      s.linux.namespaces = s.linux.namespaces.filter(n => !join[n.type])
      for (const [type, file] of Object.entries(join)) s.linux.namespaces.push({ type, path: `/proc/${pidA}/ns/${file}` })
    })
    const out = await runtime(mode, ['run', '--bundle', b.dir, idB], { status: 0 })
    assert.equal(out.stdout.trim().split('\n'), ['ns-a', readlinkSync(`/proc/${pidA}/ns/uts`), readlinkSync(`/proc/${pidA}/ns/net`)])
  } finally {
    await forceDelete(mode, idB)
    await forceDelete(mode, idA)
  }
})

/** Where each controller's hierarchy is mounted: v1 by its mount option, else the cgroup2 mount that offers it. */
function controllerRoot(controller: string): { dir: string; v2: boolean } | undefined {
  let v2dir: string | undefined
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ')
    if (!pre || !post) continue
    const [fstype, , superopts] = post.split(' ')
    const mountpoint = pre.split(' ')[4]!
    if (fstype === 'cgroup' && superopts!.split(',').includes(controller)) return { dir: mountpoint, v2: false }
    if (fstype === 'cgroup2') v2dir ??= mountpoint
  }
  if (v2dir && readFileSync(path.join(v2dir, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller)) return { dir: v2dir, v2: true }
  return undefined
}

scenario('memory and pids limits land in the cgroup at cgroupsPath, which delete removes', async mode => {
  const memory = controllerRoot('memory')
  const pids = controllerRoot('pids')
  if (skipUnless(Boolean(memory && pids), 'cgroup limits (root)', 'no memory or pids controller is mounted')) return
  const cgroupsPath = `/cocker-test-${randomBytes(4).toString('hex')}`
  const memDir = path.join(memory!.dir, cgroupsPath)
  const pidsDir = path.join(pids!.dir, cgroupsPath)
  const bundle = busybox(mode, ['sleep', '300'], s => {
    s.linux.cgroupsPath = cgroupsPath
    s.linux.resources = { ...s.linux.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } }
  })
  const id = safeName()
  try {
    await runtime(mode, ['run', '--detach', '--bundle', bundle.dir, id], { status: 0 })
    const pid = (await stateOf(mode, id))!.pid
    const cat = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8').trim()
    assert.is(cat(memDir, memory!.v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(64 * 1024 * 1024))
    assert.is(cat(pidsDir, 'pids.max'), '50')
    assert.ok(cat(memDir, 'cgroup.procs').split('\n').includes(String(pid)), `${pid} is not in ${memDir}`)
    assert.ok(cat(pidsDir, 'cgroup.procs').split('\n').includes(String(pid)), `${pid} is not in ${pidsDir}`)
    // a process exec'd into the container joins them too (on cgroup v1 each moves itself in)
    const inside = (await runtime(mode, ['exec', id, 'cat', '/proc/self/cgroup'], { status: 0 })).stdout
    for (const [controller, root] of [['memory', memory!], ['pids', pids!]] as const) {
      const line = root.v2 ? '0:' : `\\d+:[^:\\n]*\\b${controller}\\b[^:\\n]*`
      assert.match(inside, new RegExp(`^${line}:${cgroupsPath}$`, 'm'), `exec: ${controller}`)
    }
    await runtime(mode, ['delete', '--force', id], { status: 0 })
    assert.is(existsSync(memDir), false, `${memDir} is left after delete`)
    assert.is(existsSync(pidsDir), false, `${pidsDir} is left after delete`)
  } finally {
    await forceDelete(mode, id)
  }
}, 'busybox', ['root'])

scenario('a memory limit that cgroup v1 cannot delegate is refused in one line, exit 1, as runc refuses it', async mode => {
  if (skipUnless(controllerRoot('memory')?.v2 === false, 'rootless memory limit on cgroup v1 (rootless)',
    `the memory controller is not on cgroup v1 here (layout ${cgroupLayout()})`)) return
  const bundle = busybox(mode, ['echo', 'ran'], s => {
    s.linux.resources = { memory: { limit: 64 * 1024 * 1024 } }
  })
  const r = await runtime(mode, ['run', '--bundle', bundle.dir, safeName()], { status: 1 })
  assert.is(r.stdout, '')
  assert.is(r.stderr, 'cocker-runtime: this host cannot apply linux.resources memory (cgroup v1 cannot be delegated to an unprivileged user); ' +
    'remove them from config.json\n')
}, 'busybox', ['rootless'])

/** The state letter of /proc/PID/stat (R, S, D, T, Z…). */
function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2)[0]!
}

async function sleeper(mode: Mode): Promise<{ id: string; pid: number }> {
  const id = safeName()
  await runtime(mode, ['run', '--detach', '--bundle', busybox(mode, ['sleep', '300']).dir, id], { status: 0 })
  return { id, pid: (await stateOf(mode, id))!.pid }
}

scenario('pause freezes the container and resume thaws it', async mode => {
  const { id, pid } = await sleeper(mode)
  try {
    await runtime(mode, ['pause', id], { status: 0 })
    assert.is((await stateOf(mode, id))!.status, 'paused')
    // the freezer may report FREEZING for a moment; the task ends up in D (v1) or T
    assert.ok(await poll(() => ['D', 'T'].includes(procState(pid))), `process state is ${procState(pid)} while paused`)
    await runtime(mode, ['resume', id], { status: 0 })
    assert.is((await stateOf(mode, id))!.status, 'running')
    assert.ok(await poll(() => ['S', 'R'].includes(procState(pid))), `process state is ${procState(pid)} after resume`)
  } finally {
    await forceDelete(mode, id)
  }
}, 'busybox', ['root'])

scenario('pause without a freezer fails with one line saying why', async mode => {
  if (skipUnless(cgroupLayout() !== 'v2', 'rootless pause (rootless)', 'cgroup v2 may delegate a freezer here')) return
  const { id } = await sleeper(mode)
  try {
    const r = await runtime(mode, ['pause', id], { status: 1 })
    const lines = r.stderr.trim().split('\n')
    assert.is(lines.length, 1, `one line expected, got:\n${r.stderr}`)
    assert.match(lines[0], /pause/)
    assert.match(lines[0], id)
    assert.match(lines[0], /freezer|cgroup/)
    assert.is((await stateOf(mode, id))!.status, 'running')
  } finally {
    await forceDelete(mode, id)
  }
}, 'busybox', ['rootless'])

test.run()
