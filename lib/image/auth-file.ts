// Registry credentials where Podman keeps them (containers-auth.json(5)):
//   {"auths": {"quay.io": {"auth": base64("user:password")}, "quay.io/team/app": {...}}}
// Keys are a registry, or a registry/namespace/repository prefix; the most specific
// key that matches a repository wins. We write one file and read several.
import { randomBytes } from '../sys/random.js'
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { userRuntimeDir } from '../config/runtime-dir.js'
import { CockerError } from '../errors.js'
import { isRootless } from '../rootless/identity.js'
import type { Credentials } from './registry/client.js'

export type { Credentials } from './registry/client.js'

export interface AuthFileOptions {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv
  /** --authfile: read and write this file only. */
  authfile?: string
}

export interface FoundCredentials extends Credentials {
  /** The file and key they came from. */
  file: string
  key: string
}

interface AuthFile {
  auths?: Record<string, { auth?: string; [k: string]: unknown }>
  [k: string]: unknown
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir()
}

/**
 * The file login writes: --authfile, $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json;
 * without XDG_RUNTIME_DIR, rootless: the runtime dir Podman would use (config/runtime-dir.ts), root: /run/containers/0/auth.json.
 */
export function authFileForWriting(opts: AuthFileOptions = {}): string {
  const env = opts.env ?? process.env
  if (opts.authfile) return opts.authfile
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE
  if (env.XDG_RUNTIME_DIR || isRootless(env)) return path.join(userRuntimeDir(env), 'containers/auth.json')
  return '/run/containers/0/auth.json'
}

/** Where credentials are looked for, in order. ~/.docker/config.json is only ever read. */
export function authFilesForReading(opts: AuthFileOptions = {}): string[] {
  const env = opts.env ?? process.env
  if (opts.authfile) return [opts.authfile]
  const files = [
    env.REGISTRY_AUTH_FILE,
    authFileForWriting({ env: { ...env, REGISTRY_AUTH_FILE: undefined } }),
    path.join(env.XDG_CONFIG_HOME || path.join(home(env), '.config'), 'containers/auth.json'),
    path.join(home(env), '.docker/config.json'),
  ].filter((f): f is string => !!f)
  return [...new Set(files)]
}

/**
 * A key as Podman compares it: Docker's legacy "https://index.docker.io/v1/" is docker.io,
 * a URL is its host, index.docker.io is docker.io.
 */
export function normalizeKey(key: string): string {
  let k = key
  if (/^https?:\/\//.test(k)) k = k.replace(/^https?:\/\//, '').split('/')[0]!
  k = k.replace(/\/+$/, '')
  const [host, ...rest] = k.split('/')
  const h = host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host!
  return [h, ...rest].join('/')
}

/** The keys that match "registry/a/b/c", most specific first. */
function candidateKeys(scope: string): string[] {
  const parts = normalizeKey(scope).split('/')
  const keys: string[] = []
  for (let n = parts.length; n >= 1; n--) keys.push(parts.slice(0, n).join('/'))
  return keys
}

async function load(file: string): Promise<AuthFile | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined
    throw new CockerError('AUTH_FILE_INVALID', `cannot read credentials file ${file}: ${(err as Error).message}`, { cause: err })
  }
  if (!text.trim()) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new CockerError('AUTH_FILE_INVALID', `credentials file ${file} is not valid JSON: ${(err as Error).message}`, {
      hint: 'fix or remove the file, then log in again',
    })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CockerError('AUTH_FILE_INVALID', `credentials file ${file} is not a JSON object`, { hint: 'fix or remove the file, then log in again' })
  }
  return parsed as AuthFile
}

function decode(file: string, key: string, auth: string): Credentials {
  const text = Buffer.from(auth, 'base64').toString('utf8')
  const colon = text.indexOf(':')
  if (colon < 0) throw new CockerError('AUTH_FILE_INVALID', `credentials file ${file}: the entry for "${key}" is not base64 of user:password`, { hint: `log in again: cocker login ${key}` })
  return { username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\n$/, '') }
}

/**
 * Credentials for a registry or a repository in it ("quay.io", "quay.io/team/app"): the first
 * file that has a matching key, and in it the most specific key. undefined when none has.
 */
export async function findCredentials(scope: string, opts: AuthFileOptions = {}): Promise<FoundCredentials | undefined> {
  const wanted = candidateKeys(scope)
  for (const file of authFilesForReading(opts)) {
    const auths = (await load(file))?.auths
    if (!auths || typeof auths !== 'object') continue
    const byKey = new Map<string, string>()
    for (const [key, entry] of Object.entries(auths)) {
      if (typeof entry?.auth === 'string' && entry.auth) byKey.set(normalizeKey(key), entry.auth)
    }
    for (const key of wanted) {
      const auth = byKey.get(key)
      if (auth) return { ...decode(file, key, auth), file, key }
    }
  }
  return undefined
}

async function save(file: string, content: AuthFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  // Rename over the old file so a reader never sees half of it.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}`)
  try {
    await writeFile(tmp, JSON.stringify(content, null, '\t') + '\n', { mode: 0o600 })
    await chmod(tmp, 0o600)
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw new CockerError('AUTH_FILE_INVALID', `cannot write credentials file ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** Stores credentials under `key` (normalised) in the file login writes; returns the file. */
export async function storeCredentials(key: string, credentials: Credentials, opts: AuthFileOptions = {}): Promise<string> {
  const file = authFileForWriting(opts)
  const content = (await load(file)) ?? {}
  const auths = typeof content.auths === 'object' && content.auths !== null ? content.auths : {}
  const k = normalizeKey(key)
  for (const existing of Object.keys(auths)) if (normalizeKey(existing) === k) delete auths[existing]
  auths[k] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') }
  await save(file, { ...content, auths })
  return file
}

/**
 * Removes the entry for `key` from the file login writes. 'elsewhere' when it is not there
 * but another file (e.g. Docker's config) has credentials for it, which we do not touch.
 */
export async function removeCredentials(key: string, opts: AuthFileOptions = {}): Promise<'removed' | 'not-found' | 'elsewhere'> {
  const file = authFileForWriting(opts)
  const content = await load(file)
  const k = normalizeKey(key)
  const auths = content?.auths
  const matching = auths ? Object.keys(auths).filter(existing => normalizeKey(existing) === k) : []
  if (matching.length) {
    for (const existing of matching) delete auths![existing]
    await save(file, content!)
    return 'removed'
  }
  const found = await findCredentials(k, opts)
  return found && found.key === k ? 'elsewhere' : 'not-found'
}

/** Empties the file login writes (logout --all). */
export async function removeAllCredentials(opts: AuthFileOptions = {}): Promise<string> {
  const file = authFileForWriting(opts)
  const content = await load(file)
  if (content) await save(file, { ...content, auths: {} })
  return file
}
