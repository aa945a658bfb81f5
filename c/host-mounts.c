/*
 * host-overlay and host-expose: stage 0's mounts for a container of root
 * with a user namespace of its own. Its root is an id the host gives nothing:
 * it cannot pass root's store (0700), and an overlay it mounted inside its
 * namespace could not read the trusted.* xattrs that root's layers keep their
 * opaque directories in. So stage 0, with the host's rights, mounts in a
 * mount namespace of its own before the clone, the init's namespace is copied
 * from that one (the copies become locked, which pivot_root does not mind),
 * and stage 0 goes back to its own namespace at once: nothing is mounted on
 * the host, and the mounts go with the container's namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

#define MAX_EXPOSED 64

/* Creates the mount point PATH inside the fresh tmpfs on ROOT: its directories, and a file or directory as `st` is. */
static void make_mount_point(const char *path, size_t root_len, const struct stat *st)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		helper_fail("host-expose", "mkdir", ENAMETOOLONG, path, "path too long");
	strcpy(buf, path);
	for (char *p = buf + root_len + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			helper_fail("host-expose", "mkdir", errno, buf, "cannot make a mount point");
		*p = '/';
	}
	if (S_ISDIR(st->st_mode) ? mkdir(buf, 0755) < 0 && errno != EEXIST
				 : mknod(buf, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
		helper_fail("host-expose", "mkdir", errno, buf, "cannot make a mount point");
}

/*
 * host-expose ROOT PATHS: ROOT hidden under a tmpfs (0755), each PATH (under
 * ROOT) bound back at its place: the init reaches these and nothing else of ROOT.
 */
static void expose(const struct op *op)
{
	const char *root = op->f[0].s;
	size_t root_len = strlen(root), n = op->f[1].n;
	int fds[MAX_EXPOSED];
	struct stat st[MAX_EXPOSED];

	if (n > MAX_EXPOSED)
		helper_fail("host-expose", "open", E2BIG, root, "too many paths to expose");
	/* opened first: the tmpfs hides them */
	for (size_t i = 0; i < n; i++) {
		const char *p = op->f[1].v[i];

		if (strncmp(p, root, root_len) != 0 || p[root_len] != '/')
			helper_fail("host-expose", "open", EINVAL, p, "not a path under the hidden root");
		fds[i] = open(p, O_PATH | O_CLOEXEC);
		if (fds[i] < 0 || fstat(fds[i], &st[i]) < 0)
			helper_fail("host-expose", "open", errno, p, "cannot open a path to expose");
	}
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		helper_fail("host-expose", "mount", errno, root, "cannot hide the store under a tmpfs");
	for (size_t i = 0; i < n; i++) {
		char src[64];

		make_mount_point(op->f[1].v[i], root_len, &st[i]);
		snprintf(src, sizeof(src), "/proc/self/fd/%d", fds[i]);
		if (mount(src, op->f[1].v[i], NULL, MS_BIND | MS_REC, NULL) < 0)
			helper_fail("host-expose", "mount", errno, op->f[1].v[i], "cannot bind a path back over the tmpfs");
		close(fds[i]);
	}
}

int host_mounts_enter(const struct op *overlay, const struct op *exposed, int *cwd)
{
	int back;

	if (!overlay && !exposed)
		return -1;
	back = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	*cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (back < 0 || *cwd < 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		helper_fail("host-overlay", "unshare", errno, NULL, "cannot make a mount namespace for the container's root");
	if (overlay) {
		/* from CWD: the lowerdirs are short relative links, as in the overlay op */
		if (chdir(overlay->f[2].s) < 0)
			helper_fail("host-overlay", "chdir", errno, overlay->f[2].s, "cannot enter the layer store");
		if (mount("overlay", overlay->f[0].s, "overlay", 0, overlay->f[1].s) < 0)
			helper_fail("host-overlay", "mount", errno, overlay->f[0].s,
				    "cannot mount the image's layers as an overlay");
		if (fchdir(*cwd) < 0)
			helper_fail("host-overlay", "fchdir", errno, NULL, "cannot return to the working directory");
	}
	if (exposed)
		expose(exposed);
	return back;
}

void host_mounts_leave(int back, int cwd)
{
	if (back < 0)
		return;
	if (setns(back, CLONE_NEWNS) < 0 || fchdir(cwd) < 0)
		helper_fail("host-overlay", "setns", errno, NULL, "cannot return to the host's mount namespace");
	close(back);
	close(cwd);
}
