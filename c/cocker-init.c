/*
 * cocker-init: the container's PID 1 with `run --init`, in the role of catatonit or tini.
 * It runs the command as its only child, forwards every signal it receives to it, reaps
 * every process the kernel reparents to it, and exits with the command's status.
 * Static and libc only, because it runs from a bind mount in any image:
 * `cocker-init -- COMMAND [ARG...]`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Podman's statuses for a command that cannot be run (define/exec_codes.go). */
#define STATUS_CANNOT_INVOKE 126
#define STATUS_NOT_FOUND 127

/*
 * Signals the kernel raises for a fault of the process itself. They are neither blocked
 * nor forwarded: a fault in the init must end it, not spin on the faulting instruction.
 */
static int is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
	       sig == SIGSYS || sig == SIGABRT;
}

/* The shell's convention, as podman reports it: the exit code, or 128+N after signal N. */
static int status_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void run_command(char **argv, const sigset_t *original)
{
	/*
	 * The command leads a process group of its own and, on a terminal, the foreground
	 * one: the terminal's ^C and ^Z then reach it and not the init (which would forward
	 * them a second time). tcsetpgrp from a background group would stop us with SIGTTOU,
	 * unless that is blocked, as every signal still is here.
	 */
	setpgid(0, 0);
	if (isatty(STDIN_FILENO))
		tcsetpgrp(STDIN_FILENO, getpgrp());
	sigprocmask(SIG_SETMASK, original, NULL);
	execvp(argv[0], argv);
	int err = errno;
	fprintf(stderr, "cocker-init: cannot run %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? STATUS_NOT_FOUND : STATUS_CANNOT_INVOKE);
}

/* Reaps every child that has ended; returns 1 and sets *code once `command` is among them. */
static int reap(pid_t command, int *code)
{
	int status, done = 0;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == command) {
			*code = status_code(status);
			done = 1;
		}
	}
	return done;
}

int main(int argc, char **argv)
{
	int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (first >= argc) {
		fprintf(stderr, "cocker-init: no command given; usage: cocker-init -- COMMAND [ARG...]\n");
		return STATUS_CANNOT_INVOKE;
	}

	/*
	 * Block every signal before the fork, so none arrives between it and the wait
	 * loop: they stay pending and sigwaitinfo takes them in order. Blocked, they also
	 * reach PID 1 of a PID namespace, which drops a signal it has no handler for.
	 */
	sigset_t all, original;
	sigfillset(&all);
	for (int sig = 1; sig < NSIG; sig++)
		if (is_fault(sig))
			sigdelset(&all, sig);
	sigprocmask(SIG_BLOCK, &all, &original);

	/* Outside a PID namespace of its own (--pid host) orphans reach us only as a subreaper. */
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		fprintf(stderr, "cocker-init: cannot become a subreaper: %s\n", strerror(errno));

	pid_t command = fork();
	if (command < 0) {
		fprintf(stderr, "cocker-init: cannot fork: %s\n", strerror(errno));
		return STATUS_CANNOT_INVOKE;
	}
	if (command == 0)
		run_command(argv + first, &original);

	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cocker-init: sigwaitinfo: %s\n", strerror(errno));
			return STATUS_CANNOT_INVOKE;
		}
		int code;
		if (sig == SIGCHLD) {
			if (reap(command, &code))
				return code;
			continue;
		}
		/* ESRCH: the command has ended and its SIGCHLD is on the way */
		if (kill(command, sig) < 0 && errno != ESRCH)
			fprintf(stderr, "cocker-init: cannot forward signal %d: %s\n", sig, strerror(errno));
	}
}
