import { posix } from 'node:path'
import { CockerError } from '../errors.js'
import { readHostFile } from './host.js'
import { parseSelfCgroup, type CgroupLayout } from './layout.js'

/** One mounted hierarchy and the container's directory in it. */
export interface Hierarchy {
  kind: 'v1' | 'v2'
  mount: string
  /** v1: the controllers of this mount; v2: the root's cgroup.controllers */
  controllers: string[]
  dir: string
}

const invalid = (message: string): CockerError => new CockerError('INVALID_ARGUMENT', message)

/**
 * linux.cgroupsPath as a cgroupfs path. Absolute paths start at each hierarchy's root; relative
 * ones at the caller's own cgroup, as in runc. Without a path, root containers go to
 * /cocker/<id>; rootless ones to cocker-<id> next to our own cgroup, because cgroup v2's "no
 * internal processes" rule forbids enabling controllers in our own (populated) cgroup, and
 * a delegated subtree is usually our cgroup's parent.
 */
export function normalizeCgroupsPath(cgroupsPath: string | undefined, id: string, rootless: boolean, systemd: boolean): string {
  if (id === '' || id.includes('/') || id === '.' || id === '..') throw invalid(`container id ${JSON.stringify(id)} cannot name a cgroup`)
  const path = cgroupsPath || undefined
  if (systemd || path?.split(':').length === 3) return systemdToCgroupfs(path ?? `::${id}`, rootless)
  return path ?? (rootless ? `../cocker-${id}` : `/cocker/${id}`)
}

/**
 * "slice:prefix:name" as the path systemd would give the scope. This host may have no systemd
 * to ask (PID 1 is not systemd), so we create the same tree with cgroupfs, like runc's
 * systemd driver layout: "a-b.slice:cocker:ID" -> /a.slice/a-b.slice/cocker-ID.scope.
 */
export function systemdToCgroupfs(path: string, rootless: boolean): string {
  const parts = path.split(':')
  const [slice = '', prefix = '', name = ''] = parts
  if (parts.length !== 3 || name === '') throw invalid(`linux.cgroupsPath: ${JSON.stringify(path)} is not "slice:prefix:name"`)
  if (name.endsWith('.slice')) return expandSlice(name, path)
  const unit = prefix ? `${prefix}-${name}.scope` : `${name}.scope`
  if (unit.includes('/')) throw invalid(`linux.cgroupsPath: ${JSON.stringify(path)}: the unit name must not contain "/"`)
  return `${expandSlice(slice || (rootless ? 'user.slice' : 'system.slice'), path)}/${unit}`
}

/** systemd.slice(5): each "-" in a slice name is a level, "a-b-c.slice" lives in a.slice/a-b.slice. */
function expandSlice(slice: string, path: string): string {
  const base = slice.slice(0, -'.slice'.length)
  if (slice === '-.slice') return ''
  if (!slice.endsWith('.slice') || slice.includes('/') || base.split('-').some(p => p === '')) {
    throw invalid(`linux.cgroupsPath: ${JSON.stringify(path)}: ${JSON.stringify(slice)} is not a valid slice name`)
  }
  const levels = base.split('-')
  return levels.map((_, i) => `/${levels.slice(0, i + 1).join('-')}.slice`).join('')
}

/**
 * The container's directory in every hierarchy it joins: one per v1 mount (co-mounted
 * controllers share one), then the cgroup2 mount. Of the named v1 hierarchies only
 * name=systemd, as runc and crun join it: a container's systemd keeps its units there, in a
 * tree of its own. `selfCgroup` is read only for relative paths.
 */
export function resolveHierarchies(layout: CgroupLayout, path: string, selfCgroup: () => string): Hierarchy[] {
  const byMount = new Map<string, string[]>()
  for (const [ctrl, mount] of Object.entries(layout.v1)) {
    if (!ctrl.startsWith('name=') || ctrl === 'name=systemd') byMount.set(mount, [...(byMount.get(mount) ?? []), ctrl])
  }
  const list: Omit<Hierarchy, 'dir'>[] = [...byMount].map(([mount, controllers]) => ({ kind: 'v1', mount, controllers }))
  if (layout.unified) list.push({ kind: 'v2', mount: layout.unified, controllers: layout.unifiedControllers })
  let selfPaths: Record<string, string> | undefined
  return list.map(h => {
    let own = '/'
    if (!path.startsWith('/')) {
      selfPaths ??= parseSelfCgroup(selfCgroup())
      const key = h.kind === 'v2' ? '' : h.controllers[0]!
      const mine = selfPaths[key]
      if (mine === undefined) throw new CockerError('CGROUP_FAILED', `cgroup: /proc/self/cgroup has no entry for ${key || 'cgroup v2'}`)
      // Our path is from the hierarchy root; the mount may show only a subtree of it.
      const rel = posix.relative(layout.roots?.[h.mount] ?? '/', mine)
      if (!rel.startsWith('..')) own = `/${rel}`
    }
    // Joined under "/" first, so ".." stops at the hierarchy root as it would in a chroot.
    const inner = posix.join('/', own, path).replace(/\/+$/, '')
    if (inner === '') throw invalid(`linux.cgroupsPath: ${JSON.stringify(path)} is the root cgroup of ${h.mount}`)
    return { ...h, dir: `${h.mount}${inner}` }
  })
}

/**
 * Each v1 hierarchy (its mount point) -> the directory a container sees there, as runc and crun
 * bind it: its own cgroup (the dir of one of the cgroup.procs files it `joined`), else the one it
 * inherits from us (another named hierarchy, rootless, --cgroups disabled); not a
 * fresh mount of the hierarchy, which would show the host's whole tree.
 */
export function v1Views(layout: CgroupLayout, joined: string[],
  selfCgroup: () => string = () => readHostFile('/proc/self/cgroup') ?? ''): Record<string, string> {
  const views: Record<string, string> = {}
  let self: Record<string, string> | undefined
  for (const [ctrl, mount] of Object.entries(layout.v1)) {
    if (mount in views) continue
    const own = joined.map(p => posix.dirname(p)).find(d => d === mount || d.startsWith(`${mount}/`))
    if (own) {
      views[mount] = own
      continue
    }
    self ??= parseSelfCgroup(selfCgroup())
    // Our path is from the hierarchy root; the mount may show only a subtree of it.
    const rel = posix.relative(layout.roots?.[mount] ?? '/', self[ctrl] ?? '/')
    views[mount] = rel && !rel.startsWith('..') ? `${mount}/${rel}` : mount
  }
  return views
}
