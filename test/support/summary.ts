/** A `# SKIP name: reason` line, printed by skipUnless (requires.ts). */
export interface SkipMarker {
  name: string
  reason: string
}

export interface FileSummary {
  passed: number
  failed: number
  /** One entry per skipped test: the markers it printed ('(test.skip)' for uvu's own skips). */
  skipped: SkipMarker[][]
  /** Markers printed where no test ran (a hook, or a crash): listed, not counted. */
  stray: SkipMarker[]
  /** Why the file fails beyond its failing tests: a crash, a timeout, tests that never ran. */
  problems: string[]
  ok: boolean
}

// uvu 0.5.6 writes '• ' (pass) or '✘ ' (fail) after each test, in order with what
// the test printed; '  (N / M)' ends a suite; the file ends with 'Total:' and 'Passed:'.
// A marker starts a line, or follows a glyph on it (a glyph ends no line).
const TOKEN = /([•✘]) |(?<=^|[•✘] )# SKIP (.+?): (.*)$|  \(\d+ \/ \d+\)$/gmu

function total(text: string, label: string): number | undefined {
  const all = [...text.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'gm'))]
  return all.length ? all.reduce((n, m) => n + Number(m[1]), 0) : undefined
}

/**
 * Counts a test file's results from uvu 0.5.6's stdout. The skip markers since the
 * previous glyph belong to the test that glyph ends: a test that passed after printing
 * markers is one skipped test, a test that failed is failed whatever it printed.
 * uvu's own totals check the count; exit status and timeout have the last word.
 */
export function parseOutput(stdout: string, exitCode: number, timedOut = false): FileSummary {
  // eslint-disable-next-line no-control-regex
  const text = stdout.replace(/\x1b\[[0-9;]*m/g, '')
  const summary: FileSummary = { passed: 0, failed: 0, skipped: [], stray: [], problems: [], ok: false }
  let pending: SkipMarker[] = []
  let ran = 0
  const end = text.search(/^\s*Total:/m)
  for (const m of (end < 0 ? text : text.slice(0, end)).matchAll(TOKEN)) {
    if (m[1]) {
      ran++
      if (m[1] === '✘') summary.failed++
      else if (pending.length) summary.skipped.push(pending)
      else summary.passed++
      pending = []
    } else if (m[2] !== undefined) {
      pending.push({ name: m[2], reason: m[3]!.trim() })
    } else {
      summary.stray.push(...pending)
      pending = []
    }
  }
  summary.stray.push(...pending)

  const uvuTotal = total(text, 'Total')
  const uvuPassed = total(text, 'Passed')
  const uvuSkipped = total(text, 'Skipped') ?? 0
  for (let i = 0; i < uvuSkipped; i++) summary.skipped.push([{ name: '(test.skip)', reason: 'skipped in code' }])
  const fail = (problem: string) => {
    summary.problems.push(problem)
    if (summary.failed === 0) summary.failed = 1
  }
  if (uvuTotal === undefined || uvuPassed === undefined) {
    fail(`no uvu summary: the file ended after ${ran} test${ran === 1 ? '' : 's'}`)
  } else if (ran < uvuTotal) {
    // A test.before hook that throws ends the suite with no error shown (uvu 0.5.6).
    summary.failed += uvuTotal - ran
    summary.problems.push(`${uvuTotal - ran} of ${uvuTotal} tests never ran (a test.before hook threw?)`)
  } else if (ran !== uvuTotal || uvuPassed !== ran - summary.failed) {
    fail(`uvu counts ${uvuPassed} of ${uvuTotal} passed, the output shows ${ran - summary.failed} of ${ran}`)
  }
  if (timedOut) fail('timed out')
  else if (exitCode !== 0 && summary.failed === 0) fail(`exited ${exitCode} after its tests passed`)
  summary.ok = summary.failed === 0
  return summary
}
