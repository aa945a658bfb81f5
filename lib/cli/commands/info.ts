import { systemInfo } from '../../container/info.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { renderTemplate } from '../render/go-template.js'
import { formatYaml } from '../render/yaml.js'
import { packageVersion } from '../../package-root.js'
import { driverFor, storeFor } from './store-context.js'

// podman info: YAML by default, --format json, or a Go template over podman's field names
// ({{.Store.GraphDriverName}}, {{.Host.Security.Rootless}}).
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const store = storeFor(ctx)
  const info = systemInfo({ store, driver: await driverFor(ctx, store), env: ctx.env, version: packageVersion() })
  const format = args.format as string | undefined
  if (format === 'json') return { stdout: `${JSON.stringify(info, null, 4)}\n` }
  if (format) return { stdout: renderTemplate(format.endsWith('\n') ? format : `${format}\n`, goFields(info)) }
  return { stdout: formatYaml(info) }
}

const GO_NAMES: Record<string, string> = { idMappings: 'IDMappings', uidmap: 'UIDMap', gidmap: 'GIDMap', container_id: 'ContainerID', host_id: 'HostID' }

/** podman's Go struct field names for its JSON keys: graphDriverName → GraphDriverName. */
function goFields(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(goFields)
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [GO_NAMES[k] ?? k.charAt(0).toUpperCase() + k.slice(1), goFields(x)]))
}
