/*
 * The network policy (net/policy.h): actions per class, exclusions by
 * address and subnet, and the bounded table of blocked sources.
 *
 * Blocked sources are kept in a preallocated table of max_blocked entries
 * with a hash index and a list in order of expiry: every block lasts
 * block_us from its latest finding, and packet time never goes back here,
 * so a renewed block moves to the end of the list and the list stays
 * sorted.  Expiry pops from its head; when the table is full, the block
 * nearest to its end is dropped to make room (counted).
 *
 * Exclusions are kept sorted and grouped by family and prefix length;
 * a lookup masks the address once per group present and searches that
 * group, so a long list costs a few binary searches, not a scan (the
 * engine asks for every packet of an episode, floods included).
 */
#include "net/policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/u64map.h"
#include "net/policy.h"

#define MAX_BLOCKED (1u << 24)

struct blk {
	struct kn_addr a;
	uint64_t until;
	uint32_t hash;
	uint32_t hnext;               /* hash chain (index, 0 none) */
	uint32_t prev, next;          /* expiry order, soonest first */
};

struct xgroup {
	uint8_t family, prefix;
	size_t first, count;          /* in x[] */
};

struct kn_policy {
	enum kn_action action[KN_CLASS_COUNT];
	int block_spoofable[KN_CLASS_COUNT];
	uint64_t block_us;
	int monitoring;
	/* Exclusions: sorted, grouped. */
	struct kn_cidr *x;
	size_t nx;
	struct xgroup groups[2 * 129];
	size_t ngroups;
	/* Blocks. */
	struct blk *b;                /* [0] unused */
	uint32_t cap, n, free, head, tail;
	uint32_t *bucket, mask;
	uint64_t seed, now;
	struct kn_policy_stats st;
};

/* ---- names ------------------------------------------------------------------ */

static const char *const action_names[] = { "allow", "drop", "block" };

const char *kn_action_name(enum kn_action a)
{
	if ((unsigned)a > KN_ACT_BLOCK)
		return "unknown";
	return action_names[a];
}

int kn_action_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i <= KN_ACT_BLOCK; i++)
		if (strcmp(name, action_names[i]) == 0)
			return i;
	return -1;
}

const char *kn_class_name(int cls)
{
	if (cls >= 0 && cls < KN_AT_COUNT)
		return kn_attack_name((enum kn_attack_class)cls);
	if (cls == KN_CLASS_SIGNATURE)
		return "signature";
	if (cls == KN_CLASS_URL)
		return "url";
	return "unknown";
}

int kn_class_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "signature") == 0)
		return KN_CLASS_SIGNATURE;
	if (strcmp(name, "url") == 0)
		return KN_CLASS_URL;
	return kn_attack_parse(name);
}

/* ---- addresses and subnets ---------------------------------------------------- */

static unsigned addr_bits(uint8_t family)
{
	return family == 4 ? 32 : family == 6 ? 128 : 0;
}

/* Clear the bits past prefix. */
static void mask_bits(uint8_t *b, unsigned len, unsigned prefix)
{
	for (unsigned i = 0; i < len; i++) {
		if (prefix >= 8 * (i + 1))
			continue;
		if (prefix <= 8 * i)
			b[i] = 0;
		else
			b[i] &= (uint8_t)(0xff << (8 - (prefix - 8 * i)));
	}
}

/* An address or an address prefix in the slash notation of RFC 4632
 * section 3.1 (IPv4) and RFC 4291 section 2.3 (IPv6). */
int kn_cidr_parse(const char *s, struct kn_cidr *out)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash;
	size_t n;
	unsigned prefix, max;

	if (s == NULL || out == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (memchr(buf, ':', n) != NULL) {
		if (inet_pton(AF_INET6, buf, out->net.b) != 1)
			return -1;
		out->net.family = 6;
	} else {
		/* inet_pton takes only the dotted-quad form, not inet_aton's
		 * octal, hexadecimal or short forms. */
		if (inet_pton(AF_INET, buf, out->net.b) != 1)
			return -1;
		out->net.family = 4;
	}
	max = addr_bits(out->net.family);
	prefix = max;
	if (slash != NULL) {
		const char *q = slash + 1;

		if (*q == '\0' || strlen(q) > 3)
			return -1;
		prefix = 0;
		for (; *q != '\0'; q++) {
			if (*q < '0' || *q > '9')
				return -1;
			prefix = prefix * 10 + (unsigned)(*q - '0');
		}
		if (prefix > max)
			return -1;
	}
	out->prefix = (uint8_t)prefix;
	/* "10.1.2.3/8" means 10.0.0.0/8, as in iptables. */
	mask_bits(out->net.b, max / 8, prefix);
	return 0;
}

int kn_cidr_contains(const struct kn_cidr *c, const struct kn_addr *a)
{
	unsigned max = addr_bits(c->net.family), bits = c->prefix, full, rem;

	if (max == 0 || a->family != c->net.family)
		return 0;
	if (bits > max)
		bits = max;
	full = bits / 8;
	rem = bits % 8;
	if (memcmp(c->net.b, a->b, full) != 0)
		return 0;
	if (rem != 0 &&
	    ((c->net.b[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rem))) != 0)
		return 0;
	return 1;
}

int kn_cidr_list_parse(const char *value, struct kn_cidr **out, size_t *n,
		       char *bad, size_t badlen)
{
	struct kn_cidr *l = NULL, *nl;
	size_t cnt = 0;
	const char *p = value;
	char word[INET6_ADDRSTRLEN + 8];

	*out = NULL;
	*n = 0;
	if (badlen > 0)
		bad[0] = '\0';
	while (*p != '\0') {
		size_t w = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		while (p[w] != '\0' && p[w] != ' ' && p[w] != '\t' && p[w] != ',')
			w++;
		if (w >= sizeof word) {
			snprintf(bad, badlen, "%.*s", (int)w, p);
			goto fail;
		}
		memcpy(word, p, w);
		word[w] = '\0';
		p += w;
		nl = realloc(l, (cnt + 1) * sizeof *l);
		if (nl == NULL)
			goto fail;
		l = nl;
		if (kn_cidr_parse(word, &l[cnt]) != 0) {
			snprintf(bad, badlen, "%s", word);
			goto fail;
		}
		cnt++;
	}
	if (cnt == 0)
		goto fail;
	*out = l;
	*n = cnt;
	return 0;
fail:
	free(l);
	return -1;
}

int kn_cidr_list_match(const struct kn_cidr *l, size_t n,
		       const struct kn_addr *a)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if ((int)l[i].prefix > best && kn_cidr_contains(&l[i], a))
			best = l[i].prefix;
	return best;
}

static int cidr_cmp(const void *pa, const void *pb)
{
	const struct kn_cidr *a = pa, *b = pb;

	if (a->net.family != b->net.family)
		return a->net.family < b->net.family ? -1 : 1;
	if (a->prefix != b->prefix)
		return a->prefix > b->prefix ? -1 : 1;   /* longest first */
	return memcmp(a->net.b, b->net.b, 16);
}

static int build_exclusions(struct kn_policy *p, const struct kn_policy_conf *c)
{
	size_t n = c->nexclude < KN_POLICY_MAX_EXCLUDE ?
		   c->nexclude : KN_POLICY_MAX_EXCLUDE;

	p->x = calloc(n + 1, sizeof *p->x);
	if (p->x == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct kn_cidr e = c->exclude[i];
		unsigned max = addr_bits(e.net.family);

		if (max == 0)
			continue;
		if (e.prefix > max)
			e.prefix = (uint8_t)max;
		memset(e.net.b + max / 8, 0, 16 - max / 8);
		mask_bits(e.net.b, max / 8, e.prefix);
		p->x[p->nx++] = e;
	}
	qsort(p->x, p->nx, sizeof *p->x, cidr_cmp);
	for (size_t i = 0; i < p->nx; i++) {
		struct xgroup *g = p->ngroups > 0 ? &p->groups[p->ngroups - 1] :
				   NULL;

		if (g != NULL && g->family == p->x[i].net.family &&
		    g->prefix == p->x[i].prefix) {
			g->count++;
			continue;
		}
		g = &p->groups[p->ngroups++];
		g->family = p->x[i].net.family;
		g->prefix = p->x[i].prefix;
		g->first = i;
		g->count = 1;
	}
	return 0;
}

int kn_policy_excluded(const struct kn_policy *p, const struct kn_addr *a)
{
	unsigned max = addr_bits(a->family);
	uint8_t m[16];

	if (p->ngroups == 0 || max == 0)
		return 0;
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct xgroup *g = &p->groups[i];
		size_t lo = g->first, hi = g->first + g->count;

		if (g->family != a->family)
			continue;
		memset(m, 0, sizeof m);
		memcpy(m, a->b, max / 8);
		mask_bits(m, max / 8, g->prefix);
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int r = memcmp(m, p->x[mid].net.b, 16);

			if (r == 0)
				return 1;
			if (r < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	return 0;
}

/* ---- defaults ----------------------------------------------------------------- */

/*
 * Scans, sweeps and floods from one source block it (a scanner or a
 * flooder that completes no handshake has nothing to lose, and what
 * follows a scan is the attack); made of UDP, ARP or many sources, or
 * with a forged source (Land), they drop instead (block_spoofable off):
 * blocking a forged source would let an attacker cut anyone off.
 * Single-packet attacks drop their packets: they are often forged and one
 * packet says little about its sender.  ARP spoofing is reported only:
 * which of two MAC addresses is the impostor cannot be told, and dropping
 * either side's ARP would cut off the real owner.  Intrusion signatures
 * and malicious web addresses drop the packets that match: a signature or
 * a URL names a request, not a host, and a shared server's address would
 * take its other sites with it.
 */
void kn_policy_defaults(struct kn_policy_conf *c)
{
	memset(c, 0, sizeof *c);
	for (int i = 0; i < KN_CLASS_COUNT; i++)
		c->action[i] = KN_ACT_DROP;
	c->action[KN_AT_TCP_PORTSCAN] = KN_ACT_BLOCK;
	c->action[KN_AT_UDP_PORTSCAN] = KN_ACT_BLOCK;
	c->action[KN_AT_STEALTH_SCAN] = KN_ACT_BLOCK;
	c->action[KN_AT_HOST_SWEEP] = KN_ACT_BLOCK;
	c->action[KN_AT_SYN_FLOOD] = KN_ACT_BLOCK;
	c->action[KN_AT_UDP_FLOOD] = KN_ACT_BLOCK;
	c->action[KN_AT_ICMP_FLOOD] = KN_ACT_BLOCK;
	c->action[KN_AT_ARP_SPOOF] = KN_ACT_ALLOW;
	/* A rule says itself whether it drops (drop, reject) or only
	 * alerts, as in Suricata's IPS mode; action.signature makes the
	 * alert rules drop or block too. */
	c->action[KN_CLASS_SIGNATURE] = KN_ACT_ALLOW;
	c->block_us = 60ull * 60 * 1000000;
	c->max_blocked = 65536;
	c->monitoring = 0;
}

/* ---- blocks ------------------------------------------------------------------- */

static uint32_t addr_hash(const struct kn_policy *p, const struct kn_addr *a)
{
	uint64_t w[2];

	memset(w, 0, sizeof w);
	memcpy(w, a->b, a->family == 4 ? 4 : 16);
	return (uint32_t)ks_u64map_mix(ks_u64map_mix(w[0] ^ p->seed ^ a->family) ^
				       w[1]);
}

static int same(const struct kn_addr *a, const struct kn_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

static uint32_t find(const struct kn_policy *p, const struct kn_addr *a,
		     uint32_t h)
{
	for (uint32_t i = p->bucket[h & p->mask]; i != 0; i = p->b[i].hnext)
		if (p->b[i].hash == h && same(&p->b[i].a, a))
			return i;
	return 0;
}

static void list_unlink(struct kn_policy *p, uint32_t i)
{
	struct blk *e = &p->b[i];

	if (e->prev != 0)
		p->b[e->prev].next = e->next;
	else
		p->head = e->next;
	if (e->next != 0)
		p->b[e->next].prev = e->prev;
	else
		p->tail = e->prev;
	e->prev = e->next = 0;
}

static void list_append(struct kn_policy *p, uint32_t i)
{
	struct blk *e = &p->b[i];

	e->next = 0;
	e->prev = p->tail;
	if (p->tail != 0)
		p->b[p->tail].next = i;
	else
		p->head = i;
	p->tail = i;
}

static void unblock(struct kn_policy *p, uint32_t i)
{
	struct blk *e = &p->b[i];
	uint32_t *link = &p->bucket[e->hash & p->mask];

	while (*link != i)
		link = &p->b[*link].hnext;
	*link = e->hnext;
	list_unlink(p, i);
	e->hnext = p->free;
	p->free = i;
	p->n--;
}

static void block(struct kn_policy *p, const struct kn_addr *a, uint64_t now)
{
	uint32_t h = addr_hash(p, a), i = find(p, a, h);
	uint64_t until = now + p->block_us;

	if (until < now)
		until = UINT64_MAX;
	if (i != 0) {
		if (until > p->b[i].until)
			p->b[i].until = until;
		list_unlink(p, i);
		list_append(p, i);
		p->st.renewed++;
		return;
	}
	if (p->free == 0) {
		p->st.evicted++;
		unblock(p, p->head);
	}
	i = p->free;
	p->free = p->b[i].hnext;
	memset(&p->b[i], 0, sizeof p->b[i]);
	p->b[i].a.family = a->family;
	memcpy(p->b[i].a.b, a->b, a->family == 4 ? 4 : 16);
	p->b[i].until = until;
	p->b[i].hash = h;
	p->b[i].hnext = p->bucket[h & p->mask];
	p->bucket[h & p->mask] = i;
	list_append(p, i);
	p->n++;
	p->st.blocks++;
}

/* ---- the policy ------------------------------------------------------------------ */

struct kn_policy *kn_policy_new(const struct kn_policy_conf *c)
{
	struct kn_policy *p;
	size_t nb = 1;

	if (c == NULL || c->max_blocked == 0 || c->max_blocked > MAX_BLOCKED)
		return NULL;
	for (int i = 0; i < KN_CLASS_COUNT; i++)
		if ((unsigned)c->action[i] > KN_ACT_BLOCK)
			return NULL;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	memcpy(p->action, c->action, sizeof p->action);
	memcpy(p->block_spoofable, c->block_spoofable,
	       sizeof p->block_spoofable);
	p->block_us = c->block_us;
	p->monitoring = c->monitoring;
	p->cap = (uint32_t)c->max_blocked;
	while (nb < 2 * (size_t)p->cap)
		nb <<= 1;
	p->b = calloc((size_t)p->cap + 1, sizeof *p->b);
	p->bucket = calloc(nb, sizeof *p->bucket);
	if (p->b == NULL || p->bucket == NULL || build_exclusions(p, c) != 0) {
		kn_policy_free(p);
		return NULL;
	}
	p->mask = (uint32_t)(nb - 1);
	for (uint32_t i = 1; i <= p->cap; i++)
		p->b[i].hnext = i < p->cap ? i + 1 : 0;
	p->free = 1;
	if (getrandom(&p->seed, sizeof p->seed, GRND_NONBLOCK) !=
	    (ssize_t)sizeof p->seed)
		p->seed = 0xbb67ae8584caa73bull ^ (uint64_t)(uintptr_t)p;
	return p;
}

void kn_policy_free(struct kn_policy *p)
{
	if (p == NULL)
		return;
	free(p->x);
	free(p->b);
	free(p->bucket);
	free(p);
}

static uint64_t clock_at(struct kn_policy *p, uint64_t now_us)
{
	if (now_us > p->now)
		p->now = now_us;
	return p->now;
}

enum kn_action kn_policy_finding(struct kn_policy *p, int cls,
				 const struct kn_addr *src, uint8_t proto,
				 int spoofed, uint64_t now_us)
{
	uint64_t now = clock_at(p, now_us);
	enum kn_action act;
	int addr_ok = src != NULL && (src->family == 4 || src->family == 6);

	if (cls < 0 || cls >= KN_CLASS_COUNT)
		return KN_ACT_ALLOW;
	act = p->action[cls];
	if (act == KN_ACT_ALLOW)
		return KN_ACT_ALLOW;
	if (addr_ok && kn_policy_excluded(p, src)) {
		p->st.excluded++;
		return KN_ACT_ALLOW;
	}
	if (act == KN_ACT_DROP)
		return KN_ACT_DROP;
	if (!addr_ok)
		return KN_ACT_DROP;
	/* UDP and ARP (protocol 0) carry no handshake: their sources can
	 * be anyone's. */
	if ((spoofed || proto == 17 || proto == 0) && !p->block_spoofable[cls]) {
		p->st.not_blocked++;
		return KN_ACT_DROP;
	}
	/* In monitoring mode the block is kept too, so that later packets
	 * can say what standard mode would have done with them. */
	block(p, src, now);
	return KN_ACT_BLOCK;
}

int kn_policy_blocked(struct kn_policy *p, const struct kn_pkt *pkt,
		      uint64_t now_us, int *would)
{
	uint64_t now;
	uint32_t i;

	if (would != NULL)
		*would = 0;
	if (p->n == 0 || (pkt->src.family != 4 && pkt->src.family != 6))
		return 0;
	now = clock_at(p, now_us);
	i = find(p, &pkt->src, addr_hash(p, &pkt->src));
	if (i == 0)
		return 0;
	if (p->b[i].until <= now) {
		p->st.expired++;
		unblock(p, i);
		return 0;
	}
	if (would != NULL)
		*would = 1;
	p->st.blocked_packets++;
	return p->monitoring ? 0 : 1;
}

void kn_policy_expire(struct kn_policy *p, uint64_t now_us)
{
	uint64_t now = clock_at(p, now_us);

	while (p->head != 0 && p->b[p->head].until <= now) {
		p->st.expired++;
		unblock(p, p->head);
	}
}

size_t kn_policy_blocked_count(const struct kn_policy *p)
{
	return p->n;
}

void kn_policy_get_stats(const struct kn_policy *p, struct kn_policy_stats *s)
{
	*s = p->st;
}
