/*
 * Addresses from EVE records (Suricata's "EVE JSON Output" documentation:
 * event types http, tls and dns, with dns in versions 1 to 3).
 */
#include "url/events.h"

#include <stdio.h>
#include <string.h>

const char *const ku_event_ids[] = {
	"flow_id", "parent_id", "pcap_cnt", "in_iface", "vlan", "src_ip",
	"src_port", "dest_ip", "dest_port", "proto", "app_proto", "tx_id",
	"community_id", "host", "vm", "mode", NULL
};

static const char *str(struct json_object *o, const char *key, size_t *n)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*n = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static int port_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	int64_t p;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	p = json_object_get_int64(v);
	return p >= 0 && p <= 65535 ? (int)p : -1;
}

static void add(struct ku_event *e, const char *source, int host_only,
		int port, const char *text, size_t len)
{
	if (len == 0)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->q[i].len == len && memcmp(e->q[i].text, text, len) == 0)
			return;
	if (e->n >= KU_EVENT_MAX) {
		e->dropped++;
		return;
	}
	e->q[e->n].source = source;
	e->q[e->n].host_only = host_only;
	e->q[e->n].port = port;
	e->q[e->n].text = text;
	e->q[e->n].len = len;
	e->n++;
}

/* An absolute URL has a scheme and "//" before any '/'. */
static int absolute(const char *u, size_t n)
{
	const char *s = memchr(u, ':', n);
	const char *slash = memchr(u, '/', n);

	return s != NULL && (slash == NULL || s < slash) &&
	       (size_t)(s - u) + 2 < n && s[1] == '/' && s[2] == '/';
}

static void http(struct ku_event *e, struct json_object *obj)
{
	struct json_object *h;
	const char *host, *url;
	size_t hn = 0, un = 0;
	int port, k;

	if (!json_object_object_get_ex(obj, "http", &h))
		return;
	url = str(h, "url", &un);
	if (url != NULL && absolute(url, un)) {
		add(e, "http", 0, port_of(h, "http_port"), url, un);
		return;
	}
	host = str(h, "hostname", &hn);
	if (host == NULL || hn == 0)
		host = str(obj, "dest_ip", &hn);
	if (host == NULL || hn == 0)
		return;
	port = port_of(h, "http_port");
	if (port < 0)
		port = port_of(obj, "dest_port");
	if (url == NULL || un == 0 || url[0] != '/') {
		url = "/";
		un = 1;
	}
	if (hn + un + 32 > sizeof e->buf) {
		/* Too long to compose: the canonicalizer refuses it and the
		 * verdict says so. */
		add(e, "http", 0, port, url, un);
		return;
	}
	/* An IPv6 address (two colons at least) goes in brackets. */
	{
		const char *c1 = memchr(host, ':', hn);
		int v6 = host[0] != '[' && c1 != NULL &&
			 memchr(c1 + 1, ':', hn - (size_t)(c1 + 1 - host)) != NULL;

		k = snprintf(e->buf, sizeof e->buf, "http://%s%.*s", v6 ? "[" : "",
			     (int)hn, host);
		if (v6)
			e->buf[k++] = ']';
	}
	if (port >= 0 && port != 80)
		k += snprintf(e->buf + k, sizeof e->buf - (size_t)k, ":%d", port);
	memcpy(e->buf + k, url, un);
	add(e, "http", 0, port, e->buf, (size_t)k + un);
}

static void dns(struct ku_event *e, struct json_object *obj)
{
	struct json_object *d, *qs;
	const char *name;
	size_t n;

	if (!json_object_object_get_ex(obj, "dns", &d))
		return;
	if ((name = str(d, "rrname", &n)) != NULL)
		add(e, "dns", 1, -1, name, n);
	if (json_object_object_get_ex(d, "queries", &qs) &&
	    json_object_is_type(qs, json_type_array)) {
		size_t len = json_object_array_length(qs);

		for (size_t i = 0; i < len; i++) {
			name = str(json_object_array_get_idx(qs, i), "rrname", &n);
			if (name != NULL)
				add(e, "dns", 1, -1, name, n);
		}
	}
}

size_t ku_event_queries(struct ku_event *e, struct json_object *obj)
{
	struct json_object *t;
	const char *type, *ts;
	size_t n;

	e->n = 0;
	e->dropped = 0;
	e->have_ts = 0;
	ts = str(obj, "timestamp", &n);
	if (ts != NULL && ks_time_parse(ts, &e->ts) == 0)
		e->have_ts = 1;
	type = str(obj, "event_type", &n);
	if (type == NULL)
		return 0;
	if (strcmp(type, "http") == 0) {
		http(e, obj);
	} else if (strcmp(type, "tls") == 0) {
		const char *sni;

		if (json_object_object_get_ex(obj, "tls", &t) &&
		    (sni = str(t, "sni", &n)) != NULL)
			add(e, "tls", 1, port_of(obj, "dest_port"), sni, n);
	} else if (strcmp(type, "dns") == 0) {
		dns(e, obj);
	}
	return e->n;
}
