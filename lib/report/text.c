/*
 * The text summary: for a terminal of 80 columns, no line longer than 79.
 *
 * Names from the input are made safe for a terminal through one helper
 * (put_name): control characters (C0, DEL, C1, so no escape sequence can
 * reach the terminal), the line and paragraph separators U+2028 and
 * U+2029, and bytes that are not UTF-8 are shown as '?'; each
 * character counts as one column, and a name too long for its column is
 * cut with "~" at the end.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "report/report.h"

#define WIDTH 79

struct out {
	struct ks_buf *b;
	enum ks_status st;
	int color;
	size_t col;   /* columns used on the current line */
};

static void puts_(struct out *o, const char *s)
{
	if (o->st == KS_OK)
		o->st = ks_buf_puts(o->b, s);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			o->col = 0;
		else if (((unsigned char)*s & 0xc0) != 0x80)
			o->col++;
	}
}

static void printf_(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void printf_(struct out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	puts_(o, buf);
}

/* SGR sequences do not take columns. */
static void sgr(struct out *o, const char *code)
{
	if (o->color && o->st == KS_OK)
		o->st = ks_buf_printf(o->b, "\033[%sm", code);
}

static void pad(struct out *o, size_t to)
{
	while (o->col < to && o->st == KS_OK)
		puts_(o, " ");
}

/* Characters of s that fit in `width` columns, safe for a terminal. */
static void put_name(struct out *o, struct kr_str s, size_t width)
{
	size_t i = 0, used = 0, chars = 0;
	uint32_t cp;

	if (s.p == NULL)
		s = kr_str_c("-");
	/* Count the characters first, to know whether to cut. */
	for (i = 0; i < s.n; chars++) {
		size_t k = ks_utf8_decode((const uint8_t *)s.p + i, s.n - i, &cp);

		i += k ? k : 1;
	}
	for (i = 0; i < s.n && used < width; used++) {
		size_t k = ks_utf8_decode((const uint8_t *)s.p + i, s.n - i, &cp);

		if (chars > width && used == width - 1) {
			puts_(o, "~");
			used++;
			break;
		}
		if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029) {
			puts_(o, "?");
			i += k ? k : 1;
			continue;
		}
		if (o->st == KS_OK)
			o->st = ks_buf_append(o->b, s.p + i, k);
		o->col++;
		i += k;
	}
}

static void heading(struct out *o, const char *title, const char *right)
{
	puts_(o, "\n");
	sgr(o, "1");
	puts_(o, title);
	if (right != NULL) {
		pad(o, WIDTH - strlen(right));
		puts_(o, right);
	}
	sgr(o, "0");
	puts_(o, "\n");
}

static const char *sev_color(enum kr_sev s)
{
	switch (s) {
	case KR_SEV_CRITICAL: return "1;31";
	case KR_SEV_HIGH: return "31";
	case KR_SEV_MEDIUM: return "33";
	case KR_SEV_LOW: return "36";
	default: return NULL;
	}
}

static void put_sev(struct out *o, enum kr_sev s)
{
	const char *c = sev_color(s);

	if (c != NULL)
		sgr(o, c);
	puts_(o, kr_sev_name(s));
	if (c != NULL)
		sgr(o, "0");
}

static void num_at(struct out *o, uint64_t v, size_t right_edge)
{
	char n[32];

	kr_fmt_count(v, n);
	if (o->col + strlen(n) < right_edge)
		pad(o, right_edge - strlen(n));
	else
		puts_(o, " ");
	puts_(o, n);
}

/* ---- sections --------------------------------------------------------------- */

static void overview(struct out *o, const struct kr_report_ctx *c)
{
	const struct kr_agg *a = c->agg;
	char n1[32], n2[32], t1[KS_TIME_LEN + 1], t2[KS_TIME_LEN + 1], sp[48];
	uint64_t malformed = 0, failed = 0;
	int first = 1;

	for (size_t i = 0; i < c->inputs->n; i++) {
		malformed += c->inputs->v[i].malformed;
		failed += (uint64_t)c->inputs->v[i].failed;
	}
	sgr(o, "1");
	puts_(o, "ksvm report");
	sgr(o, "0");
	kr_fmt_time(c->generated, t1);
	pad(o, WIDTH - strlen(t1) - 14);
	printf_(o, "generated %s UTC\n", t1);
	printf_(o, "Records:    %s from %zu input%s", kr_fmt_count(a->records, n1),
		c->inputs->n, c->inputs->n == 1 ? "" : "s");
	if (c->filtered_out > 0)
		printf_(o, ", %s left out by the filters",
			kr_fmt_count(c->filtered_out, n2));
	puts_(o, "\n");
	{
		struct ks_buf fd;

		ks_buf_init(&fd, KS_BUF_UNLIMITED);
		if (c->filter != NULL)
			kr_filter_describe(c->filter, &fd);
		if (fd.len > 0) {
			puts_(o, "Filters:    ");
			put_name(o, (struct kr_str){ (char *)fd.data, fd.len },
				 WIDTH - 12);
			puts_(o, "\n");
		}
		ks_buf_free(&fd);
	}
	if (malformed > 0 || failed > 0) {
		puts_(o, "Problems:   ");
		if (malformed > 0)
			printf_(o, "%s malformed line%s", kr_fmt_count(malformed, n1),
				malformed == 1 ? "" : "s");
		if (failed > 0)
			printf_(o, "%s%s unreadable input%s",
				malformed > 0 ? ", " : "",
				kr_fmt_count(failed, n1), failed == 1 ? "" : "s");
		puts_(o, "\n");
	}
	if (a->have_time) {
		kr_fmt_time(a->first, t1);
		kr_fmt_time(a->last, t2);
		printf_(o, "Time span:  %s to %s UTC (%s)\n", t1, t2,
			kr_fmt_span(a->last.sec - a->first.sec, sp));
	} else {
		puts_(o, "Time span:  none (no timestamps)\n");
	}
	printf_(o, "Detections: %s\n", kr_fmt_count(a->detections, n1));
	if (a->records == 0)
		return;
	puts_(o, "Severity:   ");
	for (int s = KR_SEV_CRITICAL; s >= KR_SEV_INFO; s--) {
		if (a->by_sev[s] == 0)
			continue;
		if (!first)
			puts_(o, ", ");
		first = 0;
		put_sev(o, (enum kr_sev)s);
		printf_(o, " %s", kr_fmt_count(a->by_sev[s], n1));
	}
	puts_(o, "\n");
}

static void events(struct out *o, const struct kr_report_ctx *c)
{
	const struct kr_agg *a = c->agg;
	size_t *idx;

	heading(o, "Events by type", "records  detections");
	for (int t = 0; t < KR_T_OTHER; t++) {
		if (a->by_type[t] == 0)
			continue;
		puts_(o, "  ");
		puts_(o, kr_type_name((enum kr_type)t));
		num_at(o, a->by_type[t], WIDTH - 12);
		num_at(o, a->det_by_type[t], WIDTH);
		puts_(o, "\n");
	}
	idx = kr_map_sorted(&a->other_types, kr_agg_count_cmp);
	for (size_t i = 0; idx != NULL && i < a->other_types.n; i++) {
		const struct kr_agg_count *k = kr_map_val(&a->other_types, idx[i]);

		puts_(o, "  ");
		put_name(o, a->other_types.keys[idx[i]], 40);
		puts_(o, " (not known to kreport)");
		num_at(o, k->count, WIDTH - 12);
		num_at(o, 0, WIDTH);
		puts_(o, "\n");
	}
	free(idx);
	if (a->other_types.refused > 0)
		printf_(o, "  (%" PRIu64 " more records of other types not "
			"listed)\n", a->other_types.refused);
	if (a->records == 0)
		puts_(o, "  (none)\n");
}

/* "file  verdict  infected 41, clean 700" with wrapping. */
static void pairs(struct out *o, const struct kr_map *m, const char *what)
{
	size_t *idx = kr_map_sorted(m, kr_agg_count_cmp);
	int t;

	if (idx == NULL)
		return;
	/* Group by type, in the order of the known types, others last. */
	for (t = 0; t <= KR_T_OTHER; t++) {
		int started = 0;

		for (size_t i = 0; i < m->n; i++) {
			struct kr_str type, value;
			const struct kr_agg_count *k = kr_map_val(m, idx[i]);
			char n[32];
			size_t need;

			kr_agg_split_key(m->keys[idx[i]], &type, &value);
			if (t < KR_T_OTHER ? !kr_str_eq(type, kr_type_name(
						     (enum kr_type)t)) :
					     k->type != KR_T_OTHER)
				continue;
			kr_fmt_count(k->count, n);
			need = (value.n > 30 ? 30 : value.n) + strlen(n) + 3;
			if (!started) {
				puts_(o, "  ");
				put_name(o, type, 12);
				pad(o, 16);
				puts_(o, what);
				pad(o, 26);
				started = 1;
			} else if (o->col + need > WIDTH) {
				puts_(o, ",\n");
				pad(o, 26);
			} else {
				puts_(o, ", ");
			}
			put_name(o, value, 30);
			printf_(o, " %s", n);
		}
		if (started)
			puts_(o, "\n");
	}
	free(idx);
}

static void verdicts(struct out *o, const struct kr_report_ctx *c)
{
	if (c->agg->verdicts.n == 0 && c->agg->actions.n == 0)
		return;
	heading(o, "Verdicts and actions", NULL);
	pairs(o, &c->agg->verdicts, "verdict");
	pairs(o, &c->agg->actions, "action");
}

static void top(struct out *o, const struct kr_report_ctx *c,
		const struct kr_map *m, const char *title, int sigs)
{
	size_t *idx, n = c->top ? c->top : 10;

	if (m->n == 0)
		return;
	heading(o, title, "count  severity");
	idx = kr_map_sorted(m, kr_agg_count_cmp);
	for (size_t i = 0; idx != NULL && i < m->n && i < n; i++) {
		const struct kr_agg_count *k = kr_map_val(m, idx[i]);
		struct kr_str name = m->keys[idx[i]], id;

		puts_(o, "  ");
		if (sigs) {
			kr_agg_split_key(name, &id, &name);
			if (kr_str_full(id)) {
				puts_(o, "[");
				put_name(o, id, 12);
				puts_(o, "] ");
			}
		}
		put_name(o, name, WIDTH - 19 - o->col);
		num_at(o, k->count, WIDTH - 10);
		pad(o, WIDTH - 8);
		put_sev(o, k->max_sev);
		puts_(o, "\n");
	}
	if (idx != NULL && m->n > n)
		printf_(o, "  (%zu more)\n", m->n - n);
	if (m->refused > 0)
		printf_(o, "  (%" PRIu64 " detections under names past the "
			"table's cap of %d)\n", m->refused, KR_AGG_MAX_NAMES);
	free(idx);
}

static void vms(struct out *o, const struct kr_report_ctx *c)
{
	const struct kr_map *m = &c->agg->vms;
	static const char *const cols[] = { "records", "detect", "high+",
					    "files", "alerts", "urls",
					    "denied", "errors" };
	/* Right edges of the number columns. */
	static const size_t edge[] = { 32, 39, 45, 52, 59, 65, 72, 79 };
	size_t *idx;

	if (m->n == 0)
		return;
	puts_(o, "\n");
	sgr(o, "1");
	puts_(o, "Virtual machines");
	for (size_t k = 0; k < 8; k++) {
		pad(o, edge[k] - strlen(cols[k]));
		puts_(o, cols[k]);
	}
	sgr(o, "0");
	puts_(o, "\n");
	idx = kr_map_sorted(m, kr_agg_vm_cmp);
	for (size_t i = 0; idx != NULL && i < m->n; i++) {
		const struct kr_agg_vm *v = kr_map_val(m, idx[i]);
		uint64_t val[8] = { v->records, v->detections, v->high,
				    v->files, v->alerts, v->urls, v->denied,
				    v->errors };

		if (i == 50) {
			printf_(o, "  (%zu more)\n", m->n - i);
			break;
		}
		puts_(o, "  ");
		put_name(o, m->keys[idx[i]].n ? m->keys[idx[i]] :
						 kr_str_c("(none)"), 22);
		for (size_t k = 0; k < 8; k++)
			num_at(o, val[k], edge[k]);
		puts_(o, "\n");
	}
	free(idx);
	if (m->refused > 0)
		printf_(o, "  (%" PRIu64 " records of VMs past the table's cap)\n",
			m->refused);
}

static void errors(struct out *o, const struct kr_report_ctx *c)
{
	const struct kr_agg *a = c->agg;
	char n[32];
	size_t shown = 0;

	if (a->errors == 0)
		return;
	heading(o, "Errors", NULL);
	printf_(o, "  Malformed input lines:  %s\n",
		kr_fmt_count(a->malformed, n));
	printf_(o, "  Errors from the tools:  %s (error records, failed scans "
		"and checks)\n", kr_fmt_count(a->errors - a->malformed, n));
	for (size_t i = 0; i < a->nsamples && shown < 10; i++, shown++) {
		const struct kr_agg_error *e = &a->samples[i];

		puts_(o, "    ");
		if (e->malformed) {
			put_name(o, e->input, 30);
			printf_(o, ":%" PRIu64 ": ", e->line);
		} else {
			put_name(o, e->program, 12);
			puts_(o, ": ");
			if (kr_str_full(e->path)) {
				put_name(o, e->path, 30);
				puts_(o, ": ");
			} else if (kr_str_full(e->input)) {
				put_name(o, e->input, 30);
				if (e->line > 0)
					printf_(o, ":%" PRIu64, e->line);
				puts_(o, ": ");
			}
		}
		put_name(o, kr_str_full(e->message) ? e->message : e->kind,
			 WIDTH > o->col ? WIDTH - o->col : 1);
		puts_(o, "\n");
	}
	if (a->errors > shown)
		printf_(o, "    (%s more)\n", kr_fmt_count(a->errors - shown, n));
}

enum ks_status kr_text_report(struct ks_buf *b, const struct kr_report_ctx *c)
{
	struct out o = { b, KS_OK, c->color, 0 };

	overview(&o, c);
	events(&o, c);
	verdicts(&o, c);
	top(&o, c, &c->agg->threats, "Top threats", 0);
	top(&o, c, &c->agg->signatures, "Top signatures", 1);
	top(&o, c, &c->agg->categories, "Detections by category", 0);
	vms(&o, c);
	errors(&o, c);
	if (kr_agg_refused(c->agg) > 0)
		printf_(&o, "\nSome names were not counted by name: the tables "
			"hold at most %d each.\n", KR_AGG_MAX_NAMES);
	return o.st;
}

/* ---- shared helpers ----------------------------------------------------------- */

char *kr_fmt_count(uint64_t v, char out[32])
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), k = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = tmp[i];
	}
	out[k] = '\0';
	return out;
}

char *kr_fmt_span(int64_t sec, char out[48])
{
	int64_t d, h, m, s;

	if (sec < 0)
		sec = 0;
	d = sec / 86400;
	h = sec / 3600 % 24;
	m = sec / 60 % 60;
	s = sec % 60;
	if (d > 0)
		snprintf(out, 48, "%" PRId64 "d %" PRId64 "h %" PRId64 "m", d, h,
			 m);
	else if (h > 0)
		snprintf(out, 48, "%" PRId64 "h %" PRId64 "m %" PRId64 "s", h,
			 m, s);
	else if (m > 0)
		snprintf(out, 48, "%" PRId64 "m %" PRId64 "s", m, s);
	else
		snprintf(out, 48, "%" PRId64 "s", s);
	return out;
}

char *kr_fmt_time(struct ks_time t, char out[KS_TIME_LEN + 1])
{
	ks_time_format(t, out);
	out[10] = ' ';
	out[19] = '\0';
	return out;
}
