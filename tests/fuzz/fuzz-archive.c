/*
 * Fuzz target: the archive reader (libarchive with our caps) on arbitrary
 * bytes, twice: once with small but workable caps, once with tiny caps and
 * a callback that may stop early.
 *
 * Properties checked beyond "no crash": the callback reads every byte of
 * every member (so a bad pointer or size shows under AddressSanitizer);
 * data is NULL exactly when a member is too large or encrypted; no member
 * handed over is larger than max_member_size; the members and bytes
 * reported never exceed the caps; the statuses are the documented ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	const struct kf_archive_limits *lim;
	uint64_t calls;
	uint64_t stop_at;     /* 0: never stop */
	uint64_t bytes;       /* data handed over */
	uint8_t sum;
};

static int touch(void *p, const struct kf_archive_member *m)
{
	struct fuzz_ctx *c = p;

	c->calls++;
	if (m->name == NULL)
		abort();
	/* The name is a C string: reading it to the end must be safe. */
	c->sum ^= (uint8_t)strlen(m->name);
	if ((m->data == NULL) != (m->too_large || m->encrypted))
		abort();
	if (m->data != NULL) {
		if (c->lim->max_member_size &&
		    m->size > c->lim->max_member_size)
			abort();
		for (size_t i = 0; i < m->size; i++)
			c->sum += m->data[i];
		c->bytes += m->size;
	} else if (m->too_large && !m->encrypted &&
		   m->size <= c->lim->max_member_size) {
		abort();
	}
	return c->stop_at != 0 && c->calls >= c->stop_at;
}

static void run(const uint8_t *data, size_t size,
		const struct kf_archive_limits *lim, uint64_t stop_at)
{
	struct fuzz_ctx c = { lim, 0, stop_at, 0, 0 };
	struct kf_archive_result res;
	struct ks_err err;
	enum ks_status st;
	uint64_t bound = UINT64_MAX;

	st = kf_archive_iterate(data, size, "fuzz.tar.gz", lim, touch, &c,
				&res, &err);
	switch (st) {
	case KS_OK:
	case KS_ERR_UNSUPPORTED:
	case KS_ERR_NOMEM:
		break;
	case KS_INTERRUPTED:
		if (stop_at == 0 || c.calls != stop_at)
			abort();
		break;
	default:
		abort();
	}
	if (res.format == NULL || res.members != c.calls)
		abort();
	if (lim->max_members && res.members > lim->max_members)
		abort();
	if (lim->max_total)
		bound = lim->max_total;
	if (lim->max_ratio) {
		uint64_t r = lim->max_ratio * (uint64_t)size;

		if (r < (1u << 20))
			r = 1u << 20;
		if (r < bound)
			bound = r;
	}
	if (res.total > bound || c.bytes > res.total)
		abort();
	if (memchr(res.message, '\0', sizeof res.message) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct kf_archive_limits small = {
		.max_members = 64,
		.max_member_size = 256 * 1024,
		.max_total = 2u << 20,
		.max_ratio = 1000,
	};
	static const struct kf_archive_limits tiny = {
		.max_members = 4,
		.max_member_size = 100,
		.max_total = 1000,
		.max_ratio = 1,
	};

	run(data, size, &small, 0);
	/* The last byte decides whether the second pass stops early. */
	run(data, size, &tiny, size > 0 && (data[size - 1] & 1) ? 2 : 0);
	return 0;
}
