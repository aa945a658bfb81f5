import { readHostFile } from './host.js'

/** Where this host mounts its cgroup hierarchies. */
export interface CgroupLayout {
  /** 'hybrid': v1 controller hierarchies and a cgroup2 mount side by side */
  version: 'v1' | 'v2' | 'hybrid'
  /** v1 controller name (also "name=systemd") -> mount point; co-mounted controllers share one */
  v1: Record<string, string>
  /** cgroup2 mount point, if any */
  unified?: string
  /** the cgroup2 root's cgroup.controllers */
  unifiedControllers: string[]
  /** mount point -> the hierarchy path mounted there: "/" unless a subtree is bind-mounted */
  roots?: Record<string, string>
}

/** Controllers a v1 mount can carry; other super options (rw, xattr, clone_children…) are not controllers. */
const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio',
  'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
])

// mountinfo escapes space, tab, newline and backslash as \ooo.
const unescapeMountPath = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))

/**
 * Finds the cgroup hierarchies in /proc/self/mountinfo (proc(5)). `readFile` reads the cgroup2
 * root's cgroup.controllers; both are injectable for tests.
 */
export function detectCgroups(
  mountinfo: string = readHostFile('/proc/self/mountinfo') ?? '',
  readFile: (file: string) => string | undefined = readHostFile,
): CgroupLayout {
  const v1: Record<string, string> = {}
  const roots: Record<string, string> = {}
  let unified: string | undefined
  for (const line of mountinfo.split('\n')) {
    // 36 35 98:0 /root /mnt opts [optional fields…] - fstype source superopts
    const f = line.split(' ')
    const sep = f.indexOf('-', 6)
    if (sep < 0 || f[3] === undefined || f[4] === undefined) continue
    const fstype = f[sep + 1]
    const point = unescapeMountPath(f[4])
    if (fstype === 'cgroup2') {
      if (unified !== undefined) continue
      unified = point
      roots[point] = unescapeMountPath(f[3])
    } else if (fstype === 'cgroup') {
      const ctrls = (f[sep + 3] ?? '').split(',').filter(o => V1_CONTROLLERS.has(o) || o.startsWith('name='))
      // The first mount of a hierarchy wins; later ones are usually bind mounts of it.
      const fresh = ctrls.filter(c => !(c in v1))
      if (fresh.length === 0) continue
      for (const c of fresh) v1[c] = point
      roots[point] = unescapeMountPath(f[3])
    }
  }
  const hasV1 = Object.keys(v1).some(c => !c.startsWith('name='))
  const version = hasV1 ? (unified ? 'hybrid' : 'v1') : unified ? 'v2' : 'v1'
  const unifiedControllers = unified ? words(readFile(`${unified}/cgroup.controllers`)) : []
  return { version, v1, ...(unified ? { unified } : {}), unifiedControllers, roots }
}

/** /proc/<pid>/cgroup as controller -> path; the cgroup2 entry ("0::/x") is under "". */
export function parseSelfCgroup(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line)
    if (!m) continue
    const [, ctrls = '', path = '/'] = m
    if (ctrls === '') out[''] = path
    else for (const c of ctrls.split(',')) out[c] = path
  }
  return out
}

export function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean)
}
