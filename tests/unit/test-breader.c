#include "core/breader.h"
#include "unit.h"

static const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05,
				 0x06, 0x07, 0x08, 0x09 };

TEST(breader_reads_in_order)
{
	struct ks_br r;

	ks_br_init(&r, bytes, sizeof bytes);
	CHECK_INT(ks_br_u8(&r), 0x01);
	CHECK_INT(ks_br_u16be(&r), 0x0203);
	CHECK_INT(ks_br_u16le(&r), 0x0504);
	CHECK_INT(ks_br_u32be(&r), 0x06070809);
	CHECK_INT(ks_br_left(&r), 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_OK);

	ks_br_init(&r, bytes, sizeof bytes);
	CHECK_INT(ks_br_u24be(&r), 0x010203);
	CHECK_INT(ks_br_u32le(&r), 0x07060504);
	ks_br_init(&r, bytes, sizeof bytes);
	CHECK(ks_br_u64be(&r) == 0x0102030405060708ull);
	CHECK_INT(ks_br_left(&r), 1);
	ks_br_init(&r, bytes, sizeof bytes);
	CHECK(ks_br_u64le(&r) == 0x0807060504030201ull);
}

/* Every read of width w at every position: exactly the reads that fit
 * succeed; the first one that does not sets a sticky truncation. */
TEST(breader_every_boundary)
{
	for (size_t len = 0; len <= sizeof bytes; len++) {
		for (size_t w = 1; w <= 8; w++) {
			struct ks_br r;
			size_t reads = 0;

			ks_br_init(&r, bytes, len);
			for (;;) {
				const uint8_t *p = ks_br_ptr(&r, w);

				if (p == NULL)
					break;
				CHECK(p == bytes + reads * w);
				reads++;
			}
			CHECK_INT(reads, len / w);
			CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
			CHECK_INT(ks_br_left(&r), 0);
			/* Sticky: even a read that would fit now fails. */
			CHECK_INT(ks_br_u8(&r), 0);
			CHECK(ks_br_ptr(&r, 0) == NULL);
			CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
		}
	}
}

TEST(breader_integer_reads_at_end)
{
	struct ks_br r;

	ks_br_init(&r, bytes, 3);
	CHECK_INT(ks_br_u32be(&r), 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
	/* The failed read did not move the cursor. */
	CHECK(r.cur == bytes);

	ks_br_init(&r, bytes, 1);
	CHECK_INT(ks_br_u16le(&r), 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);

	ks_br_init(&r, bytes, 7);
	CHECK(ks_br_u64le(&r) == 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);

	ks_br_init(&r, NULL, 5);
	CHECK_INT(ks_br_left(&r), 0);
	CHECK_INT(ks_br_u8(&r), 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
}

TEST(breader_skip_copy_peek)
{
	struct ks_br r;
	uint8_t out[4];

	ks_br_init(&r, bytes, sizeof bytes);
	ks_br_skip(&r, 5);
	CHECK_INT(ks_br_peek(&r, 0), 0x06);
	CHECK_INT(ks_br_peek(&r, 3), 0x09);
	CHECK_INT(ks_br_peek(&r, 4), -1);
	ks_br_copy(&r, out, 4);
	CHECK_MEM(out, 4, bytes + 5, 4);
	memset(out, 0xaa, sizeof out);
	ks_br_copy(&r, out, 1);
	CHECK_INT(out[0], 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);

	ks_br_init(&r, bytes, sizeof bytes);
	ks_br_skip(&r, sizeof bytes + 1);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
	ks_br_init(&r, bytes, sizeof bytes);
	ks_br_skip(&r, SIZE_MAX);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
}

TEST(breader_invalid_is_distinct_and_keeps_truncation)
{
	struct ks_br r;

	ks_br_init(&r, bytes, sizeof bytes);
	ks_br_u8(&r);
	ks_br_invalid(&r);
	CHECK_INT(ks_br_fault(&r), KS_BR_INVALID);
	CHECK_INT(ks_br_u8(&r), 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_INVALID);

	ks_br_init(&r, bytes, 1);
	ks_br_u16be(&r);
	ks_br_invalid(&r);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
}

TEST(breader_sub_readers)
{
	struct ks_br r, s;

	ks_br_init(&r, bytes, sizeof bytes);
	ks_br_u8(&r);
	s = ks_br_sub(&r, 4);
	CHECK_INT(ks_br_left(&s), 4);
	CHECK_INT(ks_br_u32be(&s), 0x02030405);
	CHECK_INT(ks_br_u8(&s), 0);
	CHECK_INT(ks_br_fault(&s), KS_BR_TRUNCATED);
	/* The parent is untouched by the child's fault. */
	CHECK_INT(ks_br_fault(&r), KS_BR_OK);
	CHECK_INT(ks_br_u8(&r), 0x06);

	/* A sub-reader longer than what is left: the parent is truncated,
	 * the child holds what there is. */
	s = ks_br_sub(&r, 10);
	CHECK_INT(ks_br_fault(&r), KS_BR_TRUNCATED);
	CHECK_INT(ks_br_left(&s), 3);
	CHECK_INT(ks_br_u24be(&s), 0x070809);

	/* From a faulted parent: an empty child with the fault. */
	s = ks_br_sub(&r, 1);
	CHECK_INT(ks_br_left(&s), 0);
	CHECK_INT(ks_br_fault(&s), KS_BR_TRUNCATED);

	ks_br_init(&r, bytes, sizeof bytes);
	s = ks_br_sub(&r, 0);
	CHECK_INT(ks_br_left(&s), 0);
	CHECK_INT(ks_br_fault(&r), KS_BR_OK);
	CHECK_INT(ks_br_left(&r), sizeof bytes);
}
