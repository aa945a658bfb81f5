/** What the spec builder needs to know about the host, read in one place so the builder stays pure. */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { CAPABILITIES, capabilityNames } from '../runtime/linux.js'
import type { Device } from '../runtime/oci-spec.js'
import { readIfPresent } from '../sys/read.js'

export interface HostFacts {
  /** Hard limits of this process by RLIMIT_* name; Infinity for "unlimited". */
  hardLimits: Record<string, number>
  /** The resolv.conf a container starts from. */
  resolvConf: string
  /** /etc/hosts, for --network host. */
  hosts: string
  hostname: string
  /**
   * The capabilities a container can be given. As root, this process's bounding set: nothing
   * outside it can be raised again (some hosts drop CAP_SYS_RESOURCE from root's). Rootless,
   * every one the kernel knows: a new user namespace starts with all of them.
   */
  capabilities: string[]
  /**
   * Whether the host has /dev/mqueue: a rootless container sharing the host's IPC namespace
   * cannot mount mqueue and gets the host's bound, or none when the host has none either.
   */
  mqueue: boolean
  /** The character and block devices under /dev, for --privileged; read only when asked for. */
  devices?: Device[]
}

const LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
}

/** /proc/PID/limits → hard limit by RLIMIT_* name. */
export function parseProcLimits(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    // "Max open files            20000                20000                files"
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line)
    const type = m && LIMIT_NAMES[m[1]]
    if (!type) continue
    out[type] = m[3] === 'unlimited' ? Infinity : Number(m[3])
  }
  return out
}

/**
 * With systemd-resolved, /etc/resolv.conf names only its 127.0.0.53 stub; the resolvers it
 * forwards to are listed in /run/systemd/resolve/resolv.conf, which podman uses instead.
 */
function hostResolvConf(): string {
  const etc = readIfPresent('/etc/resolv.conf') ?? ''
  const servers = [...etc.matchAll(/^\s*nameserver\s+(\S+)/gm)].map(m => m[1])
  if (servers.length > 0 && servers.every(s => s === '127.0.0.53')) return readIfPresent('/run/systemd/resolve/resolv.conf') ?? etc
  return etc
}

/** The `CapBnd:` line of /proc/self/status as names; undefined when it cannot be read. */
export function parseBoundingSet(status: string): string[] | undefined {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1]
  return hex === undefined ? undefined : capabilityNames(BigInt(`0x${hex}`))
}

function grantableCapabilities(rootless: boolean): string[] {
  if (!rootless) return parseBoundingSet(readIfPresent('/proc/self/status') ?? '') ?? [...CAPABILITIES]
  const last = Number(readIfPresent('/proc/sys/kernel/cap_last_cap'))
  return Number.isInteger(last) ? CAPABILITIES.slice(0, last + 1) : [...CAPABILITIES]
}

// filesystems of their own under /dev, which the container mounts afresh
const DEV_SKIP = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue'])

/** The device nodes under `dir`, with their numbers, mode and owner, as `linux.devices` lists them. */
export function hostDevices(dir = '/dev'): Device[] {
  const out: Device[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of names.sort()) {
    const p = path.posix.join(dir, name)
    let st
    try {
      st = lstatSync(p, { bigint: true })
    } catch {
      continue // gone since the readdir
    }
    if (st.isDirectory()) {
      if (!DEV_SKIP.has(p)) out.push(...hostDevices(p))
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      // the kernel's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31
      const major = Number(((st.rdev >> 8n) & 0xfffn) | ((st.rdev >> 32n) & ~0xfffn))
      const minor = Number((st.rdev & 0xffn) | ((st.rdev >> 12n) & ~0xffn))
      out.push({ path: p, type: st.isBlockDevice() ? 'b' : 'c', major, minor, fileMode: Number(st.mode & 0o7777n),
        uid: Number(st.uid), gid: Number(st.gid) })
    }
  }
  return out
}

/**
 * The init that `run --init` binds into the container: --init-path, else the one built
 * next to the helper. Podman's exit status 125 when it is missing, with the path.
 */
export function initBinary(given: string | undefined): string {
  const file = path.resolve(given ?? path.join(packageRoot(), 'c/cocker-init'))
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new CockerError('INVALID_ARGUMENT', `the container init ${file} does not exist or is not a file`,
      { hint: given === undefined ? 'build it with "make -C c", or give one with --init-path' : 'give the path of a static init binary (cocker-init, catatonit, tini)' })
  }
  return file
}

export function readHostFacts(o: { rootless: boolean; privileged?: boolean }): HostFacts {
  return {
    ...(o.privileged ? { devices: hostDevices() } : {}),
    capabilities: grantableCapabilities(o.rootless),
    hardLimits: parseProcLimits(readIfPresent('/proc/self/limits') ?? ''),
    resolvConf: hostResolvConf(),
    hosts: readIfPresent('/etc/hosts') ?? '',
    hostname: hostname(),
    mqueue: existsSync('/dev/mqueue'),
  }
}
