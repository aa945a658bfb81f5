import { resolveInvocation } from './dispatch.js'
import { launch } from './launch.js'
import { main } from './runtime-main.js'
import { runtimeProgram } from './runtime-commands/index.js'

/**
 * What every container start runs, done once on the snapshot's heap so that
 * those functions are compiled already and the modules loaded: the command
 * line as podman and containerd write it, the lifecycle commands, the config
 * check, the plan compiler and the cgroup planner (measured: ~6 ms of CPU less
 * per `run`, ~2 ms more for the command line and modules, ~1 ms for cgroups).
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
  const { compilePlan, withDeviceRules } = await import('../runtime/compile.js')
  const { encodePlan } = await import('../runtime/protocol.js')
  const { detectCgroups, planCgroup, cgroupDirs } = await import('../cgroups/index.js')
  for (const rootless of [false, true]) {
    const spec = parseConfig(JSON.stringify(specTemplate({ rootless, uid: 1000, gid: 1000 })))
    const ids = rootless ? 1000 : 0
    const plan = compilePlan(spec, { bundle: '/bundle', rootless, hostUid: ids, hostGid: ids, mode: 'wait', consoleSocket: '/socket' })
    encodePlan(plan.ops)
    // the cgroup plan, on made-up hosts: its functions only read what they are given
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 1 << 28 }, pids: { limit: 100 }, cpu: { shares: 512 } }
    for (const mountinfo of [SAMPLE_HYBRID_MOUNTINFO, SAMPLE_V2_MOUNTINFO]) {
      try {
        const layout = detectCgroups(mountinfo, () => 'cpu memory pids')
        planCgroup({ layout, cgroupsPath: undefined, id: 'id', resources: withDeviceRules(spec), rootless, systemd: false,
          selfCgroup: '0::/user.slice\n', readFile: () => '', canWrite: () => true })
        cgroupDirs(layout, undefined, 'id', rootless, false)
      } catch { /* warm-up only: whatever ran is compiled */ }
    }
  }
}

// /proc/self/mountinfo of a cgroup v2 host and of a hybrid one (v1 controllers, cgroup2 beside them)
const SAMPLE_V2_MOUNTINFO = '31 25 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n'
const SAMPLE_HYBRID_MOUNTINFO = `31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
32 30 0:28 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
35 30 0:31 / /sys/fs/cgroup/devices rw,nosuid - cgroup cgroup rw,devices
36 30 0:32 / /sys/fs/cgroup/freezer rw,nosuid - cgroup cgroup rw,freezer
`

// every await of main ends before it returns: nothing is left to wait for
launch(main, { warmUp, exitWhenDone: true })
