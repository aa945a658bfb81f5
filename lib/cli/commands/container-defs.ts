/**
 * The container lifecycle's commands (podman's names, flags and short flags): data only, like
 * index.ts, which places each in the top-level list and in the `container` group.
 */
import type { CommandDef, OptionDef, PositionalDef } from '../command.js'
import { runOptions, runPositionals } from '../flags/run.js'

const CONTAINERS: PositionalDef = { name: 'containers', required: false, variadic: true, complete: 'container' }
const CONTAINER: PositionalDef = { name: 'container', required: true, complete: 'container' }
const ALL: OptionDef = { name: 'all', alias: 'a', type: 'boolean', describe: 'act on all containers' }
/** `start` keeps -a for --attach, as podman's. */
const ALL_LONG: OptionDef = { name: 'all', type: 'boolean', describe: 'act on all containers' }
export const LATEST: OptionDef = { name: 'latest', alias: 'l', type: 'boolean', describe: 'act on the latest container cocker knows of' }
const TIME: OptionDef = { name: 'time', alias: 't', type: 'number', valueName: 'seconds', describe: "seconds to wait for the stop signal to stop the container before SIGKILL (default: the container's --stop-timeout, 10)" }
const DETACH_KEYS: OptionDef = { name: 'detach-keys', type: 'string', valueName: 'keys', describe: 'the key sequence that detaches from the container (default ctrl-p,ctrl-q; "" disables)' }
const CIDFILE: OptionDef = { name: 'cidfile', type: 'array', valueName: 'file', complete: 'file', describe: 'act on the container whose ID is in the file (as run --cidfile writes it)' }
const SIG_PROXY: OptionDef = { name: 'sig-proxy', type: 'boolean', default: true, describe: 'pass the signals cocker receives on to the container' }

export const create: CommandDef = {
  name: 'create',
  describe: 'create but do not start a container',
  description: 'Creates a container from the image as `run` does (pulling it when needed), without starting it, and prints its ID. `cocker start` runs it.',
  usage: 'create [options] <image> [command [arg ...]]',
  positionals: runPositionals,
  options: runOptions,
  examples: [['cocker create --name web alpine httpd -f', 'a container named web, ready to start']],
  load: () => import('./create.js'),
}

export const start: CommandDef = {
  name: 'start',
  describe: 'start one or more containers',
  description: 'Starts created or exited containers under a monitor of their own, in the background, and prints each name as given. With --attach the container\'s output comes to the terminal and its exit status is cocker\'s.',
  usage: 'start [options] <containers...>',
  positionals: [CONTAINERS],
  options: [
    ALL_LONG,
    { name: 'attach', alias: 'a', type: 'boolean', describe: "attach the container's output and wait for it to exit" },
    DETACH_KEYS,
    { name: 'interactive', alias: 'i', type: 'boolean', describe: "attach the container's stdin too" },
    LATEST,
    SIG_PROXY,
  ],
  examples: [['cocker start web', 'start the container named web'], ['cocker start -a web', 'and see its output until it exits']],
  manExitStatus: true,
  load: () => import('./start.js'),
}

export const stop: CommandDef = {
  name: 'stop',
  describe: 'stop one or more containers',
  description: "Sends each container its stop signal (the image's StopSignal, --stop-signal, else SIGTERM), then SIGKILL to all its processes when it has not stopped after the timeout. Returns once the exit is recorded. A stopped container is not restarted by its restart policy.",
  usage: 'stop [options] <containers...>',
  positionals: [CONTAINERS],
  options: [ALL, CIDFILE, { name: 'ignore', alias: 'i', type: 'boolean', describe: 'ignore containers that do not exist (and --cidfile files)' }, LATEST, TIME],
  examples: [['cocker stop web', 'stop the container named web'], ['cocker stop -t 0 web', 'kill it at once']],
  load: () => import('./stop.js'),
}

export const restart: CommandDef = {
  name: 'restart',
  describe: 'restart one or more containers',
  usage: 'restart [options] <containers...>',
  positionals: [CONTAINERS],
  options: [ALL, LATEST, TIME],
  examples: [['cocker restart web', 'stop and start the container named web']],
  load: () => import('./restart.js'),
}

export const kill: CommandDef = {
  name: 'kill',
  describe: 'kill one or more running containers with a specific signal',
  usage: 'kill [options] <containers...>',
  positionals: [CONTAINERS],
  options: [ALL, LATEST, { name: 'signal', alias: 's', type: 'string', default: 'KILL', valueName: 'signal', complete: 'signal', describe: 'the signal to send' }],
  examples: [['cocker kill -s HUP web', 'send SIGHUP to the main process of web']],
  load: () => import('./kill.js'),
}

export const rm: CommandDef = {
  name: 'rm',
  describe: 'remove one or more containers',
  description: 'Removes containers that do not run, with their files and names. A running container needs --force, which stops it first. Exit status 1 when a container does not exist, 2 when one runs.',
  usage: 'rm [options] <containers...>',
  positionals: [CONTAINERS],
  options: [
    ALL,
    CIDFILE,
    { name: 'force', alias: 'f', type: 'boolean', describe: 'stop running containers first; ignore containers that do not exist' },
    { name: 'ignore', alias: 'i', type: 'boolean', describe: 'ignore containers that do not exist (and --cidfile files)' },
    LATEST,
    TIME,
    { name: 'volumes', alias: 'v', type: 'boolean', describe: 'remove the anonymous volumes of the container' },
  ],
  examples: [['cocker rm web', 'remove the stopped container web'], ['cocker rm -f -a', 'remove every container']],
  load: () => import('./rm.js'),
}

export const wait: CommandDef = {
  name: 'wait',
  describe: 'block on one or more containers',
  description: 'Waits until each container meets the condition (default: stopped) and prints its exit code.',
  usage: 'wait [options] <containers...>',
  positionals: [CONTAINERS],
  options: [
    { name: 'condition', type: 'array', valueName: 'state', describe: 'the condition to wait for: stopped (default), exited, running, created, paused, healthy, unhealthy' },
    { name: 'interval', alias: 'i', type: 'string', valueName: 'duration', describe: 'how often to check (default 50ms; a number is milliseconds)' },
    LATEST,
  ],
  examples: [['cocker wait web', "wait for web to exit and print its status"]],
  load: () => import('./wait.js'),
}

export const logs: CommandDef = {
  name: 'logs',
  describe: 'fetch the logs of one or more containers',
  description: "Prints what the containers wrote to stdout (on stdout) and stderr (on stderr), from the log their monitor keeps (--log-driver k8s-file, the default). With several containers each line starts with the container's short ID.",
  usage: 'logs [options] <containers...>',
  positionals: [CONTAINERS],
  options: [
    { name: 'follow', alias: 'f', type: 'boolean', describe: 'follow the log output until the container exits' },
    LATEST,
    { name: 'names', alias: 'n', type: 'boolean', describe: 'prefix each line with the container name' },
    { name: 'since', type: 'string', valueName: 'time', describe: 'only lines since this time: RFC 3339, Unix seconds, or a duration such as 10m' },
    { name: 'tail', type: 'number', valueName: 'n', describe: 'only the last N lines (-1: all)' },
    { name: 'timestamps', alias: 't', type: 'boolean', describe: 'prefix each line with the time it was written' },
    { name: 'until', type: 'string', valueName: 'time', describe: 'only lines until this time' },
  ],
  examples: [['cocker logs -f web', 'follow the output of web'], ['cocker logs --tail 10 web', 'its last ten lines']],
  load: () => import('./logs.js'),
}

export const exec: CommandDef = {
  name: 'exec',
  describe: 'run a process in a running container',
  description: "Runs the command in the container's namespaces and cgroups, as the container's user unless --user says otherwise. The exit status is the command's; 126 when it cannot be invoked, 127 when it is not found. With -t the detach keys (the container's, ctrl-p ctrl-q by default, or --detach-keys) leave the command running and return 0.",
  usage: 'exec [options] <container> <command> [arg ...]',
  positionals: [CONTAINER, { name: 'command', required: false, variadic: true, raw: true }],
  options: [
    { name: 'detach', alias: 'd', type: 'boolean', describe: 'run the command in the background' },
    DETACH_KEYS,
    { name: 'env', alias: 'e', type: 'array', valueName: 'key=value', describe: 'set an environment variable' },
    { name: 'env-file', type: 'array', valueName: 'file', complete: 'file', describe: 'read environment variables from a file' },
    { name: 'interactive', alias: 'i', type: 'boolean', describe: 'keep stdin open' },
    { name: 'privileged', type: 'boolean', describe: 'give the process all capabilities' },
    { name: 'tty', alias: 't', type: 'boolean', describe: 'allocate a pseudo-TTY' },
    { name: 'user', alias: 'u', type: 'string', valueName: 'user[:group]', describe: 'run as this user, by name or id' },
    { name: 'workdir', alias: 'w', type: 'string', valueName: 'dir', describe: 'working directory inside the container' },
  ],
  examples: [['cocker exec -it web sh', 'a shell in the running container web']],
  manExitStatus: true,
  load: () => import('./exec.js'),
}

export const attach: CommandDef = {
  name: 'attach',
  describe: "attach to a running container's input and output",
  description: 'Connects the terminal to the container through its monitor until the container exits (its status is cocker\'s) or the detach keys are typed.',
  usage: 'attach [options] <container>',
  positionals: [CONTAINER],
  options: [DETACH_KEYS, { name: 'no-stdin', type: 'boolean', describe: 'do not attach stdin' }, SIG_PROXY],
  examples: [['cocker attach web', 'see the output of web; ctrl-p ctrl-q detaches']],
  load: () => import('./attach.js'),
}

export const pause: CommandDef = {
  name: 'pause',
  describe: 'pause all the processes in one or more containers',
  usage: 'pause [options] <containers...>',
  positionals: [CONTAINERS],
  options: [ALL],
  examples: [['cocker pause web', 'freeze web']],
  load: () => import('./pause.js'),
}

export const unpause: CommandDef = { ...pause, name: 'unpause', describe: 'unpause the processes in one or more containers', usage: 'unpause [options] <containers...>', examples: [['cocker unpause web', 'thaw web']] }

export const containerCleanup: CommandDef = {
  name: 'cleanup',
  describe: 'clean up the network and mount points of one or more containers',
  description: "What the monitor runs once a container has ended: its processes, cgroups and runtime state go, its record says exited with the code; then its restart policy may start it again, or --rm removes it.",
  usage: 'cleanup [options] <containers...>',
  positionals: [CONTAINERS],
  options: [ALL, LATEST],
  examples: [['cocker container cleanup web', 'clean up after web, if its monitor could not']],
  load: () => import('./container-cleanup.js'),
}

const healthcheckRun: CommandDef = {
  name: 'run',
  describe: 'run the health check of a container',
  description: "Runs the container's health check once, records the result (inspect's State.Health), and prints healthy or unhealthy; status 1 when unhealthy. The monitor runs it every --health-interval.",
  usage: 'run <container>',
  positionals: [CONTAINER],
  options: [],
  examples: [['cocker healthcheck run web', 'check web now']],
  load: () => import('./healthcheck-run.js'),
}

export const healthcheck: CommandDef = {
  name: 'healthcheck',
  describe: 'manage health checks on containers',
  usage: 'healthcheck <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [healthcheckRun],
}
