/*
 * A compiled rule set (private to lib/ids): per evaluation place, the
 * prefilter databases by buffer, the rules without a fast pattern grouped
 * by what their header can match, and the address table of those whose
 * header names a list of addresses.  Rules are named by their place in
 * the evaluation order (ki_rule.index; order[] maps it back to the set),
 * and every list of rules is sorted in that order, so that candidates
 * from several lists are merged rather than sorted per packet.
 */
#ifndef KS_IDS_COMPILE_H
#define KS_IDS_COMPILE_H

#include <hs.h>
#include <stddef.h>
#include <stdint.h>

#include "ids/set.h"
#include "net/pkt.h"

/* The protocol classes that rules are grouped by: a packet
 * meets only the rules whose protocol can match it. */
enum { KI_PC_TCP, KI_PC_UDP, KI_PC_ICMP, KI_PC_OTHER, KI_PC_COUNT };

int ki_proto_class(uint8_t ipproto);

struct ki_hookdb {
	int buf;
	int pc;                      /* the protocol class, -1 for all */
	hs_database_t *db;
	uint32_t *rules;             /* pattern id -> rule */
	size_t n;
	size_t maxlen;               /* the longest pattern */
};

struct ki_ipseg {
	uint32_t lo;                 /* the segment runs to the next one's lo */
	uint32_t first, count;       /* its rules in cells[], in order */
};

struct ki_ipidx {
	struct ki_ipseg *seg;
	size_t nseg;
	uint32_t *cells;
	uint64_t end;                /* past the last segment */
};

struct ki_hookc {
	struct ki_hookdb *dbs;
	size_t ndbs;
	/* Rules without a fast pattern that are tried on all traffic of an
	 * address family (0 IPv4, 1 IPv6) and protocol class.  A rule whose
	 * header names a small set of IPv4 addresses is found through ipidx
	 * instead, and is in the IPv6 lists only when its set has IPv6
	 * networks. */
	uint32_t *always[2][KI_PC_COUNT];
	size_t nalways[2][KI_PC_COUNT];
	struct ki_ipidx ipidx;
	int used;                    /* any rule at all */
};

struct ki_compiled {
	struct ki_hookc h[KI_H_COUNT];
	uint32_t *order;             /* evaluation index -> place in the set */
	size_t nrules;
};

void ki_compiled_free(struct ki_compiled *c);

/* The rules whose address ranges hold a (NULL when none). */
const uint32_t *ki_ipidx_find(const struct ki_ipidx *x, const struct kn_addr *a,
			      size_t *n);

#endif
