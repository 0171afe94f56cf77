/*
 * Fuzz target: the JSON Lines reader (line splitter and parser) on
 * arbitrary bytes, and the writer on whatever it accepts.
 *
 * Properties checked beyond "no crash": every object the parser accepts
 * can be written back by kj_json, and writing, reading and writing again
 * gives the same bytes (the escaping round-trips).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"
#include "json/writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(struct kj_parser *p, struct json_object *o)
{
	struct kj_writer w1, w2;
	struct json_object *o2 = NULL;
	struct ks_err err;
	const struct ks_time t = { 0, 0 };

	kj_writer_init(&w1, 1u << 20);
	kj_writer_init(&w2, 1u << 20);
	kj_record_begin(&w1, t, "x", NULL);
	kj_json(&w1, "v", o);
	if (kj_record_end(&w1) == KS_OK) {
		if (kj_parse(p, (char *)w1.buf.data, w1.buf.len - 1, &o2,
			     &err) != KS_OK || o2 == NULL)
			abort();
		/* Write the reparsed "v" member again. */
		struct json_object *v;

		if (!json_object_object_get_ex(o2, "v", &v))
			abort();
		/* w1's buffer was modified in place by the parse: rebuild. */
		ks_buf_reset(&w1.buf);
		kj_record_begin(&w1, t, "x", NULL);
		kj_json(&w1, "v", o);
		if (kj_record_end(&w1) != KS_OK)
			abort();
		kj_record_begin(&w2, t, "x", NULL);
		kj_json(&w2, "v", v);
		if (kj_record_end(&w2) != KS_OK)
			abort();
		if (getenv("FUZZ_DEBUG"))
			fprintf(stderr, "w1=%s\nw2=%s\n", w1.buf.data, w2.buf.data);
		if (w1.buf.len != w2.buf.len ||
		    memcmp(w1.buf.data, w2.buf.data, w1.buf.len) != 0)
			abort();
		json_object_put(o2);
	}
	kj_writer_free(&w1);
	kj_writer_free(&w2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kj_lines l;
	struct kj_parser p;
	struct json_object *o;
	struct ks_err err;
	char *line;
	size_t len, off = 0, step;
	enum ks_status st;

	if (size == 0)
		return 0;
	/* The first byte picks the push size, so splits land anywhere. */
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	kj_lines_init(&l, 512);
	if (kj_parser_init(&p, 8) != KS_OK)
		abort();
	for (;;) {
		st = kj_lines_next(&l, &line, &len, off >= size);
		if (st == KS_EOF)
			break;
		if (st == KS_AGAIN) {
			size_t n = size - off < step ? size - off : step;

			if (n > kj_lines_room(&l))
				abort();
			if (kj_lines_push(&l, data + off, n) != KS_OK)
				abort();
			off += n;
			continue;
		}
		if (st != KS_OK)
			continue;
		if (len > 512)
			abort();
		if (kj_parse(&p, line, len, &o, &err) == KS_OK && o != NULL) {
			check_roundtrip(&p, o);
			json_object_put(o);
		}
	}
	kj_parser_free(&p);
	kj_lines_free(&l);
	return 0;
}
