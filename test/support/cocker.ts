// bin/cocker as root and as the rootless test user, each with a store of its own in a
// temp dir: the engine-level counterpart of runtime-modes.ts.
import { chownSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import { makeTempDir } from '../fixtures/bundle.js'
import { runCmd, type RunOptions, type RunResult } from './exec.js'
import { repoPath } from './paths.js'
import { isRoot, rootlessOrSkip, skipUnless } from './requires.js'
import { stageForRootless, type RootlessUser } from './rootless.js'

export interface Engine {
  name: 'root' | 'rootless'
  bin: string
  user?: RootlessUser
  /** --root: the store */
  store: string
}

export function engineOrSkip(name: Engine['name'], title: string): Engine | undefined {
  if (name === 'root') {
    if (skipUnless(isRoot(), `${title} (root)`, 'needs root')) return undefined
    return { name, bin: repoPath('bin/cocker'), store: makeTempDir('cocker-store-root-') }
  }
  const user = rootlessOrSkip(`${title} (rootless)`)
  if (!user) return undefined
  const store = makeTempDir('cocker-store-rootless-')
  if (isRoot()) chownSync(store, user.uid, user.gid)
  return { name, bin: path.join(stageForRootless(), 'bin/cocker'), user, store }
}

/** bin/cocker --root <the engine's store> ARGS, as the engine's user. */
export function cocker(e: Engine, args: string[], opts: Omit<RunOptions, 'asUser'> = {}): Promise<RunResult> {
  return runCmd([e.bin, '--root', e.store, ...args], { asUser: e.user, ...opts })
}

/** A test per engine mode. */
export function engineScenario(title: string, body: (e: Engine) => Promise<void>, modes: readonly Engine['name'][] = ['root', 'rootless']): void {
  for (const name of modes) {
    test(`${title} (${name})`, async () => {
      const e = engineOrSkip(name, title)
      if (e) await body(e)
    })
  }
}
