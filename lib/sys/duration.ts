/** Go durations ("30s", "1m30s", "500ms", "1.5h"), as podman's flags and filters take them. */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }

/** The duration in nanoseconds, or undefined when `text` is not one. */
export function durationNs(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (!parts.length || parts.map(p => p[0]).join('') !== text) return undefined
  return parts.reduce((ns, p) => ns + Number(p[1]) * UNIT_NS[p[2]!]!, 0)
}

/** Nanoseconds as Go prints a duration: 500ms, 1s, 1m30s, 2m0s, 1h0m0s. */
export function formatDurationNs(ns: number): string {
  if (ns < 1e9) {
    for (const [unit, size] of [['ms', 1e6], ['µs', 1e3]] as const) if (ns >= size) return `${ns / size}${unit}`
    return `${ns}ns`
  }
  const seconds = (ns % 60e9) / 1e9
  const minutes = Math.floor(ns / 60e9) % 60
  const hours = Math.floor(ns / 3600e9)
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`
}
