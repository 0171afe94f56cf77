/*
 * A growable byte buffer with a hard maximum size.
 *
 * Every buffer that grows from input has a cap: appending past `max` fails
 * with KS_ERR_LIMIT and leaves the buffer as it was, so the caller can
 * report the cap and go on.  The buffer owns `data`; ks_buf_free releases
 * it and may be called on a zeroed or half-used buffer.  `data` is always
 * NUL-terminated after a successful append (the NUL is not counted in `len`
 * and does not count against `max`), so text can be handed to C APIs.
 */
#ifndef KS_CORE_BUF_H
#define KS_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

struct ks_buf {
	uint8_t *data;
	size_t len;
	size_t cap;  /* allocated bytes, including room for the NUL */
	size_t max;  /* largest allowed len */
};

#define KS_BUF_UNLIMITED ((size_t)-1 / 2)

void ks_buf_init(struct ks_buf *b, size_t max);
void ks_buf_free(struct ks_buf *b);

/* Forget the content but keep the memory. */
static inline void ks_buf_reset(struct ks_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Make room for `extra` more bytes. */
enum ks_status ks_buf_reserve(struct ks_buf *b, size_t extra);

enum ks_status ks_buf_append(struct ks_buf *b, const void *p, size_t n);
enum ks_status ks_buf_putc(struct ks_buf *b, int c);
enum ks_status ks_buf_puts(struct ks_buf *b, const char *s);
enum ks_status ks_buf_printf(struct ks_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Drop the first `n` bytes (n <= len), moving the rest to the front. */
void ks_buf_consume(struct ks_buf *b, size_t n);

/* Hand the data to the caller (who frees it) and reset the buffer. */
uint8_t *ks_buf_steal(struct ks_buf *b, size_t *len);

#endif
