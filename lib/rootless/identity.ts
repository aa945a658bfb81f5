/**
 * Who cocker acts for. A rootless user's heavy commands (pull, load, rmi...) run again
 * inside their user namespace, where they are uid 0: this variable, set on the way in,
 * keeps them the user's commands (their store, their config), not root's.
 */
export const USERNS_UID_ENV = '_COCKER_USERNS_UID'

/** The uid cocker acts for: the real user even inside its user namespace. */
export function realUid(env: NodeJS.ProcessEnv = process.env): number {
  const inNs = env[USERNS_UID_ENV]
  if (inNs !== undefined && /^\d+$/.test(inNs) && process.geteuid!() === 0) return Number(inNs)
  return process.geteuid!()
}

/** Root inside the rootless user namespace, re-executed there by cocker. */
export function inRootlessUserNamespace(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[USERNS_UID_ENV] !== undefined && process.geteuid!() === 0
}

/** Acting for an unprivileged user: not root, or root only inside that user's namespace. */
export function isRootless(env: NodeJS.ProcessEnv = process.env): boolean {
  return realUid(env) !== 0
}

/** A heavy command must first enter the user namespace. */
export function needsUserNamespace(): boolean {
  return process.geteuid!() !== 0
}

/** The caller's user name: getpwuid through NSS, so read once per command, which asks several times. */
export function callerName(): string {
  // node:os taken here only: the read commands never ask
  userName ??= process.getBuiltinModule('node:os').userInfo().username
  return userName
}
let userName: string | undefined
