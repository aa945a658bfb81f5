/**
 * Starts a program's main: from a module (dist/bundle/), from a script compiled with
 * its V8 code cache (cocker: lib/cli/start.cts), or from a heap snapshot (cocker-runtime:
 * dist/snapshot/, made by `node --build-snapshot` in the build). The code cache spares
 * node the compiling of the program's code on each command, the snapshot the loading of
 * its modules; tools/bundle.mjs says why each program uses which.
 */
import path from 'node:path'
import { setPackageRoot } from '../package-root.js'
import { ignoreEpipe } from './stdio.js'

export interface LaunchOptions {
  /**
   * Runs only while the build makes the snapshot or the code cache: loads modules, and
   * runs code whose functions then come compiled in the code cache (a snapshot keeps the
   * loaded modules but not the compiled code: node makes it with kClear). What it loads
   * must not take node:child_process when it is for a snapshot (node does not vouch for
   * it there): sys/child-process.ts takes it on first use.
   */
  warmUp?: () => Promise<void>
  /**
   * Exit as soon as main returns, sparing node's tear-down of the heap (~1 ms).
   * Only for a main that leaves nothing running behind it (stdout and stderr
   * are synchronous on Linux).
   */
  exitWhenDone?: boolean
}

/**
 * Set by lib/cli/start.cts when the build runs it to write the code cache: it is handed
 * the warm-up, instead of main being run.
 */
export const CODE_CACHE_WARM_UP = Symbol.for('cocker.code-cache.warm-up')

/** Node modules that a snapshot must not hold (node does not vouch for them there). */
const UNSNAPSHOTTABLE = ['child_process', 'module', 'tty', 'http', 'https', 'tls', 'vm', 'worker_threads', 'inspector', 'readline']

export function launch(main: (argv: string[]) => Promise<number>, o: LaunchOptions = {}): void {
  const start = (argv: string[]) => {
    ignoreEpipe()
    void main(argv).then(code => {
      if (o.exitWhenDone) process.exit(code)
      process.exitCode = code
    })
  }
  const warmingCodeCache = (globalThis as Record<symbol, unknown>)[CODE_CACHE_WARM_UP] as ((warmUp?: () => Promise<void>) => void) | undefined
  if (warmingCodeCache) return warmingCodeCache(o.warmUp)
  // node:v8 only here: loading it takes node:stream along (~3 ms of every command)
  if (!process.execArgv.includes('--build-snapshot')) return start(process.argv.slice(2))
  const { startupSnapshot } = process.getBuiltinModule('node:v8')
  void o.warmUp?.().then(() => {
    const loaded = (process as unknown as { moduleLoadList: string[] }).moduleLoadList
    const bad = UNSNAPSHOTTABLE.filter(m => loaded.includes(`NativeModule ${m}`))
    if (bad.length) throw new Error(`the snapshot would hold node:${bad.join(', node:')}: import it where it is used, through process.getBuiltinModule`)
  })
  startupSnapshot.setDeserializeMainFunction(() => {
    // node --snapshot-blob dist/snapshot/X.blob -- ARGS: argv has no script, and the blob says where we are
    const blob = process.execArgv[process.execArgv.indexOf('--snapshot-blob') + 1]
    setPackageRoot(path.resolve(blob, '../../..'))
    start(process.argv.slice(1))
  })
}
