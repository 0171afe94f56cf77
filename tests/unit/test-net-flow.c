/* The flow table: orientation, counters, TCP states, timeouts, eviction. */
#include <stdio.h>
#include <stdlib.h>

#include "net/flow.h"
#include "net-pkt-fill.h"
#include "unit.h"

struct ended {
	int n;
	char log[2048];
};

static void on_end(void *ctx, struct kn_flow *f, const char *reason)
{
	struct ended *e = ctx;
	size_t l = strlen(e->log);

	e->n++;
	snprintf(e->log + l, sizeof e->log - l, "%u:%s ", (unsigned)f->cport,
		 reason);
}

static int freed;

static void on_free(int app, void *state)
{
	(void)app;
	free(state);
	freed++;
}

static struct kn_flow *pkt(struct kn_flows *t, struct kn_pkt *p, int *dir)
{
	struct kn_flow *f = kn_flows_packet(t, p, dir);

	if (f != NULL && p->proto == 6)
		kn_flows_tcp(t, f, p, *dir, NULL, NULL);
	return f;
}

static struct kn_flow *tcp(struct kn_flows *t, double sec, const char *src,
			   uint16_t sp, const char *dst, uint16_t dp,
			   uint8_t flags, uint32_t seq, uint32_t ack, int *dir)
{
	struct kn_pkt p;

	tp_tcp(&p, sec, src, sp, dst, dp, flags, seq, ack, NULL, 0);
	return pkt(t, &p, dir);
}

TEST(net_flow_orientation)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct kn_flow *f, *g;
	struct ended e = { 0 };
	struct kn_pkt p;
	char a[46];
	int dir;

	kn_flow_defaults(&c);
	t = kn_flows_new(&c, on_end, NULL, &e);
	REQUIRE(t != NULL);
	/* The SYN's sender is the client. */
	f = tcp(t, 1, "10.0.0.1", 1234, "10.0.0.2", 80, KN_TH_SYN, 1, 0, &dir);
	REQUIRE(f != NULL);
	CHECK_INT(dir, KN_TO_SERVER);
	CHECK_STR(kn_addr_str(&f->cli, a), "10.0.0.1");
	CHECK_INT(f->cport, 1234);
	CHECK_INT(f->sport, 80);
	g = tcp(t, 1.1, "10.0.0.2", 80, "10.0.0.1", 1234,
		KN_TH_SYN | KN_TH_ACK, 7, 2, &dir);
	CHECK(g == f);
	CHECK_INT(dir, KN_TO_CLIENT);
	/* A SYN-ACK seen first came from the server. */
	f = tcp(t, 2, "10.0.0.2", 443, "10.0.0.1", 5555,
		KN_TH_SYN | KN_TH_ACK, 7, 2, &dir);
	REQUIRE(f != NULL);
	CHECK_INT(dir, KN_TO_CLIENT);
	CHECK_STR(kn_addr_str(&f->cli, a), "10.0.0.1");
	CHECK_INT(f->cport, 5555);
	CHECK_INT(f->sport, 443);
	/* Otherwise the first packet's sender, here a UDP response. */
	tp_udp(&p, 3, "192.0.2.53", 53, "10.0.0.1", 40000, "x", 1);
	f = kn_flows_packet(t, &p, &dir);
	REQUIRE(f != NULL);
	CHECK_INT(dir, KN_TO_SERVER);
	CHECK_STR(kn_addr_str(&f->cli, a), "192.0.2.53");
	/* IPv6. */
	tp_udp(&p, 3, "2001:db8::1", 5000, "2001:db8::2", 53, "x", 1);
	f = kn_flows_packet(t, &p, &dir);
	REQUIRE(f != NULL);
	CHECK_STR(kn_addr_str(&f->srv, a), "2001:db8::2");
	kn_flows_free(t);
	CHECK_INT(e.n, 4);
}

TEST(net_flow_counters_per_direction)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct kn_flow *f = NULL;
	struct kn_pkt p;
	int dir;

	kn_flow_defaults(&c);
	t = kn_flows_new(&c, NULL, NULL, NULL);
	for (int i = 0; i < 3; i++) {
		tp_udp(&p, 10 + i, "10.1.1.1", 999, "10.1.1.2", 53, "abcd", 4);
		f = kn_flows_packet(t, &p, &dir);
	}
	for (int i = 0; i < 2; i++) {
		tp_udp(&p, 20 + i, "10.1.1.2", 53, "10.1.1.1", 999, "abcdefgh", 8);
		f = kn_flows_packet(t, &p, &dir);
	}
	REQUIRE(f != NULL);
	CHECK_INT(f->pkts[KN_TO_SERVER], 3);
	CHECK_INT(f->pkts[KN_TO_CLIENT], 2);
	CHECK_INT(f->bytes[KN_TO_SERVER], 3 * 46);
	CHECK_INT(f->bytes[KN_TO_CLIENT], 2 * 50);
	CHECK_INT(f->first.sec, 10);
	CHECK_INT(f->last.sec, 21);
	kn_flows_free(t);
}

TEST(net_flow_tcp_states)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct kn_flow *f;
	int dir;

	kn_flow_defaults(&c);
	t = kn_flows_new(&c, NULL, NULL, NULL);
	f = tcp(t, 1, "10.0.0.1", 1000, "10.0.0.2", 22, KN_TH_SYN, 100, 0, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "syn_sent");
	/* A SYN-ACK that does not acknowledge the SYN is not believed. */
	tcp(t, 1.1, "10.0.0.2", 22, "10.0.0.1", 1000, KN_TH_SYN | KN_TH_ACK,
	    500, 4242, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "syn_sent");
	tcp(t, 1.2, "10.0.0.2", 22, "10.0.0.1", 1000, KN_TH_SYN | KN_TH_ACK,
	    500, 101, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "syn_recv");
	tcp(t, 1.3, "10.0.0.1", 1000, "10.0.0.2", 22, KN_TH_ACK, 101, 501, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "established");
	tcp(t, 2, "10.0.0.1", 1000, "10.0.0.2", 22, KN_TH_ACK | KN_TH_FIN, 101,
	    501, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "closing");
	tcp(t, 2.1, "10.0.0.2", 22, "10.0.0.1", 1000, KN_TH_ACK | KN_TH_FIN, 501,
	    102, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "closed");
	CHECK_INT(f->flags_seen[KN_TO_SERVER],
		  KN_TH_SYN | KN_TH_ACK | KN_TH_FIN);
	CHECK_INT(f->flags_seen[KN_TO_CLIENT],
		  KN_TH_SYN | KN_TH_ACK | KN_TH_FIN);

	/* Midstream: established at once. */
	f = tcp(t, 3, "10.0.0.1", 1001, "10.0.0.2", 22, KN_TH_ACK, 7, 9, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "established");
	/* A reset far outside the sender's window is not believed... */
	{
		struct kn_pkt p;

		tp_tcp(&p, 3.1, "10.0.0.1", 1001, "10.0.0.2", 22, KN_TH_ACK,
		       7, 9, "data", 4);
		pkt(t, &p, &dir);
	}
	tcp(t, 3.2, "10.0.0.1", 1001, "10.0.0.2", 22, KN_TH_RST, 0x90000000u,
	    0, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "established");
	/* ... one at the next sequence number is. */
	tcp(t, 3.3, "10.0.0.1", 1001, "10.0.0.2", 22, KN_TH_RST, 11, 0, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "closed");

	/* A refused connection: RST-ACK answering the SYN. */
	f = tcp(t, 4, "10.0.0.1", 1002, "10.0.0.2", 23, KN_TH_SYN, 5, 0, &dir);
	tcp(t, 4.1, "10.0.0.2", 23, "10.0.0.1", 1002, KN_TH_RST | KN_TH_ACK, 0,
	    77, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "syn_sent");
	tcp(t, 4.2, "10.0.0.2", 23, "10.0.0.1", 1002, KN_TH_RST | KN_TH_ACK, 0,
	    6, &dir);
	CHECK_STR(kn_tcp_state_name(f->state), "closed");
	kn_flows_free(t);
}

TEST(net_flow_timeouts_and_end_reasons)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct kn_flow_stats st;
	struct ended e = { 0 };
	struct kn_pkt p;
	int dir;

	kn_flow_defaults(&c);
	t = kn_flows_new(&c, on_end, NULL, &e);
	/* 1: a UDP flow (120 s). */
	tp_udp(&p, 100, "10.0.0.1", 1, "10.0.0.9", 53, "q", 1);
	kn_flows_packet(t, &p, &dir);
	/* 2: a closed TCP connection (10 s after its last packet). */
	tcp(t, 100, "10.0.0.1", 2, "10.0.0.9", 80, KN_TH_SYN, 1, 0, &dir);
	tcp(t, 101, "10.0.0.1", 2, "10.0.0.9", 80, KN_TH_RST, 2, 0, &dir);
	/* 3: an established one (600 s). */
	tcp(t, 100, "10.0.0.1", 3, "10.0.0.9", 80, KN_TH_ACK, 1, 1, &dir);
	/* 4: a SYN never answered (30 s), seen after flow 2's reset: the
	 * table's clock does not go back, so it counts from 101 s. */
	tcp(t, 100, "10.0.0.1", 4, "10.0.0.9", 80, KN_TH_SYN, 1, 0, &dir);

	kn_flows_expire(t, 110999999);
	CHECK_INT(e.n, 0);
	kn_flows_expire(t, 111000000);
	CHECK_STR(e.log, "2:closed ");
	kn_flows_expire(t, 131000000);
	CHECK_STR(e.log, "2:closed 4:timeout ");
	kn_flows_expire(t, 220000000);
	CHECK_STR(e.log, "2:closed 4:timeout 1:timeout ");
	kn_flows_get_stats(t, &st);
	CHECK_INT(st.active, 1);
	CHECK_INT(st.ended_closed, 1);
	CHECK_INT(st.ended_timeout, 2);
	kn_flows_end_all(t);
	CHECK_STR(e.log, "2:closed 4:timeout 1:timeout 3:end ");
	kn_flows_free(t);
	CHECK_INT(e.n, 4);
}

TEST(net_flow_packet_after_its_timeout_starts_a_new_flow)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct ended e = { 0 };
	struct kn_pkt p;
	struct kn_flow *f;
	uint64_t id;
	int dir;

	kn_flow_defaults(&c);
	t = kn_flows_new(&c, on_end, NULL, &e);
	tp_udp(&p, 100, "10.0.0.1", 7, "10.0.0.9", 53, "q", 1);
	f = kn_flows_packet(t, &p, &dir);
	id = f->id;
	tp_udp(&p, 219, "10.0.0.1", 7, "10.0.0.9", 53, "q", 1);
	f = kn_flows_packet(t, &p, &dir);
	CHECK(f->id == id);
	CHECK_INT(f->pkts[0], 2);
	tp_udp(&p, 339.5, "10.0.0.1", 7, "10.0.0.9", 53, "q", 1);
	f = kn_flows_packet(t, &p, &dir);
	CHECK(f->id != id);
	CHECK_INT(f->pkts[0], 1);
	CHECK_STR(e.log, "7:timeout ");
	kn_flows_free(t);
}

TEST(net_flow_new_syn_on_a_closed_connection)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct ended e = { 0 };
	struct kn_flow *f, *g;
	int dir;

	kn_flow_defaults(&c);
	t = kn_flows_new(&c, on_end, NULL, &e);
	f = tcp(t, 1, "10.0.0.1", 5000, "10.0.0.2", 80, KN_TH_SYN, 10, 0, &dir);
	tcp(t, 1, "10.0.0.2", 80, "10.0.0.1", 5000, KN_TH_RST | KN_TH_ACK, 0, 11,
	    &dir);
	CHECK_INT(f->state, KN_TCP_CLOSED);
	g = tcp(t, 2, "10.0.0.1", 5000, "10.0.0.2", 80, KN_TH_SYN, 99, 0, &dir);
	CHECK_STR(e.log, "5000:closed ");
	CHECK_INT(g->state, KN_TCP_SYN_SENT);
	CHECK_INT(g->pkts[0], 1);
	kn_flows_free(t);
}

TEST(net_flow_eviction_at_the_cap)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct kn_flow_stats st;
	struct ended e = { 0 };
	struct kn_pkt p;
	struct kn_flow *f;
	int dir;

	kn_flow_defaults(&c);
	c.max_flows = 3;
	freed = 0;
	t = kn_flows_new(&c, on_end, on_free, &e);
	for (int i = 1; i <= 3; i++) {
		tp_udp(&p, 10 + i, "10.0.0.1", (uint16_t)i, "10.0.0.9", 53, "q", 1);
		f = kn_flows_packet(t, &p, &dir);
		f->app_state = malloc(8);
	}
	/* Touch flow 1 again: flow 2 is now the least recently used. */
	tp_udp(&p, 14, "10.0.0.9", 53, "10.0.0.1", 1, "r", 1);
	kn_flows_packet(t, &p, &dir);
	tp_udp(&p, 15, "10.0.0.1", 4, "10.0.0.9", 53, "q", 1);
	CHECK(kn_flows_packet(t, &p, &dir) != NULL);
	CHECK_STR(e.log, "2:evicted ");
	CHECK_INT(freed, 1);
	/* A flow whose time ran out goes before any is evicted. */
	tp_udp(&p, 200, "10.0.0.1", 5, "10.0.0.9", 53, "q", 1);
	kn_flows_packet(t, &p, &dir);
	CHECK_STR(e.log, "2:evicted 3:timeout 1:timeout 4:timeout ");
	kn_flows_get_stats(t, &st);
	CHECK_INT(st.evicted, 1);
	CHECK_INT(st.flows, 5);
	CHECK_INT(st.active, 1);
	kn_flows_free(t);
	CHECK_INT(freed, 3);
}

TEST(net_flow_ids)
{
	struct kn_flow_conf c;
	struct kn_flows *t1, *t2;
	struct kn_pkt p;
	uint64_t ids[2][50];
	int dir;

	kn_flow_defaults(&c);
	t1 = kn_flows_new(&c, NULL, NULL, NULL);
	t2 = kn_flows_new(&c, NULL, NULL, NULL);
	for (int i = 0; i < 50; i++) {
		tp_udp(&p, 5, "10.0.0.1", (uint16_t)(1000 + i), "10.0.0.2", 53,
		       "q", 1);
		ids[0][i] = kn_flows_packet(t1, &p, &dir)->id;
		ids[1][i] = kn_flows_packet(t2, &p, &dir)->id;
	}
	for (int i = 0; i < 50; i++) {
		/* Non-zero, exact as a double, the same in every run (the
		 * two tables have different hash seeds), all different. */
		CHECK(ids[0][i] != 0);
		CHECK(ids[0][i] < (1ull << 51));
		CHECK(ids[0][i] == ids[1][i]);
		for (int j = 0; j < i; j++)
			CHECK(ids[0][i] != ids[0][j]);
	}
	kn_flows_free(t1);
	kn_flows_free(t2);
}

TEST(net_flow_packets_without_a_flow)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct kn_pkt p;
	struct kn_flow *f, *g;
	int dir;

	kn_flow_defaults(&c);
	t = kn_flows_new(&c, NULL, NULL, NULL);
	memset(&p, 0, sizeof p);                 /* ARP: no IP */
	CHECK(kn_flows_packet(t, &p, &dir) == NULL);
	tp_udp(&p, 1, "10.0.0.1", 1, "10.0.0.2", 2, "x", 1);
	p.is_frag = 1;                           /* a fragment before reassembly */
	CHECK(kn_flows_packet(t, &p, &dir) == NULL);
	tp_udp(&p, 1, "10.0.0.1", 1, "10.0.0.2", 2, "x", 1);
	p.has_l4 = 0;                            /* no UDP header */
	CHECK(kn_flows_packet(t, &p, &dir) == NULL);
	/* ICMP: one flow per pair of addresses, ports 0. */
	tp_udp(&p, 1, "10.0.0.1", 0, "10.0.0.2", 0, "x", 1);
	p.proto = 1;
	p.icmp_type = 8;
	f = kn_flows_packet(t, &p, &dir);
	REQUIRE(f != NULL);
	p.icmp_type = 0;
	tp_udp(&p, 1, "10.0.0.2", 0, "10.0.0.1", 0, "x", 1);
	p.proto = 1;
	g = kn_flows_packet(t, &p, &dir);
	CHECK(f == g);
	CHECK_INT(dir, KN_TO_CLIENT);
	/* VLANs keep flows apart. */
	tp_udp(&p, 1, "10.0.0.1", 1, "10.0.0.2", 2, "x", 1);
	f = kn_flows_packet(t, &p, &dir);
	p.nvlan = 1;
	p.vlan[0] = 10;
	g = kn_flows_packet(t, &p, &dir);
	CHECK(f != g);
	CHECK_INT(g->vlan, 10);
	kn_flows_free(t);
}
