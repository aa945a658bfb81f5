// The `volume` group's handlers (volume-defs.ts defines the commands): one module, loaded by
// any of them; the domain is lib/storage/volumes.ts and lib/container/volumes.ts.
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { engineOf } from './container-context.js'
import { confirm } from './confirm.js'
import { openInputFile } from './input-file.js'
import { storeRootFor } from './store-root.js'
import { removeContainer } from '../../container/remove.js'
import { containersUsing } from '../../container/volumes.js'
import { removeContainerFiles } from '../../container/files.js'
import { CockerError } from '../../errors.js'
import { isRootless } from '../../rootless/identity.js'
import { createVolume, inspectVolume, listVolumes, readVolume, removeVolume, requireVolume, volumeData, type VolumeRecord } from '../../storage/volumes.js'
import { type CliContext, type Outcome, type ParsedArgs, strings } from '../command.js'
import { renderRows, renderTemplate } from '../render/go-template.js'


function keyValues(flag: string, list: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const l of list) {
    const eq = l.indexOf('=')
    if (eq === 0) throw new CockerError('INVALID_ARGUMENT', `${flag} ${l}: the key is empty`)
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1)
  }
  return out
}

export async function create(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  if (args.driver !== undefined && args.driver !== 'local') {
    throw new CockerError('NOT_SUPPORTED', `volume driver ${String(args.driver)} is not supported`, { hint: 'use --driver local (the default)' })
  }
  const root = storeRootFor(ctx)
  const rootless = isRootless(ctx.env)
  const { volume } = await createVolume(root, {
    ...(typeof args.name === 'string' ? { name: args.name } : {}),
    labels: keyValues('--label', strings(args.label)), options: keyValues('--opt', strings(args.opt)), existing: args.ignore === true,
    chown: async (dir, uid, gid) => {
      const { chownContainerFiles } = await import('../../container/files.js')
      await chownContainerFiles([dir], uid, gid, rootless)
    },
  })
  return { stdout: `${volume.name}\n` }
}

export async function exists(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  return { exitCode: readVolume(storeRootFor(ctx), args.volume as string) ? 0 : 1 }
}

/** What templates see: every field, as Go's struct has them (the JSON leaves out the empty ones). */
const templateView = (root: string, v: VolumeRecord) => ({ UID: 0, GID: 0, Anonymous: false, NeedsCopyUp: false, NeedsChown: false, ...inspectVolume(root, v) })

export async function inspect(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  const names = strings(args.volumes)
  if (!names.length && !args.all) throw new CockerError('INVALID_ARGUMENT', 'provide one or more volume names or use --all')
  const found = args.all ? listVolumes(root) : names.map(n => {
    const v = readVolume(root, n)
    // Podman's words
    if (!v) throw new CockerError('VOLUME_NOT_FOUND', `inspecting object: no such volume ${n}`, { hint: 'see "cocker volume ls"' })
    return v
  })
  const format = args.format as string | undefined
  if (format && format !== 'json') return { stdout: found.map(v => `${renderTemplate(format, templateView(root, v))}\n`).join('') }
  const views = found.map(v => inspectVolume(root, v))
  // Podman's inspect indents by five
  return { stdout: `${JSON.stringify(views, null, 5)}\n` }
}

const HEADERS = { Driver: 'DRIVER', Name: 'VOLUME NAME' }

export async function ls(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  const filters = strings(args.filter).map(f => volumeFilter(root, f, ['name', 'label', 'label!', 'driver', 'dangling']))
  const found = listVolumes(root).filter(v => filters.every(f => f(v)))
  if (args.quiet) return { stdout: found.map(v => `${v.name}\n`).join('') }
  const format = args.format as string | undefined
  if (format === 'json') return { stdout: `${JSON.stringify(found.map(v => inspectVolume(root, v)), null, 2)}\n` }
  const table = format === undefined || format === 'table' ? 'table {{.Driver}}\t{{.Name}}' : format
  return { stdout: renderRows(table, found.map(v => templateView(root, v)), HEADERS, Boolean(args.noheading)) }
}

/** Podman's volume filters: name=REGEX, label=KEY[=VALUE], label!=…, driver=, dangling=true|false. */
function volumeFilter(root: string, spec: string, allowed: string[]): (v: VolumeRecord) => boolean {
  const m = /^([a-z]+!?)=(.*)$/.exec(spec)
  if (!m || !allowed.includes(m[1]!)) {
    throw new CockerError('INVALID_ARGUMENT', `invalid filter "${spec}"`, { hint: `the filters here are ${allowed.map(a => `${a}=`).join(', ')}` })
  }
  const [, key, value] = m as unknown as [string, string, string]
  if (key === 'name') return v => new RegExp(value).test(v.name)
  if (key === 'driver') return v => v.driver === value
  if (key === 'dangling') {
    if (value !== 'true' && value !== 'false') throw new CockerError('INVALID_ARGUMENT', `invalid filter "${spec}"`, { hint: 'dangling takes true or false' })
    return v => (containersUsing(root, v.name).length === 0) === (value === 'true')
  }
  const [k, val] = value.split('=', 2) as [string, string | undefined]
  const has = (v: VolumeRecord) => v.labels[k] !== undefined && (val === undefined || v.labels[k] === val)
  return key === 'label' ? has : v => !has(v)
}

export async function rm(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = args.all ? listVolumes(engine.storeRoot).map(v => v.name) : strings(args.volumes)
  if (!names.length && !args.all) throw new CockerError('INVALID_ARGUMENT', 'choose either one or more volumes or all')
  let stdout = ''
  let stderr = ''
  let exitCode = 0
  for (const name of names) {
    try {
      requireVolume(engine.storeRoot, name)
      const users = containersUsing(engine.storeRoot, name)
      if (users.length && !args.force) {
        // Podman's words
        throw new CockerError('VOLUME_IN_USE', `volume ${name} is being used by the following container(s): ${users.map(c => c.record.id).join(', ')}: volume is being used`)
      }
      for (const c of users) await removeContainer(engine, c, { force: true, timeout: args.time as number | undefined })
      await removeVolume(engine.storeRoot, name, dir => removeContainerFiles(dir, engine.rootless))
      stdout += `${name}\n`
    } catch (err) {
      if (!(err instanceof CockerError)) throw err
      stderr += `Error: ${err.message}\n`
      // Podman's statuses: 1 for a volume that is not there, 2 for one in use
      exitCode = exitCode || (err.code === 'VOLUME_NOT_FOUND' ? 1 : err.code === 'VOLUME_IN_USE' ? 2 : 125)
    }
  }
  return { stdout, stderr, exitCode }
}

export async function prune(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const filters = strings(args.filter).map(f => volumeFilter(engine.storeRoot, f, ['label', 'label!']))
  if (!args.force && !confirm('WARNING! This will remove all volumes not used by at least one container.\n')) return {}
  let stdout = ''
  for (const v of listVolumes(engine.storeRoot)) {
    if (!filters.every(f => f(v)) || containersUsing(engine.storeRoot, v.name).length) continue
    try {
      await removeVolume(engine.storeRoot, v.name, dir => removeContainerFiles(dir, engine.rootless))
    } catch (err) {
      if ((err as CockerError).code === 'VOLUME_NOT_FOUND') continue // removed meanwhile
      throw err
    }
    stdout += `${v.name}\n`
  }
  return { stdout }
}

/** A volume whose content is a mount of its own (-o type=…) has none in the store to read or write. */
function storedVolume(root: string, name: string): VolumeRecord {
  const v = requireVolume(root, name)
  if (v.options.type) {
    throw new CockerError('NOT_SUPPORTED', `volume ${name} is a ${v.options.type} mount (-o type=${v.options.type}): its content is not kept in the store`,
      { hint: 'export and import work on volumes without -o type' })
  }
  return v
}

export async function exportVolume(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  const v = storedVolume(root, args.volume as string)
  const output = args.output as string | undefined
  if (!output && process.stdout.isTTY) throw new CockerError('INVALID_ARGUMENT', 'refusing to export to terminal. Use -o flag or redirect')
  const { packDirectory } = await import('../../image/tar-writer.js')
  const chunks = packDirectory(volumeData(root, v.name))
  if (output) await pipeline(chunks, createWriteStream(output))
  else await pipeline(chunks, process.stdout, { end: false })
  return {}
}

export async function importVolume(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const root = storeRootFor(ctx)
  const v = storedVolume(root, args.volume as string)
  const source = args.source as string
  const input = source === '-' ? process.stdin : openInputFile(source, ctx.cwd, 'a tar archive')
  const [{ applyLayer }, { decompress }, { mappedIdLimit }, { inRootlessUserNamespace }] = await Promise.all([
    import('../../storage/unpack.js'), import('../../image/decompress.js'), import('../../image/layer-import.js'), import('../../rootless/identity.js')])
  const limit = mappedIdLimit()
  await applyLayer(decompress(input), volumeData(root, v.name), {
    format: 'vfs', xattrNamespace: inRootlessUserNamespace() ? 'user' : 'trusted', layerName: source === '-' ? 'from standard input' : source,
    ...(limit ? { idLimit: limit } : {}),
  })
  return {}
}
