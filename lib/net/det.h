/*
 * Network attack detectors.  Each attack is reported once per episode, as
 * one aggregate (source, target, counters, first and last time), never as
 * one alert per packet.
 *
 * An episode starts when a source (or, for floods from spoofed addresses,
 * a target) crosses the class's threshold within its window; it ends when
 * the traffic that makes it stays below the threshold for a whole window,
 * or after max_episode_us (then a new episode may start), or at the end of
 * the capture.  The detector calls back twice per episode: at its start
 * (so the policy can act at once) and at its end (with the final counters,
 * for the one alert record).  Per-packet, kn_det_packet also says which
 * ongoing episodes the packet belongs to, so that policy can drop exactly
 * those packets.
 *
 * The default thresholds (kn_det_defaults, listed in knetscan(1)) are
 * chosen not to fire on ordinary traffic: a large download (one flow, many
 * packets), a busy DNS resolver (many UDP packets to one port), a web page
 * (dozens of connections to one or two ports).
 *
 * State is bounded: at most max_sources tracked sources and max_targets
 * tracked targets; past them one of the least recently seen is forgotten
 * (the CLOCK algorithm; a tracker whose window has passed is taken first
 * and not counted).  Time is the packets' time.
 */
#ifndef KS_NET_DET_H
#define KS_NET_DET_H

#include <stddef.h>
#include <stdint.h>

#include "net/defrag.h"
#include "net/flow.h"
#include "net/pkt.h"

enum kn_attack_class {
	KN_AT_TCP_PORTSCAN,      /* SYN or connect scan: many ports, one target */
	KN_AT_UDP_PORTSCAN,
	KN_AT_STEALTH_SCAN,      /* NULL, FIN and XMAS probes */
	KN_AT_HOST_SWEEP,        /* one port (or ICMP echo) on many hosts */
	KN_AT_SYN_FLOOD,         /* SYNs to one target, also from many sources */
	KN_AT_UDP_FLOOD,
	KN_AT_ICMP_FLOOD,
	KN_AT_LAND,              /* source address and port = destination's */
	KN_AT_PING_OF_DEATH,     /* a datagram past 65,535 bytes */
	KN_AT_TEARDROP,          /* overlapping fragments with other bytes */
	KN_AT_TINY_FRAGMENT,
	KN_AT_BAD_TCP_FLAGS,     /* SYN+FIN, SYN+RST, no flags on data, ... */
	KN_AT_SOURCE_ROUTE,      /* IPv4 LSRR/SSRR, IPv6 type 0 routing */
	KN_AT_ARP_SPOOF,         /* an IP claimed by a second MAC */
	KN_AT_COUNT
};

/* Stable names ("tcp-portscan", ...) used on the command line, in the
 * configuration and in records; signature ids are 9000001 + class. */
const char *kn_attack_name(enum kn_attack_class c);
const char *kn_attack_signature(enum kn_attack_class c);  /* for people */
int kn_attack_parse(const char *name);                    /* -1 if unknown */
#define KN_ATTACK_SID_BASE 9000001u

struct kn_det_threshold {
	uint64_t count;              /* what must be reached ... */
	uint64_t window_us;          /* ... within this time */
};

struct kn_det_conf {
	struct kn_det_threshold th[KN_AT_COUNT];
	uint64_t max_episode_us;     /* default 10 min */
	size_t max_sources, max_targets;
	size_t max_arp;              /* IP->MAC bindings remembered */
};

void kn_det_defaults(struct kn_det_conf *c);

enum kn_episode_phase { KN_EPISODE_START, KN_EPISODE_END };

struct kn_attack {
	enum kn_attack_class cls;
	uint64_t episode;            /* 1, 2, ... */
	int severity;                /* 1 high .. 3 low (EVE alert.severity) */
	uint8_t proto;               /* 6, 17, 1/58, or 0 */
	struct kn_addr src;          /* family 0 when many (spoofed flood) */
	struct kn_addr dst;          /* family 0 when many (sweep) */
	uint16_t dport;              /* for a sweep or flood on one port */
	uint64_t packets;            /* packets in the episode */
	uint64_t bytes;
	uint64_t ports;              /* distinct target ports (scans) */
	uint64_t hosts;              /* distinct target hosts (sweep) */
	uint64_t sources;            /* distinct sources (spoofed flood) */
	struct ks_time first, last;
	int spoofed;                 /* many sources: do not block by source */
	uint8_t arp_mac_old[6], arp_mac_new[6];
};

typedef void (*kn_attack_cb)(void *ctx, const struct kn_attack *a,
			     enum kn_episode_phase phase);

struct kn_det_stats {
	uint64_t episodes[KN_AT_COUNT];
	uint64_t sources_forgotten, targets_forgotten;
	uint64_t arp_forgotten;      /* ARP bindings forgotten (max_arp) */
};

struct kn_det;

struct kn_det *kn_det_new(const struct kn_det_conf *c, kn_attack_cb cb,
			  void *ctx);
void kn_det_free(struct kn_det *d);   /* does not end episodes: flush first */

/*
 * Look at a decoded packet (fl: its flow, or NULL; dir as kn_flows_packet
 * gives it; ev: what defragmentation found, or NULL).  Returns a bitmask
 * of (1u << class) for the episodes in progress this packet is part of.
 * The callback runs inside these calls and must not call back into the
 * detector.
 */
uint32_t kn_det_packet(struct kn_det *d, const struct kn_pkt *p,
		       const struct kn_flow *fl, int dir,
		       const struct kn_defrag_events *ev);

/* End episodes that have been quiet for their window (now: packet time). */
void kn_det_tick(struct kn_det *d, uint64_t now_us);

/* End every episode (end of capture). */
void kn_det_flush(struct kn_det *d);

void kn_det_get_stats(const struct kn_det *d, struct kn_det_stats *s);

#endif
