/*
 * What every summary format needs besides the totals: the inputs and
 * their counts, when and where the report was made, and the filters.
 *
 * Each summary writer appends its whole document to a buffer; nothing is
 * written out before the input has ended (the caller writes the buffer).
 * The writers only read the aggregate and the context.
 */
#ifndef KR_REPORT_H
#define KR_REPORT_H

#include "core/buf.h"
#include "core/timefmt.h"
#include "report/agg.h"
#include "report/filter.h"
#include "report/input.h"

struct kr_report_ctx {
	const struct kr_agg *agg;
	const struct kr_inputs *inputs;
	const struct kr_filter *filter;
	struct ks_time generated;    /* the report's own time */
	const char *hostname;        /* where it was made, or NULL */
	const char *version;         /* ksvm's */
	uint64_t filtered_out;       /* events the filters left out */
	int color;                   /* text: ANSI colours */
	const char *base;            /* SARIF: the absolute, normalized
				      * directory paths are made relative
				      * to, or NULL */
	const char *cwd;             /* SARIF: what relative paths in the
				      * records are relative to */
	size_t top;                  /* rows of the top-N tables */
};

/* The text summary for an 80-column terminal. */
enum ks_status kr_text_report(struct ks_buf *b, const struct kr_report_ctx *c);

/* The JSON summary: one `summary` record (tests/schemas/summary.schema.json)
 * and its newline. */
enum ks_status kr_json_report(struct ks_buf *b, const struct kr_report_ctx *c);

/* The self-contained HTML report. */
enum ks_status kr_html_report(struct ks_buf *b, const struct kr_report_ctx *c);

/* A SARIF 2.1.0 log of the file detections. */
enum ks_status kr_sarif_report(struct ks_buf *b, const struct kr_report_ctx *c);

/* Helpers shared by the writers. */

/* "1,234,567". */
char *kr_fmt_count(uint64_t v, char out[32]);

/* "2h 32m 5s" for a span in seconds. */
char *kr_fmt_span(int64_t sec, char out[48]);

/* "2026-11-26 09:41:37" (UTC). */
char *kr_fmt_time(struct ks_time t, char out[KS_TIME_LEN + 1]);

#endif
