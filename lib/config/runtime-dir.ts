// A rootless user's runtime dir (state of running containers, auth.json), found as Podman
// finds it: $XDG_RUNTIME_DIR; without a login session there is none, so /run/user/UID
// when it is the user's, else $TMPDIR/cocker-run-UID, made private to the user.
import { lstatSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { realUid } from '../rootless/identity.js'

/** Ours (the owner we run as: 0 inside our user namespace) and rwx for us; a symlink is not. */
function isOurs(dir: string): boolean {
  try {
    const st = lstatSync(dir)
    return st.isDirectory() && st.uid === process.geteuid!() && (st.mode & 0o700) === 0o700
  } catch {
    return false
  }
}

/** The rootless runtime dir; the fallback is made (0700) when missing. */
export function userRuntimeDir(env: NodeJS.ProcessEnv): string {
  if (env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR)) return env.XDG_RUNTIME_DIR
  const uid = realUid(env)
  const session = `/run/user/${uid}`
  if (isOurs(session)) return session
  const tmp = path.join(env.TMPDIR && path.isAbsolute(env.TMPDIR) ? env.TMPDIR : '/tmp', `cocker-run-${uid}`)
  try {
    mkdirSync(tmp, { mode: 0o700 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CockerError('CONFIG_INVALID', `cannot create the runtime dir ${tmp}: ${(err as Error).message}`, { hint: 'set XDG_RUNTIME_DIR to a directory of yours' })
  }
  // Another user may have made it first: credentials must not go there.
  if (!isOurs(tmp)) {
    throw new CockerError('CONFIG_INVALID', `XDG_RUNTIME_DIR is not set and ${tmp} is not a directory of yours`, { hint: 'set XDG_RUNTIME_DIR to a directory of yours (mode 0700)' })
  }
  return tmp
}
