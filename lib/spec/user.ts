/**
 * `--user` / the image's User → uid, gid, supplementary groups and HOME, looked up in the
 * image's own /etc/passwd and /etc/group (never the host's), with runc's and podman's rules:
 * a number needs no entry, a name does; the implicit group is the passwd entry's, and only
 * then do the groups that list the user as a member join.
 */
import { CockerError } from '../errors.js'

export interface ResolvedUser {
  uid: number
  gid: number
  /** Podman lists the primary gid first; undefined when no user was asked for. */
  additionalGids?: number[]
  /** From the passwd entry; "/" when there is none. */
  home: string
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const isId = (s: string) => /^\d+$/.test(s)

function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = []
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':')
    if (f.length < 7 || !isId(f[2]) || !isId(f[3])) continue
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] })
  }
  return out
}

function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = []
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':')
    if (f.length < 4 || !isId(f[2])) continue
    out.push({ name: f[0], gid: Number(f[2]), members: f[3].split(',').map(s => s.trim()).filter(Boolean) })
  }
  return out
}

const MAX_ID = 2 ** 32 - 2 // (uid_t)-1 means "no change" to the kernel

function checkId(what: string, spec: string, id: number): number {
  if (id > MAX_ID) throw new CockerError('INVALID_ARGUMENT', `user "${spec}": ${what} ${id} is out of range`)
  return id
}

/**
 * Resolves "name", "uid", "name:group", "uid:gid" (and the mixed forms) against the files
 * `readFile` returns (undefined when absent). An empty spec is root with the image's root entry.
 */
export function resolveUser(spec: string, readFile: (path: string) => string | undefined): ResolvedUser {
  const colon = spec.indexOf(':')
  const userPart = colon < 0 ? spec : spec.slice(0, colon)
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1)
  const passwd = parsePasswd(readFile('/etc/passwd'))

  if (userPart === '' && groupPart === '') {
    const root = passwd.find(p => p.uid === 0)
    return { uid: 0, gid: 0, home: root?.home || '/' }
  }
  // ":group" is root with that group
  const entry = userPart === '' || isId(userPart) ? passwd.find(p => p.uid === Number(userPart || 0)) : passwd.find(p => p.name === userPart)
  if (!entry && !isId(userPart) && userPart !== '') {
    throw new CockerError('INVALID_ARGUMENT', `unable to find user ${userPart}: no matching entries in passwd file`,
      { hint: 'use a numeric uid, or a user that exists in the image\'s /etc/passwd' })
  }
  const uid = checkId('uid', spec, entry?.uid ?? (userPart === '' ? 0 : Number(userPart)))
  const home = entry?.home || '/'

  let gid: number
  let additional: number[]
  if (groupPart !== '') {
    if (isId(groupPart)) {
      gid = checkId('gid', spec, Number(groupPart))
    } else {
      const group = parseGroup(readFile('/etc/group')).find(g => g.name === groupPart)
      if (!group) {
        throw new CockerError('INVALID_ARGUMENT', `unable to find group ${groupPart}: no matching entries in group file`,
          { hint: 'use a numeric gid, or a group that exists in the image\'s /etc/group' })
      }
      gid = group.gid
    }
    additional = [gid]
  } else {
    gid = entry?.gid ?? 0
    const member = entry ? parseGroup(readFile('/etc/group')).filter(g => g.members.includes(entry.name)).map(g => g.gid) : []
    additional = [...new Set([gid, ...member])]
  }
  return { uid, gid, additionalGids: additional, home }
}

/** A gid, or a group name looked up in the image's /etc/group. */
export function groupId(flag: string, group: string, readFile: (path: string) => string | undefined): number {
  if (isId(group)) return checkId('gid', group, Number(group))
  const entry = parseGroup(readFile('/etc/group')).find(g => g.name === group)
  if (!entry) {
    throw new CockerError('INVALID_ARGUMENT', `${flag} ${group}: unable to find group ${group}: no matching entries in the image's group file`,
      { hint: 'use a numeric gid, or a group that exists in the image\'s /etc/group' })
  }
  return entry.gid
}
