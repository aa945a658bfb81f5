// The drop-in directories of the containers-*.conf files (registries.conf.d, containers.conf.d).
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'

/** The *.conf files of a directory, sorted by name (not its subdirectories); none when it does not exist. */
export function confFilesIn(dir: string): string[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code!)) return []
    throw new CockerError('CONFIG_INVALID', `cannot read ${dir}: ${(err as Error).message}`)
  }
  return entries.filter(e => !e.isDirectory() && e.name.endsWith('.conf')).map(e => e.name).sort().map(f => path.join(dir, f))
}
