/**
 * The ops that map a new user namespace's ids. Root, and a rootless single self-mapping,
 * let the helper write the maps itself; a rootless namespace with more than the caller's
 * own id needs the setuid helpers newuidmap/newgidmap (package uidmap), which check
 * /etc/subuid and /etc/subgid. The helper runs them (c/helper.c): TS checks the ranges
 * first, so the error names them.
 */
import { CockerError } from '../errors.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import type { Op } from '../runtime/protocol.js'
import { callerName } from './identity.js'
import { coversRange, parseSubid } from './subid.js'
import { readIfPresent } from '../sys/read.js'

/** The helper's ops for the maps: written by it (`setgroups` denied first when rootless), or through newuidmap/newgidmap. */
export function idmapOps(uids: IdMapping[], gids: IdMapping[], how: { external: boolean; denySetgroups: boolean }): Op[] {
  const ops: Op[] = [
    ...uids.map((m): Op => ['uid-map', m.containerID, m.hostID, m.size]),
    ...gids.map((m): Op => ['gid-map', m.containerID, m.hostID, m.size]),
  ]
  if (how.external) ops.push(['idmap-external', 'newuidmap', 'newgidmap'])
  else if (how.denySetgroups) ops.push(['setgroups-deny'])
  return ops
}

const readOrEmpty = (file: string): string => readIfPresent(file) ?? ''

function checkRanges(maps: IdMapping[], file: string, self: number): void {
  const user = callerName()
  const ranges = parseSubid(readOrEmpty(file), user, process.getuid!())
  for (const m of maps) {
    if (!coversRange(ranges, self, m.hostID, m.size)) {
      throw new CockerError('IDMAP_FAILED',
        `${file} does not give user ${user} the host ids ${m.hostID}-${m.hostID + m.size - 1} that the config maps to ${m.containerID}-${m.containerID + m.size - 1}`,
        { hint: `add a line such as "${user}:100000:65536" to ${file} (as root), or map only your own id` })
    }
  }
}

/** Before newuidmap/newgidmap run: the maps must lie in the caller's own id or their subordinate ranges. */
export function checkSubordinateIds(uids: IdMapping[], gids: IdMapping[]): void {
  checkRanges(uids, '/etc/subuid', process.geteuid!())
  checkRanges(gids, '/etc/subgid', process.getegid!())
}
