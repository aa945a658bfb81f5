/*
 * Small helpers shared by both stages and the launcher: number parsing, full
 * writes, fd passing over unix sockets (SCM_RIGHTS, as runc's console socket
 * protocol), and the sealed re-execution.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <unistd.h>

#include "helper.h"

int parse_ull(const char *s, int base, unsigned long long *out)
{
	char *end;

	/* strtoull would take leading spaces, a sign and (base 16) "0x": only digits are numbers here */
	if (!s || !((*s >= '0' && *s <= '9') || (base == 16 && ((*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))))
		return -1;
	if (base == 16 && (s[1] == 'x' || s[1] == 'X'))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	return (errno || *end) ? -1 : 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int send_fd(int sock, int fd, const char *name)
{
	char data[256];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { data, 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cmsg;

	iov.iov_len = strlen(name) < sizeof(data) ? strlen(name) : sizeof(data) - 1;
	memcpy(data, name, iov.iov_len);
	if (iov.iov_len == 0)
		data[iov.iov_len++] = '\0';
	memset(u.buf, 0, sizeof(u.buf));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int recv_fd(int sock)
{
	char data[256];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * Copies the binary open on exe into a sealed memfd and executes that: the
 * process then runs from a copy nothing can write, so a container cannot
 * replace the binary on the host through /proc/PID/exe (CVE-2019-5736).
 * Returns only on failure, with errno set and the failing call named.
 */
const char *exec_sealed(int exe, char *const argv[])
{
	extern char **environ;
	int mem = memfd_create("cocker-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	off_t off = 0;

	if (mem < 0)
		return "memfd_create";
	if (fstat(exe, &st) < 0)
		return "fstat";
	while (off < st.st_size) {
		ssize_t n = sendfile(mem, exe, &off, (size_t)(st.st_size - off));

		if (n <= 0)
			return "sendfile";
	}
	if (fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return "fcntl";
	close(exe);
	fexecve(mem, argv, environ);
	return "fexecve";
}

/*
 * The signals the helper passes on (to the container in the foreground, to
 * node when launched): all but those that stop or kill us for our own faults,
 * and job control, which the terminal's own process group gets anyway.
 */
void forward_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig < SIGRTMIN; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE && sig != SIGSEGV && sig != SIGBUS &&
		    sig != SIGILL && sig != SIGFPE && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
			sigaddset(set, sig);
}

int unix_address(const char *path, struct sockaddr_un *addr, int *dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	char parent[4096];

	if (!slash || slash[1] == '\0' || (size_t)(slash - path) >= sizeof(parent)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	*dir = open(parent[0] ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dir < 0)
		return -1;
	*name = slash + 1;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dir, *name) >=
	    sizeof(addr->sun_path)) {
		close(*dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	return (int)sizeof(*addr);
}

int detach_keys_filter(struct detach_keys *k, const char *in, size_t n, char *out, size_t *outn)
{
	*outn = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (k->n == 0) {
			out[(*outn)++] = (char)c;
			continue;
		}
		if (c != k->seq[k->matched] && k->matched) {
			memcpy(out + *outn, k->seq, k->matched);
			*outn += k->matched;
			k->matched = 0;
		}
		if (c == k->seq[k->matched]) {
			if (++k->matched == k->n)
				return 1;
			continue;
		}
		out[(*outn)++] = (char)c;
	}
	return 0;
}

int parse_hex_bytes(const char *hex, unsigned char *out, size_t cap, size_t *n)
{
	size_t len = strlen(hex);

	if (len % 2 || len / 2 > cap)
		return -1;
	for (*n = 0; *n < len / 2; (*n)++) {
		char byte[3] = { hex[2 * *n], hex[2 * *n + 1], 0 };
		unsigned long long v;

		if (parse_ull(byte, 16, &v) < 0)
			return -1;
		out[*n] = (unsigned char)v;
	}
	return 0;
}

/* A named point where the tests kill us (_COCKER_CRASH_AT=NAME), as lib/sys/crash-point.ts. */
void crash_point(const char *name)
{
	const char *at = getenv("_COCKER_CRASH_AT");

	if (at && strcmp(at, name) == 0)
		kill(getpid(), SIGKILL);
}
