/**
 * `kube generate`, `kube play` and `kube down` (kube-defs.ts has their definitions): the files
 * read and written here, the domain in lib/kube/, the output in Podman's words.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { containersConf } from '../../config/containers-conf.js'
import { findContainer, type FoundContainer } from '../../container/record.js'
import { readBundleConfig } from '../../container/view.js'
import { CockerError } from '../../errors.js'
import { parseImageConfig } from '../../image/manifest.js'
import { checkDocuments, parseDocuments, writeDocuments, type KubeDocument } from '../../kube/documents.js'
import { kubeObjects, podOfContainers, podOfPod, type ContainerFacts, type KubeObject } from '../../kube/generate.js'
import { planPlay, workloadPods, type RunFlags } from '../../kube/plan.js'
import { playKube, removeClaims, removeKubePod } from '../../kube/play.js'
import { packageVersion } from '../../package-root.js'
import { findPod, podInfraAndContainers } from '../../pod/pods.js'
import { defaultRunOptions } from '../../spec/run-options.js'
import type { Store } from '../../storage/store.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineFailure } from '../exit.js'
import { engineOf } from './container-context.js'
import { readInputText } from './input-file.js'
import { parseLifecycleOptions } from './lifecycle-options.js'
import { imageToRun } from './run.js'
import { readRunOptions } from './run-options.js'
import { driverFor, storeFor } from './store-context.js'

const HEADER = (version: string) => `# Save the output of this file and use kubectl create -f to import
# it into Kubernetes.
#
# Created with cocker-${version}
`

function facts(store: Store, found: FoundContainer): ContainerFacts {
  const { record, dir } = found
  let image = {}
  try {
    image = parseImageConfig(store.blobs.read(`sha256:${record.imageId}`), record.imageName).config ?? {}
  } catch { /* an image removed since: every field is then the container's own */ }
  return {
    record, config: readBundleConfig(dir) ?? {}, image,
    hostPathType: source => {
      const st = statSync(source, { throwIfNoEntry: false })
      return !st ? 'DirectoryOrCreate' : st.isDirectory() ? 'Directory' : 'File'
    },
  }
}

export async function generate(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const store = storeFor(ctx)
  const containers: ContainerFacts[] = []
  const pods: KubeObject[] = []
  for (const name of args.names as string[]) {
    const ctr = findContainer(engine.storeRoot, name)
    if (ctr && !ctr.record.infra) {
      if (ctr.record.pod) {
        throw new CockerError('INVALID_ARGUMENT', `container ${name} belongs to a pod: generate the pod instead`, { hint: `cocker kube generate ${findPod(engine.storeRoot, ctr.record.pod)?.record.name ?? ctr.record.pod}` })
      }
      containers.push(facts(store, ctr))
      continue
    }
    const pod = findPod(engine.storeRoot, name)
    if (!pod) throw new CockerError('CONTAINER_NOT_FOUND', `${name} does not refer to a container or pod: no such container or pod`)
    const { infra, containers: members } = podInfraAndContainers(engine.storeRoot, pod.record)
    pods.push(podOfPod({
      name: pod.record.name, ...(pod.record.hostname ? { hostname: pod.record.hostname } : {}), labels: pod.record.labels,
      infra: infra.record, containers: members.map(m => facts(store, m)),
    }))
  }
  const type = args.type === 'deployment' ? 'deployment' as const : 'pod' as const
  const objects = [...(containers.length ? [podOfContainers(containers)] : []), ...pods]
    .flatMap(pod => kubeObjects(pod, { type, service: args.service === true, ...(typeof args.replicas === 'number' ? { replicas: args.replicas } : {}) }))
  const text = writeDocuments(objects, HEADER(packageVersion()))
  if (typeof args.filename === 'string') {
    const file = path.resolve(ctx.cwd, args.filename)
    try {
      writeFileSync(file, text, { flag: 'wx' })
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file exists already' : (err as Error).message
      throw new CockerError('INVALID_ARGUMENT', `--filename ${args.filename}: ${why}`, { hint: 'remove it, or give another path' })
    }
    return {}
  }
  return { stdout: text }
}

/** The file's text: a path, or - for standard input. */
function readInput(file: string, ctx: CliContext): string {
  if (file !== '-') return readInputText(file, ctx.cwd, 'a Kubernetes YAML file')
  if (process.stdin.isTTY) throw new CockerError('INVALID_ARGUMENT', 'cannot read YAML from a terminal', { hint: 'give a file, or redirect standard input' })
  return readFileSync(0, 'utf8')
}

/** The documents of a file, checked against the schemas. */
function readDocuments(file: string, ctx: CliContext): KubeDocument[] {
  const name = file === '-' ? 'stdin' : file
  const docs = parseDocuments(readInput(file, ctx), name)
  checkDocuments(docs, name)
  return docs
}

export async function down(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const docs = readDocuments(args.file as string, ctx)
  const engine = engineOf(ctx)
  const removed: string[] = []
  let stderr = ''
  for (const name of workloadPods(docs)) {
    try {
      removed.push(await removeKubePod(engine, name))
    } catch (err) {
      stderr += engineFailure(err, { version: '' }).stderr
    }
  }
  const claims = args.force === true ? await removeClaims(engine, docs.filter(d => d.kind === 'PersistentVolumeClaim').map(d => d.metadata?.name ?? '')) : []
  const list = (title: string, ids: string[]) => (ids.length ? `${title}:\n${ids.map(id => `${id}\n`).join('')}` : '')
  return {
    stdout: list('Pods stopped', removed) + list('Pods removed', removed) + list('Volumes removed', claims),
    stderr, exitCode: stderr ? 125 : 0,
  }
}

export async function play(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  if (args.down === true) return down(args, ctx)
  const file = args.file as string
  const docs = readDocuments(file, ctx)
  const configMaps = ((args.configmap as string[] | undefined) ?? []).flatMap(f => readDocuments(f, ctx))
  const plan = planPlay(docs, { file: file === '-' ? 'stdin' : file, configMaps, publish: (args.publish as string[] | undefined) ?? [] })
  const engine = engineOf(ctx)
  for (const w of plan.warnings) engine.warn(w)
  const store = storeFor(ctx)
  const driver = await driverFor(ctx, store)
  const conf = await containersConf(ctx.env)
  const report = await playKube(plan, { start: args.start !== false, replace: args.replace === true, ...(typeof args.network === 'string' ? { network: args.network } : {}) }, {
    engine, store, driver,
    runOptions: (flags: RunFlags) => readRunOptions({ ...flags, detach: true }, ctx.env),
    lifecycle: (flags: RunFlags) => parseLifecycleOptions(flags, {
      autoRemove: false,
      defaults: { stopTimeout: conf.engine.stopTimeout, detachKeys: conf.engine.detachKeys, logDriver: conf.containers.logDriver, logSizeMax: conf.containers.logSizeMax },
    }),
    image: async (name, pull) => {
      const image = await imageToRun(store, name, { ...defaultRunOptions(), pull }, ctx)
      if (typeof image === 'number') throw new CockerError('IMAGE_NOT_FOUND', `${name}: the image could not be pulled`)
      return image
    },
    infra: o => readRunOptions({ network: o.network, publish: o.publish }, ctx.env),
  })
  let stdout = report.volumes.length ? `Volumes:\n${report.volumes.map(v => `${v}\n`).join('')}` : ''
  for (const p of report.pods) {
    stdout += `Pod:\n${p.id}\n${p.containers.length === 1 ? 'Container' : 'Containers'}:\n${p.containers.map(c => `${c}\n`).join('')}\n`
  }
  return { stdout }
}
