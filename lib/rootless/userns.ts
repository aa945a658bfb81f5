/**
 * The rootless user namespace that cocker's heavy commands (and `cocker
 * unshare`) run in: the caller's uid as root, plus their /etc/subuid and
 * /etc/subgid ranges from 1 up, mapped by newuidmap/newgidmap. With no ranges
 * only the caller's own id is mapped, and the user is told how to get more.
 */
import type { IdMapping } from '../runtime/oci-spec.js'
import { runHelper } from '../runtime/helper.js'
import { encodePlan, type Op } from '../runtime/protocol.js'
import { cockerProgram } from '../package-root.js'
import { idmapOps } from './idmap.js'
import { callerName, USERNS_UID_ENV } from './identity.js'
import { parseSubid, type SubidRange } from './subid.js'
import { planContainerUserns, type ContainerUserns } from './container-userns.js'
import type { UsernsRequest } from '../spec/run-options.js'
import { readIfPresent } from '../sys/read.js'

export interface UsernsMaps {
  uid: IdMapping[]
  gid: IdMapping[]
  /** direct: a single self-mapping the helper writes; external: newuidmap/newgidmap. */
  method: 'direct' | 'external'
  warning?: string
}

function stack(self: number, ranges: SubidRange[]): IdMapping[] {
  const maps: IdMapping[] = [{ containerID: 0, hostID: self, size: 1 }]
  let next = 1
  for (const r of ranges) {
    maps.push({ containerID: next, hostID: r.start, size: r.count })
    next += r.count
  }
  return maps
}

/** Pure: the id maps for a user, given the text of /etc/subuid and /etc/subgid. */
export function planUsernsMaps(user: { name: string; uid: number; gid: number }, subuid: string, subgid: string): UsernsMaps {
  const uids = parseSubid(subuid, user.name, user.uid)
  const gids = parseSubid(subgid, user.name, user.uid)
  if (uids.length && gids.length) return { uid: stack(user.uid, uids), gid: stack(user.gid, gids), method: 'external' }
  const missing = [!uids.length && '/etc/subuid', !gids.length && '/etc/subgid'].filter(Boolean).join(' and ')
  return {
    uid: stack(user.uid, []),
    gid: stack(user.gid, []),
    method: 'direct',
    warning: `${user.name} has no range in ${missing}: only uid 0 is mapped in the user namespace, so images with other owners will fail; ` +
      `add a line such as "${user.name}:100000:65536" to /etc/subuid and /etc/subgid (as root)`,
  }
}

const readOrEmpty = (file: string): string => readIfPresent(file) ?? ''

/** Read once per command: `run` asks in create and again in start. */
export function usernsMapsForCaller(): UsernsMaps {
  callerMaps ??= planUsernsMaps({ name: callerName(), uid: process.geteuid!(), gid: process.getegid!() },
    readOrEmpty('/etc/subuid'), readOrEmpty('/etc/subgid'))
  return callerMaps
}
let callerMaps: UsernsMaps | undefined

/**
 * The user namespace of a container: `caller` is the rootless user's own (usernsMapsForCaller),
 * undefined as root; `taken` lists what other containers map, read only for --userns auto.
 */
export function containerUserns(req: UsernsRequest, caller: UsernsMaps | undefined, taken: () => IdMapping[]): ContainerUserns | undefined {
  const auto = req.mode === 'auto'
  return planContainerUserns(req, {
    rootless: caller !== undefined, name: callerName(), uid: process.geteuid!(), gid: process.getegid!(),
    ...(caller ? { uidStack: caller.uid, gidStack: caller.gid } : {}),
    ...(auto ? { taken: taken() } : {}),
    ...(auto && !caller ? {
      autoUids: parseSubid(readOrEmpty('/etc/subuid'), 'containers', -1),
      autoGids: parseSubid(readOrEmpty('/etc/subgid'), 'containers', -1),
    } : {}),
  })
}

/** New namespaces, the caller's maps, root in them: the plan's ops after its mode. */
export function enterOps(maps: UsernsMaps, namespaces: string): Op[] {
  return [['ns-new', namespaces], ...idmapOps(maps.uid, maps.gid, { external: maps.method === 'external', denySetgroups: true }), ['setid', 0, 0]]
}

/** The helper's plan: a new user and mount namespace, root in it, then exec argv where we are. */
export function usernsPlan(maps: UsernsMaps, argv: string[], env: NodeJS.ProcessEnv, cwd: string): Op[] {
  const ops: Op[] = [['mode', 'wait'], ...enterOps(maps, 'user,mnt')]
  ops.push(['cwd', cwd])
  for (const [k, v] of Object.entries(env)) if (v !== undefined) ops.push(['env', `${k}=${v}`])
  ops.push(['argv', argv], ['check-exec'], ['die-with-parent'], ['exec'])
  return ops
}

async function runPlan(ops: Op[]): Promise<number> {
  const result = await runHelper(encodePlan(ops), { until: 'exit', forwardSignals: true })
  return result.exitCode ?? 0
}

/** Runs argv in the caller's rootless user namespace and returns its exit status. */
export async function runInUserNamespace(argv: string[], o: { env: NodeJS.ProcessEnv; cwd: string; warn(m: string): void }): Promise<number> {
  const maps = usernsMapsForCaller()
  if (maps.warning) o.warn(maps.warning)
  return runPlan(usernsPlan(maps, argv, o.env, o.cwd))
}

/**
 * Removes trees that the namespace's ids own (layers, a container's upper dir): the
 * helper does it as root of the namespace, without a node start on the way.
 */
export async function removeTreesInUserNamespace(paths: string[]): Promise<void> {
  if (!paths.length) return
  const maps = usernsMapsForCaller()
  const ops: Op[] = [['mode', 'wait'], ...enterOps(maps, 'user')]
  for (const p of paths) ops.push(['remove-tree', p])
  ops.push(['exit'])
  await runPlan(ops)
}

/** Changes owners to ids of the namespace other than the caller's own (a container's files for keep-id), by the helper. */
export async function chownInUserNamespace(paths: string[], uid: number, gid: number): Promise<void> {
  if (!paths.length) return
  const maps = usernsMapsForCaller()
  const ops: Op[] = [['mode', 'wait'], ...enterOps(maps, 'user')]
  for (const p of paths) ops.push(['chown', p, String(uid), String(gid)])
  ops.push(['exit'])
  await runPlan(ops)
}

/**
 * cocker again, with the same arguments, inside the caller's user namespace: what the heavy
 * commands do first, so that they can chown, mknod whiteouts and remove what the
 * namespace's ids own.
 */
export async function reexecInUserNamespace(argv: string[], o: { env: NodeJS.ProcessEnv; cwd: string; warn(m: string): void }): Promise<number> {
  const env = { ...o.env, [USERNS_UID_ENV]: String(process.geteuid!()) }
  return runInUserNamespace([cockerProgram(), ...argv], { ...o, env })
}
