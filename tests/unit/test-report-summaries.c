#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/utf8.h"
#include "report/agg.h"
#include "report/hist.h"
#include "report/report.h"
#include "unit.h"

static const char *const lines[] = {
	"{\"timestamp\":\"2026-11-26T09:00:00.000000+0000\",\"event_type\":"
	"\"file\",\"program\":\"kfscan\",\"vm\":\"web1\",\"file\":{\"path\":"
	"\"/repo/src/eicar.com\",\"sha256\":\"aa\"},\"verdict\":\"infected\","
	"\"matches\":[{\"rule\":\"EICAR\",\"rule_set\":\"builtin\"},{\"rule\":"
	"\"Second\",\"member\":\"/repo/src/eicar.com!x\"}],\"action\":"
	"{\"taken\":\"report\"}}",
	/* A hostile name in every field a report shows. */
	"{\"timestamp\":\"2026-11-26T10:00:00.000000+0000\",\"event_type\":"
	"\"file\",\"program\":\"kfscan\",\"vm\":\"<script>alert(1)</script>\","
	"\"file\":{\"path\":\"/elsewhere/a b\\u001b[31m\\udce9\\n.txt\"},"
	"\"verdict\":\"infected\",\"matches\":[{\"rule\":\"R<b>&'\\\"\\u001b"
	"[2J\\udcff\"}]}",
	"{\"timestamp\":\"2026-11-26T11:00:00.000000+0000\",\"event_type\":"
	"\"alert\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"alert\":"
	"{\"signature\":\"S1\",\"signature_id\":9,\"severity\":2}}",
	"{\"timestamp\":\"2026-11-26T11:00:00.000000+0000\",\"event_type\":"
	"\"file\",\"file\":{\"path\":\"/repo/ok\"},\"verdict\":\"clean\"}",
	"{\"timestamp\":\"2026-11-26T11:30:00.000000+0000\",\"event_type\":"
	"\"mystery\",\"vm\":\"a-very-long-virtual-machine-name-that-does-not-"
	"fit-anywhere-in-eighty-columns-at-all\"}",
};

struct fixture {
	struct kr_jdoc d;
	struct kr_event e;
	struct kr_agg a;
	struct kr_inputs in;
	struct kr_filter f;
	struct kr_report_ctx c;
	struct ks_buf b;
};

static void setup(struct fixture *x, int keep_rows)
{
	struct ks_err err;

	memset(x, 0, sizeof *x);
	kr_jdoc_init(&x->d);
	kr_event_init(&x->e);
	kr_agg_init(&x->a, keep_rows, 0);
	kr_filter_init(&x->f);
	ks_buf_init(&x->b, KS_BUF_UNLIMITED);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (kr_jdoc_parse(&x->d, lines[i], strlen(lines[i]), &err) !=
		    KS_OK) {
			ut_fail(__FILE__, __LINE__, "%zu: %s", i, err.msg);
			continue;
		}
		kr_event_from_doc(&x->e, &x->d, lines[i], strlen(lines[i]),
				  "in.jsonl", i + 1);
		kr_agg_add(&x->a, &x->e);
	}
	kr_event_malformed(&x->e, "oops", 4, "in.jsonl", 9, "invalid",
			   "the line is not a JSON object",
			   (struct ks_time){ 1795690000, 0 });
	kr_agg_add(&x->a, &x->e);
	x->c.agg = &x->a;
	x->c.inputs = &x->in;
	x->c.filter = &x->f;
	x->c.generated = (struct ks_time){ 1795690000, 0 };
	x->c.hostname = "svm1";
	x->c.version = "0.1.0";
	x->c.cwd = "/repo";
}

static void teardown(struct fixture *x)
{
	kr_jdoc_free(&x->d);
	kr_event_free(&x->e);
	kr_agg_free(&x->a);
	kr_filter_free(&x->f);
	ks_buf_free(&x->b);
}

TEST(summary_counts)
{
	struct fixture x;

	setup(&x, 0);
	CHECK_INT(x.a.records, 6);
	CHECK_INT(x.a.detections, 3);
	CHECK_INT(x.a.malformed, 1);
	CHECK_INT(x.a.errors, 1);
	CHECK_INT(x.a.by_type[KR_T_OTHER], 1);
	CHECK_INT(x.a.threats.n, 3);      /* EICAR, Second, R<b>... */
	CHECK_INT(x.a.signatures.n, 1);
	CHECK_INT(x.a.vms.n, 4);          /* web1, <script>, none, long */
	/* kreport's own error keeps out of the time span. */
	CHECK_INT(x.a.first.sec, 1795683600);
	CHECK_INT(x.a.last.sec, 1795683600 + 9000);
	teardown(&x);
}

TEST(text_report_fits_80_columns_and_is_safe_for_a_terminal)
{
	struct fixture x;
	const char *p, *nl;

	setup(&x, 0);
	REQUIRE(kr_text_report(&x.b, &x.c) == KS_OK);
	CHECK(ks_utf8_valid(x.b.data, x.b.len));
	/* No escape sequence from the input reaches the terminal. */
	CHECK(memchr(x.b.data, 0x1b, x.b.len) == NULL);
	for (p = (char *)x.b.data; *p != '\0'; p = nl + 1) {
		size_t cols = 0;

		nl = strchr(p, '\n');
		REQUIRE(nl != NULL);
		for (const char *q = p; q < nl; q++)
			cols += ((unsigned char)*q & 0xc0) != 0x80;
		if (cols > 79)
			ut_fail(__FILE__, __LINE__, "%zu columns: %.*s", cols,
				(int)(nl - p), p);
	}
	CHECK(strstr((char *)x.b.data, "R<b>&'\"?[2J?") != NULL);
	CHECK(strstr((char *)x.b.data, "mystery (not known to kreport)") != NULL);
	CHECK(strstr((char *)x.b.data, "[9] S1") != NULL);
	/* Colour when asked for, as SGR sequences only. */
	x.c.color = 1;
	ks_buf_reset(&x.b);
	REQUIRE(kr_text_report(&x.b, &x.c) == KS_OK);
	CHECK(strstr((char *)x.b.data, "\033[31mhigh\033[0m") != NULL);
	teardown(&x);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

TEST(html_report_escapes_everything_from_the_input)
{
	struct fixture x;
	const char *h;

	setup(&x, 1);
	REQUIRE(kr_html_report(&x.b, &x.c) == KS_OK);
	h = (char *)x.b.data;
	CHECK(ks_utf8_valid(x.b.data, x.b.len));
	CHECK(strstr(h, "<script>") == NULL);
	CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(h, "R&lt;b&gt;&amp;&#39;&quot;\xef\xbf\xbd[2J\xef\xbf\xbd") !=
	      NULL);
	/* Self-contained: nothing is loaded from anywhere. */
	CHECK(strstr(h, "src=") == NULL);
	CHECK(strstr(h, "href=") == NULL);
	CHECK(strstr(h, "@import") == NULL);
	CHECK(strstr(h, "default-src 'none'") != NULL);
	CHECK_INT(count(h, "<tr class=\"detection\""), 3);
	CHECK_INT(count(h, "<svg id=\"chart-"), 5);
	teardown(&x);
}

static struct json_object *parse(const struct ks_buf *b)
{
	struct json_object *o = json_tokener_parse((const char *)b->data);

	if (o == NULL)
		ut_fail(__FILE__, __LINE__, "not JSON: %.200s", (char *)b->data);
	return o;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = o;
	char buf[256], *tok, *save;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(v, tok, &v))
			v = NULL;
	}
	return v ? json_object_get_string(v) : "(none)";
}

TEST(sarif_results_rules_and_locations)
{
	struct fixture x;
	struct json_object *o;

	setup(&x, 1);
	x.c.base = "/repo";
	REQUIRE(kr_sarif_report(&x.b, &x.c) == KS_OK);
	o = parse(&x.b);
	REQUIRE(o != NULL);
	CHECK_STR(jstr(o, "version"), "2.1.0");
	CHECK_STR(jstr(o, "runs.0.tool.driver.name"), "ksvm");
	CHECK_STR(jstr(o, "runs.0.tool.driver.rules.0.id"), "EICAR");
	CHECK_STR(jstr(o, "runs.0.tool.driver.rules.1.id"), "Second");
	CHECK_STR(jstr(o, "runs.0.originalUriBaseIds.SRCROOT.uri"),
		  "file:///repo/");
	/* One result per rule that matched a file; alerts are not files. */
	CHECK_INT(json_object_array_length(json_object_object_get(
			  json_object_array_get_idx(json_object_object_get(o,
									   "runs"),
						    0),
			  "results")), 3);
	CHECK_STR(jstr(o, "runs.0.results.0.ruleId"), "EICAR");
	CHECK_STR(jstr(o, "runs.0.results.0.ruleIndex"), "0");
	CHECK_STR(jstr(o, "runs.0.results.0.level"), "error");
	CHECK_STR(jstr(o, "runs.0.results.0.locations.0.physicalLocation."
		       "artifactLocation.uri"), "src/eicar.com");
	CHECK_STR(jstr(o, "runs.0.results.0.locations.0.physicalLocation."
		       "artifactLocation.uriBaseId"), "SRCROOT");
	CHECK_STR(jstr(o, "runs.0.results.0.locations.0.physicalLocation."
		       "region.startLine"), "1");
	CHECK_STR(jstr(o, "runs.1.x"), "(none)");
	CHECK_STR(jstr(o, "runs.0.results.1.properties.archiveMember"),
		  "/repo/src/eicar.com!x");
	/* Outside the base: an absolute file URI, byte for byte. */
	CHECK_STR(jstr(o, "runs.0.results.2.locations.0.physicalLocation."
		       "artifactLocation.uri"),
		  "file:///elsewhere/a%20b%1B%5B31m%E9%0A.txt");
	CHECK_STR(jstr(o, "runs.0.invocations.0.executionSuccessful"), "true");
	CHECK(strlen(jstr(o, "runs.0.results.0.partialFingerprints."
			  "ksvmDetection/v1")) == 64);
	json_object_put(o);
	teardown(&x);
}

TEST(json_summary_record)
{
	struct fixture x;
	struct json_object *o;

	setup(&x, 0);
	REQUIRE(kr_json_report(&x.b, &x.c) == KS_OK);
	CHECK(x.b.data[x.b.len - 1] == '\n');
	o = parse(&x.b);
	REQUIRE(o != NULL);
	CHECK_STR(jstr(o, "event_type"), "summary");
	CHECK_STR(jstr(o, "program"), "kreport");
	CHECK_STR(jstr(o, "timestamp"), "2026-11-26T10:46:40.000000+0000");
	CHECK_STR(jstr(o, "summary.records"), "6");
	CHECK_STR(jstr(o, "summary.detections"), "3");
	CHECK_STR(jstr(o, "summary.by_type.file"), "3");
	CHECK_STR(jstr(o, "summary.other_types.0.event_type"), "mystery");
	CHECK_STR(jstr(o, "summary.top_signatures.0.signature_id"), "9");
	CHECK_STR(jstr(o, "summary.top_signatures.0.signature"), "S1");
	CHECK_STR(jstr(o, "summary.by_severity.high"), "2");
	CHECK_STR(jstr(o, "summary.first"), "2026-11-26T09:00:00.000000+0000");
	json_object_put(o);
	teardown(&x);
}

TEST(histogram_widens_and_keeps_every_count)
{
	struct kr_hist h;
	struct kr_bars bars;
	uint64_t total = 0;

	kr_hist_init(&h);
	/* A minute of events, then one a year later, then one before. */
	for (int i = 0; i < 60; i++)
		REQUIRE(kr_hist_add(&h, 1795683600 + i, KR_SEV_HIGH) == 0);
	CHECK_INT(kr_hist_width(h.rung), 1);
	REQUIRE(kr_hist_bars(&h, 60, &bars) == 0);
	CHECK_INT(bars.n, 60);
	CHECK_INT(bars.width, 1);
	free(bars.count);
	REQUIRE(kr_hist_add(&h, 1795683600 + 365 * 86400, KR_SEV_LOW) == 0);
	REQUIRE(kr_hist_add(&h, 1795683600 - 86400, KR_SEV_MEDIUM) == 0);
	CHECK_INT(h.total, 62);
	REQUIRE(kr_hist_bars(&h, 60, &bars) == 0);
	CHECK(bars.n <= 60);
	for (size_t i = 0; i < bars.n; i++)
		for (int s = 0; s < KR_SEV_COUNT; s++)
			total += bars.count[i][s];
	CHECK_INT(total, 62);
	CHECK(bars.start <= 1795683600 - 86400);
	CHECK(bars.start + (int64_t)bars.n * bars.width > 1795683600 + 365 * 86400);
	free(bars.count);
	kr_hist_free(&h);
}

TEST(counted_names_are_capped_and_keep_their_order)
{
	struct kr_map m;
	char k[32];

	kr_map_init(&m, sizeof(uint64_t), 100);
	for (int i = 0; i < 1000; i++) {
		uint64_t *v;

		snprintf(k, sizeof k, "name-%d", i % 150);
		v = kr_map_get(&m, k, strlen(k), 1);
		if (v != NULL)
			(*v)++;
	}
	CHECK_INT(m.n, 100);
	/* Names 100 to 149 come 6 times each, all refused. */
	CHECK_INT(m.refused, 300);
	CHECK(memcmp(m.keys[0].p, "name-0", 6) == 0);
	CHECK(memcmp(m.keys[99].p, "name-99", 7) == 0);
	CHECK(kr_map_get(&m, "name-120", 8, 0) == NULL);
	CHECK_INT(*(uint64_t *)kr_map_get(&m, "name-7", 6, 0), 7);
	kr_map_free(&m);
}
