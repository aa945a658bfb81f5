/** Sizes and ages as podman prints them (docker/go-units). */

const SI = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB']

/** Go's %.<p>g: shortest of fixed and exponent form, trailing zeros dropped ('1e+03'). */
export function goG(x: number, precision: number): string {
  if (x === 0) return '0'
  const [mantissa, exp] = x.toExponential(precision - 1).split('e') as [string, string]
  const e = Number(exp)
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s)
  if (e < -4 || e >= precision) return `${trim(mantissa)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`
  return trim(x.toFixed(Math.max(0, precision - 1 - e)))
}

function scale(bytes: number): [number, string] {
  let size = bytes
  let i = 0
  while (size >= 1000 && i < SI.length - 1) {
    size /= 1000
    i++
  }
  return [size, SI[i]!]
}

/** `podman images`: '11.3 kB', '4.87 MB', '0 B'. */
export function imageSize(bytes: number): string {
  const [size, unit] = scale(bytes)
  return `${goG(size, 3)} ${unit}`
}

/** `podman system df`: '22.66kB', '0B'. */
export function dfSize(bytes: number): string {
  const [size, unit] = scale(bytes)
  return `${goG(size, 4)}${unit}`
}

/** `podman ps -s`: '12B', '1.98MB' (three digits). */
export function psSize(bytes: number): string {
  const [size, unit] = scale(bytes)
  return `${goG(size, 3)}${unit}`
}

/** go-units HumanDuration: 'Less than a second', '5 seconds', 'About an hour', '3 weeks'. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < 1) return 'Less than a second'
  if (seconds === 1) return '1 second'
  if (seconds < 60) return `${seconds} seconds`
  const minutes = Math.floor(seconds / 60)
  if (minutes === 1) return 'About a minute'
  if (minutes < 60) return `${minutes} minutes`
  const hours = Math.round(ms / 3_600_000)
  if (hours === 1) return 'About an hour'
  if (hours < 48) return `${hours} hours`
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`
}

/** Go's time.Time String() in UTC with its nanoseconds, as `{{.Created}}` of ps shows it: '2026-12-03 13:45:23.168662582 +0000 UTC'. */
export function goTimeNano(iso: string): string {
  const fraction = /\.(\d+)/.exec(iso)?.[1]?.replace(/0+$/, '')
  return `${goTime(iso).slice(0, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`
}

/** Go's time.Time String() in UTC: '2026-11-30 05:14:46 +0000 UTC' (podman drops the fraction in tables). */
export function goTime(iso: string): string {
  const d = new Date(iso)
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`
}
