/*
 * The packet decoders (lib/net/decode.c, lib/net/dec-*.c): frames built
 * byte by byte here, decoded, and every field the decoders fill checked.
 * Then each good frame cut at every byte by a snap length (a truncation
 * of that layer, never an invalid event) and ended at every byte on the
 * wire (an invalid event or nothing, never a truncation).
 */
#include <stdio.h>
#include <string.h>

#include "net/pkt.h"
#include "unit.h"

/* ---- building frames ---------------------------------------------------- */

struct fb {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct fb *f, unsigned v)
{
	f->b[f->n++] = (uint8_t)v;
}

static void u16(struct fb *f, unsigned v)
{
	u8(f, v >> 8);
	u8(f, v);
}

static void u32(struct fb *f, uint32_t v)
{
	u16(f, v >> 16);
	u16(f, v & 0xffff);
}

static void mem(struct fb *f, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void fill(struct fb *f, size_t n, uint8_t v)
{
	memset(f->b + f->n, v, n);
	f->n += n;
}

static void put16(struct fb *f, size_t at, size_t v)
{
	f->b[at] = (uint8_t)(v >> 8);
	f->b[at + 1] = (uint8_t)v;
}

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t ip4_a[4] = { 192, 0, 2, 1 };
static const uint8_t ip4_b[4] = { 198, 51, 100, 2 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 0x02 };

static void eth(struct fb *f, unsigned type)
{
	mem(f, mac_b, 6);
	mem(f, mac_a, 6);
	u16(f, type);
}

/* An IPv4 header with options (a multiple of 4 octets); the total length
 * is set by ipv4_end. */
static size_t ipv4_opts(struct fb *f, unsigned proto, unsigned frag,
			const void *opts, size_t optlen)
{
	size_t at = f->n;

	u8(f, 0x40 | (unsigned)(5 + optlen / 4));
	u8(f, 0);
	u16(f, 0);
	u16(f, 0x1234);
	u16(f, frag);
	u8(f, 64);
	u8(f, proto);
	u16(f, 0);
	mem(f, ip4_a, 4);
	mem(f, ip4_b, 4);
	mem(f, opts, optlen);
	return at;
}

static size_t ipv4(struct fb *f, unsigned proto)
{
	return ipv4_opts(f, proto, 0, NULL, 0);
}

static void ipv4_end(struct fb *f, size_t at)
{
	put16(f, at + 2, f->n - at);
}

static size_t ipv6(struct fb *f, unsigned nh, unsigned hlim)
{
	size_t at = f->n;

	u32(f, 0x60000000);
	u16(f, 0);
	u8(f, nh);
	u8(f, hlim);
	mem(f, ip6_a, 16);
	mem(f, ip6_b, 16);
	return at;
}

static void ipv6_end(struct fb *f, size_t at)
{
	put16(f, at + 4, f->n - at - 40);
}

/* An IPv6 options header (hop-by-hop or destination), 8 octets: PadN. */
static void ext_opts(struct fb *f, unsigned nh)
{
	u8(f, nh);
	u8(f, 0);
	u8(f, 1);
	u8(f, 4);
	fill(f, 4, 0);
}

static void tcp(struct fb *f, unsigned sport, unsigned dport, unsigned flags,
		const void *opts, size_t optlen)
{
	u16(f, sport);
	u16(f, dport);
	u32(f, 0x01020304);
	u32(f, 0x0a0b0c0d);
	u8(f, (unsigned)(5 + optlen / 4) << 4);
	u8(f, flags);
	u16(f, 29200);
	u16(f, 0);
	u16(f, 0);
	mem(f, opts, optlen);
}

static void udp(struct fb *f, unsigned sport, unsigned dport, size_t datalen)
{
	u16(f, sport);
	u16(f, dport);
	u16(f, (unsigned)(8 + datalen));
	u16(f, 0);
}

static void icmp(struct fb *f, unsigned type, unsigned code)
{
	u8(f, type);
	u8(f, code);
	u16(f, 0);
	u16(f, 0x4242);
	u16(f, 1);
}

static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
#define HTTP_LEN (sizeof http - 1)

static const struct ks_time t0 = { 1700000000, 5 };

static void dec(struct kn_pkt *p, int lt, const struct fb *f)
{
	kn_decode(p, lt, f->b, f->n, f->n, t0);
}

/* The one anomaly a frame must give. */
#define CHECK_ONE(p, ev, lay, trunc)                                      \
	do {                                                              \
		CHECK_INT((p)->nan, 1);                                   \
		if ((p)->nan >= 1) {                                      \
			CHECK_STR((p)->an[0].event, ev);                  \
			CHECK_STR((p)->an[0].layer, lay);                 \
			CHECK_INT((p)->an[0].truncated, trunc);           \
		}                                                         \
		CHECK_INT((p)->truncated, trunc);                         \
	} while (0)

static int has_event(const struct kn_pkt *p, const char *ev)
{
	for (int i = 0; i < p->nan; i++)
		if (strcmp(p->an[i].event, ev) == 0)
			return 1;
	return 0;
}

/* ---- good frames, every field ------------------------------------------- */

TEST(net_dec_eth_ipv4_tcp)
{
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2,
					8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1,
					1, 0 };
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x0800);
	ip = ipv4(&f, 6);
	tcp(&f, 40000, 80, 0x18, opts, sizeof opts);
	mem(&f, http, HTTP_LEN);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);

	CHECK_INT(p.nan, 0);
	CHECK_INT(p.truncated, 0);
	CHECK(p.frame == f.b);
	CHECK_INT(p.caplen, f.n);
	CHECK_INT(p.ts.sec, 1700000000);
	CHECK_INT(p.linktype, KN_LINK_ETHERNET);
	CHECK_INT(p.has_eth, 1);
	CHECK_MEM(p.dst_mac, 6, mac_b, 6);
	CHECK_MEM(p.src_mac, 6, mac_a, 6);
	CHECK_INT(p.ether_type, 0x0800);
	CHECK_INT(p.nvlan, 0);
	CHECK_INT(p.ipv, 4);
	CHECK_INT(p.src.family, 4);
	CHECK_MEM(p.src.b, 4, ip4_a, 4);
	CHECK_MEM(p.dst.b, 4, ip4_b, 4);
	CHECK(p.l3 == f.b + 14);
	CHECK_INT(p.l3_len, 20 + 20 + sizeof opts + HTTP_LEN);
	CHECK_INT(p.ip_total, p.l3_len);
	CHECK_INT(p.proto, 6);
	CHECK_INT(p.ttl, 64);
	CHECK_INT(p.ip_id, 0x1234);
	CHECK_INT(p.ipopts, 0);
	CHECK_INT(p.is_frag, 0);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.sport, 40000);
	CHECK_INT(p.dport, 80);
	CHECK_INT(p.tcp_flags, KN_TH_PSH | KN_TH_ACK);
	CHECK(p.seq == 0x01020304u);
	CHECK(p.ack == 0x0a0b0c0du);
	CHECK_INT(p.window, 29200);
	CHECK_INT(p.l4_len, 20 + sizeof opts);
	CHECK(p.payload == f.b + 14 + 20 + 20 + sizeof opts);
	CHECK_INT(p.payload_len, HTTP_LEN);
	CHECK_INT(p.payload_wire, HTTP_LEN);
	CHECK_MEM(p.payload, p.payload_len, http, HTTP_LEN);
}

/* Padding to Ethernet's 60 octets and a frame check sequence are not the
 * datagram's: Total Length bounds it. */
TEST(net_dec_eth_padding)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x0800);
	ip = ipv4(&f, 6);
	tcp(&f, 1025, 22, KN_TH_SYN, NULL, 0);
	ipv4_end(&f, ip);
	fill(&f, 6 + 4, 0xee);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.l3_len, 40);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.tcp_flags, KN_TH_SYN);
	CHECK_INT(p.payload_len, 0);
	CHECK_INT(p.payload_wire, 0);
	CHECK(p.payload == f.b + 54);
}

TEST(net_dec_udp_and_lengths)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x0800);
	ip = ipv4(&f, 17);
	udp(&f, 5353, 53, 12);
	fill(&f, 12, 0x55);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.sport, 5353);
	CHECK_INT(p.dport, 53);
	CHECK_INT(p.l4_len, 20);
	CHECK(p.payload == f.b + 42);
	CHECK_INT(p.payload_len, 12);
	CHECK_INT(p.payload_wire, 12);

	/* Length below the header. */
	put16(&f, 38, 7);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "udp.hlen_too_small", "udp", 0);
	CHECK_INT(p.has_l4, 0);
	/* Longer than the IP payload. */
	put16(&f, 38, 21);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "udp.hlen_invalid", "udp", 0);
	CHECK_INT(p.has_l4, 0);
	/* Shorter: the data is what Length says. */
	put16(&f, 38, 19);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "udp.len_invalid", "udp", 0);
	CHECK_INT(p.payload_len, 11);
	put16(&f, 38, 10);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "udp.len_invalid", "udp", 0);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.payload_len, 2);
	CHECK_INT(p.payload_wire, 2);

	/* Fewer than 8 octets for UDP. */
	f.n = 0;
	eth(&f, 0x0800);
	ip = ipv4(&f, 17);
	fill(&f, 6, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "udp.pkt_too_small", "udp", 0);
}

TEST(net_dec_tcp_invalid)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x0800);
	ip = ipv4(&f, 6);
	tcp(&f, 1, 2, KN_TH_SYN, NULL, 0);
	ipv4_end(&f, ip);

	f.b[46] = 4 << 4;                  /* Data Offset 4 */
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "tcp.hlen_too_small", "tcp", 0);
	CHECK_INT(p.has_l4, 0);
	f.b[46] = 6 << 4;                  /* 24 octets, 20 there */
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "tcp.pkt_too_small", "tcp", 0);
	CHECK_INT(p.has_l4, 0);

	f.n = 0;
	eth(&f, 0x0800);
	ip = ipv4(&f, 6);
	fill(&f, 19, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "tcp.pkt_too_small", "tcp", 0);
}

TEST(net_dec_tcp_options)
{
	static const struct {
		uint8_t opt[12];
		const char *event;
	} cases[] = {
		{ { 2, 4, 5, 0xb4, 3, 3, 7, 0, 0, 0, 0, 0 }, NULL },
		{ { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, NULL },
		{ { 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1 }, NULL },
		{ { 30, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, NULL },
		{ { 2, 5, 5, 0xb4, 0, 0, 0, 0, 0, 0, 0, 0 }, "tcp.opt_invalid_len" },
		{ { 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "tcp.opt_invalid_len" },
		{ { 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "tcp.opt_invalid_len" },
		{ { 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "tcp.opt_invalid_len" },
		{ { 5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "tcp.opt_invalid_len" },
		{ { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 1 }, "tcp.opt_invalid_len" },
		{ { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 99 }, "tcp.opt_invalid_len" },
		{ { 99, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "tcp.opt_invalid_len" },
		{ { 2, 4, 5, 0xb4, 2, 4, 5, 0xb4, 0, 0, 0, 0 }, "tcp.opt_duplicate" },
		{ { 4, 2, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0 }, "tcp.opt_duplicate" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		eth(&f, 0x0800);
		ip = ipv4(&f, 6);
		tcp(&f, 1000, 443, KN_TH_SYN, cases[i].opt, 12);
		mem(&f, "ab", 2);
		ipv4_end(&f, ip);
		dec(&p, KN_LINK_ETHERNET, &f);
		if (cases[i].event == NULL) {
			CHECK_INT(p.nan, 0);
		} else {
			CHECK_ONE(&p, cases[i].event, "tcp", 0);
		}
		/* A bad option hides nothing else. */
		CHECK_INT(p.has_l4, 1);
		CHECK_INT(p.dport, 443);
		CHECK_INT(p.l4_len, 32);
		CHECK_INT(p.payload_len, 2);
		if (ut_failed_now()) {
			printf("#   tcp options case %zu\n", i);
			return;
		}
	}
}

TEST(net_dec_ipv4_invalid)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x0800);
	ip = ipv4(&f, 17);
	udp(&f, 1, 2, 4);
	fill(&f, 4, 0);
	ipv4_end(&f, ip);

	f.b[14] = 0x65;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv4.wrong_ip_version", "ipv4", 0);
	CHECK_INT(p.ipv, 0);
	f.b[14] = 0x44;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv4.hlen_too_small", "ipv4", 0);
	f.b[14] = 0x45;
	put16(&f, 16, 19);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv4.iplen_smaller_than_hlen", "ipv4", 0);
	put16(&f, 16, 33);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv4.trunc_pkt", "ipv4", 0);
	put16(&f, 16, 32);
	f.b[14] = 0x4f;                    /* 60-octet header in 32 */
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv4.iplen_smaller_than_hlen", "ipv4", 0);

	f.n = 14 + 19;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv4.pkt_too_small", "ipv4", 0);
}

TEST(net_dec_ipv4_options)
{
	static const struct {
		uint8_t opt[12];
		unsigned bits;
		const char *event;
	} cases[] = {
		{ { 131, 7, 4, 10, 0, 0, 1, 0, 0, 0, 0, 0 }, KN_IPOPT_LSRR, NULL },
		{ { 137, 11, 8, 10, 0, 0, 1, 10, 0, 0, 2, 0 }, KN_IPOPT_SSRR, NULL },
		{ { 7, 7, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0 }, KN_IPOPT_RR, NULL },
		{ { 68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_TS, NULL },
		{ { 130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_SEC, NULL },
		{ { 148, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_OTHER, NULL },
		{ { 1, 131, 3, 4, 7, 3, 4, 0, 0, 0, 0, 0 },
		  KN_IPOPT_LSRR | KN_IPOPT_RR, NULL },
		{ { 0, 131, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 0, NULL },
		{ { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 131 }, 0,
		  "ipv4.opt_invalid_len" },
		{ { 131, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 0,
		  "ipv4.opt_invalid_len" },
		{ { 131, 13, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 0,
		  "ipv4.opt_invalid_len" },
		{ { 131, 7, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0 }, KN_IPOPT_LSRR, NULL },
		{ { 131, 7, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_LSRR,
		  "ipv4.opt_malformed" },
		{ { 131, 7, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_LSRR,
		  "ipv4.opt_malformed" },
		{ { 131, 6, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_LSRR,
		  "ipv4.opt_malformed" },
		{ { 68, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_TS,
		  "ipv4.opt_malformed" },
		{ { 7, 3, 4, 7, 3, 4, 0, 0, 0, 0, 0, 0 }, KN_IPOPT_RR,
		  "ipv4.opt_duplicate" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		eth(&f, 0x0800);
		ip = ipv4_opts(&f, 17, 0, cases[i].opt, 12);
		udp(&f, 7, 9, 0);
		ipv4_end(&f, ip);
		dec(&p, KN_LINK_ETHERNET, &f);
		CHECK_INT(p.ipopts, cases[i].bits);
		if (cases[i].event == NULL) {
			CHECK_INT(p.nan, 0);
		} else {
			CHECK_ONE(&p, cases[i].event, "ipv4", 0);
		}
		/* The transport is decoded all the same. */
		CHECK_INT(p.has_l4, 1);
		CHECK_INT(p.dport, 9);
		CHECK(p.l3 + 32 == p.payload - 8);
		if (ut_failed_now()) {
			printf("#   ipv4 options case %zu\n", i);
			return;
		}
	}
}

TEST(net_dec_ipv4_fragments)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	/* First fragment: the header is decoded, the payload is not. */
	eth(&f, 0x0800);
	ip = ipv4_opts(&f, 6, 0x2000, NULL, 0);
	tcp(&f, 3333, 80, KN_TH_SYN, NULL, 0);
	fill(&f, 4, 'x');
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.is_frag, 1);
	CHECK_INT(p.frag_off, 0);
	CHECK_INT(p.more_frags, 1);
	CHECK(p.frag_data == f.b + 34);
	CHECK_INT(p.frag_len, 24);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.sport, 3333);
	CHECK_INT(p.dport, 80);
	CHECK(p.payload == NULL);
	CHECK_INT(p.payload_len, 0);
	CHECK_INT(p.payload_wire, 0);

	/* A tiny first fragment: nothing from the decoder (defragmentation
	 * reports it). */
	f.n = 0;
	eth(&f, 0x0800);
	ip = ipv4_opts(&f, 6, 0x2000, NULL, 0);
	fill(&f, 8, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.is_frag, 1);
	CHECK_INT(p.has_l4, 0);
	CHECK_INT(p.frag_len, 8);

	/* A later fragment has no transport header, whatever it holds. */
	f.n = 0;
	eth(&f, 0x0800);
	ip = ipv4_opts(&f, 17, 185, NULL, 0);   /* offset 1480, last */
	udp(&f, 1, 2, 0);
	fill(&f, 100, 1);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.is_frag, 1);
	CHECK_INT(p.frag_off, 1480);
	CHECK_INT(p.more_frags, 0);
	CHECK_INT(p.frag_len, 108);
	CHECK_INT(p.has_l4, 0);
	CHECK_INT(p.sport, 0);
	CHECK_INT(p.proto, 17);

	/* Don't Fragment alone is not a fragment. */
	f.n = 0;
	eth(&f, 0x0800);
	ip = ipv4_opts(&f, 17, 0x4000, NULL, 0);
	udp(&f, 1, 2, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.is_frag, 0);
	CHECK_INT(p.has_l4, 1);
}

TEST(net_dec_icmp)
{
	static const struct {
		uint8_t type, code;
		const char *event;
	} cases[] = {
		{ 8, 0, NULL }, { 0, 0, NULL }, { 3, 3, NULL }, { 11, 1, NULL },
		{ 5, 1, NULL }, { 9, 16, NULL }, { 13, 0, NULL }, { 42, 0, NULL },
		{ 253, 7, NULL },
		{ 50, 0, "icmpv4.unknown_type" }, { 1, 0, "icmpv4.unknown_type" },
		{ 20, 0, "icmpv4.unknown_type" },
		{ 3, 16, "icmpv4.unknown_code" }, { 8, 1, "icmpv4.unknown_code" },
		{ 9, 1, "icmpv4.unknown_code" }, { 12, 3, "icmpv4.unknown_code" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		eth(&f, 0x0800);
		ip = ipv4(&f, 1);
		icmp(&f, cases[i].type, cases[i].code);
		fill(&f, 56, 0x20);
		ipv4_end(&f, ip);
		dec(&p, KN_LINK_ETHERNET, &f);
		if (cases[i].event == NULL) {
			CHECK_INT(p.nan, 0);
		} else {
			CHECK_ONE(&p, cases[i].event, "icmpv4", 0);
		}
		CHECK_INT(p.has_l4, 1);
		CHECK_INT(p.icmp_type, cases[i].type);
		CHECK_INT(p.icmp_code, cases[i].code);
		CHECK_INT(p.l4_len, 8);
		CHECK_INT(p.payload_len, 56);
		CHECK(p.payload == f.b + 42);
		if (ut_failed_now()) {
			printf("#   icmp case %zu\n", i);
			return;
		}
	}
	{
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		eth(&f, 0x0800);
		ip = ipv4(&f, 1);
		fill(&f, 4, 8);
		ipv4_end(&f, ip);
		dec(&p, KN_LINK_ETHERNET, &f);
		CHECK_ONE(&p, "icmpv4.pkt_too_small", "icmpv4", 0);
		/* ICMPv6 over IPv4. */
		f.b[23] = 58;
		dec(&p, KN_LINK_ETHERNET, &f);
		CHECK_ONE(&p, "ipv4.icmpv6", "ipv4", 0);
	}
}

TEST(net_dec_ipv6_tcp)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x86dd);
	ip = ipv6(&f, 6, 57);
	tcp(&f, 50000, 443, KN_TH_SYN | KN_TH_ECE | KN_TH_CWR, NULL, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.ether_type, 0x86dd);
	CHECK_INT(p.ipv, 6);
	CHECK_INT(p.src.family, 6);
	CHECK_MEM(p.src.b, 16, ip6_a, 16);
	CHECK_MEM(p.dst.b, 16, ip6_b, 16);
	CHECK_INT(p.ttl, 57);
	CHECK_INT(p.proto, 6);
	CHECK_INT(p.ip_total, 60);
	CHECK_INT(p.l3_len, 60);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.tcp_flags, 0xc2);
	CHECK_INT(p.dport, 443);
	CHECK_INT(p.payload_len, 0);
}

TEST(net_dec_ipv6_ext_chain)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	/* Hop-by-hop, destination options, routing type 2, AH, UDP. */
	eth(&f, 0x86dd);
	ip = ipv6(&f, 0, 64);
	ext_opts(&f, 60);
	ext_opts(&f, 43);
	u8(&f, 51);
	u8(&f, 2);
	u8(&f, 2);
	u8(&f, 1);
	fill(&f, 4, 0);
	mem(&f, ip6_a, 16);
	u8(&f, 17);                  /* AH: 24 octets, length field 4 */
	u8(&f, 4);
	u16(&f, 0);
	fill(&f, 20, 0xa5);
	udp(&f, 546, 547, 3);
	mem(&f, "abc", 3);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.proto, 17);
	CHECK_INT(p.v6_rh0, 0);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.sport, 546);
	CHECK_INT(p.dport, 547);
	CHECK_INT(p.payload_len, 3);
	CHECK(p.payload == f.b + 14 + 40 + 8 + 8 + 24 + 24 + 8);

	/* Routing type 0. */
	f.b[14 + 40 + 16 + 2] = 0;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.rh_type_0", "ipv6", 0);
	CHECK_INT(p.v6_rh0, 1);
	CHECK_INT(p.has_l4, 1);
	f.b[14 + 40 + 16 + 2] = 2;

	/* AH's reserved field is not zero. */
	f.b[14 + 40 + 40 + 3] = 1;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.exthdr_ah_res_not_null", "ipv6", 0);
	f.b[14 + 40 + 40 + 3] = 0;

	/* An option runs past its header. */
	f.b[14 + 40 + 3] = 5;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.exthdr_invalid_optlen", "ipv6", 0);
	CHECK_INT(p.has_l4, 1);
	f.b[14 + 40 + 3] = 4;

	/* A header past the payload length. */
	f.b[14 + 40 + 8 + 8 + 1] = 20;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.trunc_exthdr", "ipv6", 0);
	CHECK_INT(p.has_l4, 0);
}

TEST(net_dec_ipv6_ext_dupes)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	/* Hop-by-hop after another header. */
	eth(&f, 0x86dd);
	ip = ipv6(&f, 60, 64);
	ext_opts(&f, 0);
	ext_opts(&f, 17);
	udp(&f, 1, 2, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.exthdr_dupl_hh", "ipv6", 0);
	CHECK_INT(p.has_l4, 1);

	/* Destination options twice without a routing header between. */
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ipv6(&f, 60, 64);
	ext_opts(&f, 60);
	ext_opts(&f, 17);
	udp(&f, 1, 2, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.exthdr_dupl_dh", "ipv6", 0);

	/* No next header, then data. */
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ipv6(&f, 59, 64);
	fill(&f, 4, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.data_after_none_header", "ipv6", 0);
	CHECK_INT(p.proto, 59);

	/* ESP: the rest is payload. */
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ipv6(&f, 50, 64);
	fill(&f, 24, 0x77);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.proto, 50);
	CHECK_INT(p.has_l4, 0);
	CHECK_INT(p.payload_len, 24);

	/* ICMP (v4) over IPv6. */
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ipv6(&f, 1, 64);
	icmp(&f, 8, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.icmpv4", "ipv6", 0);
}

/* Eight extension headers are followed; a ninth is one too many. */
TEST(net_dec_ipv6_too_many_ext)
{
	for (int n = 7; n <= 9; n++) {
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		eth(&f, 0x86dd);
		ip = ipv6(&f, 60, 64);
		for (int i = 0; i < n; i++)
			ext_opts(&f, i + 1 < n ? 60 : 17);
		udp(&f, 1, 2, 0);
		ipv6_end(&f, ip);
		dec(&p, KN_LINK_ETHERNET, &f);
		CHECK(has_event(&p, "ipv6.exthdr_dupl_dh"));
		if (n <= KN_MAX_IPV6_EXT) {
			CHECK_INT(p.nan, 1);
			CHECK_INT(p.has_l4, 1);
			CHECK_INT(p.proto, 17);
		} else {
			CHECK_INT(p.nan, 2);
			CHECK(has_event(&p, "ipv6.exthdr_too_many"));
			CHECK_INT(p.has_l4, 0);
			CHECK_INT(p.proto, 60);
		}
	}
}

TEST(net_dec_ipv6_fragments)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	/* First fragment, behind a hop-by-hop header. */
	eth(&f, 0x86dd);
	ip = ipv6(&f, 0, 64);
	ext_opts(&f, 44);
	u8(&f, 17);
	u8(&f, 0);
	u16(&f, 0x0001);                 /* offset 0, more */
	u32(&f, 0xdeadbeef);
	udp(&f, 4000, 53, 1000);
	fill(&f, 8, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.is_frag, 1);
	CHECK_INT(p.frag_off, 0);
	CHECK_INT(p.more_frags, 1);
	CHECK(p.ip_id == 0xdeadbeefu);
	CHECK(p.frag_data == f.b + 14 + 40 + 8 + 8);
	CHECK_INT(p.frag_len, 16);
	CHECK_INT(p.proto, 17);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.sport, 4000);
	CHECK(p.payload == NULL);

	/* A later one. */
	f.b[14 + 40 + 8 + 2] = 0x05;     /* offset 1448 */
	f.b[14 + 40 + 8 + 3] = 0xa8;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.is_frag, 1);
	CHECK_INT(p.frag_off, 1448);
	CHECK_INT(p.more_frags, 0);
	CHECK_INT(p.has_l4, 0);
	CHECK_INT(p.proto, 17);

	/* An atomic fragment (RFC 6946) is a whole datagram. */
	f.b[14 + 40 + 8 + 2] = 0;
	f.b[14 + 40 + 8 + 3] = 0;
	put16(&f, 14 + 40 + 16 + 4, 16);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.is_frag, 0);
	CHECK(p.ip_id == 0xdeadbeefu);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.payload_len, 8);

	/* A fragment header inside a fragment. */
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ipv6(&f, 44, 64);
	u8(&f, 44);
	u8(&f, 0);
	u16(&f, 0x0001);
	u32(&f, 1);
	u8(&f, 17);
	u8(&f, 0);
	u16(&f, 0x0001);
	u32(&f, 2);
	fill(&f, 8, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.exthdr_dupl_fh", "ipv6", 0);
	CHECK_INT(p.ip_id, 1);
}

TEST(net_dec_ipv6_invalid)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x86dd);
	ip = ipv6(&f, 17, 64);
	udp(&f, 1, 2, 0);
	ipv6_end(&f, ip);
	f.b[14] = 0x40;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.wrong_ip_version", "ipv6", 0);
	f.b[14] = 0x60;
	put16(&f, 18, 9);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.trunc_pkt", "ipv6", 0);
	f.n = 14 + 39;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ipv6.pkt_too_small", "ipv6", 0);
}

TEST(net_dec_icmpv6)
{
	static const struct {
		uint8_t type, code, hlim;
		const char *event;
	} cases[] = {
		{ 128, 0, 64, NULL }, { 129, 0, 64, NULL }, { 135, 0, 255, NULL },
		{ 1, 4, 64, NULL }, { 143, 0, 1, NULL }, { 130, 0, 1, NULL },
		{ 50, 0, 64, "icmpv6.unassigned_type" },
		{ 0, 0, 64, "icmpv6.unassigned_type" },
		{ 128, 1, 64, "icmpv6.unknown_code" },
		{ 3, 2, 64, "icmpv6.unknown_code" },
		{ 131, 0, 64, "icmpv6.mld_message_with_invalid_hl" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		eth(&f, 0x86dd);
		ip = ipv6(&f, 58, cases[i].hlim);
		icmp(&f, cases[i].type, cases[i].code);
		fill(&f, 16, 0);
		ipv6_end(&f, ip);
		dec(&p, KN_LINK_ETHERNET, &f);
		if (cases[i].event == NULL) {
			CHECK_INT(p.nan, 0);
		} else {
			CHECK_ONE(&p, cases[i].event, "icmpv6", 0);
		}
		CHECK_INT(p.has_l4, 1);
		CHECK_INT(p.icmp_type, cases[i].type);
		CHECK_INT(p.icmp_code, cases[i].code);
		CHECK_INT(p.payload_len, 16);
		if (ut_failed_now()) {
			printf("#   icmpv6 case %zu\n", i);
			return;
		}
	}
	{
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		eth(&f, 0x86dd);
		ip = ipv6(&f, 58, 64);
		fill(&f, 7, 128);
		ipv6_end(&f, ip);
		dec(&p, KN_LINK_ETHERNET, &f);
		CHECK_ONE(&p, "icmpv6.pkt_too_small", "icmpv6", 0);
	}
}

TEST(net_dec_vlan)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	/* 802.1Q. */
	eth(&f, 0x8100);
	u16(&f, 0x2064);                 /* priority 1, VLAN 100 */
	u16(&f, 0x0800);
	ip = ipv4(&f, 17);
	udp(&f, 68, 67, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.nvlan, 1);
	CHECK_INT(p.vlan[0], 100);
	CHECK_INT(p.ether_type, 0x0800);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.dport, 67);

	/* QinQ: a service tag, then a customer tag. */
	f.n = 0;
	eth(&f, 0x88a8);
	u16(&f, 10);
	u16(&f, 0x8100);
	u16(&f, 0xf000 | 20);
	u16(&f, 0x86dd);
	ip = ipv6(&f, 17, 1);
	udp(&f, 1, 2, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.nvlan, 2);
	CHECK_INT(p.vlan[0], 10);
	CHECK_INT(p.vlan[1], 20);
	CHECK_INT(p.ether_type, 0x86dd);
	CHECK_INT(p.ipv, 6);
	CHECK_INT(p.has_l4, 1);

	/* A third tag is not followed. */
	f.n = 0;
	eth(&f, 0x9100);
	u16(&f, 1);
	u16(&f, 0x88a8);
	u16(&f, 2);
	u16(&f, 0x8100);
	u16(&f, 3);
	u16(&f, 0x0800);
	ip = ipv4(&f, 17);
	udp(&f, 1, 2, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "vlan.too_many_layers", "vlan", 0);
	CHECK_INT(p.nvlan, 2);
	CHECK_INT(p.vlan[0], 1);
	CHECK_INT(p.vlan[1], 2);
	CHECK_INT(p.ipv, 0);

	/* A tag that does not fit. */
	f.n = 0;
	eth(&f, 0x8100);
	u16(&f, 5);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "vlan.header_too_small", "vlan", 0);
	CHECK_INT(p.nvlan, 0);
}

TEST(net_dec_arp)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	static const uint8_t zero[6];

	eth(&f, 0x0806);
	u16(&f, 1);
	u16(&f, 0x0800);
	u8(&f, 6);
	u8(&f, 4);
	u16(&f, 2);
	mem(&f, mac_a, 6);
	mem(&f, ip4_a, 4);
	mem(&f, mac_b, 6);
	mem(&f, ip4_b, 4);
	fill(&f, 18, 0);                 /* padding to 60 */
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.ether_type, 0x0806);
	CHECK_INT(p.has_arp, 1);
	CHECK_INT(p.arp_op, 2);
	CHECK_MEM(p.arp_sha, 6, mac_a, 6);
	CHECK_MEM(p.arp_spa, 4, ip4_a, 4);
	CHECK_MEM(p.arp_tha, 6, mac_b, 6);
	CHECK_MEM(p.arp_tpa, 4, ip4_b, 4);
	CHECK_INT(p.ipv, 0);

	f.b[18] = 8;                     /* eight-octet hardware addresses */
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "arp.invalid", "arp", 0);
	CHECK_INT(p.has_arp, 0);
	f.b[18] = 6;
	f.b[17] = 0xdd;                  /* IPv6's type with IPv4 lengths */
	f.b[16] = 0x86;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "arp.invalid", "arp", 0);
	f.b[16] = 0x08;
	f.b[17] = 0x00;
	f.n = 14 + 27;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "arp.pkt_too_small", "arp", 0);
	CHECK_INT(p.has_arp, 0);
	CHECK_MEM(p.arp_sha, 6, zero, 6);
	f.n = 14 + 7;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "arp.pkt_too_small", "arp", 0);
}

TEST(net_dec_sll)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	u16(&f, 0);                      /* to us */
	u16(&f, 1);                      /* ARPHRD_ETHER */
	u16(&f, 6);
	mem(&f, mac_a, 6);
	u16(&f, 0);
	u16(&f, 0x0800);
	ip = ipv4(&f, 17);
	udp(&f, 123, 123, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_SLL, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.has_eth, 0);
	CHECK_MEM(p.src_mac, 6, mac_a, 6);
	CHECK_INT(p.ether_type, 0x0800);
	CHECK(p.l3 == f.b + 16);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.dport, 123);

	/* Not Ethernet: no source MAC. */
	f.b[3] = 0x01;
	f.b[2] = 0x03;                   /* ARPHRD_LOOPBACK (772) */
	dec(&p, KN_LINK_SLL, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.src_mac[5], 0);
	CHECK_INT(p.has_l4, 1);

	f.n = 15;
	dec(&p, KN_LINK_SLL, &f);
	CHECK_ONE(&p, "sll.pkt_too_small", "sll", 0);
}

TEST(net_dec_sll2)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	u16(&f, 0x86dd);
	u16(&f, 0);
	u32(&f, 3);                      /* interface index */
	u16(&f, 1);
	u8(&f, 4);                       /* outgoing */
	u8(&f, 6);
	mem(&f, mac_b, 6);
	u16(&f, 0);
	ip = ipv6(&f, 58, 64);
	icmp(&f, 128, 0);
	ipv6_end(&f, ip);
	dec(&p, KN_LINK_SLL2, &f);
	CHECK_INT(p.nan, 0);
	CHECK_MEM(p.src_mac, 6, mac_b, 6);
	CHECK_INT(p.ether_type, 0x86dd);
	CHECK(p.l3 == f.b + 20);
	CHECK_INT(p.ipv, 6);
	CHECK_INT(p.icmp_type, 128);

	/* ARP over SLL2. */
	f.n = 0;
	u16(&f, 0x0806);
	fill(&f, 18, 0);
	u16(&f, 1);
	u16(&f, 0x0800);
	u8(&f, 6);
	u8(&f, 4);
	u16(&f, 1);
	mem(&f, mac_a, 6);
	mem(&f, ip4_a, 4);
	fill(&f, 6, 0);
	mem(&f, ip4_b, 4);
	dec(&p, KN_LINK_SLL2, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.has_arp, 1);
	CHECK_INT(p.arp_op, 1);
	CHECK_MEM(p.arp_tpa, 4, ip4_b, 4);

	f.n = 19;
	dec(&p, KN_LINK_SLL2, &f);
	CHECK_ONE(&p, "sll2.pkt_too_small", "sll2", 0);
}

TEST(net_dec_null_loop)
{
	static const struct {
		int lt;
		uint8_t fam[4];
		int ipv;
	} cases[] = {
		{ KN_LINK_NULL, { 2, 0, 0, 0 }, 4 },     /* little-endian host */
		{ KN_LINK_NULL, { 0, 0, 0, 2 }, 4 },     /* big-endian host */
		{ KN_LINK_NULL, { 24, 0, 0, 0 }, 6 },
		{ KN_LINK_NULL, { 28, 0, 0, 0 }, 6 },
		{ KN_LINK_NULL, { 30, 0, 0, 0 }, 6 },
		{ KN_LINK_NULL, { 0, 0, 0, 30 }, 6 },
		{ KN_LINK_NULL, { 10, 0, 0, 0 }, 6 },
		{ KN_LINK_LOOP, { 0, 0, 0, 2 }, 4 },
		{ KN_LINK_LOOP, { 0, 0, 0, 24 }, 6 },
		{ KN_LINK_LOOP, { 2, 0, 0, 0 }, 0 },     /* LOOP is big-endian */
		{ KN_LINK_NULL, { 7, 0, 0, 0 }, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fb f = { .n = 0 };
		struct kn_pkt p;
		size_t ip;

		mem(&f, cases[i].fam, 4);
		if (cases[i].ipv == 6) {
			ip = ipv6(&f, 17, 64);
			udp(&f, 1, 2, 0);
			ipv6_end(&f, ip);
		} else {
			ip = ipv4(&f, 17);
			udp(&f, 1, 2, 0);
			ipv4_end(&f, ip);
		}
		dec(&p, cases[i].lt, &f);
		CHECK_INT(p.ipv, cases[i].ipv);
		if (cases[i].ipv != 0) {
			CHECK_INT(p.nan, 0);
			CHECK_INT(p.has_l4, 1);
			CHECK(p.l3 == f.b + 4);
		} else {
			CHECK_ONE(&p, "ltnull.unsupported_type", "ltnull", 0);
		}
		if (ut_failed_now()) {
			printf("#   null/loop case %zu\n", i);
			return;
		}
	}
	{
		struct kn_pkt p;
		static const uint8_t b[3] = { 2, 0, 0 };

		kn_decode(&p, KN_LINK_NULL, b, 3, 3, t0);
		CHECK_ONE(&p, "ltnull.pkt_too_small", "ltnull", 0);
	}
}

TEST(net_dec_raw_links)
{
	struct fb f4 = { .n = 0 }, f6 = { .n = 0 };
	struct kn_pkt p;
	size_t ip;
	static const int raw[] = { KN_LINK_RAW, 12, 14 };

	ip = ipv4(&f4, 17);
	udp(&f4, 1, 2, 20);              /* 48 octets: IPv6's header fits */
	fill(&f4, 20, 0);
	ipv4_end(&f4, ip);
	ip = ipv6(&f6, 17, 64);
	udp(&f6, 1, 2, 0);
	ipv6_end(&f6, ip);

	for (size_t i = 0; i < 3; i++) {
		dec(&p, raw[i], &f4);
		CHECK_INT(p.nan, 0);
		CHECK_INT(p.ipv, 4);
		CHECK(p.l3 == f4.b);
		dec(&p, raw[i], &f6);
		CHECK_INT(p.nan, 0);
		CHECK_INT(p.ipv, 6);
		CHECK_INT(p.has_l4, 1);
	}
	dec(&p, KN_LINK_IPV4, &f4);
	CHECK_INT(p.ipv, 4);
	CHECK_INT(p.has_l4, 1);
	dec(&p, KN_LINK_IPV6, &f6);
	CHECK_INT(p.ipv, 6);
	CHECK_INT(p.has_l4, 1);
	dec(&p, KN_LINK_IPV4, &f6);
	CHECK_ONE(&p, "ipv4.wrong_ip_version", "ipv4", 0);
	dec(&p, KN_LINK_IPV6, &f4);
	CHECK_ONE(&p, "ipv6.wrong_ip_version", "ipv6", 0);

	f4.b[0] = 0x55;
	dec(&p, KN_LINK_RAW, &f4);
	CHECK_ONE(&p, "ipraw.invalid_ip_version", "ipraw", 0);
	kn_decode(&p, KN_LINK_RAW, f4.b, 0, 0, t0);
	CHECK_ONE(&p, "ipraw.pkt_too_small", "ipraw", 0);
}

TEST(net_dec_other_link_and_types)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;

	eth(&f, 0x88cc);                 /* LLDP */
	fill(&f, 46, 0);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.has_eth, 1);
	CHECK_INT(p.ether_type, 0x88cc);
	CHECK_INT(p.ipv, 0);
	dec(&p, 9999, &f);
	CHECK_ONE(&p, "link.unsupported_type", "link", 0);
	CHECK_INT(p.has_eth, 0);
	f.n = 13;
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "ethernet.pkt_too_small", "ethernet", 0);
	CHECK_INT(p.has_eth, 0);
}

/* The link types kn_decode knows, and only those, are "supported". */
TEST(net_dec_linktype_supported)
{
	static const int yes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
	static uint8_t zero[64];

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		CHECK(kn_linktype_supported(yes[i]));
	for (int lt = -1; lt < 300; lt++) {
		struct kn_pkt p;
		int known = 0;

		for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
			known |= yes[i] == lt;
		CHECK_INT(kn_linktype_supported(lt), known);
		kn_decode(&p, lt, zero, sizeof zero, sizeof zero, t0);
		CHECK_INT(has_event(&p, "link.unsupported_type"), !known);
		if (ut_failed_now()) {
			printf("#   link type %d\n", lt);
			return;
		}
	}
}

/* A wire length below the captured one is not believed. */
TEST(net_dec_wirelen_below_caplen)
{
	struct fb f = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x0800);
	ip = ipv4(&f, 17);
	udp(&f, 1, 2, 0);
	ipv4_end(&f, ip);
	kn_decode(&p, KN_LINK_ETHERNET, f.b, f.n, 10, t0);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.wirelen, 10);
}

/* ---- cut at every byte -------------------------------------------------- */

struct bound {
	size_t end;              /* the layer's bytes end here */
	const char *layer;
};

struct cut_case {
	const char *name;
	int lt;
	struct fb f;
	struct bound b[8];
	size_t nb;
};

static void bound(struct cut_case *c, size_t end, const char *layer)
{
	c->b[c->nb].end = end;
	c->b[c->nb].layer = layer;
	c->nb++;
}

static size_t build_cut_cases(struct cut_case *cs)
{
	static const uint8_t tcpopts[] = { 2, 4, 5, 0xb4, 1, 1, 4, 2 };
	static const uint8_t lsrr[] = { 131, 7, 4, 10, 0, 0, 1, 0 };
	struct cut_case *c;
	size_t n = 0, ip;

	c = &cs[n++];
	c->name = "eth ipv4 tcp";
	c->lt = KN_LINK_ETHERNET;
	eth(&c->f, 0x0800);
	ip = ipv4(&c->f, 6);
	tcp(&c->f, 1, 80, KN_TH_ACK | KN_TH_PSH, tcpopts, sizeof tcpopts);
	mem(&c->f, http, HTTP_LEN);
	ipv4_end(&c->f, ip);
	fill(&c->f, 4, 0xfc);            /* a frame check sequence */
	bound(c, 14, "ethernet");
	bound(c, 34, "ipv4");
	bound(c, c->f.n - 4, "tcp");

	c = &cs[n++];
	c->name = "qinq ipv6 ext udp";
	c->lt = KN_LINK_ETHERNET;
	eth(&c->f, 0x88a8);
	u16(&c->f, 7);
	u16(&c->f, 0x8100);
	u16(&c->f, 8);
	u16(&c->f, 0x86dd);
	ip = ipv6(&c->f, 0, 64);
	ext_opts(&c->f, 60);
	ext_opts(&c->f, 17);
	udp(&c->f, 53, 53, 20);
	fill(&c->f, 20, 0x33);
	ipv6_end(&c->f, ip);
	bound(c, 14, "ethernet");
	bound(c, 22, "vlan");
	bound(c, 22 + 56, "ipv6");
	bound(c, c->f.n, "udp");

	c = &cs[n++];
	c->name = "sll ipv4 icmp";
	c->lt = KN_LINK_SLL;
	u16(&c->f, 4);
	u16(&c->f, 1);
	u16(&c->f, 6);
	mem(&c->f, mac_a, 6);
	u16(&c->f, 0);
	u16(&c->f, 0x0800);
	ip = ipv4(&c->f, 1);
	icmp(&c->f, 8, 0);
	fill(&c->f, 32, 0x61);
	ipv4_end(&c->f, ip);
	bound(c, 16, "sll");
	bound(c, 36, "ipv4");
	bound(c, c->f.n, "icmpv4");

	c = &cs[n++];
	c->name = "sll2 ipv6 icmpv6";
	c->lt = KN_LINK_SLL2;
	u16(&c->f, 0x86dd);
	fill(&c->f, 18, 0);
	ip = ipv6(&c->f, 58, 255);
	icmp(&c->f, 135, 0);
	fill(&c->f, 16, 0xfe);
	ipv6_end(&c->f, ip);
	bound(c, 20, "sll2");
	bound(c, 60, "ipv6");
	bound(c, c->f.n, "icmpv6");

	c = &cs[n++];
	c->name = "null ipv4 lsrr udp";
	c->lt = KN_LINK_NULL;
	u32(&c->f, 0x02000000);
	ip = ipv4_opts(&c->f, 17, 0, lsrr, sizeof lsrr);
	udp(&c->f, 1, 2, 5);
	mem(&c->f, "hello", 5);
	ipv4_end(&c->f, ip);
	bound(c, 4, "ltnull");
	bound(c, 4 + 28, "ipv4");
	bound(c, c->f.n, "udp");

	c = &cs[n++];
	c->name = "loop ipv6 tcp";
	c->lt = KN_LINK_LOOP;
	u32(&c->f, 30);
	ip = ipv6(&c->f, 6, 64);
	tcp(&c->f, 1, 2, KN_TH_SYN, NULL, 0);
	ipv6_end(&c->f, ip);
	bound(c, 4, "ltnull");
	bound(c, 44, "ipv6");
	bound(c, c->f.n, "tcp");

	c = &cs[n++];
	c->name = "raw ipv4";
	c->lt = KN_LINK_RAW;
	ip = ipv4(&c->f, 17);
	udp(&c->f, 1, 2, 3);
	mem(&c->f, "xyz", 3);
	ipv4_end(&c->f, ip);
	bound(c, 1, "ipraw");
	bound(c, 20, "ipv4");
	bound(c, c->f.n, "udp");

	c = &cs[n++];
	c->name = "eth arp";
	c->lt = KN_LINK_ETHERNET;
	eth(&c->f, 0x0806);
	u16(&c->f, 1);
	u16(&c->f, 0x0800);
	u8(&c->f, 6);
	u8(&c->f, 4);
	u16(&c->f, 1);
	fill(&c->f, 20, 0x11);
	fill(&c->f, 18, 0);
	bound(c, 14, "ethernet");
	bound(c, 42, "arp");

	c = &cs[n++];
	c->name = "eth ipv4 first fragment";
	c->lt = KN_LINK_ETHERNET;
	eth(&c->f, 0x0800);
	ip = ipv4_opts(&c->f, 6, 0x2000, NULL, 0);
	tcp(&c->f, 1, 2, KN_TH_SYN, NULL, 0);
	fill(&c->f, 20, 0);
	ipv4_end(&c->f, ip);
	bound(c, 14, "ethernet");
	bound(c, c->f.n, "ipv4");

	c = &cs[n++];
	c->name = "eth ipv6 fragment";
	c->lt = KN_LINK_ETHERNET;
	eth(&c->f, 0x86dd);
	ip = ipv6(&c->f, 44, 64);
	u8(&c->f, 17);
	u8(&c->f, 0);
	u16(&c->f, 0x0009);
	u32(&c->f, 77);
	fill(&c->f, 16, 0);
	ipv6_end(&c->f, ip);
	bound(c, 14, "ethernet");
	bound(c, c->f.n, "ipv6");
	return n;
}

static const char *expected_layer(const struct cut_case *c, size_t k)
{
	for (size_t i = 0; i < c->nb; i++)
		if (k < c->b[i].end)
			return c->b[i].layer;
	return NULL;
}

TEST(net_dec_cut_at_every_byte)
{
	static struct cut_case cs[16];
	size_t n;

	memset(cs, 0, sizeof cs);
	n = build_cut_cases(cs);
	for (size_t i = 0; i < n; i++) {
		const struct cut_case *c = &cs[i];
		struct kn_pkt p;

		/* The whole frame decodes cleanly. */
		dec(&p, c->lt, &c->f);
		CHECK_INT(p.nan, 0);
		for (size_t k = 0; k < c->f.n && !ut_failed_now(); k++) {
			const char *layer = expected_layer(c, k);
			char want[64];

			kn_decode(&p, c->lt, c->f.b, k, c->f.n, t0);
			if (layer == NULL) {
				CHECK_INT(p.nan, 0);
				CHECK_INT(p.truncated, 0);
				continue;
			}
			snprintf(want, sizeof want, "%s.truncated", layer);
			CHECK_ONE(&p, want, layer, 1);
			if (p.payload != NULL)
				CHECK(p.payload + p.payload_len <= c->f.b + k);
			if (p.l3 != NULL)
				CHECK(p.l3 + p.l3_len <= c->f.b + k);
			if (ut_failed_now())
				printf("#   %s cut at %zu\n", c->name, k);
		}
	}
}

/* A frame that ends early on the wire too is invalid (or, past the
 * datagram, fine), never "truncated". */
TEST(net_dec_short_at_every_byte)
{
	static struct cut_case cs[16];
	size_t n;

	memset(cs, 0, sizeof cs);
	n = build_cut_cases(cs);
	for (size_t i = 0; i < n; i++) {
		const struct cut_case *c = &cs[i];

		for (size_t k = 0; k < c->f.n && !ut_failed_now(); k++) {
			struct kn_pkt p;

			kn_decode(&p, c->lt, c->f.b, k, k, t0);
			CHECK_INT(p.truncated, 0);
			for (int j = 0; j < p.nan; j++)
				CHECK_INT(p.an[j].truncated, 0);
			if (expected_layer(c, k) != NULL)
				CHECK(p.nan >= 1);
			else
				CHECK_INT(p.nan, 0);
			if (ut_failed_now())
				printf("#   %s ends at %zu\n", c->name, k);
		}
	}
}

/* ---- the helpers -------------------------------------------------------- */

TEST(net_dec_decode_ip_reuses_packet)
{
	struct fb f = { .n = 0 }, g = { .n = 0 };
	struct kn_pkt p;
	size_t ip;

	eth(&f, 0x8100);
	u16(&f, 42);
	u16(&f, 0x0800);
	ip = ipv4(&f, 1);
	fill(&f, 2, 0);
	ipv4_end(&f, ip);
	dec(&p, KN_LINK_ETHERNET, &f);
	CHECK_ONE(&p, "icmpv4.pkt_too_small", "icmpv4", 0);

	ip = ipv6(&g, 6, 9);
	tcp(&g, 7, 8, KN_TH_RST, NULL, 0);
	ipv6_end(&g, ip);
	kn_decode_ip(&p, g.b, g.n);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.truncated, 0);
	CHECK_INT(p.nvlan, 1);           /* the link layer stays */
	CHECK_INT(p.vlan[0], 42);
	CHECK_INT(p.has_eth, 1);
	CHECK_INT(p.ipv, 6);
	CHECK(p.l3 == g.b);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.icmp_type, 0);
	CHECK_INT(p.tcp_flags, KN_TH_RST);
	CHECK_INT(p.ttl, 9);
}

TEST(net_dec_anomaly_list)
{
	struct kn_pkt p;

	memset(&p, 0, sizeof p);
	kn_anomaly(&p, "a", "a.one", 0);
	kn_anomaly(&p, "a", "a.one", 0);
	CHECK_INT(p.nan, 1);
	kn_anomaly(&p, "b", "b.two", 0);
	kn_anomaly(&p, "c", "c.three", 0);
	kn_anomaly(&p, "d", "d.four", 0);
	CHECK_INT(p.truncated, 0);
	kn_anomaly(&p, "e", "e.truncated", 1);
	CHECK_INT(p.nan, KN_MAX_ANOMALIES);
	CHECK_STR(p.an[3].event, "d.four");
	CHECK_INT(p.truncated, 1);
}

TEST(net_dec_addr_and_proto_names)
{
	struct kn_addr a = { .family = 4 }, b = { .family = 6 }, z = { 0 };
	char s[46];

	memcpy(a.b, ip4_a, 4);
	memcpy(b.b, ip6_a, 16);
	CHECK_STR(kn_addr_str(&a, s), "192.0.2.1");
	CHECK_STR(kn_addr_str(&b, s), "2001:db8::1");
	CHECK_STR(kn_addr_str(&z, s), "");
	b.b[15] = 0x10;
	b.b[0] = 0xfe;
	b.b[1] = 0x80;
	CHECK_STR(kn_addr_str(&b, s), "fe80:db8::10");

	{
		struct kn_addr c = a;

		CHECK(kn_addr_eq(&a, &c));
		c.b[3] = 9;
		CHECK(!kn_addr_eq(&a, &c));
		c = a;
		c.b[10] = 1;             /* beyond IPv4's four octets */
		CHECK(kn_addr_eq(&a, &c));
		CHECK(!kn_addr_eq(&a, &b));
	}
	CHECK_STR(kn_proto_name(6), "TCP");
	CHECK_STR(kn_proto_name(17), "UDP");
	CHECK_STR(kn_proto_name(1), "ICMP");
	CHECK_STR(kn_proto_name(58), "IPv6-ICMP");
	CHECK_STR(kn_proto_name(47), "GRE");
	CHECK_STR(kn_proto_name(200), "200");
	CHECK_STR(kn_proto_name(3), "3");
	for (int i = 0; i < 256; i++)
		CHECK(kn_proto_name((uint8_t)i) != NULL);
}
