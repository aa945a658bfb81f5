/**
 * config.json → the helper's plan. Every decision about how a container is
 * set up is made here, as data, so it can be unit-tested without a kernel;
 * the helper only executes the ops in the order given. The order follows the
 * runtime spec's lifecycle and runc's: namespaces, ids, mounts, devices,
 * hooks, pivot_root, masks, then the process (limits, identity, seccomp).
 */
import path from 'node:path'
import { CockerError } from '../errors.js'
import { intoStack } from '../rootless/container-userns.js'
import { idmapOps } from '../rootless/idmap.js'
import { CAPABILITIES, MS, RLIMITS } from './linux.js'
import { parseMountOptions, rootPropagation } from './mount-options.js'
import type { Op } from './protocol.js'
import type { Capabilities, DeviceCgroup, Hook, IdMapping, Mount, NamespaceType, Process, Resources, Spec } from './oci-spec.js'

export interface PlanContext {
  /** Absolute bundle directory: root.path is relative to it. */
  bundle: string
  /** The caller is not root in the initial user namespace. */
  rootless: boolean
  hostUid: number
  hostGid: number
  /** create: the init waits at the exec fifo; wait: foreground; detach: leave it running; monitor: stay its parent (monitor.ts). */
  mode: 'create' | 'wait' | 'detach' | 'monitor'
  /** mode monitor: its ops (monitorOps), right after the mode. */
  monitorOps?: Op[]
  fifo?: string
  consoleSocket?: string
  noPivot?: boolean
  preserveFds?: number
  /** cgroup.procs files the init is moved into before it runs. */
  cgroupProcs?: string[]
  /** cgroup v2 device rules as an eBPF program, for the helper to attach to the container's cgroup. */
  deviceFilter?: { dir: string; program: Buffer }
  /** The compiled seccomp program and its SECCOMP_FILTER_FLAG bits. */
  seccomp?: { program: Buffer; flags: number }
  /** For a "cgroup" mount on v1: each hierarchy's mount point → the host dir the container sees there (v1Views); empty on v2. */
  cgroupV1?: Record<string, string>
  /** Whether stage 1 must stop for TS's hooks (prestart, createRuntime) and to learn the state. */
  hooks?: boolean
  /**
   * cocker's own containers: the image's layers, mounted as an overlay on root.path inside the
   * container's mount namespace (so it needs no unmount and no privilege outside it). `data`
   * holds lowerdirs relative to `cwd`, the layer store, to keep the mount data short.
   * With `program` (fuse-overlayfs), that program mounts it instead of the kernel's overlay.
   * With `lower`, that program first serves the layers read-only on `lower.dir` (its ids
   * remapped: lib/container/files.ts lowersForShift), and `data`'s one lowerdir is that view.
   */
  rootfsOverlay?: { data: string; cwd: string; program?: string; lower?: { program: string; dir: string; options: string } }
  /**
   * cocker's containers: the store's root. As root, a container with a user namespace of its
   * own has a root the host gives nothing: it cannot pass the store (0700), nor read the
   * trusted.* xattrs of root's layers from an overlay mounted in its namespace. So the helper
   * mounts the overlay before the clone, with root's rights, and hides the store behind a
   * tmpfs where only the rootfs and the bind sources under the store come back (host-overlay,
   * host-expose).
   */
  storeRoot?: string
  /**
   * Rootless: the user's own namespace (host ids). A container whose maps leave the user out
   * could not reach the user's store either: the helper then clones a process into this
   * namespace, which mounts as root does above and clones the init into a user namespace
   * nested in it (nest-uid-map, nest-gid-map), as podman's runtime nests it.
   */
  callerNamespace?: { uid: IdMapping[]; gid: IdMapping[] }
  /**
   * Rootless keep-id: the container's own files that stage 1, root of its new user namespace
   * (where both the user and the container's root are mapped), gives to that root first.
   */
  rootOwns?: string[]
}

export type IdmapMethod = 'none' | 'direct' | 'external'

export interface Plan {
  ops: Op[]
  /** How the user namespace's ids get mapped: by the helper, or by newuidmap/newgidmap (which the helper runs). */
  idmap: IdmapMethod
  warnings: string[]
}

const NS_NAMES: Record<NamespaceType, string> = {
  user: 'user', mount: 'mnt', pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', time: 'time',
}

/** setns order: the user namespace first (it grants the rights to join the rest), mount last. */
const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount']

const DEFAULT_DEVICES = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
]

// crun's set, which Podman users see: /dev/core even where the kernel has no /proc/kcore (runc only where it has)
const DEV_SYMLINKS: [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['/proc/kcore', '/dev/core'],
]

const DEVICE_TYPE_BITS: Record<string, number> = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 }

export function capabilityMask(names: readonly string[] | undefined, field: string): bigint {
  let mask = 0n
  for (const name of names ?? []) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name)
    if (bit < 0) {
      throw new CockerError('CONFIG_INVALID', `config.json: /process/capabilities/${field}: unknown capability "${name}"`,
        { hint: `known capabilities are ${CAPABILITIES[0]} … ${CAPABILITIES[CAPABILITIES.length - 1]}` })
    }
    mask |= 1n << BigInt(bit)
  }
  return mask
}

const hex = (mask: bigint) => mask.toString(16)

function findMapping(maps: IdMapping[] | undefined, containerId: number): number | undefined {
  const m = maps?.find(m => containerId >= m.containerID && containerId < m.containerID + m.size)
  return m ? m.hostID + containerId - m.containerID : undefined
}

/** How ids get mapped: root and a rootless single self-mapping write the maps directly; the rest need newuidmap. */
export function idmapMethod(spec: Spec, ctx: Pick<PlanContext, 'rootless' | 'hostUid' | 'hostGid'>): IdmapMethod {
  const user = spec.linux?.namespaces?.find(ns => ns.type === 'user')
  if (!user || user.path) return 'none'
  if (!ctx.rootless) return 'direct'
  const uids = spec.linux?.uidMappings ?? []
  const gids = spec.linux?.gidMappings ?? []
  const selfOnly = (maps: IdMapping[], id: number) => maps.length === 1 && maps[0].size === 1 && maps[0].hostID === id &&
    maps[0].containerID === 0
  return selfOnly(uids, ctx.hostUid) && selfOnly(gids, ctx.hostGid) ? 'direct' : 'external'
}

function namespaceOps(spec: Spec, ctx: PlanContext, idmap: IdmapMethod): Op[] {
  const namespaces = spec.linux?.namespaces ?? []
  const ops: Op[] = []
  for (const type of JOIN_ORDER) {
    const ns = namespaces.find(n => n.type === type && n.path)
    if (ns?.path) ops.push(['ns-join', NS_NAMES[type], ns.path])
  }
  const fresh = namespaces.filter(n => !n.path).map(n => n.type)
  if (fresh.length) ops.push(['ns-new', fresh.map(t => NS_NAMES[t]).join(',')])
  const offsets = Object.entries(spec.linux?.timeOffsets ?? {})
  if (fresh.includes('time') && offsets.length) {
    // the helper writes them before any process enters the namespace, which needs CAP_SYS_TIME where it runs
    if (ctx.rootless) {
      throw new CockerError('NOT_SUPPORTED', 'config.json: /linux/timeOffsets: a rootless container cannot set time offsets',
        { hint: 'drop timeOffsets (a new time namespace without offsets works rootless), or run as root' })
    }
    ops.push(['time-offsets', offsets.map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`).join('')])
  }
  const nest = nestedMaps(spec, ctx)
  if (nest) {
    ops.push(...idmapOps(ctx.callerNamespace!.uid, ctx.callerNamespace!.gid, { external: true, denySetgroups: false }))
    ops.push(...nest.uid.map((m): Op => ['nest-uid-map', m.containerID, m.hostID, m.size]),
      ...nest.gid.map((m): Op => ['nest-gid-map', m.containerID, m.hostID, m.size]))
  }
  else if (idmap !== 'none') {
    ops.push(...idmapOps(spec.linux?.uidMappings ?? [], spec.linux?.gidMappings ?? [], { external: idmap === 'external', denySetgroups: ctx.rootless }))
  }
  return ops
}

/** Rootless maps that leave the user out, as ids of the user's namespace (PlanContext.callerNamespace), or undefined. */
function nestedMaps(spec: Spec, ctx: PlanContext): { uid: IdMapping[]; gid: IdMapping[] } | undefined {
  const user = spec.linux?.namespaces?.find(ns => ns.type === 'user')
  const caller = ctx.callerNamespace
  if (!ctx.rootless || !caller || !ctx.storeRoot || !user || user.path) return undefined
  const uids = spec.linux?.uidMappings ?? []
  const gids = spec.linux?.gidMappings ?? []
  if (findMapping(uids, 0) === undefined) return undefined
  const maps = (list: IdMapping[], id: number) => list.some(m => id >= m.hostID && id < m.hostID + m.size)
  if (maps(uids, ctx.hostUid) && maps(gids, ctx.hostGid)) return undefined
  return { uid: intoStack(uids, caller.uid), gid: intoStack(gids, caller.gid) }
}

function cgroupMountOps(m: Mount, ctx: PlanContext, readonly: boolean): Op[] {
  const base = MS.NOSUID | MS.NODEV | MS.NOEXEC
  const v1 = Object.entries(ctx.cgroupV1 ?? {})
  if (v1.length) {
    // v1, as runc and crun lay it out: a tmpfs holding a bind of the container's own cgroup
    // per hierarchy, so that it sees its own limits and not the host's tree; rootless cannot
    // write the host's cgroups, so it gets them read-only whatever was asked
    const ro = readonly || ctx.rootless ? MS.RDONLY : 0
    const binds = v1.map(([mount, dir]): Op =>
      ['mount', dir, path.posix.join(m.destination, path.basename(mount)), '', MS.BIND | base | ro, 0, ''])
    return [['mount', 'tmpfs', m.destination, 'tmpfs', base, 0, 'mode=755'], ...binds]
  }
  // rootless cannot mount cgroupfs for controllers it does not own: show the host's tree read-only
  if (ctx.rootless) return [['mount', '/sys/fs/cgroup', m.destination, '', MS.BIND | MS.REC | MS.RDONLY | base, 0, '']]
  return [['mount', 'cgroup2', m.destination, 'cgroup2', base | (readonly ? MS.RDONLY : 0), 0, '']]
}

function mountOps(spec: Spec, ctx: PlanContext): Op[] {
  const ops: Op[] = []
  for (const m of spec.mounts ?? []) {
    const args = parseMountOptions(m.type, m.options)
    if (m.type === 'cgroup') {
      ops.push(...cgroupMountOps(m, ctx, (args.flags & MS.RDONLY) !== 0))
      continue
    }
    let source = m.source ?? m.type ?? 'none'
    if (args.bind && !path.isAbsolute(source)) source = path.resolve(ctx.bundle, source)
    ops.push(['mount', source, m.destination, args.bind ? '' : (m.type ?? ''), args.flags, args.propagation, args.data])
  }
  return ops
}

/**
 * host-overlay (with `overlay`) and host-expose (PlanContext.storeRoot says why): what the
 * store keeps for the container is the rootfs, the bind sources in the store and `more`.
 */
export function hostMountOps(spec: Spec, o: { bundle: string; rootfs: string; storeRoot: string; overlay?: { data: string; cwd: string }; more?: string[] }): Op[] {
  const inStore = (p: string) => p.startsWith(`${o.storeRoot}/`)
  const sources = (spec.mounts ?? []).filter(m => m.source && parseMountOptions(m.type, m.options).bind)
    .map(m => path.resolve(o.bundle, m.source!))
  const exposed = [...new Set([o.rootfs, ...sources, ...(o.more ?? [])])].filter(inStore)
  return [...(o.overlay ? [['host-overlay', o.rootfs, o.overlay.data, o.overlay.cwd] as Op] : []), ['host-expose', o.storeRoot, exposed]]
}

/**
 * A container without a mount namespace shares the host's mount table, where whatever it
 * mounted would outlive it. Its root is then a detached copy of the rootfs (tree-rootfs), which
 * its mounts go on and the kernel dissolves with its last process; the init chroots into it
 * (enter-root). Making one takes mount rights in the host's namespace: with a user namespace of
 * its own the container gets the rootfs as a plain directory (dir-rootfs), and each thing that
 * would need a mount is refused, naming it.
 */
function sharedRootOp(spec: Spec, ctx: PlanContext, rootfs: string, propagation: number, userns: boolean): Op {
  const refuse = (field: string, what: string, why: string): never => {
    throw new CockerError('NOT_SUPPORTED', `config.json: ${field}: ${what} ${why}`, { hint: 'add {"type": "mount"} to linux.namespaces' })
  }
  const noNs = 'without a mount namespace of its own'
  if (ctx.rootfsOverlay) refuse('/linux/namespaces', 'the image\'s layers', `cannot be mounted ${noNs}`)
  if (propagation & MS.SHARED) {
    refuse('/linux/rootfsPropagation', `"${spec.linux?.rootfsPropagation}"`, `${noNs} would pass the container's mounts on to the host`)
  }
  if (!userns) return ['tree-rootfs', rootfs, propagation & MS.PRIVATE ? propagation : MS.SLAVE | MS.REC]
  const cannot = `needs a mount, which a container with a user namespace but ${noNs} cannot make`
  const linux = spec.linux ?? {}
  spec.mounts?.forEach((m, i) => refuse(`/mounts/${i}`, `"${m.destination}"`, cannot))
  if (linux.devices?.length) refuse('/linux/devices', `"${linux.devices[0].path}"`, cannot)
  if (linux.maskedPaths?.length) refuse('/linux/maskedPaths', `"${linux.maskedPaths[0]}"`, cannot)
  if (linux.readonlyPaths?.length) refuse('/linux/readonlyPaths', `"${linux.readonlyPaths[0]}"`, cannot)
  if (spec.root?.readonly) refuse('/root/readonly', 'a read-only root', cannot)
  return ['dir-rootfs', rootfs]
}

/** Whether the config mounts its own /dev (a tmpfs): then the runtime fills it with the default devices. */
function ownsDev(spec: Spec): boolean {
  const dev = (spec.mounts ?? []).find(m => m.destination === '/dev')
  return dev !== undefined && !parseMountOptions(dev.type, dev.options).bind
}

function deviceOps(spec: Spec, inUserns: boolean): Op[] {
  const ops: Op[] = []
  const devices = [...(ownsDev(spec) ? DEFAULT_DEVICES.map(d => ({ ...d, type: 'c' as const, fileMode: 0o666, uid: 0, gid: 0 })) : []),
    ...(spec.linux?.devices ?? [])]
  const seen = new Set<string>()
  for (const d of devices.reverse()) {
    // a device listed in the config overrides the default of the same path
    if (seen.has(d.path)) continue
    seen.add(d.path)
    if (inUserns) {
      // mknod is not allowed in a user namespace: bind the host's node instead (runc does the
      // same), nosuid and noexec as the /dev tmpfs it replaces a node of (crun does the same)
      ops.unshift(['mount', d.path, d.path, '', MS.BIND | MS.NOSUID | MS.NOEXEC, 0, ''])
    } else {
      const mode = (DEVICE_TYPE_BITS[d.type] ?? 0) | ((d.fileMode ?? 0o666) & 0o7777)
      ops.unshift(['mknod', d.path, mode, d.major ?? 0, d.minor ?? 0, d.uid ?? 0, d.gid ?? 0])
    }
  }
  if (ownsDev(spec)) {
    for (const [target, link] of DEV_SYMLINKS) ops.push(['symlink', target, link])
    if ((spec.mounts ?? []).some(m => m.destination === '/dev/pts')) ops.push(['symlink', 'pts/ptmx', '/dev/ptmx'])
  }
  return ops
}

/**
 * The device cgroup rules to apply: the config's, then allow rules for the
 * devices every container gets and for linux.devices. A config saying only
 * "deny all" (as `runc spec` does) would otherwise forbid /dev/null itself;
 * runc and crun append the same defaults.
 */
export function withDeviceRules(spec: Spec): Resources | undefined {
  const resources = spec.linux?.resources
  if (!resources?.devices) return resources
  const allow = (type: string, major: number | undefined, minor: number | undefined, access = 'rwm'): DeviceCgroup =>
    ({ allow: true, type, major, minor, access })
  const defaults: DeviceCgroup[] = [
    allow('c', undefined, undefined, 'm'), allow('b', undefined, undefined, 'm'),
    ...DEFAULT_DEVICES.map(d => allow('c', d.major, d.minor)),
    allow('c', 5, 1), allow('c', 5, 2), allow('c', 136, undefined), allow('c', 10, 200),
    ...(spec.linux?.devices ?? []).filter(d => d.type !== 'p').map(d => allow(d.type === 'u' ? 'c' : d.type, d.major, d.minor)),
  ]
  return { ...resources, devices: [...resources.devices, ...defaults] }
}

function hookOps(spec: Spec): Op[] {
  const ops: Op[] = []
  const add = (stage: string, hooks: Hook[] | undefined) => {
    for (const h of hooks ?? []) ops.push(['hook', stage, h.path, h.timeout ?? 0, h.args ?? [], h.env ?? []])
  }
  add('createContainer', spec.hooks?.createContainer)
  add('startContainer', spec.hooks?.startContainer)
  return ops
}

function rlimitOps(proc: Process): Op[] {
  return (proc.rlimits ?? []).map(r => {
    const resource = RLIMITS[r.type]
    if (resource === undefined) {
      throw new CockerError('CONFIG_INVALID', `config.json: /process/rlimits: unknown rlimit type "${r.type}"`)
    }
    return ['rlimit', resource, BigInt(r.soft), BigInt(r.hard)] as Op
  })
}

/**
 * The identity switch, in the order the kernel needs: keep capabilities
 * across the uid change, shrink the bounding set while CAP_SETPCAP is still
 * held, change groups and ids, then set the final sets and ambient caps.
 */
function identityOps(proc: Process, caps: Capabilities, canSetgroups: boolean, keepGroups: boolean, warnings: string[]): Op[] {
  const ops: Op[] = [['keep-caps'], ['bounding', hex(capabilityMask(caps.bounding, 'bounding'))]]
  const groups = proc.user.additionalGids ?? []
  if (canSetgroups && !keepGroups) ops.push(['groups', groups.map(String)])
  else if (groups.length) warnings.push('additionalGids are ignored: setgroups is denied in a rootless user namespace with a single-id map')
  ops.push(['setid', proc.user.uid, proc.user.gid])
  ops.push(['capset', hex(capabilityMask(caps.effective, 'effective')), hex(capabilityMask(caps.permitted, 'permitted')),
    hex(capabilityMask(caps.inheritable, 'inheritable'))])
  // the kernel raises an ambient capability only if it is permitted and inheritable; runc's own
  // `spec` lists ambient caps without inheritable ones, so the rest are skipped quietly, as runc does
  const ambient = capabilityMask(caps.ambient, 'ambient') & capabilityMask(caps.permitted, 'permitted') &
    capabilityMask(caps.inheritable, 'inheritable')
  if (ambient) ops.push(['ambient', hex(ambient)])
  return ops
}

/** Compiles a validated config.json into the helper's plan. */
export function compilePlan(spec: Spec, ctx: PlanContext): Plan {
  const proc = spec.process
  if (!proc?.args?.length) {
    throw new CockerError('CONFIG_INVALID', 'config.json: /process/args: the container has no command to run')
  }
  const warnings: string[] = []
  const linux = spec.linux ?? {}
  if (proc.apparmorProfile) warnings.push(`process.apparmorProfile "${proc.apparmorProfile}" is ignored: cocker does not apply AppArmor profiles`)
  if (proc.selinuxLabel) warnings.push('process.selinuxLabel is ignored: cocker does not apply SELinux labels')
  const namespaces = linux.namespaces ?? []
  const has = (t: NamespaceType) => namespaces.some(n => n.type === t)
  const fresh = (t: NamespaceType) => namespaces.some(n => n.type === t && !n.path)
  // root inside someone's user namespace (rootless podman runs its runtime so) may go without one
  if (ctx.rootless && ctx.hostUid !== 0 && !has('user')) {
    throw new CockerError('CONFIG_INVALID', 'config.json: /linux/namespaces: a rootless container needs a user namespace',
      { hint: 'generate a rootless config with "cocker-runtime spec --rootless"' })
  }
  const idmap = idmapMethod(spec, ctx)
  for (const [field, maps] of [['uidMappings', linux.uidMappings], ['gidMappings', linux.gidMappings]] as const) {
    if (fresh('user') && findMapping(maps, 0) === undefined) {
      throw new CockerError('CONFIG_INVALID', `config.json: /linux/${field}: a new user namespace needs a mapping for id 0`,
        { hint: `add {"containerID": 0, "hostID": <your ${field === 'uidMappings' ? 'uid' : 'gid'}>, "size": 1}` })
    }
  }
  const rootfs = path.resolve(ctx.bundle, spec.root?.path ?? 'rootfs')
  const ops: Op[] = [['mode', ctx.mode === 'create' ? 'detach' : ctx.mode], ...(ctx.monitorOps ?? [])]
  if (ctx.preserveFds) ops.push(['preserve-fds', ctx.preserveFds])
  ops.push(...namespaceOps(spec, ctx, idmap))
  for (const procs of ctx.cgroupProcs ?? []) ops.push(['cgroup-join', procs])
  if (ctx.deviceFilter) ops.push(['device-filter', ctx.deviceFilter.dir, ctx.deviceFilter.program.toString('hex')])
  if (ctx.mode === 'create') {
    if (!ctx.fifo) throw new Error('create mode needs the exec fifo path')
    ops.push(['fifo', ctx.fifo])
  }
  if (proc.terminal) {
    if (ctx.consoleSocket) ops.push(['console-socket', ctx.consoleSocket])
    else if (ctx.mode === 'wait' || ctx.mode === 'monitor') ops.push(['console-relay'])
    else {
      throw new CockerError('INVALID_ARGUMENT', 'process.terminal is true but no --console-socket was given to receive the terminal',
        { hint: 'pass --console-socket, or set "terminal": false in config.json' })
    }
  }

  const overlay = ctx.rootfsOverlay
  const fromHost = (!ctx.rootless || nestedMaps(spec, ctx) !== undefined) && fresh('user') && ctx.storeRoot !== undefined && !overlay?.program && !overlay?.lower
  if (fromHost) ops.push(...hostMountOps(spec, { bundle: ctx.bundle, rootfs, storeRoot: ctx.storeRoot!, overlay }))

  // stage 1: in the new namespaces, as root of the new user namespace
  if (fresh('user')) ops.push(['setid', 0, 0], ...(ctx.rootOwns ?? []).map((p): Op => ['chown', p, 0, 0]))
  if (spec.hostname !== undefined && fresh('uts')) ops.push(['hostname', spec.hostname])
  if (spec.domainname !== undefined && fresh('uts')) ops.push(['domainname', spec.domainname])
  // pivot_root refuses a shared parent and a bind inside an unbindable mount fails: until the
  // pivot "/" is a slave (or private, if asked), and it gets the requested propagation after
  const propagation = rootPropagation(linux.rootfsPropagation)
  const beforePivot = propagation & MS.PRIVATE ? propagation : MS.SLAVE | MS.REC
  const sharedMounts = !has('mount')
  if (sharedMounts) ops.push(sharedRootOp(spec, ctx, rootfs, propagation, has('user')))
  else ops.push(['propagation', '/', beforePivot])
  // fuse-dev: stage 0 opens /dev/fuse, which the container's device rules would refuse the
  // init; in a new user namespace the init opens it (the kernel wants it opened there, and
  // a rootless container has no device rules)
  const fuse = overlay?.program ?? overlay?.lower?.program
  if (fuse && !fresh('user')) ops.push(['fuse-dev'])
  if (overlay?.program) ops.push(['fuse-overlay', overlay.program, rootfs, overlay.data, overlay.cwd])
  else if (overlay && !fromHost) {
    if (overlay.lower) ops.push(['fuse-overlay', overlay.lower.program, overlay.lower.dir, overlay.lower.options, overlay.cwd])
    ops.push(['overlay', rootfs, overlay.data, overlay.cwd])
  }
  if (!sharedMounts) ops.push(['rootfs', rootfs])
  ops.push(...mountOps(spec, ctx))
  ops.push(...deviceOps(spec, has('user') || ctx.rootless))
  if (proc.oomScoreAdj !== undefined) ops.push(['write', '/proc/self/oom_score_adj', proc.oomScoreAdj])
  ops.push(...hookOps(spec))
  if (ctx.hooks) ops.push(['hooks-sync', 'createRuntime'])
  if (spec.hooks?.createContainer?.length) ops.push(['run-hooks', 'createContainer'])
  if (sharedMounts) ops.push(['enter-root', ''])
  else {
    ops.push(ctx.noPivot ? ['chroot'] : ['pivot-root'])
    if (propagation !== beforePivot) ops.push(['propagation', '/', propagation])
  }

  // after pivot_root: paths are the container's
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    if (key.includes('/') || key.includes('..')) {
      throw new CockerError('CONFIG_INVALID', `config.json: /linux/sysctl: "${key}" is not a sysctl name`)
    }
    ops.push(['write', `/proc/sys/${key.replaceAll('.', '/')}`, value])
  }
  for (const p of linux.maskedPaths ?? []) ops.push(['mask', p])
  for (const p of linux.readonlyPaths ?? []) ops.push(['readonly', p])
  if (spec.root?.readonly) ops.push(['remount-ro', '/'])
  if (proc.terminal) ops.push(['console', proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0])
  // crun's annotation (podman's --group-add keep-groups): the process keeps the groups it was started with
  const keepGroups = spec.annotations?.['run.oci.keep_original_groups'] === '1'
  ops.push(...processOps(proc, { ...ctx, keepGroups }, idmap, warnings, linux.personality?.domain))
  return { ops, idmap, warnings }
}

/** The part shared with exec: limits, cwd, environment, identity, seccomp, exec. */
export function processOps(proc: Process, ctx: Pick<PlanContext, 'mode' | 'seccomp' | 'rootless'> & { keepGroups?: boolean }, idmap: IdmapMethod,
  warnings: string[], personality?: string): Op[] {
  const ops: Op[] = [...rlimitOps(proc), ['cwd', proc.cwd]]
  for (const e of proc.env ?? []) ops.push(['env', e])
  ops.push(['argv', proc.args ?? []], ['check-exec'])
  if (ctx.mode === 'create') ops.push(['fifo-wait'])
  ops.push(['run-hooks', 'startContainer'])
  const seccomp: Op[] = ctx.seccomp ? [['seccomp', ctx.seccomp.flags, ctx.seccomp.program.toString('hex')]] : []
  // without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it before the capabilities drop (runc's order)
  if (!proc.noNewPrivileges) ops.push(...seccomp)
  ops.push(...identityOps(proc, proc.capabilities ?? {}, !(ctx.rootless && idmap === 'direct'), ctx.keepGroups ?? false, warnings))
  ops.push(['umask', (proc.user.umask ?? 0o022).toString(8)])
  if (personality) ops.push(['personality', personality === 'LINUX32' ? 8 : 0])
  if (proc.noNewPrivileges) ops.push(['no-new-privs'], ...seccomp)
  ops.push(['exec'])
  return ops
}
