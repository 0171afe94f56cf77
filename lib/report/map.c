#include "report/map.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/buf.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                     \
	do {                                                         \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;               \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;               \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012), reading the message as little-endian words. */
uint64_t kr_siphash(uint64_t k0, uint64_t k1, const void *src, size_t n)
{
	const uint8_t *p = src;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)n << 56, m;
	size_t i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = 0;
		for (int k = 7; k >= 0; k--)
			m = m << 8 | p[i + (size_t)k];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t k = 0; k < left; k++)
		b |= (uint64_t)p[i + k] << (8 * k);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void kr_map_init(struct kr_map *m, size_t vsize, size_t max)
{
	uint64_t k[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };

	memset(m, 0, sizeof *m);
	m->vsize = vsize ? vsize : 1;
	m->max = max;
	/* Without randomness the table still works; only the protection
	 * against crafted collisions is lost. */
	if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
		k[0] ^= (uint64_t)(uintptr_t)m;
		k[1] ^= (uint64_t)(uintptr_t)&k;
	}
	m->k0 = k[0];
	m->k1 = k[1];
	ks_arena_init(&m->arena, KS_BUF_UNLIMITED);
}

void kr_map_free(struct kr_map *m)
{
	free(m->slots);
	free(m->keys);
	free(m->vals);
	ks_arena_free(&m->arena);
	memset(m, 0, sizeof *m);
}

static int grow_slots(struct kr_map *m)
{
	size_t ns = m->nslots ? m->nslots * 2 : 64;
	struct kr_map_slot *s = calloc(ns, sizeof *s);

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < m->nslots; i++) {
		size_t j;

		if (m->slots[i].idx == 0)
			continue;
		for (j = m->slots[i].hash & (ns - 1); s[j].idx != 0;
		     j = (j + 1) & (ns - 1))
			;
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->nslots = ns;
	return 0;
}

static int grow_entries(struct kr_map *m)
{
	size_t nc = m->cap ? m->cap * 2 : 16;
	struct kr_str *k;
	unsigned char *v;

	k = realloc(m->keys, nc * sizeof *k);
	if (k == NULL)
		return -1;
	m->keys = k;
	v = realloc(m->vals, nc * m->vsize);
	if (v == NULL)
		return -1;
	m->vals = v;
	m->cap = nc;
	return 0;
}

void *kr_map_get(struct kr_map *m, const void *key, size_t klen, int create)
{
	uint64_t h;
	size_t j;
	char *kc;

	if (key == NULL)
		key = "";
	h = kr_siphash(m->k0, m->k1, key, klen);
	if (m->nslots > 0) {
		for (j = h & (m->nslots - 1); m->slots[j].idx != 0;
		     j = (j + 1) & (m->nslots - 1)) {
			size_t e = m->slots[j].idx - 1;

			if (m->slots[j].hash == h && m->keys[e].n == klen &&
			    memcmp(m->keys[e].p, key, klen) == 0)
				return kr_map_val(m, e);
		}
	}
	if (!create)
		return NULL;
	if (m->max > 0 && m->n >= m->max) {
		m->refused++;
		return NULL;
	}
	/* Keep the load under one half. */
	if ((m->n + 1) * 2 > m->nslots && grow_slots(m) != 0)
		return NULL;
	if (m->n == m->cap && grow_entries(m) != 0)
		return NULL;
	kc = ks_arena_memdup(&m->arena, key, klen);
	if (kc == NULL)
		return NULL;
	for (j = h & (m->nslots - 1); m->slots[j].idx != 0;
	     j = (j + 1) & (m->nslots - 1))
		;
	m->slots[j].hash = h;
	m->slots[j].idx = (uint32_t)(m->n + 1);
	m->keys[m->n] = (struct kr_str){ kc, klen };
	memset(kr_map_val(m, m->n), 0, m->vsize);
	return kr_map_val(m, m->n++);
}

/* qsort has no context argument: the map being sorted is passed through a
 * thread-local. */
static __thread const struct kr_map *sort_map;
static __thread int (*sort_cmp)(const void *, const void *);

static int cmp_idx(const void *a, const void *b)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct kr_str *ka = &sort_map->keys[ia], *kb = &sort_map->keys[ib];
	int c = sort_cmp(kr_map_val(sort_map, ia), kr_map_val(sort_map, ib));
	size_t n;

	if (c != 0)
		return c;
	n = ka->n < kb->n ? ka->n : kb->n;
	c = memcmp(ka->p, kb->p, n);
	if (c != 0)
		return c;
	return ka->n < kb->n ? -1 : ka->n > kb->n;
}

size_t *kr_map_sorted(const struct kr_map *m,
		      int (*cmp)(const void *va, const void *vb))
{
	size_t *idx = malloc((m->n ? m->n : 1) * sizeof *idx);

	if (idx == NULL)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		idx[i] = i;
	sort_map = m;
	sort_cmp = cmp;
	qsort(idx, m->n, sizeof *idx, cmp_idx);
	return idx;
}
