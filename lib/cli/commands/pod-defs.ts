/**
 * The `pod` group (podman's names, flags and short flags): data only, like index.ts. The
 * handlers are in pod.ts, one module for the group, loaded only when a pod command runs.
 */
import type { CommandDef, OptionDef, PositionalDef } from '../command.js'

const PODS: PositionalDef = { name: 'pods', required: false, variadic: true }
const ALL: OptionDef = { name: 'all', alias: 'a', type: 'boolean', describe: 'act on all pods' }
const LATEST: OptionDef = { name: 'latest', alias: 'l', type: 'boolean', describe: 'act on the latest pod cocker knows of' }
const TIME: OptionDef = { name: 'time', alias: 't', type: 'number', valueName: 'seconds', describe: "seconds to wait for each container's stop signal before SIGKILL (default: the container's --stop-timeout, 10)" }
const handler = (name: string) => () => import('./pod.js').then(m => ({ run: m.handlers[name] }))

const podCreate: CommandDef = {
  name: 'create',
  describe: 'create a new empty pod',
  description: 'Creates a pod and its infra container, which holds the network, IPC and UTS namespaces that the pod\'s containers share (`run --pod`): they reach each other on 127.0.0.1 and have the pod\'s hostname. The infra runs cocker-infra, a small static program of cocker\'s own, so no image is needed. Prints the pod\'s ID.',
  usage: 'create [options] [name]',
  positionals: [{ name: 'pod', required: false }],
  options: [
    { name: 'hostname', type: 'string', valueName: 'name', describe: "the pod's hostname, which its containers share (default: the pod's name)" },
    { name: 'label', type: 'array', valueName: 'key=value', describe: 'set metadata on the pod' },
    { name: 'name', alias: 'n', type: 'string', valueName: 'name', describe: 'assign a name to the pod' },
    { name: 'network', type: 'string', valueName: 'mode', describe: "the pod's network namespace, as run's --network" },
    { name: 'pod-id-file', type: 'string', valueName: 'path', complete: 'file', describe: "write the pod's ID to the file" },
    { name: 'publish', alias: 'p', type: 'array', valueName: 'port', describe: 'publish a port of the pod on the host: [ip:][hostPort:]containerPort[/protocol]' },
    { name: 'replace', type: 'boolean', describe: 'remove a pod of the same name first' },
  ],
  examples: [['cocker pod create --name web', 'a pod named web'], ['cocker run -d --pod web IMAGE', 'a container in it']],
  load: handler('create'),
}

const podExists: CommandDef = {
  name: 'exists',
  describe: 'check if a pod exists',
  description: 'Exits 0 when the pod exists, 1 when it does not; prints nothing.',
  usage: 'exists <pod>',
  positionals: [{ name: 'pod', required: true }],
  options: [],
  examples: [['cocker pod exists web || cocker pod create --name web', 'create it unless it exists']],
  load: handler('exists'),
}

const podInspect: CommandDef = {
  name: 'inspect',
  describe: 'display a pod configuration',
  description: "Prints the pod as podman's `pod inspect` does: its ID, name, state, infra container, shared namespaces and containers, as JSON or through a Go template.",
  usage: 'inspect [options] <pods...>',
  positionals: [PODS],
  options: [
    { name: 'format', alias: 'f', type: 'string', valueName: 'format', describe: "a Go template (e.g. '{{.State}}') or json" },
    LATEST,
  ],
  examples: [["cocker pod inspect -f '{{.State}}' web", "the pod's state"]],
  load: handler('inspect'),
}

const podKill: CommandDef = {
  name: 'kill',
  describe: 'send the specified signal or SIGKILL to containers in pod',
  usage: 'kill [options] <pods...>',
  positionals: [PODS],
  options: [ALL, LATEST, { name: 'signal', alias: 's', type: 'string', valueName: 'signal', default: 'KILL', complete: 'signal', describe: 'the signal to send' }],
  examples: [['cocker pod kill -s HUP web', 'SIGHUP to every container of the pod']],
  load: handler('kill'),
}

const podPrune: CommandDef = {
  name: 'prune',
  describe: 'remove all stopped pods and their containers',
  usage: 'prune [options]',
  positionals: [],
  options: [{ name: 'force', alias: 'f', type: 'boolean', describe: 'do not ask for confirmation' }],
  examples: [['cocker pod prune -f', 'remove every pod none of whose containers runs']],
  load: handler('prune'),
}

const podPs: CommandDef = {
  name: 'ps',
  aliases: ['ls', 'list'],
  describe: 'list pods',
  description: "Lists the pods, oldest first, with podman's columns: POD ID, NAME, STATUS, CREATED, INFRA ID, # OF CONTAINERS. A pod's status is its containers': Created, Running, Degraded (some run), Exited, Stopped.",
  usage: 'ps [options]',
  positionals: [],
  options: [
    { name: 'ctr-ids', type: 'boolean', describe: "show the IDs of the pod's containers" },
    { name: 'ctr-names', type: 'boolean', describe: "show the names of the pod's containers" },
    { name: 'ctr-status', type: 'boolean', describe: "show the status of the pod's containers" },
    { name: 'filter', alias: 'f', type: 'array', valueName: 'filter', describe: 'filter output based on conditions given (id, name, label, status)' },
    { name: 'format', type: 'string', valueName: 'format', describe: "pretty-print pods to JSON or using a Go template (e.g. '{{.Name}}')" },
    { name: 'noheading', type: 'boolean', describe: 'do not print headers' },
    { name: 'no-trunc', type: 'boolean', describe: 'do not truncate the IDs' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'print the IDs of the pods only' },
  ],
  examples: [['cocker pod ps --ctr-names', 'the pods and the names of their containers']],
  load: handler('ps'),
}

const podRestart: CommandDef = {
  name: 'restart',
  describe: 'restart one or more pods',
  usage: 'restart [options] <pods...>',
  positionals: [PODS],
  options: [ALL, LATEST],
  examples: [['cocker pod restart web', 'stop every container of the pod, then start them again']],
  load: handler('restart'),
}

const podRm: CommandDef = {
  name: 'rm',
  describe: 'remove one or more stopped pods and containers',
  description: 'Removes each pod with all its containers. A pod with a running container needs --force, which stops them first (the infra last).',
  usage: 'rm [options] <pods...>',
  positionals: [PODS],
  options: [
    ALL,
    { name: 'force', alias: 'f', type: 'boolean', describe: 'stop the running containers of the pod, then remove it' },
    { name: 'ignore', alias: 'i', type: 'boolean', describe: 'ignore pods that do not exist' },
    LATEST,
    { name: 'pod-id-file', type: 'array', valueName: 'path', complete: 'file', describe: 'remove the pod whose ID is in the file' },
    TIME,
  ],
  examples: [['cocker pod rm -f web', 'stop and remove the pod web and its containers']],
  load: handler('rm'),
}

const podStart: CommandDef = {
  name: 'start',
  describe: 'start one or more pods',
  description: "Starts the pod's infra container, then every container of the pod that does not run, and prints each pod's ID.",
  usage: 'start [options] <pods...>',
  positionals: [PODS],
  options: [ALL, LATEST, { name: 'pod-id-file', type: 'array', valueName: 'path', complete: 'file', describe: 'start the pod whose ID is in the file' }],
  examples: [['cocker pod start web', 'start the pod web']],
  load: handler('start'),
}

const podStop: CommandDef = {
  name: 'stop',
  describe: 'stop one or more pods',
  description: "Stops every container of the pod, as `stop` does, the infra last, and prints each pod's ID.",
  usage: 'stop [options] <pods...>',
  positionals: [PODS],
  options: [
    ALL,
    { name: 'ignore', alias: 'i', type: 'boolean', describe: 'ignore pods that do not exist' },
    LATEST,
    { name: 'pod-id-file', type: 'array', valueName: 'path', complete: 'file', describe: 'stop the pod whose ID is in the file' },
    TIME,
  ],
  examples: [['cocker pod stop -t 0 web', 'kill the pod\'s containers at once']],
  load: handler('stop'),
}

const podTop: CommandDef = {
  name: 'top',
  describe: 'display the running processes of containers in a pod',
  description: "The processes of the pod's running containers, one table, with `top`'s descriptors.",
  usage: 'top [options] <pod> [descriptors...]',
  positionals: [{ name: 'pod', required: true }, { name: 'descriptors', required: false, variadic: true }],
  options: [LATEST],
  examples: [['cocker pod top web pid args', 'the pids and command lines in the pod web']],
  load: handler('top'),
}

export const pod: CommandDef = {
  name: 'pod',
  describe: 'manage pods',
  description: 'A pod is a group of containers that share network, IPC and UTS namespaces, held by an infra container of the pod\'s own.',
  usage: 'pod <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [podCreate, podExists, podInspect, podKill, podPrune, podPs, podRestart, podRm, podStart, podStop, podTop],
}
