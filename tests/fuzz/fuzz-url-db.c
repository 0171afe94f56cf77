/*
 * Fuzz target: the database loader on arbitrary bytes.  The magic,
 * version, sizes and header checksum are set right (the fuzzer would not
 * find them), so that the section table, the feed table and the lookups
 * are what is exercised; one input in four also goes through the payload
 * checksum.  Beyond "no crash": an opened database answers checks of a
 * few addresses and of keys cut from the input without reading outside
 * the image (AddressSanitizer sees the exact image size).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url/check.h"
#include "url/db-format.h"
#include "url/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const urls[] = {
		"http://a.b.example.com/x/y.html?q=1", "http://192.0.2.1/",
		"http://[2001:db8::1]/a", "evil.example", "http://x/"
	};
	static struct ku_check *c;
	struct ku_db *db;
	uint8_t *img;
	unsigned flags;

	if (c == NULL && (c = ku_check_new()) == NULL)
		abort();
	if (size < KU_DB_HEADER_SIZE)
		return 0;
	img = malloc(size);
	if (img == NULL)
		abort();
	memcpy(img, data, size);
	memcpy(img, KU_DB_MAGIC, 8);
	put32(img + KH_VERSION, KU_DB_VERSION);
	put32(img + KH_HEADER_SIZE, KU_DB_HEADER_SIZE);
	put64(img + KH_FILE_SIZE, size);
	flags = data[8] & 3 ? KU_DB_NO_CHECKSUM : 0;
	if (!flags) {
		uint64_t sum;

		if (ku_checksum(img + KU_DB_HEADER_SIZE, size - KU_DB_HEADER_SIZE,
				&sum, NULL) != 0)
			abort();
		put64(img + KH_PAYLOAD_SUM, sum);
	}
	put64(img + KH_HEADER_SUM, ku_hash(img, KH_HEADER_SUM, 0));
	if (ku_db_open_mem(&db, img, size, 1, flags, NULL) != KS_OK)
		return 0;
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		ku_check(c, db, urls[i], strlen(urls[i]), 0);
		ku_check(c, db, urls[i], strlen(urls[i]), 1);
	}
	/* Keys cut from the input itself, so that present keys are hit. */
	for (size_t off = KU_DB_HEADER_SIZE; off + 8 <= size && off < 4096;
	     off += 61) {
		struct ku_rec r;
		size_t n = data[off] % 40 + 1;

		if (off + n <= size)
			ku_db_find(db, data + off, n,
				   ku_db_hash(db, data + off, n), &r);
	}
	for (unsigned i = 0; i < ku_db_info(db)->nfeeds; i++)
		if (strlen(ku_db_feed(db, i)->name) > size)
			abort();
	ku_db_close(db);
	return 0;
}
