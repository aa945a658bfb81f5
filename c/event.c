/*
 * The helper's only output format: one JSON object per line. C writes JSON
 * and never reads it; every string goes through jl_escape.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

static void jl_put(struct jline *j, const char *s, size_t n)
{
	if (j->len + n >= sizeof(j->buf) - 2) {
		j->overflow = 1;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void jl_escape(struct jline *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	jl_put(j, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c == '"' || c == '\\') {
			char two[2] = { '\\', (char)c };
			jl_put(j, two, 2);
		} else if (c < 0x20) {
			jl_put(j, esc, 6);
		} else {
			jl_put(j, s, 1);
		}
	}
	jl_put(j, "\"", 1);
}

void jl_begin(struct jline *j, const char *event)
{
	j->len = 0;
	j->overflow = 0;
	jl_put(j, "{\"event\":", 9);
	jl_escape(j, event);
}

void jl_str(struct jline *j, const char *key, const char *value)
{
	jl_put(j, ",", 1);
	jl_escape(j, key);
	jl_put(j, ":", 1);
	jl_escape(j, value ? value : "");
}

void jl_int(struct jline *j, const char *key, long long value)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", value);

	jl_put(j, ",", 1);
	jl_escape(j, key);
	jl_put(j, ":", 1);
	jl_put(j, num, (size_t)n);
}

void jl_end(struct jline *j)
{
	/* jl_put keeps two bytes free for this */
	j->buf[j->len++] = '}';
	j->buf[j->len++] = '\n';
}

int jl_write(int fd, char tag, struct jline *j)
{
	if (fd < 0)
		return -1;
	if (tag && write_all(fd, &tag, 1) < 0)
		return -1;
	return write_all(fd, j->buf, j->len);
}

void report_error(int fd, char tag, const char *stage, const char *syscall, int err,
		  const char *path, const char *fmt, ...)
{
	struct jline j;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jl_begin(&j, "error");
	jl_str(&j, "stage", stage);
	jl_str(&j, "syscall", syscall);
	jl_int(&j, "errno", err);
	if (path)
		jl_str(&j, "path", path);
	jl_str(&j, "message", msg);
	jl_end(&j);
	jl_write(fd, tag, &j);
}

void event_exit(int fd, int status)
{
	struct jline j;

	jl_begin(&j, "exit");
	if (WIFSIGNALED(status)) {
		jl_int(&j, "code", 128 + WTERMSIG(status));
		jl_str(&j, "signal", sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "");
	} else {
		jl_int(&j, "code", WEXITSTATUS(status));
	}
	jl_end(&j);
	jl_write(fd, 0, &j);
}
