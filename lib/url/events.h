/*
 * The addresses in knetscan's events (Suricata EVE field names):
 *
 *   http  the URL: http.url when it is absolute, else "http://" +
 *         http.hostname (or dest_ip when the request had no Host) +
 *         ":" http.http_port (or dest_port) when it is not 80 + http.url
 *   tls   tls.sni, as a host
 *   dns   dns.rrname (EVE v1/v2) and every dns.queries[].rrname (v3), as
 *         hosts, each distinct name once
 *
 * Other event types hold no address to check.  The strings point into
 * the json-c object or into the struct, and stay valid while both do.
 */
#ifndef KU_URL_EVENTS_H
#define KU_URL_EVENTS_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/timefmt.h"
#include "url/canon.h"

#define KU_EVENT_MAX 16   /* addresses taken from one event */

struct ku_event {
	size_t n;
	size_t dropped;         /* addresses past KU_EVENT_MAX */
	struct {
		const char *source;   /* "http", "tls", "dns" */
		int host_only;
		int port;             /* -1 when the event gives none */
		const char *text;
		size_t len;
	} q[KU_EVENT_MAX];
	struct ks_time ts;      /* the event's timestamp */
	int have_ts;
	char buf[KU_URL_MAX + 512];
};

/* Fill `e` from one event; returns the number of addresses. */
size_t ku_event_queries(struct ku_event *e, struct json_object *obj);

/* The members of an event carried into its verdicts (NULL-terminated). */
extern const char *const ku_event_ids[];

#endif
