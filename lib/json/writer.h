/*
 * The JSON Lines writer of the event contract (DESIGN.md, ksvm-events(7)).
 *
 * A writer formats records into its own buffer; kj_flush hands the buffer
 * to an output sink in one write, so records from worker threads (each with
 * its own writer) never interleave.  Every value is written with a key
 * (NULL for array elements); strings go through kj_escape.
 *
 * Errors are sticky, as in the bounded reader: the value calls return
 * nothing, and kj_record_end reports the first failure (a record larger
 * than the writer's cap, nesting too deep, no memory).  A failed record is
 * removed from the buffer whole, so no half record ever reaches the output;
 * the caller writes an error record in its place.
 */
#ifndef KS_JSON_WRITER_H
#define KS_JSON_WRITER_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/out.h"
#include "core/timefmt.h"

#define KJ_MAX_DEPTH 32
#define KJ_DEFAULT_MAX_RECORD (4u << 20)

struct kj_writer {
	struct ks_buf buf;
	size_t record_start;   /* offset of the record being written */
	enum ks_status st;     /* first failure in this record */
	unsigned depth;
	uint8_t first[KJ_MAX_DEPTH + 1];  /* container has no member yet */
	unsigned long long records;       /* records completed */
};

/* max_record: the largest record in bytes (0 picks the default). */
void kj_writer_init(struct kj_writer *w, size_t max_record);
void kj_writer_free(struct kj_writer *w);

/*
 * Start a record: {"timestamp":...,"event_type":...,"program":...
 * `program` may be NULL to leave the field out (EVE-strict output).
 */
void kj_record_begin(struct kj_writer *w, struct ks_time ts,
		     const char *event_type, const char *program);

/* Close the record and end the line.  On failure the record is dropped. */
enum ks_status kj_record_end(struct kj_writer *w);

/*
 * A line that is not an event record (a request to another program):
 * kj_line_begin, then kj_obj_open(w, NULL) ... kj_obj_close(w), then
 * kj_line_end, which ends the line and, on failure, drops it whole.
 */
void kj_line_begin(struct kj_writer *w);
enum ks_status kj_line_end(struct kj_writer *w);

/* Write a json-c object as a whole record (pass-through of read events);
 * it is not given a timestamp or program of its own. */
enum ks_status kj_record_json(struct kj_writer *w, struct json_object *o);

/* Write the buffered records to `out` and empty the buffer. */
enum ks_status kj_flush(struct kj_writer *w, struct ks_out *out,
			struct ks_err *err);

/* Containers.  `key` is the member name, or NULL inside an array. */
void kj_obj_open(struct kj_writer *w, const char *key);
void kj_obj_close(struct kj_writer *w);
void kj_arr_open(struct kj_writer *w, const char *key);
void kj_arr_close(struct kj_writer *w);

/* Values.  A NULL string is written as null. */
void kj_str(struct kj_writer *w, const char *key, const char *s);
void kj_strn(struct kj_writer *w, const char *key, const void *s, size_t n);
void kj_int(struct kj_writer *w, const char *key, int64_t v);
void kj_uint(struct kj_writer *w, const char *key, uint64_t v);
void kj_double(struct kj_writer *w, const char *key, double v);
void kj_bool(struct kj_writer *w, const char *key, int v);
void kj_null(struct kj_writer *w, const char *key);
void kj_time(struct kj_writer *w, const char *key, struct ks_time t);

/* A json-c value, re-escaped through kj_escape (its strings may hold raw
 * bytes decoded from \udcXX escapes). */
void kj_json(struct kj_writer *w, const char *key, struct json_object *v);

/*
 * The error record every tool writes for an input it could not use:
 * {"event_type":"error","error":{"input":...,"line":...,"kind":...,
 *  "message":...}}.  `line` 0 leaves the line out.
 */
void kj_error_record(struct kj_writer *w, const char *program,
		     const char *input, uint64_t line, enum ks_status kind,
		     const char *message);

#endif
