import { resolveInvocation } from './dispatch.js'
import { launch } from './launch.js'
import { main } from './runtime-main.js'
import { runtimeProgram } from './runtime-commands/index.js'

/**
 * What every container start runs, done once on the snapshot's heap so that
 * those functions are compiled already and the modules loaded: the command
 * line as podman and containerd write it, the lifecycle commands, the config
 * check and the plan compiler (measured: ~6 ms of CPU less per `run`, and
 * ~2 ms more for the command line and modules).
 */
async function warmUp(): Promise<void> {
  const globals = ['--root', '/run/r', '--log', '/l', '--log-format', 'json', '--systemd-cgroup']
  for (const argv of [['run', '--bundle', '/b', 'id'], ['create', '--bundle', '/b', '--pid-file', '/p', '--console-socket', '/s', 'id'],
    ['start', 'id'], ['state', 'id'], ['kill', '--all', 'id', 'KILL'], ['delete', '--force', 'id'],
    ['exec', '--process', '/p', '--detach', '--pid-file', '/p', 'id']]) {
    const inv = resolveInvocation(runtimeProgram, [...globals, ...argv])
    if (inv.kind === 'run') await inv.command.load!()
  }
  const { specTemplate } = await import('../runtime/spec-template.js')
  const { parseConfig } = await import('../runtime/schema/validate.js')
  const { compilePlan } = await import('../runtime/compile.js')
  const { encodePlan } = await import('../runtime/protocol.js')
  for (const rootless of [false, true]) {
    const spec = parseConfig(JSON.stringify(specTemplate({ rootless, uid: 1000, gid: 1000 })))
    const ids = rootless ? 1000 : 0
    const plan = compilePlan(spec, { bundle: '/bundle', rootless, hostUid: ids, hostGid: ids, mode: 'wait', consoleSocket: '/socket' })
    encodePlan(plan.ops)
  }
}

// every await of main ends before it returns: nothing is left to wait for
launch(main, { warmUp, exitWhenDone: true })
