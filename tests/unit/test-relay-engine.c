#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "json/reader.h"
#include "relay/engine.h"
#include "unit.h"

/* What the engine asked for, as text. */
struct sink {
	struct ks_buf decisions, requests, log;
	int ndecisions, nrequests;
};

static void on_decision(void *ctx, int client, const char *l, size_t n)
{
	struct sink *s = ctx;

	(void)client;
	ks_buf_append(&s->decisions, l, n);
	s->ndecisions++;
}

static void on_request(void *ctx, const char *l, size_t n)
{
	struct sink *s = ctx;

	ks_buf_append(&s->requests, l, n);
	s->nrequests++;
}

static void on_log(void *ctx, const char *l, size_t n)
{
	struct sink *s = ctx;

	ks_buf_append(&s->log, l, n);
}

struct fixture {
	char dir[64];
	struct kf_profiles ps;
	struct kg_vm_conf vm;
	struct kg_config cfg;
	struct kg_io io;
	struct sink sink;
	struct kg_engine *e;
};

static int setup(struct fixture *f, const char *profile)
{
	struct ks_err err;
	char path[128];
	FILE *fp;

	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/ksvm-relay-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/file.txt", f->dir);
	fp = fopen(path, "w");
	if (fp == NULL)
		return -1;
	fputs("content\n", fp);
	fclose(fp);
	kf_profiles_builtin(&f->ps);
	f->vm.name = "vm1";
	f->vm.root = f->dir;
	f->vm.profile = profile;
	f->cfg.profiles = &f->ps;
	f->cfg.vms = &f->vm;
	f->cfg.nvms = 1;
	f->cfg.default_profile = "quarantine";
	f->cfg.timeout_us = 1000;
	f->cfg.cache_max = 100;
	f->cfg.max_waiting = 100;
	f->cfg.max_dirty = 100;
	ks_buf_init(&f->sink.decisions, KS_BUF_UNLIMITED);
	ks_buf_init(&f->sink.requests, KS_BUF_UNLIMITED);
	ks_buf_init(&f->sink.log, KS_BUF_UNLIMITED);
	f->io.ctx = &f->sink;
	f->io.decision = on_decision;
	f->io.request = on_request;
	f->io.log = on_log;
	f->e = kg_engine_new(&f->cfg, &f->io, &err);
	return f->e != NULL ? 0 : -1;
}

static void teardown(struct fixture *f)
{
	char path[128];

	kg_engine_free(f->e);
	snprintf(path, sizeof path, "%s/file.txt", f->dir);
	unlink(path);
	rmdir(f->dir);
	ks_buf_free(&f->sink.decisions);
	ks_buf_free(&f->sink.requests);
	ks_buf_free(&f->sink.log);
}

static void event(struct fixture *f, const char *json, uint64_t now)
{
	kg_engine_event(f->e, 1, json_tokener_parse(json), now);
}

static void verdict(struct fixture *f, const char *json, uint64_t now)
{
	char buf[512];
	size_t n = strlen(json);

	memcpy(buf, json, n);
	kg_engine_scanner_line(f->e, buf, n, now);
}

/* The n-th decision's "reason" member. */
static const char *nth(struct fixture *f, int n, const char *member)
{
	static char out[64];
	char *line = (char *)f->sink.decisions.data;
	struct json_object *o, *v;

	for (int i = 0; i < n && line != NULL; i++) {
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	if (line == NULL)
		return "";
	o = json_tokener_parse(line);
	snprintf(out, sizeof out, "%s",
		 o && json_object_object_get_ex(o, member, &v) ?
			 json_object_get_string(v) : "");
	json_object_put(o);
	return out;
}

TEST(relay_engine_verdict_answers_waiters_once)
{
	struct fixture f;

	REQUIRE(setup(&f, NULL) == 0);
	event(&f, "{\"id\":1,\"vm\":\"vm1\",\"op\":\"open\",\"path\":\"/file.txt\"}", 10);
	event(&f, "{\"id\":2,\"vm\":\"vm1\",\"op\":\"open\",\"path\":\"/file.txt\"}", 20);
	/* One scan for both, nothing decided yet. */
	CHECK_INT(f.sink.nrequests, 1);
	CHECK_INT(f.sink.ndecisions, 0);
	CHECK(strstr((char *)f.sink.requests.data, "\"id\":\"r1\"") != NULL);
	CHECK(strstr((char *)f.sink.requests.data, "\"profile\":\"quarantine\"") != NULL);
	kg_engine_tick(f.e, 500);
	CHECK_INT(f.sink.ndecisions, 0);
	CHECK_INT(kg_engine_next_deadline(f.e), 1010);
	verdict(&f, "{\"event_type\":\"file\",\"id\":\"r1\",\"verdict\":\"clean\"}", 600);
	CHECK_INT(f.sink.ndecisions, 2);
	CHECK_STR(nth(&f, 0, "reason"), "clean");
	CHECK_STR(nth(&f, 1, "decision"), "allow");
	CHECK_INT(kg_engine_next_deadline(f.e), UINT64_MAX);
	/* The same answer again is ignored. */
	verdict(&f, "{\"event_type\":\"file\",\"id\":\"r1\",\"verdict\":\"infected\"}", 700);
	CHECK_INT(f.sink.ndecisions, 2);
	/* The next open of the unchanged file comes from the cache. */
	event(&f, "{\"id\":3,\"vm\":\"vm1\",\"op\":\"open\",\"path\":\"/file.txt\"}", 800);
	CHECK_INT(f.sink.nrequests, 1);
	CHECK_INT(f.sink.ndecisions, 3);
	/* Only the third decision came from the cache. */
	{
		const char *d = (const char *)f.sink.decisions.data;
		const char *c = strstr(d, "\"cached\":true");

		CHECK(c != NULL && strstr(c + 1, "\"cached\":true") == NULL);
		CHECK(c != NULL && strchr(d, '\n') != NULL &&
		      c > strchr(strchr(d, '\n') + 1, '\n'));
	}
	teardown(&f);
}

TEST(relay_engine_deadline_then_late_verdict)
{
	struct fixture f;
	struct kg_stats st;

	REQUIRE(setup(&f, NULL) == 0);
	event(&f, "{\"id\":\"a\",\"vm\":\"vm1\",\"op\":\"execute\",\"path\":\"/file.txt\"}", 0);
	kg_engine_tick(f.e, 999);
	CHECK_INT(f.sink.ndecisions, 0);
	kg_engine_tick(f.e, 1000);
	CHECK_INT(f.sink.ndecisions, 1);
	CHECK_STR(nth(&f, 0, "reason"), "timeout");
	/* quarantine fails closed */
	CHECK_STR(nth(&f, 0, "decision"), "deny");
	/* The late verdict answers nobody but is kept. */
	verdict(&f, "{\"event_type\":\"file\",\"id\":\"r1\",\"verdict\":\"infected\",\"action\":{\"access\":\"deny\",\"taken\":\"quarantine\"},\"matches\":[{\"rule\":\"X\"}]}", 5000);
	CHECK_INT(f.sink.ndecisions, 1);
	event(&f, "{\"id\":\"b\",\"vm\":\"vm1\",\"op\":\"open\",\"path\":\"/file.txt\"}", 6000);
	CHECK_INT(f.sink.ndecisions, 2);
	CHECK_STR(nth(&f, 1, "reason"), "detected");
	kg_engine_stats(f.e, &st);
	CHECK_INT(st.timeouts, 1);
	CHECK_INT(st.detected, 1);
	CHECK_INT(st.cache_hits, 1);
	teardown(&f);
}

TEST(relay_engine_fail_open_profile_allows_on_timeout)
{
	struct fixture f;

	REQUIRE(setup(&f, "report") == 0);
	event(&f, "{\"id\":1,\"vm\":\"vm1\",\"op\":\"open\",\"path\":\"/file.txt\"}", 0);
	kg_engine_tick(f.e, 2000);
	CHECK_STR(nth(&f, 0, "decision"), "allow");
	CHECK_STR(nth(&f, 0, "reason"), "timeout");
	teardown(&f);
}

TEST(relay_engine_scanner_lost_resends_waited_scans)
{
	struct fixture f;
	struct kg_stats st;

	REQUIRE(setup(&f, NULL) == 0);
	f.cfg.timeout_us = 1000000;
	kg_engine_free(f.e);
	f.e = kg_engine_new(&f.cfg, &f.io, NULL);
	REQUIRE(f.e != NULL);
	event(&f, "{\"id\":1,\"vm\":\"vm1\",\"op\":\"open\",\"path\":\"/file.txt\"}", 0);
	CHECK_INT(f.sink.nrequests, 1);
	kg_engine_scanner_lost(f.e);
	kg_engine_scanner_ready(f.e);
	CHECK_INT(f.sink.nrequests, 2);
	verdict(&f, "{\"event_type\":\"file\",\"id\":\"r1\",\"verdict\":\"error\",\"error\":{\"kind\":\"io\",\"message\":\"x\"}}", 10);
	CHECK_STR(nth(&f, 0, "reason"), "scanner-error");
	CHECK_STR(nth(&f, 0, "decision"), "deny");
	kg_engine_stats(f.e, &st);
	CHECK_INT(st.resent, 1);
	/* A lost scanner with nothing waiting sends nothing again. */
	kg_engine_scanner_lost(f.e);
	kg_engine_scanner_ready(f.e);
	CHECK_INT(f.sink.nrequests, 2);
	teardown(&f);
}

TEST(relay_engine_garbage_and_bad_events)
{
	struct fixture f;
	struct kg_stats st;

	REQUIRE(setup(&f, NULL) == 0);
	verdict(&f, "}}not json", 0);
	verdict(&f, "{\"no\":\"event type\"}", 0);
	kg_engine_bad_line(f.e, 1, 7, "not JSON", 0);
	event(&f, "{\"id\":1,\"vm\":\"vm1\",\"op\":\"open\",\"path\":\"/../x\"}", 0);
	event(&f, "{\"id\":2,\"vm\":\"vm2\",\"op\":\"open\",\"path\":\"/file.txt\"}", 0);
	kg_engine_stats(f.e, &st);
	CHECK_INT(st.scanner_garbage, 2);
	CHECK_INT(st.bad_events, 3);
	CHECK_INT(f.sink.nrequests, 0);
	CHECK(strstr((char *)f.sink.decisions.data, "\"detail\":\"line 7: not JSON\"") != NULL);
	teardown(&f);
}
