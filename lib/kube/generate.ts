/**
 * `kube generate`: containers and pods as Kubernetes objects (plain data, written as YAML by
 * the caller). Podman's shapes (libpod/kube.go) are the reference: a container alone becomes a
 * pod named after it, a pod's containers keep their names; what a container has from its image
 * (command, environment, working directory, user) is left out, so the YAML names only what the
 * user chose; published ports go on the first container; named volumes become
 * PersistentVolumeClaims and bind mounts hostPath volumes.
 */
import type { ContainerRecord } from '../container/record.js'
import type { OciConfig } from '../container/view.js'
import { CockerError } from '../errors.js'
import { DEFAULT_PATH, type ImageRunConfig } from '../spec/image-config.js'
import type { PortMapping } from '../spec/run-options.js'
import { CONTAINER_ENV } from '../spec/defaults.js'
import { cpuQuantity, memoryQuantity } from './quantity.js'

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } & Record<string, unknown> }

/** What the generator needs to know of one container. */
export interface ContainerFacts {
  record: ContainerRecord
  /** Its OCI config (userdata/config.json). */
  config: OciConfig & { process?: OciConfig['process'] & { noNewPrivileges?: boolean } }
  /** Its image's config. */
  image: ImageRunConfig
  /** hostPath's type for a bind mount's source: what is there now. */
  hostPathType(source: string): 'Directory' | 'File' | 'DirectoryOrCreate'
}

/** A pod, with its infra's record (ports, network) and its other containers, oldest first. */
export interface PodFacts {
  name: string
  hostname?: string
  labels: Record<string, string>
  infra: ContainerRecord
  containers: ContainerFacts[]
}

export interface GenerateOptions {
  type: 'pod' | 'deployment'
  service: boolean
  replicas?: number
  /** For a Service's nodePort: 30000-32767, as Podman draws it. */
  random?: () => number
  now?: () => Date
}

/** Podman's names for Kubernetes: no underscores (Kubernetes names are DNS labels). */
const kubeName = (s: string) => s.replace(/_/g, '')

/** Podman's volume names for host paths: /mnt/data/ is mnt-data. */
function pathName(source: string): string {
  if (source === '/') return 'root'
  return source.replace(/^\/+|\/+$/g, '').replace(/[/._]/g, '-').toLowerCase()
}

const same = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b![i])

/** Podman's container ports: TCP is Kubernetes' default and left out. */
function containerPorts(ports: readonly PortMapping[]) {
  return ports.map(p => ({
    containerPort: p.containerPort,
    ...(p.hostIp ? { hostIP: p.hostIp } : {}),
    ...(p.hostPort ? { hostPort: p.hostPort } : {}),
    ...(p.protocol === 'udp' ? { protocol: 'UDP' } : {}),
  }))
}

/** The environment the user gave: not the image's, nor what every container gets. */
function userEnv(env: readonly string[], image: ImageRunConfig, hostname: string | undefined) {
  const defaults = new Set([`PATH=${DEFAULT_PATH}`, 'TERM=xterm', CONTAINER_ENV, ...(image.Env ?? [])])
  return env.filter(e => !defaults.has(e) && !(hostname !== undefined && e === `HOSTNAME=${hostname}`) && !/^HOME=/.test(e)).map(e => {
    const eq = e.indexOf('=')
    return { name: e.slice(0, eq), value: e.slice(eq + 1) }
  })
}

/**
 * command and args: an entrypoint of the user's is `command` (and the command its `args`); with
 * the image's entrypoint the command is `args`, or `command` when the image has no entrypoint,
 * as Podman writes it. What equals the image's is left out.
 */
function commandOf(r: ContainerRecord, image: ImageRunConfig): { command?: string[]; args?: string[] } {
  const entrypoint = r.entrypoint ?? []
  const cmd = r.cmd ?? r.command
  const imageEntrypoint = image.Entrypoint ?? []
  if (!same(entrypoint, imageEntrypoint)) return { command: entrypoint, ...(cmd.length ? { args: cmd } : {}) }
  if (same(cmd, image.Cmd)) return {}
  return imageEntrypoint.length ? { args: cmd } : { command: cmd }
}

function securityContext(f: ContainerFacts) {
  const { record: r, config } = f
  const sc: Record<string, unknown> = {}
  if (!r.privileged && (r.capAdd?.length || r.capDrop?.length)) {
    sc.capabilities = { ...(r.capAdd?.length ? { add: r.capAdd } : {}), ...(r.capDrop?.length ? { drop: r.capDrop } : {}) }
  }
  if (r.privileged) sc.privileged = true
  if (config.process?.noNewPrivileges && !r.privileged) sc.allowPrivilegeEscalation = false
  if (config.root?.readonly) sc.readOnlyRootFilesystem = true
  const user = config.process?.user
  const imageUser = (f.image.User ?? '').split(':')[0]
  if (user && (user.uid !== 0 || user.gid !== 0) && imageUser !== String(user.uid)) {
    sc.runAsUser = user.uid
    sc.runAsGroup = user.gid
  }
  return Object.keys(sc).length ? sc : undefined
}

function resources(config: ContainerFacts['config']) {
  const r = config.linux?.resources
  const limits: Record<string, string> = {}
  const cpu = r?.cpu?.quota && r.cpu.period ? cpuQuantity(r.cpu.quota / r.cpu.period) : undefined
  if (cpu) limits.cpu = cpu
  if (r?.memory?.limit && r.memory.limit > 0) limits.memory = memoryQuantity(r.memory.limit)
  return Object.keys(limits).length ? { limits } : undefined
}

type Volume = Record<string, unknown> & { name: string }

/**
 * The container's bind mounts (hostPath volumes, numbered as Podman numbers them) and named
 * volumes (claims): its volumeMounts, and the pod's volumes they need.
 */
function mountsOf(f: ContainerFacts): { volumeMounts: Record<string, unknown>[]; volumes: Volume[] } {
  const r = f.record
  const volumeMounts: Record<string, unknown>[] = []
  const volumes: Volume[] = []
  const named = new Map((r.volumes ?? []).map(v => [v.destination, v]))
  const readOnly = (options: string[]) => (options.includes('ro') ? { readOnly: true } : {})
  r.mounts.filter(m => m.type !== 'volume' && !named.has(m.destination)).forEach((m, index) => {
    const name = `${pathName(m.source)}-host-${index}`
    volumeMounts.push({ mountPath: m.destination, name, ...readOnly(m.options) })
    volumes.push({ name, hostPath: { path: m.source, type: f.hostPathType(m.source) } })
  })
  // anonymous volumes (the image's VOLUME, -v /path) are made again where the YAML is played
  for (const v of named.values()) {
    if (v.anonymous) continue
    const name = `${pathName(v.name)}-pvc`
    volumeMounts.push({ mountPath: v.destination, name, ...readOnly(v.options) })
    volumes.push({ name, persistentVolumeClaim: { claimName: v.name, ...readOnly(v.options) } })
  }
  return { volumeMounts, volumes }
}

/** One container of the pod spec; `ports` are the ones it publishes (a pod's go on its first container). */
function containerSpec(f: ContainerFacts, ports: readonly PortMapping[]) {
  const r = f.record
  const proc = f.config.process ?? {}
  const env = userEnv(proc.env ?? [], f.image, f.config.hostname)
  const cwd = proc.cwd ?? '/'
  const { volumeMounts } = mountsOf(f)
  const sc = securityContext(f)
  const res = resources(f.config)
  return {
    ...commandOf(r, f.image),
    ...(env.length ? { env } : {}),
    image: r.imageName,
    name: kubeName(r.name),
    ...(ports.length ? { ports: containerPorts(ports) } : {}),
    ...(res ? { resources: res } : {}),
    ...(sc ? { securityContext: sc } : {}),
    ...(r.interactive ? { stdin: true } : {}),
    ...(r.tty ? { tty: true } : {}),
    ...(volumeMounts.length ? { volumeMounts } : {}),
    ...(cwd !== '/' && cwd !== (f.image.WorkingDir || '/') ? { workingDir: cwd } : {}),
  }
}

/** Kubernetes' restart policy for a container's: Podman's mapping ("no" is Never). */
function restartPolicy(r: ContainerRecord): 'Always' | 'OnFailure' | 'Never' {
  const name = r.restartPolicy.name
  return name === 'always' || name === 'unless-stopped' ? 'Always' : name === 'on-failure' ? 'OnFailure' : 'Never'
}

/** The pod's annotations: each container's own, as KEY/CONTAINER (Podman's form). */
function annotationsOf(containers: readonly ContainerFacts[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of containers) {
    for (const [k, v] of Object.entries(f.record.annotations)) out[`${k}/${kubeName(f.record.name)}`] = v
  }
  return out
}

/** Labels a container has of its own (not its image's). */
function ownLabels(f: ContainerFacts): Record<string, string> {
  const image = f.image.Labels ?? {}
  return Object.fromEntries(Object.entries(f.record.labels).filter(([k, v]) => image[k] !== v))
}

function podObject(o: { name: string; labels: Record<string, string>; hostname?: string; containers: ContainerFacts[]; ports: readonly PortMapping[]; hostNetwork: boolean }, now: Date): KubeObject {
  const volumes = new Map<string, Volume>()
  for (const f of o.containers) for (const v of mountsOf(f).volumes) volumes.set(v.name, v)
  const first = o.containers[0]!.record
  const grace = first.stopTimeout !== 10 ? { terminationGracePeriodSeconds: first.stopTimeout } : {}
  const annotations = annotationsOf(o.containers)
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(Object.keys(annotations).length ? { annotations } : {}),
      creationTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      labels: { ...o.labels, app: kubeName(o.name) },
      name: kubeName(o.name),
    },
    spec: {
      automountServiceAccountToken: false,
      containers: o.containers.map((f, i) => containerSpec(f, i === 0 ? o.ports : [])),
      enableServiceLinks: false,
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      ...(o.hostname ? { hostname: o.hostname } : {}),
      restartPolicy: restartPolicy(first),
      ...grace,
      ...(volumes.size ? { volumes: [...volumes.values()] } : {}),
    },
  }
}

/** Containers not in a pod, as one pod named after the first. */
export function podOfContainers(containers: ContainerFacts[], now = new Date()): KubeObject {
  if (!containers.length) throw new CockerError('INVALID_ARGUMENT', 'no container to generate YAML for')
  // Podman's: the first container's name, with -pod so that pod and container differ
  const name = `${kubeName(containers[0]!.record.name)}-pod`
  const hostname = containers[0]!.config.hostname
  return podObject({
    name,
    labels: Object.assign({}, ...containers.map(ownLabels)),
    ...(hostname && !containers[0]!.record.id.startsWith(hostname) ? { hostname } : {}),
    containers,
    ports: containers.flatMap(c => c.record.ports ?? []),
    hostNetwork: containers.every(c => c.record.network?.mode === 'host'),
  }, now)
}

/** A pod of cocker's: its containers (not its infra), its infra's ports and network. */
export function podOfPod(pod: PodFacts, now = new Date()): KubeObject {
  if (!pod.containers.length) {
    throw new CockerError('INVALID_ARGUMENT', `pod ${pod.name} only has an infra container`, { hint: 'add a container to it first, e.g. cocker run -d --pod NAME IMAGE' })
  }
  return podObject({
    name: pod.name, labels: pod.labels, ...(pod.hostname ? { hostname: pod.hostname } : {}), containers: pod.containers,
    ports: pod.infra.ports ?? [], hostNetwork: pod.infra.network?.mode === 'host',
  }, now)
}

/** The pod as a Deployment (Podman's: NAME-deployment, selecting app=NAME), and a Service if asked. */
export function kubeObjects(pod: KubeObject, o: GenerateOptions): KubeObject[] {
  const out: KubeObject[] = []
  const labels = pod.metadata.labels as Record<string, string>
  const spec = pod.spec as Record<string, unknown> & { containers: { ports?: { containerPort: number; protocol?: string }[] }[] }
  if (o.service) {
    const random = o.random ?? (() => 30000 + Math.floor(Math.random() * (32767 - 30000 + 1)))
    const used = new Set<number>()
    const nodePort = () => {
      for (;;) {
        const p = random()
        if (!used.has(p)) { used.add(p); return p }
      }
    }
    const ports = spec.containers.flatMap(c => c.ports ?? []).map(p => ({
      name: String(p.containerPort), nodePort: nodePort(), port: p.containerPort, ...(p.protocol ? { protocol: p.protocol } : {}), targetPort: p.containerPort,
    }))
    out.push({
      apiVersion: 'v1', kind: 'Service',
      metadata: { creationTimestamp: pod.metadata.creationTimestamp, labels, name: pod.metadata.name },
      spec: { ports, selector: { app: labels.app }, type: 'NodePort' },
    })
  }
  if (o.type === 'pod') return [...out, pod]
  if (spec.restartPolicy === 'Never') delete spec.restartPolicy
  if (spec.restartPolicy && spec.restartPolicy !== 'Always') {
    throw new CockerError('INVALID_ARGUMENT', `a Deployment can only have restartPolicy Always, and ${pod.metadata.name} has ${String(spec.restartPolicy)}`,
      { hint: 'give the containers --restart always, or generate a Pod' })
  }
  out.push({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { creationTimestamp: pod.metadata.creationTimestamp, labels, name: `${pod.metadata.name}-deployment` },
    spec: {
      ...(o.replicas && o.replicas > 1 ? { replicas: o.replicas } : {}),
      selector: { matchLabels: { app: labels.app } },
      template: { metadata: pod.metadata, spec },
    },
  })
  return out
}
