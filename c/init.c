/*
 * Stage 1: the container's init. It runs the plan's C ops in the order TS
 * wrote them (mounts, devices, pivot_root, masks, limits, identity,
 * seccomp), reports the first failure with the op and errno, and finally
 * execs the container's process. Until the exec it reports on a CLOEXEC pipe
 * to stage 0 (tagged lines); after the exec fifo opens, on the fifo itself,
 * so that `start` learns about a failed exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <grp.h>
#include <unistd.h>

#include "helper.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#endif

#define MAX_HOOKS 64
#define MAX_ENV 4096

static int report_fd = -1;
static char report_tag = 'E';
static const char *current_op = "init";

static int root_fd = -1;
static const char *rootfs;
/* tree-rootfs: the rootfs is a detached mount tree, reached only by the new mount API */
static int detached;
/* enter-root: our /proc/self/fd, kept to reopen the exec fifo from a root without /proc */
static int proc_fds = -1;

static char *envp[MAX_ENV + 1];
static size_t nenv;
static char **argv_exec;
static char exec_path[PATH_MAX];

struct hook {
	const char *stage, *path;
	unsigned long long timeout;
	char **argv, **env;
};
static struct hook hooks[MAX_HOOKS];
static size_t nhooks;
static char *state_json;
static unsigned state_len;

__attribute__((noreturn, format(printf, 4, 5))) static void die(const char *syscall, int err,
								  const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_error(report_fd, report_tag, current_op, syscall, err, path, "%s", msg);
	_exit(1);
}

static unsigned long long num(const char *s, int base)
{
	unsigned long long v;

	if (parse_ull(s, base, &v) < 0)
		die("parse", EINVAL, s, "not a number");
	return v;
}

/* Opens a path inside the rootfs; symlinks (even absolute ones) and ".." cannot leave it. */
static int open_in_root(const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
}

/*
 * mkdir -p inside the rootfs, one component at a time, each resolved from the
 * rootfs again so that a symlink planted by the image cannot point a later
 * component outside. Returns an O_PATH fd of the directory.
 */
static int mkdirs_in_root(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	int fd;

	if (len >= sizeof(buf))
		die("mkdir", ENAMETOOLONG, path, "path too long");
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		fd = open_in_root(buf, O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(buf, '/');
			int parent;

			*slash = '\0';
			parent = open_in_root(buf, O_PATH | O_DIRECTORY);
			*slash = '/';
			if (parent < 0 || (mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST))
				die("mkdirat", errno, buf, "cannot create a directory in the rootfs");
			close(parent);
			fd = open_in_root(buf, O_PATH | O_DIRECTORY);
		}
		if (fd < 0)
			die("openat2", errno, buf, "cannot open a directory in the rootfs");
		*p = saved;
		if (!saved)
			return fd;
		close(fd);
	}
}

/* The parent directory of path (created if needed) and its last component. */
static int open_parent(const char *path, const char **name)
{
	char buf[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash || !slash[1] || (size_t)(slash - path) >= sizeof(buf))
		die("open", EINVAL, path, "not an absolute path to a file");
	*name = slash + 1;
	if (slash == path)
		return open_in_root("/", O_PATH | O_DIRECTORY);
	memcpy(buf, path, (size_t)(slash - path));
	buf[slash - path] = '\0';
	return mkdirs_in_root(buf);
}

/* Creates the mount point (a directory, or a file for a file bind mount) and opens it. */
static int mount_target(const char *dst, int want_file)
{
	const char *name;
	int parent, fd;

	if (!rootfs) {
		fd = open(dst, O_PATH | O_CLOEXEC);
		if (fd < 0)
			die("open", errno, dst, "cannot open the mount point");
		return fd;
	}
	if (!want_file)
		return mkdirs_in_root(dst);
	fd = open_in_root(dst, O_PATH);
	if (fd >= 0)
		return fd;
	parent = open_parent(dst, &name);
	fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno != EEXIST)
		die("openat", errno, dst, "cannot create the mount point");
	if (fd >= 0)
		close(fd);
	close(parent);
	fd = open_in_root(dst, O_PATH);
	if (fd < 0)
		die("openat2", errno, dst, "cannot open the mount point");
	return fd;
}

/* Flags that a less privileged user namespace may not clear on a remount. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int remount(const char *path, unsigned long flags)
{
	flags |= MS_REMOUNT | MS_BIND;
	if (mount(NULL, path, NULL, flags, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	return mount(NULL, path, NULL, flags | locked_flags(path), NULL);
}

/*
 * A container without a mount namespace shares the host's mount table, where
 * anything mounted would outlive it. Its rootfs is then a detached clone
 * (open_tree OPEN_TREE_CLONE, tree-rootfs): every mount goes onto the clone
 * with the new mount API (mount(2) cannot reach a detached tree; attaching to
 * one needs Linux 6.15), the init chroots into it (enter-root), and the kernel
 * dissolves the tree when the last process rooted in it is gone. The host's
 * mount table never sees any of it.
 */

/* The per-mount MS_* flags as MOUNT_ATTR_* (the atime mode is a value within MOUNT_ATTR__ATIME). */
static unsigned long long mount_attrs(unsigned long flags)
{
	unsigned long long a = 0;

	if (flags & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (flags & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (flags & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (flags & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	return a;
}

static int set_attrs(int mnt, unsigned long flags, int recursive)
{
	struct mount_attr attr = { .attr_set = mount_attrs(flags) };

	if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
		attr.attr_clr = MOUNT_ATTR__ATIME;
	return mount_setattr(mnt, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr));
}

/* A new filesystem as a detached mount: DATA's comma-separated options become fsconfig calls. */
static int fs_mount(const char *type, const char *src, unsigned long flags, const char *data)
{
	static const struct { unsigned long ms; const char *key; } sb_flags[] = {
		{ MS_RDONLY, "ro" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
		{ MS_LAZYTIME, "lazytime" }, { MS_MANDLOCK, "mand" },
	};
	char *opts = strdup(data), *save = NULL;
	int fs = fsopen(type, FSOPEN_CLOEXEC), mnt = -1, err;

	if (fs < 0 || !opts)
		goto out;
	if (*src && fsconfig(fs, FSCONFIG_SET_STRING, "source", src, 0) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(sb_flags) / sizeof(sb_flags[0]); i++)
		if ((flags & sb_flags[i].ms) && fsconfig(fs, FSCONFIG_SET_FLAG, sb_flags[i].key, NULL, 0) < 0)
			goto out;
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');

		if (eq)
			*eq = '\0';
		if (fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL, 0) < 0)
			goto out;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned int)mount_attrs(flags));
out:
	err = errno;
	free(opts);
	if (fs >= 0)
		close(fs);
	errno = err;
	return mnt;
}

/* Attaches a detached mount on TARGET (an fd, or a path when target_fd is AT_FDCWD), then sets its propagation. */
static void attach(int mnt, int target_fd, const char *target, unsigned long prop)
{
	struct mount_attr attr = { .propagation = prop & (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE) };
	int to_fd = target_fd != AT_FDCWD;

	if (move_mount(mnt, "", target_fd, to_fd ? "" : target,
		       MOVE_MOUNT_F_EMPTY_PATH | (to_fd ? MOVE_MOUNT_T_EMPTY_PATH : 0)) < 0)
		die("move_mount", errno, target,
		    errno == EINVAL ? "cannot mount on %s: without a mount namespace cocker mounts on a detached "
				      "copy of the rootfs, which needs Linux 6.15 or later"
				    : "cannot mount on %s",
		    target);
	if (attr.propagation &&
	    mount_setattr(mnt, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
		die("mount_setattr", errno, target, "cannot set the propagation of %s", target);
	close(mnt);
}

static void op_tree_rootfs(const char *dir, unsigned long prop)
{
	/* slave or private at once: a clone of a shared mount is its peer, and would pass every mount on to the host */
	struct mount_attr attr = { .propagation = prop & (MS_SLAVE | MS_PRIVATE) };

	rootfs = dir;
	root_fd = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (root_fd < 0)
		die("open_tree", errno, dir, "cannot copy the rootfs %s as a detached mount tree", dir);
	if (!attr.propagation)
		attr.propagation = MS_SLAVE;
	if (mount_setattr(root_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		die("mount_setattr", errno, dir, "cannot make the copy of the rootfs %s a slave", dir);
	detached = 1;
}

static void op_enter_root(const char *path)
{
	int fd = *path ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) : root_fd;

	if (!*path)
		path = rootfs;
	if (fd < 0)
		die("open", errno, path, "cannot open the root %s", path ? path : "(none)");
	proc_fds = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		die("chroot", errno, path, "cannot change root to %s", path);
	if (fd != root_fd)
		close(fd);
}

#define BIND_EXTRA (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | \
		    MS_RELATIME | MS_STRICTATIME)

static void op_mount(struct op *op)
{
	const char *src = op->f[0].s, *dst = op->f[1].s, *type = op->f[2].s, *data = op->f[5].s;
	unsigned long flags = num(op->f[3].s, 10), prop = num(op->f[4].s, 10);
	struct stat st;
	char target[64];
	int want_file = 0, fd;

	if ((flags & MS_BIND) && stat(src, &st) == 0 && !S_ISDIR(st.st_mode))
		want_file = 1;
	fd = mount_target(dst, want_file);
	if (detached) {
		int mnt = (flags & MS_BIND) ? open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
							   ((flags & MS_REC) ? AT_RECURSIVE : 0))
					    : fs_mount(type, src, flags, data);

		if (mnt < 0 || ((flags & MS_BIND) && (flags & BIND_EXTRA) && set_attrs(mnt, flags, 0) < 0))
			die("mount", errno, dst, "cannot mount %s (type %s) on %s", src, *type ? type : "bind", dst);
		attach(mnt, fd, dst, prop);
		close(fd);
		return;
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	/* a bind mount ignores every other flag: they need a remount */
	if (mount(src, target, *type ? type : NULL, (flags & MS_BIND) ? flags & ~BIND_EXTRA : flags,
		  *data ? data : NULL) < 0)
		die("mount", errno, dst, "cannot mount %s (type %s) on %s", src, *type ? type : "bind", dst);
	close(fd);
	fd = open_in_root(dst, O_PATH);
	if (fd < 0)
		die("openat2", errno, dst, "cannot open the new mount");
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if ((flags & MS_BIND) && (flags & BIND_EXTRA) && remount(target, flags & BIND_EXTRA) < 0)
		die("mount", errno, dst, "cannot remount %s with its options", dst);
	if (prop && mount(NULL, target, NULL, prop, NULL) < 0)
		die("mount", errno, dst, "cannot set the propagation of %s", dst);
	close(fd);
}

static void op_mknod(struct op *op)
{
	const char *name;
	int parent = open_parent(op->f[0].s, &name);
	mode_t mode = (mode_t)num(op->f[1].s, 10);
	dev_t dev = makedev(num(op->f[2].s, 10), num(op->f[3].s, 10));

	if (mknodat(parent, name, mode, dev) < 0 && errno != EEXIST)
		die("mknod", errno, op->f[0].s, "cannot create device %s", op->f[0].s);
	if (fchownat(parent, name, (uid_t)num(op->f[4].s, 10), (gid_t)num(op->f[5].s, 10),
		     AT_SYMLINK_NOFOLLOW) < 0)
		die("fchownat", errno, op->f[0].s, "cannot set the owner of %s", op->f[0].s);
	close(parent);
}

static void op_symlink(struct op *op)
{
	const char *name;
	int parent = open_parent(op->f[1].s, &name);

	if (symlinkat(op->f[0].s, parent, name) < 0 && errno != EEXIST)
		die("symlink", errno, op->f[1].s, "cannot create the symlink %s", op->f[1].s);
	close(parent);
}

static void op_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write_all(fd, value, strlen(value)) < 0)
		die("write", errno, path, "cannot write \"%s\" to %s", value, path);
	close(fd);
}

/* runc's trick: pivot_root(".", ".") stacks the old root under the new one, then detach it. */
static void op_pivot_root(void)
{
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0 || newroot < 0 || fchdir(newroot) < 0)
		die("open", errno, rootfs, "cannot open the rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root", errno, rootfs, "pivot_root failed");
	if (fchdir(oldroot) < 0)
		die("fchdir", errno, NULL, "cannot enter the old root");
	/* keep the unmount of the old root from propagating to the host */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die("mount", errno, NULL, "cannot make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		die("umount2", errno, NULL, "cannot detach the old root");
	if (chdir("/") < 0)
		die("chdir", errno, "/", "cannot enter the new root");
	close(oldroot);
	close(newroot);
}

static void op_chroot(void)
{
	if (chdir(rootfs) < 0 || mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		die("chroot", errno, rootfs, "cannot change root to %s", rootfs);
}

static void op_mask(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return;
		die("stat", errno, path, "cannot mask %s", path);
	}
	if (detached) {
		int mnt = S_ISDIR(st.st_mode) ? fs_mount("tmpfs", "tmpfs", MS_RDONLY, "")
					      : open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

		if (mnt < 0)
			die("mount", errno, path, "cannot mask %s", path);
		attach(mnt, AT_FDCWD, path, 0);
	} else if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
			die("mount", errno, path, "cannot mask %s", path);
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
		die("mount", errno, path, "cannot mask %s", path);
	}
}

static void op_readonly(const char *path)
{
	if (detached) {
		int mnt = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

		if (mnt < 0 && errno == ENOENT)
			return;
		if (mnt < 0 || set_attrs(mnt, MS_RDONLY, 1) < 0)
			die("mount", errno, path, "cannot make %s read-only", path);
		attach(mnt, AT_FDCWD, path, 0);
		return;
	}
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return;
		die("mount", errno, path, "cannot make %s read-only", path);
	}
	if (remount(path, MS_RDONLY | MS_REC) < 0)
		die("mount", errno, path, "cannot make %s read-only", path);
}

static void op_console(struct op *op, int console)
{
	char name[64];
	int master, slave;

	if (console < 0)
		die("console", EBADF, NULL, "a terminal was requested without a console socket");
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		die("open", errno, "/dev/ptmx", "cannot create a pseudo-terminal");
	slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0)
		die("open", errno, name, "cannot open the pseudo-terminal");
	if (num(op->f[0].s, 10)) {
		struct winsize ws = { (unsigned short)num(op->f[0].s, 10),
				      (unsigned short)num(op->f[1].s, 10), 0, 0 };
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (send_fd(console, master, name) < 0)
		die("sendmsg", errno, NULL, "cannot send the terminal to the console socket");
	close(master);
	close(console);
	/* stage1_run made the init a session leader, without a controlling terminal yet */
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		die("ioctl", errno, name, "cannot make the terminal the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			die("dup2", errno, name, "cannot use the terminal as stdio");
	if (slave > 2)
		close(slave);
}

static void capset_masks(unsigned long long eff, unsigned long long perm, unsigned long long inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {
		{ (unsigned)eff, (unsigned)perm, (unsigned)inh },
		{ (unsigned)(eff >> 32), (unsigned)(perm >> 32), (unsigned)(inh >> 32) },
	};

	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset", errno, NULL, "cannot set the capabilities");
}

static void op_bounding(unsigned long long keep)
{
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die("prctl", errno, NULL, "cannot drop capability %d from the bounding set", cap);
}

static void op_ambient(unsigned long long mask)
{
	for (int cap = 0; cap < 64; cap++)
		if ((mask & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			die("prctl", errno, NULL, "cannot raise ambient capability %d", cap);
}

static void op_seccomp(struct op *op)
{
	const char *hex = op->f[1].s;
	size_t len = strlen(hex), n = len / 16;
	struct sock_filter *insns = calloc(n ? n : 1, sizeof(*insns));
	unsigned char *bytes = (unsigned char *)insns;
	struct sock_fprog prog = { (unsigned short)n, insns };

	if (!insns || len % 16 || n == 0 || n > BPF_MAXINSNS)
		die("seccomp", EINVAL, NULL, "bad seccomp program (%zu hex digits)", len);
	for (size_t i = 0; i < len / 2; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		bytes[i] = (unsigned char)num(byte, 16);
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)num(op->f[0].s, 10), &prog) < 0)
		die("seccomp", errno, NULL, "cannot load the seccomp filter");
	free(insns);
}

static const char *env_path(void)
{
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Resolves argv[0] as execvp would, so that a missing command fails at create. */
static void op_check_exec(void)
{
	const char *cmd = argv_exec ? argv_exec[0] : NULL;
	char dirs[PATH_MAX * 2], *save = NULL;
	struct stat st;

	if (!cmd || !*cmd)
		die("execve", EINVAL, NULL, "no command to run");
	if (strchr(cmd, '/')) {
		snprintf(exec_path, sizeof(exec_path), "%s", cmd);
		if (stat(cmd, &st) < 0)
			die("execve", errno, cmd, "exec: \"%s\": %s", cmd, strerror(errno));
		if (S_ISDIR(st.st_mode))
			die("execve", EISDIR, cmd, "exec: \"%s\": is a directory", cmd);
		/* as runc's LookPath: a file without an x bit is refused at create, not after start */
		if (!(st.st_mode & 0111))
			die("execve", EACCES, cmd, "exec: \"%s\": permission denied", cmd);
		return;
	}
	snprintf(dirs, sizeof(dirs), "%s", env_path());
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(exec_path, sizeof(exec_path), "%s/%s", *d ? d : ".", cmd);
		if (is_executable(exec_path))
			return;
	}
	exec_path[0] = '\0';
	die("execve", ENOENT, cmd, "exec: \"%s\": executable file not found in $PATH", cmd);
}

static void op_hooks_sync(struct op *op, int ts_sync)
{
	struct jline j;
	unsigned char len[4];
	size_t got = 0;

	jl_begin(&j, "hooks");
	jl_str(&j, "stage", op->f[0].s);
	jl_end(&j);
	if (jl_write(report_fd, 'H', &j) < 0)
		_exit(1);
	while (got < 4) {
		ssize_t n = read(ts_sync, len + got, 4 - got);

		if (n <= 0)
			_exit(1);
		got += (size_t)n;
	}
	free(state_json);
	state_len = (unsigned)len[0] | (unsigned)len[1] << 8 | (unsigned)len[2] << 16 |
		    (unsigned)len[3] << 24;
	if (state_len > COCKER_REQUEST_MAX)
		die("read", EFBIG, NULL, "hook state too large");
	state_json = malloc(state_len + 1);
	for (got = 0; state_json && got < state_len;) {
		ssize_t n = read(ts_sync, state_json + got, state_len - got);

		if (n <= 0)
			_exit(1);
		got += (size_t)n;
	}
}

/* Runs one hook with the state on stdin, killing it at its timeout. */
static void run_hook(struct hook *h)
{
	char *default_argv[] = { (char *)h->path, NULL };
	int in[2], status, pidfd;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		die("pipe", errno, h->path, "cannot run hook %s", h->path);
	pid = fork();
	if (pid < 0)
		die("fork", errno, h->path, "cannot run hook %s", h->path);
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execve(h->path, h->argv[0] ? h->argv : default_argv, h->env);
		_exit(127);
	}
	close(in[0]);
	if (state_json)
		write_all(in[1], state_json, state_len);
	close(in[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (h->timeout && pidfd >= 0) {
		struct pollfd p = { pidfd, POLLIN, 0 };

		if (poll(&p, 1, (int)(h->timeout * 1000)) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			die("hook", ETIMEDOUT, h->path, "%s hook %s timed out after %llu s", h->stage,
			    h->path, h->timeout);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno, h->path, "cannot wait for hook %s", h->path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("hook", 0, h->path, "%s hook %s failed with %s %d", h->stage, h->path,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/*
 * Tells stage 0 (and so TS) that the container is created, then blocks until
 * `start` opens the fifo for reading. The fifo was opened O_PATH before the
 * clone by stage 0; reopening it through /proc/self/fd reaches it from inside
 * (through the fd enter-root kept, where the root has no /proc).
 */
static void op_fifo_wait(int fifo_fd)
{
	struct jline j;
	char path[64];
	int fd;

	jl_begin(&j, "created");
	jl_end(&j);
	jl_write(report_fd, 'C', &j);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo_fd);
	do
		fd = proc_fds >= 0 ? openat(proc_fds, path + strlen("/proc/self/fd/"), O_WRONLY | O_CLOEXEC)
				   : open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		die("open", errno, "exec.fifo", "cannot open the exec fifo");
	/* the go byte: what follows it, up to EOF at the exec, is an error report */
	if (write_all(fd, "0", 1) < 0)
		die("write", errno, "exec.fifo", "cannot write to the exec fifo");
	close(fifo_fd);
	close(report_fd);
	report_fd = fd;
	report_tag = 0;
}

/*
 * rm -r of a tree that a user namespace's ids own (an image layer, a container's upper
 * dir): only root of that namespace may remove it. Never follows a symlink: every
 * directory is opened O_NOFOLLOW relative to its parent.
 */
int remove_at(int parent, const char *name)
{
	int fd, err = 0;
	DIR *dir;
	struct dirent *e;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* a directory without write or search permission (chmod 0 in an image) cannot be emptied */
	fchmod(fd, 0700);
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(dir), e->d_name) < 0)
			err = errno;
	}
	closedir(dir);
	if (err) {
		errno = err;
		return -1;
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* fuse-apart: the mount namespace the fuse-overlay daemons run in, or -1 (ours) */
static int daemon_mntns = -1;

/*
 * fuse-apart: from here on stage 1 works in a mount namespace of its own, and the
 * fuse-overlay daemons it starts stay in the one it left. A daemon keeps alive the
 * namespace it runs in; apart from its mount, it ends once the last process of ours is
 * gone (the mount goes with our namespace, and the kernel ends its connection). For a
 * process that is no pid namespace's init (cp, export of a stopped container).
 */
static void op_fuse_apart(void)
{
	daemon_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (daemon_mntns < 0)
		die("open", errno, "/proc/self/ns/mnt", "cannot open our mount namespace");
	if (unshare(CLONE_NEWNS) < 0)
		die("unshare", errno, NULL, "cannot make a mount namespace");
}

/*
 * fuse-overlay PROG DIR OPTS CWD: a FUSE mount on DIR over /dev/fuse, opened by stage 0
 * (fuse-dev: the container's device rules would refuse us the open) or, in a new user
 * namespace, here (the kernel wants the fd opened in the mount's user namespace), served by
 * `PROG -o OPTS /dev/fd/N` run from CWD: libfuse takes an fd that is mounted already.
 * Its first process exits once it serves the mount and has daemonized; the daemon stays
 * in the container's mount and pid namespaces (pivot_root moves its root along with ours;
 * it works on dir fds opened before) and dies with the pid namespace (after fuse-apart it
 * runs in the namespace left, and ends with our mount). The kernel mount
 * has allow_other and default_permissions: every user of the container reaches it, and
 * the kernel checks modes and owners as for any filesystem. Our copy of the fd is closed,
 * so the container never holds /dev/fuse. Its stderr comes back in the error message.
 */
static void op_fuse_overlay(struct op *op, int fuse)
{
	const char *prog = op->f[0].s, *dir = op->f[1].s, *opts = op->f[2].s, *cwd = op->f[3].s;
	char data[128], dev[32], msg[512];
	int errpipe[2], status, devnull;
	ssize_t n;
	sigset_t none;
	pid_t pid;

	/* in a new user namespace the fd must be opened in it: the kernel checks its opener */
	if (fuse < 0)
		fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse < 0)
		die("open", errno, "/dev/fuse", "cannot open /dev/fuse");
	snprintf(data, sizeof(data), "fd=%d,rootmode=40000,user_id=%u,group_id=%u,allow_other,default_permissions",
		 fuse, (unsigned)geteuid(), (unsigned)getegid());
	if (mount("fuse-overlayfs", dir, "fuse.fuse-overlayfs", MS_NOSUID | MS_NODEV, data) < 0)
		die("mount", errno, dir, "cannot mount a FUSE filesystem on %s", dir);
	snprintf(dev, sizeof(dev), "/dev/fd/%d", fuse);
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		die("pipe2", errno, NULL, "cannot make a pipe for %s", prog);
	pid = fork();
	if (pid < 0)
		die("fork", errno, NULL, "cannot start %s", prog);
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (daemon_mntns >= 0 && setns(daemon_mntns, CLONE_NEWNS) < 0) {
			dprintf(errpipe[1], "cannot join the mount namespace for %s: %s", prog, strerror(errno));
			_exit(127);
		}
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(errpipe[1], 2) < 0 ||
		    chdir(cwd) < 0) {
			dprintf(errpipe[1], "cannot prepare to run %s: %s", prog, strerror(errno));
			_exit(127);
		}
		if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			for (int fd = 3; fd < 1024; fd++)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fuse, F_SETFD, 0);
		execl(prog, prog, "-o", opts, dev, (char *)NULL);
		dprintf(2, "cannot run %s: %s", prog, strerror(errno));
		_exit(127);
	}
	close(errpipe[1]);
	close(fuse);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno, NULL, "cannot wait for %s", prog);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		close(errpipe[0]);
		return;
	}
	/* the daemon, if one was forked, may hold the pipe: never block on it */
	fcntl(errpipe[0], F_SETFL, O_NONBLOCK);
	n = read(errpipe[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = *(p + 1) ? ' ' : '\0';
	die("fuse-overlayfs", 0, dir, "%s could not serve %s (%s %d)%s%s", prog, dir,
	    WIFEXITED(status) ? "exit status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	    msg[0] ? ": " : "", msg);
}

static void op_exec(int preserve)
{
	sigset_t none;

	if (!exec_path[0])
		op_check_exec();
	envp[nenv] = NULL;
	sigemptyset(&none);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* nothing of ours may leak into the container: fds past the preserved ones close on exec */
	if (syscall(SYS_close_range, 3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3 + preserve; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	execve(exec_path, argv_exec, envp);
	die("execve", errno, argv_exec[0], "exec: \"%s\": %s", argv_exec[0], strerror(errno));
}

/*
 * An external OCI runtime's `create` (mode monitor with runtime-pid-file):
 * run ARGV with our stdio, which is the container's, and the environment so
 * far, and wait for it. Its init is left behind, waiting for `start`; it
 * reparents to the monitor, the subreaper above us. A failure is reported
 * with the status only: the runtime wrote its reason to its --log file,
 * which TS reads.
 */
static void op_spawn_wait(char **argv)
{
	int status;
	pid_t pid;

	envp[nenv] = NULL;
	pid = fork();
	if (pid < 0)
		die("fork", errno, argv[0], "cannot start %s", argv[0]);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			for (int fd = 3; fd < 1024; fd++)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno, argv[0], "cannot wait for %s", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	die("spawn-wait", 0, argv[0], "%s %s %d", argv[0], WIFEXITED(status) ? "exited with status" : "was killed by signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static int setgroups_denied(void)
{
	char buf[8] = { 0 };
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return strncmp(buf, "deny", 4) == 0;
}

/* the parent at the clone, for die-with-parent: unchanged unless it has gone */
static pid_t stage0;

static void run_op(struct op *op, struct stage1_fds *fds)
{
	current_op = op_table[op->code].name;
	switch (op->code) {
	case OP_SETID:
		if (setresgid((gid_t)num(op->f[1].s, 10), (gid_t)num(op->f[1].s, 10),
			      (gid_t)num(op->f[1].s, 10)) < 0 ||
		    setresuid((uid_t)num(op->f[0].s, 10), (uid_t)num(op->f[0].s, 10),
			      (uid_t)num(op->f[0].s, 10)) < 0)
			die("setresuid", errno, NULL, "cannot become uid %s gid %s", op->f[0].s, op->f[1].s);
		break;
	case OP_HOSTNAME:
		if (sethostname(op->f[0].s, strlen(op->f[0].s)) < 0)
			die("sethostname", errno, NULL, "cannot set the hostname to %s", op->f[0].s);
		break;
	case OP_DOMAINNAME:
		if (setdomainname(op->f[0].s, strlen(op->f[0].s)) < 0)
			die("setdomainname", errno, NULL, "cannot set the domain name to %s", op->f[0].s);
		break;
	case OP_PROPAGATION:
		if (mount(NULL, op->f[0].s, NULL, num(op->f[1].s, 10), NULL) < 0)
			die("mount", errno, op->f[0].s, "cannot set the propagation of %s", op->f[0].s);
		break;
	case OP_ROOTFS:
		rootfs = op->f[0].s;
		if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
			die("mount", errno, rootfs, "cannot bind the rootfs %s", rootfs);
		root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			die("open", errno, rootfs, "cannot open the rootfs %s", rootfs);
		break;
	case OP_TREE_ROOTFS:
		op_tree_rootfs(op->f[0].s, num(op->f[1].s, 10));
		break;
	case OP_DIR_ROOTFS:
		rootfs = op->f[0].s;
		root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			die("open", errno, rootfs, "cannot open the rootfs %s", rootfs);
		break;
	case OP_OVERLAY:
		/* CWD first: lowerdirs are short relative links, so many fit in a page of mount data */
		if (chdir(op->f[2].s) < 0)
			die("chdir", errno, op->f[2].s, "cannot enter the layer store %s", op->f[2].s);
		if (mount("overlay", op->f[0].s, "overlay", 0, op->f[1].s) < 0)
			die("mount", errno, op->f[0].s, "cannot mount the image's layers as an overlay on %s", op->f[0].s);
		if (chdir("/") < 0)
			die("chdir", errno, "/", "cannot return to /");
		break;
	case OP_FUSE_APART:
		op_fuse_apart();
		break;
	case OP_FUSE_OVERLAY:
		op_fuse_overlay(op, fds->fuse);
		fds->fuse = -1;
		break;
	case OP_MOUNT:
		op_mount(op);
		break;
	case OP_MKNOD:
		op_mknod(op);
		break;
	case OP_SYMLINK:
		op_symlink(op);
		break;
	case OP_MKDIR: {
		int fd = mkdirs_in_root(op->f[0].s);

		if (fchmod(fd, (mode_t)num(op->f[1].s, 8)) < 0 && errno != EBADF)
			die("fchmod", errno, op->f[0].s, "cannot set the mode of %s", op->f[0].s);
		close(fd);
		break;
	}
	case OP_WRITE:
		op_write(op->f[0].s, op->f[1].s);
		break;
	case OP_HOOK:
		if (nhooks == MAX_HOOKS)
			die("hook", E2BIG, op->f[1].s, "too many hooks");
		hooks[nhooks++] = (struct hook){ op->f[0].s, op->f[1].s, num(op->f[2].s, 10),
						 op->f[3].v, op->f[4].v };
		break;
	case OP_HOOKS_SYNC:
		op_hooks_sync(op, fds->ts_sync);
		break;
	case OP_RUN_HOOKS:
		for (size_t i = 0; i < nhooks; i++)
			if (strcmp(hooks[i].stage, op->f[0].s) == 0)
				run_hook(&hooks[i]);
		break;
	case OP_PIVOT_ROOT:
		op_pivot_root();
		break;
	case OP_CHROOT:
		op_chroot();
		break;
	case OP_ENTER_ROOT:
		op_enter_root(op->f[0].s);
		break;
	case OP_MASK:
		op_mask(op->f[0].s);
		break;
	case OP_READONLY:
		op_readonly(op->f[0].s);
		break;
	case OP_REMOUNT_RO:
		if (detached) {
			struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

			if (mount_setattr(AT_FDCWD, op->f[0].s, 0, &attr, sizeof(attr)) < 0)
				die("mount_setattr", errno, op->f[0].s, "cannot make %s read-only", op->f[0].s);
		} else if (remount(op->f[0].s, MS_RDONLY) < 0)
			die("mount", errno, op->f[0].s, "cannot remount %s read-only", op->f[0].s);
		break;
	case OP_RLIMIT: {
		struct rlimit rl = { num(op->f[1].s, 10), num(op->f[2].s, 10) };

		if (setrlimit((int)num(op->f[0].s, 10), &rl) < 0)
			die("setrlimit", errno, NULL, "cannot set rlimit %s to %s:%s", op->f[0].s,
			    op->f[1].s, op->f[2].s);
		break;
	}
	case OP_UMASK:
		umask((mode_t)num(op->f[0].s, 8));
		break;
	case OP_CWD: {
		char cwd[PATH_MAX];

		if (chdir(op->f[0].s) < 0)
			die("chdir", errno, op->f[0].s, "cannot change to the working directory %s",
			    op->f[0].s);
		/* an fd or mount trick could leave the cwd outside the root: getcwd says so */
		if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
			die("getcwd", EPERM, op->f[0].s, "the working directory %s is outside the container",
			    op->f[0].s);
		break;
	}
	case OP_CONSOLE:
		op_console(op, fds->console);
		fds->console = -1;
		break;
	case OP_KEEP_CAPS:
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			die("prctl", errno, NULL, "cannot keep capabilities");
		break;
	case OP_BOUNDING:
		op_bounding(num(op->f[0].s, 16));
		break;
	case OP_GROUPS: {
		static gid_t gids[NGROUPS_MAX];
		size_t n = op->f[0].n < NGROUPS_MAX ? op->f[0].n : NGROUPS_MAX;

		for (size_t i = 0; i < n; i++)
			gids[i] = (gid_t)num(op->f[0].v[i], 10);
		/*
		 * A joined rootless user namespace may deny setgroups (its creator
		 * wrote "deny" to map gids unprivileged). Clearing the list is then
		 * what the kernel already guarantees, so only a real list fails.
		 */
		if (setgroups(n, gids) < 0 && !(errno == EPERM && n == 0 && setgroups_denied()))
			die("setgroups", errno, NULL, "cannot set the supplementary groups");
		break;
	}
	case OP_CAPSET:
		capset_masks(num(op->f[0].s, 16), num(op->f[1].s, 16), num(op->f[2].s, 16));
		break;
	case OP_AMBIENT:
		op_ambient(num(op->f[0].s, 16));
		break;
	case OP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			die("prctl", errno, NULL, "cannot set no_new_privs");
		break;
	case OP_PERSONALITY:
		if (personality((unsigned long)num(op->f[0].s, 10)) < 0)
			die("personality", errno, NULL, "cannot set the personality");
		break;
	case OP_SECCOMP:
		op_seccomp(op);
		break;
	case OP_ENV:
		if (nenv == MAX_ENV)
			die("env", E2BIG, NULL, "too many environment variables");
		envp[nenv++] = (char *)op->f[0].s;
		break;
	case OP_ARGV:
		argv_exec = op->f[0].v;
		break;
	case OP_CHECK_EXEC:
		op_check_exec();
		break;
	case OP_FIFO_WAIT:
		op_fifo_wait(fds->fifo);
		break;
	case OP_DIE_WITH_PARENT:
		/*
		 * After setid, which clears it: cocker itself re-run in the user's namespace
		 * (a pull, a load) is in a session of its own, out of reach of a kill of the
		 * command's process group, and must not go on writing the store alone.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != stage0)
			_exit(1);
		break;
	case OP_EXEC:
		op_exec(fds->preserve);
		break;
	case OP_SPAWN_WAIT:
		op_spawn_wait(op->f[0].v);
		break;
	case OP_REMOVE_TREE:
		if (remove_at(AT_FDCWD, op->f[0].s) < 0)
			die("unlinkat", errno, op->f[0].s, "cannot remove %s", op->f[0].s);
		break;
	case OP_CHOWN:
		if (lchown(op->f[0].s, (uid_t)num(op->f[1].s, 10), (gid_t)num(op->f[2].s, 10)) < 0)
			die("lchown", errno, op->f[0].s, "cannot change the owner of %s", op->f[0].s);
		break;
	case OP_EXIT:
		_exit(0);
	default:
		break;
	}
}

void stage1_run(struct plan *plan, struct stage1_fds *fds)
{
	char go;

	report_fd = fds->status;
	stage0 = getppid();
	/*
	 * Until released, die with stage 0 rather than run unconfigured. Nested, the
	 * parent is a middle process that leaves first; stage 0's death then shows as
	 * EOF on the release socket, which no one else holds.
	 */
	if (!fds->nested)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "cocker:[1:INIT]");
	if (read(fds->release, &go, 1) != 1)
		_exit(1);
	close(fds->release);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	/*
	 * A session of its own, as runc and crun give the container: in ours it would share
	 * the caller's controlling terminal, which it could open as /dev/tty, or use with
	 * TIOCSTI to type into the caller's shell, whatever its stdio.
	 */
	current_op = "setsid";
	if (setsid() < 0)
		die("setsid", errno, NULL, "cannot start a new session");
	/* first, so that the cgroups' limits and device rules hold for all that follows */
	current_op = "cgroup-join";
	for (int i = 0; i < fds->ntasks; i++) {
		if (write(fds->tasks[i], "0", 1) < 0)
			die("write", errno, NULL, "cannot move the container into its cgroup");
		close(fds->tasks[i]);
	}
	if (fds->cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		die("unshare", errno, NULL, "cannot create the cgroup namespace");
	/* modes come from the plan (mkdir, mknod), not from the caller's umask */
	umask(0);
	for (size_t i = 0; i < plan->nops; i++)
		if (op_table[plan->ops[i].code].phase == 'C')
			run_op(&plan->ops[i], fds);
	current_op = "exec";
	die("execve", EINVAL, NULL, "the plan has no exec op");
}
