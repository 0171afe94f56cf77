#include <stdlib.h>
#include "core/buf.h"
#include "unit.h"

TEST(buf_append_and_cap)
{
	struct ks_buf b;

	ks_buf_init(&b, 10);
	CHECK_INT(ks_buf_append(&b, "hello", 5), KS_OK);
	CHECK_INT(ks_buf_append(&b, "world", 5), KS_OK);
	CHECK_INT(b.len, 10);
	CHECK_STR((char *)b.data, "helloworld");
	/* One byte over the cap fails and leaves the content alone. */
	CHECK_INT(ks_buf_append(&b, "!", 1), KS_ERR_LIMIT);
	CHECK_INT(b.len, 10);
	CHECK_STR((char *)b.data, "helloworld");
	ks_buf_free(&b);
	ks_buf_free(&b); /* twice is harmless */
}

TEST(buf_printf_respects_cap)
{
	struct ks_buf b;

	ks_buf_init(&b, 8);
	CHECK_INT(ks_buf_printf(&b, "%d-%s", 42, "ab"), KS_OK);
	CHECK_STR((char *)b.data, "42-ab");
	CHECK_INT(ks_buf_printf(&b, "%s", "xyzw"), KS_ERR_LIMIT);
	CHECK_STR((char *)b.data, "42-ab");
	CHECK_INT(ks_buf_printf(&b, "%s", "xyz"), KS_OK);
	CHECK_INT(b.len, 8);
	ks_buf_free(&b);
}

TEST(buf_consume_and_steal)
{
	struct ks_buf b;
	uint8_t *p;
	size_t n;

	ks_buf_init(&b, KS_BUF_UNLIMITED);
	ks_buf_puts(&b, "abcdef");
	ks_buf_consume(&b, 2);
	CHECK_STR((char *)b.data, "cdef");
	ks_buf_consume(&b, 100);
	CHECK_INT(b.len, 0);
	ks_buf_puts(&b, "xyz");
	p = ks_buf_steal(&b, &n);
	CHECK_INT(n, 3);
	CHECK_MEM(p, n, "xyz", 3);
	CHECK(b.data == NULL && b.len == 0);
	free(p);
}

TEST(buf_zero_cap_and_growth)
{
	struct ks_buf b;
	char big[5000];

	ks_buf_init(&b, 0);
	CHECK_INT(ks_buf_putc(&b, 'a'), KS_ERR_LIMIT);
	CHECK_INT(ks_buf_append(&b, "", 0), KS_OK);
	ks_buf_free(&b);

	memset(big, 'x', sizeof big);
	ks_buf_init(&b, sizeof big);
	for (size_t i = 0; i < sizeof big; i++)
		REQUIRE(ks_buf_putc(&b, 'x') == KS_OK);
	CHECK_MEM(b.data, b.len, big, sizeof big);
	CHECK(b.cap <= sizeof big + 1);
	CHECK_INT(ks_buf_putc(&b, 'x'), KS_ERR_LIMIT);
	ks_buf_free(&b);
}
