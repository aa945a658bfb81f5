// The monitor (c/monitor.c) through lib/runtime's API (runContainer with a
// monitor, attach), driven by test/support/monitor-driver.ts in a process of
// its own, as root and as the rootless user: the monitor must outlive that
// process, its process group and, detached, everything that started it.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { MonitorOptions } from '../../lib/runtime/lifecycle.js'
import { formatArgv, killGroup, runCmd, wrapForUser } from '../support/exec.js'
import { safeName } from '../support/names.js'
import { repoPath } from '../support/paths.js'
import { skipUnless, which } from '../support/requires.js'
import { stageForRootless } from '../support/rootless.js'
import { busybox, forceDelete, pidAlive, poll, scenario, sharedDir, type Mode } from '../support/runtime-modes.js'

interface Case {
  id: string
  dir: string
  monitor: MonitorOptions
  /** The driver's job: run the container under a monitor. */
  job: { run: object; result: string; linger?: number }
}

/** A busybox container whose monitor files (exit, log, socket, cleanup mark) are in a dir of its own. */
function setup(mode: Mode, args: string[], o: Partial<MonitorOptions> = {}, terminal = false): Case {
  const dir = sharedDir(mode, 'cocker-monitor-')
  const bundle = busybox(mode, args, spec => { spec.process.terminal = terminal })
  const id = safeName()
  const monitor: MonitorOptions = {
    exitFile: path.join(dir, 'exit'), logFile: path.join(dir, 'ctr.log'), socket: path.join(dir, 'attach'),
    stdin: false, foreground: false, detachKeys: 'ctrl-p,ctrl-q',
    cleanup: ['/bin/sh', '-c', `echo cleaned > ${dir}/cleaned`], ...o,
  }
  return { id, dir, monitor, job: { run: { root: mode.root, rootless: mode.name === 'rootless', id, bundle: bundle.dir, monitor }, result: path.join(dir, 'result') } }
}

function driverArgv(mode: Mode, job: object): { argv: string[]; env: Record<string, string | undefined> } {
  const base = mode.user ? stageForRootless() : repoPath()
  return wrapForUser([process.execPath, path.join(base, 'dist/test/support/monitor-driver.js'), JSON.stringify(job)], mode.user)
}

/** The driver as the mode's user, leading a process group of its own. */
function startDriver(mode: Mode, job: object, stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): ChildProcess {
  const { argv, env } = driverArgv(mode, job)
  const child = spawn(argv[0]!, argv.slice(1), { stdio, env, cwd: mode.user?.home, detached: true })
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  return child
}

/** What a driver wrote to stdout and stderr, as it comes. */
function collect(child: ChildProcess): { out: string; err: string } {
  const seen = { out: '', err: '' }
  child.stdout?.on('data', (s: string) => { seen.out += s })
  child.stderr?.on('data', (s: string) => { seen.err += s })
  return seen
}

/** A driver's end, bounded: a monitor that fails to end the wait must fail the test, not hang it. */
async function exited(child: ChildProcess, what: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not end`)), 20_000) })
  try {
    await Promise.race([once(child, 'exit'), timeout])
  } finally {
    clearTimeout(timer)
  }
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T

interface RunResult { exitCode?: number; signal?: string; detached: boolean; monitorPid: number; pid: number; error?: string }

/** Runs the case detached; resolves once runContainer returned in the driver. */
async function runDetached(mode: Mode, c: Case, linger?: number): Promise<{ driver: ChildProcess; result: RunResult }> {
  const driver = startDriver(mode, { ...c.job, linger })
  const seen = collect(driver)
  const returned = await poll(() => existsSync(c.job.result), 500)
  assert.ok(returned, `runContainer did not return: ${seen.err}`)
  const result = readJson<RunResult>(c.job.result)
  assert.is(result.error, undefined, `runContainer failed: ${result.error}`)
  assert.ok(result.pid > 0 && result.monitorPid > 0, JSON.stringify(result)) // a kill of pid 0 would end the test's own group
  return { driver, result }
}

/** Runs the case in the foreground; resolves once the container said "ready" on the driver's stdout. */
async function runForeground(mode: Mode, c: Case): Promise<{ driver: ChildProcess; seen: { out: string; err: string } }> {
  const driver = startDriver(mode, c.job)
  const seen = collect(driver)
  if (!await poll(() => seen.out.includes('ready'), 500)) {
    killGroup(driver.pid!)
    assert.unreachable(`the container did not start: ${seen.err}`)
  }
  return { driver, seen }
}

/** After the container ended: the monitor is gone and so is its socket. */
async function assertMonitorGone(c: Case, monitorPid: number): Promise<void> {
  assert.ok(await poll(() => !pidAlive(monitorPid), 500), `the monitor ${monitorPid} is still running`)
  assert.not.ok(existsSync(c.monitor.socket), 'the attach socket was left behind')
}

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d$/

/** The k8s-file log as [stream, tag, text] entries, each line's time stamp checked. */
function logEntries(file: string): [string, string, string][] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(line => {
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(line)
    assert.ok(m, `not a k8s-file log line: ${JSON.stringify(line)}`)
    assert.match(m![1]!, STAMP)
    return [m![2]!, m![3]!, m![4]!]
  })
}

const KEEP = 'a detached container keeps running and logging after the group that started it is killed; SIGKILL gives 137 in the exit file'
scenario(KEEP, async mode => {
  const c = setup(mode, ['sh', '-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done'])
  const { driver, result } = await runDetached(mode, c, 60_000)
  try {
    killGroup(driver.pid!)
    await exited(driver, 'the killed driver')
    const ticks = () => logEntries(c.monitor.logFile!).length
    const before = ticks()
    assert.ok(await poll(() => ticks() > before + 3, 500), 'the log stopped growing once the starter\'s group was killed')
    assert.ok(pidAlive(result.monitorPid), 'the monitor died with the group')
    process.kill(result.pid, 'SIGKILL')
    assert.ok(await poll(() => existsSync(c.monitor.exitFile), 500), 'no exit file')
    const exit = readJson<{ exitCode: number; signal?: string; finishedAt: string }>(c.monitor.exitFile)
    assert.is(exit.exitCode, 137)
    assert.is(exit.signal, 'KILL')
    await assertMonitorGone(c, result.monitorPid)
  } finally {
    killGroup(driver.pid!)
    await forceDelete(mode, c.id)
  }
})

const LOG = 'the k8s-file log has F and P entries of stdout and stderr; the exit file has the status; the cleanup runs after it'
scenario(LOG, async mode => {
  const c = setup(mode, ['sh', '-c', 'echo out; echo err >&2; printf part; sleep 0.3; echo rest; exit 3'])
  const { result } = await runDetached(mode, c)
  try {
    assert.ok(await poll(() => existsSync(path.join(c.dir, 'cleaned')), 500), 'the cleanup did not run')
    const exit = readJson<{ exitCode: number; signal?: string; finishedAt: string }>(c.monitor.exitFile)
    assert.is(exit.exitCode, 3)
    assert.is(exit.signal, undefined)
    assert.match(exit.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/)
    const entries = logEntries(c.monitor.logFile!)
    assert.equal(entries.filter(e => e[0] === 'stdout'), [['stdout', 'F', 'out'], ['stdout', 'P', 'part'], ['stdout', 'F', 'rest']])
    assert.equal(entries.filter(e => e[0] === 'stderr'), [['stderr', 'F', 'err']])
    await assertMonitorGone(c, result.monitorPid)
  } finally {
    await forceDelete(mode, c.id)
  }
})

const ATTACH = 'attach: two clients at once get the output, one feeds stdin, both end with the container\'s status'
scenario(ATTACH, async mode => {
  const c = setup(mode, ['sh', '-c', 'while read l; do echo "got $l"; echo "err $l" >&2; done; exit 5'], { stdin: true })
  const { result } = await runDetached(mode, c)
  const client = (name: string, stdin: boolean) => {
    const job = { attach: { socket: c.monitor.socket, stdin, tty: false, detachKeys: '' }, result: path.join(c.dir, name) }
    const child = startDriver(mode, job, [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'])
    return { child, seen: collect(child), result: job.result }
  }
  const watcher = client('watcher', false)
  const typist = client('typist', true)
  try {
    // the watcher may connect after the first lines: type until it has seen one
    const typed = await poll(() => {
      typist.child.stdin!.write('ping\n')
      return watcher.seen.out.includes('got ping') && watcher.seen.err.includes('err ping')
    }, 250, 40)
    assert.ok(typed, `the watcher saw ${JSON.stringify(watcher.seen)}, the typist ${JSON.stringify(typist.seen)}`)
    typist.child.stdin!.end()
    await Promise.all([exited(watcher.child, 'the watching client'), exited(typist.child, 'the typing client')])
    assert.match(typist.seen.out, 'got ping')
    assert.equal(readJson(watcher.result), { outcome: 'exit', code: 5 })
    assert.equal(readJson(typist.result), { outcome: 'exit', code: 5 })
    await assertMonitorGone(c, result.monitorPid)
  } finally {
    killGroup(watcher.child.pid!)
    killGroup(typist.child.pid!)
    await forceDelete(mode, c.id)
  }
})

const FOREGROUND = 'foreground: output to the caller, its signal forwarded, the status returned, no cleanup when the caller acks'
scenario(FOREGROUND, async mode => {
  const c = setup(mode, ['sh', '-c', 'trap "echo got TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done'], { foreground: true })
  const { driver, seen } = await runForeground(mode, c)
  try {
    driver.kill('SIGTERM')
    await exited(driver, 'the foreground run')
    const result = readJson<RunResult>(c.job.result)
    assert.is(result.exitCode, 42, JSON.stringify(result))
    assert.is(result.detached, false)
    assert.match(seen.out, 'got TERM')
    assert.is(readJson<{ exitCode: number }>(c.monitor.exitFile).exitCode, 42)
    await assertMonitorGone(c, result.monitorPid)
    assert.not.ok(existsSync(path.join(c.dir, 'cleaned')), 'the monitor ran the cleanup although the caller acknowledged the exit')
  } finally {
    killGroup(driver.pid!)
    await forceDelete(mode, c.id)
  }
})

const ORPHAN = 'foreground: when the caller dies, the monitor goes on and runs the cleanup itself at the end'
scenario(ORPHAN, async mode => {
  const c = setup(mode, ['sh', '-c', 'echo ready; while :; do sleep 0.1; done'], { foreground: true })
  const { driver } = await runForeground(mode, c)
  try {
    // the runtime's record has the init's pid once the driver has handled the helper's pid event
    let init = 0
    assert.ok(await poll(() => (init = findInit(mode, c)) > 0, 500), 'the runtime never recorded the init\'s pid')
    killGroup(driver.pid!)
    await exited(driver, 'the killed driver')
    process.kill(init, 'SIGKILL')
    assert.ok(await poll(() => existsSync(path.join(c.dir, 'cleaned')), 500), 'the cleanup did not run')
    assert.is(readJson<{ exitCode: number }>(c.monitor.exitFile).exitCode, 137)
    assert.not.ok(existsSync(c.monitor.socket), 'the attach socket was left behind')
  } finally {
    killGroup(driver.pid!)
    await forceDelete(mode, c.id)
  }
})

/** The init's pid, from the runtime's state (the foreground driver died before writing its result). */
function findInit(mode: Mode, c: Case): number {
  try {
    return readJson<{ pid: number }>(path.join(mode.root, c.id, 'state.json')).pid
  } catch {
    return 0 // not written yet
  }
}

const FAILED = 'a command that cannot run: runContainer fails with the exec error, and no socket is left'
scenario(FAILED, async mode => {
  const c = setup(mode, ['/no/such/command'])
  const driver = startDriver(mode, c.job)
  const seen = collect(driver)
  try {
    await exited(driver, 'the failed run')
    const result = readJson<RunResult>(c.job.result)
    assert.match(result.error ?? '', '/no/such/command', JSON.stringify({ result, seen }))
    assert.not.ok(existsSync(c.monitor.socket), 'the attach socket was left behind')
    assert.not.ok(existsSync(path.join(c.dir, 'cleaned')), 'the cleanup ran for a container that never started')
  } finally {
    killGroup(driver.pid!)
    await forceDelete(mode, c.id)
  }
})

const LOG_MAX = 'log max size: past it the log starts again and goes on'
scenario(LOG_MAX, async mode => {
  const c = setup(mode, ['sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done'], { logMaxSize: 2000 })
  const { result } = await runDetached(mode, c)
  try {
    await assertMonitorGone(c, result.monitorPid)
    const entries = logEntries(c.monitor.logFile!)
    assert.ok(readFileSync(c.monitor.logFile!).length <= 2000, `the log has ${readFileSync(c.monitor.logFile!).length} bytes`)
    assert.equal(entries.at(-1), ['stdout', 'F', 'line 299'])
    assert.not.equal(entries[0], ['stdout', 'F', 'line 0'])
  } finally {
    await forceDelete(mode, c.id)
  }
})

const HEALTH = 'health: the monitor runs the health command while the container runs'
scenario(HEALTH, async mode => {
  const c = setup(mode, ['sh', '-c', 'while :; do sleep 0.1; done'])
  const marks = path.join(c.dir, 'health')
  c.monitor.health = { intervalMs: 50, argv: ['/bin/sh', '-c', `echo checked >> ${marks}`] }
  const { result } = await runDetached(mode, c)
  try {
    const count = () => (existsSync(marks) ? readFileSync(marks, 'utf8').split('\n').filter(Boolean).length : 0)
    assert.ok(await poll(() => count() >= 3, 500), `the health command ran ${count()} times`)
    process.kill(result.pid, 'SIGKILL')
    await assertMonitorGone(c, result.monitorPid)
  } finally {
    await forceDelete(mode, c.id)
  }
})

const PASSTHROUGH = 'passthrough: the container writes to the caller\'s own stdout, and no log is made'
scenario(PASSTHROUGH, async mode => {
  const c = setup(mode, ['sh', '-c', 'echo straight; echo through >&2'], { passthrough: true })
  const driver = startDriver(mode, c.job)
  const seen = collect(driver)
  try {
    await exited(driver, 'the passthrough run')
    assert.ok(await poll(() => seen.out.includes('straight') && seen.err.includes('through'), 500), JSON.stringify(seen))
    assert.ok(await poll(() => existsSync(c.monitor.exitFile), 500), 'no exit file')
    assert.not.ok(existsSync(c.monitor.logFile!), 'a log was made')
  } finally {
    killGroup(driver.pid!)
    await forceDelete(mode, c.id)
  }
})

/** A tmux server of its own, whose panes are real terminals that a test types into and reads. */
function tmuxServer(tmux: string) {
  const name = `cocker-${safeName()}`
  const run = (...args: string[]) => runCmd([tmux, '-L', name, ...args], { status: 0 })
  let started = false
  return {
    /** A window running the driver as the mode's user; tmux's shell gets our environment spelled out. */
    start: async (window: string, mode: Mode, job: object) => {
      const { argv, env } = driverArgv(mode, job)
      const vars = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]))
      const cmd = formatArgv(['env', '-i', ...vars, ...argv])
      // a first window that stays, so the server outlives the driver's windows
      if (!started) await run('new-session', '-d', '-s', name, '-n', 'keep', '-x', '100', '-y', '30', 'sleep 600')
      started = true
      await run('new-window', '-t', name, '-n', window, cmd)
    },
    keys: (window: string, ...keys: string[]) => run('send-keys', '-t', `${name}:${window}`, ...keys),
    screen: async (window: string) => (await run('capture-pane', '-p', '-t', `${name}:${window}`)).stdout,
    resize: (window: string, cols: number, rows: number) => run('resize-window', '-t', `${name}:${window}`, '-x', String(cols), '-y', String(rows)),
    kill: () => runCmd([tmux, '-L', name, 'kill-server']),
  }
}

const TERMINAL = 'a real terminal (tmux): resizes reach the container, ctrl-p ctrl-q detaches it running, attach comes back'
scenario(TERMINAL, async mode => {
  const tmux = which('tmux')
  if (skipUnless(tmux !== undefined, `${TERMINAL} (${mode.name})`, 'tmux is not installed')) return
  const c = setup(mode, ['sh'], { foreground: true, stdin: true }, true)
  const server = tmuxServer(tmux!)
  const shows = async (window: string, text: RegExp) => {
    let screen = ''
    const ok = await poll(async () => text.test(screen = await server.screen(window)), 250, 40)
    assert.ok(ok, `the ${window} window does not show ${text}:\n${screen}`)
  }
  try {
    await server.start('first', mode, c.job)
    await server.keys('first', 'stty size', 'Enter')
    await shows('first', /^30 100\s*$/m)
    await server.resize('first', 120, 40)
    // tmux resizes the pane when it gets to it: ask until the container sees the new size
    let screen = ''
    const resized = await poll(async () => {
      await server.keys('first', 'stty size', 'Enter')
      return /^40 120\s*$/m.test(screen = await server.screen('first'))
    }, 50, 200)
    assert.ok(resized, `the container did not see the new size:\n${screen}`)
    await server.keys('first', 'C-p', 'C-q')
    assert.ok(await poll(() => existsSync(c.job.result), 500), 'the detach keys did not end the foreground run')
    const result = readJson<RunResult>(c.job.result)
    assert.is(result.detached, true, JSON.stringify(result))
    assert.ok(pidAlive(result.pid), 'the container stopped when its client detached')

    const attached = path.join(c.dir, 'attached')
    await server.start('second', mode, { attach: { socket: c.monitor.socket, stdin: true, tty: true, detachKeys: 'ctrl-p,ctrl-q' }, result: attached })
    await server.keys('second', 'echo back-$((40+2))', 'Enter')
    await shows('second', /^back-42\s*$/m)
    await server.keys('second', 'exit 7', 'Enter')
    assert.ok(await poll(() => existsSync(attached), 500), 'attach did not return when the container ended')
    assert.equal(readJson(attached), { outcome: 'exit', code: 7 })
    await assertMonitorGone(c, result.monitorPid)
    assert.ok(await poll(() => existsSync(path.join(c.dir, 'cleaned')), 500), 'the detached monitor did not run the cleanup')
  } finally {
    await server.kill()
    await forceDelete(mode, c.id)
  }
})

test.run()
