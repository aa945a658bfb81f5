// The `network` group's handlers (network-defs.ts defines the commands): one module, loaded
// by any of them; the domain is lib/network/bridge.
import { engineOf, requireContainer } from './container-context.js'
import { confirm } from './confirm.js'
import { listContainers } from '../../container/record.js'
import { removeContainer } from '../../container/remove.js'
import { CockerError } from '../../errors.js'
import { bridgePaths, connectContainer, disconnectContainer } from '../../network/index.js'
import { containersOn } from '../../network/bridge/attach.js'
import { parseMacAddress } from '../../spec/run-options.js'
import { createNetwork, findNetwork, listNetworks, removeNetworkFile, requireNetwork, withNetworksLock, DEFAULT_NETWORK,
  type NetworkDef } from '../../network/bridge/networks.js'
import type { Engine } from '../../container/engine.js'
import { type CliContext, type Outcome, type ParsedArgs, strings } from '../command.js'
import { renderRows, renderTemplate } from '../render/go-template.js'
import { storeRootFor } from './store-root.js'


export async function create(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  if (args.driver !== undefined && args.driver !== 'bridge') {
    throw new CockerError('NOT_SUPPORTED', `network driver ${String(args.driver)} is not supported`, { hint: 'use --driver bridge (the default)' })
  }
  if (args.ipv6) throw new CockerError('NOT_SUPPORTED', '--ipv6: IPv6 networks are not supported yet', { hint: 'leave --ipv6 out' })
  const subnets = strings(args.subnet)
  const gateways = strings(args.gateway)
  if (subnets.length > 1 || gateways.length > 1) {
    throw new CockerError('NOT_SUPPORTED', 'a network with more than one subnet is not supported yet', { hint: 'give one --subnet and at most one --gateway' })
  }
  if (gateways.length && !subnets.length) throw new CockerError('INVALID_ARGUMENT', '--gateway needs --subnet', { hint: 'give the subnet the gateway belongs to' })
  const labels = keyValues(strings(args.label))
  const options = keyValues(strings(args.opt))
  const root = storeRootFor(ctx)
  const existing = args.ignore === true && typeof args.name === 'string' ? args.name : undefined
  const def = await withNetworksLock(root, () => (existing !== undefined && findNetwork(root, existing)) || createNetwork(root, {
    name: args.name as string | undefined, subnet: subnets[0], gateway: gateways[0],
    internal: Boolean(args.internal), disableDns: Boolean(args.disableDns), labels, options,
  }))
  return { stdout: `${def.name}\n` }
}

function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const l of list) {
    const eq = l.indexOf('=')
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1)
  }
  return out
}

export async function connect(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const aliases = strings(args.alias)
  const mac = args.macAddress === undefined ? undefined : parseMacAddress(args.macAddress as string)
  await connectContainer(engine, requireContainer(engine.storeRoot, args.container as string), {
    network: args.network as string, ...(aliases.length ? { aliases } : {}), ...(args.ip ? { ip: args.ip as string } : {}), ...(mac ? { mac } : {}),
  })
  return {}
}

export async function disconnect(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  await disconnectContainer(engine, requireContainer(engine.storeRoot, args.container as string), args.network as string)
  return {}
}

export async function exists(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  return { exitCode: findNetwork(storeRootFor(ctx), args.network as string) ? 0 : 1 }
}

export async function inspect(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  const found = (args.networks as string[]).map(n => {
    const def = findNetwork(root, n)
    if (!def) {
      throw new CockerError('NETWORK_NOT_FOUND', `inspecting object: network ${n}: unable to find network with name or ID ${n}: network not found`,
        { hint: 'see "cocker network ls"' })
    }
    return def
  })
  const format = args.format as string | undefined
  if (format && format !== 'json') return { stdout: found.map(n => `${renderTemplate(format, n)}\n`).join('') }
  // Podman's inspect indents by five
  return { stdout: `${JSON.stringify(found, null, 5)}\n` }
}

const HEADERS = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER' }

export async function ls(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const filters = strings(args.filter).map(networkFilter)
  const found = listNetworks(storeRootFor(ctx)).filter(n => filters.every(f => f(n)))
  if (args.quiet) return { stdout: found.map(n => `${n.name}\n`).join('') }
  const format = args.format as string | undefined
  if (format === 'json') return { stdout: `${JSON.stringify(found, null, 2)}\n` }
  const rows = found.map(n => ({ ...n, ID: args.noTrunc ? n.id : n.id.slice(0, 12), Name: n.name, Driver: n.driver, Labels: n.labels ?? {} }))
  return { stdout: renderRows(format ?? 'table {{.ID}}\t{{.Name}}\t{{.Driver}}', rows, HEADERS, Boolean(args.noheading)) }
}

/** name=, id=, driver=, label=KEY[=VALUE]: Podman's network filters. */
function networkFilter(spec: string): (n: NetworkDef) => boolean {
  const m = /^(name|id|driver|label)=(.*)$/.exec(spec)
  if (!m) throw new CockerError('INVALID_ARGUMENT', `invalid filter "${spec}"`, { hint: 'network ls takes name=, id=, driver= and label=KEY[=VALUE]' })
  const [, key, value] = m as unknown as [string, string, string]
  if (key === 'name') return n => new RegExp(value).test(n.name)
  if (key === 'id') return n => n.id.startsWith(value)
  if (key === 'driver') return n => n.driver === value
  const [k, v] = value.split('=', 2) as [string, string | undefined]
  return n => n.labels?.[k] !== undefined && (v === undefined || n.labels[k] === v)
}

/** Containers of the store whose network this is (created, running or stopped). */
function containersOf(engine: Engine, def: NetworkDef) {
  return listContainers(engine.storeRoot).filter(c => c.record.bridgeNetwork?.network === def.name)
}

export async function rm(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  let stdout = ''
  let stderr = ''
  let exitCode = 0
  for (const name of args.networks as string[]) {
    try {
      const def = requireNetwork(engine.storeRoot, name)
      // refused before any of its containers go
      if (def.name === DEFAULT_NETWORK) removeNetworkFile(engine.storeRoot, def.name)
      const users = containersOf(engine, def)
      if (users.length && !args.force) {
        throw new CockerError('NETWORK_IN_USE', `"${name}" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used`)
      }
      for (const c of users) await removeContainer(engine, c, { force: true, timeout: args.time as number | undefined })
      await withNetworksLock(engine.storeRoot, () => removeNetworkFile(engine.storeRoot, def.name))
      stdout += `${def.name}\n`
    } catch (err) {
      if (!(err instanceof CockerError)) throw err
      stderr += `Error: ${err.message}\n`
      // Podman's statuses: 1 for a network that is not there, 2 for one in use
      exitCode = exitCode || (err.code === 'NETWORK_NOT_FOUND' ? 1 : err.code === 'NETWORK_IN_USE' ? 2 : 125)
    }
  }
  return { stdout, stderr, exitCode }
}

export async function prune(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const filters = strings(args.filter).map(networkFilter)
  if (!args.force && !confirm('WARNING! This will remove all networks not used by at least one container.\n')) return {}
  let stdout = ''
  for (const def of listNetworks(engine.storeRoot)) {
    if (def.name === DEFAULT_NETWORK || !filters.every(f => f(def))) continue
    if (containersOf(engine, def).length || containersOn(bridgePaths(engine), def).length) continue
    await withNetworksLock(engine.storeRoot, () => removeNetworkFile(engine.storeRoot, def.name))
    stdout += `${def.name}\n`
  }
  return { stdout }
}
