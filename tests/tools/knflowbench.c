/*
 * knflowbench: the cost per packet of the flow table, TCP reassembly and
 * the application parsers (net/flow.h, net/app.h) on synthetic traffic
 * made in memory, so that decoding and capture reading are left out.
 *
 *   knflowbench [FLOWS] [SEGMENTS] [MAX_BODY]
 *
 * The traffic: FLOWS connections at once, each a handshake, an HTTP
 * request, a response of SEGMENTS full-size segments (with every 16th pair
 * of segments swapped, so out-of-order holding is exercised), FIN and ACK;
 * one TLS ClientHello and one DNS query and answer per 8 connections.  It
 * prints packets per second and ns per packet of CPU time, best of three
 * runs (MAX_BODY: the application layer's max_body, default 64 KiB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/app.h"
#include "net/flow.h"

struct engine {
	struct kn_flows *t;
	struct kn_app_conf ac;
	struct kn_app_cb cb;
	struct kn_pkt *cur;
	uint64_t reqs, resps, dns, hellos, ended;
};

static void on_req(void *ctx, struct kn_flow *f, const struct kn_http_req *r,
		   const struct kn_pkt *p)
{
	(void)f; (void)r; (void)p;
	((struct engine *)ctx)->reqs++;
}

static void on_resp(void *ctx, struct kn_flow *f, const struct kn_http_req *q,
		    const struct kn_http_resp *r, const struct kn_pkt *p)
{
	(void)f; (void)q; (void)r; (void)p;
	((struct engine *)ctx)->resps++;
}

static void on_dns(void *ctx, struct kn_flow *f, const struct kn_dns_msg *m,
		   const struct kn_pkt *p)
{
	(void)f; (void)m; (void)p;
	((struct engine *)ctx)->dns++;
}

static void on_hello(void *ctx, struct kn_flow *f, const struct kn_tls_hello *h,
		     const struct kn_pkt *p)
{
	(void)f; (void)h; (void)p;
	((struct engine *)ctx)->hellos++;
}

static void on_stream(void *ctx, struct kn_flow *f, int dir,
		      const uint8_t *data, size_t len)
{
	struct engine *e = ctx;

	kn_app_stream(&e->ac, &e->cb, f, dir, data, len, e->cur);
}

static void on_end(void *ctx, struct kn_flow *f, const char *reason)
{
	(void)f; (void)reason;
	((struct engine *)ctx)->ended++;
}

static struct kn_pkt *pkts;
static size_t npkts, cap;

static struct kn_pkt *add(void)
{
	if (npkts == cap) {
		cap = cap ? cap * 2 : 1 << 16;
		pkts = realloc(pkts, cap * sizeof *pkts);
		if (pkts == NULL) {
			perror("knflowbench");
			exit(2);
		}
	}
	memset(&pkts[npkts], 0, sizeof pkts[npkts]);
	return &pkts[npkts++];
}

static void tcp(uint32_t cli, uint16_t cport, int to_server, uint8_t fl,
		uint32_t seq, uint32_t ack, const uint8_t *d, size_t n, int64_t us)
{
	struct kn_pkt *p = add();
	uint32_t a = cli, b = 0xc0a80001u;

	if (!to_server) {
		a = b;
		b = cli;
	}
	p->ts.sec = us / 1000000;
	p->ts.usec = (uint32_t)(us % 1000000);
	p->ipv = 4;
	p->src.family = p->dst.family = 4;
	memcpy(p->src.b, &a, 4);
	memcpy(p->dst.b, &b, 4);
	p->proto = 6;
	p->has_l4 = 1;
	p->sport = to_server ? cport : 80;
	p->dport = to_server ? 80 : cport;
	if (cport % 8 == 1) {
		if (to_server)
			p->dport = 443;
		else
			p->sport = 443;
	}
	p->tcp_flags = fl;
	p->seq = seq;
	p->ack = ack;
	p->payload = d;
	p->payload_len = p->payload_wire = n;
	p->caplen = p->wirelen = 54 + n;
}

static uint8_t body[1448];
static uint8_t hello[] = {
	0x16, 0x03, 0x01, 0x00, 0x3d, 0x01, 0x00, 0x00, 0x39, 0x03, 0x03,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x0e,
	0x00, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x00, 0x05,
	'a', '.', 'c', 'o', 'm',
};
static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
	'm', 0, 0, 1, 0, 1,
};

static void make(size_t flows, size_t segs)
{
	static char req[] = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
			    "User-Agent: bench/1.0\r\nAccept: */*\r\n\r\n";
	static char head[128];
	int64_t us = 1700000000ll * 1000000;
	size_t hl;

	memset(body, 'x', sizeof body);
	hl = (size_t)snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n"
			      "Content-Length: %zu\r\n\r\n", segs * sizeof body);
	for (size_t i = 0; i < flows; i++) {
		uint32_t cli = 0x0a000000u + (uint32_t)i;
		uint16_t cp = (uint16_t)(1024 + i % 60000);
		uint32_t cs = 1000, ss = 500000;
		const uint8_t *first = cp % 8 == 1 ? hello : (const uint8_t *)req;
		size_t fl = cp % 8 == 1 ? sizeof hello : sizeof req - 1;

		tcp(cli, cp, 1, 0x02, cs, 0, NULL, 0, us++);
		tcp(cli, cp, 0, 0x12, ss, cs + 1, NULL, 0, us++);
		tcp(cli, cp, 1, 0x10, cs + 1, ss + 1, NULL, 0, us++);
		tcp(cli, cp, 1, 0x18, cs + 1, ss + 1, first, fl, us++);
		cs += 1 + (uint32_t)fl;
		ss += 1;
		tcp(cli, cp, 0, 0x18, ss, cs, (const uint8_t *)head, hl, us++);
		ss += (uint32_t)hl;
		for (size_t k = 0; k < segs; k++) {
			size_t j = k;

			/* Every 16th pair arrives swapped. */
			if (k % 16 == 0 && k + 1 < segs)
				j = k + 1;
			else if (k % 16 == 1)
				j = k - 1;
			tcp(cli, cp, 0, 0x10, ss + (uint32_t)(j * sizeof body), cs,
			    body, sizeof body, us++);
			if (k % 2 == 1)
				tcp(cli, cp, 1, 0x10, cs,
				    ss + (uint32_t)((k + 1) * sizeof body), NULL,
				    0, us++);
		}
		ss += (uint32_t)(segs * sizeof body);
		tcp(cli, cp, 0, 0x11, ss, cs, NULL, 0, us++);
		tcp(cli, cp, 1, 0x11, cs, ss + 1, NULL, 0, us++);
		tcp(cli, cp, 0, 0x10, ss + 1, cs + 1, NULL, 0, us++);
		if (i % 8 == 0) {
			for (int r = 0; r < 2; r++) {
				struct kn_pkt *p = add();
				uint32_t a = cli, b = 0x08080808u;

				p->ts.sec = us / 1000000;
				p->ts.usec = (uint32_t)(us++ % 1000000);
				p->ipv = 4;
				p->src.family = p->dst.family = 4;
				memcpy(p->src.b, r ? &b : &a, 4);
				memcpy(p->dst.b, r ? &a : &b, 4);
				p->proto = 17;
				p->has_l4 = 1;
				p->sport = r ? 53 : cp;
				p->dport = r ? cp : 53;
				p->payload = query;
				p->payload_len = p->payload_wire = sizeof query;
				p->caplen = p->wirelen = 42 + sizeof query;
			}
		}
	}
}

/* CPU time of this process: on a shared machine the wall clock also
 * counts the time other processes had the CPU. */
static uint64_t cpu_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static double run(struct engine *e)
{
	struct kn_flow_conf fc;
	uint64_t t0, t1;

	kn_flow_defaults(&fc);
	e->t = kn_flows_new(&fc, on_end, kn_app_free, e);
	if (e->t == NULL)
		exit(2);
	t0 = cpu_usec();
	for (size_t i = 0; i < npkts; i++) {
		struct kn_pkt *p = &pkts[i];
		struct kn_flow *f;
		int dir;

		f = kn_flows_packet(e->t, p, &dir);
		if (f == NULL)
			continue;
		e->cur = p;
		if (p->proto == 6)
			kn_flows_tcp(e->t, f, p, dir, on_stream, e);
		else
			kn_app_udp(&e->ac, &e->cb, f, dir, p);
		p->nan = 0;
		if ((i & 4095) == 0)
			kn_flows_expire(e->t, (uint64_t)p->ts.sec * 1000000 +
					      p->ts.usec);
	}
	kn_flows_free(e->t);
	t1 = cpu_usec();
	return (double)(t1 - t0) / 1e6;
}

int main(int argc, char **argv)
{
	size_t flows = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	size_t segs = argc > 2 ? strtoul(argv[2], NULL, 10) : 40;
	long max_body = argc > 3 ? strtol(argv[3], NULL, 10) : -1;
	double best = 1e9;
	struct engine e;

	make(flows, segs);
	for (int r = 0; r < 3; r++) {
		double s;

		memset(&e, 0, sizeof e);
		kn_app_defaults(&e.ac);
		if (max_body >= 0)
			e.ac.max_body = (size_t)max_body;
		e.cb.ctx = &e;
		e.cb.http_request = on_req;
		e.cb.http_response = on_resp;
		e.cb.dns = on_dns;
		e.cb.tls_hello = on_hello;
		s = run(&e);
		if (s < best)
			best = s;
	}
	printf("packets %zu, flows %llu, http %llu/%llu, tls %llu, dns %llu\n",
	       npkts, (unsigned long long)e.ended, (unsigned long long)e.reqs,
	       (unsigned long long)e.resps, (unsigned long long)e.hellos,
	       (unsigned long long)e.dns);
	printf("best of 3 (CPU time): %.3f s, %.2f M packets/s, %.0f ns/packet\n",
	       best,
	       (double)npkts / best / 1e6, best * 1e9 / (double)npkts);
	free(pkts);
	return e.reqs == 0 ? 1 : 0;
}
