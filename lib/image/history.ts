/**
 * `history` and `image tree`: an image's config history and layer stack, as podman's
 * libimage computes them. Pure over the metadata and the parsed config.
 *
 * Sizes are the layers' unpacked content (what the store records), where podman shows
 * the size of the uncompressed tar: a few kB more per layer for the tar headers.
 */
import type { LayerRecord, Metadata, ImageRecord } from '../storage/metadata.js'
import type { ImageConfig } from './manifest.js'

export interface HistoryRow {
  /** The image ID (hex) a step made, or '<missing>' when no local image is that step. */
  id: string
  created?: string
  createdBy: string
  size: number
  comment: string
  /** Names of the images whose top layer this step's layer is. */
  tags: string[]
}

/**
 * Newest step first. Walking the history from the end, every step that is not an empty
 * layer moves one layer down the stack; a step whose layer is the top layer of a local
 * image shows that image's ID (each ID once), the last step the image's own.
 */
export function imageHistory(md: Metadata, image: ImageRecord, config: ImageConfig): HistoryRow[] {
  const layers = new Map(md.layers.map(l => [l.id, l]))
  const tops = imagesByTopLayer(md, image)
  const used = new Set<string>()
  let layer: LayerRecord | undefined = image.topLayer ? layers.get(image.topLayer) : undefined
  const rows: HistoryRow[] = []
  for (let x = config.history.length - 1; x >= 0; x--) {
    const h = config.history[x]!
    const row: HistoryRow = {
      id: x === config.history.length - 1 ? image.id : '<missing>',
      ...(h.created ? { created: h.created } : {}),
      createdBy: h.created_by ?? '',
      size: 0,
      comment: h.comment ?? '',
      tags: [],
    }
    if (layer) {
      if (!h.empty_layer) row.size = layer.size
      const owners = tops.get(layer.id) ?? []
      if (owners.length && !used.has(owners[0]!.id)) {
        row.id = owners[0]!.id
        used.add(row.id)
      }
      for (const o of owners) row.tags.push(...o.names)
      if (layer.parent === undefined) layer = undefined
      else if (!h.empty_layer) layer = layers.get(layer.parent)
    }
    rows.push(row)
  }
  return rows
}

/** Images by their top layer; the given image first among its layer's. */
function imagesByTopLayer(md: Metadata, first?: ImageRecord): Map<string, ImageRecord[]> {
  const out = new Map<string, ImageRecord[]>()
  const ordered = first ? [first, ...md.images.filter(i => i.id !== first.id)] : md.images
  for (const i of ordered) if (i.topLayer) out.set(i.topLayer, [...(out.get(i.topLayer) ?? []), i])
  return out
}

export interface TreeLayer {
  id: string
  size: number
  /** Names of the images whose top layer it is ('<none>' for one without names). */
  topOf: string[]
}

/**
 * The layers `image tree` lists: the image's own, base first; with whatRequires, its top
 * layer and every layer stacked on it (depth first), which other images are built of.
 */
export function imageTreeLayers(md: Metadata, image: ImageRecord, whatRequires: boolean): TreeLayer[] {
  const tops = imagesByTopLayer(md)
  const row = (l: LayerRecord): TreeLayer => ({
    id: l.id,
    size: l.size,
    topOf: (tops.get(l.id) ?? []).flatMap(i => (i.names.length ? i.names : ['<none>'])),
  })
  const byId = new Map(md.layers.map(l => [l.id, l]))
  if (!image.topLayer) return []
  if (!whatRequires) return image.layers.map(id => byId.get(id)).filter((l): l is LayerRecord => !!l).map(row)
  const children = new Map<string, LayerRecord[]>()
  for (const l of md.layers) if (l.parent) children.set(l.parent, [...(children.get(l.parent) ?? []), l])
  const out: TreeLayer[] = []
  const walk = (l: LayerRecord) => {
    out.push(row(l))
    for (const c of children.get(l.id) ?? []) walk(c)
  }
  const top = byId.get(image.topLayer)
  if (top) walk(top)
  return out
}
