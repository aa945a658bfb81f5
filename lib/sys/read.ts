import { readFileSync } from 'node:fs'

/**
 * A file's text, or undefined when it cannot be read (missing, no permission, not a
 * regular file): for the host and store files whose absence only means "nothing to say".
 */
export function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
