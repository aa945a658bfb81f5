/**
 * The commands that show containers (ps, stats, top) and the small ones beside them (rename, container
 * exists, container prune): data only, like index.ts, which places each in the top-level list
 * and in the `container` group.
 */
import type { CommandDef } from '../command.js'
import { LATEST } from './container-defs.js'


export const ps: CommandDef = {
  name: 'ps',
  describe: 'list containers',
  description: 'Lists the running containers (with -a, all of them), oldest first, with podman\'s columns: CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES. A container whose monitor is gone is shown as exited, with the code it recorded. Filters of one key match when any value does (label: when all do); filters of different keys must all match. Reads the records without a lock.',
  usage: 'ps [options]',
  positionals: [],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'show all the containers, default is only running containers' },
    { name: 'filter', alias: 'f', type: 'array', valueName: 'filter', describe: 'filter output based on conditions given (id, name, label, status, ancestor, exited, until, pod, volume)' },
    { name: 'format', type: 'string', valueName: 'format', describe: "pretty-print containers to JSON or using a Go template (e.g. '{{.ID}} {{.Names}}')" },
    { name: 'last', alias: 'n', type: 'number', valueName: 'n', describe: 'print the n last created containers (all states)' },
    { ...LATEST, describe: 'show the latest container created (all states)' },
    { name: 'noheading', type: 'boolean', describe: 'do not print headers' },
    { name: 'no-trunc', type: 'boolean', describe: 'display the extended information' },
    { name: 'pod', alias: 'p', type: 'boolean', describe: 'print the ID and name of the pod each container is in' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'print the numeric IDs of the containers only' },
    { name: 'size', alias: 's', type: 'boolean', describe: 'display the total file sizes' },
    { name: 'sort', type: 'string', valueName: 'key', default: 'created', choices: ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status'], describe: 'sort output by the key' },
  ],
  examples: [
    ['cocker ps -a', 'every container, running or not'],
    ["cocker ps -a --filter status=exited --filter exited=0 --format '{{.Names}}'", 'names of the containers that exited with 0'],
    ['cocker ps -q --filter label=app=web', 'IDs of the running containers labelled app=web'],
  ],
  load: () => import('./ps.js'),
}

export const containerLs: CommandDef = { ...ps, name: 'ls', aliases: ['list', 'ps'], usage: 'ls [options]' }

export const rename: CommandDef = {
  name: 'rename',
  describe: 'rename an existing container',
  description: 'Gives a container a new name, running or not. The name must be free: of two renames to one name, one fails.',
  usage: 'rename <container> <new-name>',
  positionals: [{ name: 'container', required: true, complete: 'container' }, { name: 'new-name', required: true }],
  options: [],
  examples: [['cocker rename web web-old', 'the container web is now named web-old']],
  load: () => import('./rename.js'),
}

export const port: CommandDef = {
  name: 'port',
  describe: 'list port mappings or a specific mapping for the container',
  description: 'Prints the ports a running container publishes on the host (-p, -P): each as "80/tcp -> 0.0.0.0:8080", or, for one PORT[/PROTOCOL], the host address and port alone. With --all, those of every running container, each line after the container\'s short id and a tab.',
  usage: 'port [options] <container> [port]',
  positionals: [{ name: 'container', required: false, complete: 'container' }, { name: 'port', required: false }],
  options: [{ name: 'all', alias: 'a', type: 'boolean', describe: 'display port information for all containers' }, LATEST],
  examples: [['cocker port web', 'every port web publishes'], ['cocker port web 80', 'where port 80/tcp of web is published'], ['cocker port --all', 'the ports of every running container']],
  load: () => import('./port.js'),
}

export const top: CommandDef = {
  name: 'top',
  describe: 'display the running processes of a container',
  description: 'Lists the processes of a running container, read from /proc: pids, users and groups as the container sees them. Descriptors choose the columns (default: user pid ppid pcpu etime tty time args): args, comm, etime, group, hgroup, hpid, huser, nice, pcpu, pgid, pid, ppid, rgroup, rss, ruser, state, stime, time, tty, user, vsz, AIX codes such as %p, and ps(1) style -eo pid,comm.',
  usage: 'top [options] <container> [descriptors...]',
  positionals: [{ name: 'container', required: false, complete: 'container' }, { name: 'descriptors', required: false, variadic: true, raw: true }],
  options: [LATEST],
  examples: [['cocker top web', 'the processes of web'], ['cocker top web pid user args', 'only these columns'], ['cocker top web -eo pid,comm', 'ps(1) style']],
  load: () => import('./top.js'),
}

export const stats: CommandDef = {
  name: 'stats',
  describe: 'display a live stream of container resource usage statistics',
  description: "Shows what running containers use (with -a, every container; stopped ones as zeros), with Podman's columns: ID, NAME, CPU % (since the last report; the first is since the start), MEM USAGE / LIMIT, MEM %, NET IO (every interface of its network namespace but loopback), BLOCK IO, PIDS, CPU TIME and AVG CPU % (since the start). The figures come from the container's cgroup, v1 or v2. A rootless container on cgroup v1 (or v2 without delegation) has no cgroup of its own: its figures are then summed over its processes in /proc, memory as their proportional set size against the host's memory, and one line on standard error says so. A new report every --interval seconds until interrupted, the screen cleared between them on a terminal (not with --no-reset); one report with --no-stream.",
  usage: 'stats [options] [containers...]',
  positionals: [{ name: 'containers', required: false, variadic: true, complete: 'container' }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'show all containers, default is only running containers' },
    { name: 'format', type: 'string', valueName: 'format', describe: "pretty-print container statistics to JSON or using a Go template (e.g. '{{.Name}} {{.MemUsage}}')" },
    { name: 'interval', alias: 'i', type: 'number', valueName: 'seconds', default: 5, describe: 'time in seconds between stats reports' },
    { ...LATEST, describe: 'act on the latest container created (all states)' },
    { name: 'no-reset', type: 'boolean', describe: 'do not clear the screen between reports' },
    { name: 'no-stream', type: 'boolean', describe: 'print one report and exit' },
    { name: 'no-trunc', type: 'boolean', describe: 'do not truncate the container IDs' },
  ],
  examples: [
    ['cocker stats --no-stream', 'one report of the running containers'],
    ["cocker stats --no-stream --format 'table {{.Name}} {{.MemUsage}} {{.PIDS}}' web", 'only these columns, for web'],
    ['cocker stats --no-stream --format json -a', 'every container, as JSON'],
  ],
  load: () => import('./stats.js'),
}

export const containerExists: CommandDef = {
  name: 'exists',
  describe: 'check if a container exists in local storage',
  description: 'Exit status 0 when a container has this name or ID (or unique ID prefix), 1 when none has; prints nothing.',
  usage: 'exists <container>',
  positionals: [{ name: 'container', required: true, complete: 'container' }],
  options: [],
  examples: [['cocker container exists web && echo present', 'test for a container']],
  load: () => import('./container-exists.js'),
}

export const containerPrune: CommandDef = {
  name: 'prune',
  describe: 'remove all non running containers',
  description: 'Removes every container that is not running or paused, and prints their IDs.',
  usage: 'prune [options]',
  positionals: [],
  options: [
    { name: 'filter', type: 'array', valueName: 'filter', describe: 'only the containers that match (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE])' },
    { name: 'force', alias: 'f', type: 'boolean', describe: 'do not prompt for confirmation' },
  ],
  examples: [['cocker container prune -f', 'remove the stopped containers without asking'], ['cocker container prune -f --filter until=24h', 'those created more than a day ago']],
  load: () => import('./container-prune.js'),
}
