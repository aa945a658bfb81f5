// The container's process under cocker-runtime: its identity (user, groups,
// umask, id mappings), `exec` and its flags, and the helper's own protection
// while it waits in the container. Root and rootless unless a test says.
import { chmodSync, closeSync, constants, openSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import type { FixtureSpec } from '../fixtures/oci-config.js'
import { safeName } from '../support/names.js'
import { loadKoffi } from '../../lib/sys/libc.js'
import { hasNewuidmap, skipUnless } from '../support/requires.js'
import { busybox, forceDelete, pidAlive, run, runtime, scenario, sharedDir, stateOf, waitStatus, type Mode } from '../support/runtime-modes.js'

const statusLines = 'grep -E "^(Uid|Gid|Groups|Umask):" /proc/self/status'

/** A dir anyone may write into, bind-mounted at /shared. */
function worldWritable(spec: FixtureSpec, dir: string): void {
  chmodSync(dir, 0o777)
  spec.mounts.push({ destination: '/shared', type: 'bind', source: dir, options: ['rbind', 'rw'] })
}

/** Start of the user's range in /etc/subuid or /etc/subgid, if it has one of at least 65536 ids. */
function subidStart(file: string, name: string): number | undefined {
  try {
    const line = readFileSync(file, 'utf8').split('\n').find(l => l.startsWith(`${name}:`))
    const [, start, count] = line?.split(':') ?? []
    return start !== undefined && Number(count) >= 65536 ? Number(start) : undefined
  } catch {
    return undefined
  }
}

/**
 * Rootless: container 0 is the user, 1..65536 its subordinate range, mapped by
 * newuidmap/newgidmap; the host ids of container id 1000, or undefined after a skip.
 */
function multiRange(mode: Mode, title: string): { apply: (s: FixtureSpec) => void; host1000: { uid: number; gid: number } } | undefined {
  const user = mode.user!
  if (skipUnless(hasNewuidmap(), `${title} (rootless)`, 'newuidmap/newgidmap are not installed')) return undefined
  const uidStart = subidStart('/etc/subuid', user.name)
  const gidStart = subidStart('/etc/subgid', user.name)
  if (skipUnless(uidStart !== undefined && gidStart !== undefined, `${title} (rootless)`, `${user.name} has no 65536-id range in /etc/subuid and /etc/subgid`)) return undefined
  return {
    apply: s => {
      s.linux.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: uidStart!, size: 65536 }]
      s.linux.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: gidStart!, size: 65536 }]
    },
    host1000: { uid: uidStart! + 999, gid: gidStart! + 999 },
  }
}

scenario('a non-root user gets its uid, gid, additional groups and umask', async mode => {
  const shared = makeTempDir('cocker-shared-')
  const bundle = busybox(mode, ['sh', '-c', `${statusLines}; touch /shared/made`], s => {
    worldWritable(s, shared)
    // umask is in the runtime spec's process.user, not in the fixture's narrower type
    s.process.user = { uid: 1000, gid: 1000, additionalGids: [2000, 3000], umask: 0o077 } as FixtureSpec['process']['user']
  })
  const out = await run(mode, bundle)
  assert.equal(out.trim().split('\n').map(l => l.split(/\s+/).join(' ')),
    ['Umask: 0077', 'Uid: 1000 1000 1000 1000', 'Gid: 1000 1000 1000 1000', 'Groups: 2000 3000'])
  const st = statSync(path.join(shared, 'made'))
  assert.is((st.mode & 0o777).toString(8), '600')
  assert.equal([st.uid, st.gid], [1000, 1000])
}, 'busybox', ['root'])

const MULTI = 'a multi-range mapping through newuidmap: container uid 1000 is the 1000th subordinate id'
scenario(MULTI, async mode => {
  const map = multiRange(mode, MULTI)
  if (!map) return
  const shared = makeTempDir('cocker-shared-')
  const bundle = busybox(mode, ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /shared/made'], s => {
    worldWritable(s, shared)
    map.apply(s)
    s.process.user = { uid: 1000, gid: 1000 }
  })
  const out = await run(mode, bundle)
  const rows = out.trim().split('\n').map(l => l.trim().split(/\s+/).map(Number))
  const u = mode.user!
  assert.equal(rows, [
    [0, u.uid, 1], [1, map.host1000.uid - 999, 65536],
    [0, u.gid, 1], [1, map.host1000.gid - 999, 65536],
    [1000],
  ])
  const st = statSync(path.join(shared, 'made'))
  assert.equal([st.uid, st.gid], [map.host1000.uid, map.host1000.gid])
}, 'busybox', ['rootless'])

/** A running busybox container (sleep) for exec tests; returns its id. */
async function sleeper(mode: Mode, config?: (s: FixtureSpec) => void): Promise<string> {
  const bundle = busybox(mode, ['sleep', '300'], s => { s.hostname = 'exec-box'; config?.(s) })
  const id = safeName()
  await runtime(mode, ['run', '--detach', '--bundle', bundle.dir, id], { status: 0 })
  return id
}

scenario('exec --process runs the process JSON: args, env, cwd, user', async mode => {
  const id = await sleeper(mode)
  try {
    const dir = sharedDir(mode)
    const file = path.join(dir, 'process.json')
    writeFileSync(file, JSON.stringify({
      args: ['sh', '-c', 'echo "$FOO"; pwd; id -u; hostname'],
      env: ['PATH=/bin:/usr/bin', 'FOO=from the process file'],
      cwd: '/proc',
      user: { uid: 0, gid: 0 },
    }))
    const r = await runtime(mode, ['exec', '--process', file, id], { status: 0 })
    assert.is(r.stdout, 'from the process file\n/proc\n0\nexec-box\n')
  } finally {
    await forceDelete(mode, id)
  }
})

scenario('exec -e and --cwd add to the container\'s process', async mode => {
  const id = await sleeper(mode)
  try {
    const r = await runtime(mode, ['exec', '-e', 'FOO=bar', '--env', 'BAZ=qux', '--cwd', '/etc', id, 'sh', '-c', 'echo "$FOO $BAZ"; pwd; echo "$PATH"'], { status: 0 })
    // PATH comes from config.json's process.env
    assert.is(r.stdout, 'bar qux\n/etc\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n')
  } finally {
    await forceDelete(mode, id)
  }
})

const EXEC_USER = 'exec --user UID:GID runs as that user'
scenario(EXEC_USER, async mode => {
  let config: ((s: FixtureSpec) => void) | undefined
  if (mode.name === 'rootless') {
    // a single-id map has no uid 1000 to switch to
    const map = multiRange(mode, EXEC_USER)
    if (!map) return
    config = map.apply
  }
  const id = await sleeper(mode, config)
  try {
    const r = await runtime(mode, ['exec', '--user', '1000:1001', id, 'sh', '-c', 'id -u; id -g'], { status: 0 })
    assert.is(r.stdout, '1000\n1001\n')
  } finally {
    await forceDelete(mode, id)
  }
})

scenario('exec -d --pid-file leaves the process running and writes its host pid', async mode => {
  const id = await sleeper(mode)
  try {
    const pidFile = path.join(sharedDir(mode), 'exec.pid')
    const r = await runtime(mode, ['exec', '-d', '--pid-file', pidFile, id, 'sleep', '123'], { status: 0 })
    assert.is(r.stdout, '')
    const pid = Number(readFileSync(pidFile, 'utf8'))
    assert.ok(Number.isInteger(pid) && pid > 1, `pid file holds "${readFileSync(pidFile, 'utf8')}"`)
    assert.ok(pidAlive(pid), `pid ${pid} from the pid file is not running`)
    assert.is(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x00123\x00')
    const init = (await stateOf(mode, id))!.pid
    assert.is(readlinkSync(`/proc/${pid}/ns/pid`), readlinkSync(`/proc/${init}/ns/pid`), 'in the container\'s pid namespace')
  } finally {
    await forceDelete(mode, id)
  }
})

scenario('the exit code of exec passes through', async mode => {
  const id = await sleeper(mode)
  try {
    await runtime(mode, ['exec', id, 'sh', '-c', 'exit 42'], { status: 42 })
    await runtime(mode, ['exec', id, 'true'], { status: 0 })
  } finally {
    await forceDelete(mode, id)
  }
})

scenario('exec in a stopped container fails with exit 1 and says why', async mode => {
  const bundle = busybox(mode, ['true'])
  const id = safeName()
  try {
    await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 0 })
    await runtime(mode, ['start', id], { status: 0 })
    await waitStatus(mode, id, 'stopped')
    const r = await runtime(mode, ['exec', id, 'true'], { status: 1 })
    const lines = r.stderr.trim().split('\n')
    assert.is(lines.length, 1, `one line expected, got:\n${r.stderr}`)
    assert.match(lines[0], id)
    assert.match(lines[0], /stopped/)
  } finally {
    await forceDelete(mode, id)
  }
})

// fcntl(2) and <linux/fcntl.h>: F_GET_SEALS and the seal bits
const F_GET_SEALS = 1034
const SEALS = { F_SEAL_SEAL: 1, F_SEAL_SHRINK: 2, F_SEAL_GROW: 4, F_SEAL_WRITE: 8 }

/** The seals of the file open at `file` (node has no fcntl: libc's, through koffi as lib/sys does). */
function sealsOf(file: string): string[] {
  const fcntl = loadKoffi().load('libc.so.6').func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number
  const fd = openSync(file, constants.O_RDONLY)
  try {
    const seals = fcntl(fd, F_GET_SEALS, 0)
    assert.ok(seals >= 0, `fcntl(F_GET_SEALS) on ${file} failed`)
    return Object.entries(SEALS).filter(([, bit]) => seals & bit).map(([name]) => name)
  } finally {
    closeSync(fd)
  }
}

scenario('the waiting init runs from a sealed memfd copy of the helper that the host cannot write', async mode => {
  const bundle = busybox(mode, ['true'])
  const id = safeName()
  try {
    await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 0 })
    const pid = (await stateOf(mode, id))!.pid
    assert.is(readlinkSync(`/proc/${pid}/exe`), '/memfd:cocker-helper (deleted)')
    // A running binary refuses writers anyway (ETXTBSY); the seals are what keep the copy
    // unchanged for good, and what the helper checks to know it runs from one.
    assert.equal(sealsOf(`/proc/${pid}/exe`), Object.keys(SEALS))
  } finally {
    await forceDelete(mode, id)
  }
})

test.run()
