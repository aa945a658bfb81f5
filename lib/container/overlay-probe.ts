/**
 * Whether a native overlay mount works for this user on the store's filesystem: the
 * helper mounts an overlay of two empty dirs under the store's tmp/ in a mount namespace
 * of its own (rootless: with userxattr, in a user namespace) and exits, which leaves
 * nothing mounted. Run once per store, when its driver is chosen (storage/driver.ts).
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { randomBytes } from '../sys/random.js'
import { inRootlessUserNamespace, isRootless } from '../rootless/identity.js'
import { runHelper } from '../runtime/helper.js'
import { MS } from '../runtime/linux.js'
import { encodePlan, type Op } from '../runtime/protocol.js'
import type { OverlayProbe } from '../storage/driver.js'
import type { Store } from '../storage/store.js'

/** Pure: the probe's plan. `userns`: a user namespace of our own id first (rootless, outside cocker's). */
export function overlayProbePlan(o: { dir: string; userxattr: boolean; userns?: { uid: number; gid: number } }): Op[] {
  const ops: Op[] = [['mode', 'wait']]
  if (o.userns) {
    ops.push(['ns-new', 'user,mnt'], ['uid-map', 0, o.userns.uid, 1], ['gid-map', 0, o.userns.gid, 1], ['setgroups-deny'], ['setid', 0, 0])
  } else ops.push(['ns-new', 'mnt'])
  const data = `lowerdir=lower,upperdir=upper,workdir=work${o.userxattr ? ',userxattr' : ''}`
  ops.push(['propagation', '/', MS.SLAVE | MS.REC], ['overlay', path.join(o.dir, 'merged'), data, o.dir], ['exit'])
  return ops
}

export function overlayProbe(store: Store, env: NodeJS.ProcessEnv): OverlayProbe {
  return async () => {
    const rootless = isRootless(env)
    const dir = path.join(store.paths.tmp, `probe-${randomBytes(6).toString('hex')}`)
    for (const d of ['', 'lower', 'upper', 'work', 'merged']) mkdirSync(path.join(dir, d), { recursive: true, mode: 0o700 })
    const userns = rootless && !inRootlessUserNamespace(env) ? { uid: process.geteuid!(), gid: process.getegid!() } : undefined
    try {
      await runHelper(encodePlan(overlayProbePlan({ dir, userxattr: rootless, userns })), { until: 'exit', stdio: ['ignore', 'ignore', 'ignore'] })
      return { ok: true }
    } catch (err) {
      const how = rootless ? 'an overlay mount with userxattr in a user namespace' : 'an overlay mount'
      return { ok: false, reason: `${how} failed: ${(err as Error).message}` }
    } finally {
      // the kernel made work/work with mode 0
      try { chmodSync(path.join(dir, 'work/work'), 0o700) } catch { /* not made */ }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
