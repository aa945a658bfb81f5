/**
 * `kube play`, first half: Kubernetes objects → what to make, as plain data. Each Pod,
 * Deployment, DaemonSet and Job becomes one pod (Podman's names: a Pod's own name, NAME-pod for
 * the others; its containers POD-CONTAINER), whose containers are described by the flags `run`
 * would be given (so they are checked and defaulted exactly as `run`'s); ConfigMaps and
 * Secrets are resolved into environment variables and files here; PersistentVolumeClaims
 * become named volumes. Nothing here touches the store.
 */
import { CockerError } from '../errors.js'
import { parsePublish, type PortMapping } from '../spec/run-options.js'
import type { KubeDocument } from './documents.js'
import { cpuCores, memoryBytes } from './quantity.js'

/** `run`'s flags, under yargs' camelCase keys: what lib/cli/commands/run-options.ts parses. */
export type RunFlags = Record<string, unknown> & { command: string[]; env: string[]; label: string[]; annotation: string[] }

/** A volume of a pod, as its containers mount it. */
export type VolumePlan =
  | { kind: 'hostPath'; path: string; type?: string }
  | { kind: 'claim'; claim: string }
  | { kind: 'emptyDir'; memory: boolean }
  /** A ConfigMap's or a Secret's keys as files (file name → content), mode for each. */
  | { kind: 'files'; from: string; files: Record<string, Buffer>; mode: number }

export interface MountPlan { volume: string; destination: string; readOnly: boolean; subPath?: string }

export interface ContainerPlan {
  /** POD-CONTAINER. */
  name: string
  image: string
  pull: 'always' | 'missing' | 'never'
  flags: RunFlags
  mounts: MountPlan[]
}

export interface PodPlan {
  name: string
  /** Where it comes from, for messages: "Deployment web". */
  source: string
  labels: Record<string, string>
  hostname?: string
  hostNetwork: boolean
  ports: PortMapping[]
  volumes: Record<string, VolumePlan>
  containers: ContainerPlan[]
}

export interface PlayPlan {
  /** PersistentVolumeClaims: named volumes, made if missing. */
  claims: string[]
  pods: PodPlan[]
  warnings: string[]
}

export interface PlanOptions {
  file: string
  /** --configmap files' ConfigMaps, besides the YAML's own. */
  configMaps?: KubeDocument[]
  /** --publish: [ip:]hostPort:containerPort[/protocol], over the YAML's hostPorts. */
  publish?: string[]
}

const WORKLOADS = ['Pod', 'Deployment', 'DaemonSet', 'Job'] as const

const invalid = (message: string, hint?: string) => new CockerError('INVALID_ARGUMENT', message, { hint })

type Obj = Record<string, any>

/** What to do about a ConfigMap or Secret the YAML refers to and does not hold. */
const addHint = (kind: 'ConfigMap' | 'Secret') => (kind === 'ConfigMap' ? 'add it to the YAML, or give its file with --configmap' : 'add it to the YAML')

/** A path that stays below where it is joined: relative, and no ".." in it. */
const staysBelow = (p: string) => !p.startsWith('/') && !p.split('/').includes('..')

/** Base64 as Kubernetes writes Secret data; anything else is refused. */
function base64(where: string, value: unknown): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(value)) throw invalid(`${where}: not base64`, 'Secret data and ConfigMap binaryData hold base64; use stringData or data for text')
  return Buffer.from(value, 'base64')
}

/** A ConfigMap's or Secret's keys and their bytes. */
function keysOf(doc: KubeDocument): Map<string, Buffer> {
  const name = doc.metadata?.name ?? ''
  const out = new Map<string, Buffer>()
  if (doc.kind === 'ConfigMap') {
    for (const [k, v] of Object.entries((doc.data ?? {}) as Obj)) out.set(k, Buffer.from(String(v)))
    for (const [k, v] of Object.entries((doc.binaryData ?? {}) as Obj)) {
      if (out.has(k)) throw invalid(`ConfigMap ${name}: the key ${k} is in both data and binaryData`)
      out.set(k, base64(`ConfigMap ${name}: binaryData.${k}`, v))
    }
  } else {
    for (const [k, v] of Object.entries((doc.data ?? {}) as Obj)) out.set(k, base64(`Secret ${name}: data.${k}`, v))
    for (const [k, v] of Object.entries((doc.stringData ?? {}) as Obj)) out.set(k, Buffer.from(String(v)))
  }
  return out
}

/** The pod name a workload gets, as Podman names it. */
export function podNameOf(doc: KubeDocument): string {
  const name = doc.metadata?.name
  if (!name) throw invalid(`${doc.kind}: metadata.name: required`)
  return doc.kind === 'Pod' ? name : `${name}-pod`
}

/** Which workloads the documents hold, as pod names (what `kube down` removes). */
export function workloadPods(docs: readonly KubeDocument[]): string[] {
  return docs.filter(d => (WORKLOADS as readonly string[]).includes(d.kind)).map(podNameOf)
}

/** The pod's template: a Pod is its own, the others have spec.template. */
function templateOf(doc: KubeDocument): { metadata: Obj; spec: Obj } {
  if (doc.kind === 'Pod') return { metadata: (doc.metadata ?? {}) as Obj, spec: (doc.spec ?? {}) as Obj }
  const template = ((doc.spec as Obj | undefined)?.template ?? {}) as Obj
  return { metadata: { ...(template.metadata ?? {}), labels: { ...(doc.metadata?.labels ?? {}), ...(template.metadata?.labels ?? {}) } }, spec: template.spec ?? {} }
}

const RESTART: Record<string, string> = { Always: 'always', OnFailure: 'on-failure', Never: 'no' }

/** Documents → what to make. Throws one line for what cannot be played. */
export function planPlay(docs: readonly KubeDocument[], o: PlanOptions): PlayPlan {
  const configMaps = new Map<string, KubeDocument>()
  for (const d of o.configMaps ?? []) {
    if (d.kind !== 'ConfigMap') throw invalid(`--configmap: ${d.kind} ${d.metadata?.name ?? ''} is not a ConfigMap`)
    configMaps.set(d.metadata?.name ?? '', d)
  }
  const secrets = new Map<string, KubeDocument>()
  const plan: PlayPlan = { claims: [], pods: [], warnings: [] }
  for (const d of docs) {
    const name = d.metadata?.name
    if (d.kind === 'ConfigMap' || d.kind === 'Secret' || d.kind === 'PersistentVolumeClaim') {
      if (!name) throw invalid(`${o.file}: ${d.kind}: metadata.name: required`)
      if (d.kind === 'ConfigMap') {
        if (configMaps.has(name) && o.configMaps?.includes(configMaps.get(name)!)) {
          throw invalid(`ambiguous configuration: the ConfigMap ${name} is in ${o.file} and in a --configmap file`)
        }
        configMaps.set(name, d)
      } else if (d.kind === 'Secret') secrets.set(name, d)
      else plan.claims.push(name)
    } else if (!(WORKLOADS as readonly string[]).includes(d.kind) && d.kind !== 'Service') {
      plan.warnings.push(`${o.file}: kind ${d.kind} is not supported, and left out`)
    }
  }
  const lookup = (kind: 'ConfigMap' | 'Secret', name: string) => (kind === 'ConfigMap' ? configMaps : secrets).get(name)
  for (const d of docs) {
    if (!(WORKLOADS as readonly string[]).includes(d.kind)) continue
    const replicas = (d.spec as Obj | undefined)?.replicas
    if (d.kind === 'Deployment' && typeof replicas === 'number' && replicas > 1) {
      plan.warnings.push(`Deployment ${d.metadata?.name}: limiting the replica count to 1; more than one replica is not supported`)
    }
    plan.pods.push(planPod(d, o, lookup))
  }
  if (!plan.pods.length && !plan.claims.length) {
    throw invalid(`${o.file}: no Pod, Deployment, DaemonSet, Job or PersistentVolumeClaim in it`, 'cocker kube play makes pods of those kinds')
  }
  const names = plan.pods.map(p => p.name)
  const twice = names.find((n, i) => names.indexOf(n) !== i)
  if (twice) throw invalid(`${o.file}: two workloads would make the pod ${twice}`)
  return plan
}

type Lookup = (kind: 'ConfigMap' | 'Secret', name: string) => KubeDocument | undefined

function planPod(doc: KubeDocument, o: PlanOptions, lookup: Lookup): PodPlan {
  const podName = podNameOf(doc)
  const source = `${doc.kind} ${doc.metadata?.name}`
  const { metadata, spec } = templateOf(doc)
  if (spec.initContainers?.length) throw new CockerError('NOT_SUPPORTED', `${source}: initContainers are not supported yet`, { hint: 'run them as containers of the pod, or before playing it' })
  const containers = (spec.containers ?? []) as Obj[]
  if (!containers.length) throw invalid(`${o.file}: ${source}: spec.containers: required`)
  const restart = RESTART[spec.restartPolicy ?? 'Always']
  if (!restart) throw invalid(`${source}: restartPolicy ${String(spec.restartPolicy)}: must be Always, OnFailure or Never`)
  if (doc.kind === 'Job' && restart === 'always') throw invalid(`${source}: a Job's restartPolicy must be OnFailure or Never`)
  const labels = (metadata.labels ?? {}) as Record<string, string>
  const annotations = (metadata.annotations ?? {}) as Record<string, string>
  const volumes: Record<string, VolumePlan> = {}
  for (const v of (spec.volumes ?? []) as Obj[]) volumes[v.name] = volumePlan(source, v, lookup)
  const ports: PortMapping[] = []
  const plans = containers.map((c, i) => {
    const where = `${source}: spec.containers[${i}]`
    if (!c.image) throw invalid(`${o.file}: ${where}.image: required`)
    for (const p of (c.ports ?? []) as Obj[]) {
      if (!p.hostPort) continue
      const protocol = String(p.protocol ?? 'TCP').toLowerCase()
      if (protocol !== 'tcp' && protocol !== 'udp') throw new CockerError('NOT_SUPPORTED', `${where}.ports: protocol ${String(p.protocol)} is not supported`, { hint: 'use TCP or UDP' })
      ports.push({ hostIp: p.hostIP ?? '', hostPort: Number(p.hostPort), containerPort: Number(p.containerPort), protocol })
    }
    return planContainer(podName, c, where, { spec, labels, annotations, restart, lookup, volumes, containerNames: containers.map(x => String(x.name)) })
  })
  for (const spec of o.publish ?? []) {
    for (const p of parsePublish(spec)) {
      const at = ports.findIndex(q => q.containerPort === p.containerPort && q.protocol === p.protocol)
      if (at >= 0) ports[at] = p
      else ports.push(p)
    }
  }
  return {
    name: podName, source, labels, ...(spec.hostname ? { hostname: String(spec.hostname) } : {}), hostNetwork: spec.hostNetwork === true,
    ports, volumes, containers: plans,
  }
}

function volumePlan(source: string, v: Obj, lookup: Lookup): VolumePlan {
  const where = `${source}: volume ${v.name}`
  if (v.hostPath) return { kind: 'hostPath', path: String(v.hostPath.path), ...(v.hostPath.type ? { type: String(v.hostPath.type) } : {}) }
  if (v.persistentVolumeClaim) return { kind: 'claim', claim: String(v.persistentVolumeClaim.claimName) }
  if (v.emptyDir) return { kind: 'emptyDir', memory: v.emptyDir.medium === 'Memory' }
  const ref = v.configMap ? { kind: 'ConfigMap' as const, src: v.configMap, name: v.configMap.name } : v.secret ? { kind: 'Secret' as const, src: v.secret, name: v.secret.secretName } : undefined
  if (!ref) throw new CockerError('NOT_SUPPORTED', `${where}: only hostPath, emptyDir, configMap, secret and persistentVolumeClaim volumes are supported`)
  const doc = lookup(ref.kind, String(ref.name))
  const mode = typeof ref.src.defaultMode === 'number' ? ref.src.defaultMode : 0o644
  if (mode < 0 || mode > 0o777) throw invalid(`${where}: defaultMode ${mode} must be between 0 and 0777`)
  if (!doc) {
    if (ref.src.optional === true) return { kind: 'files', from: `${ref.kind} ${ref.name}`, files: {}, mode }
    throw invalid(`${where}: no ${ref.kind} named ${String(ref.name)}`, addHint(ref.kind))
  }
  const keys = keysOf(doc)
  const files: Record<string, Buffer> = {}
  const items = (ref.src.items ?? []) as Obj[]
  for (const item of items.length ? items : [...keys.keys()].map(key => ({ key, path: key }))) {
    const data = keys.get(String(item.key))
    if (!data) throw invalid(`${where}: ${ref.kind} ${String(ref.name)} has no key ${String(item.key)}`)
    const file = String(item.path)
    if (!staysBelow(file)) throw invalid(`${where}: the path ${file} must be relative and without ".."`)
    files[file] = data
  }
  return { kind: 'files', from: `${ref.kind} ${ref.name}`, files, mode }
}

interface PodContext {
  spec: Obj
  labels: Record<string, string>
  annotations: Record<string, string>
  restart: string
  lookup: Lookup
  volumes: Record<string, VolumePlan>
  containerNames: string[]
}

/** The value of an env entry's valueFrom. */
function valueFrom(where: string, from: Obj, pod: string, ctx: PodContext): string | undefined {
  const ref = from.configMapKeyRef ? { kind: 'ConfigMap' as const, r: from.configMapKeyRef } : from.secretKeyRef ? { kind: 'Secret' as const, r: from.secretKeyRef } : undefined
  if (ref) {
    const doc = ctx.lookup(ref.kind, String(ref.r.name))
    const value = doc ? keysOf(doc).get(String(ref.r.key)) : undefined
    if (value === undefined) {
      if (ref.r.optional === true) return undefined
      throw invalid(`${where}: ${doc ? `${ref.kind} ${String(ref.r.name)} has no key ${String(ref.r.key)}` : `no ${ref.kind} named ${String(ref.r.name)}`}`,
        addHint(ref.kind))
    }
    return value.toString()
  }
  if (from.fieldRef) {
    const field = String(from.fieldRef.fieldPath)
    if (field === 'metadata.name') return pod
    if (field === 'metadata.namespace') return 'default'
    const label = /^metadata\.labels\['(.+)'\]$/.exec(field)
    if (label) return ctx.labels[label[1]!] ?? ''
    throw new CockerError('NOT_SUPPORTED', `${where}: fieldRef ${field} is not supported`, { hint: 'use metadata.name, metadata.namespace or metadata.labels[\'KEY\']' })
  }
  throw new CockerError('NOT_SUPPORTED', `${where}: only configMapKeyRef, secretKeyRef and fieldRef are supported`)
}

/** envFrom, then env (which wins), as Kubernetes orders them. */
function envOf(c: Obj, where: string, pod: string, ctx: PodContext): string[] {
  const env = new Map<string, string>()
  for (const [i, from] of ((c.envFrom ?? []) as Obj[]).entries()) {
    const ref = from.configMapRef ? { kind: 'ConfigMap' as const, r: from.configMapRef } : from.secretRef ? { kind: 'Secret' as const, r: from.secretRef } : undefined
    if (!ref) throw invalid(`${where}.envFrom[${i}]: configMapRef or secretRef: required`)
    const doc = ctx.lookup(ref.kind, String(ref.r.name))
    if (!doc) {
      if (ref.r.optional === true) continue
      throw invalid(`${where}.envFrom[${i}]: no ${ref.kind} named ${String(ref.r.name)}`, addHint(ref.kind))
    }
    for (const [k, v] of keysOf(doc)) env.set(`${from.prefix ?? ''}${k}`, v.toString())
  }
  for (const [i, e] of ((c.env ?? []) as Obj[]).entries()) {
    const value = e.valueFrom ? valueFrom(`${where}.env[${i}]`, e.valueFrom, pod, ctx) : String(e.value ?? '')
    if (value !== undefined) env.set(String(e.name), value)
  }
  return [...env].map(([k, v]) => `${k}=${v}`)
}

function planContainer(pod: string, c: Obj, where: string, ctx: PodContext): ContainerPlan {
  const name = `${pod}-${String(c.name)}`
  const flags: RunFlags = { command: [], env: envOf(c, where, pod, ctx), label: [], annotation: [], name, restart: ctx.restart }
  if (Array.isArray(c.command)) flags.entrypoint = JSON.stringify(c.command.map(String))
  if (Array.isArray(c.args)) flags.command = c.args.map(String)
  if (c.workingDir) flags.workdir = String(c.workingDir)
  if (c.stdin) flags.interactive = true
  if (c.tty) flags.tty = true
  const limits = (c.resources?.limits ?? {}) as Obj
  if (limits.memory !== undefined) flags.memory = String(memoryBytes(`${where}.resources.limits.memory`, limits.memory))
  if (limits.cpu !== undefined) flags.cpus = String(cpuCores(`${where}.resources.limits.cpu`, limits.cpu))
  const podSc = (ctx.spec.securityContext ?? {}) as Obj
  const sc = (c.securityContext ?? {}) as Obj
  const uid = sc.runAsUser ?? podSc.runAsUser
  const gid = sc.runAsGroup ?? podSc.runAsGroup
  if (uid !== undefined) flags.user = gid !== undefined ? `${uid}:${gid}` : String(uid)
  else if (gid !== undefined) flags.user = `0:${gid}`
  if (sc.privileged === true) flags.privileged = true
  if (sc.readOnlyRootFilesystem === true) flags.readOnly = true
  if (sc.allowPrivilegeEscalation === false) flags.securityOpt = ['no-new-privileges']
  if (sc.capabilities?.add?.length) flags.capAdd = sc.capabilities.add.map(String)
  if (sc.capabilities?.drop?.length) flags.capDrop = sc.capabilities.drop.map(String)
  if (typeof ctx.spec.terminationGracePeriodSeconds === 'number') flags.stopTimeout = ctx.spec.terminationGracePeriodSeconds
  flags.label = Object.entries(ctx.labels).map(([k, v]) => `${k}=${v}`)
  // KEY/CONTAINER is the container's (Podman writes them so); the others are every container's
  flags.annotation = Object.entries(ctx.annotations).flatMap(([k, v]) => {
    const slash = k.lastIndexOf('/')
    const owner = slash > 0 ? k.slice(slash + 1) : undefined
    if (owner !== undefined && ctx.containerNames.includes(owner)) return owner === String(c.name) ? [`${k.slice(0, slash)}=${v}`] : []
    return [`${k}=${v}`]
  })
  const mounts = ((c.volumeMounts ?? []) as Obj[]).map((m, i) => {
    if (!ctx.volumes[m.name]) throw invalid(`${where}.volumeMounts[${i}]: no volume named ${String(m.name)} in the pod's spec.volumes`)
    const subPath = m.subPath ? String(m.subPath) : undefined
    if (subPath && !staysBelow(subPath)) throw invalid(`${where}.volumeMounts[${i}].subPath: must be relative and without ".."`)
    return { volume: String(m.name), destination: String(m.mountPath), readOnly: m.readOnly === true, ...(subPath ? { subPath } : {}) }
  })
  const policy = c.imagePullPolicy === 'Always' ? 'always' : c.imagePullPolicy === 'Never' ? 'never' : 'missing'
  return { name, image: String(c.image), pull: policy, flags, mounts }
}
