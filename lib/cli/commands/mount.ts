import { checkMountAllowed, mountContainer, mountedContainers, unmountContainer } from '../../container/mount.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { eachContainer, engineOf, targets } from './container-context.js'

export async function runMount(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  checkMountAllowed(engine, 'mount')
  const names = (args.containers as string[] | undefined) ?? []
  if (!names.length && !args.all) {
    const mounted = mountedContainers(engine)
    if (args.format === 'json') return { json: mounted.map(m => ({ id: m.found.record.id, names: [m.found.record.name], mountpoint: m.path })) }
    const id = (full: string) => (args.notruncate ? full : full.slice(0, 12))
    return { stdout: mounted.map(m => `${id(m.found.record.id)} ${m.path}\n`).join('') }
  }
  return eachContainer(engine, targets(engine, names, { all: args.all as boolean }), async found => `${await mountContainer(engine, found)}\n`)
}

export async function runUnmount(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  checkMountAllowed(engine, 'unmount')
  const names = args.all ? mountedContainers(engine).map(m => m.found.record.id) : targets(engine, (args.containers as string[] | undefined) ?? [])
  return eachContainer(engine, names, async found => {
    await unmountContainer(engine, found, { force: args.force as boolean })
    return `${found.record.id}\n`
  })
}
