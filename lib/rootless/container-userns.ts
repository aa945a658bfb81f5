/**
 * The user namespace a container gets from --userns and --uidmap/--gidmap, as host ids for
 * config.json. Pure. Rootless, podman's maps are written against the user's own namespace
 * (0 = the user, 1… = their /etc/subuid ranges, stacked): we write them the same way and
 * then look each id up in that stack, because cocker's helper maps host ids directly
 * through newuidmap rather than nesting a namespace in the user's.
 */
import { CockerError } from '../errors.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import type { IdShift } from '../storage/copy-tree.js'
import type { UsernsRequest } from '../spec/run-options.js'
import type { SubidRange } from './subid.js'

export interface UsernsCaller {
  rootless: boolean
  /** The user's name, uid and gid on the host. */
  name: string
  uid: number
  gid: number
  /** Rootless: the user's own namespace, host ids (userns.ts planUsernsMaps). */
  uidStack?: IdMapping[]
  gidStack?: IdMapping[]
  /** Root, --userns auto: /etc/subuid and /etc/subgid ranges of the user "containers". */
  autoUids?: SubidRange[]
  autoGids?: SubidRange[]
  /** --userns auto: what other containers map already (their uid maps' host ranges). */
  taken?: IdMapping[]
}

export interface ContainerUserns {
  uidMappings: IdMapping[]
  gidMappings: IdMapping[]
  /** keep-id: whom the process runs as, and the passwd entry to add if the image has none for it. */
  keepId?: { uid: number; gid: number; name: string; gecos: string; groupName?: string }
}

/** podman's size for --userns auto when none is given and the image's ids are not counted. */
export const AUTO_SIZE = 1024

const invalid = (message: string, hint?: string) => new CockerError('INVALID_ARGUMENT', message, { hint })

const span = (maps: IdMapping[]) => maps.reduce((n, m) => Math.max(n, m.containerID + m.size), 0)

/** The container's user namespace, or undefined for none (root, by default or with --userns host). */
export function planContainerUserns(req: UsernsRequest, caller: UsernsCaller): ContainerUserns | undefined {
  // rootless, maps that leave the user out get a namespace nested in the user's (compile.ts, nestedMaps)
  return caller.rootless ? rootlessUserns(req, caller) : rootUserns(req, caller)
}

function rootlessUserns(req: UsernsRequest, c: UsernsCaller): ContainerUserns {
  const uidStack = c.uidStack ?? [{ containerID: 0, hostID: c.uid, size: 1 }]
  const gidStack = c.gidStack ?? [{ containerID: 0, hostID: c.gid, size: 1 }]
  const [uids, gids] = [span(uidStack), span(gidStack)]
  switch (req.mode) {
    case 'default':
    case 'host':
      return { uidMappings: uidStack, gidMappings: gidStack }
    case 'keep-id': {
      const uid = req.uid ?? c.uid
      const gid = req.gid ?? c.gid
      const flag = `--userns keep-id${req.uid !== undefined || req.gid !== undefined ? `:uid=${uid},gid=${gid}` : ''}`
      return {
        uidMappings: throughStack(flag, keepIdMaps(flag, 'uid', uid, uids), uidStack),
        gidMappings: throughStack(flag, keepIdMaps(flag, 'gid', gid, gids), gidStack),
        // podman names the user after the caller only when the ids are the caller's own
        keepId: req.uid === undefined
          ? { uid, gid, name: c.name, gecos: '', ...(req.gid === undefined ? { groupName: c.name } : {}) }
          : { uid, gid, name: String(uid), gecos: 'container user' },
      }
    }
    case 'nomap':
      return {
        uidMappings: throughStack('--userns nomap', [{ containerID: 0, hostID: 1, size: needSubids('--userns nomap', uids) }], uidStack),
        gidMappings: throughStack('--userns nomap', [{ containerID: 0, hostID: 1, size: needSubids('--userns nomap', gids) }], gidStack),
      }
    case 'auto': {
      // as root's, from the ids no other container maps: here those of the user's namespace but the user
      const size = Math.min(req.size ?? AUTO_SIZE, needSubids('--userns auto', uids), needSubids('--userns auto', gids))
      const uid = freeRange('/etc/subuid', [{ start: 1, count: uids - 1 }], intoStack(c.taken ?? [], uidStack), size, undefined, 'your ranges')
      const gid = freeRange('/etc/subgid', [{ start: 1, count: gids - 1 }], [], size, uid, 'your ranges')
      return {
        uidMappings: throughStack('--userns auto', [{ containerID: 0, hostID: uid, size }], uidStack),
        gidMappings: throughStack('--userns auto', [{ containerID: 0, hostID: gid, size }], gidStack),
      }
    }
    case 'maps':
      return { uidMappings: throughStack('--uidmap', req.uid, uidStack), gidMappings: throughStack('--gidmap', req.gid, gidStack) }
  }
}

function needSubids(flag: string, total: number): number {
  if (total <= 1) {
    throw invalid(`${flag}: your user has no subordinate ids in /etc/subuid and /etc/subgid to give the container`,
      'add a line such as "USER:100000:65536" to both files (as root)')
  }
  return total - 1
}

/**
 * podman's keep-id, in the user's namespace of `total` ids: `id` is the user (0 there), the
 * ids below it come from 1 up, and the ids above it keep their number.
 */
function keepIdMaps(flag: string, what: string, id: number, total: number): IdMapping[] {
  if (id >= total) {
    throw invalid(`${flag}: ${what} ${id} is outside the ${total} ids your user namespace has`,
      total <= 1 ? 'add a range for your user to /etc/subuid and /etc/subgid (as root)' : `use a ${what} below ${total}`)
  }
  const maps: IdMapping[] = []
  if (id > 0) maps.push({ containerID: 0, hostID: 1, size: id })
  maps.push({ containerID: id, hostID: 0, size: 1 })
  if (id + 1 < total) maps.push({ containerID: id + 1, hostID: id + 1, size: total - id - 1 })
  return maps
}

/**
 * How the owners of the layers must change for the container to see the image's ids:
 * container id → the id that maps to the same host id where the layers were unpacked (the
 * caller's namespace, `stack`, rootless; the host as root). Undefined when nothing changes
 * (the default namespace), so that the layers serve as they are.
 */
export function layerShift(userns: ContainerUserns, stack?: { uid: IdMapping[]; gid: IdMapping[] }): IdShift | undefined {
  const uid = stack ? intoStack(userns.uidMappings, stack.uid) : userns.uidMappings
  const gid = stack ? intoStack(userns.gidMappings, stack.gid) : userns.gidMappings
  return [...uid, ...gid].every(m => m.containerID === m.hostID) ? undefined : { uid, gid }
}

/** throughStack's inverse: maps in host ids → the same maps with host ids of `stack`'s namespace (ids outside it are left out). */
export function intoStack(maps: IdMapping[], stack: IdMapping[]): IdMapping[] {
  const out: IdMapping[] = []
  for (const m of maps) {
    for (const s of stack) {
      const lo = Math.max(m.hostID, s.hostID)
      const hi = Math.min(m.hostID + m.size, s.hostID + s.size)
      if (lo < hi) out.push({ containerID: m.containerID + lo - m.hostID, hostID: s.containerID + lo - s.hostID, size: hi - lo })
    }
  }
  return out.sort((a, b) => a.containerID - b.containerID)
}

/** Maps whose host ids are ids of `stack`'s namespace → the same maps in host ids, split where the stack's ranges end. */
export function throughStack(flag: string, maps: IdMapping[], stack: IdMapping[]): IdMapping[] {
  const out: IdMapping[] = []
  for (const m of maps) {
    for (let done = 0; done < m.size;) {
      const at = m.hostID + done
      const range = stack.find(s => at >= s.containerID && at < s.containerID + s.size)
      if (!range) {
        const total = span(stack)
        throw invalid(`${flag} ${m.containerID}:${m.hostID}:${m.size}: id ${at} is not in your user namespace, which has ids 0 to ${total - 1}`,
          'rootless, the host ids are those of your user namespace: 0 is you, 1 and up your /etc/subuid and /etc/subgid ranges')
      }
      const n = Math.min(m.size - done, range.containerID + range.size - at)
      out.push({ containerID: m.containerID + done, hostID: range.hostID + at - range.containerID, size: n })
      done += n
    }
  }
  return out
}

function rootUserns(req: UsernsRequest, c: UsernsCaller): ContainerUserns | undefined {
  switch (req.mode) {
    case 'default':
    case 'host':
      return undefined
    case 'keep-id':
    case 'nomap':
      throw invalid(`--userns ${req.mode}: only for rootless containers: as root, your ids are the host's`,
        'use --uidmap/--gidmap or --userns auto to give the container ids of its own')
    case 'maps':
      return { uidMappings: req.uid, gidMappings: req.gid }
    case 'auto': {
      const size = req.size ?? AUTO_SIZE
      const uid = freeRange('/etc/subuid', c.autoUids ?? [], c.taken ?? [], size)
      const gid = freeRange('/etc/subgid', c.autoGids ?? [], [], size, uid)
      return { uidMappings: [{ containerID: 0, hostID: uid, size }], gidMappings: [{ containerID: 0, hostID: gid, size }] }
    }
  }
}

/**
 * The first `size` ids of `ranges` (root: the "containers" ranges; rootless: the user's
 * namespace but the user) that no other container maps. Gids follow the uids' place when
 * they can (`prefer`), so that a container's uid and gid match.
 */
function freeRange(file: string, ranges: SubidRange[], taken: IdMapping[], size: number, prefer?: number, whose = 'the "containers" ranges'): number {
  if (!ranges.length) {
    throw invalid(`--userns auto: ${file} has no range for the user "containers", from which automatic user namespaces take their ids`,
      `add a line such as "containers:2147483647:2147483648" to /etc/subuid and /etc/subgid (as root)`)
  }
  const fits = (start: number) => ranges.some(r => start >= r.start && start + size <= r.start + r.count) &&
    !taken.some(t => start < t.hostID + t.size && t.hostID < start + size)
  if (prefer !== undefined && fits(prefer)) return prefer
  // candidates: the start of each range and the end of each taken range
  const starts = [...ranges.map(r => r.start), ...taken.map(t => t.hostID + t.size)].sort((a, b) => a - b)
  const start = starts.find(fits)
  if (start === undefined) {
    throw new CockerError('USERNS_UNAVAILABLE', `--userns auto: no ${size} free ids left in ${whose} of ${file}`,
      { hint: `remove containers that use --userns auto, ask for fewer with --userns auto:size=N, or give ${whose === 'your ranges' ? 'yourself' : '"containers"'} a larger range` })
  }
  return start
}
