/*
 * Fuzz target: kreport's input path on arbitrary bytes, from the line
 * splitter through the JSON scanner, the event, the counts, and every
 * output format.
 *
 * Properties checked beyond "no crash":
 *   - the scanner is never more lenient than the project's json-c reader
 *     (a line kr_jdoc accepts, kj_parse accepts too);
 *   - a syslog message is at most its size, one line of valid UTF-8, and
 *     keeps its event id;
 *   - a CEF line is valid UTF-8 with one newline, at its end;
 *   - an EVE line is a JSON object the scanner reads back;
 *   - the JSON summary and SARIF are JSON the scanner reads back, the
 *     text and HTML reports are valid UTF-8 and the text has no escape
 *     character.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "json/reader.h"
#include "report/agg.h"
#include "report/cef.h"
#include "report/eve.h"
#include "report/filter.h"
#include "report/report.h"
#include "report/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(struct kr_jdoc *d, const struct ks_buf *b)
{
	struct ks_err err;
	size_t n = b->len;

	if (n == 0 || b->data[n - 1] != '\n')
		abort();
	if (kr_jdoc_parse(d, (const char *)b->data, n - 1, &err) != KS_OK ||
	    d->ntok == 0)
		abort();
}

static void check_utf8_line(const struct ks_buf *b, size_t start, int nl)
{
	const uint8_t *p = b->data + start;
	size_t n = b->len - start;

	if (nl) {
		if (n == 0 || p[n - 1] != '\n')
			abort();
		n--;
	}
	if (!ks_utf8_valid(p, n) || memchr(p, '\n', n) != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kj_lines l;
	struct kj_parser kp;
	struct kr_jdoc d, check;
	struct kr_event e;
	struct kr_agg a;
	struct kr_filter f;
	struct kr_inputs in;
	struct kr_report_ctx c;
	struct ks_buf b;
	struct ks_err err;
	struct kr_syslog_opts so = { 16, "svm", 480 };
	struct kr_cef_opts co = { "0.1.0", "svm" };
	char *line, id[33];
	size_t len, off = 0, max;
	enum ks_status st;

	if (size == 0)
		return 0;
	/* The first byte picks the syslog size, so cuts land anywhere. */
	max = 480 + (size_t)data[0] * 16;
	data++;
	size--;
	so.max = max;
	kj_lines_init(&l, 4096);
	if (kj_parser_init(&kp, 32) != KS_OK)
		abort();
	kr_jdoc_init(&d);
	kr_jdoc_init(&check);
	kr_event_init(&e);
	kr_agg_init(&a, 1, 50);
	kr_filter_init(&f);
	ks_buf_init(&b, KS_BUF_UNLIMITED);
	memset(&in, 0, sizeof in);
	for (;;) {
		st = kj_lines_next(&l, &line, &len, off >= size);
		if (st == KS_EOF)
			break;
		if (st == KS_AGAIN) {
			size_t n = size - off < 4096 ? size - off : 4096;

			if (kj_lines_push(&l, data + off, n) != KS_OK)
				abort();
			off += n;
			continue;
		}
		if (st != KS_OK)
			continue;
		st = kr_jdoc_parse(&d, line, len, &err);
		if (st != KS_OK) {
			kr_event_malformed(&e, line, len, "fuzz", l.line_no,
					   ks_status_name(st), err.msg,
					   (struct ks_time){ 0, 0 });
		} else if (d.ntok == 0) {
			continue;
		} else {
			/* Never more lenient than json-c (on a copy: kj_parse
			 * rewrites escapes in place). */
			char *copy = malloc(len ? len : 1);
			struct json_object *o = NULL;

			memcpy(copy, line, len);
			if (kj_parse(&kp, copy, len, &o, &err) != KS_OK)
				abort();
			json_object_put(o);
			free(copy);
			kr_event_from_doc(&e, &d, line, len, "fuzz", l.line_no);
		}
		if (!kr_filter_match(&f, &e))
			abort();   /* no filter set: everything passes */
		kr_agg_add(&a, &e);
		ks_buf_reset(&b);
		if (kr_syslog_format(&b, &e, &so, NULL) == KS_OK) {
			if (b.len > max)
				abort();
			check_utf8_line(&b, 0, 0);
			b.data[b.len] = '\0';
			if (strstr((char *)b.data, kr_event_id_hex(&e, id)) == NULL)
				abort();
		}
		ks_buf_reset(&b);
		if (kr_cef_format(&b, &e, &co) == KS_OK)
			check_utf8_line(&b, 0, 1);
		ks_buf_reset(&b);
		if (!e.own) {
			struct kr_eve_info info;

			if (kr_eve_format(&b, &e, &info, &err) == KS_OK)
				check_json(&check, &b);
		}
	}
	memset(&c, 0, sizeof c);
	c.agg = &a;
	c.inputs = &in;
	c.filter = &f;
	c.version = "0.1.0";
	c.hostname = "svm";
	c.cwd = "/";
	c.base = "/srv";
	ks_buf_reset(&b);
	if (kr_json_report(&b, &c) == KS_OK)
		check_json(&check, &b);
	ks_buf_reset(&b);
	if (kr_sarif_report(&b, &c) == KS_OK)
		check_json(&check, &b);
	ks_buf_reset(&b);
	if (kr_text_report(&b, &c) == KS_OK &&
	    (!ks_utf8_valid(b.data, b.len) || memchr(b.data, 0x1b, b.len)))
		abort();
	ks_buf_reset(&b);
	if (kr_html_report(&b, &c) == KS_OK && !ks_utf8_valid(b.data, b.len))
		abort();
	ks_buf_free(&b);
	kr_filter_free(&f);
	kr_agg_free(&a);
	kr_event_free(&e);
	kr_jdoc_free(&d);
	kr_jdoc_free(&check);
	kj_parser_free(&kp);
	kj_lines_free(&l);
	return 0;
}
