import { CockerError } from '../../errors.js'
import { networkPorts, parseContainerFilters, stateName, viewContainers, writableSize, type ContainerView } from '../../container/view.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { listPods } from '../../pod/record.js'
import { defaultPsFormat, psJson, psRow, PS_HEADERS, PS_POD_HEADERS, type PsSizes } from '../render/containers.js'
import { renderRows } from '../render/go-template.js'
import { storeMetadataFor, storeRootFor } from './store-root.js'

export const PS_SORT_KEYS = ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status'] as const

// ps reads records and /proc only: no lock, no store to open (but for -s, the images' sizes)
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const last = args.last as number | undefined
  const latest = !!args.latest
  const everything = !!args.all || latest || (last !== undefined && last >= 0)
  const matches = parseContainerFilters((args.filter as string[] | undefined) ?? [], {
    // pod=NAME|ID, as podman: a name, or the start of an id
    podIds: value => listPods(storeRootFor(ctx)).filter(p => p.record.name === value || p.record.id.startsWith(value)).map(p => p.record.id),
  })
  let views = viewContainers(storeRootFor(ctx)).filter(v => (everything || stateName(v.state) === 'running') && matches(v))
  if (latest) views = views.slice(-1)
  else if (last !== undefined && last >= 0) views = last === 0 ? [] : views.slice(-last)

  const sizes = args.size ? sizesOf(views, ctx) : undefined
  views = sortViews(views, (args.sort as string | undefined) ?? 'created', sizes)
  const noTrunc = !!args.noTrunc
  if (args.quiet) return { stdout: views.map(v => `${noTrunc ? v.record.id : v.record.id.slice(0, 12)}\n`).join('') }

  // a container in another's network (its pod's) shows that one's ports, as Podman's ps
  views = views.map(v => v.record.joins?.network ? { ...v, record: { ...v.record, ports: networkPorts(storeRootFor(ctx), v.record) } } : v)
  const now = Date.now()
  const format = args.format as string | undefined
  // pod names only where a container is in a pod: pods are read then, and not otherwise
  const podNames = views.some(v => v.record.pod) ? new Map(listPods(storeRootFor(ctx)).map(p => [p.record.id, p.record.name])) : undefined
  const podName = (v: ContainerView) => (v.record.pod ? podNames?.get(v.record.pod) : undefined)
  if (format !== undefined && /^\s*(json|\{\{\s*json\s+\.\s*\}\})\s*$/.test(format)) {
    return { stdout: `${JSON.stringify(views.map(v => psJson(v, now, sizes?.get(v.record.id), podName(v))), null, 2)}\n` }
  }
  const rows = views.map(v => psRow(v, now, { noTrunc, size: sizes?.get(v.record.id), podName: podName(v) }))
  const pod = args.pod === true
  return { stdout: renderRows(format ?? defaultPsFormat(!!args.size, pod), rows, pod ? PS_POD_HEADERS : PS_HEADERS, !!args.noheading) }
}

function sizesOf(views: ContainerView[], ctx: CliContext): Map<string, PsSizes> {
  const { metadata } = storeMetadataFor(ctx)
  const images = new Map(metadata.images.map(i => [i.id, i.size]))
  return new Map(views.map(v => [v.record.id, { rwSize: writableSize(v.dir), rootFsSize: images.get(v.record.imageId) ?? 0 }]))
}

/** podman's --sort: ascending, stable (so ties stay in creation order). */
function sortViews(views: ContainerView[], key: string, sizes: Map<string, PsSizes> | undefined): ContainerView[] {
  const by: Record<(typeof PS_SORT_KEYS)[number], (v: ContainerView) => string | number> = {
    command: v => v.record.command.join(' '),
    created: v => Date.parse(v.record.created),
    id: v => v.record.id,
    image: v => v.record.imageName,
    names: v => v.record.name,
    runningfor: v => (v.state.startedAt ? Date.parse(v.state.startedAt) : -Infinity),
    size: v => sizes?.get(v.record.id)?.rwSize ?? 0,
    status: v => stateName(v.state),
  }
  const keyOf = by[key as keyof typeof by]
  if (!keyOf) {
    throw new CockerError('INVALID_ARGUMENT', `invalid --sort "${key}"`, { hint: `choose from: ${PS_SORT_KEYS.join(', ')}` })
  }
  return views.map(v => ({ v, k: keyOf(v) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map(x => x.v)
}
