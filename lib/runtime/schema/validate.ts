/**
 * Checks an OCI runtime config.json and words the first problem as one line:
 * `config.json: /process/cwd: must be an absolute path`.
 *
 * The schema check itself runs in validate-config.js, generated at build time by
 * build-validator.ts, so that this path never loads ajv.
 */
import type { ErrorObject } from 'ajv'
import { CockerError } from '../../errors.js'
import type { Spec } from '../oci-spec.js'
import { configSchema, validateConfig as checkSchema } from './validate-config.js'

type Schema = { [keyword: string]: unknown }

const SPEC_URL = 'https://github.com/opencontainers/runtime-spec/blob/main'

/**
 * Returns `doc` as a Spec if it is a valid Linux config.json, else throws
 * CockerError CONFIG_INVALID naming the JSON pointer and the problem.
 * A missing `process.user` is filled in as uid 0, gid 0 (in place), which is how runc
 * and crun read it.
 */
export function validateConfig(doc: unknown, file = 'config.json'): Spec {
  if (!checkSchema(doc)) {
    const { pointer, problem, hint } = explainSchemaError(checkSchema.errors ?? [], doc)
    throw invalid(file, pointer, problem, hint)
  }
  const spec = doc as Spec
  // "MUST generate an error" on duplicates, which JSON Schema cannot say about one field.
  const duplicate =
    findDuplicate(spec.process?.rlimits?.map(r => r.type), '/process/rlimits') ??
    findDuplicate(spec.linux?.namespaces?.map(n => n.type), '/linux/namespaces')
  if (duplicate) throw invalid(file, duplicate.pointer, duplicate.problem, hintFor(duplicate.pointer))
  if (spec.process && spec.process.user === undefined) spec.process.user = { uid: 0, gid: 0 }
  return spec
}

/** JSON.parse + validateConfig. A syntax error becomes `config.json: not valid JSON: <reason> at line L column C`. */
export function parseConfig(text: string, file = 'config.json'): Spec {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    const { reason, offset } = explainSyntaxError(err, text)
    const { line, column } = lineAndColumn(text, offset)
    // No `cause`: the CLI prints causes after the message, and V8's text repeats the reason
    // with a copy of the input that can span lines.
    throw new CockerError('CONFIG_INVALID', `${file}: not valid JSON: ${reason} at line ${line} column ${column}`, {
      hint: `${file} must be a JSON object as described in ${SPEC_URL}/config.md`,
    })
  }
  return validateConfig(doc, file)
}

function invalid(file: string, pointer: string, problem: string, hint: string): CockerError {
  // The root has no pointer to name: "config.json: missing required field "ociVersion"".
  const where = pointer === '' ? '' : `${pointer}: `
  return new CockerError('CONFIG_INVALID', `${file}: ${where}${problem}`, { hint })
}

function hintFor(pointer: string): string {
  const page = pointer.startsWith('/linux') ? 'config-linux.md' : 'config.md'
  return `see ${SPEC_URL}/${page}`
}

function findDuplicate(values: string[] | undefined, arrayPointer: string) {
  const seen = new Map<string, number>()
  for (const [i, value] of (values ?? []).entries()) {
    const first = seen.get(value)
    if (first !== undefined) {
      return {
        pointer: `${arrayPointer}/${i}/type`,
        problem: `${JSON.stringify(value)} is listed twice (first at ${arrayPointer}/${first})`,
      }
    }
    seen.set(value, i)
  }
  return undefined
}

// --- schema errors -----------------------------------------------------------------------

function explainSchemaError(errors: ErrorObject[], doc: unknown): { pointer: string; problem: string; hint: string } {
  // Without allErrors ajv stops at the first failing keyword, but an anyOf also reports each
  // failed branch, and an if/then adds an "if" entry after the real failure.
  const anyOf = errors.find(e => e.keyword === 'anyOf')
  const error = anyOf ?? errors.find(e => e.keyword !== 'if') ?? errors[0]
  if (!error) return { pointer: '', problem: 'does not match the OCI runtime spec', hint: hintFor('') }
  const pointer = error.instancePath
  const schema = schemaAt(pointer)
  const params = error.params as Record<string, unknown>
  let hint = hintFor(pointer)
  let problem: string
  switch (error.keyword) {
    case 'required': {
      problem = `missing required field ${JSON.stringify(params.missingProperty)}`
      const then = schema?.then as Schema | undefined
      if (error.schemaPath.includes('/then/') && typeof then?.description === 'string') hint = then.description
      break
    }
    case 'type':
      problem = `must be ${describeType(String(params.type), schema)}`
      break
    case 'enum': {
      const allowed = (params.allowedValues as string[]).map(v => (v === '' ? '""' : v))
      problem = `${JSON.stringify(valueAt(doc, pointer))} is not one of ${allowed.join(', ')}`
      break
    }
    case 'pattern':
      problem = typeof schema?.description === 'string'
        ? `must be ${schema.description}`
        : `must match the pattern ${String(params.pattern)}`
      break
    case 'minItems':
      problem = `must have at least ${params.limit} ${params.limit === 1 ? 'entry' : 'entries'}`
      break
    case 'minimum':
      problem = `must be at least ${params.limit} (got ${valueAt(doc, pointer)})`
      break
    case 'maximum':
      problem = `must be at most ${params.limit} (got ${valueAt(doc, pointer)})`
      break
    case 'dependencies':
      problem = `${JSON.stringify(params.property)} is set without ${JSON.stringify(params.missingProperty)}`
      break
    case 'anyOf': {
      const names = errors.filter(e => e.keyword === 'required' && e.instancePath === pointer)
        .map(e => JSON.stringify(e.params.missingProperty))
      problem = `needs at least one of ${names.join(', ')}`
      break
    }
    default:
      // The only other failure the schema can produce is the non-empty annotation key rule.
      problem = error.propertyName !== undefined
        ? `${JSON.stringify(error.propertyName)} is not allowed as a key: keys must not be empty`
        : `fails the ${JSON.stringify(error.keyword)} rule`
  }
  return { pointer, problem, hint }
}

const TYPE_WORDS: Record<string, [singular: string, plural: string]> = {
  string: ['a string', 'strings'],
  integer: ['an integer', 'integers'],
  number: ['a number', 'numbers'],
  boolean: ['true or false', 'booleans'],
  object: ['an object', 'objects'],
  array: ['an array', 'arrays'],
}

function describeType(type: string, schema: Schema | undefined): string {
  const items = deref(schema?.items)
  const itemType = typeof items?.type === 'string' ? TYPE_WORDS[items.type]?.[1] : undefined
  if (type === 'array' && itemType) return `an array of ${itemType}`
  return TYPE_WORDS[type]?.[0] ?? type
}

/** The subschema that applies at a JSON pointer, following properties, items and additionalProperties. */
function schemaAt(pointer: string): Schema | undefined {
  let schema = deref(configSchema)
  for (const key of pointerKeys(pointer)) {
    if (!schema) return undefined
    const properties = schema.properties as Record<string, unknown> | undefined
    if (properties && Object.hasOwn(properties, key)) schema = deref(properties[key])
    else if (schema.items) schema = deref(schema.items)
    else schema = deref(schema.additionalProperties)
  }
  return schema
}

function deref(schema: unknown): Schema | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined
  const ref = (schema as Schema).$ref
  if (typeof ref !== 'string') return schema as Schema
  return configSchema.definitions[ref.slice('#/definitions/'.length)] as Schema | undefined
}

function valueAt(doc: unknown, pointer: string): unknown {
  let value = doc
  for (const key of pointerKeys(pointer)) value = (value as Record<string, unknown>)[key]
  return value
}

function pointerKeys(pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map(k => k.replaceAll('~1', '/').replaceAll('~0', '~'))
}

// --- JSON syntax errors ------------------------------------------------------------------

function explainSyntaxError(err: unknown, text: string): { reason: string; offset: number } {
  const message = err instanceof Error ? err.message : String(err)
  if (text.startsWith('\uFEFF')) return { reason: 'the file starts with a byte order mark', offset: 0 }
  // V8 words: `Unexpected token '}', "{"a": }" is not valid JSON` (no position, and a copy of
  // the input, maybe cut with "...", that may span lines), `Expected ':' after property name
  // in JSON at position 5` (Node 22 adds " (line 1 column 6)"), `Unexpected end of JSON input`.
  const position = /at position (\d+)/.exec(message)
  const reason = message
    .replace(/, .*is not valid JSON$/s, '')
    .replace(/ (?:in JSON )?at position \d+.*$/s, '')
    .replace(/[\u0000-\u001f]/g, c => JSON.stringify(c).slice(1, -1))
    .replace(/^./, c => c.toLowerCase())
  return { reason, offset: position ? Number(position[1]) : syntaxErrorOffset(text) }
}

/** Offset of the first character that is not valid JSON (text.length at a premature end). */
function syntaxErrorOffset(text: string): number {
  let i = 0
  const fail = (): never => { throw i }
  const skipSpace = () => { while (' \t\n\r'.includes(text[i] ?? 'x')) i++ }
  const expect = (word: string) => { for (const c of word) { if (text[i] !== c) fail(); i++ } }
  const string = () => {
    i++
    for (;;) {
      const c = text[i] ?? fail()
      if (c === '"') { i++; return }
      if (c < ' ') fail()
      if (c !== '\\') { i++; continue }
      i++
      if ('"\\/bfnrt'.includes(text[i] ?? 'x')) { i++; continue }
      expect('u')
      for (let n = 0; n < 4; n++) { if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail(); i++ }
    }
  }
  const number = () => {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
    match.lastIndex = i
    if (!match.test(text)) fail()
    i = match.lastIndex
  }
  const value = (): void => {
    skipSpace()
    const c = text[i]
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']'
      i++
      skipSpace()
      if (text[i] === close) { i++; return }
      for (;;) {
        if (c === '{') {
          skipSpace()
          if (text[i] !== '"') fail()
          string()
          skipSpace()
          expect(':')
        }
        value()
        skipSpace()
        if (text[i] === ',') { i++; continue }
        expect(close)
        return
      }
    }
    if (c === '"') return string()
    if (c === 't') return expect('true')
    if (c === 'f') return expect('false')
    if (c === 'n') return expect('null')
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number()
    fail()
  }
  try {
    value()
    skipSpace()
    return i < text.length ? i : text.length
  } catch (at) {
    // A RangeError here means nesting deeper than the stack; point at the end rather than guess.
    return typeof at === 'number' ? at : text.length
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return { line: before.split('\n').length, column: offset - lineStart + 1 }
}
