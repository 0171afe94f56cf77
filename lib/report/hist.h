/*
 * Detections over time with bounded memory: a histogram whose bin width
 * grows as the time span of the input grows.
 *
 * The widths form a ladder in which each width divides the next (1 s, 5 s,
 * 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 day,
 * 7 days, 28 days, then doubling), and bins start at multiples of their
 * width counted from the epoch; so when an event falls outside the bins,
 * the histogram moves to a wider rung and every old bin falls whole into
 * one new bin.  Counts are kept per severity, for stacked bars.
 */
#ifndef KR_HIST_H
#define KR_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "report/severity.h"

#define KR_HIST_BINS 4096

struct kr_hist {
	uint64_t (*bins)[KR_SEV_COUNT];   /* KR_HIST_BINS, allocated on use */
	int64_t lo;        /* start of bin 0 (seconds since the epoch) */
	unsigned rung;     /* index into the ladder */
	int64_t min, max;  /* first and last second seen */
	uint64_t total;
};

/* Bars to draw: n bars of `width` seconds from `start`. */
struct kr_bars {
	int64_t start, width;
	size_t n;
	uint64_t (*count)[KR_SEV_COUNT];   /* owned; free() it */
};

void kr_hist_init(struct kr_hist *h);
void kr_hist_free(struct kr_hist *h);

/* Count one event at `sec`; -1 when out of memory. */
int kr_hist_add(struct kr_hist *h, int64_t sec, enum kr_sev sev);

/* Regroup into at most `maxbars` bars of one ladder width; 0 or -1. */
int kr_hist_bars(const struct kr_hist *h, size_t maxbars, struct kr_bars *out);

/* The ladder width of rung r (seconds), or 0 past its end. */
int64_t kr_hist_width(unsigned r);

#endif
