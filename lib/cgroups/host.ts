// The few host reads the planners default to; tests inject their own instead.
import { accessSync, constants, readFileSync } from 'node:fs'

/** A file's text, or undefined when it cannot be read (missing file, not a cgroup, no permission). */
export function readHostFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    // Callers only ask "is it there and what does it say"; any failure means "not usable".
    return undefined
  }
}

/** Whether this process may create entries in `dir` (cgroup delegation check). */
export function canWriteDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}
