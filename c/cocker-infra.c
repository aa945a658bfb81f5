/*
 * cocker-infra: the process a pod's infra container runs, in the role of Podman's catatonit
 * -P. It exists so that the pod's shared namespaces (network, IPC, UTS) have a holder while
 * no other container of the pod runs. As the PID 1 of its namespace it reaps whatever the
 * kernel reparents to it, and it exits 0 on SIGTERM or SIGINT (a PID 1 gets only the signals
 * it handles, so without handlers `pod stop` would wait out its timeout).
 * Static and libc only: it runs from a bind mount in a rootfs that holds nothing else.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	sigset_t wanted;
	sigemptyset(&wanted);
	sigaddset(&wanted, SIGTERM);
	sigaddset(&wanted, SIGINT);
	sigaddset(&wanted, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wanted, NULL);
	prctl(PR_SET_NAME, "cocker-infra");
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
