/*
 * The `url` record (ksvm-events(7)): one per address checked.
 *
 *   input, source (argument, stdin, http, tls, dns), line (stdin and
 *   events), query (url or host), verdict (clean, malicious, phishing,
 *   another category of the database, or error), url {canonical, scheme,
 *   host, domain (the registrable domain, from libpsl), port, path, query,
 *   userinfo}, allowed (an allowlist matched), matches [{feed, category,
 *   kind, entry, expression}], matches_omitted, db_generation, the
 *   identifiers of the event it came from (flow_id, src_ip, dest_ip, ...),
 *   explain {expressions, lookups} with --explain, error {kind, message}.
 */
#ifndef KU_URL_RECORD_H
#define KU_URL_RECORD_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/buf.h"
#include "json/writer.h"
#include "url/check.h"

#define KU_PSL_CACHE 1024

/* Registrable domains of recent hosts (libpsl lookups cost a
 * microsecond). */
struct ku_psl_cache {
	uint64_t hash[KU_PSL_CACHE];
	int16_t off[KU_PSL_CACHE];   /* -1: none */
	uint8_t used[KU_PSL_CACHE];
};

/* The lookups of a check, for --explain: fill with ku_explain_trace as
 * the check's trace function. */
struct ku_explain {
	struct ks_buf buf;     /* "what\0found\0key\0"... */
	size_t n, dropped;
};

void ku_explain_init(struct ku_explain *x);
void ku_explain_free(struct ku_explain *x);
void ku_explain_reset(struct ku_explain *x);
void ku_explain_trace(void *ctx, const char *what, const char *key,
		      size_t n, int found);

struct ku_record_ctx {
	const char *program;
	struct ks_time ts;
	const char *source;
	uint64_t line;              /* 0: none */
	const char *input;
	size_t input_len;
	int port;                   /* from the event, -1 when none */
	struct json_object *event;  /* identifiers come from it, or NULL */
	struct ku_explain *explain; /* or NULL */
	struct ku_psl_cache *psl;   /* or NULL */
};

/* The registrable domain of a canonical host name (NULL when it has none,
 * as for an address or a public suffix). */
const char *ku_registrable(struct ku_psl_cache *pc, const char *host,
			   size_t n);

void ku_record_url(struct kj_writer *w, const struct ku_check *c,
		   const struct ku_db *db, const struct ku_record_ctx *rc);

/* The verdict's name: "clean", the category, or "error". */
const char *ku_verdict_name(const struct ku_check *c);

#endif
