import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT, repoPath } from './paths.js'

/** The unprivileged user that rootless scenarios run as, and its clean environment. */
export interface RootlessUser {
  name: string
  uid: number
  gid: number
  home: string
  env: Record<string, string>
}

export type RootlessProbe = { user: RootlessUser; reason?: undefined } | { user?: undefined; reason: string }

const SETUP_SCRIPT = repoPath('test/support/rootless-user.sh')
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

let cached: RootlessProbe | undefined
let stagedDir: string | undefined

/** Root of the host: uid 0 in the initial user namespace, not in one a test made (namespace-root.ts). */
export function isRoot(): boolean {
  if (process.getuid!() !== 0) return false
  try {
    return readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') === '0 0 4294967295'
  } catch {
    return true
  }
}

function cleanEnv(name: string, home: string, xdg: string | undefined): Record<string, string> {
  // node may live outside the standard dirs (nvm, /opt); keep it on PATH.
  const nodeDir = path.dirname(process.execPath)
  const PATH = BASE_PATH.split(':').includes(nodeDir) ? BASE_PATH : `${nodeDir}:${BASE_PATH}`
  const env: Record<string, string> = { HOME: home, USER: name, LOGNAME: name, PATH, LANG: 'C.UTF-8' }
  if (xdg) env.XDG_RUNTIME_DIR = xdg
  return env
}

function probeRootlessUser(): RootlessProbe {
  const uid = process.getuid!()
  if (uid === 0 && !isRoot()) return { reason: 'this test file runs as root of a user namespace of its own' }
  if (uid !== 0) {
    // Already unprivileged: rootless scenarios run as ourselves, with the runtime dir we
    // have. Without a login session there is none, and cocker copes as Podman does.
    const info = os.userInfo()
    const home = process.env.HOME || info.homedir
    return { user: { name: info.username, uid, gid: process.getgid!(), home, env: cleanEnv(info.username, home, process.env.XDG_RUNTIME_DIR) } }
  }
  return userFromSetupScript('user')
}

/** The user that `rootless-user.sh SUBCOMMAND` (as root) creates or finds. */
function userFromSetupScript(subcommand: 'user' | 'user-without-subids'): RootlessProbe {
  const r = spawnSync('bash', [SETUP_SCRIPT, subcommand], { encoding: 'utf8' })
  if (r.status !== 0) {
    return { reason: `setting up the rootless test user failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim()}` }
  }
  const [name, uidS, gidS, home, xdg] = r.stdout.trim().split(' ')
  if (!name || !uidS || !gidS || !home || !xdg) return { reason: `unexpected output from ${SETUP_SCRIPT}: ${r.stdout}` }
  return { user: { name, uid: Number(uidS), gid: Number(gidS), home, env: cleanEnv(name, home, xdg) } }
}

/**
 * The rootless test user: as root, `cockertest` (created with subordinate id
 * ranges and a runtime dir on first use); otherwise the current user, as it is.
 * `reason` says why there is none.
 */
export function rootlessUser(): RootlessProbe {
  cached ??= probeRootlessUser()
  return cached
}

let cachedWithoutSubids: RootlessProbe | undefined

/**
 * A second unprivileged user that has no line in /etc/subuid or /etc/subgid, for the
 * single-id case: as root, `cockertest-nosubids`; otherwise the current user when it has none.
 */
export function rootlessUserWithoutSubids(): RootlessProbe {
  cachedWithoutSubids ??= isRoot() ? userFromSetupScript('user-without-subids') : unprivilegedWithoutSubids()
  return cachedWithoutSubids
}

function unprivilegedWithoutSubids(): RootlessProbe {
  const probe = rootlessUser()
  if (!probe.user) return probe
  const name = probe.user.name
  const listed = ['/etc/subuid', '/etc/subgid'].filter(f => {
    try {
      return readFileSync(f, 'utf8').split('\n').some(l => l.startsWith(`${name}:`))
    } catch {
      return false
    }
  })
  return listed.length ? { reason: `${name} has a range in ${listed.join(' and ')}, and only root can create a user without one` } : probe
}

/**
 * A copy of the checkout that the rootless user can read (bin/, dist/,
 * node_modules/, package.json, c/ binaries), refreshed when stale; the
 * checkout itself when we are that user already.
 */
export function stageForRootless(): string {
  if (stagedDir) return stagedDir
  const probe = rootlessUser()
  if (!probe.user || probe.user.uid === process.getuid!()) return (stagedDir = REPO_ROOT)
  const r = spawnSync('bash', [SETUP_SCRIPT, 'stage', REPO_ROOT], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`staging ${REPO_ROOT} for ${probe.user.name} failed (exit ${r.status}): ${r.stderr}`)
  return (stagedDir = r.stdout.trim())
}

/** bin/cocker-runtime as the rootless user should run it. */
export function rootlessRuntimeBin(): string {
  return path.join(stageForRootless(), 'bin/cocker-runtime')
}
