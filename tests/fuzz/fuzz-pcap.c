/*
 * Fuzz target: the whole packet path from capture bytes.  The input is a
 * pcap or pcapng file; libpcap reads it from memory and every packet goes
 * through the engine (decoders, defragmentation, flows, streams, the
 * application parsers, the detectors and the policy, in standard mode so
 * that drops are taken), with every record type on and small caps so
 * that eviction paths run too.  Every record written must be one line of
 * valid JSON; the engine's counters must add up.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"
#include "net/engine.h"
#include "net/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kj_parser parser;
static int parser_ready;

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
