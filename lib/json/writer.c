#include "json/writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/escape.h"

void kj_writer_init(struct kj_writer *w, size_t max_record)
{
	memset(w, 0, sizeof *w);
	ks_buf_init(&w->buf, max_record ? max_record : KJ_DEFAULT_MAX_RECORD);
}

void kj_writer_free(struct kj_writer *w)
{
	ks_buf_free(&w->buf);
}

static void fail(struct kj_writer *w, enum ks_status st)
{
	if (w->st == KS_OK)
		w->st = st;
}

static void put(struct kj_writer *w, const char *s, size_t n)
{
	enum ks_status st;

	if (w->st != KS_OK)
		return;
	st = ks_buf_append(&w->buf, s, n);
	if (st != KS_OK)
		fail(w, st);
}

/* The separator and key that come before every value. */
static void member(struct kj_writer *w, const char *key)
{
	enum ks_status st;

	if (w->st != KS_OK)
		return;
	if (w->depth == 0) {
		/* Only kj_record_json writes a value at the top level. */
		if (key != NULL || w->buf.len != w->record_start)
			fail(w, KS_ERR_INTERNAL);
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = 0;
	if (key != NULL) {
		st = kj_escape_cstr(&w->buf, key);
		if (st != KS_OK)
			fail(w, st);
		put(w, ":", 1);
	}
}

static void open_container(struct kj_writer *w, const char *key, char c)
{
	member(w, key);
	if (w->depth >= KJ_MAX_DEPTH) {
		fail(w, KS_ERR_LIMIT);
		return;
	}
	put(w, &c, 1);
	w->first[++w->depth] = 1;
}

static void close_container(struct kj_writer *w, char c)
{
	if (w->depth == 0) {
		fail(w, KS_ERR_INTERNAL);
		return;
	}
	w->depth--;
	put(w, &c, 1);
}

void kj_obj_open(struct kj_writer *w, const char *key)
{
	open_container(w, key, '{');
}

void kj_obj_close(struct kj_writer *w)
{
	close_container(w, '}');
}

void kj_arr_open(struct kj_writer *w, const char *key)
{
	open_container(w, key, '[');
}

void kj_arr_close(struct kj_writer *w)
{
	close_container(w, ']');
}

void kj_strn(struct kj_writer *w, const char *key, const void *s, size_t n)
{
	enum ks_status st;

	member(w, key);
	if (w->st != KS_OK)
		return;
	if (s == NULL) {
		put(w, "null", 4);
		return;
	}
	st = kj_escape(&w->buf, s, n);
	if (st != KS_OK)
		fail(w, st);
}

void kj_str(struct kj_writer *w, const char *key, const char *s)
{
	kj_strn(w, key, s, s != NULL ? strlen(s) : 0);
}

void kj_int(struct kj_writer *w, const char *key, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);

	member(w, key);
	put(w, tmp, (size_t)n);
}

void kj_uint(struct kj_writer *w, const char *key, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);

	member(w, key);
	put(w, tmp, (size_t)n);
}

void kj_double(struct kj_writer *w, const char *key, double v)
{
	char tmp[40];
	int n;

	member(w, key);
	if (!isfinite(v)) {
		put(w, "null", 4);
		return;
	}
	n = snprintf(tmp, sizeof tmp, "%.17g", v);
	/* Use the shortest form that reads back to the same double. */
	for (int prec = 1; prec < 17; prec++) {
		char t2[40];
		int n2 = snprintf(t2, sizeof t2, "%.*g", prec, v);

		if (strtod(t2, NULL) == v) {
			memcpy(tmp, t2, (size_t)n2 + 1);
			n = n2;
			break;
		}
	}
	put(w, tmp, (size_t)n);
}

void kj_bool(struct kj_writer *w, const char *key, int v)
{
	member(w, key);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void kj_null(struct kj_writer *w, const char *key)
{
	member(w, key);
	put(w, "null", 4);
}

void kj_time(struct kj_writer *w, const char *key, struct ks_time t)
{
	char ts[KS_TIME_LEN + 1];

	member(w, key);
	ks_time_format(t, ts);
	put(w, "\"", 1);
	put(w, ts, KS_TIME_LEN);
	put(w, "\"", 1);
}

void kj_json(struct kj_writer *w, const char *key, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		kj_null(w, key);
		break;
	case json_type_boolean:
		kj_bool(w, key, json_object_get_boolean(v));
		break;
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX)
			kj_uint(w, key, json_object_get_uint64(v));
		else
			kj_int(w, key, json_object_get_int64(v));
		break;
	case json_type_double:
		kj_double(w, key, json_object_get_double(v));
		break;
	case json_type_string:
		kj_strn(w, key, json_object_get_string(v),
			(size_t)json_object_get_string_len(v));
		break;
	case json_type_array: {
		size_t n = json_object_array_length(v);

		kj_arr_open(w, key);
		for (size_t i = 0; i < n && w->st == KS_OK; i++)
			kj_json(w, NULL, json_object_array_get_idx(v, i));
		kj_arr_close(w);
		break;
	}
	case json_type_object: {
		kj_obj_open(w, key);
		json_object_object_foreach(v, k, m) {
			if (w->st != KS_OK)
				break;
			kj_json(w, k, m);
		}
		kj_obj_close(w);
		break;
	}
	}
}

void kj_record_begin(struct kj_writer *w, struct ks_time ts,
		     const char *event_type, const char *program)
{
	w->record_start = w->buf.len;
	w->st = KS_OK;
	w->depth = 0;
	put(w, "{", 1);
	w->depth = 1;
	w->first[1] = 1;
	kj_time(w, "timestamp", ts);
	kj_str(w, "event_type", event_type);
	if (program != NULL)
		kj_str(w, "program", program);
}

static enum ks_status finish(struct kj_writer *w)
{
	enum ks_status st;

	put(w, "\n", 1);
	st = w->st;
	if (st != KS_OK) {
		w->buf.len = w->record_start;
		if (w->buf.data != NULL)
			w->buf.data[w->buf.len] = '\0';
	} else {
		w->records++;
	}
	w->st = KS_OK;
	w->depth = 0;
	return st;
}

enum ks_status kj_record_end(struct kj_writer *w)
{
	if (w->depth != 1)
		fail(w, KS_ERR_INTERNAL);
	else
		close_container(w, '}');
	return finish(w);
}

void kj_line_begin(struct kj_writer *w)
{
	w->record_start = w->buf.len;
	w->st = KS_OK;
	w->depth = 0;
}

enum ks_status kj_line_end(struct kj_writer *w)
{
	if (w->depth != 0)
		fail(w, KS_ERR_INTERNAL);
	return finish(w);
}

enum ks_status kj_record_json(struct kj_writer *w, struct json_object *o)
{
	w->record_start = w->buf.len;
	w->st = KS_OK;
	w->depth = 0;
	if (!json_object_is_type(o, json_type_object))
		fail(w, KS_ERR_USAGE);
	else
		kj_json(w, NULL, o);
	if (w->depth != 0)
		fail(w, KS_ERR_INTERNAL);
	return finish(w);
}

enum ks_status kj_flush(struct kj_writer *w, struct ks_out *out,
			struct ks_err *err)
{
	enum ks_status st = KS_OK;

	if (w->buf.len > 0)
		st = ks_out_write(out, w->buf.data, w->buf.len, err);
	ks_buf_reset(&w->buf);
	w->record_start = 0;
	return st;
}

void kj_error_record(struct kj_writer *w, const char *program,
		     const char *input, uint64_t line, enum ks_status kind,
		     const char *message)
{
	kj_record_begin(w, ks_time_now(), "error", program);
	kj_obj_open(w, "error");
	if (input != NULL)
		kj_str(w, "input", input);
	if (line > 0)
		kj_uint(w, "line", line);
	kj_str(w, "kind", ks_status_name(kind));
	kj_str(w, "message", message);
	kj_obj_close(w);
	if (kj_record_end(w) != KS_OK) {
		/* The message itself was too large: say so without it. */
		kj_record_begin(w, ks_time_now(), "error", program);
		kj_obj_open(w, "error");
		kj_uint(w, "line", line);
		kj_str(w, "kind", ks_status_name(KS_ERR_LIMIT));
		kj_str(w, "message", "error record larger than the cap");
		kj_obj_close(w);
		(void)kj_record_end(w);
	}
}
