/**
 * `parseRunOptions` checks the values of `cocker run`'s flags (lib/cli/flags/run.ts) and reads
 * the files they name (--env-file, seccomp profiles), so lib/spec gets plain data.
 */
import { existsSync, readFileSync } from 'node:fs'
import { containersConf, type ContainersConf } from '../../config/containers-conf.js'
import { CockerError } from '../../errors.js'
import type { Seccomp } from '../../runtime/oci-spec.js'
import {
  defaultRunOptions, normalizeCapability, parseIdMap, parseKeyValue, parseMount, parseNamespaceMode, parseNetwork, parsePublish, parseAddHost, parseDnsServer,
  parseMacAddress, NAME_PATTERN, parseOomScoreAdj, parseSecurityOpt, parseSize, parseStopSignal, parseTmpfs, parseUlimit, parseUserns, parseVolume, parseVolumesFrom,
  type RunOptions, type UsernsRequest,
} from '../../spec/run-options.js'
import { parseSystemdFlag } from '../../spec/systemd-mode.js'
import { type ParsedArgs, strings } from '../command.js'

/** What parseRunOptions needs from the host; tests pass fakes. */
export interface RunOptionsHost {
  env: NodeJS.ProcessEnv
  cwd: string
  readFile(path: string): string
  exists(path: string): boolean
  /** containers.conf; undefined: none (podman's built-in defaults). */
  conf?: ContainersConf
}

const nodeHost = (): RunOptionsHost => ({
  env: process.env, cwd: process.cwd(), readFile: p => readFileSync(p, 'utf8'), exists: p => existsSync(p),
})

const invalid = (message: string, hint?: string) => new CockerError('INVALID_ARGUMENT', message, { hint })
const optional = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)


/** parseRunOptions on this host, with its containers.conf: what `run` and `create` call. */
export async function readRunOptions(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Promise<RunOptions> {
  return parseRunOptions(args, { ...nodeHost(), env, conf: await containersConf(env) })
}

/** Parsed `run` flags and positionals → RunOptions. Throws CockerError INVALID_ARGUMENT naming the flag. */
export function parseRunOptions(args: ParsedArgs, host: RunOptionsHost = nodeHost()): RunOptions {
  const o = defaultRunOptions()
  o.command = strings(args.command)
  const entrypoint = optional(args.entrypoint)
  if (entrypoint !== undefined) o.entrypoint = parseEntrypoint(entrypoint)
  o.env = [...strings(args.envFile).flatMap(file => readEnvFile(file, host)), ...strings(args.env).flatMap(e => envEntry('--env', e, host.env))]
  if (typeof args.envHost === 'boolean' ? args.envHost : host.conf?.containers.envHost) {
    // --env-host (containers.conf env_host): under -e and --env-file, over the image's Env
    // NOTIFY_SOCKET is systemd's word to cocker, not to the container (--sdnotify container passes its own)
    o.env = [...Object.entries(host.env).flatMap(([k, v]) => (v === undefined || k === 'NOTIFY_SOCKET' ? [] : [`${k}=${v}`])), ...o.env]
  }

  if (typeof args.user === 'string') {
    if (args.user === '') throw invalid('--user: the user is empty')
    o.user = args.user
  }
  if (typeof args.workdir === 'string') {
    if (!args.workdir.startsWith('/')) throw invalid(`--workdir ${args.workdir}: the path must be absolute`)
    o.workdir = args.workdir
  }
  if (typeof args.hostname === 'string') {
    if (!/^[^\s/]{1,64}$/.test(args.hostname)) {
      throw invalid(`--hostname ${args.hostname}: not a valid hostname`, 'use up to 64 characters, without spaces or slashes')
    }
    o.hostname = args.hostname
  }
  if (typeof args.name === 'string') {
    if (!NAME_PATTERN.test(args.name)) throw invalid(`--name ${args.name}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`)
    o.name = args.name
  }

  o.tty = args.tty === true
  o.interactive = args.interactive === true
  o.init = args.init === true
  const initPath = optional(args.initPath)
  if (initPath !== undefined) {
    if (initPath === '') throw invalid('--init-path: the path is empty')
    o.initPath = initPath
  }
  o.readOnly = args.readOnly === true
  o.readOnlyTmpfs = args.readOnlyTmpfs !== false
  o.privileged = args.privileged === true
  o.capAdd = strings(args.capAdd).flatMap(c => c.split(',')).map(c => normalizeCapability('--cap-add', c))
  o.capDrop = strings(args.capDrop).flatMap(c => c.split(',')).map(c => normalizeCapability('--cap-drop', c))

  for (const value of strings(args.securityOpt)) {
    const opt = parseSecurityOpt(value)
    if (opt.kind === 'no-new-privileges') o.noNewPrivileges = opt.value
    else if (opt.kind === 'mask') o.mask.push(...opt.paths)
    else if (opt.kind === 'unmask') o.unmask.push(...opt.paths)
    else if (opt.kind === 'seccomp') {
      o.seccomp = opt.value === 'unconfined' ? { kind: 'unconfined' } : { kind: 'profile', profile: readSeccompProfile(opt.value, host) }
    }
  }

  o.ulimits = strings(args.ulimit).map(parseUlimit)
  const duplicate = o.ulimits.find((u, i) => o.ulimits.findIndex(v => v.type === u.type) !== i)
  if (duplicate) throw invalid(`--ulimit: ${duplicate.type.slice(7).toLowerCase()} is given twice`)
  for (const s of strings(args.sysctl)) {
    const [key, value] = parseKeyValue('--sysctl', s)
    o.sysctls[key] = value
  }

  o.mounts = [
    ...strings(args.volume).map(v => checkSource(parseVolume(v, host.cwd), '--volume', v, host)),
    ...strings(args.mount).map(m => checkSource(parseMount(m, host.cwd), '--mount', m, host)),
    ...strings(args.tmpfs).map(parseTmpfs),
  ]
  o.volumesFrom = strings(args.volumesFrom).map(parseVolumesFrom)
  const seen = new Set<string>()
  for (const m of o.mounts) {
    if (seen.has(m.destination)) throw invalid(`${m.destination}: more than one mount targets this path`)
    seen.add(m.destination)
  }

  const network = optional(args.network) ?? optional(args.net)
  if (network !== undefined) o.network = parseNetwork(network)
  o.ports = strings(args.publish).flatMap(parsePublish)
  o.publishAll = args.publishAll === true
  o.addHosts = strings(args.addHost).map(parseAddHost)
  o.dns = { servers: strings(args.dns).map(parseDnsServer), search: strings(args.dnsSearch), options: strings(args.dnsOption) }
  if (typeof args.noHosts === 'boolean') o.noHosts = args.noHosts
  const ip = optional(args.ip)
  const mac = optional(args.macAddress)
  o.bridge = { aliases: strings(args.networkAlias), ...(ip ? { ip } : {}), ...(mac !== undefined ? { mac: parseMacAddress(mac) } : {}) }
  if (typeof args.pid === 'string') o.pid = parseNamespaceMode('--pid', args.pid)
  if (typeof args.ipc === 'string') o.ipc = parseNamespaceMode('--ipc', args.ipc)
  if (typeof args.uts === 'string') o.uts = parseNamespaceMode('--uts', args.uts)

  if (typeof args.memory === 'string') o.memory = parseSize('--memory', args.memory)
  if (typeof args.memorySwap === 'string') o.memorySwap = args.memorySwap === '-1' ? -1 : parseSize('--memory-swap', args.memorySwap)
  if (typeof args.cpus === 'string') {
    const cpus = Number(args.cpus)
    if (args.cpus.trim() === '' || !Number.isFinite(cpus) || cpus <= 0) throw invalid(`--cpus ${args.cpus}: must be a number above 0, e.g. 0.5 or 2`)
    o.cpus = cpus
  }
  if (typeof args.pidsLimit === 'number') {
    if (!Number.isInteger(args.pidsLimit) || args.pidsLimit < -1) throw invalid(`--pids-limit ${args.pidsLimit}: must be a whole number, or -1 for unlimited`)
    o.pidsLimit = args.pidsLimit
  }

  o.labels = Object.fromEntries(strings(args.label).map(l => parseLabel('--label', l)))
  o.annotations = Object.fromEntries(strings(args.annotation).map(a => parseKeyValue('--annotation', a)))
  if (typeof args.stopSignal === 'string') o.stopSignal = parseStopSignal(args.stopSignal)
  if (typeof args.systemd === 'string') o.systemd = parseSystemdFlag(args.systemd)

  o.rm = args.rm === true
  o.detach = args.detach === true
  if (typeof args.pull === 'string') o.pull = args.pull as RunOptions['pull']
  o.platform = parsePlatform(args)
  if (typeof args.tlsVerify === 'boolean') o.tlsVerify = args.tlsVerify
  if (args.cgroups === 'disabled') o.cgroups = 'disabled'
  o.userns = parseUsernsFlags(args)
  if (args.rootfs === true) o.rootfs = parseRootfs(String(args.image), host)
  o.groupAdd = strings(args.groupAdd).flatMap(g => g.split(',')).map(g => g.trim())
  if (o.groupAdd.some(g => g === '')) throw invalid('--group-add: a group is empty', 'give a group name or gid')
  if (o.groupAdd.includes('keep-groups') && o.groupAdd.length > 1) {
    throw invalid('--group-add keep-groups cannot be combined with other groups', 'keep-groups keeps the groups cocker runs with; add no others')
  }
  if (args.oomScoreAdj !== undefined) o.oomScoreAdj = parseOomScoreAdj(args.oomScoreAdj as string)
  if (host.conf) applyContainersConf(o, host.conf, args, host)
  return o
}

/** --rootfs DIR[:O]: the positional IMAGE names the directory. */
function parseRootfs(value: string, host: RunOptionsHost): RunOptions['rootfs'] & {} {
  const overlay = value.endsWith(':O')
  const dir = overlay ? value.slice(0, -2) : value
  const abs = dir.startsWith('/') ? dir : `${host.cwd}/${dir}`
  if (!dir || !host.exists(abs)) throw invalid(`--rootfs ${value}: the directory ${abs} does not exist`, 'give the path of a root filesystem: cocker run --rootfs DIR COMMAND')
  return { path: abs.replace(/\/+$/, '') || '/', overlay }
}

/** --userns, or --uidmap/--gidmap (one given alone serves for both, as in podman). */
function parseUsernsFlags(args: ParsedArgs): UsernsRequest {
  const uid = strings(args.uidmap).map(v => parseIdMap('--uidmap', v))
  const gid = strings(args.gidmap).map(v => parseIdMap('--gidmap', v))
  const userns = typeof args.userns === 'string' ? parseUserns(args.userns) : { mode: 'default' as const }
  if (!uid.length && !gid.length) return userns
  if (userns.mode !== 'default') throw invalid(`--userns ${String(args.userns)} cannot be combined with --uidmap or --gidmap`, 'give one or the other')
  return { mode: 'maps', uid: uid.length ? uid : gid, gid: gid.length ? gid : uid }
}

/**
 * containers.conf's [containers] defaults, as podman takes them: default_ulimits is --ulimit's
 * default (any --ulimit replaces the whole list), no_hosts --no-hosts's, tz --tz's, umask
 * --umask's (env_host is read with --env-host); volumes are added where no -v or --mount
 * targets the same path; env, default_capabilities, default_sysctls and pids_limit replace
 * podman's built-in values, under the flags.
 */
function applyContainersConf(o: RunOptions, conf: ContainersConf, args: ParsedArgs, host: RunOptionsHost): void {
  const c = conf.containers
  if (!strings(args.ulimit).length) o.ulimits = c.defaultUlimits.map(u => confValue(conf, 'default_ulimits', () => parseUlimit(u)))
  o.defaults.env = c.env
  if (c.defaultCapabilities) o.defaults.capabilities = c.defaultCapabilities.map(cap => confValue(conf, 'default_capabilities', () => normalizeCapability('', cap)))
  if (c.defaultSysctls) o.defaults.sysctls = Object.fromEntries(c.defaultSysctls.map(kv => confValue(conf, 'default_sysctls', () => parseKeyValue('', kv))))
  if (c.pidsLimit !== undefined) o.defaults.pidsLimit = Math.max(c.pidsLimit, 0)
  o.umask = c.umask
  if (typeof args.noHosts !== 'boolean') o.noHosts = c.noHosts
  if (typeof args.init !== 'boolean') o.init = c.init
  if (o.initPath === undefined && c.initPath) o.initPath = c.initPath
  if (c.tz) o.timezone = confValue(conf, 'tz', () => timezone(c.tz!, host))
  const taken = new Set(o.mounts.map(m => m.destination))
  const volumes = c.volumes.map(v => confValue(conf, 'volumes', () => checkSource(parseVolume(v, host.cwd), '', v, host)))
  o.mounts = [...volumes.filter(m => !taken.has(m.destination)), ...o.mounts]
}

/** "local" is the host's /etc/localtime; a name is a file under /usr/share/zoneinfo (podman's --tz). */
function timezone(name: string, host: RunOptionsHost): { name: string; file: string } {
  if (name === 'local') {
    if (!host.exists('/etc/localtime')) throw invalid('"local": the host has no /etc/localtime')
    return { name, file: '/etc/localtime' }
  }
  const file = `/usr/share/zoneinfo/${name}`
  if (name.startsWith('/') || name.split('/').includes('..') || !host.exists(file)) {
    throw invalid(`"${name}": no such time zone in /usr/share/zoneinfo`, 'use a name such as Europe/Paris or UTC, or "local" for the host\'s')
  }
  return { name, file }
}

/** A containers.conf value through a flag's parser: the error names the file and key instead of a flag. */
function confValue<T>(conf: ContainersConf, key: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (!(err instanceof CockerError)) throw err
    const where = conf.origin[`containers.${key}`] ?? 'containers.conf'
    throw new CockerError('CONFIG_INVALID', `${where}: ${key} ${err.message.replace(/^(--[a-z-]+)? /, '')}`, { hint: err.hint ?? 'see containers.conf(5)' })
  }
}

/** podman: a JSON array is the argv, anything else is one word; "" clears the entrypoint. */
export function parseEntrypoint(value: string): string[] {
  if (value === '') return []
  if (value.trimStart().startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      return [value]
    }
    if (Array.isArray(parsed) && parsed.every(s => typeof s === 'string')) return parsed
    throw invalid(`--entrypoint ${value}: a JSON entrypoint must be an array of strings`)
  }
  return [value]
}

/** "KEY=VALUE" as is; a bare "KEY" takes the host's value, and is left out when the host has none (podman). */
export function envEntry(flag: string, entry: string, env: NodeJS.ProcessEnv): string[] {
  const eq = entry.indexOf('=')
  if (eq === 0) throw invalid(`${flag} ${entry}: the variable name is empty`)
  if (eq > 0) return [entry]
  const value = env[entry]
  return value === undefined ? [] : [`${entry}=${value}`]
}

export function readEnvFile(file: string, host: RunOptionsHost = nodeHost()): string[] {
  let text: string
  try {
    text = host.readFile(file)
  } catch (err) {
    throw invalid(`--env-file ${file}: cannot read it: ${(err as Error).message}`)
  }
  return text.split('\n').map(l => l.replace(/\r$/, '')).filter(l => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .flatMap(l => envEntry(`--env-file ${file}:`, l.trimStart(), host.env))
}

function readSeccompProfile(file: string, host: RunOptionsHost): Seccomp {
  let doc: unknown
  try {
    doc = JSON.parse(host.readFile(file))
  } catch (err) {
    throw invalid(`--security-opt seccomp=${file}: cannot read the profile: ${(err as Error).message}`)
  }
  if (typeof doc !== 'object' || doc === null || typeof (doc as Seccomp).defaultAction !== 'string') {
    throw invalid(`--security-opt seccomp=${file}: not a seccomp profile: "defaultAction" is missing`,
      'the file must be a JSON object like podman\'s seccomp.json')
  }
  return doc as Seccomp
}

function checkSource<M extends { type: string; source?: string }>(m: M, flag: string, value: string, host: RunOptionsHost): M {
  if (m.type === 'bind' && m.source && !host.exists(m.source)) {
    throw invalid(`${flag} ${value}: the host path ${m.source} does not exist`, 'create it first; cocker does not create bind mount sources')
  }
  return m
}

/** Labels may be "KEY" alone (an empty value), as podman allows. */
function parseLabel(flag: string, value: string): [string, string] {
  return value.includes('=') || value === '' ? parseKeyValue(flag, value) : [value, '']
}

function parsePlatform(args: ParsedArgs): RunOptions['platform'] {
  const platform: RunOptions['platform'] = {}
  if (typeof args.platform === 'string') {
    const [os, architecture, variant, ...extra] = args.platform.split('/')
    if (!os || !architecture || extra.length) throw invalid(`--platform ${args.platform}: expected OS/ARCH[/VARIANT], e.g. linux/arm64`)
    Object.assign(platform, { os, architecture }, variant ? { variant } : {})
  }
  if (typeof args.os === 'string') platform.os = args.os
  if (typeof args.arch === 'string') platform.architecture = args.arch
  if (typeof args.variant === 'string') platform.variant = args.variant
  return platform
}
