/*
 * Fuzz target: intrusion signatures matched on arbitrary bytes.  A fixed
 * rule set using every payload keyword, relative matches, regexes, byte
 * tests, flowbits and thresholds; the input is a UDP packet's payload, a
 * TCP stream cut into chunks at the input's own bytes (in both
 * directions, with a gap), and the buffers of an HTTP request, a DNS query
 * and a TLS ClientHello.
 */
#include <stdlib.h>
#include <string.h>

#include "ids/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules[] =
	"alert udp any any -> any any (content:\"AB\"; depth:8; content:\"CD\"; distance:0; within:6; pcre:\"/E+F/R\"; byte_test:2,>,3,0,relative; sid:1;)\n"
	"alert udp any any -> any any (content:!\"zz\"; isdataat:4; byte_jump:1,0,multiplier 2,post_offset -1; content:\"Q\"; within:3; sid:2;)\n"
	"alert udp any any -> any any (dsize:>3; pcre:\"/^(a|b)+c$/s\"; sid:3;)\n"
	"alert tcp any any -> any any (content:\"SPLIT\"; fast_pattern; content:\"ME\"; distance:-3; within:10; endswith; sid:4;)\n"
	"alert tcp any any -> any any (content:\"x\"; flowbits:set,f; flowbits:noalert; sid:5;)\n"
	"alert tcp any any -> any any (content:\"y\"; flowbits:isset,f; flowbits:toggle,g; threshold:type both, track by_src, count 2, seconds 1; sid:6;)\n"
	"alert tcp any any -> any any (content:\"0\"; byte_test:0,=,12,0,relative,string,dec; sid:7;)\n"
	"alert http any any -> any any (http.uri; content:\"/\"; startswith; pcre:\"/[?&]q=/U\"; http.host; dotprefix; content:\".a\"; endswith; sid:8;)\n"
	"alert http any any -> any any (http.header_names; content:\"|0d 0a|X\"; http.header; content:\"X-\"; nocase; bsize:<100; sid:9;)\n"
	"alert http any any -> any any (content:\"GET\"; http.method; content:\"G\"; sid:10;)\n"
	"alert dns any any -> any any (dns.query; dotprefix; content:\".b\"; endswith; sid:11;)\n"
	"alert tls any any -> any any (tls.sni; content:\"c\"; isdataat:!1,relative; sid:12;)\n"
	"pass tcp any any -> any any (content:\"PASSME\"; sid:13;)\n"
	"drop tcp any any -> any any (content:\"DROP\"; detection_filter:track by_dst, count 1, seconds 10; sid:14;)\n";

static struct ki_ids *ids;
/* Kept for the life of the process (reachable, not leaked). */
static struct ki_vars *vars;
static struct ki_classes *classes;
static struct ki_names *names;
static uint64_t next_flow = 1;

static int on_alert(void *ctx, const struct ki_alert *a)
{
	(void)ctx;
	if (a->r == NULL || a->hook < 0 || a->hook >= KI_H_COUNT)
		abort();
	return a->r->action == KI_ACT_DROP;
}

static void init(void)
{
	struct ki_set *s;
	struct ki_ids_conf conf;
	struct ks_err err;

	vars = ki_vars_new();
	classes = ki_classes_new();
	names = ki_names_new();
	s = ki_set_new(vars, classes, names);
	if (s == NULL || ki_set_load_string(s, rules, sizeof rules - 1, "f", &err) ||
	    ki_set_refused(s) != 0 || ki_set_compile(s, &err) != KS_OK)
		abort();
	ki_ids_defaults(&conf);
	conf.max_flows = 64;
	conf.max_hosts = 16;
	conf.stream_window = 64;
	ids = ki_ids_new(&conf, on_alert, NULL);
	if (ids == NULL)
		abort();
	{
		struct ki_set *old;

		if (ki_ids_swap(ids, s, &old) != 0)
			abort();
	}
	/* The set, names and classes live as long as the process. */
}

static struct kn_slice part(const uint8_t *d, size_t n, size_t i, size_t k)
{
	struct kn_slice s = { d + n * i / k, n * (i + 1) / k - n * i / k };

	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_flow f;
	struct kn_pkt p;
	struct kn_http_req q;
	struct kn_dns_msg m;
	struct kn_tls_hello h;
	size_t off = 0;
	int dir = 0;

	if (ids == NULL)
		init();
	memset(&f, 0, sizeof f);
	f.id = next_flow++;
	f.cli.family = f.srv.family = 4;
	f.cli.b[3] = 1;
	f.srv.b[3] = (uint8_t)(size & 7);
	f.proto = 17;
	f.pkts[0] = f.pkts[1] = 1;
	memset(&p, 0, sizeof p);
	p.ipv = 4;
	p.src = f.cli;
	p.dst = f.srv;
	p.proto = 17;
	p.has_l4 = 1;
	p.payload = data;
	p.payload_len = size;
	p.ts.sec = (int64_t)(f.id / 4);
	ki_ids_packet(ids, &f, 0, &p);
	f.proto = p.proto = 6;
	f.state = KN_TCP_ESTABLISHED;
	while (off < size) {
		size_t n = 1 + data[off] % 17;

		if (n > size - off)
			n = size - off;
		if (data[off] == 0xff)
			ki_ids_stream(ids, &f, dir, NULL, n, &p);
		else
			ki_ids_stream(ids, &f, dir, data + off, n, &p);
		if (data[off] & 0x40)
			dir ^= 1;
		off += n;
	}
	f.app = KN_APP_HTTP;
	memset(&q, 0, sizeof q);
	q.method = part(data, size, 0, 8);
	q.uri = q.uri_norm = part(data, size, 1, 8);
	q.host = part(data, size, 2, 8);
	q.user_agent = part(data, size, 3, 8);
	q.headers = part(data, size, 4, 8);
	q.header_names = part(data, size, 5, 8);
	q.body = q.data = part(data, size, 6, 8);
	q.request_line = part(data, size, 7, 8);
	ki_ids_http_request(ids, &f, &q, &p);
	memset(&m, 0, sizeof m);
	memcpy(m.qname, data, size < sizeof m.qname - 1 ? size : sizeof m.qname - 1);
	f.app = KN_APP_DNS;
	ki_ids_dns(ids, &f, &m, &p);
	memset(&h, 0, sizeof h);
	h.has_sni = 1;
	h.sni.p = data;
	h.sni.n = size;
	f.app = KN_APP_TLS;
	ki_ids_tls_hello(ids, &f, &h, &p);
	ki_ids_flow_end(ids, &f);
	return 0;
}
