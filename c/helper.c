/*
 * cocker-helper: executes a launch plan sent by cocker (TypeScript) and
 * reports what happened. It decides nothing: which namespaces, mounts, ids
 * and capabilities come from the plan. This file is stage 0: it joins
 * namespaces, clones the container's init (init.c), maps ids, and then
 * either waits for the init and reports its exit, leaves it running, or
 * stays its monitor for its whole life (mode monitor, monitor.c).
 *
 *   TS                          stage 0 "cocker:[0:HELP]"         stage 1 "cocker:[1:INIT]"
 *   request (fd R) ----------->  parse; open paths; setns
 *                <------------  hello
 *                                clone(ns-new) -------------------> waits on release
 *                                maps ids (itself, or through
 *                                newuidmap/newgidmap)
 *                                joins cgroups
 *                <------------  pid
 *                                release --------------------------> runs C ops in order
 *                <------------  (forwards tagged lines) <---------- hooks / created / error
 *   hook state (fd S) ----------------------------------------------> (read at hooks-sync)
 *                <------------  started (status pipe EOF = execve done)
 *                <------------  exit (mode wait)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <termios.h>
#include <unistd.h>

#include "helper.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define MAX_PATHS 64

static int event_fd = -1;

/*
 * Started by bin/cocker-runtime (launch.c): node is our child and the caller
 * waits for us, so we leave only after node, with its status, and pass on
 * to it the signals that are not the container's.
 */
static pid_t node_pid;
static sigset_t forward_set; /* the signals passed on, to node or to the container */
static int finish(int code);

#if defined(__SANITIZE_ADDRESS__)
/*
 * The sanitizer build (tests): LeakSanitizer stops the world at exit by
 * walking /proc/self/task, which after joining a container's mount
 * namespace is the container's procfs, where we have no entry: it would spin
 * forever. Leaks are checked by the C unit tests instead.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/* mode monitor's settings (monitor.c); global so that a failure removes its socket */
static struct monitor monitor;

__attribute__((noreturn)) static void fail(const char *stage, const char *syscall, int err, const char *path,
					  const char *what)
{
	monitor_abort(&monitor);
	report_error(event_fd, 0, stage, syscall, err, path, "%s", what);
	exit(finish(1));
}

void helper_fail(const char *stage, const char *syscall, int err, const char *path, const char *what)
{
	fail(stage, syscall, err, path, what);
}

/*
 * A container that can write to /proc/self/exe of a helper process running
 * in it (exec mode) could replace the helper binary on the host
 * (CVE-2019-5736). So the helper always runs from a sealed, anonymous copy of
 * itself (util.c: exec_sealed); bin/cocker-runtime (launch.c) starts it so.
 */
static void ensure_sealed(char **argv)
{
	int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	const char *step;

	if (exe < 0)
		fail("seal", "open", errno, "/proc/self/exe", "cannot open the helper binary");
	if (fcntl(exe, F_GET_SEALS) > 0) {
		close(exe);
		return;
	}
	step = exec_sealed(exe, argv);
	fail("seal", step, errno, NULL, "cannot re-execute the helper from a sealed copy");
}

static void forward_to_node(int sfd);

static char *read_request(int fd, size_t *len, int sfd)
{
	size_t cap = 65536;
	char *buf = malloc(cap);

	*len = 0;
	while (buf) {
		ssize_t n;

		if (*len == cap) {
			/* one byte of room past the limit tells a request of exactly the limit from a larger one */
			if (cap > COCKER_REQUEST_MAX)
				fail("request", "read", EFBIG, NULL, "request too large");
			cap = cap * 2 > COCKER_REQUEST_MAX ? COCKER_REQUEST_MAX + 1 : cap * 2;
			buf = realloc(buf, cap);
			if (!buf)
				break;
		}
		if (sfd >= 0) {
			struct pollfd p[2] = { { fd, POLLIN, 0 }, { sfd, POLLIN, 0 } };

			if (poll(p, 2, -1) < 0 && errno != EINTR)
				fail("request", "poll", errno, NULL, "cannot wait for the request");
			if (p[1].revents & POLLIN)
				forward_to_node(sfd);
			if (!(p[0].revents & (POLLIN | POLLHUP)))
				continue;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("request", "read", errno, NULL, "cannot read the request");
		if (n == 0)
			return buf;
		*len += (size_t)n;
		if (*len > COCKER_REQUEST_MAX)
			fail("request", "read", EFBIG, NULL, "request too large");
	}
	fail("request", "malloc", ENOMEM, NULL, "out of memory");
	return NULL;
}

static int ns_flag(const char *type)
{
	static const struct {
		const char *name;
		int flag;
	} types[] = {
		{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },     { "pid", CLONE_NEWPID },
		{ "net", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC },    { "uts", CLONE_NEWUTS },
		{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, type) == 0)
			return types[i].flag;
	return 0;
}

static int parse_ns_list(const char *list)
{
	char buf[256], *save = NULL;
	int flags = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int f = ns_flag(t);

		if (!f)
			fail("ns-new", "clone", EINVAL, t, "unknown namespace type");
		flags |= f;
	}
	return flags;
}

struct stage0 {
	int detach;
	int clone_flags;
	int join_fd[MAX_PATHS], join_type[MAX_PATHS], njoin;
	char uid_map[4096], gid_map[4096];
	int setgroups_deny;
	const char *idmap_tools[2]; /* newuidmap, newgidmap: they write the maps, or NULL */
	int cgroup_fd[MAX_PATHS], ncgroup; /* cgroup.procs, for stage 0 to write the init's pid to */
	int tasks_fd[MAX_PATHS], ntasks;   /* v1 tasks files, for the init to write 0 to */
	int late_cgroupns; /* the init makes its cgroup namespace after joining its v1 cgroups */
	int into_cgroup; /* a cgroup2 directory the init is cloned straight into, or -1 */
	int into_index;  /* the cgroup-join it stands for: no cgroup.procs write for that one */
	int console, relay;
	int preserve;
	int fifo;
	int fuse;
	const char *time_offsets;
	const char *pid_file;	/* an external runtime's: stage 1 runs it, its init is in this file */
	int console_listen;	/* where that runtime sends the pty master (console-listen), or -1 */
	int console_dir;
	const char *console_name;
	const struct op *host_overlay, *host_expose; /* host-mounts.c */
	char nest_uid_map[4096], nest_gid_map[4096]; /* the init's, nested (clone_nested) */
};

static void append_map(char *map, size_t cap, struct op *op)
{
	size_t used = strlen(map);

	snprintf(map + used, cap - used, "%s %s %s\n", op->f[0].s, op->f[1].s, op->f[2].s);
}

static int connect_console(const char *path)
{
	struct sockaddr_un {
		sa_family_t sun_family;
		char sun_path[108];
	} addr = { AF_UNIX, { 0 } };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(addr.sun_path))
		fail("console-socket", "connect", ENAMETOOLONG, path, "console socket path too long");
	strcpy(addr.sun_path, path);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		fail("console-socket", "connect", errno, path, "cannot connect to the console socket");
	return s;
}

/* console-listen: the socket an external runtime connects to with --console-socket (0600, ours alone) */
static void listen_console(struct stage0 *s, const char *path)
{
	struct sockaddr_un addr;
	int len = unix_address(path, &addr, &s->console_dir, &s->console_name);
	mode_t old;

	if (len < 0)
		fail("console-listen", "open", errno, path, "cannot reach the console socket's directory");
	s->console_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	old = umask(0177);
	if (s->console_listen < 0 || bind(s->console_listen, (struct sockaddr *)&addr, (socklen_t)len) < 0 ||
	    listen(s->console_listen, 1) < 0)
		fail("console-listen", "bind", errno, path, "cannot listen on the console socket");
	umask(old);
}

/*
 * An external runtime (runtime-pid-file): stage 1 ran `RUNTIME create` and
 * then exec'd `RUNTIME start`, which the caller gave as its argv. When start
 * succeeds, the container's init is the pid the runtime wrote to the pid
 * file; `create` exited before, so the init was reparented to us, the
 * subreaper. With a terminal, `create` connected to the console socket and
 * sent the pty master before it exited: it waits in the backlog.
 */
static pid_t runtime_started(struct stage0 *s, pid_t start, int *master)
{
	char buf[32] = "";
	unsigned long long pid;
	int status, fd;
	ssize_t n;

	while (waitpid(start, &status, 0) < 0)
		if (errno != EINTR)
			fail("runtime-start", "waitpid", errno, NULL, "cannot wait for the runtime's start");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("runtime-start", "start", 0, s->pid_file, "the runtime could not start the container");
	fd = open(s->pid_file, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (n <= 0 || parse_ull(buf, 10, &pid) < 0 || pid == 0 || pid > INT_MAX)
		fail("runtime-pid-file", "read", n < 0 ? errno : EINVAL, s->pid_file, "the runtime wrote no pid file");
	if (s->console_listen >= 0) {
		int conn = accept4(s->console_listen, NULL, NULL, SOCK_CLOEXEC);

		*master = conn < 0 ? -1 : recv_fd(conn);
		if (*master < 0)
			fail("console-listen", "recvmsg", errno, NULL, "the runtime sent no terminal");
		close(conn);
		close(s->console_listen);
		unlinkat(s->console_dir, s->console_name, 0);
		close(s->console_dir);
	}
	return (pid_t)pid;
}

/*
 * cgroup v2 device rules: load the eBPF program TS compiled and attach it to
 * the container's cgroup, which keeps it (the fd may close). ALLOW_MULTI keeps
 * programs of parent cgroups in force too.
 */
static void attach_device_filter(const char *dir, const char *hex)
{
	size_t len = strlen(hex), n = len / 16;
	struct bpf_insn *insns = calloc(n ? n : 1, sizeof(*insns));
	unsigned char *bytes = (unsigned char *)insns;
	char log[4096] = "";
	union bpf_attr attr;
	int prog, cgroup;

	if (!insns || len % 16 || n == 0)
		fail("device-filter", "parse", EINVAL, dir, "bad device filter program");
	for (size_t i = 0; i < len / 2; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		unsigned long long v;

		if (parse_ull(byte, 16, &v) < 0)
			fail("device-filter", "parse", EINVAL, dir, "bad device filter program");
		bytes[i] = (unsigned char)v;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insn_cnt = (unsigned)n;
	attr.insns = (unsigned long long)(uintptr_t)insns;
	attr.license = (unsigned long long)(uintptr_t)"Apache-2.0";
	attr.log_level = 1;
	attr.log_size = sizeof(log);
	attr.log_buf = (unsigned long long)(uintptr_t)log;
	prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog < 0)
		fail("device-filter", "bpf", errno, dir, log[0] ? log : "the kernel refused the device filter");
	cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (unsigned)cgroup;
	attr.attach_bpf_fd = (unsigned)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (cgroup < 0 || syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		fail("device-filter", "bpf", errno, dir, "cannot attach the device filter to the cgroup");
	close(cgroup);
	close(prog);
	free(insns);
}

/*
 * How the init joins the cgroup of a cgroup.procs path. A migration written to
 * cgroup.procs takes the kernel's threadgroup lock, whose first taking after a
 * quiet spell waits out an RCU grace period (10-20 ms). Two ways around it:
 * on cgroup2 the init is born in the directory (clone3 CLONE_INTO_CGROUP, with
 * the fd in *dir); on cgroup v1 the init moves itself by writing 0 to the
 * directory's tasks file (fd in *tasks), the one move made without that lock:
 * a task moving itself alone, and the init is single-threaded. Either fd may
 * be -1; on any other filesystem both are.
 */
/*
 * A user namespace we are in already cannot be joined (setns says EINVAL): a monitor that
 * joined a rootless network namespace's runs its clean-up and health checks there, and their
 * helpers join the same one again. Other types can be joined again.
 */
static int already_in(int fd, int type)
{
	struct stat a, b;

	return type == CLONE_NEWUSER && fstat(fd, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void cgroup_join_fds(const char *procs, int *dir, int *tasks)
{
	char path[PATH_MAX];
	const char *slash = strrchr(procs, '/');
	struct statfs fs;
	int fd;

	*dir = *tasks = -1;
	if (!slash || (size_t)(slash - procs) + sizeof("/tasks") > sizeof(path))
		return;
	memcpy(path, procs, (size_t)(slash - procs));
	path[slash - procs] = '\0';
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstatfs(fd, &fs) < 0) {
		close(fd);
		return;
	}
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		*dir = fd;
		return;
	}
	if (fs.f_type == CGROUP_SUPER_MAGIC) {
		strcat(path, "/tasks");
		*tasks = open(path, O_WRONLY | O_CLOEXEC);
	}
	close(fd);
}

/*
 * Everything path-based is opened before any setns: after joining a mount
 * namespace, host paths no longer resolve.
 */
static void stage0_collect(struct plan *plan, struct stage0 *s)
{
	memset(s, 0, sizeof(*s));
	monitor_init(&monitor);
	s->console = s->relay = s->fifo = s->fuse = s->into_cgroup = s->console_listen = -1;
	for (size_t i = 0; i < plan->nops; i++) {
		struct op *op = &plan->ops[i];

		switch (op->code) {
		case OP_MODE:
			s->detach = strcmp(op->f[0].s, "detach") == 0;
			monitor.on = strcmp(op->f[0].s, "monitor") == 0;
			break;
		case OP_NS_JOIN:
			if (s->njoin == MAX_PATHS)
				fail("ns-join", "open", E2BIG, op->f[1].s, "too many namespaces to join");
			s->join_type[s->njoin] = ns_flag(op->f[0].s);
			s->join_fd[s->njoin] = open(op->f[1].s, O_RDONLY | O_CLOEXEC);
			if (!s->join_type[s->njoin] || s->join_fd[s->njoin] < 0)
				fail("ns-join", "open", s->join_type[s->njoin] ? errno : EINVAL, op->f[1].s,
				     "cannot open the namespace to join");
			s->njoin++;
			break;
		case OP_NS_NEW:
			s->clone_flags |= parse_ns_list(op->f[0].s);
			break;
		case OP_UID_MAP:
			append_map(s->uid_map, sizeof(s->uid_map), op);
			break;
		case OP_GID_MAP:
			append_map(s->gid_map, sizeof(s->gid_map), op);
			break;
		case OP_SETGROUPS_DENY:
			s->setgroups_deny = 1;
			break;
		case OP_IDMAP_EXTERNAL:
			s->idmap_tools[0] = op->f[0].s;
			s->idmap_tools[1] = op->f[1].s;
			break;
		case OP_CGROUP_JOIN: {
			int dir, tasks;

			if (s->ncgroup == MAX_PATHS || s->ntasks == MAX_PATHS)
				fail("cgroup-join", "open", E2BIG, op->f[0].s, "too many cgroups to join");
			cgroup_join_fds(op->f[0].s, &dir, &tasks);
			if (tasks >= 0) {
				s->tasks_fd[s->ntasks++] = tasks;
				break;
			}
			s->cgroup_fd[s->ncgroup] = open(op->f[0].s, O_WRONLY | O_CLOEXEC);
			if (s->cgroup_fd[s->ncgroup] < 0)
				fail("cgroup-join", "open", errno, op->f[0].s, "cannot open the cgroup");
			if (dir >= 0 && s->into_cgroup < 0) {
				s->into_cgroup = dir;
				s->into_index = s->ncgroup;
			} else if (dir >= 0) {
				close(dir);
			}
			s->ncgroup++;
			break;
		}
		case OP_CONSOLE_SOCKET:
			s->console = connect_console(op->f[0].s);
			break;
		case OP_CONSOLE_RELAY: {
			int sp[2];

			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
				fail("console-relay", "socketpair", errno, NULL, "cannot create the console relay");
			s->relay = sp[0];
			s->console = sp[1];
			break;
		}
		case OP_FIFO:
			/*
			 * Made here, with the runtime's rights: the init may run as
			 * an id that cannot reach the state directory. 0622 lets it
			 * reopen the fifo for writing through /proc/self/fd.
			 */
			if (mknod(op->f[0].s, S_IFIFO | 0622, 0) < 0 && errno != EEXIST)
				fail("fifo", "mknod", errno, op->f[0].s, "cannot create the exec fifo");
			chmod(op->f[0].s, 0622);
			s->fifo = open(op->f[0].s, O_PATH | O_CLOEXEC);
			if (s->fifo < 0)
				fail("fifo", "open", errno, op->f[0].s, "cannot open the exec fifo");
			break;
		case OP_DEVICE_FILTER:
			attach_device_filter(op->f[0].s, op->f[1].s);
			break;
		case OP_FUSE_DEV:
			/*
			 * Here, outside the container's cgroup: its device rules would
			 * refuse the open to the init (and to fuse-overlayfs, its child).
			 */
			s->fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
			if (s->fuse < 0)
				fail("fuse-dev", "open", errno, "/dev/fuse", "cannot open /dev/fuse");
			break;
		case OP_TIME_OFFSETS:
			s->time_offsets = op->f[0].s;
			break;
		case OP_RUNTIME_PID_FILE:
			s->pid_file = op->f[0].s;
			break;
		case OP_CONSOLE_LISTEN:
			listen_console(s, op->f[0].s);
			break;
		case OP_HOST_OVERLAY:
			s->host_overlay = op;
			break;
		case OP_HOST_EXPOSE:
			s->host_expose = op;
			break;
		case OP_NEST_UID_MAP:
			append_map(s->nest_uid_map, sizeof(s->nest_uid_map), op);
			break;
		case OP_NEST_GID_MAP:
			append_map(s->nest_gid_map, sizeof(s->nest_gid_map), op);
			break;
		case OP_PRESERVE_FDS: {
			unsigned long long n;

			if (parse_ull(op->f[0].s, 10, &n) < 0 || n > 1024)
				fail("preserve-fds", "parse", EINVAL, op->f[0].s, "bad fd count");
			s->preserve = (int)n;
			break;
		}
		default:
			monitor_op(&monitor, op);
			break;
		}
	}
}

static void write_proc_file(pid_t pid, const char *name, const char *data)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write_all(fd, data, strlen(data)) < 0)
		fail(name, "write", errno, path, "cannot write the id mapping");
	close(fd);
}

/* A running newuidmap or newgidmap. */
struct idmap_tool {
	const char *name;
	char cmdline[512]; /* for the message if it fails */
	pid_t pid;
	int out; /* its stdout and stderr: the reason it gives */
};

/*
 * Starts TOOL PID INSIDE OUTSIDE COUNT... for the map text ("0 1000 1\n1 100000 65536\n"),
 * with only its stdio of ours: its output comes back on a pipe, our signal mask is not its.
 */
static void idmap_start(struct idmap_tool *t, const char *tool, pid_t child, const char *map)
{
	char text[4096], pid[24], *argv[2 + sizeof(text) / 2 + 1], *save = NULL;
	size_t n = 0, used;
	int out[2];

	snprintf(text, sizeof(text), "%s", map);
	snprintf(pid, sizeof(pid), "%d", child);
	argv[n++] = (char *)tool;
	argv[n++] = pid;
	for (char *tok = strtok_r(text, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	t->name = tool;
	used = 0;
	for (size_t i = 0; argv[i] && used < sizeof(t->cmdline); i++)
		used += (size_t)snprintf(t->cmdline + used, sizeof(t->cmdline) - used, "%s%s", i ? " " : "", argv[i]);
	if (pipe2(out, O_CLOEXEC) < 0)
		fail("idmap-external", "pipe2", errno, NULL, "cannot make a pipe for the id mapping tools");
	t->pid = fork();
	if (t->pid < 0)
		fail("idmap-external", "fork", errno, tool, "cannot start the id mapping tool");
	if (t->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			for (int fd = 3; fd < 1024; fd++)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		execvp(tool, argv);
		dprintf(2, "cannot run %s: %s", tool, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	t->out = out[0];
}

/* Waits for the tool; on failure the container's init is killed and the tool's reason reported. */
static void idmap_finish(struct idmap_tool *t, pid_t child)
{
	char msg[512], what[1100];
	int status = 0;
	ssize_t n;

	while (waitpid(t->pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("idmap-external", "waitpid", errno, t->name, "cannot wait for the id mapping tool");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		close(t->out);
		return;
	}
	/* whatever it left running may hold the pipe: never block on it */
	fcntl(t->out, F_SETFL, O_NONBLOCK);
	n = read(t->out, msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	/* its last line says why */
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	snprintf(what, sizeof(what), "%s failed: %s", t->cmdline,
		 strrchr(msg, '\n') ? strrchr(msg, '\n') + 1 : msg[0] ? msg : "no reason given");
	kill(child, SIGKILL);
	fail("idmap-external", t->name, 0, NULL, what);
}

static void map_ids(struct stage0 *s, pid_t child)
{
	if (s->idmap_tools[0]) {
		/*
		 * Rootless with subordinate ids: the setuid tools write the maps,
		 * as /etc/subuid and /etc/subgid allow. Both run at once: each
		 * writes a file of its own, and each takes a few milliseconds.
		 */
		struct idmap_tool uid, gid;

		idmap_start(&uid, s->idmap_tools[0], child, s->uid_map);
		idmap_start(&gid, s->idmap_tools[1], child, s->gid_map);
		idmap_finish(&uid, child);
		idmap_finish(&gid, child);
		return;
	}
	/* gid_map can only be written by an unprivileged process after setgroups is denied */
	if (s->setgroups_deny)
		write_proc_file(child, "setgroups", "deny");
	if (s->uid_map[0])
		write_proc_file(child, "uid_map", s->uid_map);
	if (s->gid_map[0])
		write_proc_file(child, "gid_map", s->gid_map);
}

static void event_pid(const char *event, pid_t pid)
{
	struct jline j;

	jl_begin(&j, event);
	jl_int(&j, "pid", pid);
	jl_end(&j);
	jl_write(event_fd, 0, &j);
}

/*
 * Forwards stage 1's tagged lines to the event fd until the status pipe
 * closes (execve succeeded, or the init died). Returns 'E' if it reported an
 * error, 'C' if it reached the exec fifo (and we detach), else 0.
 */
static char forward_status(int status_fd, int detach)
{
	static char buf[65536];
	size_t len = 0;
	char last = 0;

	for (;;) {
		ssize_t n = read(status_fd, buf + len, sizeof(buf) - len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return last;
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len))) {
			size_t line = (size_t)(nl - buf) + 1;

			last = buf[0];
			write_all(event_fd, buf + 1, line - 1);
			memmove(buf, buf + line, len - line);
			len -= line;
			if (last == 'C' && detach)
				return last;
		}
		if (len == sizeof(buf))
			len = 0;
	}
}

static struct termios saved_tio;
static int tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void copy_winsize(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static int pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return -1;
	write_all(to, buf, (size_t)n);
	return 0;
}

/*
 * The relay's client typed the detach keys: its terminal back as it was, fds
 * 0-2 on /dev/null, `detached` sent and the event and sync pipes closed, so
 * the CLI returns. We stay the process's parent and keep its pty open (its
 * closing would hang the process up), in a session of our own so that what
 * ends the terminal's session does not reach us, reading what the process
 * writes until it ends, as podman's exec session conmon does.
 */
static void leave_relay(int sync_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct jline j;

	restore_tty();
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	jl_begin(&j, "detached");
	jl_end(&j);
	jl_write(event_fd, 0, &j);
	close(event_fd);
	close(sync_fd);
	event_fd = -1;
	setsid();
}

/*
 * Foreground: forward signals to the init, relay its pty if it has one, and
 * report how it ended. The exit code is 128+N for a signal (conmon's rule).
 * The detach keys typed on the relayed terminal leave the process running.
 */
static int wait_child(pid_t child, int master, sigset_t *mask, int sync_fd)
{
	int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	int in_open = master >= 0;
	int status = 0;
	struct detach_keys keys = { monitor.keys, monitor.nkeys, 0 };

	if (master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		struct termios raw = saved_tio;

		tio_saved = 1;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		copy_winsize(master);
	}
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 },
				       { master, POLLIN, 0 },
				       { in_open ? STDIN_FILENO : -1, POLLIN, 0 } };

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & (POLLIN | POLLHUP)) {
			if (pump(master, STDOUT_FILENO) < 0)
				master = -1;
		}
		if (p[2].revents & (POLLIN | POLLHUP)) {
			char in[8192], out[8192 + sizeof(monitor.keys)];
			ssize_t n = read(STDIN_FILENO, in, sizeof(in));
			size_t outn;

			if (n <= 0) {
				/* stdin ended: pass EOF on as the terminal's EOF character */
				if (master >= 0)
					write_all(master, "\x04", 1);
				in_open = 0;
			} else {
				int detach = detach_keys_filter(&keys, in, (size_t)n, out, &outn);

				if (master >= 0)
					write_all(master, out, outn);
				if (detach) {
					leave_relay(sync_fd);
					in_open = 0;
				}
			}
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH && master >= 0)
				copy_winsize(master);
			else if (si.ssi_signo != SIGCHLD)
				kill(child, (int)si.ssi_signo);
			if (waitpid(child, &status, WNOHANG) == child)
				break;
		}
	}
	while (master >= 0 && pump(master, STDOUT_FILENO) == 0)
		;
	restore_tty();
	if (event_fd >= 0)
		event_exit(event_fd, status);
	return 0;
}

static pid_t clone3_child(unsigned long long flags, int cgroup)
{
	struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };

	if (cgroup >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (unsigned long long)cgroup;
	}
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * fork() into the new namespaces (and, on cgroup2, straight into the cgroup). A time namespace needs care: its offsets
 * can only be written while no process is in it, so with offsets we make it
 * here (our children land in it), write them, then clone; without, clone3
 * takes CLONE_NEWTIME, which clone() cannot (the flag's bit is in the exit
 * signal's byte there).
 */
static pid_t clone_child(struct stage0 *s)
{
	if ((s->clone_flags & CLONE_NEWTIME) && s->time_offsets) {
		int fd;

		if (unshare(CLONE_NEWTIME) < 0)
			fail("time-offsets", "unshare", errno, NULL, "cannot create the time namespace");
		fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_all(fd, s->time_offsets, strlen(s->time_offsets)) < 0)
			fail("time-offsets", "write", errno, "/proc/self/timens_offsets", "cannot set the time offsets");
		close(fd);
		s->clone_flags &= ~CLONE_NEWTIME;
	}
	if (s->into_cgroup >= 0) {
		pid_t pid = clone3_child((unsigned long long)s->clone_flags, s->into_cgroup);

		if (pid >= 0 || !(errno == ENOSYS || errno == E2BIG || errno == EINVAL))
			return pid;
		/* a kernel without CLONE_INTO_CGROUP: the cgroup.procs write moves it after all */
		close(s->into_cgroup);
		s->into_cgroup = -1;
	}
	if (s->clone_flags & CLONE_NEWTIME)
		return clone3_child((unsigned long long)s->clone_flags, -1);
	return (pid_t)syscall(SYS_clone, (unsigned long)s->clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/*
 * Rootless, a container whose ids leave out the user's own (nest-uid-map):
 * its root could not reach the user's store. A middle process is cloned into
 * the user's own namespace (the uid-map and gid-map ops, root there), mounts
 * the overlay and hides the store as host-mounts.c does for root, then clones
 * the init into the container's namespaces, its user namespace nested in the
 * user's, and writes the init's maps (root of the parent namespace, it needs
 * no newuidmap). It sends us the init's pid and leaves; we, a subreaper, adopt
 * the init. Returns 0 in the init, its pid in stage 0.
 */
static pid_t clone_nested(struct stage0 *s)
{
	int go[2], report[2], cwd;
	pid_t mid, init = 0;
	ssize_t n;
	char c;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0)
		fail("clone", "pipe", errno, NULL, "cannot create the sync channels");
	if (s->into_cgroup >= 0) {
		/* the init is born in the middle process's cgroup; stage 0 moves it by its pid */
		close(s->into_cgroup);
		s->into_cgroup = -1;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	mid = (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | CLONE_NEWNS) | SIGCHLD, NULL, NULL, NULL, 0);
	if (mid < 0)
		fail("clone", "clone", errno, NULL, "cannot create the user's namespace");
	if (mid == 0) {
		close(go[1]);
		close(report[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			fail("clone", "setresuid", errno, NULL, "cannot become root of the user's namespace");
		host_mounts_enter(s->host_overlay, s->host_expose, &cwd);
		init = clone_child(s);
		if (init == 0)
			return 0;
		if (init < 0)
			fail("clone", "clone", errno, NULL, "cannot create the container's namespaces");
		write_proc_file(init, "uid_map", s->nest_uid_map);
		write_proc_file(init, "gid_map", s->nest_gid_map);
		_exit(write_all(report[1], &init, sizeof(init)) < 0);
	}
	close(go[0]);
	close(report[1]);
	map_ids(s, mid);
	n = write_all(go[1], "1", 1) < 0 ? 0 : read(report[0], &init, sizeof(init));
	close(go[1]);
	close(report[0]);
	waitpid(mid, NULL, 0);
	if (n != (ssize_t)sizeof(init)) {
		/* the middle process reported why on the event fd */
		monitor_abort(&monitor);
		exit(finish(1));
	}
	return init;
}

/* Ends as node ended: with its exit status, or killed by its signal. */
__attribute__((noreturn)) static void exit_like_node(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		sigset_t one;

		signal(sig, SIG_DFL);
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		kill(getpid(), sig);
		exit(128 + sig);
	}
	exit(WEXITSTATUS(status));
}

/* Takes one signal from sfd: node's end ends us, any other signal goes to node. */
static void forward_to_node(int sfd)
{
	struct signalfd_siginfo si;
	int status;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGCHLD)
		kill(node_pid, (int)si.ssi_signo);
	else if (waitpid(node_pid, &status, WNOHANG) == node_pid)
		exit_like_node(status);
}

/* Launched, our part is done: wait for node, which may still run hooks and write state. */
static int finish(int code)
{
	int sfd, status;

	if (node_pid <= 0)
		return code;
	sfd = signalfd(-1, &forward_set, SFD_CLOEXEC);
	for (;;) {
		pid_t r = waitpid(node_pid, &status, sfd < 0 ? 0 : WNOHANG);

		if (r == node_pid)
			exit_like_node(status);
		if (r < 0 && errno != EINTR)
			return code;
		if (sfd >= 0)
			forward_to_node(sfd);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: cocker-helper --request-fd N --event-fd N --sync-fd N [--node-pid PID]\n"
			"       cocker-helper --version\n"
			"The plan format is described in c/PROTOCOL.md.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int request_fd = -1, sync_fd = -1, release[2], status[2], master = -1;
	struct stage0 s;
	struct plan plan;
	struct jline j;
	char err[256], *buf, last;
	size_t len;
	pid_t child;
	int node_sfd = -1, host_mnt = -1, host_cwd = -1;

	if (argc > 1 && strcmp(argv[1], "attach") == 0)
		return attach_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "unpack") == 0)
		return unpack_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "copy-in") == 0)
		return copy_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "copy-out") == 0)
		return pack_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "layer-out") == 0)
		return layer_main(argc, argv);
	for (int i = 1; i < argc; i++) {
		unsigned long long v;

		if (strcmp(argv[i], "--version") == 0) {
			printf("cocker-helper protocol %d\n", COCKER_PROTOCOL);
			return 0;
		}
		if (i + 1 >= argc || parse_ull(argv[i + 1], 10, &v) < 0 || v > INT_MAX)
			usage();
		if (strcmp(argv[i], "--request-fd") == 0)
			request_fd = (int)v;
		else if (strcmp(argv[i], "--event-fd") == 0)
			event_fd = (int)v;
		else if (strcmp(argv[i], "--sync-fd") == 0)
			sync_fd = (int)v;
		else if (strcmp(argv[i], "--node-pid") == 0)
			node_pid = (pid_t)v;
		else
			usage();
		i++;
	}
	if (request_fd < 0 || event_fd < 0 || sync_fd < 0)
		usage();
	ensure_sealed(argv);
	/* our fds must not reach the container (after the re-exec, which needs them) */
	fcntl(request_fd, F_SETFD, FD_CLOEXEC);
	fcntl(event_fd, F_SETFD, FD_CLOEXEC);
	fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
	/* a reader that went away must give EPIPE, not kill us; stage 1 restores it */
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "cocker:[0:HELP]");
	forward_signal_set(&forward_set);
	if (node_pid > 0) {
		/* launch.c blocked them before the exec already: none is lost */
		sigprocmask(SIG_BLOCK, &forward_set, NULL);
		node_sfd = signalfd(-1, &forward_set, SFD_CLOEXEC);
	}

	jl_begin(&j, "hello");
	jl_int(&j, "protocol", COCKER_PROTOCOL);
	jl_str(&j, "version", COCKER_PROTOCOL_TAG);
	jl_end(&j);
	jl_write(event_fd, 0, &j);

	buf = read_request(request_fd, &len, node_sfd);
	close(request_fd);
	if (node_sfd >= 0)
		close(node_sfd);
	if (len == 0)
		return finish(0); /* node needed no helper (launched, or started beside node: launch.c) */
	if (plan_parse(buf, len, &plan, err, sizeof(err)) < 0)
		fail("request", "parse", EINVAL, NULL, err);

	stage0_collect(&plan, &s);
	/*
	 * A cgroup namespace is rooted at the cgroups its first process is in when
	 * the namespace is made. On cgroup v1 the init joins its cgroups itself
	 * (the tasks writes, stage 1), after the clone: so it makes the namespace
	 * then, as runc's init does, and the container sees its own cgroups as "/".
	 */
	if ((s.clone_flags & CLONE_NEWCGROUP) && s.ntasks > 0) {
		s.clone_flags &= ~CLONE_NEWCGROUP;
		s.late_cgroupns = 1;
	}
	if (monitor.on) {
		/*
		 * Out of the caller's session and process group, so that what ends
		 * them (a closed terminal, kill of the group) does not end us; and a
		 * subreaper, so the container's orphans are ours to reap.
		 */
		if (setsid() < 0)
			fail("mode", "setsid", errno, NULL, "cannot start the monitor's own session");
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		monitor_prepare(&monitor, s.console >= 0 || s.console_listen >= 0);
	}
	/*
	 * The user namespace is joined first: it grants the capabilities needed
	 * to join the others (the order is the plan's, which TS sorts).
	 */
	for (int i = 0; i < s.njoin; i++)
		if (!already_in(s.join_fd[i], s.join_type[i]) && setns(s.join_fd[i], s.join_type[i]) < 0)
			fail("ns-join", "setns", errno, NULL, "cannot join a namespace");

	/* signals to forward are blocked before the clone so none is lost */
	if (!s.detach)
		sigprocmask(SIG_BLOCK, &forward_set, NULL);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, release) < 0 ||
	    pipe2(status, O_CLOEXEC) < 0)
		fail("clone", "pipe", errno, NULL, "cannot create the sync channels");

	if (s.nest_uid_map[0]) {
		child = clone_nested(&s);
	} else {
		host_mnt = host_mounts_enter(s.host_overlay, s.host_expose, &host_cwd);
		child = clone_child(&s);
		if (child > 0)
			host_mounts_leave(host_mnt, host_cwd);
	}
	if (child < 0)
		fail("clone", "clone", errno, NULL, "cannot create the container's namespaces");
	if (child == 0) {
		struct stage1_fds fds = { release[1], status[1], sync_fd, s.console, s.preserve, s.fifo, s.fuse,
					  s.tasks_fd, s.ntasks, s.nest_uid_map[0] != '\0', s.late_cgroupns };

		node_pid = 0;
		close(release[0]);
		close(status[0]);
		if (s.relay >= 0)
			close(s.relay);
		sigprocmask(SIG_UNBLOCK, &forward_set, NULL);
		if (monitor.on)
			monitor_child_stdio(&monitor);
		stage1_run(&plan, &fds);
	}
	close(release[1]);
	close(status[1]);
	monitor_parent_ready(&monitor);
	if (s.fuse >= 0)
		close(s.fuse);
	if (s.relay >= 0)
		close(s.console);
	for (int i = 0; i < s.ntasks; i++)
		close(s.tasks_fd[i]);

	if ((s.clone_flags & CLONE_NEWUSER) && !s.nest_uid_map[0])
		map_ids(&s, child);
	for (int i = 0; i < s.ncgroup; i++) {
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%d", child);

		/* born there already: a write would be a migration to where it is, and as slow */
		if (s.into_cgroup >= 0 && i == s.into_index)
			continue;
		if (write(s.cgroup_fd[i], pid, (size_t)n) < 0) {
			kill(child, SIGKILL);
			fail("cgroup-join", "write", errno, NULL, "cannot move the container into its cgroup");
		}
		close(s.cgroup_fd[i]);
	}
	event_pid("pid", child);
	if (write_all(release[0], "1", 1) < 0)
		fail("clone", "write", errno, NULL, "the container's init died before it was released");

	last = forward_status(status[0], s.detach);
	if (last == 'E') {
		monitor_abort(&monitor);
		waitpid(child, NULL, 0);
		return finish(1);
	}
	if (last == 'C')
		return finish(0);
	/*
	 * EOF without an error: execve closed the CLOEXEC status pipe. (If the
	 * process already exited, its SIGCHLD is pending in the blocked mask and
	 * wait_child reaps it.)
	 */
	if (s.pid_file)
		child = runtime_started(&s, child, &master);
	event_pid("started", child);
	if (s.detach)
		return finish(0);
	if (s.relay >= 0) {
		master = recv_fd(s.relay);
		close(s.relay);
	}
	if (monitor.on) {
		/* it may live for months: nothing of the plan stays */
		plan_free(&plan);
		free(buf);
		malloc_trim(0);
		monitor_run(&monitor, child, master, &forward_set, event_fd, sync_fd);
	}
	return finish(wait_child(child, master, &forward_set, sync_fd));
}
