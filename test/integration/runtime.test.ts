// cocker-runtime end to end on real bundles, as root and rootless (as the
// unprivileged test user): what a user sees from inside and outside the
// container. Each scenario runs in both modes; a mode that cannot run here
// prints why.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { safeName } from '../support/names.js'
import { busybox, fixture, run, runtime, scenario, sharedDir, spawnRuntime } from '../support/runtime-modes.js'

scenario('the process is pid 1 with the configured hostname', async mode => {
  const out = await run(mode, busybox(mode, ['sh', '-c', 'echo $$; hostname'], s => { s.hostname = 'box-42' }))
  assert.is(out, '1\nbox-42\n')
})

scenario('the network namespace is the container\'s own: only lo', async mode => {
  const bundle = busybox(mode, ['sh', '-c', 'ls /sys/class/net'], s => {
    if (!s.linux.namespaces.some(n => n.type === 'network')) s.linux.namespaces.push({ type: 'network' })
    // with its own network namespace a rootless container may mount sysfs
    const sys = s.mounts.find(m => m.destination === '/sys')!
    Object.assign(sys, { type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] })
  })
  assert.is(await run(mode, bundle), 'lo\n')
})

scenario('mounts are the container\'s own: no host mount is visible', async mode => {
  const out = await run(mode, busybox(mode, ['cat', '/proc/self/mountinfo']))
  const targets = out.trim().split('\n').map(l => l.split(' ')[4])
  assert.equal(targets[0], '/')
  const allowed = /^\/(proc|dev|sys)(\/|$)|^\/$/
  const foreign = targets.filter(t => !allowed.test(t))
  assert.equal(foreign, [], `host mounts leaked into the container: ${foreign.join(', ')}`)
})

scenario('uid 0 inside is the user outside: files in a bind mount belong to them', async mode => {
  const shared = sharedDir(mode)
  const bundle = busybox(mode, ['sh', '-c', 'id -u; touch /shared/made-inside'], s => {
    s.mounts.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] })
  })
  assert.is(await run(mode, bundle), '0\n')
  const st = statSync(path.join(shared, 'made-inside'))
  assert.equal([st.uid, st.gid], mode.user ? [mode.user.uid, mode.user.gid] : [0, 0])
})

const KILL_AND_BIND = ['CAP_KILL', 'CAP_NET_BIND_SERVICE']

scenario('capability masks in /proc/self/status equal the config\'s', async mode => {
  const out = await run(mode, fixture(mode, ['caps'], s => {
    s.process.capabilities = { bounding: KILL_AND_BIND, effective: KILL_AND_BIND, permitted: KILL_AND_BIND, inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] }
  }))
  const masks = Object.fromEntries(out.trim().split('\n').map(l => l.split(/:\s*/)))
  // CAP_KILL is bit 5, CAP_NET_BIND_SERVICE bit 10
  assert.equal(masks, { CapInh: '0000000000000020', CapPrm: '0000000000000420', CapEff: '0000000000000420', CapBnd: '0000000000000420', CapAmb: '0000000000000020' })
}, 'fixture')

scenario('a syscall denied by the seccomp profile fails with the configured errno', async mode => {
  const bundle = fixture(mode, ['syscall', 'mkdir', '/tmp/x'], s => {
    s.root.readonly = false
    ;(s.linux as Record<string, unknown>).seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
    }
  })
  assert.is(await run(mode, bundle), 'errno=38\n')
  const allowed = fixture(mode, ['syscall', 'getpid'], s => {
    ;(s.linux as Record<string, unknown>).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }
  })
  assert.is(await run(mode, allowed), 'ok\n')
}, 'fixture')

scenario('masked paths are unreadable and read-only paths unwritable', async mode => {
  // masks of our own, since which /proc files exist depends on the kernel's configuration
  const bundle = busybox(mode, ['sh', '-c',
    'wc -c < /etc/secret; ls /etc/secretdir | wc -l; echo x 2>/dev/null > /proc/sys/kernel/domainname && echo writable || echo read-only'],
  s => { s.linux.maskedPaths!.push('/etc/secret', '/etc/secretdir') })
  writeFileSync(path.join(bundle.rootfs, 'etc/secret'), 'top secret\n')
  mkdirSync(path.join(bundle.rootfs, 'etc/secretdir'))
  writeFileSync(path.join(bundle.rootfs, 'etc/secretdir/key'), 'key\n')
  assert.is(await run(mode, bundle), '0\n0\nread-only\n')
})

scenario('a read-only root cannot be written, a writable one can', async mode => {
  assert.is(await run(mode, fixture(mode, ['write', '/newfile'])), 'errno=30\n')
  assert.is(await run(mode, fixture(mode, ['write', '/newfile'], s => { s.root.readonly = false })), 'ok\n')
}, 'fixture')

scenario('rlimits apply', async mode => {
  const out = await run(mode, fixture(mode, ['rlimit', 'nofile'], s => {
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }]
  }))
  assert.is(out, '123 456\n')
}, 'fixture')

scenario('the exit code passes through', async mode => {
  await run(mode, fixture(mode, ['exit', '7']), 7)
}, 'fixture')

scenario('a missing command fails at create with the path in the message', async mode => {
  const bundle = fixture(mode, ['true'], s => { s.process.args = ['/no/such/command'] })
  const id = safeName()
  const r = await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 1 })
  assert.match(r.stderr, /\/no\/such\/command/)
  assert.is(existsSync(path.join(mode.root, id)), false, 'a failed create leaves nothing behind')
}, 'fixture')

scenario('start reports an exec that fails after create', async mode => {
  // create finds an executable file; that it is no program shows only at the exec itself
  const bundle = fixture(mode, ['true'], s => { s.process.args = ['/not-a-program'] })
  writeFileSync(path.join(bundle.rootfs, 'not-a-program'), 'neither ELF nor script\n', { mode: 0o755 })
  const id = safeName()
  await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 0 })
  try {
    const r = await runtime(mode, ['start', id], { status: 1 })
    assert.match(r.stderr, /^cocker-runtime: exec: "\/not-a-program"[^\n]*\n$/)
  } finally {
    await runtime(mode, ['delete', '--force', id])
  }
}, 'fixture')

scenario('a file without an x bit is refused at create, as runc does', async mode => {
  const bundle = fixture(mode, ['true'], s => { s.process.args = ['/etc/passwd'] })
  const r = await runtime(mode, ['create', '--bundle', bundle.dir, safeName()], { status: 1 })
  assert.is(r.stderr, 'cocker-runtime: exec: "/etc/passwd": permission denied\n')
}, 'fixture')

scenario('a kill -9 of create at any moment leaves state that delete --force clears', async mode => {
  const bundle = fixture(mode, ['sleep', '30'])
  const id = safeName()
  for (const delayMs of [0, 5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200]) {
    const child = spawnRuntime(mode, ['create', '--bundle', bundle.dir, id], 'ignore')
    const exited = new Promise(r => child.on('exit', r))
    await new Promise(r => setTimeout(r, delayMs))
    child.kill('SIGKILL')
    await exited
    await runtime(mode, ['list'], { status: 0 })
    await runtime(mode, ['delete', '--force', id], { status: 0 })
    assert.is(existsSync(path.join(mode.root, id)), false, `after a kill at ${delayMs} ms, delete --force leaves nothing`)
  }
  // and the id can be used again
  await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 0 })
  await runtime(mode, ['delete', '--force', id], { status: 0 })
}, 'fixture')

scenario('delete --force of a container that is gone succeeds, as runc', async mode => {
  await runtime(mode, ['delete', '--force', safeName()], { status: 0 })
  const r = await runtime(mode, ['delete', safeName()], { status: 1 })
  assert.match(r.stderr, /does not exist/)
})

scenario('created → running → stopped as state reports them, and delete removes it', async mode => {
  const bundle = fixture(mode, ['signal-wait'])
  const id = safeName()
  const status = async () => JSON.parse((await runtime(mode, ['state', id], { status: 0 })).stdout).status as string
  await runtime(mode, ['create', '--bundle', bundle.dir, id], { status: 0 })
  assert.is(await status(), 'created')
  await runtime(mode, ['start', id], { status: 0 })
  assert.is(await status(), 'running')
  const state = JSON.parse((await runtime(mode, ['state', id], { status: 0 })).stdout)
  // the spec's fields, in the order runc prints them
  assert.equal(Object.keys(state), ['ociVersion', 'id', 'pid', 'status', 'bundle'])
  assert.ok(state.pid > 1)
  await runtime(mode, ['kill', id, 'KILL'], { status: 0 })
  for (let i = 0; i < 100 && await status() !== 'stopped'; i++) await new Promise(r => setTimeout(r, 20))
  assert.is(await status(), 'stopped')
  await runtime(mode, ['delete', id], { status: 0 })
  const gone = await runtime(mode, ['state', id], { status: 1 })
  assert.match(gone.stderr, /does not exist/)
}, 'fixture')

scenario('a signal that kills the container gives 128+N', async mode => {
  const bundle = fixture(mode, ['sleep', '30'])
  const id = safeName()
  const running = runtime(mode, ['run', '--bundle', bundle.dir, id])
  for (let i = 0; i < 200; i++) {
    const r = await runtime(mode, ['state', id])
    if (r.status === 0 && JSON.parse(r.stdout).status === 'running') break
    await new Promise(r => setTimeout(r, 20))
  }
  await runtime(mode, ['kill', id, 'KILL'], { status: 0 })
  assert.is((await running).status, 137)
  assert.is(existsSync(path.join(mode.root, id)), false, 'run removes the container when it exits')
}, 'fixture')

scenario('a malformed config.json gives one line naming the field, exit 1, nothing left behind', async mode => {
  const bundle = fixture(mode, ['true'], s => { s.process.cwd = 'relative/dir' })
  const id = safeName()
  const r = await runtime(mode, ['run', '--bundle', bundle.dir, id], { status: 1 })
  const lines = r.stderr.trim().split('\n')
  assert.is(lines.length, 1, `one line expected, got:\n${r.stderr}`)
  assert.match(lines[0], /\/process\/cwd/)
  assert.equal(existsSync(mode.root) ? readdirSync(mode.root) : [], [])
}, 'fixture')

scenario('no fd of the runtime leaks into the container', async mode => {
  const out = await run(mode, fixture(mode, ['fds']))
  assert.equal(out.trim().split('\n').map(l => l.split(/\s/)[0]), ['0', '1', '2'])
}, 'fixture')

scenario('exec runs a process in the running container\'s namespaces', async mode => {
  const bundle = busybox(mode, ['sleep', '30'], s => { s.hostname = 'exec-host' })
  const id = safeName()
  await runtime(mode, ['run', '--detach', '--bundle', bundle.dir, id], { status: 0 })
  try {
    const r = await runtime(mode, ['exec', id, 'sh', '-c', 'hostname; cat /proc/1/cmdline | tr "\\0" " "; exit 4'], { status: 4 })
    assert.is(r.stdout, 'exec-host\nsleep 30 ')
    const ps = await runtime(mode, ['ps', '--format', 'json', id], { status: 0 })
    assert.ok(JSON.parse(ps.stdout).length >= 1)
  } finally {
    await runtime(mode, ['delete', '--force', id])
  }
})

scenario('a time namespace of its own; as root with the configured offsets', async mode => {
  const { readlinkSync } = await import('node:fs')
  const year = 365 * 86400
  const bundle = busybox(mode, ['sh', '-c', 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'], s => {
    ;(s.linux.namespaces as { type: string }[]).push({ type: 'time' })
    if (!mode.user) (s.linux as Record<string, unknown>).timeOffsets = { boottime: { secs: year }, monotonic: { secs: year } }
  })
  const [ns, uptime] = (await run(mode, bundle)).trim().split('\n')
  assert.is.not(ns, readlinkSync('/proc/self/ns/time'))
  if (!mode.user) assert.ok(Number(uptime) >= year, `uptime ${uptime} s inside, offset by a year`)
})

scenario('a signal to a foreground run reaches the container, and its exit code comes back', async mode => {
  const bundle = fixture(mode, ['signal-wait', '42'])
  const child = spawnRuntime(mode, ['run', '--bundle', bundle.dir, safeName()], ['ignore', 'pipe', 'inherit'])
  const exited = new Promise<number | null>(r => child.on('exit', code => r(code)))
  await new Promise<void>(resolve => child.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('ready')) resolve() }))
  child.kill('SIGTERM')
  assert.is(await exited, 42)
}, 'fixture')

scenario('kill --all signals every process of the container, kill only its init', async mode => {
  // sh as pid 1 of its namespace ignores TERM (no handler); its children do not
  const bundle = busybox(mode, ['sh', '-c', 'sleep 100 & sleep 100 & wait'])
  const id = safeName()
  await runtime(mode, ['run', '--detach', '--bundle', bundle.dir, id], { status: 0 })
  try {
    const pids = async () => JSON.parse((await runtime(mode, ['ps', '--format', 'json', id], { status: 0 })).stdout) as number[]
    for (let i = 0; i < 100 && (await pids()).length < 3; i++) await new Promise(r => setTimeout(r, 20))
    assert.is((await pids()).length, 3)
    const table = await runtime(mode, ['ps', id], { status: 0 })
    assert.match(table.stdout, /^UID\s+PID\s+PPID/)
    assert.is(table.stdout.trim().split('\n').length, 4, `the header and three processes:\n${table.stdout}`)
    await runtime(mode, ['kill', id, 'TERM'], { status: 0 })
    await new Promise(r => setTimeout(r, 100))
    assert.is((await pids()).length, 3, 'pid 1 without a handler ignores TERM')
    await runtime(mode, ['kill', '--all', id, 'TERM'], { status: 0 })
    let state = ''
    for (let i = 0; i < 100 && state !== 'stopped'; i++) {
      state = JSON.parse((await runtime(mode, ['state', id], { status: 0 })).stdout).status
      if (state !== 'stopped') await new Promise(r => setTimeout(r, 20))
    }
    assert.is(state, 'stopped', 'the sleeps died, so sh returned from wait and exited')
  } finally {
    await runtime(mode, ['delete', '--force', id])
  }
})

scenario('--preserve-fds hands fds 3.. of the caller to the process, and nothing more', async mode => {
  const bundle = fixture(mode, ['fds'])
  const { openSync, closeSync } = await import('node:fs')
  const file = path.join(bundle.dir, 'passed-in')
  writeFileSync(file, 'x')
  const fd = openSync(file, 'r')
  try {
    const child = spawnRuntime(mode, ['run', '--preserve-fds', '1', '--bundle', bundle.dir, safeName()], ['ignore', 'pipe', 'inherit', fd])
    let out = ''
    child.stdout!.on('data', (b: Buffer) => { out += b })
    const status = await new Promise(r => child.on('exit', r))
    assert.is(status, 0)
    assert.equal(out.trim().split('\n').map(l => l.split(/\s/)[0]), ['0', '1', '2', '3'])
  } finally {
    closeSync(fd)
  }
}, 'fixture')

test.run()
