/**
 * Starts a program's main, from a module (dist/bundle/) or from a heap snapshot
 * (dist/snapshot/, made by `node --build-snapshot` in the build). The snapshot
 * holds every module already loaded, which spares node most of its start-up work
 * on each command; the bin scripts use it when it matches the node they run.
 */
import path from 'node:path'
import { startupSnapshot } from 'node:v8'
import { setPackageRoot } from '../package-root.js'
import { ignoreEpipe } from './exit.js'

export interface LaunchOptions {
  /**
   * Runs only while the snapshot is built: loads modules, and does pure work (no I/O)
   * whose functions then sit compiled in the snapshot instead of compiling on every run.
   * What it loads must not take node:child_process (node does not vouch for it in a
   * snapshot): sys/child-process.ts takes it on first use.
   */
  warmUp?: () => Promise<void>
  /**
   * Exit as soon as main returns, sparing node's tear-down of the heap (~1 ms).
   * Only for a main that leaves nothing running behind it (stdout and stderr
   * are synchronous on Linux).
   */
  exitWhenDone?: boolean
}

export function launch(main: (argv: string[]) => Promise<number>, o: LaunchOptions = {}): void {
  const start = (argv: string[]) => {
    ignoreEpipe()
    void main(argv).then(code => {
      if (o.exitWhenDone) process.exit(code)
      process.exitCode = code
    })
  }
  if (!startupSnapshot.isBuildingSnapshot()) return start(process.argv.slice(2))
  void o.warmUp?.()
  startupSnapshot.setDeserializeMainFunction(() => {
    // node --snapshot-blob dist/snapshot/X.blob -- ARGS: argv has no script, and the blob says where we are
    const blob = process.execArgv[process.execArgv.indexOf('--snapshot-blob') + 1]
    setPackageRoot(path.resolve(blob, '../../..'))
    start(process.argv.slice(1))
  })
}
