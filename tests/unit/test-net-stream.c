/* TCP reassembly through the flow table: order, holes, overlaps, caps. */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "net/flow.h"
#include "net/stream.h"
#include "net-pkt-fill.h"
#include "unit.h"

#define C "10.0.0.1"
#define S "10.0.0.2"

struct got {
	struct ks_buf out[2];        /* bytes per direction, holes as <gap:N> */
	const uint8_t *last;         /* where the last run came from */
	int ends;
};

static void on_data(void *ctx, struct kn_flow *f, int dir, const uint8_t *d,
		    size_t n)
{
	struct got *g = ctx;

	(void)f;
	g->last = d;
	if (d == NULL)
		ks_buf_printf(&g->out[dir], "<gap:%zu>", n);
	else
		ks_buf_append(&g->out[dir], d, n);
}

static void on_end(void *ctx, struct kn_flow *f, const char *reason)
{
	(void)f;
	(void)reason;
	((struct got *)ctx)->ends++;
}

struct rig {
	struct kn_flows *t;
	struct kn_flow_conf c;
	struct got g;
	double now;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof *r);
	kn_flow_defaults(&r->c);
	ks_buf_init(&r->g.out[0], 1 << 20);
	ks_buf_init(&r->g.out[1], 1 << 20);
	r->now = 1000;
}

static void rig_start(struct rig *r)
{
	r->t = kn_flows_new(&r->c, on_end, NULL, &r->g);
}

static void rig_free(struct rig *r)
{
	kn_flows_free(r->t);
	ks_buf_free(&r->g.out[0]);
	ks_buf_free(&r->g.out[1]);
}

/* A segment from the client (to_server) or the server; returns the packet
 * (for its anomalies) in *pp when given. */
static struct kn_flow *seg(struct rig *r, int to_server, uint8_t flags,
			   uint32_t seq, uint32_t ack, const char *data,
			   struct kn_pkt *pp)
{
	struct kn_pkt p;
	struct kn_flow *f;
	int dir;
	size_t n = data != NULL ? strlen(data) : 0;

	r->now += 0.001;
	if (to_server)
		tp_tcp(&p, r->now, C, 40000, S, 80, flags, seq, ack, data, n);
	else
		tp_tcp(&p, r->now, S, 80, C, 40000, flags, seq, ack, data, n);
	f = kn_flows_packet(r->t, &p, &dir);
	if (f != NULL)
		kn_flows_tcp(r->t, f, &p, dir, on_data, &r->g);
	if (pp != NULL)
		*pp = p;
	return f;
}

static int has_anomaly(const struct kn_pkt *p, const char *ev)
{
	for (int i = 0; i < p->nan; i++)
		if (strcmp(p->an[i].event, ev) == 0)
			return 1;
	return 0;
}

static const char *out(struct rig *r, int dir)
{
	return r->g.out[dir].data != NULL ? (const char *)r->g.out[dir].data : "";
}

/* Client ISN 1000 (data from 1001), server ISN 5000 (data from 5001). */
static void handshake(struct rig *r)
{
	seg(r, 1, KN_TH_SYN, 1000, 0, NULL, NULL);
	seg(r, 0, KN_TH_SYN | KN_TH_ACK, 5000, 1001, NULL, NULL);
	seg(r, 1, KN_TH_ACK, 1001, 5001, NULL, NULL);
}

TEST(net_stream_in_order_from_the_packet)
{
	struct rig r;
	struct kn_flow_stats st;
	static const char hello[] = "hello ";

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	{
		struct kn_pkt p;
		struct kn_flow *f;
		int dir;

		tp_tcp(&p, 1001, C, 40000, S, 80, KN_TH_ACK | KN_TH_PSH, 1001,
		       5001, hello, 6);
		f = kn_flows_packet(r.t, &p, &dir);
		REQUIRE(f != NULL);
		kn_flows_tcp(r.t, f, &p, dir, on_data, &r.g);
		/* No copy: the run handed on is the packet's own bytes. */
		CHECK(r.g.last == (const uint8_t *)hello);
	}
	seg(&r, 1, KN_TH_ACK | KN_TH_PSH, 1007, 5001, "world", NULL);
	seg(&r, 0, KN_TH_ACK | KN_TH_PSH, 5001, 1012, "HTTP", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "hello world");
	CHECK_STR(out(&r, KN_TO_CLIENT), "HTTP");
	CHECK_INT(kn_flows_stream_mem(r.t), 0);
	kn_flows_get_stats(r.t, &st);
	CHECK_INT(st.stream_bytes, 15);
	CHECK_INT(st.stream_gaps, 0);
	rig_free(&r);
}

TEST(net_stream_out_of_order_is_held_then_delivered)
{
	struct rig r;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1011, 5001, "three", NULL);
	seg(&r, 1, KN_TH_ACK, 1006, 5001, "two..", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "");
	CHECK_INT(kn_flows_stream_mem(r.t), 10 + 2 * KN_SEG_OVERHEAD);
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "one..", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "one..two..three");
	CHECK_INT(kn_flows_stream_mem(r.t), 0);
	rig_free(&r);
}

TEST(net_stream_retransmission_not_delivered_twice)
{
	struct rig r;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "abcde", NULL);
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "abcde", NULL);
	/* Partly old, partly new. */
	seg(&r, 1, KN_TH_ACK, 1004, 5001, "deFGH", NULL);
	seg(&r, 1, KN_TH_ACK, 1006, 5001, "FGHij", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "abcdeFGHij");
	rig_free(&r);
}

TEST(net_stream_overlap_with_other_bytes_keeps_the_first)
{
	struct rig r;
	struct kn_pkt p;
	struct kn_flow_stats st;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1009, 5001, "CCCC", &p);
	CHECK(!has_anomaly(&p, "stream.overlap_differs"));
	seg(&r, 1, KN_TH_ACK, 1005, 5001, "BBBBXXXX", &p);
	CHECK(has_anomaly(&p, "stream.overlap_differs"));
	/* The same bytes again overlap without a difference. */
	seg(&r, 1, KN_TH_ACK, 1005, 5001, "BBBBCC", &p);
	CHECK(!has_anomaly(&p, "stream.overlap_differs"));
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "AAAAZZ", &p);
	CHECK(has_anomaly(&p, "stream.overlap_differs"));
	CHECK_STR(out(&r, KN_TO_SERVER), "AAAABBBBCCCC");
	kn_flows_get_stats(r.t, &st);
	CHECK_INT(st.stream_overlaps_differ, 2);
	CHECK_INT(kn_flows_stream_mem(r.t), 0);
	rig_free(&r);
}

TEST(net_stream_hole_acked_by_the_receiver_is_a_gap)
{
	struct rig r;
	struct kn_pkt p;
	struct kn_flow *f;
	struct kn_flow_stats st;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "hello", NULL);
	f = seg(&r, 1, KN_TH_ACK, 1011, 5001, "world", NULL);
	/* Acknowledging 1006..1010 only: not yet given up. */
	seg(&r, 0, KN_TH_ACK, 5001, 1006, NULL, &p);
	CHECK(!has_anomaly(&p, "stream.gap"));
	CHECK_STR(out(&r, KN_TO_SERVER), "hello");
	/* The server got bytes the capture never saw. */
	seg(&r, 0, KN_TH_ACK, 5001, 1016, NULL, &p);
	CHECK(has_anomaly(&p, "stream.gap"));
	CHECK_STR(out(&r, KN_TO_SERVER), "hello<gap:5>world");
	kn_flows_get_stats(r.t, &st);
	CHECK_INT(st.stream_gaps, 1);
	CHECK_INT(f->stream_gaps, 1);
	/* Nothing held: an ACK past the data seen is a gap too. */
	seg(&r, 0, KN_TH_ACK, 5001, 1020, NULL, &p);
	CHECK_STR(out(&r, KN_TO_SERVER), "hello<gap:5>world<gap:4>");
	seg(&r, 1, KN_TH_ACK, 1020, 5001, "!", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "hello<gap:5>world<gap:4>!");
	rig_free(&r);
}

TEST(net_stream_hole_given_up_at_the_cap)
{
	struct rig r;
	struct kn_pkt p;
	struct kn_flow_stats st;

	rig_init(&r);
	r.c.stream_depth_ooo = 3 * (10 + KN_SEG_OVERHEAD);
	rig_start(&r);
	handshake(&r);
	/* 1001..1010 never comes; three segments after it fit... */
	seg(&r, 1, KN_TH_ACK, 1011, 5001, "bbbbbbbbbb", NULL);
	seg(&r, 1, KN_TH_ACK, 1021, 5001, "cccccccccc", NULL);
	seg(&r, 1, KN_TH_ACK, 1031, 5001, "dddddddddd", &p);
	CHECK(!has_anomaly(&p, "stream.gap"));
	CHECK_STR(out(&r, KN_TO_SERVER), "");
	/* ... a fourth does not: the hole is given up on. */
	seg(&r, 1, KN_TH_ACK, 1041, 5001, "eeeeeeeeee", &p);
	CHECK(has_anomaly(&p, "stream.gap"));
	CHECK_STR(out(&r, KN_TO_SERVER),
		  "<gap:10>bbbbbbbbbbccccccccccddddddddddeeeeeeeeee");
	CHECK_INT(kn_flows_stream_mem(r.t), 0);
	kn_flows_get_stats(r.t, &st);
	CHECK_INT(st.stream_mem_drops, 0);
	rig_free(&r);
}

TEST(net_stream_table_wide_cap_counts_a_memory_drop)
{
	struct rig r;
	struct kn_flow_stats st;

	rig_init(&r);
	r.c.stream_mem = 20 + KN_SEG_OVERHEAD;
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1011, 5001, "bbbbbbbbbb", NULL);
	seg(&r, 1, KN_TH_ACK, 1031, 5001, "dddddddddd", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "<gap:10>bbbbbbbbbb");
	kn_flows_get_stats(r.t, &st);
	CHECK_INT(st.stream_mem_drops, 1);
	CHECK_INT(kn_flows_stream_mem(r.t), 10 + KN_SEG_OVERHEAD);
	rig_free(&r);
}

TEST(net_stream_sequence_wraparound)
{
	struct rig r;

	rig_init(&r);
	rig_start(&r);
	seg(&r, 1, KN_TH_SYN, 0xfffffff5u, 0, NULL, NULL);
	seg(&r, 0, KN_TH_SYN | KN_TH_ACK, 77, 0xfffffff6u, NULL, NULL);
	seg(&r, 1, KN_TH_ACK, 0xfffffff6u, 78, NULL, NULL);
	/* Bytes 0xfffffff6.. 0x00000005: the second half first. */
	seg(&r, 1, KN_TH_ACK, 0x00000000u, 78, "KLMNOP", NULL);
	seg(&r, 1, KN_TH_ACK, 0xfffffff6u, 78, "0123456789", NULL);
	seg(&r, 1, KN_TH_ACK, 0xfffffffbu, 78, "56789KL", NULL);
	seg(&r, 1, KN_TH_ACK, 0x00000006u, 78, "Q", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "0123456789KLMNOPQ");
	rig_free(&r);
}

TEST(net_stream_depth_limits_what_is_delivered)
{
	struct rig r;
	struct kn_flow *f;

	rig_init(&r);
	r.c.stream_depth = 8;
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1011, 5001, "later", NULL);
	CHECK_INT(kn_flows_stream_mem(r.t), 0);   /* past the depth: not held */
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "0123456789", NULL);
	f = seg(&r, 1, KN_TH_ACK, 1011, 5001, "abcdef", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "01234567");
	CHECK_INT(f->bytes[KN_TO_SERVER] > 0, 1);
	rig_free(&r);
}

TEST(net_stream_fin_takes_one_sequence_number)
{
	struct rig r;
	struct kn_pkt p;
	struct kn_flow *f;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK | KN_TH_FIN, 1001, 5001, "bye", NULL);
	/* The server acknowledges the data and the FIN: no hole. */
	f = seg(&r, 0, KN_TH_ACK | KN_TH_FIN, 5001, 1005, NULL, &p);
	CHECK(!has_anomaly(&p, "stream.gap"));
	CHECK_INT(f->state, KN_TCP_CLOSED);
	/* Bytes after the FIN are not part of the stream. */
	seg(&r, 1, KN_TH_ACK, 1004, 5002, "junk", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "bye");
	CHECK_INT(f->stream_gaps, 0);
	rig_free(&r);
}

TEST(net_stream_fin_before_a_hole_waits_for_it)
{
	struct rig r;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK | KN_TH_FIN, 1004, 5001, "def", NULL);
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "abc", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "abcdef");
	CHECK_INT(kn_flows_stream_mem(r.t), 0);
	rig_free(&r);
}

TEST(net_stream_midstream_and_syn_data)
{
	struct rig r;

	rig_init(&r);
	rig_start(&r);
	/* No handshake seen: the first data sets the base. */
	seg(&r, 1, KN_TH_ACK, 300000, 9000, "GET / ", NULL);
	seg(&r, 1, KN_TH_ACK, 300006, 9000, "HTTP/1.1", NULL);
	seg(&r, 0, KN_TH_ACK, 9000, 300014, "ok", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "GET / HTTP/1.1");
	CHECK_STR(out(&r, KN_TO_CLIENT), "ok");
	rig_free(&r);

	/* Data on the SYN (TCP Fast Open) follows the SYN's number. */
	rig_init(&r);
	rig_start(&r);
	seg(&r, 1, KN_TH_SYN, 50, 0, "tfo", NULL);
	seg(&r, 0, KN_TH_SYN | KN_TH_ACK, 900, 54, NULL, NULL);
	seg(&r, 1, KN_TH_ACK, 54, 901, "+more", NULL);
	CHECK_STR(out(&r, KN_TO_SERVER), "tfo+more");
	rig_free(&r);
}

TEST(net_stream_reset_flushes_what_is_held)
{
	struct rig r;
	struct kn_pkt p;
	struct kn_flow *f;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1001, 5001, "ab", NULL);
	seg(&r, 1, KN_TH_ACK, 1005, 5001, "ef", NULL);
	f = seg(&r, 1, KN_TH_RST, 1007, 0, NULL, &p);
	CHECK(has_anomaly(&p, "stream.gap"));
	CHECK_STR(out(&r, KN_TO_SERVER), "ab<gap:2>ef");
	CHECK_INT(f->state, KN_TCP_CLOSED);
	CHECK_INT(kn_flows_stream_mem(r.t), 0);
	rig_free(&r);
}

TEST(net_stream_memory_returns_when_the_flow_ends)
{
	struct rig r;

	rig_init(&r);
	rig_start(&r);
	handshake(&r);
	seg(&r, 1, KN_TH_ACK, 1101, 5001, "held", NULL);
	seg(&r, 0, KN_TH_ACK, 5101, 1001, "held too", NULL);
	CHECK(kn_flows_stream_mem(r.t) > 0);
	kn_flows_end_all(r.t);
	CHECK_INT(kn_flows_stream_mem(r.t), 0);
	CHECK_INT(r.g.ends, 1);
	rig_free(&r);
}

TEST(net_stream_many_tiny_segments_are_capped_with_overhead)
{
	struct rig r;

	rig_init(&r);
	r.c.stream_depth_ooo = 100 * (1 + KN_SEG_OVERHEAD);
	rig_start(&r);
	handshake(&r);
	/* One byte every other position: never contiguous. */
	for (uint32_t i = 0; i < 1000; i++) {
		seg(&r, 1, KN_TH_ACK, 1003 + 2 * i, 5001, "x", NULL);
		CHECK(kn_flows_stream_mem(r.t) <= r.c.stream_depth_ooo);
	}
	rig_free(&r);
}
