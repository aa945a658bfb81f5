/** Timestamps as Podman shows them. */

/** ISO 8601 in UTC with nanoseconds, as podman shows times (the last digits from hrtime). */
export function isoNow(): string {
  const ms = new Date().toISOString() // 2026-12-03T13:38:28.123Z
  const ns = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0')
  return `${ms.slice(0, 23)}${ns}Z`
}
