import { UsageError } from './argv.js'
import type { ParsedArgs } from './command.js'
import { resolveInvocation } from './dispatch.js'
import { renderOutcome, runtimeFailure } from './exit.js'
import { packageVersion } from '../package-root.js'
import { adoptLauncherHelper } from '../runtime/launcher-fds.js'
import { runtimeProgram } from './runtime-commands/index.js'
import { makeRuntimeContext, writeLog, type RuntimeCliContext, type RuntimeLog } from './runtime-context.js'

const log: RuntimeLog = { format: 'text', debug: false, stderr: text => process.stderr.write(text) }

function configureLog(globals: ParsedArgs): void {
  log.file = typeof globals.log === 'string' ? globals.log : undefined
  log.format = globals.logFormat === 'json' ? 'json' : 'text'
  log.debug = globals.debug === true
}

export async function main(argv: string[]): Promise<number> {
  adoptLauncherHelper(process.env)
  try {
    const inv = resolveInvocation(runtimeProgram, argv)
    if (inv.kind === 'version') {
      process.stdout.write(`cocker-runtime version ${packageVersion()}\nnode: ${process.version}\n`)
      return 0
    }
    if (inv.kind !== 'run') {
      const { renderHelp } = await import('./help.js')
      process.stdout.write(renderHelp(runtimeProgram, inv.kind === 'help' ? inv.path : []))
      return 0
    }
    configureLog(inv.globals)
    const ctx: RuntimeCliContext = {
      program: runtimeProgram,
      path: inv.path,
      globals: inv.globals,
      env: process.env,
      cwd: process.cwd(),
      runtime: makeRuntimeContext(inv.globals, process.env, log),
    }
    const command = await inv.command.load!()
    const outcome = await command.run(inv.args, ctx)
    process.stdout.write(renderOutcome(outcome))
    return outcome.exitCode ?? 0
  } catch (err) {
    if (err instanceof UsageError && err.globals) configureLog(err.globals)
    const failure = runtimeFailure(err, { version: packageVersion(), debug: log.debug })
    process.stderr.write(failure.stderr)
    writeLog(log, 'error', failure.logMessage)
    return failure.status
  }
}

