/*
 * IPv4 and IPv6 defragmentation (RFC 791, RFC 8200 section 4.5), bounded.
 *
 * Fragments are kept per datagram (source, destination, protocol, id,
 * VLAN) until the datagram is complete, its time runs out, or a cap is hit.
 * Overlapping fragments are resolved in favour of the data that arrived
 * first (the BSD policy) and reported; an overlap whose bytes differ from
 * what is already held is a Teardrop-style attack.  A datagram that would
 * grow past 65,535 bytes (Ping of Death) is refused and reported.  A first
 * fragment too short to hold the whole transport header (tiny fragments,
 * RFC 1858) is reported.
 *
 * Memory: every byte held counts against max_mem; past it, the oldest
 * datagrams are dropped (reported) to make room.  Nothing grows without a
 * cap: datagrams (max_datagrams), fragments per datagram (max_frags).
 */
#ifndef KS_NET_DEFRAG_H
#define KS_NET_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "net/pkt.h"

struct kn_defrag_conf {
	size_t max_mem;              /* bytes held (default 32 MiB) */
	size_t max_datagrams;        /* datagrams in progress (default 65536) */
	size_t max_frags;            /* fragments per datagram (default 256) */
	uint64_t timeout_us;         /* per datagram (default 60 s) */
	size_t tiny_first;           /* a first fragment with less transport
					header than this is tiny (default:
					20 for TCP, 8 for UDP/ICMP) */
};

void kn_defrag_defaults(struct kn_defrag_conf *c);

/* What a fragment revealed (set by kn_defrag_add, for the detectors and
 * the anomaly records). */
struct kn_defrag_events {
	int overlap;                 /* an overlap with the same bytes */
	int overlap_differs;         /* an overlap with other bytes (Teardrop) */
	int too_large;               /* past 65,535 bytes (Ping of Death) */
	int tiny;                    /* a tiny first fragment */
	int bad_offset;              /* an offset/length that cannot be */
	int dropped_for_memory;      /* older datagrams dropped to make room */
};

struct kn_defrag_stats {
	uint64_t fragments, datagrams, reassembled, timeouts, refused,
		 mem_drops;
	size_t mem;                  /* bytes held now */
};

enum kn_defrag_result {
	KN_DEFRAG_HELD,              /* kept; the datagram is not complete */
	KN_DEFRAG_DONE,              /* *ip holds the whole datagram */
	KN_DEFRAG_REFUSED,           /* not kept (see the events) */
};

struct kn_defrag;

struct kn_defrag *kn_defrag_new(const struct kn_defrag_conf *c);
void kn_defrag_free(struct kn_defrag *d);

/*
 * Add the fragment decoded in p (p->is_frag set; its time is the clock).
 * On KN_DEFRAG_DONE, *ip and *len give the reassembled datagram (header
 * with the fragment fields cleared and the total length set, then the
 * payload), valid until the next call; decode it with kn_decode_ip.
 */
enum kn_defrag_result kn_defrag_add(struct kn_defrag *d, const struct kn_pkt *p,
				    const uint8_t **ip, size_t *len,
				    struct kn_defrag_events *ev);

/* Drop the datagrams whose time ran out (now: packet time, microseconds
 * since the epoch); returns how many. */
size_t kn_defrag_expire(struct kn_defrag *d, uint64_t now_us);

void kn_defrag_get_stats(const struct kn_defrag *d, struct kn_defrag_stats *s);

#endif
