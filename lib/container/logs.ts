/**
 * `logs`: the k8s-file log the monitor writes, one entry per line:
 *
 *   2026-12-03T13:46:58.032231858+00:00 stdout F text
 *
 * F ends a line; P is part of one that goes on in the next entry. Entries are read back as
 * the container wrote them: stdout to our stdout, stderr to our stderr. --follow reads on as
 * the file grows, until the container's monitor is gone.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { CockerError } from '../errors.js'
import { durationNs } from '../sys/duration.js'

export interface LogEntry {
  /** As written, RFC 3339 with nanoseconds and the offset. */
  time: string
  /** Nanoseconds since the epoch, for --since and --until. */
  ns: bigint
  stream: 'stdout' | 'stderr'
  /** The text with its newline when the entry ends a line. */
  text: string
}

const ENTRY = /^(\S+) (stdout|stderr) ([FP]) (.*)$/

/** Nanoseconds since the epoch of an RFC 3339 time with up to nine fraction digits. */
export function timeNs(time: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time)
  if (!m) return undefined
  const ms = Date.parse(`${m[1]}${m[3]}`)
  if (Number.isNaN(ms)) return undefined
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
}

/** Entries of complete lines of log text; a P entry's text has no newline, an F entry's has one. */
export function parseLog(text: string): LogEntry[] {
  const entries: LogEntry[] = []
  for (const line of text.split('\n')) {
    const m = ENTRY.exec(line)
    if (!m) continue
    const ns = timeNs(m[1])
    if (ns === undefined) continue
    entries.push({ time: m[1], ns, stream: m[2] as LogEntry['stream'], text: m[3] === 'F' ? `${m[4]}\n` : m[4] })
  }
  return entries
}

/**
 * podman's --since/--until: an RFC 3339 time (date alone allowed), Unix seconds, or a duration
 * back from now (10m, 1h30m, 45s, 500ms).
 */
export function parseLogTime(flag: string, value: string, now = Date.now()): bigint {
  const ago = durationNs(value)
  if (ago !== undefined) return BigInt(Math.round(now - ago / 1e6)) * 1_000_000n
  if (/^\d+(\.\d+)?$/.test(value)) return BigInt(Math.round(Number(value) * 1000)) * 1_000_000n
  const withZone = /^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00Z` : /(Z|[+-]\d\d:\d\d)$/.test(value) ? value : `${value}Z`
  const ns = timeNs(withZone)
  if (ns === undefined) {
    throw new CockerError('INVALID_ARGUMENT', `${flag} ${value}: not a time`,
      { hint: 'use an RFC 3339 time (2026-12-03T10:00:00Z), Unix seconds, or a duration such as 10m' })
  }
  return ns
}

export interface LogFilter {
  since?: bigint
  until?: bigint
  /** The last N lines only; undefined or negative: all. */
  tail?: number
}

/** The entries the flags select; --tail counts whole lines, as podman does. */
export function selectEntries(entries: LogEntry[], f: LogFilter): LogEntry[] {
  let out = entries.filter(e => (f.since === undefined || e.ns >= f.since) && (f.until === undefined || e.ns <= f.until))
  if (f.tail !== undefined && f.tail >= 0) {
    let lines = 0
    let start = out.length
    while (start > 0) {
      if (out[start - 1].text.endsWith('\n')) {
        if (lines === f.tail) break
        lines++
      }
      start--
    }
    out = out.slice(start)
  }
  return out
}

/** `-t`: podman puts the entry's time before each line, in UTC. */
export function timestamped(e: LogEntry): string {
  const s = e.ns / 1_000_000_000n
  const frac = String(e.ns % 1_000_000_000n).padStart(9, '0')
  return `${new Date(Number(s) * 1000).toISOString().slice(0, 19)}.${frac}Z ${e.text}`
}

/** Reads the log from `offset` to its end; returns the complete lines and the offset after them. */
export function readLogFrom(file: string, offset: number): { text: string; next: number } {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return { text: '', next: offset }
  }
  try {
    const size = statSync(file).size
    // the monitor truncates a log that grows past max-size: start again from its beginning
    const from = size < offset ? 0 : offset
    const buf = Buffer.alloc(size - from)
    let got = 0
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got)
      if (n <= 0) break
      got += n
    }
    const end = buf.lastIndexOf(0x0a, got - 1) + 1
    return { text: buf.subarray(0, end).toString('utf8'), next: from + end }
  } finally {
    closeSync(fd)
  }
}
