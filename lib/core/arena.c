#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 4096u
#define ALIGN 16u

struct ks_arena_chunk {
	struct ks_arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

void ks_arena_init(struct ks_arena *a, size_t max)
{
	a->head = NULL;
	a->used_total = 0;
	a->max = max;
}

void ks_arena_free(struct ks_arena *a)
{
	struct ks_arena_chunk *c = a->head, *n;

	while (c != NULL) {
		n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->used_total = 0;
}

void ks_arena_reset(struct ks_arena *a)
{
	struct ks_arena_chunk *c, *n;

	if (a->head == NULL)
		return;
	/* Keep the oldest chunk (the last in the list): it is the one every
	 * use needs, so a reused arena does not allocate at all. */
	c = a->head;
	while (c->next != NULL) {
		n = c->next;
		free(c);
		c = n;
	}
	c->used = 0;
	a->head = c;
	a->used_total = 0;
}

void *ks_arena_alloc(struct ks_arena *a, size_t n)
{
	struct ks_arena_chunk *c = a->head;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	void *p;

	if (need < n || need > a->max - a->used_total || a->used_total > a->max)
		return NULL;
	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > CHUNK_MIN ? need : CHUNK_MIN;

		if (c != NULL && c->size * 2 > sz && c->size < (1u << 20))
			sz = c->size * 2;
		c = malloc(sizeof *c + sz);
		if (c == NULL)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	a->used_total += need;
	return p;
}

char *ks_arena_memdup(struct ks_arena *a, const void *p, size_t n)
{
	char *s;

	if (p == NULL || n == SIZE_MAX)
		return NULL;
	s = ks_arena_alloc(a, n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *ks_arena_strdup(struct ks_arena *a, const char *s)
{
	return s == NULL ? NULL : ks_arena_memdup(a, s, strlen(s));
}

char *ks_arena_printf(struct ks_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = ks_arena_alloc(a, (size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}
