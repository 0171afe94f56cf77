/*
 * Timestamps in the form of the event contract (DESIGN.md):
 * "YYYY-MM-DDTHH:MM:SS.ffffff+0000", always UTC, always six digits.
 */
#ifndef KS_CORE_TIMEFMT_H
#define KS_CORE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KS_TIME_LEN 31  /* characters, without the NUL */

/* A point in time as seconds and microseconds since the epoch. */
struct ks_time {
	int64_t sec;
	uint32_t usec;  /* 0..999999 */
};

/* The wall clock now. */
struct ks_time ks_time_now(void);

/* Write the EVE form into out[KS_TIME_LEN + 1]; returns out.  A time
 * outside years 0..9999 is clamped to those bounds. */
char *ks_time_format(struct ks_time t, char out[KS_TIME_LEN + 1]);

/* Parse the EVE form (any numeric offset, 1 to 9 fraction digits);
 * returns 0 on success, -1 on a malformed string. */
int ks_time_parse(const char *s, struct ks_time *t);

/* Monotonic clock in microseconds, for elapsed times and deadlines. */
uint64_t ks_mono_usec(void);

#endif
