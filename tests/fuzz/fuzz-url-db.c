/*
 * Fuzz target: the database loader on arbitrary bytes.
 *
 * An input is a database without its block table: the 256-byte header,
 * then the data (the feed table first).  The target puts the table in
 * between and moves the section offsets of the header by its size, and
 * sets the magic, version, sizes, block fields and both header checksums
 * right (the fuzzer would not find them), so that the section table, the
 * feed table, the lookups and the lazy block verification are what is
 * exercised.  Byte 216 of the input (in the reserved part of the header,
 * which the target then clears) picks the mode:
 *
 *   0  every block sum right: verification must pass;
 *   1  every block sum right but one: the database must never answer
 *      past the damage (once a lookup reports it, every check is an
 *      error) and ku_db_verify must refuse it;
 *   2, 3  every block sum right, but none verified by lookups
 *      (KU_DB_NO_CHECKSUM): the structure checks alone must keep every
 *      lookup inside the image.
 *
 * Beyond "no crash": an opened database answers checks of a few addresses
 * and of keys cut from the input without reading outside the image
 * (AddressSanitizer sees the exact image size).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url/check.h"
#include "url/db-format.h"
#include "url/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The mode byte, and the byte that picks the wrong sum of mode 1. */
#define MODE_AT (KH_LABELS + 8)

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The image of an input (see above); *mode and *flags as it says. */
static uint8_t *make_image(const uint8_t *data, size_t size, size_t *len,
			   unsigned *mode, unsigned *flags)
{
	static const int moved[] = { KH_FEEDS_OFF, KH_POOL_OFF, KH_RECS_OFF,
				     KH_INDEX_OFF, KH_FILTER_OFF };
	const size_t bsize = (size_t)1 << KU_BLOCK_MIN_SHIFT;
	size_t dlen = size - KU_DB_HEADER_SIZE, nsum, doff;
	uint8_t *img;

	nsum = (dlen + bsize - 1) / bsize;
	doff = (size_t)ku_data_off(nsum);
	*len = doff + dlen;
	img = calloc(1, *len);
	if (img == NULL)
		abort();
	memcpy(img, data, KU_DB_HEADER_SIZE);
	memcpy(img + doff, data + KU_DB_HEADER_SIZE, dlen);
	*mode = data[MODE_AT] & 3;
	*flags = *mode >= 2 ? KU_DB_NO_CHECKSUM : 0;
	for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++)
		put64(img + moved[i], rd64(img + moved[i]) + doff -
		      KU_DB_HEADER_SIZE);
	memcpy(img, KU_DB_MAGIC, 8);
	put32(img + KH_VERSION, KU_DB_VERSION);
	put32(img + KH_HEADER_SIZE, KU_DB_HEADER_SIZE);
	put64(img + KH_FILE_SIZE, *len);
	put64(img + KH_BLOCK_SIZE, bsize);
	put64(img + KH_NBLOCKS, nsum);
	put64(img + KH_DATA_OFF, doff);
	for (size_t b = 0; b < nsum; b++) {
		size_t n = dlen - b * bsize < bsize ? dlen - b * bsize : bsize;

		put64(img + KH_END + 8 * b, ku_hash(img + doff + b * bsize, n, 0));
	}
	if (*mode == 1)
		img[KH_END + 8 * (data[MODE_AT + 1] % nsum)] ^= 1;
	memset(img + MODE_AT, 0, KH_HEADER_SUM - MODE_AT);
	put64(img + KH_TABLE_SUM, ku_hash(img + KH_END, doff - KH_END, 0));
	put64(img + KH_HEADER_SUM, ku_hash(img, KH_HEADER_SUM, 0));
	return img;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const urls[] = {
		"http://a.b.example.com/x/y.html?q=1", "http://192.0.2.1/",
		"http://[2001:db8::1]/a", "evil.example", "http://x/"
	};
	static struct ku_check *c;
	struct ku_db *db;
	uint8_t *img;
	size_t len;
	unsigned mode, flags;

	if (c == NULL && (c = ku_check_new()) == NULL)
		abort();
	if (size <= KU_DB_HEADER_SIZE)
		return 0;
	img = make_image(data, size, &len, &mode, &flags);
	if (ku_db_open_mem(&db, img, len, 1, flags, NULL) != KS_OK)
		return 0;
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
		for (int host_only = 0; host_only < 2; host_only++) {
			int was = ku_db_damaged(db, NULL);
			enum ku_verdict v = ku_check(c, db, urls[i],
						     strlen(urls[i]), host_only);

			/* Damage is for good, and never leaves an answer. */
			if ((was && v != KU_ERROR) ||
			    (ku_db_damaged(db, NULL) && v != KU_ERROR))
				abort();
			if (mode != 1 && ku_db_damaged(db, NULL))
				abort();
		}
	/* Keys cut from the input itself, so that present keys are hit. */
	for (size_t off = KU_DB_HEADER_SIZE; off + 8 <= size && off < 4096;
	     off += 61) {
		struct ku_rec r;
		size_t n = data[off] % 40 + 1;
		int was = ku_db_damaged(db, NULL);

		if (off + n <= size &&
		    ku_db_find(db, data + off, n, ku_db_hash(db, data + off, n),
			       &r) && was)
			abort();
	}
	for (unsigned i = 0; i < ku_db_info(db)->nfeeds; i++)
		if (strlen(ku_db_feed(db, i)->name) > size)
			abort();
	/* Verification of every block: refused exactly when one sum is
	 * wrong (KU_DB_NO_CHECKSUM at open does not change that). */
	if ((ku_db_verify(db, NULL) == KS_OK) != (mode != 1))
		abort();
	ku_db_close(db);
	return 0;
}
