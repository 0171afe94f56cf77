/* The Suricata rule parser: headers, options, escapes, refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids/parse.h"
#include "ids/set.h"
#include "ids/vars.h"
#include "unit.h"

struct env {
	struct ki_vars *v;
	struct ki_classes *c;
	struct ki_names *n;
	struct ki_parse_env pe;
};

static void env_init(struct env *e)
{
	e->v = ki_vars_new();
	e->c = ki_classes_new();
	e->n = ki_names_new();
	e->pe.vars = e->v;
	e->pe.classes = e->c;
	e->pe.names = e->n;
}

static void env_free(struct env *e)
{
	ki_vars_free(e->v);
	ki_classes_free(e->c);
	ki_names_free(e->n);
}

/* Parse; returns the rule (caller frees) or NULL with kw/msg set. */
static struct ki_rule *parse(struct env *e, const char *text, const char **kw,
			     char *msg)
{
	struct ki_rule *r;
	char kwbuf[KI_KW_MAX];
	static char kwcopy[KI_KW_MAX];
	struct ks_err err;
	const char *k = NULL;

	if (ki_rule_parse(text, strlen(text), &e->pe, &r, &k, kwbuf, &err) != KS_OK) {
		snprintf(kwcopy, sizeof kwcopy, "%s", k);
		if (kw)
			*kw = kwcopy;
		if (msg)
			snprintf(msg, KS_ERR_MSG_MAX, "%s", err.msg);
		return NULL;
	}
	return r;
}

static struct kn_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	struct kn_addr x;

	memset(&x, 0, sizeof x);
	x.family = 4;
	x.b[0] = (uint8_t)a;
	x.b[1] = (uint8_t)b;
	x.b[2] = (uint8_t)c;
	x.b[3] = (uint8_t)d;
	return x;
}

TEST(ids_parse_header_and_meta)
{
	struct env e;
	struct ki_rule *r;
	struct kn_addr a;

	env_init(&e);
	r = parse(&e, "alert tcp $HOME_NET any -> $EXTERNAL_NET [80,8000:8100] "
		  "(msg:\"ET test \\\"quoted\\\" \\; done\"; flow:established,to_server; "
		  "content:\"GET\"; sid:100; rev:3; classtype:trojan-activity; "
		  "metadata:former_category MALWARE, signature_severity Major; "
		  "reference:url,example.org;)", NULL, NULL);
	REQUIRE(r != NULL);
	CHECK_INT(r->sid, 100);
	CHECK_INT(r->rev, 3);
	CHECK_INT(r->gid, 1);
	CHECK_STR(r->msg, "ET test \"quoted\" ; done");
	CHECK_INT(r->priority, 1);
	CHECK_STR(r->class_name, "trojan-activity");
	CHECK_INT(r->nmeta, 2);
	CHECK_STR(r->meta[1].key, "signature_severity");
	CHECK_STR(r->meta[1].value, "Major");
	CHECK_INT(r->flow, KI_FL_ESTABLISHED | KI_FL_TO_SERVER);
	CHECK_INT(r->hook, KI_H_STREAM);
	a = v4(10, 1, 2, 3);
	CHECK(ki_addrs_match(&r->src, &a));
	CHECK(!ki_addrs_match(&r->dst, &a));
	a = v4(8, 8, 8, 8);
	CHECK(ki_addrs_match(&r->dst, &a));
	CHECK(ki_ports_match(&r->dp, 80));
	CHECK(ki_ports_match(&r->dp, 8050));
	CHECK(!ki_ports_match(&r->dp, 8101));
	CHECK(ki_ports_match(&r->sp, 1));
	ki_rule_free(r);
	env_free(&e);
}

TEST(ids_parse_content_hex_and_modifiers)
{
	struct env e;
	struct ki_rule *r;

	env_init(&e);
	r = parse(&e, "alert http any any -> any any (content:\"a|3b 0d0A|b\\|\"; "
		  "http_uri; nocase; content:!\"x\"; distance:-2; within:5; "
		  "http.user_agent; content:\"h\"; startswith; fast_pattern; "
		  "http.host; dotprefix; content:\".evil.com\"; endswith; sid:1;)",
		  NULL, NULL);
	REQUIRE(r != NULL);
	REQUIRE(r->nsm == 4);
	CHECK_MEM(r->sm[0].u.c.pat, r->sm[0].u.c.len, "a;\r\nb|", 6);
	CHECK_INT(r->sm[0].buf, KI_B_HTTP_URI);
	CHECK(r->sm[0].flags & KI_F_NOCASE);
	CHECK_INT(r->sm[1].buf, KI_B_PAYLOAD);
	CHECK(r->sm[1].flags & KI_F_NEGATED);
	CHECK_INT(r->sm[1].u.c.distance, -2);
	CHECK_INT(r->sm[1].u.c.within, 5);
	CHECK_INT(r->sm[2].buf, KI_B_HTTP_UA);
	CHECK(r->sm[2].flags & KI_F_STARTSWITH);
	CHECK_INT(r->sm[3].buf, KI_B_HTTP_HOST | KI_B_DOT);
	CHECK(r->sm[3].flags & KI_F_ENDSWITH);
	CHECK_INT(r->fast, 2);
	CHECK_INT(r->hook, KI_H_HTTP_REQ);
	CHECK_INT(r->hooks, 1u << KI_H_HTTP_REQ);
	ki_rule_free(r);
	/* file.data and other both-side buffers: both places without a
	 * direction, one with it or with a request buffer. */
	{
		static const struct { const char *opts; unsigned hooks; } t[] = {
			{ "file_data; content:\"x\"; http.header; content:\"y\";",
			  1u << KI_H_HTTP_REQ | 1u << KI_H_HTTP_RESP },
			{ "flow:to_server; file.data; content:\"x\";", 1u << KI_H_HTTP_REQ },
			{ "flow:to_client; file.data; content:\"x\";", 1u << KI_H_HTTP_RESP },
			{ "file.data; content:\"x\"; http.request_body; content:\"y\";",
			  1u << KI_H_HTTP_REQ },
		};
		char text[256];

		for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
			snprintf(text, sizeof text, "alert http any any -> any any "
				 "(%s sid:2;)", t[i].opts);
			r = parse(&e, text, NULL, NULL);
			REQUIRE(r != NULL);
			CHECK_INT(r->sm[0].buf, KI_B_FILE_DATA);
			if (r->hooks != t[i].hooks)
				ut_fail(__FILE__, __LINE__, "%s: hooks %u, want %u",
					t[i].opts, r->hooks, t[i].hooks);
			ki_rule_free(r);
		}
	}
	env_free(&e);
}

TEST(ids_parse_pcre_and_bytes)
{
	struct env e;
	struct ki_rule *r;

	env_init(&e);
	r = parse(&e, "alert tcp any any -> any any (content:\"AB\"; "
		  "pcre:\"/^x\\;y/Ri\"; byte_test:2,!>=,0x10,1,relative,little; "
		  "byte_jump:1,0,relative,multiplier 2,post_offset -1; "
		  "isdataat:!4,relative; pcre:\"/abc/U\"; sid:2;)", NULL, NULL);
	REQUIRE(r != NULL);
	REQUIRE(r->nsm == 6);
	CHECK_INT(r->sm[1].kind, KI_SM_PCRE);
	CHECK(r->sm[1].flags & KI_F_RELATIVE);
	CHECK_INT(r->sm[2].u.bt.op, 'G');
	CHECK(r->sm[2].u.bt.bflags & KI_BF_NOT);
	CHECK_INT(r->sm[2].u.bt.value, 16);
	CHECK_INT(r->sm[3].u.bt.multiplier, 2);
	CHECK_INT(r->sm[3].u.bt.post_offset, -1);
	CHECK(r->sm[4].flags & KI_F_NEGATED);
	CHECK_INT(r->sm[5].buf, KI_B_HTTP_URI);
	ki_rule_free(r);
	env_free(&e);
}

TEST(ids_parse_packet_keywords)
{
	struct env e;
	struct ki_rule *r;

	env_init(&e);
	r = parse(&e, "drop tcp any any -> any any (flags:S+,CE; dsize:10<>20; "
		  "sameip; ipopts:lsrr; sid:3;)", NULL, NULL);
	REQUIRE(r != NULL);
	CHECK_INT(r->action, KI_ACT_DROP);
	CHECK_INT(r->hook, KI_H_PACKET);
	CHECK_INT(r->flags_set, KN_TH_SYN);
	CHECK_INT(r->flags_mode, '+');
	CHECK_INT(r->flags_mask, (uint8_t)~(KN_TH_CWR | KN_TH_ECE));
	CHECK(ki_num_match(&r->dsize, 15));
	CHECK(!ki_num_match(&r->dsize, 10));
	CHECK(r->sameip);
	CHECK_INT(r->ipopts, KN_IPOPT_LSRR);
	ki_rule_free(r);
	r = parse(&e, "alert icmp any any <> any any (itype:>3; icode:0; sid:4;)",
		  NULL, NULL);
	REQUIRE(r != NULL);
	CHECK(r->bidir);
	CHECK(ki_num_match(&r->itype, 8));
	CHECK(!ki_num_match(&r->itype, 3));
	ki_rule_free(r);
	env_free(&e);
}

TEST(ids_parse_flowbits_threshold)
{
	struct env e;
	struct ki_rule *r;

	env_init(&e);
	r = parse(&e, "alert tcp any any -> any any (flowbits:isset,a|b; "
		  "flowbits:set,c; flowbits:noalert; threshold: type limit, "
		  "track by_src, count 2, seconds 60; detection_filter:track "
		  "by_dst, count 5, seconds 10; sid:5;)", NULL, NULL);
	REQUIRE(r != NULL);
	REQUIRE(r->nfb == 2);
	CHECK_INT(r->fb[0].op, KI_FB_ISSET);
	CHECK(r->fb[0].any);
	CHECK_INT(r->fb[0].n, 2);
	CHECK_INT(r->fb[1].ids[0], 2);
	CHECK(r->noalert);
	CHECK_INT(r->th.type, KI_TH_LIMIT);
	CHECK_INT(r->th.count, 2);
	CHECK_INT(r->th.seconds, 60);
	CHECK_INT(r->df.type, KI_TH_DETECTION_FILTER);
	CHECK_INT(r->df.track, KI_TRACK_DST);
	ki_rule_free(r);
	env_free(&e);
}

TEST(ids_parse_addresses_and_vars)
{
	struct env e;
	struct ki_rule *r;
	struct kn_addr a;
	const char *kw;
	char msg[KS_ERR_MSG_MAX];

	env_init(&e);
	CHECK(ki_vars_set_arg(e.v, "HOME_NET=[192.0.2.0/24,!192.0.2.7]", NULL) == 0);
	CHECK(ki_vars_set_arg(e.v, "MY_PORTS=[1:3,!2]", NULL) == 0);
	CHECK(ki_vars_set_arg(e.v, "=x", NULL) != 0);
	CHECK(ki_vars_set_arg(e.v, "bad name=x", NULL) != 0);
	r = parse(&e, "alert udp $HOME_NET $MY_PORTS -> [2001:db8::/32,10.0.0.1-10.0.0.5] "
		  "!53 (sid:6;)", NULL, NULL);
	REQUIRE(r != NULL);
	a = v4(192, 0, 2, 8);
	CHECK(ki_addrs_match(&r->src, &a));
	a = v4(192, 0, 2, 7);
	CHECK(!ki_addrs_match(&r->src, &a));
	CHECK(ki_ports_match(&r->sp, 1));
	CHECK(!ki_ports_match(&r->sp, 2));
	CHECK(!ki_ports_match(&r->sp, 4));
	a = v4(10, 0, 0, 5);
	CHECK(ki_addrs_match(&r->dst, &a));
	a = v4(10, 0, 0, 6);
	CHECK(!ki_addrs_match(&r->dst, &a));
	memset(&a, 0, sizeof a);
	a.family = 6;
	a.b[0] = 0x20; a.b[1] = 0x01; a.b[2] = 0x0d; a.b[3] = 0xb8;
	CHECK(ki_addrs_match(&r->dst, &a));
	CHECK(!ki_ports_match(&r->dp, 53));
	ki_rule_free(r);
	/* Undefined and looping variables. */
	CHECK(parse(&e, "alert ip $NOPE any -> any any (sid:7;)", &kw, msg) == NULL);
	CHECK_STR(kw, "(undefined variable)");
	CHECK(strstr(msg, "$NOPE") != NULL);
	CHECK(ki_vars_set(e.v, "A", "$B", NULL) == 0);
	CHECK(ki_vars_set(e.v, "B", "[$A]", NULL) == 0);
	CHECK(parse(&e, "alert ip $A any -> any any (sid:8;)", &kw, msg) == NULL);
	CHECK_STR(kw, "(syntax)");
	CHECK(strstr(msg, "nested") != NULL);
	env_free(&e);
}

/* Hostile and broken rules: every one is refused with a reason, none
 * crashes or leaks (the sanitizer run checks the latter). */
TEST(ids_parse_refusals)
{
	static const struct { const char *rule, *kw; } cases[] = {
		{ "alert tcp any any -> any any", "(syntax)" },
		{ "alert tcp any any -> any any ()", "(syntax)" },
		{ "alert tcp any any -> any any (sid:1)", "(syntax)" },
		{ "alert tcp any any -> any any (msg:\"x\";", "(syntax)" },
		{ "alert tcp any any any any (sid:1;)", "(syntax)" },
		{ "alert tcp any any => any any (sid:1;)", "direction =>" },
		{ "log tcp any any -> any any (sid:1;)", "action log" },
		{ "alert smtp any any -> any any (sid:1;)", "protocol smtp" },
		{ "alert tcp any any -> any any (msg:\"x\";)", "(syntax)" },
		{ "alert tcp any any -> any any (sid:0;)", "(syntax)" },
		{ "alert tcp any any -> any any (sid:99999999999;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"|4|\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"|zz|\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"|41\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:abc; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"a\\x\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"a\"b\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (nocase; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"abc\"; depth:2; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"abc\"; within:1; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"a\"; offset:1; distance:1; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"a\"; depth:x; sid:1;)", "byte_extract" },
		{ "alert tcp any any -> any any (content:\"a\"; startswith; offset:2; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (pcre:\"/(/\"; sid:1;)", "pcre" },
		{ "alert tcp any any -> any any (pcre:\"abc\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (pcre:\"/a/J\"; sid:1;)", "pcre /J" },
		{ "alert tcp any any -> any any (http.uri; pcre:\"/a/H\"; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (byte_test:9,=,1,0; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (byte_test:2,~,1,0; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (byte_test:2,=,1,0,dce; sid:1;)", "byte_test" },
		{ "alert tcp any any -> any any (flow:sideways; sid:1;)", "flow:sideways" },
		{ "alert tcp any any -> any any (flow:to_server,to_client; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (flowbits:frob,x; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (flowbits:set; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (flowbits:set,a|b; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (threshold:type limit; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (threshold:type limit, track by_flow, count 1, seconds 1; sid:1;)", "threshold track by_flow" },
		{ "alert tcp any any -> any any (tls.certs; content:\"a\"; sid:1;)", "tls.certs" },
		{ "alert tcp any any -> any any (frobnicate; sid:1;)", "frobnicate" },
		{ "alert tcp any any -> any any (classtype:no-such-class; sid:1;)", "classtype" },
		{ "alert tcp any any -> any any (content:\"a\"; http_uri; http_uri; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (http.uri; content:\"a\"; http_header; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (dotprefix; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (bsize:3; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (dns.query; content:\"a\"; http.uri; content:\"b\"; sid:1;)", "(buffers of two protocols)" },
		{ "alert tcp any any -> any any (dsize:3; http.uri; content:\"b\"; sid:1;)", "(packet keyword with app buffer)" },
		{ "alert tcp any any -> any any (flow:to_client; http.uri; content:\"b\"; sid:1;)", "(syntax)" },
		{ "alert tcp [1.2.3.4 any -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp [1.2.3.4]] any -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp 1.2.3.400 any -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp 1.2.3.4/33 any -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp !any any -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp any 70000 -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp any 9:3 -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp any : -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp any ! -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp $ any -> any any (sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (fast_pattern; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:\"ab\"; fast_pattern:1,5; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (content:!\"ab\"; fast_pattern; sid:1;)", "(syntax)" },
		{ "alert tcp any any -> any any (ipopts:satid; sid:1;)", "ipopts" },
		{ "alert tcp any any -> any any (flags:SQ; sid:1;)", "(syntax)" },
	};
	struct env e;
	const char *kw;
	char msg[KS_ERR_MSG_MAX];

	env_init(&e);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ki_rule *r = parse(&e, cases[i].rule, &kw, msg);

		if (r != NULL) {
			ut_fail(__FILE__, __LINE__, "accepted: %s", cases[i].rule);
			ki_rule_free(r);
			continue;
		}
		if (strcmp(kw, cases[i].kw) != 0)
			ut_fail(__FILE__, __LINE__, "%s: counted under '%s', "
				"want '%s' (%s)", cases[i].rule, kw, cases[i].kw, msg);
		if (msg[0] == '\0')
			ut_fail(__FILE__, __LINE__, "%s: no reason", cases[i].rule);
	}
	env_free(&e);
}

TEST(ids_set_files_continuations_and_report)
{
	struct ki_vars *v = ki_vars_new();
	struct ki_classes *c = ki_classes_new();
	struct ki_names *n = ki_names_new();
	struct ki_set *s = ki_set_new(v, c, n);
	static const char text[] =
		"# a comment\n"
		"\n"
		"alert tcp any any -> any any (msg:\"one\"; \\\n"
		"   content:\"a\"; sid:1;)\r\n"
		"#alert tcp any any -> any any (msg:\"disabled\"; sid:9;)\n"
		"alert tcp any any -> any any (msg:\"dup\"; sid:1;)\n"
		"alert tcp any any -> any any (ja3_hash; content:\"x\"; sid:2;)\n"
		"alert tcp any any -> any any (ja3_hash; sid:3;)\n"
		"alert smtp any any -> any any (sid:4;)\n"
		"alert tcp any any -> any any (msg:\"last\"; sid:5;)";
	size_t cnt;
	struct ks_err err;

	REQUIRE(s != NULL);
	CHECK(ki_set_load_string(s, text, sizeof text - 1, "t.rules", &err) == KS_OK);
	CHECK_INT(ki_set_count(s), 2);
	CHECK_STR(ki_rule_msg(ki_set_rule(s, 0)), "one");
	CHECK_INT(ki_rule_sid(ki_set_rule(s, 1)), 5);
	CHECK_INT(ki_set_rule(s, 0)->line, 3);
	CHECK_INT(ki_set_refused(s), 4);
	CHECK_STR(ki_set_refusal(s, 0, &cnt), "ja3_hash");
	CHECK_INT(cnt, 2);
	CHECK(ki_set_refusal(s, 3, &cnt) == NULL);
	CHECK_INT(ki_set_failure_count(s), 4);
	CHECK(strncmp(ki_set_failure(s, 0), "t.rules:6: duplicate sid 1", 26) == 0);
	ki_set_free(s);
	ki_vars_free(v);
	ki_classes_free(c);
	ki_names_free(n);
}

TEST(ids_classification_config)
{
	struct ki_classes *c = ki_classes_new();
	struct ks_err err;
	int prio = 0;

	REQUIRE(c != NULL);
	CHECK(ki_classes_load_string(c, "# x\nconfig classification: my-class,My, odd class,4\n"
				     "config classification: trojan-activity,Trojan,2\n",
				     "c.config", &err) == KS_OK);
	CHECK_STR(ki_classes_get(c, "my-class", &prio, NULL), "My, odd class");
	CHECK_INT(prio, 4);
	CHECK_STR(ki_classes_get(c, "trojan-activity", &prio, NULL), "Trojan");
	CHECK_INT(prio, 2);
	CHECK(ki_classes_load_string(c, "config classification: a,b\n", "c", &err) ==
	      KS_ERR_INVALID);
	CHECK(strstr(err.msg, "c:1") != NULL);
	CHECK(ki_classes_load_string(c, "config classification: a,b,0\n", "c", &err) ==
	      KS_ERR_INVALID);
	CHECK(ki_classes_get(c, "a", NULL, NULL) == NULL);
	ki_classes_free(c);
}

TEST(ids_names_interned)
{
	struct ki_names *n = ki_names_new();

	REQUIRE(n != NULL);
	CHECK_INT(ki_names_id(n, "abc", 3), 0);
	CHECK_INT(ki_names_id(n, "abd", 3), 1);
	CHECK_INT(ki_names_id(n, "abcdef", 3), 0);
	CHECK_INT(ki_names_count(n), 2);
	ki_names_free(n);
}
