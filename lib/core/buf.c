#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ks_buf_init(struct ks_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max > KS_BUF_UNLIMITED ? KS_BUF_UNLIMITED : max;
}

void ks_buf_free(struct ks_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

enum ks_status ks_buf_reserve(struct ks_buf *b, size_t extra)
{
	size_t want, ncap;
	uint8_t *p;

	if (extra > b->max - b->len)
		return KS_ERR_LIMIT;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return KS_OK;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < want)
		ncap = ncap > (size_t)-1 / 2 ? want : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return KS_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return KS_OK;
}

enum ks_status ks_buf_append(struct ks_buf *b, const void *p, size_t n)
{
	enum ks_status st = ks_buf_reserve(b, n);

	if (st != KS_OK)
		return st;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return KS_OK;
}

enum ks_status ks_buf_putc(struct ks_buf *b, int c)
{
	uint8_t ch = (uint8_t)c;

	return ks_buf_append(b, &ch, 1);
}

enum ks_status ks_buf_puts(struct ks_buf *b, const char *s)
{
	return ks_buf_append(b, s, strlen(s));
}

enum ks_status ks_buf_printf(struct ks_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum ks_status st;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KS_ERR_INVALID;
	st = ks_buf_reserve(b, (size_t)n);
	if (st != KS_OK)
		return st;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return KS_OK;
}

void ks_buf_consume(struct ks_buf *b, size_t n)
{
	if (n >= b->len) {
		ks_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

uint8_t *ks_buf_steal(struct ks_buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
