// TOML for the containers-*.conf files, through smol-toml (maintained, small, spec-complete).
// What a broken file gets is one line: the file, the line and column, and what is wrong there.
import { parse, TomlError } from 'smol-toml'
import { CockerError } from '../errors.js'

export type TomlTable = Record<string, unknown>

/** The document's top-level table. Throws CONFIG_INVALID "FILE:LINE:COLUMN: what is wrong". Pure. */
export function parseToml(text: string, file: string, hint: string): TomlTable {
  try {
    return parse(text) as TomlTable
  } catch (err) {
    if (!(err instanceof TomlError)) throw err
    // smol-toml's message is "Invalid TOML document: <what>" then an excerpt of the file
    const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '')
    throw new CockerError('CONFIG_INVALID', `${file}:${err.line}:${err.column}: ${what}`, { hint })
  }
}

/** The table under `key`, or an empty one; CONFIG_INVALID when `key` holds something else. */
export function tableOf(t: TomlTable, key: string, file: string, hint: string): TomlTable {
  const v = t[key]
  if (v === undefined) return {}
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) {
    throw new CockerError('CONFIG_INVALID', `${file}: ${key} must be a table ([${key}])`, { hint })
  }
  return v as TomlTable
}
