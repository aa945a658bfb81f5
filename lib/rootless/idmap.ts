/**
 * Maps ids for a rootless user namespace with more than the caller's own id,
 * through the setuid helpers newuidmap/newgidmap (package uidmap), which check
 * /etc/subuid and /etc/subgid. We check first so the error names the range.
 */
import { userInfo } from 'node:os'
import { CockerError } from '../errors.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import { coversRange, parseSubid } from './subid.js'
import { childProcess } from '../sys/child-process.js'
import { readIfPresent } from '../sys/read.js'

const readOrEmpty = (file: string): string => readIfPresent(file) ?? ''

function mapIds(tool: 'newuidmap' | 'newgidmap', pid: number, maps: IdMapping[], file: string, self: number): void {
  const user = userInfo().username
  const ranges = parseSubid(readOrEmpty(file), user, process.getuid!())
  for (const m of maps) {
    if (!coversRange(ranges, self, m.hostID, m.size)) {
      throw new CockerError('IDMAP_FAILED',
        `${file} does not give user ${user} the host ids ${m.hostID}-${m.hostID + m.size - 1} that the config maps to ${m.containerID}-${m.containerID + m.size - 1}`,
        { hint: `add a line such as "${user}:100000:65536" to ${file} (as root), or map only your own id` })
    }
  }
  const args = [String(pid), ...maps.flatMap(m => [String(m.containerID), String(m.hostID), String(m.size)])]
  const res = childProcess().spawnSync(tool, args, { encoding: 'utf8' })
  if (res.error) {
    throw new CockerError('IDMAP_FAILED', `cannot run ${tool}: ${res.error.message}`,
      { hint: 'install the uidmap package (apt-get install uidmap)' })
  }
  if (res.status !== 0) {
    throw new CockerError('IDMAP_FAILED', `${tool} ${args.join(' ')} failed: ${res.stderr.trim().split('\n').pop()}`,
      { hint: `check the lines for ${user} in ${file}` })
  }
}

export function mapIdsExternally(pid: number, uids: IdMapping[], gids: IdMapping[]): void {
  mapIds('newuidmap', pid, uids, '/etc/subuid', process.geteuid!())
  mapIds('newgidmap', pid, gids, '/etc/subgid', process.getegid!())
}
