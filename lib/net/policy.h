/*
 * The network policy: what knetscan does about what it finds.
 *
 * For each detection class (the attack classes of net/det.h, "signature"
 * for intrusion signatures and "url" for a malicious web address) the
 * policy names an action:
 *   allow   let the traffic through (the finding is still reported);
 *   drop    drop the packets that make the finding;
 *   block   drop them and every later packet from the source for
 *           block_time (default 60 minutes), with expiry.
 * Addresses and subnets on the exclusion list are never dropped or
 * blocked.  A source is not blocked for a finding carried by UDP or ARP
 * (proto 17 or 0) or made of many or forged sources (spoofed), unless the
 * class says block_spoofable (such sources can be forged, and blocking
 * them would let an attacker cut anyone off); the packets are dropped
 * instead.  When max_blocked sources are blocked, the block nearest its
 * end is dropped to make room (counted).
 *
 * In monitoring mode nothing is dropped; kn_policy still says what
 * standard mode would do, for the records.
 */
#ifndef KS_NET_POLICY_H
#define KS_NET_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "net/det.h"
#include "net/pkt.h"

enum kn_action { KN_ACT_ALLOW, KN_ACT_DROP, KN_ACT_BLOCK };

enum {
	KN_CLASS_SIGNATURE = KN_AT_COUNT,   /* intrusion signatures */
	KN_CLASS_URL,                       /* malicious web addresses */
	KN_CLASS_COUNT
};

const char *kn_action_name(enum kn_action a);      /* "allow", ... */
int kn_action_parse(const char *name);              /* -1 if unknown */
const char *kn_class_name(int cls);                 /* attack names, "signature", "url" */
int kn_class_parse(const char *name);

struct kn_cidr {
	struct kn_addr net;
	uint8_t prefix;
};

/* Parse "10.0.0.0/8", "2001:db8::/32" or a single address. */
int kn_cidr_parse(const char *s, struct kn_cidr *out);
int kn_cidr_contains(const struct kn_cidr *c, const struct kn_addr *a);

/* A list of addresses and subnets separated by blanks or commas
 * ("10.0.0.5, 10.0.1.0/24 2001:db8::/64") into *out (the caller frees
 * it) and *n.  -1 when a word is neither (copied into bad) or the list
 * is empty (bad is ""), or out of memory. */
int kn_cidr_list_parse(const char *value, struct kn_cidr **out, size_t *n,
		       char *bad, size_t badlen);

/* The longest prefix of the list that holds a, or -1. */
int kn_cidr_list_match(const struct kn_cidr *l, size_t n,
		       const struct kn_addr *a);

#define KN_POLICY_MAX_EXCLUDE 4096

struct kn_policy_conf {
	enum kn_action action[KN_CLASS_COUNT];
	int block_spoofable[KN_CLASS_COUNT];
	uint64_t block_us;                   /* default 60 minutes */
	struct kn_cidr exclude[KN_POLICY_MAX_EXCLUDE];
	size_t nexclude;
	size_t max_blocked;                  /* sources blocked at once (65536) */
	int monitoring;
};

/* Defaults (knetscan(1)): scans, sweeps and floods block (but those
 * carried by UDP, made of many sources or with a forged source drop, see
 * block_spoofable); single-packet attacks, signatures and URLs drop; ARP
 * spoofing allow (reported only).  Blocks last 60 minutes; 65,536 sources
 * blocked at most. */
void kn_policy_defaults(struct kn_policy_conf *c);

struct kn_policy;

struct kn_policy *kn_policy_new(const struct kn_policy_conf *c);
void kn_policy_free(struct kn_policy *p);

/* The decision about a finding of class cls from src (family 0 when
 * many), carried by proto, seen at now_us: blocks the source when the
 * action is block and it may be blocked.  The return value is what
 * standard mode does (also in monitoring mode, where nothing is done). */
enum kn_action kn_policy_finding(struct kn_policy *p, int cls,
				 const struct kn_addr *src, uint8_t proto,
				 int spoofed, uint64_t now_us);

/* 1 when the packet must be dropped because its source is blocked (0 in
 * monitoring mode; *would says what standard mode would do). */
int kn_policy_blocked(struct kn_policy *p, const struct kn_pkt *pkt,
		      uint64_t now_us, int *would);

/* 1 when the address is excluded. */
int kn_policy_excluded(const struct kn_policy *p, const struct kn_addr *a);

/* Forget blocks that expired. */
void kn_policy_expire(struct kn_policy *p, uint64_t now_us);

size_t kn_policy_blocked_count(const struct kn_policy *p);

/* Counters, for the stats record: every block dropped to make room is
 * counted in evicted. */
struct kn_policy_stats {
	uint64_t blocks;             /* sources blocked (new blocks) */
	uint64_t renewed;            /* blocks made longer by a new finding */
	uint64_t expired;            /* blocks that ran out */
	uint64_t evicted;            /* blocks dropped early: max_blocked */
	uint64_t not_blocked;        /* block turned into drop: UDP, ARP,
					forged or many sources */
	uint64_t excluded;           /* findings from excluded sources */
	uint64_t blocked_packets;    /* packets from blocked sources (in
					monitoring mode: would be) */
};

void kn_policy_get_stats(const struct kn_policy *p, struct kn_policy_stats *s);

#endif
