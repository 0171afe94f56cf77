#include "core/u64map.h"

#include <stdlib.h>
#include <string.h>

void ks_u64map_init(struct ks_u64map *m, size_t max)
{
	memset(m, 0, sizeof *m);
	m->max = max;
}

void ks_u64map_free(struct ks_u64map *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

void ks_u64map_clear(struct ks_u64map *m)
{
	if (m->slots != NULL)
		memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->n = 0;
}

static size_t find(const struct ks_u64map *m, uint64_t key)
{
	size_t i = (size_t)ks_u64map_mix(key) & (m->cap - 1);

	while (m->slots[i].val != NULL && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *ks_u64map_get(const struct ks_u64map *m, uint64_t key)
{
	if (m->n == 0)
		return NULL;
	return m->slots[find(m, key)].val;
}

static int grow(struct ks_u64map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct ks_u64map_slot *old = m->slots, *ns;
	size_t ocap = m->cap;

	ns = calloc(ncap, sizeof *ns);
	if (ns == NULL)
		return -1;
	m->slots = ns;
	m->cap = ncap;
	m->n = 0;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].val != NULL) {
			size_t j = find(m, old[i].key);

			m->slots[j] = old[i];
			m->n++;
		}
	}
	free(old);
	return 0;
}

int ks_u64map_put(struct ks_u64map *m, uint64_t key, void *val)
{
	size_t i;

	if (val == NULL)
		return -1;
	if (m->cap > 0) {
		i = find(m, key);
		if (m->slots[i].val != NULL) {
			m->slots[i].val = val;
			return 0;
		}
	}
	if (m->n >= m->max)
		return -1;
	/* Keep the load under one half: probes stay short. */
	if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
		return -1;
	i = find(m, key);
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->n++;
	return 0;
}

void *ks_u64map_del(struct ks_u64map *m, uint64_t key)
{
	size_t i, j, k;
	void *val;

	if (m->n == 0)
		return NULL;
	i = find(m, key);
	val = m->slots[i].val;
	if (val == NULL)
		return NULL;
	m->slots[i].val = NULL;
	m->n--;
	/* Shift back the entries of the probe run that follows, so that
	 * lookups never stop early at the hole. */
	j = i;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (m->slots[j].val == NULL)
			break;
		k = (size_t)ks_u64map_mix(m->slots[j].key) & (m->cap - 1);
		/* Move j to i when its home k is not in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].val = NULL;
			i = j;
		}
	}
	return val;
}
