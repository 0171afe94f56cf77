/*
 * The attack detectors' shared machinery (private to lib/net/det*.c; the
 * unit tests, the fuzz target and the benchmark read it to check the
 * caps).
 *
 * Every detector counts in trackers: one per (class, key), where the key
 * is (source, target) for scans and single-packet attacks, (source,
 * protocol, port) for sweeps, the target for floods and the claimed
 * address for ARP.  Trackers live in three preallocated tables (sources,
 * targets, ARP bindings), each with its own cap and a hash index.  When a
 * table is full, a tracker is chosen by the CLOCK algorithm (a hand goes
 * round the table; a tracker used since the hand last passed gets a
 * second chance), which forgets about the least recently used without
 * the cost of keeping a list in order of use.  A new tracker starts as
 * not used again, so that a stream of one-packet sources (a forged
 * flood) replaces its own trackers rather than the ones in use.  A
 * tracker whose window has passed since its last packet holds nothing
 * that matters and is taken first, without counting; forgetting any
 * other is counted (ARP bindings with the sources, kn_det_stats having
 * no counter of their own), and an episode in progress, passed over once
 * more than the others, ends with its tracker.
 *
 * A tracker counts in tumbling windows of its class's window_us, the
 * first starting at its first packet.  Outside an episode the measure is
 * what the class counts (distinct unanswered ports or hosts, packets);
 * when it reaches the threshold an episode starts.  During an episode the
 * measure is the episode's packets per window; the episode stays "hot"
 * while a window reaches the threshold, and ends a whole window after it
 * last did, after max_episode_us, when its tracker is forgotten, or at a
 * flush.
 *
 * Distinct items (ports, hosts, sources): a tracker keeps its first four
 * itself; the rest go to one shared set of (tracker, generation, item)
 * entries in 8-way buckets, twice as many as there are trackers.  A
 * tracker takes a new generation whenever its count starts over, which
 * makes its old entries free at once.  When a bucket is full of live
 * entries one is overwritten (counted in set_evicted); the item may then
 * be counted twice, so distinct counts are exact until the set is under
 * pressure.
 * Hashes are keyed with a random seed, so crafted addresses cannot make
 * long chains or aim evictions.
 */
#ifndef KS_NET_DET_INT_H
#define KS_NET_DET_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/det.h"

enum { KN_TAB_SRC, KN_TAB_DST, KN_TAB_ARP, KN_TAB_COUNT };

/* Distinct items a tracker holds itself before using the shared set:
 * ordinary traffic's trackers see one or two. */
#define KN_INLINE_ITEMS 4

/* A tracker's key: padding is zero so that keys compare with memcmp. */
struct kn_dkey {
	uint8_t src[16], dst[16];
	uint8_t fam;                  /* 4 or 6 */
	uint8_t cls;                  /* enum kn_attack_class */
	uint8_t proto;                /* sweeps: the probes' protocol */
	uint8_t pad;
	uint16_t port;                /* sweeps: the port, or ICMP type */
	uint16_t pad2;
};

/* The clock's marks: used since the hand last passed; an episode in
 * progress passed over once already. */
enum { KN_REF_USED = 1, KN_REF_SPARED = 2 };

/* Slots of the sliding measure per window: it counts at least the last
 * TIME * (KN_SLOTS - 1) / KN_SLOTS and at most the last TIME. */
#define KN_SLOTS 8

/* A tracker: the first cache line is what a lookup reads, the second
 * what counting a packet changes. */
struct kn_trk {
	struct kn_dkey k;
	uint32_t hash;
	uint32_t hnext;               /* hash chain (tracker index, 0 none) */
	uint8_t table, used, active;
	uint8_t ref;                  /* KN_REF_* */
	uint8_t spoofed;
	uint8_t proto;                /* the packets' protocol */
	uint8_t dport_set, dport_mixed;
	uint64_t seen;                /* last packet counted (us) */

	uint64_t win_start, win_first, win_bytes;
	uint64_t win_n;               /* the measure over the last TIME */
	uint64_t win_pkts;
	/* The measure compared with the threshold slides: win_n is the sum
	 * of the last KN_SLOTS slots of TIME / KN_SLOTS each (slot[] by
	 * slot number modulo KN_SLOTS, last_slot the newest), so an attack
	 * that straddles two windows is seen whole.  The distinct items,
	 * packets and bytes restart with each window (win_start). */
	uint64_t last_slot;
	uint32_t slot[KN_SLOTS];
	uint32_t distinct;            /* distinct items in this generation */
	uint16_t dport;
	uint8_t ninl;                 /* items held in inl[] */
	uint8_t inl_ans;              /* which of them answered */
	uint32_t inl[KN_INLINE_ITEMS];/* the first distinct items */

	uint32_t aprev, anext;        /* episodes in progress */
	/* Floods: the likeliest single source (Boyer-Moore majority vote)
	 * and how many packets it sent since it became the candidate. ARP:
	 * the bound MAC address and when it was last claimed. */
	union {
		struct {
			struct kn_addr src;
			uint64_t n;
			uint32_t vote;
		} cand;
		struct {
			uint8_t mac[6];
			uint8_t set;
			uint64_t at;
		} bind;
	} u;
	/* The episode in progress. */
	uint64_t ep_no, ep_pkts, ep_bytes, ep_first, ep_last, ep_hot;
	struct kn_addr ep_addr;       /* floods: the source; ARP: told host */
	uint8_t mac_old[6], mac_new[6];
	/* The window before, while the measure still holds some of it. */
	uint64_t carry_pkts, carry_bytes, carry_first;
} __attribute__((aligned(64)));

struct kn_dtab {
	uint32_t base, cap;           /* trackers [base, base + cap) */
	uint32_t n;                   /* in use */
	uint32_t free;                /* free list (through hnext) */
	uint32_t *bucket;
	uint32_t mask;
	uint32_t hand;                /* the clock hand (offset from base) */
	uint32_t sweep;               /* tick's reclaim cursor (offset) */
};

struct kn_dent {
	uint32_t owner;               /* tracker index, 0 when empty */
	uint32_t gen;
	uint32_t item;
	uint32_t flags;               /* KN_DENT_* */
};

enum { KN_DENT_ANSWERED = 1 };
#define KN_DSET_WAYS 8

struct kn_det {
	struct kn_det_conf c;
	kn_attack_cb cb;
	void *ctx;
	struct kn_trk *trk;           /* [0] unused: index 0 means none */
	/* Each tracker's distinct-set generation (0: unused), apart from
	 * the trackers so that telling a set entry's liveness reads a
	 * small array, not a tracker. */
	uint32_t *gens;
	struct kn_dtab tab[KN_TAB_COUNT];
	uint32_t active, active_tail; /* episodes in progress, oldest first */
	struct kn_dent *set;
	size_t set_mask;              /* buckets - 1 */
	uint64_t set_evicted;
	uint32_t gen;
	uint64_t seed;
	uint64_t now;                 /* latest packet time seen (us) */
	/* The packet being looked at was a port scan's probe of a port it
	 * had not probed yet (set by det-scan.c, read by det-flood.c). */
	int new_port;
	struct kn_det_stats st;
};

/* ---- det.c: the machinery the detector families use ---------------------- */

static inline uint32_t kn_det_bit(enum kn_attack_class c)
{
	return (uint32_t)1 << c;
}

/* Fill an address field of a key (IPv4 in the first 4 bytes, the rest
 * zero, whatever the decoder left there). */
static inline void kn_key_addr(uint8_t out[16], const struct kn_addr *a)
{
	memset(out, 0, 16);
	if (a->family == 4)
		memcpy(out, a->b, 4);
	else if (a->family == 6)
		memcpy(out, a->b, 16);
}

static inline int kn_same_addr(const struct kn_addr *a, const struct kn_addr *b)
{
	if (a->family != b->family)
		return 0;
	return memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

/* A key with the given class and addresses (NULL: zero). */
void kn_key(struct kn_dkey *k, enum kn_attack_class cls,
	    const struct kn_addr *src, const struct kn_addr *dst);

/* The tracker for k: found or made (forgetting one when the table is
 * full, see make_room in det.c), its due episode ended, its window
 * rolled, marked as used now.  Making a tracker may forget any other of
 * the same table: hold no tracker pointer across a kn_trk_get. */
struct kn_trk *kn_trk_get(struct kn_det *d, int table, const struct kn_dkey *k,
			  uint64_t now);
/* The tracker for k if there is one (no change). */
struct kn_trk *kn_trk_find(struct kn_det *d, int table, const struct kn_dkey *k);

/*
 * Count a packet (member: of the tracker's attack, counted in its packets
 * and bytes) and grow the measure; starts the episode at the threshold.
 * Returns 1 when the packet belongs to the episode in progress.
 */
int kn_trk_add(struct kn_det *d, struct kn_trk *t, uint64_t now,
	       uint64_t bytes, uint64_t grow, int member);

/* Lower the measure (an answer, a completed handshake). */
void kn_trk_shrink(struct kn_det *d, struct kn_trk *t);

/* Note the destination port of a counted packet (one port or several). */
void kn_trk_port(struct kn_trk *t, uint16_t port);

/* Add item to t's distinct items: 1 when it was not there. */
int kn_dset_add(struct kn_det *d, struct kn_trk *t, uint32_t item);
/* Mark item answered: 1 when it was there and not answered yet. */
int kn_dset_answer(struct kn_det *d, struct kn_trk *t, uint32_t item);

/* An address as a distinct-set item: IPv4 as is, IPv6 hashed. */
uint32_t kn_addr_item(const struct kn_det *d, const struct kn_addr *a);

static inline uint64_t kn_trk_index(const struct kn_det *d,
				    const struct kn_trk *t)
{
	return (uint64_t)(t - d->trk);
}

/* ---- the detector families --------------------------------------------------- */

/* In a TCP session whose both sides have sent acknowledgments (the flow
 * table has already counted this packet's flags). */
int kn_det_in_session(const struct kn_flow *fl);

uint32_t kn_det_scan(struct kn_det *d, const struct kn_pkt *p,
		     const struct kn_flow *fl, int dir, uint64_t now);
/* An ICMP or ICMPv6 error (unreachable, time exceeded, ...) quoting a
 * datagram its destination sent: an answer to that host's traffic. */
int kn_det_icmp_error_answer(const struct kn_pkt *p);
/* The flood tracker a packet of a transport counts for (made if new), or
 * NULL; then kn_det_flood counts the packet in it (t may be NULL), unless
 * it is a probe of a scan in progress (scanned), and takes completed
 * handshakes and answered UDP flows back. */
struct kn_trk *kn_det_flood_target(struct kn_det *d, const struct kn_pkt *p,
				   const struct kn_flow *fl, int dir,
				   uint64_t now);
uint32_t kn_det_flood(struct kn_det *d, struct kn_trk *t,
		      const struct kn_pkt *p, const struct kn_flow *fl, int dir,
		      uint64_t now, uint32_t scanned);
uint32_t kn_det_single(struct kn_det *d, const struct kn_pkt *p,
		       const struct kn_flow *fl,
		       const struct kn_defrag_events *ev, uint64_t now);
uint32_t kn_det_arp(struct kn_det *d, const struct kn_pkt *p, uint64_t now);

#endif
