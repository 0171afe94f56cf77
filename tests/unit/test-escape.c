#include <stdlib.h>

#include "core/utf8.h"
#include "json/escape.h"
#include "json/reader.h"
#include "json/writer.h"
#include "unit.h"

static char *esc(const void *s, size_t n)
{
	struct ks_buf b;

	ks_buf_init(&b, KS_BUF_UNLIMITED);
	if (kj_escape(&b, s, n) != KS_OK)
		return NULL;
	return (char *)ks_buf_steal(&b, NULL);
}

#define CHECK_ESC(in, want)                                               \
	do {                                                              \
		char *got = esc(in, sizeof(in) - 1);                      \
		CHECK_STR(got, want);                                     \
		free(got);                                                \
	} while (0)

TEST(escape_table)
{
	CHECK_ESC("", "\"\"");
	CHECK_ESC("plain text", "\"plain text\"");
	CHECK_ESC("a\"b\\c", "\"a\\\"b\\\\c\"");
	CHECK_ESC("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	CHECK_ESC("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	CHECK_ESC("nul\0in", "\"nul\\u0000in\"");
	/* Valid UTF-8 stays as it is ... */
	CHECK_ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa9",
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa9\"");
	/* ... except C1 controls and the JavaScript line separators. */
	CHECK_ESC("\xc2\x85|\xe2\x80\xa8|\xe2\x80\xa9",
		  "\"\\u0085|\\u2028|\\u2029\"");
	/* Each byte outside valid UTF-8 becomes \udcXX. */
	CHECK_ESC("\xe9t\xe9", "\"\\udce9t\\udce9\"");
	CHECK_ESC("\xff\xfe", "\"\\udcff\\udcfe\"");
	CHECK_ESC("\xc0\xaf", "\"\\udcc0\\udcaf\"");         /* overlong */
	CHECK_ESC("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\""); /* surrogate */
	CHECK_ESC("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"");
	CHECK_ESC("\xe2\x82", "\"\\udce2\\udc82\"");         /* cut short */
	/* Windows paths keep their backslashes readable (doubled by JSON). */
	CHECK_ESC("C:\\Windows\\x64", "\"C:\\\\Windows\\\\x64\"");
}

/* Escape, wrap in a record, parse back with the project's reader: the
 * bytes must come back exactly. */
static void roundtrip(const char *file, int line, const void *s, size_t n)
{
	struct kj_writer w;
	struct kj_parser p;
	struct json_object *o = NULL, *v;
	char *text;
	size_t len;
	struct ks_err err;

	kj_writer_init(&w, 0);
	kj_record_begin(&w, (struct ks_time){ 0, 0 }, "file", "test");
	kj_obj_open(&w, "file");
	kj_strn(&w, "path", s, n);
	kj_obj_close(&w);
	if (kj_record_end(&w) != KS_OK) {
		ut_fail(file, line, "record not written");
		kj_writer_free(&w);
		return;
	}
	/* The record is one line of valid UTF-8. */
	len = w.buf.len;
	if (memchr(w.buf.data, '\n', len - 1) != NULL ||
	    w.buf.data[len - 1] != '\n' || !ks_utf8_valid(w.buf.data, len))
		ut_fail(file, line, "record is not one UTF-8 line");
	text = (char *)w.buf.data;
	kj_parser_init(&p, 0);
	if (kj_parse(&p, text, len - 1, &o, &err) != KS_OK || o == NULL) {
		ut_fail(file, line, "reparse failed: %s", err.msg);
	} else if (!json_object_object_get_ex(o, "file", &v) ||
		   !json_object_object_get_ex(v, "path", &v)) {
		ut_fail(file, line, "field missing");
	} else if ((size_t)json_object_get_string_len(v) != n ||
		   memcmp(json_object_get_string(v), s, n) != 0) {
		ut_fail(file, line, "bytes differ after the round trip");
	}
	json_object_put(o);
	kj_parser_free(&p);
	kj_writer_free(&w);
}

#define ROUNDTRIP(s) roundtrip(__FILE__, __LINE__, s, sizeof(s) - 1)

TEST(escape_roundtrip_examples)
{
	ROUNDTRIP("/home/u/report.pdf");
	ROUNDTRIP("/tmp/new\nline.exe");                /* newline in a name */
	ROUNDTRIP("/tmp/\xe9t\xe9.txt");                /* Latin-1 name */
	ROUNDTRIP("/tmp/\x01\x02\x1b[31m.sh");          /* control bytes */
	ROUNDTRIP("/tmp/\xff\xfe\xfd");
	ROUNDTRIP("C:\\Users\\x86\\\\udce9.txt");       /* looks like an escape */
	ROUNDTRIP("\xed\xb3\xa9");                      /* UTF-8 of U+DCE9 */
	ROUNDTRIP("\xf0\x9f\x93\xa9 \xf0\x9f");         /* emoji, then cut */
	ROUNDTRIP("quote\" back\\ slash");
	ROUNDTRIP("\xc2\x85\xe2\x80\xa8");
	ROUNDTRIP("");
}

TEST(escape_roundtrip_all_bytes)
{
	uint8_t s[512];
	uint32_t x = 12345;

	/* Every byte value once, then pseudo-random strings. */
	for (int i = 0; i < 256; i++)
		s[i] = (uint8_t)i;
	roundtrip(__FILE__, __LINE__, s, 256);
	for (int k = 0; k < 2000 && !ut_failed_now(); k++) {
		size_t n = (size_t)(k % 40);

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			/* Bias towards the interesting bytes. */
			s[i] = (uint8_t)(x >> 16);
			if ((x >> 8 & 3) == 0)
				s[i] = "\\\"u\n\xed\xdc\xc3\xa9"[x >> 4 & 7];
		}
		roundtrip(__FILE__, __LINE__, s, n);
	}
}

TEST(surrogates_to_bytes_only_inside_strings)
{
	char t1[] = "{\"a\":\"x\\udce9y\"}";
	char t2[] = "{\"a\":\"\\\\udce9\"}";     /* escaped backslash: text */
	char t3[] = "{\"a\":\"\\ud83d\\udce9\"}"; /* a real surrogate pair */
	char t4[] = "{\"a\":\"\\udc41\\uDCFF\"}"; /* below 0x80 stays */
	size_t n;

	n = strlen(t1);
	CHECK_INT(kj_surrogates_to_bytes(t1, &n), 1);
	CHECK_MEM(t1, n, "{\"a\":\"x\xe9y\"}", 11);
	n = strlen(t2);
	CHECK_INT(kj_surrogates_to_bytes(t2, &n), 0);
	CHECK_INT(n, strlen(t2));
	n = strlen(t3);
	CHECK_INT(kj_surrogates_to_bytes(t3, &n), 0);
	n = strlen(t4);
	CHECK_INT(kj_surrogates_to_bytes(t4, &n), 1);
	CHECK_MEM(t4, n, "{\"a\":\"\\udc41\xff\"}", 15);
}
