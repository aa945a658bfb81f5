import { imageHistory } from '../../image/history.js'
import { parseImageConfig } from '../../image/manifest.js'
import { resolveImage } from '../../storage/images.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { renderRows } from '../render/go-template.js'
import { goTime, humanDuration, imageSize } from '../render/units.js'
import { storeFor } from './store-context.js'

const HEADERS: Record<string, string> = { ID: 'ID', Created: 'CREATED', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT', CreatedAt: 'CREATED AT', Tags: 'TAGS' }

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const store = storeFor(ctx)
  const md = store.metadata()
  const { image } = resolveImage(md, args.image as string)
  const input = args.image as string
  const config = parseImageConfig(store.blobs.read(image.configDigest), input)
  const history = imageHistory(md, image, config)
  const noTrunc = args.noTrunc as boolean
  const format = args.format as string | undefined
  if (format === 'json') {
    const json = history.map(h => ({
      id: h.id, created: h.created ?? null, CreatedBy: h.createdBy, size: h.size, comment: h.comment,
      ...(h.tags.length ? { tags: h.tags } : {}), Created: h.created ? h.created.replace(/\.\d+Z$/, 'Z') : null,
    }))
    return { stdout: `${JSON.stringify(json, null, 4)}\n` }
  }
  const now = Date.now()
  const rows = history.map(h => {
    const id = noTrunc || h.id === '<missing>' ? h.id : h.id.slice(0, 12)
    const createdBy = !noTrunc && h.createdBy.length > 45 ? `${h.createdBy.slice(0, 42)}...` : h.createdBy
    return {
      ID: id,
      Created: h.created ? `${humanDuration(Math.max(0, now - Date.parse(h.created)))} ago` : '',
      CreatedAt: h.created ? goTime(h.created) : '',
      CreatedBy: createdBy,
      Size: imageSize(h.size),
      Comment: h.comment,
      Tags: h.tags,
    }
  })
  if (args.quiet) return { stdout: rows.map(r => `${r.ID}\n`).join('') }
  return { stdout: renderRows(format ?? 'table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', rows, HEADERS, false) }
}
