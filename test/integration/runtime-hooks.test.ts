// OCI hooks under cocker-runtime, as root and rootless: which namespaces each
// kind runs in, the state each gets on stdin, their order over create, start
// and delete, and what a failing or hanging hook does to the container.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import type { FixtureSpec } from '../fixtures/oci-config.js'
import { safeName } from '../support/names.js'
import { busybox, cgroupMountpoints, forceDelete, pidAlive, poll, runtime, scenario, sharedDir, stateOf, waitStatus, type Mode } from '../support/runtime-modes.js'

type Hook = { path: string; args?: string[]; env?: string[]; timeout?: number }

/** A hook run by the host's /bin/sh. */
const sh = (script: string, extra: Partial<Hook> = {}): Hook => ({ path: '/bin/sh', args: ['sh', '-c', script], ...extra })

/** Records what a hook sees into DIR/STAGE.*: its stdin, mount namespace, hostname, and its turn in DIR/order. */
const recorder = (dir: string, stage: string) =>
  `cat > ${dir}/${stage}.json; readlink /proc/self/ns/mnt > ${dir}/${stage}.mnt; ` +
  `cat /proc/sys/kernel/hostname > ${dir}/${stage}.host; echo ${stage} >> ${dir}/order`

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8').trim()
const order = (dir: string) => existsSync(path.join(dir, 'order')) ? read(dir, 'order').split('\n') : []

function setHooks(spec: FixtureSpec, hooks: Record<string, Hook[]>): void {
  spec.hooks = hooks
}

/** The state on a hook's stdin: the spec's fields, for this container. */
function assertState(dir: string, stage: string, id: string, bundle: string, status: string[], pid?: number): void {
  const state = JSON.parse(read(dir, `${stage}.json`))
  assert.type(state.ociVersion, 'string', `${stage}: ociVersion`)
  assert.is(state.id, id, `${stage}: id`)
  assert.is(state.bundle, bundle, `${stage}: bundle`)
  assert.ok(status.includes(state.status), `${stage}: status "${state.status}", expected one of ${status.join(', ')}`)
  if (pid !== undefined) assert.is(state.pid, pid, `${stage}: pid`)
}

scenario('all six kinds of hook run in order, each in its namespaces with the state on stdin', async mode => {
  const dir = sharedDir(mode)
  const bundle = busybox(mode, ['true'], s => {
    s.hostname = 'hooks-box'
    s.mounts.push({ destination: '/shared', type: 'bind', source: dir, options: ['rbind', 'rw'] })
    setHooks(s, {
      prestart: [sh(recorder(dir, 'prestart'))],
      createRuntime: [sh(recorder(dir, 'createRuntime'))],
      // runs from the host's /bin/sh, but in the container's namespaces, before pivot_root
      createContainer: [sh(recorder(dir, 'createContainer'))],
      // runs inside the container after pivot_root: /bin/sh is busybox's, the host dir is /shared
      startContainer: [sh(`${recorder('/shared', 'startContainer')}; test -e ${dir} && echo host > /shared/startContainer.root || echo rootfs > /shared/startContainer.root`)],
      poststart: [sh(recorder(dir, 'poststart'))],
      poststop: [sh(recorder(dir, 'poststop'))],
    })
  })
  const id = safeName()
  const hostMnt = readlinkSync('/proc/self/ns/mnt')
  try {
    await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 0 })
    const pid = (await stateOf(mode, id))!.pid
    assert.equal(order(dir), ['prestart', 'createRuntime', 'createContainer'])
    const creating = ['creating', 'created']
    assertState(dir, 'prestart', id, bundle.dir, creating, pid)
    assertState(dir, 'createRuntime', id, bundle.dir, creating, pid)
    assertState(dir, 'createContainer', id, bundle.dir, creating)
    // prestart and createRuntime: the runtime's namespaces; createContainer: the container's
    assert.is(read(dir, 'prestart.mnt'), hostMnt)
    assert.is(read(dir, 'createRuntime.mnt'), hostMnt)
    assert.is(read(dir, 'prestart.host'), os.hostname())
    assert.is(read(dir, 'createContainer.mnt'), readlinkSync(`/proc/${pid}/ns/mnt`))
    assert.is(read(dir, 'createContainer.host'), 'hooks-box')

    await runtime(mode, ['start', id], { status: 0 })
    await waitStatus(mode, id, 'stopped')
    assert.equal(order(dir), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart'])
    assertState(dir, 'startContainer', id, bundle.dir, ['creating', 'created', 'running'])
    assert.is(read(dir, 'startContainer.host'), 'hooks-box')
    assert.is(read(dir, 'startContainer.root'), 'rootfs', 'startContainer runs after pivot_root: host paths are gone')
    assertState(dir, 'poststart', id, bundle.dir, ['running'], pid)
    assert.is(read(dir, 'poststart.mnt'), hostMnt)

    await runtime(mode, ['delete', id], { status: 0 })
    assert.equal(order(dir), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'])
    assertState(dir, 'poststop', id, bundle.dir, ['stopped'])
    assert.is(read(dir, 'poststop.mnt'), hostMnt)
    assert.is(read(dir, 'poststop.host'), os.hostname())
  } finally {
    await forceDelete(mode, id)
  }
})

scenario('hooks get their stdio and nothing more of cocker-runtime: no other fd, no variable of its own', async mode => {
  const dir = sharedDir(mode)
  // the shell lists its own fds: the glob's directory fd is closed again before echo runs
  const record = (stage: string) => sh(`echo /proc/$$/fd/* > ${dir}/${stage}.fds; env > ${dir}/${stage}.env`)
  const bundle = busybox(mode, ['true'], s => setHooks(s, { prestart: [record('prestart')], poststop: [record('poststop')] }))
  await runtime(mode, ['run', '--bundle', bundle.dir, safeName()], { status: 0 })
  // what any program we start sees: 0-2, the glob's own fd, and whatever fds our caller leaks to us
  const fdsOf = (list: string) => list.trim().split(' ').map(f => f.split('/').pop())
  const expected = fdsOf(spawnSync('/bin/sh', ['-c', 'echo /proc/$$/fd/*'], { encoding: 'utf8' }).stdout)
  for (const stage of ['prestart', 'poststop']) {
    assert.equal(fdsOf(read(dir, `${stage}.fds`)), expected, `${stage}: fds`)
    assert.not.match(read(dir, `${stage}.env`), /_COCKER/, `${stage}: environment`)
  }
})

/** create with these hooks must fail: exit 1, one line naming the hook, and nothing left. */
async function assertCreateFails(mode: Mode, dir: string, hooks: Record<string, Hook[]>, message: RegExp): Promise<void> {
  // as root the container gets cgroups: at a path of ours, so we can tell they are gone
  const cgroupsPath = `/cocker-test-${randomBytes(4).toString('hex')}`
  const bundle = busybox(mode, ['true'], s => {
    setHooks(s, hooks)
    if (mode.name === 'root') s.linux.cgroupsPath = cgroupsPath
  })
  const id = safeName()
  try {
    const r = await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 1 })
    const lines = r.stderr.trim().split('\n')
    assert.is(lines.length, 1, `one line expected, got:\n${r.stderr}`)
    assert.match(lines[0], message)
    assert.is(existsSync(path.join(mode.root, id)), false, 'a failed create leaves no state dir')
    assert.is(await stateOf(mode, id), undefined, '`state` knows no such container')
    // the first prestart hook of every case records the state, so we know the init's pid
    const pid = JSON.parse(read(dir, 'state.json')).pid as number
    assert.ok(pid > 0)
    assert.ok(await poll(() => !pidAlive(pid)), `the container's init ${pid} is still alive`)
    const cgroups = cgroupMountpoints().map(m => path.join(m, cgroupsPath)).filter(d => existsSync(d))
    assert.equal(cgroups, [], 'a failed create leaves no cgroup')
  } finally {
    await forceDelete(mode, id)
  }
}

scenario('a prestart hook that exits 3 fails create with one line naming it, and leaves nothing', async mode => {
  const dir = sharedDir(mode)
  await assertCreateFails(mode, dir, { prestart: [sh(`cat > ${dir}/state.json; exit 3`)] },
    /prestart hook \/bin\/sh .*exit status 3/)
})

scenario('a createContainer hook that exits 3 fails create the same way', async mode => {
  const dir = sharedDir(mode)
  await assertCreateFails(mode, dir, {
    prestart: [sh(`cat > ${dir}/state.json`)],
    createContainer: [sh('exit 3')],
  }, /createContainer hook \/bin\/sh .*exit status 3/)
})

scenario('a prestart hook past its timeout is killed and fails create', async mode => {
  const dir = sharedDir(mode)
  await assertCreateFails(mode, dir, {
    prestart: [sh(`cat > ${dir}/state.json`), sh(`echo $$ > ${dir}/hook.pid; exec sleep 5`, { timeout: 1 })],
  }, /prestart hook \/bin\/sh .*timed out/)
  const hookPid = Number(read(dir, 'hook.pid'))
  assert.ok(await poll(() => !pidAlive(hookPid)), `the timed-out hook ${hookPid} still runs`)
})

scenario('a createContainer hook past its timeout fails create the same way', async mode => {
  const dir = sharedDir(mode)
  await assertCreateFails(mode, dir, {
    prestart: [sh(`cat > ${dir}/state.json`)],
    createContainer: [sh('exec sleep 5', { timeout: 1 })],
  }, /createContainer hook \/bin\/sh .*timed out/)
})

scenario('failing poststart and poststop hooks only warn: the container runs, the next hook still runs', async mode => {
  const dir = sharedDir(mode)
  const bundle = busybox(mode, ['sh', '-c', 'echo ran'], s => setHooks(s, {
    poststart: [sh('exit 3'), sh(`echo poststart >> ${dir}/order`)],
    poststop: [sh('exit 4'), sh(`echo poststop >> ${dir}/order`)],
  }))
  const id = safeName()
  try {
    const r = await runtime(mode, ['run', '--bundle', bundle.dir, id], { status: 0 })
    assert.is(r.stdout, 'ran\n')
    const warnings = r.stderr.trim().split('\n')
    assert.is(warnings.length, 2, `two warnings expected, got:\n${r.stderr}`)
    assert.match(warnings[0], /warning: .*poststart hook \/bin\/sh .*exit status 3/)
    assert.match(warnings[1], /warning: .*poststop hook \/bin\/sh .*exit status 4/)
    assert.equal(order(dir), ['poststart', 'poststop'])
    assert.is(existsSync(path.join(mode.root, id)), false, 'run removed the container')
  } finally {
    await forceDelete(mode, id)
  }
})

test.run()
