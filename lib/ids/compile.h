/*
 * A compiled rule set (private to lib/ids): per evaluation place, the
 * prefilter databases by buffer, the rules always tried, and the address
 * table of content-less packet rules.  Rules are named by their place in
 * the evaluation order (ki_rule.index; order[] maps it back to the set).
 */
#ifndef KS_IDS_COMPILE_H
#define KS_IDS_COMPILE_H

#include <hs.h>
#include <stddef.h>
#include <stdint.h>

#include "ids/set.h"
#include "net/pkt.h"

struct ki_hookdb {
	int buf;
	hs_database_t *db;
	uint32_t *rules;             /* pattern id -> rule */
	size_t n;
};

struct ki_ipseg {
	uint32_t lo;                 /* the segment runs to the next one's lo */
	uint32_t first, count;       /* its rules in cells[] */
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
	uint32_t *always;
	size_t nalways;
	struct ki_ipidx ipidx;
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
