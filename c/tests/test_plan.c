/*
 * Unit tests of plan_parse (plan.c): the request parser is the helper's only
 * input from TS, so every malformed shape must fail with a message and no
 * read past the buffer. Built with ASan/UBSan by `make check`; every request
 * sits in a heap buffer of its exact length, so an over-read is caught.
 * Prints TAP ("ok N - name"); exits 1 if any test failed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

static int ntest, nfail;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			ok = 0;                                                      \
		}                                                                    \
	} while (0)

struct req {
	char *buf;
	size_t len;
};

/* Joins tokens (NULL-terminated list) with a NUL after each, as encodePlan does. */
static struct req build(const char *first, ...)
{
	struct req r = { NULL, 0 };
	va_list ap;
	size_t cap = 0;

	va_start(ap, first);
	for (const char *t = first; t; t = va_arg(ap, const char *))
		cap += strlen(t) + 1;
	va_end(ap);
	r.buf = malloc(cap ? cap : 1);
	va_start(ap, first);
	for (const char *t = first; t; t = va_arg(ap, const char *)) {
		memcpy(r.buf + r.len, t, strlen(t) + 1);
		r.len += strlen(t) + 1;
	}
	va_end(ap);
	return r;
}

/* The plan points into r.buf: free the plan, then the buffer. */
static int parse(struct req r, struct plan *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	return plan_parse(r.buf, r.len, p, err, errlen);
}

static void report(int ok, const char *name)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d - %s\n", ok ? "" : "not ", ntest, name);
}

/* Expects a parse failure whose message contains want. */
static void expect_error(const char *name, struct req r, const char *want)
{
	struct plan p;
	char err[256];
	int ok = 1;
	int rc = parse(r, &p, err, sizeof(err));

	CHECK(rc == -1);
	CHECK(strstr(err, want) != NULL);
	if (!ok)
		printf("# got rc %d, message \"%s\", want \"%s\"\n", rc, err, want);
	plan_free(&p);
	free(r.buf);
	report(ok, name);
}

#define TAG COCKER_PROTOCOL_TAG

/* One op of every kind in the table, each argument filled by its shape letter. */
static void test_every_op(void)
{
	char *buf = malloc(1 << 16);
	size_t len = 0;
	struct plan p;
	char err[256];
	int ok = 1, rc;

#define PUT(s) (memcpy(buf + len, (s), strlen(s) + 1), len += strlen(s) + 1)
	PUT(TAG);
	for (int op = 0; op < OP__COUNT; op++) {
		const char *shape = op_table[op].shape;

		PUT(op_table[op].name);
		for (int i = 0; shape[i]; i++) {
			char tok[32];

			if (shape[i] == 's') {
				snprintf(tok, sizeof(tok), "%d.%d", op, i);
				PUT(tok);
				continue;
			}
			/* list i of op holds i+1 items, to tell lists apart */
			snprintf(tok, sizeof(tok), "%d", i + 1);
			PUT(tok);
			for (int k = 0; k <= i; k++) {
				snprintf(tok, sizeof(tok), "%d.%d.%d", op, i, k);
				PUT(tok);
			}
		}
	}
#undef PUT
	rc = parse((struct req){ buf, len }, &p, err, sizeof(err));
	CHECK(rc == 0);
	CHECK(p.nops == OP__COUNT);
	for (size_t op = 0; rc == 0 && op < p.nops && op < OP__COUNT; op++) {
		const char *shape = op_table[op].shape;

		CHECK(p.ops[op].code == (enum cocker_op)op);
		CHECK(strlen(shape) <= OP_MAX_FIELDS);
		for (int i = 0; shape[i]; i++) {
			char want[32];

			if (shape[i] == 's') {
				snprintf(want, sizeof(want), "%zu.%d", op, i);
				CHECK(p.ops[op].f[i].s && strcmp(p.ops[op].f[i].s, want) == 0);
				continue;
			}
			CHECK(p.ops[op].f[i].n == (size_t)i + 1);
			for (int k = 0; k <= i; k++) {
				snprintf(want, sizeof(want), "%zu.%d.%d", op, i, k);
				CHECK(strcmp(p.ops[op].f[i].v[k], want) == 0);
			}
			CHECK(p.ops[op].f[i].v[i + 1] == NULL);
		}
	}
	if (rc)
		printf("# %s\n", err);
	plan_free(&p);
	free(buf);
	report(ok, "one op of every name and shape parses, fields in place");
}

static void test_valid_shapes(void)
{
	struct plan p;
	char err[256];
	int ok = 1;
	struct req r = build(TAG, "mode", "wait",                          /* s */
			     "ns-join", "net", "/proc/1/ns/net",              /* ss */
			     "uid-map", "0", "1000", "1",                     /* sss */
			     "setgroups-deny",                                /* none */
			     "mount", "proc", "/proc", "proc", "14", "0", "", /* ssssss, empty token */
			     "groups", "0",                                   /* v, empty list */
			     "hook", "createContainer", "/bin/h", "5", "2", "/bin/h", "x", "1", "A=B",
			     "argv", "3", "sh", "-c", "echo hi",
			     "exec", NULL);
	int rc = parse(r, &p, err, sizeof(err));

	CHECK(rc == 0);
	CHECK(p.nops == 9);
	if (rc == 0 && p.nops == 9) {
		CHECK(p.ops[0].code == OP_MODE && strcmp(p.ops[0].f[0].s, "wait") == 0);
		CHECK(p.ops[1].code == OP_NS_JOIN && strcmp(p.ops[1].f[1].s, "/proc/1/ns/net") == 0);
		CHECK(p.ops[2].code == OP_UID_MAP && strcmp(p.ops[2].f[2].s, "1") == 0);
		CHECK(p.ops[3].code == OP_SETGROUPS_DENY);
		CHECK(p.ops[4].code == OP_MOUNT && strcmp(p.ops[4].f[3].s, "14") == 0 &&
		      strcmp(p.ops[4].f[5].s, "") == 0);
		CHECK(p.ops[5].code == OP_GROUPS && p.ops[5].f[0].n == 0 && p.ops[5].f[0].v &&
		      p.ops[5].f[0].v[0] == NULL);
		CHECK(p.ops[6].code == OP_HOOK && strcmp(p.ops[6].f[2].s, "5") == 0);
		CHECK(p.ops[6].f[3].n == 2 && strcmp(p.ops[6].f[3].v[1], "x") == 0);
		CHECK(p.ops[6].f[4].n == 1 && strcmp(p.ops[6].f[4].v[0], "A=B") == 0);
		CHECK(p.ops[7].code == OP_ARGV && p.ops[7].f[0].n == 3 &&
		      strcmp(p.ops[7].f[0].v[2], "echo hi") == 0 && p.ops[7].f[0].v[3] == NULL);
		CHECK(p.ops[8].code == OP_EXEC);
	}
	if (rc)
		printf("# %s\n", err);
	plan_free(&p);
	free(r.buf);
	report(ok, "valid request: no args, tokens, empty token, empty list, two lists");
}

/* More ops than the initial capacity (64): the array grows and keeps its contents. */
static void test_many_ops(void)
{
	size_t n = 1000, len = 0;
	char *buf = malloc(strlen(TAG) + 1 + n * 16);
	struct plan p;
	char err[256];
	int ok = 1, rc;

	memcpy(buf, TAG, strlen(TAG) + 1);
	len = strlen(TAG) + 1;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "env%cK%zu=v", '\0', i) + 1;
	rc = parse((struct req){ buf, len }, &p, err, sizeof(err));
	CHECK(rc == 0);
	CHECK(p.nops == n);
	CHECK(rc == 0 && strcmp(p.ops[0].f[0].s, "K0=v") == 0);
	CHECK(rc == 0 && strcmp(p.ops[n - 1].f[0].s, "K999=v") == 0);
	plan_free(&p);
	free(buf);
	report(ok, "1000 ops: the op array grows");
}

static void test_empty_after_tag(void)
{
	struct plan p;
	char err[256];
	int ok = 1;
	struct req r = build(TAG, NULL);
	int rc = parse(r, &p, err, sizeof(err));

	/* well-formed; stage 1 then fails with "the plan has no exec op" */
	CHECK(rc == 0);
	CHECK(p.nops == 0);
	plan_free(&p);
	free(r.buf);
	report(ok, "tag alone: parses as an empty plan");
}

static void test_over_long(void)
{
	size_t big = 1 << 20;
	char *name = malloc(big + 1);
	struct plan p;
	char err[64];
	int ok = 1, rc;
	struct req r;

	/* a 1 MiB unknown op name: the message is truncated, err never overflows */
	memset(name, 'x', big);
	name[big] = '\0';
	r = build(TAG, name, NULL);
	rc = parse(r, &p, err, sizeof(err));
	CHECK(rc == -1);
	CHECK(strncmp(err, "unknown op xxx", 14) == 0);
	CHECK(strlen(err) < sizeof(err));
	plan_free(&p);
	free(r.buf);

	/* a 1 MiB token is only a token */
	r = build(TAG, "env", name, "exec", NULL);
	rc = parse(r, &p, err, sizeof(err));
	CHECK(rc == 0 && p.nops == 2 && strlen(p.ops[0].f[0].s) == big);
	plan_free(&p);
	free(r.buf);

	/* a 1 MiB tag-like first token */
	r = build(name, "exec", NULL);
	rc = parse(r, &p, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "does not start with") != NULL);
	plan_free(&p);
	free(r.buf);
	free(name);
	report(ok, "over-long tokens: bounded messages, no over-read");
}

static void test_no_trailing_nul(void)
{
	struct req r = build(TAG, "mode", "wait", "exec", NULL);

	r.len--; /* "exec" without its NUL */
	expect_error("no trailing NUL after the last op", r, "does not end with a NUL byte");

	r = build(TAG, "mode", "wait", NULL);
	r.len--; /* the argument without its NUL */
	expect_error("no trailing NUL after an argument", r, "op mode: missing argument 1");

	r = build(TAG, NULL);
	r.len--;
	expect_error("tag without its NUL", r, "does not start with");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_every_op();
	test_valid_shapes();
	test_many_ops();
	test_empty_after_tag();

	expect_error("empty request", (struct req){ malloc(1), 0 }, "does not start with " COCKER_PROTOCOL_TAG " (got nothing)");
	expect_error("wrong tag", build("cocker-helper/1", "exec", NULL), "(got cocker-helper/1)");
	expect_error("tag with a suffix", build(TAG "x", "exec", NULL), "does not start with");
	expect_error("op where the tag should be", build("exec", NULL), "(got exec)");
	expect_error("unknown op", build(TAG, "mode", "wait", "frobnicate", "exec", NULL),
		     "unknown op frobnicate");
	expect_error("empty op name", build(TAG, "", NULL), "unknown op");
	expect_error("op names are case-sensitive", build(TAG, "EXEC", NULL), "unknown op EXEC");
	expect_error("missing args: none given", build(TAG, "uid-map", NULL), "op uid-map: missing argument 1");
	expect_error("missing args: last one", build(TAG, "uid-map", "0", "1000", NULL),
		     "op uid-map: missing argument 3");
	expect_error("missing args: hook's list count", build(TAG, "hook", "s", "/h", "0", "0", NULL),
		     "op hook: missing argument 5");
	expect_error("bad list length: non-numeric", build(TAG, "argv", "two", "a", "b", NULL),
		     "op argv: bad list length two");
	expect_error("bad list length: empty", build(TAG, "argv", "", "a", NULL), "op argv: bad list length");
	expect_error("bad list length: negative", build(TAG, "argv", "-1", "a", NULL), "op argv: bad list length -1");
	expect_error("bad list length: trailing garbage", build(TAG, "argv", "1x", "a", NULL),
		     "op argv: bad list length 1x");
	expect_error("bad list length: hex", build(TAG, "argv", "0x1", "a", NULL), "op argv: bad list length 0x1");
	expect_error("bad list length: overflows u64", build(TAG, "argv", "99999999999999999999", "a", NULL),
		     "op argv: bad list length");
	expect_error("bad list length: more than the bytes left", build(TAG, "argv", "1000", "a", "b", NULL),
		     "op argv: bad list length 1000");
	expect_error("bad list length: 2^64-1", build(TAG, "groups", "18446744073709551615", NULL),
		     "op groups: bad list length");
	expect_error("list ends early: fewer tokens than counted", build(TAG, "argv", "5", "a", "b", "c", NULL),
		     "op argv: list ends early");
	expect_error("list ends early: second list of hook",
		     build(TAG, "hook", "s", "/h", "0", "1", "/h", "3", "A=1", "B=2", NULL), "op hook: list ends early");
	{
		struct req r = build(TAG, "argv", "2", "sh", "true", NULL);

		r.len--; /* the last list item without its NUL */
		expect_error("list ends early: last item without NUL", r, "op argv: list ends early");
	}
	test_no_trailing_nul();
	test_over_long();

	printf("1..%d\n", ntest);
	if (nfail)
		printf("# %d of %d failed\n", nfail, ntest);
	return nfail ? 1 : 0;
}
