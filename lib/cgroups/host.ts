// The few host reads the planners default to; tests inject their own instead.
import { accessSync, constants } from 'node:fs'

export { readIfPresent as readHostFile } from '../sys/read.js'

/** Whether this process may create entries in `dir` (cgroup delegation check). */
export function canWriteDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}
