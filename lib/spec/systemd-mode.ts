/**
 * `--systemd=true|false|always`: what a container whose PID 1 is systemd gets so that it can
 * boot, as Podman gives it (libpod setupSystemd, specgen's command test). Pure: the config
 * builder (oci-config.ts) asks `systemdMode` whether it applies and `systemdSetup` what it adds.
 */
import path from 'node:path'
import { CockerError } from '../errors.js'
import type { Mount } from '../runtime/oci-spec.js'

export type SystemdFlag = 'true' | 'false' | 'always'

/** Podman's list: a command that is one of these, or any program named systemd, is an init. */
export const INIT_COMMANDS = ['/sbin/init', '/usr/sbin/init', '/usr/local/sbin/init']

/** SIGRTMIN+3: systemd's "halt" (systemd(1)), which it takes as PID 1 for a clean shutdown. */
export const SYSTEMD_STOP_SIGNAL = 37

/** systemd wants these on tmpfs (CONTAINER_INTERFACE); tmpfs, not the image's, unless the user mounts something there. */
export const SYSTEMD_TMPFS = ['/run', '/run/lock', '/tmp', '/var/log/journal']

export function parseSystemdFlag(value: string): SystemdFlag {
  if (value === 'true' || value === 'false' || value === 'always') return value
  throw new CockerError('INVALID_ARGUMENT', `--systemd ${value}: expected true, false or always`,
    { hint: 'true (the default) runs in systemd mode when the command is systemd or an init; always runs so whatever the command' })
}

/**
 * Whether the container runs in systemd mode. `args` is the command as the image and flags
 * make it (entrypoint and cmd, before --init's); a shell form (`/bin/sh -c CMD`, as a
 * Containerfile's RUN-style CMD gives) counts by the word after -c, as in Podman.
 */
export function systemdMode(flag: SystemdFlag, args: readonly string[]): boolean {
  if (flag === 'always') return true
  if (flag === 'false' || args.length === 0) return false
  const command = args.length > 2 && args[0] === '/bin/sh' && args[1] === '-c' ? args[2]! : args[0]!
  return INIT_COMMANDS.includes(command) || path.posix.basename(command) === 'systemd'
}

export interface SystemdSetupInput {
  containerId: string
  /** Destinations the user mounts something on: those keep the user's mount. */
  taken: ReadonlySet<string>
  /** The environment so far (image, containers.conf, -e). */
  env: readonly string[]
  /** The image's /etc/machine-id, undefined when it has none. */
  imageMachineId: string | undefined
  /** --read-only: nothing can be written into the container's layer. */
  readOnlyRoot: boolean
}

export interface SystemdSetup {
  /** tmpfs mounts, parents first; placed before the files cocker binds into /run. */
  mounts: Mount[]
  /** KEY=VALUE to add to the environment. */
  env: string[]
  /** /etc/machine-id for an image without one: the file's content, bound (read-only root) or written into the container's layer. */
  machineId?: { content: string; bind: boolean }
}

/**
 * What systemd mode adds besides the stop signal and the cgroup tree (oci-config.ts): tmpfs on
 * the directories systemd expects empty and writable; `container_uuid` (the id's first 32 hex
 * digits) unless set, as Podman sets it; `container=` is every container's (defaults.ts). And
 * for an image without /etc/machine-id, that file with the container's id, as a file of the
 * container's own layer: a systemd that finds none takes the boot for a first boot (its
 * First Boot Wizard fails without a terminal), and one that finds it mounted from anything but
 * tmpfs fails systemd-machine-id-commit.service; either leaves the system degraded. Only a
 * read-only root gets the file bound (that unit runs only where /etc is writable).
 */
export function systemdSetup(input: SystemdSetupInput): SystemdSetup {
  const id = input.containerId.slice(0, 32)
  const mounts = SYSTEMD_TMPFS.filter(d => !input.taken.has(d)).map((destination): Mount => ({
    destination, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'],
  }))
  const env = input.env.some(e => e.startsWith('container_uuid=')) ? [] : [`container_uuid=${id}`]
  const hasId = (input.imageMachineId ?? '').trim() !== ''
  const give = !hasId && !input.taken.has('/etc/machine-id')
  return { mounts, env, ...(give ? { machineId: { content: `${id}\n`, bind: input.readOnlyRoot } } : {}) }
}
