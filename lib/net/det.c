/*
 * Network attack detectors: names, defaults, the tracker tables, the
 * distinct-item set and the episode machinery (see net/det-int.h); the
 * detectors themselves are in det-scan.c, det-flood.c, det-packet.c and
 * det-arp.c.
 */
#include "net/det.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/u64map.h"
#include "net/det-int.h"

_Static_assert(sizeof(struct kn_dkey) == 40, "tracker keys hash as 5 words");

#define SEC 1000000ull

/* ---- names ------------------------------------------------------------------ */

static const struct {
	const char *name;
	const char *signature;
	int severity;
} attacks[KN_AT_COUNT] = {
	/* Reconnaissance: severity 2. */
	[KN_AT_TCP_PORTSCAN] = { "tcp-portscan",
		"KNETSCAN TCP port scan (SYN or connect)", 2 },
	[KN_AT_UDP_PORTSCAN] = { "udp-portscan", "KNETSCAN UDP port scan", 2 },
	[KN_AT_STEALTH_SCAN] = { "stealth-scan",
		"KNETSCAN TCP stealth scan (NULL, FIN or XMAS probes)", 2 },
	[KN_AT_HOST_SWEEP] = { "host-sweep",
		"KNETSCAN host sweep (one port or ICMP echo on many hosts)", 2 },
	/* Attacks that can take a host down or intercept its traffic: 1. */
	[KN_AT_SYN_FLOOD] = { "syn-flood", "KNETSCAN TCP SYN flood", 1 },
	[KN_AT_UDP_FLOOD] = { "udp-flood", "KNETSCAN UDP flood", 1 },
	[KN_AT_ICMP_FLOOD] = { "icmp-flood", "KNETSCAN ICMP flood", 1 },
	[KN_AT_LAND] = { "land",
		"KNETSCAN Land attack (source address and port equal the "
		"destination's)", 1 },
	[KN_AT_PING_OF_DEATH] = { "ping-of-death",
		"KNETSCAN Ping of Death (IP datagram over 65,535 bytes)", 1 },
	[KN_AT_TEARDROP] = { "teardrop",
		"KNETSCAN Teardrop (overlapping or inconsistent IP fragments)",
		1 },
	/* Malformed packets that evade or probe filters. */
	[KN_AT_TINY_FRAGMENT] = { "tiny-fragment",
		"KNETSCAN tiny IP fragment (RFC 1858)", 2 },
	[KN_AT_BAD_TCP_FLAGS] = { "bad-tcp-flags",
		"KNETSCAN invalid TCP flag combination", 3 },
	[KN_AT_SOURCE_ROUTE] = { "source-route",
		"KNETSCAN IP source routing (IPv4 LSRR/SSRR or IPv6 type 0 "
		"routing header)", 2 },
	[KN_AT_ARP_SPOOF] = { "arp-spoof",
		"KNETSCAN ARP spoofing (an IP address claimed by a second MAC "
		"address)", 1 },
};

const char *kn_attack_name(enum kn_attack_class c)
{
	if ((unsigned)c >= KN_AT_COUNT)
		return "unknown";
	return attacks[c].name;
}

const char *kn_attack_signature(enum kn_attack_class c)
{
	if ((unsigned)c >= KN_AT_COUNT)
		return "unknown";
	return attacks[c].signature;
}

int kn_attack_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int c = 0; c < KN_AT_COUNT; c++)
		if (strcmp(name, attacks[c].name) == 0)
			return c;
	return -1;
}

/* ---- defaults --------------------------------------------------------------- */

static void th(struct kn_det_conf *c, enum kn_attack_class cls,
	       uint64_t count, uint64_t window_us)
{
	c->th[cls].count = count;
	c->th[cls].window_us = window_us;
}

/*
 * The defaults, and why they stay quiet on ordinary traffic (the table is
 * in knetscan(1)):
 *
 * Scans count distinct destination ports of one source on one target,
 * leaving out ports that answered (a SYN-ACK, a UDP reply): a web page's
 * connections go to one or two ports and are answered; passive FTP data
 * connections are answered.  nmap's default scan of 1,000 ports meets
 * mostly closed ports (RST, ICMP port unreachable) and crosses 20 at once.
 * Stealth probes (no SYN, ACK or RST outside a session) are never sent by
 * a TCP stack, so 5 ports are enough.
 *
 * A sweep needs 32 hosts in a minute: unanswered ones on one TCP or UDP
 * port (a browser's or proxy's connections are answered), or any hosts
 * sent an ICMP echo or timestamp request, answered or not (a ping sweep
 * is made to find the hosts that answer; an nmap ping sweep of a /24
 * probes 254).  A monitoring station that pings more hosts than that
 * each minute is excluded or given its own threshold.
 *
 * Floods are per target per second: 2,000 SYNs that do not complete their
 * handshake (a server taking 10,000 connections a second from clients 100
 * ms away has about 1,000 half-open at any time); 2,000 UDP datagrams that
 * open a flow or go to a flow the target never answered, less the flows it
 * answers (a resolver's queries are taken back as it answers them; a
 * download's packets go to the side that asked); 1,000 ICMP messages that
 * are not replies and not errors answering the target's own datagrams.
 *
 * Single-packet attacks are reported from their first packet; their
 * window is how long a repeat stays in the same episode.  An ARP binding
 * is remembered for 5 minutes since its owner last claimed it.
 */
void kn_det_defaults(struct kn_det_conf *c)
{
	memset(c, 0, sizeof *c);
	th(c, KN_AT_TCP_PORTSCAN, 20, 60 * SEC);
	th(c, KN_AT_UDP_PORTSCAN, 20, 60 * SEC);
	th(c, KN_AT_STEALTH_SCAN, 5, 60 * SEC);
	th(c, KN_AT_HOST_SWEEP, 32, 60 * SEC);
	th(c, KN_AT_SYN_FLOOD, 2000, 1 * SEC);
	th(c, KN_AT_UDP_FLOOD, 2000, 1 * SEC);
	th(c, KN_AT_ICMP_FLOOD, 1000, 1 * SEC);
	th(c, KN_AT_LAND, 1, 60 * SEC);
	th(c, KN_AT_PING_OF_DEATH, 1, 60 * SEC);
	th(c, KN_AT_TEARDROP, 1, 60 * SEC);
	th(c, KN_AT_TINY_FRAGMENT, 1, 60 * SEC);
	th(c, KN_AT_BAD_TCP_FLAGS, 1, 60 * SEC);
	th(c, KN_AT_SOURCE_ROUTE, 1, 60 * SEC);
	th(c, KN_AT_ARP_SPOOF, 1, 300 * SEC);
	c->max_episode_us = 600 * SEC;
	c->max_sources = 65536;
	c->max_targets = 16384;
	c->max_arp = 4096;
}

/* ---- keys and tables --------------------------------------------------------- */

void kn_key(struct kn_dkey *k, enum kn_attack_class cls,
	    const struct kn_addr *src, const struct kn_addr *dst)
{
	memset(k, 0, sizeof *k);
	k->cls = (uint8_t)cls;
	if (src != NULL) {
		kn_key_addr(k->src, src);
		k->fam = src->family;
	}
	if (dst != NULL) {
		kn_key_addr(k->dst, dst);
		k->fam = dst->family;
	}
}

static uint32_t key_hash(const struct kn_det *d, const struct kn_dkey *k)
{
	uint64_t w[5], h = d->seed;

	memcpy(w, k, sizeof w);
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	return (uint32_t)ks_u64map_mix(h);
}

static uint64_t window(const struct kn_det *d, const struct kn_trk *t)
{
	return d->c.th[t->k.cls].window_us;
}

static uint64_t slot_len(const struct kn_det *d, const struct kn_trk *t)
{
	uint64_t l = window(d, t) / KN_SLOTS;

	return l != 0 ? l : 1;
}

static int is_flood(int cls)
{
	return cls == KN_AT_SYN_FLOOD || cls == KN_AT_UDP_FLOOD ||
	       cls == KN_AT_ICMP_FLOOD;
}

static uint32_t new_gen(struct kn_det *d)
{
	if (++d->gen == 0)
		d->gen = 1;
	return d->gen;
}

/* Start the count over: a new generation frees the tracker's items. */
static void reset_count(struct kn_det *d, struct kn_trk *t)
{
	d->gens[kn_trk_index(d, t)] = new_gen(d);
	t->distinct = 0;
	t->ninl = 0;
	t->inl_ans = 0;
	t->dport_set = 0;
	t->dport_mixed = 0;
	t->dport = 0;
	t->spoofed = 0;
	if (is_flood(t->k.cls))
		memset(&t->u.cand, 0, sizeof t->u.cand);
}

static void new_window(struct kn_trk *t, uint64_t now)
{
	t->carry_pkts = t->carry_bytes = t->carry_first = 0;
	t->win_start = now;
	t->win_first = now;
	t->win_n = 0;
	t->win_pkts = 0;
	t->win_bytes = 0;
}

static void hash_unlink(struct kn_det *d, struct kn_dtab *tb, struct kn_trk *t)
{
	uint32_t i = (uint32_t)kn_trk_index(d, t);
	uint32_t *link = &tb->bucket[t->hash & tb->mask];

	while (*link != 0 && *link != i)
		link = &d->trk[*link].hnext;
	if (*link == i)
		*link = t->hnext;
	t->hnext = 0;
}

/* ---- episodes ----------------------------------------------------------------- */

static struct ks_time us_time(uint64_t us)
{
	struct ks_time t;

	t.sec = (int64_t)(us / SEC);
	t.usec = (uint32_t)(us % SEC);
	return t;
}

static struct kn_addr key_addr(const struct kn_dkey *k, const uint8_t *b)
{
	struct kn_addr a;

	memset(&a, 0, sizeof a);
	a.family = k->fam;
	memcpy(a.b, b, 16);
	return a;
}

static void report(struct kn_det *d, const struct kn_trk *t,
		   enum kn_episode_phase phase)
{
	struct kn_attack a;
	int cls = t->k.cls;

	memset(&a, 0, sizeof a);
	a.cls = (enum kn_attack_class)cls;
	a.episode = t->ep_no;
	a.severity = attacks[cls].severity;
	a.proto = t->proto;
	a.packets = t->ep_pkts;
	a.bytes = t->ep_bytes;
	a.first = us_time(t->ep_first);
	a.last = us_time(t->ep_last);
	a.spoofed = t->spoofed;
	switch (cls) {
	case KN_AT_TCP_PORTSCAN:
	case KN_AT_UDP_PORTSCAN:
	case KN_AT_STEALTH_SCAN:
		a.src = key_addr(&t->k, t->k.src);
		a.dst = key_addr(&t->k, t->k.dst);
		/* Set evictions may count a port twice; there are no more
		 * than 65,536 of them. */
		a.ports = t->distinct < 65536 ? t->distinct : 65536;
		break;
	case KN_AT_HOST_SWEEP:
		a.src = key_addr(&t->k, t->k.src);
		a.hosts = t->distinct;
		if (t->k.proto == 6 || t->k.proto == 17)
			a.dport = t->k.port;
		break;
	case KN_AT_SYN_FLOOD:
	case KN_AT_UDP_FLOOD:
	case KN_AT_ICMP_FLOOD:
		if (!t->spoofed)
			a.src = t->ep_addr;
		a.dst = key_addr(&t->k, t->k.dst);
		a.sources = t->distinct;
		if (t->dport_set && !t->dport_mixed)
			a.dport = t->dport;
		break;
	case KN_AT_ARP_SPOOF:
		a.src = key_addr(&t->k, t->k.src);
		a.dst = t->ep_addr;
		memcpy(a.arp_mac_old, t->mac_old, 6);
		memcpy(a.arp_mac_new, t->mac_new, 6);
		break;
	default:
		a.src = key_addr(&t->k, t->k.src);
		a.dst = key_addr(&t->k, t->k.dst);
		break;
	}
	d->cb(d->ctx, &a, phase);
}

static void ep_start(struct kn_det *d, struct kn_trk *t, uint64_t now)
{
	uint32_t i = (uint32_t)kn_trk_index(d, t);

	t->active = 1;
	t->ep_no = ++d->st.episodes[t->k.cls];
	t->ep_first = t->win_first;
	t->ep_pkts = t->win_pkts;
	t->ep_bytes = t->win_bytes;
	/* The measure reaches back into the window before: its packets
	 * count too. */
	if (t->carry_pkts != 0) {
		t->ep_first = t->carry_first;
		t->ep_pkts += t->carry_pkts;
		t->ep_bytes += t->carry_bytes;
	}
	t->ep_last = now;
	t->ep_hot = now;
	t->anext = 0;
	t->aprev = d->active_tail;
	if (d->active_tail != 0)
		d->trk[d->active_tail].anext = i;
	else
		d->active = i;
	d->active_tail = i;
	report(d, t, KN_EPISODE_START);
}

static void ep_end(struct kn_det *d, struct kn_trk *t, uint64_t now)
{
	report(d, t, KN_EPISODE_END);
	if (t->aprev != 0)
		d->trk[t->aprev].anext = t->anext;
	else
		d->active = t->anext;
	if (t->anext != 0)
		d->trk[t->anext].aprev = t->aprev;
	else
		d->active_tail = t->aprev;
	t->aprev = t->anext = 0;
	t->active = 0;
	new_window(t, now);
	reset_count(d, t);
}

/* Quiet for a whole window since it last reached the threshold, or on for
 * max_episode_us. */
static int ep_due(const struct kn_det *d, const struct kn_trk *t, uint64_t now)
{
	if (now - t->ep_hot >= window(d, t))
		return 1;
	return d->c.max_episode_us != 0 &&
	       now - t->ep_first >= d->c.max_episode_us;
}

/* Its window passed since its last packet: nothing it holds matters. */
static int idle(const struct kn_det *d, const struct kn_trk *t, uint64_t now)
{
	return !t->active && now - t->seen >= window(d, t);
}

/* Bring the slots up to now: slots that fell out of the last TIME leave
 * the measure. */
static void slide(const struct kn_det *d, struct kn_trk *t, uint64_t now)
{
	uint64_t no = now / slot_len(d, t);

	if (t->win_n == 0 || no - t->last_slot >= KN_SLOTS) {
		memset(t->slot, 0, sizeof t->slot);
		t->win_n = 0;
	} else {
		for (uint64_t s = t->last_slot + 1; s <= no; s++) {
			uint32_t *c = &t->slot[s % KN_SLOTS];

			t->win_n -= *c;
			*c = 0;
		}
	}
	if (no > t->last_slot)
		t->last_slot = no;
}

/* The window ran out: distinct items, packets and bytes start over (not
 * during an episode: its items are its own); the sliding measure goes on. */
static void roll_window(struct kn_det *d, struct kn_trk *t, uint64_t now)
{
	uint64_t n, pkts = t->win_pkts, bytes = t->win_bytes,
		 first = t->win_first;

	slide(d, t, now);
	n = t->win_n;
	new_window(t, now);
	t->win_n = n;
	if (n != 0 && pkts != 0) {
		t->carry_pkts = pkts;
		t->carry_bytes = bytes;
		t->carry_first = first;
	}
	if (!t->active)
		reset_count(d, t);
}

void kn_trk_shrink(struct kn_det *d, struct kn_trk *t)
{
	if (t->win_n == 0)
		return;
	/* The newest slot that holds something. */
	for (int i = 0; i < KN_SLOTS; i++) {
		uint32_t *c = &t->slot[(t->last_slot - (uint64_t)i) % KN_SLOTS];

		if (*c != 0) {
			(*c)--;
			t->win_n--;
			return;
		}
	}
	(void)d;
}

int kn_trk_add(struct kn_det *d, struct kn_trk *t, uint64_t now,
	       uint64_t bytes, uint64_t grow, int member)
{
	uint64_t count = d->c.th[t->k.cls].count;

	if (member) {
		if (t->win_pkts == 0)
			t->win_first = now;
		t->win_pkts++;
		t->win_bytes += bytes;
	}
	slide(d, t, now);
	if (grow != 0) {
		uint32_t *c = &t->slot[t->last_slot % KN_SLOTS];
		uint64_t inc = grow < UINT32_MAX - *c ? grow : UINT32_MAX - *c;

		*c += (uint32_t)inc;
		t->win_n += inc;
	}
	if (t->active) {
		if (member) {
			t->ep_pkts++;
			t->ep_bytes += bytes;
			t->ep_last = now;
		}
		if (t->win_n >= count)
			t->ep_hot = now;
		return member;
	}
	if (t->win_n >= count) {
		ep_start(d, t, now);
		return member;
	}
	return 0;
}

void kn_trk_port(struct kn_trk *t, uint16_t port)
{
	if (!t->dport_set) {
		t->dport = port;
		t->dport_set = 1;
	} else if (t->dport != port) {
		t->dport_mixed = 1;
	}
}

/* ---- trackers ------------------------------------------------------------------- */

static void release(struct kn_det *d, struct kn_trk *t)
{
	struct kn_dtab *tb = &d->tab[t->table];

	hash_unlink(d, tb, t);
	t->used = 0;
	d->gens[kn_trk_index(d, t)] = 0;   /* its set entries are free now */
	t->hnext = tb->free;
	tb->free = (uint32_t)kn_trk_index(d, t);
	tb->n--;
}

/* Make room in a full table: the clock hand goes round, taking the first
 * tracker that is idle, or not used since the hand last passed (an
 * episode in progress gets one more turn).  Each step clears a mark that
 * a use set, so the cost per tracker made stays constant on average; the
 * hand never goes round more than three times. */
static void make_room(struct kn_det *d, int table, uint64_t now)
{
	struct kn_dtab *tb = &d->tab[table];
	struct kn_trk *t;

	for (uint64_t step = 0;; step++) {
		t = &d->trk[tb->base + tb->hand];
		if (++tb->hand == tb->cap)
			tb->hand = 0;
		if (idle(d, t, now) || step >= 3 * (uint64_t)tb->cap)
			break;
		if (t->ref & KN_REF_USED) {
			t->ref &= (uint8_t)~KN_REF_USED;
			continue;
		}
		if (t->active && !(t->ref & KN_REF_SPARED)) {
			t->ref |= KN_REF_SPARED;
			continue;
		}
		break;
	}
	if (!idle(d, t, now)) {
		if (table == KN_TAB_DST)
			d->st.targets_forgotten++;
		else if (table == KN_TAB_ARP)
			d->st.arp_forgotten++;
		else
			d->st.sources_forgotten++;
	}
	if (t->active)
		ep_end(d, t, now);
	release(d, t);
}

struct kn_trk *kn_trk_find(struct kn_det *d, int table, const struct kn_dkey *k)
{
	struct kn_dtab *tb = &d->tab[table];
	uint32_t h = key_hash(d, k);

	for (uint32_t i = tb->bucket[h & tb->mask]; i != 0; i = d->trk[i].hnext) {
		struct kn_trk *t = &d->trk[i];

		if (t->hash == h && memcmp(&t->k, k, sizeof *k) == 0)
			return t;
	}
	return NULL;
}

struct kn_trk *kn_trk_get(struct kn_det *d, int table, const struct kn_dkey *k,
			  uint64_t now)
{
	struct kn_dtab *tb = &d->tab[table];
	uint32_t h = key_hash(d, k), i;
	struct kn_trk *t;

	for (i = tb->bucket[h & tb->mask]; i != 0; i = d->trk[i].hnext) {
		t = &d->trk[i];
		if (t->hash != h || memcmp(&t->k, k, sizeof *k) != 0)
			continue;
		if (t->active && ep_due(d, t, now))
			ep_end(d, t, now);
		if (now - t->win_start >= window(d, t))
			roll_window(d, t, now);
		t->seen = now;
		t->ref = KN_REF_USED;
		return t;
	}
	if (tb->free == 0)
		make_room(d, table, now);
	i = tb->free;
	t = &d->trk[i];
	tb->free = t->hnext;
	tb->n++;
	memset(t, 0, sizeof *t);
	t->k = *k;
	t->hash = h;
	t->table = (uint8_t)table;
	t->used = 1;
	t->seen = now;
	new_window(t, now);
	reset_count(d, t);
	t->hnext = tb->bucket[h & tb->mask];
	tb->bucket[h & tb->mask] = i;
	return t;
}

/* ---- the distinct-item set ----------------------------------------------------- */

static uint64_t dset_hash(const struct kn_det *d, uint32_t owner, uint32_t gen,
			  uint32_t item)
{
	uint64_t h = ((uint64_t)owner << 32 | gen) ^ d->seed;

	return ks_u64map_mix(h ^ (item * 0x9e3779b97f4a7c15ull));
}

static int dent_live(const struct kn_det *d, const struct kn_dent *e)
{
	return e->owner != 0 && d->gens[e->owner] == e->gen;
}

/* The shared set's entry for (t, item), or NULL; *bucket, *hash: where it
 * would go. */
static struct kn_dent *dset_find(struct kn_det *d, const struct kn_trk *t,
				 uint32_t item, struct kn_dent **bucket,
				 uint64_t *hash)
{
	uint32_t owner = (uint32_t)kn_trk_index(d, t), gen = d->gens[owner];
	uint64_t h = dset_hash(d, owner, gen, item);
	struct kn_dent *b = &d->set[(h & d->set_mask) * KN_DSET_WAYS];

	*bucket = b;
	*hash = h;
	for (int w = 0; w < KN_DSET_WAYS; w++)
		if (b[w].owner == owner && b[w].gen == gen && b[w].item == item)
			return &b[w];
	return NULL;
}

int kn_dset_add(struct kn_det *d, struct kn_trk *t, uint32_t item)
{
	struct kn_dent *b, *room = NULL;
	uint64_t h;

	for (int i = 0; i < t->ninl; i++)
		if (t->inl[i] == item)
			return 0;
	if (t->ninl < KN_INLINE_ITEMS) {
		t->inl[t->ninl++] = item;
		return 1;
	}
	if (dset_find(d, t, item, &b, &h) != NULL)
		return 0;
	/* The first way that is empty or whose tracker has moved on to
	 * another generation. */
	for (int w = 0; w < KN_DSET_WAYS && room == NULL; w++)
		if (!dent_live(d, &b[w]))
			room = &b[w];
	if (room == NULL) {
		/* Every way holds a live item: overwrite one, chosen by
		 * bits of the hash the bucket index did not use. */
		room = &b[(h >> 61) & (KN_DSET_WAYS - 1)];
		d->set_evicted++;
	}
	room->owner = (uint32_t)kn_trk_index(d, t);
	room->gen = d->gens[room->owner];
	room->item = item;
	room->flags = 0;
	return 1;
}

int kn_dset_answer(struct kn_det *d, struct kn_trk *t, uint32_t item)
{
	struct kn_dent *e, *b;
	uint64_t h;

	for (int i = 0; i < t->ninl; i++) {
		if (t->inl[i] != item)
			continue;
		if (t->inl_ans & (1u << i))
			return 0;
		t->inl_ans |= (uint8_t)(1u << i);
		return 1;
	}
	if (t->ninl < KN_INLINE_ITEMS)
		return 0;
	e = dset_find(d, t, item, &b, &h);
	if (e == NULL || (e->flags & KN_DENT_ANSWERED))
		return 0;
	e->flags |= KN_DENT_ANSWERED;
	return 1;
}

uint32_t kn_addr_item(const struct kn_det *d, const struct kn_addr *a)
{
	uint64_t w[2];

	if (a->family == 4)
		return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
		       (uint32_t)a->b[2] << 8 | a->b[3];
	memcpy(w, a->b, 16);
	return (uint32_t)ks_u64map_mix(ks_u64map_mix(w[0] ^ d->seed) ^ w[1]);
}

/* ---- the detector ------------------------------------------------------------- */

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

#define MAX_TABLE (1u << 24)

static int table_init(struct kn_det *d, int table, uint32_t base, size_t cap)
{
	struct kn_dtab *tb = &d->tab[table];
	size_t nb = pow2_at_least(cap * 2);

	tb->base = base;
	tb->cap = (uint32_t)cap;
	tb->bucket = calloc(nb, sizeof *tb->bucket);
	if (tb->bucket == NULL)
		return -1;
	tb->mask = (uint32_t)(nb - 1);
	/* The free list in index order, so trackers are used in order. */
	for (uint32_t i = 0; i < tb->cap; i++)
		d->trk[base + i].hnext = i + 1 < tb->cap ? base + i + 1 : 0;
	tb->free = base;
	return 0;
}

static uint64_t make_seed(void)
{
	uint64_t s = 0;

	/* Without randomness the hashes still work; they are only
	 * predictable. */
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
		s = 0x6a09e667f3bcc909ull ^ (uint64_t)(uintptr_t)&s;
	return s;
}

struct kn_det *kn_det_new(const struct kn_det_conf *c, kn_attack_cb cb,
			  void *ctx)
{
	struct kn_det *d;
	size_t caps[KN_TAB_COUNT], total = 1, nset;
	uint32_t base = 1;

	if (c == NULL || cb == NULL)
		return NULL;
	caps[KN_TAB_SRC] = c->max_sources;
	caps[KN_TAB_DST] = c->max_targets;
	caps[KN_TAB_ARP] = c->max_arp;
	for (int i = 0; i < KN_TAB_COUNT; i++) {
		if (caps[i] == 0 || caps[i] > MAX_TABLE)
			return NULL;
		total += caps[i];
	}
	d = calloc(1, sizeof *d);
	if (d == NULL)
		return NULL;
	d->c = *c;
	for (int i = 0; i < KN_AT_COUNT; i++) {
		/* A zero threshold or window would make every packet an
		 * episode of its own; one is the least that means anything. */
		if (d->c.th[i].count == 0)
			d->c.th[i].count = 1;
		if (d->c.th[i].window_us == 0)
			d->c.th[i].window_us = 1;
	}
	d->cb = cb;
	d->ctx = ctx;
	d->seed = make_seed();
	/* Trackers start on cache lines: a lookup reads one line. */
	d->trk = aligned_alloc(_Alignof(struct kn_trk), total * sizeof *d->trk);
	if (d->trk != NULL)
		memset(d->trk, 0, total * sizeof *d->trk);
	d->gens = calloc(total, sizeof *d->gens);
	nset = pow2_at_least((caps[KN_TAB_SRC] + caps[KN_TAB_DST]) * 2 /
			     KN_DSET_WAYS + 1);
	d->set = calloc(nset * KN_DSET_WAYS, sizeof *d->set);
	d->set_mask = nset - 1;
	if (d->trk == NULL || d->gens == NULL || d->set == NULL)
		goto fail;
	for (int i = 0; i < KN_TAB_COUNT; i++) {
		if (table_init(d, i, base, caps[i]) != 0)
			goto fail;
		base += (uint32_t)caps[i];
	}
	return d;
fail:
	kn_det_free(d);
	return NULL;
}

void kn_det_free(struct kn_det *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < KN_TAB_COUNT; i++)
		free(d->tab[i].bucket);
	free(d->trk);
	free(d->gens);
	free(d->set);
	free(d);
}

static uint64_t pkt_us(const struct ks_time *t)
{
	/* Times before the epoch count as the epoch; times past year
	 * 500,000 as that (no overflow). */
	if (t->sec <= 0)
		return 0;
	if ((uint64_t)t->sec > 15000000000000ull)
		return 15000000000000ull * SEC;
	return (uint64_t)t->sec * SEC + (t->usec < SEC ? t->usec : SEC - 1);
}

int kn_det_in_session(const struct kn_flow *fl)
{
	return fl != NULL && fl->proto == 6 &&
	       (fl->flags_seen[KN_TO_SERVER] & KN_TH_ACK) &&
	       (fl->flags_seen[KN_TO_CLIENT] & KN_TH_ACK);
}

uint32_t kn_det_packet(struct kn_det *d, const struct kn_pkt *p,
		       const struct kn_flow *fl, int dir,
		       const struct kn_defrag_events *ev)
{
	uint64_t now = pkt_us(&p->ts);
	struct kn_trk *ft;
	uint32_t m = 0;

	/* Packet time, never going back: captures merged out of order
	 * must not make windows negative. */
	if (now > d->now)
		d->now = now;
	now = d->now;
	if (p->has_arp)
		m |= kn_det_arp(d, p, now);
	if ((p->ipv != 4 && p->ipv != 6) || p->src.family != p->ipv ||
	    p->dst.family != p->ipv)
		return m;
	if (dir != KN_TO_CLIENT)
		dir = KN_TO_SERVER;
	d->new_port = 0;
	m |= kn_det_single(d, p, fl, ev, now);
	/* A fragment's transport header is counted once, in the
	 * reassembled datagram. */
	if (!p->has_l4 || (p->is_frag && !p->reassembled))
		return m;
	/* During a flood from forged sources, its packets would each make
	 * trackers of their own sources (scans, sweeps) that push out the
	 * state that matters: they count for the flood only.  (The scan
	 * trackers touch only the sources' table: ft stays valid.) */
	ft = kn_det_flood_target(d, p, fl, dir, now);
	if (ft == NULL || !ft->active || !ft->spoofed)
		m |= kn_det_scan(d, p, fl, dir, now);
	return m | kn_det_flood(d, ft, p, fl, dir, now, m);
}

void kn_det_tick(struct kn_det *d, uint64_t now_us)
{
	uint32_t i, next;

	if (now_us > d->now)
		d->now = now_us;
	for (i = d->active; i != 0; i = next) {
		next = d->trk[i].anext;
		if (ep_due(d, &d->trk[i], d->now))
			ep_end(d, &d->trk[i], d->now);
	}
	/* Give back trackers whose window passed since their last packet,
	 * a slice of each table per tick (all of a large one in 16 ticks),
	 * so that the counts of trackers in use say how much state matters.
	 * (Room is made from idle trackers first in any case.) */
	for (int ti = 0; ti < KN_TAB_COUNT; ti++) {
		struct kn_dtab *tb = &d->tab[ti];
		uint32_t n = tb->cap / 16 > 1024 ? tb->cap / 16 : 1024;

		for (uint32_t k = 0; k < n && k < tb->cap; k++) {
			struct kn_trk *t = &d->trk[tb->base + tb->sweep];

			if (++tb->sweep == tb->cap)
				tb->sweep = 0;
			if (t->used && idle(d, t, d->now))
				release(d, t);
		}
	}
}

void kn_det_flush(struct kn_det *d)
{
	while (d->active != 0)
		ep_end(d, &d->trk[d->active], d->now);
}

void kn_det_get_stats(const struct kn_det *d, struct kn_det_stats *s)
{
	*s = d->st;
}
