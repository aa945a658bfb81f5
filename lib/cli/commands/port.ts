import { CockerError } from '../../errors.js'
import { requireContainer } from '../../container/record.js'
import { latestContainer, viewOf } from '../../container/view.js'
import type { PortMapping } from '../../spec/run-options.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeRootFor } from './store-root.js'

/** `port CT`: "80/tcp -> 0.0.0.0:8080" per published port; `port CT 80[/tcp]`: "0.0.0.0:8080" for that one, as Podman. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  // with --latest the first argument is already the port
  const words = [args.container, args.port].filter((w): w is string => typeof w === 'string')
  if (!args.latest && !words.length) throw new CockerError('INVALID_ARGUMENT', 'port needs a container', { hint: 'name a container, or give --latest' })
  const view = args.latest ? latestContainer(root) : viewOf(requireContainer(root, words.shift()!))
  const ports = view.record.ports ?? []
  const host = (p: PortMapping) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}`
  const wanted = words[0]
  if (wanted === undefined) return { stdout: ports.map(p => `${p.containerPort}/${p.protocol} -> ${host(p)}\n`).join('') }
  const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(wanted)
  if (!m) throw new CockerError('INVALID_ARGUMENT', `port ${wanted}: expected PORT or PORT/PROTOCOL, e.g. 80/tcp`)
  const found = ports.filter(p => p.containerPort === Number(m[1]) && p.protocol === (m[2] ?? 'tcp'))
  if (!found.length) {
    throw new CockerError('INVALID_ARGUMENT', `failed to find published port "${wanted}" of container ${view.record.name}`, { hint: `"cocker port ${view.record.name}" lists what it publishes` })
  }
  return { stdout: found.map(p => `${host(p)}\n`).join('') }
}
