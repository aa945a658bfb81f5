// containers-registries.conf(5), version 2: search registries for short names,
// and per-prefix location rewrites, mirrors, insecure and blocked registries.
//   unqualified-search-registries = ["quay.io", "docker.io"]
//   [[registry]]
//   prefix = "example.com/foo"
//   location = "internal:5000/foo"
//   insecure = true
//   [[registry.mirror]]
//   location = "mirror.local/foo"
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { confFilesIn } from './drop-ins.js'
import { parseToml, type TomlTable } from './toml.js'

export interface Mirror {
  location: string
  insecure: boolean
}

export interface RegistryEntry {
  prefix: string
  location: string
  insecure: boolean
  blocked: boolean
  mirrors: Mirror[]
}

export interface RegistriesConfig {
  /** The file read, if any. */
  file?: string
  unqualifiedSearchRegistries?: string[]
  registries: RegistryEntry[]
}

export interface Endpoint {
  /** Where to connect: 'mirror.local', 'internal:5000'. */
  host: string
  /** The repository there (a location may rewrite the prefix). */
  repository: string
  insecure: boolean
  mirror: boolean
}

const HINT = 'see containers-registries.conf(5)'

/**
 * The files read, in order, as containers/image reads them: $CONTAINERS_REGISTRIES_CONF, else the
 * user's registries.conf when it exists, else /etc/containers/registries.conf; then the *.conf
 * drop-ins, by name, of /etc/containers/registries.conf.d (not when the user's own file is read)
 * and of the user's registries.conf.d. Later files override earlier ones (see mergeRegistriesConf).
 */
export function registriesConfFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config')
  const userFile = path.join(configHome, 'containers/registries.conf')
  const userOwn = !env.CONTAINERS_REGISTRIES_CONF && existsSync(userFile)
  const main = env.CONTAINERS_REGISTRIES_CONF || (userOwn ? userFile : '/etc/containers/registries.conf')
  const dirs = [...(userOwn ? [] : ['/etc/containers/registries.conf.d']), `${userFile}.d`]
  return [main, ...dirs.flatMap(confFilesIn)]
}

export async function loadRegistriesConf(env: NodeJS.ProcessEnv = process.env): Promise<RegistriesConfig> {
  let config: RegistriesConfig = { registries: [] }
  for (const file of registriesConfFiles(env)) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw new CockerError('CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
    }
    config = mergeRegistriesConf(config, parseRegistriesConf(text, file))
  }
  return config
}

/**
 * A drop-in over what came before (containers/image's rule): its search list replaces the
 * earlier one, its [[registry]] entries replace those of the same prefix, the rest are added.
 */
export function mergeRegistriesConf(base: RegistriesConfig, over: RegistriesConfig): RegistriesConfig {
  const replaced = new Set(over.registries.map(r => r.prefix))
  return {
    file: base.file ?? over.file,
    unqualifiedSearchRegistries: over.unqualifiedSearchRegistries ?? base.unqualifiedSearchRegistries,
    registries: [...base.registries.filter(r => !replaced.has(r.prefix)), ...over.registries],
  }
}

/** Registries tried for a short name, in order. Podman's default when unset: docker.io. */
export function searchRegistries(config: RegistriesConfig): string[] {
  return config.unqualifiedSearchRegistries ?? ['docker.io']
}

/** The entry whose prefix matches "registry/repository" longest, as containers/image picks it. */
export function findRegistry(config: RegistriesConfig, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined
  let bestLength = -1
  for (const r of config.registries) {
    let matched = -1
    if (r.prefix.startsWith('*.')) {
      const host = name.split('/')[0]!
      if (host.endsWith(r.prefix.slice(1))) matched = r.prefix.length
    } else if (name === r.prefix || name.startsWith(`${r.prefix}/`)) {
      matched = r.prefix.length
    }
    if (matched > bestLength) {
      best = r
      bestLength = matched
    }
  }
  return best
}

/**
 * Where to fetch registry/repository from: mirrors first, then the location. A blocked
 * registry is REGISTRY_BLOCKED.
 */
export function endpointsFor(config: RegistriesConfig, ref: { registry: string; repository: string }): Endpoint[] {
  const name = `${ref.registry}/${ref.repository}`
  const entry = findRegistry(config, name)
  if (!entry) return [{ host: ref.registry, repository: ref.repository, insecure: false, mirror: false }]
  if (entry.blocked) {
    throw new CockerError('REGISTRY_BLOCKED', `registry ${entry.prefix} is blocked in ${config.file ?? 'registries.conf'}`, {
      hint: `remove "blocked = true" from its [[registry]] entry to use ${name}`,
    })
  }
  // A wildcard prefix keeps the name as is; otherwise the location replaces the prefix.
  const rewrite = (location: string) => (entry.prefix.startsWith('*.') ? name : location + name.slice(entry.prefix.length))
  const split = (full: string, insecure: boolean, mirror: boolean): Endpoint => {
    const slash = full.indexOf('/')
    return { host: full.slice(0, slash), repository: full.slice(slash + 1), insecure, mirror }
  }
  return [...entry.mirrors.map(m => split(rewrite(m.location), m.insecure, true)), split(rewrite(entry.location), entry.insecure, false)]
}

/** Parses registries.conf v2 (the keys cocker uses; others are ignored); errors name file:line. Pure. */
export function parseRegistriesConf(text: string, file = 'registries.conf'): RegistriesConfig {
  const root = parseToml(text, file, HINT)
  // smol-toml keeps no positions: the n-th [[registry]] header's line stands for the n-th entry
  const headers = [...text.split('\n').entries()].filter(([, l]) => /^\s*\[\[\s*registry\s*\]\]/.test(l)).map(([i]) => i + 1)
  const fail = (why: string, index?: number): never => {
    const line = index === undefined ? undefined : headers[index]
    throw new CockerError('CONFIG_INVALID', `${file}${line ? `:${line}` : ''}: ${why}`, { hint: HINT })
  }
  if (root.registries !== undefined) fail('this is the version 1 format ([registries.search]); cocker reads version 2 (unqualified-search-registries, [[registry]])')
  const str = (t: TomlTable, i: number, key: string, def?: string): string => {
    const v = t[key] ?? def
    if (typeof v !== 'string') fail(v === undefined ? `${key} is missing` : `${key} must be a string`, i)
    return v as string
  }
  const bool = (t: TomlTable, i: number, key: string): boolean => {
    const v = t[key] ?? false
    if (typeof v !== 'boolean') fail(`${key} must be true or false`, i)
    return v as boolean
  }
  const config: RegistriesConfig = { file, registries: [] }
  const search = root['unqualified-search-registries']
  if (search !== undefined) {
    if (!Array.isArray(search) || search.some(s => typeof s !== 'string')) fail('unqualified-search-registries must be a list of strings')
    config.unqualifiedSearchRegistries = search as string[]
  }
  const registries = root.registry ?? []
  if (!Array.isArray(registries) || registries.some(r => typeof r !== 'object' || Array.isArray(r))) fail('registry must be a list of [[registry]] tables')
  for (const [i, t] of (registries as TomlTable[]).entries()) {
    const location = t.location === undefined ? undefined : str(t, i, 'location')
    const prefix = str(t, i, 'prefix', location)
    if (prefix === undefined) fail('a [[registry]] needs a prefix or a location', i)
    const mirrors = (t.mirror ?? []) as TomlTable[]
    if (!Array.isArray(mirrors)) fail('mirror must be a list of [[registry.mirror]] tables', i)
    config.registries.push({
      prefix: prefix.replace(/\/+$/, ''),
      location: (location ?? prefix).replace(/\/+$/, ''),
      insecure: bool(t, i, 'insecure'),
      blocked: bool(t, i, 'blocked'),
      mirrors: mirrors.map(m => ({ location: str(m, i, 'location').replace(/\/+$/, ''), insecure: bool(m, i, 'insecure') })),
    })
  }
  return config
}
