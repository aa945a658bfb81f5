/**
 * The subset of Go templates that `--format` takes in practice: `{{.Field}}`,
 * `{{.A.B}}`, `{{json .X}}`, `{{json .}}`, `{{join .X ","}}`, `{{upper .X}}`, and a
 * `table ` prefix for an aligned table with a header. `\t` and `\n` written literally
 * on the command line become tab and newline, as podman does.
 */
import { CockerError } from '../../errors.js'
import { formatTabTable } from './table.js'

/** Go's %v of a value: slices as [a b], maps as map[k:v], nil as <no value>. */
export function goValue(v: unknown): string {
  if (v === undefined) return '<no value>'
  if (v === null) return '<nil>'
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`
  if (typeof v === 'object') {
    return `map[${Object.keys(v as object).sort().map(k => `${k}:${goValue((v as Record<string, unknown>)[k])}`).join(' ')}]`
  }
  return String(v)
}

/** `.A.B` → a function reading obj.A.B, the path split once for all rows. */
function field(path: string): (obj: unknown) => unknown {
  if (path === '.') return obj => obj
  const keys = path.slice(1).split('.')
  return obj => {
    let v: unknown = obj
    for (const key of keys) {
      if (v === null || typeof v !== 'object') return undefined
      v = (v as Record<string, unknown>)[key]
    }
    return v
  }
}

/** One action, parsed once: what it does to the object it is given. */
function compileAction(expr: string): (obj: unknown) => string {
  const words = expr.trim().match(/"[^"]*"|\S+/g) ?? []
  const [fn, arg, extra] = words
  if (fn?.startsWith('.') && words.length === 1) {
    const get = field(fn)
    return obj => goValue(get(obj))
  }
  const get = arg ? field(arg) : undefined
  if (fn === 'json' && get) return obj => JSON.stringify(get(obj) ?? null)
  if (fn === 'join' && get) {
    const sep = extra ? JSON.parse(extra) : ''
    return obj => {
      const v = get(obj)
      return Array.isArray(v) ? v.map(goValue).join(sep) : goValue(v)
    }
  }
  if (fn === 'upper' && get) return obj => goValue(get(obj)).toUpperCase()
  if (fn === 'lower' && get) return obj => goValue(get(obj)).toLowerCase()
  throw new CockerError('INVALID_ARGUMENT', `template: unsupported action {{${expr}}}`,
    { hint: 'use {{.Field}}, {{json .Field}}, {{join .Field ","}}, {{upper .Field}} or {{lower .Field}}' })
}

/** A template split once into literal text and actions: rows render without re-parsing it. */
function compileTemplate(template: string): (obj: unknown) => string {
  const parts = unescape(template).split(/\{\{(.*?)\}\}/)
  const steps = parts.map((part, i) => (i % 2 ? compileAction(part) : () => part))
  return obj => {
    let out = ''
    for (const step of steps) out += step(obj)
    return out
  }
}

export function isTableFormat(format: string): boolean {
  return format.startsWith('table')
}

/** Renders one object. */
export function renderTemplate(template: string, obj: unknown): string {
  return compileTemplate(template)(obj)
}

/**
 * Renders rows: one line each, or with `table ` a header (from `headers`, else the
 * field name upper-cased) and columns aligned as podman's tabwriter does.
 */
export function renderRows(format: string, rows: readonly unknown[], headers: Record<string, string> = {}, noHeading = false): string {
  if (!isTableFormat(format)) {
    const render = compileTemplate(format.endsWith('\n') ? format : `${format}\n`)
    return rows.map(render).join('')
  }
  const body = tableColumns(unescape(format.replace(/^table\s*/, '')))
  const cells = (line: string) => line.split('\t')
  const header = body.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, f: string) => headers[f] ?? f.toUpperCase())
  const render = compileTemplate(body)
  const table = [...(noHeading ? [] : [cells(header)]), ...rows.map(r => cells(render(r)))]
  return formatTabTable(table, { minWidth: 12, padding: 2 })
}

/** podman's table formats: spaces between actions separate columns, as tabs do. */
function tableColumns(body: string): string {
  return body.split(/(\{\{.*?\}\})/).map((part, i) => (i % 2 ? part : part.replace(/ +/g, '\t'))).join('')
}

function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n')
}
