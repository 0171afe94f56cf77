/*
 * Scans and sweeps: TCP SYN and connect port scans, UDP port scans, NULL,
 * FIN and XMAS (stealth) scans, and host sweeps.
 *
 * A scan is one source probing many ports of one target; a sweep is one
 * source probing one port (or ICMP echo or timestamp) on many hosts.  Both
 * count distinct probed items in a window and leave out the items that
 * answered as a service would (RFC 9293 section 3.5: a SYN-ACK; a UDP
 * reply), so ordinary clients, whose connections are answered, never add
 * up: what adds up is closed ports (RST, ICMP port
 * unreachable, RFC 1122 section 3.2.2.1) and silence.  A probe that an
 * ICMP time exceeded message quotes (RFC 792, RFC 4443 section 3.3) never
 * reached its target, so it counts as answered: a traceroute is not a
 * scan of its destination.  A port unreachable whose probe was not seen
 * (a one-sided capture) counts as a probe.  An ICMP echo or timestamp
 * reply leaves nothing out: no service is used by pinging many hosts, and
 * a ping sweep of live hosts is answered by all of them.
 *
 * Stealth probes are TCP segments with none of SYN, ACK and RST and no
 * data outside a session (nmap -sN, -sF, -sX): no TCP stack sends them,
 * and closed ports answer them with RST (RFC 9293 section 3.10.7.1).
 */
#include <string.h>

#include "core/breader.h"
#include "net/det-int.h"

/* UDP traceroute's destination ports (33434 and up, one per probe, 100
 * at most by default): a traceroute runs through them on purpose. */
#define TRACEROUTE_FIRST 33434
#define TRACEROUTE_LAST 33534

static int traceroute_port(uint16_t port)
{
	return port >= TRACEROUTE_FIRST && port <= TRACEROUTE_LAST;
}

static uint64_t pkt_bytes(const struct kn_pkt *p)
{
	return p->wirelen != 0 ? p->wirelen : p->caplen;
}

static void sweep_key(struct kn_dkey *k, const struct kn_addr *src,
		      uint8_t proto, uint16_t port)
{
	kn_key(k, KN_AT_HOST_SWEEP, src, NULL);
	k->proto = proto;
	k->port = port;
}

/* Count a probe for item in the tracker of key k. */
static uint32_t probe(struct kn_det *d, const struct kn_dkey *k, uint32_t item,
		      uint8_t proto, const struct kn_pkt *p, uint64_t now,
		      int *was_new)
{
	struct kn_trk *t = kn_trk_get(d, KN_TAB_SRC, k, now);
	int added = kn_dset_add(d, t, item);

	if (was_new != NULL)
		*was_new = added;

	if (added)
		t->distinct++;
	if (!t->active)
		t->proto = proto;
	/* Outside an episode the measure is the new (unanswered) items;
	 * during one, its probes. */
	if (kn_trk_add(d, t, now, pkt_bytes(p), t->active ? 1 : (uint64_t)added,
		       1))
		return kn_det_bit((enum kn_attack_class)k->cls);
	return 0;
}

static uint32_t port_probe(struct kn_det *d, enum kn_attack_class cls,
			   const struct kn_pkt *p, uint64_t now)
{
	struct kn_dkey k;

	kn_key(&k, cls, &p->src, &p->dst);
	return probe(d, &k, p->dport, p->proto, p, now, &d->new_port);
}

static uint32_t sweep_probe(struct kn_det *d, const struct kn_pkt *p,
			    uint16_t port, uint64_t now)
{
	struct kn_dkey k;

	sweep_key(&k, &p->src, p->proto, port);
	return probe(d, &k, kn_addr_item(d, &p->dst), p->proto, p, now, NULL);
}

/* The item answered: it no longer counts towards an episode's start. */
static void answered(struct kn_det *d, const struct kn_dkey *k, uint32_t item)
{
	struct kn_trk *t = kn_trk_find(d, KN_TAB_SRC, k);

	if (t != NULL && kn_dset_answer(d, t, item) && !t->active)
		kn_trk_shrink(d, t);
}

/* scanner's probe of target on port (for ICMP: the probe's type) was
 * answered. */
static void answer(struct kn_det *d, const struct kn_addr *scanner,
		   const struct kn_addr *target, uint8_t proto, uint16_t port)
{
	struct kn_dkey k;

	if (proto == 6 || proto == 17) {
		kn_key(&k, proto == 6 ? KN_AT_TCP_PORTSCAN : KN_AT_UDP_PORTSCAN,
		       scanner, target);
		answered(d, &k, port);
	}
	sweep_key(&k, scanner, proto, port);
	answered(d, &k, kn_addr_item(d, target));
}

static uint32_t tcp(struct kn_det *d, const struct kn_pkt *p,
		    const struct kn_flow *fl, int dir, uint64_t now)
{
	uint8_t f = p->tcp_flags & (KN_TH_SYN | KN_TH_ACK | KN_TH_RST);

	if (f == KN_TH_SYN) {
		/* The second SYN of a simultaneous open is no probe. */
		if (fl != NULL && dir == KN_TO_CLIENT)
			return 0;
		return port_probe(d, KN_AT_TCP_PORTSCAN, p, now) |
		       sweep_probe(d, p, p->dport, now);
	}
	if (f == (KN_TH_SYN | KN_TH_ACK)) {
		answer(d, &p->dst, &p->src, 6, p->sport);
		return 0;
	}
	if (f == 0 && p->payload_len == 0 && p->payload_wire == 0 &&
	    !kn_det_in_session(fl))
		return port_probe(d, KN_AT_STEALTH_SCAN, p, now);
	return 0;
}

static uint32_t udp(struct kn_det *d, const struct kn_pkt *p,
		    const struct kn_flow *fl, int dir, uint64_t now)
{
	int probe_ = 0, reply = 0;

	if (fl != NULL) {
		/* The first datagram each way: the probe and its answer;
		 * the rest of a flow is neither. */
		probe_ = dir == KN_TO_SERVER && fl->pkts[KN_TO_SERVER] == 1;
		reply = dir == KN_TO_CLIENT && fl->pkts[KN_TO_CLIENT] == 1;
	} else {
		/* Without a flow, a datagram from a service port to a
		 * client port is taken for a reply. */
		reply = p->sport < 1024 && p->dport >= 1024;
		probe_ = !reply;
	}
	if (reply) {
		answer(d, &p->dst, &p->src, 17, p->sport);
		return 0;
	}
	if (!probe_ || traceroute_port(p->dport))
		return 0;
	return port_probe(d, KN_AT_UDP_PORTSCAN, p, now) |
	       sweep_probe(d, p, p->dport, now);
}

/* The start of the datagram an ICMP error quotes (RFC 792: the IP header
 * and 8 bytes; RFC 4443 section 2.4 (c): as much as fits). */
struct quote {
	uint8_t proto;
	struct kn_addr src, dst;
	uint16_t dport;              /* TCP and UDP */
	uint8_t type;                /* ICMP and ICMPv6 */
};

static int read_quote(const struct kn_pkt *p, struct quote *q)
{
	struct ks_br r;
	size_t hl;
	uint16_t frag;
	uint8_t vhl;

	memset(q, 0, sizeof *q);
	ks_br_init(&r, p->payload, p->payload_len);
	if (p->ipv == 4) {
		/* RFC 791 section 3.1. */
		vhl = ks_br_u8(&r);
		hl = (size_t)(vhl & 15) * 4;
		ks_br_skip(&r, 5);              /* TOS, length, id */
		frag = ks_br_u16be(&r);
		ks_br_skip(&r, 1);              /* TTL */
		q->proto = ks_br_u8(&r);
		ks_br_skip(&r, 2);              /* checksum */
		q->src.family = q->dst.family = 4;
		ks_br_copy(&r, q->src.b, 4);
		ks_br_copy(&r, q->dst.b, 4);
		if (vhl >> 4 != 4 || hl < 20 || (frag & 0x1fff) != 0)
			return -1;
		ks_br_skip(&r, hl - 20);        /* options */
	} else {
		/* RFC 8200 section 3; a quote with extension headers is
		 * left alone. */
		vhl = ks_br_u8(&r);
		ks_br_skip(&r, 5);              /* class, label, length */
		q->proto = ks_br_u8(&r);
		ks_br_skip(&r, 1);              /* hop limit */
		q->src.family = q->dst.family = 6;
		ks_br_copy(&r, q->src.b, 16);
		ks_br_copy(&r, q->dst.b, 16);
		if (vhl >> 4 != 6)
			return -1;
	}
	switch (q->proto) {
	case 6:
	case 17:
		ks_br_skip(&r, 2);
		q->dport = ks_br_u16be(&r);
		break;
	case 1:
	case 58:
		q->type = ks_br_u8(&r);
		break;
	default:
		return -1;
	}
	if (ks_br_fault(&r) != KS_BR_OK)
		return -1;
	/* An error goes back to the quoted datagram's sender. */
	return kn_same_addr(&q->src, &p->dst) ? 0 : -1;
}

int kn_det_icmp_error_answer(const struct kn_pkt *p)
{
	struct quote q;
	int error;

	if (p->proto == 1)          /* RFC 792, RFC 1191: 3, 4, 5, 11, 12 */
		error = p->icmp_type == 3 || p->icmp_type == 4 ||
			p->icmp_type == 5 || p->icmp_type == 11 ||
			p->icmp_type == 12;
	else if (p->proto == 58)    /* RFC 4443 section 2.1: below 128 */
		error = p->icmp_type < 128;
	else
		return 0;
	return error && read_quote(p, &q) == 0;
}

enum { Q_EXPIRED, Q_PORT_UNREACHABLE };

static uint32_t quoted(struct kn_det *d, const struct kn_pkt *p, int kind,
		       uint64_t now)
{
	struct quote q;
	struct kn_dkey k;
	struct kn_trk *t;

	if (read_quote(p, &q) != 0)
		return 0;
	if (kind == Q_EXPIRED) {
		if (q.proto == 6 || q.proto == 17)
			answer(d, &q.src, &q.dst, q.proto, q.dport);
		else if (q.proto == p->proto)
			answer(d, &q.src, &q.dst, q.proto, q.type);
		return 0;
	}
	if (q.proto != 17 || traceroute_port(q.dport))
		return 0;
	/* The target says the port is closed: a probe, whether or not it
	 * was seen (the error is not one of the scanner's packets). */
	kn_key(&k, KN_AT_UDP_PORTSCAN, &q.src, &q.dst);
	t = kn_trk_get(d, KN_TAB_SRC, &k, now);
	if (!kn_dset_add(d, t, q.dport))
		return 0;
	t->distinct++;
	if (!t->active)
		t->proto = 17;
	kn_trk_add(d, t, now, 0, t->active ? 0 : 1, 0);
	return 0;
}

static uint32_t icmp4(struct kn_det *d, const struct kn_pkt *p, uint64_t now)
{
	switch (p->icmp_type) {
	case 8:                          /* echo */
	case 13:                         /* timestamp */
		return sweep_probe(d, p, p->icmp_type, now);
	case 3:
		if (p->icmp_code == 3)
			return quoted(d, p, Q_PORT_UNREACHABLE, now);
		return 0;
	case 11:
		return quoted(d, p, Q_EXPIRED, now);
	default:
		return 0;
	}
}

static uint32_t icmp6(struct kn_det *d, const struct kn_pkt *p, uint64_t now)
{
	switch (p->icmp_type) {
	case 128:                        /* echo request */
		return sweep_probe(d, p, p->icmp_type, now);
	case 1:
		if (p->icmp_code == 4)
			return quoted(d, p, Q_PORT_UNREACHABLE, now);
		return 0;
	case 3:
		return quoted(d, p, Q_EXPIRED, now);
	default:
		return 0;
	}
}

uint32_t kn_det_scan(struct kn_det *d, const struct kn_pkt *p,
		     const struct kn_flow *fl, int dir, uint64_t now)
{
	switch (p->proto) {
	case 6:
		return tcp(d, p, fl, dir, now);
	case 17:
		return udp(d, p, fl, dir, now);
	case 1:
		return p->ipv == 4 ? icmp4(d, p, now) : 0;
	case 58:
		return p->ipv == 6 ? icmp6(d, p, now) : 0;
	default:
		return 0;
	}
}
