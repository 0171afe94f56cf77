#include <stdio.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "json/reader.h"
#include "unit.h"

/* Feed `in` through a pipe to a reader and collect one letter per result:
 * 'o' object, 'E' invalid, 'L' limit, with the line numbers. */
static void run(const char *in, size_t n, const struct kj_reader_opts *o,
		char *kinds, uint64_t *lines, size_t max)
{
	int fds[2];
	struct kj_reader r;
	struct json_object *obj;
	struct ks_err err;
	size_t k = 0;
	FILE *f;

	if (pipe(fds) != 0)
		return;
	/* Write from a child so that inputs larger than the pipe work. */
	if (fork() == 0) {
		close(fds[0]);
		f = fdopen(fds[1], "w");
		fwrite(in, 1, n, f);
		fclose(f);
		_exit(0);
	}
	close(fds[1]);
	kj_reader_init(&r, fds[0], o, &err);
	for (;;) {
		enum ks_status st = kj_reader_next(&r, &obj, &err);

		if (st == KS_EOF || k + 1 >= max)
			break;
		lines[k] = kj_reader_line(&r);
		kinds[k++] = st == KS_OK ? 'o' : st == KS_ERR_LIMIT ? 'L' :
			     st == KS_ERR_INVALID ? 'E' : '?';
		json_object_put(obj);
	}
	kinds[k] = '\0';
	kj_reader_free(&r);
	close(fds[0]);
	while (wait(NULL) > 0)
		;
}

#define IN(s) s, sizeof(s) - 1

TEST(reader_good_bad_and_blank_lines)
{
	char kinds[32];
	uint64_t lines[32];

	run(IN("{\"a\":1}\n"
	       "not json\n"
	       "\n"
	       "   \r\n"
	       "{\"b\":[1,2,{\"c\":null}]}\r\n"
	       "[1,2]\n"
	       "{\"a\":1} {\"b\":2}\n"
	       "{\"a\":1,}\n"
	       "{\"x\":\"unterminated\n"
	       "{\"last\":true}"),
	    NULL, kinds, lines, 32);
	CHECK_STR(kinds, "oEoEEEEo");
	CHECK_INT(lines[0], 1);
	CHECK_INT(lines[1], 2);
	CHECK_INT(lines[2], 5);
	CHECK_INT(lines[3], 6);
	CHECK_INT(lines[7], 10);
}

TEST(reader_refuses_nul_and_bad_utf8)
{
	char kinds[8];
	uint64_t lines[8];

	run(IN("{\"a\":\"x\0y\"}\n{\"a\":\"\xe9\"}\n{\"a\":\"\\u0000\"}\n"),
	    NULL, kinds, lines, 8);
	CHECK_STR(kinds, "EEo");
}

TEST(reader_line_cap)
{
	struct kj_reader_opts o = { .max_line = 16, .max_depth = 0 };
	char kinds[8];
	uint64_t lines[8];

	/* 16 bytes fits, 17 does not; the line after a long one is read. */
	run(IN("{\"a\":\"12345678\"}\n"
	       "{\"a\":\"123456789\"}\n"
	       "{\"b\":2}\n"),
	    &o, kinds, lines, 8);
	CHECK_STR(kinds, "oLo");
	CHECK_INT(lines[1], 2);
	CHECK_INT(lines[2], 3);
}

TEST(reader_huge_line_is_dropped_whole)
{
	struct kj_reader_opts o = { .max_line = 1000, .max_depth = 0 };
	size_t n = 300000;
	char *in = malloc(n + 64);
	char kinds[8];
	uint64_t lines[8];

	REQUIRE(in != NULL);
	memcpy(in, "{\"a\":\"", 6);
	memset(in + 6, 'x', n);
	memcpy(in + 6 + n, "\"}\n{\"ok\":1}\n{\"tail", 19);
	run(in, n + 24, &o, kinds, lines, 8);
	CHECK_STR(kinds, "LoE");
	CHECK_INT(lines[1], 2);
	free(in);
}

TEST(reader_depth_cap)
{
	struct kj_reader_opts o = { .max_line = 0, .max_depth = 4 };
	char kinds[8];
	uint64_t lines[8];

	run(IN("{\"a\":{\"b\":{\"c\":1}}}\n"
	       "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}\n"),
	    &o, kinds, lines, 8);
	CHECK_STR(kinds, "oL");
}

TEST(lines_split_across_pushes)
{
	struct kj_lines l;
	char *line;
	size_t len;
	const char *in = "{\"a\":1}\n{\"b\":2}\n{\"c\"";

	kj_lines_init(&l, 64);
	/* One byte at a time: lines come out whole, in order. */
	for (size_t i = 0; in[i] != '\0'; i++) {
		REQUIRE(kj_lines_push(&l, in + i, 1) == KS_OK);
		if (in[i] == '\n') {
			REQUIRE(kj_lines_next(&l, &line, &len, 0) == KS_OK);
			CHECK_INT(len, 7);
		}
		CHECK_INT(kj_lines_next(&l, &line, &len, 0), KS_AGAIN);
	}
	CHECK_INT(l.line_no, 2);
	REQUIRE(kj_lines_next(&l, &line, &len, 1) == KS_OK);
	CHECK_MEM(line, len, "{\"c\"", 4);
	CHECK_INT(kj_lines_next(&l, &line, &len, 1), KS_EOF);
	kj_lines_free(&l);
}

TEST(parse_reports_column)
{
	struct kj_parser p;
	struct json_object *o;
	struct ks_err err;
	char bad[] = "{\"a\":1} x";
	char bad2[] = "{\"a\":tru}";

	kj_parser_init(&p, 0);
	CHECK_INT(kj_parse(&p, bad, strlen(bad), &o, &err), KS_ERR_INVALID);
	CHECK(strstr(err.msg, "column 9") != NULL);
	CHECK_INT(kj_parse(&p, bad2, strlen(bad2), &o, &err), KS_ERR_INVALID);
	CHECK(o == NULL);
	kj_parser_free(&p);
}

/* A line that breaks off inside a surrogate pair must not change how the
 * next line is read (json-c keeps the half pair across a reset). */
TEST(parse_state_does_not_leak_after_broken_surrogate)
{
	struct kj_parser p;
	struct json_object *o, *v;
	struct ks_err err;
	char bad[] = "{\"e\":\"\\ud83d\\ud:\"}";
	char good[] = "{\"b\":\"d\\u000b\"}";

	kj_parser_init(&p, 0);
	CHECK_INT(kj_parse(&p, bad, strlen(bad), &o, &err), KS_ERR_INVALID);
	REQUIRE(kj_parse(&p, good, strlen(good), &o, &err) == KS_OK);
	REQUIRE(json_object_object_get_ex(o, "b", &v));
	CHECK_MEM(json_object_get_string(v),
		  (size_t)json_object_get_string_len(v), "d\x0b", 2);
	json_object_put(o);
	kj_parser_free(&p);
}

/* Asking for a line before anything was pushed is fine (no buffer yet). */
TEST(lines_next_before_any_push)
{
	struct kj_lines l;
	char *line;
	size_t len;

	kj_lines_init(&l, 16);
	CHECK_INT(kj_lines_next(&l, &line, &len, 0), KS_AGAIN);
	CHECK_INT(kj_lines_next(&l, &line, &len, 1), KS_EOF);
	kj_lines_free(&l);
}
