/*
 * The block table of a database (db.h, "Verification"): opening checks
 * the header, the table and the feed block only; a damaged byte in any
 * other block is found by the first lookup that reads that block, which
 * turns every check from then on into an error, and by ku_db_verify; a
 * damaged header, table or feed block, or a truncated file, is refused
 * at open.  Several threads checking at once see the same.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "url/check.h"
#include "url/db-format.h"

#define NKEYS 20000

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void key_name(char *out, size_t cap, unsigned i)
{
	snprintf(out, cap, "k%05u.example", i);
}

/* A database of NKEYS domains (about 15 blocks of 64 KiB). */
static uint8_t *big_image(size_t *len)
{
	struct ku_builder *b = ku_builder_new();
	struct ku_build_opts bo = { 1, 1, 4242 };
	struct ku_feed_def d = { "big", "malicious", "domains", "t",
				 KU_KIND_DOMAIN };
	struct ks_err err;
	uint8_t *img = NULL;
	unsigned id;
	int dup;

	if (b == NULL || ku_builder_feed(b, &d, &id, NULL) != KS_OK)
		abort();
	for (unsigned i = 0; i < NKEYS; i++) {
		char k[32];

		key_name(k, sizeof k, i);
		if (ku_builder_add(b, id, KU_KIND_DOMAIN, 0, k, strlen(k),
				   &dup) != KS_OK)
			abort();
	}
	if (ku_builder_image(b, &bo, &img, len, &err) != KS_OK)
		abort();
	ku_builder_free(b);
	return img;
}

/* The file offset of key i's record, and its length. */
static size_t rec_at(const struct ku_db *db, const uint8_t *base, unsigned i,
		     size_t *n)
{
	struct ku_rec r;
	char k[32];

	key_name(k, sizeof k, i);
	if (!ku_db_find(db, k, strlen(k), ku_db_hash(db, k, strlen(k)), &r))
		abort();
	*n = 6 + r.key_len + 4 * r.nmatch + 4;
	return (size_t)(r.key - 6 - base);
}

static enum ku_verdict check_key(struct ku_check *c, struct ku_db *db,
				 unsigned i)
{
	char u[64];

	snprintf(u, sizeof u, "http://www.k%05u.example/a", i);
	return ku_check(c, db, u, strlen(u), 0);
}

TEST(url_db_block_table)
{
	size_t len, doff, bsize, nsum, recs_off, index_off, a_off = 0,
	       b_off = 0, b_len = 0, flip;
	uint8_t *img = big_image(&len), *copy = malloc(len);
	struct ku_check *c = ku_check_new();
	struct ku_db *db;
	struct ks_err err;
	unsigned a = NKEYS, bkey = NKEYS, blk;

	REQUIRE(copy != NULL && c != NULL);
	doff = rd64(img + KH_DATA_OFF);
	bsize = rd64(img + KH_BLOCK_SIZE);
	nsum = rd64(img + KH_NBLOCKS);
	recs_off = rd64(img + KH_RECS_OFF);
	index_off = rd64(img + KH_INDEX_OFF);
	CHECK_INT(bsize, 65536);
	CHECK(nsum >= 8);
	CHECK_INT(nsum, (len - doff + bsize - 1) / bsize);

	/* Intact: every key found, every block right. */
	memcpy(copy, img, len);
	REQUIRE(ku_db_open_mem(&db, copy, len, 0, 0, &err) == KS_OK);
	CHECK_INT(ku_db_info(db)->nblocks, nsum);
	CHECK_INT(ku_db_info(db)->block_size, 65536);
	CHECK_INT(ku_db_info(db)->version, 2);
	/* A block wholly inside the records, past the first two, and a key
	 * of it; and a key whose record is in another block. */
	blk = (unsigned)((recs_off - doff) / bsize) + 2;
	REQUIRE(doff + (blk + 1) * bsize <= index_off);
	for (unsigned i = 0; i < NKEYS && (a == NKEYS || bkey == NKEYS); i++) {
		size_t n, off = rec_at(db, copy, i, &n);

		if ((off - doff) / bsize == blk &&
		    (off + n - 1 - doff) / bsize == blk && a == NKEYS) {
			a = i;
			a_off = off;
		} else if ((off - doff) / bsize + 1 < blk && bkey == NKEYS) {
			bkey = i;
			b_off = off;
			b_len = n;
		}
	}
	REQUIRE(a < NKEYS && bkey < NKEYS);
	CHECK(b_off + b_len <= doff + blk * bsize);
	for (unsigned i = 0; i < NKEYS; i += 7)
		CHECK_INT(check_key(c, db, i), KU_LISTED);
	CHECK(!ku_db_damaged(db, NULL));
	CHECK(ku_db_verify(db, &err) == KS_OK);
	ku_db_close(db);

	/* A flipped byte in that block (the key of record a, 32 KiB and
	 * more past the header): open takes it, a lookup that does not read
	 * the block still answers, the one that does is an error, and so is
	 * every check after it. */
	flip = a_off + 7;
	REQUIRE(flip > 32768);
	memcpy(copy, img, len);
	copy[flip] ^= 0x04;
	REQUIRE(ku_db_open_mem(&db, copy, len, 0, 0, &err) == KS_OK);
	CHECK(!ku_db_damaged(db, NULL));
	CHECK_INT(check_key(c, db, bkey), KU_LISTED);
	CHECK_STR(c->category, "malicious");
	CHECK(!ku_db_damaged(db, NULL));
	CHECK_INT(check_key(c, db, a), KU_ERROR);
	CHECK(strstr(c->err.msg, "damaged database") != NULL);
	CHECK(strstr(c->err.msg, "checksum mismatch in block") != NULL);
	CHECK_INT(c->n, 0);
	CHECK(ku_db_damaged(db, &err));
	CHECK(strstr(err.msg, "damaged database") != NULL);
	CHECK_INT(check_key(c, db, bkey), KU_ERROR);
	CHECK_INT(ku_check(c, db, "http://clean.test/", 18, 0), KU_ERROR);
	CHECK(ku_db_verify(db, &err) != KS_OK);
	ku_db_close(db);
	/* Verification at once finds it, with no lookup at all. */
	REQUIRE(ku_db_open_mem(&db, copy, len, 0, 0, &err) == KS_OK);
	CHECK(ku_db_verify(db, &err) != KS_OK);
	CHECK(strstr(err.msg, "damaged database") != NULL);
	ku_db_close(db);
	CHECK(ku_db_open_mem(&db, copy, len, 0, KU_DB_VERIFY, &err) != KS_OK);
	CHECK(strstr(err.msg, "checksum mismatch") != NULL);
	/* Unverified on purpose (structure tests): the flip goes unseen. */
	REQUIRE(ku_db_open_mem(&db, copy, len, 0, KU_DB_NO_CHECKSUM, &err) ==
		KS_OK);
	CHECK_INT(check_key(c, db, bkey), KU_LISTED);
	ku_db_close(db);

	/* The header, the block table and the feed block: refused at open,
	 * whatever byte of them. */
	for (size_t i = 0; i < doff + 200; i += 1 + (i > 256) * 5) {
		memcpy(copy, img, len);
		copy[i] ^= 0x10;
		if (ku_db_open_mem(&db, copy, len, 0, 0, &err) == KS_OK) {
			ut_fail(__FILE__, __LINE__, "flip at %zu accepted", i);
			ku_db_close(db);
		}
	}
	memcpy(copy, img, len);
	copy[KH_END + 8 * 3] ^= 1;
	CHECK(ku_db_open_mem(&db, copy, len, 0, 0, &err) != KS_OK);
	CHECK(strstr(err.msg, "block table checksum") != NULL);
	memcpy(copy, img, len);
	copy[doff + 5] ^= 1;
	CHECK(ku_db_open_mem(&db, copy, len, 0, 0, &err) != KS_OK);
	CHECK(strstr(err.msg, "checksum mismatch in block 0") != NULL);

	/* Truncated anywhere, even by a byte: refused at open. */
	for (size_t cut = 0; cut < len; cut += 1 + cut / 3)
		if (ku_db_open_mem(&db, img, cut, 0, 0, &err) == KS_OK) {
			ut_fail(__FILE__, __LINE__, "cut at %zu accepted", cut);
			ku_db_close(db);
		}
	CHECK(ku_db_open_mem(&db, img, len - 1, 0, 0, &err) == KS_ERR_TRUNCATED);
	CHECK(strstr(err.msg, "truncated") != NULL);
	free(copy);
	free(img);
	ku_check_free(c);
}

/* A flipped byte anywhere is never used for an answer: for flips spread
 * over the whole file, every check of every key is right or an error,
 * never another answer, no right answer follows an error, and once every
 * key was checked (every block read), the damage is known. */
TEST(url_db_flip_anywhere)
{
	size_t len;
	uint8_t *img = big_image(&len), *copy = malloc(len);
	struct ku_check *c = ku_check_new();

	REQUIRE(copy != NULL && c != NULL);
	for (size_t at = 11; at < len; at += len / 23) {
		struct ku_db *db;
		int errors = 0, wrong = 0, after = 0;

		memcpy(copy, img, len);
		copy[at] ^= 0x80;
		if (ku_db_open_mem(&db, copy, len, 0, 0, NULL) != KS_OK)
			continue;
		for (unsigned i = 0; i < NKEYS; i++) {
			enum ku_verdict v = check_key(c, db, i);

			if (v == KU_ERROR)
				errors++;
			else if (errors > 0)
				after++;
			else if (v != KU_LISTED)
				wrong++;
		}
		CHECK_INT(ku_check(c, db, "http://k99999.example/", 22, 0),
			  KU_ERROR);
		if (wrong || after || !ku_db_damaged(db, NULL))
			ut_fail(__FILE__, __LINE__, "flip at %zu: %d wrong, %d "
				"after an error, damaged %d", at, wrong, after,
				ku_db_damaged(db, NULL));
		ku_db_close(db);
	}
	free(copy);
	free(img);
	ku_check_free(c);
}

struct worker {
	struct ku_db *db;
	unsigned start;
	int listed, errors, wrong;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct ku_check *c = ku_check_new();

	if (c == NULL)
		abort();
	for (unsigned k = 0; k < NKEYS; k++) {
		unsigned i = (w->start + k * 7919) % NKEYS;
		enum ku_verdict v = check_key(c, w->db, i);

		w->listed += v == KU_LISTED;
		w->errors += v == KU_ERROR;
		w->wrong += v == KU_CLEAN;
	}
	ku_check_free(c);
	return NULL;
}

/* Lazy verification from several threads at once: an intact database
 * answers every check in every thread; a damaged one never answers
 * wrongly in any thread, and each thread, having read every block, ends
 * with errors. */
TEST(url_db_lazy_threads)
{
	size_t len;
	uint8_t *img = big_image(&len);

	for (int damaged = 0; damaged < 2; damaged++) {
		struct worker w[4];
		pthread_t t[4];
		struct ku_db *db;

		if (damaged)
			img[len - 100] ^= 1;   /* in the filter */
		REQUIRE(ku_db_open_mem(&db, img, len, 0, 0, NULL) == KS_OK);
		for (int i = 0; i < 4; i++) {
			memset(&w[i], 0, sizeof w[i]);
			w[i].db = db;
			w[i].start = (unsigned)i * 4999;
			REQUIRE(pthread_create(&t[i], NULL, work, &w[i]) == 0);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			CHECK_INT(w[i].wrong, 0);
			CHECK_INT(w[i].listed + w[i].errors, NKEYS);
			if (damaged)
				CHECK(w[i].errors > 0);
			else
				CHECK_INT(w[i].listed, NKEYS);
		}
		CHECK_INT(ku_db_damaged(db, NULL), damaged);
		CHECK_INT(ku_db_verify(db, NULL) == KS_OK, !damaged);
		ku_db_close(db);
	}
	free(img);
}
