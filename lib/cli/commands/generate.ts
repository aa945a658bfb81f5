import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { cockerCommand, type Engine } from '../../container/engine.js'
import { findContainer, type ContainerRecord } from '../../container/record.js'
import { CockerError } from '../../errors.js'
import { packageVersion } from '../../package-root.js'
import { findPod } from '../../pod/record.js'
import { callerName, realUid } from '../../rootless/identity.js'
import { podInfraAndContainers } from '../../pod/pods.js'
import { lingerWarning } from '../../systemd/linger.js'
import { containerUnit, podUnits, SERVICE_RESTART_POLICIES, type Unit, type UnitContainer, type UnitOptions } from '../../systemd/unit.js'
import { type CliContext, type CommandDef, type OptionDef, type Outcome, type ParsedArgs, strings } from '../command.js'
import { engineOf } from './container-context.js'

const invalid = (message: string, hint?: string) => new CockerError('INVALID_ARGUMENT', message, { hint })

/** `generate systemd`: the units as text, JSON, or files in the current directory. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const o = unitOptions(args)
  const unitCtx = { cocker: cockerCommand(engine), storeRoot: engine.storeRoot, version: packageVersion(), now: new Date(), valueFlags: valueFlags(ctx) }
  const units = unitsFor(engine, String(args.target), o, unitCtx)
  if (args.format === 'json') return { stdout: `${JSON.stringify(Object.fromEntries(units.map(u => [u.name, u.text])), null, 1)}\n` }
  if (args.files !== true) return { stdout: units.map(u => u.text).join('\n') }
  const written = units.map(u => {
    const file = path.resolve(ctx.cwd, `${u.name}.service`)
    writeFileSync(file, u.text)
    return file
  })
  const linger = lingerWarning({ uid: realUid(ctx.env), name: callerName() })
  return { stdout: written.map(f => `${f}\n`).join(''), ...(linger ? { stderr: `WARN: ${linger}\n` } : {}) }
}

function unitsFor(engine: Engine, target: string, o: UnitOptions, unitCtx: Parameters<typeof containerUnit>[2]): Unit[] {
  const container = findContainer(engine.storeRoot, target)
  if (container && !container.record.infra) return [containerUnit(unitContainer(container.record), o, unitCtx)]
  const pod = findPod(engine.storeRoot, container?.record.pod ?? target)
  if (!pod) {
    throw new CockerError('CONTAINER_NOT_FOUND', `no container or pod named "${target}"`, { hint: 'see "cocker ps -a" and "cocker pod ps"' })
  }
  const { infra, containers } = podInfraAndContainers(engine.storeRoot, pod.record)
  return podUnits({
    id: pod.record.id, name: pod.record.name, ...(pod.record.createCommand ? { createCommand: pod.record.createCommand } : {}),
    infra: unitContainer(infra.record), containers: containers.map(c => unitContainer(c.record)),
  }, o, unitCtx)
}

const unitContainer = (r: ContainerRecord): UnitContainer => ({
  id: r.id, name: r.name, stopTimeout: r.stopTimeout, sdNotify: r.sdNotify ?? 'conmon', ...(r.createCommand ? { createCommand: r.createCommand } : {}),
})

function unitOptions(args: ParsedArgs): UnitOptions {
  const restartPolicy = String(args.restartPolicy ?? 'on-failure')
  if (!SERVICE_RESTART_POLICIES.includes(restartPolicy)) {
    throw invalid(`--restart-policy ${restartPolicy}: not a restart policy of systemd`, `use one of ${SERVICE_RESTART_POLICIES.join(', ')}`)
  }
  const seconds = (flag: string, v: unknown) => {
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(`${flag} ${String(v)}: must be a whole number of seconds`)
    return v
  }
  const word = (flag: string, v: unknown) => {
    const s = String(v)
    if (!/^[\w.@:-]*$/.test(s)) throw invalid(`${flag} ${s}: unit names may hold letters, digits and _ . @ : - only`)
    return s
  }
  const units = (flag: string, v: unknown) => strings(v).map(u => {
    if (!/^[\w.@:\\-]+$/.test(u)) throw invalid(`${flag} ${u}: not a unit name`, 'give a name such as network-online.target')
    return u
  })
  const env = strings(args.env).map(e => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw invalid(`--env ${e}: expected KEY=VALUE`)
    return e
  })
  const o: UnitOptions = {
    new: args.new === true, useName: args.name === true, noHeader: args.noHeader === true, restartPolicy,
    containerPrefix: word('--container-prefix', args.containerPrefix ?? 'container'), podPrefix: word('--pod-prefix', args.podPrefix ?? 'pod'),
    separator: word('--separator', args.separator ?? '-'),
    after: units('--after', args.after), requires: units('--requires', args.requires), wants: units('--wants', args.wants), env,
  }
  const restartSec = seconds('--restart-sec', args.restartSec)
  if (restartSec !== undefined) o.restartSec = restartSec
  const startTimeout = seconds('--start-timeout', args.startTimeout)
  if (startTimeout !== undefined) o.startTimeout = startTimeout
  const stopTimeout = seconds('--stop-timeout', args.stopTimeout)
  if (stopTimeout !== undefined) o.stopTimeout = stopTimeout
  return o
}

/** The flags that take a value of `run`, `pod create` and the globals, long and short: create commands are read with them. */
function valueFlags(ctx: CliContext): Set<string> {
  const commands = ctx.program.commands as CommandDef[]
  const find = (list: CommandDef[] | undefined, name: string) => list?.find(c => c.name === name)
  const options: OptionDef[] = [...ctx.program.globalOptions, ...(find(commands, 'run')?.options ?? []),
    ...(find(find(commands, 'pod')?.subcommands, 'create')?.options ?? [])]
  return new Set(options.filter(opt => opt.type !== 'boolean').flatMap(opt => [`--${opt.name}`, ...(opt.alias ? [`-${opt.alias}`] : [])]))
}
