/**
 * The `pod` commands' handlers (pod-defs.ts has their definitions): each calls lib/pod and
 * returns what to print, in podman's words and shapes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Engine } from '../../container/engine.js'
import { parseDescriptors, describeProcesses, TOP_DESCRIPTORS } from '../../container/top.js'
import { CockerError } from '../../errors.js'
import { createPod, findPod, killPod, listPods, podMembers, podStatus, prunePods, removePod, requirePod, startPod, stopPod,
  type FoundPod, type PodRecord } from '../../pod/pods.js'
import { parseKeyValue } from '../../spec/run-options.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineFailure } from '../exit.js'
import { renderRows, renderTemplate } from '../render/go-template.js'
import { formatTabTable } from '../render/table.js'
import { goTimeNano, humanDuration } from '../render/units.js'
import { engineOf } from './container-context.js'
import { readRunOptions } from './run-options.js'
import { driverFor, storeFor } from './store-context.js'
import { containerPids } from './top.js'

type Handler = (args: ParsedArgs, ctx: CliContext) => Promise<Outcome>

async function create(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  // --name, else the positional name (podman takes either)
  const given = [args.name, args.pod].find((n): n is string => typeof n === 'string')
  const engine = engineOf(ctx)
  const idFile = typeof args.podIdFile === 'string' ? path.resolve(ctx.cwd, args.podIdFile) : undefined
  if (args.replace === true) {
    if (given === undefined) throw new CockerError('INVALID_ARGUMENT', '--replace needs a pod name', { hint: 'name the pod that is to be replaced' })
    const old = findPod(engine.storeRoot, given)
    if (old?.record.name === given) await removePod(engine, old, { force: true })
  }
  // the infra is given what a container with the pod's network flags would get: run's own parsing
  const infra = await readRunOptions({ network: args.network, publish: args.publish }, ctx.env)
  const labels = Object.fromEntries(((args.label as string[] | undefined) ?? []).map(l => parseKeyValue('--label', l)))
  const store = storeFor(ctx)
  const pod = await createPod(engine, store, await driverFor(ctx, store), {
    ...(given !== undefined ? { name: given } : {}),
    ...(typeof args.hostname === 'string' ? { hostname: args.hostname } : {}),
    infra,
    labels, ...(ctx.argv ? { createCommand: ['cocker', ...ctx.argv] } : {}),
  })
  if (idFile) writeFileSync(idFile, pod.id)
  return { stdout: `${pod.id}\n` }
}

/** The pods named, by name or id, in --pod-id-file files, or with --all every one (--latest: the newest). */
function podTargets(engine: Engine, args: ParsedArgs, ctx: CliContext): string[] {
  if (args.all === true) return listPods(engine.storeRoot).map(p => p.record.id)
  if (args.latest === true) {
    const newest = listPods(engine.storeRoot).at(-1)
    if (!newest) throw new CockerError('POD_NOT_FOUND', 'no pods to act on with --latest')
    return [newest.record.id]
  }
  // with --ignore a missing file names no pod (a unit's ExecStopPost after a failed create)
  const files = ((args.podIdFile as string[] | undefined) ?? []).flatMap(f => {
    const file = path.resolve(ctx.cwd, f)
    if (args.ignore === true && !existsSync(file)) return []
    return [readFileSync(file, 'utf8').trim()]
  })
  const names = [...((args.pods as string[] | undefined) ?? []), ...files]
  if (!names.length && !(args.ignore === true && (args.podIdFile as string[] | undefined)?.length)) {
    throw new CockerError('INVALID_ARGUMENT', 'no pod given', { hint: 'name one or more pods, or use --all' })
  }
  return names
}

/** Runs `act` on each pod, printing its id; a failure is an "Error:" line and status 125 (1 for a missing pod, as podman). */
async function eachPod(ctx: CliContext, args: ParsedArgs, act: (engine: Engine, found: FoundPod) => Promise<void>): Promise<Outcome> {
  const engine = engineOf(ctx)
  let stdout = ''
  let stderr = ''
  const statuses = new Set<number>()
  for (const given of podTargets(engine, args, ctx)) {
    try {
      const found = findPod(engine.storeRoot, given)
      if (!found && args.ignore === true) continue
      const pod = found ?? requirePod(engine.storeRoot, given)
      await act(engine, pod)
      stdout += `${pod.record.id}\n`
    } catch (err) {
      stderr += engineFailure(err, { version: '' }).stderr
      statuses.add(err instanceof CockerError && err.code === 'POD_NOT_FOUND' ? 1 : 125)
    }
  }
  return { stdout, stderr, exitCode: statuses.size === 0 ? 0 : statuses.size === 1 ? [...statuses][0] : 125 }
}

const timeout = (args: ParsedArgs) => (typeof args.time === 'number' ? args.time : undefined)

const start: Handler = (args, ctx) => eachPod(ctx, args, (engine, found) => startPod(engine, found.record))
const stop: Handler = (args, ctx) => eachPod(ctx, args, (engine, found) => stopPod(engine, found.record, { timeout: timeout(args) }))
const restart: Handler = (args, ctx) => eachPod(ctx, args, async (engine, found) => {
  await stopPod(engine, found.record)
  await startPod(engine, found.record)
})
const kill: Handler = (args, ctx) => eachPod(ctx, args, (engine, found) => killPod(engine, found.record, String(args.signal ?? 'KILL').replace(/^SIG/i, '')))
const rm: Handler = (args, ctx) => eachPod(ctx, args, (engine, found) => removePod(engine, found, { force: args.force === true, timeout: timeout(args) }))

async function exists(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  return { exitCode: findPod(engineOf(ctx).storeRoot, args.pod as string) ? 0 : 1 }
}

async function prune(_args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const gone = await prunePods(engineOf(ctx))
  return { stdout: gone.map(id => `${id}\n`).join('') }
}

/** A pod as it is now: its record, its containers' states and its status. */
function podView(storeRoot: string, pod: PodRecord) {
  const members = podMembers(storeRoot, pod)
  return { pod, members, status: podStatus(members.map(m => m.state.status)) }
}
type PodView = ReturnType<typeof podView>

/** One entry of `pod ps --format json`, keys in podman's order. */
function podJson(v: PodView) {
  return {
    Cgroup: '',
    Containers: v.members.map(m => ({ Id: m.found.record.id, Names: m.found.record.name, Status: m.state.status })),
    Created: v.pod.created,
    Id: v.pod.id,
    InfraId: v.pod.infraId,
    Name: v.pod.name,
    Namespace: '',
    Networks: [] as string[],
    Status: v.status,
    Labels: v.pod.labels,
  }
}

/** The fields of a `pod ps --format` template, as podman names them. */
function podRow(v: PodView, now: number, noTrunc: boolean) {
  const id = (s: string) => (noTrunc ? s : s.slice(0, 12))
  return {
    ID: id(v.pod.id), Id: v.pod.id, Name: v.pod.name, Status: v.status, InfraID: id(v.pod.infraId),
    Created: `${humanDuration(Math.max(0, now - Date.parse(v.pod.created)))} ago`, CreatedAt: goTimeNano(v.pod.created),
    NumberOfContainers: String(v.members.length), Labels: v.pod.labels, Cgroup: '', Networks: '',
    ContainerIds: v.members.map(m => id(m.found.record.id)).join(','),
    ContainerNames: v.members.map(m => m.found.record.name).join(','),
    ContainerStatuses: v.members.map(m => m.state.status).join(','),
  }
}

const POD_PS_HEADERS: Record<string, string> = {
  ID: 'POD ID', Id: 'POD ID', Name: 'NAME', Status: 'STATUS', Created: 'CREATED', CreatedAt: 'CREATED AT', InfraID: 'INFRA ID',
  NumberOfContainers: '# OF CONTAINERS', ContainerIds: 'IDS', ContainerNames: 'NAMES', ContainerStatuses: 'STATUS',
}

/** --filter KEY=VALUE of `pod ps`: id (prefix), name (substring), status, label (KEY or KEY=VALUE). */
function podFilter(specs: readonly string[]): (v: PodView) => boolean {
  const tests = specs.map(spec => {
    const [key, value] = parseKeyValue('--filter', spec)
    switch (key) {
      case 'id': return (v: PodView) => v.pod.id.startsWith(value)
      case 'name': return (v: PodView) => v.pod.name.includes(value)
      case 'status': return (v: PodView) => v.status.toLowerCase() === value.toLowerCase()
      case 'label': {
        const [k, want] = value.includes('=') ? parseKeyValue('--filter label', value) : [value, undefined]
        return (v: PodView) => k in v.pod.labels && (want === undefined || v.pod.labels[k] === want)
      }
      default: throw new CockerError('INVALID_ARGUMENT', `--filter ${spec}: unknown filter "${key}"`, { hint: 'filter by id, name, status or label' })
    }
  })
  return v => tests.every(t => t(v))
}

async function ps(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = engineOf(ctx).storeRoot
  const matches = podFilter((args.filter as string[] | undefined) ?? [])
  const views = listPods(root).map(p => podView(root, p.record)).filter(matches)
  const noTrunc = args.noTrunc === true
  if (args.quiet) return { stdout: views.map(v => `${noTrunc ? v.pod.id : v.pod.id.slice(0, 12)}\n`).join('') }
  const format = args.format as string | undefined
  if (format !== undefined && /^\s*(json|\{\{\s*json\s+\.\s*\}\})\s*$/.test(format)) return { stdout: `${JSON.stringify(views.map(podJson), null, 2)}\n` }
  const ctr = [args.ctrIds && '{{.ContainerIds}}', args.ctrNames && '{{.ContainerNames}}', args.ctrStatus && '{{.ContainerStatuses}}'].filter(Boolean)
  const columns = ['{{.ID}}', '{{.Name}}', '{{.Status}}', '{{.Created}}', '{{.InfraID}}', ...(ctr.length ? ctr : ['{{.NumberOfContainers}}'])]
  const now = Date.now()
  return { stdout: renderRows(format ?? `table ${columns.join('\t')}`, views.map(v => podRow(v, now, noTrunc)), POD_PS_HEADERS, args.noheading === true) }
}

/** podman's `pod inspect`, keys in its order; what cocker does not have (a pod cgroup) is empty. */
function podInspect(v: PodView) {
  const p = v.pod
  return {
    Id: p.id, Name: p.name, Created: p.created, CreateCommand: p.createCommand ?? [], ExitPolicy: 'continue', State: v.status,
    Hostname: p.hostname ?? '', ...(Object.keys(p.labels).length ? { Labels: p.labels } : {}), CreateCgroup: false, CgroupParent: '', CgroupPath: '', CreateInfra: true,
    InfraContainerID: p.infraId,
    InfraConfig: {
      PortBindings: {}, HostNetwork: false, StaticIP: '', StaticMAC: '', NoManageResolvConf: false, DNSServer: null, DNSSearch: null,
      DNSOption: null, NoManageHosts: false, HostAdd: null, Networks: [] as string[], NetworkOptions: null, pid_ns: 'private',
      userns: 'host', uts_ns: 'private',
    },
    SharedNamespaces: p.share.map(s => (s === 'network' ? 'net' : s)),
    NumContainers: v.members.length,
    Containers: v.members.map(m => ({ Id: m.found.record.id, Name: m.found.record.name, State: m.state.status })),
  }
}

async function inspect(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const pods = podTargets(engine, args, ctx).map(name => requirePod(engine.storeRoot, name))
  const docs = pods.map(p => podInspect(podView(engine.storeRoot, p.record)))
  const format = args.format as string | undefined
  if (format && format !== 'json') return { stdout: docs.map(d => renderTemplate(format.endsWith('\n') ? format : `${format}\n`, d)).join('') }
  return { stdout: docs.map(d => `${JSON.stringify(d, null, 5)}\n`).join('') }
}

async function top(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const words = [...(args.pod === undefined ? [] : [args.pod as string]), ...((args.descriptors as string[] | undefined) ?? [])]
  const found = args.latest === true ? listPods(engine.storeRoot).at(-1) : requirePod(engine.storeRoot, words.shift() ?? '')
  if (!found) throw new CockerError('POD_NOT_FOUND', 'no pods to act on with --latest')
  const descriptors = parseDescriptors(words)
  const running = podMembers(engine.storeRoot, found.record).filter(m => m.state.status === 'running' || m.state.status === 'paused')
  if (!running.length) throw new CockerError('POD_STATE_INVALID', `no containers of pod ${found.record.name} are running`, { hint: `start it with "cocker pod start ${found.record.name}"` })
  const rows: string[][] = []
  for (const m of running) rows.push(...describeProcesses(await containerPids(ctx, m.found.record, m.state.pid), descriptors))
  return { stdout: formatTabTable([descriptors.map(d => TOP_DESCRIPTORS[d]!), ...rows], { minWidth: 12, padding: 2 }) }
}

export const handlers: Record<string, Handler> = { create, exists, inspect, kill, prune, ps, restart, rm, start, stop, top }
