/**
 * `import --change`: Containerfile instructions applied to an image's config, pure.
 * CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL. CMD, ENTRYPOINT
 * and VOLUME take the JSON form (["a", "b"]) or the shell form (CMD and ENTRYPOINT run
 * through /bin/sh -c). ENV and LABEL take KEY=VALUE pairs with quotes as a Containerfile
 * does, and ENV the old `ENV KEY VALUE` form; EXPOSE several ports, each PORT[/tcp|udp|sctp].
 * This follows the Containerfile rather than Podman 4.3, which keeps `ENV A=1 B=2` as a
 * single variable and `EXPOSE 80 443` as an error.
 */
import { CockerError } from '../errors.js'
import type { ContainerConfig } from './manifest.js'

const INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const

/** The config with every change applied in order; INVALID_ARGUMENT naming the change that is wrong. */
export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const out: ContainerConfig = structuredClone(config)
  for (const change of changes) applyChange(out, change)
  return out
}

function applyChange(c: ContainerConfig, change: string): void {
  const fail = (why: string): never => {
    throw new CockerError('INVALID_ARGUMENT', `invalid change "${change}" - ${why}`, { hint: `supported: ${INSTRUCTIONS.join(', ')}` })
  }
  const m = /^\s*(\S+)(?:\s+([\s\S]*?))?\s*$/.exec(change)
  if (!m || m[2] === undefined || m[2] === '') fail('must be formatted as KEY VALUE')
  const instruction = m![1]!.toUpperCase()
  const value = m![2]!
  switch (instruction) {
    case 'CMD':
      c.Cmd = jsonList(value) ?? ['/bin/sh', '-c', value]
      return
    case 'ENTRYPOINT':
      c.Entrypoint = jsonList(value) ?? ['/bin/sh', '-c', value]
      return
    case 'ENV': {
      const env = c.Env ?? []
      for (const [k, v] of pairs(value, 'ENV', fail, true)) {
        const i = env.findIndex(e => e.split('=')[0] === k)
        if (i >= 0) env[i] = `${k}=${v}`
        else env.push(`${k}=${v}`)
      }
      c.Env = env
      return
    }
    case 'LABEL':
      c.Labels = { ...c.Labels, ...Object.fromEntries(pairs(value, 'LABEL', fail, false)) }
      return
    case 'EXPOSE': {
      const ports = { ...c.ExposedPorts }
      for (const p of words(value, fail)) {
        const pm = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(p)
        if (!pm) fail(`EXPOSE port must be a number or a range, optionally with /tcp, /udp or /sctp: "${p}"`)
        const proto = (pm![3] ?? 'tcp').toLowerCase()
        if (!['tcp', 'udp', 'sctp'].includes(proto)) fail(`EXPOSE protocol must be tcp, udp or sctp: "${p}"`)
        const first = Number(pm![1])
        const last = pm![2] === undefined ? first : Number(pm![2])
        if (first < 1 || last > 65535 || last < first) fail(`EXPOSE port out of range: "${p}"`)
        for (let port = first; port <= last; port++) ports[`${port}/${proto}`] = {}
      }
      c.ExposedPorts = ports
      return
    }
    case 'VOLUME': {
      const volumes = { ...c.Volumes }
      for (const v of jsonList(value) ?? words(value, fail)) {
        if (!v.startsWith('/')) fail(`VOLUME paths must be absolute: "${v}"`)
        volumes[v] = {}
      }
      c.Volumes = volumes
      return
    }
    case 'USER':
      c.User = value
      return
    case 'WORKDIR':
      c.WorkingDir = value
      return
    case 'STOPSIGNAL':
      if (!/^(SIG)?[A-Z][A-Z0-9+-]*$|^\d+$/.test(value)) fail(`STOPSIGNAL is not a signal: "${value}"`)
      c.StopSignal = value
      return
    default:
      fail(`invalid instruction ${instruction}`)
  }
}

/** A JSON array of strings, or undefined when the value is not one (then it is the shell form). */
function jsonList(value: string): string[] | undefined {
  if (!value.startsWith('[')) return undefined
  try {
    const v: unknown = JSON.parse(value)
    return Array.isArray(v) && v.every(s => typeof s === 'string') ? v : undefined
  } catch {
    return undefined
  }
}

/** Words split at unquoted whitespace; quotes ('…', "…") removed, backslash escapes honoured. */
export function words(value: string, fail: (why: string) => never): string[] {
  const out: string[] = []
  let cur = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && i + 1 < value.length) cur += value[++i]
      else cur += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (ch === '\\' && i + 1 < value.length) {
      cur += value[++i]
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += ch
      inWord = true
    }
  }
  if (quote) fail(`unterminated ${quote} quote`)
  if (inWord) out.push(cur)
  return out
}

/** KEY=VALUE pairs; with legacy, `KEY VALUE` (no '=' in the first word) is one pair of the rest. */
function pairs(value: string, what: string, fail: (why: string) => never, legacy: boolean): [string, string][] {
  const ws = words(value, fail)
  if (legacy && !ws[0]!.includes('=')) {
    const rest = value.trim().slice(value.trim().search(/\s/) + 1).trim()
    if (ws.length < 2) fail(`${what} ${ws[0]} needs a value`)
    return [[ws[0]!, rest]]
  }
  return ws.map(w => {
    const eq = w.indexOf('=')
    if (eq <= 0) fail(`${what} must be formatted key=value: "${w}"`)
    return [w.slice(0, eq), w.slice(eq + 1)]
  })
}
