/*
 * cocker-launch: what bin/cocker-runtime is (a symlink to this binary). It
 * starts cocker-runtime's node (from the heap snapshot the build made, or
 * from the bundle when the snapshot is missing or older than node, which
 * could not load it) and, while node boots, turns itself into the sealed
 * helper, waiting on three pipes node inherits:
 *
 *   launcher --fork--> node  (_COCKER_HELPER_FDS=request,events,sync: node's ends)
 *      |
 *      +--exec_sealed--> cocker-helper --node-pid PID  (the other ends)
 *
 * Node then sends its first plan there instead of spawning a helper, which
 * spares it node:child_process, a fork of a large process and the helper's
 * own start-up (measured: ~4 ms of a `run`). The helper exits with node's
 * status once node is done, so callers (podman, containerd's shim) wait for
 * the one process they started, and signals sent to it reach node, or the
 * container while one runs in the foreground. Without a plan (state, kill,
 * list…) the helper only waits. Every pipe is made here, so nothing else of
 * the caller's fds changes: --preserve-fds still finds its fds at 3 and up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

#define PROGRAM "cocker-runtime"

static const char *program = PROGRAM;

static void die(int code, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", program);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(code);
}

/* node's path, as the shell would find it (without PATH, in the shell's default one: conmon runs us so) */
static int find_node(char *out, size_t cap)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL;

	dirs = strdup(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (!dirs)
		return -1;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct stat st;

		if ((size_t)snprintf(out, cap, "%s/node", *d ? d : ".") < cap && stat(out, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(out, X_OK) == 0) {
			free(dirs);
			return 0;
		}
	}
	free(dirs);
	return -1;
}

static int newer(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec > b->st_mtim.tv_sec ||
	       (a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

/* every fd but 0-2 and `keep` (n of them, ascending): the helper (and a monitor it becomes) holds nothing of the caller's */
static void close_other_fds(const int *keep, int n)
{
	int from = 3;

	for (int i = 0; i < n; from = keep[i++] + 1)
		if (keep[i] > from)
			close_range((unsigned)from, (unsigned)keep[i] - 1, 0);
	close_range((unsigned)from, ~0U, 0);
}

static int ascending(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* --cocker: bin/cocker's `run`; see the head of this file */
static int launch_cocker(const char *root, char *node, int argc, char **argv)
{
	static char script[PATH_MAX + 64], helper[PATH_MAX + 64];
	const char *override = getenv("COCKER_HELPER");
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	int req[2], ev[2], sync[2], exe, n = 0;
	char fds[80];
	pid_t pid;

	if (!args)
		die(1, "%s", "out of memory");
	snprintf(script, sizeof(script), "%s/dist/lib/cli/start.cjs", root);
	args[n++] = node;
	args[n++] = script;
	for (int i = 2; i < argc; i++)
		args[n++] = argv[i];
	snprintf(helper, sizeof(helper), "%s/c/cocker-helper", root);
	exe = open(override ? override : helper, O_RDONLY | O_CLOEXEC);
	/* node spawns its helpers itself when we cannot start one */
	if (exe < 0 || pipe2(req, O_CLOEXEC) < 0 || pipe2(ev, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0)
		goto node;
	pid = fork();
	if (pid < 0)
		goto node;
	if (pid == 0) {
		char rs[16], es[16], ss[16];
		char *hargv[] = { "cocker-helper", "--request-fd", rs, "--event-fd", es, "--sync-fd", ss, NULL };
		int keep[4] = { exe, req[0], ev[1], sync[0] };

		qsort(keep, 4, sizeof(*keep), ascending);
		close_other_fds(keep, 4);
		snprintf(rs, sizeof(rs), "%d", req[0]);
		snprintf(es, sizeof(es), "%d", ev[1]);
		snprintf(ss, sizeof(ss), "%d", sync[0]);
		fcntl(req[0], F_SETFD, 0);
		fcntl(ev[1], F_SETFD, 0);
		fcntl(sync[0], F_SETFD, 0);
		exec_sealed(exe, hargv);
		/* node finds the events closed before hello and says the helper died, as it would of a spawned one */
		_exit(127);
	}
	close(exe);
	close(req[0]);
	close(ev[1]);
	close(sync[0]);
	snprintf(fds, sizeof(fds), "%d,%d,%d,%d", req[1], ev[0], sync[1], pid);
	setenv("_COCKER_HELPER_FDS", fds, 1);
	fcntl(req[1], F_SETFD, 0);
	fcntl(ev[0], F_SETFD, 0);
	fcntl(sync[1], F_SETFD, 0);
node:
	execv(node, args);
	die(127, "cannot run node: %s", strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	static char self[PATH_MAX], root[PATH_MAX], node[PATH_MAX], script[PATH_MAX + 64], helper[PATH_MAX + 64];
	const char *override = getenv("COCKER_HELPER");
	char **args = calloc((size_t)argc + 4, sizeof(*args));
	int req[2], ev[2], sync[2], exe, n = 0;
	struct stat node_st, blob_st;
	char fds[64], pid_arg[32];
	sigset_t forward, unblocked;
	pid_t pid, parent;

	/* closed stdio gets /dev/null, as node would do: else our pipes would take fds 0-2 */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die(1, "%s", "cannot open /dev/null for a closed standard stream");

	if (argc > 1 && strcmp(argv[1], "--cocker") == 0)
		program = "cocker";
	/* the package root: this binary is <root>/c/cocker-launch */
	if (!args || !realpath("/proc/self/exe", self))
		die(1, "cannot find where it is installed: %s", strerror(errno));
	snprintf(root, sizeof(root), "%s", self);
	for (int up = 0; up < 2; up++)
		*(strrchr(root, '/') ?: root) = '\0';
	if (find_node(node, sizeof(node)) < 0 || stat(node, &node_st) < 0)
		die(127, "%s", "node is not on PATH; cocker needs node 20.16 or later");
	/* cocker is a node program: the user's NODE_OPTIONS apply (bin/cocker took NODE_EXTRA_CA_CERTS) */
	if (strcmp(program, "cocker") == 0)
		return launch_cocker(root, node, argc, argv);

	/*
	 * cocker-runtime is a program that happens to be node, not a node script: the
	 * user's node options are not for it (a V8 flag among them would even make node
	 * refuse the snapshot), and it makes no TLS connection, so node need not parse
	 * an extra CA bundle at start (30 ms and more).
	 */
	unsetenv("NODE_OPTIONS");
	unsetenv("NODE_EXTRA_CA_CERTS");

	args[n++] = node;
	snprintf(script, sizeof(script), "%s/dist/snapshot/" PROGRAM ".blob", root);
	if (access(script, R_OK) == 0 && stat(script, &blob_st) == 0 && newer(&blob_st, &node_st)) {
		args[n++] = "--snapshot-blob";
		args[n++] = script;
		args[n++] = "--";
	} else {
		snprintf(script, sizeof(script), "%s/dist/bundle/" PROGRAM ".js", root);
		args[n++] = script;
	}
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];

	/* no helper to become (not built), or no way to hand node the pipes: node spawns one itself */
	snprintf(helper, sizeof(helper), "%s/c/cocker-helper", root);
	exe = open(override ? override : helper, O_RDONLY | O_CLOEXEC);
	if (exe < 0 || pipe2(req, O_CLOEXEC) < 0 || pipe2(ev, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0) {
		execv(node, args);
		die(127, "cannot run node: %s", strerror(errno));
	}
	/* from here on signals wait for the helper, which passes them on (a blocked mask survives exec) */
	forward_signal_set(&forward);
	sigprocmask(SIG_BLOCK, &forward, &unblocked);
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		execv(node, args);
		die(127, "cannot run node: %s", strerror(errno));
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		/* a kill -9 of cocker-runtime (us) must stop its work, as it did when we were node */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(137);
		snprintf(fds, sizeof(fds), "%d,%d,%d", req[1], ev[0], sync[1]);
		setenv("_COCKER_HELPER_FDS", fds, 1);
		fcntl(req[1], F_SETFD, 0);
		fcntl(ev[0], F_SETFD, 0);
		fcntl(sync[1], F_SETFD, 0);
		execv(node, args);
		die(127, "cannot run node: %s", strerror(errno));
	}
	close(req[1]);
	close(ev[0]);
	close(sync[1]);
	/* the helper's ends must survive the exec; it marks them close-on-exec again */
	fcntl(req[0], F_SETFD, 0);
	fcntl(ev[1], F_SETFD, 0);
	fcntl(sync[0], F_SETFD, 0);
	{
		char rs[16], es[16], ss[16];
		char *hargv[] = { PROGRAM, "--request-fd", rs, "--event-fd", es, "--sync-fd", ss, "--node-pid", pid_arg, NULL };
		const char *step;

		snprintf(rs, sizeof(rs), "%d", req[0]);
		snprintf(es, sizeof(es), "%d", ev[1]);
		snprintf(ss, sizeof(ss), "%d", sync[0]);
		snprintf(pid_arg, sizeof(pid_arg), "%d", pid);
		step = exec_sealed(exe, hargv);
		fprintf(stderr, PROGRAM ": cannot start the helper from a sealed copy (%s: %s)\n", step, strerror(errno));
	}
	/* node is running already: without a helper its plan finds no reader, and it says so */
	close(req[0]);
	close(ev[1]);
	close(sync[0]);
	{
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}
