import { CockerError } from '../../errors.js'
import type { CheckReport } from '../../storage/check.js'
import { durationNs } from '../../sys/duration.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeFor } from './store-context.js'

const NOUN = { layer: 'layer', image: 'image', blob: 'blob', link: 'layer link', tmp: 'temporary file', container: 'container', pod: 'pod' } as const

/** --max: a Go duration (24h, 90m, 1h30m, 10s, 0), in seconds. */
export function parseDuration(text: string): number {
  const ns = text === '0' ? 0 : durationNs(text)
  if (ns === undefined) {
    throw new CockerError('INVALID_ARGUMENT', `invalid argument "${text}" for "-m, --max" flag: time: invalid duration "${text}"`)
  }
  return ns / 1e9
}

// podman's report: each damaged thing with a multierror list, then what repair removed.
function render(report: CheckReport): string {
  const groups = new Map<string, string[]>()
  for (const p of report.problems) {
    const key = `${NOUN[p.subject]} ${p.name}`
    groups.set(key, [...(groups.get(key) ?? []), p.message])
  }
  let out = ''
  for (const [key, messages] of groups) {
    out += `Damaged ${key}:\n${messages.length} error${messages.length > 1 ? 's' : ''} occurred:\n${messages.map(m => `\t* ${m}\n`).join('')}\n`
  }
  for (const r of report.removed) out += `Deleted damaged ${NOUN[r.subject]}: ${r.name}\n`
  return out
}

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const store = storeFor(ctx)
  const opts = { quick: args.quick as boolean, maxAge: parseDuration(args.max as string) }
  const repair = (args.repair || args.force) as boolean
  const report = await store.check({ ...opts, repair })
  for (const r of report.removed) if (r.subject === 'container') await forgetRuntimeState(r.name, ctx)
  const stdout = render(report) + await reconcileContainers(ctx)
  if (!report.problems.length) return { stdout }
  if (!repair) return { stdout, stderr: 'Error: damage detected in local storage\n', exitCode: 125 }
  const again = await store.check(opts)
  if (again.problems.length) return { stdout, stderr: 'Error: damage in local storage still present after repair attempt\n', exitCode: 125 }
  return { stdout }
}

/**
 * Containers whose record says they run while their monitor is gone (it was killed, or the
 * machine rebooted): `ps` shows them exited already; here their clean-up is done, as the
 * monitor would have done it.
 */
async function reconcileContainers(ctx: CliContext): Promise<string> {
  const { listContainers, observe, releasedByMonitor } = await import('../../container/record.js')
  const { cleanupContainer } = await import('../../container/cleanup.js')
  const { engineOf } = await import('./container-context.js')
  const engine = engineOf(ctx)
  let out = ''
  for (const { record, dir } of listContainers(engine.storeRoot)) {
    const up = ['running', 'paused', 'stopping'].includes(record.state.status)
    if (!up || observe(record, dir).status !== 'exited' || releasedByMonitor(record, dir)) continue
    // a monitor still recording the exit or releasing the container is not gone, and a
    // container its own clean-up removed meanwhile was not cleaned up here
    const outcome = await cleanupContainer(engine, record.id)
    if (outcome === 'running' || outcome === 'gone') continue
    out += `Cleaned up container ${record.id}: its monitor was gone\n`
  }
  return out
}

/** A killed `cocker run` (or a record removed by hand) also leaves what the runtimes hold of its container. */
async function forgetRuntimeState(id: string, ctx: CliContext): Promise<void> {
  const { forgetRuntimeState: forget } = await import('../../container/cleanup.js')
  const { containersConf } = await import('../../config/containers-conf.js')
  const { engineOf } = await import('./container-context.js')
  await forget(engineOf(ctx), id, (await containersConf(ctx.env)).engine.runtimes)
}
