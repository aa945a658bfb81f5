/**
 * Where quadlet files are read from, and how generated services are written: Podman's
 * search list (pkg/systemd/quadlet/unitdirs.go) and systemd's generator output
 * conventions (systemd.generator(7): [Install] has no effect on generated units, so the
 * generator links them into .wants/.requires itself).
 */
import { mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { quadletKind, type GeneratedService, type QuadletSource } from './convert.js'
import { splitWords, UnitFile } from '../systemd/unit-file.js'

const ADMIN = '/etc/containers/systemd'
const DISTRO = '/usr/share/containers/systemd'
const TEMP = '/run/containers/systemd'

/**
 * The directories searched, first first (a file's name found twice: the first one counts).
 * QUADLET_UNIT_DIRS (colon-separated absolute paths) replaces the list, as for Podman.
 * `user`: the rootless list: the user's runtime and config dirs, then what the admin put
 * in users/ (users/UID for this user alone; other numeric dirs belong to other users).
 */
export function quadletDirs(user: boolean, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string[] {
  if (env.QUADLET_UNIT_DIRS) return env.QUADLET_UNIT_DIRS.split(':').filter(d => path.isAbsolute(d))
  if (!user) return [TEMP, ADMIN, DISTRO]
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config')
  return [
    ...(env.XDG_RUNTIME_DIR ? [path.join(env.XDG_RUNTIME_DIR, 'containers/systemd')] : []),
    path.join(config, 'containers/systemd'),
    path.join(ADMIN, 'users'), path.join(ADMIN, 'users', String(uid)),
    path.join(DISTRO, 'users'), path.join(DISTRO, 'users', String(uid)),
  ]
}

/** The quadlet files under `dirs` (subdirectories too, drop-in dirs *.d not), first of each name. */
export function findQuadletFiles(dirs: readonly string[], user: boolean): { files: string[] } {
  const seen = new Set<string>()
  const visited = new Set<string>()
  const files: string[] = []
  const walk = (dir: string, top: boolean, parent: string) => {
    let real: string
    try {
      real = realpathSync(dir)
    } catch {
      return
    }
    if (visited.has(real)) return
    visited.add(real)
    let entries: string[]
    try {
      entries = readdirSync(real).sort()
    } catch {
      return
    }
    for (const name of entries) {
      const full = path.join(real, name)
      let isDir: boolean
      try {
        isDir = statSync(full).isDirectory()
      } catch {
        continue
      }
      if (isDir) {
        if (name.endsWith('.d')) continue
        // users/ of the system dirs: root's generator skips it; a user's searches its own
        // UID dir (listed on its own) and named dirs, not other users' numeric ones
        if (top && !user && name === 'users' && [ADMIN, DISTRO].includes(parent)) continue
        if (top && user && parent.endsWith('/users') && /^\d+$/.test(name)) continue
        walk(full, false, parent)
      } else if (quadletKind(name) && !seen.has(name)) {
        seen.add(name)
        files.push(full)
      }
    }
  }
  for (const dir of dirs) walk(dir, true, dir)
  return { files }
}

/**
 * Reads and parses the files, each with its drop-ins merged in; one that cannot be read or
 * parsed goes to `errors`. Drop-ins as Podman's quadlet (and systemd) look for them, in
 * the file's directory and each of `dirs`: NAME.container.d/*.conf, then for a-b-c.container
 * a-b-.container.d and a-.container.d, then container.d; a .conf name found in a more
 * specific directory hides the same name further on; they apply in the order of their names.
 */
export function readQuadletFiles(files: readonly string[], dirs: readonly string[] = []): { sources: QuadletSource[]; errors: { file: string; message: string }[] } {
  const sources: QuadletSource[] = []
  const errors: { file: string; message: string }[] = []
  for (const file of files) {
    try {
      const unit = UnitFile.parse(readFileSync(file, 'utf8'), file)
      for (const dropin of dropins(file, dirs)) unit.merge(UnitFile.parse(readFileSync(dropin, 'utf8'), dropin))
      sources.push({ path: file, unit })
    } catch (err) {
      errors.push({ file, message: err instanceof CockerError ? err.message : `${file}: ${(err as Error).message}` })
    }
  }
  return { sources, errors }
}

function dropins(file: string, dirs: readonly string[]): string[] {
  const name = path.basename(file)
  const ext = path.extname(name)
  const parts = name.slice(0, -ext.length).split('-')
  const names = [`${name}.d`, ...parts.slice(0, -1).map((_, i) => `${parts.slice(0, parts.length - 1 - i).join('-')}-${ext}.d`), `${ext.slice(1)}.d`]
  const found = new Map<string, string>()
  for (const d of names) {
    for (const top of [path.dirname(file), ...dirs]) {
      let entries: string[]
      try {
        entries = readdirSync(path.join(top, d))
      } catch {
        continue
      }
      for (const conf of entries) if (conf.endsWith('.conf') && !found.has(conf)) found.set(conf, path.join(top, d, conf))
    }
  }
  return [...found.keys()].sort().map(k => found.get(k)!)
}

/**
 * Writes each service into `dir`, and links it where its [Install] section asks:
 * WantedBy= → TARGET.wants/, RequiredBy= → TARGET.requires/, Alias= → a link beside it.
 * Templates (foo@.service) are linked only under their DefaultInstance=.
 * Returns the paths written, links included.
 */
export function writeServices(dir: string, services: readonly GeneratedService[]): string[] {
  mkdirSync(dir, { recursive: true })
  const written: string[] = []
  const link = (at: string, target: string) => {
    mkdirSync(path.dirname(at), { recursive: true })
    rmSync(at, { force: true })
    symlinkSync(target, at)
    written.push(at)
  }
  for (const s of services) {
    const file = path.join(dir, s.name)
    writeFileSync(file, `# Automatically generated by cocker-systemd-generator from ${s.source}\n${s.unit.toString()}`)
    written.push(file)
    const install = (key: string) => s.unit.all('Install', key).flatMap(v => splitWords(v))
    let name = s.name
    if (name.includes('@.')) {
      const instance = s.unit.get('Install', 'DefaultInstance')
      if (!instance) continue
      name = name.replace('@.', `@${instance}.`)
    }
    for (const target of install('WantedBy')) link(path.join(dir, `${target}.wants`, name), `../${s.name}`)
    for (const target of install('RequiredBy')) link(path.join(dir, `${target}.requires`, name), `../${s.name}`)
    for (const alias of install('Alias')) link(path.join(dir, alias), s.name)
  }
  return written
}
