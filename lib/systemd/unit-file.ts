/**
 * systemd unit files (systemd.syntax(7)): sections, keys that repeat, lines continued by a
 * trailing backslash, and the word splitting and C escapes of Exec-like values.
 *
 * Our own, in one module: no npm package parses this syntax. Those on the registry are
 * INI parsers (ini, js-ini, config-ini-parser…) that keep one value per key (a repeated
 * `Environment=` or `Volume=` would lose all but one), know neither backslash
 * continuations nor comments inside them, and have no systemd word splitting.
 *
 * What systemd itself expands is left to it: specifiers (%n, %t…) and $VARIABLES pass
 * through untouched, both ways.
 */
import { CockerError } from '../errors.js'

export interface UnitEntry { key: string; value: string }
export interface UnitSection { name: string; entries: UnitEntry[] }

export class UnitFile {
  readonly sections: UnitSection[] = []

  /** Parses `text`; `where` (a path) names the file in errors. Comments are dropped. */
  static parse(text: string, where = 'unit file'): UnitFile {
    const unit = new UnitFile()
    let current: UnitSection | undefined
    let pending: { text: string; line: number } | undefined
    const lines = text.split(/\r?\n/)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim()
      // a comment after a continued line is skipped, and the line goes on after it
      if (/^[#;]/.test(line)) continue
      if (pending === undefined && line === '') continue
      if (continues(line) && i < lines.length - 1) {
        pending = { text: (pending?.text ?? '') + line.slice(0, -1) + ' ', line: pending?.line ?? i + 1 }
        continue
      }
      const full = pending ? pending.text + line : line
      const at = pending?.line ?? i + 1
      pending = undefined
      if (full.trim() === '') continue
      const header = /^\[([^[\]]+)\]\s*$/.exec(full)
      if (header) {
        current = unit.section(header[1]!, true)
        continue
      }
      const eq = full.indexOf('=')
      if (eq <= 0) throw new CockerError('INVALID_ARGUMENT', `${where}:${at}: "${full}" is neither [Section], Key=Value nor a comment`)
      const key = full.slice(0, eq).trim()
      if (!current) throw new CockerError('INVALID_ARGUMENT', `${where}:${at}: ${key}= comes before any [Section]`)
      current.entries.push({ key, value: full.slice(eq + 1).trim() })
    }
    return unit
  }

  /** The section named so; with `create`, a new empty one at the end when there is none. */
  section(name: string, create: true): UnitSection
  section(name: string, create?: boolean): UnitSection | undefined
  section(name: string, create = false): UnitSection | undefined {
    let s = this.sections.find(x => x.name === name)
    if (!s && create) this.sections.push((s = { name, entries: [] }))
    return s
  }

  /** Keys of a section, each once, in order of first appearance. */
  keys(section: string): string[] {
    return [...new Set(this.section(section)?.entries.map(e => e.key) ?? [])]
  }

  has(section: string, key: string): boolean {
    return this.section(section)?.entries.some(e => e.key === key) ?? false
  }

  /** The last value of the key as written (continuations joined). */
  raw(section: string, key: string): string | undefined {
    return lastEntry(this.section(section), key)?.value
  }

  /** The last value, without a pair of double quotes around it (as Podman's quadlet reads keys). */
  get(section: string, key: string): string | undefined {
    const v = this.raw(section, key)
    return v !== undefined && v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v
  }

  /** systemd's booleans: 1/yes/y/true/t/on and 0/no/n/false/f/off; undefined when absent or neither. */
  bool(section: string, key: string): boolean | undefined {
    const v = this.get(section, key)?.toLowerCase()
    if (v === undefined) return undefined
    if (['1', 'yes', 'y', 'true', 't', 'on'].includes(v)) return true
    if (['0', 'no', 'n', 'false', 'f', 'off'].includes(v)) return false
    return undefined
  }

  /** Every value of a repeatable key; an empty assignment clears those before it (systemd's lists). */
  all(section: string, key: string): string[] {
    const out: string[] = []
    for (const e of this.section(section)?.entries ?? []) {
      if (e.key !== key) continue
      if (e.value === '') out.length = 0
      else out.push(e.value)
    }
    return out
  }

  /** Every value of the key split into words (quotes and escapes resolved), all together. */
  words(section: string, key: string): string[] {
    return this.all(section, key).flatMap(v => splitWords(v))
  }

  add(section: string, key: string, value: string): void {
    this.section(section, true).entries.push({ key, value })
  }

  /** Replaces the last value of the key, or adds it. */
  set(section: string, key: string, value: string): void {
    const entry = lastEntry(this.section(section), key)
    if (entry) entry.value = value
    else this.add(section, key, value)
  }

  unset(section: string, key: string): void {
    const s = this.section(section)
    if (s) s.entries = s.entries.filter(e => e.key !== key)
  }

  /** A command line as one value that systemd splits back into exactly these words. */
  addCommand(section: string, key: string, argv: readonly string[]): void {
    this.add(section, key, escapeWords(argv))
  }

  /** Renames a section, merging it into one of the new name if there is one. */
  rename(from: string, to: string): void {
    const s = this.section(from)
    if (!s) return
    const into = this.section(to)
    if (into) {
      into.entries.push(...s.entries)
      this.sections.splice(this.sections.indexOf(s), 1)
    } else {
      s.name = to
    }
  }

  /** Adds another file's entries (a drop-in) after this one's, section by section. */
  merge(other: UnitFile): void {
    for (const s of other.sections) this.section(s.name, true).entries.push(...s.entries.map(e => ({ ...e })))
  }

  clone(): UnitFile {
    const copy = new UnitFile()
    for (const s of this.sections) copy.sections.push({ name: s.name, entries: s.entries.map(e => ({ ...e })) })
    return copy
  }

  toString(): string {
    return this.sections.map(s => `[${s.name}]\n${s.entries.map(e => `${e.key}=${e.value}\n`).join('')}`).join('\n')
  }
}

function lastEntry(s: UnitSection | undefined, key: string): UnitEntry | undefined {
  for (let i = (s?.entries.length ?? 0) - 1; i >= 0; i--) if (s!.entries[i]!.key === key) return s!.entries[i]
  return undefined
}

/** An odd number of trailing backslashes: the last one continues the line ("\\" is a backslash). */
function continues(line: string): boolean {
  let n = 0
  while (n < line.length && line[line.length - 1 - n] === '\\') n++
  return n % 2 === 1
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' }

/**
 * One C escape at value[i] (just after the backslash): [the character, characters read].
 * An escape systemd does not know is kept as written, as systemd does with a warning.
 */
function unescapeOne(value: string, i: number): [string, number] {
  const c = value[i]
  if (c === undefined) return ['\\', 0]
  if (c in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[c]!, 1]
  // ExecStart=: a lone ";" separates commands, "\;" is the character
  if (c === ';') return [';', 1]
  const hex = (len: number) => {
    const digits = value.slice(i + 1, i + 1 + len)
    return digits.length === len && /^[0-9a-fA-F]+$/.test(digits) ? parseInt(digits, 16) : undefined
  }
  const code = c === 'x' ? hex(2) : c === 'u' ? hex(4) : c === 'U' ? hex(8) : undefined
  if (code !== undefined && code > 0 && code <= 0x10ffff) return [String.fromCodePoint(code), c === 'x' ? 3 : c === 'u' ? 5 : 9]
  const octal = value.slice(i, i + 3)
  if (/^[0-3][0-7]{2}$/.test(octal) && parseInt(octal, 8) > 0) return [String.fromCharCode(parseInt(octal, 8)), 3]
  return [`\\${c}`, 1]
}

const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r'

/**
 * Splits a value into words as systemd splits ExecStart= (extract_first_word with
 * EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE|EXTRACT_RELAX): blanks separate words; single or double
 * quotes group, also inside a word (a"b c" is `ab c`); C escapes are resolved inside
 * quotes and out; an unterminated quote ends at the end of the value.
 */
export function splitWords(value: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!
    if (c === '\\') {
      const [ch, used] = unescapeOne(value, i + 1)
      word = (word ?? '') + ch
      i += used
    } else if (quote) {
      if (c === quote) quote = undefined
      else word += c
    } else if (c === '"' || c === "'") {
      quote = c
      word ??= ''
    } else if (isBlank(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else {
      word = (word ?? '') + c
    }
  }
  if (word !== undefined) words.push(word)
  return words
}

// what a word may hold and still be written bare: no blanks, quotes, backslashes or ';'
const BARE = /^[A-Za-z0-9_@%+=:,./$~^*!?#&(){}[\]<>|-]+$/

/** Words written so that splitWords (and systemd) give them back: quoted and escaped where needed. */
export function escapeWords(words: readonly string[]): string {
  return words.map(w => (w === ';' ? '\\;' : BARE.test(w) ? w : `"${escapeQuoted(w)}"`)).join(' ')
}

function escapeQuoted(word: string): string {
  let out = ''
  for (const ch of word) {
    const code = ch.codePointAt(0)!
    if (ch === '\\' || ch === '"') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return out
}
