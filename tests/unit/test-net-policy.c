/*
 * Unit tests of the network policy (net/policy.h): actions per class,
 * exclusions, blocks with expiry and a bounded table, monitoring mode.
 */
#include <stdlib.h>
#include <string.h>

#include "net/policy.h"
#include "net/policy.h"
#include "unit.h"

#define SEC 1000000ull
#define MIN (60 * SEC)
#define T0 (1700000000ull * SEC)

static struct kn_addr a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
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

static struct kn_addr a6(const char *s)
{
	struct kn_cidr c;
	struct kn_addr x;

	memset(&x, 0, sizeof x);
	if (kn_cidr_parse(s, &c) == 0 && c.prefix == 128)
		x = c.net;
	return x;
}

static struct kn_pkt from(struct kn_addr src)
{
	struct kn_pkt p;

	memset(&p, 0, sizeof p);
	p.ipv = src.family;
	p.src = src;
	p.dst = a4(10, 0, 0, 5);
	p.proto = 6;
	return p;
}

/* 1 when a packet from a is dropped at now (and *would). */
static int blocked(struct kn_policy *p, struct kn_addr a, uint64_t now,
		   int *would)
{
	struct kn_pkt pkt = from(a);

	return kn_policy_blocked(p, &pkt, now, would);
}

static struct kn_policy *make(struct kn_policy_conf *c)
{
	return kn_policy_new(c);
}

TEST(net_policy_names)
{
	CHECK_STR(kn_action_name(KN_ACT_ALLOW), "allow");
	CHECK_STR(kn_action_name(KN_ACT_DROP), "drop");
	CHECK_STR(kn_action_name(KN_ACT_BLOCK), "block");
	CHECK_INT(kn_action_parse("block"), KN_ACT_BLOCK);
	CHECK_INT(kn_action_parse("allow"), KN_ACT_ALLOW);
	CHECK_INT(kn_action_parse("reject"), -1);
	CHECK_INT(kn_action_parse(NULL), -1);
	for (int c = 0; c < KN_CLASS_COUNT; c++)
		CHECK_INT(kn_class_parse(kn_class_name(c)), c);
	CHECK_STR(kn_class_name(KN_CLASS_SIGNATURE), "signature");
	CHECK_STR(kn_class_name(KN_CLASS_URL), "url");
	CHECK_STR(kn_class_name(KN_AT_LAND), "land");
	CHECK_STR(kn_class_name(KN_CLASS_COUNT), "unknown");
	CHECK_STR(kn_class_name(-1), "unknown");
	CHECK_INT(kn_class_parse("urls"), -1);
}

TEST(net_policy_defaults)
{
	static const struct {
		int cls;
		enum kn_action act;
	} want[] = {
		{ KN_AT_TCP_PORTSCAN, KN_ACT_BLOCK },
		{ KN_AT_UDP_PORTSCAN, KN_ACT_BLOCK },
		{ KN_AT_STEALTH_SCAN, KN_ACT_BLOCK },
		{ KN_AT_HOST_SWEEP, KN_ACT_BLOCK },
		{ KN_AT_SYN_FLOOD, KN_ACT_BLOCK },
		{ KN_AT_UDP_FLOOD, KN_ACT_BLOCK },
		{ KN_AT_ICMP_FLOOD, KN_ACT_BLOCK },
		{ KN_AT_LAND, KN_ACT_DROP },
		{ KN_AT_PING_OF_DEATH, KN_ACT_DROP },
		{ KN_AT_TEARDROP, KN_ACT_DROP },
		{ KN_AT_TINY_FRAGMENT, KN_ACT_DROP },
		{ KN_AT_BAD_TCP_FLAGS, KN_ACT_DROP },
		{ KN_AT_SOURCE_ROUTE, KN_ACT_DROP },
		{ KN_AT_ARP_SPOOF, KN_ACT_ALLOW },
		{ KN_CLASS_SIGNATURE, KN_ACT_ALLOW },  /* drop rules drop */
		{ KN_CLASS_URL, KN_ACT_DROP },
	};
	struct kn_policy_conf c;

	kn_policy_defaults(&c);
	CHECK_INT(sizeof want / sizeof want[0], KN_CLASS_COUNT);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		CHECK_INT(c.action[want[i].cls], want[i].act);
		CHECK_INT(c.block_spoofable[want[i].cls], 0);
	}
	CHECK_INT(c.block_us, 60 * MIN);
	CHECK_INT(c.max_blocked, 65536);
	CHECK_INT(c.nexclude, 0);
	CHECK_INT(c.monitoring, 0);
	c.max_blocked = 0;
	CHECK(kn_policy_new(&c) == NULL);
}

/* The decision per class, with the default policy, for a finding from one
 * TCP source, and what UDP, ARP and many sources change. */
TEST(net_policy_finding_per_class)
{
	struct kn_policy_conf c;
	struct kn_policy *p;
	struct kn_addr src = a4(10, 0, 0, 66), none;

	kn_policy_defaults(&c);
	p = make(&c);
	REQUIRE(p != NULL);
	memset(&none, 0, sizeof none);
	CHECK_INT(kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &src, 6, 0, T0),
		  KN_ACT_BLOCK);
	CHECK_INT(kn_policy_blocked_count(p), 1);
	/* Carried by UDP: dropped, never blocked. */
	CHECK_INT(kn_policy_finding(p, KN_AT_UDP_PORTSCAN, &src, 17, 0, T0),
		  KN_ACT_DROP);
	CHECK_INT(kn_policy_finding(p, KN_AT_UDP_FLOOD, &src, 17, 0, T0),
		  KN_ACT_DROP);
	/* Many sources, or a forged one. */
	CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, &none, 6, 1, T0),
		  KN_ACT_DROP);
	CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, NULL, 6, 1, T0),
		  KN_ACT_DROP);
	CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, &src, 6, 1, T0),
		  KN_ACT_DROP);
	/* ARP (protocol 0) has no handshake either. */
	CHECK_INT(kn_policy_finding(p, KN_AT_HOST_SWEEP, &src, 0, 0, T0),
		  KN_ACT_DROP);
	CHECK_INT(kn_policy_finding(p, KN_AT_ICMP_FLOOD, &src, 1, 0, T0),
		  KN_ACT_BLOCK);
	CHECK_INT(kn_policy_finding(p, KN_AT_LAND, &src, 6, 1, T0), KN_ACT_DROP);
	CHECK_INT(kn_policy_finding(p, KN_AT_TEARDROP, &src, 17, 0, T0),
		  KN_ACT_DROP);
	CHECK_INT(kn_policy_finding(p, KN_AT_ARP_SPOOF, &src, 0, 0, T0),
		  KN_ACT_ALLOW);
	CHECK_INT(kn_policy_finding(p, KN_CLASS_SIGNATURE, &src, 6, 0, T0),
		  KN_ACT_ALLOW);
	CHECK_INT(kn_policy_finding(p, KN_CLASS_URL, &src, 6, 0, T0),
		  KN_ACT_DROP);
	CHECK_INT(kn_policy_finding(p, KN_CLASS_COUNT, &src, 6, 0, T0),
		  KN_ACT_ALLOW);
	CHECK_INT(kn_policy_finding(p, -1, &src, 6, 0, T0), KN_ACT_ALLOW);
	/* One source blocked, renewed once (the ICMP flood). */
	CHECK_INT(kn_policy_blocked_count(p), 1);
	{
		struct kn_policy_stats st;

		kn_policy_get_stats(p, &st);
		CHECK_INT(st.blocks, 1);
		CHECK_INT(st.renewed, 1);
		CHECK_INT(st.not_blocked, 4);
	}
	kn_policy_free(p);

	/* block_spoofable: the class says its sources may be blocked. */
	c.block_spoofable[KN_AT_UDP_PORTSCAN] = 1;
	c.block_spoofable[KN_AT_SYN_FLOOD] = 1;
	p = make(&c);
	REQUIRE(p != NULL);
	CHECK_INT(kn_policy_finding(p, KN_AT_UDP_PORTSCAN, &src, 17, 0, T0),
		  KN_ACT_BLOCK);
	CHECK_INT(kn_policy_finding(p, KN_AT_UDP_FLOOD, &src, 17, 0, T0),
		  KN_ACT_DROP);
	/* Still no address to block. */
	CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, &none, 6, 1, T0),
		  KN_ACT_DROP);
	kn_policy_free(p);
}

TEST(net_policy_block_expiry)
{
	struct kn_policy_conf c;
	struct kn_policy *p;
	struct kn_addr att = a4(10, 0, 0, 66), other = a4(10, 0, 0, 67);
	struct kn_addr att6 = a6("2001:db8::66");
	struct kn_policy_stats st;
	int would = -1;

	kn_policy_defaults(&c);
	p = make(&c);
	REQUIRE(p != NULL);
	CHECK_INT(blocked(p, att, T0, &would), 0);
	CHECK_INT(would, 0);
	CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, &att, 6, 0, T0),
		  KN_ACT_BLOCK);
	CHECK_INT(kn_policy_finding(p, KN_AT_STEALTH_SCAN, &att6, 6, 0, T0),
		  KN_ACT_BLOCK);
	CHECK_INT(blocked(p, att, T0 + 1, &would), 1);
	CHECK_INT(would, 1);
	CHECK_INT(blocked(p, att6, T0 + 1, NULL), 1);
	CHECK_INT(blocked(p, other, T0 + 1, &would), 0);
	CHECK_INT(would, 0);
	/* Same bytes, other family: not the same address. */
	{
		struct kn_addr x = att6;

		x.family = 4;
		memcpy(x.b, att.b, 4);
		memset(x.b + 4, 0xee, 12);
		CHECK_INT(blocked(p, x, T0 + 1, NULL), 1);
		x = att;
		x.family = 6;
		CHECK_INT(blocked(p, x, T0 + 1, NULL), 0);
	}
	CHECK_INT(blocked(p, att, T0 + 60 * MIN - 1, NULL), 1);
	CHECK_INT(blocked(p, att, T0 + 60 * MIN, NULL), 0);
	CHECK_INT(kn_policy_blocked_count(p), 1);
	kn_policy_expire(p, T0 + 60 * MIN);
	CHECK_INT(kn_policy_blocked_count(p), 0);
	CHECK_INT(blocked(p, att6, T0 + 60 * MIN, NULL), 0);
	kn_policy_get_stats(p, &st);
	CHECK_INT(st.expired, 2);
	CHECK_INT(st.blocked_packets, 4);

	/* A new finding renews a block: 60 minutes from the latest. */
	CHECK_INT(kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &att, 6, 0,
				    T0 + 100 * MIN), KN_ACT_BLOCK);
	CHECK_INT(kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &other, 6, 0,
				    T0 + 110 * MIN), KN_ACT_BLOCK);
	CHECK_INT(kn_policy_finding(p, KN_AT_HOST_SWEEP, &att, 6, 0,
				    T0 + 130 * MIN), KN_ACT_BLOCK);
	kn_policy_expire(p, T0 + 170 * MIN);
	CHECK_INT(kn_policy_blocked_count(p), 1);
	CHECK_INT(blocked(p, other, T0 + 170 * MIN, NULL), 0);
	CHECK_INT(blocked(p, att, T0 + 190 * MIN - 1, NULL), 1);
	kn_policy_expire(p, T0 + 190 * MIN);
	CHECK_INT(kn_policy_blocked_count(p), 0);
	/* Time that goes back does not bring a block back. */
	CHECK_INT(blocked(p, att, T0, NULL), 0);
	kn_policy_free(p);
}

TEST(net_policy_block_cap)
{
	struct kn_policy_conf c;
	struct kn_policy *p;
	struct kn_policy_stats st;

	kn_policy_defaults(&c);
	c.max_blocked = 3;
	p = make(&c);
	REQUIRE(p != NULL);
	for (int i = 1; i <= 5; i++) {
		struct kn_addr a = a4(10, 0, 1, (uint8_t)i);

		CHECK_INT(kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &a, 6, 0,
					    T0 + (uint64_t)i * SEC), KN_ACT_BLOCK);
		CHECK(kn_policy_blocked_count(p) <= 3);
	}
	CHECK_INT(kn_policy_blocked_count(p), 3);
	kn_policy_get_stats(p, &st);
	CHECK_INT(st.evicted, 2);
	CHECK_INT(st.blocks, 5);
	/* The oldest two went. */
	CHECK_INT(blocked(p, a4(10, 0, 1, 1), T0 + 10 * SEC, NULL), 0);
	CHECK_INT(blocked(p, a4(10, 0, 1, 2), T0 + 10 * SEC, NULL), 0);
	for (int i = 3; i <= 5; i++)
		CHECK_INT(blocked(p, a4(10, 0, 1, (uint8_t)i), T0 + 10 * SEC,
				  NULL), 1);
	/* Renewing 3 makes 4 the oldest. */
	{
		struct kn_addr a3 = a4(10, 0, 1, 3), a6_ = a4(10, 0, 1, 6);

		kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &a3, 6, 0, T0 + 20 * SEC);
		kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &a6_, 6, 0,
				  T0 + 21 * SEC);
	}
	CHECK_INT(blocked(p, a4(10, 0, 1, 3), T0 + 30 * SEC, NULL), 1);
	CHECK_INT(blocked(p, a4(10, 0, 1, 4), T0 + 30 * SEC, NULL), 0);
	CHECK_INT(blocked(p, a4(10, 0, 1, 6), T0 + 30 * SEC, NULL), 1);
	kn_policy_free(p);
}

/* Many blocks in a large table: each found, each expiring in turn. */
TEST(net_policy_block_many)
{
	struct kn_policy_conf c;
	struct kn_policy *p;

	kn_policy_defaults(&c);
	c.block_us = 1000 * SEC;
	p = make(&c);
	REQUIRE(p != NULL);
	for (int i = 0; i < 20000; i++) {
		struct kn_addr a = a4(172, 16, (uint8_t)(i >> 8), (uint8_t)i);

		kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &a, 6, 0,
				  T0 + (uint64_t)i * 1000);
	}
	CHECK_INT(kn_policy_blocked_count(p), 20000);
	for (int i = 0; i < 20000; i += 997)
		CHECK_INT(blocked(p, a4(172, 16, (uint8_t)(i >> 8), (uint8_t)i),
				  T0 + 20 * SEC, NULL), 1);
	kn_policy_expire(p, T0 + 1000 * SEC + 10000 * 1000);
	CHECK_INT(kn_policy_blocked_count(p), 9999);
	kn_policy_free(p);
}

TEST(net_policy_monitoring)
{
	struct kn_policy_conf c;
	struct kn_policy *p;
	struct kn_addr att = a4(10, 0, 0, 66);
	int would = 0;

	kn_policy_defaults(&c);
	c.monitoring = 1;
	p = make(&c);
	REQUIRE(p != NULL);
	/* The decision is what standard mode would do... */
	CHECK_INT(kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &att, 6, 0, T0),
		  KN_ACT_BLOCK);
	CHECK_INT(kn_policy_finding(p, KN_AT_LAND, &att, 6, 1, T0), KN_ACT_DROP);
	/* ...and nothing is dropped, but the records can say it would be. */
	CHECK_INT(blocked(p, att, T0 + SEC, &would), 0);
	CHECK_INT(would, 1);
	CHECK_INT(blocked(p, a4(10, 0, 0, 1), T0 + SEC, &would), 0);
	CHECK_INT(would, 0);
	CHECK_INT(blocked(p, att, T0 + 61 * MIN, &would), 0);
	CHECK_INT(would, 0);
	kn_policy_free(p);
}

/* ---- exclusions and subnets ------------------------------------------------------ */

TEST(net_policy_cidr_parse)
{
	static const struct {
		const char *s;
		int ok;
		int family;
		int prefix;
		const char *net;
	} cases[] = {
		{ "10.0.0.0/8", 1, 4, 8, "10.0.0.0/32" },
		{ "10.1.2.3/8", 1, 4, 8, "10.0.0.0/32" },
		{ "192.168.1.128/25", 1, 4, 25, "192.168.1.128/32" },
		{ "192.168.1.255/25", 1, 4, 25, "192.168.1.128/32" },
		{ "10.0.0.1", 1, 4, 32, "10.0.0.1/32" },
		{ "0.0.0.0/0", 1, 4, 0, "0.0.0.0/32" },
		{ "255.255.255.255/32", 1, 4, 32, "255.255.255.255/32" },
		{ "2001:db8::/32", 1, 6, 32, "2001:db8::/128" },
		{ "2001:db8:ffff::1/33", 1, 6, 33, "2001:db8:8000::/128" },
		{ "::1", 1, 6, 128, "::1/128" },
		{ "::/0", 1, 6, 0, "::/128" },
		{ "fe80::1:2/127", 1, 6, 127, "fe80::1:2/128" },
		{ "fe80::1:3/127", 1, 6, 127, "fe80::1:2/128" },
		{ "::ffff:10.0.0.0/104", 1, 6, 104, "::ffff:10.0.0.0/128" },
		{ "10.0.0.0/33", 0, 0, 0, NULL },
		{ "::/129", 0, 0, 0, NULL },
		{ "10.0.0/8", 0, 0, 0, NULL },
		{ "10.0.0.256", 0, 0, 0, NULL },
		{ "010.0.0.1", 0, 0, 0, NULL },
		{ "0x0a.0.0.1", 0, 0, 0, NULL },
		{ "10.0.0.1/", 0, 0, 0, NULL },
		{ "10.0.0.1/8/8", 0, 0, 0, NULL },
		{ "10.0.0.1/+8", 0, 0, 0, NULL },
		{ "10.0.0.1/-1", 0, 0, 0, NULL },
		{ "10.0.0.1/0008", 0, 0, 0, NULL },
		{ "10.0.0.1 /8", 0, 0, 0, NULL },
		{ "/8", 0, 0, 0, NULL },
		{ "", 0, 0, 0, NULL },
		{ "host.example", 0, 0, 0, NULL },
		{ "2001:db8::g/32", 0, 0, 0, NULL },
		{ "1:2:3:4:5:6:7:8:9", 0, 0, 0, NULL },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kn_cidr c, want;
		int r = kn_cidr_parse(cases[i].s, &c);

		if ((r == 0) != cases[i].ok) {
			ut_fail(__FILE__, __LINE__, "\"%s\": %d", cases[i].s, r);
			continue;
		}
		if (!cases[i].ok)
			continue;
		CHECK_INT(c.net.family, cases[i].family);
		CHECK_INT(c.prefix, cases[i].prefix);
		REQUIRE(kn_cidr_parse(cases[i].net, &want) == 0);
		CHECK_MEM(c.net.b, 16, want.net.b, 16);
	}
	CHECK_INT(kn_cidr_parse(NULL, NULL), -1);
}

static int in(const char *cidr, struct kn_addr a)
{
	struct kn_cidr c;

	if (kn_cidr_parse(cidr, &c) != 0)
		return -1;
	return kn_cidr_contains(&c, &a);
}

TEST(net_policy_cidr_contains)
{
	CHECK_INT(in("192.168.1.128/25", a4(192, 168, 1, 128)), 1);
	CHECK_INT(in("192.168.1.128/25", a4(192, 168, 1, 255)), 1);
	CHECK_INT(in("192.168.1.128/25", a4(192, 168, 1, 127)), 0);
	CHECK_INT(in("192.168.1.128/25", a4(192, 168, 2, 128)), 0);
	CHECK_INT(in("10.0.0.0/8", a4(10, 255, 255, 255)), 1);
	CHECK_INT(in("10.0.0.0/8", a4(11, 0, 0, 0)), 0);
	CHECK_INT(in("10.0.0.0/7", a4(11, 0, 0, 0)), 1);
	CHECK_INT(in("10.0.0.0/7", a4(12, 0, 0, 0)), 0);
	CHECK_INT(in("0.0.0.0/0", a4(203, 0, 113, 9)), 1);
	CHECK_INT(in("10.0.0.1", a4(10, 0, 0, 1)), 1);
	CHECK_INT(in("10.0.0.1", a4(10, 0, 0, 0)), 0);
	CHECK_INT(in("10.0.0.1/31", a4(10, 0, 0, 0)), 1);
	CHECK_INT(in("10.0.0.1/31", a4(10, 0, 0, 2)), 0);
	CHECK_INT(in("2001:db8::/32", a6("2001:db8:ffff::1")), 1);
	CHECK_INT(in("2001:db8::/32", a6("2001:db9::1")), 0);
	CHECK_INT(in("2001:db8::/33", a6("2001:db8:7fff::1")), 1);
	CHECK_INT(in("2001:db8::/33", a6("2001:db8:8000::")), 0);
	CHECK_INT(in("fe80::2/127", a6("fe80::3")), 1);
	CHECK_INT(in("fe80::2/127", a6("fe80::4")), 0);
	CHECK_INT(in("fe80::2/128", a6("fe80::2")), 1);
	CHECK_INT(in("fe80::2/128", a6("fe80::3")), 0);
	CHECK_INT(in("::/0", a6("2001:db8::1")), 1);
	/* Families never mix: an IPv4 subnet holds no IPv6 address. */
	CHECK_INT(in("0.0.0.0/0", a6("::ffff:10.0.0.1")), 0);
	CHECK_INT(in("::/0", a4(10, 0, 0, 1)), 0);
}

TEST(net_policy_exclusions)
{
	static const char *const ex[] = {
		"10.0.0.9", "192.168.8.0/22", "2001:db8:1::/48", "fe80::7",
		"172.16.0.0/12", "10.0.0.64/30",
	};
	struct kn_policy_conf *c = calloc(1, sizeof *c);
	struct kn_policy *p;
	struct kn_addr scanner = a4(192, 168, 11, 200);
	struct kn_policy_stats st;

	REQUIRE(c != NULL);
	kn_policy_defaults(c);
	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
		REQUIRE(kn_cidr_parse(ex[i], &c->exclude[c->nexclude++]) == 0);
	/* A malformed entry (no family) is left out. */
	memset(&c->exclude[c->nexclude++], 0, sizeof c->exclude[0]);
	p = make(c);
	REQUIRE(p != NULL);
	CHECK_INT(kn_policy_excluded(p, &scanner), 1);
	CHECK_INT(kn_policy_finding(p, KN_AT_TCP_PORTSCAN, &scanner, 6, 0, T0),
		  KN_ACT_ALLOW);
	CHECK_INT(kn_policy_finding(p, KN_AT_LAND, &scanner, 6, 1, T0),
		  KN_ACT_ALLOW);
	CHECK_INT(kn_policy_blocked_count(p), 0);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 10, 0, 0, 9 } }),
		  1);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 10, 0, 0, 8 } }),
		  0);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 10, 0, 0, 67 } }),
		  1);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 10, 0, 0, 68 } }),
		  0);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 192, 168, 12, 0 } }),
		  0);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 172, 31, 255, 255 } }),
		  1);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 172, 32, 0, 0 } }),
		  0);
	{
		struct kn_addr x = a6("2001:db8:1:ffff::1"), y = a6("2001:db8:2::1"),
			       z = a6("fe80::7"), w = a6("fe80::8");

		CHECK_INT(kn_policy_excluded(p, &x), 1);
		CHECK_INT(kn_policy_excluded(p, &y), 0);
		CHECK_INT(kn_policy_excluded(p, &z), 1);
		CHECK_INT(kn_policy_excluded(p, &w), 0);
		CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, &x, 6, 0, T0),
			  KN_ACT_ALLOW);
		CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, &y, 6, 0, T0),
			  KN_ACT_BLOCK);
	}
	/* Nothing to exclude when the source is unknown. */
	CHECK_INT(kn_policy_finding(p, KN_AT_SYN_FLOOD, NULL, 6, 1, T0),
		  KN_ACT_DROP);
	kn_policy_get_stats(p, &st);
	CHECK_INT(st.excluded, 3);
	kn_policy_free(p);

	/* The whole list, at its cap, still answers by binary search. */
	c->nexclude = 0;
	for (int i = 0; i < KN_POLICY_MAX_EXCLUDE; i++) {
		struct kn_cidr *e = &c->exclude[c->nexclude++];

		memset(e, 0, sizeof *e);
		e->net = a4(100, (uint8_t)(i >> 8), (uint8_t)i, 0);
		e->prefix = (uint8_t)(24 + i % 9);
	}
	c->nexclude = KN_POLICY_MAX_EXCLUDE + 10;   /* clamped */
	p = make(c);
	REQUIRE(p != NULL);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 100, 0, 0, 1 } }),
		  1);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 100, 0, 1, 200 } }),
		  0);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 100, 15, 255, 0 } }),
		  1);
	CHECK_INT(kn_policy_excluded(p, &(struct kn_addr){ 4, { 100, 16, 0, 0 } }),
		  0);
	kn_policy_free(p);
	free(c);
}
