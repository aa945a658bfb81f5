/** Go durations ("30s", "1m30s", "500ms", "1.5h"), as podman's flags and filters take them. */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }

/** The duration in nanoseconds, or undefined when `text` is not one. */
export function durationNs(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (!parts.length || parts.map(p => p[0]).join('') !== text) return undefined
  return parts.reduce((ns, p) => ns + Number(p[1]) * UNIT_NS[p[2]!]!, 0)
}
