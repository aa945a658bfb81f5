// SPDX-License-Identifier: Apache-2.0
/*
 * fixture-init: the one static binary that test images and bundles carry
 * (crun tests/init.c style). argv[1] picks a verb; each verb prints a small,
 * stable, line-oriented answer so a test can compare stdout exactly.
 * libc only, so `cc -static` works without extra packages.
 *
 * Verbs (exit 0 unless stated):
 *   true | false (1) | exit N (N)
 *   echo ARGS...           ARGS joined by spaces
 *   cat FILE               FILE's bytes (1 if it cannot be read)
 *   id                     uid=U gid=G groups=G1,G2
 *   hostname | cwd | pid   one line
 *   env                    one VAR=value per line
 *   ls DIR                 entry names, sorted, without . and ..
 *   sleep SECS             SECS may be fractional
 *   isatty                 "0 yes|no", "1 ...", "2 ..." lines
 *   caps                   the Cap* lines of /proc/self/status
 *   rlimit NAME            "SOFT HARD" (unlimited as "unlimited"); NAME like nofile
 *   syscall NAME [PATH]    "ok" or "errno=N"; see syscall_table below
 *   fds                    "FD TARGET" per open fd
 *   write FILE             open FILE for writing: "ok" or "errno=N"
 *   signal-wait [CODE]     prints "ready", exits CODE (143) on SIGTERM
 *   mounts                 /proc/self/mountinfo
 *   echo-peer PORT[-LAST]  serves UDP and TCP on each port of 0.0.0.0: prints
 *                          "ready", then answers each datagram (each TCP
 *                          connection's first line) with "PROTO PORT from
 *                          IP:PEERPORT: DATA", the line it also prints
 * Misuse exits 2.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int usage(const char *msg)
{
	fprintf(stderr, "fixture-init: %s\n", msg);
	return 2;
}

static int copy_file(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "fixture-init: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	}
	close(fd);
	return n < 0 ? 1 : 0;
}

static int cmd_id(void)
{
	gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);

	printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	putchar('\n');
	return 0;
}

static int cmd_hostname(void)
{
	char name[HOST_NAME_MAX + 1];

	if (gethostname(name, sizeof(name)) < 0)
		return 1;
	name[HOST_NAME_MAX] = '\0';
	puts(name);
	return 0;
}

static int cmd_cwd(void)
{
	char dir[PATH_MAX];

	if (!getcwd(dir, sizeof(dir))) {
		fprintf(stderr, "fixture-init: getcwd: %s\n", strerror(errno));
		return 1;
	}
	puts(dir);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_ls(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!dir) {
		fprintf(stderr, "fixture-init: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				return 1;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			return 1;
		n++;
	}
	closedir(dir);
	/* readdir order depends on the filesystem; tests want a stable answer. */
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++)
		puts(names[i]);
	return 0;
}

static int cmd_sleep(const char *arg)
{
	double secs = strtod(arg, NULL);
	struct timespec ts = { .tv_sec = (time_t)secs };

	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

static int cmd_isatty(void)
{
	for (int fd = 0; fd <= 2; fd++)
		printf("%d %s\n", fd, isatty(fd) ? "yes" : "no");
	return 0;
}

static int cmd_caps(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f) {
		fprintf(stderr, "fixture-init: /proc/self/status: %s\n", strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Cap", 3))
			fputs(line, stdout);
	}
	fclose(f);
	return 0;
}

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{ "as", RLIMIT_AS },	     { "core", RLIMIT_CORE },
	{ "cpu", RLIMIT_CPU },	     { "data", RLIMIT_DATA },
	{ "fsize", RLIMIT_FSIZE },   { "locks", RLIMIT_LOCKS },
	{ "memlock", RLIMIT_MEMLOCK }, { "msgqueue", RLIMIT_MSGQUEUE },
	{ "nice", RLIMIT_NICE },     { "nofile", RLIMIT_NOFILE },
	{ "nproc", RLIMIT_NPROC },   { "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME },
	{ "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
};

static void print_rlim(rlim_t v, char end)
{
	if (v == RLIM_INFINITY)
		printf("unlimited%c", end);
	else
		printf("%llu%c", (unsigned long long)v, end);
}

static int cmd_rlimit(const char *name)
{
	struct rlimit rl;

	/* Accept "nofile", "NOFILE" and "RLIMIT_NOFILE" alike. */
	if (!strncasecmp(name, "RLIMIT_", 7))
		name += 7;
	for (size_t i = 0; i < sizeof(rlimit_table) / sizeof(rlimit_table[0]); i++) {
		if (strcasecmp(name, rlimit_table[i].name))
			continue;
		if (getrlimit(rlimit_table[i].resource, &rl) < 0)
			return 1;
		print_rlim(rl.rlim_cur, ' ');
		print_rlim(rl.rlim_max, '\n');
		return 0;
	}
	return usage("rlimit: unknown resource");
}

/*
 * Each probe is chosen to be harmless when it succeeds, so the answer only
 * tells whether seccomp or a missing capability stopped it:
 * reboot with a bad magic is EPERM without CAP_SYS_BOOT and EINVAL with it;
 * swapon(NULL) is EPERM without CAP_SYS_ADMIN and EFAULT with it;
 * add_key without a type is EFAULT, unless a filter refuses it first;
 * sethostname and chroot reuse the current values.
 */
static int probe_syscall(const char *name, const char *path)
{
	char host[HOST_NAME_MAX + 1];
	struct stat st;

	if (!strcmp(name, "getpid"))
		return syscall(SYS_getpid) < 0 ? -1 : 0;
	if (!strcmp(name, "mkdir")) {
		if (!path)
			path = "/tmp/.fixture-init-mkdir";
		if (mkdir(path, 0700) < 0)
			return -1;
		rmdir(path);
		return 0;
	}
	if (!strcmp(name, "chmod")) {
		if (!path)
			path = "/";
		if (stat(path, &st) < 0)
			return -1;
		return chmod(path, st.st_mode & 07777);
	}
	if (!strcmp(name, "chown")) {
		if (!path)
			path = "/";
		if (stat(path, &st) < 0)
			return -1;
		return chown(path, st.st_uid, st.st_gid);
	}
	if (!strcmp(name, "mknod")) {
		if (!path)
			path = "/tmp/.fixture-init-null";
		if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) < 0)
			return -1;
		unlink(path);
		return 0;
	}
	if (!strcmp(name, "mount")) {
		if (!path)
			path = "/tmp";
		if (mount("none", path, "tmpfs", 0, NULL) < 0)
			return -1;
		umount2(path, MNT_DETACH);
		return 0;
	}
	if (!strcmp(name, "unshare"))
		return unshare(CLONE_NEWNS);
	if (!strcmp(name, "sethostname")) {
		if (gethostname(host, sizeof(host)) < 0)
			return -1;
		host[HOST_NAME_MAX] = '\0';
		return sethostname(host, strlen(host));
	}
	if (!strcmp(name, "chroot"))
		return chroot("/");
	if (!strcmp(name, "reboot"))
		return (int)syscall(SYS_reboot, 0, 0, 0, NULL);
	if (!strcmp(name, "swapon"))
		return swapon(NULL, 0);
	if (!strcmp(name, "keyctl"))
		/* KEYCTL_GET_KEYRING_ID of the session keyring, without creating it. */
		return (int)syscall(SYS_keyctl, 0, -3, 0);
	if (!strcmp(name, "add_key"))
		return (int)syscall(SYS_add_key, NULL, NULL, NULL, 0, 0);
	if (!strcmp(name, "personality"))
		return personality(0xffffffff) < 0 ? -1 : 0;
	errno = 0;
	return -2;
}

static int cmd_syscall(const char *name, const char *path)
{
	int r = probe_syscall(name, path);

	if (r == -2)
		return usage("syscall: unknown name");
	if (r < 0)
		printf("errno=%d\n", errno);
	else
		puts("ok");
	return 0;
}

static int cmd_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	char target[PATH_MAX];
	ssize_t n;

	if (!dir) {
		fprintf(stderr, "fixture-init: /proc/self/fd: %s\n", strerror(errno));
		return 1;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(dir))
			continue;
		n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("%s %s\n", de->d_name, target);
	}
	closedir(dir);
	return 0;
}

static int cmd_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		printf("errno=%d\n", errno);
		return 0;
	}
	close(fd);
	puts("ok");
	return 0;
}

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/*
 * As PID 1 of a pid namespace the kernel drops signals whose action is the
 * default, so SIGTERM must have a handler for `kill` to work at all.
 * "ready" is printed only after the handler is in place, so a test that
 * waits for it cannot race the installation.
 */
static int cmd_signal_wait(const char *code)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t mask, old;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigaction(SIGTERM, &sa, NULL);
	puts("ready");
	fflush(stdout);
	while (!got_term)
		sigsuspend(&old);
	return code ? atoi(code) : 143;
}

#define PEER_MAX_PORTS 64

/* One answer line: who sent DATA to which of our ports, as the container saw it. */
static int peer_line(char *out, size_t size, const char *proto, int port,
		     const struct sockaddr_in *peer, const char *data, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof(ip));
	return snprintf(out, size, "%s %d from %s:%d: %.*s\n", proto, port, ip,
			ntohs(peer->sin_port), (int)len, data);
}

static int bound_socket(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		fprintf(stderr, "fixture-init: echo-peer: port %d: %s\n", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A UDP and a TCP socket per port, served from one poll loop. A TCP client
 * gets its answer after its first line (or EOF); a silent one is dropped
 * after 2 s so that it cannot stall the datagrams.
 */
static int cmd_echo_peer(const char *arg)
{
	struct pollfd fds[2 * PEER_MAX_PORTS];
	char *end;
	long first = strtol(arg, &end, 10), last = first;
	int n = 0;

	if (*end == '-')
		last = strtol(end + 1, &end, 10);
	if (*end || first < 1 || last > 65535 || last < first || last - first >= PEER_MAX_PORTS)
		return usage("echo-peer PORT[-LAST] (at most 64 ports)");
	for (long port = first; port <= last; port++) {
		for (int type = SOCK_DGRAM; type >= SOCK_STREAM; type--) {
			int fd = bound_socket(type, (int)port);

			if (fd < 0)
				return 1;
			fds[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
	}
	puts("ready");
	for (;;) {
		if (poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (int i = 0; i < n; i++) {
			char buf[2048], line[2200];
			struct sockaddr_in peer;
			socklen_t plen = sizeof(peer);
			int port = (int)first + i / 2;
			ssize_t got;
			int len;

			if (!(fds[i].revents & POLLIN))
				continue;
			if (i % 2 == 0) {
				got = recvfrom(fds[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
				if (got < 0)
					continue;
				len = peer_line(line, sizeof(line), "udp", port, &peer, buf, (size_t)got);
				sendto(fds[i].fd, line, (size_t)len, 0, (struct sockaddr *)&peer, plen);
			} else {
				struct timeval tv = { .tv_sec = 2 };
				int c = accept4(fds[i].fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
				size_t have = 0;

				if (c < 0)
					continue;
				setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
				while (have < sizeof(buf) && !memchr(buf, '\n', have) &&
				       (got = read(c, buf + have, sizeof(buf) - have)) > 0)
					have += (size_t)got;
				len = peer_line(line, sizeof(line), "tcp", port, &peer, buf, have);
				if (write(c, line, (size_t)len) < 0)
					perror("fixture-init: echo-peer");
				close(c);
			}
			fputs(line, stdout);
		}
	}
}

int main(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : NULL;

	/* Tests read stdout through a pipe; keep lines in order with stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(verb, "true"))
		return 0;
	if (!strcmp(verb, "false"))
		return 1;
	if (!strcmp(verb, "exit"))
		return arg ? atoi(arg) : usage("exit N");
	if (!strcmp(verb, "echo")) {
		for (int i = 2; i < argc; i++)
			printf("%s%s", i > 2 ? " " : "", argv[i]);
		putchar('\n');
		return 0;
	}
	if (!strcmp(verb, "cat"))
		return arg ? copy_file(arg) : usage("cat FILE");
	if (!strcmp(verb, "id"))
		return cmd_id();
	if (!strcmp(verb, "hostname"))
		return cmd_hostname();
	if (!strcmp(verb, "cwd"))
		return cmd_cwd();
	if (!strcmp(verb, "env")) {
		for (char **e = environ; *e; e++)
			puts(*e);
		return 0;
	}
	if (!strcmp(verb, "ls"))
		return cmd_ls(arg ? arg : ".");
	if (!strcmp(verb, "sleep"))
		return arg ? cmd_sleep(arg) : usage("sleep SECS");
	if (!strcmp(verb, "isatty"))
		return cmd_isatty();
	if (!strcmp(verb, "caps"))
		return cmd_caps();
	if (!strcmp(verb, "rlimit"))
		return arg ? cmd_rlimit(arg) : usage("rlimit NAME");
	if (!strcmp(verb, "syscall"))
		return arg ? cmd_syscall(arg, argc > 3 ? argv[3] : NULL) :
			     usage("syscall NAME [PATH]");
	if (!strcmp(verb, "fds"))
		return cmd_fds();
	if (!strcmp(verb, "write"))
		return arg ? cmd_write(arg) : usage("write FILE");
	if (!strcmp(verb, "pid")) {
		printf("%d\n", (int)getpid());
		return 0;
	}
	if (!strcmp(verb, "signal-wait"))
		return cmd_signal_wait(arg);
	if (!strcmp(verb, "mounts"))
		return copy_file("/proc/self/mountinfo");
	if (!strcmp(verb, "echo-peer"))
		return arg ? cmd_echo_peer(arg) : usage("echo-peer PORT[-LAST]");

	return usage(argc > 1 ? "unknown verb" :
				"usage: fixture-init VERB [ARGS...]");
}
