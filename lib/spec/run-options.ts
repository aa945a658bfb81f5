/**
 * The options of `cocker run` as the spec builder takes them, and the pure parsers that turn
 * podman's flag syntax (`-v HOST:CTR:ro`, `--memory 512m`, `--ulimit nofile=1024:2048`) into
 * them. Each parser names the flag and the offending value in its error.
 */
import { CockerError } from '../errors.js'
import { CAPABILITIES, RLIMITS, signalNumber } from '../runtime/linux.js'
import type { IdMapping, Rlimit, Seccomp } from '../runtime/oci-spec.js'
import { DEFAULT_CAPABILITIES, NETNS_SYSCTLS, PIDS_LIMIT } from './defaults.js'
import { DEFAULT_NETWORK } from '../network/bridge/state.js'
import type { SystemdFlag } from './systemd-mode.js'

/**
 * `container`: another container's namespace (container:ID|NAME, or a pod's infra), joined
 * afresh at each start since its processes change; `container` is the name or id as given
 * until create resolves it to the full id.
 */
export type NamespaceMode = { mode: 'private' } | { mode: 'host' } | { mode: 'path'; path: string } | { mode: 'container'; container: string }

/** --add-host NAME[;NAME…]:IP (an IPv6 address may follow the first colon whole) → "IP\tNAME NAME". */
export function parseAddHost(value: string): string {
  const colon = value.indexOf(':')
  const names = colon > 0 ? value.slice(0, colon).split(';').filter(Boolean) : []
  const ip = colon > 0 ? value.slice(colon + 1).replace(/^\[(.*)\]$/, '$1') : ''
  const ipOk = /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || (ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip))
  if (!names.length || !ipOk || names.some(n => !/^[A-Za-z0-9_.-]+$/.test(n))) {
    throw invalid(`--add-host ${value}: expected HOST:IP, e.g. db.local:10.1.2.3`)
  }
  return `${ip}\t${names.join(' ')}`
}

/** --dns ADDRESS: an IP address. */
export function parseDnsServer(value: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(value) && !(value.includes(':') && /^[0-9a-fA-F:]+$/.test(value))) {
    throw invalid(`--dns ${value}: not an IP address`, 'give the resolver\'s address, e.g. --dns 1.1.1.1')
  }
  return value
}

/** slirp4netns:OPTIONS, Podman's names (allow_host_loopback=true…). */
export interface SlirpOptions {
  /** The host's loopback reachable at the gateway 10.0.2.2 (off: --disable-host-loopback). */
  allowHostLoopback: boolean
  /** The container's subnet; slirp4netns's own 10.0.2.0/24 when absent. */
  cidr?: string
  enableIpv6: boolean
  mtu: number
  /** Published ports relayed from inside the namespace (the server sees its own address); absent: slirp4netns's, the client's address kept. */
  portHandler?: 'rootlesskit'
}

/**
 * --network. `default`: the engine's choice, made at create (lib/network resolveNetwork);
 * `none`: a namespace of its own with loopback only; pasta and slirp4netns: a namespace of its
 * own that the program of that name connects to the host's network.
 */
export type NetworkMode =
  | { mode: 'default' } | { mode: 'none' } | { mode: 'host' } | { mode: 'path'; path: string } | { mode: 'container'; container: string }
  | { mode: 'pasta'; args: string[] }
  | { mode: 'slirp4netns'; options: SlirpOptions }
  | { mode: 'bridge'; network: string }

/** --network-alias, --ip, --mac-address: what a container asks of its bridge network. */
export interface BridgeOptions { aliases: string[]; ip?: string; mac?: string }

/**
 * A bind mount, a tmpfs or a volume, from -v, --mount or --tmpfs. `options` are OCI mount
 * options. A volume has no name when anonymous (-v /path); create turns volumes into bind
 * mounts of their _data (container/volumes.ts). `noCopy`: no copy-up of the image's content;
 * `chown`: U, the volume's files given to the container's user. A bind with `overlay` (-v
 * DIR:/p:O) becomes an overlay on the host directory whose changes stay the container's
 * (`lower`, `upper`, `work`: its dirs, set by create).
 */
export type MountRequest =
  | { type: 'bind'; source: string; destination: string; options: string[]; overlay?: boolean }
  | { type: 'overlay'; lower: string; upper?: string; work?: string; destination: string; options: string[] }
  | { type: 'tmpfs'; destination: string; options: string[] }
  | { type: 'volume'; name?: string; destination: string; options: string[]; noCopy?: boolean; chown?: boolean }
  | { type: 'image'; image: string; destination: string; options: ['ro'] | ['rw'] }
  | { type: 'devpts'; destination: string; options: string[] }

/** --volumes-from CONTAINER[:ro|rw]: its volumes and bind mounts, read-only or writable as asked, else as it has them. */
export interface VolumesFrom { container: string; mode?: 'ro' | 'rw' }

/**
 * --userns and --uidmap/--gidmap. `default`: root gets no user namespace, a rootless user
 * their own (their id as 0, then their subordinate ranges). Rootless, `maps` are relative to
 * that namespace, as podman's are; lib/rootless/container-userns.ts turns them into host ids.
 */
export type UsernsRequest =
  | { mode: 'default' }
  | { mode: 'host' }
  | { mode: 'keep-id'; uid?: number; gid?: number }
  | { mode: 'nomap' }
  | { mode: 'auto'; size?: number }
  | { mode: 'maps'; uid: IdMapping[]; gid: IdMapping[] }

export interface RunOptions {
  /** undefined: the image's; []: cleared (`--entrypoint ''`), which also drops the image's Cmd. */
  entrypoint?: string[]
  /** The arguments after IMAGE; they replace the image's Cmd. */
  command: string[]
  /** KEY=VALUE, in order: --env-file entries, then -e (bare KEYs already resolved from the host). */
  env: string[]
  user?: string
  workdir?: string
  hostname?: string
  name?: string
  tty: boolean
  interactive: boolean
  /** --init: a small init of cocker's as PID 1, which reaps and forwards signals to the command. */
  init: boolean
  /** --init-path: that init's host path instead of cocker's own. */
  initPath?: string
  readOnly: boolean
  /** With --read-only: tmpfs on /run, /tmp and /var/tmp (podman's --read-only-tmpfs, on by default). */
  readOnlyTmpfs: boolean
  privileged: boolean
  /** CAP_* names, or 'ALL'. */
  capAdd: string[]
  capDrop: string[]
  seccomp: { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; profile: Seccomp }
  noNewPrivileges: boolean
  /** Extra paths to mask, and masked or read-only paths to expose ('ALL' for every one). */
  mask: string[]
  unmask: string[]
  ulimits: Rlimit[]
  sysctls: Record<string, string>
  mounts: MountRequest[]
  volumesFrom: VolumesFrom[]
  network: NetworkMode
  /** --network-alias, --ip, --mac-address: the container on its bridge network. */
  bridge: BridgeOptions
  pid: NamespaceMode
  ipc: NamespaceMode
  uts: NamespaceMode
  /** Bytes. */
  memory?: number
  /** Bytes of memory plus swap; -1 is unlimited. */
  memorySwap?: number
  cpus?: number
  /** undefined: no limit asked for; 0 or -1: unlimited. */
  pidsLimit?: number
  labels: Record<string, string>
  annotations: Record<string, string>
  /** A signal name or number, as given. */
  stopSignal?: string
  rm: boolean
  detach: boolean
  pull: 'always' | 'missing' | 'never' | 'newer'
  platform: { os?: string; architecture?: string; variant?: string }
  /** undefined: the registry's own setting (loopback and insecure registries take plain HTTP). */
  tlsVerify?: boolean
  cgroups: 'enabled' | 'disabled'
  /** Leave /etc/hosts to the image (containers.conf no_hosts). */
  noHosts: boolean
  /** --add-host, as /etc/hosts lines ("IP\tNAME…"), first in the file. */
  addHosts: string[]
  /** --dns, --dns-search, --dns-option: each replaces the host's own lines of its kind. */
  dns: DnsOptions
  /** -p; hostPort 0: a free one, chosen at create. */
  ports: PortMapping[]
  /** -P: each port the image exposes, on a free host port. */
  publishAll: boolean
  /** The container process's umask (containers.conf umask). */
  umask: number
  /** The host's zoneinfo file to bind on /etc/localtime (containers.conf tz); undefined: the image's own. */
  timezone?: { name: string; file: string }
  /** What every container gets unless its flags say otherwise. */
  defaults: ContainerDefaults
  userns: UsernsRequest
  /** --rootfs: IMAGE is a directory to run as the root, written in place, or with DIR:O under an overlay. */
  rootfs?: { path: string; overlay: boolean }
  /** --group-add: gids or group names of the image, or keep-groups. */
  groupAdd: string[]
  oomScoreAdj?: number
  /** --systemd: what a container whose command is systemd or an init gets (systemd-mode.ts). */
  systemd: SystemdFlag
}

/** A published port. hostIp '' is every address of the host. */
export interface PortMapping { hostIp: string; hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' }

function portRange(flag: string, value: string, text: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text)
  const lo = Number(m?.[1])
  const hi = m?.[2] === undefined ? lo : Number(m[2])
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw invalid(`${flag} ${value}: "${text}" is not a port or a range of ports from 1 to 65535`)
  return [lo, hi]
}

/** -p [ip:][hostPort:]containerPort[/tcp|udp], each port a number or a range (the two ranges of one length). */
export function parsePublish(value: string): PortMapping[] {
  const flag = '--publish'
  const slash = value.lastIndexOf('/')
  const protocol = slash < 0 ? 'tcp' : value.slice(slash + 1)
  if (protocol !== 'tcp' && protocol !== 'udp') throw invalid(`${flag} ${value}: unknown protocol "${protocol}"`, 'use tcp or udp')
  const spec = slash < 0 ? value : value.slice(0, slash)
  // an IPv6 host address comes in brackets: [::1]:8080:80
  const v6 = /^\[([0-9a-fA-F:]+)\]:(.*)$/.exec(spec)
  const parts = v6 ? [v6[1], ...v6[2].split(':')] : spec.split(':')
  if (parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw invalid(`${flag} ${value}: expected [ip:][hostPort:]containerPort[/protocol], e.g. 8080:80`)
  }
  const [hostIp, hostText, ctrText] = parts.length === 3 ? parts : parts.length === 2 ? ['', ...parts] : ['', '', parts[0]]
  if (hostIp && !/^\d{1,3}(\.\d{1,3}){3}$/.test(hostIp) && !v6) throw invalid(`${flag} ${value}: "${hostIp}" is not an IP address`)
  const [c0, c1] = portRange(flag, value, ctrText)
  const [h0, h1] = hostText ? portRange(flag, value, hostText) : [0, 0]
  if (hostText && h1 - h0 !== c1 - c0) throw invalid(`${flag} ${value}: the host and container ranges differ in length`)
  return Array.from({ length: c1 - c0 + 1 }, (_, i) => ({ hostIp, hostPort: hostText ? h0 + i : 0, containerPort: c0 + i, protocol }))
}

export interface DnsOptions { servers: string[]; search: string[]; options: string[] }

/** containers.conf's defaults for every container; podman's built-in ones when no file sets them. */
export interface ContainerDefaults {
  /** default_capabilities: CAP_* names. */
  capabilities: string[]
  /** env: KEY=VALUE over podman's PATH, TERM and container=podman, under the image's Env. */
  env: string[]
  /** default_sysctls, each left out when its namespace is the host's; --sysctl overrides them by key. */
  sysctls: Record<string, string>
  /** pids_limit, where the container has a cgroup of its own; 0: none. */
  pidsLimit: number
}

/** The options of a plain `cocker run IMAGE`. */
export function defaultRunOptions(): RunOptions {
  return {
    command: [], env: [], tty: false, interactive: false, init: false, readOnly: false, readOnlyTmpfs: true,
    privileged: false, capAdd: [], capDrop: [], seccomp: { kind: 'default' }, noNewPrivileges: false, mask: [], unmask: [], ulimits: [],
    sysctls: {}, mounts: [], volumesFrom: [], network: { mode: 'default' }, pid: { mode: 'private' }, ipc: { mode: 'private' },
    uts: { mode: 'private' }, labels: {}, annotations: {}, rm: false, detach: false, pull: 'missing', platform: {},
    cgroups: 'enabled', noHosts: false, addHosts: [], dns: { servers: [], search: [], options: [] }, ports: [], publishAll: false, bridge: { aliases: [] }, umask: 0o022, userns: { mode: 'default' }, groupAdd: [], systemd: 'true',
    defaults: { capabilities: [...DEFAULT_CAPABILITIES], env: [], sysctls: { ...NETNS_SYSCTLS }, pidsLimit: PIDS_LIMIT },
  }
}

const invalid = (message: string, hint?: string) => new CockerError('INVALID_ARGUMENT', message, { hint })

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

/** "512m" → bytes. Binary units, as podman (go-units RAMInBytes): k is 1024. */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(value.trim())
  if (!m) throw invalid(`${flag} ${value}: invalid size; use a number with an optional b, k, m or g suffix`)
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()])
}

/** "KEY=VALUE" → [KEY, VALUE]; the value may be empty, the key may not. */
export function parseKeyValue(flag: string, value: string): [string, string] {
  const eq = value.indexOf('=')
  if (eq <= 0) throw invalid(`${flag} ${value}: expected KEY=VALUE`)
  return [value.slice(0, eq), value.slice(eq + 1)]
}

/** "net_admin", "CAP_NET_ADMIN", "all" → "CAP_NET_ADMIN" or "ALL". */
export function normalizeCapability(flag: string, value: string): string {
  const upper = value.trim().toUpperCase()
  if (upper === 'ALL') return 'ALL'
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`
  if (!(CAPABILITIES as readonly string[]).includes(name)) {
    throw invalid(`${flag} ${value}: unknown capability`, 'see capabilities(7) for the names, e.g. NET_ADMIN or SYS_PTRACE')
  }
  return name
}

/** "host", "private", "ns:/proc/1/ns/pid", "container:NAME". `extra` lists further accepted words that mean private. */
export function parseNamespaceMode(flag: string, value: string, extra: readonly string[] = []): NamespaceMode {
  if (value === 'host') return { mode: 'host' }
  if (value === 'private' || extra.includes(value)) return { mode: 'private' }
  if (value.startsWith('ns:') && value.length > 3) {
    const path = value.slice(3)
    if (!path.startsWith('/')) throw invalid(`${flag} ${value}: the namespace path must be absolute`)
    return { mode: 'path', path }
  }
  if (value.startsWith('container:')) {
    const container = value.slice('container:'.length)
    if (!container) throw invalid(`${flag} ${value}: the container is missing`, `use ${flag} container:NAME or container:ID`)
    return { mode: 'container', container }
  }
  throw invalid(`${flag} ${value}: unknown mode`, `use ${['host', 'private', ...extra, 'ns:PATH', 'container:NAME'].join(', ')}`)
}

/** --network none|host|private|bridge|NAME|pasta[:ARGS]|slirp4netns[:OPTIONS]|ns:PATH. */
export function parseNetwork(value: string): NetworkMode {
  const colon = value.indexOf(':')
  const mode = colon < 0 ? value : value.slice(0, colon)
  const rest = colon < 0 ? undefined : value.slice(colon + 1)
  if (mode === 'pasta') return { mode, args: rest ? rest.split(',') : [] }
  if (mode === 'slirp4netns') return { mode, options: parseSlirpOptions(value, rest) }
  if (value === 'bridge') return { mode: 'bridge', network: DEFAULT_NETWORK }
  // Podman's "private" is its default network
  if (value === 'private') return { mode: 'default' }
  if (value === 'none') return { mode: 'none' }
  if (value === 'host' || mode === 'ns' || mode === 'container') return parseNamespaceMode('--network', value) as NetworkMode
  if (NAME_PATTERN.test(value)) return { mode: 'bridge', network: value }
  throw invalid(`--network ${value}: unknown mode`, 'use pasta, slirp4netns, bridge, a network\'s name, none, host or ns:PATH')
}

/** A container's, pod's or network's name, as Podman allows them. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/** --mac-address: six hex pairs. */
export function parseMacAddress(mac: string): string {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) throw invalid(`--mac-address ${mac}: not a MAC address`, 'e.g. 92:d0:c6:0a:29:33')
  return mac
}

/** Podman's slirp4netns options: allow_host_loopback, cidr, enable_ipv6, mtu, port_handler (slirp4netns only). */
function parseSlirpOptions(value: string, text: string | undefined): SlirpOptions {
  const o: SlirpOptions = { allowHostLoopback: false, enableIpv6: false, mtu: 65520 }
  const bool = (k: string, v: string) => {
    if (v === 'true' || v === 'false') return v === 'true'
    throw invalid(`--network ${value}: ${k} takes true or false`)
  }
  for (const item of text ? text.split(',') : []) {
    const [k, v = ''] = item.split('=', 2)
    if (k === 'allow_host_loopback') o.allowHostLoopback = bool(k, v)
    else if (k === 'enable_ipv6') o.enableIpv6 = bool(k, v)
    else if (k === 'mtu') {
      if (!/^\d+$/.test(v) || Number(v) < 68 || Number(v) > 65521) throw invalid(`--network ${value}: mtu must be a number from 68 to 65521`)
      o.mtu = Number(v)
    } else if (k === 'cidr') {
      if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(v)) throw invalid(`--network ${value}: cidr must be an IPv4 subnet, e.g. 10.0.2.0/24`)
      o.cidr = v
    } else if (k === 'port_handler') {
      // slirp4netns's handler keeps the client's address; rootlesskit's (cocker-netns forward) hides it
      if (v !== 'slirp4netns' && v !== 'rootlesskit') throw invalid(`--network ${value}: port_handler must be rootlesskit or slirp4netns`)
      if (v === 'rootlesskit') o.portHandler = v
      else delete o.portHandler
    } else {
      throw invalid(`--network ${value}: unknown slirp4netns option "${k}"`, 'known options: allow_host_loopback, cidr, enable_ipv6, mtu, port_handler')
    }
  }
  return o
}

/** The network namespace a network mode gives the container. */
export function networkNamespace(net: NetworkMode): NamespaceMode {
  return net.mode === 'host' || net.mode === 'path' || net.mode === 'container' ? net : { mode: 'private' }
}

const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss',
  'rtprio', 'rttime', 'sigpending', 'stack', 'as']

/** "nofile=1024:2048" or "nofile=1024" (hard = soft). */
export function parseUlimit(value: string): Rlimit {
  const m = /^([a-z]+)=(\d+)(?::(\d+))?$/.exec(value)
  if (!m) throw invalid(`--ulimit ${value}: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048`)
  if (!ULIMIT_NAMES.includes(m[1])) throw invalid(`--ulimit ${value}: unknown limit "${m[1]}"`, `known limits: ${ULIMIT_NAMES.join(', ')}`)
  const type = `RLIMIT_${m[1].toUpperCase()}`
  if (!Object.hasOwn(RLIMITS, type)) throw new Error(`no RLIMITS entry for ${type}`)
  const soft = Number(m[2])
  const hard = m[3] === undefined ? soft : Number(m[3])
  if (!Number.isSafeInteger(soft) || !Number.isSafeInteger(hard)) throw invalid(`--ulimit ${value}: the value is too large`)
  if (soft > hard) throw invalid(`--ulimit ${value}: the soft limit is above the hard limit`)
  return { type, soft, hard }
}

export function parseStopSignal(value: string): string {
  if (signalNumber(value) === undefined) throw invalid(`--stop-signal ${value}: unknown signal`, 'use a name such as TERM or SIGINT, or a number')
  return value
}

// mount options a user may give on -v (SELinux relabel options are accepted and ignored)
const VOLUME_OPTIONS = new Set(['ro', 'rw', 'z', 'Z', 'U', 'O', 'nocopy', 'bind', 'rbind', 'nosuid', 'suid', 'nodev', 'dev', 'noexec',
  'exec', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'])
const PROPAGATION = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']

/** Bind options from -v's option list: podman binds recursively and privately unless told otherwise. */
function bindOptions(flag: string, value: string, given: string[]): string[] {
  for (const o of given) {
    if (!VOLUME_OPTIONS.has(o)) throw invalid(`${flag} ${value}: unknown option "${o}"`, 'known options: ro, rw, z, Z, U, O, nocopy, bind, rbind, nosuid, nodev, noexec and the propagation modes')
  }
  if (given.includes('ro') && given.includes('rw')) throw invalid(`${flag} ${value}: "ro" and "rw" contradict each other`)
  const kept = given.filter(o => !['z', 'Z', 'U', 'O', 'rw', 'nocopy'].includes(o))
  const options = kept.some(o => o === 'bind' || o === 'rbind') ? kept : ['rbind', ...kept]
  if (!kept.some(o => PROPAGATION.includes(o))) options.push('rprivate')
  return options
}

/** A host path as the user typed it: absolute, or relative to `cwd` when it starts with "." (podman's rule). */
function hostPath(flag: string, value: string, source: string, cwd: string): string {
  if (source.startsWith('/')) return source
  if (source.startsWith('.')) return joinPath(cwd, source)
  throw invalid(`${flag} ${value}: a bind mount's source must be a host path`,
    'give an absolute path, or one starting with "./"; use type=volume for a named volume')
}

/** A source that is not a host path names a volume (podman's rule). */
const isHostPath = (source: string) => source.startsWith('/') || source.startsWith('.')

function volumeName(flag: string, value: string, name: string): string {
  if (!NAME_PATTERN.test(name)) throw invalid(`${flag} ${value}: "${name}" is neither a host path nor a volume name`, 'volume names match [a-zA-Z0-9][a-zA-Z0-9_.-]*; host paths start with "/" or "./"')
  return name
}

/**
 * A volume's request from its option list (`U` and `nocopy` are cocker's to act on, the rest
 * mount options): nosuid and nodev unless asked otherwise, as Podman mounts volumes.
 */
function volumeRequest(flag: string, value: string, name: string | undefined, destination: string, given: string[]): MountRequest {
  const defaults = [...(given.includes('suid') ? [] : ['nosuid']), ...(given.includes('dev') ? [] : ['nodev'])]
  return {
    type: 'volume', ...(name !== undefined ? { name } : {}), destination,
    options: [...defaults, ...bindOptions(flag, value, given.filter(o => !defaults.includes(o)))],
    ...(given.includes('nocopy') ? { noCopy: true } : {}), ...(given.includes('U') ? { chown: true } : {}),
  }
}

function joinPath(base: string, rel: string): string {
  const parts: string[] = []
  for (const p of `${base}/${rel}`.split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') parts.pop()
    else parts.push(p)
  }
  return `/${parts.join('/')}`
}

function containerPath(flag: string, value: string, target: string): string {
  if (!target.startsWith('/')) throw invalid(`${flag} ${value}: the container path must be absolute`)
  return joinPath('/', target)
}

/**
 * -v HOST:CTR[:OPTIONS] (a bind mount), -v NAME:CTR[:OPTIONS] (a named volume, made at its first
 * use) or -v CTR[:OPTIONS] (an anonymous volume).
 */
export function parseVolume(value: string, cwd: string): MountRequest {
  const flag = '--volume'
  const parts = value.split(':')
  if (parts.length > 3 || parts[0] === '') throw invalid(`${flag} ${value}: expected [HOST-DIR|VOLUME:]CONTAINER-DIR[:OPTIONS]`)
  // one part, or a container path followed by options (podman's test: they are all options): an anonymous volume
  if (parts.length === 1 || (parts.length === 2 && parts[1]!.split(',').every(o => VOLUME_OPTIONS.has(o)))) {
    const [target, opts] = parts as [string, string | undefined]
    return volumeRequest(flag, value, undefined, containerPath(flag, value, target), opts ? opts.split(',') : [])
  }
  const [source, target, opts] = parts as [string, string, string | undefined]
  if (target === '') throw invalid(`${flag} ${value}: the container path is empty`)
  const destination = containerPath(flag, value, target)
  const given = opts ? opts.split(',') : []
  if (!isHostPath(source)) {
    if (given.includes('O')) throw invalid(`${flag} ${value}: "O" is for host directories, not volumes`, 'give the directory\'s path: -v /host/dir:/path:O')
    return volumeRequest(flag, value, volumeName(flag, value, source), destination, given)
  }
  if (given.includes('nocopy')) throw invalid(`${flag} ${value}: "nocopy" is for volumes, not bind mounts`)
  const hostDir = hostPath(flag, value, source, cwd)
  if (given.includes('O') && /[,:]/.test(hostDir)) throw invalid(`${flag} ${value}: an overlay's directory cannot have "," or ":" in its path`)
  return { type: 'bind', source: hostDir, destination, options: bindOptions(flag, value, given), ...(given.includes('O') ? { overlay: true } : {}) }
}

/** --volumes-from CONTAINER[:ro|rw]. */
export function parseVolumesFrom(value: string): VolumesFrom {
  const colon = value.indexOf(':')
  const container = colon < 0 ? value : value.slice(0, colon)
  const mode = colon < 0 ? undefined : value.slice(colon + 1)
  if (!container) throw invalid(`--volumes-from ${value}: the container is missing`, 'use --volumes-from CONTAINER[:ro|rw]')
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw invalid(`--volumes-from ${value}: unknown option "${mode}"`, 'use ro or rw')
  return { container, ...(mode ? { mode } : {}) }
}

/** Options podman's tmpfs mounts get before the user's. */
const TMPFS_DEFAULTS = ['rw', 'noexec', 'nosuid', 'nodev']

/** --tmpfs /path[:OPTIONS]. */
export function parseTmpfs(value: string): MountRequest {
  const colon = value.indexOf(':')
  const target = colon < 0 ? value : value.slice(0, colon)
  const opts = colon < 0 ? [] : value.slice(colon + 1).split(',').filter(Boolean)
  return { type: 'tmpfs', destination: containerPath('--tmpfs', value, target), options: mergeTmpfsOptions(opts) }
}

/** The user's options win over the defaults they contradict (exec over noexec…). */
function mergeTmpfsOptions(user: string[]): string[] {
  const opposite = (o: string) => (o.startsWith('no') ? o.slice(2) : `no${o}`)
  const defaults = TMPFS_DEFAULTS.filter(d => !user.includes(opposite(d)) && !(d === 'rw' && user.includes('ro')))
  return [...defaults, ...user.filter(o => !defaults.includes(o))]
}

/**
 * --mount type=bind,source=/a,target=/b[,readonly][,bind-propagation=P] | type=tmpfs,target=/t[,tmpfs-size=S][,tmpfs-mode=M]
 * | type=image,source=IMAGE,target=/p[,rw=true] | type=devpts,target=/p[,uid=,gid=,mode=,ptmxmode=,max=].
 */
export function parseMount(value: string, cwd: string): MountRequest {
  const fields = new Map<string, string | undefined>()
  for (const item of value.split(',')) {
    const eq = item.indexOf('=')
    fields.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? undefined : item.slice(eq + 1))
  }
  const take = (...names: string[]) => {
    for (const n of names) if (fields.has(n)) { const v = fields.get(n); fields.delete(n); return v ?? '' }
    return undefined
  }
  const flag = (...names: string[]) => {
    const v = take(...names)
    if (v === undefined || v === '' || v === 'true' || v === '1') return v !== undefined
    if (v === 'false' || v === '0') return false
    throw invalid(`--mount ${value}: "${names[0]}" takes true or false`)
  }
  const type = take('type')
  const target = take('target', 'destination', 'dst', 'dest')
  if (target === undefined || target === '') throw invalid(`--mount ${value}: a target is required (target=/path)`)
  const destination = containerPath('--mount', value, target)
  let mount: MountRequest
  if (type === 'bind') {
    const source = take('source', 'src')
    if (!source) throw invalid(`--mount ${value}: a bind mount needs source=/host/path`)
    const readonly = flag('readonly', 'ro')
    const propagation = take('bind-propagation')
    if (propagation !== undefined && !PROPAGATION.includes(propagation)) {
      throw invalid(`--mount ${value}: unknown bind-propagation "${propagation}"`, `use one of ${PROPAGATION.join(', ')}`)
    }
    const recursive = !flag('bind-nonrecursive')
    take('relabel', 'consistency')
    mount = {
      type: 'bind', source: hostPath('--mount', value, source, cwd), destination,
      options: [recursive ? 'rbind' : 'bind', ...(readonly ? ['ro'] : []), propagation ?? 'rprivate'],
    }
  } else if (type === 'tmpfs') {
    const opts: string[] = []
    const size = take('tmpfs-size')
    if (size !== undefined) opts.push(`size=${parseSize('--mount tmpfs-size', size)}`)
    const mode = take('tmpfs-mode')
    if (mode !== undefined) {
      if (!/^[0-7]{1,4}$/.test(mode)) throw invalid(`--mount ${value}: tmpfs-mode must be octal, e.g. 1777`)
      opts.push(`mode=${mode}`)
    }
    if (flag('readonly', 'ro')) opts.push('ro')
    mount = { type: 'tmpfs', destination, options: mergeTmpfsOptions(opts) }
  } else if (type === 'volume') {
    const source = take('source', 'src')
    const given = [...(flag('readonly', 'ro') ? ['ro'] : []), ...(flag('volume-nocopy', 'nocopy') ? ['nocopy'] : []), ...(flag('U', 'chown') ? ['U'] : [])]
    take('relabel')
    mount = volumeRequest('--mount', value, source ? volumeName('--mount', value, source) : undefined, destination, given)
  } else if (type === 'image') {
    const source = take('source', 'src')
    if (!source) throw invalid(`--mount ${value}: an image mount needs source=IMAGE`)
    const rw = take('rw', 'readwrite')
    if (rw !== undefined && rw !== 'true' && rw !== 'false') throw invalid(`--mount ${value}: "rw" takes true or false`)
    take('consistency')
    mount = { type: 'image', image: source, destination, options: rw === 'true' ? ['rw'] : ['ro'] }
  } else if (type === 'devpts') {
    const opts: string[] = []
    for (const key of ['uid', 'gid', 'mode', 'ptmxmode', 'newinstance', 'max']) {
      const v = take(key)
      if (v !== undefined) opts.push(v === '' ? key : `${key}=${v}`)
    }
    mount = { type: 'devpts', destination, options: opts }
  } else {
    throw invalid(`--mount ${value}: unknown or missing type`, 'use type=bind, type=volume, type=tmpfs, type=image or type=devpts')
  }
  const left = [...fields.keys()]
  if (left.length) throw invalid(`--mount ${value}: unknown field "${left[0]}" for type=${type}`)
  return mount
}

/** --security-opt: seccomp=unconfined|PATH, no-new-privileges[=true|false]. Profiles are read by the caller. */
export type SecurityOpt =
  | { kind: 'seccomp'; value: string }
  | { kind: 'no-new-privileges'; value: boolean }
  | { kind: 'mask' | 'unmask'; paths: string[] }
  | { kind: 'ignored'; what: string }

export function parseSecurityOpt(value: string): SecurityOpt {
  const eq = value.search(/[=:]/)
  const key = eq < 0 ? value : value.slice(0, eq)
  const arg = eq < 0 ? undefined : value.slice(eq + 1)
  if (key === 'seccomp') {
    if (!arg) throw invalid(`--security-opt ${value}: expected seccomp=unconfined or seccomp=/path/to/profile.json`)
    return { kind: 'seccomp', value: arg }
  }
  if (key === 'no-new-privileges') {
    if (arg === undefined || arg === 'true') return { kind: 'no-new-privileges', value: true }
    if (arg === 'false') return { kind: 'no-new-privileges', value: false }
    throw invalid(`--security-opt ${value}: no-new-privileges takes true or false`)
  }
  if (key === 'mask' || key === 'unmask') {
    const paths = (arg ?? '').split(':').filter(Boolean)
    if (!paths.length) throw invalid(`--security-opt ${value}: expected ${key}=/path[:/path...]`)
    for (const p of paths) {
      if (!p.startsWith('/') && !(key === 'unmask' && p === 'ALL')) throw invalid(`--security-opt ${value}: "${p}" is not an absolute path`)
    }
    return { kind: key, paths }
  }
  // cocker applies neither SELinux nor AppArmor; accepting the options keeps podman scripts working
  if (key === 'label' || key === 'apparmor') return { kind: 'ignored', what: key }
  throw invalid(`--security-opt ${value}: unknown option`, 'use seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges, mask=PATHS or unmask=PATHS')
}

const ID_MAX = 2 ** 32 - 1

function idNumber(flag: string, value: string, field: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) >= ID_MAX) throw invalid(`${flag} ${value}: ${field} must be a number from 0 to ${ID_MAX - 1}`)
  return Number(text)
}

/** --uidmap/--gidmap CONTAINER:HOST:SIZE. */
export function parseIdMap(flag: string, value: string): IdMapping {
  const parts = value.split(':')
  if (parts.length !== 3) throw invalid(`${flag} ${value}: expected CONTAINER_ID:HOST_ID:SIZE, e.g. 0:100000:65536`)
  const [containerID, hostID, size] = parts.map((p, i) => idNumber(flag, value, ['the container id', 'the host id', 'the size'][i], p))
  if (size === 0) throw invalid(`${flag} ${value}: the size must be at least 1`)
  return { containerID, hostID, size }
}

/** --userns host | keep-id[:uid=N,gid=N] | nomap | auto[:size=N]. */
export function parseUserns(value: string): UsernsRequest {
  const colon = value.indexOf(':')
  const mode = colon < 0 ? value : value.slice(0, colon)
  if (mode === 'ns' || mode === 'container') {
    throw new CockerError('NOT_SUPPORTED', `--userns ${value}: joining another user namespace is not supported yet`)
  }
  const opts = new Map<string, string>()
  for (const item of colon < 0 ? [] : value.slice(colon + 1).split(',')) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw invalid(`--userns ${value}: expected KEY=VALUE options after "${mode}:"`)
    opts.set(item.slice(0, eq), item.slice(eq + 1))
  }
  const only = (...keys: string[]) => {
    const other = [...opts.keys()].find(k => !keys.includes(k))
    if (other) throw invalid(`--userns ${value}: unknown option "${other}" for ${mode}`, keys.length ? `${mode} takes ${keys.join(', ')}` : `${mode} takes no options`)
  }
  const id = (key: string) => (opts.has(key) ? idNumber('--userns', value, key, opts.get(key)!) : undefined)
  switch (mode) {
    case '':
      only()
      return { mode: 'default' }
    case 'host':
    case 'nomap':
      only()
      return { mode }
    case 'keep-id': {
      only('uid', 'gid')
      const uid = id('uid')
      const gid = id('gid')
      return { mode, ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) }
    }
    case 'auto': {
      only('size')
      const size = id('size')
      if (size === 0) throw invalid(`--userns ${value}: the size must be at least 1`)
      return { mode, ...(size !== undefined ? { size } : {}) }
    }
    default:
      throw invalid(`--userns ${value}: unknown mode`, 'use host, keep-id[:uid=N,gid=N], nomap or auto[:size=N]')
  }
}

/** --oom-score-adj: the kernel's range. */
export function parseOomScoreAdj(value: number | string): number {
  const n = Number(value)
  if (String(value).trim() === '' || !Number.isInteger(n) || n < -1000 || n > 1000) {
    throw invalid(`--oom-score-adj ${value}: must be a whole number from -1000 to 1000`)
  }
  return n
}
