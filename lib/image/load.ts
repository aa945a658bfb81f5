/**
 * `load`: every image of a docker-archive or oci-archive (gzip, zstd or plain) into the
 * store.
 *
 * The archive is read once, as a stream, and never extracted by its own names: each
 * file entry goes into a temp blob of the store (hashed as it is written), the small
 * documents (manifest.json, index.json, oci-layout, repositories) into memory, and
 * links into a table of archive names. Names are only ever looked up in those tables, so
 * '..', absolute names and symlinks cannot reach the filesystem; they are refused anyway
 * (ARCHIVE_UNSAFE), since only a hostile archive has them.
 *
 * Then, per image: the config is parsed, the layers are unpacked from their temp blobs
 * and checked against the config's diff_ids (layer-import.ts), and only then are the
 * blobs committed, the layers recorded and the image added. A failure leaves the store
 * as it was (temp blobs and staging dirs are removed).
 *
 * docker-archive layers are usually plain tars. They are stored as they are, as
 * application/vnd.oci.image.layer.v1.tar: the blob's digest is then the diff_id, `save`
 * gives the same bytes back, and no CPU goes into gzip, which only pays off on a push
 * (which compresses anyway). The manifest is synthesized as OCI from the layers' records.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { CockerError } from '../errors.js'
import type { BlobWriter } from '../storage/blobs.js'
import type { Store } from '../storage/store.js'
import { archiveName, layerMediaType, linkTarget, loadedName, parseDockerManifest, parseOciIndex, REF_NAME } from './archive-format.js'
import { decompress } from './decompress.js'
import { recordedDriver } from '../storage/driver.js'
import { importLayers, stageLayer } from './layer-import.js'
import { isIndexMediaType, MediaType, parseImageConfig, parseManifest, type Descriptor, type ImageConfig } from './manifest.js'
import { selectManifest } from './platform.js'
import { readTar } from './tar.js'

export interface LoadOptions {
  store: Store
  /** Names the archive in messages (the file, or 'stdin'). */
  name?: string
}

export interface LoadedImage {
  id: string
  /** Full names given; empty for an image loaded without one. */
  names: string[]
}

const DOCS = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories'])
const MAX_DOC = 16 << 20
const MAX_LINKS = 40

/** What the archive holds once read: documents in memory, files as finished, uncommitted temp blobs. */
class Contents {
  readonly docs = new Map<string, Buffer>()
  readonly files = new Map<string, BlobWriter>()
  readonly links = new Map<string, string>()
  private readonly committed = new Set<BlobWriter>()

  constructor(readonly archive: string) {}

  /** The file an archive name stands for, following the archive's own links. */
  file(name: string, what: string): BlobWriter {
    let n = archiveName(name, this.archive)
    for (let hops = 0; hops <= MAX_LINKS; hops++) {
      const f = this.files.get(n)
      if (f) return f
      const next = this.links.get(n)
      if (next === undefined) break
      n = next
    }
    throw new CockerError('ARCHIVE_INVALID', `${this.archive}: ${what} "${name}" is not in the archive`)
  }

  /** A small JSON file (config, manifest) read from its temp blob. */
  small(w: BlobWriter, what: string): Buffer {
    if (w.size > MAX_DOC) throw new CockerError('ARCHIVE_INVALID', `${this.archive}: ${what} has ${w.size} bytes; more than a config or manifest can`)
    const buf = Buffer.alloc(w.size)
    const fd = openSync(w.tempPath, 'r')
    try {
      let off = 0
      while (off < buf.length) {
        const n = readSync(fd, buf, off, buf.length - off, off)
        if (n === 0) break
        off += n
      }
    } finally {
      closeSync(fd)
    }
    return buf
  }

  /** Where the blob's bytes are now: its temp file, or the store once committed. */
  path(w: BlobWriter, store: Store): string {
    return this.committed.has(w) ? store.blobs.path(w.digest!) : w.tempPath
  }

  async commit(w: BlobWriter): Promise<void> {
    if (this.committed.has(w)) return
    await w.commit()
    this.committed.add(w)
  }

  discard(): void {
    for (const w of this.files.values()) w.discard()
  }
}

/** Loads every image of the archive; returns them in archive order. */
export async function loadArchive(source: AsyncIterable<Buffer>, o: LoadOptions): Promise<LoadedImage[]> {
  const archive = o.name ?? 'archive'
  const contents = new Contents(archive)
  try {
    await readContents(source, contents, o.store)
    const { docs } = contents
    if (docs.has('manifest.json')) return await loadDocker(contents, o.store)
    if (docs.has('index.json')) {
      if (!docs.has('oci-layout')) throw new CockerError('ARCHIVE_INVALID', `${archive}: index.json without oci-layout: not an OCI image layout`)
      return await loadOci(contents, o.store)
    }
    throw new CockerError('ARCHIVE_INVALID', `${archive}: neither a docker-archive (manifest.json) nor an oci-archive (index.json and oci-layout)`, {
      hint: 'give a file written by podman save, docker save or skopeo copy',
    })
  } finally {
    contents.discard()
  }
}

async function readContents(source: AsyncIterable<Buffer>, c: Contents, store: Store): Promise<void> {
  const seen = new Set<string>()
  for await (const entry of readTar(decompress(source), { name: c.archive })) {
    const name = archiveName(entry.name, c.archive)
    if (entry.type === 'dir') continue
    if (seen.has(name)) throw new CockerError('ARCHIVE_INVALID', `${c.archive}: entry "${name}" appears twice`)
    seen.add(name)
    if (entry.type === 'symlink') c.links.set(name, linkTarget(name, entry.linkname, c.archive))
    else if (entry.type === 'hardlink') c.links.set(name, archiveName(entry.linkname, c.archive))
    else if (entry.type !== 'file') {
      throw new CockerError('ARCHIVE_UNSAFE', `${c.archive}: entry "${name}" is a ${entry.type} device or fifo; image archives hold none`)
    } else if (DOCS.has(name)) {
      if (entry.size > MAX_DOC) throw new CockerError('ARCHIVE_INVALID', `${c.archive}: ${name} has ${entry.size} bytes`)
      const chunks: Buffer[] = []
      for await (const chunk of entry.body()) chunks.push(Buffer.from(chunk))
      c.docs.set(name, Buffer.concat(chunks))
    } else {
      const w = store.blobs.writer()
      c.files.set(name, w)
      await pipeline(entry.body(), w)
      const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name)
      if (m && w.digest !== `sha256:${m[1]}`) {
        throw new CockerError('ARCHIVE_INVALID', `${c.archive}: blob ${name} does not match its name: its digest is ${w.digest}`)
      }
    }
  }
}

interface ImagePlan {
  config: BlobWriter
  configDigest: string
  parsed: ImageConfig
  layers: BlobWriter[]
  names: string[]
  /** OCI: the manifest as it is in the archive; docker: synthesized after the layers. */
  manifest?: { writer: BlobWriter; digest: string; mediaType: string; layers: Descriptor[] }
}

async function loadDocker(c: Contents, store: Store): Promise<LoadedImage[]> {
  const entries = parseDockerManifest(c.docs.get('manifest.json')!, c.archive)
  // every image is checked before the first is imported
  const plans: ImagePlan[] = entries.map((e, i) => {
    const config = c.file(e.Config, `manifest.json[${i}].Config`)
    const parsed = parseImageConfig(c.small(config, e.Config), `${c.archive}: ${e.Config}`)
    if (parsed.rootfs.diff_ids.length !== e.Layers.length) {
      throw new CockerError('ARCHIVE_INVALID', `${c.archive}: image ${i + 1} lists ${e.Layers.length} layers but its config ${parsed.rootfs.diff_ids.length} diff ids`)
    }
    const names = e.RepoTags.map(loadedName).filter((n): n is string => n !== undefined)
    return { config, configDigest: config.digest!, parsed, layers: e.Layers.map(l => c.file(l, 'layer')), names }
  })
  const out: LoadedImage[] = []
  for (const plan of plans) out.push(await importImage(c, store, plan))
  return out
}

async function loadOci(c: Contents, store: Store): Promise<LoadedImage[]> {
  const blob = (d: Descriptor, what: string) => c.file(`blobs/sha256/${d.digest.slice('sha256:'.length)}`, what)
  const plans: ImagePlan[] = parseOciIndex(c.docs.get('index.json')!, c.archive).map((top, i) => {
    const refName = top.annotations?.[REF_NAME]
    const what = `${c.archive}: index.json manifests[${i}]`
    let d = top
    let w = blob(d, 'manifest')
    let manifest = parseManifest(c.small(w, d.digest), d.mediaType, what)
    if (manifest.kind === 'index' || isIndexMediaType(d.mediaType)) {
      if (manifest.kind !== 'index') throw new CockerError('MANIFEST_INVALID', `${what}: declared an index but is a manifest`)
      d = selectManifest(manifest, what)
      w = blob(d, 'manifest')
      manifest = parseManifest(c.small(w, d.digest), d.mediaType, what)
      if (manifest.kind !== 'manifest') throw new CockerError('MANIFEST_INVALID', `${what}: the index entry ${d.digest} is itself an index`)
    }
    const config = blob(manifest.config, 'config')
    const parsed = parseImageConfig(c.small(config, manifest.config.digest), what)
    if (parsed.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new CockerError('MANIFEST_INVALID', `${what}: the manifest lists ${manifest.layers.length} layers but the config ${parsed.rootfs.diff_ids.length} diff ids`)
    }
    const name = refName === undefined ? undefined : loadedName(refName)
    return {
      config,
      configDigest: manifest.config.digest,
      parsed,
      layers: manifest.layers.map(l => blob(l, 'layer')),
      names: name ? [name] : [],
      manifest: { writer: w, digest: d.digest, mediaType: manifest.mediaType, layers: manifest.layers },
    }
  })
  const out: LoadedImage[] = []
  for (const plan of plans) out.push(await importImage(c, store, plan))
  return out
}

async function importImage(c: Contents, store: Store, plan: ImagePlan): Promise<LoadedImage> {
  const layers = plan.layers.map((w, i) => ({
    writer: w,
    blob: { digest: w.digest!, size: w.size, mediaType: plan.manifest?.layers[i]!.mediaType ?? layerMediaType(head(c.path(w, store))) },
    diffId: plan.parsed.rootfs.diff_ids[i]!,
  }))
  const vfs = recordedDriver(store) === 'vfs'
  const ids = await importLayers(store, layers, {
    vfs,
    stage: (l, i, base) => stageLayer(store, createReadStream(c.path(layers[i]!.writer, store)), l.diffId, `${i + 1} (${l.blob.digest})`,
      { format: vfs ? 'vfs' : 'overlay', ...(base === undefined ? {} : { base }) }),
    beforeRecord: async staged => {
      await c.commit(plan.config)
      for (const [i, s] of staged.entries()) if (s) await c.commit(layers[i]!.writer)
      if (plan.manifest) await c.commit(plan.manifest.writer)
    },
  })
  let manifestDigest: string
  if (plan.manifest) {
    manifestDigest = plan.manifest.digest
  } else {
    const md = store.metadata()
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: plan.configDigest, size: plan.config.size },
      layers: ids.map((id, i) => {
        const r = store.layers.get(id, md)
        return r?.compressedDigest && r.compressedSize !== undefined
          ? { mediaType: r.mediaType ?? layers[i]!.blob.mediaType, digest: r.compressedDigest, size: r.compressedSize }
          : layers[i]!.blob
      }),
    }))
    manifestDigest = await store.blobs.put(bytes)
  }
  const image = await store.images.add({
    configDigest: plan.configDigest,
    manifestDigest,
    manifestMediaType: plan.manifest?.mediaType ?? MediaType.OciManifest,
    names: plan.names,
    layers: ids,
    ...(plan.parsed.created ? { created: plan.parsed.created } : {}),
  })
  return { id: image.id, names: plan.names }
}

function head(file: string): Buffer {
  const buf = Buffer.alloc(4)
  const fd = openSync(file, 'r')
  try {
    return buf.subarray(0, readSync(fd, buf, 0, 4, 0))
  } finally {
    closeSync(fd)
  }
}
