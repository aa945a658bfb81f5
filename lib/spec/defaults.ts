/** What every container gets unless told otherwise: podman's defaults (containers.conf and libpod). */
import type { Mount } from '../runtime/oci-spec.js'

/** containers.conf `default_capabilities`. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
] as const

/** Hidden from the container: a tmpfs or /dev/null over them. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
]

export const READONLY_PATHS = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']

/**
 * `container=podman` rather than `container=cocker`: systemd (detect-virt), toolbox, distrobox and
 * many entrypoint scripts act on the values they know, and cocker aims to be a drop-in for podman.
 */
export const CONTAINER_ENV = 'container=podman'

/** Where `run --init` binds the init, and so the container's /proc/1/cmdline: podman's path. */
export const INIT_DESTINATION = '/run/podman-init'

/**
 * --privileged: the host's devices that a container does not get. /dev/console and /dev/ptmx
 * are the runtime's (the container's terminal, its own devpts); rootless, as podman, also no
 * /dev/ttyN or /dev/ttyS*: the host's virtual consoles and serial lines, whoever may open them.
 */
export function privilegedDevice(devicePath: string, rootless: boolean): boolean {
  if (devicePath === '/dev/console' || devicePath === '/dev/ptmx') return false
  return !rootless || !/^\/dev\/tty./.test(devicePath)
}

/** podman's RLimitDefaultValue: what it asks for NOFILE and NPROC when the host allows more. */
export const RLIMIT_DEFAULT = 1048576

/**
 * containers.conf `pids_limit`: a fork bomb in a container stops at this many tasks. Only where
 * the container gets a cgroup of its own (root), as with Podman, which skips it where cgroups
 * cannot be delegated.
 */
export const PIDS_LIMIT = 2048

/**
 * containers.conf `default_sysctls`: lets any process in a container with its own network
 * namespace open ICMP echo sockets, so ping works without CAP_NET_RAW.
 */
export const NETNS_SYSCTLS: Record<string, string> = { 'net.ipv4.ping_group_range': '0 0' }

/** --read-only: these stay writable, as tmpfs (podman's --read-only-tmpfs). */
export const READ_ONLY_TMPFS = ['/run', '/tmp', '/var/tmp']

const NOSUID_NOEXEC_NODEV = ['nosuid', 'noexec', 'nodev']

/**
 * The kernel filesystems: podman's list and options. /sys and /sys/fs/cgroup depend on who runs
 * and which namespaces the container has, so they are passed in. /dev is a tmpfs of the
 * container's own even with --privileged, which adds the host's devices to it (never the host's
 * /dev itself: its /dev/pts and /dev/shm are the host's sessions and shared memory).
 */
export function systemMounts(o: { rootless: boolean; sysfs: Mount; cgroup: Mount }): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: NOSUID_NOEXEC_NODEV },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] },
    o.sysfs,
    // gid=5 is "tty" in most images; in a user namespace the gid may not be mapped
    { destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(o.rootless ? [] : ['gid=5'])] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: NOSUID_NOEXEC_NODEV },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: [...NOSUID_NOEXEC_NODEV, 'mode=1777', 'size=65536k'] },
    o.cgroup,
  ]
}
