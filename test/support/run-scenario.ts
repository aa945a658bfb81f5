// `cocker run` of the busybox fixture as root and rootless, for the run-*.test.ts files that
// check each flag from inside the container: one store per mode for the whole file, loaded
// once, since those tests only run containers in it.
import { spawn } from 'node:child_process'
import { readlinkSync } from 'node:fs'
import { test } from 'uvu'
import { cocker, cockerModeOrSkip, COCKER_MODES, loadBusybox, type CockerMode } from './cocker-modes.js'
import { wrapForUser, type RunOptions, type RunResult } from './exec.js'

export interface BusyboxMode extends CockerMode {
  /** The busybox fixture's name in this mode's store. */
  image: string
}

const loaded = new Map<CockerMode['name'], Promise<BusyboxMode>>()

/** The mode with the busybox fixture in its store, loaded once per file; undefined after printing why it cannot run. */
export function busyboxModeOrSkip(name: CockerMode['name'], title: string): Promise<BusyboxMode> | undefined {
  let mode = loaded.get(name)
  if (!mode) {
    const fresh = cockerModeOrSkip(name, title)
    if (!fresh) return undefined
    mode = loadBusybox(fresh).then(image => ({ ...fresh, image }))
    loaded.set(name, mode)
  }
  return mode
}

/** A test per mode (cockerScenario's titles and skips) with the busybox fixture in the mode's store. */
export function busyboxScenario(title: string, body: (mode: BusyboxMode) => Promise<void>,
  modes: readonly CockerMode['name'][] = COCKER_MODES): void {
  for (const name of modes) {
    test(`${title} (${name})`, async () => {
      const mode = busyboxModeOrSkip(name, title)
      if (mode) await body(await mode)
    })
  }
}

/** `cocker run --rm FLAGS IMAGE sh -c SCRIPT`; the status must be 0 unless `opts.status` says otherwise. */
export function runSh(mode: BusyboxMode, flags: string[], script: string, opts: Omit<RunOptions, 'asUser'> = {}): Promise<RunResult> {
  return cocker(mode, ['run', '--rm', ...flags, mode.image, 'sh', '-c', script], { status: 0, ...opts })
}

/**
 * Starts `cocker run --rm FLAGS IMAGE sh -c SCRIPT` as the mode's user, for tests that signal it
 * while it runs; `output()` is what it printed so far.
 */
export function startRun(mode: BusyboxMode, flags: string[], script: string) {
  const { argv, env } = wrapForUser([mode.bin, '--root', mode.root, 'run', '--rm', ...flags, mode.image, 'sh', '-c', script], mode.user)
  const child = spawn(argv[0]!, argv.slice(1), { env, cwd: mode.user?.home, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  let err = ''
  child.stdout.on('data', (b: Buffer) => (out += b))
  child.stderr.on('data', (b: Buffer) => (err += b))
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000)
  void exited.then(() => clearTimeout(timer))
  /** Waits until stdout holds `text`, or fails with what the run printed. */
  const waitFor = async (text: string) => {
    while (!out.includes(text)) {
      const done = await Promise.race([exited.then(() => true), new Promise(r => setTimeout(r, 20)).then(() => false)])
      if (done && !out.includes(text)) throw new Error(`cocker run ended before printing ${JSON.stringify(text)}:\n${out}\n${err}`)
    }
  }
  return { child, exited, waitFor, output: () => ({ out, err }) }
}

/** A `Name:\tvalue` field of /proc/PID/status text, e.g. "CapEff" or "Seccomp". */
export function statusField(status: string, name: string): string {
  const value = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]
  if (value === undefined) throw new Error(`no ${name} in:\n${status}`)
  return value
}

/** A capability mask field (CapEff, CapBnd…) as a number. */
export function capField(status: string, name: string): bigint {
  return BigInt(`0x${statusField(status, name)}`)
}

/** The test process's namespace of this type, as `readlink /proc/self/ns/TYPE` prints it: the host's. */
export function hostNamespace(type: 'net' | 'uts' | 'ipc' | 'pid' | 'mnt'): string {
  return readlinkSync(`/proc/self/ns/${type}`)
}
