import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, statSync } from 'node:fs'
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

function cleanEnv(name: string, home: string, xdg: string): Record<string, string> {
  // node may live outside the standard dirs (nvm, /opt); keep it on PATH.
  const nodeDir = path.dirname(process.execPath)
  const PATH = BASE_PATH.split(':').includes(nodeDir) ? BASE_PATH : `${nodeDir}:${BASE_PATH}`
  return { HOME: home, USER: name, LOGNAME: name, PATH, XDG_RUNTIME_DIR: xdg, LANG: 'C.UTF-8' }
}

function probeRootlessUser(): RootlessProbe {
  const uid = process.getuid!()
  if (uid !== 0) {
    // Already unprivileged: rootless scenarios run as ourselves.
    const info = os.userInfo()
    const xdg = process.env.XDG_RUNTIME_DIR || `/tmp/cocker-xdg-${uid}`
    try {
      mkdirSync(xdg, { recursive: true, mode: 0o700 })
      if (statSync(xdg).uid !== uid) return { reason: `${xdg} is not owned by uid ${uid}` }
    } catch (e) {
      return { reason: `cannot create ${xdg}: ${(e as Error).message}` }
    }
    return { user: { name: info.username, uid, gid: process.getgid!(), home: info.homedir, env: cleanEnv(info.username, info.homedir, xdg) } }
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
 * ranges on first use); otherwise the current user. `reason` says why there is none.
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
  cachedWithoutSubids ??= process.getuid!() === 0 ? userFromSetupScript('user-without-subids') : unprivilegedWithoutSubids()
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
