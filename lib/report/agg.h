/*
 * The totals behind every summary (text, JSON, HTML) and the list of
 * detections behind the HTML tables and SARIF results.
 *
 * Memory is bounded whatever the input: names are counted in capped
 * tables (map.h), counted names are cut at KR_AGG_NAME_MAX bytes, time
 * goes into a fixed histogram (hist.h), error samples and detection rows
 * stop at their caps; every cap that is hit is counted so the reports can
 * say what they left out.
 *
 * The aggregate owns everything in it; kr_agg_free releases it.  Strings
 * in rows and samples are copies.
 */
#ifndef KR_AGG_H
#define KR_AGG_H

#include <stdint.h>

#include "core/arena.h"
#include "report/event.h"
#include "report/hist.h"
#include "report/map.h"

#define KR_AGG_NAME_MAX 512
#define KR_AGG_MAX_NAMES 10000
#define KR_AGG_MAX_SAMPLES 100
#define KR_AGG_DEFAULT_ROWS 100000

/* A counted name: threat, signature, category, verdict, action. */
struct kr_agg_count {
	uint64_t count;
	enum kr_sev max_sev;
	enum kr_type type;     /* of the first event counted under the name */
	int64_t sid;           /* signatures: the signature id */
	int have_sid;
};

/* One line of the per-VM table. */
struct kr_agg_vm {
	uint64_t records, detections, high;   /* high: high or critical */
	uint64_t files, infected, alerts, urls, denied, errors;
};

/* One detection, kept for the HTML tables and SARIF. */
struct kr_agg_match {
	struct kr_str rule, set, member, description;
};

struct kr_agg_row {
	struct ks_time ts;
	int have_ts;
	enum kr_sev sev;
	enum kr_type type;
	struct kr_str event_type, program, vm, threat, category, action,
		      verdict, path, sha256, url, endpoints, input;
	uint64_t line_no;
	int64_t sid;
	int have_sid;
	uint8_t id[KR_ID_LEN];
	struct kr_agg_match *matches;
	size_t nmatches;
};

/* A sample of an error: a refused line or an error record. */
struct kr_agg_error {
	struct kr_str program, input, kind, message, vm, path;
	uint64_t line;
	int malformed;
};

struct kr_agg {
	uint64_t records;              /* events counted */
	uint64_t by_type[KR_T_COUNT];
	uint64_t det_by_type[KR_T_COUNT];
	uint64_t by_sev[KR_SEV_COUNT];
	uint64_t detections;
	uint64_t malformed;            /* kreport's own errors: refused lines */
	uint64_t errors;               /* error records and failed verdicts */
	struct ks_time first, last;
	int have_time;
	uint64_t no_time;              /* events without a usable timestamp */

	struct kr_map other_types;     /* unknown event_type -> count */
	struct kr_map verdicts;        /* "type verdict" -> count */
	struct kr_map actions;         /* "type action" -> count */
	struct kr_map threats;         /* files, URLs, access denials */
	struct kr_map signatures;      /* alerts: "sid signature" */
	struct kr_map categories;      /* detections by category */
	struct kr_map vms;             /* vm -> struct kr_agg_vm */
	struct kr_hist hist;           /* detections over time */

	struct kr_agg_error *samples;  /* the first KR_AGG_MAX_SAMPLES */
	size_t nsamples;

	int keep_rows;
	size_t max_rows;
	struct kr_agg_row *rows;
	size_t nrows, rows_cap;
	uint64_t rows_dropped;         /* detections past max_rows */

	struct ks_arena arena;         /* strings of samples and rows */
};

/* keep_rows: remember each detection (HTML, SARIF); max_rows 0 picks
 * KR_AGG_DEFAULT_ROWS. */
void kr_agg_init(struct kr_agg *a, int keep_rows, size_t max_rows);
void kr_agg_free(struct kr_agg *a);

/* Count one event (already filtered); -1 when out of memory. */
int kr_agg_add(struct kr_agg *a, struct kr_event *e);

/* Display a name cut at `max` bytes on a UTF-8 boundary. */
struct kr_str kr_agg_cut(struct kr_str s, size_t max);

/* Sort helpers for kr_map_sorted over struct kr_agg_count: by count
 * (descending); and over struct kr_agg_vm: by detections, then records. */
int kr_agg_count_cmp(const void *a, const void *b);
int kr_agg_vm_cmp(const void *a, const void *b);

/* The type half ("file") and value half ("infected") of a verdicts or
 * actions key. */
void kr_agg_split_key(struct kr_str key, struct kr_str *type,
		      struct kr_str *value);

/* Sum of a map's counters refused at the cap (for "N more not shown"). */
uint64_t kr_agg_refused(const struct kr_agg *a);

#endif
