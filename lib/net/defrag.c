/*
 * IPv4 and IPv6 defragmentation (RFC 791 section 3.2, RFC 8200 section
 * 4.5; tiny fragments RFC 1858 and RFC 7112), bounded.
 *
 * Each datagram in progress is found by a hash of its key (addresses,
 * identification, IPv4's protocol, VLAN ids) under a random seed, so that
 * chains cannot be lengthened on purpose.  Its data is a sorted list of
 * disjoint pieces: a fragment adds only the bytes no piece holds yet, so
 * what arrived first wins every overlap (the BSD policy, as defrag.h
 * says), and the overlapping bytes are compared with what is held to tell
 * a harmless duplicate from a Teardrop-style rewrite.  A datagram is
 * complete when its last fragment is known and the pieces cover
 * [0, end); pieces never extend past the end, so that is one comparison.
 *
 * Every datagram is also on an age list, oldest first: timeouts run from
 * its head (the timeout is the same for all, so creation order is expiry
 * order, but for packet times that go backwards), and room for memory or
 * for the datagram cap is made by dropping from its head.
 *
 * Memory counted against max_mem: each datagram's record, the
 * unfragmentable header kept from its first fragment, and each piece's
 * record and bytes.  Not counted: the hash table and the one output
 * buffer (fixed at creation).
 *
 * A fragment whose data the capture cut cannot be put back; it is
 * refused without an event (the decoder reported the cut).  A fragment
 * refused because of max_frags, or because memory could not be made, is
 * refused without an event either: the caller reports such a refusal as
 * "frag_ignored".
 */
#include "net/defrag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/breader.h"
#include "core/u64map.h"
#include "net/dec.h"

#define IP_MAX 65535u
#define IPV6_HLEN 40
#define FRAG_HLEN 8
#define OUT_MAX (IPV6_HLEN + IP_MAX)

struct piece {
	struct piece *next;
	uint32_t off, len;
	uint8_t data[];
};

struct dgram {
	struct dgram *hnext;             /* hash chain */
	struct dgram *older, *newer;     /* age list */
	uint64_t hash;
	/* The key. */
	uint8_t family, proto, nvlan;
	uint16_t vlan[KN_MAX_VLAN];
	uint32_t id;
	uint8_t src[16], dst[16];
	/* The state. */
	uint64_t expires_us;
	struct piece *pieces;            /* sorted, disjoint */
	size_t nfrags;                   /* fragments accepted */
	uint32_t covered;                /* bytes the pieces hold */
	uint32_t maxend;                 /* the furthest byte held */
	uint32_t end;                    /* with have_last: the length */
	int have_last;
	uint8_t *hdr;                    /* from the offset-0 fragment */
	size_t hdr_len;
	size_t nh_off;                   /* IPv6: the byte naming the
					    fragment header, in hdr */
	uint8_t v6_nh;                   /* IPv6: the offset-0 fragment
					    header's Next Header */
	size_t mem;
};

struct kn_defrag {
	struct kn_defrag_conf c;
	struct dgram **buckets;
	size_t nbuckets;                 /* a power of two */
	struct dgram *oldest, *newest;
	size_t count;
	uint64_t seed;
	struct kn_defrag_stats st;
	uint8_t *out;                    /* OUT_MAX bytes */
};

void kn_defrag_defaults(struct kn_defrag_conf *c)
{
	c->max_mem = 32u << 20;
	c->max_datagrams = 65536;
	c->max_frags = 256;
	c->timeout_us = 60ull * 1000000u;
	c->tiny_first = 0;       /* by protocol: 20 for TCP, 8 otherwise */
}

struct kn_defrag *kn_defrag_new(const struct kn_defrag_conf *c)
{
	struct kn_defrag *d = calloc(1, sizeof *d);
	size_t n = 64;

	if (d == NULL)
		return NULL;
	d->c = *c;
	while (n < c->max_datagrams && n < (1u << 20))
		n *= 2;
	d->nbuckets = n;
	d->buckets = calloc(n, sizeof *d->buckets);
	d->out = malloc(OUT_MAX);
	if (d->buckets == NULL || d->out == NULL) {
		kn_defrag_free(d);
		return NULL;
	}
	if (getrandom(&d->seed, sizeof d->seed, GRND_NONBLOCK) !=
	    (ssize_t)sizeof d->seed)
		d->seed = (uint64_t)(uintptr_t)d ^ 0x9e3779b97f4a7c15ull;
	return d;
}

static void dg_free(struct dgram *g)
{
	struct piece *q = g->pieces, *n;

	for (; q != NULL; q = n) {
		n = q->next;
		free(q);
	}
	free(g->hdr);
	free(g);
}

void kn_defrag_free(struct kn_defrag *d)
{
	struct dgram *g, *n;

	if (d == NULL)
		return;
	for (g = d->oldest; g != NULL; g = n) {
		n = g->newer;
		dg_free(g);
	}
	free(d->buckets);
	free(d->out);
	free(d);
}

void kn_defrag_get_stats(const struct kn_defrag *d, struct kn_defrag_stats *s)
{
	*s = d->st;
}

/* ---- the table ---------------------------------------------------------- */

static uint64_t key_hash(const struct kn_defrag *d, const struct dgram *k)
{
	uint64_t h = d->seed, w[4];

	memcpy(w, k->src, 16);
	memcpy(w + 2, k->dst, 16);
	h = ks_u64map_mix(h ^ k->id ^ (uint64_t)k->proto << 32 ^
			  (uint64_t)k->family << 40 ^
			  (uint64_t)k->nvlan << 48);
	h = ks_u64map_mix(h ^ k->vlan[0] ^ (uint64_t)k->vlan[1] << 16);
	for (int i = 0; i < 4; i++)
		h = ks_u64map_mix(h ^ w[i]);
	return h;
}

static int key_eq(const struct dgram *a, const struct dgram *b)
{
	return a->hash == b->hash && a->family == b->family &&
	       a->id == b->id && a->proto == b->proto &&
	       a->nvlan == b->nvlan && a->vlan[0] == b->vlan[0] &&
	       a->vlan[1] == b->vlan[1] &&
	       memcmp(a->src, b->src, 16) == 0 &&
	       memcmp(a->dst, b->dst, 16) == 0;
}

static void drop(struct kn_defrag *d, struct dgram *g)
{
	struct dgram **l = &d->buckets[g->hash & (d->nbuckets - 1)];

	while (*l != g)
		l = &(*l)->hnext;
	*l = g->hnext;
	if (g->older != NULL)
		g->older->newer = g->newer;
	else
		d->oldest = g->newer;
	if (g->newer != NULL)
		g->newer->older = g->older;
	else
		d->newest = g->older;
	d->count--;
	d->st.mem -= g->mem;
	dg_free(g);
}

static void charge(struct kn_defrag *d, struct dgram *g, size_t n)
{
	g->mem += n;
	d->st.mem += n;
}

size_t kn_defrag_expire(struct kn_defrag *d, uint64_t now_us)
{
	size_t n = 0;

	while (d->oldest != NULL && now_us > d->oldest->expires_us) {
		drop(d, d->oldest);
		d->st.timeouts++;
		n++;
	}
	return n;
}

/* Drop the oldest datagram other than `keep`; 0 when there is none. */
static int drop_oldest(struct kn_defrag *d, const struct dgram *keep,
		       struct kn_defrag_events *ev)
{
	struct dgram *g = d->oldest;

	if (g == keep)
		g = g->newer;
	if (g == NULL)
		return 0;
	drop(d, g);
	d->st.mem_drops++;
	ev->dropped_for_memory = 1;
	return 1;
}

/* ---- one fragment ------------------------------------------------------- */

/* What a fragment says, read from the decoded packet. */
struct frag {
	const uint8_t *data;     /* its payload, flen bytes */
	uint32_t off, flen;
	size_t unfrag;           /* octets before the payload: the IPv4
				    header, or IPv6's unfragmentable part
				    and the fragment header */
	size_t hdr_len;          /* what the reassembled header takes:
				    IPv4's header, IPv6's without the
				    fragment header */
};

/* The protocol's own idea of a tiny first fragment (RFC 1858: less than
 * the fixed TCP header; the same reasoning for UDP and ICMP headers). */
static size_t tiny_limit(const struct kn_defrag *d, uint8_t proto)
{
	if (proto != KN_IPPROTO_TCP && proto != KN_IPPROTO_UDP &&
	    proto != KN_IPPROTO_ICMP && proto != KN_IPPROTO_ICMPV6)
		return 0;
	if (d->c.tiny_first != 0)
		return d->c.tiny_first;
	return proto == KN_IPPROTO_TCP ? 20 : 8;
}

/*
 * Whether a first fragment is tiny: for IPv4 its payload is the transport
 * header; for IPv6 the extension headers of the fragmentable part come
 * first, and a first fragment that does not hold them all is tiny too
 * (RFC 7112).
 */
static int is_tiny(const struct kn_defrag *d, const struct kn_pkt *p,
		   const struct frag *f)
{
	struct ks_br r;
	size_t at = 0;
	uint8_t nh;
	int n = 0;

	if (p->ipv == 4)
		return f->flen < tiny_limit(d, p->proto);
	ks_br_init(&r, p->l3, p->l3_len);
	ks_br_skip(&r, f->unfrag - FRAG_HLEN);
	nh = ks_br_u8(&r);
	if (ks_br_fault(&r) != KS_BR_OK)
		return 0;
	ks_br_init(&r, f->data, f->flen);
	for (;;) {
		size_t len;

		if (nh != KN_IPPROTO_HOPOPTS && nh != KN_IPPROTO_ROUTING &&
		    nh != KN_IPPROTO_DSTOPTS && nh != KN_IPPROTO_AH)
			break;
		len = kn_ipv6_ext_len(nh, &r);
		if (len == 0 || len > f->flen - at || ++n > KN_MAX_IPV6_EXT)
			return 1;
		nh = (uint8_t)ks_br_u8(&r);
		ks_br_skip(&r, len - 1);
		at += len;
	}
	return f->flen - at < tiny_limit(d, nh);
}

/*
 * Keep the reassembled header from the offset-0 fragment: IPv4's whole
 * header; IPv6's header and extension headers before the fragment header,
 * with where the Next Header byte that names the fragment header is (the
 * IPv6 header's, or the last extension header's first byte).
 */
static int keep_header(struct dgram *g, const struct kn_pkt *p,
		       const struct frag *f)
{
	struct ks_br r;
	const uint8_t *h;

	ks_br_init(&r, p->l3, p->l3_len);
	if (p->ipv == 6) {
		size_t at = IPV6_HLEN, nh_off = 6;
		uint8_t nh;
		struct ks_br w;

		ks_br_init(&w, p->l3, p->l3_len);
		ks_br_skip(&w, 6);
		nh = ks_br_u8(&w);
		ks_br_skip(&w, IPV6_HLEN - 7);
		for (int n = 0; at < f->hdr_len && n < KN_MAX_IPV6_EXT; n++) {
			size_t len = kn_ipv6_ext_len(nh, &w);

			if (len == 0 || len > f->hdr_len - at)
				return -1;
			nh_off = at;
			nh = (uint8_t)ks_br_u8(&w);
			ks_br_skip(&w, len - 1);
			at += len;
		}
		if (at != f->hdr_len || nh != KN_IPPROTO_FRAGMENT ||
		    ks_br_fault(&w) != KS_BR_OK)
			return -1;
		g->nh_off = nh_off;
		g->v6_nh = (uint8_t)ks_br_u8(&w);
		if (ks_br_fault(&w) != KS_BR_OK)
			return -1;
	}
	h = ks_br_ptr(&r, f->hdr_len);
	if (h == NULL)
		return -1;
	g->hdr = malloc(f->hdr_len);
	if (g->hdr == NULL)
		return -1;
	memcpy(g->hdr, h, f->hdr_len);
	g->hdr_len = f->hdr_len;
	return 0;
}

/* The whole datagram into d->out; its length, or 0 when it would be
 * too large (the fragments' headers disagreed). */
static size_t assemble(struct kn_defrag *d, const struct dgram *g)
{
	uint8_t *o = d->out;
	size_t total = g->hdr_len + g->end;

	if ((g->family == 4 && total > IP_MAX) ||
	    (g->family == 6 && total - IPV6_HLEN > IP_MAX))
		return 0;
	memcpy(o, g->hdr, g->hdr_len);
	for (const struct piece *q = g->pieces; q != NULL; q = q->next)
		memcpy(o + g->hdr_len + q->off, q->data, q->len);
	if (g->family == 4) {
		uint32_t sum = 0;

		o[2] = (uint8_t)(total >> 8);
		o[3] = (uint8_t)total;
		o[6] &= 0x40;            /* keep Don't Fragment only */
		o[7] = 0;
		o[10] = o[11] = 0;
		for (size_t i = 0; i + 1 < g->hdr_len; i += 2)
			sum += (uint32_t)o[i] << 8 | o[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		o[10] = (uint8_t)(sum >> 8);
		o[11] = (uint8_t)sum;
	} else {
		size_t plen = total - IPV6_HLEN;

		o[4] = (uint8_t)(plen >> 8);
		o[5] = (uint8_t)plen;
		o[g->nh_off] = g->v6_nh;
	}
	return total;
}

static uint64_t pkt_us(const struct kn_pkt *p)
{
	if (p->ts.sec < 0)
		return 0;
	return (uint64_t)p->ts.sec * 1000000u + p->ts.usec;
}

static enum kn_defrag_result refuse(struct kn_defrag *d)
{
	d->st.refused++;
	return KN_DEFRAG_REFUSED;
}

/* The fragment's geometry, checked against the packet's own lengths. */
static int read_frag(const struct kn_pkt *p, struct frag *f)
{
	struct ks_br r;
	size_t wire;

	if ((p->ipv != 4 && p->ipv != 6) || p->l3 == NULL ||
	    p->frag_data == NULL || p->frag_data < p->l3 ||
	    (size_t)(p->frag_data - p->l3) > p->l3_len)
		return -1;
	f->unfrag = (size_t)(p->frag_data - p->l3);
	if (p->ip_total < f->unfrag ||
	    f->unfrag < (p->ipv == 4 ? 20u : IPV6_HLEN + FRAG_HLEN))
		return -1;
	wire = p->ip_total - f->unfrag;
	/* The capture cut the fragment: its bytes are not all here. */
	if (p->frag_len < wire || wire > IP_MAX || p->frag_off > IP_MAX)
		return -1;
	ks_br_init(&r, p->frag_data, p->frag_len);
	f->data = ks_br_ptr(&r, wire);
	if (f->data == NULL && wire > 0)
		return -1;
	f->flen = (uint32_t)wire;
	f->off = p->frag_off;
	f->hdr_len = p->ipv == 4 ? f->unfrag : f->unfrag - FRAG_HLEN;
	return 0;
}

static void make_key(const struct kn_pkt *p, struct dgram *k)
{
	memset(k, 0, sizeof *k);
	k->family = (uint8_t)p->ipv;
	/* RFC 8200 keys IPv6 fragments without the protocol. */
	k->proto = p->ipv == 4 ? p->proto : 0;
	k->nvlan = (uint8_t)p->nvlan;
	for (int i = 0; i < p->nvlan && i < KN_MAX_VLAN; i++)
		k->vlan[i] = p->vlan[i];
	k->id = p->ip_id;
	memcpy(k->src, p->src.b, p->ipv == 4 ? 4 : 16);
	memcpy(k->dst, p->dst.b, p->ipv == 4 ? 4 : 16);
}

static struct dgram *lookup(struct kn_defrag *d, struct dgram *k)
{
	struct dgram *g;

	k->hash = key_hash(d, k);
	for (g = d->buckets[k->hash & (d->nbuckets - 1)]; g != NULL;
	     g = g->hnext)
		if (key_eq(g, k))
			return g;
	return NULL;
}

static struct dgram *create(struct kn_defrag *d, const struct dgram *k,
			    uint64_t now, struct kn_defrag_events *ev)
{
	struct dgram *g;
	size_t b;

	if (d->c.max_datagrams == 0)
		return NULL;
	while (d->count >= d->c.max_datagrams)
		if (!drop_oldest(d, NULL, ev))
			return NULL;
	while (d->st.mem + sizeof *g > d->c.max_mem)
		if (!drop_oldest(d, NULL, ev))
			return NULL;
	g = malloc(sizeof *g);
	if (g == NULL)
		return NULL;
	*g = *k;
	g->expires_us = d->c.timeout_us > UINT64_MAX - now ? UINT64_MAX :
			now + d->c.timeout_us;
	b = g->hash & (d->nbuckets - 1);
	g->hnext = d->buckets[b];
	d->buckets[b] = g;
	g->newer = NULL;
	g->older = d->newest;
	if (d->newest != NULL)
		d->newest->newer = g;
	else
		d->oldest = g;
	d->newest = g;
	d->count++;
	d->st.datagrams++;
	charge(d, g, sizeof *g);
	return g;
}

/*
 * Compare the fragment with the pieces it overlaps and count what adding
 * its new bytes costs.
 */
static size_t overlaps(const struct dgram *g, const struct frag *f,
		       struct kn_defrag_events *ev)
{
	uint32_t s = f->off, e = f->off + f->flen, cur = s;
	size_t need = 0;

	for (const struct piece *q = g->pieces; q != NULL && q->off < e;
	     q = q->next) {
		uint32_t qe = q->off + q->len, os, oe;

		if (qe <= s)
			continue;
		os = q->off > s ? q->off : s;
		oe = qe < e ? qe : e;
		if (memcmp(q->data + (os - q->off), f->data + (os - s),
			   oe - os) == 0)
			ev->overlap = 1;
		else
			ev->overlap_differs = 1;
		if (q->off > cur)
			need += sizeof(struct piece) + (q->off - cur);
		if (qe > cur)
			cur = qe;
	}
	if (cur < e)
		need += sizeof(struct piece) + (e - cur);
	return need;
}

/* Add the bytes of [off, off + flen) that no piece holds. */
static int add_pieces(struct kn_defrag *d, struct dgram *g,
		      const struct frag *f)
{
	uint32_t s = f->off, e = f->off + f->flen, cur = s;
	struct piece **link = &g->pieces;

	while (*link != NULL && (*link)->off + (*link)->len <= s)
		link = &(*link)->next;
	while (cur < e) {
		struct piece *q = *link, *n;
		uint32_t stop = q != NULL && q->off < e ? q->off : e;

		if (stop > cur) {
			n = malloc(sizeof *n + (stop - cur));
			if (n == NULL)
				return -1;
			n->off = cur;
			n->len = stop - cur;
			memcpy(n->data, f->data + (cur - s), n->len);
			n->next = q;
			*link = n;
			link = &n->next;
			g->covered += n->len;
			charge(d, g, sizeof *n + n->len);
			cur = stop;
			continue;
		}
		/* q starts at or before cur: step over it. */
		if (q->off + q->len > cur)
			cur = q->off + q->len;
		link = &q->next;
	}
	if (e > g->maxend)
		g->maxend = e;
	return 0;
}

enum kn_defrag_result kn_defrag_add(struct kn_defrag *d, const struct kn_pkt *p,
				    const uint8_t **ip, size_t *len,
				    struct kn_defrag_events *ev)
{
	struct frag f;
	struct dgram key, *g;
	uint64_t now = pkt_us(p);
	uint32_t end;
	size_t need;

	memset(ev, 0, sizeof *ev);
	*ip = NULL;
	*len = 0;
	d->st.fragments++;
	if (!p->is_frag || read_frag(p, &f) != 0)
		return refuse(d);
	end = f.off + f.flen;

	/* Past 65,535 octets once put back (Ping of Death). */
	if ((p->ipv == 4 && f.hdr_len + end > IP_MAX) ||
	    (p->ipv == 6 && f.hdr_len - IPV6_HLEN + end > IP_MAX)) {
		ev->too_large = 1;
		return refuse(d);
	}
	/* Every fragment but the last carries a multiple of 8 octets, and
	 * none is empty. */
	if (f.flen == 0 || (p->more_frags && f.flen % 8 != 0)) {
		ev->bad_offset = 1;
		return refuse(d);
	}
	if (f.off == 0 && p->more_frags && is_tiny(d, p, &f))
		ev->tiny = 1;

	kn_defrag_expire(d, now);
	make_key(p, &key);
	g = lookup(d, &key);
	if (g != NULL && now > g->expires_us) {
		drop(d, g);
		d->st.timeouts++;
		g = NULL;
	}
	if (g == NULL) {
		g = create(d, &key, now, ev);
		if (g == NULL)
			return refuse(d);
	}
	if (g->nfrags >= d->c.max_frags)
		return refuse(d);

	/* The last fragment fixes the length; nothing may lie past it. */
	if (!p->more_frags) {
		if ((g->have_last && g->end != end) ||
		    (!g->have_last && g->maxend > end)) {
			ev->bad_offset = 1;
			return refuse(d);
		}
	} else if (g->have_last && end > g->end) {
		ev->bad_offset = 1;
		return refuse(d);
	}

	need = overlaps(g, &f, ev);
	if (f.off == 0 && g->hdr == NULL)
		need += f.hdr_len;
	while (d->st.mem + need > d->c.max_mem)
		if (!drop_oldest(d, g, ev))
			break;
	if (d->st.mem + need > d->c.max_mem) {
		if (g->nfrags == 0)
			drop(d, g);
		return refuse(d);
	}
	if (f.off == 0 && g->hdr == NULL) {
		if (keep_header(g, p, &f) != 0) {
			if (g->nfrags == 0)
				drop(d, g);
			return refuse(d);
		}
		charge(d, g, g->hdr_len);
	}
	if (add_pieces(d, g, &f) != 0)
		return refuse(d);
	g->nfrags++;
	if (!p->more_frags) {
		g->have_last = 1;
		g->end = end;
	}
	if (!g->have_last || g->covered != g->end || g->hdr == NULL)
		return KN_DEFRAG_HELD;

	*len = assemble(d, g);
	drop(d, g);
	if (*len == 0) {
		ev->too_large = 1;
		return refuse(d);
	}
	*ip = d->out;
	d->st.reassembled++;
	return KN_DEFRAG_DONE;
}
