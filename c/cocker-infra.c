/*
 * cocker-infra: the process a pod's infra container runs, in the role of Podman's catatonit
 * -P. It exists so that the pod's shared namespaces (network, IPC, UTS) have a holder while
 * no other container of the pod runs. As the PID 1 of its namespace it reaps whatever the
 * kernel reparents to it, and it exits 0 on SIGTERM or SIGINT (a PID 1 gets only the signals
 * it handles, so without handlers `pod stop` would wait out its timeout).
 * It also brings the namespace's loopback up, so that the pod's containers reach each other
 * on 127.0.0.1 whatever network the pod has (the infra alone is given CAP_NET_ADMIN for it).
 * With `--pid-file PATH` it writes its pid there first: as the holder of a rootless bridge
 * network's namespaces (lib/network/bridge/rootless-netns.ts) it is started from the host, and
 * the file names it even when the command that started it is killed before it could.
 * Static and libc only: it runs from a bind mount in a rootfs that holds nothing else.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Best effort: in the host's network namespace, or without the capability, it stays as it is. */
static void loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

/* PATH.tmp then renamed: a reader never sees half a pid */
static void write_pid_file(const char *file)
{
	char tmp[4096], text[32];
	int fd, n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (write(fd, text, (size_t)n) == n && close(fd) == 0)
		rename(tmp, file);
	else
		close(fd);
}

int main(int argc, char **argv)
{
	sigset_t wanted;
	sigemptyset(&wanted);
	sigaddset(&wanted, SIGTERM);
	sigaddset(&wanted, SIGINT);
	sigaddset(&wanted, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wanted, NULL);
	prctl(PR_SET_NAME, "cocker-infra");
	if (argc == 3 && strcmp(argv[1], "--pid-file") == 0) {
		/* out of the starting command's session: a signal to its group is not for us */
		setsid();
		write_pid_file(argv[2]);
	}
	loopback_up();
	for (;;) {
		int sig;
		if (sigwait(&wanted, &sig) != 0)
			continue;
		if (sig != SIGCHLD)
			return 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}
