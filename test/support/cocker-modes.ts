// bin/cocker as root and as the rootless test user, each on a store of its own under
// a temp dir: the pattern of runtime-modes.ts for the engine's commands.
import { spawn, type ChildProcess } from 'node:child_process'
import { chownSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import { makeTempDir } from '../fixtures/bundle.js'
import { FIXTURE_IMAGE, fixtureOciArchive } from './image-fixture.js'
import { runCmd, wrapForUser, type RunOptions, type RunResult } from './exec.js'
import { repoPath } from './paths.js'
import { hasNewuidmap, hasUserns, isRoot, rootlessOrSkip, skipUnless } from './requires.js'
import { stageForRootless, type RootlessUser } from './rootless.js'

export interface CockerMode {
  name: 'root' | 'rootless'
  bin: string
  user?: RootlessUser
  /** --root: this mode's store. */
  root: string
}

export const COCKER_MODES = ['root', 'rootless'] as const

/** A temp dir removed at exit, owned by the mode's user. */
export function modeDir(mode: Pick<CockerMode, 'user'>, prefix = 'cocker-it-'): string {
  const dir = makeTempDir(prefix)
  if (mode.user && isRoot()) chownSync(dir, mode.user.uid, mode.user.gid)
  return dir
}

/** The mode's bin/cocker, user and store, or undefined after printing why it cannot run. */
export function cockerModeOrSkip(name: CockerMode['name'], title: string): CockerMode | undefined {
  if (name === 'root') {
    if (skipUnless(isRoot(), `${title} (root)`, 'needs root')) return undefined
    return { name, bin: repoPath('bin/cocker'), root: modeDir({}, 'cocker-it-root-') }
  }
  const user = rootlessOrSkip(`${title} (rootless)`)
  if (!user) return undefined
  if (skipUnless(hasUserns(user), `${title} (rootless)`, `${user.name} cannot create user namespaces`)) return undefined
  if (skipUnless(hasNewuidmap(), `${title} (rootless)`, 'no newuidmap/newgidmap (apt-get install uidmap)')) return undefined
  return rootlessMode(user)
}

/** bin/cocker of the staged copy, as `user`, on a store of its own that the user owns. */
export function rootlessMode(user: RootlessUser, prefix = 'cocker-it-rootless-'): CockerMode {
  const mode: CockerMode = { name: 'rootless', bin: path.join(stageForRootless(), 'bin/cocker'), user, root: '' }
  mode.root = path.join(modeDir(mode, prefix), 'store')
  return mode
}

/** bin/cocker --root <mode's store> ARGS, as the mode's user. */
export function cocker(mode: CockerMode, args: string[], opts: Omit<RunOptions, 'asUser'> = {}): Promise<RunResult> {
  return runCmd([mode.bin, '--root', mode.root, ...args], { asUser: mode.user, timeoutMs: 120_000, ...opts })
}

/** The same, as a child the test controls; it leads its own process group (kill -pid kills it all). */
export function spawnCocker(mode: CockerMode, args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  const { argv, env: full } = wrapForUser([mode.bin, '--root', mode.root, ...args], mode.user, env)
  return spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', env: full, cwd: mode.user?.home, detached: true })
}

/** A test per mode; `missing` (e.g. registryMissing()) says why none can run here. */
export function cockerScenario(title: string, body: (mode: CockerMode) => Promise<void>,
  modes: readonly CockerMode['name'][] = COCKER_MODES, missing?: string): void {
  for (const name of modes) {
    test(`${title} (${name})`, async () => {
      if (skipUnless(!missing, `${title} (${name})`, missing ?? '')) return
      const mode = cockerModeOrSkip(name, title)
      if (mode) await body(mode)
    })
  }
}

/** Loads the busybox fixture (image-fixture.ts) into the mode's store; returns its name. */
export async function loadBusybox(mode: CockerMode): Promise<string> {
  await cocker(mode, ['load', '-q', '-i', fixtureOciArchive()], { status: 0 })
  return FIXTURE_IMAGE
}
