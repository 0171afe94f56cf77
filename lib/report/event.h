/*
 * One input record as kreport sees it: the members every report and
 * format needs, taken from any record type of the event contract
 * (ksvm-events(7)) and of Suricata's EVE for the network records, with
 * its severity, whether it is a detection, and a stable event id.
 *
 * Record types and what kreport reads from them:
 *   file        (kfscan) vm, file.path/size/sha256, verdict, matches[].rule,
 *               action.taken, error;
 *   quarantine  (kfscan) quarantine.path/detection/vm, result;
 *   stats, error;
 *   alert       (knetscan, EVE) alert.signature/signature_id/category/
 *               severity/action, src_ip, src_port, dest_ip, dest_port, proto;
 *   anomaly, http, dns, tls, flow (EVE) the endpoints and the object's
 *               main name (anomaly.event, http.hostname, dns.rrname, tls.sni);
 *   url         (kurlcheck) url, canonical, host, verdict, matches[].feed/
 *               category;
 *   access      (kgi-relay) vm, op, path, decision, reason, latency;
 *   anything else is counted as its own event_type and passed through
 *   where a format can carry it.
 *
 * Ownership: every kr_str points either into the record's line (which the
 * caller keeps unchanged while the event is used) or into the event's
 * arena, which kr_event_reset empties for the next record.
 */
#ifndef KR_EVENT_H
#define KR_EVENT_H

#include <stdint.h>

#include "core/arena.h"
#include "core/timefmt.h"
#include "report/jdoc.h"
#include "report/severity.h"
#include "report/str.h"

enum kr_type {
	KR_T_FILE,
	KR_T_QUARANTINE,
	KR_T_STATS,
	KR_T_ERROR,
	KR_T_ALERT,
	KR_T_ANOMALY,
	KR_T_HTTP,
	KR_T_DNS,
	KR_T_TLS,
	KR_T_FLOW,
	KR_T_URL,
	KR_T_ACCESS,
	KR_T_OTHER,   /* an event_type kreport does not know */
};

#define KR_T_COUNT (KR_T_OTHER + 1)

/* The name of a known type ("file", ...); "other" for KR_T_OTHER. */
const char *kr_type_name(enum kr_type t);

/* Network records: the EVE types that carry endpoints. */
static inline int kr_type_is_network(enum kr_type t)
{
	return t >= KR_T_ALERT && t <= KR_T_FLOW;
}

#define KR_EVENT_MAX_MATCHES 16
#define KR_ID_LEN 16       /* bytes of the event id; 32 hex digits */

struct kr_match {
	struct kr_str rule;      /* rule or signature name; URL: the feed */
	struct kr_str source;    /* yara, hash; URL: the category */
	struct kr_str set;       /* rule_set or hash list */
	struct kr_str member;    /* archive!member */
	struct kr_str description;
};

struct kr_event {
	/* The input. */
	const char *line;        /* the raw line as read, never modified */
	size_t len;
	const char *input;       /* its input's name, "-" for stdin */
	uint64_t line_no;
	struct kr_jdoc *doc;     /* NULL for a malformed line */
	int own;                 /* kreport's own error event: no JSON line */
	int malformed;           /* ... about an input line it refused */

	/* Common members. */
	enum kr_type type;
	struct kr_str event_type, program, vm;
	struct ks_time ts;
	int have_ts;

	/* Classification. */
	enum kr_sev sev;
	int detection;           /* a finding: the exit status is 1 */

	/* What the event is about; absent members are KR_STR_NONE. */
	struct kr_str verdict;   /* file/url verdict, access decision */
	struct kr_str action;    /* action taken, alert action, decision */
	struct kr_str threat;    /* detection name: rule, signature, host */
	struct kr_str category;
	struct kr_str reason;    /* access reason, skip reason */
	int64_t signature_id;
	int have_sid;
	struct kr_str path, sha256, url, host;
	uint64_t size;
	int have_size;
	struct kr_str src_ip, dest_ip, proto;
	int src_port, dest_port;   /* -1 when absent */
	int64_t flow_id;
	int have_flow;
	struct kr_str err_kind, err_msg, err_input;
	uint64_t err_line;

	struct kr_match matches[KR_EVENT_MAX_MATCHES];
	size_t nmatches, matches_total;

	uint8_t id[KR_ID_LEN];

	/* The value tokens of the top-level members kreport reads, found
	 * in one pass (event.c); KR_JNONE for those absent. */
	uint32_t root[32];

	struct ks_arena arena;   /* decoded strings */
};

void kr_event_init(struct kr_event *e);
void kr_event_free(struct kr_event *e);

/* Forget the previous record (keeps the memory). */
void kr_event_reset(struct kr_event *e);

/*
 * Fill `e` from a scanned record.  `line` is the raw line (the id is its
 * SHA-256); the record must be an object (doc->ntok > 0).  Never fails: a
 * member of the wrong type is treated as absent.
 */
void kr_event_from_doc(struct kr_event *e, struct kr_jdoc *doc,
		       const char *line, size_t len, const char *input,
		       uint64_t line_no);

/*
 * Fill `e` as kreport's own `error` record for a line it refused.  The id
 * is derived from the input name, the line number and the bytes, so that
 * reading the same input again gives the same id.
 */
void kr_event_malformed(struct kr_event *e, const char *line, size_t len,
			const char *input, uint64_t line_no,
			const char *kind, const char *message,
			struct ks_time now);

/*
 * The record as one line of JSON, without its newline: the input line, or
 * for kreport's own events an `error` record made for it (in the event's
 * arena).  KR_STR_NONE when out of memory.
 */
struct kr_str kr_event_json(struct kr_event *e);

/* The id as 32 lowercase hex digits into out[33]. */
char *kr_event_id_hex(const struct kr_event *e, char out[2 * KR_ID_LEN + 1]);

/* "src_ip:src_port -> dest_ip:dest_port proto" (IPv6 in brackets) into
 * the event's arena; KR_STR_NONE when the event has no endpoints. */
struct kr_str kr_event_endpoints(struct kr_event *e);

#endif
