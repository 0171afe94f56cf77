/*
 * Unit tests of the attack detectors (net/det.h): packets built by hand as
 * the decoder fills them, flows kept by a small stand-in for the flow table
 * (counters and flags per direction, as kn_flows_packet leaves them), and
 * the exact callbacks checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/det-int.h"
#include "net/det.h"
#include "unit.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

/* ---- what the detector says ------------------------------------------------- */

struct rec {
	struct kn_attack a;
	enum kn_episode_phase ph;
};

struct log {
	struct rec r[512];
	int n;
	int lost;
};

static void on_attack(void *ctx, const struct kn_attack *a,
		      enum kn_episode_phase ph)
{
	struct log *l = ctx;

	if (l->n == (int)(sizeof l->r / sizeof l->r[0])) {
		l->lost++;
		return;
	}
	l->r[l->n].a = *a;
	l->r[l->n].ph = ph;
	l->n++;
}

/* The number of callbacks of a class (and phase, -1 for both). */
static int count(const struct log *l, int cls, int ph)
{
	int n = 0;

	for (int i = 0; i < l->n; i++)
		if (l->r[i].a.cls == (enum kn_attack_class)cls &&
		    (ph < 0 || l->r[i].ph == (enum kn_episode_phase)ph))
			n++;
	return n;
}

/* The k-th callback (0-based) of a class and phase, or NULL. */
static const struct kn_attack *nth(const struct log *l, int cls, int ph, int k)
{
	for (int i = 0; i < l->n; i++)
		if (l->r[i].a.cls == (enum kn_attack_class)cls &&
		    l->r[i].ph == (enum kn_episode_phase)ph && k-- == 0)
			return &l->r[i].a;
	return NULL;
}

static uint64_t tus(struct ks_time t)
{
	return (uint64_t)t.sec * SEC + t.usec;
}

/* ---- packets ------------------------------------------------------------------ */

static struct kn_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct kn_addr x;

	memset(&x, 0, sizeof x);
	x.family = 4;
	x.b[0] = a;
	x.b[1] = b;
	x.b[2] = c;
	x.b[3] = d;
	return x;
}

static struct kn_addr v6(uint16_t last)
{
	struct kn_addr x;

	memset(&x, 0, sizeof x);
	x.family = 6;
	x.b[0] = 0x20;
	x.b[1] = 0x01;
	x.b[2] = 0x0d;
	x.b[3] = 0xb8;
	x.b[14] = (uint8_t)(last >> 8);
	x.b[15] = (uint8_t)last;
	return x;
}

static int same_addr(const struct kn_addr *a, const struct kn_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

static void base(struct kn_pkt *p, uint8_t proto, struct kn_addr s,
		 struct kn_addr d, uint64_t t)
{
	memset(p, 0, sizeof *p);
	p->ts.sec = (int64_t)(t / SEC);
	p->ts.usec = (uint32_t)(t % SEC);
	p->linktype = KN_LINK_ETHERNET;
	p->has_eth = 1;
	p->ether_type = s.family == 4 ? 0x0800 : 0x86dd;
	p->ipv = s.family;
	p->src = s;
	p->dst = d;
	p->proto = proto;
	p->ttl = 64;
	p->has_l4 = 1;
	p->caplen = p->wirelen = 60;
}

static void tcp(struct kn_pkt *p, struct kn_addr s, uint16_t sp,
		struct kn_addr d, uint16_t dp, uint8_t flags, uint64_t t)
{
	base(p, 6, s, d, t);
	p->sport = sp;
	p->dport = dp;
	p->tcp_flags = flags;
	p->l4_len = 20;
}

static void udp(struct kn_pkt *p, struct kn_addr s, uint16_t sp,
		struct kn_addr d, uint16_t dp, size_t len, uint64_t t)
{
	base(p, 17, s, d, t);
	p->sport = sp;
	p->dport = dp;
	p->l4_len = (uint16_t)(8 + len);
	p->payload_len = p->payload_wire = len;
	p->wirelen = p->caplen = 42 + len;
}

static void icmp(struct kn_pkt *p, struct kn_addr s, struct kn_addr d,
		 uint8_t type, uint8_t code, uint64_t t)
{
	base(p, s.family == 4 ? 1 : 58, s, d, t);
	p->icmp_type = type;
	p->icmp_code = code;
	p->l4_len = 8;
}

/* An ICMP error from `from` to the quoted datagram's sender, quoting a
 * UDP (or TCP) datagram from qs:qsp to qd:qdp; q must outlive p. */
static void icmp_quote(struct kn_pkt *p, uint8_t q[64], struct kn_addr from,
		       uint8_t type, uint8_t code, uint8_t qproto,
		       struct kn_addr qs, uint16_t qsp, struct kn_addr qd,
		       uint16_t qdp, uint64_t t)
{
	memset(q, 0, 64);
	icmp(p, from, qs, type, code, t);
	if (qs.family == 4) {
		q[0] = 0x45;
		q[9] = qproto;
		memcpy(q + 12, qs.b, 4);
		memcpy(q + 16, qd.b, 4);
		q[20] = (uint8_t)(qsp >> 8);
		q[21] = (uint8_t)qsp;
		q[22] = (uint8_t)(qdp >> 8);
		q[23] = (uint8_t)qdp;
		p->payload_len = p->payload_wire = 28;
	} else {
		q[0] = 0x60;
		q[6] = qproto;
		memcpy(q + 8, qs.b, 16);
		memcpy(q + 24, qd.b, 16);
		q[40] = (uint8_t)(qsp >> 8);
		q[41] = (uint8_t)qsp;
		q[42] = (uint8_t)(qdp >> 8);
		q[43] = (uint8_t)qdp;
		p->payload_len = p->payload_wire = 48;
	}
	p->payload = q;
}

static void arp(struct kn_pkt *p, uint16_t op, const uint8_t sha[6],
		struct kn_addr spa, struct kn_addr tpa, uint64_t t)
{
	memset(p, 0, sizeof *p);
	p->ts.sec = (int64_t)(t / SEC);
	p->ts.usec = (uint32_t)(t % SEC);
	p->has_eth = 1;
	p->ether_type = 0x0806;
	p->has_arp = 1;
	p->arp_op = op;
	memcpy(p->arp_sha, sha, 6);
	memcpy(p->src_mac, sha, 6);
	memcpy(p->arp_spa, spa.b, 4);
	memcpy(p->arp_tpa, tpa.b, 4);
	p->caplen = p->wirelen = 42;
}

/* ---- a stand-in for the flow table ------------------------------------------------ */

/* What kn_flows_packet does to a flow's counters; returns the direction.
 * The first packet's sender is the client, unless it is a SYN-ACK. */
static int see(struct kn_flow *f, const struct kn_pkt *p)
{
	int dir;

	if (f->proto == 0) {
		int rev = p->proto == 6 && (p->tcp_flags & (KN_TH_SYN | KN_TH_ACK)) ==
			  (KN_TH_SYN | KN_TH_ACK);

		f->proto = p->proto;
		f->cli = rev ? p->dst : p->src;
		f->srv = rev ? p->src : p->dst;
		f->cport = rev ? p->dport : p->sport;
		f->sport = rev ? p->sport : p->dport;
		f->id = 1;
	}
	dir = same_addr(&f->cli, &p->src) && f->cport == p->sport ?
	      KN_TO_SERVER : KN_TO_CLIENT;
	f->pkts[dir]++;
	f->bytes[dir] += p->wirelen;
	if (p->proto == 6)
		f->flags_seen[dir] |= p->tcp_flags;
	return dir;
}

static uint32_t feed(struct kn_det *d, struct kn_pkt *p, struct kn_flow *f)
{
	int dir = KN_TO_SERVER;

	if (f != NULL)
		dir = see(f, p);
	return kn_det_packet(d, p, f, dir, NULL);
}

static struct kn_det *make(struct kn_det_conf *c, struct log *l)
{
	memset(l, 0, sizeof *l);
	return kn_det_new(c, on_attack, l);
}

static struct kn_det *make_default(struct log *l)
{
	struct kn_det_conf c;

	kn_det_defaults(&c);
	return make(&c, l);
}

#define S_ATT v4(10, 0, 0, 66)
#define S_TGT v4(10, 0, 0, 5)

/* ---- names and defaults --------------------------------------------------------- */

TEST(net_det_names)
{
	for (int c = 0; c < KN_AT_COUNT; c++) {
		const char *n = kn_attack_name((enum kn_attack_class)c);

		CHECK_INT(kn_attack_parse(n), c);
		CHECK(strncmp(kn_attack_signature((enum kn_attack_class)c),
			      "KNETSCAN ", 9) == 0);
	}
	CHECK_STR(kn_attack_name(KN_AT_TCP_PORTSCAN), "tcp-portscan");
	CHECK_STR(kn_attack_name(KN_AT_SYN_FLOOD), "syn-flood");
	CHECK_STR(kn_attack_name(KN_AT_ARP_SPOOF), "arp-spoof");
	CHECK_STR(kn_attack_name(KN_AT_COUNT), "unknown");
	CHECK_INT(kn_attack_parse("portscan"), -1);
	CHECK_INT(kn_attack_parse("TCP-PORTSCAN"), -1);
	CHECK_INT(kn_attack_parse(""), -1);
	CHECK_INT(kn_attack_parse(NULL), -1);
}

TEST(net_det_defaults)
{
	struct kn_det_conf c;

	kn_det_defaults(&c);
	CHECK_INT(c.th[KN_AT_TCP_PORTSCAN].count, 20);
	CHECK_INT(c.th[KN_AT_TCP_PORTSCAN].window_us, 60 * SEC);
	CHECK_INT(c.th[KN_AT_STEALTH_SCAN].count, 5);
	CHECK_INT(c.th[KN_AT_HOST_SWEEP].count, 32);
	CHECK_INT(c.th[KN_AT_SYN_FLOOD].count, 2000);
	CHECK_INT(c.th[KN_AT_UDP_FLOOD].count, 2000);
	CHECK_INT(c.th[KN_AT_ICMP_FLOOD].count, 1000);
	CHECK_INT(c.th[KN_AT_SYN_FLOOD].window_us, SEC);
	CHECK_INT(c.th[KN_AT_LAND].count, 1);
	CHECK_INT(c.th[KN_AT_ARP_SPOOF].window_us, 300 * SEC);
	CHECK_INT(c.max_episode_us, 600 * SEC);
	for (int i = 0; i < KN_AT_COUNT; i++)
		CHECK(c.th[i].count > 0 && c.th[i].window_us > 0);
	c.max_sources = 0;
	CHECK(kn_det_new(&c, on_attack, NULL) == NULL);
}

/* ---- TCP port scans ------------------------------------------------------------- */

/* nmap -sS against one host: 1,000 ports 1 ms apart; 22 and 80 open
 * (SYN-ACK, then the scanner's RST), the others closed (RST-ACK). */
static void syn_scan(struct kn_det *d, struct kn_addr att, struct kn_addr tgt,
		     int nports, uint64_t t0, uint32_t *masks)
{
	struct kn_flow *fl = calloc((size_t)nports + 1, sizeof *fl);
	struct kn_pkt p;

	for (int i = 1; i <= nports; i++) {
		uint64_t t = t0 + (uint64_t)i * 1000;

		tcp(&p, att, 40000, tgt, (uint16_t)i, KN_TH_SYN, t);
		masks[i] = feed(d, &p, &fl[i]);
		if (i == 22 || i == 80) {
			tcp(&p, tgt, (uint16_t)i, att, 40000,
			    KN_TH_SYN | KN_TH_ACK, t + 100);
			CHECK_INT(feed(d, &p, &fl[i]), 0);
			tcp(&p, att, 40000, tgt, (uint16_t)i, KN_TH_RST, t + 200);
		} else {
			tcp(&p, tgt, (uint16_t)i, att, 40000,
			    KN_TH_RST | KN_TH_ACK, t + 100);
		}
		CHECK_INT(feed(d, &p, &fl[i]), 0);
	}
	free(fl);
}

TEST(net_det_tcp_portscan)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	uint32_t *masks = calloc(1001, sizeof *masks);
	const struct kn_attack *a;
	struct kn_addr att = S_ATT, tgt = S_TGT;

	REQUIRE(d != NULL && masks != NULL);
	syn_scan(d, att, tgt, 1000, T0, masks);
	CHECK_INT(l.n, 1);
	a = nth(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->episode, 1);
	CHECK_INT(a->ports, 20);
	CHECK_INT(a->packets, 20);
	CHECK_INT(a->proto, 6);
	CHECK_INT(a->severity, 2);
	CHECK(same_addr(&a->src, &att));
	CHECK(same_addr(&a->dst, &tgt));
	CHECK_INT(tus(a->first), T0 + 1000);
	CHECK_INT(tus(a->last), T0 + 20000);
	CHECK_INT(a->spoofed, 0);
	/* The 20th probe starts the episode; every probe after it is part
	 * of it. */
	CHECK_INT(masks[19], 0);
	CHECK_INT(masks[20], kn_det_bit(KN_AT_TCP_PORTSCAN));
	CHECK_INT(masks[1000], kn_det_bit(KN_AT_TCP_PORTSCAN));

	/* Quiet for a whole window after the last probe: then it ends. */
	kn_det_tick(d, T0 + 1000 * 1000 + 60 * SEC - 1);
	CHECK_INT(l.n, 1);
	kn_det_tick(d, T0 + 1000 * 1000 + 60 * SEC);
	REQUIRE(l.n == 2);
	a = nth(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->episode, 1);
	CHECK_INT(a->ports, 1000);
	CHECK_INT(a->packets, 1000);
	CHECK_INT(a->bytes, 60000);
	CHECK_INT(tus(a->first), T0 + 1000);
	CHECK_INT(tus(a->last), T0 + 1000 * 1000);
	/* A scan is not a SYN flood, nor a sweep. */
	CHECK_INT(count(&l, KN_AT_SYN_FLOOD, -1), 0);
	CHECK_INT(count(&l, KN_AT_HOST_SWEEP, -1), 0);

	/* The same scanner again: a second episode. */
	syn_scan(d, att, tgt, 50, T0 + 200 * SEC, masks);
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_START), 2);
	a = nth(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_END, 1);
	REQUIRE(a != NULL);
	CHECK_INT(a->episode, 2);
	CHECK_INT(a->ports, 50);
	kn_det_flush(d);
	CHECK_INT(l.n, 4);
	free(masks);
	kn_det_free(d);
}

/* A connect scan completes the handshake of open ports; IPv6 works the
 * same. */
TEST(net_det_tcp_connect_scan_v6)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = v6(0x66), tgt = v6(5);
	struct kn_flow fl[40];
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	memset(fl, 0, sizeof fl);
	for (int i = 0; i < 40; i++) {
		uint64_t t = T0 + (uint64_t)i * 10000;
		uint16_t port = (uint16_t)(1000 + i);

		tcp(&p, att, (uint16_t)(50000 + i), tgt, port, KN_TH_SYN, t);
		feed(d, &p, &fl[i]);
		if (i % 4 == 0) {
			tcp(&p, tgt, port, att, (uint16_t)(50000 + i),
			    KN_TH_SYN | KN_TH_ACK, t + 10);
			feed(d, &p, &fl[i]);
			tcp(&p, att, (uint16_t)(50000 + i), tgt, port,
			    KN_TH_ACK, t + 20);
			feed(d, &p, &fl[i]);
			tcp(&p, att, (uint16_t)(50000 + i), tgt, port,
			    KN_TH_RST | KN_TH_ACK, t + 30);
		} else {
			tcp(&p, tgt, port, att, (uint16_t)(50000 + i),
			    KN_TH_RST | KN_TH_ACK, t + 10);
		}
		feed(d, &p, &fl[i]);
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 2);
	/* Ten of 40 ports answered: the 20th unanswered is the 27th
	 * probe (i = 26). */
	a = nth(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->ports, 27);
	CHECK_INT(a->packets, 27);
	CHECK(same_addr(&a->src, &att));
	a = nth(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->ports, 40);
	CHECK_INT(a->packets, 40);
	CHECK_INT(a->src.family, 6);
	kn_det_free(d);
}

/* A web page: 40 connections to ports 80 and 443 of two hosts; passive FTP:
 * 30 data connections to distinct ports of one server; a download of
 * 50,000 packets in one flow. */
TEST(net_det_tcp_ordinary)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr cli = v4(10, 0, 0, 10), web1 = v4(10, 0, 1, 80),
		       web2 = v4(10, 0, 1, 81), ftp = v4(10, 0, 1, 21);
	struct kn_flow fl;
	struct kn_pkt p;
	uint64_t t = T0;

	REQUIRE(d != NULL);
	for (int i = 0; i < 70; i++) {
		struct kn_addr srv = i < 40 ? (i % 2 ? web1 : web2) : ftp;
		uint16_t sp = (uint16_t)(33000 + i);
		uint16_t dp = i < 40 ? (i % 2 ? 80 : 443) :
			      (uint16_t)(50000 + i);

		memset(&fl, 0, sizeof fl);
		tcp(&p, cli, sp, srv, dp, KN_TH_SYN, t);
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, srv, dp, cli, sp, KN_TH_SYN | KN_TH_ACK, t + 200);
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, cli, sp, srv, dp, KN_TH_ACK, t + 300);
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, cli, sp, srv, dp, KN_TH_ACK | KN_TH_PSH, t + 400);
		p.payload_len = p.payload_wire = 300;
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, srv, dp, cli, sp, KN_TH_ACK | KN_TH_PSH, t + 900);
		p.payload_len = p.payload_wire = 1400;
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, cli, sp, srv, dp, KN_TH_ACK | KN_TH_FIN, t + 1000);
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, srv, dp, cli, sp, KN_TH_ACK | KN_TH_FIN, t + 1100);
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, cli, sp, srv, dp, KN_TH_ACK, t + 1200);
		CHECK_INT(feed(d, &p, &fl), 0);
		t += 20000;
	}
	/* The download: handshake, then 50,000 segments of 1,448 bytes, an
	 * ACK for every second one, over 5 seconds. */
	memset(&fl, 0, sizeof fl);
	tcp(&p, cli, 44444, web1, 443, KN_TH_SYN, t);
	feed(d, &p, &fl);
	tcp(&p, web1, 443, cli, 44444, KN_TH_SYN | KN_TH_ACK, t + 100);
	feed(d, &p, &fl);
	tcp(&p, cli, 44444, web1, 443, KN_TH_ACK, t + 200);
	feed(d, &p, &fl);
	for (int i = 0; i < 50000; i++) {
		t += 100;
		tcp(&p, web1, 443, cli, 44444, KN_TH_ACK, t);
		p.payload_len = p.payload_wire = 1448;
		p.wirelen = p.caplen = 1514;
		CHECK_INT(feed(d, &p, &fl), 0);
		if (i % 2) {
			tcp(&p, cli, 44444, web1, 443, KN_TH_ACK, t + 10);
			CHECK_INT(feed(d, &p, &fl), 0);
		}
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 0);
	kn_det_free(d);
}

/* ---- UDP port scans --------------------------------------------------------------- */

TEST(net_det_udp_portscan)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = S_ATT, tgt = S_TGT;
	struct kn_flow *fl = calloc(101, sizeof *fl);
	struct kn_flow icmpfl;
	struct kn_pkt p;
	uint8_t q[64];
	const struct kn_attack *a;

	REQUIRE(d != NULL && fl != NULL);
	memset(&icmpfl, 0, sizeof icmpfl);
	/* nmap -sU: 100 ports, 50 open (a reply), the others closed (ICMP
	 * port unreachable, rate-limited by the target to every other). */
	for (int i = 1; i <= 100; i++) {
		uint64_t t = T0 + (uint64_t)i * SEC / 2;

		udp(&p, att, 51000, tgt, (uint16_t)i, 0, t);
		feed(d, &p, &fl[i]);
		if (i == 50) {
			udp(&p, tgt, 50, att, 51000, 40, t + 100);
			CHECK_INT(feed(d, &p, &fl[i]), 0);
		} else if (i % 2 == 0) {
			icmp_quote(&p, q, tgt, 3, 3, 17, att, 51000, tgt,
				   (uint16_t)i, t + 100);
			feed(d, &p, &icmpfl);
		}
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 2);
	a = nth(&l, KN_AT_UDP_PORTSCAN, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->ports, 20);
	CHECK_INT(a->packets, 20);
	CHECK_INT(a->proto, 17);
	CHECK(same_addr(&a->src, &att));
	CHECK(same_addr(&a->dst, &tgt));
	CHECK_INT(tus(a->first), T0 + SEC / 2);
	a = nth(&l, KN_AT_UDP_PORTSCAN, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->ports, 100);
	CHECK_INT(a->packets, 100);
	CHECK_INT(tus(a->last), T0 + 50 * SEC);
	kn_det_free(d);
	free(fl);
}

/* Port unreachables count when the probes were not seen (a capture of one
 * direction only). */
TEST(net_det_udp_portscan_unreachables)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = S_ATT, tgt = S_TGT;
	struct kn_pkt p;
	uint8_t q[64];
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	for (int i = 1; i <= 10; i++) {
		udp(&p, att, 51000, tgt, (uint16_t)i, 0, T0 + (uint64_t)i);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	}
	for (int i = 5; i <= 25; i++) {
		icmp_quote(&p, q, tgt, 3, 3, 17, att, 51000, tgt, (uint16_t)i,
			   T0 + 100 + (uint64_t)i);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	}
	/* An unreachable quoting someone else's datagram is ignored. */
	icmp_quote(&p, q, tgt, 3, 3, 17, v4(10, 9, 9, 9), 51000, tgt, 99,
		   T0 + 200);
	p.dst = att;
	kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	kn_det_flush(d);
	REQUIRE(l.n == 2);
	a = nth(&l, KN_AT_UDP_PORTSCAN, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	/* Ports 1-10 probed, 11-20 only refused: 20 at port 20. */
	CHECK_INT(a->ports, 20);
	CHECK_INT(a->packets, 10);
	a = nth(&l, KN_AT_UDP_PORTSCAN, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->ports, 25);
	CHECK_INT(a->packets, 10);
	kn_det_free(d);
}

/* A busy resolver answering 4,000 queries a second from 500 clients for
 * 1.5 s (its answers take the queries back), and without flows (no answer
 * can be told) 1,000 a second for 3 s; a traceroute, by UDP to its own
 * ports and to others (answered by time exceeded). */
TEST(net_det_udp_ordinary)
{
	for (int with_flows = 0; with_flows < 2; with_flows++) {
		struct log l;
		struct kn_det *d = make_default(&l);
		struct kn_addr res = v4(10, 0, 0, 53), dst = v4(192, 0, 2, 1);
		struct kn_flow fl, icmpfl;
		struct kn_pkt p;
		uint8_t q[64];

		REQUIRE(d != NULL);
		for (int i = 0; i < (with_flows ? 6000 : 3000); i++) {
			struct kn_addr c = v4(10, 1, (uint8_t)(i % 500 / 250),
					      (uint8_t)(i % 250 + 1));
			uint16_t sp = (uint16_t)(1024 + (i * 7919) % 60000);
			uint64_t t = T0 + (uint64_t)i *
				     (with_flows ? 250u : 1000u);

			memset(&fl, 0, sizeof fl);
			udp(&p, c, sp, res, 53, 40, t);
			CHECK_INT(feed(d, &p, with_flows ? &fl : NULL), 0);
			udp(&p, res, 53, c, sp, 120, t + 300);
			CHECK_INT(feed(d, &p, with_flows ? &fl : NULL), 0);
		}
		/* Linux traceroute: 3 probes per hop, 16 in flight.  To its
		 * own ports: 30 hops, hops 10-30 silent.  To other ports
		 * (-p): 10 hops, 1-9 answering time exceeded, the target
		 * port unreachable. */
		memset(&icmpfl, 0, sizeof icmpfl);
		for (int round = 0; round < 2; round++) {
			int n = round == 0 ? 90 : 30;

			for (int b = 0; b < n; b += 16) {
				uint64_t t = T0 + 4 * SEC +
					     (uint64_t)round * SEC +
					     (uint64_t)b * 10000;

				for (int i = b; i < b + 16 && i < n; i++) {
					uint16_t port = (uint16_t)(round == 0 ?
							33434 + i : 40000 + i);

					memset(&fl, 0, sizeof fl);
					udp(&p, res, 45000, dst, port, 32,
					    t + (uint64_t)i);
					CHECK_INT(feed(d, &p, with_flows ?
						       &fl : NULL), 0);
				}
				for (int i = b; i < b + 16 && i < n; i++) {
					uint16_t port = (uint16_t)(round == 0 ?
							33434 + i : 40000 + i);
					int hop = i / 3 + 1;

					if (round == 0 && hop >= 10)
						continue;
					if (round == 1 && hop == 10)
						icmp_quote(&p, q, dst, 3, 3, 17,
							   res, 45000, dst, port,
							   t + 5000 + (uint64_t)i);
					else
						icmp_quote(&p, q,
							   v4(10, 0, 0,
							      (uint8_t)(100 + hop)),
							   11, 0, 17, res, 45000,
							   dst, port,
							   t + 5000 + (uint64_t)i);
					CHECK_INT(feed(d, &p, with_flows ?
						       &icmpfl : NULL), 0);
				}
			}
		}
		kn_det_flush(d);
		CHECK_INT(l.n, 0);
		kn_det_free(d);
	}
}

/* ---- stealth scans ----------------------------------------------------------------- */

TEST(net_det_stealth_scan)
{
	static const uint8_t shapes[3] = {
		0, KN_TH_FIN, KN_TH_FIN | KN_TH_PSH | KN_TH_URG,
	};

	for (int s = 0; s < 3; s++) {
		struct log l;
		struct kn_det *d = make_default(&l);
		struct kn_addr att = S_ATT, tgt = S_TGT;
		struct kn_flow fl;
		struct kn_pkt p;
		const struct kn_attack *a;
		uint32_t m = 0;

		REQUIRE(d != NULL);
		for (int i = 1; i <= 8; i++) {
			memset(&fl, 0, sizeof fl);
			tcp(&p, att, 60000, tgt, (uint16_t)(100 * i), shapes[s],
			    T0 + (uint64_t)i * 1000);
			m = feed(d, &p, &fl);
			tcp(&p, tgt, (uint16_t)(100 * i), att, 60000,
			    KN_TH_RST | KN_TH_ACK, T0 + (uint64_t)i * 1000 + 50);
			CHECK_INT(feed(d, &p, &fl), 0);
			/* nmap sends each probe twice when no answer
			 * comes; here the second probe is answered too. */
			tcp(&p, att, 60000, tgt, (uint16_t)(100 * i), shapes[s],
			    T0 + (uint64_t)i * 1000 + 100);
			feed(d, &p, &fl);
		}
		CHECK_INT(m, kn_det_bit(KN_AT_STEALTH_SCAN));
		kn_det_flush(d);
		CHECK_INT(l.n, 2);
		a = nth(&l, KN_AT_STEALTH_SCAN, KN_EPISODE_START, 0);
		REQUIRE(a != NULL);
		CHECK_INT(a->ports, 5);
		CHECK_INT(a->packets, 9);
		a = nth(&l, KN_AT_STEALTH_SCAN, KN_EPISODE_END, 0);
		REQUIRE(a != NULL);
		CHECK_INT(a->ports, 8);
		CHECK_INT(a->packets, 16);
		CHECK_INT(a->proto, 6);
		CHECK_INT(count(&l, KN_AT_BAD_TCP_FLAGS, -1), 0);
		kn_det_free(d);
	}
}

/* Inside sessions, segments without ACK are invalid flags, not scan
 * probes. */
TEST(net_det_stealth_in_session)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr cli = v4(10, 0, 0, 10), srv = v4(10, 0, 0, 80);
	struct kn_flow fl[6];
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	memset(fl, 0, sizeof fl);
	for (int i = 0; i < 6; i++) {
		uint16_t sp = (uint16_t)(40000 + i);
		uint64_t t = T0 + (uint64_t)i * SEC;

		tcp(&p, cli, sp, srv, 80, KN_TH_SYN, t);
		feed(d, &p, &fl[i]);
		tcp(&p, srv, 80, cli, sp, KN_TH_SYN | KN_TH_ACK, t + 10);
		feed(d, &p, &fl[i]);
		tcp(&p, cli, sp, srv, 80, KN_TH_ACK, t + 20);
		feed(d, &p, &fl[i]);
		tcp(&p, cli, sp, srv, 80, KN_TH_FIN, t + 30);
		CHECK_INT(feed(d, &p, &fl[i]), kn_det_bit(KN_AT_BAD_TCP_FLAGS));
	}
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_STEALTH_SCAN, -1), 0);
	CHECK_INT(count(&l, KN_AT_BAD_TCP_FLAGS, KN_EPISODE_START), 1);
	a = nth(&l, KN_AT_BAD_TCP_FLAGS, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 6);
	CHECK(same_addr(&a->src, &cli));
	kn_det_free(d);
}

/* ---- host sweeps ------------------------------------------------------------------- */

TEST(net_det_host_sweep_icmp)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = S_ATT;
	struct kn_pkt p;
	const struct kn_attack *a;
	uint32_t m[255];

	REQUIRE(d != NULL);
	/* A ping sweep of a /24: hosts 1-20 answer, and count all the
	 * same (finding the hosts that answer is what a sweep is for). */
	for (int h = 1; h <= 254; h++) {
		struct kn_addr tgt = v4(10, 0, 7, (uint8_t)h);
		uint64_t t = T0 + (uint64_t)h * 2000;

		icmp(&p, att, tgt, 8, 0, t);
		m[h] = kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
		if (h <= 20) {
			icmp(&p, tgt, att, 0, 0, t + 300);
			CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER,
						NULL), 0);
		}
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 2);
	a = nth(&l, KN_AT_HOST_SWEEP, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	/* Echo replies leave nothing out: the 32nd host starts it. */
	CHECK_INT(a->hosts, 32);
	CHECK_INT(a->packets, 32);
	CHECK_INT(m[31], 0);
	CHECK_INT(m[32], kn_det_bit(KN_AT_HOST_SWEEP));
	CHECK_INT(a->proto, 1);
	CHECK_INT(a->dst.family, 0);
	CHECK_INT(a->dport, 0);
	CHECK(same_addr(&a->src, &att));
	a = nth(&l, KN_AT_HOST_SWEEP, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->hosts, 254);
	CHECK_INT(a->packets, 254);
	CHECK_INT(count(&l, KN_AT_ICMP_FLOOD, -1), 0);
	kn_det_free(d);
}

TEST(net_det_host_sweep_tcp)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = v6(0x66);
	struct kn_flow fl;
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	for (int h = 1; h <= 100; h++) {
		memset(&fl, 0, sizeof fl);
		tcp(&p, att, 41000, v6((uint16_t)(0x100 + h)), 443, KN_TH_SYN,
		    T0 + (uint64_t)h * 1000);
		feed(d, &p, &fl);
	}
	kn_det_flush(d);
	REQUIRE(l.n == 2);
	a = nth(&l, KN_AT_HOST_SWEEP, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->hosts, 100);
	CHECK_INT(a->dport, 443);
	CHECK_INT(a->proto, 6);
	CHECK_INT(a->src.family, 6);
	kn_det_free(d);
}

/* A browser or a proxy: connections to 300 hosts on 443 in a minute,
 * each answered before the fifth next one starts. */
TEST(net_det_host_sweep_ordinary)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr cli = v4(10, 0, 0, 10);
	struct kn_flow *fl = calloc(300, sizeof *fl);
	struct kn_pkt p;

	REQUIRE(d != NULL && fl != NULL);
	for (int h = 0; h < 300 + 4; h++) {
		if (h < 300) {
			tcp(&p, cli, (uint16_t)(30000 + h),
			    v4(93, (uint8_t)(h / 200), (uint8_t)(h % 200), 1), 443,
			    KN_TH_SYN, T0 + (uint64_t)h * 200000);
			CHECK_INT(feed(d, &p, &fl[h]), 0);
		}
		if (h >= 4) {
			int k = h - 4;

			tcp(&p, v4(93, (uint8_t)(k / 200), (uint8_t)(k % 200), 1),
			    443, cli, (uint16_t)(30000 + k),
			    KN_TH_SYN | KN_TH_ACK, T0 + (uint64_t)h * 200000 + 10);
			CHECK_INT(feed(d, &p, &fl[k]), 0);
		}
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 0);
	free(fl);
	kn_det_free(d);
}

/* ---- floods ------------------------------------------------------------------------- */

/* hping3 -S -p 80 --flood: the source port goes up by one per packet;
 * the target answers SYN-ACK, the attacker's kernel RST. */
TEST(net_det_syn_flood)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = S_ATT, tgt = S_TGT;
	struct kn_flow fl;
	struct kn_pkt p;
	const struct kn_attack *a;
	uint32_t m = 0;

	REQUIRE(d != NULL);
	for (int i = 0; i < 5000; i++) {
		uint16_t sp = (uint16_t)(1500 + i);
		uint64_t t = T0 + (uint64_t)i * 100;

		memset(&fl, 0, sizeof fl);
		tcp(&p, att, sp, tgt, 80, KN_TH_SYN, t);
		m = feed(d, &p, &fl);
		if (i == 1998)
			CHECK_INT(m, 0);
		if (i == 1999)
			CHECK_INT(m, kn_det_bit(KN_AT_SYN_FLOOD));
		tcp(&p, tgt, 80, att, sp, KN_TH_SYN | KN_TH_ACK, t + 20);
		CHECK_INT(feed(d, &p, &fl), 0);
		tcp(&p, att, sp, tgt, 80, KN_TH_RST, t + 40);
		CHECK_INT(feed(d, &p, &fl), 0);
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 2);
	a = nth(&l, KN_AT_SYN_FLOOD, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 2000);
	CHECK_INT(a->sources, 1);
	CHECK_INT(a->spoofed, 0);
	CHECK(same_addr(&a->src, &att));
	CHECK(same_addr(&a->dst, &tgt));
	CHECK_INT(a->dport, 80);
	CHECK_INT(a->severity, 1);
	a = nth(&l, KN_AT_SYN_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 5000);
	CHECK_INT(a->bytes, 5000 * 60);
	CHECK_INT(tus(a->last), T0 + 4999 * 100);
	kn_det_free(d);
}

/* hping3 -S --rand-source --flood; a legitimate client's SYNs are part of
 * a spoofed flood's episode, but not of a single source's. */
/* A flood that straddles two windows: 1,500 SYNs in the last 300 ms of
 * one and 1,500 in the first 300 ms of the next.  Neither window holds
 * 2,000, but the last second does. */
TEST(net_det_syn_flood_straddles_windows)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = S_ATT;
	struct kn_flow fl;
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	/* One SYN opens the target's window at T0. */
	memset(&fl, 0, sizeof fl);
	tcp(&p, v4(10, 0, 0, 20), 999, S_TGT, 80, KN_TH_SYN, T0);
	feed(d, &p, &fl);
	for (int i = 0; i < 3000; i++) {
		uint64_t t = T0 + 700000 + (uint64_t)i * 200;

		memset(&fl, 0, sizeof fl);
		tcp(&p, S_ATT, (uint16_t)(2000 + i), S_TGT, 80, KN_TH_SYN, t);
		feed(d, &p, &fl);
	}
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_SYN_FLOOD, KN_EPISODE_END), 1);
	a = nth(&l, KN_AT_SYN_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK(same_addr(&a->src, &att));
	/* The episode counts the packets of both windows. */
	CHECK(a->packets > 2000);
	kn_det_free(d);
}

/* A scan, then a SYN flood on a port the scan probed, from the same
 * source: the scan's probes are the scan's, the flood's SYNs the
 * flood's, and both are reported. */
TEST(net_det_flood_after_scan)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_flow fl;
	struct kn_pkt p;
	uint32_t masks[101];
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	syn_scan(d, S_ATT, S_TGT, 100, T0, masks);
	for (int i = 0; i < 2500; i++) {
		uint64_t t = T0 + 200000 + (uint64_t)i * 100;

		memset(&fl, 0, sizeof fl);
		tcp(&p, S_ATT, (uint16_t)(3000 + i), S_TGT, 80, KN_TH_SYN, t);
		feed(d, &p, &fl);
	}
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_END), 1);
	CHECK_INT(count(&l, KN_AT_SYN_FLOOD, KN_EPISODE_END), 1);
	a = nth(&l, KN_AT_SYN_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK(a->packets >= 2500);
	kn_det_free(d);
}

TEST(net_det_syn_flood_spoofed)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr tgt = S_TGT;
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	for (int i = 0; i < 3000; i++) {
		tcp(&p, v4(172, 16, (uint8_t)(i >> 8), (uint8_t)i), 2000, tgt,
		    80, KN_TH_SYN, T0 + (uint64_t)i * 100);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	tcp(&p, v4(10, 0, 0, 10), 2000, tgt, 443, KN_TH_SYN, T0 + 300000);
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
		  kn_det_bit(KN_AT_SYN_FLOOD));
	kn_det_flush(d);
	REQUIRE(l.n == 2);
	a = nth(&l, KN_AT_SYN_FLOOD, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->src.family, 0);
	CHECK_INT(a->spoofed, 1);
	CHECK_INT(a->sources, 2000);
	CHECK_INT(a->packets, 2000);
	a = nth(&l, KN_AT_SYN_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->sources, 3001);
	CHECK_INT(a->packets, 3001);
	/* Two ports: no port to report. */
	CHECK_INT(a->dport, 0);
	kn_det_free(d);
}

/* A busy server: 10,000 connections in a second from 1,000 clients 50 ms
 * away, each completing its handshake. */
TEST(net_det_syn_flood_ordinary)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr srv = v4(10, 0, 0, 80);
	struct kn_flow *fl = calloc(10000, sizeof *fl);
	struct kn_pkt p;

	REQUIRE(d != NULL && fl != NULL);
	/* Packets in time order: SYN at i*100 us, SYN-ACK 25 ms later,
	 * the ACK 50 ms after the SYN. */
	for (uint64_t t = 0; t < 1100000; t += 100) {
		int64_t i = (int64_t)(t / 100);

		for (int step = 0; step < 3; step++) {
			int64_t k = i - step * 250;
			struct kn_addr c;
			uint16_t sp;

			if (k < 0 || k >= 10000)
				continue;
			c = v4(10, 2, (uint8_t)(k % 1000 / 250),
			       (uint8_t)(k % 250 + 1));
			sp = (uint16_t)(20000 + k / 1000);
			if (step == 0)
				tcp(&p, c, sp, srv, 443, KN_TH_SYN, T0 + t);
			else if (step == 1)
				tcp(&p, srv, 443, c, sp, KN_TH_SYN | KN_TH_ACK,
				    T0 + t);
			else
				tcp(&p, c, sp, srv, 443, KN_TH_ACK, T0 + t);
			CHECK_INT(feed(d, &p, &fl[k]), 0);
		}
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 0);
	free(fl);
	kn_det_free(d);
}

TEST(net_det_udp_flood)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = S_ATT, tgt = S_TGT;
	struct kn_flow fl;
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	/* hping3 --udp -p 53 --flood: 15,000 datagrams in 0.75 s. */
	for (int i = 0; i < 15000; i++) {
		memset(&fl, 0, sizeof fl);
		udp(&p, att, (uint16_t)(3000 + i), tgt, 53, 0,
		    T0 + (uint64_t)i * 50);
		feed(d, &p, &fl);
	}
	kn_det_flush(d);
	REQUIRE(l.n == 2);
	a = nth(&l, KN_AT_UDP_FLOOD, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 2000);
	CHECK(same_addr(&a->src, &att));
	CHECK_INT(a->spoofed, 0);
	CHECK_INT(a->proto, 17);
	CHECK_INT(a->dport, 53);
	a = nth(&l, KN_AT_UDP_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 15000);
	CHECK_INT(a->bytes, 15000 * 42);
	kn_det_free(d);
}

/* A download over UDP (QUIC-like): 50,000 datagrams a second to the client
 * that opened the flow. */
TEST(net_det_udp_flood_ordinary)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr cli = v4(10, 0, 0, 10), srv = v4(93, 0, 0, 1);
	struct kn_flow fl;
	struct kn_pkt p;

	REQUIRE(d != NULL);
	memset(&fl, 0, sizeof fl);
	udp(&p, cli, 50123, srv, 443, 1200, T0);
	feed(d, &p, &fl);
	for (int i = 0; i < 50000; i++) {
		udp(&p, srv, 443, cli, 50123, 1200, T0 + 100 + (uint64_t)i * 20);
		CHECK_INT(feed(d, &p, &fl), 0);
		if (i % 10 == 0) {
			udp(&p, cli, 50123, srv, 443, 40,
			    T0 + 110 + (uint64_t)i * 20);
			CHECK_INT(feed(d, &p, &fl), 0);
		}
	}
	kn_det_flush(d);
	CHECK_INT(l.n, 0);
	kn_det_free(d);
}

TEST(net_det_icmp_flood)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = v6(0x66), tgt = v6(5), mon = v4(10, 0, 0, 9);
	struct kn_flow fl, mfl;
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	memset(&fl, 0, sizeof fl);
	memset(&mfl, 0, sizeof mfl);
	/* ping -f: requests and replies in one flow. */
	for (int i = 0; i < 1500; i++) {
		icmp(&p, att, tgt, 128, 0, T0 + (uint64_t)i * 500);
		feed(d, &p, &fl);
		icmp(&p, tgt, att, 129, 0, T0 + (uint64_t)i * 500 + 100);
		CHECK_INT(feed(d, &p, &fl), 0);
		/* Neighbour discovery is no flood. */
		icmp(&p, att, tgt, 135, 0, T0 + (uint64_t)i * 500 + 200);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	}
	/* A monitor pinging once a second for 100 seconds. */
	for (int i = 0; i < 100; i++) {
		icmp(&p, mon, S_TGT, 8, 0, T0 + (uint64_t)i * SEC);
		CHECK_INT(feed(d, &p, &mfl), 0);
	}
	kn_det_flush(d);
	REQUIRE(l.n == 2);
	a = nth(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 1000);
	CHECK_INT(a->proto, 58);
	CHECK(same_addr(&a->src, &att));
	CHECK(same_addr(&a->dst, &tgt));
	a = nth(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 1500);
	kn_det_free(d);
}

/* A flood from the target's own address (Land packets) is forged. */
TEST(net_det_flood_from_target)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr tgt = S_TGT;
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	for (int i = 0; i < 1500; i++) {
		udp(&p, tgt, 7, tgt, 7, 0, T0 + (uint64_t)i * 100);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	kn_det_flush(d);
	a = nth(&l, KN_AT_LAND, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 1500);
	CHECK_INT(a->spoofed, 1);
	CHECK_INT(count(&l, KN_AT_UDP_FLOOD, -1), 0);
	kn_det_free(d);

	d = make_default(&l);
	REQUIRE(d != NULL);
	for (int i = 0; i < 12000; i++) {
		udp(&p, tgt, (uint16_t)(1000 + i), tgt, 7, 0,
		    T0 + (uint64_t)i * 50);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	kn_det_flush(d);
	a = nth(&l, KN_AT_UDP_FLOOD, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->spoofed, 1);
	CHECK_INT(a->src.family, 0);
	CHECK_INT(a->sources, 1);
	kn_det_free(d);
}

/* ---- single-packet attacks ------------------------------------------------------------ */

TEST(net_det_land)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr v = S_TGT;
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	for (int i = 0; i < 5; i++) {
		tcp(&p, v, 139, v, 139, KN_TH_SYN, T0 + (uint64_t)i * SEC);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL) &
			  kn_det_bit(KN_AT_LAND), kn_det_bit(KN_AT_LAND));
	}
	/* Same address, other port: no Land. */
	tcp(&p, v, 1139, v, 139, KN_TH_SYN, T0 + 6 * SEC);
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL) &
		  kn_det_bit(KN_AT_LAND), 0);
	CHECK_INT(l.n, 1);
	a = nth(&l, KN_AT_LAND, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 1);
	CHECK_INT(a->spoofed, 1);
	CHECK(same_addr(&a->src, &v) && same_addr(&a->dst, &v));
	kn_det_flush(d);
	a = nth(&l, KN_AT_LAND, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 5);
	CHECK_INT(a->episode, 1);
	kn_det_free(d);
}

TEST(net_det_fragment_attacks)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr att = S_ATT, tgt = S_TGT;
	struct kn_defrag_events ev;
	struct kn_pkt p;
	const struct kn_attack *a;
	uint32_t m;

	REQUIRE(d != NULL);
	/* A fragment: its transport header is not looked at. */
	icmp(&p, att, tgt, 8, 0, T0);
	p.is_frag = 1;
	p.more_frags = 1;
	memset(&ev, 0, sizeof ev);
	ev.too_large = 1;
	m = kn_det_packet(d, &p, NULL, KN_TO_SERVER, &ev);
	CHECK_INT(m, kn_det_bit(KN_AT_PING_OF_DEATH));
	memset(&ev, 0, sizeof ev);
	ev.overlap_differs = 1;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, &ev),
		  kn_det_bit(KN_AT_TEARDROP));
	memset(&ev, 0, sizeof ev);
	ev.bad_offset = 1;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, &ev),
		  kn_det_bit(KN_AT_TEARDROP));
	memset(&ev, 0, sizeof ev);
	ev.tiny = 1;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, &ev),
		  kn_det_bit(KN_AT_TINY_FRAGMENT));
	/* A duplicate fragment is no attack. */
	memset(&ev, 0, sizeof ev);
	ev.overlap = 1;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, &ev), 0);
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_PING_OF_DEATH, KN_EPISODE_END), 1);
	CHECK_INT(count(&l, KN_AT_TINY_FRAGMENT, KN_EPISODE_END), 1);
	CHECK_INT(count(&l, KN_AT_HOST_SWEEP, -1), 0);
	CHECK_INT(count(&l, KN_AT_ICMP_FLOOD, -1), 0);
	a = nth(&l, KN_AT_TEARDROP, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 2);
	CHECK_INT(a->proto, 1);
	CHECK(same_addr(&a->src, &att));
	CHECK(same_addr(&a->dst, &tgt));
	CHECK_INT(l.n, 6);
	kn_det_free(d);
}

TEST(net_det_source_route)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_pkt p;

	REQUIRE(d != NULL);
	udp(&p, S_ATT, 1000, S_TGT, 2000, 0, T0);
	p.ipopts = KN_IPOPT_LSRR;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
		  kn_det_bit(KN_AT_SOURCE_ROUTE));
	udp(&p, S_ATT, 1000, v4(10, 0, 0, 6), 2000, 0, T0 + 1);
	p.ipopts = KN_IPOPT_SSRR | KN_IPOPT_RR;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
		  kn_det_bit(KN_AT_SOURCE_ROUTE));
	/* Record route and timestamps are no source routing. */
	udp(&p, S_ATT, 1000, S_TGT, 2000, 0, T0 + 2);
	p.ipopts = KN_IPOPT_RR | KN_IPOPT_TS;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	icmp(&p, v6(0x66), v6(5), 128, 0, T0 + 3);
	p.v6_rh0 = 1;
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
		  kn_det_bit(KN_AT_SOURCE_ROUTE));
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_SOURCE_ROUTE, KN_EPISODE_END), 3);
	CHECK_INT(l.n, 6);
	kn_det_free(d);
}

TEST(net_det_bad_tcp_flags)
{
	static const struct {
		uint8_t flags;
		size_t data;
		int bad;
	} cases[] = {
		{ KN_TH_SYN | KN_TH_FIN, 0, 1 },
		{ KN_TH_SYN | KN_TH_RST, 0, 1 },
		{ KN_TH_SYN | KN_TH_FIN | KN_TH_RST | KN_TH_PSH | KN_TH_ACK |
		  KN_TH_URG, 0, 1 },
		{ 0, 10, 1 },                          /* no flags on data */
		{ KN_TH_PSH, 10, 1 },
		{ 0, 0, 0 },                           /* a NULL probe */
		{ KN_TH_FIN, 0, 0 },                   /* a FIN probe */
		{ KN_TH_SYN, 0, 0 },
		{ KN_TH_SYN | KN_TH_ACK, 0, 0 },
		{ KN_TH_SYN | KN_TH_ECE | KN_TH_CWR, 0, 0 },
		{ KN_TH_ACK | KN_TH_FIN, 0, 0 },
		{ KN_TH_RST | KN_TH_ACK, 0, 0 },
		{ KN_TH_RST, 0, 0 },
		{ KN_TH_ACK | KN_TH_PSH, 100, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct log l;
		struct kn_det *d = make_default(&l);
		struct kn_pkt p;
		uint32_t m;

		REQUIRE(d != NULL);
		tcp(&p, S_ATT, 5555, S_TGT, 80, cases[i].flags, T0);
		p.payload_len = p.payload_wire = cases[i].data;
		m = kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
		kn_det_flush(d);
		if (cases[i].bad != ((m & kn_det_bit(KN_AT_BAD_TCP_FLAGS)) != 0))
			ut_fail(__FILE__, __LINE__, "flags 0x%02x data %zu",
				cases[i].flags, cases[i].data);
		CHECK_INT(count(&l, KN_AT_BAD_TCP_FLAGS, KN_EPISODE_END),
			  cases[i].bad);
		kn_det_free(d);
	}
}

/* ---- ARP spoofing ------------------------------------------------------------------ */

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x0c };

TEST(net_det_arp_spoof)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr gw = v4(10, 0, 0, 1), host = v4(10, 0, 0, 10);
	struct kn_pkt p;
	const struct kn_attack *a;

	REQUIRE(d != NULL);
	/* The gateway answers for itself, again and again. */
	for (int i = 0; i < 100; i++) {
		arp(&p, 2, mac_a, gw, host, T0 + (uint64_t)i * SEC);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	}
	CHECK_INT(l.n, 0);
	/* arpspoof: B claims the gateway's address every 2 s; the
	 * gateway's own answers keep coming. */
	for (int i = 0; i < 5; i++) {
		uint64_t t = T0 + 110 * SEC + (uint64_t)i * 2 * SEC;

		arp(&p, 2, mac_b, gw, host, t);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
			  kn_det_bit(KN_AT_ARP_SPOOF));
		arp(&p, 2, mac_a, gw, host, t + SEC);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	}
	a = nth(&l, KN_AT_ARP_SPOOF, KN_EPISODE_START, 0);
	REQUIRE(a != NULL);
	CHECK(same_addr(&a->src, &gw));
	CHECK(same_addr(&a->dst, &host));
	CHECK_MEM(a->arp_mac_old, 6, mac_a, 6);
	CHECK_MEM(a->arp_mac_new, 6, mac_b, 6);
	CHECK_INT(a->proto, 0);
	CHECK_INT(a->severity, 1);
	kn_det_flush(d);
	a = nth(&l, KN_AT_ARP_SPOOF, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 5);
	CHECK_INT(tus(a->first), T0 + 110 * SEC);
	CHECK_INT(tus(a->last), T0 + 118 * SEC);
	CHECK_INT(l.n, 2);
	kn_det_free(d);
}

/* A gratuitous ARP changing a fresh binding is reported; an address taken
 * over after its binding was forgotten is not. */
TEST(net_det_arp_gratuitous)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_addr ip = v4(10, 0, 0, 20), ip2 = v4(10, 0, 0, 21);
	struct kn_pkt p;

	REQUIRE(d != NULL);
	arp(&p, 1, mac_a, ip, v4(10, 0, 0, 1), T0);
	kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	arp(&p, 2, mac_a, ip2, v4(10, 0, 0, 1), T0);
	kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	arp(&p, 2, mac_c, ip, ip, T0 + 10 * SEC);
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
		  kn_det_bit(KN_AT_ARP_SPOOF));
	/* ip2's owner last spoke 301 s before the new one. */
	arp(&p, 2, mac_b, ip2, ip2, T0 + 301 * SEC);
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	/* Probes and multicast senders claim nothing. */
	arp(&p, 1, mac_c, v4(0, 0, 0, 0), ip2, T0 + 302 * SEC);
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	{
		uint8_t mc[6] = { 0x01, 0, 0x5e, 0, 0, 1 };

		arp(&p, 2, mc, ip2, ip2, T0 + 303 * SEC);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	}
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_ARP_SPOOF, KN_EPISODE_START), 1);
	CHECK_INT(l.n, 2);
	kn_det_free(d);
}

TEST(net_det_arp_cap)
{
	struct kn_det_conf c;
	struct kn_det_stats st;
	struct log l;
	struct kn_det *d;
	struct kn_pkt p;

	kn_det_defaults(&c);
	c.max_arp = 4;
	d = make(&c, &l);
	REQUIRE(d != NULL);
	for (int i = 0; i < 10; i++) {
		arp(&p, 2, mac_a, v4(10, 0, 0, (uint8_t)(i + 1)), v4(10, 0, 0, 99),
		    T0 + (uint64_t)i);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	CHECK_INT(d->tab[KN_TAB_ARP].n, 4);
	kn_det_get_stats(d, &st);
	CHECK_INT(st.arp_forgotten, 6);
	/* 10.0.0.1 was forgotten: a new MAC address is no conflict. */
	arp(&p, 2, mac_b, v4(10, 0, 0, 1), v4(10, 0, 0, 99), T0 + 20);
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL), 0);
	/* 10.0.0.10 is remembered. */
	arp(&p, 2, mac_b, v4(10, 0, 0, 10), v4(10, 0, 0, 99), T0 + 21);
	CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
		  kn_det_bit(KN_AT_ARP_SPOOF));
	kn_det_flush(d);
	kn_det_free(d);
}

/* ---- episodes ---------------------------------------------------------------------- */

/* A flood that goes on past max_episode_us is reported in pieces. */
TEST(net_det_max_episode)
{
	struct kn_det_conf c;
	struct log l;
	struct kn_det *d;
	struct kn_pkt p;
	const struct kn_attack *a;

	kn_det_defaults(&c);
	c.max_episode_us = 10 * SEC;
	c.th[KN_AT_ICMP_FLOOD].count = 100;
	d = make(&c, &l);
	REQUIRE(d != NULL);
	/* 25 seconds of 1,000 echo requests a second. */
	for (int i = 0; i < 25000; i++) {
		icmp(&p, S_ATT, S_TGT, 8, 0, T0 + (uint64_t)i * 1000);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
		if (i % 1000 == 0)
			kn_det_tick(d, T0 + (uint64_t)i * 1000);
	}
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_START), 3);
	CHECK_INT(count(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END), 3);
	a = nth(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->episode, 1);
	CHECK_INT(tus(a->first), T0);
	CHECK_INT(tus(a->last), T0 + 9999 * 1000);
	CHECK_INT(a->packets, 10000);
	a = nth(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_START, 1);
	REQUIRE(a != NULL);
	CHECK_INT(a->episode, 2);
	CHECK_INT(tus(a->first), T0 + 10000 * 1000);
	CHECK_INT(a->packets, 100);
	a = nth(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END, 2);
	REQUIRE(a != NULL);
	CHECK_INT(a->episode, 3);
	CHECK_INT(tus(a->last), T0 + 24999 * 1000);
	/* Every START comes before its END, and each ends once. */
	for (int e = 1; e <= 3; e++) {
		int s = -1, f = -1, ends = 0;

		for (int i = 0; i < l.n; i++) {
			if (l.r[i].a.cls != KN_AT_ICMP_FLOOD ||
			    l.r[i].a.episode != (uint64_t)e)
				continue;
			if (l.r[i].ph == KN_EPISODE_START)
				s = i;
			else {
				f = i;
				ends++;
			}
		}
		CHECK(s >= 0 && f > s && ends == 1);
	}
	kn_det_free(d);
}

/* A flood that slows below its threshold ends a window after it last
 * reached it; one that comes back is a second episode. */
TEST(net_det_quiet_window)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_pkt p;
	const struct kn_attack *a;
	uint64_t t = T0;

	REQUIRE(d != NULL);
	for (int i = 0; i < 1500; i++, t += 500) {
		icmp(&p, S_ATT, S_TGT, 8, 0, t);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	/* Then ten a second.  The measure is the last 8 slots of 125 ms:
	 * at T0 + 1,150 ms they reach back to T0 + 250 ms, which holds the
	 * burst's last 1,000 packets plus 4; at T0 + 1,250 ms back to
	 * T0 + 375 ms: 750 plus 5.  The episode ends a second after
	 * T0 + 1,150 ms. */
	for (int i = 0; i < 10; i++, t += 100000) {
		icmp(&p, S_ATT, S_TGT, 8, 0, t);
		CHECK_INT(kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL),
			  kn_det_bit(KN_AT_ICMP_FLOOD));
	}
	kn_det_tick(d, T0 + 1150000 + SEC - 1);
	CHECK_INT(count(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END), 0);
	kn_det_tick(d, T0 + 1150000 + SEC);
	CHECK_INT(count(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END), 1);
	a = nth(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->packets, 1510);
	CHECK_INT(tus(a->last), T0 + 1650000);
	/* It comes back. */
	t = T0 + 5 * SEC;
	for (int i = 0; i < 1200; i++, t += 500) {
		icmp(&p, S_ATT, S_TGT, 8, 0, t);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	kn_det_tick(d, t + 2 * SEC);
	CHECK_INT(count(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END), 2);
	a = nth(&l, KN_AT_ICMP_FLOOD, KN_EPISODE_END, 1);
	REQUIRE(a != NULL);
	CHECK_INT(a->episode, 2);
	CHECK_INT(a->packets, 1200);
	kn_det_flush(d);
	CHECK_INT(l.n, 4);
	kn_det_free(d);
}

/* Time going back (merged captures) does not break windows. */
TEST(net_det_time_back)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_pkt p;

	REQUIRE(d != NULL);
	for (int i = 0; i < 30; i++) {
		uint64_t t = i % 2 ? T0 - (uint64_t)i * SEC : T0 + (uint64_t)i;

		tcp(&p, S_ATT, 40000, S_TGT, (uint16_t)(i + 1), KN_TH_SYN, t);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	tcp(&p, S_ATT, 40000, S_TGT, 1, KN_TH_SYN, 0);
	p.ts.sec = -5;
	kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	kn_det_flush(d);
	REQUIRE(l.n == 2);
	CHECK_INT(l.r[1].a.ports, 30);
	CHECK(tus(l.r[1].a.first) <= tus(l.r[1].a.last));
	kn_det_free(d);
}

/* ---- caps ------------------------------------------------------------------------- */

TEST(net_det_source_cap)
{
	struct kn_det_conf c;
	struct kn_det_stats st;
	struct log l;
	struct kn_det *d;
	struct kn_pkt p;

	kn_det_defaults(&c);
	c.max_sources = 8;
	c.max_targets = 4;
	d = make(&c, &l);
	REQUIRE(d != NULL);
	/* A scan in progress, then 20 sources with one SYN each: each makes
	 * a scan and a sweep tracker. */
	for (int i = 1; i <= 20; i++) {
		tcp(&p, S_ATT, 40000, S_TGT, (uint16_t)i, KN_TH_SYN, T0 + (uint64_t)i);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	CHECK_INT(count(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_START), 1);
	for (int i = 0; i < 20; i++) {
		tcp(&p, v4(10, 3, 0, (uint8_t)(i + 1)), 40000, S_TGT, 22,
		    KN_TH_SYN, T0 + 100 + (uint64_t)i);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
		CHECK(d->tab[KN_TAB_SRC].n <= 8);
		CHECK(d->tab[KN_TAB_DST].n <= 4);
	}
	/* The scan's tracker was forgotten: its episode ended with it. */
	CHECK_INT(count(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_END), 1);
	CHECK_INT(l.r[1].a.ports, 20);
	kn_det_get_stats(d, &st);
	/* 21 trackers for 8 places while scanning, then 40 more. */
	CHECK_INT(st.sources_forgotten, 13 + 40);
	CHECK_INT(st.targets_forgotten, 0);
	CHECK_INT(d->tab[KN_TAB_SRC].n, 8);
	/* Once their window has passed, trackers are given back, and the
	 * next ones find room without forgetting anything. */
	kn_det_tick(d, T0 + 61 * SEC);
	CHECK_INT(d->tab[KN_TAB_SRC].n, 0);
	CHECK_INT(d->tab[KN_TAB_DST].n, 0);
	for (int i = 0; i < 4; i++) {
		tcp(&p, v4(10, 4, 0, (uint8_t)(i + 1)), 40000, S_TGT, 22,
		    KN_TH_SYN, T0 + 62 * SEC + (uint64_t)i);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	kn_det_get_stats(d, &st);
	CHECK_INT(st.sources_forgotten, 53);
	CHECK_INT(d->tab[KN_TAB_SRC].n, 8);
	/* Floods to many targets: the targets' table. */
	for (int i = 0; i < 10; i++) {
		udp(&p, S_ATT, 5000, v4(10, 5, 0, (uint8_t)(i + 1)), 9, 0,
		    T0 + 63 * SEC + (uint64_t)i);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	kn_det_get_stats(d, &st);
	CHECK_INT(d->tab[KN_TAB_DST].n, 4);
	/* Eleven trackers for four places, but the SYN flood tracker of a
	 * second before had had its window: giving it up is no loss. */
	CHECK_INT(st.targets_forgotten, 6);
	CHECK_INT(st.sources_forgotten, 53 + 11);
	kn_det_flush(d);
	kn_det_free(d);
}

/* The distinct set under pressure: counts may only grow, and stay
 * bounded. */
TEST(net_det_set_pressure)
{
	struct kn_det_conf c;
	struct log l;
	struct kn_det *d;
	struct kn_pkt p;
	const struct kn_attack *a;

	kn_det_defaults(&c);
	c.max_sources = 8;
	c.max_targets = 8;
	d = make(&c, &l);
	REQUIRE(d != NULL);
	for (int i = 0; i < 65536 * 2; i++) {
		tcp(&p, S_ATT, 40000, S_TGT, (uint16_t)i, KN_TH_SYN,
		    T0 + (uint64_t)i);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	kn_det_flush(d);
	a = nth(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK(d->set_evicted > 0);
	CHECK(a->ports >= 1000 && a->ports <= 65536);
	CHECK_INT(a->packets, 65536 * 2);
	kn_det_free(d);
}

/* The callback sees START then END, once each, across every path that
 * ends an episode (quiet window, max length, forgetting, flush). */
TEST(net_det_flush_twice)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_pkt p;

	REQUIRE(d != NULL);
	tcp(&p, S_ATT, 1, S_TGT, 2, KN_TH_SYN | KN_TH_FIN, T0);
	kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	kn_det_flush(d);
	kn_det_flush(d);
	kn_det_tick(d, T0 + 3600 * SEC);
	CHECK_INT(l.n, 2);
	CHECK(l.r[0].ph == KN_EPISODE_START && l.r[1].ph == KN_EPISODE_END);
	CHECK_INT(d->active, 0);
	kn_det_free(d);
}

/* A scan in progress keeps its tracker while a stream of one-packet
 * sources goes through a small table. */
TEST(net_det_clock_keeps_hot)
{
	struct kn_det_conf c;
	struct kn_det_stats st;
	struct log l;
	struct kn_det *d;
	struct kn_pkt p;
	const struct kn_attack *a;

	kn_det_defaults(&c);
	c.max_sources = 64;
	d = make(&c, &l);
	REQUIRE(d != NULL);
	for (int i = 0; i < 10000; i++) {
		uint64_t t = T0 + (uint64_t)i * 100;

		if (i % 20 == 0) {
			tcp(&p, S_ATT, 40000, S_TGT, (uint16_t)(i / 20 + 1),
			    KN_TH_SYN, t);
			kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
		}
		udp(&p, v4(172, 16, (uint8_t)(i >> 8), (uint8_t)i), 5000,
		    v4(10, 9, (uint8_t)(i >> 8), (uint8_t)i), 7, 0, t + 50);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
	}
	kn_det_flush(d);
	CHECK_INT(count(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_START), 1);
	a = nth(&l, KN_AT_TCP_PORTSCAN, KN_EPISODE_END, 0);
	REQUIRE(a != NULL);
	CHECK_INT(a->ports, 500);
	CHECK_INT(a->packets, 500);
	kn_det_get_stats(d, &st);
	CHECK(st.sources_forgotten > 19000);
	kn_det_free(d);
}

/* The packets of a forged flood in progress count for the flood only:
 * they do not make trackers of their sources. */
TEST(net_det_spoofed_flood_no_churn)
{
	struct log l;
	struct kn_det *d = make_default(&l);
	struct kn_pkt p;
	uint32_t n_at_start = 0;

	REQUIRE(d != NULL);
	for (int i = 0; i < 30000; i++) {
		tcp(&p, v4(172, (uint8_t)(16 + (i >> 16)), (uint8_t)(i >> 8),
			   (uint8_t)i), 2000, S_TGT, 80, KN_TH_SYN,
		    T0 + (uint64_t)i * 10);
		kn_det_packet(d, &p, NULL, KN_TO_SERVER, NULL);
		if (i == 1999)
			n_at_start = d->tab[KN_TAB_SRC].n;
	}
	/* Two trackers (scan, sweep) per source until the episode. */
	CHECK_INT(n_at_start, 2 * 2000);
	CHECK_INT(d->tab[KN_TAB_SRC].n, 2 * 2000);
	kn_det_flush(d);
	REQUIRE(l.n == 2);
	CHECK_INT(l.r[1].a.sources, 30000);
	CHECK_INT(l.r[1].a.packets, 30000);
	kn_det_free(d);
}
