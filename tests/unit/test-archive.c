/*
 * Tests of the archive reader.  The archives are built in memory at test
 * time, with libarchive's writer or by hand (a zip with names that the
 * writer would convert, an ar), or embedded below (encrypted 7-Zip, which
 * libarchive cannot write), so the tests need no tool and no file.
 */
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file/archive.h"
#include "unit.h"

/* ---- building archives ------------------------------------------------ */

struct wm {
	const char *name;
	const void *data;     /* NULL: `size` zero bytes */
	size_t size;
	unsigned type;        /* 0 means AE_IFREG */
	const char *link;     /* symlink target */
	const char *hardlink; /* hard link target */
};

struct built {
	uint8_t *p;
	size_t len;
};

#define BUILD_MAX ((size_t)8 << 20)

/*
 * Writes the members in the given format and filter (0 for none) with
 * optional writer options and passphrase.  Returns 0 on failure.
 */
static int build_ex(struct built *out, int format, int filter,
		    const char *options, const char *passphrase,
		    const struct wm *mm, size_t n)
{
	struct archive *a = archive_write_new();
	static const uint8_t zeros[65536];
	size_t used = 0;
	int ok = 1;

	out->p = malloc(BUILD_MAX);
	out->len = 0;
	if (a == NULL || out->p == NULL)
		return 0;
	if (archive_write_set_format(a, format) != ARCHIVE_OK)
		ok = 0;
	if (ok && filter != 0 &&
	    archive_write_add_filter(a, filter) != ARCHIVE_OK)
		ok = 0;
	if (ok && options != NULL &&
	    archive_write_set_options(a, options) != ARCHIVE_OK)
		ok = 0;
	if (ok && passphrase != NULL &&
	    archive_write_set_passphrase(a, passphrase) != ARCHIVE_OK)
		ok = 0;
	if (ok)
		archive_write_set_bytes_in_last_block(a, 1);
	if (ok && archive_write_open_memory(a, out->p, BUILD_MAX, &used) !=
	    ARCHIVE_OK)
		ok = 0;
	for (size_t i = 0; ok && i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		unsigned type = mm[i].type ? mm[i].type : AE_IFREG;

		archive_entry_set_pathname(e, mm[i].name);
		archive_entry_set_filetype(e, type);
		archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (mm[i].link != NULL)
			archive_entry_set_symlink(e, mm[i].link);
		if (mm[i].hardlink != NULL)
			archive_entry_set_hardlink(e, mm[i].hardlink);
		archive_entry_set_size(e, type == AE_IFREG &&
				       mm[i].hardlink == NULL
				       ? (la_int64_t)mm[i].size : 0);
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			fprintf(stderr, "write header: %s\n",
				archive_error_string(a));
			ok = 0;
		}
		for (size_t off = 0; ok && type == AE_IFREG &&
		     mm[i].hardlink == NULL && off < mm[i].size;) {
			size_t k = mm[i].size - off;
			const void *src;

			if (k > sizeof zeros)
				k = sizeof zeros;
			src = mm[i].data != NULL
				? (const uint8_t *)mm[i].data + off : zeros;
			if (archive_write_data(a, src, k) != (la_ssize_t)k)
				ok = 0;
			off += k;
		}
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		fprintf(stderr, "write close: %s\n", archive_error_string(a));
		ok = 0;
	}
	archive_write_free(a);
	out->len = used;
	if (!ok) {
		free(out->p);
		out->p = NULL;
	}
	return ok;
}

static int build(struct built *out, int format, int filter,
		 const struct wm *mm, size_t n)
{
	return build_ex(out, format, filter, NULL, NULL, mm, n);
}

/* Little-endian writers for the hand-made archives below. */
static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, v & 0xffff);
	return put16(p, v >> 16);
}

static uint32_t crc32_of(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/*
 * A zip of stored members whose names are written as given, with the
 * general purpose flags given (0x800: the name is UTF-8), since the
 * writer of libarchive would convert names through the locale.
 */
static size_t mini_zip(uint8_t *out, unsigned flags, const char *const *names,
		       const char *const *datas, size_t n)
{
	uint8_t *p = out, *cd;
	uint32_t offs[8];

	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]), dl = strlen(datas[i]);
		uint32_t crc = crc32_of(datas[i], dl);

		offs[i] = (uint32_t)(p - out);
		p = put32(p, 0x04034b50);
		p = put16(p, 20);
		p = put16(p, flags);
		p = put16(p, 0);           /* stored */
		p = put16(p, 0);
		p = put16(p, 0x21);
		p = put32(p, crc);
		p = put32(p, (uint32_t)dl);
		p = put32(p, (uint32_t)dl);
		p = put16(p, (unsigned)nl);
		p = put16(p, 0);
		memcpy(p, names[i], nl);
		p += nl;
		memcpy(p, datas[i], dl);
		p += dl;
	}
	cd = p;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]), dl = strlen(datas[i]);

		p = put32(p, 0x02014b50);
		p = put16(p, 20);
		p = put16(p, 20);
		p = put16(p, flags);
		p = put16(p, 0);
		p = put16(p, 0);
		p = put16(p, 0x21);
		p = put32(p, crc32_of(datas[i], dl));
		p = put32(p, (uint32_t)dl);
		p = put32(p, (uint32_t)dl);
		p = put16(p, (unsigned)nl);
		p = put16(p, 0);
		p = put16(p, 0);
		p = put16(p, 0);
		p = put16(p, 0);
		p = put32(p, 0);
		p = put32(p, offs[i]);
		memcpy(p, names[i], nl);
		p += nl;
	}
	{
		uint32_t cdlen = (uint32_t)(p - cd);
		uint32_t cdoff = (uint32_t)(cd - out);

		p = put32(p, 0x06054b50);
		p = put16(p, 0);
		p = put16(p, 0);
		p = put16(p, (unsigned)n);
		p = put16(p, (unsigned)n);
		p = put32(p, cdlen);
		p = put32(p, cdoff);
		p = put16(p, 0);
	}
	return (size_t)(p - out);
}

/* ---- collecting what the iterator reports ---------------------------- */

#define MAXSEEN 16

struct seen_member {
	char name[128];
	uint8_t *data;        /* copy, or NULL */
	size_t size;
	int too_large, encrypted, had_data;
	uint64_t index;
};

struct seen {
	size_t n;
	size_t calls;
	size_t stop_after;    /* return 1 from this call on (0: never) */
	struct seen_member m[MAXSEEN];
};

static int collect(void *ctx, const struct kf_archive_member *m)
{
	struct seen *s = ctx;

	s->calls++;
	if (s->n < MAXSEEN) {
		struct seen_member *d = &s->m[s->n++];

		snprintf(d->name, sizeof d->name, "%s", m->name);
		d->size = m->size;
		d->too_large = m->too_large;
		d->encrypted = m->encrypted;
		d->index = m->index;
		d->had_data = m->data != NULL;
		if (m->data != NULL) {
			d->data = malloc(m->size ? m->size : 1);
			if (d->data != NULL)
				memcpy(d->data, m->data, m->size);
		}
	}
	return s->stop_after != 0 && s->calls >= s->stop_after;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n && i < MAXSEEN; i++)
		free(s->m[i].data);
	memset(s, 0, sizeof *s);
}

/* Deterministic bytes that do not compress. */
static void fill_noise(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 24);
	}
}

#define ZIP ARCHIVE_FORMAT_ZIP
#define PAX ARCHIVE_FORMAT_TAR_PAX_RESTRICTED
#define USTAR ARCHIVE_FORMAT_TAR_USTAR
#define RAW ARCHIVE_FORMAT_RAW
#define GZ ARCHIVE_FILTER_GZIP

/* ---- tests ------------------------------------------------------------ */

TEST(archive_zip_three_members)
{
	static const char c2[] = "second\0member\xff";
	const struct wm mm[] = {
		{ "a.txt", "alpha\n", 6, 0, NULL },
		{ "dir/b.bin", c2, sizeof c2 - 1, 0, NULL },
		{ "empty", "", 0, 0, NULL },
	};
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;
	struct ks_err err;

	REQUIRE(build(&b, ZIP, 0, mm, 3));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.zip", NULL, collect, &s,
				     &res, &err), KS_OK);
	CHECK_STR(res.format, "zip");
	CHECK_INT(res.members, 3);
	CHECK_INT(res.total, 6 + sizeof c2 - 1);
	CHECK_INT(res.corrupt, 0);
	CHECK_INT(res.capped_members | res.capped_total | res.capped_ratio, 0);
	REQUIRE(s.n == 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK_STR(s.m[i].name, mm[i].name);
		CHECK(s.m[i].had_data);
		CHECK_MEM(s.m[i].data, s.m[i].size, mm[i].data, mm[i].size);
		CHECK_INT(s.m[i].index, i);
		CHECK_INT(s.m[i].too_large, 0);
		CHECK_INT(s.m[i].encrypted, 0);
	}
	seen_free(&s);
	free(b.p);
}

TEST(archive_tar_gz)
{
	const struct wm mm[] = {
		{ "etc/", NULL, 0, AE_IFDIR, NULL },
		{ "etc/passwd", "root:x:0:0\n", 11, 0, NULL },
		{ "etc/link", NULL, 0, AE_IFLNK, "passwd", NULL },
		{ "bin/run.sh", "#!/bin/sh\necho hi\n", 18, 0, NULL, NULL },
		{ "etc/hard", NULL, 0, 0, NULL, "etc/passwd" },
	};
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;

	REQUIRE(build(&b, PAX, GZ, mm, 5));
	CHECK(b.len > 2 && b.p[0] == 0x1f && b.p[1] == 0x8b);
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.tar.gz", NULL, collect, &s,
				     &res, NULL), KS_OK);
	CHECK_STR(res.format, "tar");
	/* The directory and the links are not members to scan. */
	CHECK_INT(res.members, 2);
	REQUIRE(s.n == 2);
	CHECK_STR(s.m[0].name, "etc/passwd");
	CHECK_MEM(s.m[0].data, s.m[0].size, "root:x:0:0\n", 11);
	CHECK_INT(s.m[0].index, 1);
	CHECK_STR(s.m[1].name, "bin/run.sh");
	CHECK_MEM(s.m[1].data, s.m[1].size, "#!/bin/sh\necho hi\n", 18);
	CHECK_INT(s.m[1].index, 3);
	CHECK_INT(res.total, 29);
	seen_free(&s);
	free(b.p);
}

TEST(archive_plain_gz_is_one_member)
{
	static const struct {
		const char *outer, *want;
	} names[] = {
		{ "notes.txt.gz", "notes.txt" },
		{ "/var/tmp/dir.x/NOTES.TXT.GZ", "NOTES.TXT" },
		{ "backup.tgz", "backup.tar" },
		{ "noext", "(data)" },
		{ ".gz", "(data)" },
		{ NULL, "(data)" },
	};
	const struct wm mm[] = {
		{ "ignored", "plain text inside\n", 18, 0, NULL },
	};
	struct built b;
	struct kf_archive_result res;

	REQUIRE(build(&b, RAW, GZ, mm, 1));
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct seen s = { 0 };

		CHECK_INT(kf_archive_iterate(b.p, b.len, names[i].outer, NULL,
					     collect, &s, &res, NULL), KS_OK);
		CHECK_STR(res.format, "raw");
		CHECK_INT(res.members, 1);
		REQUIRE(s.n == 1);
		CHECK_STR(s.m[0].name, names[i].want);
		CHECK_MEM(s.m[0].data, s.m[0].size, "plain text inside\n", 18);
		CHECK_INT(s.m[0].index, 0);
		seen_free(&s);
	}
	free(b.p);
}

TEST(archive_nested_zip_is_not_opened)
{
	const struct wm inner_m[] = { { "deep.txt", "deep data", 9, 0, NULL } };
	struct built inner, outer;
	struct seen s = { 0 }, s2 = { 0 };
	struct kf_archive_result res;

	REQUIRE(build(&inner, ZIP, 0, inner_m, 1));
	{
		const struct wm outer_m[] = {
			{ "readme", "r", 1, 0, NULL },
			{ "inner.zip", inner.p, inner.len, 0, NULL },
		};

		REQUIRE(build(&outer, ZIP, 0, outer_m, 2));
	}
	CHECK_INT(kf_archive_iterate(outer.p, outer.len, "outer.zip", NULL,
				     collect, &s, &res, NULL), KS_OK);
	CHECK_INT(res.members, 2);
	REQUIRE(s.n == 2);
	CHECK_STR(s.m[1].name, "inner.zip");
	CHECK_MEM(s.m[1].data, s.m[1].size, inner.p, inner.len);
	/* The caller opens the inner archive itself, one level deeper. */
	CHECK_INT(kf_archive_iterate(s.m[1].data, s.m[1].size, "inner.zip",
				     NULL, collect, &s2, &res, NULL), KS_OK);
	REQUIRE(s2.n == 1);
	CHECK_STR(s2.m[0].name, "deep.txt");
	CHECK_MEM(s2.m[0].data, s2.m[0].size, "deep data", 9);
	seen_free(&s);
	seen_free(&s2);
	free(inner.p);
	free(outer.p);
}

TEST(archive_cap_members)
{
	const struct wm mm[] = {
		{ "1", "a", 1, 0, NULL }, { "2", "b", 1, 0, NULL },
		{ "3", "c", 1, 0, NULL }, { "4", "d", 1, 0, NULL },
		{ "5", "e", 1, 0, NULL },
	};
	struct kf_archive_limits lim = { .max_members = 2 };
	struct built b, b2;
	struct seen s = { 0 };
	struct kf_archive_result res;

	REQUIRE(build(&b, ZIP, 0, mm, 5));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "five.zip", &lim, collect, &s,
				     &res, NULL), KS_OK);
	CHECK_INT(s.calls, 2);
	CHECK_INT(res.members, 2);
	CHECK_INT(res.capped_members, 1);
	REQUIRE(s.n == 2);
	CHECK_STR(s.m[0].name, "1");
	CHECK_STR(s.m[1].name, "2");
	seen_free(&s);

	/* Exactly as many members as the cap allows is not a capped run,
	 * even with a directory after the last member. */
	{
		const struct wm two[] = {
			{ "1", "a", 1, 0, NULL }, { "2", "b", 1, 0, NULL },
			{ "d/", NULL, 0, AE_IFDIR, NULL },
		};

		REQUIRE(build(&b2, USTAR, 0, two, 3));
	}
	CHECK_INT(kf_archive_iterate(b2.p, b2.len, "two.tar", &lim, collect,
				     &s, &res, NULL), KS_OK);
	CHECK_INT(s.calls, 2);
	CHECK_INT(res.capped_members, 0);
	seen_free(&s);
	free(b.p);
	free(b2.p);
}

TEST(archive_cap_member_size_declared)
{
	uint8_t big[100], exact[50];
	const struct wm mm[] = {
		{ "small1", "0123456789", 10, 0, NULL },
		{ "big", big, sizeof big, 0, NULL },
		{ "exact", exact, sizeof exact, 0, NULL },
		{ "small2", "abc", 3, 0, NULL },
	};
	struct kf_archive_limits lim = { .max_member_size = 50 };
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;

	fill_noise(big, sizeof big, 1);
	memset(exact, 'x', sizeof exact);
	REQUIRE(build(&b, ZIP, 0, mm, 4));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.zip", &lim, collect, &s,
				     &res, NULL), KS_OK);
	CHECK_INT(res.members, 4);
	REQUIRE(s.n == 4);
	CHECK_STR(s.m[1].name, "big");
	CHECK_INT(s.m[1].too_large, 1);
	CHECK_INT(s.m[1].had_data, 0);
	CHECK_INT(s.m[1].size, 100);     /* the declared size */
	/* A member of exactly the cap is extracted. */
	CHECK_STR(s.m[2].name, "exact");
	CHECK_INT(s.m[2].too_large, 0);
	CHECK_MEM(s.m[2].data, s.m[2].size, exact, sizeof exact);
	CHECK_MEM(s.m[3].data, s.m[3].size, "abc", 3);
	CHECK_INT(res.total, 10 + 50 + 3);
	seen_free(&s);
	free(b.p);
}

TEST(archive_cap_member_size_undeclared)
{
	uint8_t data[100];
	const struct wm mm[] = { { "x", data, sizeof data, 0, NULL } };
	struct kf_archive_limits lim = { .max_member_size = 50 };
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;

	/* A .gz does not declare its size: the cap is found while reading. */
	fill_noise(data, sizeof data, 2);
	REQUIRE(build(&b, RAW, GZ, mm, 1));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "x.gz", &lim, collect, &s,
				     &res, NULL), KS_OK);
	REQUIRE(s.n == 1);
	CHECK_INT(s.m[0].too_large, 1);
	CHECK_INT(s.m[0].had_data, 0);
	CHECK_INT(s.m[0].size, 51);
	CHECK(res.total <= 50);
	seen_free(&s);

	lim.max_member_size = 100;
	CHECK_INT(kf_archive_iterate(b.p, b.len, "x.gz", &lim, collect, &s,
				     &res, NULL), KS_OK);
	REQUIRE(s.n == 1);
	CHECK_INT(s.m[0].too_large, 0);
	CHECK_MEM(s.m[0].data, s.m[0].size, data, sizeof data);
	seen_free(&s);
	free(b.p);
}

/* A zip bomb: 50 MB of zeros deflate to about 50 KB. */
TEST(archive_cap_ratio_bomb)
{
	const size_t bomb = (size_t)50 << 20;
	const struct wm mm[] = {
		{ "first", "ok", 2, 0, NULL },
		{ "zeros", NULL, bomb, 0, NULL },
	};
	struct kf_archive_limits lim = { .max_ratio = 100 };
	static const int formats[][2] = {
		{ ZIP, 0 }, { PAX, GZ }, { RAW, GZ },
	};

	for (size_t f = 0; f < 3; f++) {
		struct built b;
		struct seen s = { 0 };
		struct kf_archive_result res;
		int raw = formats[f][0] == RAW;
		uint64_t bound;

		REQUIRE(build(&b, formats[f][0], formats[f][1],
			      raw ? mm + 1 : mm, raw ? 1 : 2));
		CHECK(b.len < bomb / 500);
		bound = 100 * (uint64_t)b.len;
		if (bound < (1u << 20))
			bound = 1u << 20;
		CHECK_INT(kf_archive_iterate(b.p, b.len, "bomb", &lim, collect,
					     &s, &res, NULL), KS_OK);
		CHECK_INT(res.capped_ratio, 1);
		CHECK_INT(res.capped_total, 0);
		/* Extraction stopped at the bound, far from 50 MB. */
		CHECK(res.total <= bound);
		CHECK(res.total >= bound - 2);
		CHECK(res.total < (uint64_t)bomb / 5);
		/* The cut member is not handed over half-read. */
		CHECK_INT(s.calls, raw ? 0 : 1);
		CHECK_INT(res.members, raw ? 0 : 1);
		seen_free(&s);
		free(b.p);
	}
}

TEST(archive_cap_total)
{
	uint8_t d[3][1000];
	struct wm mm[3] = {
		{ "a", NULL, 1000, 0, NULL },
		{ "b", NULL, 1000, 0, NULL },
		{ "c", NULL, 1000, 0, NULL },
	};
	struct kf_archive_limits lim = { .max_total = 2500 };
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;

	for (int i = 0; i < 3; i++) {
		fill_noise(d[i], sizeof d[i], 10 + (uint32_t)i);
		mm[i].data = d[i];
	}
	REQUIRE(build(&b, PAX, 0, mm, 3));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.tar", &lim, collect, &s,
				     &res, NULL), KS_OK);
	CHECK_INT(res.capped_total, 1);
	CHECK_INT(res.capped_ratio, 0);
	CHECK_INT(res.members, 2);
	CHECK_INT(res.total, 2500);
	REQUIRE(s.n == 2);
	CHECK_MEM(s.m[1].data, s.m[1].size, d[1], 1000);
	seen_free(&s);

	/* A total that lands exactly on the cap is not capped. */
	lim.max_total = 3000;
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.tar", &lim, collect, &s,
				     &res, NULL), KS_OK);
	CHECK_INT(res.capped_total, 0);
	CHECK_INT(res.members, 3);
	seen_free(&s);
	free(b.p);
}

TEST(archive_truncated)
{
	/* Members big enough that the gzip filter's 64 KiB output blocks
	 * holding the first two are complete before the cut. */
	enum { SZ = 150000 };
	static uint8_t d[3][SZ];
	struct wm mm[3] = {
		{ "one", NULL, SZ, 0, NULL },
		{ "two", NULL, SZ, 0, NULL },
		{ "three", NULL, SZ, 0, NULL },
	};
	static const int formats[][2] = { { ZIP, 0 }, { USTAR, 0 },
					  { USTAR, GZ } };

	for (int i = 0; i < 3; i++) {
		fill_noise(d[i], sizeof d[i], 20 + (uint32_t)i);
		mm[i].data = d[i];
	}
	for (size_t f = 0; f < 3; f++) {
		struct built b;
		struct seen s = { 0 };
		struct kf_archive_result res;

		REQUIRE(build(&b, formats[f][0], formats[f][1], mm, 3));
		/* Cut inside the third member's data. */
		CHECK_INT(kf_archive_iterate(b.p, b.len * 5 / 6, "cut", NULL,
					     collect, &s, &res, NULL), KS_OK);
		CHECK_INT(res.corrupt, 1);
		CHECK(res.message[0] != '\0');
		CHECK_INT(res.members, 2);
		REQUIRE(s.n == 2);
		CHECK_MEM(s.m[0].data, s.m[0].size, d[0], SZ);
		CHECK_MEM(s.m[1].data, s.m[1].size, d[1], SZ);
		seen_free(&s);
		free(b.p);
	}
}

TEST(archive_truncated_small_gz)
{
	const struct wm mm[] = {
		{ "a", "some text that is long enough to be cut", 39, 0, NULL },
		{ "b", "more", 4, 0, NULL },
	};
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;

	/* Shorter than one output block of the gzip filter: nothing can be
	 * read, but it is a damaged compressed file, not "not an archive". */
	REQUIRE(build(&b, USTAR, GZ, mm, 2));
	CHECK_INT(kf_archive_iterate(b.p, b.len - 8, "t.tgz", NULL, collect,
				     &s, &res, NULL), KS_OK);
	CHECK_INT(res.corrupt, 1);
	CHECK_STR(res.format, "raw");
	CHECK(res.message[0] != '\0');
	CHECK_INT(s.calls, 0);
	/* Cut inside the deflate data, libarchive names the problem. */
	CHECK_INT(kf_archive_iterate(b.p, b.len / 2, "t.tgz", NULL, collect,
				     &s, &res, NULL), KS_OK);
	CHECK_INT(res.corrupt, 1);
	CHECK(strstr(res.message, "gzip") != NULL);
	free(b.p);
}

/* A .gz whose content starts like an empty tar is still read. */
TEST(archive_gz_of_zero_block)
{
	static uint8_t d[2048];
	const struct wm mm[] = { { "x", d, sizeof d, 0, NULL } };
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;

	memcpy(d + 1024, "X5O!P%@AP", 9);
	REQUIRE(build(&b, RAW, GZ, mm, 1));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "z.bin.gz", NULL, collect,
				     &s, &res, NULL), KS_OK);
	CHECK_STR(res.format, "raw");
	REQUIRE(s.n == 1);
	CHECK_STR(s.m[0].name, "z.bin");
	CHECK_MEM(s.m[0].data, s.m[0].size, d, sizeof d);
	seen_free(&s);
	free(b.p);
}

TEST(archive_not_an_archive)
{
	uint8_t noise[4096];
	static const char text[] = "just some text, not an archive\n";
	struct seen s = { 0 };
	struct kf_archive_result res;
	struct ks_err err;

	fill_noise(noise, sizeof noise, 7);
	CHECK_INT(kf_archive_iterate(noise, sizeof noise, "noise", NULL,
				     collect, &s, &res, &err),
		  KS_ERR_UNSUPPORTED);
	CHECK_INT(err.status, KS_ERR_UNSUPPORTED);
	CHECK(err.msg[0] != '\0');
	CHECK_INT(kf_archive_iterate((const uint8_t *)text, sizeof text - 1,
				     "a.txt", NULL, collect, &s, &res, &err),
		  KS_ERR_UNSUPPORTED);
	CHECK_INT(s.calls, 0);
	CHECK_INT(res.members, 0);
}

TEST(archive_callback_stops)
{
	const struct wm mm[] = {
		{ "1", "a", 1, 0, NULL }, { "2", "b", 1, 0, NULL },
		{ "3", "c", 1, 0, NULL },
	};
	struct built b;
	struct seen s = { .stop_after = 2 };
	struct kf_archive_result res;

	REQUIRE(build(&b, ZIP, 0, mm, 3));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.zip", NULL, collect, &s,
				     &res, NULL), KS_INTERRUPTED);
	CHECK_INT(s.calls, 2);
	seen_free(&s);
	free(b.p);
}

TEST(archive_encrypted_zip)
{
	const struct wm mm[] = {
		{ "secret.txt", "the secret", 10, 0, NULL },
		{ "other.txt", "more", 4, 0, NULL },
	};
	static const char *const methods[] = {
		"zip:encryption=zipcrypt", "zip:encryption=aes256",
	};

	for (size_t i = 0; i < 2; i++) {
		struct built b;
		struct seen s = { 0 };
		struct kf_archive_result res;

		REQUIRE(build_ex(&b, ZIP, 0, methods[i], "pw", mm, 2));
		CHECK_INT(kf_archive_iterate(b.p, b.len, "e.zip", NULL,
					     collect, &s, &res, NULL), KS_OK);
		CHECK_INT(res.corrupt, 0);
		CHECK_INT(res.members, 2);
		CHECK_INT(res.total, 0);
		REQUIRE(s.n == 2);
		CHECK_STR(s.m[0].name, "secret.txt");
		CHECK_INT(s.m[0].encrypted, 1);
		CHECK_INT(s.m[0].had_data, 0);
		CHECK_STR(s.m[1].name, "other.txt");
		CHECK_INT(s.m[1].encrypted, 1);
		seen_free(&s);
		free(b.p);
	}
}

TEST(archive_names_are_bytes)
{
	static const char odd[] = "dir/\xff\xfe name\twith\nbytes";
	const struct wm mm[] = { { odd, "z", 1, 0, NULL } };
	struct built b;
	struct seen s = { 0 };
	struct kf_archive_result res;

	REQUIRE(build(&b, USTAR, 0, mm, 1));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.tar", NULL, collect, &s,
				     &res, NULL), KS_OK);
	REQUIRE(s.n == 1);
	CHECK_STR(s.m[0].name, odd);
	seen_free(&s);
	free(b.p);
}

TEST(archive_empty_and_null)
{
	struct kf_archive_result res;
	const struct wm mm[] = { { "a", "b", 1, 0, NULL } };
	struct built b;

	/* No result buffer and no callback are allowed. */
	REQUIRE(build(&b, ZIP, 0, mm, 1));
	CHECK_INT(kf_archive_iterate(b.p, b.len, NULL, NULL, NULL, NULL, NULL,
				     NULL), KS_OK);
	free(b.p);
	/* An empty tar is an archive with no members. */
	REQUIRE(build(&b, USTAR, 0, mm, 0));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "e.tar", NULL, NULL, NULL,
				     &res, NULL), KS_OK);
	CHECK_STR(res.format, "tar");
	CHECK_INT(res.members, 0);
	free(b.p);
	CHECK_INT(kf_archive_iterate(NULL, 5, "x", NULL, NULL, NULL, &res,
				     NULL), KS_ERR_USAGE);
}

TEST(archive_mime)
{
	static const struct {
		const char *mime;
		int want;
	} cases[] = {
		{ "application/zip", 1 },
		{ "application/x-tar", 1 },
		{ "application/gzip", 1 },
		{ "application/x-gzip", 1 },
		{ "application/x-bzip2", 1 },
		{ "application/x-xz", 1 },
		{ "application/x-7z-compressed", 1 },
		{ "application/x-rar", 1 },
		{ "application/vnd.rar", 1 },
		{ "application/vnd.ms-cab-compressed", 1 },
		{ "application/x-cpio", 1 },
		{ "application/x-iso9660-image", 1 },
		{ "application/x-archive", 1 },
		{ "application/java-archive", 1 },
		{ "application/zstd", 1 },
		{ "application/x-lzip", 1 },
		{ "application/x-lzma", 1 },
		{ "application/x-compress", 1 },
		{ "application/zip; charset=binary", 1 },
		{ "Application/ZIP", 1 },
		{ " application/x-tar", 1 },
		{ "application/zipx", 0 },
		{ "application/zi", 0 },
		{ "application/octet-stream", 0 },
		{ "application/pdf", 0 },
		{ "text/plain", 0 },
		{ "", 0 },
		{ "; charset=binary", 0 },
		{ NULL, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (kf_archive_mime(cases[i].mime) != cases[i].want)
			ut_fail(__FILE__, __LINE__,
				"kf_archive_mime(\"%s\") != %d",
				cases[i].mime ? cases[i].mime : "(null)",
				cases[i].want);
	}
}

TEST(archive_zip_names_in_any_locale)
{
	static const char *const names[] = { "caf\xc3\xa9/\xe6\x97\xa5.txt",
					     "plain.txt" };
	static const char *const datas[] = { "one", "two" };
	static const char *const bad[] = { "bad\xff" };
	uint8_t zip[1024];
	size_t n;
	struct seen s = { 0 };
	struct kf_archive_result res;
	locale_t before = uselocale((locale_t)0);

	/* Flagged UTF-8: the name comes out as the same UTF-8 bytes even in
	 * the C locale this runner uses. */
	n = mini_zip(zip, 0x800, names, datas, 2);
	CHECK_INT(kf_archive_iterate(zip, n, "u.zip", NULL, collect, &s, &res,
				     NULL), KS_OK);
	REQUIRE(s.n == 2);
	CHECK_STR(s.m[0].name, names[0]);
	CHECK_MEM(s.m[0].data, s.m[0].size, "one", 3);
	CHECK_STR(s.m[1].name, names[1]);
	seen_free(&s);
	/* The caller's locale is untouched afterwards. */
	CHECK(uselocale((locale_t)0) == before);

	/* A name flagged UTF-8 that is not: no name, but the data. */
	n = mini_zip(zip, 0x800, bad, datas, 1);
	CHECK_INT(kf_archive_iterate(zip, n, "b.zip", NULL, collect, &s, &res,
				     NULL), KS_OK);
	REQUIRE(s.n == 1);
	CHECK_STR(s.m[0].name, "(unnamed)");
	CHECK_MEM(s.m[0].data, s.m[0].size, "one", 3);
	seen_free(&s);
}

static int locale_cb(void *ctx, const struct kf_archive_member *m)
{
	(void)m;
	*(locale_t *)ctx = uselocale((locale_t)0);
	return 0;
}

TEST(archive_callback_runs_in_caller_locale)
{
	const struct wm mm[] = { { "a", "b", 1, 0, NULL, NULL } };
	struct built b;
	locale_t in_cb = (locale_t)0;

	REQUIRE(build(&b, ZIP, 0, mm, 1));
	CHECK_INT(kf_archive_iterate(b.p, b.len, "t.zip", NULL, locale_cb,
				     &in_cb, NULL, NULL), KS_OK);
	CHECK(in_cb == uselocale((locale_t)0));
	free(b.p);
}

/* GNU ar in deterministic mode writes "644" as the mode, with no type. */
TEST(archive_ar_member_without_type_bits)
{
	static const char ar[] =
		"!<arch>\n"
		"m1/             0           0     0     644     6         `\n"
		"first\n"
		"m2/             0           0     0     644     1         `\n"
		"x\n";
	struct seen s = { 0 };
	struct kf_archive_result res;

	CHECK_INT(kf_archive_iterate((const uint8_t *)ar, sizeof ar - 1, "s.a",
				     NULL, collect, &s, &res, NULL), KS_OK);
	CHECK_STR(res.format, "ar");
	REQUIRE(s.n == 2);
	CHECK_STR(s.m[0].name, "m1");
	CHECK_MEM(s.m[0].data, s.m[0].size, "first\n", 6);
	CHECK_STR(s.m[1].name, "m2");
	CHECK_MEM(s.m[1].data, s.m[1].size, "x", 1);
	seen_free(&s);
}

/*
 * Two 7-Zip archives of secret.txt and other.txt with the password "PW"
 * (made with 7z a -pPW, the first also with -mhe=on, which encrypts the
 * list of entries too).  libarchive cannot write encrypted 7-Zip.
 */
static const uint8_t enc_hdr_7z[] = {
	0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04, 0x47, 0x4f, 0x4e, 0x01,
	0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3e, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x2d, 0x4d, 0x0a, 0xb9, 0x6b, 0xf4, 0x33, 0x30,
	0x17, 0xe4, 0x0f, 0x13, 0xbf, 0x32, 0x47, 0x51, 0x25, 0xb9, 0xca, 0xc7,
	0x06, 0x0d, 0xa0, 0x7c, 0x6e, 0x50, 0x24, 0x57, 0xed, 0xe5, 0x64, 0xdd,
	0x92, 0x64, 0x8f, 0xd2, 0xbd, 0xba, 0x71, 0xa7, 0x55, 0x05, 0xe1, 0x29,
	0xd7, 0xd5, 0xaf, 0x10, 0x4b, 0x19, 0x81, 0x97, 0xd0, 0x03, 0xa1, 0x9b,
	0x2c, 0x72, 0xc9, 0x77, 0xa6, 0x4c, 0x0e, 0x0d, 0x6a, 0x96, 0xcd, 0x78,
	0x8e, 0xda, 0xfc, 0x40, 0x7b, 0x1d, 0xa6, 0x08, 0x78, 0x4f, 0x57, 0x04,
	0x7c, 0xfb, 0xfc, 0xa3, 0x08, 0x5d, 0x38, 0x11, 0xd2, 0x3d, 0x63, 0x12,
	0xa2, 0x7a, 0x97, 0x89, 0xd3, 0x2d, 0x71, 0x37, 0x6f, 0xe8, 0xa3, 0x19,
	0x38, 0xa4, 0xb2, 0x47, 0xbb, 0x06, 0x60, 0x9b, 0x08, 0xbb, 0x87, 0x9b,
	0x50, 0x86, 0xc6, 0xd7, 0x32, 0xd6, 0x28, 0x17, 0xd7, 0xf3, 0xd9, 0x3a,
	0x2d, 0xd4, 0xd4, 0x16, 0x45, 0x71, 0x4f, 0x11, 0x8a, 0x19, 0x92, 0xf9,
	0xa7, 0xac, 0x8f, 0x78, 0x01, 0x29, 0xe6, 0xc3, 0x69, 0x26, 0x31, 0x3c,
	0xe9, 0x3c, 0xfc, 0xd1, 0x16, 0xf4, 0xf0, 0x09, 0x3a, 0xba, 0xf6, 0xac,
	0x4a, 0x06, 0x94, 0x42, 0x38, 0x9b, 0x75, 0xa1, 0xc8, 0x42, 0x2f, 0x66,
	0x12, 0xfe, 0x1f, 0x7e, 0x17, 0x06, 0x20, 0x01, 0x09, 0x80, 0x90, 0x00,
	0x07, 0x0b, 0x01, 0x00, 0x02, 0x24, 0x06, 0xf1, 0x07, 0x01, 0x12, 0x53,
	0x0f, 0xad, 0xd1, 0x47, 0xf7, 0xf4, 0xc4, 0x8e, 0xb2, 0xa4, 0xe8, 0x08,
	0x95, 0x0a, 0xa8, 0xfb, 0x6e, 0x23, 0x03, 0x01, 0x01, 0x05, 0x5d, 0x00,
	0x10, 0x00, 0x00, 0x01, 0x00, 0x0c, 0x80, 0x84, 0x80, 0x9e, 0x0a, 0x01,
	0x06, 0x91, 0x9e, 0xb5, 0x00, 0x00,
};

static const uint8_t enc_data_7z[] = {
	0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04, 0xf9, 0x67, 0x3d, 0x5b,
	0xa3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x55, 0x65, 0x52, 0x6c, 0x66, 0x87, 0xdf, 0xe0,
	0xf5, 0xae, 0x00, 0xf4, 0x66, 0xa1, 0xc3, 0x53, 0x71, 0x4a, 0x80, 0x3f,
	0x54, 0x0d, 0xd0, 0x5b, 0x3f, 0xaa, 0xb1, 0x66, 0xc0, 0x43, 0x2c, 0xb9,
	0x80, 0xee, 0x85, 0xec, 0x00, 0x00, 0x81, 0x33, 0x07, 0xae, 0x0f, 0xd0,
	0x0e, 0xb0, 0x3c, 0x9f, 0x39, 0x10, 0x9c, 0x9f, 0xa6, 0xd5, 0x33, 0xda,
	0xb2, 0x2e, 0xb0, 0x89, 0x56, 0x8d, 0xe4, 0x84, 0xa0, 0xe5, 0x18, 0x36,
	0x55, 0xf5, 0x0c, 0xb4, 0xb4, 0xa0, 0x5e, 0xf4, 0x38, 0x34, 0xb5, 0x35,
	0xb9, 0x75, 0x2f, 0xa2, 0xae, 0x6c, 0xa7, 0xde, 0x81, 0xa1, 0xe2, 0x94,
	0x34, 0xb6, 0xa8, 0xea, 0x44, 0x90, 0x7f, 0xc8, 0xf1, 0x93, 0x98, 0xf8,
	0x62, 0xf8, 0x71, 0x7e, 0x74, 0x10, 0xf2, 0x9e, 0x01, 0xaf, 0x39, 0xbc,
	0xf2, 0xcb, 0x4f, 0xe6, 0x36, 0x9c, 0x81, 0xca, 0x1d, 0x6a, 0x5a, 0xe6,
	0xb7, 0x4e, 0x89, 0x62, 0x93, 0xd0, 0x9b, 0x3a, 0x26, 0x4d, 0x6a, 0x61,
	0xaf, 0xe0, 0xc1, 0xa8, 0x42, 0xc1, 0x66, 0xbf, 0xae, 0x56, 0xe3, 0x18,
	0x0c, 0x83, 0x62, 0x19, 0xa0, 0x2e, 0xc1, 0x55, 0xd8, 0x2e, 0xaa, 0x54,
	0x00, 0x00, 0x00, 0x17, 0x06, 0x20, 0x01, 0x09, 0x80, 0x83, 0x00, 0x07,
	0x0b, 0x01, 0x00, 0x01, 0x23, 0x03, 0x01, 0x01, 0x05, 0x5d, 0x00, 0x10,
	0x00, 0x00, 0x0c, 0x80, 0x9e, 0x0a, 0x01, 0x94, 0x70, 0xda, 0xaa, 0x00,
	0x00,
};

TEST(archive_7z_encrypted)
{
	struct seen s = { 0 };
	struct kf_archive_result res;

	CHECK_INT(kf_archive_iterate(enc_data_7z, sizeof enc_data_7z, "d.7z",
				     NULL, collect, &s, &res, NULL), KS_OK);
	CHECK_STR(res.format, "7zip");
	CHECK_INT(res.corrupt, 0);
	REQUIRE(s.n == 2);
	CHECK_STR(s.m[0].name, "other.txt");
	CHECK_INT(s.m[0].encrypted, 1);
	CHECK_INT(s.m[0].had_data, 0);
	CHECK_STR(s.m[1].name, "secret.txt");
	CHECK_INT(s.m[1].encrypted, 1);
	seen_free(&s);

	/* The entries cannot even be listed: one encrypted pseudo-member. */
	CHECK_INT(kf_archive_iterate(enc_hdr_7z, sizeof enc_hdr_7z, "h.7z",
				     NULL, collect, &s, &res, NULL), KS_OK);
	CHECK_STR(res.format, "7zip");
	CHECK_INT(res.corrupt, 0);
	REQUIRE(s.n == 1);
	CHECK_STR(s.m[0].name, "(encrypted)");
	CHECK_INT(s.m[0].encrypted, 1);
	CHECK_INT(s.m[0].had_data, 0);
	seen_free(&s);
}
