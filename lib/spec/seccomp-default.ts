/**
 * cocker's default seccomp profile: podman's (containers/common seccomp.json, as shipped with
 * podman 4.3), written out as data. Unknown syscalls fail with ENOSYS, so that libc falls back
 * from a call newer than the profile (clone3 → clone, statx → fstatat); the ones known to be
 * dangerous fail with EPERM, so that programs report "operation not permitted" instead of
 * concluding the kernel lacks them. Some rules depend on the capabilities the container keeps,
 * the way podman resolves its profile's `includes`/`excludes` against the bounding set.
 *
 * Allowed here but still refused by the kernel without the capability: mount, umount2,
 * pivot_root, unshare, setns (CAP_SYS_ADMIN); reboot (CAP_SYS_BOOT, and in a PID namespace it
 * only ends the container's init, see reboot(2)).
 */
import type { Seccomp, SeccompSyscall } from '../runtime/oci-spec.js'

const EPERM = 1
const EINVAL = 22
const ENOSYS = 38
const AF_NETLINK = 16
const NETLINK_AUDIT = 9

const words = (text: string) => text.trim().split(/\s+/)

/** Refused with EPERM whatever the capabilities. */
const DENIED = words(`
  bdflush io_pgetevents kexec_file_load kexec_load migrate_pages move_pages nfsservctl nice oldfstat
  oldlstat oldolduname oldstat olduname pciconfig_iobase pciconfig_read pciconfig_write sgetmask ssetmask
  swapcontext swapoff swapon sysfs uselib userfaultfd ustat vm86 vm86old vmsplice
`)

/** Allowed whatever the capabilities (the kernel still checks them). */
const ALLOWED = words(`
  _llseek _newselect accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
  clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
  clock_nanosleep clock_nanosleep_time64 clone clone3 close close_range connect copy_file_range creat dup
  dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
  epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
  fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64
  fdatasync fgetxattr flistxattr flock fork fremovexattr fsconfig fsetxattr fsmount fsopen fspick fstat
  fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futimesat get_mempolicy
  get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32
  getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
  getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage getsid getsockname getsockopt
  gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch
  io_cancel io_destroy io_getevents io_setup io_submit ioctl ioprio_get ioprio_set ipc keyctl kill
  landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat
  listen listxattr llistxattr lremovexattr lseek lsetxattr lstat lstat64 madvise mbind membarrier
  memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mount
  mount_setattr move_mount mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64
  mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall
  munmap name_to_handle_at nanosleep newfstatat open open_tree openat openat2 pause pidfd_getfd pidfd_open
  pidfd_send_signal pipe pipe2 pivot_root pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl
  pread64 preadv preadv2 prlimit64 process_mrelease process_vm_readv process_vm_writev pselect6
  pselect6_time64 ptrace pwrite64 pwritev pwritev2 read readahead readdir readlink readlinkat readv reboot
  recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
  restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
  rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_get_priority_max
  sched_get_priority_min sched_getaffinity sched_getattr sched_getparam sched_getscheduler
  sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
  sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send
  sendfile sendfile64 sendmmsg sendmsg sendto set_mempolicy set_robust_list set_thread_area set_tid_address
  setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setns setpgid
  setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
  setsid setsockopt setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaction sigaltstack signal
  signalfd signalfd4 sigpending sigprocmask sigreturn sigsuspend socketcall socketpair splice stat stat64
  statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs syscall sysinfo syslog tee tgkill time
  timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
  timerfd timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill
  truncate truncate64 ugetrlimit umask umount umount2 uname unlink unlinkat unshare utime utimensat
  utimensat_time64 utimes vfork wait4 waitid waitpid write writev
`)

/** Allowed only while the container keeps the capability; else EPERM. */
const BY_CAPABILITY: [string, string[]][] = [
  ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  ['CAP_SYS_ADMIN', ['bpf', 'fanotify_init', 'lookup_dcookie', 'perf_event_open', 'quotactl', 'setdomainname', 'sethostname', 'setns']],
  ['CAP_SYS_CHROOT', ['chroot']],
  ['CAP_SYS_MODULE', ['delete_module', 'finit_module', 'init_module', 'query_module']],
  ['CAP_SYS_PACCT', ['acct']],
  ['CAP_SYS_PTRACE', ['kcmp', 'process_madvise']],
  ['CAP_SYS_RAWIO', ['ioperm', 'iopl']],
  ['CAP_SYS_TIME', ['clock_settime', 'clock_settime64', 'settimeofday', 'stime']],
  ['CAP_SYS_TTY_CONFIG', ['vhangup']],
]

/** Per-architecture extras; a name an ABI lacks is skipped when the profile is compiled. */
const ARCH_SPECIFIC: Record<string, string[]> = {
  x64: ['arch_prctl', 'modify_ldt'],
  arm64: ['arm_fadvise64_64', 'arm_sync_file_range', 'breakpoint', 'cacheflush', 'set_tls', 'sync_file_range2'],
}

/** The native ABI and the compat ABIs its kernel also runs. */
const ARCHITECTURES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
}

// personality(2) personas: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (query)
const PERSONAS = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff]

const allow = (names: string[]): SeccompSyscall => ({ names, action: 'SCMP_ACT_ALLOW' })
const eperm = (names: string[]): SeccompSyscall => ({ names, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM })

/**
 * The profile for a container whose bounding set is `capabilities`, on `arch` (node's
 * process.arch names).
 */
export function defaultSeccompProfile(capabilities: readonly string[], arch: string = process.arch): Seccomp {
  const has = (cap: string) => capabilities.includes(cap)
  const syscalls: SeccompSyscall[] = [
    eperm(DENIED),
    allow([...ALLOWED, ...(ARCH_SPECIFIC[arch] ?? [])]),
    ...PERSONAS.map((value): SeccompSyscall => ({ ...allow(['personality']), args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] })),
    ...BY_CAPABILITY.map(([cap, names]) => (has(cap) ? allow(names) : eperm(names))),
  ]
  if (has('CAP_AUDIT_WRITE')) {
    syscalls.push(allow(['socket']))
  } else {
    // no audit netlink socket without CAP_AUDIT_WRITE: EINVAL, as if the kernel had no audit support
    syscalls.push(
      { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: EINVAL,
        args: [{ index: 0, value: AF_NETLINK, op: 'SCMP_CMP_EQ' }, { index: 2, value: NETLINK_AUDIT, op: 'SCMP_CMP_EQ' }] },
      { ...allow(['socket']), args: [{ index: 2, value: NETLINK_AUDIT, op: 'SCMP_CMP_NE' }] },
      { ...allow(['socket']), args: [{ index: 0, value: AF_NETLINK, op: 'SCMP_CMP_NE' }] },
    )
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: ENOSYS,
    architectures: ARCHITECTURES[arch] ?? [],
    syscalls,
  }
}
