// Podman's defaults as Podman documents and writes them, for tests to hold cocker to: written
// out here, never taken from lib/, so that a changed constant in lib/ fails a test.

/**
 * containers.conf `default_capabilities` since Podman 5: eleven. Podman 4.3 gave Docker's
 * fourteen, these and PODMAN_4_EXTRA_CAPABILITIES.
 */
export const PODMAN_5_CAPABILITIES = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_SETFCAP']

/** The three more that Podman 4.3 gives (Docker's fourteen); why cocker does not: run-defaults.test.ts. */
export const PODMAN_4_EXTRA_CAPABILITIES = ['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW']

/** linux.maskedPaths of the config.json Podman 4.3 writes. */
export const PODMAN_MASKED_PATHS = ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block']

/** linux.readonlyPaths of the config.json Podman 4.3 writes. */
export const PODMAN_READONLY_PATHS = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']
