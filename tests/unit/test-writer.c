#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "json/reader.h"
#include "json/writer.h"
#include "unit.h"

static const struct ks_time t0 = { 1795683804, 42 };

TEST(writer_record_shape)
{
	struct kj_writer w;

	kj_writer_init(&w, 0);
	kj_record_begin(&w, t0, "file", "kfscan");
	kj_obj_open(&w, "file");
	kj_str(&w, "path", "/a b");
	kj_uint(&w, "size", 12);
	kj_obj_close(&w);
	kj_arr_open(&w, "rules");
	kj_str(&w, NULL, "r1");
	kj_int(&w, NULL, -3);
	kj_bool(&w, NULL, 1);
	kj_null(&w, NULL);
	kj_double(&w, NULL, 0.5);
	kj_arr_close(&w);
	kj_str(&w, "missing", NULL);
	CHECK_INT(kj_record_end(&w), KS_OK);
	CHECK_STR((char *)w.buf.data,
		  "{\"timestamp\":\"2026-11-26T09:03:24.000042+0000\","
		  "\"event_type\":\"file\",\"program\":\"kfscan\","
		  "\"file\":{\"path\":\"/a b\",\"size\":12},"
		  "\"rules\":[\"r1\",-3,true,null,0.5],\"missing\":null}\n");
	CHECK_INT(w.records, 1);
	kj_writer_free(&w);
}

TEST(writer_program_may_be_left_out)
{
	struct kj_writer w;

	kj_writer_init(&w, 0);
	kj_record_begin(&w, t0, "alert", NULL);
	CHECK_INT(kj_record_end(&w), KS_OK);
	CHECK_STR((char *)w.buf.data,
		  "{\"timestamp\":\"2026-11-26T09:03:24.000042+0000\","
		  "\"event_type\":\"alert\"}\n");
	kj_writer_free(&w);
}

TEST(writer_oversized_record_is_dropped_whole)
{
	struct kj_writer w;
	char big[300];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	kj_writer_init(&w, 256);
	kj_record_begin(&w, t0, "file", "t");
	CHECK_INT(kj_record_end(&w), KS_OK);
	size_t first = w.buf.len;
	kj_record_begin(&w, t0, "file", "t");
	kj_str(&w, "big", big);
	kj_int(&w, "after", 1);
	CHECK_INT(kj_record_end(&w), KS_ERR_LIMIT);
	/* The first record is intact, nothing of the second remains. */
	CHECK_INT(w.buf.len, first);
	CHECK_INT(w.records, 1);
	/* The writer is usable again. */
	kj_record_begin(&w, t0, "file", "t");
	CHECK_INT(kj_record_end(&w), KS_OK);
	CHECK_INT(w.records, 2);
	kj_writer_free(&w);
}

TEST(writer_depth_cap_and_misuse)
{
	struct kj_writer w;

	kj_writer_init(&w, 0);
	kj_record_begin(&w, t0, "x", NULL);
	for (int i = 0; i < KJ_MAX_DEPTH + 2; i++)
		kj_arr_open(&w, i == 0 ? "deep" : NULL);
	CHECK_INT(kj_record_end(&w), KS_ERR_LIMIT);
	CHECK_INT(w.buf.len, 0);

	kj_record_begin(&w, t0, "x", NULL);
	kj_obj_open(&w, "unclosed");
	CHECK_INT(kj_record_end(&w), KS_ERR_INTERNAL);
	CHECK_INT(w.buf.len, 0);
	kj_writer_free(&w);
}

TEST(writer_json_passthrough_reescapes)
{
	struct kj_writer w;
	struct kj_parser p;
	struct json_object *o;
	char in[] = "{\"k\\n\":\"\\udce9\",\"n\":[1,-2,18446744073709551615,"
		    "1.25,false,null,{}]}";
	struct ks_err err;

	kj_parser_init(&p, 0);
	REQUIRE(kj_parse(&p, in, strlen(in), &o, &err) == KS_OK);
	kj_writer_init(&w, 0);
	kj_record_begin(&w, t0, "x", NULL);
	kj_json(&w, "v", o);
	CHECK_INT(kj_record_end(&w), KS_OK);
	CHECK(strstr((char *)w.buf.data,
		     "\"v\":{\"k\\n\":\"\\udce9\",\"n\":[1,-2,"
		     "18446744073709551615,1.25,false,null,{}]}}") != NULL);
	json_object_put(o);
	kj_parser_free(&p);
	kj_writer_free(&w);
}

TEST(writer_error_record)
{
	struct kj_writer w;

	kj_writer_init(&w, 0);
	kj_error_record(&w, "kreport", "in.jsonl", 7, KS_ERR_INVALID,
			"unexpected data");
	CHECK(strstr((char *)w.buf.data,
		     "\"event_type\":\"error\",\"program\":\"kreport\","
		     "\"error\":{\"input\":\"in.jsonl\",\"line\":7,"
		     "\"kind\":\"invalid\",\"message\":\"unexpected data\"}}\n") != NULL);
	kj_writer_free(&w);
}

TEST(writer_flush_reports_closed_pipe)
{
	struct kj_writer w;
	struct ks_out out;
	struct ks_err err;
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	REQUIRE(pipe(fds) == 0);
	close(fds[0]);
	ks_out_fd(&out, fds[1], "pipe");
	kj_writer_init(&w, 0);
	kj_record_begin(&w, t0, "x", NULL);
	kj_record_end(&w);
	CHECK_INT(kj_flush(&w, &out, &err), KS_ERR_IO);
	CHECK(strstr(err.msg, "Broken pipe") != NULL);
	CHECK_INT(w.buf.len, 0);
	/* Later writes fail at once. */
	kj_record_begin(&w, t0, "x", NULL);
	kj_record_end(&w);
	CHECK_INT(kj_flush(&w, &out, &err), KS_ERR_IO);
	CHECK_INT(ks_out_close(&out, &err), KS_ERR_IO);
	close(fds[1]);
	kj_writer_free(&w);
}
