import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { cockerProgram } from './commands/index.js'
import { findCommand } from './dispatch.js'
import { launch } from './launch.js'
import { main } from './main.js'

/** What scripts run most, often in loops: their code comes compiled in the code cache. */
const HOT_COMMANDS = ['create', 'exec', 'images', 'inspect', 'logs', 'ps', 'rm', 'run', 'start', 'stop', 'version']

/**
 * Done once by the build (lib/cli/start.cts), which then writes the code cache: the hot
 * commands' modules, and the read commands run on an empty store of a temporary dir, so
 * that dispatch, the store's reading and the table rendering come compiled.
 */
async function warmUp(): Promise<void> {
  for (const name of HOT_COMMANDS) await findCommand(cockerProgram.commands, name)!.load!()
  const root = mkdtempSync(path.join(os.tmpdir(), 'cocker-warm-up-'))
  try {
    for (const argv of [['ps', '-a'], ['ps', '-a', '--format', 'json'], ['images'], ['images', '--format', 'json'], ['version']]) {
      await main(['--root', root, ...argv])
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

launch(main, { warmUp })
