import type { OptionDef, ParsedArgs, PositionalDef } from './command.js'

/** Bad command line. `message` names the offending flag or argument. */
export class UsageError extends Error {
  override name = 'UsageError'
  /** Command names from the program down, for the "see --help" pointer. */
  path: string[]
  /** Global options, when they parsed before the error (so --log still applies). */
  globals?: ParsedArgs
  constructor(message: string, path: string[] = []) {
    super(message)
    this.path = path
  }
}

export interface ParseSpec {
  options: readonly OptionDef[]
  positionals?: readonly PositionalDef[]
  /** Stop at the first positional and return it and everything after it in `rest`. */
  stopAtPositional?: boolean
  /** Values already known (global options parsed earlier); defaults do not overwrite them. */
  initial?: ParsedArgs
}

export interface ParseResult {
  values: ParsedArgs
  positionals: string[]
  rest: string[]
}

/** 'pid-file' → 'pidFile': the key a parsed option or positional is stored under. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

export function parseArgv(argv: readonly string[], spec: ParseSpec): ParseResult {
  const byLong = new Map(spec.options.map(o => [o.name, o]))
  const byShort = new Map(spec.options.filter(o => o.alias).map(o => [o.alias!, o]))
  const values: ParsedArgs = { ...spec.initial }
  const arrays = new Map<string, string[]>()
  const positionals: string[] = []
  let rest: string[] = []
  const rawFrom = spec.positionals?.findIndex(p => p.raw) ?? -1

  const set = (def: OptionDef, flag: string, raw: string | undefined, negated = false): void => {
    const key = camelCase(def.name)
    if (def.type === 'boolean') {
      values[key] = raw === undefined ? !negated : parseBoolean(flag, raw)
      return
    }
    if (raw === undefined) throw new UsageError(`flag needs an argument: ${flag}`)
    if (def.choices && !def.choices.includes(raw)) {
      throw new UsageError(`invalid value "${raw}" for ${flag}: must be one of ${def.choices.join(', ')}`)
    }
    if (def.type === 'number') {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`invalid value "${raw}" for ${flag}: not a number`)
      values[key] = n
    } else if (def.type === 'array') {
      const list = arrays.get(key) ?? []
      list.push(raw)
      arrays.set(key, list)
      values[key] = list
    } else {
      values[key] = raw
    }
  }

  const takeLong = (name: string, inline: string | undefined, next: () => string | undefined): void => {
    let def = byLong.get(name)
    if (!def && name.startsWith('no-')) {
      const positive = byLong.get(name.slice(3))
      if (positive?.type === 'boolean') {
        if (inline !== undefined) throw new UsageError(`flag --${name} does not take a value`)
        set(positive, `--${name}`, undefined, true)
        return
      }
    }
    if (!def) throw new UsageError(`unknown flag: --${name}`)
    set(def, `--${name}`, def.type === 'boolean' ? inline : inline ?? next())
  }

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]
    const next = (): string | undefined => (i + 1 < argv.length ? argv[++i] : undefined)
    if (rawFrom >= 0 && positionals.length >= rawFrom) {
      positionals.push(...argv.slice(i))
      break
    }
    if (tok === '--') {
      if (spec.stopAtPositional) rest = argv.slice(i + 1)
      else positionals.push(...argv.slice(i + 1))
      break
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=')
      takeLong(eq < 0 ? tok.slice(2) : tok.slice(2, eq), eq < 0 ? undefined : tok.slice(eq + 1), next)
      continue
    }
    if (tok.startsWith('-') && tok.length > 1) {
      const body = tok.slice(1)
      const eq = body.indexOf('=')
      const name = eq < 0 ? body : body.slice(0, eq)
      // Go's flag package (runc, and callers written against it) accepts -root, -log.
      if (name.length > 1 && byLong.has(name)) {
        takeLong(name, eq < 0 ? undefined : body.slice(eq + 1), next)
        continue
      }
      for (let j = 0; j < body.length; j++) {
        const def = byShort.get(body[j])
        if (!def) {
          throw new UsageError(body.length > 1 ? `unknown shorthand flag: '${body[j]}' in ${tok}` : `unknown flag: ${tok}`)
        }
        if (def.type === 'boolean') {
          set(def, `-${body[j]}`, undefined)
          continue
        }
        const attached = body.slice(j + 1)
        set(def, `-${body[j]}`, attached !== '' ? attached.replace(/^=/, '') : next())
        break
      }
      continue
    }
    if (spec.stopAtPositional) {
      rest = argv.slice(i)
      break
    }
    positionals.push(tok)
  }

  for (const def of spec.options) {
    const key = camelCase(def.name)
    if (key in values) continue
    if (def.default !== undefined) values[key] = Array.isArray(def.default) ? [...def.default] : def.default
    else if (def.type === 'boolean' && !def.tristate) values[key] = false
    else if (def.type === 'array') values[key] = []
  }
  return { values, positionals, rest }
}

function parseBoolean(flag: string, raw: string): boolean {
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new UsageError(`invalid value "${raw}" for ${flag}: must be true or false`)
}

/** Stores positionals under their camelCase names; checks count against the definitions. */
export function bindPositionals(defs: readonly PositionalDef[], given: readonly string[], values: ParsedArgs): void {
  defs.forEach((def, i) => {
    const key = camelCase(def.name)
    if (def.variadic) {
      values[key] = given.slice(i)
      if (def.required && given.length <= i) throw new UsageError(`missing argument: <${def.name}>`)
      return
    }
    if (i < given.length) values[key] = given[i]
    else if (def.required) throw new UsageError(`missing argument: <${def.name}>`)
    else if (def.default !== undefined) values[key] = def.default
  })
  const last = defs[defs.length - 1]
  if (!last?.variadic && given.length > defs.length) {
    throw new UsageError(`unexpected argument: "${given[defs.length]}"`)
  }
}
