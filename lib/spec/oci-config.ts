/**
 * Image config + `run` options → OCI runtime config: podman's specgen, for what cocker runs.
 * Pure: everything it needs from the image's files or the host comes in through the input, and
 * the files it wants next to the container (hostname, hosts, resolv.conf, .containerenv) go out as data.
 */
import path from 'node:path'
import { CockerError } from '../errors.js'
import { CAPABILITIES, signalNumber } from '../runtime/linux.js'
import type { Device, IdMapping, Mount, Namespace, NamespaceType, Process, Resources, Rlimit, Spec } from '../runtime/oci-spec.js'
import {
  CONTAINER_ENV, INIT_DESTINATION, MASKED_PATHS, privilegedDevice, READ_ONLY_TMPFS, READONLY_PATHS, RLIMIT_DEFAULT, systemMounts,
} from './defaults.js'
import { hostsFile, resolvConf } from './etc-files.js'
import type { HostFacts } from './host.js'
import type { NetworkAddresses } from '../network/index.js'
import { DEFAULT_PATH, hasEnv, mergeEnv, processArgs, type ImageInfo } from './image-config.js'
import { networkNamespace, type MountRequest, type NamespaceMode, type RunOptions } from './run-options.js'
import { defaultSeccompProfile } from './seccomp-default.js'
import { groupId, resolveUser, type ResolvedUser } from './user.js'
import { SYSTEMD_STOP_SIGNAL, systemdMode, systemdSetup, type SystemdSetup } from './systemd-mode.js'
import type { ContainerUserns } from '../rootless/container-userns.js'

export interface ContainerConfigInput {
  image: ImageInfo
  /** The image as the user named it, for messages. */
  imageName?: string
  /** The image's full name (or the user's, when it has none) and id, as /run/.containerenv gives them. */
  imageRef?: { name: string; id: string }
  /** cocker's version, for /run/.containerenv's "engine". */
  engineVersion?: string
  /** With --init: the host's init binary (host.ts initBinary), bound at INIT_DESTINATION. */
  init?: string
  options: RunOptions
  /** Absolute path of the container's root filesystem (mounted by the caller). */
  rootfs: string
  /** The caller's user namespace maps when rootless (0 → own uid, 1… → subordinate ids). */
  rootless?: { uidMappings: IdMapping[]; gidMappings: IdMapping[] }
  /** The container's user namespace (--userns, --uidmap), in host ids; when absent, `rootless`'s maps if any. */
  userns?: ContainerUserns
  /** A file of the image by its path in the rootfs, or undefined if absent (for /etc/passwd, /etc/group). */
  readFile(pathInRootfs: string): string | undefined
  containerId: string
  /** The container's name (given or generated). */
  name?: string
  /** Default hostname; podman's is the first 12 characters of the id. */
  hostname?: string
  /** Where the caller writes `files`: they are bind-mounted from there. */
  userdataDir: string
  host: HostFacts
  /** The addresses the container's network gives /etc/hosts and resolv.conf (lib/network networkAddresses). */
  network?: NetworkAddresses
  /** Which cgroup hierarchy the host runs; on v2 the container gets its own cgroup namespace, as with podman. */
  cgroupVersion?: 'v1' | 'v2'
  /** On a bridge network: its resolvers (aardvark-dns on its gateways), none when its DNS is off. */
  bridgeDns?: string[]
  /** node's process.arch names, for the seccomp profile. */
  arch?: string
}

export interface ContainerConfig {
  spec: Spec
  /** To write before the container starts: absolute path in userdataDir → contents. */
  files: { path: string; content: string }[]
  /** To write into the container's own layer before its first start: path in the container (systemd-mode.ts). */
  layerFiles: { path: string; content: string; mode: number }[]
  warnings: string[]
}

const SIGTERM = 15
const PERIOD_US = 100_000
const MIN_MEMORY = 6 * 1024 * 1024 // podman's minimum: smaller limits kill the runtime before the command starts

/**
 * The runtime config for one container. The image's Volumes (podman makes anonymous volumes of
 * them) and ExposedPorts are not applied yet: cocker has neither volumes nor networking.
 * Throws CockerError INVALID_ARGUMENT for what the user asked that cannot be (no command, an
 * unknown user, a sysctl outside the container's namespaces, too small a memory limit).
 */
export function buildContainerConfig(input: ContainerConfigInput): ContainerConfig {
  const o = input.options
  const image = input.image.config ?? {}
  const warnings: string[] = []
  const rootless = input.rootless !== undefined
  const userns = input.userns ?? input.rootless
  const keepId = input.userns?.keepId
  const readFile = keepId ? withKeepIdEntries(input.readFile, keepId) : input.readFile

  const hostNetwork = o.network.mode === 'host'
  const hostUts = o.uts.mode === 'host'
  const hostname = hostUts ? input.host.hostname
    : o.hostname ?? (hostNetwork ? input.host.hostname : input.hostname ?? input.containerId.slice(0, 12))

  const user = resolveUser(o.user ?? (keepId ? `${keepId.uid}:${keepId.gid}` : image.User ?? ''), readFile)
  const groups = additionalGids(user, o.groupAdd, readFile)
  const bounding = capabilities(o, input.host.capabilities, warnings)
  // containers.conf's env goes over podman's own three, as it does there
  const env = mergeEnv([`PATH=${DEFAULT_PATH}`, 'TERM=xterm', CONTAINER_ENV], o.defaults.env, image.Env, o.env)
  if (!hasEnv(env, 'HOME')) env.push(`HOME=${user.home}`)
  if (!hasEnv(env, 'HOSTNAME')) env.push(`HOSTNAME=${hostname}`)

  const args = processArgs(image, o.entrypoint, o.command, input.imageName)
  const systemd = systemdMode(o.systemd, args)
    ? systemdSetup({ containerId: input.containerId, taken: new Set(o.mounts.map(m => m.destination)), env,
      imageMachineId: readFile('/etc/machine-id'), readOnlyRoot: o.readOnly })
    : undefined
  if (systemd) env.push(...systemd.env)
  const init = initBind(input)
  const proc: Process = {
    terminal: o.tty,
    user: { uid: user.uid, gid: user.gid, umask: o.umask, ...(groups ? { additionalGids: groups } : {}) },
    args: init ? [init.destination, '--', ...args] : args,
    env,
    cwd: path.posix.resolve('/', o.workdir ?? (image.WorkingDir || '/')),
    capabilities: processCapabilities(bounding, user.uid, o.capAdd),
    rlimits: rlimits(o.ulimits, input.host, rootless),
    noNewPrivileges: o.noNewPrivileges,
    ...(o.oomScoreAdj !== undefined ? { oomScoreAdj: o.oomScoreAdj } : {}),
  }

  // Podman's files, bound in from userdata: no resolv.conf without a network (Podman's
  // --network none), and /run/.containerenv, by which toolbox, distrobox and scripts tell
  // that they run in a Podman container
  const userdataFiles: [destination: string, content: string][] = [['/etc/hostname', `${hostname}\n`]]
  // --no-hosts (containers.conf no_hosts) leaves the image's own
  const net = input.network ?? {}
  if (!o.noHosts) {
    userdataFiles.push(['/etc/hosts', hostsFile({ hostname, name: input.name, hostNetwork, hostHosts: input.host.hosts, addHosts: o.addHosts, network: net })])
  }
  // `default` unresolved (create resolves it, lib/network) is loopback only too
  if (o.network.mode !== 'none' && o.network.mode !== 'default') {
    userdataFiles.push(['/etc/resolv.conf', resolvConf(input.host.resolvConf, { hostNetwork, resolver: net.resolver, bridgeResolvers: net.bridgeResolvers, dns: o.dns })])
  }
  userdataFiles.push(['/run/.containerenv', containerEnv(input)])
  if (systemd?.machineId?.bind) userdataFiles.push(['/etc/machine-id', systemd.machineId.content])
  // podman's keep-id entries for a user the image does not know, bound over the image's files
  for (const file of ['/etc/passwd', '/etc/group']) {
    const content = readFile(file)
    if (content !== input.readFile(file)) userdataFiles.push([file, content!])
  }
  const userdata = (destination: string) => path.posix.join(input.userdataDir, path.posix.basename(destination))
  const files = userdataFiles.map(([destination, content]) => ({ path: userdata(destination), content }))

  const spec: Spec = {
    ociVersion: '1.0.2',
    process: proc,
    root: { path: input.rootfs, ...(o.readOnly ? { readonly: true } : {}) },
    ...(hostUts ? {} : { hostname }),
    mounts: mounts(input, [
      ...userdataFiles.map(([destination]) => ({ destination, source: userdata(destination) })),
      ...(init ? [init] : []),
    ], systemd),
    annotations: {
      ...o.annotations, 'org.opencontainers.image.stopSignal': String(stopSignal(o, image.StopSignal, warnings, systemd !== undefined)),
      // crun's name for "leave the caller's supplementary groups", which podman sets for keep-groups
      ...(o.groupAdd.includes('keep-groups') ? { [KEEP_GROUPS]: '1' } : {}),
    },
    linux: {
      // systemd mode: its own cgroup tree also on v1, which the runtime joins before the namespace starts
      namespaces: namespaces(o, userns !== undefined, input.cgroupVersion === 'v2' || systemd !== undefined),
      ...(userns ? { uidMappings: userns.uidMappings, gidMappings: userns.gidMappings } : {}),
      sysctl: sysctls(o),
      ...resources(o, rootless),
      ...(o.privileged ? { devices: privilegedDevices(input) } : maskedAndReadonly(o)),
    },
  }
  if (!o.privileged && o.seccomp.kind !== 'unconfined') {
    spec.linux!.seccomp = o.seccomp.kind === 'profile' ? o.seccomp.profile : defaultSeccompProfile(bounding, input.arch)
  }
  const layerFiles = systemd?.machineId && !systemd.machineId.bind ? [{ path: '/etc/machine-id', content: systemd.machineId.content, mode: 0o444 }] : []
  return { spec, files, layerFiles, warnings }
}

export const KEEP_GROUPS = 'run.oci.keep_original_groups'

/**
 * The image's /etc/passwd and /etc/group with the keep-id user added, as podman adds them,
 * when the image has no entry for its ids.
 */
function withKeepIdEntries(readFile: (p: string) => string | undefined, k: NonNullable<ContainerUserns['keepId']>): (p: string) => string | undefined {
  const has = (text: string | undefined, id: number, field: number) => (text ?? '').split('\n').some(l => l.split(':')[field] === String(id))
  const append = (text: string | undefined, line: string) => `${text ?? ''}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`
  return p => {
    const text = readFile(p)
    if (p === '/etc/passwd' && !has(text, k.uid, 2)) return append(text, `${k.name}:*:${k.uid}:${k.gid}:${k.gecos}:/:/bin/sh`)
    if (p === '/etc/group' && k.groupName && !has(text, k.gid, 2)) return append(text, `${k.groupName}:x:${k.gid}:${k.name}`)
    return text
  }
}

/** The user's groups and --group-add's, by gid; keep-groups leaves them to the runtime (see KEEP_GROUPS). */
function additionalGids(user: ResolvedUser, added: string[], readFile: (p: string) => string | undefined): number[] | undefined {
  const extra = added.filter(g => g !== 'keep-groups').map(g => groupId('--group-add', g, readFile))
  if (!extra.length) return user.additionalGids
  return [...new Set([...(user.additionalGids ?? [user.gid]), ...extra])]
}

/**
 * /run/.containerenv as podman writes it: empty, except with --privileged, where the container
 * may as well know who runs it (toolbox, which always runs privileged, reads the name and image).
 */
function containerEnv(input: ContainerConfigInput): string {
  if (!input.options.privileged) return ''
  const fields: [string, string][] = [
    ['engine', `cocker-${input.engineVersion ?? 'unknown'}`],
    ['name', input.name ?? ''],
    ['id', input.containerId],
    ['image', input.imageRef?.name ?? input.imageName ?? ''],
    ['imageid', input.imageRef?.id ?? ''],
  ]
  return `${fields.map(([key, value]) => `${key}=${JSON.stringify(value)}\n`).join('')}rootless=${input.rootless ? 1 : 0}\n`
}

/** --init: the init, read-only at podman's path; the process becomes [init, "--", args…]. */
function initBind(input: ContainerConfigInput): { destination: string; source: string; readonly: true } | undefined {
  if (!input.options.init) return undefined
  if (!input.init) throw new Error('buildContainerConfig: options.init without the init binary (host.ts initBinary)')
  return { destination: INIT_DESTINATION, source: input.init, readonly: true }
}

/**
 * --privileged: the host's devices, as podman gives them. The runtime creates them with mknod
 * as root, and binds the host's nodes in a user namespace, where mknod is not allowed.
 */
function privilegedDevices(input: ContainerConfigInput): Device[] {
  const rootless = input.rootless !== undefined
  return (input.host.devices ?? []).filter(d => privilegedDevice(d.path, rootless))
}

/**
 * The bounding set: podman's defaults, --cap-add, --cap-drop; everything when privileged. As
 * podman does, only what the host lets the container have (`grantable`); a capability named
 * in --cap-add that is not gets a warning rather than a runtime that cannot start.
 */
function capabilities(o: RunOptions, grantable: readonly string[], warnings: string[]): string[] {
  const all = CAPABILITIES.filter(c => grantable.includes(c))
  for (const c of o.capAdd) {
    if (c !== 'ALL' && !grantable.includes(c)) warnings.push(`--cap-add ${c}: not in the bounding set cocker runs with, so the container runs without it`)
  }
  if (o.privileged || o.capAdd.includes('ALL')) {
    return o.capDrop.includes('ALL') ? [] : all.filter(c => !o.capDrop.includes(c))
  }
  // --cap-drop ALL --cap-add X leaves exactly X
  const base: string[] = o.capDrop.includes('ALL') ? [] : o.defaults.capabilities.filter(c => !o.capDrop.includes(c))
  return all.filter(c => base.includes(c) || o.capAdd.includes(c))
}

/**
 * Root gets the bounding set as its effective and permitted sets. Another user starts with
 * none, as after any setuid to non-root, except those given with --cap-add, which podman raises
 * as ambient capabilities so that they survive the exec.
 */
function processCapabilities(bounding: string[], uid: number, capAdd: string[]): Process['capabilities'] {
  if (uid === 0) return { bounding, effective: bounding, permitted: bounding }
  const added = capAdd.includes('ALL') ? bounding : bounding.filter(c => capAdd.includes(c))
  return { bounding, effective: added, permitted: added, inheritable: added, ambient: added }
}

/**
 * podman raises NOFILE and NPROC to 1048576. Asking for more than the hard limit needs
 * CAP_SYS_RESOURCE, which root lacks on some hosts (and rootless never has), so the default is
 * the caller's hard limit when that is lower. Limits given with --ulimit are passed as asked,
 * unless the runtime could only fail to set them.
 */
function rlimits(ulimits: Rlimit[], host: HostFacts, rootless: boolean): Rlimit[] {
  const { hardLimits } = host
  if (rootless || !host.capabilities.includes('CAP_SYS_RESOURCE')) {
    for (const u of ulimits) {
      const hard = hardLimits[u.type]
      if (hard === undefined || u.hard <= hard) continue
      const name = u.type.slice('RLIMIT_'.length).toLowerCase()
      throw new CockerError('INVALID_ARGUMENT', `--ulimit ${name}=${u.soft}:${u.hard}: the hard limit is above cocker's own, ${hard}, and raising it needs CAP_SYS_RESOURCE`,
        { hint: `use at most ${name}=${Math.min(u.soft, hard)}:${hard}` })
    }
  }
  const out: Rlimit[] = []
  for (const type of ['RLIMIT_NOFILE', 'RLIMIT_NPROC']) {
    const hard = hardLimits[type]
    if (hard === undefined || ulimits.some(u => u.type === type)) continue
    const value = Math.min(hard, RLIMIT_DEFAULT)
    out.push({ type, soft: value, hard: value })
  }
  return [...out, ...ulimits]
}

function stopSignal(o: RunOptions, imageSignal: string | undefined, warnings: string[], systemd: boolean): number {
  if (o.stopSignal) return signalNumber(o.stopSignal)!
  if (!imageSignal) return systemd ? SYSTEMD_STOP_SIGNAL : SIGTERM
  const n = signalNumber(imageSignal)
  if (n === undefined) warnings.push(`the image's StopSignal "${imageSignal}" is not a signal: using SIGTERM`)
  return n ?? SIGTERM
}

function namespaces(o: RunOptions, userns: boolean, cgroupns: boolean): Namespace[] {
  const out: Namespace[] = []
  const add = (type: NamespaceType, mode: NamespaceMode) => {
    // another container's: its init's path is filled in at each start (container/joins.ts)
    if (mode.mode === 'private' || mode.mode === 'container') out.push({ type })
    else if (mode.mode === 'path') out.push({ type, path: mode.path })
  }
  add('pid', o.pid)
  // a private network namespace holds only loopback until cocker has a network stack
  add('network', networkNamespace(o.network))
  add('ipc', o.ipc)
  add('uts', o.uts)
  out.push({ type: 'mount' })
  if (cgroupns) out.push({ type: 'cgroup' })
  if (userns) out.push({ type: 'user' })
  return out
}

function mounts(input: ContainerConfigInput, binds: { destination: string; source: string; readonly?: true }[], systemd?: SystemdSetup): Mount[] {
  const o = input.options
  const rootless = input.rootless !== undefined
  const ro = o.privileged ? [] : ['ro']
  const sysfs: Mount = { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...ro] }
  // systemd creates its units' cgroups in its own tree, which its cgroup namespace makes the whole one it sees
  const cgroup: Mount = { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup',
    options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', ...(systemd ? [] : ro)] }
  const defaults: Mount[] = [
    ...systemMounts({ rootless, sysfs, cgroup }).flatMap(m => (rootless ? hostKernelFs(m, o, input.host) : [m])),
    ...(o.readOnly && o.readOnlyTmpfs
      ? READ_ONLY_TMPFS.map((d): Mount => ({ destination: d, type: 'tmpfs', source: 'tmpfs',
        options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] }))
      : []),
    ...(systemd?.mounts ?? []).filter(m => !(o.readOnly && o.readOnlyTmpfs && READ_ONLY_TMPFS.includes(m.destination))),
    ...(o.timezone ? [{ destination: '/etc/localtime', type: 'bind', source: o.timezone.file, options: ['bind', 'ro', 'rprivate'] }] : []),
    // after the tmpfs on /run, which would hide /run/.containerenv
    ...binds.map((b): Mount => ({ destination: b.destination, source: b.source, type: 'bind',
      options: ['bind', 'rprivate', ...(o.readOnly || b.readonly ? ['ro'] : [])] })),
  ]
  const user = o.mounts.map(toMount)
  const taken = new Set(user.map(m => m.destination))
  // a mount lands on top of its parent's, so parents first; sort is stable for equal depths
  const depth = (m: Mount) => m.destination.split('/').filter(Boolean).length
  return [...defaults.filter(m => !taken.has(m.destination)), ...user.sort((a, b) => depth(a) - depth(b))]
}

/**
 * proc, sysfs and mqueue may only be mounted by the user namespace that owns the pid, network
 * or IPC namespace they show. A rootless container that shares one with the host (or joins
 * one) gets the host's instead, bound: /sys read-only (see runtime/spec-template.ts).
 */
function hostKernelFs(m: Mount, o: RunOptions, host: HostFacts): Mount[] {
  const shown: Record<string, NamespaceMode> = { '/proc': o.pid, '/sys': networkNamespace(o.network), '/dev/mqueue': o.ipc }
  const namespace = shown[m.destination]
  // another container's namespace comes with its user namespace, which owns it (container/joins.ts)
  if (namespace === undefined || namespace.mode === 'private' || namespace.mode === 'container') return [m]
  if (m.destination === '/dev/mqueue' && !host.mqueue) return [] // nothing to share: the container has none, as its host
  const ro = m.destination === '/sys' ? ['ro'] : []
  return [{ destination: m.destination, type: 'bind', source: m.destination, options: ['rbind', 'nosuid', 'noexec', 'nodev', ...ro] }]
}

function toMount(m: MountRequest): Mount {
  // volumes are bind mounts of their _data by now (container/volumes.ts), images overlays of their layers (container/image-mounts.ts)
  if (m.type === 'volume' || m.type === 'image' || (m.type === 'bind' && m.overlay)) throw new Error(`volume mount on ${m.destination} not resolved before the config`)
  if (m.type === 'overlay') {
    const upper = m.upper && m.work ? [`upperdir=${m.upper}`, `workdir=${m.work}`] : []
    return { destination: m.destination, type: 'overlay', source: 'overlay', options: [`lowerdir=${m.lower}`, ...upper, ...m.options] }
  }
  if (m.type === 'devpts') return { destination: m.destination, type: 'devpts', source: 'devpts', options: m.options }
  return m.type === 'bind'
    ? { destination: m.destination, type: 'bind', source: m.source, options: m.options }
    : { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: m.options }
}

// Sysctls that belong to a namespace the container has (podman's list); the rest would change the host.
const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced']

function sysctls(o: RunOptions): Record<string, string> {
  // the defaults of a namespace the container does not have of its own are left out, as podman does
  const own = (key: string) => {
    if (key.startsWith('net.')) return networkNamespace(o.network).mode === 'private'
    if (IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.')) return o.ipc.mode !== 'host'
    return !(o.uts.mode === 'host' && (key === 'kernel.hostname' || key === 'kernel.domainname'))
  }
  const out = Object.fromEntries(Object.entries(o.defaults.sysctls).filter(([key]) => own(key)))
  for (const [key, value] of Object.entries(o.sysctls)) {
    const fail = (why: string, hint?: string) => new CockerError('INVALID_ARGUMENT', `--sysctl ${key}=${value}: ${why}`, { hint })
    if (IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.')) {
      if (o.ipc.mode === 'host') throw fail('the container shares the host\'s IPC namespace', 'drop --ipc host, or the sysctl')
    } else if (key.startsWith('net.')) {
      if (o.network.mode === 'host') throw fail('the container shares the host\'s network namespace', 'drop --network host, or the sysctl')
    } else if (key === 'kernel.hostname' || key === 'kernel.domainname') {
      throw fail('set the hostname with --hostname')
    } else {
      throw fail('not a namespaced sysctl: it would change the host', 'only kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and net.* can be set per container')
    }
    out[key] = value
  }
  return out
}

function resources(o: RunOptions, rootless: boolean): { resources?: Resources } {
  const r: Resources = {}
  if (o.memory !== undefined) {
    if (o.memory < MIN_MEMORY) {
      throw new CockerError('INVALID_ARGUMENT', `--memory ${o.memory}: the minimum memory limit is 6MB`, { hint: 'use --memory 6m or more' })
    }
    r.memory = { limit: o.memory }
  }
  if (o.memorySwap !== undefined) {
    if (o.memory === undefined) {
      throw new CockerError('INVALID_ARGUMENT', '--memory-swap needs --memory', { hint: 'give both, e.g. --memory 512m --memory-swap 1g' })
    }
    if (o.memorySwap !== -1 && o.memorySwap < o.memory) {
      throw new CockerError('INVALID_ARGUMENT', '--memory-swap is smaller than --memory: it counts memory plus swap', { hint: 'use a value at least as large as --memory, or -1 for unlimited swap' })
    }
    r.memory = { ...r.memory, swap: o.memorySwap }
  }
  if (o.cpus !== undefined) r.cpu = { quota: Math.round(o.cpus * PERIOD_US), period: PERIOD_US }
  if (o.pidsLimit !== undefined && o.pidsLimit > 0) r.pids = { limit: o.pidsLimit }
  if (o.cgroups === 'disabled' && Object.keys(r).length) {
    throw new CockerError('INVALID_ARGUMENT', 'resource limits need cgroups, and --cgroups disabled turns them off',
      { hint: 'drop --cgroups disabled, or the --memory, --cpus and --pids-limit options' })
  }
  if (!rootless && o.cgroups !== 'disabled') {
    if (o.pidsLimit === undefined && o.defaults.pidsLimit > 0) r.pids = { limit: o.defaults.pidsLimit }
    // the device cgroup is root's to set: deny all, the runtime then allows the default devices
    r.devices = [{ allow: o.privileged, access: 'rwm' }]
  }
  return Object.keys(r).length ? { resources: r } : {}
}

function maskedAndReadonly(o: RunOptions): { maskedPaths: string[]; readonlyPaths: string[] } {
  if (o.unmask.includes('ALL')) return { maskedPaths: [...o.mask], readonlyPaths: [] }
  const keep = (p: string) => !o.unmask.includes(p)
  return {
    maskedPaths: [...new Set([...MASKED_PATHS.filter(keep), ...o.mask])],
    readonlyPaths: READONLY_PATHS.filter(keep),
  }
}
