#include "report/hist.h"

#include <stdlib.h>
#include <string.h>

static const int64_t ladder[] = {
	1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400,
	604800, 2419200,
};
#define NLADDER (sizeof ladder / sizeof ladder[0])
/* Rungs past the table double the last width; 40 doublings of 28 days
 * cover far more than the 10,000 years a timestamp can span. */
#define MAX_RUNG (NLADDER + 40)

int64_t kr_hist_width(unsigned r)
{
	int64_t w;

	if (r < NLADDER)
		return ladder[r];
	if (r >= MAX_RUNG)
		return 0;
	w = ladder[NLADDER - 1];
	for (unsigned k = NLADDER - 1; k < r; k++)
		w *= 2;
	return w;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void kr_hist_init(struct kr_hist *h)
{
	memset(h, 0, sizeof *h);
}

void kr_hist_free(struct kr_hist *h)
{
	free(h->bins);
	h->bins = NULL;
}

/* Move to the narrowest rung at or above the current one whose bins cover
 * [lo_s, hi_s], carrying the counts over. */
static void widen(struct kr_hist *h, int64_t lo_s, int64_t hi_s)
{
	unsigned r = h->rung;
	int64_t w, nlo, oldw = kr_hist_width(h->rung);
	uint64_t (*old)[KR_SEV_COUNT] = h->bins;
	uint64_t (*nb)[KR_SEV_COUNT];

	for (;;) {
		w = kr_hist_width(r);
		if (w == 0)
			return;   /* cannot happen for 64-bit seconds in range */
		nlo = floordiv(lo_s, w);
		if (floordiv(hi_s, w) - nlo < KR_HIST_BINS)
			break;
		r++;
	}
	nb = calloc(KR_HIST_BINS, sizeof *nb);
	if (nb == NULL)
		return;
	for (size_t i = 0; i < KR_HIST_BINS; i++) {
		int64_t t = h->lo + (int64_t)i * oldw;
		size_t j = (size_t)(floordiv(t, w) - nlo);

		if (j >= KR_HIST_BINS)
			continue;   /* empty bins outside the new range */
		for (int s = 0; s < KR_SEV_COUNT; s++)
			nb[j][s] += old[i][s];
	}
	free(old);
	h->bins = nb;
	h->rung = r;
	h->lo = nlo * w;
}

int kr_hist_add(struct kr_hist *h, int64_t sec, enum kr_sev sev)
{
	int64_t w;
	size_t i;

	if (h->bins == NULL) {
		h->bins = calloc(KR_HIST_BINS, sizeof *h->bins);
		if (h->bins == NULL)
			return -1;
		h->rung = 0;
		h->lo = sec;
		h->min = h->max = sec;
	}
	if (sec < h->min)
		h->min = sec;
	if (sec > h->max)
		h->max = sec;
	w = kr_hist_width(h->rung);
	if (sec < h->lo || floordiv(sec - h->lo, w) >= KR_HIST_BINS) {
		widen(h, h->min, h->max);
		w = kr_hist_width(h->rung);
	}
	i = (size_t)floordiv(sec - h->lo, w);
	if (i >= KR_HIST_BINS)
		return -1;
	h->bins[i][(unsigned)sev < KR_SEV_COUNT ? sev : 0]++;
	h->total++;
	return 0;
}

int kr_hist_bars(const struct kr_hist *h, size_t maxbars, struct kr_bars *out)
{
	unsigned r = h->rung;
	int64_t w = 0, first = 0;
	size_t n = 0;

	memset(out, 0, sizeof *out);
	if (h->bins == NULL || h->total == 0 || maxbars == 0)
		return 0;
	for (;; r++) {
		w = kr_hist_width(r);
		if (w == 0)
			return -1;
		first = floordiv(h->min, w);
		n = (size_t)(floordiv(h->max, w) - first + 1);
		if (n <= maxbars)
			break;
	}
	out->count = calloc(n, sizeof *out->count);
	if (out->count == NULL)
		return -1;
	out->start = first * w;
	out->width = w;
	out->n = n;
	for (size_t i = 0; i < KR_HIST_BINS; i++) {
		int64_t t = h->lo + (int64_t)i * kr_hist_width(h->rung);
		int64_t j = floordiv(t, w) - first;

		if (j < 0 || (size_t)j >= n)
			continue;
		for (int s = 0; s < KR_SEV_COUNT; s++)
			out->count[j][s] += h->bins[i][s];
	}
	return 0;
}
