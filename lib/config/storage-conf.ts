// containers-storage.conf(5), the part cocker reads: the storage driver.
//   [storage]
//   driver = "overlay"
// Which file: $CONTAINERS_STORAGE_CONF, else (rootless) $XDG_CONFIG_HOME/containers/storage.conf
// when it exists, else /etc/containers/storage.conf, else /usr/share/containers/storage.conf:
// the first that exists is the one read, as containers/storage does.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { parseToml, tableOf } from './toml.js'

export interface StorageConfig {
  /** The file read, if any. */
  file?: string
  driver?: string
}

/** The storage.conf files to look at, in order; the first that exists wins. */
export function storageConfPaths(env: NodeJS.ProcessEnv, rootless: boolean): string[] {
  if (env.CONTAINERS_STORAGE_CONF) return [env.CONTAINERS_STORAGE_CONF]
  const files: string[] = []
  if (rootless) {
    const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config')
    files.push(path.join(configHome, 'containers/storage.conf'))
  }
  files.push('/etc/containers/storage.conf', '/usr/share/containers/storage.conf')
  return files
}

/** Pure: the [storage] table's driver of a storage.conf's text. */
export function parseStorageConf(text: string, file: string): StorageConfig {
  const hint = 'see containers-storage.conf(5)'
  const storage = tableOf(parseToml(text, file, hint), 'storage', file, hint)
  const out: StorageConfig = { file }
  if (storage.driver === undefined) return out
  if (typeof storage.driver !== 'string') throw new CockerError('CONFIG_INVALID', `${file}: [storage] driver must be a string, not ${JSON.stringify(storage.driver)}`, { hint })
  out.driver = storage.driver
  return out
}

/** The storage.conf in effect, or an empty config when none exists. */
export function loadStorageConf(env: NodeJS.ProcessEnv, rootless: boolean): StorageConfig {
  for (const file of storageConfPaths(env, rootless)) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw new CockerError('CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`)
    }
    return parseStorageConf(text, file)
  }
  return {}
}
