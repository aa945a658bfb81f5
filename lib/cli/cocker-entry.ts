import { cockerProgram } from './commands/index.js'
import { findCommand } from './dispatch.js'
import { launch } from './launch.js'
import { main } from './main.js'

/** What scripts run most, often in loops: their modules come loaded with the heap snapshot. */
const HOT_COMMANDS = ['ps', 'inspect', 'exec', 'logs']

/**
 * Node modules that the snapshot must not hold (node does not vouch for them there): code on
 * the hot commands' paths takes them when it needs them (sys/child-process.ts).
 */
const UNSNAPSHOTTABLE = ['child_process', 'module', 'tty', 'http', 'https', 'tls', 'vm', 'worker_threads', 'inspector', 'readline']

/** Done once on the snapshot's heap (launch.ts): no run pays for loading the hot commands. */
async function warmUp(): Promise<void> {
  for (const name of HOT_COMMANDS) await findCommand(cockerProgram.commands, name)!.load!()
  const loaded = (process as unknown as { moduleLoadList: string[] }).moduleLoadList
  const bad = UNSNAPSHOTTABLE.filter(m => loaded.includes(`NativeModule ${m}`))
  if (bad.length) throw new Error(`the snapshot would hold node:${bad.join(', node:')}: import it where it is used, through process.getBuiltinModule`)
}

launch(main, { warmUp })
