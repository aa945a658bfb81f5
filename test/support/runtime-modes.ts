// The root/rootless scenario pattern of test/integration/runtime.test.ts, shared
// by the runtime-*.test.ts files: each scenario runs once as root and once as
// the unprivileged test user, and a mode that cannot run here prints why.
import { chownSync, readFileSync } from 'node:fs'
import { test } from 'uvu'
import { makeTempDir, type Bundle, type BundleOptions } from '../fixtures/bundle.js'
import { makeBusyboxBundle } from '../fixtures/busybox-bundle.js'
import { hasFixtureInit, makeInitBundle } from '../fixtures/init-bundle.js'
import type { FixtureSpec } from '../fixtures/oci-config.js'
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { runCmd, wrapForUser, type RunOptions, type RunResult } from './exec.js'
import { safeName } from './names.js'
import { RUNTIME_BIN } from './paths.js'
import { isRoot, rootlessOrSkip, skipUnless } from './requires.js'
import { rootlessRuntimeBin, type RootlessUser } from './rootless.js'

export interface Mode {
  name: 'root' | 'rootless'
  bin: string
  user?: RootlessUser
  /** --root for this mode's containers */
  root: string
  rootless?: { uid: number; gid: number }
}

export const MODES = ['root', 'rootless'] as const

/** The mode's runtime binary, user and state dir, or undefined after printing why it cannot run. */
export function modeOrSkip(name: Mode['name'], title: string): Mode | undefined {
  if (name === 'root') {
    if (skipUnless(isRoot(), `${title} (root)`, 'needs root')) return undefined
    return { name, bin: RUNTIME_BIN, root: makeTempDir('cocker-rt-root-') }
  }
  const user = rootlessOrSkip(`${title} (rootless)`)
  if (!user) return undefined
  const root = makeTempDir('cocker-rt-state-')
  if (isRoot()) chownSync(root, user.uid, user.gid)
  return { name, bin: rootlessRuntimeBin(), user, root, rootless: { uid: user.uid, gid: user.gid } }
}

export function busybox(mode: Mode, args: string[], config?: (spec: FixtureSpec) => void): Bundle {
  const opts: BundleOptions = { args, config, rootless: mode.rootless ?? undefined }
  return makeBusyboxBundle(makeTempDir(), opts)
}

export function fixture(mode: Mode, args: string[], config?: (spec: FixtureSpec) => void): Bundle {
  return makeInitBundle(makeTempDir(), { args: ['/init', ...args], config, rootless: mode.rootless ?? undefined })
}

/** cocker-runtime --root <mode's> ARGS, as the mode's user. */
export function runtime(mode: Mode, args: string[], opts: Omit<RunOptions, 'asUser'> = {}): Promise<RunResult> {
  return runCmd([mode.bin, '--root', mode.root, ...args], { asUser: mode.user, ...opts })
}

/**
 * cocker-runtime --root <mode's> ARGS as the mode's user, as a child process the test
 * controls (signals, extra fds). setpriv and the bin script exec, so its pid is the runtime's.
 */
export function spawnRuntime(mode: Mode, args: string[], stdio: StdioOptions): ChildProcess {
  const { argv, env } = wrapForUser([mode.bin, '--root', mode.root, ...args], mode.user)
  return spawn(argv[0], argv.slice(1), { stdio, env, cwd: mode.user?.home })
}

/** `run` of a bundle: stdout of the container, and its exit status checked. */
export async function run(mode: Mode, bundle: Bundle, status = 0): Promise<string> {
  const r = await runtime(mode, ['run', '--bundle', bundle.dir, safeName()], { status })
  return r.stdout
}

/** A test per mode; `modes` narrows it (e.g. ['root'] for what only root may do). */
export function scenario(title: string, body: (mode: Mode) => Promise<void>,
  needs: 'busybox' | 'fixture' = 'busybox', modes: readonly Mode['name'][] = MODES): void {
  for (const name of modes) {
    test(`${title} (${name})`, async () => {
      if (needs === 'fixture' && skipUnless(hasFixtureInit(), `${title} (${name})`, 'c/tests/fixture-init is not built')) return
      const mode = modeOrSkip(name, title)
      if (mode) await body(mode)
    })
  }
}

/** A fresh dir on the host that the mode's container root (and user) may write. */
export function sharedDir(mode: Mode, prefix = 'cocker-shared-'): string {
  const dir = makeTempDir(prefix)
  if (mode.user && isRoot()) chownSync(dir, mode.user.uid, mode.user.gid)
  return dir
}

/** The container's `state` JSON, or undefined when the runtime says it does not exist. */
export async function stateOf(mode: Mode, id: string): Promise<{ status: string; pid: number; [k: string]: unknown } | undefined> {
  const r = await runtime(mode, ['state', id])
  return r.status === 0 ? JSON.parse(r.stdout) : undefined
}

/** Polls `cond` every `everyMs` until it holds or `tries` run out; returns whether it held. */
export async function poll(cond: () => boolean | Promise<boolean>, tries = 250, everyMs = 20): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return true
    await new Promise(r => setTimeout(r, everyMs))
  }
  return cond()
}

/** Waits (bounded) until the container's status is `want`. */
export async function waitStatus(mode: Mode, id: string, want: string): Promise<void> {
  let last: string | undefined
  const ok = await poll(async () => (last = (await stateOf(mode, id))?.status) === want)
  if (!ok) throw new Error(`container ${id} is ${last ?? 'gone'}, expected ${want}`)
}

/** Whether a host pid is a live (non-zombie) process. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/** `delete --force`, ignoring "does not exist": for finally blocks. */
export async function forceDelete(mode: Mode, id: string): Promise<void> {
  await runtime(mode, ['delete', '--force', id])
}

/** Mount points of every cgroup hierarchy (v1 and v2) on the host. */
export function cgroupMountpoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').flatMap(line => {
    const fstype = line.split(' - ')[1]?.split(' ')[0]
    return fstype === 'cgroup' || fstype === 'cgroup2' ? [line.split(' ')[4]!] : []
  })
}
