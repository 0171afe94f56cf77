/*
 * Progress on stderr, only when stderr is a terminal and the user did not
 * ask for quiet: one line rewritten in place, at most a few times a
 * second, cleared at the end so it never mixes with records or messages.
 */
#ifndef KS_CLI_PROGRESS_H
#define KS_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct ks_progress {
	FILE *f;
	int enabled;
	int shown;          /* a line is on the screen */
	uint64_t last_usec;
};

/* Enabled when `f` is a terminal and verbosity >= 0. */
void ks_progress_init(struct ks_progress *p, FILE *f, int verbosity);

/* Show the text if enough time has passed since the last update. */
void ks_progress_update(struct ks_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Erase the line (before printing anything else on stderr, and at exit). */
void ks_progress_clear(struct ks_progress *p);

#endif
