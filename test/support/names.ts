import { randomBytes } from 'node:crypto'
import path from 'node:path'

// Each test file runs in its own process (test/run.ts), so argv[1] names it.
const fileTag = path
  .basename(process.argv[1] ?? 'repl')
  .replace(/\.test\.[cm]?[jt]s$|\.[cm]?[jt]s$/, '')
  .toLowerCase()
  .replace(/[^a-z0-9]+/g, '')
  .slice(0, 16)

let counter = 0

/**
 * The prefix every safeName() of this file starts with; a teardown check can
 * look for leftovers that carry it (podman `safename`).
 */
export function namePrefix(prefix = 't'): string {
  return `${prefix}${fileTag}-`
}

/** A unique container id or name, `t<file>-<n>-<rand>`: valid for runc, crun and hostnames. */
export function safeName(prefix = 't'): string {
  counter += 1
  return `${namePrefix(prefix)}${counter}-${randomBytes(3).toString('hex')}`
}
