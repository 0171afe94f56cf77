/*
 * One direction of a TCP connection put back in sequence order (private
 * to the flow table, net/flow.c; declared here so that its unit tests and
 * fuzz target can reach it).
 *
 * Positions: a stream is "based" at the sequence number of its first byte
 * (the SYN's number plus one, or the first data seen when the handshake
 * was missed).  From then on every byte has a 64-bit offset from that
 * base, so that a sequence number that wraps past 2^32 keeps counting up;
 * a segment's sequence number is turned into an offset relative to the
 * next byte expected, read as a signed 32-bit distance (RFC 9293 section
 * 3.4's modular comparison).
 *
 * Bytes that arrive in order are handed on straight from the packet.  Only
 * segments that arrive ahead of a hole are copied, into a list sorted by
 * offset whose pieces never overlap: where a new segment overlaps bytes
 * already held, the held bytes win (and a difference is reported).  Bytes
 * before the next expected offset were delivered already and are dropped,
 * so a retransmission is never delivered twice; they cannot be compared,
 * since in-order bytes are not kept.
 *
 * A hole is given up on ("stream.gap": the bytes after it are delivered,
 * and the reader is told with a NULL run, below) when
 *   - the receiver acknowledged bytes beyond it: they reached the
 *     receiver, so the capture lost them and they will not come again;
 *   - holding the new segment would pass the per-direction cap
 *     (stream_depth_ooo) or the table-wide cap (stream_mem, counted as a
 *     memory drop);
 *   - the connection was reset.
 * Every held piece is charged its bytes plus KN_SEG_OVERHEAD against both
 * caps, so that many tiny segments cannot hold more memory than the caps
 * say.
 *
 * Delivery: the callback gets each run of contiguous bytes in order; a
 * hole that was given up on is delivered as data == NULL with len the
 * bytes missing, so that a reader knows the next bytes do not follow the
 * previous ones (an application parser resynchronizes or stops).
 */
#ifndef KS_NET_STREAM_H
#define KS_NET_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "net/flow.h"
#include "net/pkt.h"

#define KN_SEG_OVERHEAD 64

struct kn_seg;

struct kn_stream {
	uint32_t next_seq;           /* sequence number of the next byte */
	uint64_t next_off;           /* its offset from the base */
	uint64_t fin_off;            /* offset of the FIN (when fin) */
	uint32_t isn;                /* the SYN's sequence number (when syn) */
	unsigned based : 1;          /* next_seq is known */
	unsigned syn : 1;            /* the base came from a SYN */
	unsigned fin : 1;            /* a FIN was seen */
	unsigned finished : 1;       /* every byte up to the FIN was handed on */
	unsigned depth_done : 1;     /* stream_depth reached: nothing more */
	struct kn_seg *segs;         /* held pieces, sorted, disjoint */
	size_t held;                 /* bytes charged for them */
};

/* What a stream operation needs beyond the stream: the caps, the shared
 * memory counter and statistics, the packet (for anomalies), and where to
 * deliver. */
struct kn_stream_io {
	const struct kn_flow_conf *conf;
	size_t *mem;                 /* bytes held by every stream of the table */
	struct kn_flow_stats *st;
	struct kn_pkt *p;            /* may be NULL (no anomaly then) */
	struct kn_flow *f;
	int dir;
	kn_stream_cb deliver;        /* may be NULL */
	void *ctx;
};

void kn_stream_init(struct kn_stream *s);

/* Take seq as the sequence number of the stream's first byte (syn: it
 * follows a SYN whose number is seq - 1).  No effect once based. */
void kn_stream_base(struct kn_stream *s, uint32_t seq, int syn);

/* A segment's payload, starting at sequence number seq. */
void kn_stream_data(struct kn_stream_io *io, struct kn_stream *s,
		    uint32_t seq, const uint8_t *data, size_t len);

/* A FIN at sequence number seq (after the segment's payload). */
void kn_stream_fin(struct kn_stream_io *io, struct kn_stream *s, uint32_t seq);

/* The peer acknowledged every byte before ack. */
void kn_stream_acked(struct kn_stream_io *io, struct kn_stream *s, uint32_t ack);

/* Give up on every hole and hand on what is held (after a reset). */
void kn_stream_flush(struct kn_stream_io *io, struct kn_stream *s);

/* Free what is held (the flow ends); *mem is decreased. */
void kn_stream_release(struct kn_stream *s, size_t *mem);

/* Bytes held now by every stream of the table (for tests and statistics). */
size_t kn_flows_stream_mem(const struct kn_flows *t);

#endif
