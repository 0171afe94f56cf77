#include <stdio.h>
#include <stdlib.h>

#include "json/reader.h"
#include "report/jdoc.h"
#include "unit.h"

/* Lines and whether the scanner (and every ksvm reader) accepts them. */
static const struct {
	const char *line;
	int ok;            /* 1 accepted, 0 refused, 2 blank */
	enum ks_status st; /* the refusal */
} cases[] = {
	{ "{}", 1, KS_OK },
	{ "  {\"a\":1}  \r", 1, KS_OK },
	{ "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false}", 1, KS_OK },
	{ "{\"a\":[]}", 1, KS_OK },
	{ "{\"a\":[ ]}", 1, KS_OK },
	{ "{\"a\":{}}", 1, KS_OK },
	{ "{\"n\":-0.5e+10,\"m\":0,\"k\":-12,\"e\":1E3}", 1, KS_OK },
	{ "{\"s\":\"\\u00e9\\n\\t\\\"\\\\\\/\"}", 1, KS_OK },
	{ "{\"s\":\"caf\xc3\xa9\"}", 1, KS_OK },
	{ "", 2, KS_OK },
	{ "   \t", 2, KS_OK },
	{ "[1,2]", 0, KS_ERR_INVALID },
	{ "\"x\"", 0, KS_ERR_INVALID },
	{ "{", 0, KS_ERR_INVALID },
	{ "{\"a\":1", 0, KS_ERR_INVALID },
	{ "{\"a\":1,}", 0, KS_ERR_INVALID },
	{ "{\"a\":01}", 0, KS_ERR_INVALID },
	{ "{\"a\":1.}", 0, KS_ERR_INVALID },
	{ "{\"a\":-}", 0, KS_ERR_INVALID },
	{ "{\"a\":NaN}", 0, KS_ERR_INVALID },
	{ "{'a':1}", 0, KS_ERR_INVALID },
	{ "{\"a\":1}x", 0, KS_ERR_INVALID },
	{ "{\"a\":1}{}", 0, KS_ERR_INVALID },
	{ "{\"a\":tru}", 0, KS_ERR_INVALID },
	{ "{\"a\":\"\\x\"}", 0, KS_ERR_INVALID },
	{ "{\"a\":\"\\u12g4\"}", 0, KS_ERR_INVALID },
	{ "{\"a\":\"tab\there\"}", 0, KS_ERR_INVALID },
	{ "{\"a\":\"\xff\"}", 0, KS_ERR_INVALID },
	{ "{\"a\":\"\xc0\xaf\"}", 0, KS_ERR_INVALID },
	{ "{\"a\":[1}", 0, KS_ERR_INVALID },
	{ "{\"a\":{\"b\":1]}", 0, KS_ERR_INVALID },
	{ "{\"a\" 1}", 0, KS_ERR_INVALID },
	{ "{1:2}", 0, KS_ERR_INVALID },
	{ "{\"a\":1 /* c */}", 0, KS_ERR_INVALID },
};

TEST(jdoc_accepts_what_the_ksvm_readers_accept)
{
	struct kr_jdoc d;
	struct kj_parser kp;
	struct ks_err err;

	kr_jdoc_init(&d);
	REQUIRE(kj_parser_init(&kp, 32) == KS_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].line);
		char *a = strdup(cases[i].line), *b = strdup(cases[i].line);
		struct json_object *o = NULL;
		enum ks_status st = kr_jdoc_parse(&d, a, n, &err);
		enum ks_status ref = kj_parse(&kp, b, n, &o, &err);

		if (cases[i].ok == 0) {
			if (st != cases[i].st)
				ut_fail(__FILE__, __LINE__, "case %zu (%s): %s",
					i, cases[i].line, ks_status_name(st));
		} else {
			if (st != KS_OK ||
			    (cases[i].ok == 2) != (d.ntok == 0))
				ut_fail(__FILE__, __LINE__, "case %zu (%s): %s",
					i, cases[i].line, ks_status_name(st));
		}
		/* Never more lenient than the project's json-c reader
		 * (which lets through 1., NaN, single quotes and raw
		 * control characters in strings; kreport refuses them, as
		 * RFC 8259 does). */
		if (st == KS_OK && ref != KS_OK)
			ut_fail(__FILE__, __LINE__, "case %zu (%s): kj_parse "
				"refuses it", i, cases[i].line);
		json_object_put(o);
		free(a);
		free(b);
	}
	kj_parser_free(&kp);
	kr_jdoc_free(&d);
}

TEST(jdoc_nesting_and_token_caps)
{
	struct kr_jdoc d;
	struct ks_err err;
	char line[200];
	size_t k = 0;

	kr_jdoc_init(&d);
	/* 32 levels are allowed, 33 are not. */
	for (int depth = 32; depth <= 33; depth++) {
		k = 0;
		for (int i = 0; i < depth; i++)
			k += (size_t)sprintf(line + k, "%s", i ? "[" : "{\"a\":");
		line[k++] = '1';
		for (int i = depth - 1; i >= 0; i--)
			line[k++] = i ? ']' : '}';
		line[k] = '\0';
		CHECK_INT(kr_jdoc_parse(&d, line, k, &err),
			  depth == 32 ? KS_OK : KS_ERR_LIMIT);
	}
	d.max_tokens = 5;
	CHECK_INT(kr_jdoc_parse(&d, "{\"a\":[1,2]}", 11, &err), KS_OK);
	CHECK_INT(kr_jdoc_parse(&d, "{\"a\":[1,2,3]}", 13, &err), KS_ERR_LIMIT);
	CHECK(strstr(err.msg, "more than 5 values") != NULL);
	kr_jdoc_free(&d);
}

TEST(jdoc_lookups_skip_subtrees_and_last_key_wins)
{
	struct kr_jdoc d;
	struct ks_err err;
	struct ks_arena a;
	struct kr_str s;
	int64_t v;
	static const char line[] =
		"{\"file\":{\"path\":\"/x\",\"m\":[{\"path\":\"no\"}]},"
		"\"n\":7,\"n\":8,\"big\":9223372036854775808,"
		"\"neg\":-9223372036854775808,\"f\":1.5,\"\\u0076m\":\"w\"}";

	kr_jdoc_init(&d);
	ks_arena_init(&a, 1 << 16);
	REQUIRE(kr_jdoc_parse(&d, line, sizeof line - 1, &err) == KS_OK);
	CHECK_INT(kr_jstr(&d, kr_jpath(&d, 0, "file", "path", NULL), &a, &s), 0);
	CHECK_MEM(s.p, s.n, "/x", 2);
	CHECK_INT(kr_jpath(&d, 0, "path", NULL), KR_JNONE);
	CHECK_INT(kr_jint(&d, kr_jget(&d, 0, "n"), &v), 0);
	CHECK_INT(v, 8);
	CHECK_INT(kr_jint(&d, kr_jget(&d, 0, "big"), &v), -1);
	CHECK_INT(kr_jint(&d, kr_jget(&d, 0, "neg"), &v), 0);
	CHECK(v == INT64_MIN);
	CHECK_INT(kr_jint(&d, kr_jget(&d, 0, "f"), &v), -1);
	/* A key written with an escape names the same member. */
	CHECK_INT(kr_jstr(&d, kr_jget(&d, 0, "vm"), &a, &s), 0);
	CHECK_MEM(s.p, s.n, "w", 1);
	CHECK_INT(kr_jcount(&d, 0), 7);
	CHECK_INT(kr_jcount(&d, kr_jpath(&d, 0, "file", "m", NULL)), 1);
	/* A missing container gives nothing, never the root. */
	CHECK_INT(kr_jget(&d, kr_jget(&d, 0, "none"), "n"), KR_JNONE);
	CHECK_INT(kr_jfirst(&d, KR_JNONE), KR_JNONE);
	ks_arena_free(&a);
	kr_jdoc_free(&d);
}

TEST(jdoc_strings_decode_escapes_and_raw_bytes)
{
	struct kr_jdoc d;
	struct ks_err err;
	struct ks_arena a;
	struct kr_str s;
	static const char line[] =
		"{\"a\":\"caf\\udce9\",\"b\":\"\\ud83d\\ude00\",\"c\":\"x\\u0000y\","
		"\"d\":\"\\ud800z\",\"e\":\"\\udc41\",\"f\":\"\\udce9\\udcff\"}";

	kr_jdoc_init(&d);
	ks_arena_init(&a, 1 << 16);
	REQUIRE(kr_jdoc_parse(&d, line, sizeof line - 1, &err) == KS_OK);
	kr_jstr(&d, kr_jget(&d, 0, "a"), &a, &s);
	CHECK_MEM(s.p, s.n, "caf\xe9", 4);
	kr_jstr(&d, kr_jget(&d, 0, "b"), &a, &s);
	CHECK_MEM(s.p, s.n, "\xf0\x9f\x98\x80", 4);
	kr_jstr(&d, kr_jget(&d, 0, "c"), &a, &s);
	CHECK_MEM(s.p, s.n, "x\0y", 3);
	kr_jstr(&d, kr_jget(&d, 0, "d"), &a, &s);
	CHECK_MEM(s.p, s.n, "\xef\xbf\xbdz", 4);
	kr_jstr(&d, kr_jget(&d, 0, "e"), &a, &s);
	CHECK_MEM(s.p, s.n, "\xef\xbf\xbd", 3);
	kr_jstr(&d, kr_jget(&d, 0, "f"), &a, &s);
	CHECK_MEM(s.p, s.n, "\xe9\xff", 2);
	CHECK_INT(kr_jstr(&d, 0, &a, &s), -1);
	ks_arena_free(&a);
	kr_jdoc_free(&d);
}
