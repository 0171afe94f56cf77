/*
 * Byte strings with a length, as kreport carries text from its input.
 *
 * A string decoded from a record may hold any byte, NUL included (a path
 * written as "\u0000", a name that is not UTF-8), so input text is never
 * handled as a C string: each output format escapes the bytes through its
 * own helper.  A kr_str never owns its bytes; who does is said where one
 * is produced.
 */
#ifndef KR_STR_H
#define KR_STR_H

#include <stddef.h>
#include <string.h>

#include "core/buf.h"

struct kr_str {
	const char *p;   /* NULL when absent */
	size_t n;
};

#define KR_STR_NONE ((struct kr_str){ NULL, 0 })

static inline struct kr_str kr_str_c(const char *s)
{
	return (struct kr_str){ s, s != NULL ? strlen(s) : 0 };
}

static inline int kr_str_set(struct kr_str s)
{
	return s.p != NULL;
}

/* Present and not empty. */
static inline int kr_str_full(struct kr_str s)
{
	return s.p != NULL && s.n > 0;
}

static inline int kr_str_eq(struct kr_str s, const char *c)
{
	size_t n = strlen(c);

	return s.p != NULL && s.n == n && memcmp(s.p, c, n) == 0;
}

/* Append a decimal integer (the hot paths avoid printf). */
static inline enum ks_status kr_buf_int(struct ks_buf *b, long long v)
{
	char tmp[24];
	size_t k = sizeof tmp;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v :
				       (unsigned long long)v;

	do {
		tmp[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		tmp[--k] = '-';
	return ks_buf_append(b, tmp + k, sizeof tmp - k);
}

#endif
