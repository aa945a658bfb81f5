/**
 * `diff`: what a container changed against its image, read from its overlay's upper
 * directory as podman does: a whiteout (0/0 character device) is a deleted path, an opaque
 * directory (the `<ns>.overlay.opaque` xattr) deletes what the image had below it, and any
 * other entry is added, or changed when the image's layers have the path. Parents of a
 * change that the image has are changed too, since overlay copied them up.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { lgetxattr } from '../sys/libc.js'
import type { FoundContainer } from './record.js'
import { containerDirs } from './rootfs.js'

export type ChangeKind = 'A' | 'C' | 'D'

export interface Change {
  kind: ChangeKind
  /** Absolute inside the container. */
  path: string
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0

function isOpaque(dir: string): boolean {
  for (const ns of ['trusted', 'user']) {
    try {
      if (lgetxattr(dir, `${ns}.overlay.opaque`)?.toString() === 'y') return true
    } catch { /* no such xattr, or a namespace we may not read */ }
  }
  return false
}

/** The container's changes, sorted by path. */
export function containerChanges(storeRoot: string, found: FoundContainer): Change[] {
  const { record } = found
  if (record.storage.driver === 'vfs' || record.storage.driver === 'rootfs') {
    throw new CockerError('NOT_SUPPORTED', `diff reads a container's overlay upper directory, and ${record.name} has none (storage driver ${record.storage.driver})`)
  }
  const upper = containerDirs(storeRoot, record.id).upper
  const lowers = record.storage.lowerDirs.map(l => path.resolve(storeRoot, l))
  /** The image's file at rel (top layer first), unless a layer above deleted it. */
  const inImage = (rel: string): boolean => {
    for (const layer of lowers) {
      const st = lstatSync(path.join(layer, rel), { throwIfNoEntry: false })
      if (st) return !isWhiteout(st)
    }
    return false
  }
  const imageChildren = (rel: string): string[] => {
    const names = new Set<string>()
    for (const layer of lowers) {
      let list: string[]
      try {
        list = readdirSync(path.join(layer, rel))
      } catch {
        continue
      }
      for (const n of list) names.add(n)
    }
    return [...names].filter(n => inImage(`${rel}/${n}`))
  }
  const changes: Change[] = []
  const walk = (rel: string, added: boolean) => {
    for (const name of readdirSync(path.join(upper, rel)).sort()) {
      const r = `${rel}/${name}`
      const st = lstatSync(path.join(upper, r))
      if (isWhiteout(st)) {
        if (!added && inImage(r)) changes.push({ kind: 'D', path: r })
        continue
      }
      const isNew = added || !inImage(r)
      changes.push({ kind: isNew ? 'A' : 'C', path: r })
      if (!st.isDirectory()) continue
      if (!isNew && isOpaque(path.join(upper, r))) {
        const kept = new Set(readdirSync(path.join(upper, r)))
        for (const n of imageChildren(r)) if (!kept.has(n)) changes.push({ kind: 'D', path: `${r}/${n}` })
      }
      walk(r, isNew)
    }
  }
  walk('', false)
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
