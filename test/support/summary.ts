export interface FileSummary {
  passed: number
  failed: number
  skipped: { name: string; reason: string }[]
  ok: boolean
}

function sum(text: string, label: string): number | undefined {
  const all = [...text.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'gm'))]
  return all.length ? all.reduce((n, m) => n + Number(m[1]), 0) : undefined
}

/**
 * Reads uvu 0.5.6's closing block ("Total: N", "Passed: N", "Skipped: N")
 * and our "# SKIP name: reason" markers. A marker's test returned early and
 * so counts among uvu's passed; it moves to skipped here.
 */
export function parseOutput(stdout: string, exitCode: number, timedOut = false): FileSummary {
  // eslint-disable-next-line no-control-regex
  const text = stdout.replace(/\x1b\[[0-9;]*m/g, '')
  const skipped = [...text.matchAll(/# SKIP (.+?): (.*)$/gm)].map(m => ({ name: m[1]!, reason: m[2]!.trim() }))
  const total = sum(text, 'Total')
  const passed = sum(text, 'Passed')
  const uvuSkipped = sum(text, 'Skipped') ?? 0
  if (total === undefined || passed === undefined) {
    return { passed: 0, failed: 1, skipped, ok: false }
  }
  for (let i = 0; i < uvuSkipped; i++) skipped.push({ name: '(test.skip)', reason: 'skipped in code' })
  let failed = total - passed
  // Exit status wins over a clean-looking summary: a crash after the summary,
  // or a timeout, still fails the file.
  if ((exitCode !== 0 || timedOut) && failed === 0) failed = 1
  return { passed: Math.max(0, passed - (skipped.length - uvuSkipped)), failed, skipped, ok: failed === 0 }
}
