/*
 * cocker-helper attach SOCKET [--no-stdin] [--tty] [--detach-keys HEX] [--status-fd N]
 *
 * The client of a monitor's attach socket (monitor.c, packets in
 * protocol.h): our stdin goes to the container, its output to our stdout and
 * stderr. With --tty and a terminal on fd 0 the terminal is raw and its size
 * follows ours. Typing the detach keys leaves the container running.
 * One line on the status fd says how it ended, and so does the exit status:
 *   exit N    the container ended with N      exit status N
 *   detached  the detach keys were typed      0
 *   lost      the socket ended without an exit 125
 * It runs from the binary as it is (no sealed copy): it enters no container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "helper.h"

static void usage(void)
{
	fprintf(stderr, "usage: cocker-helper attach SOCKET [--no-stdin] [--tty] [--detach-keys HEX] [--status-fd N]\n");
	exit(125);
}

static void send_size(int sock)
{
	struct winsize ws;
	char packet[32];

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		send(sock, packet, (size_t)snprintf(packet, sizeof(packet), "%c%u %u", ATTACH_RESIZE, ws.ws_row, ws.ws_col),
		     MSG_NOSIGNAL);
}

static int end(int status_fd, const char *line, int code)
{
	if (status_fd >= 0)
		dprintf(status_fd, "%s\n", line);
	return code;
}

int attach_main(int argc, char **argv)
{
	static char in[8192], packet[65536 + 64];
	const char *path = argc > 2 ? argv[2] : NULL;
	int use_stdin = 1, tty = 0, status_fd = -1, dir, sock, sfd, len, code = -1, detached = 0;
	unsigned char keys[32];
	struct detach_keys k = { keys, 0, 0 };
	struct sockaddr_un addr;
	struct termios saved;
	int raw = 0;
	const char *name;
	sigset_t winch;

	if (!path)
		usage();
	for (int i = 3; i < argc; i++) {
		unsigned long long v;

		if (strcmp(argv[i], "--no-stdin") == 0)
			use_stdin = 0;
		else if (strcmp(argv[i], "--tty") == 0)
			tty = 1;
		else if (strcmp(argv[i], "--detach-keys") == 0 && i + 1 < argc &&
			 parse_hex_bytes(argv[i + 1], keys, sizeof(keys), &k.n) == 0)
			i++;
		else if (strcmp(argv[i], "--status-fd") == 0 && i + 1 < argc && parse_ull(argv[++i], 10, &v) == 0)
			status_fd = (int)v;
		else
			usage();
	}
	signal(SIGPIPE, SIG_IGN);
	len = unix_address(path, &addr, &dir, &name);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (len < 0 || sock < 0 || connect(sock, (struct sockaddr *)&addr, (socklen_t)len) < 0) {
		fprintf(stderr, "cannot attach to %s: %s\n", path, strerror(errno));
		return end(status_fd, "lost", 125);
	}
	close(dir);
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	sfd = signalfd(-1, &winch, SFD_CLOEXEC);
	if (tty && isatty(STDIN_FILENO)) {
		if (use_stdin && tcgetattr(STDIN_FILENO, &saved) == 0) {
			struct termios r = saved;

			cfmakeraw(&r);
			raw = tcsetattr(STDIN_FILENO, TCSANOW, &r) == 0;
		}
		send_size(sock);
	}
	while (code < 0 && !detached) {
		struct pollfd p[3] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 }, { use_stdin ? STDIN_FILENO : -1, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) && tty)
				send_size(sock);
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t outn;

			n = read(STDIN_FILENO, in, sizeof(in));
			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				/* our input ended: so does the container's */
				packet[0] = ATTACH_CLOSE;
				send(sock, packet, 1, MSG_NOSIGNAL);
				use_stdin = 0;
			} else if (n > 0) {
				detached = detach_keys_filter(&k, in, (size_t)n, packet + 1, &outn);
				packet[0] = ATTACH_STDIN;
				if (outn)
					send(sock, packet, outn + 1, MSG_NOSIGNAL);
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(sock, packet, sizeof(packet) - 1, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (packet[0] == ATTACH_STDOUT || packet[0] == ATTACH_STDERR) {
				write_all(packet[0] == ATTACH_STDOUT ? STDOUT_FILENO : STDERR_FILENO, packet + 1, (size_t)n - 1);
			} else if (packet[0] == ATTACH_EXIT) {
				packet[n] = '\0';
				code = atoi(packet + 1);
			}
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (detached)
		return end(status_fd, "detached", 0);
	if (code < 0)
		return end(status_fd, "lost", 125);
	snprintf(in, sizeof(in), "exit %d", code);
	return end(status_fd, in, code);
}
