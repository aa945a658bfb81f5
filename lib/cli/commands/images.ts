import { CockerError } from '../../errors.js'
import { splitName, sortedImages } from '../../storage/images.js'
import type { BlobStore } from '../../storage/blobs.js'
import type { ImageRecord } from '../../storage/metadata.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { renderRows } from '../render/go-template.js'
import { goTime, humanDuration, imageSize } from '../render/units.js'
import { storeMetadataFor } from './store-root.js'

const HEADERS: Record<string, string> = {
  ID: 'IMAGE ID', Id: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST',
  CreatedSince: 'CREATED', Created: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE',
}

interface Row {
  ID: string
  Id: string
  Repository: string
  Tag: string
  Digest: string
  CreatedSince: string
  Created: string
  CreatedAt: string
  Size: string
  VirtualSize: number
  SharedSize: number
  Names: string[]
  Dangling: boolean
  Containers: number
  History: string
  Labels: Record<string, string>
  ReadOnly: boolean
}

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const { paths, metadata } = storeMetadataFor(ctx)
  const filters = (args.filter as string[]).map(parseFilter)
  const images = sortedImages(metadata).filter(i => filters.every(f => f(i)))
  const noTrunc = args.noTrunc as boolean
  const id = (i: ImageRecord) => (noTrunc ? `sha256:${i.id}` : i.id.slice(0, 12))

  if (args.quiet) return { stdout: [...new Set(images.map(id))].map(s => `${s}\n`).join('') }
  const format = args.format as string | undefined
  // the blob store (node:crypto, node:stream) loads only when labels are shown
  const labels = format === 'json' || format?.includes('Labels') ? labelsReader(new (await import('../../storage/blobs.js')).BlobStore(paths)) : () => null
  if (format === 'json') {
    const json = images.map(i => ({
      Id: i.id, ParentId: '', RepoTags: null, RepoDigests: i.repoDigests, Size: i.size, SharedSize: 0, VirtualSize: i.size,
      Labels: labels(i), Containers: 0, Names: i.names, Digest: i.digest, History: i.namesHistory,
      Created: Math.floor(Date.parse(i.created) / 1000), CreatedAt: i.created,
    }))
    return { stdout: `${JSON.stringify(json, null, 4)}\n` }
  }

  const now = Date.now()
  const rows: Row[] = []
  for (const i of images) {
    const since = `${humanDuration(Math.max(0, now - Date.parse(i.created)))} ago`
    const names = i.names.length ? i.names.map(splitName) : [['<none>', '<none>'] as [string, string]]
    for (const [Repository, Tag] of names) {
      rows.push({
        ID: id(i), Id: i.id, Repository, Tag, Digest: i.digest, CreatedSince: since, Created: since, CreatedAt: goTime(i.created),
        Size: imageSize(i.size), VirtualSize: i.size, SharedSize: 0, Names: i.names, Dangling: i.names.length === 0,
        Containers: 0, History: i.namesHistory.join(', '), Labels: labels(i) ?? {}, ReadOnly: false,
      })
    }
  }
  if (format) return { stdout: renderRows(format, rows, HEADERS, args.noheading as boolean) }
  const columns = `{{.Repository}}\t{{.Tag}}\t${args.digests ? '{{.Digest}}\t' : ''}{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`
  return { stdout: renderRows(`table ${columns}`, rows, HEADERS, args.noheading as boolean) }
}

function labelsReader(blobs: BlobStore): (image: ImageRecord) => Record<string, string> | null {
  return image => {
    try {
      const config = JSON.parse(blobs.read(image.configDigest).toString('utf8'))
      return config.config?.Labels ?? null
    } catch {
      return null
    }
  }
}

function parseFilter(spec: string): (i: ImageRecord) => boolean {
  const eq = spec.indexOf('=')
  const key = eq < 0 ? spec : spec.slice(0, eq)
  const value = eq < 0 ? '' : spec.slice(eq + 1)
  if (key === 'dangling') {
    if (value !== 'true' && value !== 'false') throw new CockerError('INVALID_ARGUMENT', `invalid filter "${spec}": dangling takes true or false`)
    return i => (i.names.length === 0) === (value === 'true')
  }
  if (key === 'reference') {
    const re = globToRegExp(value)
    return i => i.names.some(n => referenceCandidates(n).some(c => re.test(c)))
  }
  throw new CockerError('INVALID_ARGUMENT', `invalid filter "${spec}"`, { hint: 'use dangling=true|false or reference=PATTERN' })
}

/** What reference=PATTERN may match: the full name, its repository, and every shorter suffix of either. */
function referenceCandidates(name: string): string[] {
  const [repo] = splitName(name)
  const out: string[] = []
  for (const full of [name, repo]) {
    const parts = full.split('/')
    for (let k = 0; k < parts.length; k++) out.push(parts.slice(k).join('/'))
  }
  return out
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')
  return new RegExp(`^${body}$`)
}
