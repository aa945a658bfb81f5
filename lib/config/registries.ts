// containers-registries.conf(5), version 2: search registries for short names,
// and per-prefix location rewrites, mirrors, insecure and blocked registries.
//   unqualified-search-registries = ["quay.io", "docker.io"]
//   [[registry]]
//   prefix = "example.com/foo"
//   location = "internal:5000/foo"
//   insecure = true
//   [[registry.mirror]]
//   location = "mirror.local/foo"
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CockerError } from '../errors.js'

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

type Value = string | boolean | number | Value[] | Table | Table[]
interface Table {
  [key: string]: Value
}

/** The files looked at, first existing one wins (Podman also merges registries.conf.d; we do not). */
export function registriesConfPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config')
  return [env.CONTAINERS_REGISTRIES_CONF, path.join(configHome, 'containers/registries.conf'), '/etc/containers/registries.conf'].filter((f): f is string => !!f)
}

export async function loadRegistriesConf(env: NodeJS.ProcessEnv = process.env): Promise<RegistriesConfig> {
  for (const file of registriesConfPaths(env)) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw new CockerError('CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
    }
    return parseRegistriesConf(text, file)
  }
  return { registries: [] }
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

/** Parses the registries.conf v2 subset; errors name file:line. Pure. */
export function parseRegistriesConf(text: string, file = 'registries.conf'): RegistriesConfig {
  const { root, lines } = parseToml(text, file)
  const fail = (why: string, table?: Table): never => {
    const line = table ? lines.get(table) : undefined
    throw new CockerError('CONFIG_INVALID', `${file}${line ? `:${line}` : ''}: ${why}`, { hint: 'see containers-registries.conf(5)' })
  }
  if (root.registries !== undefined) fail('this is the version 1 format ([registries.search]); cocker reads version 2 (unqualified-search-registries, [[registry]])')
  const str = (t: Table, key: string, def?: string): string => {
    const v = t[key] ?? def
    if (typeof v !== 'string') fail(v === undefined ? `${key} is missing` : `${key} must be a string`, t)
    return v as string
  }
  const bool = (t: Table, key: string): boolean => {
    const v = t[key] ?? false
    if (typeof v !== 'boolean') fail(`${key} must be true or false`, t)
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
  for (const t of registries as Table[]) {
    const location = t.location === undefined ? undefined : str(t, 'location')
    const prefix = str(t, 'prefix', location)
    if (prefix === undefined) fail('a [[registry]] needs a prefix or a location', t)
    const mirrors = (t.mirror ?? []) as Table[]
    if (!Array.isArray(mirrors)) fail('mirror must be a list of [[registry.mirror]] tables', t)
    config.registries.push({
      prefix: prefix.replace(/\/+$/, ''),
      location: (location ?? prefix).replace(/\/+$/, ''),
      insecure: bool(t, 'insecure'),
      blocked: bool(t, 'blocked'),
      mirrors: mirrors.map(m => ({ location: str(m, 'location').replace(/\/+$/, ''), insecure: bool(m, 'insecure') })),
    })
  }
  return config
}

/**
 * The TOML these files use: comments, [table], [[array.of.tables]], bare and quoted keys,
 * strings (basic and literal), booleans, integers, and arrays of them over several lines.
 */
function parseToml(text: string, file: string): { root: Table; lines: Map<Table, number> } {
  const root: Table = {}
  const lines = new Map<Table, number>()
  let current = root
  const src = text.split('\n')
  for (let i = 0; i < src.length; i++) {
    const lineNo = i + 1
    const fail = (why: string): never => {
      throw new CockerError('CONFIG_INVALID', `${file}:${lineNo}: ${why}`, { hint: 'see containers-registries.conf(5)' })
    }
    const line = stripComment(src[i]!).trim()
    if (!line) continue
    const header = /^(\[\[?)\s*([A-Za-z0-9_.-]+)\s*(\]\]?)$/.exec(line)
    if (header) {
      const array = header[1] === '[['
      if (array !== (header[3] === ']]')) fail(`malformed table header "${line}"`)
      const keys = header[2]!.split('.')
      let t = root
      for (const k of keys.slice(0, -1)) {
        const v = t[k] ?? (t[k] = {})
        const next = Array.isArray(v) ? v[v.length - 1] : v
        if (typeof next !== 'object' || next === null || Array.isArray(next)) fail(`"${k}" is not a table`)
        t = next as Table
      }
      const last = keys[keys.length - 1]!
      const fresh: Table = {}
      if (array) {
        const existing = t[last] ?? (t[last] = [])
        if (!Array.isArray(existing)) fail(`"${last}" is not an array of tables`)
        ;(existing as Table[]).push(fresh)
      } else {
        if (t[last] !== undefined) fail(`table [${header[2]}] is defined twice`)
        t[last] = fresh
      }
      lines.set(fresh, lineNo)
      current = fresh
      continue
    }
    const kv = /^("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line)
    if (!kv) fail(`cannot parse "${line}"`)
    const key = kv![1]!.startsWith('"') ? (JSON.parse(kv![1]!) as string) : kv![1]!.replace(/^'|'$/g, '')
    let value = kv![2]!
    // Arrays may continue over the next lines until their brackets balance.
    while (value.startsWith('[') && !balanced(value) && i + 1 < src.length) value += ' ' + stripComment(src[++i]!).trim()
    if (current[key] !== undefined) fail(`key "${key}" is set twice`)
    const [parsed, rest] = parseValue(value, fail)
    if (rest.trim()) fail(`unexpected "${rest.trim()}" after the value of ${key}`)
    current[key] = parsed
  }
  return { root, lines }
}

function stripComment(line: string): string {
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#') return line.slice(0, i)
  }
  return line
}

function balanced(s: string): boolean {
  let depth = 0
  let quote = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '[') depth++
    else if (c === ']') depth--
  }
  return depth === 0
}

function parseValue(s: string, fail: (why: string) => never): [Value, string] {
  s = s.trimStart()
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(s) ?? fail('unterminated string')
    try {
      return [JSON.parse(`"${m[1]}"`) as string, s.slice(m[0].length)]
    } catch {
      return fail(`invalid escape in string ${m[0]}`)
    }
  }
  if (s.startsWith("'")) {
    const end = s.indexOf("'", 1)
    if (end < 0) fail('unterminated string')
    return [s.slice(1, end), s.slice(end + 1)]
  }
  if (s.startsWith('[')) {
    const items: Value[] = []
    let rest = s.slice(1).trimStart()
    while (!rest.startsWith(']')) {
      if (!rest) fail('unterminated array')
      const [v, after] = parseValue(rest, fail)
      items.push(v)
      rest = after.trimStart()
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart()
      else if (!rest.startsWith(']')) fail('expected "," or "]" in array')
    }
    return [items, rest.slice(1)]
  }
  const m = /^(true|false|[+-]?\d+)/.exec(s)
  if (!m) return fail(`cannot parse value "${s}"`)
  return [m[1] === 'true' ? true : m[1] === 'false' ? false : Number(m[1]), s.slice(m[0].length)]
}
