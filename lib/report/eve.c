/*
 * EVE pass-through: the network records as Suricata's EVE JSON output
 * defines them (Suricata 8 etc/schema.json), for the tools that read EVE.
 *
 * A record is passed through byte for byte, member by member, from its
 * input line; what EVE does not define at the top level (the contract's
 * program, vm, mode, and anything else) is left out, because EVE's
 * schema allows no other members.  Before that, the members kreport knows
 * the meaning of are checked against EVE's types: the timestamp's form,
 * ports, ids and counters as integers, names as strings, and the members
 * of the alert, anomaly, http, dns, tls and flow objects (which allow no
 * others).  A record that fails is not written; the caller reports it.
 */
#include "report/eve.h"

#include <stdio.h>
#include <string.h>

enum vt { T_ANY, T_STR, T_INT, T_BOOL, T_OBJ, T_ARR, T_NUM };

struct member {
	const char *name;
	enum vt type;
};

/* The top-level members of an EVE record. */
static const struct member top[] = {
	{ "timestamp", T_STR }, { "event_type", T_STR }, { "flow_id", T_INT },
	{ "parent_id", T_INT }, { "pcap_cnt", T_INT }, { "pcap_filename", T_STR },
	{ "in_iface", T_STR }, { "vlan", T_ARR }, { "src_ip", T_STR },
	{ "src_port", T_INT }, { "dest_ip", T_STR }, { "dest_port", T_INT },
	{ "proto", T_STR }, { "ip_v", T_INT }, { "icmp_type", T_INT },
	{ "icmp_code", T_INT }, { "response_icmp_type", T_INT },
	{ "response_icmp_code", T_INT }, { "pkt_src", T_STR },
	{ "direction", T_STR }, { "tx_id", T_INT }, { "tx_guessed", T_BOOL },
	{ "app_proto", T_STR }, { "app_proto_ts", T_STR },
	{ "app_proto_tc", T_STR }, { "app_proto_orig", T_STR },
	{ "app_proto_expected", T_STR }, { "community_id", T_STR },
	{ "host", T_STR }, { "capture_file", T_STR }, { "log_level", T_STR },
	{ "payload", T_STR }, { "payload_printable", T_STR },
	{ "payload_length", T_INT }, { "packet", T_STR },
	{ "packet_info", T_OBJ }, { "stream", T_INT }, { "metadata", T_OBJ },
	{ "ether", T_OBJ }, { "tunnel", T_OBJ }, { "verdict", T_OBJ },
	{ "files", T_ARR }, { "engine", T_OBJ }, { "suricata_version", T_STR },
	{ "spi", T_INT }, { "tc_progress", T_ANY }, { "ts_progress", T_ANY },
	{ "frame", T_OBJ }, { "firewall", T_OBJ }, { "traffic", T_OBJ },
	{ "stream_tcp", T_OBJ }, { "tcp", T_OBJ }, { "ndpi", T_OBJ },
	/* The objects of the event types. */
	{ "alert", T_OBJ }, { "anomaly", T_OBJ }, { "http", T_OBJ },
	{ "dns", T_OBJ }, { "tls", T_OBJ }, { "flow", T_OBJ },
	{ "netflow", T_OBJ }, { "fileinfo", T_OBJ }, { "drop", T_OBJ },
	{ "ssh", T_OBJ }, { "smtp", T_OBJ }, { "email", T_OBJ },
	{ "smb", T_OBJ }, { "nfs", T_OBJ }, { "rpc", T_OBJ }, { "ftp", T_OBJ },
	{ "ftp_data", T_OBJ }, { "dhcp", T_OBJ }, { "krb5", T_OBJ },
	{ "ike", T_OBJ }, { "snmp", T_OBJ }, { "sip", T_OBJ },
	{ "rdp", T_OBJ }, { "rfb", T_OBJ }, { "mqtt", T_OBJ },
	{ "quic", T_OBJ }, { "pgsql", T_OBJ }, { "dnp3", T_OBJ },
	{ "modbus", T_OBJ }, { "tftp", T_OBJ }, { "bittorrent_dht", T_OBJ },
	{ "websocket", T_OBJ }, { "ldap", T_OBJ }, { "pop3", T_OBJ },
	{ "mdns", T_OBJ }, { "arp", T_OBJ }, { "dcerpc", T_OBJ },
	{ "enip", T_OBJ }, { "template", T_OBJ },
};

static const struct member alert[] = {
	{ "action", T_STR }, { "category", T_STR }, { "context", T_OBJ },
	{ "engine", T_STR }, { "gid", T_INT }, { "metadata", T_OBJ },
	{ "references", T_ARR }, { "rev", T_INT }, { "rule", T_STR },
	{ "severity", T_INT }, { "signature", T_STR },
	{ "signature_id", T_INT }, { "source", T_OBJ }, { "target", T_OBJ },
	{ "xff", T_STR },
};

static const struct member anomaly[] = {
	{ "app_proto", T_STR }, { "code", T_INT }, { "event", T_STR },
	{ "layer", T_STR }, { "type", T_STR },
};

static const struct member http[] = {
	{ "content_range", T_OBJ }, { "hostname", T_STR }, { "http2", T_OBJ },
	{ "http_content_type", T_STR }, { "http_method", T_STR },
	{ "http_port", T_INT }, { "http_refer", T_STR },
	{ "http_request_body", T_STR }, { "http_request_body_printable", T_STR },
	{ "http_response_body", T_STR },
	{ "http_response_body_printable", T_STR }, { "http_user_agent", T_STR },
	{ "length", T_INT }, { "org_src_ip", T_STR }, { "protocol", T_STR },
	{ "redirect", T_STR }, { "request_headers", T_ARR },
	{ "response_headers", T_ARR }, { "status", T_INT },
	{ "status_string", T_STR }, { "true_client_ip", T_STR },
	{ "url", T_STR }, { "version", T_STR }, { "x_bluecoat_via", T_STR },
	{ "xff", T_STR },
};

static const struct member dns[] = {
	{ "aa", T_BOOL }, { "additionals", T_ANY }, { "answer", T_OBJ },
	{ "answers", T_ARR }, { "authorities", T_ANY }, { "flags", T_STR },
	{ "grouped", T_OBJ }, { "id", T_INT }, { "opcode", T_INT },
	{ "qr", T_BOOL }, { "queries", T_ARR }, { "query", T_ARR },
	{ "ra", T_BOOL }, { "rcode", T_STR }, { "rd", T_BOOL },
	{ "rrname", T_STR }, { "rrtype", T_STR }, { "tc", T_BOOL },
	{ "tx_id", T_INT }, { "type", T_STR }, { "version", T_INT },
	{ "z", T_BOOL },
};

static const struct member tls[] = {
	{ "certificate", T_STR }, { "chain", T_ARR }, { "client", T_OBJ },
	{ "client_alpns", T_ARR }, { "client_handshake", T_OBJ },
	{ "fingerprint", T_STR }, { "from_proto", T_STR },
	{ "issuerdn", T_STR }, { "ja3", T_OBJ }, { "ja3s", T_OBJ },
	{ "ja4", T_STR }, { "notafter", T_ANY }, { "notbefore", T_ANY },
	{ "serial", T_STR }, { "server_alpns", T_ARR },
	{ "server_handshake", T_OBJ }, { "session_resumed", T_BOOL },
	{ "sni", T_STR }, { "subject", T_STR }, { "subjectaltname", T_ARR },
	{ "version", T_STR },
};

static const struct member flow[] = {
	{ "action", T_STR }, { "age", T_INT }, { "alerted", T_BOOL },
	{ "bypass", T_STR }, { "bypassed", T_OBJ }, { "bytes_toclient", T_INT },
	{ "bytes_toserver", T_INT }, { "dest_ip", T_STR },
	{ "dest_port", T_INT }, { "elephant", T_BOOL }, { "emergency", T_BOOL },
	{ "end", T_STR }, { "exception_policy", T_ARR },
	{ "pkts_toclient", T_INT }, { "pkts_toserver", T_INT },
	{ "reason", T_STR }, { "src_ip", T_STR }, { "src_port", T_INT },
	{ "start", T_STR }, { "state", T_STR }, { "tx_cnt", T_INT },
	{ "wrong_thread", T_BOOL },
};

#define N(a) (sizeof a / sizeof a[0])

/* Objects whose members are checked, and the member each requires
 * (EVE's dns object says which version of its layout it has). */
static const struct {
	const char *name;
	const struct member *m;
	size_t n;
	const char *required;
} objects[] = {
	{ "alert", alert, N(alert), NULL },
	{ "anomaly", anomaly, N(anomaly), NULL },
	{ "http", http, N(http), NULL },
	{ "dns", dns, N(dns), "version" },
	{ "tls", tls, N(tls), NULL },
	{ "flow", flow, N(flow), NULL },
};

/* Event types of EVE (their object shares the name, but for stats). */
static const char *const eve_types[] = {
	"alert", "anomaly", "http", "dns", "tls", "flow", "netflow",
	"fileinfo", "drop", "ssh", "smtp", "smb", "nfs", "rpc", "ftp",
	"ftp_data", "dhcp", "krb5", "ike", "snmp", "sip", "rdp", "rfb", "mqtt",
	"http2", "quic", "pgsql", "dnp3", "modbus", "tftp", "bittorrent_dht",
	"websocket", "ldap", "pop3", "mdns", "arp", "frame", "dcerpc", "enip",
	"template", "pkthdr", "engine",
};

int kr_eve_type(struct kr_str event_type)
{
	for (size_t i = 0; i < N(eve_types); i++)
		if (kr_str_eq(event_type, eve_types[i]))
			return 1;
	return 0;
}

static const struct member *find(const struct member *m, size_t n,
				 const struct kr_jdoc *d, uint32_t key)
{
	for (size_t i = 0; i < n; i++)
		if (kr_jkey_is(d, key, m[i].name))
			return &m[i];
	return NULL;
}

static const char *type_name(enum vt t)
{
	switch (t) {
	case T_STR: return "a string";
	case T_INT: return "an integer";
	case T_BOOL: return "true or false";
	case T_OBJ: return "an object";
	case T_ARR: return "an array";
	case T_NUM: return "a number";
	default: return "a value";
	}
}

static int type_ok(const struct kr_jdoc *d, uint32_t v, enum vt t)
{
	int64_t i;

	switch (t) {
	case T_ANY: return 1;
	case T_STR: return kr_jtype(d, v) == KR_J_STRING;
	case T_INT: return kr_jint(d, v, &i) == 0;
	case T_BOOL: return kr_jtype(d, v) == KR_J_TRUE ||
			    kr_jtype(d, v) == KR_J_FALSE;
	case T_OBJ: return kr_jtype(d, v) == KR_J_OBJECT;
	case T_ARR: return kr_jtype(d, v) == KR_J_ARRAY;
	case T_NUM: return kr_jtype(d, v) == KR_J_NUMBER;
	}
	return 0;
}

/* Suricata's pattern for timestamps: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}
 * \.\d+[+-]\d+ */
static int eve_timestamp(struct kr_str s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.";
	size_t i, k;

	if (s.n < sizeof form + 2)
		return 0;
	for (i = 0; i < sizeof form - 1; i++) {
		char c = s.p[i];

		if (form[i] == 'd' ? c < '0' || c > '9' : c != form[i])
			return 0;
	}
	for (k = i; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++)
		;
	if (i == k || i >= s.n || (s.p[i] != '+' && s.p[i] != '-'))
		return 0;
	for (k = ++i; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++)
		;
	return i > k && i == s.n;
}

static void keyname(const struct kr_jdoc *d, uint32_t key, char *out,
		    size_t cap)
{
	struct kr_str raw = kr_jraw(d, key);
	size_t n = raw.n > 2 ? raw.n - 2 : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(out, raw.p + 1, n);
	out[n] = '\0';
	/* Only printable ASCII goes into a message. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
}

static enum ks_status check_object(const struct kr_jdoc *d, uint32_t obj,
				   const char *name, const struct member *m,
				   size_t n, struct ks_err *err)
{
	for (uint32_t k = kr_jfirst(d, obj); k != KR_JNONE;
	     k = kr_jnext(d, obj, k)) {
		const struct member *f = find(m, n, d, k);
		char kn[64];

		if (f == NULL) {
			keyname(d, k, kn, sizeof kn);
			return ks_err_set(err, KS_ERR_INVALID,
					  "%s.%s is not a member of EVE's %s",
					  name, kn, name);
		}
		if (!type_ok(d, k + 1, f->type))
			return ks_err_set(err, KS_ERR_INVALID,
					  "%s.%s must be %s", name, f->name,
					  type_name(f->type));
	}
	return KS_OK;
}

enum ks_status kr_eve_format(struct ks_buf *b, const struct kr_event *e,
			     struct kr_eve_info *info, struct ks_err *err)
{
	const struct kr_jdoc *d = e->doc;
	size_t start = b->len;
	int first = 1;
	enum ks_status st = KS_OK;

	info->nstripped = 0;
	info->stripped_more = 0;
	if (d == NULL || e->own || !kr_eve_type(e->event_type))
		return KS_ERR_UNSUPPORTED;
	{
		uint32_t ts = kr_jget(d, 0, "timestamp");
		struct kr_str s;
		struct ks_arena a;

		ks_arena_init(&a, 4096);
		if (kr_jstr(d, ts, &a, &s) != 0 || s.p == NULL ||
		    !eve_timestamp(s)) {
			ks_arena_free(&a);
			return ks_err_set(err, KS_ERR_INVALID,
					  "timestamp is not in EVE's form");
		}
		ks_arena_free(&a);
	}
	/* Check everything before writing anything. */
	for (uint32_t k = kr_jfirst(d, 0); k != KR_JNONE; k = kr_jnext(d, 0, k)) {
		const struct member *f = find(top, N(top), d, k);

		if (f == NULL)
			continue;
		if (!type_ok(d, k + 1, f->type))
			return ks_err_set(err, KS_ERR_INVALID, "%s must be %s",
					  f->name, type_name(f->type));
		if ((strcmp(f->name, "src_port") == 0 ||
		     strcmp(f->name, "dest_port") == 0)) {
			int64_t v;

			kr_jint(d, k + 1, &v);
			if (v < 0 || v > 65535)
				return ks_err_set(err, KS_ERR_INVALID,
						  "%s is not a port number",
						  f->name);
		}
		for (size_t o = 0; o < N(objects); o++) {
			if (strcmp(f->name, objects[o].name) != 0)
				continue;
			st = check_object(d, k + 1, objects[o].name,
					  objects[o].m, objects[o].n, err);
			if (st != KS_OK)
				return st;
			if (objects[o].required != NULL &&
			    kr_jget(d, k + 1, objects[o].required) == KR_JNONE)
				return ks_err_set(err, KS_ERR_INVALID,
						  "%s.%s is missing",
						  objects[o].name,
						  objects[o].required);
		}
	}
	st = ks_buf_putc(b, '{');
	for (uint32_t k = kr_jfirst(d, 0); k != KR_JNONE && st == KS_OK;
	     k = kr_jnext(d, 0, k)) {
		struct kr_str kraw, vraw;

		if (find(top, N(top), d, k) == NULL) {
			if (info->nstripped < KR_EVE_MAX_STRIPPED) {
				struct kr_str r = kr_jraw(d, k);

				info->stripped[info->nstripped++] =
					(struct kr_str){ r.p + 1, r.n - 2 };
			} else {
				info->stripped_more++;
			}
			continue;
		}
		kraw = kr_jraw(d, k);
		vraw = kr_jraw(d, k + 1);
		if (!first)
			st = ks_buf_putc(b, ',');
		first = 0;
		if (st == KS_OK)
			st = ks_buf_append(b, kraw.p, kraw.n);
		if (st == KS_OK)
			st = ks_buf_putc(b, ':');
		if (st == KS_OK)
			st = ks_buf_append(b, vraw.p, vraw.n);
	}
	if (st == KS_OK)
		st = ks_buf_append(b, "}\n", 2);
	if (st != KS_OK && b->data != NULL) {
		b->len = start;
		b->data[start] = '\0';
	}
	return st;
}
