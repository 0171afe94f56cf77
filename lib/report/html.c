/*
 * The HTML report: one self-contained page (HTML5, inline CSS, inline SVG
 * charts, no script and no external resource; its Content-Security-Policy
 * forbids loading any), for an analyst to look at rather than read.
 *
 * Every string from the input goes through one escaping helper (esc):
 * & < > " ' become character references, and control characters and
 * bytes that are not UTF-8 become U+FFFD, so the page is valid UTF-8 and
 * no input can open a tag or leave an attribute.
 *
 * The charts are plain SVG rectangles; each bar carries data-label and
 * data-count attributes and a <title> tooltip, which is also what the
 * tests read back from the rendered page.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/utf8.h"
#include "report/report.h"

#define CHART_BARS 60
#define TOP_BARS 15

struct page {
	struct ks_buf *b;
	enum ks_status st;
};

static void raw(struct page *p, const char *s)
{
	if (p->st == KS_OK)
		p->st = ks_buf_puts(p->b, s);
}

static void fmt(struct page *p, const char *f, ...)
	__attribute__((format(printf, 2, 3)));

static void fmt(struct page *p, const char *f, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, sizeof buf, f, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (p->st == KS_OK)
		p->st = ks_buf_append(p->b, buf,
				      (size_t)n < sizeof buf ? (size_t)n :
							       sizeof buf - 1);
}

/* The one HTML escaping helper, for text and attribute values alike. */
static void esc(struct page *p, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t i = 0, run;

	while (i < n && p->st == KS_OK) {
		uint32_t cp;
		size_t k;

		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x7f &&
			      s[run] != '&' && s[run] != '<' && s[run] != '>' &&
			      s[run] != '"' && s[run] != '\'';
		     run++)
			;
		if (run > i) {
			p->st = ks_buf_append(p->b, s + i, run - i);
			i = run;
			continue;
		}
		switch (s[i]) {
		case '&': raw(p, "&amp;"); i++; continue;
		case '<': raw(p, "&lt;"); i++; continue;
		case '>': raw(p, "&gt;"); i++; continue;
		case '"': raw(p, "&quot;"); i++; continue;
		case '\'': raw(p, "&#39;"); i++; continue;
		default: break;
		}
		k = s[i] < 0x80 ? 0 : ks_utf8_decode(s + i, n - i, &cp);
		if (k == 0 || cp < 0xa0) {
			raw(p, "\xef\xbf\xbd");
			i += k ? k : 1;
			continue;
		}
		p->st = ks_buf_append(p->b, s + i, k);
		i += k;
	}
}

static void escs(struct page *p, struct kr_str s)
{
	if (s.p != NULL)
		esc(p, s.p, s.n);
}

static void escc(struct page *p, const char *s)
{
	esc(p, s, strlen(s));
}

/* A name shortened for a chart label (the full name is in the title). */
static void esc_short(struct page *p, struct kr_str s, size_t max_chars)
{
	size_t i = 0, chars = 0;
	uint32_t cp;

	while (i < s.n && chars < max_chars) {
		size_t k = ks_utf8_decode((const uint8_t *)s.p + i, s.n - i, &cp);

		i += k ? k : 1;
		chars++;
	}
	esc(p, s.p, i);
	if (i < s.n)
		raw(p, "\xe2\x80\xa6");
}

static const char css[] =
	":root{--crit:#8e0000;--high:#d32f2f;--med:#ef6c00;--low:#0277bd;"
	"--info:#78909c;--fg:#1c2330;--muted:#5f6b7a;--line:#dde3ea;"
	"--bg:#f6f8fa}"
	"*{box-sizing:border-box}"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
	"Roboto,'Noto Sans',sans-serif;color:var(--fg);background:var(--bg)}"
	"header{background:#17212e;color:#fff;padding:18px 28px}"
	"header h1{margin:0;font-size:22px;font-weight:600}"
	"header p{margin:4px 0 0;color:#b8c4d2}"
	"main{padding:20px 28px;max-width:1400px}"
	"section{background:#fff;border:1px solid var(--line);border-radius:8px;"
	"padding:16px 20px;margin:0 0 20px}"
	"h2{font-size:16px;margin:0 0 12px}"
	".cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:20px}"
	".card{background:#fff;border:1px solid var(--line);border-radius:8px;"
	"padding:12px 16px;min-width:130px}"
	".card b{display:block;font-size:24px}"
	".card span{color:var(--muted);font-size:12px;text-transform:uppercase;"
	"letter-spacing:.04em}"
	".grid{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(420px,1fr));gap:20px}"
	".grid section{margin:0}"
	"svg.chart{width:100%;height:auto;display:block}"
	"svg text{font:11px system-ui,sans-serif;fill:var(--muted)}"
	"svg .label{fill:var(--fg)}"
	".sev-critical{fill:var(--crit);color:var(--crit)}"
	".sev-high{fill:var(--high);color:var(--high)}"
	".sev-medium{fill:var(--med);color:var(--med)}"
	".sev-low{fill:var(--low);color:var(--low)}"
	".sev-info{fill:var(--info);color:var(--info)}"
	"rect.bar.plain{fill:#3f6fb5}"
	"table{border-collapse:collapse;width:100%;font-size:13px}"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid "
	"var(--line);vertical-align:top}"
	"th{background:#eef2f6;position:sticky;top:0}"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
	"td.where{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;"
	"word-break:break-all}"
	"td.sev{font-weight:600;text-transform:uppercase;font-size:11px}"
	".note{color:var(--muted);font-size:12px}"
	".empty{color:var(--muted);font-style:italic}"
	"footer{color:var(--muted);font-size:12px;padding:0 28px 24px}";

/* ---- charts ----------------------------------------------------------------- */

struct hbar {
	struct kr_str label;
	uint64_t count;
	enum kr_sev sev;
	int plain;   /* one colour, not a severity */
};

/* Horizontal bars, one per row, longest first. */
static void hbars(struct page *p, const char *id, const char *title,
		  const struct hbar *v, size_t n, uint64_t more)
{
	const int w = 440, row = 22, left = 150, right = 40;
	uint64_t max = 1;
	int h = (int)n * row + 8;

	fmt(p, "<section><h2>");
	escc(p, title);
	raw(p, "</h2>");
	if (n == 0) {
		raw(p, "<p class=\"empty\">No detections.</p></section>");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].count > max)
			max = v[i].count;
	fmt(p, "<svg id=\"%s\" class=\"chart hbars\" viewBox=\"0 0 %d %d\" "
	       "role=\"img\" aria-label=\"", id, w, h);
	escc(p, title);
	raw(p, "\">");
	for (size_t i = 0; i < n; i++) {
		int y = (int)i * row + 4;
		double bw = (double)(w - left - right) * (double)v[i].count /
			    (double)max;

		if (bw < 1)
			bw = 1;
		fmt(p, "<g><text class=\"label\" x=\"%d\" y=\"%d\" "
		       "text-anchor=\"end\">", left - 6, y + 14);
		esc_short(p, v[i].label, 22);
		fmt(p, "</text><rect class=\"bar %s%s\" x=\"%d\" y=\"%d\" "
		       "width=\"%.1f\" height=\"%d\" rx=\"2\" data-label=\"",
		    v[i].plain ? "plain" : "sev-",
		    v[i].plain ? "" : kr_sev_name(v[i].sev), left, y, bw,
		    row - 6);
		escs(p, v[i].label);
		fmt(p, "\" data-count=\"%" PRIu64 "\"", v[i].count);
		if (!v[i].plain)
			fmt(p, " data-severity=\"%s\"", kr_sev_name(v[i].sev));
		raw(p, "><title>");
		escs(p, v[i].label);
		fmt(p, ": %" PRIu64 "</title></rect><text x=\"%.1f\" y=\"%d\">"
		       "%" PRIu64 "</text></g>", v[i].count, left + bw + 5,
		    y + 14, v[i].count);
	}
	raw(p, "</svg>");
	if (more > 0)
		fmt(p, "<p class=\"note\">%" PRIu64 " more not shown.</p>", more);
	raw(p, "</section>");
}

/* Bars from a counted map, in count order, at most TOP_BARS. */
static void map_bars(struct page *p, const char *id, const char *title,
		     const struct kr_map *m, int sigs)
{
	struct hbar v[TOP_BARS];
	size_t *idx = kr_map_sorted(m, kr_agg_count_cmp), n = 0;
	char *labels[TOP_BARS] = { 0 };

	for (size_t i = 0; idx != NULL && i < m->n && n < TOP_BARS; i++) {
		const struct kr_agg_count *k = kr_map_val(m, idx[i]);
		struct kr_str name = m->keys[idx[i]], sid;

		if (sigs) {
			kr_agg_split_key(name, &sid, &name);
			if (kr_str_full(sid)) {
				/* "[2100498] signature" */
				labels[n] = malloc(sid.n + name.n + 4);
				if (labels[n] != NULL) {
					int k2 = sprintf(labels[n], "[%.*s] ",
							 (int)sid.n, sid.p);

					memcpy(labels[n] + k2, name.p, name.n);
					name = (struct kr_str){ labels[n],
								(size_t)k2 + name.n };
				}
			}
		}
		v[n] = (struct hbar){ name, k->count, k->max_sev, 0 };
		n++;
	}
	hbars(p, id, title, v, n, idx != NULL && m->n > n ? m->n - n : 0);
	for (size_t i = 0; i < TOP_BARS; i++)
		free(labels[i]);
	free(idx);
}

static void vm_bars(struct page *p, const struct kr_map *m)
{
	struct hbar v[TOP_BARS];
	size_t *idx = kr_map_sorted(m, kr_agg_vm_cmp), n = 0;

	for (size_t i = 0; idx != NULL && i < m->n && n < TOP_BARS; i++) {
		const struct kr_agg_vm *k = kr_map_val(m, idx[i]);
		struct kr_str name = m->keys[idx[i]];

		if (k->detections == 0)
			break;
		v[n++] = (struct hbar){ name.n ? name : kr_str_c("(none)"),
					k->detections, KR_SEV_INFO, 1 };
	}
	hbars(p, "chart-vm", "Detections by VM", v, n, 0);
	free(idx);
}

/* Detections over time: stacked bars by severity. */
static void time_chart(struct page *p, const struct kr_agg *a)
{
	struct kr_bars bars;
	const int w = 900, h = 240, left = 48, bottom = 36, top = 12;
	uint64_t max = 1;
	char t1[KS_TIME_LEN + 1], t2[KS_TIME_LEN + 1], sp[48];

	raw(p, "<section><h2>Detections over time</h2>");
	if (kr_hist_bars(&a->hist, CHART_BARS, &bars) != 0 || bars.n == 0) {
		raw(p, "<p class=\"empty\">No detections with a timestamp.</p>"
		       "</section>");
		free(bars.count);
		return;
	}
	for (size_t i = 0; i < bars.n; i++) {
		uint64_t t = 0;

		for (int s = 0; s < KR_SEV_COUNT; s++)
			t += bars.count[i][s];
		if (t > max)
			max = t;
	}
	fmt(p, "<svg id=\"chart-time\" class=\"chart\" viewBox=\"0 0 %d %d\" "
	       "role=\"img\" aria-label=\"Detections over time\">", w, h);
	/* Axis and the largest count. */
	fmt(p, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	       "stroke=\"#b0bac5\"/>", left, h - bottom, w, h - bottom);
	fmt(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRIu64
	       "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>",
	    left - 6, top + 10, max, left - 6, h - bottom);
	for (size_t i = 0; i < bars.n; i++) {
		double bw = (double)(w - left) / (double)bars.n;
		double x = left + (double)i * bw;
		double y = h - bottom;
		uint64_t total = 0;
		struct ks_time ts = { bars.start + (int64_t)i * bars.width, 0 };

		for (int s = 0; s < KR_SEV_COUNT; s++)
			total += bars.count[i][s];
		if (total == 0)
			continue;
		kr_fmt_time(ts, t1);
		fmt(p, "<g class=\"slot\" data-start=\"%s\" data-count=\"%" PRIu64
		       "\"><title>%s UTC: %" PRIu64 " detection%s</title>",
		    t1, total, t1, total, total == 1 ? "" : "s");
		for (int s = KR_SEV_CRITICAL; s >= KR_SEV_INFO; s--) {
			double bh;

			if (bars.count[i][s] == 0)
				continue;
			bh = (double)(h - bottom - top) *
			     (double)bars.count[i][s] / (double)max;
			y -= bh;
			fmt(p, "<rect class=\"bar sev-%s\" x=\"%.1f\" y=\"%.1f\" "
			       "width=\"%.1f\" height=\"%.1f\" "
			       "data-severity=\"%s\" data-count=\"%" PRIu64
			       "\"/>", kr_sev_name((enum kr_sev)s), x + 1, y,
			    bw > 3 ? bw - 2 : bw, bh,
			    kr_sev_name((enum kr_sev)s), bars.count[i][s]);
		}
		raw(p, "</g>");
	}
	kr_fmt_time((struct ks_time){ bars.start, 0 }, t1);
	kr_fmt_time((struct ks_time){ bars.start + (int64_t)bars.n * bars.width,
				      0 }, t2);
	fmt(p, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
	       "text-anchor=\"end\">%s UTC</text></svg>",
	    left, h - bottom + 16, t1, w, h - bottom + 16, t2);
	kr_fmt_span(bars.width, sp);
	fmt(p, "<p class=\"note\">One bar per %s; colours by severity: "
	       "<span class=\"sev-critical\">critical</span>, "
	       "<span class=\"sev-high\">high</span>, "
	       "<span class=\"sev-medium\">medium</span>, "
	       "<span class=\"sev-low\">low</span>, "
	       "<span class=\"sev-info\">info</span>.</p></section>", sp);
	free(bars.count);
}

/* ---- tables ----------------------------------------------------------------- */

static void detections(struct page *p, const struct kr_agg *a)
{
	char t[KS_TIME_LEN + 1], n[32], id[2 * KR_ID_LEN + 1];

	raw(p, "<section><h2>Detections</h2>");
	if (a->nrows == 0) {
		raw(p, "<p class=\"empty\">No detections.</p></section>");
		return;
	}
	raw(p, "<table id=\"detections\"><thead><tr><th>Time (UTC)</th>"
	       "<th>Severity</th><th>VM</th><th>Type</th><th>Threat or "
	       "signature</th><th>Category</th><th>File, endpoints or "
	       "address</th><th>Action</th></tr></thead><tbody>");
	for (size_t i = 0; i < a->nrows; i++) {
		const struct kr_agg_row *r = &a->rows[i];

		fmt(p, "<tr class=\"detection\" data-id=\"%s\" "
		       "data-type=\"", ks_hex(r->id, KR_ID_LEN, id));
		escs(p, r->event_type);
		fmt(p, "\" data-severity=\"%s\"><td>%s</td>",
		    kr_sev_name(r->sev),
		    r->have_ts ? kr_fmt_time(r->ts, t) : "-");
		fmt(p, "<td class=\"sev sev-%s\">%s</td><td>",
		    kr_sev_name(r->sev), kr_sev_name(r->sev));
		escs(p, r->vm);
		raw(p, "</td><td>");
		escs(p, r->event_type);
		raw(p, "</td><td>");
		if (r->have_sid)
			fmt(p, "[%" PRId64 "] ", r->sid);
		escs(p, r->threat);
		for (size_t k = 1; k < r->nmatches; k++) {
			raw(p, "<br>");
			escs(p, r->matches[k].rule);
		}
		raw(p, "</td><td>");
		escs(p, r->category);
		raw(p, "</td><td class=\"where\">");
		if (kr_str_full(r->path)) {
			escs(p, r->path);
			for (size_t k = 0; k < r->nmatches; k++) {
				if (!kr_str_full(r->matches[k].member))
					continue;
				raw(p, "<br>in ");
				escs(p, r->matches[k].member);
			}
		} else if (kr_str_full(r->url)) {
			escs(p, r->url);
			if (kr_str_full(r->endpoints))
				raw(p, "<br>");
		}
		if (!kr_str_full(r->path) && kr_str_full(r->endpoints))
			escs(p, r->endpoints);
		raw(p, "</td><td>");
		escs(p, r->action);
		raw(p, "</td></tr>");
	}
	raw(p, "</tbody></table>");
	if (a->rows_dropped > 0)
		fmt(p, "<p class=\"note\">%s more detections are counted in the "
		       "charts but not listed (the table holds %zu rows).</p>",
		    kr_fmt_count(a->rows_dropped, n), a->max_rows);
	raw(p, "</section>");
}

static void type_table(struct page *p, const struct kr_agg *a)
{
	raw(p, "<section><h2>Events by type</h2><table id=\"types\"><thead>"
	       "<tr><th>Type</th><th class=\"num\">Records</th>"
	       "<th class=\"num\">Detections</th></tr></thead><tbody>");
	for (int t = 0; t < KR_T_OTHER; t++) {
		if (a->by_type[t] == 0)
			continue;
		fmt(p, "<tr><td>%s</td><td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td></tr>",
		    kr_type_name((enum kr_type)t), a->by_type[t],
		    a->det_by_type[t]);
	}
	for (size_t i = 0; i < a->other_types.n; i++) {
		const struct kr_agg_count *k = kr_map_val(&a->other_types, i);

		raw(p, "<tr><td>");
		escs(p, a->other_types.keys[i]);
		fmt(p, " <span class=\"note\">(not known to kreport)</span>"
		       "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">"
		       "0</td></tr>", k->count);
	}
	raw(p, "</tbody></table></section>");
}

static void vm_table(struct page *p, const struct kr_map *m)
{
	size_t *idx;

	if (m->n == 0)
		return;
	idx = kr_map_sorted(m, kr_agg_vm_cmp);
	raw(p, "<section><h2>Virtual machines</h2><table id=\"vms\"><thead>"
	       "<tr><th>VM</th><th class=\"num\">Records</th>"
	       "<th class=\"num\">Detections</th><th class=\"num\">High or "
	       "critical</th><th class=\"num\">Files</th><th class=\"num\">"
	       "Infected</th><th class=\"num\">Alerts</th><th class=\"num\">"
	       "Bad addresses</th><th class=\"num\">Denied</th>"
	       "<th class=\"num\">Errors</th></tr></thead><tbody>");
	for (size_t i = 0; idx != NULL && i < m->n; i++) {
		const struct kr_agg_vm *v = kr_map_val(m, idx[i]);

		raw(p, "<tr><td>");
		if (m->keys[idx[i]].n > 0)
			escs(p, m->keys[idx[i]]);
		else
			raw(p, "<span class=\"note\">(none)</span>");
		fmt(p, "</td><td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td>"
		       "<td class=\"num\">%" PRIu64 "</td></tr>",
		    v->records, v->detections, v->high, v->files, v->infected,
		    v->alerts, v->urls, v->denied, v->errors);
	}
	raw(p, "</tbody></table></section>");
	free(idx);
}

static void error_table(struct page *p, const struct kr_agg *a)
{
	char n[32];

	if (a->errors == 0)
		return;
	fmt(p, "<section><h2>Errors</h2><p>%s malformed input line%s and ",
	    kr_fmt_count(a->malformed, n), a->malformed == 1 ? "" : "s");
	fmt(p, "%s error record%s or failed verdict%s from the tools.</p>",
	    kr_fmt_count(a->errors - a->malformed, n),
	    a->errors - a->malformed == 1 ? "" : "s",
	    a->errors - a->malformed == 1 ? "" : "s");
	raw(p, "<table id=\"errors\"><thead><tr><th>Program</th><th>Where</th>"
	       "<th>Kind</th><th>Message</th></tr></thead><tbody>");
	for (size_t i = 0; i < a->nsamples; i++) {
		const struct kr_agg_error *e = &a->samples[i];

		raw(p, "<tr><td>");
		escs(p, e->program);
		raw(p, "</td><td class=\"where\">");
		if (kr_str_full(e->input)) {
			escs(p, e->input);
			if (e->line > 0)
				fmt(p, ":%" PRIu64, e->line);
		} else {
			escs(p, e->path);
		}
		raw(p, "</td><td>");
		escs(p, e->kind);
		raw(p, "</td><td>");
		escs(p, e->message);
		raw(p, "</td></tr>");
	}
	raw(p, "</tbody></table>");
	if (a->errors > a->nsamples)
		fmt(p, "<p class=\"note\">The first %zu are listed.</p>",
		    a->nsamples);
	raw(p, "</section>");
}

static void card(struct page *p, const char *label, uint64_t v,
		 const char *cls)
{
	char n[32];

	fmt(p, "<div class=\"card\"><b class=\"%s\">%s</b><span>%s</span>"
	       "</div>", cls, kr_fmt_count(v, n), label);
}

enum ks_status kr_html_report(struct ks_buf *b, const struct kr_report_ctx *c)
{
	struct page p = { b, KS_OK };
	const struct kr_agg *a = c->agg;
	char t1[KS_TIME_LEN + 1], t2[KS_TIME_LEN + 1], n[32];
	uint64_t malformed = 0;

	for (size_t i = 0; i < c->inputs->n; i++)
		malformed += c->inputs->v[i].malformed;
	raw(&p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta http-equiv=\"Content-Security-Policy\" content=\""
		"default-src 'none'; style-src 'unsafe-inline'\">"
		"<meta name=\"viewport\" content=\"width=device-width,"
		"initial-scale=1\"><meta name=\"generator\" content=\"kreport ");
	escc(&p, c->version);
	raw(&p, "\"><title>ksvm report</title><style>");
	raw(&p, css);
	raw(&p, "</style></head><body><header><h1>ksvm report</h1><p>");
	fmt(&p, "Generated %s UTC", kr_fmt_time(c->generated, t1));
	if (c->hostname != NULL) {
		raw(&p, " on ");
		escc(&p, c->hostname);
	}
	if (a->have_time)
		fmt(&p, " &middot; events from %s to %s UTC",
		    kr_fmt_time(a->first, t1), kr_fmt_time(a->last, t2));
	fmt(&p, " &middot; %zu input%s", c->inputs->n,
	    c->inputs->n == 1 ? "" : "s");
	if (c->filter != NULL) {
		struct ks_buf fd;

		ks_buf_init(&fd, KS_BUF_UNLIMITED);
		kr_filter_describe(c->filter, &fd);
		if (fd.len > 0) {
			raw(&p, " &middot; filters: ");
			esc(&p, fd.data, fd.len);
		}
		ks_buf_free(&fd);
	}
	raw(&p, "</p></header><main><div class=\"cards\" id=\"totals\">");
	card(&p, "records", a->records, "");
	card(&p, "detections", a->detections, a->detections ? "sev-high" : "");
	card(&p, "critical", a->by_sev[KR_SEV_CRITICAL], "sev-critical");
	card(&p, "high", a->by_sev[KR_SEV_HIGH], "sev-high");
	card(&p, "medium", a->by_sev[KR_SEV_MEDIUM], "sev-medium");
	card(&p, "low", a->by_sev[KR_SEV_LOW], "sev-low");
	card(&p, "errors", a->errors, "");
	if (c->filtered_out > 0)
		card(&p, "left out by filters", c->filtered_out, "");
	raw(&p, "</div>");
	if (malformed > 0)
		fmt(&p, "<p class=\"note\">%s malformed input line%s were "
			"skipped; see Errors.</p>", kr_fmt_count(malformed, n),
		    malformed == 1 ? "" : "s");
	time_chart(&p, a);
	raw(&p, "<div class=\"grid\">");
	vm_bars(&p, &a->vms);
	map_bars(&p, "chart-category", "Detections by category",
		 &a->categories, 0);
	map_bars(&p, "chart-threats", "Top threats", &a->threats, 0);
	map_bars(&p, "chart-signatures", "Top signatures", &a->signatures, 1);
	raw(&p, "</div><br>");
	detections(&p, a);
	type_table(&p, a);
	vm_table(&p, &a->vms);
	error_table(&p, a);
	raw(&p, "</main><footer>kreport ");
	escc(&p, c->version);
	raw(&p, " &middot; ksvm</footer></body></html>\n");
	return p.st;
}
