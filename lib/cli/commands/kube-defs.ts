/**
 * Kubernetes YAML (Podman's `kube` group, and its older names `generate kube` and `play
 * kube`): lib/kube/. Data only, like index.ts; the handlers are in kube.ts.
 */
import type { CommandDef, OptionDef } from '../command.js'

const handler = (name: 'generate' | 'play' | 'down') => () => import('./kube.js').then(m => ({ run: m[name] }))

export const kubeGenerate: CommandDef = {
  name: 'generate',
  describe: 'generate Kubernetes YAML based on containers or pods',
  description: 'Prints a Kubernetes Pod (or with --type deployment a Deployment) for the containers or the pods named: containers become one pod named after the first, with -pod; a pod keeps its name and its containers theirs. What a container has from its image (command, environment, working directory, user) is left out; ports it publishes keep their host ports; named volumes become PersistentVolumeClaims and bind mounts hostPath volumes; memory and CPU limits, capabilities added and dropped, privileged, read-only root, the user, the restart policy, labels and annotations are kept. The YAML is checked against the Kubernetes schemas before it is written. `cocker kube play` reads it back.',
  usage: 'generate [options] <containers|pods...>',
  positionals: [{ name: 'names', required: true, variadic: true, complete: 'container' }],
  options: [
    { name: 'filename', alias: 'f', type: 'string', valueName: 'file', complete: 'file', describe: 'write the YAML to this file (which must not exist) instead of standard output' },
    { name: 'replicas', alias: 'r', type: 'number', valueName: 'count', describe: 'the replicas of a Deployment (default 1)' },
    { name: 'service', alias: 's', type: 'boolean', describe: 'add a Service of type NodePort for the published ports' },
    { name: 'type', alias: 't', type: 'string', valueName: 'kind', choices: ['pod', 'deployment'], describe: 'the kind to write: pod (the default) or deployment' },
  ],
  examples: [
    ['cocker kube generate web > web.yaml', 'the container web as a Pod'],
    ['cocker kube generate -t deployment -s mypod', 'the pod mypod as a Deployment with a Service'],
  ],
  load: handler('generate'),
}

const PLAY_OPTIONS: OptionDef[] = [
  { name: 'configmap', type: 'array', valueName: 'file', complete: 'file', describe: 'a YAML file of ConfigMaps the pods may use, besides those in FILE (may be given several times)' },
  { name: 'down', type: 'boolean', describe: 'remove the pods FILE made (as cocker kube down)' },
  { name: 'network', type: 'string', valueName: 'mode', describe: "the pods' network, as run's --network (default: the engine's, or the host's for hostNetwork)" },
  { name: 'publish', type: 'array', valueName: '[ip:]hostPort:containerPort[/protocol]', describe: 'publish a port of the pods on the host, over the YAML\'s hostPort for that container port' },
  { name: 'replace', type: 'boolean', describe: 'remove a pod of the same name first (with its containers)' },
  { name: 'start', type: 'boolean', default: true, describe: 'start the pods (--start=false only creates them)' },
]

export const kubePlay: CommandDef = {
  name: 'play',
  describe: 'play a pod or volume based on Kubernetes YAML',
  description: 'Reads Kubernetes YAML from FILE, or - for standard input (several documents separated by ---), checks it against the Kubernetes schemas, and makes a pod of each Pod, Deployment, DaemonSet and Job: named as the Pod, or NAME-pod for the others (one replica); its containers are named POD-CONTAINER. ConfigMaps (also from --configmap files) and Secrets give environment variables (env valueFrom, envFrom) and read-only volumes of files; a PersistentVolumeClaim is a named volume; hostPath volumes are bind mounts, emptyDir volumes are the pod\'s own. Ports with a hostPort are published by the pod. Prints the IDs of what it made, as Podman does.',
  usage: 'play [options] <file>',
  positionals: [{ name: 'file', required: true, complete: 'file' }],
  options: PLAY_OPTIONS,
  examples: [
    ['cocker kube play web.yaml', 'make and start the pods of web.yaml'],
    ['cocker kube play --replace --publish 8080:80 web.yaml', 'again, in place of the running ones, on host port 8080'],
    ['cocker kube play --down web.yaml', 'remove them'],
  ],
  load: handler('play'),
}

export const kubeDown: CommandDef = {
  name: 'down',
  describe: 'remove pods based on Kubernetes YAML',
  description: 'Stops and removes the pods that `cocker kube play FILE` made from FILE (or - for standard input), with their containers and the volumes made for them (emptyDir, configMap, secret). The volumes of PersistentVolumeClaims stay, unless --force.',
  usage: 'down [options] <file>',
  positionals: [{ name: 'file', required: true, complete: 'file' }],
  options: [{ name: 'force', type: 'boolean', describe: 'remove the volumes of the PersistentVolumeClaims too' }],
  examples: [['cocker kube down web.yaml', 'remove the pods of web.yaml']],
  load: handler('down'),
}

export const kube: CommandDef = {
  name: 'kube',
  describe: 'play containers, pods or volumes from a structured file',
  usage: 'kube <command>',
  positionals: [],
  options: [],
  examples: [],
  // Copies, not the same objects: groff cannot follow a .so link between sections here.
  subcommands: [kubeDown, { ...kubeGenerate }, { ...kubePlay }],
}

export const generateKube: CommandDef = { ...kubeGenerate, name: 'kube', usage: 'kube [options] <containers|pods...>' }


export const play: CommandDef = {
  name: 'play',
  describe: 'play containers, pods or volumes from a structured file',
  usage: 'play <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [{ ...kubePlay, name: 'kube', usage: 'kube [options] <file>' }],
}
