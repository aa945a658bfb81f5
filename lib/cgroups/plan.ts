import { posix } from 'node:path'
import type { Resources } from '../runtime/oci-spec.js'
import { compileDeviceFilter } from './device-filter.js'
import { canWriteDir, readHostFile } from './host.js'
import { words, type CgroupLayout } from './layout.js'
import { normalizeCgroupsPath, resolveHierarchies, type Hierarchy } from './path.js'
import { RULES, requestedLimits, unifiedControllers, validateResources, type ResourceRule } from './resources.js'

/** What to do to the host for one container's cgroup. Built by planCgroup, run by applyCgroupPlan. */
export interface CgroupPlan {
  /** absolute dirs to create (mkdir -p), in order */
  dirs: string[]
  /** files to write after the dirs exist, in order: [absolute path, value] */
  writes: [string, string][]
  /** absolute cgroup.procs files the container's pid must be written to, before it runs */
  procs: string[]
  /** one line each, for the user: fields ignored whatever the host (deprecated, or with no equivalent here) */
  warnings: string[]
  /** limits this host (or this user) cannot apply, and why: refused by the runtime, dropped by `cocker run` */
  unavailable: Unavailable[]
  /** cgroup v2 device rules: an eBPF program (device-filter.ts) the helper attaches to `dir` */
  deviceFilter?: { dir: string; program: Buffer }
}

/** Limits of linux.resources (fields, or groups of them) that cannot be applied, for one reason. */
export interface Unavailable { limits: string[]; why: string }

/**
 * The one line that names every unavailable limit: the runtime's refusal (as runc and crun
 * refuse them), or, with `dropped`, `cocker run`'s warning (as Podman drops them).
 */
export function unavailableLine(list: Unavailable[], dropped: boolean): string {
  const [first] = list
  if (dropped && list.length === 1 && first!.limits.length > 1) return `${first!.why}: running without the requested limits (${first!.limits.join(', ')})`
  const items = list.map(u => `${u.limits.join(', ')} (${u.why})`).join(', ')
  return dropped ? `running without the requested limits this host cannot apply: ${items}` : `this host cannot apply linux.resources ${items}`
}

export interface PlanOptions {
  layout: CgroupLayout
  cgroupsPath: string | undefined
  id: string
  resources: Resources | undefined
  rootless: boolean
  systemd: boolean
  /** contents of /proc/self/cgroup; read only for relative paths */
  selfCgroup?: string
  /** whether we may create cgroups in a dir; default access(2) W_OK */
  canWrite?: (dir: string) => boolean
  /** a cgroup file's text, undefined when missing; default reads the host */
  readFile?: (file: string) => string | undefined
}

// The kernel lists cgroup.controllers in this order; enabling follows it for stable plans.
const V2_ORDER = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']
const rank = (c: string): number => (V2_ORDER.includes(c) ? V2_ORDER.indexOf(c) : V2_ORDER.length)
const byKernelOrder = (a: string, b: string): number => rank(a) - rank(b) || a.localeCompare(b)

/** The dirs a container uses (one per hierarchy), for freeze, listPids and removeCgroup. */
export function cgroupDirs(
  layout: CgroupLayout, cgroupsPath: string | undefined, id: string, rootless: boolean, systemd: boolean, selfCgroup?: string,
): string[] {
  if (rootless && layout.version !== 'v2') return []
  return hierarchies(layout, cgroupsPath, id, rootless, systemd, selfCgroup).map(h => h.dir)
}

function hierarchies(
  layout: CgroupLayout, cgroupsPath: string | undefined, id: string, rootless: boolean, systemd: boolean, selfCgroup?: string,
): Hierarchy[] {
  const path = normalizeCgroupsPath(cgroupsPath, id, rootless, systemd)
  return resolveHierarchies(layout, path, () => selfCgroup ?? readHostFile('/proc/self/cgroup') ?? '')
}

/** Which levels of a container's dir exist already: `anchor` is the deepest existing ancestor. */
interface Survey { anchor: string; fresh: string[] }

function survey(h: Hierarchy, read: (file: string) => string | undefined): Survey {
  const fresh: string[] = []
  let d = h.dir
  // Every cgroup dir, v1 or v2, has cgroup.procs.
  while (d !== h.mount && read(`${d}/cgroup.procs`) === undefined) {
    fresh.unshift(d)
    d = posix.dirname(d)
  }
  return { anchor: d === h.dir ? posix.dirname(d) : d, fresh }
}

/**
 * Turns linux.resources and linux.cgroupsPath into dirs, file writes and cgroup.procs files.
 * Reads the host (or opts.readFile) but changes nothing. Throws INVALID_ARGUMENT for bad values.
 */
export function planCgroup(opts: PlanOptions): CgroupPlan {
  const { layout, rootless } = opts
  const r = opts.resources ?? {}
  const read = opts.readFile ?? readHostFile
  const canWrite = opts.canWrite ?? canWriteDir
  validateResources(r, layout.version)
  const plan: CgroupPlan = { dirs: [], writes: [], procs: [], warnings: [], unavailable: [] }
  const asked = requestedLimits(r)
  const dropAll = (why: string): CgroupPlan => {
    if (asked.length) plan.unavailable.push({ limits: asked, why })
    return plan
  }
  if (rootless && layout.version !== 'v2') return dropAll('cgroup v1 cannot be delegated to an unprivileged user')
  const hs = hierarchies(layout, opts.cgroupsPath, opts.id, rootless, opts.systemd, opts.selfCgroup)
  if (hs.length === 0) return dropAll('no cgroup hierarchy is mounted')
  const surveys = new Map(hs.map(h => [h, survey(h, read)]))
  const v2 = hs.find(h => h.kind === 'v2')
  if (rootless) {
    const { anchor } = surveys.get(v2!)!
    if (!canWrite(anchor)) return dropAll(`cgroup v2: ${anchor} is not writable by this user (no delegation)`)
  }
  const ignore = (rule: ResourceRule, why: string): void => void plan.warnings.push(`linux.resources.${rule.field} is ignored: ${why}`)
  const cannot = (rule: ResourceRule, why: string): void => {
    const same = plan.unavailable.find(u => u.why === why)
    if (same) same.limits.push(rule.field)
    else plan.unavailable.push({ limits: [rule.field], why })
  }

  // Each field goes to the v1 hierarchy of its controller if there is one, else to cgroup v2:
  // on hybrid hosts a controller lives in one or the other (here hugetlb is v2 only).
  const chosen: { rule: ResourceRule; h: Hierarchy }[] = []
  for (const rule of RULES) {
    if (rule.get(r) === undefined) continue
    const v1 = rule.v1 && hs.find(h => h.kind === 'v1' && h.controllers.includes(rule.v1!.ctrl))
    if (v1) chosen.push({ rule, h: v1 })
    // v2 device rules are a program, not file writes; attaching one takes CAP_SYS_ADMIN, which a
    // rootless user lacks (and needs no rules: it cannot open the host's devices anyway)
    else if (rule.field === 'devices' && v2 && !rootless) plan.deviceFilter = { dir: v2.dir, program: compileDeviceFilter(r.devices!) }
    else if (rule.field === 'devices' && v2) continue
    else if (rule.v2 && v2) chosen.push({ rule, h: v2 })
    else if (rule.v1 && layout.version !== 'v2') cannot(rule, `the ${rule.v1.ctrl} controller is not mounted`)
    else if (rule.missing) ignore(rule, rule.missing)
    else if (v2) ignore(rule, 'it has no cgroup v2 equivalent')
    else cannot(rule, 'it needs cgroup v2')
  }

  let lost = new Map<string, string>()
  if (v2) {
    const wanted = new Set(chosen.flatMap(({ rule, h }) => (h !== v2 ? [] : rule.v2!.ctrl ? [rule.v2!.ctrl] : unifiedControllers(r))))
    const writable = rootless ? canWrite : () => true
    lost = enableControllers(v2, surveys.get(v2)!, [...wanted].sort(byKernelOrder), read, writable, plan)
  }
  copyCpusetDown(hs, surveys, read, plan)

  for (const { rule, h } of chosen) {
    const side = h.kind === 'v1' ? rule.v1! : rule.v2!
    if (h.kind === 'v2' && lost.has(side.ctrl)) {
      cannot(rule, `the ${side.ctrl} controller is not available below ${lost.get(side.ctrl)} (cgroup v2)`)
      continue
    }
    const anchor = surveys.get(h)!.anchor
    const out = side.files(rule.get(r), r, f => read(`${anchor}/${f}`) !== undefined)
    if (typeof out === 'string') cannot(rule, out)
    else for (const [f, v] of out) plan.writes.push([`${h.dir}/${f}`, v])
  }
  for (const h of hs) {
    plan.dirs.push(h.dir)
    plan.procs.push(`${h.dir}/cgroup.procs`)
  }
  return plan
}

/**
 * Plans "+ctrl" writes into cgroup.subtree_control from the hierarchy root down to the
 * container's parent, for the wanted controllers each level offers in cgroup.controllers (a
 * new level offers what its parent enabled). Returns the controllers that cannot reach the
 * container, each with the dir where it stops.
 */
function enableControllers(
  h: Hierarchy, s: Survey, wanted: string[], read: (file: string) => string | undefined,
  writable: (dir: string) => boolean, plan: CgroupPlan,
): Map<string, string> {
  const lost = new Map<string, string>()
  let reach = wanted
  const levels = [h.mount]
  for (const part of posix.relative(h.mount, posix.dirname(h.dir)).split('/').filter(Boolean)) {
    levels.push(posix.join(levels.at(-1)!, part))
  }
  for (const level of levels) {
    const isNew = s.fresh.includes(level)
    const offered = isNew ? reach : words(read(`${level}/cgroup.controllers`))
    const on = isNew ? [] : words(read(`${level}/cgroup.subtree_control`))
    const gone = reach.filter(c => !offered.includes(c) || (!on.includes(c) && !isNew && !writable(level)))
    for (const c of gone) lost.set(c, level)
    reach = reach.filter(c => !gone.includes(c))
    const add = reach.filter(c => !on.includes(c))
    if (add.length) plan.writes.push([`${level}/cgroup.subtree_control`, add.map(c => `+${c}`).join(' ')])
  }
  return lost
}

/**
 * A new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and joining it fails
 * with ENOSPC until both are set, so each new level gets its parent's values (as runc does).
 */
function copyCpusetDown(hs: Hierarchy[], surveys: Map<Hierarchy, Survey>, read: (file: string) => string | undefined, plan: CgroupPlan): void {
  const h = hs.find(x => x.kind === 'v1' && x.controllers.includes('cpuset'))
  if (!h) return
  const { anchor, fresh } = surveys.get(h)!
  if (fresh.length === 0) return
  const inherited = (name: string): string | undefined => {
    for (let d = anchor; ; d = posix.dirname(d)) {
      const value = read(`${d}/${name}`)?.trim()
      if (value || d === h.mount) return value || undefined
    }
  }
  const cpus = inherited('cpuset.cpus')
  const mems = inherited('cpuset.mems')
  if (cpus === undefined || mems === undefined) return
  for (const level of fresh) plan.writes.push([`${level}/cpuset.cpus`, cpus], [`${level}/cpuset.mems`, mems])
}
