/*
 * Declarations shared by the helper's files: the parsed request (plan.c),
 * the event writer (event.c), stage 0 (helper.c) and stage 1 (init.c).
 */
#ifndef COCKER_HELPER_H
#define COCKER_HELPER_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "protocol.h"

#define OP_MAX_FIELDS 6

/* One argument of an op: a token (s) or a counted list (v, NULL-terminated). */
struct field {
	const char *s;
	size_t n;
	char **v;
};

struct op {
	enum cocker_op code;
	struct field f[OP_MAX_FIELDS];
};

struct plan {
	struct op *ops;
	size_t nops;
};

struct op_info {
	const char *name;
	char phase;
	const char *shape;
};

extern const struct op_info op_table[OP__COUNT];

/* plan.c: parse NUL-separated tokens; on failure returns -1 and fills err. */
int plan_parse(char *buf, size_t len, struct plan *plan, char *err, size_t errlen);
void plan_free(struct plan *plan);

/* event.c: JSON lines on one fd, every string through one escaper. */
struct jline {
	char buf[16384];
	size_t len;
	int overflow;
};
void jl_begin(struct jline *j, const char *event);
void jl_str(struct jline *j, const char *key, const char *value);
void jl_int(struct jline *j, const char *key, long long value);
void jl_end(struct jline *j);
int jl_write(int fd, char tag, struct jline *j);
/* {"event":"exit","code":N[,"signal":"KILL"]} for a wait status: 128+N for a signal (conmon's rule) */
void event_exit(int fd, int status);

/*
 * Report a failed step: {"event":"error","stage":...}. tag is the one-byte
 * prefix used on stage 1's status pipe ('E'), or 0 on the event fd itself.
 */
void report_error(int fd, char tag, const char *stage, const char *syscall, int err,
		  const char *path, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* init.c: stage 1, the container's init. Never returns. */
struct stage1_fds {
	int release;	/* internal socket: stage 0 says go */
	int status;	/* internal pipe to stage 0, CLOEXEC: tagged JSON lines */
	int ts_sync;	/* TS -> helper: hook state */
	int console;	/* console socket (runc protocol) or relay socket, or -1 */
	int preserve;	/* fds 3..3+preserve-1 are handed on */
	int fifo;	/* O_PATH fd of the exec fifo, or -1 */
	int fuse;	/* /dev/fuse, opened before the init joins its cgroup, or -1 */
	const int *tasks; /* cgroup v1 tasks files the init writes 0 to, joining them (helper.c) */
	int ntasks;
	int nested; /* cloned by clone_nested's middle process, which leaves before the release */
	int cgroupns; /* unshare the cgroup namespace once the tasks are written */
};
__attribute__((noreturn)) void stage1_run(struct plan *plan, struct stage1_fds *fds);

/*
 * monitor.c: mode monitor, in which stage 0 stays the init's parent (conmon's
 * role). helper.c hands it the monitor-* ops, makes the init's stdio with it,
 * and gives it the init once it has started.
 */
struct monitor {
	int on;			/* mode monitor */
	int exit_dir;		/* the exit file's directory, opened before any setns */
	char *exit_name;
	int kill_dir;		/* monitor-kill-pidfile: its directory and name, or -1 */
	char *kill_name;
	int log_fd;		/* the k8s-file log, or -1 */
	unsigned long long log_max;
	int sock_dir;		/* the attach socket's directory and name, to remove it at the end */
	char *sock_name;
	int listen_fd;
	int stdin_on, foreground, passthrough, tty;
	unsigned char keys[32];	/* the detach keys */
	size_t nkeys;
	char **cleanup;		/* argv run at the end, or NULL */
	char *release_lock;	/* monitor-release: the container's lock, or NULL */
	char *release_state;	/* the runtime's state dir of the container */
	char **release_cgroups;	/* its cgroups */
	size_t nrelease_cgroups;
	unsigned long long health_ms;
	char **health;
	int notify_fd, notify_proxy; /* monitor-notify: the systemd socket, the container's; or -1 */
	char notify_mode;	     /* 'c'onmon, 'h'ealthy or 'C'ontainer */
	int *remove;		     /* monitor-remove: its directories, opened before any setns */
	size_t nremove;
	int userns;		     /* the init's user namespace, for them, or -1 */
	int in[2], out[2], err[2]; /* the init's stdio pipes, -1 when unused */
};
void monitor_init(struct monitor *m);
int monitor_op(struct monitor *m, const struct op *op); /* 1 if op was a monitor op */
void monitor_prepare(struct monitor *m, int tty);	  /* before the clone: pipes */
void monitor_child_stdio(struct monitor *m);		  /* in the init: its stdio */
void monitor_parent_ready(struct monitor *m);		  /* stage 0, after the clone */
void monitor_abort(struct monitor *m);			  /* a failed start: remove the socket */
__attribute__((noreturn)) void monitor_run(struct monitor *m, pid_t init, int master, const sigset_t *mask,
					   int event_fd, int sync_fd);
/* helper.c: reports a stage 0 failure on the event fd and exits 1 */
__attribute__((noreturn)) void helper_fail(const char *stage, const char *syscall, int err, const char *path,
					   const char *what);
/* release.c: the monitor's own clean-up (monitor-release) */
int release_lock(const char *path);
int release_oom_killed(char *const *dirs, size_t n);
int release_cgroups(char *const *dirs, size_t n);
int release_state_dir(const char *dir);
/*
 * host-mounts.c, stage 0: host-overlay and host-expose done before the clone,
 * in a mount namespace the init's is copied from; returns the fd to go back
 * with after the clone (-1: none was needed), *cwd ours to return to.
 */
int host_mounts_enter(const struct op *overlay, const struct op *exposed, int *cwd);
void host_mounts_leave(int back, int cwd);
/* attach.c: cocker-helper attach SOCKET ... */
int attach_main(int argc, char **argv);
/* cocker-helper unpack DIR NS UIDLIMIT GIDLIMIT: a layer's tar on stdin into DIR (unpack.c) */
int unpack_main(int argc, char **argv);
/* cocker-helper copy-in ROOT DEST OWNER PLACE*8: a `cp` archive on stdin placed in ROOT (unpack.c) */
int copy_main(int argc, char **argv);
/* cocker-helper copy-out ROOT SRC TOP: SRC, looked up inside ROOT, as a tar on stdout (pack.c) */
int pack_main(int argc, char **argv);
/* cocker-helper layer-out DIR upper|tree NS UIDS GIDS STAGE: commit's layer as a tar on stdout, staged alike (pack.c) */
int layer_main(int argc, char **argv);
/* rm -r relative to parent, never following a symlink (init.c) */
int remove_at(int parent, const char *name);

/* util */
int parse_ull(const char *s, int base, unsigned long long *out);
int write_all(int fd, const void *buf, size_t len);
int send_fd(int sock, int fd, const char *name);
int recv_fd(int sock);
const char *exec_sealed(int exe, char *const argv[]);
void forward_signal_set(sigset_t *set);
/*
 * A unix socket address for PATH that fits sun_path whatever PATH's length:
 * PATH's directory is opened (O_PATH, *dir) and named through /proc/self/fd.
 * Returns the address length, or -1 with errno set.
 */
struct sockaddr_un;
int unix_address(const char *path, struct sockaddr_un *addr, int *dir, const char **name);
/*
 * Detach keys (podman's rule): bytes that start the sequence are held; a
 * byte that breaks the match lets the held ones through. Copies what passes
 * to out (room for n + the sequence's length) and returns 1 on the whole sequence.
 */
struct detach_keys {
	const unsigned char *seq;
	size_t n, matched;
};
int detach_keys_filter(struct detach_keys *k, const char *in, size_t n, char *out, size_t *outn);
int parse_hex_bytes(const char *hex, unsigned char *out, size_t cap, size_t *n);
void crash_point(const char *name);

#endif
