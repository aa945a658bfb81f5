/*
 * cocker-netns: the steps of a rootless bridge network that happen inside the user's rootless
 * network namespace (lib/network/bridge/rootless-netns.ts), whose holder is a cocker-infra
 * started in a user, mount and network namespace of its own. Node cannot setns (it is
 * threaded); this small single-threaded program joins the holder's namespaces, then:
 *
 *   cocker-netns bind HOLDER SRC DST     bind SRC (a container's /proc/PID/ns/net) on the file
 *                                        DST in the holder's mount namespace: the container's
 *                                        network namespace outlives its processes until unbind
 *   cocker-netns unbind HOLDER DST       detach that mount
 *   cocker-netns run HOLDER ARGV...      exec ARGV (netavark) in the holder's user, network and
 *                                        mount namespaces, as their root
 *   cocker-netns forward HOLDER SPEC...  publish ports: SPEC is HOSTIP,HOSTPORT,DESTIP,DESTPORT
 *                                        (TCP) or HOSTIP,HOSTPORT,DESTIP,DESTPORT,udp; listens on
 *                                        the host first, then relays each connection, or each
 *                                        client's datagrams, to DEST inside HOLDER's network namespace (the rootless
 *                                        network namespace, or a container's). Writes one byte on
 *                                        fd 3 once it listens, and runs until killed or until
 *                                        HOLDER ends
 *
 * Errors: one line on stderr, exit 1 (2: bad arguments). Libc only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 256

static void fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("cocker-netns: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static int open_ns(const char *holder, const char *type)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", holder, type);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(errno, "cannot open %s (is the rootless network namespace's holder gone?)", path);
	return fd;
}

static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * The user namespace first: it gives the capabilities over the holder's other namespaces,
 * which setns(2) wants for net (CAP_SYS_ADMIN in its owner and in our own) and mnt (also
 * CAP_SYS_CHROOT). Every fd is opened before the first setns, while /proc is still ours.
 */
static void join(const char *holder, int want_net, int want_mnt)
{
	int user = open_ns(holder, "user");
	int net = want_net ? open_ns(holder, "net") : -1;
	int mnt = want_mnt ? open_ns(holder, "mnt") : -1;

	/* a container's clean-up runs in it already (its monitor joined it): joining again is EINVAL */
	if (!same_file(user, "/proc/self/ns/user") && setns(user, CLONE_NEWUSER) < 0)
		fail(errno, "cannot join the user namespace of %s", holder);
	if (net >= 0 && setns(net, CLONE_NEWNET) < 0)
		fail(errno, "cannot join the network namespace of %s", holder);
	if (mnt >= 0 && setns(mnt, CLONE_NEWNS) < 0)
		fail(errno, "cannot join the mount namespace of %s", holder);
	/* the cwd still belongs to the mount namespace we left */
	if (mnt >= 0 && chdir("/") < 0)
		fail(errno, "cannot change to /");
	close(user);
	if (net >= 0)
		close(net);
	if (mnt >= 0)
		close(mnt);
}

struct fwd {
	int listen_fd;
	int udp;
	struct sockaddr_storage dest;
	socklen_t dest_len;
};

/*
 * A UDP client of a published port: a socket of its own inside the namespace, connected to the
 * destination, so that the replies come back to it and go out to the client from the port it
 * wrote to. Idle ones are closed; when all are taken, the longest idle one is reused.
 */
#define MAX_FLOWS 256
#define FLOW_IDLE_SECONDS 180

struct flow {
	int sock; /* -1: free */
	int fwd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	time_t last;
};

static int parse_addr(const char *ip, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	char *end;
	long p = strtol(port, &end, 10);

	if (*port == '\0' || *end != '\0' || p < 0 || p > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)p);
		if (*ip && inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)p);
		if (*ip && inet_pton(AF_INET, ip, &a->sin_addr) != 1)
			return -1;
		*len = sizeof(*a);
	}
	return 0;
}

/* HOSTIP,HOSTPORT,DESTIP,DESTPORT (an empty HOSTIP: every IPv4 address). */
static void parse_spec(char *spec, struct fwd *f)
{
	char *field[4];
	char *p = spec;
	struct sockaddr_storage host;
	socklen_t host_len;
	int one = 1;

	for (int i = 0; i < 4; i++) {
		field[i] = p;
		p = strchr(p, ',');
		if (i < 3 && !p)
			fail(0, "bad port spec %s (want HOSTIP,HOSTPORT,DESTIP,DESTPORT[,udp])", spec);
		if (p)
			*p++ = '\0';
	}
	/* p: what followed DESTPORT, the protocol */
	f->udp = p && strcmp(p, "udp") == 0;
	if ((p && !f->udp && strcmp(p, "tcp") != 0) || parse_addr(field[0], field[1], &host, &host_len) < 0 ||
	    parse_addr(field[2], field[3], &f->dest, &f->dest_len) < 0 || !*field[2])
		fail(0, "bad port spec %s,%s,%s,%s%s%s", field[0], field[1], field[2], field[3], p ? "," : "", p ? p : "");
	f->listen_fd = socket(host.ss_family, (f->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0)
		fail(errno, "cannot make a socket");
	setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(f->listen_fd, (struct sockaddr *)&host, host_len) < 0)
		fail(errno, "cannot listen on %s:%s%s", *field[0] ? field[0] : "0.0.0.0", field[1], f->udp ? "/udp" : "");
	if (!f->udp && listen(f->listen_fd, 128) < 0)
		fail(errno, "cannot listen on %s:%s", *field[0] ? field[0] : "0.0.0.0", field[1]);
}

/* Copies what one side has to the other; 0 at its EOF (the write side is shut), -1 on error. */
static int pump(int from, int to)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0) {
		shutdown(to, SHUT_WR);
		return 0;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += w;
	}
	return 1;
}

/* One connection, in a child of its own: dies with the forwarder (PR_SET_PDEATHSIG). */
static void relay(int client, const struct fwd *f, pid_t parent)
{
	struct pollfd p[2];
	int open_dirs = 2;
	int server;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	/* made after the setns: the socket belongs to the rootless network namespace */
	server = socket(f->dest.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0 || connect(server, (const struct sockaddr *)&f->dest, f->dest_len) < 0)
		_exit(1);
	p[0] = (struct pollfd){ .fd = client, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = server, .events = POLLIN };
	while (open_dirs > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int r = pump(p[i].fd, i == 0 ? server : client);

			if (r < 0)
				_exit(0);
			if (r == 0) {
				p[i].fd = -1;
				open_dirs--;
			}
		}
	}
	_exit(0);
}

static struct flow flows[MAX_FLOWS];

/* A datagram from a client of fwds[i]: to the client's flow, made (in the namespace) if new. */
static void udp_from_client(const struct fwd *fwds, int i)
{
	static char buf[65536];
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof(peer);
	ssize_t n = recvfrom(fwds[i].listen_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&peer, &peer_len);
	time_t now = time(NULL);
	struct flow *f = NULL, *oldest = &flows[0];

	if (n < 0)
		return;
	for (int k = 0; k < MAX_FLOWS; k++) {
		struct flow *c = &flows[k];

		if (c->sock >= 0 && c->fwd == i && c->peer_len == peer_len && memcmp(&c->peer, &peer, peer_len) == 0) {
			f = c;
			break;
		}
		if (c->sock >= 0 && now - c->last > FLOW_IDLE_SECONDS) {
			close(c->sock);
			c->sock = -1;
		}
		if (c->sock < 0 || (oldest->sock >= 0 && c->last < oldest->last))
			oldest = c;
	}
	if (!f) {
		f = oldest;
		if (f->sock >= 0)
			close(f->sock);
		f->sock = socket(fwds[i].dest.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (f->sock < 0)
			return;
		if (connect(f->sock, (const struct sockaddr *)&fwds[i].dest, fwds[i].dest_len) < 0) {
			close(f->sock);
			f->sock = -1;
			return;
		}
		f->fwd = i;
		f->peer = peer;
		f->peer_len = peer_len;
	}
	f->last = now;
	/* a full buffer or an unreachable port (ICMP) loses the datagram, as UDP may */
	(void)send(f->sock, buf, (size_t)n, MSG_DONTWAIT);
}

/* A reply on a flow's socket: back to its client, from the published port. */
static void udp_to_client(const struct fwd *fwds, struct flow *f)
{
	static char buf[65536];
	ssize_t n = recv(f->sock, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return;
	f->last = time(NULL);
	(void)sendto(fwds[f->fwd].listen_fd, buf, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)&f->peer, f->peer_len);
}

static _Noreturn void forward(const char *holder, int nspecs, char **specs)
{
	static struct fwd fwds[MAX_PORTS];
	static struct pollfd p[MAX_PORTS + 1 + MAX_FLOWS];
	static int flow_of[MAX_PORTS + 1 + MAX_FLOWS];
	pid_t self = getpid();

	if (nspecs > MAX_PORTS)
		fail(0, "too many ports (at most %d)", MAX_PORTS);
	for (int i = 0; i < nspecs; i++)
		parse_spec(specs[i], &fwds[i]);
	/* HOLDER's end is the namespace's: nothing is left to forward to (pid namespace: ours) */
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)atoi(holder), 0);

	if (pidfd < 0)
		fail(errno, "cannot watch process %s", holder);
	join(holder, 1, 0);
	/* children are reaped by the kernel; a peer gone mid-write is an EPIPE, not a signal */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "cocker-fwd");
	if (write(3, "1", 1) < 0 && errno != EBADF)
		fail(errno, "cannot report readiness on fd 3");
	close(3);
	for (int k = 0; k < MAX_FLOWS; k++)
		flows[k].sock = -1;
	for (int i = 0; i < nspecs; i++)
		p[i] = (struct pollfd){ .fd = fwds[i].listen_fd, .events = POLLIN };
	p[nspecs] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	for (;;) {
		nfds_t n = (nfds_t)nspecs + 1;

		for (int k = 0; k < MAX_FLOWS; k++) {
			if (flows[k].sock < 0)
				continue;
			flow_of[n] = k;
			p[n++] = (struct pollfd){ .fd = flows[k].sock, .events = POLLIN };
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(errno, "poll");
		}
		if (p[nspecs].revents)
			exit(0);
		for (nfds_t j = (nfds_t)nspecs + 1; j < n; j++) {
			/* POLLERR: an ICMP error (nothing listens), which the recv clears */
			if (p[j].revents & (POLLIN | POLLERR))
				udp_to_client(fwds, &flows[flow_of[j]]);
		}
		for (int i = 0; i < nspecs; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			if (fwds[i].udp) {
				udp_from_client(fwds, i);
				continue;
			}
			int client = accept4(fwds[i].listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (client < 0)
				continue;
			pid_t child = fork();

			if (child == 0) {
				for (int j = 0; j < nspecs; j++)
					close(fwds[j].listen_fd);
				relay(client, &fwds[i], self);
			}
			close(client);
		}
	}
}

static void usage(void)
{
	fputs("usage: cocker-netns bind HOLDER SRC DST | unbind HOLDER DST | run HOLDER ARGV... | forward HOLDER SPEC...\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3 || strspn(argv[2], "0123456789") != strlen(argv[2]))
		usage();
	const char *verb = argv[1], *holder = argv[2];

	/*
	 * Everything but forward works for the command that runs it, under its lock: if that
	 * command is killed, so is this (its lock is free again, and the next command must not
	 * find a netavark of ours still at work).
	 */
	if (strcmp(verb, "forward") != 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			return 1;
	}

	if (strcmp(verb, "bind") == 0 && argc == 5) {
		join(holder, 0, 1);
		if (mount(argv[3], argv[4], NULL, MS_BIND, NULL) < 0)
			fail(errno, "cannot bind %s on %s", argv[3], argv[4]);
		return 0;
	}
	if (strcmp(verb, "unbind") == 0 && argc == 4) {
		join(holder, 0, 1);
		if (umount2(argv[3], MNT_DETACH) < 0)
			fail(errno, "cannot unmount %s", argv[3]);
		return 0;
	}
	if (strcmp(verb, "run") == 0 && argc >= 4) {
		join(holder, 1, 1);
		execv(argv[3], argv + 3);
		fail(errno, "cannot run %s", argv[3]);
	}
	if (strcmp(verb, "forward") == 0 && argc >= 4)
		forward(holder, argc - 3, argv + 3);
	usage();
}
