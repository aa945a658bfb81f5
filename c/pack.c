/*
 * cocker-helper copy-out ROOT SRC TOP: `cp`'s packing side, in the container's root. SRC is
 * looked up inside ROOT as if ROOT were / (openat2 RESOLVE_IN_ROOT: a symlink, absolute or
 * full of '..', never leads out), its last component followed only when SRC ends in '/' or
 * '/.' (as lib/cli/copy-main.ts's pack); below it nothing is followed: every name is opened
 * from its directory's fd with O_NOFOLLOW, and a symlink is packed as a link. The tar (ustar,
 * PAX records for what ustar cannot hold, names sorted as lib/image/tar-writer.ts sorts them)
 * goes to stdout, SRC itself first, named TOP. A failure is one JSON line on stderr
 * ({"event":"error","code","message"}, what copy.ts's workerError reads) and status 1.
 *
 * cocker-helper layer-out DIR upper|tree NS UIDS GIDS STAGE: `commit`'s layer, in one walk.
 * DIR's contents (not DIR itself) as a layer tar on stdout, with their xattrs (PAX
 * SCHILY.xattr.*, overlay's own left out) and, for `upper` (an overlay upper directory), its
 * whiteouts (0/0 character devices, or files with an overlay.whiteout xattr) as `.wh.NAME`
 * and its opaque directories (overlay.opaque "y") with a `.wh..wh..opq` entry after them.
 * UIDS and GIDS ("-", or runs C:H:N,... ) name the owners as the image has them: an id H+i
 * found in DIR is C+i in the archive. STAGE ("-": none), a directory made here, gets the same
 * layer unpacked in the store's overlay form (what `unpack STAGE NS` makes of the tar: whiteouts
 * 0/0 devices, NS.overlay.opaque), written from the very bytes the tar carries, so the two
 * agree even when the container changes its files meanwhile. Ends with one line on stderr,
 * {"event":"stats","bytes":N} (bytes of file content), or an error line as copy-out's.
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
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/fs.h>
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

/* layer-out's part; stage: the fd of the file being written in STAGE, else -1 */
struct idrun {
	unsigned long long c, h, n;
};

static struct {
	int xattrs, upper, root, stage;
	const char *ns;
	struct idrun *uids, *gids;
	size_t nuids, ngids;
	unsigned long long bytes;
	char *xbuf; /* the entry's xattrs as PAX records */
	size_t xlen, xcap;
	struct kv { char name[XATTR_NAME_MAX + 1]; char *value; size_t len; } *xs;
	size_t nxs, capxs;
} L = { .root = -1, .stage = -1 };

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

/* one "LEN key=value\n" record, LEN counting itself; the value may hold any byte (xattrs) */
static size_t pax_record_n(char *out, size_t cap, const char *key, const char *value, size_t vlen)
{
	size_t kv = strlen(key) + vlen + 3, len = kv + 1;
	int digits;

	while ((size_t)snprintf(NULL, 0, "%zu", len) + kv != len)
		len = (size_t)snprintf(NULL, 0, "%zu", len) + kv;
	if (len >= cap)
		die("INVALID_ARGUMENT", "a name is too long to pack", 0);
	digits = snprintf(out, cap, "%zu %s=", len, key);
	memcpy(out + digits, value, vlen);
	out[len - 1] = '\n';
	return len;
}

static size_t pax_record(char *out, size_t cap, const char *key, const char *value)
{
	return pax_record_n(out, cap, key, value, strlen(value));
}

struct meta {
	unsigned mode;
	unsigned long long uid, gid, mtime;
	unsigned major, minor;
};

static struct meta meta_of(const struct stat *st)
{
	int dev = S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode);

	return (struct meta){ st->st_mode & 07777, st->st_uid, st->st_gid, st->st_mtim.tv_sec < 0 ? 0 : (unsigned long long)st->st_mtim.tv_sec,
		dev ? major(st->st_rdev) : 0, dev ? minor(st->st_rdev) : 0 };
}

/* the PAX header (when ustar cannot hold it all, or `extra` records: xattrs) and the ustar header */
static void header_ex(const char *name, char flag, const struct meta *m, unsigned long long size, const char *linkname,
	const char *extra, size_t nextra)
{
	char num[32], *pax;
	size_t n = 0, cap = 3 * 8192 + 256 + nextra;
	unsigned long long uid = m->uid, gid = m->gid, mtime = m->mtime;

	pax = malloc(cap);
	if (!pax)
		die("HELPER_FAILED", "out of memory", 0);
	if (!ascii(name) || split_at(name) < 0)
		n += pax_record(pax + n, cap - n, "path", name);
	if (!ascii(linkname) || strlen(linkname) > 100)
		n += pax_record(pax + n, cap - n, "linkpath", linkname);
	if (uid > 07777777)
		snprintf(num, sizeof(num), "%llu", uid), n += pax_record(pax + n, cap - n, "uid", num);
	if (gid > 07777777)
		snprintf(num, sizeof(num), "%llu", gid), n += pax_record(pax + n, cap - n, "gid", num);
	if (size > 077777777777ULL)
		snprintf(num, sizeof(num), "%llu", size), n += pax_record(pax + n, cap - n, "size", num);
	if (nextra) {
		memcpy(pax + n, extra, nextra);
		n += nextra;
	}
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
	free(pax);
	ustar(name, flag, m->mode, uid > 07777777 ? 0 : uid, gid > 07777777 ? 0 : gid,
		size > 077777777777ULL ? 0 : size, mtime, ascii(linkname) ? linkname : "", m->major, m->minor);
}

static void header(const char *name, char flag, const struct stat *st, unsigned long long size, const char *linkname)
{
	struct meta m = meta_of(st);

	header_ex(name, flag, &m, size, linkname, NULL, 0);
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
		/* layer-out: the staged copy gets the bytes the tar gets */
		for (ssize_t off = 0; L.stage >= 0 && off < n;) {
			ssize_t w = write(L.stage, p.buf + p.len + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				die("HELPER_FAILED", name, errno);
			off += w;
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

/* the names in d but . and .., sorted as tar-writer.ts sorts them */
static char **list_sorted(DIR *d, size_t *count)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

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
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	*count = n;
	return names;
}

/* one entry (layer-out's, below; copy-out's with nothing of a layer: no xattrs, maps or STAGE) */
static void layer_entry(int dfd, const char *base, const struct stat *st, const char *name, const char *parent, int sdfd);

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
		layer_entry(fd, ".", &st, top, "", -1);
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

/* layer-out ------------------------------------------------------------------------------ */

static size_t parse_runs(const char *s, struct idrun **out)
{
	size_t n = 0;

	*out = NULL;
	if (strcmp(s, "-") == 0)
		return 0;
	for (const char *c = s; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL) {
		struct idrun r;
		int used = 0;

		if (sscanf(c, "%llu:%llu:%llu%n", &r.c, &r.h, &r.n, &used) != 3 || (c[used] && c[used] != ','))
			die("INVALID_ARGUMENT", "an id map is not C:H:N,...", 0);
		*out = realloc(*out, (n + 1) * sizeof(**out));
		if (!*out)
			die("HELPER_FAILED", "out of memory", 0);
		(*out)[n++] = r;
	}
	return n;
}

/* the image's id of an owner found in DIR (layer-out's UIDS, GIDS) */
static unsigned long long map_id(const struct idrun *r, size_t n, unsigned long long id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= r[i].h && id < r[i].h + r[i].n)
			return r[i].c + id - r[i].h;
	return id;
}

static int by_xattr(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->name, ((const struct kv *)b)->name);
}

/*
 * base's xattrs (in dfd, not followed: /proc/self/fd/DFD/BASE with the l* calls) into L.xs,
 * sorted, and as PAX records into L.xbuf; overlay's own (trusted.overlay.*, user.overlay.*)
 * are not the image's and stay out, but say whether base is opaque or an xwhiteout.
 */
static void read_xattrs(int dfd, const char *base, const char *name, int *opaque, int *xwhiteout)
{
	char path[64 + NAME_MAX + 1], list[65536], key[16 + XATTR_NAME_MAX + 1], ours[2][64];
	ssize_t n;

	for (size_t i = 0; i < L.nxs; i++)
		free(L.xs[i].value);
	L.nxs = L.xlen = 0;
	*opaque = *xwhiteout = 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, base);
	n = llistxattr(path, list, sizeof(list));
	if (n < 0 && (errno == ENOTSUP || errno == ENOENT))
		return;
	if (n < 0)
		die("HELPER_FAILED", name, errno);
	snprintf(ours[0], sizeof(ours[0]), "%s.overlay.opaque", L.ns);
	snprintf(ours[1], sizeof(ours[1]), "%s.overlay.whiteout", L.ns);
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		ssize_t len;
		char *v;

		if (strncmp(k, "trusted.overlay.", 16) == 0 || strncmp(k, "user.overlay.", 13) == 0) {
			char y = 0;

			if (L.upper && strcmp(k, ours[0]) == 0 && lgetxattr(path, k, &y, 1) == 1 && y == 'y')
				*opaque = 1;
			if (L.upper && strcmp(k, ours[1]) == 0)
				*xwhiteout = 1;
			continue;
		}
		len = lgetxattr(path, k, NULL, 0);
		v = len >= 0 ? malloc((size_t)len + 1) : NULL;
		if (len >= 0 && !v)
			die("HELPER_FAILED", "out of memory", 0);
		if (len >= 0)
			len = lgetxattr(path, k, v, (size_t)len);
		if (len < 0) {
			free(v);
			/* removed meanwhile; or not ours to read (a capability whose root this namespace does not map) */
			if (errno == ENODATA || errno == EOPNOTSUPP)
				continue;
			die("HELPER_FAILED", name, errno);
		}
		if (L.nxs == L.capxs) {
			L.capxs = L.capxs ? 2 * L.capxs : 8;
			L.xs = realloc(L.xs, L.capxs * sizeof(*L.xs));
			if (!L.xs)
				die("HELPER_FAILED", "out of memory", 0);
		}
		if (strlen(k) >= sizeof(L.xs[L.nxs].name))
			die("HELPER_FAILED", name, ERANGE);
		memcpy(L.xs[L.nxs].name, k, strlen(k) + 1);
		L.xs[L.nxs].value = v;
		L.xs[L.nxs++].len = (size_t)len;
	}
	if (L.nxs > 1)
		qsort(L.xs, L.nxs, sizeof(*L.xs), by_xattr);
	for (size_t i = 0; i < L.nxs; i++) {
		size_t need = L.xlen + L.xs[i].len + sizeof(key) + 32;

		if (need > L.xcap) {
			L.xcap = need * 2;
			L.xbuf = realloc(L.xbuf, L.xcap);
			if (!L.xbuf)
				die("HELPER_FAILED", "out of memory", 0);
		}
		snprintf(key, sizeof(key), "SCHILY.xattr.%s", L.xs[i].name);
		L.xlen += pax_record_n(L.xbuf + L.xlen, L.xcap - L.xlen, key, L.xs[i].value, L.xs[i].len);
	}
}

/* the staged copy's xattrs, as unpack sets them: what the filesystem refuses here is left out */
static void stage_xattrs(int sdfd, const char *base, const char *name)
{
	char path[64 + NAME_MAX + 1];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", sdfd, base);
	for (size_t i = 0; i < L.nxs; i++)
		if (lsetxattr(path, L.xs[i].name, L.xs[i].value, L.xs[i].len, 0) < 0 && errno != EPERM && errno != ENOTSUP)
			die("HELPER_FAILED", name, errno);
}

#define NO_MODE 0xffffffffu

/* owner, mode (after chown, which clears setuid) and times of what was made at base in sdfd */
static void stage_meta(int sdfd, const char *base, const struct meta *m, int fd, int xattrs, const char *name)
{
	struct timespec t[2] = { { (time_t)m->mtime, 0 }, { (time_t)m->mtime, 0 } };
	struct stat made;
	int chowned = 0;

	/* each chown or chmod is a journalled inode change: only where what was made is not as wanted yet */
	if (fd >= 0 ? fstat(fd, &made) : fstatat(sdfd, base, &made, AT_SYMLINK_NOFOLLOW))
		die("HELPER_FAILED", name, errno);
	if (made.st_uid != (uid_t)m->uid || made.st_gid != (gid_t)m->gid) {
		if (fd >= 0 ? fchown(fd, (uid_t)m->uid, (gid_t)m->gid) : fchownat(sdfd, base, (uid_t)m->uid, (gid_t)m->gid, AT_SYMLINK_NOFOLLOW))
			die("HELPER_FAILED", name, errno);
		chowned = 1;
	}
	/* after chown, which clears setuid and setgid; a symlink has no mode of its own (NO_MODE);
	 * a device is not opened, but mknodat just made it there */
	if (m->mode != NO_MODE && (chowned || (made.st_mode & 07777) != m->mode) &&
		(fd >= 0 ? fchmod(fd, m->mode) : fchmodat(sdfd, base, m->mode, 0)))
		die("HELPER_FAILED", name, errno);
	if (xattrs)
		stage_xattrs(sdfd, base, name); /* after chown too, which clears security.capability */
	if (fd >= 0 ? futimens(fd, t) : utimensat(sdfd, base, t, AT_SYMLINK_NOFOLLOW))
		die("HELPER_FAILED", name, errno);
}

static char *join_name(const char *dir, const char *base, const char *suffix)
{
	size_t n = strlen(dir) + strlen(base) + strlen(suffix) + 2;
	char *s = malloc(n);

	if (!s)
		die("HELPER_FAILED", "out of memory", 0);
	snprintf(s, n, "%s%s%s%s", dir, *dir ? "/" : "", base, suffix);
	return s;
}

/* an empty file named .wh.BASE (.wh..wh..opq for an opaque dir) in the archive; in STAGE, a 0/0 device at base */
static void layer_marker(const char *dir, const char *base, unsigned long long mtime, int sdfd)
{
	struct meta m = { 0, 0, 0, mtime, 0, 0 };
	char *wh = base ? malloc(strlen(base) + 5) : NULL, *name;

	if (base && !wh)
		die("HELPER_FAILED", "out of memory", 0);
	if (wh)
		sprintf(wh, ".wh.%s", base);
	name = join_name(dir, wh ? wh : ".wh..wh..opq", "");
	header_ex(name, '0', &m, 0, "", NULL, 0);
	if (base && sdfd >= 0) {
		if (mknodat(sdfd, base, S_IFCHR, 0) < 0) /* allowed in a user namespace since Linux 5.8 */
			die("HELPER_FAILED", name, errno);
		if (fchownat(sdfd, base, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
			die("HELPER_FAILED", name, errno);
	}
	free(wh);
	free(name);
}

static void layer_walk(int fd, const char *rel, int sdfd);

/* one entry of DIR (base in dfd, its stat st), named `name` in the archive; sdfd: its parent in STAGE or -1 */
static void layer_entry(int dfd, const char *base, const struct stat *st, const char *name, const char *parent, int sdfd)
{
	struct meta m = meta_of(st);
	int opaque, xwhiteout, fd;

	opaque = xwhiteout = 0;
	if (L.xattrs)
		read_xattrs(dfd, base, name, &opaque, &xwhiteout);
	if (L.upper && ((S_ISCHR(st->st_mode) && st->st_rdev == 0) || (S_ISREG(st->st_mode) && xwhiteout)))
		return layer_marker(parent, base, m.mtime, sdfd);
	m.uid = map_id(L.uids, L.nuids, m.uid);
	m.gid = map_id(L.gids, L.ngids, m.gid);
	if (S_ISDIR(st->st_mode)) {
		char *dname = join_name(name, "", "");
		int sfd = -1;

		fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			die("HELPER_FAILED", name, errno);
		header_ex(dname, '5', &m, 0, "", L.xbuf, L.xlen);
		free(dname);
		if (sdfd >= 0) {
			/* the real mode at the end: a read-only dir must still take its children */
			if (mkdirat(sdfd, base, 0700) < 0)
				die("HELPER_FAILED", name, errno);
			sfd = openat(sdfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0)
				die("HELPER_FAILED", name, errno);
			stage_xattrs(sdfd, base, name);
		}
		if (L.upper && opaque) {
			char attr[64];

			layer_marker(name, NULL, m.mtime, -1);
			snprintf(attr, sizeof(attr), "%s.overlay.opaque", L.ns);
			if (sfd >= 0 && fsetxattr(sfd, attr, "y", 1, 0) < 0)
				die("HELPER_FAILED", name, errno);
		}
		layer_walk(fd, name, sfd);
		if (sfd >= 0) {
			stage_meta(sdfd, base, &m, sfd, 0, name); /* its xattrs: at mkdir */
			close(sfd);
		}
		return;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[4097];
		ssize_t tn = readlinkat(dfd, base, target, sizeof(target) - 1);

		if (tn < 0)
			die("HELPER_FAILED", name, errno);
		target[tn] = 0;
		header_ex(name, '2', &m, 0, target, L.xbuf, L.xlen);
		if (sdfd >= 0) {
			if (symlinkat(target, sdfd, base) < 0)
				die("HELPER_FAILED", name, errno);
			m.mode = NO_MODE;
			stage_meta(sdfd, base, &m, -1, 1, name);
		}
		return;
	}
	if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		header_ex(name, S_ISFIFO(st->st_mode) ? '6' : S_ISCHR(st->st_mode) ? '3' : '4', &m, 0, "", L.xbuf, L.xlen);
		if (sdfd >= 0) {
			if (mknodat(sdfd, base, (st->st_mode & S_IFMT) | (m.mode & 0777), st->st_rdev) < 0)
				die("HELPER_FAILED", name, errno);
			stage_meta(sdfd, base, &m, -1, 1, name);
		}
		return;
	}
	if (!S_ISREG(st->st_mode))
		return; /* sockets: tar has no type for them */
	if (st->st_nlink > 1) {
		const char *first = first_name(st, name);

		if (first) {
			header_ex(name, '1', &m, 0, first, L.xbuf, L.xlen);
			/* first is a path in STAGE too, through directories made here */
			if (sdfd >= 0 && linkat(L.root, first, sdfd, base, 0) < 0)
				die("HELPER_FAILED", name, errno);
			return;
		}
	}
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("HELPER_FAILED", name, errno);
	header_ex(name, '0', &m, (unsigned long long)st->st_size, "", L.xbuf, L.xlen);
	if (sdfd >= 0) {
		/* made with its mode (umask 0): the fd writes whatever the mode says */
		L.stage = openat(sdfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, m.mode & 0777);
		if (L.stage < 0)
			die("HELPER_FAILED", name, errno);
	}
	body(fd, (unsigned long long)st->st_size, name);
	close(fd);
	L.bytes += (unsigned long long)st->st_size;
	if (L.stage >= 0) {
		stage_meta(sdfd, base, &m, L.stage, 1, name);
		close(L.stage);
		L.stage = -1;
	}
}

/* what the directory fd holds (fd is closed), below `rel` in the archive */
static void layer_walk(int fd, const char *rel, int sdfd)
{
	DIR *d = fdopendir(fd);
	char **names;
	size_t n;

	if (!d)
		die("HELPER_FAILED", rel, errno);
	names = list_sorted(d, &n);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char *child = join_name(rel, names[i], "");

		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			layer_entry(dirfd(d), names[i], &st, child, rel, sdfd);
		else if (errno != ENOENT) /* gone meanwhile: nothing to pack */
			die("HELPER_FAILED", child, errno);
		free(child);
		free(names[i]);
	}
	free(names);
	closedir(d);
}

int layer_main(int argc, char **argv)
{
	struct jline j;
	int dir;

	if (argc != 8 || (strcmp(argv[3], "upper") != 0 && strcmp(argv[3], "tree") != 0) ||
		(strcmp(argv[4], "trusted") != 0 && strcmp(argv[4], "user") != 0))
		die("INVALID_ARGUMENT", "usage: cocker-helper layer-out DIR upper|tree trusted|user UIDS GIDS STAGE", 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	umask(0);
	L.xattrs = 1;
	L.upper = strcmp(argv[3], "upper") == 0;
	L.ns = argv[4];
	L.nuids = parse_runs(argv[5], &L.uids);
	L.ngids = parse_runs(argv[6], &L.gids);
	dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		die("HELPER_FAILED", argv[2], errno);
	if (strcmp(argv[7], "-") != 0) {
		char *parent = strdup(argv[7]), *slash = parent ? strrchr(parent, '/') : NULL;
		int pfd, flags;

		/* as unpack's open_root: the staging dir's parent spreads its subdirectories (Orlov) */
		if (slash)
			*slash = 0;
		pfd = slash ? open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (pfd >= 0 && ioctl(pfd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
			flags |= FS_TOPDIR_FL;
			ioctl(pfd, FS_IOC_SETFLAGS, &flags);
		}
		if (pfd >= 0)
			close(pfd);
		free(parent);
		if (mkdir(argv[7], 0755) < 0)
			die("HELPER_FAILED", argv[7], errno);
		L.root = open(argv[7], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (L.root < 0)
			die("HELPER_FAILED", argv[7], errno);
	}
	fcntl(1, F_SETPIPE_SZ, 1 << 20);
	p.buf = malloc(OUT_SIZE);
	if (!p.buf)
		die("HELPER_FAILED", "out of memory", 0);
	layer_walk(dir, "", L.root);
	{
		static const char end[2 * BLOCK];

		emit(end, sizeof(end));
	}
	flush();
	jl_begin(&j, "stats");
	jl_int(&j, "bytes", (long long)L.bytes);
	jl_end(&j);
	jl_write(2, 0, &j);
	return 0;
}
