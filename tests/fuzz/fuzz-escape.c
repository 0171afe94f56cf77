/*
 * Fuzz target: the string escaper.  Any bytes, escaped and parsed back by
 * the project's reader, must come back unchanged, and the escaped form must
 * be valid UTF-8 without a raw control character.
 */
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "json/escape.h"
#include "json/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_buf b;
	struct kj_parser p;
	struct json_object *o = NULL, *v;
	struct ks_err err;
	size_t len;

	ks_buf_init(&b, KS_BUF_UNLIMITED);
	if (ks_buf_puts(&b, "{\"k\":") != KS_OK ||
	    kj_escape(&b, data, size) != KS_OK || ks_buf_putc(&b, '}') != KS_OK)
		abort();
	if (!ks_utf8_valid(b.data, b.len))
		abort();
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] < 0x20 || b.data[i] == 0x7f)
			abort();
	if (kj_parser_init(&p, 4) != KS_OK)
		abort();
	len = b.len;
	if (kj_parse(&p, (char *)b.data, len, &o, &err) != KS_OK || o == NULL)
		abort();
	if (!json_object_object_get_ex(o, "k", &v))
		abort();
	if ((size_t)json_object_get_string_len(v) != size ||
	    memcmp(json_object_get_string(v), data, size) != 0)
		abort();
	json_object_put(o);
	kj_parser_free(&p);
	ks_buf_free(&b);
	return 0;
}
