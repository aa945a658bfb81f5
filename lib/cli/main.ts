import { cockerProgram } from './commands/index.js'
import type { CliContext } from './command.js'
import { resolveInvocation } from './dispatch.js'
import { engineFailure, ENGINE_FAILED, renderOutcome } from './exit.js'
import { packageVersion } from '../package-root.js'
import os from 'node:os'
import { userRuntimeDir } from '../config/runtime-dir.js'
import { writeErr, writeOut } from './stdio.js'
import { inRootlessUserNamespace, isRootless, needsUserNamespace } from '../rootless/identity.js'
import { adoptLauncherHelper } from '../runtime/launcher-fds.js'

export async function main(argv: string[]): Promise<number> {
  // bin/cocker's `run`: the helper c/launch.c started beside us
  adoptLauncherHelper(process.env)
  try {
    const inv = resolveInvocation(cockerProgram, argv)
    if (inv.kind === 'version') {
      writeOut(`cocker version ${packageVersion()}\n`)
      return 0
    }
    if (inv.kind !== 'run') {
      const { renderHelp } = await import('./help.js')
      writeOut(renderHelp(cockerProgram, inv.kind === 'help' ? inv.path : []))
      if (inv.kind === 'help') return 0
      writeErr("Error: missing command 'cocker COMMAND'\n")
      return ENGINE_FAILED
    }
    if (isRootless(process.env) && !inRootlessUserNamespace(process.env)) {
      // As Podman does: what cocker starts, above all itself in the user namespace (where
      // uid 0 would find root's home), gets the user's home and runtime dir.
      process.env.HOME ||= os.homedir()
      process.env.XDG_RUNTIME_DIR = userRuntimeDir(process.env)
    }
    const ctx: CliContext = { program: cockerProgram, path: inv.path, globals: inv.globals, env: process.env, cwd: process.cwd(), argv }
    if (inv.command.userNamespace && needsUserNamespace()) {
      const { reexecInUserNamespace } = await import('../rootless/userns.js')
      return await reexecInUserNamespace(argv, { env: process.env, cwd: process.cwd(), warn: m => writeErr(`WARN: ${m}\n`) })
    }
    const command = await inv.command.load!()
    const outcome = await command.run(inv.args, ctx)
    writeOut(renderOutcome(outcome))
    if (outcome.stderr) writeErr(outcome.stderr)
    return outcome.exitCode ?? 0
  } catch (err) {
    const failure = engineFailure(err, { version: packageVersion(), debug: !!process.env.COCKER_DEBUG })
    writeErr(failure.stderr)
    return failure.status
  }
}

