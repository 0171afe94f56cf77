#include <stdlib.h>

#include "core/u64map.h"
#include "unit.h"

TEST(u64map_against_a_reference)
{
	struct ks_u64map m;
	static int present[4096];
	static int vals[4096];
	uint32_t x = 7;

	ks_u64map_init(&m, 100000);
	memset(present, 0, sizeof present);
	/* Random inserts and deletes over a small key space, so probe runs
	 * collide and deletions shift entries back. */
	for (int step = 0; step < 200000; step++) {
		uint64_t k;

		x = x * 1664525u + 1013904223u;
		k = (x >> 8) % 4096;
		if ((x & 3) == 0) {
			void *v = ks_u64map_del(&m, k);

			if ((v != NULL) != present[k])
				ut_fail(__FILE__, __LINE__, "del %llu", (unsigned long long)k);
			present[k] = 0;
		} else {
			REQUIRE(ks_u64map_put(&m, k, &vals[k]) == 0);
			present[k] = 1;
		}
	}
	size_t n = 0;

	for (int k = 0; k < 4096; k++) {
		void *v = ks_u64map_get(&m, (uint64_t)k);

		n += (size_t)present[k];
		if (present[k])
			CHECK(v == &vals[k]);
		else
			CHECK(v == NULL);
	}
	CHECK_INT(m.n, n);
	ks_u64map_free(&m);
}

TEST(u64map_cap)
{
	struct ks_u64map m;
	int v;

	ks_u64map_init(&m, 3);
	CHECK_INT(ks_u64map_put(&m, 1, &v), 0);
	CHECK_INT(ks_u64map_put(&m, 2, &v), 0);
	CHECK_INT(ks_u64map_put(&m, 3, &v), 0);
	CHECK_INT(ks_u64map_put(&m, 4, &v), -1);
	CHECK_INT(ks_u64map_put(&m, 2, &v), 0);  /* replacing is fine */
	CHECK(ks_u64map_get(&m, 4) == NULL);
	CHECK(ks_u64map_del(&m, 2) == &v);
	CHECK_INT(ks_u64map_put(&m, 4, &v), 0);
	ks_u64map_clear(&m);
	CHECK_INT(m.n, 0);
	CHECK(ks_u64map_get(&m, 1) == NULL);
	ks_u64map_free(&m);
}
