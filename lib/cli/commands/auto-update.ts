import { autoUpdate, type AutoUpdateReport } from '../../container/auto-update.js'
import { restartSystemdUnit } from '../../container/systemd-unit.js'
import { CockerError } from '../../errors.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineFailure } from '../exit.js'
import { renderRows } from '../render/go-template.js'
import { engineOf } from './container-context.js'
import { pullFirst } from './run.js'
import { driverFor, storeFor } from './store-context.js'

const HEADERS: Record<string, string> = { ContainerName: 'CONTAINER NAME', ContainerID: 'CONTAINER ID' }
const DEFAULT_FORMAT = 'table {{.Unit}}\t{{.Container}}\t{{.Image}}\t{{.Policy}}\t{{.Updated}}'
/** How long a container made again must keep running to count as updated. */
const SETTLE_MS = 3000

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const store = storeFor(ctx)
  const driver = await driverFor(ctx, store)
  const tlsVerify = args.tlsVerify as boolean | undefined
  const { reports, errors } = await autoUpdate({
    engine, store, driver,
    dryRun: args.dryRun === true,
    rollback: args.rollback !== false,
    ...(typeof args.authfile === 'string' ? { authfile: args.authfile } : {}),
    ...(tlsVerify === undefined ? {} : { tlsVerify }),
    pull: async (name, o) => {
      const status = await pullFirst(name, { tlsVerify, platform: {}, ...(o.authfile ? { authfile: o.authfile } : {}) }, ctx)
      if (status !== 0) throw new CockerError('AUTO_UPDATE_FAILED', `pulling ${name} failed (status ${status})`)
    },
    restartUnit: unit => restartSystemdUnit(unit, { user: engine.rootless, env: ctx.env }),
    settleMs: SETTLE_MS,
  })
  const stderr = errors.map(e => engineFailure(e, { version: '' }).stderr).join('')
  return { stdout: reports.length ? render(reports, args.format as string | undefined) : '', stderr, exitCode: errors.length ? 125 : 0 }
}

function render(reports: AutoUpdateReport[], format: string | undefined): string {
  const rows = reports.map(r => ({
    Unit: r.unit, Container: `${r.containerId.slice(0, 12)} (${r.containerName})`, ContainerName: r.containerName, ContainerID: r.containerId,
    Image: r.imageName, Policy: r.policy, Updated: r.updated,
  }))
  if (format === 'json') return `${JSON.stringify(rows, null, 4)}\n`
  return renderRows(format ?? DEFAULT_FORMAT, rows, HEADERS)
}
