#include <stdio.h>
#include <stdlib.h>

#include "core/utf8.h"
#include "report/cef.h"
#include "report/syslog.h"
#include "unit.h"

/* Hostile strings and their escaped forms, one table per format. */
static const struct {
	const char *in;
	size_t n;
	const char *header, *value;     /* CEF */
	const char *sd;                 /* RFC 5424 PARAM-VALUE */
} esc[] = {
	{ "plain", 5, "plain", "plain", "plain" },
	{ "a|b", 3, "a\\|b", "a|b", "a|b" },
	{ "a=b", 3, "a=b", "a\\=b", "a=b" },
	{ "a\\b", 3, "a\\\\b", "a\\\\b", "a\\\\b" },
	{ "a]b\"c", 5, "a]b\"c", "a]b\"c", "a\\]b\\\"c" },
	{ "l1\nl2\rx", 7, "l1\xef\xbf\xbdl2\xef\xbf\xbdx", "l1\\nl2\\rx",
	  "l1\xef\xbf\xbdl2\xef\xbf\xbdx" },
	{ "t\tnul\0!", 7, "t\xef\xbf\xbdnul\xef\xbf\xbd!",
	  "t\xef\xbf\xbdnul\xef\xbf\xbd!", "t\xef\xbf\xbdnul\xef\xbf\xbd!" },
	/* Bytes that are not UTF-8, DEL, a C1 control, valid UTF-8. */
	{ "caf\xe9\xff", 5, "caf\xef\xbf\xbd\xef\xbf\xbd",
	  "caf\xef\xbf\xbd\xef\xbf\xbd", "caf\xef\xbf\xbd\xef\xbf\xbd" },
	{ "x\x7fy\xc2\x85z", 6, "x\xef\xbf\xbdy\xef\xbf\xbdz",
	  "x\xef\xbf\xbdy\xef\xbf\xbdz", "x\xef\xbf\xbdy\xef\xbf\xbdz" },
	{ "\xc3\xa9\xe2\x82\xac", 5, "\xc3\xa9\xe2\x82\xac",
	  "\xc3\xa9\xe2\x82\xac", "\xc3\xa9\xe2\x82\xac" },
	/* Everything at once. */
	{ "|=\\]\n\xc3", 6, "\\|=\\\\]\xef\xbf\xbd\xef\xbf\xbd",
	  "|\\=\\\\]\\n\xef\xbf\xbd", "|=\\\\\\]\xef\xbf\xbd\xef\xbf\xbd" },
};

TEST(cef_and_syslog_escape_hostile_strings)
{
	struct ks_buf b;

	ks_buf_init(&b, KS_BUF_UNLIMITED);
	for (size_t i = 0; i < sizeof esc / sizeof esc[0]; i++) {
		ks_buf_reset(&b);
		CHECK_INT(kr_cef_header_escape(&b, esc[i].in, esc[i].n), KS_OK);
		if (b.len != strlen(esc[i].header) ||
		    memcmp(b.data, esc[i].header, b.len) != 0)
			ut_fail(__FILE__, __LINE__, "cef header %zu: %.*s", i,
				(int)b.len, (char *)b.data);
		ks_buf_reset(&b);
		CHECK_INT(kr_cef_value_escape(&b, esc[i].in, esc[i].n), KS_OK);
		if (b.len != strlen(esc[i].value) ||
		    memcmp(b.data, esc[i].value, b.len) != 0)
			ut_fail(__FILE__, __LINE__, "cef value %zu: %.*s", i,
				(int)b.len, (char *)b.data);
		ks_buf_reset(&b);
		CHECK_INT(kr_sd_escape(&b, esc[i].in, esc[i].n), KS_OK);
		if (b.len != strlen(esc[i].sd) ||
		    memcmp(b.data, esc[i].sd, b.len) != 0)
			ut_fail(__FILE__, __LINE__, "sd %zu: %.*s", i, (int)b.len,
				(char *)b.data);
		/* Whatever came in, what goes out is one line of UTF-8. */
		CHECK(ks_utf8_valid(b.data, b.len));
		CHECK(memchr(b.data, '\n', b.len) == NULL);
	}
	ks_buf_free(&b);
}

TEST(syslog_header_fields_and_facilities)
{
	struct ks_buf b;
	int f;

	ks_buf_init(&b, KS_BUF_UNLIMITED);
	CHECK_INT(kr_syslog_field(&b, "my host\xff]x", 10, 255), KS_OK);
	CHECK_STR((char *)b.data, "my_host_]x");
	ks_buf_reset(&b);
	kr_syslog_field(&b, "", 0, 48);
	CHECK_STR((char *)b.data, "-");
	ks_buf_reset(&b);
	kr_syslog_field(&b, "abcdef", 6, 4);
	CHECK_STR((char *)b.data, "abcd");
	CHECK_INT(kr_syslog_facility("local0", &f), 0);
	CHECK_INT(f, 16);
	CHECK_INT(kr_syslog_facility("AUTHPRIV", &f), 0);
	CHECK_INT(f, 10);
	CHECK_INT(kr_syslog_facility("23", &f), 0);
	CHECK_INT(f, 23);
	CHECK_INT(kr_syslog_facility("24", &f), -1);
	CHECK_INT(kr_syslog_facility("local8", &f), -1);
	ks_buf_free(&b);
}

static void event_of(struct kr_jdoc *d, struct kr_event *e, const char *l)
{
	struct ks_err err;

	if (kr_jdoc_parse(d, l, strlen(l), &err) != KS_OK)
		ut_fail(__FILE__, __LINE__, "%s", err.msg);
	kr_event_from_doc(e, d, l, strlen(l), "in", 1);
}

TEST(syslog_message_shape)
{
	struct kr_jdoc d;
	struct kr_event e;
	struct ks_buf b;
	struct kr_syslog_opts o = { 16, "svm1", 8192 };
	char want[2048], id[33];
	static const char l[] =
		"{\"timestamp\":\"2026-11-26T09:00:02.000000+0000\",\"event_type\":"
		"\"file\",\"program\":\"kfscan\",\"vm\":\"w\\\"1]\",\"file\":{\"path\":"
		"\"/x\"},\"verdict\":\"infected\",\"matches\":[{\"rule\":\"R\"}],"
		"\"action\":{\"taken\":\"quarantine\"}}";

	kr_jdoc_init(&d);
	kr_event_init(&e);
	ks_buf_init(&b, KS_BUF_UNLIMITED);
	event_of(&d, &e, l);
	CHECK_INT(kr_syslog_format(&b, &e, &o, NULL), KS_OK);
	snprintf(want, sizeof want,
		 "<131>1 2026-11-26T09:00:02.000000Z svm1 kfscan - file "
		 "[ksvm@32473 id=\"%s\" type=\"file\" severity=\"high\" "
		 "vm=\"w\\\"1\\]\" threat=\"R\" action=\"quarantine\" "
		 "verdict=\"infected\" path=\"/x\" category=\"malware\"] "
		 "\xef\xbb\xbf%s", kr_event_id_hex(&e, id), l);
	CHECK_STR((char *)b.data, want);
	kr_event_free(&e);
	kr_jdoc_free(&d);
	ks_buf_free(&b);
}

/* Is s[0..n) a prefix of a JSON text that ends between tokens or inside a
 * string but never inside an escape or a UTF-8 character? */
static int clean_cut(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s[i] == '\\') {
			size_t k = s[i + 1] == 'u' ? 6 : 2;

			if (i + k > n)
				return 0;
			i += k;
			continue;
		}
		i++;
	}
	return ks_utf8_valid((const uint8_t *)s, n);
}

TEST(syslog_messages_stay_under_the_size_and_say_what_was_cut)
{
	struct kr_jdoc d;
	struct kr_event e;
	struct ks_buf b, line;
	char id[33];

	kr_jdoc_init(&d);
	kr_event_init(&e);
	ks_buf_init(&b, KS_BUF_UNLIMITED);
	ks_buf_init(&line, KS_BUF_UNLIMITED);
	/* A long path of escapes and multi-byte characters. */
	ks_buf_puts(&line, "{\"timestamp\":\"2026-11-26T09:00:02.000000+0000\","
			   "\"event_type\":\"file\",\"program\":\"kfscan\","
			   "\"file\":{\"path\":\"");
	for (int i = 0; i < 3000; i++)
		ks_buf_puts(&line, i % 3 == 0 ? "\\u0001" : i % 3 == 1 ?
			    "\xc3\xa9" : "\\\"");
	ks_buf_puts(&line, "\"},\"verdict\":\"clean\"}");
	event_of(&d, &e, (char *)line.data);
	kr_event_id_hex(&e, id);
	for (size_t max = 480; max <= 9000; max += 211) {
		struct kr_syslog_opts o = { 16, "svm1", max };
		const char *bom, *msg;

		ks_buf_reset(&b);
		REQUIRE(kr_syslog_format(&b, &e, &o, NULL) == KS_OK);
		if (b.len > max)
			ut_fail(__FILE__, __LINE__, "%zu bytes over %zu", b.len,
				max);
		CHECK(ks_utf8_valid(b.data, b.len));
		CHECK(memchr(b.data, '\n', b.len) == NULL);
		/* The id and the severity survive every cut. */
		CHECK(strstr((char *)b.data, id) != NULL);
		CHECK(strstr((char *)b.data, "severity=\"info\"") != NULL);
		CHECK(strstr((char *)b.data, "truncated=\"") != NULL);
		bom = strstr((char *)b.data, "\xef\xbb\xbf");
		if (bom != NULL) {
			msg = bom + 3;
			CHECK(clean_cut(msg, b.len - (size_t)(msg - (char *)b.data)));
			CHECK(strstr((char *)b.data, "truncated=\"msg") != NULL);
		}
		/* A short limit drops the message and cuts the path. */
		if (max < 1000)
			CHECK(strstr((char *)b.data, "path") == NULL ||
			      strstr((char *)b.data, ",path") != NULL ||
			      strstr((char *)b.data, "\"path") != NULL);
	}
	/* Big enough: nothing is cut. */
	{
		struct kr_syslog_opts o = { 16, "svm1", 65000 };

		ks_buf_reset(&b);
		REQUIRE(kr_syslog_format(&b, &e, &o, NULL) == KS_OK);
		CHECK(strstr((char *)b.data, "truncated") == NULL);
	}
	kr_event_free(&e);
	kr_jdoc_free(&d);
	ks_buf_free(&b);
	ks_buf_free(&line);
}

TEST(cef_line_shape_and_addresses)
{
	struct kr_jdoc d;
	struct kr_event e;
	struct ks_buf b;
	struct kr_cef_opts o = { "9.9", "svm1" };
	char want[2048], id[33];
	static const char l[] =
		"{\"timestamp\":\"2026-11-26T09:10:00.123456+0000\",\"event_type\":"
		"\"alert\",\"program\":\"knetscan\",\"src_ip\":\"10.0.0.5\","
		"\"src_port\":1,\"dest_ip\":\"not an address\",\"dest_port\":80,"
		"\"proto\":\"TCP\",\"alert\":{\"signature\":\"A|B=C\","
		"\"signature_id\":5,\"category\":\"x=y\",\"severity\":1,"
		"\"action\":\"blocked\"}}";

	kr_jdoc_init(&d);
	kr_event_init(&e);
	ks_buf_init(&b, KS_BUF_UNLIMITED);
	event_of(&d, &e, l);
	CHECK_INT(kr_cef_format(&b, &e, &o), KS_OK);
	snprintf(want, sizeof want,
		 "CEF:0|ksvm|knetscan|9.9|5|A\\|B=C|8|rt=1795684200123 "
		 "externalId=%s cat=x\\=y act=blocked dvchost=svm1 "
		 "cs2Label=eventType cs2=alert src=10.0.0.5 spt=1 "
		 "dhost=not an address dpt=80 proto=TCP cn2Label=signatureId "
		 "cn2=5\n", kr_event_id_hex(&e, id));
	CHECK_STR((char *)b.data, want);
	kr_event_free(&e);
	kr_jdoc_free(&d);
	ks_buf_free(&b);
}
