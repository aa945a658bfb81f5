/*
 * The cocker-helper wire protocol: the one place on the C side that names
 * every op and event. lib/runtime/protocol.ts mirrors it, and a unit test
 * compares the two. Bump COCKER_PROTOCOL in both when anything changes.
 * c/PROTOCOL.md describes the format and the order of stages.
 */
#ifndef COCKER_PROTOCOL_H
#define COCKER_PROTOCOL_H

#define COCKER_PROTOCOL 7
#define COCKER_PROTOCOL_TAG "cocker-helper/7"

/* The request may not be larger than this: it is read whole into memory. */
#define COCKER_REQUEST_MAX (4 << 20)

/*
 * Ops. Phase P runs in stage 0 (the helper's first process, outside the new
 * namespaces); phase C runs in stage 1 (the container's init), in request order.
 * Shape: one letter per argument, 's' a token, 'v' a counted list
 * (a decimal count N, then N tokens).
 */
#define COCKER_OPS(X)                                                          \
	/* stage 0 */                                                          \
	X(OP_MODE, "mode", 'P', "s")             /* wait | detach | monitor */ \
	X(OP_NS_JOIN, "ns-join", 'P', "ss")      /* TYPE PATH: setns */        \
	X(OP_NS_NEW, "ns-new", 'P', "s")         /* TYPE,TYPE,...: clone */    \
	X(OP_UID_MAP, "uid-map", 'P', "sss")     /* INSIDE OUTSIDE COUNT */    \
	X(OP_GID_MAP, "gid-map", 'P', "sss")                                   \
	X(OP_SETGROUPS_DENY, "setgroups-deny", 'P', "")                        \
	X(OP_IDMAP_EXTERNAL, "idmap-external", 'P', "ss") /* UIDTOOL GIDTOOL */ \
	X(OP_CGROUP_JOIN, "cgroup-join", 'P', "s") /* cgroup.procs path */     \
	X(OP_CONSOLE_SOCKET, "console-socket", 'P', "s")                       \
	X(OP_CONSOLE_RELAY, "console-relay", 'P', "")                          \
	X(OP_PRESERVE_FDS, "preserve-fds", 'P', "s")                           \
	X(OP_FIFO, "fifo", 'P', "s")             /* create the exec fifo */    \
	X(OP_TIME_OFFSETS, "time-offsets", 'P', "s") /* timens_offsets text */ \
	X(OP_DEVICE_FILTER, "device-filter", 'P', "ss") /* CGROUP HEX-EBPF */ \
	X(OP_FUSE_DEV, "fuse-dev", 'P', "")     /* open /dev/fuse for fuse-overlay */ \
	/* mode monitor (monitor.c) */                                         \
	X(OP_MONITOR_EXIT, "monitor-exit", 'P', "s") /* PATH: the exit file */  \
	X(OP_MONITOR_LOG, "monitor-log", 'P', "s")   /* PATH: k8s-file log */   \
	X(OP_MONITOR_LOG_MAX, "monitor-log-max", 'P', "s") /* BYTES */         \
	X(OP_MONITOR_SOCKET, "monitor-socket", 'P', "s") /* PATH: attach */    \
	X(OP_MONITOR_STDIN, "monitor-stdin", 'P', "") /* stdin from clients */ \
	X(OP_MONITOR_PASSTHROUGH, "monitor-passthrough", 'P', "")              \
	X(OP_MONITOR_FOREGROUND, "monitor-foreground", 'P', "") /* fds 0-2 */  \
	X(OP_MONITOR_DETACH_KEYS, "monitor-detach-keys", 'P', "s") /* HEX */   \
	X(OP_MONITOR_CLEANUP, "monitor-cleanup", 'P', "v") /* ARGV at the end */ \
	X(OP_MONITOR_HEALTH, "monitor-health", 'P', "sv") /* MS ARGV */        \
	X(OP_MONITOR_RELEASE, "monitor-release", 'P', "ssv") /* LOCK STATE CGROUPS */ \
	X(OP_MONITOR_KILL_PIDFILE, "monitor-kill-pidfile", 'P', "s") /* PATH: the network process */ \
	X(OP_MONITOR_NOTIFY, "monitor-notify", 'P', "sss") /* SOCKET MODE PROXY-DIR: sd_notify */ \
	X(OP_MONITOR_REMOVE, "monitor-remove", 'P', "v") /* DIRS: emptied at the exit when the caller asks */ \
	X(OP_RUNTIME_PID_FILE, "runtime-pid-file", 'P', "s") /* external runtime's init */ \
	X(OP_CONSOLE_LISTEN, "console-listen", 'P', "s") /* receive its pty master */ \
	X(OP_HOST_OVERLAY, "host-overlay", 'P', "sss") /* DIR DATA CWD, before the clone */ \
	X(OP_HOST_EXPOSE, "host-expose", 'P', "sv") /* ROOT PATHS: all the init sees of ROOT */ \
	X(OP_NEST_UID_MAP, "nest-uid-map", 'P', "sss") /* the init's, in a userns nested in uid-map's */ \
	X(OP_NEST_GID_MAP, "nest-gid-map", 'P', "sss")                         \
	/* stage 1, in order */                                                \
	X(OP_SETID, "setid", 'C', "ss")          /* UID GID: setresgid+uid */  \
	X(OP_HOSTNAME, "hostname", 'C', "s")                                   \
	X(OP_DOMAINNAME, "domainname", 'C', "s")                               \
	X(OP_PROPAGATION, "propagation", 'C', "ss") /* PATH MS_FLAGS */        \
	X(OP_ROOTFS, "rootfs", 'C', "s")         /* bind rootfs on itself */   \
	X(OP_TREE_ROOTFS, "tree-rootfs", 'C', "ss") /* DIR PROP: a detached clone (no mount ns) */ \
	X(OP_DIR_ROOTFS, "dir-rootfs", 'C', "s") /* DIR as it is: nothing is mounted */ \
	X(OP_OVERLAY, "overlay", 'C', "sss")     /* DIR DATA CWD: mount it */  \
	X(OP_FUSE_OVERLAY, "fuse-overlay", 'C', "ssss") /* PROG DIR OPTS CWD */ \
	X(OP_FUSE_APART, "fuse-apart", 'C', "")  /* fuse-overlay daemons stay in this mount ns */ \
	X(OP_MOUNT, "mount", 'C', "ssssss")      /* SRC DST TYPE MS PROP DATA */ \
	X(OP_MKNOD, "mknod", 'C', "ssssss")      /* PATH MODE MAJ MIN UID GID */ \
	X(OP_SYMLINK, "symlink", 'C', "ss")      /* TARGET PATH */             \
	X(OP_MKDIR, "mkdir", 'C', "ss")          /* PATH MODE */               \
	X(OP_WRITE, "write", 'C', "ss")          /* PATH VALUE */              \
	X(OP_HOOK, "hook", 'C', "sssvv")         /* STAGE PATH TIMEOUT ARGV ENV */ \
	X(OP_HOOKS_SYNC, "hooks-sync", 'C', "s") /* STAGE: TS runs its hooks */ \
	X(OP_RUN_HOOKS, "run-hooks", 'C', "s")   /* STAGE */                   \
	X(OP_PIVOT_ROOT, "pivot-root", 'C', "")                                \
	X(OP_CHROOT, "chroot", 'C', "")          /* --no-pivot */              \
	X(OP_ENTER_ROOT, "enter-root", 'C', "s") /* chroot into PATH, "": the rootfs */ \
	X(OP_MASK, "mask", 'C', "s")                                           \
	X(OP_READONLY, "readonly", 'C', "s")                                   \
	X(OP_REMOUNT_RO, "remount-ro", 'C', "s")                               \
	X(OP_RLIMIT, "rlimit", 'C', "sss")       /* RESOURCE SOFT HARD */      \
	X(OP_UMASK, "umask", 'C', "s")           /* octal */                   \
	X(OP_CWD, "cwd", 'C', "s")                                             \
	X(OP_CONSOLE, "console", 'C', "ss")      /* ROWS COLS */               \
	X(OP_KEEP_CAPS, "keep-caps", 'C', "")                                  \
	X(OP_BOUNDING, "bounding", 'C', "s")     /* hex mask to keep */        \
	X(OP_GROUPS, "groups", 'C', "v")                                       \
	X(OP_CAPSET, "capset", 'C', "sss")       /* EFF PERM INH, hex */       \
	X(OP_AMBIENT, "ambient", 'C', "s")       /* hex mask */                \
	X(OP_NO_NEW_PRIVS, "no-new-privs", 'C', "")                            \
	X(OP_PERSONALITY, "personality", 'C', "s")                             \
	X(OP_SECCOMP, "seccomp", 'C', "ss")      /* FLAGS HEX-BPF */           \
	X(OP_ENV, "env", 'C', "s")               /* KEY=VALUE */               \
	X(OP_ARGV, "argv", 'C', "v")                                           \
	X(OP_CHECK_EXEC, "check-exec", 'C', "")  /* resolve argv[0] early */   \
	X(OP_FIFO_WAIT, "fifo-wait", 'C', "")    /* block until start */       \
	X(OP_DIE_WITH_PARENT, "die-with-parent", 'C', "") /* SIGKILL when stage 0 goes */ \
	X(OP_EXEC, "exec", 'C', "")                                            \
	X(OP_SPAWN_WAIT, "spawn-wait", 'C', "v") /* ARGV: run it, fail unless 0 */ \
	X(OP_REMOVE_TREE, "remove-tree", 'C', "s") /* rm -r, in the userns */  \
	X(OP_CHOWN, "chown", 'C', "sss")         /* lchown, in the userns */   \
	X(OP_EXIT, "exit", 'C', "")              /* end a plan with no exec */

#define X(e, n, p, s) e,
enum cocker_op { COCKER_OPS(X) OP__COUNT };
#undef X

/*
 * Events, helper -> TS, one JSON object per line on the event fd:
 *   {"event":"hello","protocol":2,"version":"..."}
 *   {"event":"pid","pid":N}              the container's init, as the host sees it
 *   {"event":"hooks","stage":"S"}        TS runs its hooks of stage S, then writes the state (u32 length + JSON) to the sync fd
 *   {"event":"created","pid":N}          init waits on the exec fifo
 *   {"event":"started","pid":N}          execve succeeded
 *   {"event":"exit","code":N[,"signal":"SIG"]}
 *   {"event":"detached"}                 mode monitor, or wait with a relay: the detach keys were typed
 *   {"event":"error","stage":"OP","syscall":"S","errno":N,"path":"P","message":"M"}
 */

/*
 * The monitor's attach socket (SOCK_SEQPACKET): each packet starts with one
 * of these bytes. Client to monitor: stdin bytes, close stdin, "ROWS COLS".
 * Monitor to client: stdout bytes, stderr bytes, the exit code in ASCII.
 */
#define ATTACH_STDIN 'i'
#define ATTACH_CLOSE 'c'
#define ATTACH_RESIZE 'w'
#define ATTACH_STDOUT 1
#define ATTACH_STDERR 2
#define ATTACH_EXIT 3

#endif
