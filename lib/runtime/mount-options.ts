import { CockerError } from '../errors.js'
import { MS } from './linux.js'

/** What mount(2) takes for one OCI mount: flags, propagation flags (a second call), and fs data. */
export interface MountArgs { flags: number; propagation: number; data: string; bind: boolean }

// option → [flags to set, flags to clear]
const FLAG_OPTIONS: Record<string, [number, number]> = {
  ro: [MS.RDONLY, 0], rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0], suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0], dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0], exec: [0, MS.NOEXEC],
  sync: [MS.SYNCHRONOUS, 0], async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0], remount: [MS.REMOUNT, 0],
  mand: [MS.MANDLOCK, 0], nomand: [0, MS.MANDLOCK],
  noatime: [MS.NOATIME, 0], atime: [0, MS.NOATIME],
  nodiratime: [MS.NODIRATIME, 0], diratime: [0, MS.NODIRATIME],
  relatime: [MS.RELATIME, 0], norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0], nostrictatime: [0, MS.STRICTATIME],
  nosymfollow: [MS.NOSYMFOLLOW, 0], symfollow: [0, MS.NOSYMFOLLOW],
  lazytime: [MS.LAZYTIME, 0], nolazytime: [0, MS.LAZYTIME],
  bind: [MS.BIND, 0], rbind: [MS.BIND | MS.REC, 0],
}

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
}

/** Options that runtimes accept but that mean nothing to mount(2) here. */
const IGNORED = new Set(['tmpcopyup', 'notmpcopyup', 'copy-symlink', 'z', 'Z', 'U', 'idmap', 'ridmap'])

/** Turns an OCI mount's type and options into mount(2) arguments, as runc does. */
export function parseMountOptions(type: string | undefined, options: readonly string[] = []): MountArgs {
  let flags = 0
  let propagation = 0
  const data: string[] = []
  for (const opt of options) {
    const flag = Object.hasOwn(FLAG_OPTIONS, opt) ? FLAG_OPTIONS[opt] : undefined
    if (flag) {
      flags = (flags | flag[0]) & ~flag[1]
    } else if (Object.hasOwn(PROPAGATION_OPTIONS, opt)) {
      propagation |= PROPAGATION_OPTIONS[opt]
    } else if (!IGNORED.has(opt)) {
      data.push(opt)
    }
  }
  if (type === 'bind') flags |= MS.BIND
  return { flags, propagation, data: data.join(','), bind: (flags & MS.BIND) !== 0 }
}

/** rootfsPropagation → flags for "/" (runc's default is rslave). */
export function rootPropagation(value: string | undefined): number {
  if (!value) return MS.SLAVE | MS.REC
  const flag = Object.hasOwn(PROPAGATION_OPTIONS, value) ? PROPAGATION_OPTIONS[value] : undefined
  if (flag === undefined) {
    throw new CockerError('CONFIG_INVALID', `config.json: /linux/rootfsPropagation: "${value}" is not a propagation mode`)
  }
  return flag | MS.REC
}
