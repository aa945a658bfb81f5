/*
 * The request parser: NUL-separated tokens, the protocol tag first, then ops
 * whose arity comes from the table in protocol.h. Every read is bounded by
 * the buffer; nothing here interprets an op's meaning.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

#define X(e, n, p, s) [e] = { n, p, s },
const struct op_info op_table[OP__COUNT] = { COCKER_OPS(X) };
#undef X

struct cursor {
	char *p, *end;
};

static char *next_token(struct cursor *c)
{
	char *t = c->p, *nul;

	if (c->p >= c->end)
		return NULL;
	nul = memchr(c->p, '\0', (size_t)(c->end - c->p));
	if (!nul)
		return NULL;
	c->p = nul + 1;
	return t;
}

static int lookup_op(const char *name)
{
	for (int i = 0; i < OP__COUNT; i++)
		if (strcmp(op_table[i].name, name) == 0)
			return i;
	return -1;
}

int plan_parse(char *buf, size_t len, struct plan *plan, char *err, size_t errlen)
{
	struct cursor c = { buf, buf + len };
	size_t cap = 64;
	char *tok = next_token(&c);

	if (!tok || strcmp(tok, COCKER_PROTOCOL_TAG) != 0) {
		snprintf(err, errlen, "request does not start with %s (got %.40s)",
			 COCKER_PROTOCOL_TAG, tok ? tok : "nothing");
		return -1;
	}
	plan->nops = 0;
	plan->ops = calloc(cap, sizeof(struct op));
	if (!plan->ops)
		goto nomem;
	while ((tok = next_token(&c))) {
		int code = lookup_op(tok);
		struct op *op;
		const char *shape;

		if (code < 0) {
			snprintf(err, errlen, "unknown op %.60s", tok);
			return -1;
		}
		if (plan->nops == cap) {
			struct op *grown = realloc(plan->ops, 2 * cap * sizeof(struct op));

			if (!grown)
				goto nomem;
			memset(grown + cap, 0, cap * sizeof(struct op));
			plan->ops = grown;
			cap *= 2;
		}
		op = &plan->ops[plan->nops++];
		op->code = (enum cocker_op)code;
		shape = op_table[code].shape;
		for (int i = 0; shape[i]; i++) {
			char *arg = next_token(&c);
			unsigned long long n;

			if (!arg) {
				snprintf(err, errlen, "op %s: missing argument %d", op_table[code].name, i + 1);
				return -1;
			}
			if (shape[i] == 's') {
				op->f[i].s = arg;
				continue;
			}
			/* a counted list can never hold more tokens than bytes remain */
			if (parse_ull(arg, 10, &n) < 0 || n > (unsigned long long)(c.end - c.p)) {
				snprintf(err, errlen, "op %s: bad list length %.20s", op_table[code].name, arg);
				return -1;
			}
			op->f[i].n = n;
			op->f[i].v = calloc(n + 1, sizeof(char *));
			if (!op->f[i].v)
				goto nomem;
			for (size_t k = 0; k < n; k++) {
				op->f[i].v[k] = next_token(&c);
				if (!op->f[i].v[k]) {
					snprintf(err, errlen, "op %s: list ends early", op_table[code].name);
					return -1;
				}
			}
		}
	}
	if (c.p != c.end) {
		snprintf(err, errlen, "request does not end with a NUL byte");
		return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void plan_free(struct plan *plan)
{
	for (size_t i = 0; i < plan->nops; i++)
		for (int k = 0; k < OP_MAX_FIELDS; k++)
			free(plan->ops[i].f[k].v);
	free(plan->ops);
	plan->ops = NULL;
	plan->nops = 0;
}
