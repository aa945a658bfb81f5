// `generate systemd` and sd_notify, root and rootless: systemd-analyze verify accepts every unit
// written (container, --new, pod, pod --new); the units' lines played as systemd plays them, with
// a NOTIFY_SOCKET this test listens on (READY=1, and MAINPID the container's monitor), the
// container's state checked at each step; --sdnotify container and healthy; NOTIFY_SOCKET kept
// out of containers that did not ask for it; the lingering line for rootless --files.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, modeDir } from '../support/cocker-modes.js'
import { runCmd, wrapForUser } from '../support/exec.js'
import { skipUnless, which } from '../support/requires.js'
import { busyboxScenario, type BusyboxMode } from '../support/run-scenario.js'

const PYTHON = '/usr/bin/python3'

// One datagram a line, as JSON; "listening" once bound.
const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1].replace("@", "\\0", 1) if sys.argv[1].startswith("@") else sys.argv[1])
print("listening", flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`

interface Listener {
  /** The datagrams so far, once one holds `pattern` (rejects after 60 s). */
  until(pattern: RegExp): Promise<string[]>
  stop(): void
}

const listeners = new Set<() => void>()
process.on('exit', () => listeners.forEach(stop => stop()))

/** A notify socket at `socket`, bound by the mode's user as systemd would for its unit. */
async function listen(mode: BusyboxMode, socket: string): Promise<Listener> {
  const { argv, env } = wrapForUser([PYTHON, '-c', LISTENER, socket], mode.user)
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
  const messages: string[] = []
  let out = ''
  let waiter: (() => void) | undefined
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    out += chunk
    let nl
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl)
      out = out.slice(nl + 1)
      messages.push(line === 'listening' ? line : JSON.parse(line) as string)
      waiter?.()
    }
  })
  const stop = () => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }
  listeners.add(stop)
  const until = (pattern: RegExp) => new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no datagram matching ${pattern} on ${socket} within 60 s; got ${JSON.stringify(messages)}`)), 60_000)
    const check = () => {
      const got = messages.filter(m => m !== 'listening')
      if (got.some(m => pattern.test(m))) {
        clearTimeout(timer)
        waiter = undefined
        resolve(got)
      }
    }
    waiter = check
    check()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the notify listener did not start')), 60_000)
    waiter = () => { if (messages.includes('listening')) { clearTimeout(timer); resolve() } }
    waiter()
  })
  return { until, stop }
}

/**
 * The unit's Exec lines as systemd reads them: words split with its quoting, %t, %n and %%
 * replaced, $$ made $.
 */
function execLines(unit: string, spec: { t: string; n: string }): Record<string, string[][]> {
  const lines: Record<string, string[][]> = {}
  for (const line of unit.split('\n')) {
    const m = /^(Exec[A-Za-z]+)=(.*)$/.exec(line)
    if (!m) continue
    const words: string[] = []
    const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g
    let w
    while ((w = re.exec(m[2]!))) {
      const raw = w[1] !== undefined ? w[1].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : w[2]!
      words.push(raw.replace(/%(.)/g, (_, c: string) => (c === 't' ? spec.t : c === 'n' ? spec.n : c)).replace(/\$\$/g, '$'))
    }
    ;(lines[m[1]!] ??= []).push(words)
  }
  return lines
}

/** One Exec line, as the mode's user (the unit's), with `env` over its environment. */
async function play(mode: BusyboxMode, argv: string[], env: Record<string, string> = {}): Promise<void> {
  await runCmd(argv, { asUser: mode.user, env, status: 0, timeoutMs: 120_000 })
}

/** The container's status ("" when there is none), and its monitor's pid. */
async function state(mode: BusyboxMode, name: string): Promise<{ status: string; monitor: number }> {
  const r = await cocker(mode, ['inspect', '--format', '{{.State.Status}} {{.State.ConmonPid}}', name])
  if (r.status !== 0) return { status: '', monitor: 0 }
  const [status = '', pid = '0'] = r.stdout.trim().split(' ')
  return { status, monitor: Number(pid) }
}

/** `generate systemd ARGS --files` in a directory of the mode's user; the units' texts by file name. */
async function generateFiles(mode: BusyboxMode, args: string[]): Promise<{ dir: string; units: Record<string, string>; stderr: string }> {
  const dir = modeDir(mode, 'cocker-it-units-')
  const r = await cocker(mode, ['generate', 'systemd', '--files', ...args], { status: 0, cwd: dir })
  const files = r.stdout.trim().split('\n')
  return { dir, units: Object.fromEntries(files.map(f => [path.basename(f), readFileSync(f, 'utf8')])), stderr: r.stderr }
}

/** systemd-analyze verify as the mode's user, in the user manager's mode, with a runtime dir of its own. */
async function verify(mode: BusyboxMode, dir: string, files: string[]): Promise<void> {
  const runtime = modeDir(mode, 'cocker-it-xdg-')
  chmodSync(runtime, 0o700)
  const r = await runCmd(['systemd-analyze', '--user', 'verify', '--man=no', ...files.map(f => path.join(dir, f))],
    { asUser: mode.user, env: { XDG_RUNTIME_DIR: runtime }, timeoutMs: 120_000 })
  assert.is(r.status, 0, `systemd-analyze verify ${files.join(' ')}:\n${r.stderr}`)
  assert.is(r.stderr.split('\n').filter(l => l.includes('.service')).join('\n'), '', 'no complaint about the units')
}

const analyzeMissing = () => (which('systemd-analyze') ? undefined : 'no systemd-analyze (apt-get install systemd)')
const pythonMissing = () => (existsSync(PYTHON) ? undefined : `no ${PYTHON} for the notify listener (apt-get install python3)`)

const title1 = 'generate systemd: systemd-analyze verify accepts the units of a container, --new, a pod and a pod with --new'
busyboxScenario(title1, async mode => {
  if (skipUnless(!analyzeMissing(), `${title1} (${mode.name})`, analyzeMissing() ?? '')) return
  const name = `gsv-${process.pid}`
  await cocker(mode, ['create', '--name', name, '--network', 'none', '-e', 'GREETING=100% $HOME "quoted"', mode.image, 'sleep', '1000'], { status: 0 })
  await cocker(mode, ['pod', 'create', '--name', `${name}-pod`], { status: 0 })
  await cocker(mode, ['create', '--pod', `${name}-pod`, '--name', `${name}-member`, mode.image, 'sleep', '1000'], { status: 0 })
  try {
    const plain = await generateFiles(mode, ['--name', '--restart-policy', 'always', '--restart-sec', '3', '--start-timeout', '30', '--stop-timeout', '5',
      '--after', 'local-fs.target', '--requires', 'basic.target', '--wants', 'sockets.target', '--env', 'FOO=bar baz', name])
    assert.equal(Object.keys(plain.units), [`container-${name}.service`])
    const unit = plain.units[`container-${name}.service`]!
    for (const line of ['Type=notify', 'NotifyAccess=all', 'Restart=always', 'RestartSec=3', 'TimeoutStartSec=30', 'TimeoutStopSec=65',
      'After=local-fs.target', 'Requires=basic.target', 'Wants=sockets.target', 'Environment="FOO=bar baz"', 'WantedBy=default.target']) {
      assert.ok(unit.split('\n').includes(line), `${line} in\n${unit}`)
    }
    assert.match(unit, new RegExp(`^ExecStart=\\S+/bin/cocker --root \\S+ start ${name}$`, 'm'))
    assert.match(unit, new RegExp(`^ExecStop=\\S+/bin/cocker --root \\S+ stop --time 5 ${name}$`, 'm'))
    await verify(mode, plain.dir, Object.keys(plain.units))

    const fresh = await generateFiles(mode, ['--new', '--no-header', '--container-prefix', 'ctr', '--separator', '_', name])
    const id = (await cocker(mode, ['inspect', '--format', '{{.Id}}', name], { status: 0 })).stdout.trim()
    assert.equal(Object.keys(fresh.units), [`ctr_${id}.service`])
    assert.ok(fresh.units[`ctr_${id}.service`]!.startsWith('[Unit]\n'), '--no-header: no comment lines')
    assert.match(fresh.units[`ctr_${id}.service`]!, /^ExecStart=\S+ --root \S+ run --cidfile=%t\/%n\.ctr-id --rm --sdnotify=conmon -d --replace --name \S+ --network none -e "GREETING=100%% \$\$HOME \\"quoted\\"" /m)
    await verify(mode, fresh.dir, Object.keys(fresh.units))

    for (const extra of [[], ['--new']]) {
      const pod = await generateFiles(mode, ['--name', ...extra, `${name}-pod`])
      assert.equal(Object.keys(pod.units).sort(), [`container-${name}-member.service`, `pod-${name}-pod.service`])
      const podUnit = pod.units[`pod-${name}-pod.service`]!.split('\n')
      assert.ok(podUnit.includes(`Wants=container-${name}-member.service`) && podUnit.includes(`Before=container-${name}-member.service`), podUnit.join('\n'))
      const member = pod.units[`container-${name}-member.service`]!.split('\n')
      assert.ok(member.includes(`BindsTo=pod-${name}-pod.service`) && member.includes(`After=pod-${name}-pod.service`), member.join('\n'))
      await verify(mode, pod.dir, Object.keys(pod.units))
    }
    const json = JSON.parse((await cocker(mode, ['generate', 'systemd', '--format', 'json', '--name', name], { status: 0 })).stdout) as Record<string, string>
    assert.equal(Object.keys(json), [`container-${name}`])
    assert.match(json[`container-${name}`]!, /^Type=notify$/m)
  } finally {
    await cocker(mode, ['pod', 'rm', '-f', '-t', '0', `${name}-pod`])
    await cocker(mode, ['rm', '-f', '-t', '0', name])
  }
})

const title2 = 'a --new unit played as systemd plays it: ExecStartPre, ExecStart says READY=1 with the monitor as MAINPID, ExecStop, ExecStopPost'
busyboxScenario(title2, async mode => {
  if (skipUnless(!pythonMissing(), `${title2} (${mode.name})`, pythonMissing() ?? '')) return
  const name = `gsn-${process.pid}`
  await cocker(mode, ['create', '--name', name, '--network', 'none', mode.image, 'sleep', '1000'], { status: 0 })
  const { units } = await generateFiles(mode, ['--new', '--name', '--stop-timeout', '2', name])
  await cocker(mode, ['rm', name], { status: 0 })
  const unitName = `container-${name}.service`
  const runtime = modeDir(mode, 'cocker-it-rt-')
  const exec = execLines(units[unitName]!, { t: runtime, n: unitName })
  const listener = await listen(mode, path.join(runtime, 'notify'))
  try {
    // a stale container of an earlier run, named as the unit's will be, with its ID file: ExecStartPre clears both
    await cocker(mode, ['run', '-d', '--name', name, '--network', 'none', '--cidfile', path.join(runtime, `${unitName}.ctr-id`), mode.image, 'sleep', '1000'], { status: 0 })
    for (const argv of exec.ExecStartPre!) await play(mode, argv)
    assert.is((await state(mode, name)).status, '', 'ExecStartPre removed the stale container')
    assert.not.ok(existsSync(path.join(runtime, `${unitName}.ctr-id`)), 'and its ID file')

    await play(mode, exec.ExecStart![0]!, { NOTIFY_SOCKET: path.join(runtime, 'notify') })
    const said = await listener.until(/READY=1/)
    const running = await state(mode, name)
    assert.is(running.status, 'running')
    assert.ok(running.monitor > 0)
    assert.equal(said.join(''), `MAINPID=${running.monitor}\nREADY=1\n`, 'the monitor said it is the main process, and ready')
    assert.ok(existsSync(`/proc/${running.monitor}`), 'MAINPID is a live process')
    assert.match(readFileSync(`/proc/${running.monitor}/cmdline`, 'utf8'), /cocker/, 'MAINPID is the monitor')
    const inner = await cocker(mode, ['exec', name, 'env'], { status: 0 })
    assert.not.match(inner.stdout, /NOTIFY_SOCKET/, 'the container did not get NOTIFY_SOCKET')

    await play(mode, exec.ExecStop![0]!)
    assert.ok(['', 'exited'].includes((await state(mode, name)).status), 'ExecStop stopped it (--rm: and removed it)')
    // the monitor ends once the clean-up it runs (removing the --rm container) is done
    for (let i = 0; i < 300 && existsSync(`/proc/${running.monitor}`); i++) await new Promise(r => setTimeout(r, 100))
    assert.not.ok(existsSync(`/proc/${running.monitor}`), 'the main process ended')
    await play(mode, exec.ExecStopPost![0]!)
    assert.is((await state(mode, name)).status, '', 'ExecStopPost left no container')
    await play(mode, exec.ExecStopPost![0]!) // twice: nothing to do is no failure
  } finally {
    listener.stop()
    await cocker(mode, ['rm', '-f', '-t', '0', name])
  }
})

const title3 = 'a pod\'s units played: the pod unit starts the infra (its monitor is MAINPID), the member\'s unit its container; stops in turn'
busyboxScenario(title3, async mode => {
  if (skipUnless(!pythonMissing(), `${title3} (${mode.name})`, pythonMissing() ?? '')) return
  const pod = `gsp-${process.pid}`
  await cocker(mode, ['pod', 'create', '--name', pod], { status: 0 })
  await cocker(mode, ['create', '--pod', pod, '--name', `${pod}-m`, mode.image, 'sleep', '1000'], { status: 0 })
  const runtime = modeDir(mode, 'cocker-it-rt-')
  const listeners: Listener[] = []
  try {
    for (const fresh of [false, true]) {
      const { units } = await generateFiles(mode, ['--name', '--stop-timeout', '2', ...(fresh ? ['--new'] : []), pod])
      if (fresh) await cocker(mode, ['pod', 'rm', '-f', '-t', '0', pod], { status: 0 })
      const podExec = execLines(units[`pod-${pod}.service`]!, { t: runtime, n: `pod-${pod}.service` })
      const memberExec = execLines(units[`container-${pod}-m.service`]!, { t: runtime, n: `container-${pod}-m.service` })
      for (const argv of podExec.ExecStartPre ?? []) await play(mode, argv)
      const podSocket = path.join(runtime, `pod-notify-${fresh}`)
      const podListener = await listen(mode, podSocket)
      listeners.push(podListener)
      await play(mode, podExec.ExecStart![0]!, { NOTIFY_SOCKET: podSocket })
      const infraId = (await cocker(mode, ['pod', 'inspect', '--format', '{{.InfraContainerID}}', pod], { status: 0 })).stdout.trim()
      const infra = await state(mode, infraId)
      assert.is(infra.status, 'running')
      assert.equal((await podListener.until(/READY=1/)).join(''), `MAINPID=${infra.monitor}\nREADY=1\n`, 'the infra\'s monitor speaks for the pod unit')

      for (const argv of memberExec.ExecStartPre ?? []) await play(mode, argv)
      const memberSocket = path.join(runtime, `member-notify-${fresh}`)
      const memberListener = await listen(mode, memberSocket)
      listeners.push(memberListener)
      await play(mode, memberExec.ExecStart![0]!, { NOTIFY_SOCKET: memberSocket })
      const member = await state(mode, `${pod}-m`)
      assert.is(member.status, 'running')
      assert.equal((await memberListener.until(/READY=1/)).join(''), `MAINPID=${member.monitor}\nREADY=1\n`)

      await play(mode, memberExec.ExecStop![0]!)
      await play(mode, memberExec.ExecStopPost![0]!)
      assert.is((await state(mode, `${pod}-m`)).status, fresh ? '' : 'exited')
      await play(mode, podExec.ExecStop![0]!)
      await play(mode, podExec.ExecStopPost![0]!)
      assert.ok(['', 'exited'].includes((await state(mode, infraId)).status), 'the pod unit stopped the infra')
      if (fresh) assert.is((await cocker(mode, ['pod', 'exists', pod])).status, 1, 'the --new pod unit removed its pod')
    }
  } finally {
    listeners.forEach(l => l.stop())
    await cocker(mode, ['pod', 'rm', '-f', '-t', '0', pod])
  }
})

const title4 = 'NOTIFY_SOCKET in cocker\'s environment stays out of the container, but with --sdnotify=container, whose messages reach systemd without MAINPID'
busyboxScenario(title4, async mode => {
  if (skipUnless(!pythonMissing(), `${title4} (${mode.name})`, pythonMissing() ?? '')) return
  const runtime = modeDir(mode, 'cocker-it-rt-')
  const socket = path.join(runtime, 'notify')
  const listener = await listen(mode, socket)
  const name = `gse-${process.pid}`
  try {
    const env = { NOTIFY_SOCKET: socket }
    for (const flags of [[], ['--sdnotify=conmon'], ['--sdnotify=ignore'], ['--env-host']]) {
      const r = await cocker(mode, ['run', '--rm', '--network', 'none', ...flags, mode.image, 'env'], { status: 0, env })
      assert.not.match(r.stdout, /NOTIFY_SOCKET/, `no NOTIFY_SOCKET with ${flags.join(' ') || 'the default'}`)
    }
    const r = await cocker(mode, ['run', '--rm', '--network', 'none', '--sdnotify=container', mode.image, 'sh', '-c', 'env; test -S /run/notify/notify.sock && echo socket'], { status: 0, env })
    assert.match(r.stdout, /^NOTIFY_SOCKET=\/run\/notify\/notify\.sock$/m)
    assert.match(r.stdout, /^socket$/m)
    await listener.until(/READY=1/).catch(() => []) // the runs above each said MAINPID and READY (conmon) or MAINPID (container)

    // the container's own process speaks through its socket: played here from the host, as busybox has no datagram client
    await cocker(mode, ['run', '-d', '--name', name, '--network', 'none', '--sdnotify=container', mode.image, 'sleep', '1000'], { status: 0, env })
    const { monitor } = await state(mode, name)
    const id = (await cocker(mode, ['inspect', '--format', '{{.Id}}', name], { status: 0 })).stdout.trim()
    const inspect = JSON.parse((await cocker(mode, ['inspect', name], { status: 0 })).stdout)[0]
    assert.is(inspect.Config.sdNotifyMode, 'container')
    const inner = path.join(mode.root, 'containers', id, 'userdata', 'notify', 'notify.sock')
    // from its directory: the whole path is longer than a socket address may be
    await runCmd([PYTHON, '-c', 'import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"MAINPID=1\\nSTATUS=warming up\\nREADY=1\\n", "notify.sock")'],
      { asUser: mode.user, status: 0, cwd: path.dirname(inner) })
    const said = await listener.until(/STATUS=warming up/)
    assert.ok(said.includes(`MAINPID=${monitor}\n`), `the monitor said MAINPID=${monitor}: ${JSON.stringify(said)}`)
    assert.is(said.at(-1), 'STATUS=warming up\nREADY=1\n', 'the container\'s message, without its MAINPID')
  } finally {
    listener.stop()
    await cocker(mode, ['rm', '-f', '-t', '0', name])
  }
})

const title4b = 'an abstract NOTIFY_SOCKET (@name) is told MAINPID and READY=1 too'
busyboxScenario(title4b, async mode => {
  if (skipUnless(!pythonMissing(), `${title4b} (${mode.name})`, pythonMissing() ?? '')) return
  const socket = `@cocker-it-notify-${process.pid}-${mode.name}`
  const listener = await listen(mode, socket)
  const name = `gsa-${process.pid}`
  try {
    await cocker(mode, ['run', '-d', '--name', name, '--network', 'none', mode.image, 'sleep', '1000'], { status: 0, env: { NOTIFY_SOCKET: socket } })
    const { monitor } = await state(mode, name)
    assert.equal((await listener.until(/READY=1/)).join(''), `MAINPID=${monitor}\nREADY=1\n`)
  } finally {
    listener.stop()
    await cocker(mode, ['rm', '-f', '-t', '0', name])
  }
})

const title5 = '--sdnotify=healthy: MAINPID at once, READY=1 once the health check passes'
busyboxScenario(title5, async mode => {
  if (skipUnless(!pythonMissing(), `${title5} (${mode.name})`, pythonMissing() ?? '')) return
  const runtime = modeDir(mode, 'cocker-it-rt-')
  const socket = path.join(runtime, 'notify')
  const name = `gsh-${process.pid}`
  const listener = await listen(mode, socket)
  try {
    const refused = await cocker(mode, ['run', '-d', '--sdnotify=healthy', '--network', 'none', mode.image, 'sleep', '1'], { status: 125 })
    assert.match(refused.stderr, /--sdnotify healthy: the container has no health check/)
    // healthy once /tmp/up exists, made a moment after the start
    await cocker(mode, ['run', '-d', '--name', name, '--network', 'none', '--sdnotify=healthy', '--health-cmd', 'test -e /tmp/up', '--health-interval', '1s',
      mode.image, 'sh', '-c', 'sleep 2; touch /tmp/up; exec sleep 1000'], { status: 0, env: { NOTIFY_SOCKET: socket } })
    const { monitor } = await state(mode, name)
    const said = await listener.until(/READY=1/)
    assert.is(said[0], `MAINPID=${monitor}\n`, 'MAINPID first, without READY')
    assert.is(said.at(-1), 'READY=1\n')
    assert.is((await cocker(mode, ['inspect', '--format', '{{.State.Health.Status}}', name], { status: 0 })).stdout.trim(), 'healthy')
  } finally {
    listener.stop()
    await cocker(mode, ['rm', '-f', '-t', '0', name])
  }
})

const title6 = 'generate systemd --files: one line about lingering for a user without it, none for root'
busyboxScenario(title6, async mode => {
  const name = `gsl-${process.pid}`
  await cocker(mode, ['create', '--name', name, '--network', 'none', mode.image, 'true'], { status: 0 })
  try {
    const { stderr } = await generateFiles(mode, ['--name', name])
    const lingering = mode.user && existsSync(`/var/lib/systemd/linger/${mode.user.name}`)
    if (mode.name === 'root' || lingering) assert.is(stderr, '')
    else assert.is(stderr, `WARN: lingering is not enabled for ${mode.user!.name}: the units stop when ${mode.user!.name} logs out; "loginctl enable-linger ${mode.user!.name}" keeps them running\n`)
    const printed = await cocker(mode, ['generate', 'systemd', name], { status: 0 })
    assert.is(printed.stderr, '', 'printing the units is no install: no line')
  } finally {
    await cocker(mode, ['rm', '-f', name])
  }
})

const title7 = 'a --new unit started by a real systemd user manager'
busyboxScenario(title7, async mode => {
  // systemd as PID 1 with a user manager for the mode's user is what this needs; CI's machines run without
  const booted = existsSync('/run/systemd/system')
  if (skipUnless(booted, `${title7} (${mode.name})`, 'systemd is not PID 1 here (no /run/systemd/system): no manager to start a unit with')) return
  const uid = mode.user?.uid ?? 0
  const manager = mode.user ? existsSync(`/run/user/${uid}/systemd/private`) : true
  if (skipUnless(manager, `${title7} (${mode.name})`, `no systemd user manager runs for uid ${uid} (loginctl enable-linger ${mode.user?.name ?? ''})`)) return
  const name = `gss-${process.pid}`
  await cocker(mode, ['create', '--name', name, '--network', 'none', mode.image, 'sleep', '1000'], { status: 0 })
  const { dir, units } = await generateFiles(mode, ['--new', '--name', name])
  await cocker(mode, ['rm', name], { status: 0 })
  const systemctl = (...args: string[]) => runCmd(['systemctl', ...(mode.user ? ['--user'] : []), ...args],
    { asUser: mode.user, env: mode.user ? { XDG_RUNTIME_DIR: `/run/user/${uid}` } : {}, timeoutMs: 120_000 })
  const unit = Object.keys(units)[0]!
  try {
    assert.is((await systemctl('link', path.join(dir, unit))).status, 0)
    assert.is((await systemctl('start', unit)).status, 0)
    const running = await state(mode, name)
    assert.is(running.status, 'running')
    assert.is((await systemctl('show', '-P', 'MainPID', unit)).stdout.trim(), String(running.monitor))
    assert.is((await systemctl('stop', unit)).status, 0)
    assert.is((await state(mode, name)).status, '')
  } finally {
    await systemctl('stop', unit)
    await systemctl('disable', unit)
    await cocker(mode, ['rm', '-f', '-t', '0', name])
  }
})

test.run()
