/*
 * Flows and TCP sessions.
 *
 * A flow is the traffic between two endpoints (addresses, ports, transport
 * protocol, VLAN), both directions together; the side that sent the first
 * packet (the SYN for TCP) is the client.  The table is bounded
 * (max_flows): when it is full the flow idle the longest is ended early
 * (counted as an emergency eviction).  Flows end by timeout (per protocol
 * and TCP state) or, for TCP, a little after FIN or RST; an ended flow is
 * handed to the caller once, for its flow record.
 *
 * TCP: the session is tracked (RFC 9293 states, loosely, as an observer
 * that may miss packets); each direction's bytes are reassembled in
 * sequence order and handed to the caller as they become contiguous, so
 * that application data split over several segments is seen whole.
 * Out-of-order segments are held up to stream_depth_ooo bytes per
 * direction and stream_mem bytes in all; a gap that does not fill within
 * those bounds is skipped and reported ("stream.gap"); segments that
 * overlap with different bytes are reported ("stream.overlap_differs") and
 * the first bytes are kept.  Only the first stream_depth bytes of each
 * direction are reassembled (the rest is counted, not delivered).
 */
#ifndef KS_NET_FLOW_H
#define KS_NET_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "net/pkt.h"

struct kn_flow_conf {
	size_t max_flows;            /* default 65536 */
	uint64_t tcp_new_us;         /* SYN seen, not established (30 s) */
	uint64_t tcp_est_us;         /* established (600 s) */
	uint64_t tcp_closed_us;      /* after FIN/RST (10 s) */
	uint64_t udp_us;             /* 120 s */
	uint64_t other_us;           /* ICMP and others (60 s) */
	size_t stream_depth;         /* bytes reassembled per direction (1 MiB) */
	size_t stream_depth_ooo;     /* out-of-order bytes held per direction (256 KiB) */
	size_t stream_mem;           /* out-of-order bytes held in all (64 MiB) */
};

void kn_flow_defaults(struct kn_flow_conf *c);

enum kn_tcp_state {
	KN_TCP_NONE, KN_TCP_SYN_SENT, KN_TCP_SYN_RECV, KN_TCP_ESTABLISHED,
	KN_TCP_CLOSING, KN_TCP_CLOSED,
};

enum { KN_TO_SERVER = 0, KN_TO_CLIENT = 1 };

struct kn_stream;                    /* one direction's reassembly */

#define KN_FLOW_URLS 4

struct kn_flow {
	uint64_t id;                 /* EVE flow_id: stable, non-zero */
	struct kn_addr cli, srv;
	uint16_t cport, sport;
	uint8_t proto;
	uint16_t vlan;
	struct ks_time first, last;
	uint64_t pkts[2], bytes[2];  /* [KN_TO_SERVER], [KN_TO_CLIENT] */
	enum kn_tcp_state state;
	uint8_t flags_seen[2];       /* TCP flags seen per direction */
	struct kn_stream *stream[2];
	uint64_t stream_gaps;
	/* Owned by the application layer (net/app.h); freed with the flow
	 * through the free callback given to the table. */
	int app;
	void *app_state;
	/* The caller's marks (alerted, dropped, blocked: net/engine.h). */
	unsigned marks;
	/* Hashes of the listed web addresses already alerted on in this
	 * flow (net/engine.c), the latest KN_FLOW_URLS of them. */
	uint32_t url_seen[KN_FLOW_URLS];
	uint8_t url_nseen;
	/* Table links (private). */
	struct kn_flow *lru_prev, *lru_next, *hash_next;
	uint64_t expires_us;
};

struct kn_flow_stats {
	uint64_t flows, active, ended_timeout, ended_closed, evicted,
		 stream_bytes, stream_gaps, stream_overlaps_differ,
		 stream_mem_drops;
	size_t stream_mem;           /* out-of-order bytes held now, with
					overhead */
};

struct kn_flows;

/* Called for each flow that ends, before it is freed. */
typedef void (*kn_flow_end_cb)(void *ctx, struct kn_flow *f, const char *reason);
/* Called with each run of contiguous stream bytes, in order.  A hole
 * that was given up on ("stream.gap") is one call with data == NULL and
 * len the number of bytes missing: the bytes of the next call do not
 * follow those of the previous one. */
typedef void (*kn_stream_cb)(void *ctx, struct kn_flow *f, int dir,
			     const uint8_t *data, size_t len);
/* Frees a flow's application state. */
typedef void (*kn_app_free_cb)(int app, void *state);

struct kn_flows *kn_flows_new(const struct kn_flow_conf *c, kn_flow_end_cb end,
			      kn_app_free_cb app_free, void *ctx);
void kn_flows_free(struct kn_flows *t);   /* ends every flow first */

/*
 * The flow of a decoded packet (with a transport header, or ICMP), made if
 * new (NULL when it cannot be: no flow for packets without IP).  *dir says
 * which way the packet goes.  The flow's counters are updated.
 */
struct kn_flow *kn_flows_packet(struct kn_flows *t, const struct kn_pkt *p,
				int *dir);

/*
 * TCP: update the session with the packet and reassemble its payload;
 * contiguous bytes go to `deliver`.  Anomalies (stream.*) are recorded in
 * p (which is why it is not const).
 */
void kn_flows_tcp(struct kn_flows *t, struct kn_flow *f, struct kn_pkt *p,
		  int dir, kn_stream_cb deliver, void *ctx);

/* End flows whose time ran out (now: packet time in microseconds). */
void kn_flows_expire(struct kn_flows *t, uint64_t now_us);

/* End every flow (at the end of a capture). */
void kn_flows_end_all(struct kn_flows *t);

void kn_flows_get_stats(const struct kn_flows *t, struct kn_flow_stats *s);

const char *kn_tcp_state_name(enum kn_tcp_state s);

#endif
