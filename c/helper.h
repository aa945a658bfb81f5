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
};
__attribute__((noreturn)) void stage1_run(struct plan *plan, struct stage1_fds *fds);

/* util */
int parse_ull(const char *s, int base, unsigned long long *out);
int write_all(int fd, const void *buf, size_t len);
int send_fd(int sock, int fd, const char *name);
int recv_fd(int sock);
const char *exec_sealed(int exe, char *const argv[]);
void forward_signal_set(sigset_t *set);

#endif
