// `cocker run` of the busybox fixture as root and rootless, for the run-*.test.ts files that
// check each flag from inside the container: one store per mode for the whole file, loaded
// once, since those tests only run containers in it.
import { readlinkSync } from 'node:fs'
import { test } from 'uvu'
import { cocker, cockerModeOrSkip, COCKER_MODES, loadBusybox, type CockerMode } from './cocker-modes.js'
import type { RunOptions, RunResult } from './exec.js'

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
