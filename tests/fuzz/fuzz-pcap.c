/*
 * Fuzz target: the whole packet path from capture bytes.  The input is a
 * pcap or pcapng file; libpcap reads it from memory and every packet goes
 * through the engine (decoders, defragmentation, flows, streams, the
 * application parsers, the detectors and the policy, in standard mode so
 * that drops are taken), with every record type on and small caps so
 * that eviction paths run too, and a web address database that lists
 * the documentation names (every .example host is a phishing one, so
 * that the inline checks, their alerts and their drops run).  Every
 * record written must be one line of valid JSON; the engine's counters
 * must add up.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"
#include "net/engine.h"
#include "net/pkt.h"
#include "url/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kj_parser parser;
static int parser_ready;
static struct ku_db *url_db;

/* The database: .example (domain, phishing) and evil.test (host,
 * malicious). */
static struct ku_db *make_db(void)
{
	struct ku_builder *b = ku_builder_new();
	struct ku_feed_def p = { "phish", "phishing", "domains", "fuzz",
				 KU_KIND_DOMAIN };
	struct ku_feed_def m = { "mal", "malicious", "domains", "fuzz",
				 KU_KIND_HOST };
	struct ku_build_opts bo = { 1, 1, 99 };
	struct ks_err err;
	struct ku_db *db = NULL;
	unsigned a, c;
	uint8_t *img;
	size_t len;
	int dup;

	if (b == NULL || ku_builder_feed(b, &p, &a, &err) != KS_OK ||
	    ku_builder_feed(b, &m, &c, &err) != KS_OK ||
	    ku_builder_add(b, a, KU_KIND_DOMAIN, 0, "example", 7, &dup) != KS_OK ||
	    ku_builder_add(b, c, KU_KIND_HOST, 0, "evil.test", 9, &dup) != KS_OK ||
	    ku_builder_image(b, &bo, &img, &len, &err) != KS_OK ||
	    ku_db_open_mem(&db, img, len, 1, 0, &err) != KS_OK)
		abort();
	ku_builder_free(b);
	return db;
}

static void on_record(void *ctx, const char *line, size_t n)
{
	struct json_object *obj = NULL;
	struct ks_err err;
	char *copy;

	(void)ctx;
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		abort();
	copy = malloc(n);
	if (copy == NULL)
		return;
	memcpy(copy, line, n);
	if (kj_parse(&parser, copy, n - 1, &obj, &err) != KS_OK || obj == NULL)
		abort();
	json_object_put(obj);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_engine_conf c;
	struct kn_engine_stats st;
	struct kn_engine *e;
	struct ks_err err;
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *pkt;
	FILE *fp;
	pcap_t *p;
	int lt;
	uint64_t passed = 0;

	if (!parser_ready) {
		if (kj_parser_init(&parser, 64) != KS_OK)
			abort();
		parser_ready = 1;
		url_db = make_db();
	}
	if (size == 0)
		return 0;
	fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		return 0;
	p = pcap_fopen_offline(fp, ebuf);
	if (p == NULL) {
		fclose(fp);
		return 0;
	}
	lt = pcap_datalink(p);
	kn_engine_defaults(&c);
	c.events = ~0u;
	c.policy.monitoring = 0;
	c.flow.max_flows = 16;
	c.flow.stream_mem = 64 * 1024;
	c.flow.stream_depth_ooo = 8 * 1024;
	c.defrag.max_mem = 64 * 1024;
	c.defrag.max_datagrams = 8;
	c.det.max_sources = 64;
	c.det.max_targets = 32;
	c.det.max_arp = 16;
	c.policy.max_blocked = 8;
	c.anomaly_per_minute = 0;
	e = kn_engine_new(&c, on_record, NULL, &err);
	if (e != NULL && kn_engine_set_url_db(e, url_db, &err) != KS_OK) {
		kn_engine_free(e);
		e = NULL;
	}
	if (e == NULL) {
		pcap_close(p);
		return 0;
	}
	if (kn_linktype_supported(lt)) {
		for (int i = 0; i < 4096 && pcap_next_ex(p, &h, &pkt) == 1; i++)
			if (kn_engine_frame(e, lt, pkt, h->caplen, h->len,
					    (struct ks_time){ h->ts.tv_sec,
							      (uint32_t)h->ts.tv_usec }))
				passed++;
	}
	kn_engine_finish(e);
	kn_engine_stats_record(e, on_record, NULL);
	kn_engine_get_stats(e, &st);
	if (st.passed != passed || st.passed + st.dropped != st.packets)
		abort();
	kn_engine_free(e);
	pcap_close(p);       /* closes fp */
	return 0;
}
