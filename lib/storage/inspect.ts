/**
 * `podman image inspect`'s JSON for a stored image, built from its record and its
 * manifest and config blobs. Read-only: no lock, no koffi.
 */
import path from 'node:path'
import { splitName } from './images.js'
import type { ImageRecord, Metadata } from './metadata.js'
import type { Store } from './store.js'

/** The OCI image config fields inspect reads. */
interface ImageConfig {
  created?: string
  author?: string
  architecture?: string
  os?: string
  variant?: string
  config?: Record<string, unknown> & { Labels?: Record<string, string> | null; User?: string }
  rootfs?: { type?: string; diff_ids?: string[] }
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[]
  comment?: string
  docker_version?: string
}

export interface ImageInspect {
  Id: string
  Digest: string
  RepoTags: string[]
  RepoDigests: string[]
  Parent: string
  Comment: string
  Created: string
  Config: Record<string, unknown>
  Version: string
  Author: string
  Architecture: string
  Os: string
  Variant?: string
  Size: number
  VirtualSize: number
  GraphDriver: { Name: string; Data: Record<string, string> | null }
  RootFS: { Type: string; Layers: string[] }
  Labels: Record<string, string> | null
  Annotations: Record<string, string>
  ManifestType: string
  User: string
  History: unknown[]
  NamesHistory: string[]
}

export function inspectImage(store: Store, image: ImageRecord, md: Metadata = store.metadata()): ImageInspect {
  const config = JSON.parse(store.blobs.read(image.configDigest).toString('utf8')) as ImageConfig
  const manifest = JSON.parse(store.blobs.read(image.manifestDigest).toString('utf8')) as { annotations?: Record<string, string> }
  const cfg = config.config ?? {}
  const layerDir = (id: string) => path.join(store.paths.layers, id, 'diff')
  let data: Record<string, string> | null = null
  if (image.topLayer) {
    const lower = store.layers.chain(image.topLayer, md).slice(1).map(l => layerDir(l.id))
    data = {
      ...(lower.length ? { LowerDir: lower.join(':') } : {}),
      UpperDir: layerDir(image.topLayer),
      WorkDir: path.join(store.paths.layers, image.topLayer, 'work'),
    }
  }
  const digests = image.repoDigests.length ? image.repoDigests : image.names.map(n => `${splitName(n)[0]}@${image.digest}`)
  return {
    Id: image.id,
    Digest: image.digest,
    RepoTags: image.names,
    RepoDigests: digests,
    Parent: '',
    Comment: config.comment ?? config.history?.[config.history.length - 1]?.comment ?? '',
    Created: config.created ?? image.created,
    Config: cfg,
    Version: config.docker_version ?? '',
    Author: config.author ?? '',
    Architecture: config.architecture ?? '',
    Os: config.os ?? '',
    ...(config.variant ? { Variant: config.variant } : {}),
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: { Name: 'overlay', Data: data },
    RootFS: { Type: config.rootfs?.type ?? 'layers', Layers: config.rootfs?.diff_ids ?? [] },
    Labels: cfg.Labels ?? null,
    Annotations: manifest.annotations ?? {},
    ManifestType: image.manifestMediaType,
    User: cfg.User ?? '',
    History: config.history ?? [],
    NamesHistory: image.namesHistory,
  }
}
