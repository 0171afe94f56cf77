/*
 * EVE pass-through of network records (see eve.c for what is checked).
 */
#ifndef KR_EVE_H
#define KR_EVE_H

#include "core/buf.h"
#include "report/event.h"

#define KR_EVE_MAX_STRIPPED 16

/* The top-level members left out of one record (raw JSON key text, with
 * its escapes), pointing into the record's line. */
struct kr_eve_info {
	struct kr_str stripped[KR_EVE_MAX_STRIPPED];
	size_t nstripped;
	size_t stripped_more;
};

/* Is this an event type of Suricata's EVE? */
int kr_eve_type(struct kr_str event_type);

/*
 * Append the EVE line of `e` (with its newline).  KS_ERR_UNSUPPORTED when
 * the record is not an EVE event type (file, url, access, stats, ... are
 * not written); KS_ERR_INVALID, with the reason in `err`, when it breaks
 * EVE's types.
 */
enum ks_status kr_eve_format(struct ks_buf *b, const struct kr_event *e,
			     struct kr_eve_info *info, struct ks_err *err);

#endif
