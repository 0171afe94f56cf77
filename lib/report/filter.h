/*
 * The filters of kreport: event types, VMs, a minimum severity and a time
 * window.  An event passes when it passes every filter that is set; each
 * list filter passes on any of its values.
 *
 * The filter keeps pointers to the strings it was given (the command
 * line); it owns only its arrays.
 */
#ifndef KR_FILTER_H
#define KR_FILTER_H

#include <stddef.h>

#include "core/buf.h"
#include "core/timefmt.h"
#include "report/event.h"

struct kr_filter {
	const char **types;    /* event_type names */
	size_t ntypes;
	const char **vms;      /* "" matches records without a vm */
	size_t nvms;
	enum kr_sev min_sev;
	int have_since, have_until;
	struct ks_time since, until;   /* since <= t < until */
	int detections_only;
};

void kr_filter_init(struct kr_filter *f);
void kr_filter_free(struct kr_filter *f);

/* Add one name, or a comma-separated list of names; 0 or -1 (memory). */
int kr_filter_add_types(struct kr_filter *f, const char *list);
int kr_filter_add_vm(struct kr_filter *f, const char *vm);

/* The filters in words ("type alert,url; vm web1; severity high and
 * above; since 2026-11-26 09:00:00 UTC"), appended to b; nothing when no
 * filter is set. */
void kr_filter_describe(const struct kr_filter *f, struct ks_buf *b);

/* Does the event pass?  Events without a timestamp fail a time window. */
int kr_filter_match(const struct kr_filter *f, const struct kr_event *e);

/*
 * A point in time for --since and --until: an EVE timestamp, a date
 * (YYYY-MM-DD), a date and time (YYYY-MM-DDTHH:MM[:SS], UTC, an optional
 * trailing Z), @SECONDS since the epoch, or -N{s,m,h,d} before `now`.
 * Returns 0 or -1.
 */
int kr_time_arg(const char *s, struct ks_time now, struct ks_time *out);

#endif
