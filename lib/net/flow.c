/*
 * The flow table and TCP session tracking (net/flow.h).
 *
 * Flows live in a hash table of chains, seeded at random so that chosen
 * addresses cannot pile into one chain.  Each flow is also on one of five
 * lists, one per timeout (TCP new, established, closed; UDP; other), in
 * the order they were last touched: since every flow of a list has the
 * same timeout, the head of each list is the next of that list to expire,
 * and the least recently used flow of the table is one of the five heads.
 * Expiry and eviction are therefore O(1) per flow, without a timer scan.
 *
 * Time is the packets' time.  The table keeps a clock that only moves
 * forward (the largest packet time seen), so that a capture whose times go
 * back a little cannot break the order of the lists.
 *
 * TCP is followed as an observer (RFC 9293 section 3.3.2's states,
 * loosely): packets may be missing from the capture, so a state moves on
 * whenever later packets show that the connection did (data after a
 * missed handshake is an established connection), and a field is believed
 * only where it can be checked (a SYN-ACK must acknowledge the SYN seen,
 * a reset must carry a sequence number inside the sender's window).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "net/stream.h"

enum { LC_TCP_NEW, LC_TCP_EST, LC_TCP_CLOSED, LC_UDP, LC_OTHER, LC_N };

struct node {
	struct kn_flow f;            /* first: a flow pointer is a node pointer */
	uint64_t hash;
	uint64_t touched_us;         /* the table's clock when last touched */
	uint16_t vlan2;              /* the inner VLAN tag (QinQ) */
	uint8_t lc;                  /* the list it is on */
	uint8_t fin[2];              /* a FIN was seen from each side */
	struct kn_stream s[2];
};

struct lru {
	struct kn_flow *head, *tail;
};

struct kn_flows {
	struct kn_flow_conf c;
	kn_flow_end_cb end;
	kn_app_free_cb app_free;
	void *ctx;
	struct kn_flow **buckets;
	size_t mask;
	uint64_t seed;
	uint64_t now_us;
	uint64_t counter;
	size_t stream_mem;
	struct lru lists[LC_N];
	struct kn_flow_stats st;
};

void kn_flow_defaults(struct kn_flow_conf *c)
{
	memset(c, 0, sizeof *c);
	c->max_flows = 65536;
	c->tcp_new_us = 30ull * 1000000;
	c->tcp_est_us = 600ull * 1000000;
	c->tcp_closed_us = 10ull * 1000000;
	c->udp_us = 120ull * 1000000;
	c->other_us = 60ull * 1000000;
	c->stream_depth = 1u << 20;
	c->stream_depth_ooo = 256u << 10;
	c->stream_mem = 64u << 20;
}

const char *kn_tcp_state_name(enum kn_tcp_state s)
{
	switch (s) {
	case KN_TCP_NONE: return "none";
	case KN_TCP_SYN_SENT: return "syn_sent";
	case KN_TCP_SYN_RECV: return "syn_recv";
	case KN_TCP_ESTABLISHED: return "established";
	case KN_TCP_CLOSING: return "closing";
	case KN_TCP_CLOSED: return "closed";
	}
	return "none";
}

static struct node *node_of(struct kn_flow *f)
{
	return (struct node *)f;
}

/* A 64-bit finalizer (MurmurHash3's fmix64): every input bit changes
 * about half of the output bits. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* The bytes of an address that count: 4 for IPv4 (a decoder that found
 * IPv4 inside IPv6 may leave the rest as it was), 16 for IPv6. */
static size_t addr_len(const struct kn_addr *a)
{
	return a->family == 6 ? 16 : 4;
}

static uint64_t ep_hash(uint64_t seed, const struct kn_addr *a, uint16_t port)
{
	uint64_t w0 = 0, w1 = 0;

	if (a->family == 6) {
		memcpy(&w0, a->b, 8);
		memcpy(&w1, a->b + 8, 8);
	} else {
		memcpy(&w0, a->b, 4);
	}
	return mix64(mix64(w0 ^ seed) ^ w1 ^ ((uint64_t)port << 8 | a->family));
}

/* The same for both directions: the two endpoints are summed. */
static uint64_t key_hash(uint64_t seed, const struct kn_addr *a, uint16_t pa,
			 const struct kn_addr *b, uint16_t pb, uint8_t proto,
			 uint16_t vlan, uint16_t vlan2)
{
	uint64_t h = ep_hash(seed, a, pa) + ep_hash(seed, b, pb);

	return mix64(h ^ seed ^ ((uint64_t)proto << 32 | (uint64_t)vlan << 16 |
				 vlan2));
}

static int addr_eq(const struct kn_addr *a, const struct kn_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, addr_len(a)) == 0;
}

static struct kn_addr addr_copy(const struct kn_addr *a)
{
	struct kn_addr o;

	memset(&o, 0, sizeof o);
	o.family = a->family;
	memcpy(o.b, a->b, addr_len(a));
	return o;
}

static uint64_t ts_us(struct ks_time t)
{
	if (t.sec < 0)
		return 0;
	return (uint64_t)t.sec * 1000000u + t.usec;
}

static int time_lt(struct ks_time a, struct ks_time b)
{
	return a.sec < b.sec || (a.sec == b.sec && a.usec < b.usec);
}

struct kn_flows *kn_flows_new(const struct kn_flow_conf *c, kn_flow_end_cb end,
			      kn_app_free_cb app_free, void *ctx)
{
	struct kn_flows *t = calloc(1, sizeof *t);
	size_t nb = 16;

	if (t == NULL)
		return NULL;
	t->c = *c;
	if (t->c.max_flows == 0)
		t->c.max_flows = 1;
	/* One bucket per flow, up to 4 M buckets (32 MiB); past that the
	 * chains grow a little longer instead. */
	while (nb < t->c.max_flows && nb < (1u << 22))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof *t->buckets);
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	t->mask = nb - 1;
	if (getrandom(&t->seed, sizeof t->seed, GRND_NONBLOCK) != sizeof t->seed)
		t->seed = mix64((uint64_t)(uintptr_t)t ^ ks_mono_usec());
	t->end = end;
	t->app_free = app_free;
	t->ctx = ctx;
	return t;
}

static uint64_t timeout_of(const struct kn_flows *t, int lc)
{
	switch (lc) {
	case LC_TCP_NEW: return t->c.tcp_new_us;
	case LC_TCP_EST: return t->c.tcp_est_us;
	case LC_TCP_CLOSED: return t->c.tcp_closed_us;
	case LC_UDP: return t->c.udp_us;
	default: return t->c.other_us;
	}
}

static int class_of(const struct kn_flow *f)
{
	if (f->proto == 6) {
		switch (f->state) {
		case KN_TCP_NONE:
		case KN_TCP_SYN_SENT:
		case KN_TCP_SYN_RECV:
			return LC_TCP_NEW;
		case KN_TCP_ESTABLISHED:
		case KN_TCP_CLOSING:
			return LC_TCP_EST;
		case KN_TCP_CLOSED:
			return LC_TCP_CLOSED;
		}
	}
	return f->proto == 17 ? LC_UDP : LC_OTHER;
}

static void lru_unlink(struct kn_flows *t, struct node *n)
{
	struct lru *l = &t->lists[n->lc];
	struct kn_flow *f = &n->f;

	if (f->lru_prev != NULL)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != NULL)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct kn_flows *t, struct node *n, int lc)
{
	struct lru *l = &t->lists[lc];
	struct kn_flow *f = &n->f;

	n->lc = (uint8_t)lc;
	f->lru_prev = l->tail;
	f->lru_next = NULL;
	if (l->tail != NULL)
		l->tail->lru_next = f;
	else
		l->head = f;
	l->tail = f;
}

/* Put the flow at the tail of the list for its state, its time renewed. */
static void touch(struct kn_flows *t, struct node *n)
{
	lru_unlink(t, n);
	lru_append(t, n, class_of(&n->f));
	n->touched_us = t->now_us;
	n->f.expires_us = t->now_us + timeout_of(t, n->lc);
}

static void hash_unlink(struct kn_flows *t, struct node *n)
{
	struct kn_flow **pp = &t->buckets[n->hash & t->mask];

	while (*pp != NULL && *pp != &n->f)
		pp = &(*pp)->hash_next;
	if (*pp != NULL)
		*pp = n->f.hash_next;
	n->f.hash_next = NULL;
}

static void end_flow(struct kn_flows *t, struct node *n, const char *reason)
{
	struct kn_flow *f = &n->f;

	hash_unlink(t, n);
	lru_unlink(t, n);
	if (t->end != NULL)
		t->end(t->ctx, f, reason);
	if (f->app_state != NULL && t->app_free != NULL)
		t->app_free(f->app, f->app_state);
	f->app_state = NULL;
	kn_stream_release(&n->s[0], &t->stream_mem);
	kn_stream_release(&n->s[1], &t->stream_mem);
	t->st.active--;
	free(n);
}

static const char *expiry_reason(struct kn_flows *t, const struct kn_flow *f)
{
	if (f->proto == 6 && f->state == KN_TCP_CLOSED) {
		t->st.ended_closed++;
		return "closed";
	}
	t->st.ended_timeout++;
	return "timeout";
}

/* The list head touched longest ago (the least recently used flow), or,
 * with due set, the head that expires first if it is due by now. */
static struct node *oldest(struct kn_flows *t, int due, uint64_t now)
{
	struct node *best = NULL;

	for (int i = 0; i < LC_N; i++) {
		struct node *n = (struct node *)t->lists[i].head;

		if (n == NULL)
			continue;
		if (due) {
			if (n->f.expires_us > now)
				continue;
			if (best == NULL || n->f.expires_us < best->f.expires_us)
				best = n;
		} else if (best == NULL || n->touched_us < best->touched_us) {
			best = n;
		}
	}
	return best;
}

void kn_flows_expire(struct kn_flows *t, uint64_t now_us)
{
	struct node *n;

	if (now_us > t->now_us)
		t->now_us = now_us;
	while ((n = oldest(t, 1, t->now_us)) != NULL)
		end_flow(t, n, expiry_reason(t, &n->f));
}

void kn_flows_end_all(struct kn_flows *t)
{
	struct node *n;

	while ((n = oldest(t, 0, 0)) != NULL)
		end_flow(t, n, "end");
}

void kn_flows_free(struct kn_flows *t)
{
	if (t == NULL)
		return;
	kn_flows_end_all(t);
	free(t->buckets);
	free(t);
}

void kn_flows_get_stats(const struct kn_flows *t, struct kn_flow_stats *s)
{
	*s = t->st;
	s->stream_mem = t->stream_mem;
}

size_t kn_flows_stream_mem(const struct kn_flows *t)
{
	return t->stream_mem;
}

/* A flow id as Suricata makes them: unique in the run, the same for the
 * same capture, and below 2^51 so that a JSON reader that keeps numbers
 * as doubles keeps it exact. */
static uint64_t make_id(struct kn_flows *t, const struct kn_flow *f,
			uint64_t hash0)
{
	uint64_t id = mix64(hash0 ^ ts_us(f->first)) +
		      ++t->counter * 0x9e3779b97f4a7c15ull;

	id = mix64(id) & ((1ull << 51) - 1);
	return id != 0 ? id : 1;
}

static struct node *new_flow(struct kn_flows *t, const struct kn_pkt *p,
			     uint16_t sport, uint16_t dport, uint16_t vlan,
			     uint16_t vlan2, uint64_t hash)
{
	struct node *n;
	struct kn_flow *f;
	int reverse = 0;

	if (t->st.active >= t->c.max_flows) {
		kn_flows_expire(t, t->now_us);
		if (t->st.active >= t->c.max_flows) {
			struct node *o = oldest(t, 0, 0);

			if (o == NULL)
				return NULL;
			t->st.evicted++;
			end_flow(t, o, "evicted");
		}
	}
	n = calloc(1, sizeof *n);
	if (n == NULL)
		return NULL;
	f = &n->f;
	/* The client sent the SYN; a SYN-ACK seen first came from the
	 * server; otherwise the first packet's sender is the client. */
	if (p->proto == 6 && (p->tcp_flags & (KN_TH_SYN | KN_TH_ACK)) ==
	    (KN_TH_SYN | KN_TH_ACK))
		reverse = 1;
	f->cli = addr_copy(reverse ? &p->dst : &p->src);
	f->srv = addr_copy(reverse ? &p->src : &p->dst);
	f->cport = reverse ? dport : sport;
	f->sport = reverse ? sport : dport;
	f->proto = p->proto;
	f->vlan = vlan;
	n->vlan2 = vlan2;
	f->first = f->last = p->ts;
	f->state = KN_TCP_NONE;
	n->hash = hash;
	f->id = make_id(t, f, key_hash(0, &f->cli, f->cport, &f->srv, f->sport,
				       f->proto, vlan, vlan2));
	if (p->proto == 6) {
		kn_stream_init(&n->s[0]);
		kn_stream_init(&n->s[1]);
		f->stream[0] = &n->s[0];
		f->stream[1] = &n->s[1];
	}
	f->hash_next = t->buckets[hash & t->mask];
	t->buckets[hash & t->mask] = f;
	lru_append(t, n, class_of(f));
	t->st.flows++;
	t->st.active++;
	return n;
}

struct kn_flow *kn_flows_packet(struct kn_flows *t, const struct kn_pkt *p,
				int *dir)
{
	uint16_t sport = 0, dport = 0, vlan, vlan2;
	uint64_t hash, now;
	struct kn_flow *f;
	struct node *n = NULL;
	int d = KN_TO_SERVER;

	if ((p->ipv != 4 && p->ipv != 6) || (p->is_frag && !p->reassembled))
		return NULL;
	if (p->proto == 6 || p->proto == 17) {
		if (!p->has_l4)
			return NULL;
		sport = p->sport;
		dport = p->dport;
	}
	vlan = p->nvlan > 0 ? p->vlan[0] : 0;
	vlan2 = p->nvlan > 1 ? p->vlan[1] : 0;
	now = ts_us(p->ts);
	if (now > t->now_us)
		t->now_us = now;
	hash = key_hash(t->seed, &p->src, sport, &p->dst, dport, p->proto,
			vlan, vlan2);
	for (f = t->buckets[hash & t->mask]; f != NULL; f = f->hash_next) {
		struct node *c = node_of(f);

		if (c->hash != hash || f->proto != p->proto || f->vlan != vlan ||
		    c->vlan2 != vlan2)
			continue;
		if (f->cport == sport && f->sport == dport &&
		    addr_eq(&f->cli, &p->src) && addr_eq(&f->srv, &p->dst)) {
			d = KN_TO_SERVER;
			n = c;
			break;
		}
		if (f->cport == dport && f->sport == sport &&
		    addr_eq(&f->cli, &p->dst) && addr_eq(&f->srv, &p->src)) {
			d = KN_TO_CLIENT;
			n = c;
			break;
		}
	}
	if (n != NULL && n->f.expires_us <= t->now_us) {
		/* Its time ran out before the caller's next expiry pass:
		 * this packet starts a new flow. */
		end_flow(t, n, expiry_reason(t, &n->f));
		n = NULL;
	} else if (n != NULL && n->f.proto == 6 &&
		   n->f.state == KN_TCP_CLOSED &&
		   (p->tcp_flags & (KN_TH_SYN | KN_TH_ACK | KN_TH_RST)) ==
		   KN_TH_SYN) {
		/* A new connection on the ports of a closed one. */
		t->st.ended_closed++;
		end_flow(t, n, "closed");
		n = NULL;
	}
	if (n == NULL) {
		n = new_flow(t, p, sport, dport, vlan, vlan2, hash);
		if (n == NULL)
			return NULL;
		d = addr_eq(&n->f.cli, &p->src) && n->f.cport == sport ?
			KN_TO_SERVER : KN_TO_CLIENT;
	}
	f = &n->f;
	f->pkts[d]++;
	f->bytes[d] += p->wirelen != 0 ? p->wirelen : p->caplen;
	if (time_lt(f->last, p->ts))
		f->last = p->ts;
	if (p->proto == 6)
		f->flags_seen[d] |= p->tcp_flags;
	touch(t, n);
	*dir = d;
	return f;
}

/* Whether ack acknowledges the SYN of stream s: at least the SYN, at
 * most the bytes sent after it (data on a SYN, RFC 7413). */
static int acks_syn(const struct kn_stream *s, uint32_t ack)
{
	return s->syn && (int32_t)(ack - (s->isn + 1)) >= 0 &&
	       (int32_t)(ack - s->next_seq) <= 0;
}

/* A reset is believed when its sequence number is where the sender's
 * next byte would be, give or take a receive window (2^30 at most, RFC
 * 7323), or when nothing can be checked.  A reset answering a SYN must
 * acknowledge it (RFC 9293 section 3.10.7.3). */
static int rst_plausible(const struct node *n, const struct kn_pkt *p, int dir)
{
	const struct kn_stream *own = &n->s[dir], *peer = &n->s[!dir];

	if (own->based) {
		int32_t d = (int32_t)(p->seq - own->next_seq);

		return d >= -1 && d <= (1 << 30);
	}
	if (n->f.state == KN_TCP_SYN_SENT && peer->syn) {
		return (p->tcp_flags & KN_TH_ACK) && acks_syn(peer, p->ack);
	}
	return 1;
}

void kn_flows_tcp(struct kn_flows *t, struct kn_flow *f, struct kn_pkt *p,
		  int dir, kn_stream_cb deliver, void *ctx)
{
	struct node *n = node_of(f);
	struct kn_stream *own, *peer;
	struct kn_stream_io io;
	uint8_t fl = p->tcp_flags;
	uint32_t seq = p->seq;
	int lc = n->lc;

	if (f->proto != 6 || !p->has_l4 || dir < 0 || dir > 1)
		return;
	own = &n->s[dir];
	peer = &n->s[!dir];
	io.conf = &t->c;
	io.mem = &t->stream_mem;
	io.st = &t->st;
	io.p = p;
	io.f = f;
	io.deliver = deliver;
	io.ctx = ctx;

	if (fl & KN_TH_RST) {
		if (rst_plausible(n, p, dir)) {
			f->state = KN_TCP_CLOSED;
			/* Nothing will fill the holes any more. */
			io.dir = dir;
			kn_stream_flush(&io, own);
			io.dir = !dir;
			kn_stream_flush(&io, peer);
		}
		goto out;
	}
	if (fl & KN_TH_SYN) {
		if (!(fl & KN_TH_ACK)) {
			if (f->state == KN_TCP_NONE)
				f->state = KN_TCP_SYN_SENT;
			kn_stream_base(own, seq + 1, 1);
		} else {
			/* A SYN-ACK must acknowledge the SYN seen, if one
			 * was: otherwise it belongs to something else. */
			if (peer->syn && !acks_syn(peer, p->ack))
				goto out;
			if (f->state == KN_TCP_NONE ||
			    f->state == KN_TCP_SYN_SENT)
				f->state = KN_TCP_SYN_RECV;
			kn_stream_base(own, seq + 1, 1);
		}
		/* Data on a SYN follows the SYN's own sequence number. */
		seq += 1;
	} else {
		switch (f->state) {
		case KN_TCP_NONE:
			/* The handshake was missed: a connection in use. */
			f->state = KN_TCP_ESTABLISHED;
			break;
		case KN_TCP_SYN_SENT:
			if (fl & KN_TH_ACK)
				f->state = KN_TCP_ESTABLISHED;
			break;
		case KN_TCP_SYN_RECV:
			if (p->payload_len > 0 ||
			    (dir == KN_TO_SERVER && (fl & KN_TH_ACK) &&
			     (!peer->syn || acks_syn(peer, p->ack))))
				f->state = KN_TCP_ESTABLISHED;
			break;
		default:
			break;
		}
	}
	if (fl & KN_TH_ACK) {
		io.dir = !dir;
		kn_stream_acked(&io, peer, p->ack);
	}
	io.dir = dir;
	if (p->payload_len > 0 && p->payload != NULL) {
		if (!own->based)
			kn_stream_base(own, seq, 0);
		kn_stream_data(&io, own, seq, p->payload, p->payload_len);
	}
	if (fl & KN_TH_FIN) {
		/* The FIN comes after the payload as sent, which a snap
		 * length may have cut. */
		size_t wire = p->payload_wire > p->payload_len ?
			      p->payload_wire : p->payload_len;

		n->fin[dir] = 1;
		kn_stream_fin(&io, own, seq + (uint32_t)wire);
		if (n->fin[0] && n->fin[1])
			f->state = KN_TCP_CLOSED;
		else if (f->state != KN_TCP_CLOSED)
			f->state = KN_TCP_CLOSING;
	}
out:
	if (class_of(f) != lc)
		touch(t, n);
}
