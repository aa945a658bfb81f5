/*
 * Mode monitor: stage 0 stays the parent of the container's init for its
 * whole life, in the role conmon has for podman. It has left the caller's
 * session (setsid, so killing the CLI's process group or session does not
 * reach it) and is a subreaper, so every process the container orphans
 * comes back to it to be reaped.
 *
 *   CLI (node) --spawn--> monitor "cocker:[0:HELP]" --clone--> init
 *        events/sync                 | stdout/stderr pipes (or the pty master) -> log, clients
 *        (foreground only)           | stdin pipe (or the pty master) <- clients
 *                                    | attach socket (SOCK_SEQPACKET), clients come and go
 *                                    | SIGCHLD: the init ended -> exit file -> cleanup
 *
 * Foreground, the monitor's own fds 0-2 (the CLI's) are a client from the
 * start and the CLI waits on the event fd as in mode wait; once the init has
 * ended, one byte on the sync fd says the CLI cleans up, EOF that it died
 * and the monitor must. Detached, it closes every fd the CLI waits on at
 * `started`, so the CLI can exit at once.
 *
 * It holds little: the plan is freed before the loop (helper.c), buffers are
 * static, so its resident memory stays that of a small C program.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define MAX_CLIENTS 64
#define CHUNK 8192

#define die_setup(stage, syscall, path, what) helper_fail(stage, syscall, errno, path, what)

void monitor_init(struct monitor *m)
{
	memset(m, 0, sizeof(*m));
	m->exit_dir = m->kill_dir = m->log_fd = m->sock_dir = m->listen_fd = -1;
	m->notify_fd = m->notify_proxy = m->userns = -1;
	for (int i = 0; i < 2; i++)
		m->in[i] = m->out[i] = m->err[i] = -1;
	/* systemd's socket reaches the monitor by monitor-notify only: no runtime, hook or clean-up inherits it */
	unsetenv("NOTIFY_SOCKET");
}

/*
 * monitor-notify. systemd takes a notification from a process of the unit's
 * cgroup only: the monitor is one, the container's processes (in cgroups of
 * their own) are not. So the monitor speaks for them: its own MAINPID and
 * READY=1, or what the container sends to the socket bound here for it.
 */
static void notify_setup(struct monitor *m, const char *socket_path, const char *mode, const char *proxy_dir)
{
	struct sockaddr_un addr;
	const char *name;
	int dir = -1, len = 0;

	m->notify_mode = strcmp(mode, "healthy") == 0 ? 'h' : strcmp(mode, "container") == 0 ? 'C' : 'c';
	/* as sd_notify(3): a socket nobody listens on is no reason to fail the container */
	if (socket_path[0] == '@' && strlen(socket_path) < sizeof(addr.sun_path)) { /* abstract: a leading NUL */
		memset(&addr, 0, sizeof(addr));
		addr.sun_family = AF_UNIX;
		len = (int)strlen(socket_path);
		memcpy(addr.sun_path + 1, socket_path + 1, (size_t)len - 1);
		len += (int)offsetof(struct sockaddr_un, sun_path);
	} else if (socket_path[0] == '/') {
		len = unix_address(socket_path, &addr, &dir, &name);
	}
	if (len > 0) {
		m->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (m->notify_fd >= 0 && connect(m->notify_fd, (struct sockaddr *)&addr, (socklen_t)len) < 0) {
			close(m->notify_fd);
			m->notify_fd = -1;
		}
	}
	if (dir >= 0)
		close(dir);
	if (!proxy_dir[0])
		return;
	dir = open(proxy_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		die_setup("monitor-notify", "open", proxy_dir, "cannot open the container's notify directory");
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/notify.sock", dir);
	unlinkat(dir, "notify.sock", 0); /* an earlier run's */
	m->notify_proxy = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* 0666: the container's user, whoever it maps to, may send */
	if (m->notify_proxy < 0 || bind(m->notify_proxy, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    fchmodat(dir, "notify.sock", 0666, 0) < 0)
		die_setup("monitor-notify", "bind", proxy_dir, "cannot make the container's notify socket");
	close(dir);
}

static char **copy_argv(const struct field *f)
{
	char **v = calloc(f->n + 1, sizeof(*v));

	for (size_t i = 0; v && i < f->n; i++)
		v[i] = strdup(f->v[i]);
	return v;
}

static void listen_socket(struct monitor *m, const char *path)
{
	struct sockaddr_un addr;
	const char *name;
	int len = unix_address(path, &addr, &m->sock_dir, &name);
	mode_t old;

	if (len < 0)
		die_setup("monitor-socket", "open", path, "cannot reach the attach socket's directory");
	m->sock_name = strdup(name);
	/* a socket left by an earlier monitor of this container */
	if (unlinkat(m->sock_dir, name, 0) < 0 && errno != ENOENT)
		die_setup("monitor-socket", "unlink", path, "cannot remove the old attach socket");
	m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	old = umask(0177); /* 0600: only the owner may attach */
	if (m->listen_fd < 0 || bind(m->listen_fd, (struct sockaddr *)&addr, (socklen_t)len) < 0 ||
	    listen(m->listen_fd, 16) < 0)
		die_setup("monitor-socket", "bind", path, "cannot listen on the attach socket");
	umask(old);
}

/* PATH's directory (O_PATH) and its last component, for a file written or read later */
static void open_parent(const char *stage, const char *path, int *dir_fd, char **name)
{
	const char *slash = strrchr(path, '/');
	char *dir = strndup(path, slash ? (size_t)(slash - path) : 0);

	*dir_fd = open(dir && dir[0] ? dir : slash ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (*dir_fd < 0)
		die_setup(stage, "open", path, "cannot open the file's directory");
	*name = strdup(slash ? slash + 1 : path);
}

/* Paths are opened here, before any setns: host paths may not resolve after it. */
int monitor_op(struct monitor *m, const struct op *op)
{
	const char *arg = op->f[0].s;

	switch (op->code) {
	case OP_MONITOR_EXIT:
		open_parent("monitor-exit", arg, &m->exit_dir, &m->exit_name);
		return 1;
	case OP_MONITOR_KILL_PIDFILE:
		open_parent("monitor-kill-pidfile", arg, &m->kill_dir, &m->kill_name);
		return 1;
	case OP_MONITOR_LOG:
		m->log_fd = open(arg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (m->log_fd < 0)
			die_setup("monitor-log", "open", arg, "cannot open the log file");
		return 1;
	case OP_MONITOR_LOG_MAX:
		if (parse_ull(arg, 10, &m->log_max) < 0)
			die_setup("monitor-log-max", "parse", arg, "bad size");
		return 1;
	case OP_MONITOR_SOCKET:
		listen_socket(m, arg);
		return 1;
	case OP_MONITOR_STDIN:
		m->stdin_on = 1;
		return 1;
	case OP_MONITOR_PASSTHROUGH:
		m->passthrough = 1;
		return 1;
	case OP_MONITOR_FOREGROUND:
		m->foreground = 1;
		return 1;
	case OP_MONITOR_DETACH_KEYS:
		if (parse_hex_bytes(arg, m->keys, sizeof(m->keys), &m->nkeys) < 0)
			die_setup("monitor-detach-keys", "parse", arg, "bad detach keys");
		return 1;
	case OP_MONITOR_CLEANUP:
		m->cleanup = copy_argv(&op->f[0]);
		return 1;
	case OP_MONITOR_RELEASE:
		m->release_lock = strdup(arg);
		m->release_state = strdup(op->f[1].s);
		m->release_cgroups = copy_argv(&op->f[2]);
		m->nrelease_cgroups = op->f[2].n;
		return 1;
	case OP_MONITOR_NOTIFY:
		notify_setup(m, arg, op->f[1].s, op->f[2].s);
		return 1;
	case OP_MONITOR_REMOVE:
		m->remove = calloc(op->f[0].n + 1, sizeof(*m->remove));
		for (size_t i = 0; m->remove && i < op->f[0].n; i++) {
			m->remove[m->nremove] = open(op->f[0].v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (m->remove[m->nremove] >= 0)
				m->nremove++;
		}
		return 1;
	case OP_MONITOR_HEALTH:
		if (parse_ull(arg, 10, &m->health_ms) < 0 || m->health_ms == 0)
			die_setup("monitor-health", "parse", arg, "bad interval");
		m->health = copy_argv(&op->f[1]);
		return 1;
	default:
		return 0;
	}
}

void monitor_prepare(struct monitor *m, int tty)
{
	m->tty = tty;
	if (m->passthrough || tty)
		return;
	if (pipe2(m->out, O_CLOEXEC) < 0 || pipe2(m->err, O_CLOEXEC) < 0 ||
	    (m->stdin_on && pipe2(m->in, O_CLOEXEC) < 0))
		die_setup("monitor", "pipe", NULL, "cannot create the container's stdio pipes");
}

/* In the init, before stage 1: its stdio. With a tty the `console` op replaces it. */
void monitor_child_stdio(struct monitor *m)
{
	int null;

	if (m->passthrough)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	dup2(m->in[0] >= 0 ? m->in[0] : null, 0);
	dup2(m->out[1] >= 0 ? m->out[1] : null, 1);
	dup2(m->err[1] >= 0 ? m->err[1] : null, 2);
}

void monitor_parent_ready(struct monitor *m)
{
	if (m->in[0] >= 0)
		close(m->in[0]);
	if (m->out[1] >= 0)
		close(m->out[1]);
	if (m->err[1] >= 0)
		close(m->err[1]);
	m->in[0] = m->out[1] = m->err[1] = -1;
}

void monitor_abort(struct monitor *m)
{
	if (m->sock_dir >= 0 && m->sock_name)
		unlinkat(m->sock_dir, m->sock_name, 0);
}

/* ---- the loop's state ---- */

static struct monitor *mon;
static pid_t init_pid;
static int master = -1;		/* the pty, with a tty */
static int stdin_fd = -1;	/* where container input goes: the stdin pipe or the master */
static int fg;			/* the foreground client (our fds 0-2) is attached */
static int fg_in;		/* and we read its fd 0 */
static int event_out = -1, sync_in = -1;
static struct detach_keys fg_keys;
static int clients[MAX_CLIENTS], nclients;
static char pending[65536 + 64]; /* container input that did not fit in the pipe yet */
static size_t pending_len, pending_off;
static int close_stdin_after; /* a client asked for EOF while input was pending */
static pid_t health_pid;
static struct termios saved_tio;
static int tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = 0;
}

/*
 * The foreground terminal's size to the container's. SIGWINCH reaches us only
 * through the CLI (we left its session), after keys typed at the new size may
 * have come: so input checks the size too, and only a change is passed on.
 */
static void copy_winsize(void)
{
	static struct winsize last;
	struct winsize ws;

	if (master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    (ws.ws_row != last.ws_row || ws.ws_col != last.ws_col)) {
		ioctl(master, TIOCSWINSZ, &ws);
		last = ws;
	}
}

/* `2026-12-03T14:38:28.123456789+01:00`: local time with its offset, as podman's k8s-file */
static size_t log_stamp(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	long off;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
	return (size_t)snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02ld:%02ld", tm.tm_year + 1900,
				tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec,
				tm.tm_gmtoff < 0 ? '-' : '+', off / 3600, off / 60 % 60);
}

static unsigned long long log_size;
static char logbuf[CHUNK + 4096];
static size_t loglen;

static void log_flush(void)
{
	if (!loglen)
		return;
	if (write_all(mon->log_fd, logbuf, loglen) == 0)
		log_size += loglen;
	loglen = 0;
}

/*
 * One entry per line: `STAMP stdout F text`. A piece without its newline is
 * a P (partial) entry, ended with a newline so the file stays line-based; the
 * rest of that line comes as an entry of its own.
 */
static void log_output(int stream, const char *buf, size_t n)
{
	char stamp[64];
	size_t slen;

	if (mon->log_fd < 0 || n == 0)
		return;
	slen = log_stamp(stamp, sizeof(stamp));
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t line = nl ? (size_t)(nl - buf) : n;
		const char *head = stream == ATTACH_STDERR ? " stderr " : " stdout ";

		/* max-size: an entry that would pass it starts the log again from empty (O_APPEND writes at the new end) */
		if (mon->log_max && log_size + loglen + slen + 11 + line > mon->log_max && log_size + loglen > 0) {
			loglen = 0;
			if (ftruncate(mon->log_fd, 0) == 0)
				log_size = 0;
		}
		if (loglen + slen + 11 + line + 1 > sizeof(logbuf))
			log_flush();
		if (slen + 11 + line + 1 > sizeof(logbuf)) {
			/* longer than the buffer: a partial entry of what fits */
			line = sizeof(logbuf) - slen - 12;
			nl = NULL;
		}
		memcpy(logbuf + loglen, stamp, slen);
		loglen += slen;
		memcpy(logbuf + loglen, head, 8);
		loglen += 8;
		logbuf[loglen++] = nl ? 'F' : 'P';
		logbuf[loglen++] = ' ';
		memcpy(logbuf + loglen, buf, line);
		loglen += line;
		logbuf[loglen++] = '\n';
		if (nl)
			line++;
		buf += line;
		n -= line;
	}
	log_flush();
}

static void drop_client(int i)
{
	close(clients[i]);
	clients[i] = clients[--nclients];
}

static void send_clients(const char *frame, size_t n)
{
	for (int i = 0; i < nclients; i++)
		if (send(clients[i], frame, n, MSG_NOSIGNAL) < 0)
			drop_client(i--);
}

/* Reads one chunk of the container's output; -1 at its end. */
static int relay_output(int fd, int stream)
{
	static char frame[1 + CHUNK];
	ssize_t n = read(fd, frame + 1, CHUNK);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1; /* EOF, or EIO: the pty's last slave closed */
	log_output(stream, frame + 1, (size_t)n);
	if (fg && write_all(stream == ATTACH_STDERR ? 2 : 1, frame + 1, (size_t)n) < 0 && errno != EAGAIN)
		fg = fg_in = 0; /* the CLI's output is gone: keep the container running */
	frame[0] = (char)stream;
	send_clients(frame, (size_t)n + 1);
	return 0;
}

static void close_stdin(void)
{
	if (pending_len) {
		close_stdin_after = 1;
		return;
	}
	if (master >= 0 && stdin_fd == master) {
		/* a terminal's end of input is its EOF character */
		if (write(master, "\x04", 1) < 0) { /* the pty is gone */
		}
	} else if (stdin_fd >= 0) {
		close(stdin_fd);
	}
	stdin_fd = -1;
}

/* Sends what is pending to the container; returns -1 while some stays. */
static int flush_stdin(void)
{
	while (pending_off < pending_len) {
		ssize_t n = write(stdin_fd, pending + pending_off, pending_len - pending_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return -1;
		if (n <= 0) {
			pending_off = pending_len; /* the container closed its stdin: drop it */
			break;
		}
		pending_off += (size_t)n;
	}
	pending_len = pending_off = 0;
	if (close_stdin_after) {
		close_stdin_after = 0;
		close_stdin();
	}
	return 0;
}

static void feed_stdin(const char *buf, size_t n)
{
	if (stdin_fd < 0 || n == 0)
		return;
	memcpy(pending, buf, n);
	pending_len = n;
	pending_off = 0;
	flush_stdin();
}

static void event_simple(const char *name)
{
	struct jline j;

	jl_begin(&j, name);
	jl_end(&j);
	jl_write(event_out, 0, &j);
}

/* The CLI is no longer ours to serve: its terminal back as it was, fds 0-2 on /dev/null. */
static void leave_foreground(int detached)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	restore_tty();
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	fg = fg_in = 0;
	if (detached)
		event_simple("detached");
	if (event_out >= 0)
		close(event_out);
	if (sync_in >= 0)
		close(sync_in);
	event_out = sync_in = -1;
}

static void read_foreground(void)
{
	static char in[CHUNK], out[CHUNK + sizeof(mon->keys)];
	ssize_t n = read(STDIN_FILENO, in, sizeof(in));
	size_t outn;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		fg_in = 0;
		close_stdin();
		return;
	}
	copy_winsize();
	if (detach_keys_filter(&fg_keys, in, (size_t)n, out, &outn)) {
		feed_stdin(out, outn);
		leave_foreground(1);
		return;
	}
	feed_stdin(out, outn);
}

static void read_client(int i)
{
	static char packet[65536];
	ssize_t n = recv(clients[i], packet, sizeof(packet) - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		drop_client(i);
		return;
	}
	switch (packet[0]) {
	case ATTACH_STDIN:
		feed_stdin(packet + 1, (size_t)n - 1);
		break;
	case ATTACH_CLOSE:
		close_stdin();
		break;
	case ATTACH_RESIZE: {
		unsigned rows, cols;
		struct winsize ws = { 0 };

		packet[n] = '\0';
		if (master >= 0 && sscanf(packet + 1, "%u %u", &rows, &cols) == 2) {
			ws.ws_row = (unsigned short)rows;
			ws.ws_col = (unsigned short)cols;
			ioctl(master, TIOCSWINSZ, &ws);
		}
		break;
	}
	default:
		break;
	}
}

static void accept_clients(void)
{
	for (;;) {
		int c = accept4(mon->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		struct timeval tv = { 5, 0 };

		if (c < 0)
			return;
		if (nclients == MAX_CLIENTS) {
			close(c);
			continue;
		}
		/* a client that stops reading is dropped rather than stall the container's output */
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		clients[nclients++] = c;
	}
}

/* A child with stdio on /dev/null, no fd of ours, signals as new, in our session. */
static void exec_detached(char **argv)
{
	int null = open("/dev/null", O_RDWR);
	sigset_t none;

	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(argv[0], argv);
	_exit(127);
}

static void run_health(void)
{
	if (health_pid > 0)
		return; /* never two at once */
	health_pid = fork();
	if (health_pid == 0)
		exec_detached(mon->health);
	if (health_pid < 0)
		health_pid = 0;
}

static void notify(const char *msg)
{
	if (mon->notify_fd >= 0)
		send(mon->notify_fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* A datagram from the container for systemd: passed on without its MAINPID= lines. */
static void relay_notify(void)
{
	char in[4096], out[sizeof(in)];
	ssize_t n = recv(mon->notify_proxy, in, sizeof(in) - 1, MSG_DONTWAIT);
	size_t o = 0;

	if (n <= 0)
		return;
	in[n] = 0;
	for (char *line = in, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strncmp(line, "MAINPID=", 8) != 0 && *line)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", line);
	}
	if (o)
		notify(out);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what the container wrote before it ended, without waiting for writers it left behind. */
static void drain(int *fd, int stream)
{
	if (*fd < 0)
		return;
	fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd p = { *fd, POLLIN, 0 };

		if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)) || relay_output(*fd, stream) < 0)
			break;
	}
}

/* The exit file but its closing brace, kept so that the rewrite after the release says the same */
static char exit_json[256];
static int exit_len;

static void make_exit_json(int status, int code, int oom)
{
	char stamp[64];
	struct timespec ts;
	struct tm tm;
	const char *sig = WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	exit_len = snprintf(exit_json, sizeof(exit_json), "{\"exitCode\":%d%s%s%s,\"finishedAt\":\"%s.%09ldZ\"%s", code,
			    sig ? ",\"signal\":\"" : "", sig ? sig : "", sig ? "\"" : "", stamp, ts.tv_nsec,
			    oom ? ",\"oomKilled\":true" : "");
}

/*
 * The exit file, in the format lib/container/record.ts defines (ExitFile),
 * with `more` fields at its end. Whole or not at all (rename); 0 once written.
 */
static int write_exit_file(const char *more)
{
	char tmp[4096];
	int fd;

	if (mon->exit_dir < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", mon->exit_name);
	fd = openat(mon->exit_dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, exit_json, (size_t)exit_len) == 0 && write_all(fd, more, strlen(more)) == 0 &&
	    write_all(fd, "}\n", 2) == 0 && close(fd) == 0 &&
	    renameat(mon->exit_dir, tmp, mon->exit_dir, mon->exit_name) == 0)
		return 0;
	unlinkat(mon->exit_dir, tmp, 0);
	return -1;
}

/* Whether the exit file is still the one we wrote: a `start` meanwhile removes it. */
static int exit_file_ours(void)
{
	char buf[sizeof(exit_json) + 64];
	int fd = openat(mon->exit_dir, mon->exit_name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > exit_len && memcmp(buf, exit_json, (size_t)exit_len) == 0;
}

/*
 * monitor-release (release.c): the clean-up without node, under the
 * container's lock and only for the run whose exit file we wrote. Once all is
 * released the exit file says so ("cleanedUp"), and `system check` leaves the
 * container alone. 0 when done (or no longer ours to do); -1 when the node
 * clean-up must finish it.
 */
static int release(void)
{
	int rc = 0;

	if (release_lock(mon->release_lock) < 0)
		return -1;
	crash_point("monitor:release-locked");
	if (exit_file_ours()) {
		rc = release_cgroups(mon->release_cgroups, mon->nrelease_cgroups);
		crash_point("monitor:release-cgroups");
		if (rc == 0)
			rc = release_state_dir(mon->release_state);
		crash_point("monitor:release-state");
		if (rc == 0)
			rc = write_exit_file(",\"cleanedUp\":true");
	}
	unlink(mon->release_lock);
	return rc;
}

/*
 * monitor-kill-pidfile: the container's network process (pasta, slirp4netns)
 * serves only its namespace, which has just lost its last process: SIGTERM to
 * the pid its file names, and the file goes. No file: the container had none
 * running (yet).
 */
static void kill_network(void)
{
	char buf[32];
	unsigned long long pid;
	ssize_t n;
	int fd;

	if (mon->kill_dir < 0 || (fd = openat(mon->kill_dir, mon->kill_name, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (parse_ull(buf, 10, &pid) == 0 && pid > 1 && pid < (1ULL << 31))
		kill((pid_t)pid, SIGTERM);
	unlinkat(mon->kill_dir, mon->kill_name, 0);
}

/*
 * monitor-remove, once the foreground caller said that the container goes (--rm): its
 * directories emptied by a child that joins the container's user namespace (kept by the
 * fd opened at the start, though its last process is gone), whose root may remove what
 * the container's ids own, which the user's own rights cannot. Without this the caller
 * would start a helper, with newuidmap, only for that. Best effort: what is left, the
 * caller's removal finds.
 */
static void remove_owned(void)
{
	pid_t pid;

	if (!mon->nremove || mon->userns < 0)
		return;
	pid = fork();
	if (pid == 0) {
		if (setns(mon->userns, CLONE_NEWUSER) < 0)
			_exit(1);
		for (size_t i = 0; i < mon->nremove; i++) {
			DIR *dir = fdopendir(mon->remove[i]);
			struct dirent *e;

			while (dir && (e = readdir(dir)) != NULL)
				if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
					remove_at(dirfd(dir), e->d_name);
		}
		_exit(0);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void finish(int status)
{
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	int acked = 0;
	char frame[16];

	drain(&mon->out[0], ATTACH_STDOUT);
	drain(&mon->err[0], ATTACH_STDERR);
	drain(&master, ATTACH_STDOUT);
	if (mon->log_fd >= 0)
		close(mon->log_fd);
	/* read before the release removes the cgroups (without a release, the node clean-up reads them) */
	make_exit_json(status, code, mon->release_lock && release_oom_killed(mon->release_cgroups, mon->nrelease_cgroups));
	/* before the exit file: whoever sees the container exited finds its network process going */
	kill_network();
	write_exit_file("");
	restore_tty();
	/* the socket goes first, so no client comes after the exit frame; those waiting get it too */
	if (mon->listen_fd >= 0) {
		accept_clients();
		close(mon->listen_fd);
		unlinkat(mon->sock_dir, mon->sock_name, 0);
	}
	frame[0] = ATTACH_EXIT;
	send_clients(frame, 1 + (size_t)snprintf(frame + 1, sizeof(frame) - 1, "%d", code));
	while (nclients)
		drop_client(0);
	if (event_out >= 0) {
		char c;
		ssize_t n;

		event_exit(event_out, status);
		/* the CLI answers: one byte if it cleans up, EOF if it is gone */
		do
			n = read(sync_in, &c, 1);
		while (n < 0 && errno == EINTR);
		acked = n == 1;
		/* 'r': it cleans up, and the container goes: monitor-remove's part first */
		if (acked && c == 'r')
			remove_owned();
	}
	if (!acked && mon->release_lock && release() == 0)
		exit(0);
	if (!acked && mon->cleanup)
		exec_detached(mon->cleanup);
	exit(0);
}

void monitor_run(struct monitor *m, pid_t init, int pty, const sigset_t *mask, int event_fd, int sync_fd)
{
	int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	long long next_health = m->health ? now_ms() + (long long)m->health_ms : 0;
	struct stat st;

	prctl(PR_SET_NAME, "cocker:[0:MON]");
	mon = m;
	init_pid = init;
	if (m->nremove) {
		char ns[64];

		snprintf(ns, sizeof(ns), "/proc/%d/ns/user", (int)init);
		m->userns = open(ns, O_RDONLY | O_CLOEXEC);
	}
	if (m->notify_fd >= 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "MAINPID=%d\n%s", getpid(), m->notify_mode == 'c' ? "READY=1\n" : "");
		notify(msg);
	}
	if (m->log_fd >= 0 && fstat(m->log_fd, &st) == 0)
		log_size = (unsigned long long)st.st_size; /* a restarted container's log goes on */
	master = pty;
	event_out = event_fd;
	sync_in = sync_fd;
	tzset();
	if (m->tty)
		stdin_fd = m->stdin_on ? master : -1;
	else
		stdin_fd = m->in[1];
	if (stdin_fd >= 0)
		fcntl(stdin_fd, F_SETFL, fcntl(stdin_fd, F_GETFL) | O_NONBLOCK);
	fg = m->foreground && !m->passthrough;
	fg_in = fg && m->stdin_on;
	fg_keys = (struct detach_keys){ m->keys, m->nkeys, 0 };
	if (fg_in && master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		struct termios raw = saved_tio;

		tio_saved = 1;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (fg && master >= 0)
		copy_winsize();
	if (m->passthrough && m->foreground) {
		/* the container has the CLI's fds itself: we keep only the events, for its exit */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);
		if (null > 2)
			close(null);
	} else if (m->passthrough) {
		/* the container has the CLI's fds itself; ours would keep its pipes open */
		leave_foreground(0);
	} else if (!m->foreground) {
		/* nothing waits for us: the CLI's pipes reach EOF and it can exit at once */
		if (event_out >= 0)
			close(event_out);
		if (sync_in >= 0)
			close(sync_in);
		event_out = sync_in = -1;
	}

	for (;;) {
		struct pollfd p[8 + MAX_CLIENTS];
		int np = 0, i_sig, i_out = -1, i_err = -1, i_pty = -1, i_listen = -1, i_fg = -1, i_stdin = -1, i_sync = -1,
		    i_notify = -1, i_clients;
		int timeout = -1;

#define WATCH(idx, fd, ev) (idx = np, p[np++] = (struct pollfd){ (fd), (ev), 0 })
		WATCH(i_sig, sfd, POLLIN);
		if (m->out[0] >= 0)
			WATCH(i_out, m->out[0], POLLIN);
		if (m->err[0] >= 0)
			WATCH(i_err, m->err[0], POLLIN);
		if (master >= 0)
			WATCH(i_pty, master, POLLIN);
		if (m->listen_fd >= 0)
			WATCH(i_listen, m->listen_fd, POLLIN);
		/* while input is pending, no new input is read: the container sets the pace */
		if (pending_len)
			WATCH(i_stdin, stdin_fd, POLLOUT);
		else if (fg_in)
			WATCH(i_fg, STDIN_FILENO, POLLIN);
		if (sync_in >= 0)
			WATCH(i_sync, sync_in, POLLIN);
		if (m->notify_proxy >= 0)
			WATCH(i_notify, m->notify_proxy, POLLIN);
		i_clients = np;
		for (int c = 0; c < nclients; c++)
			p[np++] = (struct pollfd){ clients[c], pending_len ? 0 : POLLIN, 0 };
#undef WATCH
		if (next_health)
			timeout = (int)(next_health - now_ms() > 0 ? next_health - now_ms() : 0);
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			continue;

		if (i_out >= 0 && (p[i_out].revents & (POLLIN | POLLHUP)) && relay_output(m->out[0], ATTACH_STDOUT) < 0) {
			close(m->out[0]);
			m->out[0] = -1;
		}
		if (i_err >= 0 && (p[i_err].revents & (POLLIN | POLLHUP)) && relay_output(m->err[0], ATTACH_STDERR) < 0) {
			close(m->err[0]);
			m->err[0] = -1;
		}
		if (i_pty >= 0 && (p[i_pty].revents & (POLLIN | POLLHUP | POLLERR)) && relay_output(master, ATTACH_STDOUT) < 0) {
			/* the init keeps the slave until it ends: finish() handles the master then */
			if (stdin_fd == master)
				stdin_fd = -1;
			close(master);
			master = -1;
		}
		if (i_stdin >= 0 && p[i_stdin].revents)
			flush_stdin();
		if (i_fg >= 0 && (p[i_fg].revents & (POLLIN | POLLHUP | POLLERR)) && !pending_len)
			read_foreground();
		if (i_sync >= 0 && p[i_sync].revents && sync_in >= 0) {
			/* the CLI died while the container runs: go on detached */
			leave_foreground(0);
		}
		/* clients that joined in this round are polled in the next */
		for (int c = np - 1; c >= i_clients; c--) {
			if (c - i_clients >= nclients || !p[c].revents)
				continue;
			if (!pending_len)
				read_client(c - i_clients);
			else if (p[c].revents & (POLLHUP | POLLERR))
				drop_client(c - i_clients);
		}
		if (i_listen >= 0 && (p[i_listen].revents & POLLIN))
			accept_clients();
		if (i_notify >= 0 && (p[i_notify].revents & POLLIN))
			relay_notify();
		if (next_health && now_ms() >= next_health) {
			run_health();
			next_health = now_ms() + (long long)m->health_ms;
		}
		if (p[i_sig].revents & POLLIN) {
			struct signalfd_siginfo si;
			int status;
			pid_t pid;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH) {
				if (fg)
					copy_winsize();
			} else if (si.ssi_signo != SIGCHLD) {
				kill(init_pid, (int)si.ssi_signo);
			}
			/* a subreaper: orphans of the container come to us too; reap them all */
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				if (pid == health_pid) {
					health_pid = 0;
					/* --sdnotify healthy: ready at the first check that passes */
					if (m->notify_mode == 'h' && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
						notify("READY=1\n");
						m->notify_mode = 'c';
					}
				}
				if (pid == init_pid)
					finish(status);
			}
		}
	}
}
