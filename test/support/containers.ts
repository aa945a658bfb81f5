// What the tests of containers that outlive the command share: waiting for a state, what a
// directory holds, the monitors and runtime state a store leaves, and a command killed at a
// crash point (lib/sys/crash-point.ts, c/util.c crash_point).
import { readdirSync } from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { cocker, loadBusybox, type CockerMode } from './cocker-modes.js'
import { runCmd } from './exec.js'
import { stageForRootless } from './rootless.js'
import { repoPath } from './paths.js'

/** Polls `check` (every 100 ms, up to `ms`) until it returns something truthy. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 100))
  }
}

/** A directory's entries; none when it does not exist. */
export const entries = (dir: string) => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** Runs `body` with the busybox image loaded, then removes every container of the store. */
export async function withContainers(mode: CockerMode, body: (image: string) => Promise<void>): Promise<void> {
  const image = await loadBusybox(mode)
  try {
    await body(image)
  } finally {
    await cocker(mode, ['rm', '-f', '-a', '-t', '0'])
  }
}

/** Monitors (comm cocker:[0:MON]) holding a file of this mode's store open. */
export async function monitorsOf(mode: CockerMode): Promise<string[]> {
  const script = 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = "cocker:[0:MON]" ] || continue; ls -l $p/fd 2>/dev/null | grep -q -F "$1" && echo ${p#/proc/}; done; true'
  const r = await runCmd(['sh', '-c', script, 'sh', mode.root])
  return r.stdout.split('\n').filter(Boolean)
}

/** `cocker ARGS` killed with SIGKILL at the named point. */
export async function crashAt(mode: CockerMode, point: string, args: string[]): Promise<void> {
  const r = await cocker(mode, args, { env: { _COCKER_CRASH_AT: point } })
  assert.is(r.signal, 'SIGKILL', `${point}: the command was not killed there`)
}

/** Where the mode's cocker keeps its runtimes' state (runtimeStateDir), as its user's environment gives it. */
export async function runtimeStateDirOf(mode: CockerMode): Promise<string> {
  const engine = path.join(mode.user ? stageForRootless() : repoPath(), 'dist/lib/container/engine.js')
  const r = await runCmd([process.execPath, '-e', `import(${JSON.stringify(engine)}).then(m => console.log(m.runtimeStateDir(process.env)))`],
    { asUser: mode.user, status: 0 })
  return r.stdout.trim()
}
