import { CockerError } from '../../errors.js'
import { requireContainer } from '../../container/record.js'
import { latestContainer, networkPorts, viewContainers, viewOf, type ContainerView } from '../../container/view.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeRootFor } from './store-root.js'

/**
 * As Podman's: `port CT` prints "80/tcp -> 0.0.0.0:8080" per published port, `port CT 80[/tcp]`
 * the host address and port alone, `port --all` every running container's, each line after its
 * short id and a tab; a container in its pod's network shows the pod's. A container that does
 * not run, or publishes nothing, prints nothing.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  const words = [args.container, args.port].filter((w): w is string => typeof w === 'string')
  if (args.all && words.length) throw new CockerError('INVALID_ARGUMENT', 'no arguments are needed with --all')
  if (!args.all && !args.latest && !words.length) throw new CockerError('INVALID_ARGUMENT', 'you must supply a running container name or id')
  const views: ContainerView[] = args.all ? viewContainers(root) : [args.latest ? latestContainer(root) : viewOf(requireContainer(root, words.shift()!))]
  // with --latest the first word is already the port
  const wanted = words[0] === undefined ? undefined : parsePort(words[0])
  let out = ''
  for (const v of views) {
    const ports = v.state.status === 'running' ? networkPorts(root, v.record) : []
    if (!ports.length) continue
    const prefix = args.all ? `${v.record.id.slice(0, 12)}\t` : ''
    const host = (p: (typeof ports)[number]) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}`
    if (!wanted) {
      out += ports.map(p => `${prefix}${p.containerPort}/${p.protocol} -> ${host(p)}\n`).join('')
      continue
    }
    const found = ports.find(p => p.containerPort === wanted.port && p.protocol === wanted.protocol)
    if (!found) throw new CockerError('INVALID_ARGUMENT', `failed to find published port "${words[0]}"`)
    out += `${prefix}${host(found)}\n`
  }
  return { stdout: out }
}

/** PORT or PORT/PROTOCOL (tcp when absent); another protocol is one no container publishes. */
function parsePort(text: string): { port: number; protocol: string } {
  const fields = text.split('/')
  if (fields.length > 2) throw new CockerError('INVALID_ARGUMENT', `port formats are port/protocol. '${text}' is invalid`)
  const port = /^\d+$/.test(fields[0]!) ? Number(fields[0]) : NaN
  if (!(port <= 65535)) throw new CockerError('INVALID_ARGUMENT', `port ${text}: "${fields[0]}" is not a port number`, { hint: 'give PORT or PORT/PROTOCOL, e.g. 80/tcp' })
  return { port, protocol: fields[1] || 'tcp' }
}
