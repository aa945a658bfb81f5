/*
 * The monitor's own clean-up (op monitor-release): what the node clean-up
 * (lib/container/cleanup.ts) releases after a container of cocker's runtime
 * ends, for the containers TS hands it to (no --rm, no restart policy, no
 * health check): its cgroups and the runtime's state dir. Mounts need no
 * work: the rootfs is mounted in the container's mount namespace only,
 * which ends with its last process.
 *
 * Every step can be repeated, and a kill -9 between two of them leaves what
 * a killed monitor leaves, which the next start, rm or `system check`
 * finishes (they take a dead holder's lock over). TS decides what goes;
 * this file only removes it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* Field 22 of /proc/PID/stat (start time), and whether the process has not ended (a zombie has). */
static int proc_start(pid_t pid, char *start, size_t cap)
{
	char path[64], buf[1024];
	const char *p;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: fields start after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return -1;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	snprintf(start, cap, "%.*s", (int)strcspn(p, " \n"), p);
	return 0;
}

/* Whether the "PID STARTTIME" of a lock names a process that still runs. */
static int stamp_alive(const char *stamp)
{
	char start[32];
	const char *sp = strchr(stamp, ' ');
	unsigned long long pid;
	char pidtext[24];

	if (!sp || (size_t)(sp - stamp) >= sizeof(pidtext))
		return 0;
	snprintf(pidtext, sizeof(pidtext), "%.*s", (int)(sp - stamp), stamp);
	if (parse_ull(pidtext, 10, &pid) < 0 || proc_start((pid_t)pid, start, sizeof(start)) < 0)
		return 0;
	return strncmp(sp + 1, start, strlen(start)) == 0 && strchr(" \n", sp[1 + strlen(start)]);
}

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * The container's lock, as withContainerLock (lib/container/record.ts) takes
 * it: the file created with O_EXCL holding "PID STARTTIME"; a holder that is
 * gone is taken over. Gives up (-1) when the container's directory has gone
 * (rm renamed it away) or after a minute.
 */
int release_lock(const char *path)
{
	char self[32], stamp[64], holder[64];

	if (proc_start(getpid(), self, sizeof(self)) < 0)
		return -1;
	snprintf(stamp, sizeof(stamp), "%d %s", (int)getpid(), self);
	for (int waited = 0; waited < 60000; waited += 10) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ssize_t n;

		if (fd >= 0) {
			int ok = write_all(fd, stamp, strlen(stamp)) == 0;

			if (close(fd) == 0 && ok)
				return 0;
			unlink(path);
			return -1;
		}
		if (errno != EEXIST)
			return -1;
		n = read_small(path, holder, sizeof(holder));
		/* empty: its holder is between creating and writing it */
		if (n > 0 && !stamp_alive(holder)) {
			char again[64];

			/* taken over only if it still names the dead holder: another waiter may have been first */
			if (read_small(path, again, sizeof(again)) == n && strcmp(again, holder) == 0)
				unlink(path);
			continue;
		}
		sleep_ms(10);
	}
	return -1;
}

/* Whether a cgroup's memory controller saw its OOM killer kill (v2 memory.events, v1 memory.oom_control). */
int release_oom_killed(char *const *dirs, size_t n)
{
	static const char *files[] = { "memory.events", "memory.oom_control" };

	for (size_t i = 0; i < n; i++) {
		for (size_t f = 0; f < 2; f++) {
			char path[4096], buf[1024];
			const char *line;

			snprintf(path, sizeof(path), "%s/%s", dirs[i], files[f]);
			if (read_small(path, buf, sizeof(buf)) <= 0)
				continue;
			for (line = buf; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
				if (strncmp(line, "oom_kill ", 9) == 0)
					return strtoul(line + 9, NULL, 10) > 0;
			}
		}
	}
	return 0;
}

/*
 * A cgroup and those nested in it, deepest first. Processes just killed stay
 * in a cgroup until they are reaped, so rmdir gets EBUSY for a while.
 */
static int remove_cgroup(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		char sub[4096];

		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (remove_cgroup(sub) < 0)
			rc = -1;
	}
	closedir(d);
	for (int attempt = 0; rc == 0; attempt++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || attempt >= 20)
			return -1;
		sleep_ms(5 * (attempt + 1));
	}
	return rc;
}

int release_cgroups(char *const *dirs, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (remove_cgroup(dirs[i]) < 0)
			rc = -1;
	return rc;
}

/* The runtime's state dir of the container (lib/runtime/state.ts): its files, then itself. */
int release_state_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)))
		if (e->d_type != DT_DIR)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}
