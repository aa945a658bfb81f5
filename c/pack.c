/*
 * cocker-helper copy-out ROOT SRC TOP: `cp`'s packing side, in the container's root. SRC is
 * looked up inside ROOT as if ROOT were / (openat2 RESOLVE_IN_ROOT: a symlink, absolute or
 * full of '..', never leads out), its last component followed only when SRC ends in '/' or
 * '/.' (as lib/cli/copy-main.ts's pack); below it nothing is followed: every name is opened
 * from its directory's fd with O_NOFOLLOW, and a symlink is packed as a link. The tar (ustar,
 * PAX records for what ustar cannot hold, names sorted as lib/image/tar-writer.ts sorts them)
 * goes to stdout, SRC itself first, named TOP. A failure is one JSON line on stderr
 * ({"event":"error","code","message"}, what copy.ts's workerError reads) and status 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "helper.h"

#define BLOCK 512
#define OUT_SIZE (1 << 20)

static struct {
	unsigned char *buf;
	size_t len;
	struct link { dev_t dev; ino_t ino; char *name; } *links;
	size_t nlinks, caplinks;
} p;

__attribute__((noreturn)) static void die(const char *code, const char *what, int err)
{
	struct jline j;
	char msg[4200];

	snprintf(msg, sizeof(msg), err ? "%s: %s" : "%s", what, strerror(err));
	jl_begin(&j, "error");
	jl_str(&j, "code", code);
	jl_str(&j, "message", msg);
	jl_end(&j);
	jl_write(2, 0, &j);
	_exit(1);
}

static void flush(void)
{
	for (size_t off = 0; off < p.len;) {
		ssize_t n = write(1, p.buf + off, p.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(1); /* the reader is gone: it says why */
		off += (size_t)n;
	}
	p.len = 0;
}

static void emit(const void *data, size_t n)
{
	while (n) {
		size_t room = OUT_SIZE - p.len, take = n < room ? n : room;

		memcpy(p.buf + p.len, data, take);
		p.len += take;
		data = (const char *)data + take;
		n -= take;
		if (p.len == OUT_SIZE)
			flush();
	}
}

static void pad(unsigned long long size)
{
	static const char zero[BLOCK];

	if (size % BLOCK)
		emit(zero, BLOCK - size % BLOCK);
}

/* len-1 octal digits and a NUL; the callers keep v below 8^(len-1) */
static void octal(unsigned char *h, int off, int len, unsigned long long v)
{
	h[off + len - 1] = 0;
	for (int i = len - 2; i >= 0; i--, v >>= 3)
		h[off + i] = (unsigned char)('0' + (v & 7));
}

static int ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* ustar's prefix (155) and name (100) split at a '/'; -1 when none fits */
static int split_at(const char *name)
{
	size_t n = strlen(name);

	if (n <= 100)
		return 0;
	for (const char *s = strchr(name, '/'); s && s - name <= 155; s = strchr(s + 1, '/'))
		if (s > name && n - (size_t)(s - name) - 1 <= 100)
			return (int)(s - name);
	return -1;
}

static void ustar(const char *name, char flag, unsigned mode, unsigned long long uid, unsigned long long gid,
	unsigned long long size, unsigned long long mtime, const char *linkname, unsigned major, unsigned minor)
{
	unsigned char h[BLOCK] = { 0 };
	int at = split_at(name);
	unsigned sum = 0;

	if (at > 0) {
		memcpy(h + 345, name, (size_t)at);
		strncpy((char *)h, name + at + 1, 100);
	} else {
		strncpy((char *)h, name, 100);
	}
	octal(h, 100, 8, mode);
	octal(h, 108, 8, uid);
	octal(h, 116, 8, gid);
	octal(h, 124, 12, size);
	octal(h, 136, 12, mtime);
	h[156] = (unsigned char)flag;
	strncpy((char *)h + 157, linkname, 100);
	memcpy(h + 257, "ustar\0" "00", 8);
	octal(h, 329, 8, major);
	octal(h, 337, 8, minor);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	octal(h, 148, 7, sum);
	h[155] = ' ';
	emit(h, BLOCK);
}

/* one "LEN key=value\n" record, LEN counting itself */
static size_t pax_record(char *out, size_t cap, const char *key, const char *value)
{
	size_t kv = strlen(key) + strlen(value) + 3, len = kv + 1;

	while ((size_t)snprintf(NULL, 0, "%zu", len) + kv != len)
		len = (size_t)snprintf(NULL, 0, "%zu", len) + kv;
	if (len >= cap)
		die("INVALID_ARGUMENT", "a name is too long to pack", 0);
	return (size_t)snprintf(out, cap, "%zu %s=%s\n", len, key, value);
}

static void header(const char *name, char flag, const struct stat *st, unsigned long long size, const char *linkname)
{
	char pax[16384], num[32];
	size_t n = 0;
	unsigned long long uid = st->st_uid, gid = st->st_gid, mtime = st->st_mtim.tv_sec < 0 ? 0 : (unsigned long long)st->st_mtim.tv_sec;

	if (!ascii(name) || split_at(name) < 0)
		n += pax_record(pax + n, sizeof(pax) - n, "path", name);
	if (!ascii(linkname) || strlen(linkname) > 100)
		n += pax_record(pax + n, sizeof(pax) - n, "linkpath", linkname);
	if (uid > 07777777)
		snprintf(num, sizeof(num), "%llu", uid), n += pax_record(pax + n, sizeof(pax) - n, "uid", num);
	if (gid > 07777777)
		snprintf(num, sizeof(num), "%llu", gid), n += pax_record(pax + n, sizeof(pax) - n, "gid", num);
	if (size > 077777777777ULL)
		snprintf(num, sizeof(num), "%llu", size), n += pax_record(pax + n, sizeof(pax) - n, "size", num);
	if (n) {
		const char *base = strrchr(name, '/');
		char paxname[101];

		/* a fixed name keeps the output a function of the input, as tar-writer.ts */
		snprintf(paxname, sizeof(paxname), "PaxHeaders/%s", base && base[1] ? base + 1 : name);
		for (char *c = paxname; *c; c++)
			if ((unsigned char)*c >= 0x80)
				*c = '_';
		ustar(paxname, 'x', 0644, 0, 0, n, mtime, "", 0, 0);
		emit(pax, n);
		pad(n);
	}
	ustar(name, flag, st->st_mode & 07777, uid > 07777777 ? 0 : uid, gid > 07777777 ? 0 : gid,
		size > 077777777777ULL ? 0 : size, mtime, ascii(linkname) ? linkname : "",
		S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? major(st->st_rdev) : 0,
		S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? minor(st->st_rdev) : 0);
}

/* the file's first `size` bytes (what its header says, whatever it became meanwhile) */
static void body(int fd, unsigned long long size, const char *name)
{
	unsigned long long left = size;

	while (left) {
		size_t room = OUT_SIZE - p.len, want = left < room ? (size_t)left : room;
		ssize_t n = read(fd, p.buf + p.len, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("HELPER_FAILED", name, errno);
		if (n == 0) { /* shrunk meanwhile: zeros keep the archive whole */
			memset(p.buf + p.len, 0, want);
			n = (ssize_t)want;
		}
		p.len += (size_t)n;
		left -= (unsigned long long)n;
		if (p.len == OUT_SIZE)
			flush();
	}
	pad(size);
}

static const char *first_name(const struct stat *st, const char *name)
{
	for (size_t i = 0; i < p.nlinks; i++)
		if (p.links[i].dev == st->st_dev && p.links[i].ino == st->st_ino)
			return p.links[i].name;
	if (p.nlinks == p.caplinks) {
		p.caplinks = p.caplinks ? p.caplinks * 2 : 64;
		p.links = realloc(p.links, p.caplinks * sizeof(*p.links));
		if (!p.links)
			die("HELPER_FAILED", "out of memory", 0);
	}
	p.links[p.nlinks++] = (struct link){ st->st_dev, st->st_ino, strdup(name) };
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the entry at `base` in at (its stat in st), named `name`; a directory with what it holds */
static void pack(int at, const char *base, const struct stat *st, const char *name)
{
	char dname[8192];

	if (S_ISDIR(st->st_mode)) {
		int fd = openat(at, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *de;
		char **names = NULL;
		size_t n = 0, cap = 0;

		if ((size_t)snprintf(dname, sizeof(dname), "%s/", name) >= sizeof(dname))
			die("INVALID_ARGUMENT", "a path is too long to pack", 0);
		header(dname, '5', st, 0, "");
		if (fd < 0)
			die("HELPER_FAILED", name, errno);
		d = fdopendir(fd);
		if (!d)
			die("HELPER_FAILED", name, errno);
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				names = realloc(names, cap * sizeof(*names));
				if (!names)
					die("HELPER_FAILED", "out of memory", 0);
			}
			names[n++] = strdup(de->d_name);
		}
		qsort(names, n, sizeof(*names), by_name);
		for (size_t i = 0; i < n; i++) {
			struct stat cst;
			char child[8192];

			if ((size_t)snprintf(child, sizeof(child), "%s/%s", name, names[i]) >= sizeof(child))
				die("INVALID_ARGUMENT", "a path is too long to pack", 0);
			if (fstatat(dirfd(d), names[i], &cst, AT_SYMLINK_NOFOLLOW) == 0)
				pack(dirfd(d), names[i], &cst, child);
			else if (errno != ENOENT) /* gone meanwhile: nothing to pack */
				die("HELPER_FAILED", child, errno);
			free(names[i]);
		}
		free(names);
		closedir(d);
		return;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[4097];
		ssize_t tn = readlinkat(at, base, target, sizeof(target) - 1);

		if (tn < 0)
			die("HELPER_FAILED", name, errno);
		target[tn] = 0;
		header(name, '2', st, 0, target);
		return;
	}
	if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		header(name, S_ISFIFO(st->st_mode) ? '6' : S_ISCHR(st->st_mode) ? '3' : '4', st, 0, "");
		return;
	}
	if (!S_ISREG(st->st_mode))
		return; /* sockets: tar has no type for them */
	if (st->st_nlink > 1) {
		const char *first = first_name(st, name);

		if (first) {
			header(name, '1', st, 0, first);
			return;
		}
	}
	int fd = openat(at, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("HELPER_FAILED", name, errno);
	header(name, '0', st, (unsigned long long)st->st_size, "");
	body(fd, (unsigned long long)st->st_size, name);
	close(fd);
}

/* SRC itself when it is not a file or a directory: a symlink (as a link) or a special file, by its O_PATH fd */
static void pack_special(int fd, const struct stat *st, const char *top)
{
	if (S_ISLNK(st->st_mode)) {
		char target[4097];
		ssize_t tn = readlinkat(fd, "", target, sizeof(target) - 1);

		if (tn < 0)
			die("HELPER_FAILED", top, errno);
		target[tn] = 0;
		header(top, '2', st, 0, target);
	} else if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		header(top, S_ISFIFO(st->st_mode) ? '6' : S_ISCHR(st->st_mode) ? '3' : '4', st, 0, "");
	}
}

int pack_main(int argc, char **argv)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	const char *src, *top;
	size_t sl;
	int root, fd, follow;
	struct stat st;

	if (argc != 5)
		die("INVALID_ARGUMENT", "usage: cocker-helper copy-out ROOT SRC TOP", 0);
	/* it may run in the container's user namespace, next to its processes (as runc's init) */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	src = argv[3];
	top = argv[4];
	sl = strlen(src);
	follow = (sl && src[sl - 1] == '/') || strcmp(src, ".") == 0 || (sl >= 2 && strcmp(src + sl - 2, "/.") == 0);
	root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		die("HELPER_FAILED", argv[2], errno);
	if (!follow)
		how.flags |= O_NOFOLLOW;
	fd = (int)syscall(SYS_openat2, root, src, &how, sizeof(how));
	if (fd < 0 && errno == ENOENT) {
		char msg[4200];

		snprintf(msg, sizeof(msg), "\"%s\" does not exist in the container", src);
		die("FILE_NOT_FOUND", msg, 0);
	}
	if (fd < 0)
		die("HELPER_FAILED", src, errno);
	if (fstat(fd, &st) < 0)
		die("HELPER_FAILED", src, errno);
	if (follow && !S_ISDIR(st.st_mode)) {
		char msg[4200];

		snprintf(msg, sizeof(msg), "\"%s\" is not a directory in the container", src);
		die("INVALID_ARGUMENT", msg, 0);
	}
	fcntl(1, F_SETPIPE_SZ, 1 << 20);
	p.buf = malloc(OUT_SIZE);
	if (!p.buf)
		die("HELPER_FAILED", "out of memory", 0);
	/* an O_PATH fd of SRC itself: "" with AT_EMPTY_PATH names it, whatever it is */
	if (S_ISDIR(st.st_mode)) {
		pack(fd, ".", &st, top);
	} else {
		char self[64];

		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
			pack_special(fd, &st, top);
		} else {
			int rfd = open(self, O_RDONLY | O_CLOEXEC);

			if (rfd < 0)
				die("HELPER_FAILED", src, errno);
			header(top, '0', &st, (unsigned long long)st.st_size, "");
			body(rfd, (unsigned long long)st.st_size, top);
			close(rfd);
		}
	}
	{
		static const char end[2 * BLOCK];

		emit(end, sizeof(end));
	}
	flush();
	return 0;
}
