// containers.conf(5), read as Podman 4.3 reads it. Files, in order, each overriding the keys
// that it sets in those before it (a list replaces the whole earlier list, as Podman's TOML
// decoding into one struct does):
//   $CONTAINERS_CONF alone (it must exist), or else
//     /usr/share/containers/containers.conf, /etc/containers/containers.conf,
//     /etc/containers/containers.conf.d/*.conf (by name), and for a rootless user
//     $XDG_CONFIG_HOME/containers/containers.conf (~/.config without XDG_CONFIG_HOME) and its
//     containers.conf.d/*.conf;
//   then $CONTAINERS_CONF_OVERRIDE (later containers/common; it must exist).
// Keys cocker does not know are ignored, as Podman ignores them.
//
// What reads what:
//   cocker run (lib/cli/commands/run-options.ts) applies [containers] default_ulimits, env,
//     env_host, default_capabilities, default_sysctls, no_hosts, pids_limit, tz, umask and volumes, as
//     flag defaults or engine defaults, the way Podman applies them (flags override).
//   The container lifecycle reads the rest from `containersConf(env)`:
//     engine.stopTimeout (seconds, default 10)     stop, and the record's StopTimeout
//     engine.detachKeys ("ctrl-p,ctrl-q")           run -it, attach, exec -it
//     engine.runtime (undefined: cocker's own)     which OCI runtime, by name or path
//     engine.runtimes ([engine.runtimes])          the paths to try for a runtime's name
//     containers.logDriver ("k8s-file")             the monitor's log format
//     containers.logSizeMax (-1: unlimited)         bytes of log before it is truncated
//     containers.init (false), containers.initPath  --init and the init binary to use
//     containers.devices, label                     read, not applied yet
//   engine.events_logger and engine.image_default_transport are accepted and ignored.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { isRootless } from '../rootless/identity.js'
import { userRuntimeDir } from './runtime-dir.js'
import { confFilesIn } from './drop-ins.js'
import type { TomlTable } from './toml.js'

export interface ContainersConf {
  /** The files read, in order. */
  files: string[]
  /** Where a key was set, by "table.key", for messages about its value: "containers.env" → "FILE:LINE". */
  origin: Record<string, string>
  containers: {
    /** Bounding set of every container, CAP_ names as written (podman adds the CAP_ prefix); undefined: podman's list. */
    defaultCapabilities?: string[]
    /** "key=value" entries; undefined: podman's ["net.ipv4.ping_group_range=0 0"]. */
    defaultSysctls?: string[]
    /** "name=soft[:hard]" entries, as --ulimit takes them; they apply when no --ulimit is given. */
    defaultUlimits: string[]
    /** "HOST[:CONTAINER][:PERMISSIONS]" entries; not applied yet (cocker has no --device). */
    devices: string[]
    /** "KEY=VALUE" entries over podman's PATH, TERM and container=podman, under the image's Env. */
    env: string[]
    /** The host's environment under the image's Env (--env-host's default). */
    envHost: boolean
    /** Run an init (--init's default). */
    init: boolean
    /** The init binary for --init; undefined: cocker's own. */
    initPath?: string
    /** SELinux labelling: read, not applied (cocker applies no SELinux labels). */
    label: boolean
    /** "k8s-file", "json-file", "journald", "none", "passthrough" (--log-driver's default). */
    logDriver: string
    /** Bytes; -1: no limit (--log-opt max-size's default). */
    logSizeMax: number
    /** Leave /etc/hosts to the image (--no-hosts's default). */
    noHosts: boolean
    /** Tasks per container where it has a cgroup of its own; 0: none; undefined: podman's 2048. */
    pidsLimit?: number
    /** Time zone: "local" or a zoneinfo name such as "Europe/Paris" (--tz's default); undefined: the image's. */
    tz?: string
    /** The container process's umask (--umask's default). */
    umask: number
    /** "HOST:CONTAINER[:OPTIONS]" bind mounts every container gets (-v's syntax). */
    volumes: string[]
  }
  engine: {
    /** The keys that detach from a container's terminal (--detach-keys's default). */
    detachKeys: string
    /** OCI runtime by name or path (--runtime's default); undefined: cocker's built-in one. */
    runtime?: string
    /** [engine.runtimes]: a runtime's name → the paths to try for it, in order. */
    runtimes: Record<string, string[]>
    /** Seconds between the stop signal and SIGKILL (--stop-timeout's default). */
    stopTimeout: number
  }
}

/** Podman's values for the keys no file sets (those with a default in lib/spec are left undefined). */
function defaults(): ContainersConf {
  return {
    files: [],
    origin: {},
    containers: {
      // env: podman's file says PATH and TERM, which lib/spec sets anyway
      defaultUlimits: [], devices: [], env: [],
      envHost: false, init: false, label: true, logDriver: 'k8s-file', logSizeMax: -1, noHosts: false, umask: 0o022, volumes: [],
    },
    engine: { detachKeys: 'ctrl-p,ctrl-q', runtimes: {}, stopTimeout: 10 },
  }
}

const HINT = 'see containers.conf(5)'

/** The containers.conf files to read, in order; only those that exist (stat, no read). */
export function containersConfFiles(env: NodeJS.ProcessEnv, rootless: boolean): string[] {
  const mustExist = (variable: string, file: string) => {
    if (!existsFile(file)) throw new CockerError('CONFIG_INVALID', `${variable} names ${file}, which does not exist`, { hint: `create it, or unset ${variable}` })
    return file
  }
  const override = env.CONTAINERS_CONF_OVERRIDE ? [mustExist('CONTAINERS_CONF_OVERRIDE', env.CONTAINERS_CONF_OVERRIDE)] : []
  if (env.CONTAINERS_CONF) return [mustExist('CONTAINERS_CONF', env.CONTAINERS_CONF), ...override]
  const files = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'].filter(existsFile)
  files.push(...confFilesIn('/etc/containers/containers.conf.d'))
  if (rootless) {
    const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config')
    const user = path.join(configHome, 'containers/containers.conf')
    if (existsFile(user)) files.push(user)
    files.push(...confFilesIn(`${user}.d`))
  }
  return [...files, ...override]
}

function existsFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false
}

const memo = new Map<string, Promise<ContainersConf>>()

/**
 * The containers.conf in effect for this environment (rootless or not, from `env`). Kept per
 * process, and in the runtime dir across processes (see cachedContainersConf); smol-toml is
 * loaded only when a file must be parsed.
 */
export function containersConf(env: NodeJS.ProcessEnv = process.env): Promise<ContainersConf> {
  const rootless = isRootless(env)
  const key = [rootless, env.CONTAINERS_CONF, env.CONTAINERS_CONF_OVERRIDE, env.XDG_CONFIG_HOME, env.HOME].join('\0')
  let conf = memo.get(key)
  if (!conf) {
    const cache = path.join(rootless ? path.join(userRuntimeDir(env), 'cocker') : '/run/cocker', 'containers-conf.json')
    conf = cachedContainersConf(containersConfFiles(env, rootless), cache)
    memo.set(key, conf)
    // a failure is not kept: the next call says it again
    conf.catch(() => memo.delete(key))
  }
  return conf
}

/** One file's TOML, and the line of each key cocker reads there (smol-toml keeps no positions). */
export interface ParsedConf {
  doc: TomlTable
  /** "table" or "table.key" → its line, 1-based. */
  lines: Record<string, number>
}

/**
 * loadContainersConf through a cache file of the parsed TOML: parsing Debian's containers.conf
 * (24 KB, nearly all comments) costs `run` ~3.5 ms, reading this JSON ~0.1. Keyed by each
 * file's path, inode, size, mtime and ctime, written by rename; the parse is cached, not what
 * cocker makes of it, so a newer cocker never reads an older one's defaults. A missing, stale
 * or unreadable cache only means a parse, and a cache that cannot be written (its dir is made
 * by the first container) none.
 */
export async function cachedContainersConf(files: string[], cache: string): Promise<ContainersConf> {
  if (!files.length) return defaults()
  const key = files.map(f => {
    const st = statSync(f, { bigint: true })
    return [f, st.ino, st.size, st.mtimeNs, st.ctimeNs].join(' ')
  }).join('\n')
  let parsed: ParsedConf[] | undefined
  try {
    const saved = JSON.parse(readFileSync(cache, 'utf8')) as { key: string; parsed: ParsedConf[] }
    if (saved.key === key) parsed = saved.parsed
  } catch {
    // no cache yet, or one cut short: parse
  }
  if (!parsed) {
    parsed = await parseContainersConfFiles(files)
    const tmp = `${cache}.${process.pid}`
    try {
      writeFileSync(tmp, JSON.stringify({ key, parsed }))
      renameSync(tmp, cache)
    } catch {
      rmSync(tmp, { force: true })
    }
  }
  return mergeContainersConf(files, parsed)
}

/** The files merged in order over Podman's defaults. */
export async function loadContainersConf(files: string[]): Promise<ContainersConf> {
  return mergeContainersConf(files, await parseContainersConfFiles(files))
}

function mergeContainersConf(files: string[], parsed: ParsedConf[]): ContainersConf {
  const conf = defaults()
  files.forEach((file, i) => applyContainersConf(conf, parsed[i]!, file))
  return conf
}

async function parseContainersConfFiles(files: string[]): Promise<ParsedConf[]> {
  if (!files.length) return []
  const { parseToml } = await import('./toml.js')
  return files.map(file => {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new CockerError('CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, { hint: HINT })
    }
    return indexContainersConf(parseToml(text, file, HINT), text)
  })
}

/** The lines of the tables and keys cocker reads, where they are first set (for messages). Pure. */
export function indexContainersConf(doc: TomlTable, text: string): ParsedConf {
  const source = text.split('\n')
  const lines: Record<string, number> = {}
  // the first line that sets `key` (or opens [key]) from line `from` on: -1 when none does
  const find = (key: string, from = 0) => {
    const pattern = new RegExp(`^\\s*(\\[\\s*)?["']?${key}["']?\\s*[=\\]]`)
    const index = source.slice(from).findIndex(l => pattern.test(l))
    return index < 0 ? -1 : from + index
  }
  for (const table of ['containers', 'engine'] as const) {
    const t = doc[table]
    if (t === undefined) continue
    const header = find(table)
    if (header >= 0) lines[table] = header + 1
    if (typeof t !== 'object' || t === null) continue
    for (const key of Object.keys(t)) {
      const at = KEYS[table][key] ? find(key, header + 1) : -1
      if (at >= 0) lines[`${table}.${key}`] = at + 1
    }
  }
  return { doc, lines }
}

type Kind = 'string' | 'strings' | 'boolean' | 'integer' | 'umask'

// [table] key → [field, kind]; keys not listed are ignored
const KEYS: Record<'containers' | 'engine', Record<string, [string, Kind]>> = {
  containers: {
    default_capabilities: ['defaultCapabilities', 'strings'],
    default_sysctls: ['defaultSysctls', 'strings'],
    default_ulimits: ['defaultUlimits', 'strings'],
    devices: ['devices', 'strings'],
    env: ['env', 'strings'],
    env_host: ['envHost', 'boolean'],
    init: ['init', 'boolean'],
    init_path: ['initPath', 'string'],
    label: ['label', 'boolean'],
    log_driver: ['logDriver', 'string'],
    log_size_max: ['logSizeMax', 'integer'],
    no_hosts: ['noHosts', 'boolean'],
    pids_limit: ['pidsLimit', 'integer'],
    tz: ['tz', 'string'],
    umask: ['umask', 'umask'],
    volumes: ['volumes', 'strings'],
  },
  engine: {
    detach_keys: ['detachKeys', 'string'],
    runtime: ['runtime', 'string'],
    stop_timeout: ['stopTimeout', 'integer'],
  },
}

/** One parsed file over `conf`: each key it sets replaces the earlier value. Pure; throws CONFIG_INVALID naming FILE:LINE. */
export function applyContainersConf(conf: ContainersConf, { doc, lines }: ParsedConf, file: string): ContainersConf {
  conf.files.push(file)
  const where = (name: string) => (lines[name] ? `${file}:${lines[name]}` : file)
  const fail = (name: string, why: string) => new CockerError('CONFIG_INVALID', `${where(name)}: ${why}`, { hint: HINT })
  for (const table of ['containers', 'engine'] as const) {
    const t = doc[table]
    if (t === undefined) continue
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw fail(table, `${table} must be a table ([${table}])`)
    const target = conf[table] as Record<string, unknown>
    for (const [key, value] of Object.entries(t as TomlTable)) {
      if (table === 'engine' && key === 'runtimes') {
        conf.engine.runtimes = { ...conf.engine.runtimes, ...runtimePaths(value, why => fail('engine.runtimes', `[engine.runtimes] ${why}`)) }
        continue
      }
      const known = KEYS[table][key]
      if (!known) continue
      target[known[0]] = checked(value, known[1], why => fail(`${table}.${key}`, `[${table}] ${key} ${why}`))
      conf.origin[`${table}.${key}`] = where(`${table}.${key}`)
    }
  }
  return conf
}

/** [engine.runtimes]: each key a list of paths. */
function runtimePaths(value: unknown, fail: (why: string) => CockerError): Record<string, string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('must be a table of lists of paths')
  const out: Record<string, string[]> = {}
  for (const [name, paths] of Object.entries(value)) {
    if (!Array.isArray(paths) || paths.some(p => typeof p !== 'string')) throw fail(`${name} must be a list of paths`)
    out[name] = paths as string[]
  }
  return out
}

function checked(value: unknown, kind: Kind, fail: (why: string) => CockerError): unknown {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw fail('must be a string')
      return value
    case 'strings':
      if (!Array.isArray(value) || value.some(v => typeof v !== 'string')) throw fail('must be a list of strings')
      return value
    case 'boolean':
      if (typeof value !== 'boolean') throw fail('must be true or false')
      return value
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw fail('must be a whole number')
      return value
    case 'umask':
      // a string of octal digits, as Podman takes it ("0022", "077")
      if (typeof value !== 'string' || !/^[0-7]{1,4}$/.test(value)) throw fail('must be an octal string such as "0022"')
      return parseInt(value, 8)
  }
}
