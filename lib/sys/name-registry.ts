import { existsSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { stampAlive } from './proc.js'
import { readIfPresent } from './read.js'
import { removeFile } from './remove.js'

/**
 * Unique names, reserved by symlinks <dir>/<name> → <id>: creating a symlink is atomic, so
 * of two commands giving one name at once exactly one wins, without a lock. A name whose
 * owner no longer holds it (`held` is false: a create killed before it wrote its record) is
 * taken over.
 */
export class NameRegistry {
  constructor(private readonly dir: string, private readonly held: (id: string) => boolean) {}

  /** The id a name is reserved for, if it is. */
  owner(name: string): string | undefined {
    try {
      return readlinkSync(path.join(this.dir, name))
    } catch {
      return undefined
    }
  }

  /** Reserves `name` for `id`; false when another owner that exists holds it. */
  reserve(name: string, id: string): boolean {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    const link = path.join(this.dir, name)
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        symlinkSync(id, link)
        return true
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const owner = this.owner(name)
      if (owner === id) return true
      if (owner && this.held(owner)) return false
      removeFile(link)
    }
    return false
  }

  /** Frees a name if `id` holds it. */
  release(name: string, id: string): void {
    if (this.owner(name) === id) removeFile(path.join(this.dir, name))
  }
}

/**
 * Whether the object kept in `dir` holds its name: while it has its record file, or while
 * the command creating it (whose stamp is in `creator`) runs.
 */
export function heldByRecordOrCreator(dir: string, recordFile: string): boolean {
  if (existsSync(path.join(dir, recordFile))) return true
  const creator = readIfPresent(path.join(dir, 'creator'))
  return creator !== undefined && stampAlive(creator)
}
