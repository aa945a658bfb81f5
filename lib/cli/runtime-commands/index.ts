/**
 * cocker-runtime: runc's command line (names, aliases, defaults), so that podman --runtime,
 * containerd and the OCI runtime-tools can drive it. Keep the list sorted.
 */
import type { CommandDef, OptionDef, ProgramDef } from '../command.js'
import { RUNTIME_EXIT_STATUSES } from '../exit.js'
import type { RuntimeCliContext } from '../runtime-context.js'

type RuntimeCommand = CommandDef<RuntimeCliContext>

const containerId = { name: 'container-id', required: true, complete: 'container' } as const

const bundle: OptionDef = {
  name: 'bundle', alias: 'b', type: 'string', complete: 'dir', valueName: 'dir', defaultText: 'current directory',
  describe: 'path to the root of the bundle directory',
}
const consoleSocket: OptionDef = {
  name: 'console-socket', type: 'string', complete: 'file', valueName: 'path',
  describe: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
}
const pidFile: OptionDef = { name: 'pid-file', type: 'string', complete: 'file', valueName: 'path', describe: 'specify the file to write the process id to' }
const preserveFds: OptionDef = {
  name: 'preserve-fds', type: 'number', default: 0,
  describe: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)',
}
const detach: OptionDef = { name: 'detach', alias: 'd', type: 'boolean', describe: "detach from the container's process" }
const createOptions: OptionDef[] = [
  bundle,
  consoleSocket,
  pidFile,
  { name: 'no-pivot', type: 'boolean', describe: 'do not use pivot_root to jail the process inside rootfs; use this when the rootfs is on top of a ramdisk' },
  { name: 'no-new-keyring', type: 'boolean', describe: 'do not create a new session keyring for the container (accepted for compatibility; cocker-runtime never creates one)' },
  preserveFds,
]
const format: OptionDef = { name: 'format', alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table', describe: 'output format' }

const bundleDescription = `The bundle is a directory with a specification file named "config.json" and a root filesystem. The args in config.json are the command the container runs; see "cocker-runtime spec --help".`

const create: RuntimeCommand = {
  name: 'create',
  describe: 'create a container',
  description: `Creates an instance of a container from a bundle and stops before running the user's process: "cocker-runtime start" runs it. ${bundleDescription}`,
  usage: 'create [options] <container-id>',
  positionals: [containerId],
  options: createOptions,
  examples: [['cocker-runtime create --bundle /srv/bundle web1', 'create container web1 from the bundle in /srv/bundle']],
  load: () => import('./create.js'),
}

const del: RuntimeCommand = {
  name: 'delete',
  describe: 'delete any resources held by the container, often used with detached containers',
  usage: 'delete [options] <container-id>',
  positionals: [containerId],
  options: [{ name: 'force', alias: 'f', type: 'boolean', describe: 'forcibly delete the container if it is still running (uses SIGKILL)' }],
  examples: [['cocker-runtime delete web1', 'delete the stopped container web1']],
  load: () => import('./delete.js'),
}

const exec: RuntimeCommand = {
  name: 'exec',
  describe: 'execute a new process inside the container',
  description: 'Runs <command> with [args...] inside the container, or the process described by a process.json file given with --process. Everything after <command> is passed to it, even arguments that start with "-".',
  usage: 'exec [options] <container-id> <command> [args...]',
  positionals: [containerId, { name: 'command', required: false, complete: 'file' }, { name: 'args', required: false, variadic: true, raw: true }],
  options: [
    consoleSocket,
    { name: 'cwd', type: 'string', valueName: 'path', describe: 'current working directory in the container' },
    { name: 'env', alias: 'e', type: 'array', valueName: 'key=value', describe: 'set an environment variable' },
    { name: 'tty', alias: 't', type: 'boolean', describe: 'allocate a pseudo-TTY' },
    { name: 'user', alias: 'u', type: 'string', valueName: 'uid[:gid]', describe: 'user and group to run the process as' },
    { name: 'additional-gids', alias: 'g', type: 'array', valueName: 'gid', describe: 'additional group id' },
    { name: 'process', alias: 'p', type: 'string', complete: 'file', valueName: 'path', describe: 'path to the process.json' },
    detach,
    pidFile,
    { name: 'process-label', type: 'string', valueName: 'label', describe: 'set the SELinux label for the process (accepted, not supported)' },
    { name: 'apparmor', type: 'string', valueName: 'profile', describe: 'set the AppArmor profile for the process (accepted, not supported)' },
    { name: 'no-new-privs', type: 'boolean', describe: 'set the no new privileges value for the process' },
    { name: 'cap', alias: 'c', type: 'array', valueName: 'capability', describe: 'add a capability to the bounding set for the process' },
    preserveFds,
    { name: 'cgroup', type: 'array', valueName: '[controller:]path', describe: 'run the process in an existing sub-cgroup (accepted, not supported)' },
    { name: 'ignore-paused', type: 'boolean', describe: 'allow exec in a paused container' },
  ],
  examples: [
    ['cocker-runtime exec web1 ps -ef', 'list the processes of web1 as seen from inside it'],
    ['cocker-runtime exec --process /tmp/process.json web1', 'run the process described in /tmp/process.json'],
  ],
  load: () => import('./exec.js'),
}

const features: RuntimeCommand = {
  name: 'features',
  describe: 'show the enabled features',
  description: 'Prints the features of this runtime as JSON, in the format of the OCI runtime features document.',
  usage: 'features',
  positionals: [],
  options: [],
  examples: [],
  load: () => import('./features.js'),
}

const kill: RuntimeCommand = {
  name: 'kill',
  describe: "send a signal (default: SIGTERM) to the container's init process",
  description: 'The signal may be given by name with or without the SIG prefix, or by number: KILL, SIGKILL and 9 are the same.',
  usage: 'kill [options] <container-id> [signal]',
  positionals: [containerId, { name: 'signal', required: false, default: 'SIGTERM', complete: 'signal' }],
  options: [{ name: 'all', alias: 'a', type: 'boolean', describe: 'send the signal to all processes inside the container' }],
  examples: [['cocker-runtime kill web1 KILL', 'send SIGKILL to the init process of web1']],
  load: () => import('./kill.js'),
}

const list: RuntimeCommand = {
  name: 'list',
  describe: 'list containers started by cocker-runtime with the given root',
  usage: 'list [options]',
  positionals: [],
  options: [format, { name: 'quiet', alias: 'q', type: 'boolean', describe: 'display only container IDs' }],
  examples: [
    ['cocker-runtime list', 'list the containers under the default --root'],
    ['cocker-runtime --root /run/other list --format json', 'list the containers under another root, as JSON'],
  ],
  load: () => import('./list.js'),
}

const pause: RuntimeCommand = {
  name: 'pause',
  describe: 'suspend all processes inside the container',
  usage: 'pause <container-id>',
  positionals: [containerId],
  options: [],
  examples: [],
  load: () => import('./pause.js'),
}

const ps: RuntimeCommand = {
  name: 'ps',
  describe: 'display the processes running inside a container',
  description: 'Runs ps(1) with [ps-options] (default: -ef) and shows its header and the lines of the processes in the container. Everything after <container-id> is passed to ps.',
  usage: 'ps [options] <container-id> [ps-options...]',
  positionals: [containerId, { name: 'ps-options', required: false, variadic: true, raw: true }],
  options: [format],
  examples: [['cocker-runtime ps web1 -o pid,comm', 'show the pid and command name of the processes in web1']],
  load: () => import('./ps.js'),
}

const resume: RuntimeCommand = {
  name: 'resume',
  describe: 'resume all processes that have been previously paused',
  usage: 'resume <container-id>',
  positionals: [containerId],
  options: [],
  examples: [],
  load: () => import('./resume.js'),
}

const run: RuntimeCommand = {
  name: 'run',
  describe: 'create and run a container',
  description: `Creates an instance of a container from a bundle, runs it and, unless --detach is given, waits for it and exits with its exit status. ${bundleDescription}`,
  usage: 'run [options] <container-id>',
  positionals: [containerId],
  options: [
    ...createOptions.slice(0, 2),
    detach,
    { name: 'keep', type: 'boolean', describe: 'do not delete the container after it exits' },
    ...createOptions.slice(2),
    { name: 'no-subreaper', type: 'boolean', describe: 'disable the use of the subreaper used to reap reparented processes (accepted for compatibility)' },
  ],
  examples: [['cocker-runtime run --bundle /srv/bundle web1', 'run container web1 in the foreground and exit with its status']],
  manExitStatus: true,
  load: () => import('./run.js'),
}

const spec: RuntimeCommand = {
  name: 'spec',
  describe: 'create a new specification file',
  description: 'Writes a starter config.json into the bundle directory. Its args run "sh"; edit them to run what the image holds. Refuses to overwrite an existing config.json.',
  usage: 'spec [options]',
  positionals: [],
  options: [
    { ...bundle, defaultText: 'current directory' },
    { name: 'rootless', type: 'boolean', describe: 'generate a configuration for a rootless container' },
  ],
  examples: [['cocker-runtime spec --rootless --bundle /srv/bundle', 'write /srv/bundle/config.json for a rootless container']],
  load: () => import('./spec.js'),
}

const start: RuntimeCommand = {
  name: 'start',
  describe: 'execute the user defined process in a created container',
  usage: 'start <container-id>',
  positionals: [containerId],
  options: [],
  examples: [],
  load: () => import('./start.js'),
}

const state: RuntimeCommand = {
  name: 'state',
  describe: 'output the state of a container',
  description: 'Prints the state of the container as JSON, as the OCI runtime specification defines it.',
  usage: 'state <container-id>',
  positionals: [containerId],
  options: [],
  examples: [],
  load: () => import('./state.js'),
}

export const runtimeProgram: ProgramDef<RuntimeCliContext> = {
  name: 'cocker-runtime',
  describe: 'OCI runtime with the command line of runc',
  description: 'cocker-runtime creates and runs containers from OCI bundles. Its commands, flags and output follow runc, so podman --runtime, containerd and the OCI runtime-tools can drive it.',
  usage: '[global options] <command> [command options] [arguments...]',
  globalOptions: [
    { name: 'debug', type: 'boolean', describe: 'enable debug logging' },
    { name: 'log', type: 'string', complete: 'file', valueName: 'path', describe: 'also write errors, warnings and debug messages to this file (default: stderr only)' },
    { name: 'log-format', type: 'string', choices: ['text', 'json'], default: 'text', describe: 'format of the --log file' },
    {
      name: 'root', type: 'string', complete: 'dir', valueName: 'dir',
      defaultText: '/run/cocker-runtime; rootless: $XDG_RUNTIME_DIR/cocker-runtime, else /tmp/cocker-runtime-<uid>',
      describe: 'root directory for storage of container state (this should be located in tmpfs)',
    },
    { name: 'criu', type: 'string', complete: 'file', valueName: 'path', describe: 'path to the criu binary (accepted for compatibility; checkpoint is not supported)' },
    { name: 'cgroup-manager', type: 'string', choices: ['cgroupfs', 'systemd', 'disabled'], valueName: 'manager', describe: 'how cgroups are managed, as crun takes it: "disabled" runs containers without cgroups (podman --cgroups=disabled)' },
    { name: 'systemd-cgroup', type: 'boolean', describe: 'enable systemd cgroup support; cgroupsPath must then be of the form "slice:prefix:name", e.g. "system.slice:cocker:434234"' },
    { name: 'rootless', type: 'string', choices: ['auto', 'true', 'false'], default: 'auto', describe: 'ignore cgroup permission errors' },
    { name: 'help', alias: 'h', type: 'boolean', describe: 'show help' },
    { name: 'version', alias: 'v', type: 'boolean', describe: 'print the version' },
  ],
  commands: [create, del, exec, features, kill, list, pause, ps, resume, run, spec, start, state],
  globalsAfterCommand: false,
  listContainers: 'cocker-runtime list -q',
  exitStatuses: RUNTIME_EXIT_STATUSES,
}
