/**
 * Quadlet files (Podman's podman-systemd.unit(5): *.container, *.volume, *.network, *.pod,
 * *.kube, *.image) → systemd services that run cocker. The units follow Podman 4.x's quadlet
 * (the cidfile form of ExecStart/ExecStop) with cocker's binary and cocker's flags.
 *
 * A key that Podman's quadlet knows and cocker cannot serve is left out of the service and
 * reported (file, key, why); a key Podman's quadlet does not know fails the file, as there.
 */
import path from 'node:path'
import { SYSTEMD_UNIT_LABEL } from '../container/systemd-unit.js'
import { CockerError } from '../errors.js'
import { splitWords, UnitFile } from '../systemd/unit-file.js'

export const QUADLET_KINDS = ['container', 'volume', 'network', 'pod', 'kube', 'image'] as const
export type QuadletKind = (typeof QUADLET_KINDS)[number]

export interface QuadletSource {
  /** Where it was read (absolute): relative paths in it are taken from its directory. */
  path: string
  unit: UnitFile
}

export interface Unsupported { file: string; key: string; why: string }

export interface GeneratedService {
  source: string
  /** e.g. web.service, data-volume.service */
  name: string
  unit: UnitFile
}

export interface Conversion {
  services: GeneratedService[]
  unsupported: Unsupported[]
  errors: { file: string; message: string }[]
}

export interface ConvertOptions {
  /** Absolute path of the cocker the services run. */
  cocker: string
}

const GROUP: Record<QuadletKind, string> = { container: 'Container', volume: 'Volume', network: 'Network', pod: 'Pod', kube: 'Kube', image: 'Image' }
const SERVICE_SUFFIX: Record<QuadletKind, string> = { container: '', volume: '-volume', network: '-network', pod: '-pod', kube: '', image: '-image' }

const CID = '--cidfile=%t/%N.cid'

/** Podman's keys that cocker cannot serve (yet), with the reason the dry run gives, per kind. */
const NOT_SERVED = {
  common: {
    ContainersConfModule: 'cocker has no --module (containers.conf modules)',
  },
  container: {
    AddDevice: 'cocker run has no --device',
    AppArmor: 'cocker applies no AppArmor profiles',
    ExposeHostPort: 'cocker run has no --expose',
    HealthLogDestination: 'cocker run has no --health-log-destination',
    HealthMaxLogCount: 'cocker run has no --health-max-log-count',
    HealthMaxLogSize: 'cocker run has no --health-max-log-size',
    HealthStartupCmd: 'cocker run has no startup health checks (--health-startup-cmd)',
    HealthStartupInterval: 'cocker run has no startup health checks (--health-startup-interval)',
    HealthStartupRetries: 'cocker run has no startup health checks (--health-startup-retries)',
    HealthStartupSuccess: 'cocker run has no startup health checks (--health-startup-success)',
    HealthStartupTimeout: 'cocker run has no startup health checks (--health-startup-timeout)',
    HttpProxy: 'cocker run has no --http-proxy (proxy variables are not passed on)',
    IP6: 'cocker networks have no IPv6 (--ip6)',
    RemapGid: 'deprecated Podman key: use UIDMap=/GIDMap= or UserNS=',
    RemapUid: 'deprecated Podman key: use UIDMap=/GIDMap= or UserNS=',
    RemapUidSize: 'deprecated Podman key: use UserNS=auto:size=N',
    RemapUsers: 'deprecated Podman key: use UserNS=',
    Retry: 'cocker run has no --retry',
    RetryDelay: 'cocker run has no --retry-delay',
    Secret: 'cocker has no secrets (--secret)',
    SecurityLabelDisable: 'cocker applies no SELinux labels',
    SecurityLabelFileType: 'cocker applies no SELinux labels',
    SecurityLabelLevel: 'cocker applies no SELinux labels',
    SecurityLabelNested: 'cocker applies no SELinux labels',
    SecurityLabelType: 'cocker applies no SELinux labels',
    ShmSize: 'cocker run has no --shm-size',
    SubGIDMap: 'cocker run has no --subgidname',
    SubUIDMap: 'cocker run has no --subuidname',
    Timezone: 'cocker run has no --tz',
  },
  volume: {
    Image: 'cocker volumes have no image driver',
  },
  network: {
    DNS: 'cocker network create has no --dns (containers use the gateway\'s resolver)',
    IPAMDriver: 'cocker network create has no --ipam-driver',
    IPRange: 'cocker network create has no --ip-range',
    IPv6: 'cocker networks have no IPv6',
    InterfaceName: 'cocker network create has no --interface-name',
  },
  pod: {
    AddHost: 'cocker pod create has no --add-host',
    DNS: 'cocker pod create has no --dns',
    DNSOption: 'cocker pod create has no --dns-option',
    DNSSearch: 'cocker pod create has no --dns-search',
    ExitPolicy: 'cocker pod create has no --exit-policy',
    GIDMap: 'cocker pod create has no --gidmap',
    IP: 'cocker pod create has no --ip',
    IP6: 'cocker networks have no IPv6',
    NetworkAlias: 'cocker pod create has no --network-alias',
    RemapGid: 'deprecated Podman key: use UserNS=',
    RemapUid: 'deprecated Podman key: use UserNS=',
    RemapUidSize: 'deprecated Podman key: use UserNS=',
    RemapUsers: 'deprecated Podman key: use UserNS=',
    ShmSize: 'cocker pod create has no --shm-size',
    SubGIDMap: 'cocker pod create has no --subgidname',
    SubUIDMap: 'cocker pod create has no --subuidname',
    UIDMap: 'cocker pod create has no --uidmap',
    UserNS: 'cocker pod create has no --userns',
    Volume: 'cocker pod create has no --volume',
  },
  kube: {
    AutoUpdate: 'cocker kube play has no auto-update annotations (--annotation)',
    ExitCodePropagation: 'cocker kube play has no service container (--service-exit-code-propagation)',
    LogDriver: 'cocker kube play has no --log-driver',
    LogOpt: 'cocker kube play has no --log-opt',
    RemapGid: 'deprecated Podman key: use UserNS=',
    RemapUid: 'deprecated Podman key: use UserNS=',
    RemapUidSize: 'deprecated Podman key: use UserNS=',
    RemapUsers: 'deprecated Podman key: use UserNS=',
    UserNS: 'cocker kube play has no --userns',
  },
  image: {
    AllTags: 'cocker pull has no --all-tags',
    CertDir: 'cocker pull has no --cert-dir (certificates come from /etc/containers/certs.d and the system store)',
    DecryptionKey: 'cocker has no encrypted images (--decryption-key)',
    ImageTag: 'cocker pull pulls the Image= name itself',
    Policy: 'cocker pull has no --policy',
    Retry: 'cocker pull has no --retry',
    RetryDelay: 'cocker pull has no --retry-delay',
  },
} satisfies Record<QuadletKind | 'common', Record<string, string>>

/** The keys each kind turns into flags (besides NOT_SERVED's). */
const SERVED: Record<QuadletKind, readonly string[]> = {
  container: ['AddCapability', 'AddHost', 'Annotation', 'AutoUpdate', 'CgroupsMode', 'ContainerName', 'DNS', 'DNSOption', 'DNSSearch', 'DropCapability',
    'Entrypoint', 'Environment', 'EnvironmentFile', 'EnvironmentHost', 'Exec', 'GIDMap', 'GlobalArgs', 'Group', 'GroupAdd', 'HealthCmd', 'HealthInterval',
    'HealthOnFailure', 'HealthRetries', 'HealthStartPeriod', 'HealthTimeout', 'HostName', 'IP', 'Image', 'Label', 'LogDriver', 'LogOpt', 'Mask', 'Memory',
    'Mount', 'Network', 'NetworkAlias', 'NoNewPrivileges', 'Notify', 'PidsLimit', 'Pod', 'PodmanArgs', 'PublishPort', 'Pull', 'ReadOnly', 'ReadOnlyTmpfs',
    'ReloadCmd', 'ReloadSignal', 'Rootfs', 'RunInit', 'SeccompProfile', 'ServiceName', 'StartWithPod', 'StopSignal', 'StopTimeout', 'Sysctl', 'Tmpfs',
    'UIDMap', 'Ulimit', 'Unmask', 'User', 'UserNS', 'VolatileTmp', 'Volume', 'WorkingDir'],
  volume: ['Copy', 'Device', 'Driver', 'GID', 'GlobalArgs', 'Group', 'Label', 'Options', 'PodmanArgs', 'ServiceName', 'Type', 'UID', 'User', 'VolumeName'],
  network: ['DisableDNS', 'Driver', 'Gateway', 'GlobalArgs', 'Internal', 'Label', 'NetworkDeleteOnStop', 'NetworkName', 'Options', 'PodmanArgs', 'ServiceName', 'Subnet'],
  pod: ['GlobalArgs', 'HostName', 'Label', 'Network', 'PodName', 'PodmanArgs', 'PublishPort', 'ServiceName', 'StopTimeout'],
  kube: ['ConfigMap', 'GlobalArgs', 'KubeDownForce', 'Network', 'PodmanArgs', 'PublishPort', 'ServiceName', 'SetWorkingDirectory', 'Yaml'],
  image: ['Arch', 'AuthFile', 'Creds', 'GlobalArgs', 'Image', 'OS', 'PodmanArgs', 'ServiceName', 'TLSVerify', 'Variant'],
}

/** [Unit] keys whose values may name quadlet files (web.container → web.service). */
const DEPENDENCY_KEYS = ['After', 'Before', 'BindsTo', 'Conflicts', 'OnFailure', 'OnSuccess', 'PartOf', 'PropagatesReloadTo', 'PropagatesStopTo',
  'ReloadPropagatedFrom', 'Requires', 'Requisite', 'StopPropagatedFrom', 'Upholds', 'Wants']

/** [Service] keys that break what the service runs (Podman's quadlet warns about them too). */
const SERVICE_KEYS_NOT_SERVED: Record<string, string> = {
  User: 'systemd would run cocker as that user, with another store and user namespace: use User= in [Container], or a user unit of that user',
  Group: 'systemd would run cocker with that group: use Group= with User= in [Container]',
  DynamicUser: 'a dynamic user has no subordinate ids or store of its own for cocker',
}

export function quadletKind(file: string): QuadletKind | undefined {
  const ext = path.extname(file).slice(1)
  return (QUADLET_KINDS as readonly string[]).includes(ext) ? ext as QuadletKind : undefined
}

interface Info {
  kind: QuadletKind
  source: QuadletSource
  /** The service's file name. */
  service: string
  /** What it makes: the volume's, network's, pod's or image's name. */
  resource: string
  /** .pod: the container services to start with it. */
  start: string[]
}

const base = (file: string) => path.basename(file).replace(/\.[^.]+$/, '')

function serviceName(src: QuadletSource, kind: QuadletKind): string {
  const given = src.unit.get(GROUP[kind], 'ServiceName')
  if (given) return `${given}.service`
  const b = base(src.path)
  // a template foo@.container is foo@.service, and its instances foo@x.service
  return b.endsWith('@') ? `${b.slice(0, -1)}${SERVICE_SUFFIX[kind]}@.service` : `${b}${SERVICE_SUFFIX[kind]}.service`
}

function resourceName(src: QuadletSource, kind: QuadletKind): string {
  const u = src.unit
  const key = { volume: 'VolumeName', network: 'NetworkName', pod: 'PodName' }[kind as string]
  if (kind === 'image') return u.get('Image', 'Image') ?? ''
  const given = key ? u.get(GROUP[kind], key) : undefined
  if (given) return given
  const b = base(src.path)
  return b.endsWith('@') ? `systemd-${b.slice(0, -1)}-%i` : `systemd-${b}`
}

/** Converts every source; one that fails is left out and named in `errors`. */
export function convertQuadlets(sources: readonly QuadletSource[], o: ConvertOptions): Conversion {
  const out: Conversion = { services: [], unsupported: [], errors: [] }
  const infos = new Map<string, Info>()
  for (const source of sources) {
    const kind = quadletKind(source.path)
    if (!kind) continue
    infos.set(path.basename(source.path), { kind, source, service: serviceName(source, kind), resource: resourceName(source, kind), start: [] })
  }
  // pods last: their services start the containers that name them
  const order = [...infos.values()].sort((a, b) => Number(a.kind === 'pod') - Number(b.kind === 'pod'))
  for (const info of order) {
    const c = new Converter(info, infos, o)
    try {
      out.services.push({ source: info.source.path, name: info.service, unit: c.convert() })
      // only a file that converts: one that fails is one error line, and no pod starts it
      out.unsupported.push(...c.notes)
      if (c.startWith) infos.get(c.startWith)!.start.push(info.service)
    } catch (err) {
      if (!(err instanceof CockerError)) throw err
      out.errors.push({ file: info.source.path, message: err.message })
    }
  }
  return out
}

const fail = (message: string) => new CockerError('INVALID_ARGUMENT', message)

class Converter {
  /** The keys it left out, and why. */
  readonly notes: Unsupported[] = []
  /** The .pod whose service starts this container's. */
  startWith: string | undefined
  private readonly unit: UnitFile
  private readonly group: string
  private readonly service: UnitFile

  constructor(private readonly info: Info, private readonly infos: Map<string, Info>, private readonly o: ConvertOptions) {
    this.unit = info.source.unit
    this.group = GROUP[info.kind]
    this.service = this.unit.clone()
  }

  convert(): UnitFile {
    this.checkKeys()
    const s = this.service
    this.translateDependencies()
    s.add('Unit', 'SourcePath', this.info.source.path)
    // the runtime directory holds the cidfiles
    s.add('Unit', 'RequiresMountsFor', '%t/containers')
    s.rename(this.group, `X-${this.group}`)
    s.rename('Quadlet', 'X-Quadlet')
    this[this.info.kind]()
    // [Unit] first and [Install] last, as people write them
    const rank = (name: string) => (name === 'Unit' ? 0 : name === 'Service' ? 2 : name === 'Install' ? 3 : 1)
    s.sections.sort((a, b) => rank(a.name) - rank(b.name))
    return s
  }

  private file(): string { return this.info.source.path }

  private note(key: string, why: string): void {
    this.notes.push({ file: this.file(), key, why })
  }

  private checkKeys(): void {
    const kind = this.info.kind
    const notServed: Record<string, string> = { ...NOT_SERVED.common, ...NOT_SERVED[kind] }
    for (const key of this.unit.keys(this.group)) {
      if (key in notServed) this.note(key, notServed[key]!)
      else if (!SERVED[kind].includes(key)) throw fail(`unsupported key '${key}' in group '${this.group}' in ${this.file()}`)
    }
    for (const key of this.unit.keys('Service')) {
      if (key in SERVICE_KEYS_NOT_SERVED) this.note(`[Service] ${key}`, SERVICE_KEYS_NOT_SERVED[key]!)
    }
    if (this.unit.section('Quadlet')?.entries.length) this.note('[Quadlet]', 'cocker\'s generator adds no default dependencies, so DefaultDependencies= changes nothing')
  }

  private translateDependencies(): void {
    for (const key of DEPENDENCY_KEYS) {
      const values = this.service.all('Unit', key)
      const words = values.flatMap(v => splitWords(v))
      if (!words.some(w => quadletKind(w))) continue
      const translated = words.map(w => {
        if (!quadletKind(w)) return w
        const dep = this.infos.get(w)
        if (!dep) throw fail(`${key}=${w}: no quadlet file ${w} next to ${this.file()}`)
        return dep.service
      })
      this.service.unset('Unit', key)
      this.service.add('Unit', key, translated.join(' '))
    }
  }

  // ---- lookups

  private get(key: string): string | undefined {
    const v = this.unit.get(this.group, key)
    return v === undefined || v === '' ? undefined : v
  }

  private all(key: string): string[] { return this.unit.all(this.group, key) }
  private words(key: string): string[] { return this.unit.words(this.group, key) }
  private bool(key: string): boolean | undefined { return this.unit.bool(this.group, key) }

  /** Environment=/Label=-style keys: words of KEY=VALUE (or KEY), later ones win, sorted as Podman's. */
  private keyValues(key: string): string[] {
    const map = new Map<string, string>()
    for (const word of this.words(key)) {
      const eq = word.indexOf('=')
      map.set(eq < 0 ? word : word.slice(0, eq), word)
    }
    return [...map.keys()].sort().map(k => map.get(k)!)
  }

  /** cocker [GlobalArgs…]: the start of every command line. */
  private command(...args: string[]): string[] {
    return [this.o.cocker, ...this.words('GlobalArgs'), ...args]
  }

  /** A path in the file, relative to the file's directory (a path starting with a specifier is systemd's). */
  private absolute(p: string): string {
    return p.startsWith('%') || path.isAbsolute(p) ? p : path.resolve(path.dirname(this.file()), p)
  }

  /** name.volume, name.network, name.image, name.pod → what it makes, and the order that makes it first. */
  private reference(name: string, kinds: QuadletKind[], how: 'Requires' | 'BindsTo' = 'Requires'): string {
    const kind = quadletKind(name)
    if (!kind || !kinds.includes(kind)) return name
    const dep = this.infos.get(name)
    if (!dep) throw fail(`${name}: there is no quadlet file ${name} (${this.file()} refers to it)`)
    this.service.add('Unit', how, dep.service)
    this.service.add('Unit', 'After', dep.service)
    return dep.resource
  }

  private storageSource(source: string): string {
    if (source.startsWith('.')) source = this.absolute(source)
    if (source.startsWith('/')) {
      this.service.add('Unit', 'RequiresMountsFor', source)
      return source
    }
    return this.reference(source, ['volume', 'image'])
  }

  private volumes(args: string[]): void {
    for (const v of this.all('Volume')) {
      const parts = v.split(':')
      if (parts.length === 1) {
        args.push('-v', v)
        continue
      }
      const [source, ...rest] = parts
      args.push('-v', [this.storageSource(source!), ...rest].join(':'))
    }
  }

  private networks(args: string[]): void {
    const networks = this.all('Network')
    networks.forEach((n, i) => {
      if (i > 0) return this.note('Network', `${n}: cocker joins a container to one network at its start (cocker network connect adds more)`)
      const [name, ...options] = n.split(':')
      args.push('--network', [this.reference(name!, ['network']), ...options].join(':'))
    })
  }

  private serviceDefaults(): void {
    const s = this.service
    if (!s.has('Service', 'SyslogIdentifier')) s.set('Service', 'SyslogIdentifier', '%N')
  }

  private killMode(): void {
    const mode = this.service.get('Service', 'KillMode')
    if (mode === undefined) this.service.set('Service', 'KillMode', 'mixed')
    else if (mode !== 'mixed' && mode !== 'control-group') throw fail(`${this.file()}: invalid KillMode '${mode}': use mixed or control-group`)
  }

  private oneshot(): void {
    const s = this.service
    if (!s.has('Service', 'Type')) s.set('Service', 'Type', 'oneshot')
    if (!s.has('Service', 'RemainAfterExit')) s.set('Service', 'RemainAfterExit', 'yes')
    this.serviceDefaults()
  }

  // ---- the kinds

  private container(): void {
    const s = this.service
    const image = this.get('Image')
    const rootfs = this.get('Rootfs')
    if (!image && !rootfs) throw fail(`${this.file()}: no Image or Rootfs key specified`)
    if (image && rootfs) throw fail(`${this.file()}: Image= and Rootfs= cannot be given together`)
    const name = this.get('ContainerName') ?? (base(this.file()).includes('@') ? 'systemd-%p_%i' : 'systemd-%N')

    // cocker auto-update restarts the container through this unit
    s.add('Service', 'Environment', `${SYSTEMD_UNIT_LABEL}=%n`)
    this.killMode()
    // ExecStopPost as well: systemd runs only the *Post commands when the main process died
    const [program, ...rm] = this.command('rm', '-v', '-f', '-i', CID)
    s.addCommand('Service', 'ExecStop', [program!, ...rm])
    s.addCommand('Service', 'ExecStopPost', [`-${program}`, ...rm])
    this.reload(name)

    const run = this.command('run', `--name=${name}`, CID, '--replace', '--rm')
    const type = s.get('Service', 'Type')
    if (type !== undefined && type !== 'notify' && type !== 'oneshot') throw fail(`${this.file()}: invalid service Type '${type}': use notify or oneshot`)
    if (type !== 'oneshot') {
      const notify = this.get('Notify')
      run.push(`--sdnotify=${notify?.toLowerCase() === 'healthy' ? 'healthy' : this.bool('Notify') ? 'container' : 'conmon'}`)
      s.set('Service', 'Type', 'notify')
      s.set('Service', 'NotifyAccess', 'all')
      run.push('-d')
    }
    this.serviceDefaults()
    // as Podman's units. Podman adds --cgroups=split (the container's cgroup under the
    // unit's); cocker has no split mode and puts it where it always does (lib/cgroups/path.ts)
    s.add('Service', 'Delegate', 'yes')

    const logDriver = this.get('LogDriver')
    if (logDriver) run.push('--log-driver', logDriver)
    for (const opt of this.all('LogOpt')) run.push('--log-opt', opt)
    const cgroups = this.get('CgroupsMode')
    if (cgroups === 'enabled' || cgroups === 'disabled') run.push(`--cgroups=${cgroups}`)
    else if (cgroups) this.note('CgroupsMode', `${cgroups}: cocker run's --cgroups takes enabled or disabled`)
    if (this.unit.has(this.group, 'Entrypoint')) run.push(`--entrypoint=${this.unit.get(this.group, 'Entrypoint')}`)

    const single: [string, string][] = [['PidsLimit', '--pids-limit'], ['WorkingDir', '--workdir'], ['IP', '--ip'], ['HostName', '--hostname'],
      ['StopSignal', '--stop-signal'], ['StopTimeout', '--stop-timeout'], ['Pull', '--pull'], ['Memory', '--memory'], ['UserNS', '--userns']]
    for (const [key, flag] of single) {
      const v = this.get(key)
      if (v !== undefined) run.push(flag, v)
    }
    const repeated: [string, string][] = [['NetworkAlias', '--network-alias'], ['Ulimit', '--ulimit'], ['DNS', '--dns'], ['DNSOption', '--dns-option'],
      ['DNSSearch', '--dns-search'], ['GroupAdd', '--group-add'], ['AddHost', '--add-host'], ['Tmpfs', '--tmpfs']]
    for (const [key, flag] of repeated) for (const v of this.all(key)) run.push(flag, v)
    const bools: [string, string][] = [['RunInit', '--init'], ['EnvironmentHost', '--env-host'], ['ReadOnlyTmpfs', '--read-only-tmpfs']]
    for (const [key, flag] of bools) {
      const v = this.bool(key)
      if (v !== undefined) run.push(v ? flag : `${flag}=false`)
    }
    this.networks(run)

    if (this.bool('NoNewPrivileges')) run.push('--security-opt=no-new-privileges')
    const seccomp = this.get('SeccompProfile')
    if (seccomp) run.push('--security-opt', `seccomp=${seccomp}`)
    for (const cap of this.words('DropCapability')) run.push('--cap-drop', cap.toLowerCase())
    for (const cap of this.words('AddCapability')) run.push('--cap-add', cap.toLowerCase())
    for (const sysctl of this.words('Sysctl')) run.push('--sysctl', sysctl)
    const readOnly = this.bool('ReadOnly')
    if (readOnly !== undefined) run.push(readOnly ? '--read-only' : '--read-only=false')
    if (this.bool('VolatileTmp') && !readOnly) run.push('--tmpfs', '/tmp:rw,size=512M,mode=1777')

    const user = this.get('User')
    const group = this.get('Group')
    if (group && !user) throw fail(`${this.file()}: Group= without User=`)
    if (user) run.push('--user', group ? `${user}:${group}` : user)
    for (const m of this.words('UIDMap')) run.push('--uidmap', m)
    for (const m of this.words('GIDMap')) run.push('--gidmap', m)

    this.volumes(run)
    const update = this.get('AutoUpdate')
    if (update) run.push('--label', `io.containers.autoupdate=${update}`)
    for (const p of this.all('PublishPort')) run.push('--publish', p.trim())
    for (const e of this.keyValues('Environment')) run.push('--env', e)
    for (const l of this.keyValues('Label')) run.push('--label', l)
    for (const a of this.keyValues('Annotation')) run.push('--annotation', a)
    for (const m of this.words('Mask')) run.push('--security-opt', `mask=${m}`)
    for (const m of this.words('Unmask')) run.push('--security-opt', `unmask=${m}`)
    for (const f of this.words('EnvironmentFile')) run.push('--env-file', this.absolute(f))
    for (const m of this.words('Mount')) run.push('--mount', this.mount(m))

    const health: [string, string][] = [['HealthCmd', 'cmd'], ['HealthInterval', 'interval'], ['HealthOnFailure', 'on-failure'], ['HealthRetries', 'retries'],
      ['HealthStartPeriod', 'start-period'], ['HealthTimeout', 'timeout']]
    for (const [key, flag] of health) {
      const v = this.get(key)
      if (v !== undefined) run.push(`--health-${flag}`, v)
    }
    this.joinPod(run)
    run.push(...this.words('PodmanArgs'))
    if (image) run.push(this.reference(image, ['image']))
    else run.push('--rootfs', rootfs!)
    const exec = this.unit.raw(this.group, 'Exec')
    if (exec) run.push(...splitWords(exec))
    s.addCommand('Service', 'ExecStart', run)
  }

  /** --mount type=volume,source=x.volume,… with the volume's name (bind sources made absolute). */
  private mount(spec: string): string {
    const fields = spec.split(',')
    const type = fields.find(f => f.startsWith('type='))?.slice(5) ?? 'volume'
    if (!['volume', 'bind', 'image'].includes(type)) return spec
    return fields.map(f => {
      const m = /^(source|src)=(.*)$/.exec(f)
      return m ? `${m[1]}=${this.storageSource(m[2]!)}` : f
    }).join(',')
  }

  private joinPod(run: string[]): void {
    const pod = this.get('Pod')
    if (!pod) return
    if (!pod.endsWith('.pod')) throw fail(`${this.file()}: Pod=${pod} is not a quadlet .pod file`)
    run.push('--pod', this.reference(pod, ['pod'], 'BindsTo'))
    if (!base(this.file()).endsWith('@') && this.bool('StartWithPod') !== false) this.startWith = pod
  }

  private reload(name: string): void {
    const cmd = this.unit.raw(this.group, 'ReloadCmd')
    const signal = this.get('ReloadSignal')
    if (cmd && signal) throw fail(`${this.file()}: ReloadCmd= and ReloadSignal= cannot be given together`)
    if (cmd) this.service.addCommand('Service', 'ExecReload', this.command('exec', name, ...splitWords(cmd)))
    if (signal) this.service.addCommand('Service', 'ExecReload', this.command('kill', '--signal', signal, name))
  }

  private volume(): void {
    const args = this.command('volume', 'create', '--ignore')
    const driver = this.get('Driver')
    if (driver) args.push('--driver', driver)
    const o: string[] = []
    for (const [key, opt] of [['User', 'uid'], ['UID', 'uid'], ['Group', 'gid'], ['GID', 'gid']] as const) {
      const v = this.get(key)
      if (v === undefined) continue
      if (!/^\d+$/.test(v)) this.note(key, `${v}: cocker takes a numeric id for the volume's owner`)
      else o.push(`${opt}=${v}`)
    }
    const copy = this.bool('Copy')
    if (copy === false) args.push('--opt', 'nocopy')
    const device = this.get('Device')
    if (device) args.push('--opt', `device=${device}`)
    const type = this.get('Type')
    if (type) {
      if (!device) throw fail(`${this.file()}: Type= needs Device=`)
      args.push('--opt', `type=${type}`)
      if (type === 'bind') this.service.add('Unit', 'RequiresMountsFor', device)
    }
    const options = this.get('Options')
    if (options) o.push(options)
    if (o.length) args.push('--opt', `o=${o.join(',')}`)
    for (const l of this.keyValues('Label')) args.push('--label', l)
    args.push(...this.words('PodmanArgs'), this.info.resource)
    this.service.addCommand('Service', 'ExecStart', args)
    this.oneshot()
  }

  private network(): void {
    const name = this.info.resource
    if (this.bool('NetworkDeleteOnStop')) this.service.addCommand('Service', 'ExecStopPost', this.command('network', 'rm', name))
    const args = this.command('network', 'create', '--ignore')
    if (this.bool('DisableDNS')) args.push('--disable-dns')
    if (this.bool('Internal')) args.push('--internal')
    const driver = this.get('Driver')
    if (driver) args.push('--driver', driver)
    const subnets = this.all('Subnet')
    const gateways = this.all('Gateway')
    if (gateways.length > subnets.length) throw fail(`${this.file()}: more Gateway= than Subnet= keys`)
    subnets.forEach((subnet, i) => {
      if (i > 0) return this.note('Subnet', `${subnet}: a cocker network has one subnet`)
      args.push('--subnet', subnet)
      if (gateways[i]) args.push('--gateway', gateways[i]!)
    })
    for (const opt of this.keyValues('Options')) args.push('--opt', opt)
    for (const l of this.keyValues('Label')) args.push('--label', l)
    args.push(...this.words('PodmanArgs'), name)
    this.service.addCommand('Service', 'ExecStart', args)
    this.oneshot()
  }

  /**
   * Podman's pod service forks: `pod create --infra-conmon-pidfile` gives systemd the infra's
   * monitor as the main process. cocker's pod create has no such file, so the service is a
   * oneshot that stays active after `pod start`, and ExecStop stops the pod.
   */
  private pod(): void {
    const s = this.service
    const name = this.info.resource
    for (const c of this.info.start) {
      s.add('Unit', 'Wants', c)
      s.add('Unit', 'Before', c)
    }
    const create = this.command('pod', 'create', '--replace')
    for (const p of this.all('PublishPort')) create.push('--publish', p.trim())
    for (const l of this.keyValues('Label')) create.push('--label', l)
    this.networks(create)
    const hostname = this.get('HostName')
    if (hostname) create.push('--hostname', hostname)
    create.push('--name', name, ...this.words('PodmanArgs'))
    s.addCommand('Service', 'ExecStartPre', create)
    s.addCommand('Service', 'ExecStart', this.command('pod', 'start', name))
    s.addCommand('Service', 'ExecStop', this.command('pod', 'stop', '--ignore', `--time=${this.get('StopTimeout') ?? '10'}`, name))
    s.addCommand('Service', 'ExecStopPost', this.command('pod', 'rm', '--ignore', '--force', name))
    s.add('Service', 'Environment', `${SYSTEMD_UNIT_LABEL}=%n`)
    this.oneshot()
  }

  /**
   * `cocker kube play` (Podman's form: --replace, the YAML files last; `kube down` after
   * stop). Podman keeps a service container as the main process; cocker's kube play has
   * none, so the service is a oneshot that stays active.
   */
  private kube(): void {
    const s = this.service
    const all = this.words('Yaml').map(y => this.absolute(y))
    if (!all.length) throw fail(`${this.file()}: no Yaml key specified`)
    const yamls = all.slice(0, 1)
    for (const y of all.slice(1)) this.note('Yaml', `${y}: cocker kube play takes one file (put the documents in one, separated by ---)`)
    this.killMode()
    s.add('Service', 'Environment', `${SYSTEMD_UNIT_LABEL}=%n`)
    const play = this.command('kube', 'play', '--replace')
    this.networks(play)
    for (const p of this.all('PublishPort')) play.push('--publish', p.trim())
    for (const c of this.words('ConfigMap')) play.push('--configmap', this.absolute(c))
    play.push(...this.words('PodmanArgs'), ...yamls)
    s.addCommand('Service', 'ExecStart', play)
    const force = this.bool('KubeDownForce')
    s.addCommand('Service', 'ExecStopPost', this.command('kube', 'down', ...(force === undefined ? [] : [force ? '--force' : '--force=false']), ...yamls))
    const wd = this.get('SetWorkingDirectory')?.toLowerCase()
    if (wd && !s.has('Service', 'WorkingDirectory')) {
      if (wd === 'yaml' && yamls.length === 1) s.add('Service', 'WorkingDirectory', path.dirname(yamls[0]!))
      else if (wd === 'unit') s.add('Service', 'WorkingDirectory', path.dirname(this.file()))
      else throw fail(`${this.file()}: SetWorkingDirectory=${wd}: use yaml (with one Yaml=) or unit`)
    }
    this.oneshot()
  }

  private image(): void {
    const image = this.get('Image')
    if (!image) throw fail(`${this.file()}: no Image key specified`)
    const args = this.command('pull')
    for (const [key, flag] of [['Arch', '--arch'], ['AuthFile', '--authfile'], ['Creds', '--creds'], ['OS', '--os'], ['Variant', '--variant']] as const) {
      const v = this.get(key)
      if (v !== undefined) args.push(flag, v)
    }
    const tls = this.bool('TLSVerify')
    if (tls !== undefined) args.push(tls ? '--tls-verify' : '--tls-verify=false')
    args.push(...this.words('PodmanArgs'), image)
    this.service.addCommand('Service', 'ExecStart', args)
    this.oneshot()
  }
}
