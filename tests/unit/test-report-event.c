#include <stdio.h>
#include <stdlib.h>

#include "report/event.h"
#include "report/filter.h"
#include "unit.h"

/* Each record type, and what kreport makes of it. */
static const struct {
	const char *line;
	enum kr_type type;
	enum kr_sev sev;
	int detection;
	const char *threat, *category, *action, *vm, *path;
} cases[] = {
	{ "{\"timestamp\":\"2026-11-26T09:00:00.000000+0000\",\"event_type\":\"file\","
	  "\"vm\":\"web1\",\"file\":{\"path\":\"/a\"},\"verdict\":\"clean\"}",
	  KR_T_FILE, KR_SEV_INFO, 0, NULL, NULL, NULL, "web1", "/a" },
	{ "{\"event_type\":\"file\",\"file\":{\"path\":\"/e\"},\"verdict\":"
	  "\"infected\",\"matches\":[{\"rule\":\"EICAR\",\"meta\":{\"category\":"
	  "\"test\"}}],\"action\":{\"taken\":\"quarantine\"}}",
	  KR_T_FILE, KR_SEV_HIGH, 1, "EICAR", "test", "quarantine", NULL, "/e" },
	/* Every action failed: the threat is still there. */
	{ "{\"event_type\":\"file\",\"file\":{\"path\":\"/e\"},\"verdict\":"
	  "\"infected\",\"matches\":[{\"rule\":\"X\"}],\"action\":{\"taken\":null}}",
	  KR_T_FILE, KR_SEV_CRITICAL, 1, "X", "malware", "failed", NULL, "/e" },
	{ "{\"event_type\":\"file\",\"verdict\":\"error\",\"error\":{\"kind\":\"io\","
	  "\"message\":\"m\"}}", KR_T_FILE, KR_SEV_LOW, 0, NULL, NULL, NULL,
	  NULL, NULL },
	{ "{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\",\"alert\":{\"signature\":"
	  "\"S\",\"signature_id\":5,\"severity\":1,\"category\":\"C\",\"action\":"
	  "\"blocked\"}}", KR_T_ALERT, KR_SEV_HIGH, 1, "S", "C", "blocked",
	  NULL, NULL },
	{ "{\"event_type\":\"alert\",\"alert\":{\"signature\":\"S\",\"severity\":2}}",
	  KR_T_ALERT, KR_SEV_MEDIUM, 1, "S", "alert", NULL, NULL, NULL },
	{ "{\"event_type\":\"alert\",\"alert\":{\"signature\":\"S\",\"severity\":3}}",
	  KR_T_ALERT, KR_SEV_LOW, 1, "S", "alert", NULL, NULL, NULL },
	{ "{\"event_type\":\"alert\",\"alert\":{\"severity\":4}}",
	  KR_T_ALERT, KR_SEV_INFO, 1, "(unnamed signature)", "alert", NULL,
	  NULL, NULL },
	{ "{\"event_type\":\"anomaly\",\"anomaly\":{\"type\":\"decode\",\"event\":"
	  "\"e\"}}", KR_T_ANOMALY, KR_SEV_LOW, 0, "e", "decode", NULL, NULL, NULL },
	{ "{\"event_type\":\"url\",\"url\":\"http://x/\",\"host\":\"x\",\"verdict\":"
	  "\"phishing\",\"matches\":[{\"feed\":\"f\",\"category\":\"phishing\"}]}",
	  KR_T_URL, KR_SEV_HIGH, 1, "x", "phishing", NULL, NULL, NULL },
	{ "{\"event_type\":\"url\",\"url\":\"http://y/\",\"verdict\":\"malicious\"}",
	  KR_T_URL, KR_SEV_HIGH, 1, "http://y/", "malicious", NULL, NULL, NULL },
	{ "{\"event_type\":\"url\",\"url\":\"http://y/\",\"verdict\":\"clean\"}",
	  KR_T_URL, KR_SEV_INFO, 0, NULL, NULL, NULL, NULL, NULL },
	{ "{\"event_type\":\"access\",\"vm\":\"v\",\"path\":\"/p\",\"decision\":"
	  "\"deny\",\"reason\":\"detected\",\"threat\":\"T\"}",
	  KR_T_ACCESS, KR_SEV_HIGH, 1, "T", "malware", "deny", "v", "/p" },
	/* kurlcheck's own record: input, url{canonical, host}. */
	{ "{\"event_type\":\"url\",\"input\":\"HTTP://Z/a\",\"verdict\":"
	  "\"phishing\",\"url\":{\"canonical\":\"http://z/a\",\"host\":\"z\"},"
	  "\"matches\":[{\"feed\":\"f\",\"category\":\"phishing\"}]}",
	  KR_T_URL, KR_SEV_HIGH, 1, "z", "phishing", NULL, NULL, NULL },
	{ "{\"event_type\":\"url\",\"input\":\"z.example\",\"verdict\":"
	  "\"malicious\",\"url\":{}}",
	  KR_T_URL, KR_SEV_HIGH, 1, "z.example", "malicious", NULL, NULL, NULL },
	/* kgi-relay's record: the threat is the scan's first rule. */
	{ "{\"event_type\":\"access\",\"vm\":\"v\",\"path\":\"/p\",\"decision\":"
	  "\"deny\",\"reason\":\"detected\",\"scan\":{\"verdict\":\"infected\","
	  "\"rules\":[\"R1\",\"R2\"]}}",
	  KR_T_ACCESS, KR_SEV_HIGH, 1, "R1", "malware", "deny", "v", "/p" },
	{ "{\"event_type\":\"access\",\"path\":\"/p\",\"decision\":\"deny\","
	  "\"reason\":\"timeout\"}", KR_T_ACCESS, KR_SEV_MEDIUM, 0, NULL, NULL,
	  "deny", NULL, "/p" },
	{ "{\"event_type\":\"access\",\"path\":\"/p\",\"decision\":\"allow\","
	  "\"reason\":\"not-scanned\"}", KR_T_ACCESS, KR_SEV_LOW, 0, NULL, NULL,
	  "allow", NULL, "/p" },
	{ "{\"event_type\":\"access\",\"path\":\"/p\",\"decision\":\"allow\","
	  "\"reason\":\"clean\"}", KR_T_ACCESS, KR_SEV_INFO, 0, NULL, NULL,
	  "allow", NULL, "/p" },
	{ "{\"event_type\":\"quarantine\",\"quarantine\":{\"path\":\"/q\",\"vm\":"
	  "\"w\",\"operation\":\"restore\",\"result\":\"failed\"}}",
	  KR_T_QUARANTINE, KR_SEV_LOW, 0, NULL, NULL, "restore", "w", "/q" },
	{ "{\"event_type\":\"error\",\"error\":{\"kind\":\"io\",\"message\":\"m\"}}",
	  KR_T_ERROR, KR_SEV_LOW, 0, NULL, NULL, NULL, NULL, NULL },
	{ "{\"event_type\":\"stats\",\"stats\":{}}", KR_T_STATS, KR_SEV_INFO, 0,
	  NULL, NULL, NULL, NULL, NULL },
	{ "{\"event_type\":\"dns\",\"dns\":{\"queries\":[{\"rrname\":\"q.example\"}]}}",
	  KR_T_DNS, KR_SEV_INFO, 0, NULL, NULL, NULL, NULL, NULL },
	{ "{\"event_type\":\"something-new\",\"file\":{\"path\":\"/n\"}}",
	  KR_T_OTHER, KR_SEV_INFO, 0, NULL, NULL, NULL, NULL, "/n" },
	/* Members of the wrong type are absent, not a failure. */
	{ "{\"event_type\":\"file\",\"vm\":7,\"file\":\"x\",\"verdict\":[1]}",
	  KR_T_FILE, KR_SEV_INFO, 0, NULL, NULL, NULL, NULL, NULL },
	/* An escaped member name names the member. */
	{ "{\"event_\\u0074ype\":\"file\",\"\\u0076m\":\"esc\",\"verdict\":\"clean\"}",
	  KR_T_FILE, KR_SEV_INFO, 0, NULL, NULL, NULL, "esc", NULL },
};

static int str_is(struct kr_str s, const char *want)
{
	if (want == NULL)
		return s.p == NULL;
	return kr_str_eq(s, want);
}

TEST(event_classifies_every_record_type)
{
	struct kr_jdoc d;
	struct kr_event e;
	struct ks_err err;

	kr_jdoc_init(&d);
	kr_event_init(&e);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *l = cases[i].line;

		if (kr_jdoc_parse(&d, l, strlen(l), &err) != KS_OK) {
			ut_fail(__FILE__, __LINE__, "case %zu: %s", i, err.msg);
			continue;
		}
		kr_event_from_doc(&e, &d, l, strlen(l), "t", i + 1);
		if (e.type != cases[i].type || e.sev != cases[i].sev ||
		    e.detection != cases[i].detection ||
		    !str_is(e.threat, cases[i].threat) ||
		    !str_is(e.category, cases[i].category) ||
		    !str_is(e.action, cases[i].action) ||
		    !str_is(e.vm, cases[i].vm) || !str_is(e.path, cases[i].path))
			ut_fail(__FILE__, __LINE__, "case %zu: type %d sev %s det %d "
				"threat %.*s category %.*s action %.*s", i, e.type,
				kr_sev_name(e.sev), e.detection, (int)e.threat.n,
				e.threat.p ? e.threat.p : "", (int)e.category.n,
				e.category.p ? e.category.p : "", (int)e.action.n,
				e.action.p ? e.action.p : "");
	}
	kr_event_free(&e);
	kr_jdoc_free(&d);
}

TEST(event_fields_ids_and_endpoints)
{
	struct kr_jdoc d;
	struct kr_event e;
	struct ks_err err;
	char hex[33], hex2[33];
	struct kr_str ep;
	static const char l1[] =
		"{\"timestamp\":\"2026-11-26T09:10:00.123456+0000\","
		"\"event_type\":\"alert\",\"src_ip\":\"2001:db8::1\",\"src_port\":53,"
		"\"dest_ip\":\"10.0.0.2\",\"dest_port\":70000,\"proto\":\"UDP\","
		"\"flow_id\":99,\"alert\":{\"signature\":\"S\",\"signature_id\":7}}";

	kr_jdoc_init(&d);
	kr_event_init(&e);
	REQUIRE(kr_jdoc_parse(&d, l1, sizeof l1 - 1, &err) == KS_OK);
	kr_event_from_doc(&e, &d, l1, sizeof l1 - 1, "in", 3);
	CHECK(e.have_ts);
	CHECK_INT(e.ts.sec, 1795684200);
	CHECK_INT(e.ts.usec, 123456);
	CHECK_INT(e.src_port, 53);
	CHECK_INT(e.dest_port, -1);   /* not a port */
	CHECK(e.have_flow && e.flow_id == 99);
	CHECK(e.have_sid && e.signature_id == 7);
	ep = kr_event_endpoints(&e);
	CHECK_MEM(ep.p, ep.n, "[2001:db8::1]:53 -> 10.0.0.2 UDP", 32);
	kr_event_id_hex(&e, hex);
	CHECK_INT(strlen(hex), 32);
	/* The id is the record's: the same bytes (with CRLF) give the same. */
	{
		char l2[sizeof l1 + 2];

		memcpy(l2, l1, sizeof l1 - 1);
		memcpy(l2 + sizeof l1 - 1, "\r", 2);
		REQUIRE(kr_jdoc_parse(&d, l2, sizeof l1, &err) == KS_OK);
		kr_event_from_doc(&e, &d, l2, sizeof l1, "other", 9);
		CHECK_STR(kr_event_id_hex(&e, hex2), hex);
	}
	/* A refused line gets a stable id from where it was and its bytes. */
	kr_event_malformed(&e, "bad", 3, "in", 4, "invalid", "m",
			   (struct ks_time){ 1, 0 });
	kr_event_id_hex(&e, hex);
	kr_event_malformed(&e, "bad", 3, "in", 4, "invalid", "m",
			   (struct ks_time){ 2, 0 });
	CHECK_STR(kr_event_id_hex(&e, hex2), hex);
	kr_event_malformed(&e, "bad", 3, "in", 5, "invalid", "m",
			   (struct ks_time){ 2, 0 });
	CHECK(strcmp(kr_event_id_hex(&e, hex2), hex) != 0);
	CHECK(e.own && e.malformed && e.type == KR_T_ERROR);
	kr_event_free(&e);
	kr_jdoc_free(&d);
}

TEST(severity_table_is_the_same_in_every_format)
{
	static const struct {
		enum kr_sev s;
		int syslog, cef;
		const char *sarif, *secsev;
	} t[] = {
		{ KR_SEV_INFO, 6, 1, "none", "0.0" },
		{ KR_SEV_LOW, 5, 3, "note", "3.0" },
		{ KR_SEV_MEDIUM, 4, 5, "warning", "5.5" },
		{ KR_SEV_HIGH, 3, 8, "error", "8.0" },
		{ KR_SEV_CRITICAL, 2, 10, "error", "9.5" },
	};
	enum kr_sev p;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CHECK_INT(kr_sev_syslog(t[i].s), t[i].syslog);
		CHECK_INT(kr_sev_cef(t[i].s), t[i].cef);
		CHECK_STR(kr_sev_sarif(t[i].s), t[i].sarif);
		CHECK_STR(kr_sev_security_severity(t[i].s), t[i].secsev);
		CHECK_INT(kr_sev_parse(kr_sev_name(t[i].s), &p), 0);
		CHECK_INT(p, t[i].s);
	}
	CHECK_INT(kr_sev_parse("HIGH", &p), 0);
	CHECK_INT(p, KR_SEV_HIGH);
	CHECK_INT(kr_sev_parse("severe", &p), -1);
	CHECK_INT(kr_sev_from_suricata(1), KR_SEV_HIGH);
	CHECK_INT(kr_sev_from_suricata(0), KR_SEV_LOW);
	CHECK_INT(kr_sev_from_suricata(255), KR_SEV_INFO);
}

TEST(filter_matches_types_vms_severity_and_time)
{
	struct kr_filter f;
	struct kr_jdoc d;
	struct kr_event e;
	struct ks_err err;
	struct ks_time now = { 1795683600, 0 }, t;
	static const char l[] =
		"{\"timestamp\":\"2026-11-26T09:00:00.000000+0000\",\"event_type\":"
		"\"alert\",\"alert\":{\"severity\":2}}";

	kr_jdoc_init(&d);
	kr_event_init(&e);
	REQUIRE(kr_jdoc_parse(&d, l, sizeof l - 1, &err) == KS_OK);
	kr_event_from_doc(&e, &d, l, sizeof l - 1, "-", 1);
	kr_filter_init(&f);
	CHECK(kr_filter_match(&f, &e));
	REQUIRE(kr_filter_add_types(&f, "file,,url") == 0);
	CHECK_INT(f.ntypes, 2);
	CHECK(!kr_filter_match(&f, &e));
	REQUIRE(kr_filter_add_types(&f, "alert") == 0);
	CHECK(kr_filter_match(&f, &e));
	REQUIRE(kr_filter_add_vm(&f, "") == 0);   /* records without a VM */
	CHECK(kr_filter_match(&f, &e));
	f.min_sev = KR_SEV_HIGH;
	CHECK(!kr_filter_match(&f, &e));
	f.min_sev = KR_SEV_MEDIUM;
	CHECK(kr_filter_match(&f, &e));
	CHECK_INT(kr_time_arg("2026-11-26T09:00", now, &f.since), 0);
	f.have_since = 1;
	CHECK(kr_filter_match(&f, &e));
	CHECK_INT(kr_time_arg("2026-11-26T09:00:00.000000+0000", now, &f.until), 0);
	f.have_until = 1;
	CHECK(!kr_filter_match(&f, &e));   /* until is exclusive */
	{
		struct ks_buf b;

		ks_buf_init(&b, KS_BUF_UNLIMITED);
		kr_filter_describe(&f, &b);
		CHECK_STR((char *)b.data, "type file,url,alert; vm (none); "
			  "severity medium and above; since 2026-11-26 09:00:00 "
			  "UTC; until 2026-11-26 09:00:00 UTC");
		ks_buf_free(&b);
	}
	kr_filter_free(&f);
	/* The forms of a time. */
	CHECK_INT(kr_time_arg("2026-11-26", now, &t), 0);
	CHECK_INT(t.sec, 1795651200);
	CHECK_INT(kr_time_arg("2026-11-26T09:00:00Z", now, &t), 0);
	CHECK_INT(t.sec, 1795683600);
	CHECK_INT(kr_time_arg("@12", now, &t), 0);
	CHECK_INT(t.sec, 12);
	CHECK_INT(kr_time_arg("-2h", now, &t), 0);
	CHECK_INT(t.sec, 1795683600 - 7200);
	CHECK_INT(kr_time_arg("-3d", now, &t), 0);
	CHECK_INT(t.sec, 1795683600 - 3 * 86400);
	CHECK_INT(kr_time_arg("yesterday", now, &t), -1);
	CHECK_INT(kr_time_arg("2026-13-01", now, &t), -1);
	CHECK_INT(kr_time_arg("-5y", now, &t), -1);
	kr_event_free(&e);
	kr_jdoc_free(&d);
}
