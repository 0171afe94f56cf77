/*
 * Matching a rule's payload keywords against one buffer (private to
 * lib/ids; see match.c for the position rules).
 */
#ifndef KS_IDS_MATCH_H
#define KS_IDS_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "ids/rule.h"

/* Per-thread PCRE2 state. */
struct ki_mctx {
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

int ki_mctx_init(struct ki_mctx *m);
void ki_mctx_free(struct ki_mctx *m);

/* 1 when every sigmatch of `r` on buffer `buf` matches p[0..n) (p may be
 * NULL: an absent buffer, matched as empty). */
int ki_match_buffer(const struct ki_rule *r, int buf, const uint8_t *p,
		    size_t n, uint64_t base, size_t min_end, struct ki_mctx *m);

#endif
