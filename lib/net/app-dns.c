/*
 * DNS messages (RFC 1035 section 4.1) over UDP and over TCP (RFC 1035
 * section 4.2.2, RFC 7766 section 8: each message after a two-byte length,
 * several in one stream, any of them split over segments).
 *
 * Read: the header, the first question, and up to KN_DNS_MAX_ANSWERS
 * answers with the data of A, AAAA, CNAME, PTR, NS and MX records.  Names
 * are decompressed (section 4.1.4) under three rules that make every name
 * finite: a pointer must point before the place where the labels being
 * read started (so jumps only go backwards and cannot loop), a name has
 * at most 255 bytes on the wire and 127 labels (section 3.1), and label
 * types other than plain and pointer are refused.  Names are written in
 * presentation form (section 5.1): labels joined by dots, a dot or
 * backslash inside a label escaped with a backslash, and bytes outside
 * printable ASCII (and space) as \DDD.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/breader.h"
#include "net/app-int.h"

#define DNS_MAX_WIRE 255
#define DNS_MAX_LABELS 127

const char *kn_dns_type_name(uint16_t type)
{
	static const char *const low[] = {
		[1] = "A", [2] = "NS", [3] = "MD", [4] = "MF", [5] = "CNAME",
		[6] = "SOA", [7] = "MB", [8] = "MG", [9] = "MR", [10] = "NULL",
		[11] = "WKS", [12] = "PTR", [13] = "HINFO", [14] = "MINFO",
		[15] = "MX", [16] = "TXT", [17] = "RP", [18] = "AFSDB",
		[19] = "X25", [20] = "ISDN", [21] = "RT", [22] = "NSAP",
		[23] = "NSAP-PTR", [24] = "SIG", [25] = "KEY", [26] = "PX",
		[27] = "GPOS", [28] = "AAAA", [29] = "LOC", [30] = "NXT",
		[31] = "EID", [32] = "NIMLOC", [33] = "SRV", [34] = "ATMA",
		[35] = "NAPTR", [36] = "KX", [37] = "CERT", [38] = "A6",
		[39] = "DNAME", [40] = "SINK", [41] = "OPT", [42] = "APL",
		[43] = "DS", [44] = "SSHFP", [45] = "IPSECKEY", [46] = "RRSIG",
		[47] = "NSEC", [48] = "DNSKEY", [49] = "DHCID", [50] = "NSEC3",
		[51] = "NSEC3PARAM", [52] = "TLSA", [53] = "SMIMEA",
		[55] = "HIP", [56] = "NINFO", [57] = "RKEY", [58] = "TALINK",
		[59] = "CDS", [60] = "CDNSKEY", [61] = "OPENPGPKEY",
		[62] = "CSYNC", [63] = "ZONEMD", [64] = "SVCB", [65] = "HTTPS",
		[99] = "SPF",
	};

	if (type < sizeof low / sizeof low[0])
		return low[type];
	switch (type) {
	case 249: return "TKEY";
	case 250: return "TSIG";
	case 251: return "IXFR";
	case 252: return "AXFR";
	case 253: return "MAILB";
	case 254: return "MAILA";
	case 255: return "ANY";
	case 256: return "URI";
	case 257: return "CAA";
	default: return NULL;
	}
}

const char *kn_dns_rcode_name(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE", "DSOTYPENI",
	};

	if (rcode >= 0 && rcode < (int)(sizeof names / sizeof names[0]))
		return names[rcode];
	return NULL;
}

/* Append one label in presentation form; out has room (checked by the
 * caller: at most 4 characters per byte). */
static size_t put_label(char *out, const uint8_t *l, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = l[i];

		if (c == '.' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c > 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = (char)('0' + c / 100);
			out[o++] = (char)('0' + c / 10 % 10);
			out[o++] = (char)('0' + c % 10);
		}
	}
	return o;
}

/*
 * Read the name at *pos of msg[0..n) into out[KN_DNS_NAME_MAX]; *pos moves
 * past it (past the first pointer, where there is one).  Returns 0, or -1
 * for a name that breaks the rules above.
 */
static int read_name(const uint8_t *msg, size_t n, size_t *pos, char *out)
{
	size_t p = *pos, run = *pos, wire = 1, o = 0;
	int labels = 0, jumped = 0;

	out[0] = '\0';
	for (;;) {
		uint8_t c;

		if (p >= n)
			return -1;
		c = msg[p];
		if (c == 0) {
			if (!jumped)
				*pos = p + 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (p + 1 >= n)
				return -1;
			to = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			/* Only backwards from where this run of labels
			 * started: each jump lands earlier than the last. */
			if (to >= run)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = run = to;
			continue;
		}
		if (c & 0xc0)
			return -1;   /* extended label types (RFC 6891) */
		if (p + 1 + c > n)
			return -1;
		wire += 1 + (size_t)c;
		if (wire > DNS_MAX_WIRE || ++labels > DNS_MAX_LABELS)
			return -1;
		if (o > 0)
			out[o++] = '.';
		o += put_label(out + o, msg + p + 1, c);
		p += 1 + (size_t)c;
	}
	out[o] = '\0';
	return 0;
}

/* The data of an answer at msg[at..at+rdlen); names in it may point
 * anywhere before it. */
static int read_rdata(const uint8_t *msg, size_t at, size_t rdlen,
		      uint16_t type, char *out)
{
	size_t pos = at;

	out[0] = '\0';
	switch (type) {
	case 1:
		if (rdlen != 4)
			return -1;
		inet_ntop(AF_INET, msg + at, out, KN_DNS_NAME_MAX);
		return 0;
	case 28:
		if (rdlen != 16)
			return -1;
		inet_ntop(AF_INET6, msg + at, out, KN_DNS_NAME_MAX);
		return 0;
	case 15:
		/* MX: a preference, then the exchange's name. */
		if (rdlen < 3)
			return -1;
		pos += 2;
		__attribute__((fallthrough));
	case 2:
	case 5:
	case 12:
		if (read_name(msg, at + rdlen, &pos, out) != 0)
			return -1;
		return pos == at + rdlen ? 0 : -1;
	default:
		return 0;
	}
}

enum kn_dns_result kn_dns_parse(const uint8_t *msg, size_t n,
				struct kn_dns_msg *m)
{
	struct ks_br r;
	uint16_t flags, qd, an;
	size_t pos;

	m->qname[0] = '\0';
	m->qtype = m->qclass = 0;
	m->nanswers = 0;
	ks_br_init(&r, msg, n);
	m->id = ks_br_u16be(&r);
	flags = ks_br_u16be(&r);
	qd = ks_br_u16be(&r);
	an = ks_br_u16be(&r);
	ks_br_skip(&r, 4);           /* authority and additional counts */
	if (ks_br_fault(&r) != KS_BR_OK)
		return KN_DNS_BAD;
	m->response = flags >> 15;
	m->opcode = flags >> 11 & 0xf;
	m->rcode = flags & 0xf;
	pos = 12;
	for (uint16_t i = 0; i < qd; i++) {
		char scratch[KN_DNS_NAME_MAX];

		if (read_name(msg, n, &pos, i == 0 ? m->qname : scratch) != 0 ||
		    pos + 4 > n)
			return i == 0 ? KN_DNS_BAD : KN_DNS_PARTIAL;
		if (i == 0) {
			m->qtype = (uint16_t)(msg[pos] << 8 | msg[pos + 1]);
			m->qclass = (uint16_t)(msg[pos + 2] << 8 | msg[pos + 3]);
		}
		pos += 4;
	}
	for (uint16_t i = 0; i < an && m->nanswers < KN_DNS_MAX_ANSWERS; i++) {
		struct kn_dns_answer *a = &m->answers[m->nanswers];
		size_t rdlen;

		if (read_name(msg, n, &pos, a->rrname) != 0 || pos + 10 > n)
			return KN_DNS_PARTIAL;
		ks_br_init(&r, msg + pos, 10);
		a->rrtype = ks_br_u16be(&r);
		ks_br_skip(&r, 2);
		a->ttl = ks_br_u32be(&r);
		rdlen = ks_br_u16be(&r);
		pos += 10;
		if (pos + rdlen > n ||
		    read_rdata(msg, pos, rdlen, a->rrtype, a->rdata) != 0)
			return KN_DNS_PARTIAL;
		pos += rdlen;
		m->nanswers++;
	}
	return KN_DNS_OK;
}

static void one_message(const struct kn_app_env *e, const uint8_t *msg,
			size_t n, int tcp)
{
	/* Large (about 34 KiB): static storage would not be reentrant, and
	 * the stack of every supported platform holds it. */
	struct kn_dns_msg m;
	enum kn_dns_result res = kn_dns_parse(msg, n, &m);

	m.tcp = tcp;
	if (res != KN_DNS_BAD && e->cb->dns != NULL)
		e->cb->dns(e->cb->ctx, e->f, &m, e->p);
	if (res != KN_DNS_OK)
		kn_app_report(e, "dns", "dns.malformed");
}

void kn_dns_udp(const struct kn_app_env *e, const uint8_t *msg, size_t n)
{
	one_message(e, msg, n, 0);
}

/* ---- over TCP ------------------------------------------------------- */

struct dns_dir {
	uint8_t lenb[2];
	size_t nlen;                 /* length bytes read (0..2) */
	size_t need;                 /* the message's length */
	struct ks_buf msg;           /* a message split over deliveries */
	int stopped;
};

struct kn_dns_tcp {
	struct dns_dir d[2];
};

struct kn_dns_tcp *kn_dns_tcp_new(void)
{
	struct kn_dns_tcp *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	ks_buf_init(&t->d[0].msg, 65535);
	ks_buf_init(&t->d[1].msg, 65535);
	return t;
}

void kn_dns_tcp_free(struct kn_dns_tcp *t)
{
	if (t == NULL)
		return;
	ks_buf_free(&t->d[0].msg);
	ks_buf_free(&t->d[1].msg);
	free(t);
}

/*
 * The length prefix frames every message, so a malformed message is
 * reported and the next one read; only lost bytes (the framing is gone)
 * or a zero length stop the direction.
 */
void kn_dns_tcp_data(struct kn_dns_tcp *t, const struct kn_app_env *e,
		     int dir, const uint8_t *data, size_t len)
{
	struct dns_dir *d;

	if (t == NULL || dir < 0 || dir > 1)
		return;
	d = &t->d[dir];
	if (d->stopped)
		return;
	if (data == NULL) {
		d->stopped = 1;
		return;
	}
	while (len > 0) {
		size_t take;

		if (d->nlen < 2) {
			d->lenb[d->nlen++] = *data++;
			len--;
			if (d->nlen == 2) {
				d->need = (size_t)d->lenb[0] << 8 | d->lenb[1];
				if (d->need == 0) {
					kn_app_report(e, "dns", "dns.malformed");
					d->stopped = 1;
					return;
				}
			}
			continue;
		}
		if (d->msg.len == 0 && len >= d->need) {
			/* The whole message is here: read it in place. */
			one_message(e, data, d->need, 1);
			data += d->need;
			len -= d->need;
			d->nlen = 0;
			continue;
		}
		take = d->need - d->msg.len;
		if (take > len)
			take = len;
		if (ks_buf_append(&d->msg, data, take) != KS_OK) {
			d->stopped = 1;
			return;
		}
		data += take;
		len -= take;
		if (d->msg.len == d->need) {
			one_message(e, d->msg.data, d->msg.len, 1);
			ks_buf_reset(&d->msg);
			d->nlen = 0;
		}
	}
}
