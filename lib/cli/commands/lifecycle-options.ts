/**
 * The flags of `run` and `create` that shape the container's life rather than its OCI config:
 * restart policy, stop timeout, log driver, detach keys, health check. Podman's syntax and
 * errors; each names the flag and the value.
 */
import type { LifecycleOptions } from '../../container/create.js'
import { SD_NOTIFY_MODES, type Healthcheck, type RestartPolicy, type SdNotifyMode } from '../../container/record.js'
import { CockerError } from '../../errors.js'
import { parseDetachKeys } from '../../runtime/monitor.js'
import { durationNs } from '../../sys/duration.js'
import { type ParsedArgs, strings } from '../command.js'

const invalid = (message: string, hint?: string) => new CockerError('INVALID_ARGUMENT', message, { hint })

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q'

/** containers.conf's defaults for these flags (lib/config/containers-conf.ts). */
export interface LifecycleDefaults { stopTimeout: number; detachKeys: string; logDriver: string; logSizeMax: number }

export function parseLifecycleOptions(args: ParsedArgs, o: { autoRemove: boolean; defaults?: LifecycleDefaults }): LifecycleOptions {
  const d = o.defaults
  const restartPolicy = parseRestart(typeof args.restart === 'string' ? args.restart : 'no')
  if (o.autoRemove && restartPolicy.name !== 'no') {
    throw invalid(`--restart ${String(args.restart)}: the restart policy cannot be used with --rm`, 'drop one of them')
  }
  const detachKeys = typeof args.detachKeys === 'string' ? args.detachKeys : (d?.detachKeys ?? DEFAULT_DETACH_KEYS)
  parseDetachKeys(detachKeys) // refused now, not when the container starts
  const l: LifecycleOptions = { restartPolicy, logDriver: 'k8s-file', detachKeys }
  if (d) l.stopTimeout = d.stopTimeout
  if (d && d.logSizeMax > 0) l.logMaxSize = d.logSizeMax
  if (args.stopTimeout !== undefined) {
    const t = Number(args.stopTimeout)
    if (!Number.isInteger(t) || t < 0) throw invalid(`--stop-timeout ${String(args.stopTimeout)}: must be a whole number of seconds`)
    l.stopTimeout = t
  }
  const driver = typeof args.logDriver === 'string' ? args.logDriver : d?.logDriver
  if (driver !== undefined) {
    const name = driver === 'json-file' ? 'k8s-file' : driver // podman takes json-file as k8s-file
    if (name !== 'k8s-file' && name !== 'none' && name !== 'passthrough') {
      const where = typeof args.logDriver === 'string' ? '--log-driver' : 'containers.conf log_driver'
      throw invalid(`${where} ${driver}: unknown log driver`, 'use k8s-file, json-file, none or passthrough')
    }
    l.logDriver = name
  }
  for (const opt of strings(args.logOpt)) {
    const eq = opt.indexOf('=')
    const [key, value] = eq < 0 ? [opt, ''] : [opt.slice(0, eq), opt.slice(eq + 1)]
    if (key === 'path' && value.startsWith('/')) l.logPath = value
    else if (key === 'max-size') l.logMaxSize = parseByteSize(value)
    else if (key !== 'tag') throw invalid(`--log-opt ${opt}: unknown or invalid option`, 'use path=/absolute/file or max-size=10m')
  }
  l.healthcheck = parseHealth(args)
  if (typeof args.sdnotify === 'string') {
    if (!SD_NOTIFY_MODES.includes(args.sdnotify as SdNotifyMode)) throw invalid(`--sdnotify ${args.sdnotify}: unknown mode`, 'use conmon, container, healthy or ignore')
    l.sdNotify = args.sdnotify as SdNotifyMode
  }
  return l
}

function parseRestart(value: string): RestartPolicy {
  const [name, count, ...extra] = value.split(':')
  const names = ['no', 'on-failure', 'always', 'unless-stopped']
  if (!names.includes(name) || extra.length) throw invalid(`--restart ${value}: invalid restart policy`, 'use no, on-failure[:N], always or unless-stopped')
  if (count !== undefined && (name !== 'on-failure' || !/^\d+$/.test(count))) {
    throw invalid(`--restart ${value}: only on-failure takes a retry count, a whole number`)
  }
  return { name: name as RestartPolicy['name'], maxRetries: count === undefined ? 0 : Number(count) }
}

function parseByteSize(value: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(value)
  if (!m) throw invalid(`--log-opt max-size=${value}: not a size`, 'use a number with an optional k, m or g, e.g. 10m')
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g']
}

/** A Go duration ("30s", "1m30s", "500ms") in nanoseconds. */
export function parseDuration(flag: string, value: string): number {
  const ns = durationNs(value)
  if (ns === undefined) throw invalid(`${flag} ${value}: not a duration`, 'use a number with a unit, e.g. 30s, 1m or 500ms')
  return Math.round(ns)
}

function parseHealth(args: ParsedArgs): LifecycleOptions['healthcheck'] {
  if (args.noHealthcheck === true || args.healthCmd === 'none') return { disabled: true }
  const h: Partial<Healthcheck> = {}
  if (typeof args.healthCmd === 'string') {
    const cmd = args.healthCmd
    if (cmd.trimStart().startsWith('[')) {
      let parsed: unknown
      try {
        parsed = JSON.parse(cmd)
      } catch {
        throw invalid(`--health-cmd ${cmd}: not a JSON array`)
      }
      if (!Array.isArray(parsed) || !parsed.every(s => typeof s === 'string') || !parsed.length) throw invalid(`--health-cmd ${cmd}: must be an array of strings`)
      h.test = parsed[0] === 'CMD' || parsed[0] === 'CMD-SHELL' ? parsed : ['CMD', ...parsed]
    } else {
      h.test = ['CMD-SHELL', cmd]
    }
  }
  const duration = (flag: string, v: unknown, min: number) => {
    if (typeof v !== 'string') return undefined
    const ns = parseDuration(flag, v)
    if (ns < min) throw invalid(`${flag} ${v}: must be at least ${min / 1e9 >= 1 ? `${min / 1e9}s` : `${min / 1e6}ms`}`)
    return ns
  }
  const interval = duration('--health-interval', args.healthInterval, 1e9)
  if (interval !== undefined) h.interval = interval
  const timeout = duration('--health-timeout', args.healthTimeout, 1e9)
  if (timeout !== undefined) h.timeout = timeout
  const start = duration('--health-start-period', args.healthStartPeriod, 0)
  if (start !== undefined) h.startPeriod = start
  if (args.healthRetries !== undefined) {
    const r = Number(args.healthRetries)
    if (!Number.isInteger(r) || r < 1) throw invalid(`--health-retries ${String(args.healthRetries)}: must be a whole number of at least 1`)
    h.retries = r
  }
  if (typeof args.healthOnFailure === 'string') {
    if (!['none', 'kill', 'restart', 'stop'].includes(args.healthOnFailure)) {
      throw invalid(`--health-on-failure ${args.healthOnFailure}: unknown action`, 'use none, kill, restart or stop')
    }
    h.onFailure = args.healthOnFailure as Healthcheck['onFailure']
  }
  return Object.keys(h).length ? h : undefined
}
