/**
 * What `ps`, `inspect` and `top` show of containers: records read without a lock, their state
 * observed now (record.ts), turned into podman's shapes. Podman 4.3 is the reference for key
 * names, key order and zero values (a Go zero time is "0001-01-01T00:00:00Z", or
 * -62135596800 as Unix seconds). Nothing here writes.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { networkModeName, portBindings } from '../network/ports.js'
import { signalNumber } from '../runtime/linux.js'
import { durationNs } from '../sys/duration.js'
import { bridgeStatus } from '../network/index.js'
import { DEFAULT_NETWORK } from '../network/bridge/state.js'
import type { PortMapping } from '../spec/run-options.js'
import { findContainer, listContainers, observe, type ContainerRecord, type ContainerState, type FoundContainer } from './record.js'

export interface ContainerView {
  record: ContainerRecord
  dir: string
  /** observe(): the live state, not the one last written. */
  state: ContainerState
}

export function viewOf(found: FoundContainer): ContainerView {
  return { ...found, state: observe(found.record, found.dir) }
}

/** Every container of the store, oldest first, with its live state. */
export function viewContainers(storeRoot: string): ContainerView[] {
  return listContainers(storeRoot).map(viewOf)
}

/**
 * The ports a container's network publishes, as Podman shows them for it: its own, or those of
 * the container whose network namespace it joins (its pod's infra, --network container:NAME).
 */
export function networkPorts(storeRoot: string, r: ContainerRecord): PortMapping[] {
  const joined = r.joins?.network
  return (joined ? findContainer(storeRoot, joined)?.record.ports : r.ports) ?? []
}

/** The newest container (podman's --latest), or podman's error when there is none. */
export function latestContainer(storeRoot: string): ContainerView {
  const all = listContainers(storeRoot)
  if (!all.length) throw new CockerError('CONTAINER_NOT_FOUND', 'no containers to show: --latest needs at least one container', { hint: '"cocker run" or "cocker create" makes one' })
  return viewOf(all[all.length - 1]!)
}

export const GO_ZERO_TIME = '0001-01-01T00:00:00Z'
export const GO_ZERO_UNIX = -62135596800

/** Unix seconds of an ISO time, Go's zero time when there is none. */
export function unixSeconds(iso: string | undefined): number {
  return iso ? Math.floor(Date.parse(iso) / 1000) : GO_ZERO_UNIX
}

/**
 * podman's state name: the record's, with "exited" for a container that ran and "created"
 * for one that never did (podman says "created" until the first start, "exited" after).
 */
export function stateName(state: ContainerState): string {
  return state.status === 'exited' && !state.startedAt ? 'created' : state.status
}

// ---- filters (podman ps --filter) ----

const STATES = ['created', 'running', 'paused', 'stopping', 'exited', 'removing', 'stopped', 'configured', 'unknown']

export type ContainerFilter = (v: ContainerView) => boolean

/**
 * podman's ps filters: values of one key match if any matches, except label, whose values
 * must all match; different keys must all match.
 */
export function parseContainerFilters(specs: readonly string[], o: FilterContext = {}): ContainerFilter {
  const byKey = new Map<string, string[]>()
  for (const spec of specs) {
    const eq = spec.indexOf('=')
    if (eq <= 0) throw new CockerError('INVALID_ARGUMENT', `invalid filter "${spec}": use KEY=VALUE`, { hint: FILTER_HINT })
    const key = spec.slice(0, eq)
    byKey.set(key, [...(byKey.get(key) ?? []), spec.slice(eq + 1)])
  }
  const tests: ContainerFilter[] = []
  for (const [key, values] of byKey) {
    const one = values.map(value => filterOf(key, value, o))
    tests.push(key === 'label' ? v => one.every(f => f(v)) : v => one.some(f => f(v)))
  }
  return v => tests.every(t => t(v))
}

const FILTER_HINT = 'filters: id, name, label, status, ancestor, exited, until, pod, volume'

export interface FilterContext {
  /** pod=NAME|ID: the ids of the pods it names (lib/pod/record.ts), given by the caller that can read them. */
  podIds?: (nameOrId: string) => string[]
}

function filterOf(key: string, value: string, o: FilterContext): ContainerFilter {
  switch (key) {
    case 'pod': {
      const ids = o.podIds?.(value) ?? []
      return v => v.record.pod !== undefined && ids.includes(v.record.pod)
    }
    case 'id':
      return v => v.record.id.startsWith(value)
    case 'volume':
      // a volume's name, or where a volume or bind mount lands in the container (Podman's)
      return v => (v.record.volumes ?? []).some(x => x.name === value || x.destination === value) || v.record.mounts.some(m => m.destination === value)
    case 'name': {
      const re = regExp(value, key)
      return v => re.test(v.record.name)
    }
    case 'label':
      return labelFilter(value)
    case 'status':
      if (!STATES.includes(value)) throw new CockerError('INVALID_ARGUMENT', `invalid filter "status=${value}": unknown container state`, { hint: `states: ${STATES.join(', ')}` })
      return v => stateName(v.state) === value || (value === 'stopped' && v.state.status === 'exited')
    case 'ancestor':
      // the image's full ID, its name as given, or name without tag for an image tagged latest
      return v => v.record.imageId === value || v.record.imageName === value || v.record.imageName === `${value}:latest`
    case 'exited': {
      if (!/^\d+$/.test(value)) throw new CockerError('INVALID_ARGUMENT', `invalid filter "exited=${value}": an exit code is a number`)
      return v => v.state.status === 'exited' && !!v.state.startedAt && v.state.exitCode === Number(value)
    }
    case 'until':
      return untilFilter(value)
    default:
      throw new CockerError('INVALID_ARGUMENT', `invalid filter "${key}=${value}": ${key} is not a container filter`, { hint: FILTER_HINT })
  }
}

/** label=KEY or label=KEY=VALUE, as podman matches labels. */
export function labelFilter(value: string): ContainerFilter {
  const eq = value.indexOf('=')
  if (eq < 0) return v => value in v.record.labels
  const [k, want] = [value.slice(0, eq), value.slice(eq + 1)]
  return v => v.record.labels[k] === want
}

/** until=TIMESTAMP|DURATION: created before then (a Unix time, an RFC 3339 time, or a Go duration ago). */
export function untilFilter(value: string): ContainerFilter {
  const limit = untilTime(value)
  return v => Date.parse(v.record.created) < limit
}


function untilTime(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const ns = durationNs(value)
  if (ns !== undefined) return Date.now() - ns / 1e6
  const t = Date.parse(value)
  if (Number.isNaN(t)) {
    throw new CockerError('INVALID_ARGUMENT', `invalid filter "until=${value}": not a time or duration`, { hint: 'use a Unix time, 2006-01-02T15:04:05Z, or a duration such as 10m or 24h' })
  }
  return t
}

function regExp(value: string, key: string): RegExp {
  try {
    return new RegExp(value)
  } catch {
    throw new CockerError('INVALID_ARGUMENT', `invalid filter "${key}=${value}": not a regular expression`)
  }
}

// ---- sizes (ps -s, inspect -s) ----

/** Bytes of what the container wrote: its overlay upper dir (files podman's rwSize counts). */
export function writableSize(dir: string): number {
  let total = 0
  const walk = (d: string) => {
    let names: string[]
    try {
      names = readdirSync(d)
    } catch {
      return // rootless: a directory of the container's other ids may be closed to us
    }
    for (const name of names) {
      const p = path.join(d, name)
      let st
      try {
        st = lstatSync(p)
      } catch {
        continue
      }
      if (st.isDirectory()) walk(p)
      else total += st.size
    }
  }
  walk(path.join(dir, 'upper'))
  return total
}

// ---- inspect ----

/** The OCI bundle's config.json in userdata/, what the container runs with; undefined when unreadable. */
export function readBundleConfig(dir: string): OciConfig | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'userdata', 'config.json'), 'utf8')) as OciConfig
  } catch {
    return undefined
  }
}

/** The parts of an OCI config that inspect shows. */
export interface OciConfig {
  ociVersion?: string
  hostname?: string
  domainname?: string
  process?: {
    terminal?: boolean
    user?: { uid: number; gid: number; umask?: number; additionalGids?: number[] }
    args?: string[]
    env?: string[]
    cwd?: string
    capabilities?: { effective?: string[]; bounding?: string[] }
    rlimits?: { type: string; hard: number; soft: number }[]
    oomScoreAdj?: number
    apparmorProfile?: string
    selinuxLabel?: string
  }
  root?: { path: string; readonly?: boolean }
  annotations?: Record<string, string>
  linux?: {
    namespaces?: { type: string; path?: string }[]
    cgroupsPath?: string
    mountLabel?: string
    resources?: { pids?: { limit?: number }; memory?: { limit?: number; swap?: number; reservation?: number }; cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string } }
  }
}

export interface InspectOptions {
  storeRoot: string
  /** The OCI runtime's name (cocker's own by default). */
  runtime: string
  /** With -s: the image's size, for SizeRootFs. */
  imageSize?: (imageId: string) => number
  size?: boolean
}

/** Mounts the user asked for: not the files cocker binds from userdata/ (hostname, hosts…). */
export function userMounts(v: ContainerView) {
  const userdata = path.join(v.dir, 'userdata')
  return v.record.mounts.filter(m => (m.type === 'bind' || m.options.includes('bind') || m.options.includes('rbind') || m.type === 'volume') &&
    !m.source.startsWith(`${userdata}/`))
}

/** `podman inspect` of one container: the keys of Podman 4.3, in its order. */
export function inspectContainer(v: ContainerView, o: InspectOptions) {
  const { record: r, state: s, dir } = v
  const config = readBundleConfig(dir) ?? {}
  const proc = config.process ?? {}
  const running = s.status === 'running' || s.status === 'paused' || s.status === 'stopping'
  const userdata = path.join(dir, 'userdata')
  const mounts = userMounts(v)
  const rw = (m: { options: string[] }) => !m.options.includes('ro')
  const caps = (list: string[] | undefined) => [...(list ?? [])].sort()
  const ns = (type: string) => config.linux?.namespaces?.find(n => n.type === type)
  const user = proc.user && (proc.user.uid || proc.user.gid) ? `${proc.user.uid}:${proc.user.gid}` : ''
  const health = r.healthcheck ? s.health ?? { status: 'starting', failingStreak: 0, log: [] } : undefined
  const out = {
    Id: r.id,
    Created: r.created,
    Path: r.command[0] ?? '',
    // as Podman: the arguments after Path, or the whole command when it is one word
    Args: r.command.length > 1 ? r.command.slice(1) : r.command,
    State: {
      OciVersion: config.ociVersion ?? '1.0.2',
      Status: stateName(s),
      Running: s.status === 'running',
      Paused: s.status === 'paused',
      Restarting: false,
      OOMKilled: !!s.oomKilled,
      Dead: false,
      Pid: running ? s.pid : 0,
      ...(running && s.monitor ? { ConmonPid: s.monitor.pid } : {}),
      ExitCode: s.exitCode ?? 0,
      Error: '',
      StartedAt: s.startedAt ?? GO_ZERO_TIME,
      FinishedAt: s.status === 'exited' && s.finishedAt ? s.finishedAt : GO_ZERO_TIME,
      Health: {
        Status: health?.status ?? '',
        FailingStreak: health?.failingStreak ?? 0,
        Log: health?.log.length ? health.log.map(l => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })) : null,
      },
      ...(running && config.linux?.cgroupsPath ? { CgroupPath: config.linux.cgroupsPath } : {}),
      CheckpointedAt: GO_ZERO_TIME,
      RestoredAt: GO_ZERO_TIME,
    },
    Image: r.imageId,
    ImageDigest: '',
    ImageName: r.imageName,
    Rootfs: '',
    Pod: '',
    ResolvConfPath: path.join(userdata, 'resolv.conf'),
    HostnamePath: path.join(userdata, 'hostname'),
    HostsPath: path.join(userdata, 'hosts'),
    StaticDir: userdata,
    // podman writes the OCI config at the first start
    ...(stateName(s) === 'created' ? {} : { OCIConfigPath: path.join(userdata, 'config.json') }),
    OCIRuntime: r.runtime?.name ?? o.runtime,
    ConmonPidFile: '',
    PidFile: '',
    Name: r.name,
    RestartCount: s.restartCount ?? 0,
    Driver: r.storage.driver,
    MountLabel: config.linux?.mountLabel ?? '',
    ProcessLabel: proc.selinuxLabel ?? '',
    AppArmorProfile: proc.apparmorProfile ?? '',
    EffectiveCaps: caps(proc.capabilities?.effective),
    BoundingCaps: caps(proc.capabilities?.bounding),
    ExecIDs: [] as string[],
    GraphDriver: {
      Name: r.storage.driver,
      Data: {
        ...(r.storage.lowerDirs.length ? { LowerDir: r.storage.lowerDirs.map(l => path.resolve(o.storeRoot, l)).join(':') } : {}),
        ...(running ? { MergedDir: path.join(dir, 'merged') } : {}),
        UpperDir: path.join(dir, 'upper'),
        WorkDir: path.join(dir, 'work'),
      },
    },
    ...(o.size ? sizes(v, o) : {}),
    Mounts: mounts.map(m => ({
      Type: m.type === 'volume' ? 'volume' : 'bind',
      // a volume's source is volumes/NAME/_data
      ...(m.type === 'volume' ? { Name: path.basename(path.dirname(m.source)) } : {}),
      Source: m.source,
      Destination: m.destination,
      Driver: m.type === 'volume' ? 'local' : '',
      Mode: '',
      Options: m.options.filter(x => x !== 'ro' && x !== 'rw' && !/private|shared|slave/.test(x)),
      RW: rw(m),
      Propagation: m.options.find(x => /private|shared|slave/.test(x)) ?? 'rprivate',
    })),
    Dependencies: [] as string[],
    NetworkSettings: {
      EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
      MacAddress: '', Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: portBindings(networkPorts(o.storeRoot, r), r.exposedPorts), SandboxKey: '',
      // a bridge network's (lib/network/bridge)
      ...bridgeSettings(r),
    },
    Namespace: '',
    IsInfra: false,
    IsService: false,
    Config: {
      Hostname: config.hostname ?? r.id.slice(0, 12),
      Domainname: config.domainname ?? '',
      User: user,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: r.tty,
      OpenStdin: r.interactive,
      StdinOnce: false,
      Env: proc.env ?? [],
      Cmd: r.cmd ?? r.command,
      Image: r.imageName,
      Volumes: null,
      WorkingDir: proc.cwd ?? '/',
      Entrypoint: (r.entrypoint ?? []).join(' '),
      OnBuild: null,
      Labels: Object.keys(r.labels).length ? r.labels : null,
      Annotations: { ...(config.annotations ?? {}), ...r.annotations },
      StopSignal: signalNumber(r.stopSignal) ?? 15,
      ...(r.healthcheck ? {
        Healthcheck: { Test: r.healthcheck.test, Interval: r.healthcheck.interval, Timeout: r.healthcheck.timeout, StartPeriod: r.healthcheck.startPeriod, Retries: r.healthcheck.retries },
      } : {}),
      HealthcheckOnFailureAction: r.healthcheck?.onFailure ?? 'none',
      CreateCommand: r.createCommand ?? [],
      Umask: (proc.user?.umask ?? 0o022).toString(8).padStart(4, '0'),
      Timeout: 0,
      StopTimeout: r.stopTimeout,
      Passwd: true,
      sdNotifyMode: r.sdNotify ?? 'conmon',
    },
    HostConfig: {
      Binds: mounts.map(m => `${m.type === 'volume' ? path.basename(path.dirname(m.source)) : m.source}:${m.destination}:${[rw(m) ? 'rw' : 'ro', ...m.options.filter(x => x !== 'ro' && x !== 'rw')].join(',')}`),
      CgroupManager: 'cgroupfs',
      CgroupMode: 'private',
      ContainerIDFile: '',
      LogConfig: { Type: r.log.driver, Config: null, Path: r.log.path, Tag: '', Size: r.log.maxSize ? `${r.log.maxSize}B` : '0B' },
      NetworkMode: r.network ? networkModeName(r.network) : networkMode(ns('network')),
      PortBindings: portBindings(r.ports ?? [], r.exposedPorts),
      RestartPolicy: { Name: r.restartPolicy.name === 'no' ? '' : r.restartPolicy.name, MaximumRetryCount: r.restartPolicy.maxRetries },
      AutoRemove: r.autoRemove,
      VolumeDriver: '',
      VolumesFrom: null,
      CapAdd: r.capAdd ?? [],
      CapDrop: r.capDrop ?? [],
      Dns: [] as string[],
      DnsOptions: [] as string[],
      DnsSearch: [] as string[],
      ExtraHosts: [] as string[],
      GroupAdd: (proc.user?.additionalGids ?? []).map(String),
      IpcMode: ns('ipc') ? 'private' : 'host',
      Cgroup: '',
      Cgroups: 'default',
      Links: null,
      OomScoreAdj: proc.oomScoreAdj ?? 0,
      PidMode: ns('pid') ? 'private' : 'host',
      Privileged: !!r.privileged,
      PublishAllPorts: false,
      ReadonlyRootfs: !!config.root?.readonly,
      SecurityOpt: [] as string[],
      Tmpfs: {},
      UTSMode: ns('uts') ? 'private' : 'host',
      UsernsMode: '',
      ShmSize: 65536000,
      Runtime: 'oci',
      ConsoleSize: [0, 0],
      Isolation: '',
      CpuShares: config.linux?.resources?.cpu?.shares ?? 0,
      Memory: config.linux?.resources?.memory?.limit ?? 0,
      NanoCpus: 0,
      CgroupParent: '',
      BlkioWeight: 0,
      BlkioWeightDevice: null,
      BlkioDeviceReadBps: null,
      BlkioDeviceWriteBps: null,
      BlkioDeviceReadIOps: null,
      BlkioDeviceWriteIOps: null,
      CpuPeriod: config.linux?.resources?.cpu?.period ?? 0,
      CpuQuota: config.linux?.resources?.cpu?.quota ?? 0,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: config.linux?.resources?.cpu?.cpus ?? '',
      CpusetMems: config.linux?.resources?.cpu?.mems ?? '',
      Devices: [] as string[],
      DiskQuota: 0,
      KernelMemory: 0,
      MemoryReservation: config.linux?.resources?.memory?.reservation ?? 0,
      MemorySwap: config.linux?.resources?.memory?.swap ?? 0,
      MemorySwappiness: 0,
      OomKillDisable: false,
      PidsLimit: config.linux?.resources?.pids?.limit ?? 0,
      Ulimits: (proc.rlimits ?? []).map(l => ({ Name: l.type, Soft: l.soft, Hard: l.hard })),
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      CgroupConf: null,
    },
  }
  return out
}

export type ContainerInspect = ReturnType<typeof inspectContainer>

/**
 * Podman's view of a container on a bridge network: its address on each network while it runs,
 * and on the default network the same at the top, as Docker's old single-network fields.
 */
function bridgeSettings(r: ContainerRecord) {
  if (!r.bridgeNetwork) return {}
  const s = bridgeStatus(r)
  const ip = { Gateway: s?.gateway ?? '', IPAddress: s?.ip ?? '', IPPrefixLen: s?.prefix ?? 0, MacAddress: s?.mac ?? '' }
  return {
    ...(r.bridgeNetwork.network === DEFAULT_NETWORK ? ip : {}),
    Networks: {
      [r.bridgeNetwork.network]: {
        EndpointID: '', ...ip, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
        NetworkID: r.bridgeNetwork.network, DriverOpts: null, IPAMConfig: null, Links: null,
        Aliases: s?.aliases ?? [...(r.bridgeNetwork.aliases ?? []), r.id.slice(0, 12)],
      },
    },
  }
}

/** No network namespace of its own: host; one of its own: cocker gives it only loopback. */
function networkMode(net: { path?: string } | undefined): string {
  if (!net) return 'host'
  return net.path ? `ns:${net.path}` : 'none'
}

function sizes(v: ContainerView, o: InspectOptions) {
  // podman's SizeRootFs is the image's size alone
  return { SizeRw: writableSize(v.dir), SizeRootFs: o.imageSize?.(v.record.imageId) ?? 0 }
}
