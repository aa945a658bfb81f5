/*
 * cocker-helper unpack DIR NS UIDLIMIT GIDLIMIT: applies one image layer, a plain tar
 * stream on stdin, to the empty directory DIR (made if missing: open_root), as
 * lib/storage/unpack.ts's 'overlay' format does (that module's header lists the rules;
 * its tests run against both). Node decompresses and hashes the stream; this does the
 * per-entry work, where node's cost per call was most of a pull of many small files
 * (bench/pull.sh, debian).
 *
 * Output on stdout, one JSON line each: {"event":"skipped","name","what","reason"} for what could
 * not be made as the layer asks, then {"event":"stats",...} and exit 0; or
 * {"event":"error","code","entry","message"[,"errno","syscall"]} and exit 1. TS words the
 * messages users see: code LAYER_UNSAFE/LAYER_INVALID/LAYER_ID_UNMAPPED carry the entry
 * and why, ARCHIVE_INVALID the tar reader's complaint, SYSTEM a failed syscall.
 * NS is the xattr namespace of whiteouts (trusted, or user rootless); UIDLIMIT and
 * GIDLIMIT (0: none) are the first ids not mapped in the user namespace we run in.
 *
 * Safety, as in unpack.ts: every name is resolved component by component from DIR's fd
 * with O_NOFOLLOW, a symlink met in a parent path is followed as if DIR were / (securejoin),
 * the last component is never followed, and hardlink targets may not pass a symlink.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "helper.h"

#define BLOCK 512
#define MAX_SYMLINKS 40
#define MAX_DEPTH 512
#define IN_SIZE (1 << 20)

struct xattr {
	char *name;
	char *value;
	size_t len;
};

/* one tar entry, as lib/image/tar.ts's TarEntry */
struct entry {
	char *name, *linkname;
	char type; /* f d l h c b p */
	unsigned mode;
	long long uid, gid, size, devmajor, devminor;
	struct timespec mtime, atime;
	struct xattr *xattrs;
	size_t nxattrs;
};

struct dirmeta {
	char *rel;
	unsigned mode;
	long long uid, gid;
	struct timespec atime, mtime;
	size_t order;
	int dead;
};

static struct {
	int root, out;
	const char *ns;
	long long uid_limit, gid_limit;
	/*
	 * The last parent resolved: its name as the layer spells it, its fd and real path. Only
	 * entries below it change while it is used; one that removes something or makes a
	 * symlink (which a later path may pass) makes it stale, and the next entry resolves again.
	 */
	char *cache_key, *cache_real;
	int cache_fd, cache_stale;
	struct dirmeta *dirs;
	size_t ndirs, capdirs;
	long long entries, bytes, files, ndir, symlinks, hardlinks, specials, whiteouts, opaques;
	/* input */
	unsigned char *in;
	size_t in_start, in_end;
	int in_eof;
	long long body_left; /* of the current entry, not yet read */
	const char *last; /* the last entry's name, for "after" in messages */
	/* copy-in: an archive, not a layer; its top entry placed as TS decided (copy_main) */
	int plain, owner_set;
	long long owner_uid, owner_gid;
	char *top, *place_dir, *place_name;
} u = { .cache_fd = -1 };

static void out_line(struct jline *j)
{
	jl_end(j);
	if (jl_write(u.out, 0, j) < 0)
		_exit(1);
}

/* {"event":"error","code":CODE,KEY:VAL,"message":...} and exit 1 */
__attribute__((noreturn)) static void vfail(const char *code, const char *key, const char *val, const char *fmt, va_list ap)
{
	struct jline j;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	jl_begin(&j, "error");
	jl_str(&j, "code", code);
	jl_str(&j, key, val);
	jl_str(&j, "message", msg);
	out_line(&j);
	_exit(1);
}

/* LAYER_UNSAFE, LAYER_INVALID: the entry, and why */
__attribute__((noreturn, format(printf, 3, 4))) static void fail(const char *code, const char *entry, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(code, "entry", entry, fmt, ap);
}

/* ARCHIVE_INVALID: what is wrong with the tar stream; kind picks TS's hint (truncated, checksum, type) */
__attribute__((noreturn, format(printf, 2, 3))) static void fail_archive(const char *kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail("ARCHIVE_INVALID", "kind", kind, fmt, ap);
}

__attribute__((noreturn)) static void fail_sys(const char *syscall, const char *entry)
{
	struct jline j;
	int err = errno;

	jl_begin(&j, "error");
	jl_str(&j, "code", "SYSTEM");
	jl_str(&j, "entry", entry);
	jl_str(&j, "syscall", syscall);
	jl_int(&j, "errno", err);
	jl_str(&j, "message", strerror(err));
	out_line(&j);
	_exit(1);
}

/* what: device or xattr */
static void skipped(const char *name, const char *what, const char *fmt, ...)
{
	struct jline j;
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	jl_begin(&j, "skipped");
	jl_str(&j, "name", name);
	jl_str(&j, "what", what);
	jl_str(&j, "reason", reason);
	out_line(&j);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fail_sys("realloc", "");
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		fail_sys("strndup", "");
	return d;
}

/* ---- input: stdin through one buffer; tar headers and bodies are taken from it */

/* at least n (<= IN_SIZE) bytes buffered; 0 when the stream ends first */
static int fill(size_t n)
{
	if (u.in_end - u.in_start >= n)
		return 1;
	if (u.in_start > 0) {
		memmove(u.in, u.in + u.in_start, u.in_end - u.in_start);
		u.in_end -= u.in_start;
		u.in_start = 0;
	}
	while (u.in_end < n && !u.in_eof) {
		ssize_t r = read(0, u.in + u.in_end, IN_SIZE - u.in_end);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail_sys("read", u.last);
		if (r == 0)
			u.in_eof = 1;
		u.in_end += (size_t)r;
	}
	return u.in_end - u.in_start >= n;
}

__attribute__((noreturn)) static void truncated(const char *what, const char *name)
{
	if (name)
		fail_archive("truncated", "entry '%s': truncated %s (the archive ends early)", name, what);
	fail_archive("truncated", "entry after '%s': truncated %s (the archive ends early)", u.last, what);
}

/* hands n bytes of body to fd (or drops them when fd < 0) */
static void body(int fd, long long n, const char *name)
{
	while (n > 0) {
		size_t avail;

		if (u.in_end == u.in_start) {
			u.in_start = u.in_end = 0;
			if (!fill(1))
				truncated("body", name);
		}
		avail = u.in_end - u.in_start;
		if ((long long)avail > n)
			avail = (size_t)n;
		if (fd >= 0 && write_all(fd, u.in + u.in_start, avail) < 0)
			fail_sys("write", name);
		u.in_start += avail;
		n -= (long long)avail;
	}
}

/* ---- tar headers */

/* an octal field, or GNU base-256 (top bit set); -1 when it is neither */
static long long number(const unsigned char *h, int off, int len)
{
	long long n = 0;
	int i = off, end = off + len;

	if (h[off] & 0x80) {
		n = h[off] & 0x3f;
		for (i = off + 1; i < end; i++) {
			if (n > (1LL << 53) / 256)
				return -1;
			n = n * 256 + h[i];
		}
		return n;
	}
	while (end > off && (h[end - 1] == 0 || h[end - 1] == ' '))
		end--;
	while (i < end && h[i] == ' ')
		i++;
	for (; i < end; i++) {
		if (h[i] < '0' || h[i] > '7' || n > (1LL << 53) / 8)
			return -1;
		n = n * 8 + (h[i] - '0');
	}
	return n;
}

static int checksum_ok(const unsigned char *h)
{
	long long stored = number(h, 148, 8);
	long unsigned_sum = 0, signed_sum = 0;

	for (int i = 0; i < BLOCK; i++) {
		int c = i >= 148 && i < 156 ? 0x20 : h[i];

		unsigned_sum += c;
		signed_sum += c > 127 ? c - 256 : c; /* some old tars summed signed chars */
	}
	return stored == unsigned_sum || stored == signed_sum;
}

static char *field(const unsigned char *h, int off, int len)
{
	return xstrndup((const char *)h + off, strnlen((const char *)h + off, (size_t)len));
}

struct pax {
	char *key, *value;
	size_t len;
};

struct paxset {
	struct pax *v;
	size_t n;
};

static void pax_free(struct paxset *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].key), free(p->v[i].value);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static void pax_set(struct paxset *p, const char *key, size_t klen, const char *value, size_t vlen)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strlen(p->v[i].key) == klen && memcmp(p->v[i].key, key, klen) == 0)
			break;
	if (i == p->n) {
		p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
		p->v[p->n++].key = xstrndup(key, klen);
	} else {
		free(p->v[i].value);
	}
	p->v[i].value = xrealloc(NULL, vlen + 1);
	memcpy(p->v[i].value, value, vlen);
	p->v[i].value[vlen] = 0;
	p->v[i].len = vlen;
}

static const struct pax *pax_get(const struct paxset *local, const struct paxset *global, const char *key)
{
	for (size_t i = 0; i < local->n; i++)
		if (strcmp(local->v[i].key, key) == 0)
			return &local->v[i];
	for (size_t i = 0; i < global->n; i++)
		if (strcmp(global->v[i].key, key) == 0)
			return &global->v[i];
	return NULL;
}

/* "%d key=value\n" records */
static void parse_pax(const char *b, size_t size, struct paxset *into)
{
	size_t off = 0;

	while (off < size) {
		const char *sp, *eq;
		unsigned long long len;
		char num[24];

		if (b[off] == 0)
			break; /* some writers pad the record block with NULs */
		sp = memchr(b + off, ' ', size - off);
		if (!sp || (size_t)(sp - (b + off)) >= sizeof(num) || sp == b + off)
			fail_archive("pax", "entry after '%s': malformed PAX record at offset %zu", u.last, off);
		memcpy(num, b + off, (size_t)(sp - (b + off)));
		num[sp - (b + off)] = 0;
		if (parse_ull(num, 10, &len) < 0 || len <= (size_t)(sp - (b + off)) || off + len > size || b[off + len - 1] != '\n')
			fail_archive("pax", "entry after '%s': malformed PAX record at offset %zu", u.last, off);
		eq = memchr(sp + 1, '=', (size_t)(b + off + len - (sp + 1)));
		if (!eq)
			fail_archive("pax", "entry after '%s': PAX record without '=' at offset %zu", u.last, off);
		pax_set(into, sp + 1, (size_t)(eq - (sp + 1)), eq + 1, (size_t)(b + off + len - 1 - (eq + 1)));
		off += len;
	}
}

/* a meta entry's body (PAX, GNU long name), whole: these are small */
static char *meta_body(long long size, const char *kind)
{
	size_t padded = (size_t)(size + BLOCK - 1) / BLOCK * BLOCK;
	char *b;

	if (size > 16 << 20)
		fail_archive("meta", "entry after '%s': %s record of %lld bytes is too large", u.last, kind, size);
	b = xrealloc(NULL, padded + 1);
	for (size_t got = 0; got < padded;) {
		size_t n = padded - got > IN_SIZE ? IN_SIZE : padded - got;

		if (!fill(n))
			truncated(kind, NULL);
		memcpy(b + got, u.in + u.in_start, n);
		u.in_start += n;
		got += n;
	}
	b[size] = 0;
	return b;
}

/* a PAX number: seconds may be fractional (mtime=1700000000.5) */
static int pax_time(const struct pax *p, struct timespec *ts)
{
	char *end;
	double d;

	if (!p)
		return 0;
	errno = 0;
	d = strtod(p->value, &end);
	if (errno || end == p->value || *end)
		return 0;
	ts->tv_sec = (time_t)d;
	ts->tv_nsec = (long)((d - (double)ts->tv_sec) * 1e9);
	if (ts->tv_nsec < 0)
		ts->tv_sec--, ts->tv_nsec += 1000000000L;
	return 1;
}

static int pax_int(const struct pax *p, long long *v)
{
	unsigned long long n;

	if (!p || parse_ull(p->value, 10, &n) < 0 || n > (1ULL << 53))
		return 0;
	*v = (long long)n;
	return 1;
}

static void entry_free(struct entry *e)
{
	free(e->name);
	free(e->linkname);
	for (size_t i = 0; i < e->nxattrs; i++)
		free(e->xattrs[i].name);
	free(e->xattrs);
	memset(e, 0, sizeof(*e));
}

/* the next entry, its body still to be read; 0 at the end of the archive */
static int next_entry(struct entry *e, struct paxset *global)
{
	static long long index;
	struct paxset pax = { 0 };
	char *long_name = NULL, *long_link = NULL;

	for (;;) {
		const unsigned char *h;
		long long size;
		char flag;

		if (!fill(BLOCK)) {
			if (u.in_end == u.in_start && index > 0)
				return 0; /* no end blocks: GNU tar accepts this too */
			truncated("header", NULL);
		}
		h = u.in + u.in_start;
		u.in_start += BLOCK;
		index++;
		int zero = 1;
		for (int i = 0; i < BLOCK && zero; i++)
			zero = h[i] == 0;
		if (zero) {
			/* the end: read the rest, so that node, which hashes the stream, sees all of it */
			while (!u.in_eof) {
				u.in_start = u.in_end = 0;
				fill(IN_SIZE);
			}
			return 0;
		}
		if (!checksum_ok(h))
			fail_archive("checksum", "entry after '%s': bad header checksum at block %lld (not a tar archive, or corrupt)", u.last, index);
		flag = (char)h[156];
		size = number(h, 124, 12);
		if (size < 0)
			fail_archive("field", "entry after '%s': invalid size field", u.last);
		if (flag == 'x' || flag == 'g') {
			/* the header block may move when the body is read: copy what is needed first */
			char *b = meta_body(size, "PAX header");

			parse_pax(b, (size_t)size, flag == 'g' ? global : &pax);
			free(b);
			continue;
		}
		if (flag == 'L' || flag == 'K') {
			char *b = meta_body(size, "GNU long name");

			free(flag == 'L' ? long_name : long_link);
			*(flag == 'L' ? &long_name : &long_link) = b; /* ends at its first NUL, as cstring() */
			continue;
		}

		const struct pax *p;
		memset(e, 0, sizeof(*e));
		if ((p = pax_get(&pax, global, "path"))) {
			if (strlen(p->value) != p->len)
				fail("LAYER_INVALID", p->value, "name contains a NUL byte");
			e->name = xstrndup(p->value, p->len);
		} else if (long_name) {
			e->name = long_name, long_name = NULL;
		} else if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345]) {
			char *prefix = field(h, 345, 155), *name = field(h, 0, 100);

			e->name = xrealloc(NULL, strlen(prefix) + strlen(name) + 2);
			sprintf(e->name, "%s/%s", prefix, name);
			free(prefix), free(name);
		} else {
			e->name = field(h, 0, 100);
		}
		if ((p = pax_get(&pax, global, "linkpath")))
			e->linkname = xstrndup(p->value, p->len);
		else if (long_link)
			e->linkname = long_link, long_link = NULL;
		else
			e->linkname = field(h, 157, 100);
		switch (flag) {
		case '0': case '\0': case '7': e->type = 'f'; break;
		case '1': e->type = 'h'; break;
		case '2': e->type = 'l'; break;
		case '3': e->type = 'c'; break;
		case '4': e->type = 'b'; break;
		case '5': e->type = 'd'; break;
		case '6': e->type = 'p'; break;
		default:
			fail_archive("type", "entry '%s': unsupported entry type '%c'", e->name, flag >= 0x20 && flag < 0x7f ? flag : '?');
		}
		if (e->type == 'f' && flag != '7' && e->name[0] && e->name[strlen(e->name) - 1] == '/')
			e->type = 'd'; /* pre-POSIX tars mark directories this way */
		if (!pax_int(pax_get(&pax, global, "size"), &e->size))
			e->size = size;
		long long mode = number(h, 100, 8), mtime = number(h, 136, 12);
		if (mode < 0)
			fail_archive("field", "entry '%s': invalid mode field", e->name);
		e->mode = (unsigned)mode & 07777;
		if (!pax_int(pax_get(&pax, global, "uid"), &e->uid) && (e->uid = number(h, 108, 8)) < 0)
			fail_archive("field", "entry '%s': invalid uid field", e->name);
		if (!pax_int(pax_get(&pax, global, "gid"), &e->gid) && (e->gid = number(h, 116, 8)) < 0)
			fail_archive("field", "entry '%s': invalid gid field", e->name);
		if (!pax_time(pax_get(&pax, global, "mtime"), &e->mtime)) {
			if (mtime < 0)
				fail_archive("field", "entry '%s': invalid mtime field", e->name);
			e->mtime.tv_sec = mtime;
		}
		if (!pax_time(pax_get(&pax, global, "atime"), &e->atime))
			e->atime = e->mtime;
		e->devmajor = number(h, 329, 8);
		e->devminor = number(h, 337, 8);
		if (e->devmajor < 0)
			e->devmajor = 0;
		if (e->devminor < 0)
			e->devminor = 0;
		for (int pass = 0; pass < 2; pass++) {
			const struct paxset *set = pass ? &pax : global;

			for (size_t i = 0; i < set->n; i++) {
				if (strncmp(set->v[i].key, "SCHILY.xattr.", 13) != 0)
					continue;
				e->xattrs = xrealloc(e->xattrs, (e->nxattrs + 1) * sizeof(*e->xattrs));
				e->xattrs[e->nxattrs].name = xstrndup(set->v[i].key + 13, strlen(set->v[i].key) - 13);
				e->xattrs[e->nxattrs].value = set->v[i].value; /* lives until pax_free */
				e->xattrs[e->nxattrs++].len = set->v[i].len;
			}
		}
		if (e->name[0] == 0)
			fail_archive("field", "entry after '%s': entry with an empty name", u.last);
		/* links, directories and devices have no body whatever the size field says */
		if (e->type != 'f')
			e->size = 0;
		free(long_name), free(long_link);
		/* the local PAX set's values must outlive the entry (xattrs point there): keep it aside */
		static struct paxset held;
		pax_free(&held);
		held = pax;
		return 1;
	}
}

/* the padding after a body of n bytes */
static void skip_pad(long long n, const char *name)
{
	long long pad = (BLOCK - n % BLOCK) % BLOCK;

	if (pad && !fill((size_t)pad))
		truncated("body", name);
	u.in_start += (size_t)pad;
}

/* ---- the tree */

static const char *errno_code(int err)
{
	return err == EPERM ? "EPERM" : "ENOTSUP";
}

/*
 * Lexical normalisation: the components of name inside the root, '/'-joined into out
 * (no leading or trailing '/'); LAYER_UNSAFE when '..' climbs above the root.
 */
static void normalise(const char *name, const char *entry, char *out, size_t cap)
{
	size_t len = 0;
	const char *c = name;

	out[0] = 0;
	while (*c) {
		const char *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);

		if (n == 0 || (n == 1 && c[0] == '.')) {
		} else if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (len == 0)
				fail("LAYER_UNSAFE", entry, "'%s' points outside the layer", name);
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = 0;
		} else {
			if (len + n + 2 > cap)
				fail("LAYER_INVALID", entry, "name too long");
			if (len)
				out[len++] = '/';
			memcpy(out + len, c, n);
			len += n;
			out[len] = 0;
		}
		c = *end ? end + 1 : end;
	}
}

static void cache_drop(void)
{
	if (u.cache_fd >= 0 && u.cache_fd != u.root)
		close(u.cache_fd);
	u.cache_fd = -1;
	free(u.cache_key), free(u.cache_real);
	u.cache_key = u.cache_real = NULL;
}

static int open_dir(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * The real directory that parent (normalised) names: an fd, and its path relative to the
 * root in real. Symlinks on the way are followed inside the root; missing dirs are made.
 * The fd is the cache's: do not close it.
 */
static int resolve_dir(const char *parent, const char *entry, char *real, size_t cap)
{
	int stack[MAX_DEPTH], depth = 0, links = 0;
	size_t rlen = 0;
	/* what is left to walk: a list of paths, the front one first (symlink targets go in front) */
	char *todo = xstrndup(parent, strlen(parent));

	if (u.cache_stale) {
		cache_drop();
		u.cache_stale = 0;
	}
	if (u.cache_key && strcmp(u.cache_key, parent) == 0) {
		snprintf(real, cap, "%s", u.cache_real);
		free(todo);
		return u.cache_fd;
	}
	real[0] = 0;
	stack[0] = u.root;
	for (char *p = todo; *p;) {
		char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		char c[4096];
		int fd;

		if (n >= sizeof(c))
			fail("LAYER_INVALID", entry, "a component of its path is too long");
		memcpy(c, p, n);
		c[n] = 0;
		p = *end ? end + 1 : end;
		if (n == 0 || strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) { /* never above the root: securejoin semantics */
			if (depth > 0) {
				close(stack[depth--]);
				while (rlen > 0 && real[rlen - 1] != '/')
					rlen--;
				if (rlen > 0)
					rlen--;
				real[rlen] = 0;
			}
			continue;
		}
		fd = open_dir(stack[depth], c);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(stack[depth], c, 0755) < 0 && errno != EEXIST)
				fail_sys("mkdirat", entry);
			fd = open_dir(stack[depth], c);
		}
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			struct stat st;
			char target[4096];
			ssize_t tn;

			if (fstatat(stack[depth], c, &st, AT_SYMLINK_NOFOLLOW) < 0)
				fail_sys("fstatat", entry);
			if (!S_ISLNK(st.st_mode))
				fail("LAYER_INVALID", entry, "'%s%s%s' in its path is not a directory", real, rlen ? "/" : "", c);
			if (++links > MAX_SYMLINKS)
				fail("LAYER_UNSAFE", entry, "too many levels of symbolic links in its path");
			tn = readlinkat(stack[depth], c, target, sizeof(target) - 1);
			if (tn < 0)
				fail_sys("readlinkat", entry);
			target[tn] = 0;
			if (target[0] == '/') {
				while (depth > 0)
					close(stack[depth--]);
				rlen = 0;
				real[0] = 0;
			}
			/* the target's components, then what was left */
			char *rest = xrealloc(NULL, (size_t)tn + strlen(p) + 2);
			sprintf(rest, "%s/%s", target, p);
			free(todo);
			todo = p = rest;
			continue;
		}
		if (fd < 0)
			fail_sys("openat", entry);
		if (depth + 1 >= MAX_DEPTH)
			fail("LAYER_INVALID", entry, "its path is too deep");
		stack[++depth] = fd;
		if (rlen + n + 2 > cap)
			fail("LAYER_INVALID", entry, "name too long");
		if (rlen)
			real[rlen++] = '/';
		memcpy(real + rlen, c, n + 1);
		rlen += n;
	}
	free(todo);
	for (int i = 1; i < depth; i++)
		close(stack[i]);
	cache_drop();
	u.cache_key = xstrndup(parent, strlen(parent));
	u.cache_real = xstrndup(real, rlen);
	u.cache_fd = stack[depth];
	return u.cache_fd;
}

/* out = dir/name (name alone in the root) */
static void join(char *out, size_t cap, const char *dir, const char *name, const char *entry)
{
	size_t a = strlen(dir), b = strlen(name);

	if (a + b + 2 > cap)
		fail("LAYER_INVALID", entry, "name too long");
	memcpy(out, dir, a);
	if (a)
		out[a++] = '/';
	memcpy(out + a, name, b + 1);
}

static int has_prefix_dir(const char *rel, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(rel, dir, n) == 0 && (rel[n] == 0 || rel[n] == '/');
}

/* whatever is at rel (in dirfd, as base) is removed; a directory takes what we know of it along */
static void clear(int dirfd, const char *base, const char *rel, const struct stat *st, const char *entry)
{
	u.cache_stale = 1;
	if (S_ISDIR(st->st_mode)) {
		for (size_t i = 0; i < u.ndirs; i++)
			if (has_prefix_dir(u.dirs[i].rel, rel))
				u.dirs[i].dead = 1;
		if (remove_at(dirfd, base) < 0)
			fail_sys("unlinkat", entry);
	} else if (unlinkat(dirfd, base, 0) < 0) {
		fail_sys("unlinkat", entry);
	}
}

/* LAYER_ID_UNMAPPED: kind and max when an id passes the limit, without them when chown says EINVAL */
__attribute__((noreturn)) static void fail_ids(const struct entry *e, const char *kind, long long id, long long max)
{
	struct jline j;

	jl_begin(&j, "error");
	jl_str(&j, "code", "LAYER_ID_UNMAPPED");
	jl_str(&j, "entry", e->name);
	jl_int(&j, "uid", e->uid);
	jl_int(&j, "gid", e->gid);
	if (kind) {
		jl_str(&j, "kind", kind);
		jl_int(&j, "id", id);
		jl_int(&j, "max", max);
	}
	out_line(&j);
	_exit(1);
}

static void check_ids(const struct entry *e)
{
	if (u.uid_limit && e->uid >= u.uid_limit)
		fail_ids(e, "uid", e->uid, u.uid_limit);
	if (u.gid_limit && e->gid >= u.gid_limit)
		fail_ids(e, "gid", e->gid, u.gid_limit);
}

/* chown's EINVAL: an id this user namespace does not map */
__attribute__((noreturn)) static void chown_failed(const struct entry *e, const char *syscall)
{
	if (errno == EINVAL)
		fail_ids(e, NULL, 0, 0);
	fail_sys(syscall, e->name);
}

static void set_xattrs(const struct entry *e, int dirfd, const char *base)
{
	char path[64 + 4096];

	if (!e->nxattrs)
		return;
	/* the parent by its fd, the last component not followed (lsetxattr) */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, base);
	for (size_t i = 0; i < e->nxattrs; i++) {
		const char *name = e->xattrs[i].name;

		if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0) {
			skipped(e->name, "xattr", "xattr %s: overlay xattrs in a layer are ignored", name);
			continue;
		}
		if (lsetxattr(path, name, e->xattrs[i].value, e->xattrs[i].len, 0) == 0)
			continue;
		if (errno != EPERM && errno != ENOTSUP)
			fail_sys("lsetxattr", e->name);
		skipped(e->name, "xattr", "xattr %s: %s", name, errno_code(errno));
	}
}

static void dir_meta(const char *rel, const struct entry *e)
{
	struct dirmeta *d;

	if (u.ndirs == u.capdirs) {
		u.capdirs = u.capdirs ? u.capdirs * 2 : 256;
		u.dirs = xrealloc(u.dirs, u.capdirs * sizeof(*u.dirs));
	}
	d = &u.dirs[u.ndirs];
	*d = (struct dirmeta){ xstrndup(rel, strlen(rel)), e->mode, e->uid, e->gid, e->atime, e->mtime, u.ndirs, 0 };
	u.ndirs++;
}

/* a hardlink's target: inside the root and not reached through any symlink; its parent's fd */
static int link_target(const struct entry *e, char *rel, size_t cap, const char **base)
{
	int fd = dup(u.root);
	char *p, *slash;

	normalise(e->linkname, e->name, rel, cap);
	if (!rel[0])
		fail("LAYER_INVALID", e->name, "hardlink to the layer root");
	for (p = rel; (slash = strchr(p, '/')); p = slash + 1) {
		int next;

		*slash = 0;
		next = open_dir(fd, p);
		if (next < 0) {
			struct stat st;
			int err = errno;

			if (err == ENOENT)
				fail("LAYER_INVALID", e->name, "hardlink target '%s' does not exist in this layer", e->linkname);
			if (fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				fail("LAYER_UNSAFE", e->name, "hardlink target '%s' is reached through the symlink '%s'", e->linkname, rel);
			if (err == ENOTDIR)
				fail("LAYER_INVALID", e->name, "hardlink target '%s': '%s' is not a directory", e->linkname, rel);
			errno = err;
			fail_sys("openat", e->name);
		}
		*slash = '/';
		close(fd);
		fd = next;
	}
	struct stat st;
	if (fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			fail("LAYER_INVALID", e->name, "hardlink target '%s' does not exist in this layer", e->linkname);
		fail_sys("fstatat", e->name);
	}
	if (S_ISDIR(st.st_mode))
		fail("LAYER_INVALID", e->name, "hardlink target '%s' is a directory", e->linkname);
	*base = p;
	return fd;
}

static void whiteout(const struct entry *e, int dirfd, const char *parent, const char *base)
{
	char rel[8192], attr[64];
	const char *name = base + 4;
	struct stat st;

	if (strcmp(base, ".wh..wh..opq") == 0) {
		u.opaques++;
		snprintf(attr, sizeof(attr), "%s.overlay.opaque", u.ns);
		if (fsetxattr(dirfd, attr, "y", 1, 0) < 0)
			fail_sys("fsetxattr", e->name);
		return;
	}
	if (strncmp(base, ".wh..wh.", 8) == 0)
		return; /* aufs bookkeeping, meaningless here */
	u.whiteouts++;
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		fail("LAYER_UNSAFE", e->name, "whiteout of '%s' is not a file name", name);
	join(rel, sizeof(rel), parent, name, e->name);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		clear(dirfd, name, rel, &st, e->name);
	check_ids(e);
	if (mknodat(dirfd, name, S_IFCHR, 0) < 0) /* allowed in a user namespace since Linux 5.8 */
		fail_sys("mknodat", e->name);
	if (fchownat(dirfd, name, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		chown_failed(e, "fchownat");
}

static void apply(struct entry *e)
{
	char norm[8192], parent[8192], real[8192], rel[8192];
	const char *base;
	char *slash;
	int dirfd, exists;
	struct stat st;
	struct timespec times[2] = { e->atime, e->mtime };

	u.entries++;
	if (strlen(e->name) >= sizeof(norm))
		fail("LAYER_INVALID", e->name, "name too long");
	normalise(e->name, e->name, norm, sizeof(norm));
	if (!norm[0]) {
		if (e->type == 'd')
			dir_meta("", e);
		return;
	}
	slash = strrchr(norm, '/');
	if (slash) {
		memcpy(parent, norm, (size_t)(slash - norm));
		parent[slash - norm] = 0;
		base = slash + 1;
	} else {
		parent[0] = 0;
		base = norm;
	}
	dirfd = resolve_dir(parent, e->name, real, sizeof(real));
	if (!u.plain && strncmp(base, ".wh.", 4) == 0)
		return whiteout(e, dirfd, real, base);
	check_ids(e);
	join(rel, sizeof(rel), real, base, e->name);
	exists = fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && errno != ENOENT)
		fail_sys("fstatat", e->name);
	/* the last component is never followed: what is there goes first (a directory stays a directory) */
	if (exists && !(e->type == 'd' && S_ISDIR(st.st_mode)) && e->type != 'h')
		clear(dirfd, base, rel, &st, e->name);

	switch (e->type) {
	case 'd':
		u.ndir++;
		if (!exists || !S_ISDIR(st.st_mode)) {
			/* the real mode at the end: a read-only dir must still take its children */
			if (mkdirat(dirfd, base, 0700) < 0)
				fail_sys("mkdirat", e->name);
		}
		dir_meta(rel, e);
		set_xattrs(e, dirfd, base);
		return;
	case 'f': {
		/* made with its mode (umask 0): the fd writes whatever the mode says */
		int fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, e->mode & 0777);
		struct stat made;
		int chowned = 0;

		u.files++;
		if (fd < 0)
			fail_sys("openat", e->name);
		body(fd, e->size, e->name);
		u.body_left = 0;
		u.bytes += e->size;
		/* each chown or chmod is a journalled inode change: only where the file is not as wanted yet */
		if (fstat(fd, &made) < 0)
			fail_sys("fstat", e->name);
		if (made.st_uid != (uid_t)e->uid || made.st_gid != (gid_t)e->gid) {
			if (fchown(fd, (uid_t)e->uid, (gid_t)e->gid) < 0)
				chown_failed(e, "fchown");
			chowned = 1;
		}
		/* after chown, which clears setuid and setgid */
		if ((chowned || (made.st_mode & 07777) != e->mode) && fchmod(fd, e->mode) < 0)
			fail_sys("fchmod", e->name);
		set_xattrs(e, dirfd, base); /* after chown too, which clears security.capability */
		if (futimens(fd, times) < 0)
			fail_sys("futimens", e->name);
		close(fd);
		return;
	}
	case 'l':
		u.symlinks++;
		u.cache_stale = 1;
		if (symlinkat(e->linkname, dirfd, base) < 0)
			fail_sys("symlinkat", e->name);
		if (fchownat(dirfd, base, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
			chown_failed(e, "fchownat");
		set_xattrs(e, dirfd, base);
		if (utimensat(dirfd, base, times, AT_SYMLINK_NOFOLLOW) < 0)
			fail_sys("utimensat", e->name);
		return;
	case 'h': {
		char target[8192];
		const char *tbase;
		int tfd;

		u.hardlinks++;
		tfd = link_target(e, target, sizeof(target), &tbase);
		if (strcmp(target, rel) == 0) {
			close(tfd);
			return;
		}
		if (exists)
			clear(dirfd, base, rel, &st, e->name);
		if (linkat(tfd, tbase, dirfd, base, 0) < 0)
			fail_sys("linkat", e->name);
		close(tfd);
		return;
	}
	default: { /* p c b */
		mode_t type = e->type == 'p' ? S_IFIFO : e->type == 'c' ? S_IFCHR : S_IFBLK;

		u.specials++;
		if (mknodat(dirfd, base, type | 0600, makedev(e->devmajor, e->devminor)) < 0) {
			if (errno != EPERM || e->type == 'p')
				fail_sys("mknodat", e->name);
			skipped(e->name, "device", "device nodes cannot be created rootless (%s %lld:%lld)",
				e->type == 'c' ? "char" : "block", e->devmajor, e->devminor);
			return;
		}
		if (fchownat(dirfd, base, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
			chown_failed(e, "fchownat");
		/* by name, but mknod just made it: not a symlink; opening a device is worse */
		if (fchmodat(dirfd, base, e->mode, 0) < 0)
			fail_sys("fchmodat", e->name);
		if (utimensat(dirfd, base, times, AT_SYMLINK_NOFOLLOW) < 0)
			fail_sys("utimensat", e->name);
		set_xattrs(e, dirfd, base);
		return;
	}
	}
}

static int depth_of(const char *rel)
{
	int n = rel[0] ? 1 : 0;

	for (; *rel; rel++)
		n += *rel == '/';
	return n;
}

/* deepest first: setting a child's times touches nothing above, but creating it did; later entries last */
static int deeper_first(const void *a, const void *b)
{
	const struct dirmeta *x = a, *y = b;
	int dx = depth_of(x->rel), dy = depth_of(y->rel);

	if (dx != dy)
		return dy - dx;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* directories' modes, owners and times, through an fd reached without following any symlink */
static void finish(void)
{
	cache_drop();
	if (u.ndirs)
		qsort(u.dirs, u.ndirs, sizeof(*u.dirs), deeper_first);
	for (size_t i = 0; i < u.ndirs; i++) {
		struct dirmeta *d = &u.dirs[i];
		struct timespec times[2] = { d->atime, d->mtime };
		int fd = dup(u.root);
		char *p = d->rel, *slash;

		if (d->dead)
			continue;
		while (fd >= 0 && *p) {
			int next;

			slash = strchrnul(p, '/');
			char c = *slash;
			*slash = 0;
			next = open_dir(fd, p);
			*slash = c;
			close(fd);
			fd = next;
			p = c ? slash + 1 : slash;
		}
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
				continue; /* removed by a later entry */
			fail_sys("openat", d->rel);
		}
		if (fchown(fd, (uid_t)d->uid, (gid_t)d->gid) < 0) {
			struct entry e = { .name = d->rel, .uid = d->uid, .gid = d->gid };
			chown_failed(&e, "fchown");
		}
		if (fchmod(fd, d->mode) < 0)
			fail_sys("fchmod", d->rel);
		if (futimens(fd, times) < 0)
			fail_sys("futimens", d->rel);
		close(fd);
	}
}

/*
 * DIR; when it is missing, made here in a parent marked first as a "top" directory
 * (FS_TOPDIR_FL, chattr +T). ext4 puts a new directory near its parent's block group and a
 * file in its directory's, so every layer of every store under a home directory would
 * share a few groups with whatever else is made and removed there. Without a journal, ext4
 * will not reuse an inode freed in the last minute (five while its table block is dirty),
 * and passes each such inode one by one on every create: on the bench host that scan was
 * 40-60% of a rootless pull's CPU time (perf: find_inode_bit, recently_deleted), and four
 * unpacks of the debian base layer in a row, each after removing the last, took 0.4, 2.2,
 * 4.1 and 5.1 s of system time. In a top directory, ext4's Orlov allocator places a new
 * directory in a group of its own, with few directories and free room, searched from a
 * start hashed from its name, which is random here: the same four took 0.4 s each. Other
 * filesystems refuse the flag, and nothing changes there.
 */
static int open_root(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *parent;

	if (fd >= 0 || errno != ENOENT)
		goto out;
	parent = xstrndup(dir, strlen(dir));
	if (strrchr(parent, '/'))
		*strrchr(parent, '/') = 0;
	fd = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(parent);
	if (fd >= 0) {
		int flags;

		if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
			flags |= FS_TOPDIR_FL;
			ioctl(fd, FS_IOC_SETFLAGS, &flags);
		}
		close(fd);
	}
	if (mkdir(dir, 0755) < 0)
		fail_sys("mkdir", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
out:
	if (fd < 0)
		fail_sys("open", dir);
	return fd;
}

static long long limit_arg(const char *s)
{
	unsigned long long v;

	if (parse_ull(s, 10, &v) < 0)
		fail("USAGE", "", "bad id limit '%s'", s);
	return (long long)v;
}

int unpack_main(int argc, char **argv)
{
	struct paxset global = { 0 };
	struct entry e = { 0 };
	struct jline j;
	char *last = NULL;

	u.out = 1;
	u.last = "(start of archive)";
	if (argc != 6 || (strcmp(argv[3], "user") != 0 && strcmp(argv[3], "trusted") != 0))
		fail("USAGE", "", "usage: cocker-helper unpack DIR user|trusted UIDLIMIT GIDLIMIT");
	u.ns = argv[3];
	u.uid_limit = limit_arg(argv[4]);
	u.gid_limit = limit_arg(argv[5]);
	/* a pull killed (-9) stops here too, before `system check` clears what it left */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	umask(0);
	u.root = open_root(argv[2]);
	u.in = xrealloc(NULL, IN_SIZE);
	while (next_entry(&e, &global)) {
		u.body_left = e.size;
		apply(&e); /* a file reads its body; what is not read is skipped */
		body(-1, u.body_left, e.name);
		skip_pad(e.size, e.name);
		free(last);
		u.last = last = e.name;
		e.name = NULL;
		entry_free(&e);
	}
	finish();
	jl_begin(&j, "stats");
	jl_int(&j, "entries", u.entries);
	jl_int(&j, "bytes", u.bytes);
	jl_int(&j, "files", u.files);
	jl_int(&j, "dirs", u.ndir);
	jl_int(&j, "symlinks", u.symlinks);
	jl_int(&j, "hardlinks", u.hardlinks);
	jl_int(&j, "specials", u.specials);
	jl_int(&j, "whiteouts", u.whiteouts);
	jl_int(&j, "opaques", u.opaques);
	out_line(&j);
	return 0;
}

/* ---- cocker-helper copy-in: `cp`'s unpacking side */

/*
 * The name an entry of a cp archive takes, as lib/container/copy.ts's copyNameMap: the top
 * entry (the source itself, or '' for SRC/.) becomes place_name in place_dir, the rest
 * follows it; an entry outside the top is not ours (0). out is relative to the root.
 */
static int map_name(const char *name, const char *entry, char *out, size_t cap)
{
	char n[8192], rest[8194], mapped[16400];
	size_t tl = strlen(u.top);

	if (strlen(name) >= sizeof(n))
		fail("LAYER_INVALID", entry, "name too long");
	normalise(name, entry, n, sizeof(n));
	if (!u.top[0])
		snprintf(rest, sizeof(rest), "%s%s", n[0] ? "/" : "", n);
	else if (strcmp(n, u.top) == 0)
		rest[0] = 0;
	else if (strncmp(n, u.top, tl) == 0 && n[tl] == '/')
		snprintf(rest, sizeof(rest), "%s", n + tl);
	else
		return 0;
	if (!u.place_name[0]) {
		if (!rest[0])
			return 0; /* SRC/. into DIR: DIR itself is left as it is */
		snprintf(mapped, sizeof(mapped), "%s", rest + 1);
	} else if ((size_t)snprintf(mapped, sizeof(mapped), "%s%s", u.place_name, rest) >= sizeof(mapped)) {
		fail("LAYER_INVALID", entry, "name too long");
	}
	join(out, cap, u.place_dir, mapped, entry);
	return 1;
}

/* openat2(RESOLVE_IN_ROOT): path looked up as if root were /, symlinks followed inside it */
static int open_in_root(int root, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT };

	return (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/* what is at DEST: 0 a directory, 1 something else, 2 nothing (its parent a directory), 3 nothing in no directory */
static int dest_kind(const char *dest)
{
	struct stat st;
	char parent[8192], *slash;
	int fd = open_in_root(u.root, dest, O_PATH), kind;

	if (fd >= 0) {
		if (fstat(fd, &st) < 0)
			fail_sys("fstat", dest);
		close(fd);
		return S_ISDIR(st.st_mode) ? 0 : 1;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		fail_sys("openat2", dest);
	/* a dangling symlink is something (node's lstat after stat) */
	fd = open_in_root(u.root, dest, O_PATH | O_NOFOLLOW);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	snprintf(parent, sizeof(parent), "%s", dest);
	while ((slash = strrchr(parent, '/')) && slash[1] == 0 && slash != parent)
		*slash = 0; /* "a/b/" is b's */
	slash = strrchr(parent, '/');
	if (slash)
		slash == parent ? (void)(parent[1] = 0) : (void)(*slash = 0);
	else
		snprintf(parent, sizeof(parent), ".");
	fd = open_in_root(u.root, parent, O_PATH | O_DIRECTORY);
	kind = fd >= 0 ? 2 : 3;
	if (fd >= 0)
		close(fd);
	return kind;
}

/*
 * cocker-helper copy-in ROOT DEST OWNER PLACE...: a `cp` archive on stdin into the tree at
 * ROOT, every name resolved inside it as the layer unpacker resolves them (securejoin: a
 * symlink, absolute or full of '..', never leads out), with the entry rules of unpack, but
 * .wh. names are files. OWNER is keep or UID:GID (every entry's owner). The eight PLACEs are
 * TS's placeCopy for what DEST is (dir, file, missing, missing without a parent, looked up
 * inside ROOT) and whether the archive's top entry is a directory (no, yes), in that order:
 * "!" refused, else NAME then DIR (DIR starts with '/', NAME has none): the top entry's name
 * and the directory it goes in. A refusal is {"event":"error","code":"PLACEMENT","case":N}.
 * ROOT is a running container's /proc/PID/root (from its user namespace) or its mounted
 * root; the host side of `cp` out gives the destination's directory.
 */
int copy_main(int argc, char **argv)
{
	struct paxset global = { 0 };
	struct entry e = { 0 };
	struct jline j;
	char *last = NULL, name[8192];
	int kind = -1;

	u.out = 1;
	u.last = "(start of archive)";
	if (argc != 13)
		fail("USAGE", "", "usage: cocker-helper copy-in ROOT DEST keep|UID:GID PLACE*8");
	/* it may run in the container's user namespace, next to its processes (as runc's init) */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (strcmp(argv[4], "keep") != 0) {
		char *colon = strchr(argv[4], ':');

		if (!colon)
			fail("USAGE", "", "bad owner '%s'", argv[4]);
		*colon = 0;
		u.owner_uid = limit_arg(argv[4]);
		u.owner_gid = limit_arg(colon + 1);
		u.owner_set = 1;
	}
	u.plain = 1;
	u.ns = "user";
	umask(0);
	/* fewer wake-ups of both sides of the pipe (best effort: not every stdin is a pipe) */
	fcntl(0, F_SETPIPE_SZ, 1 << 20);
	u.root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u.root < 0)
		fail_sys("open", argv[2]);
	u.in = xrealloc(NULL, IN_SIZE);
	while (next_entry(&e, &global)) {
		int ours = 1;

		u.body_left = e.size;
		if (!u.top) {
			char n[8192];
			const char *place;

			if (strlen(e.name) >= sizeof(n))
				fail("LAYER_INVALID", e.name, "name too long");
			normalise(e.name, e.name, n, sizeof(n));
			u.top = xstrndup(n, strlen(n));
			kind = dest_kind(argv[3]);
			place = argv[5 + kind * 2 + (e.type == 'd')];
			if (place[0] == '!' || !strchr(place, '/')) {
				jl_begin(&j, "error");
				jl_str(&j, "code", "PLACEMENT");
				jl_int(&j, "case", kind * 2 + (e.type == 'd'));
				out_line(&j);
				_exit(1);
			}
			u.place_name = xstrndup(place, (size_t)(strchr(place, '/') - place));
			normalise(strchr(place, '/'), place, name, sizeof(name));
			u.place_dir = xstrndup(name, strlen(name));
		}
		if (!map_name(e.name, e.name, name, sizeof(name)))
			ours = 0;
		if (ours && e.type == 'h') {
			char target[8192];

			if (!map_name(e.linkname, e.name, target, sizeof(target)))
				ours = 0;
			else {
				free(e.linkname);
				e.linkname = xstrndup(target, strlen(target));
			}
		}
		if (ours) {
			free(e.name);
			e.name = xstrndup(name, strlen(name));
			if (u.owner_set)
				e.uid = u.owner_uid, e.gid = u.owner_gid;
			apply(&e);
		}
		body(-1, u.body_left, e.name);
		skip_pad(e.size, e.name);
		free(last);
		u.last = last = e.name;
		e.name = NULL;
		entry_free(&e);
	}
	finish();
	jl_begin(&j, "stats");
	jl_int(&j, "entries", u.entries);
	jl_int(&j, "bytes", u.bytes);
	jl_int(&j, "files", u.files);
	jl_int(&j, "dirs", u.ndir);
	out_line(&j);
	return 0;
}
