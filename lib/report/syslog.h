/*
 * RFC 5424 syslog messages, one per event:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [ksvm@32473 ...] BOM MSG
 *
 * PRI is the facility (local0 unless configured) times 8 plus the
 * severity of severity.h; TIMESTAMP is the event's, in UTC; APP-NAME is
 * the program that wrote the record and MSGID its event_type.  The
 * structured data element "ksvm@32473" carries the named fields: id (the
 * stable event id), type, severity, vm, threat or signature and
 * signature_id, category, verdict, action, path, sha256, src, sport, dst,
 * dport, proto, url, host, reason, input and line of an input error, and
 * truncated when something was cut.  32473 is the private enterprise
 * number that RFC 5612 reserves for documentation; a site with its own
 * number can map the SD-ID on its server.  MSG is the record itself, as
 * JSON (UTF-8, so it starts with the BOM, section 6.4).
 *
 * Escaping, through one helper per part:
 *   PARAM-VALUE (6.3.3)  "  \  ]  are preceded by a backslash; control
 *                        characters (U+0000-U+001F, U+007F-U+009F) and
 *                        bytes that are not UTF-8 become U+FFFD, so that
 *                        a message is one line of valid UTF-8;
 *   HOSTNAME, APP-NAME, MSGID (6.2)  PRINTUSASCII only: any other byte
 *                        becomes '_', cut at 255, 48 and 32 characters;
 *   MSG                  JSON text has no control characters inside its
 *                        strings; whitespace characters between its
 *                        tokens are written as spaces.
 *
 * Size: a message never exceeds `max` bytes (the transport's framing
 * aside).  When it would, MSG is cut first, then long parameter values,
 * then the last parameters; a cut never splits a UTF-8 character or a JSON
 * escape, and the parameter truncated="..." names what was cut.
 */
#ifndef KR_SYSLOG_H
#define KR_SYSLOG_H

#include "core/buf.h"
#include "report/event.h"

#define KR_SYSLOG_MIN_MAX 480      /* RFC 5426 3.2: every receiver takes it */
#define KR_SYSLOG_SD_ID "ksvm@32473"

struct kr_syslog_opts {
	int facility;          /* 0..23; 16 is local0 */
	const char *hostname;  /* NULL: "-" */
	size_t max;            /* bytes; at least KR_SYSLOG_MIN_MAX */
};

/* Facility by name ("local0", "auth", ...) or number; 0 or -1. */
int kr_syslog_facility(const char *name, int *out);

/* PARAM-VALUE escaping of s[0..n) (without the quotes). */
enum ks_status kr_sd_escape(struct ks_buf *b, const void *s, size_t n);

/* A header field: PRINTUSASCII, at most `max` characters, "-" if empty. */
enum ks_status kr_syslog_field(struct ks_buf *b, const void *s, size_t n,
			       size_t max);

/*
 * Append the message of `e` (without a newline or any framing).  `msg` is
 * the JSON of the record (NULL: kr_event_json's).
 */
enum ks_status kr_syslog_format(struct ks_buf *b, struct kr_event *e,
				const struct kr_syslog_opts *o,
				const struct kr_str *msg);

#endif
