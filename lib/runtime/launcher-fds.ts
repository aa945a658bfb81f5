/**
 * The pipes of a helper that c/launch.c started while node booted, taken once at start
 * (helper.ts sends a plan there instead of spawning a helper). Only node:fs here: main
 * takes them before any command loads, and the read commands load nothing heavy.
 *
 *   _COCKER_HELPER_FDS=R,E,S       bin/cocker-runtime: the helper is our parent
 *   _COCKER_HELPER_FDS=R,E,S,PID   bin/cocker's `run`: the helper is our child PID
 */
import { closeSync, constants as fsc, openSync } from 'node:fs'

export interface LauncherFds {
  request: number
  events: number
  sync: number
  /** The helper, when it is our child; absent when it is our parent. */
  childPid?: number
}

let adopted: LauncherFds | undefined

/**
 * Each fd is reopened close-on-exec and the inherited one closed, and the variable dropped,
 * so that nothing we start (hooks, newuidmap, a monitor) holds them. A launcher that is gone
 * leaves none.
 */
export function adoptLauncherHelper(env: NodeJS.ProcessEnv): void {
  const fields = env._COCKER_HELPER_FDS?.split(',').map(Number)
  delete env._COCKER_HELPER_FDS
  if ((fields?.length !== 3 && fields?.length !== 4) || !fields.every(n => Number.isInteger(n) && n > 2)) return
  const [request, events, sync, childPid] = fields as [number, number, number, number | undefined]
  // Read and write, so that opening never waits for the other end; the pipes we write stay
  // blocking, so the plan (written at once: the helper waits for its end) cannot meet EAGAIN.
  const reopen = (fd: number, mode: number) => openSync(`/proc/self/fd/${fd}`, mode)
  try {
    adopted = { request: reopen(request, fsc.O_RDWR), events: reopen(events, fsc.O_RDONLY | fsc.O_NONBLOCK), sync: reopen(sync, fsc.O_RDWR), childPid }
  } catch { /* no launcher: helpers are spawned */ }
  for (const fd of [request, events, sync]) try { closeSync(fd) } catch { /* not ours */ }
}

/** The adopted pipes, once: the first plan that can use them takes them. */
export function takeLauncherFds(usable: (fds: LauncherFds) => boolean): LauncherFds | undefined {
  if (!adopted || !usable(adopted)) return undefined
  const fds = adopted
  adopted = undefined
  return fds
}
