/*
 * Fuzz target: the attack detectors and the policy, fed a sequence of
 * synthetic packets derived from the input (addresses from a small pool,
 * any flags, ports, ICMP types and quoted datagrams, ARP claims,
 * defragmentation events, time moving forward by small and large steps,
 * ticks and flushes), with small caps and thresholds so that episodes,
 * evictions and expiries happen often.  Invariants checked:
 *   - every episode starts once and ends once, START before END, episode
 *     numbers of a class counting up from 1 without gaps;
 *   - an episode's counters never decrease from START to END and its
 *     first time is not after its last;
 *   - a packet is said to belong only to episodes in progress;
 *   - the statistics never decrease; the tables never exceed their caps;
 *     nothing is left in progress after a flush;
 *   - the policy never blocks what it must not (no address, UDP/ARP or
 *     forged sources without block_spoofable, excluded sources), never
 *     drops in monitoring mode, and its block table stays under its cap;
 *   - a parsed subnet contains its own network address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/det-int.h"
#include "net/det.h"
#include "net/policy.h"
#include "net/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPEN 128

struct open_ep {
	struct kn_attack a;          /* as at START */
};

struct state {
	struct kn_det *det;
	struct kn_policy *pol;
	struct kn_policy_conf *pc;
	struct open_ep open[MAX_OPEN];
	int nopen;
	uint64_t started[KN_AT_COUNT];
	uint32_t called;             /* classes called back for */
	uint64_t now;
};

static struct state S;

static uint8_t take(const uint8_t **p, const uint8_t *end)
{
	return *p < end ? *(*p)++ : 0;
}

static void on_attack(void *ctx, const struct kn_attack *a,
		      enum kn_episode_phase ph)
{
	struct state *s = ctx;
	int i;

	if ((unsigned)a->cls >= KN_AT_COUNT ||
	    kn_attack_parse(kn_attack_name(a->cls)) != (int)a->cls ||
	    kn_class_parse(kn_class_name((int)a->cls)) != (int)a->cls)
		abort();
	s->called |= 1u << a->cls;
	for (i = 0; i < s->nopen; i++)
		if (s->open[i].a.cls == a->cls &&
		    s->open[i].a.episode == a->episode)
			break;
	if (a->first.sec > a->last.sec ||
	    (a->first.sec == a->last.sec && a->first.usec > a->last.usec))
		abort();
	if (ph == KN_EPISODE_START) {
		enum kn_action act;

		if (i < s->nopen || a->episode != s->started[a->cls] + 1 ||
		    s->nopen == MAX_OPEN)
			abort();
		s->started[a->cls]++;
		s->open[s->nopen++].a = *a;
		/* Only Land and floods are forged; a forged flood names
		 * no source. */
		if (a->spoofed && a->cls != KN_AT_LAND &&
		    (a->src.family != 0 || (a->cls != KN_AT_SYN_FLOOD &&
					    a->cls != KN_AT_UDP_FLOOD &&
					    a->cls != KN_AT_ICMP_FLOOD)))
			abort();
		act = kn_policy_finding(s->pol, (int)a->cls, &a->src, a->proto,
					a->spoofed, s->now);
		if (act == KN_ACT_BLOCK &&
		    (a->src.family == 0 ||
		     ((a->spoofed || a->proto == 17 || a->proto == 0) &&
		      !s->pc->block_spoofable[a->cls]) ||
		     kn_policy_excluded(s->pol, &a->src) ||
		     s->pc->action[a->cls] != KN_ACT_BLOCK))
			abort();
		if (s->pc->action[a->cls] == KN_ACT_ALLOW && act != KN_ACT_ALLOW)
			abort();
		if (kn_policy_blocked_count(s->pol) > s->pc->max_blocked)
			abort();
		return;
	}
	if (i == s->nopen)
		abort();
	{
		const struct kn_attack *b = &s->open[i].a;

		if (a->packets < b->packets || a->bytes < b->bytes ||
		    a->ports < b->ports || a->hosts < b->hosts ||
		    a->sources < b->sources || a->spoofed != b->spoofed ||
		    a->src.family != b->src.family ||
		    memcmp(a->src.b, b->src.b, 16) != 0 ||
		    a->first.sec != b->first.sec ||
		    a->first.usec != b->first.usec)
			abort();
	}
	s->open[i] = s->open[--s->nopen];
}

static struct kn_addr pool(int v6, uint8_t i)
{
	struct kn_addr a;

	memset(&a, 0, sizeof a);
	if (!v6) {
		a.family = 4;
		a.b[0] = 10;
		a.b[3] = (uint8_t)(i & 7);
	} else {
		a.family = 6;
		a.b[0] = 0x20;
		a.b[1] = 0x01;
		a.b[15] = (uint8_t)(i & 7);
	}
	return a;
}

/* A tiny flow table, as the real one leaves counters and flags. */
struct fflow {
	struct kn_flow f;
	int used;
};

static struct fflow flows[16];

static struct kn_flow *flow_of(const struct kn_pkt *p, int *dir)
{
	int free_ = -1;

	for (int i = 0; i < 16; i++) {
		struct kn_flow *f = &flows[i].f;

		if (!flows[i].used) {
			if (free_ < 0)
				free_ = i;
			continue;
		}
		if (f->proto != p->proto)
			continue;
		if (memcmp(&f->cli, &p->src, sizeof p->src) == 0 &&
		    memcmp(&f->srv, &p->dst, sizeof p->dst) == 0 &&
		    f->cport == p->sport && f->sport == p->dport) {
			*dir = KN_TO_SERVER;
			goto found;
		}
		if (memcmp(&f->cli, &p->dst, sizeof p->dst) == 0 &&
		    memcmp(&f->srv, &p->src, sizeof p->src) == 0 &&
		    f->cport == p->dport && f->sport == p->sport) {
			*dir = KN_TO_CLIENT;
			goto found;
		}
		continue;
found:
		f->pkts[*dir]++;
		if (p->proto == 6)
			f->flags_seen[*dir] |= p->tcp_flags;
		return f;
	}
	if (free_ < 0)
		free_ = (int)(p->sport % 16);
	memset(&flows[free_], 0, sizeof flows[free_]);
	flows[free_].used = 1;
	flows[free_].f.proto = p->proto;
	flows[free_].f.cli = p->src;
	flows[free_].f.srv = p->dst;
	flows[free_].f.cport = p->sport;
	flows[free_].f.sport = p->dport;
	*dir = KN_TO_SERVER;
	return flow_of(p, dir);
}

static void check_caps(const struct state *s, const struct kn_det_stats *prev)
{
	struct kn_det_stats st;

	kn_det_get_stats(s->det, &st);
	for (int c = 0; c < KN_AT_COUNT; c++)
		if (st.episodes[c] < prev->episodes[c] ||
		    st.episodes[c] != s->started[c])
			abort();
	if (st.sources_forgotten < prev->sources_forgotten ||
	    st.targets_forgotten < prev->targets_forgotten)
		abort();
	for (int t = 0; t < KN_TAB_COUNT; t++)
		if (s->det->tab[t].n > s->det->tab[t].cap)
			abort();
	if (kn_policy_blocked_count(s->pol) > s->pc->max_blocked)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct kn_det_conf dc;
	struct kn_det_stats prev;
	struct kn_policy_stats pst, pprev;
	uint8_t quote[64];
	uint8_t b;

	memset(&S, 0, sizeof S);
	memset(flows, 0, sizeof flows);
	S.pc = calloc(1, sizeof *S.pc);
	if (S.pc == NULL)
		abort();

	/* Settings: small caps and thresholds. */
	kn_det_defaults(&dc);
	for (int c = 0; c < KN_AT_COUNT; c++) {
		b = take(&p, end);
		dc.th[c].count = (uint64_t)(b & 7) + 1;
		dc.th[c].window_us = (uint64_t)((b >> 3) + 1) * 100000;
	}
	b = take(&p, end);
	dc.max_sources = (size_t)(b & 15) + 1;
	dc.max_targets = (size_t)(b >> 4) + 1;
	b = take(&p, end);
	dc.max_arp = (size_t)(b & 7) + 1;
	dc.max_episode_us = (b & 8) ? 0 : (uint64_t)((b >> 4) + 1) * 1000000;
	kn_policy_defaults(S.pc);
	b = take(&p, end);
	S.pc->monitoring = b & 1;
	S.pc->max_blocked = (size_t)((b >> 1) & 7) + 1;
	S.pc->block_us = (uint64_t)(b >> 4) * 1000000;
	b = take(&p, end);
	for (int c = 0; c < KN_CLASS_COUNT; c++) {
		S.pc->action[c] = (enum kn_action)((b + c) % 3);
		S.pc->block_spoofable[c] = (b >> (c % 8)) & 1;
	}
	/* Exclusions: subnet strings from the input. */
	b = take(&p, end);
	for (int i = 0; i < (b & 3); i++) {
		char s[48];
		size_t n = take(&p, end) % sizeof s, k;
		struct kn_cidr c;

		for (k = 0; k < n && p < end; k++)
			s[k] = (char)*p++;
		s[k] = '\0';
		if (kn_cidr_parse(s, &c) != 0)
			continue;
		if ((c.net.family == 4 && c.prefix > 32) ||
		    (c.net.family == 6 && c.prefix > 128) ||
		    !kn_cidr_contains(&c, &c.net))
			abort();
		S.pc->exclude[S.pc->nexclude++] = c;
	}
	S.det = kn_det_new(&dc, on_attack, &S);
	S.pol = kn_policy_new(S.pc);
	if (S.det == NULL || S.pol == NULL)
		abort();
	S.now = 1700000000ull * 1000000;
	memset(&prev, 0, sizeof prev);
	memset(&pprev, 0, sizeof pprev);

	while (p < end) {
		uint8_t kind = take(&p, end), a1 = take(&p, end),
			a2 = take(&p, end), fl = take(&p, end),
			pt = take(&p, end), dt = take(&p, end),
			ex = take(&p, end);
		int v6 = (a1 & 8) != 0, dir = KN_TO_SERVER, would;
		struct kn_pkt k;
		struct kn_flow *f = NULL;
		struct kn_defrag_events ev, *evp = NULL;
		uint32_t m, open_before = 0;

		S.now += (dt & 0x80) ? (uint64_t)(dt & 0x7f) * 1000000 :
			 (uint64_t)dt * 1000;
		memset(&k, 0, sizeof k);
		k.ts.sec = (int64_t)(S.now / 1000000);
		k.ts.usec = (uint32_t)(S.now % 1000000);
		k.caplen = k.wirelen = 60 + (size_t)(ex & 0x3f);
		k.ipv = v6 ? 6 : 4;
		k.src = pool(v6, a1);
		k.dst = pool(v6, a2);
		k.sport = (uint16_t)(1000 + ((pt >> 4) & 7));
		k.dport = (uint16_t)(pt & 0x80 ? 33434 + (pt & 7) : pt & 0x0f);
		k.has_l4 = 1;
		switch (kind & 7) {
		case 0:
		case 1:
			k.proto = 6;
			k.tcp_flags = fl;
			if (ex & 0x40)
				k.payload_len = k.payload_wire = ex & 0x0f;
			break;
		case 2:
			k.proto = 17;
			if (ex & 0x40)
				k.sport = k.dport = (uint16_t)(ex & 3);
			break;
		case 3:
			k.proto = v6 ? 58 : 1;
			k.icmp_type = fl;
			k.icmp_code = pt & 7;
			/* A quoted datagram: either raw input bytes or one
			 * built from the pool. */
			memset(quote, 0, sizeof quote);
			if (ex & 0x40) {
				size_t n = (size_t)(ex & 0x3f);

				for (size_t i = 0; i < n && p < end; i++)
					quote[i] = *p++;
				k.payload_len = n;
			} else if (!v6) {
				quote[0] = 0x45;
				quote[9] = (ex & 1) ? 17 : 6;
				memcpy(quote + 12, k.dst.b, 4);
				memcpy(quote + 16, pool(0, (uint8_t)(ex >> 1)).b, 4);
				quote[23] = (uint8_t)(ex >> 2);
				k.payload_len = 28;
			} else {
				quote[0] = 0x60;
				quote[6] = (ex & 1) ? 17 : 58;
				memcpy(quote + 8, k.dst.b, 16);
				memcpy(quote + 24, pool(1, (uint8_t)(ex >> 1)).b, 16);
				quote[43] = (uint8_t)(ex >> 2);
				quote[40] = 128;
				k.payload_len = 48;
			}
			k.payload = quote;
			k.payload_wire = k.payload_len;
			break;
		case 4:
			/* ARP: addresses from the IPv4 pool, MACs from a
			 * pool of four (and a multicast one). */
			memset(&k, 0, sizeof k);
			k.ts.sec = (int64_t)(S.now / 1000000);
			k.ts.usec = (uint32_t)(S.now % 1000000);
			k.has_arp = 1;
			k.arp_op = (uint16_t)(fl & 3);
			k.arp_sha[0] = (uint8_t)((fl & 4) ? 1 : 2);
			k.arp_sha[5] = (uint8_t)(pt & 3);
			memcpy(k.arp_spa, pool(0, a1).b, 4);
			memcpy(k.arp_tpa, pool(0, a2).b, 4);
			if (ex & 1)
				memset(k.arp_spa, 0, 4);
			k.caplen = k.wirelen = 42;
			break;
		case 5:
			/* A fragment and what defragmentation found. */
			k.proto = (ex & 1) ? 17 : 6;
			k.is_frag = 1;
			k.reassembled = (fl & 0x80) != 0;
			k.has_l4 = (fl & 0x40) != 0;
			memset(&ev, 0, sizeof ev);
			ev.overlap = fl & 1;
			ev.overlap_differs = (fl >> 1) & 1;
			ev.too_large = (fl >> 2) & 1;
			ev.tiny = (fl >> 3) & 1;
			ev.bad_offset = (fl >> 4) & 1;
			evp = &ev;
			k.ipopts = (unsigned)(ex >> 5);
			k.v6_rh0 = v6 && (ex & 2);
			break;
		case 6:
			kn_det_tick(S.det, S.now);
			kn_policy_expire(S.pol, S.now);
			check_caps(&S, &prev);
			kn_det_get_stats(S.det, &prev);
			continue;
		default:
			if (kind & 8) {
				kn_det_flush(S.det);
				if (S.nopen != 0)
					abort();
			}
			continue;
		}
		if ((kind & 0x10) && !k.has_arp && !k.is_frag)
			f = flow_of(&k, &dir);
		if (kind & 0x20)
			k.ipopts |= KN_IPOPT_LSRR;
		/* A packet belongs only to episodes that were in progress
		 * during the call (one may start, or end when its tracker
		 * is forgotten to make room, within it). */
		for (int i = 0; i < S.nopen; i++)
			open_before |= 1u << S.open[i].a.cls;
		S.called = 0;
		m = kn_det_packet(S.det, &k, f, dir, evp);
		if (m & ~(open_before | S.called))
			abort();
		if (k.ipv != 0) {
			int r = kn_policy_blocked(S.pol, &k, S.now, &would);

			if (r && (S.pc->monitoring || !would))
				abort();
		}
		check_caps(&S, &prev);
		kn_det_get_stats(S.det, &prev);
		kn_policy_get_stats(S.pol, &pst);
		if (pst.blocks < pprev.blocks || pst.expired < pprev.expired ||
		    pst.evicted < pprev.evicted ||
		    pst.blocked_packets < pprev.blocked_packets)
			abort();
		pprev = pst;
	}
	kn_det_flush(S.det);
	if (S.nopen != 0)
		abort();
	check_caps(&S, &prev);
	kn_det_free(S.det);
	kn_policy_free(S.pol);
	free(S.pc);
	return 0;
}
