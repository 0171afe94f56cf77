/*
 * The runtime of intrusion signatures (see detect.h): candidates from the
 * prefilter, confirmation of each rule, flow state (flowbits, stream
 * windows, passed flows) and host state (threshold, detection_filter).
 */
#include "ids/detect.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/u64map.h"
#include "ids/bufs.h"
#include "ids/compile.h"
#include "ids/match.h"
#include "ids/vars.h"

#define MAX_FLOWBITS 256             /* names set in one flow */
#define SNI_KEEP 256
#define MAX_PENDING 128              /* prefilter hits kept per stream direction */

/* The stream window of one direction: the last stream_window bytes are
 * the window, and the buffer has as much again behind them so that new
 * bytes are appended in place and the window moved back only once per
 * stream_window bytes. */
struct win {
	uint8_t *p;
	size_t n, cap;
};

/* A rule whose fast pattern was seen in a stream direction: it stays a
 * candidate while that may still lie in the window, so that only the new
 * bytes need the prefilter (with the longest pattern's length before
 * them). */
struct pend_ent {
	uint32_t rule;
	uint64_t until;              /* the end of the bytes it was found in */
};

struct pend {
	struct pend_ent *v;
	uint32_t n;
	uint32_t setgen;             /* the set the rule numbers belong to */
	int full;                    /* lost some: scan the whole window */
};

struct fstate {
	uint32_t *bits;              /* sorted flowbit ids */
	size_t nbits, capbits;
	struct win w[2];
	struct pend pend[2];
	uint64_t off[2];             /* stream bytes seen per direction */
	int passed;
	uint8_t sni[SNI_KEEP];
	size_t nsni;
};

struct host {                        /* one threshold or filter track */
	uint64_t key;
	uint64_t start_us;
	uint64_t count;
	int alerted;
};

struct ki_ids {
	struct ki_ids_conf c;
	ki_alert_cb cb;
	void *ctx;
	struct ki_set *set;
	uint32_t setgen;             /* counts the swaps */
	hs_scratch_t *scratch;
	struct ki_mctx m;
	struct ks_u64map flows;      /* flow id -> fstate */
	struct ks_u64map hosts;      /* track key -> host */
	size_t win_mem;
	uint32_t *stamp;             /* candidate marks, per rule */
	uint32_t gen;
	uint32_t *cand;
	size_t ncand;
	struct ks_buf winbuf;        /* a stream window with new bytes */
	struct ki_bufs bufs;
	struct ki_ids_stats st;
};

void ki_ids_defaults(struct ki_ids_conf *c)
{
	c->max_flows = 65536;
	c->stream_window = 4096;
	c->stream_mem = 64u << 20;
	c->max_hosts = 65536;
	c->max_alerts = 32;
}

struct ki_ids *ki_ids_new(const struct ki_ids_conf *c, ki_alert_cb cb,
			  void *ctx)
{
	struct ki_ids *ids = calloc(1, sizeof *ids);

	if (ids == NULL)
		return NULL;
	ids->c = *c;
	ids->cb = cb;
	ids->ctx = ctx;
	ks_u64map_init(&ids->flows, c->max_flows);
	ks_u64map_init(&ids->hosts, c->max_hosts);
	ks_buf_init(&ids->winbuf, KS_BUF_UNLIMITED);
	ki_bufs_init(&ids->bufs);
	if (ki_mctx_init(&ids->m) != 0) {
		ki_ids_free(ids);
		return NULL;
	}
	return ids;
}

static void fstate_free(struct ki_ids *ids, struct fstate *fs)
{
	for (int d = 0; d < 2; d++) {
		ids->win_mem -= fs->w[d].cap;
		free(fs->w[d].p);
		if (fs->pend[d].v != NULL)
			ids->win_mem -= MAX_PENDING * sizeof *fs->pend[d].v;
		free(fs->pend[d].v);
	}
	free(fs->bits);
	free(fs);
}

void ki_ids_free(struct ki_ids *ids)
{
	if (ids == NULL)
		return;
	for (size_t i = 0; i < ids->flows.cap; i++)
		if (ids->flows.slots != NULL && ids->flows.slots[i].val != NULL)
			fstate_free(ids, ids->flows.slots[i].val);
	ks_u64map_free(&ids->flows);
	for (size_t i = 0; i < ids->hosts.cap; i++)
		if (ids->hosts.slots != NULL)
			free(ids->hosts.slots[i].val);
	ks_u64map_free(&ids->hosts);
	hs_free_scratch(ids->scratch);
	ki_mctx_free(&ids->m);
	ks_buf_free(&ids->winbuf);
	ki_bufs_free(&ids->bufs);
	free(ids->stamp);
	free(ids->cand);
	free(ids);
}

int ki_ids_swap(struct ki_ids *ids, struct ki_set *s, struct ki_set **old)
{
	uint32_t *stamp = NULL, *cand = NULL;

	if (s != NULL) {
		hs_scratch_t *sc = ids->scratch;

		/* Growing the scratch for the new databases keeps it valid
		 * for the current ones: a failure leaves all as it was. */
		for (int h = 0; h < KI_H_COUNT; h++)
			for (size_t i = 0; i < s->comp->h[h].ndbs; i++)
				if (hs_alloc_scratch(s->comp->h[h].dbs[i].db, &sc) !=
				    HS_SUCCESS) {
					ids->scratch = sc;
					return -1;
				}
		ids->scratch = sc;
		stamp = calloc(s->n + 1, sizeof *stamp);
		cand = malloc((s->n + 1) * sizeof *cand);
		if (stamp == NULL || cand == NULL) {
			free(stamp);
			free(cand);
			return -1;
		}
	}
	free(ids->stamp);
	free(ids->cand);
	ids->stamp = stamp;
	ids->cand = cand;
	ids->gen = 0;
	ids->setgen++;
	*old = ids->set;
	ids->set = s;
	return 0;
}

void ki_ids_get_stats(const struct ki_ids *ids, struct ki_ids_stats *s)
{
	*s = ids->st;
}

/* ---- flow state ------------------------------------------------------------- */

static struct fstate *fstate(struct ki_ids *ids, const struct kn_flow *f,
			     int make)
{
	struct fstate *fs;

	if (f == NULL)
		return NULL;
	fs = ks_u64map_get(&ids->flows, f->id);
	if (fs != NULL || !make)
		return fs;
	fs = calloc(1, sizeof *fs);
	if (fs == NULL)
		return NULL;
	if (ks_u64map_put(&ids->flows, f->id, fs) != 0) {
		free(fs);
		ids->st.flows_untracked++;
		return NULL;
	}
	return fs;
}

void ki_ids_flow_end(struct ki_ids *ids, struct kn_flow *f)
{
	struct fstate *fs = ks_u64map_del(&ids->flows, f->id);

	if (fs != NULL)
		fstate_free(ids, fs);
}

static int bit_find(const struct fstate *fs, uint32_t id, size_t *at)
{
	size_t lo = 0, hi = fs ? fs->nbits : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fs->bits[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return fs != NULL && lo < fs->nbits && fs->bits[lo] == id;
}

static int bit_isset(const struct fstate *fs, uint32_t id)
{
	size_t at;

	return bit_find(fs, id, &at);
}

static void bit_set(struct fstate *fs, uint32_t id, int on)
{
	size_t at;
	int is = bit_find(fs, id, &at);

	if (is == on)
		return;
	if (!on) {
		memmove(fs->bits + at, fs->bits + at + 1,
			(fs->nbits - at - 1) * sizeof *fs->bits);
		fs->nbits--;
		return;
	}
	if (fs->nbits >= MAX_FLOWBITS)
		return;
	if (fs->nbits == fs->capbits) {
		size_t nc = fs->capbits ? fs->capbits * 2 : 8;
		uint32_t *nb = realloc(fs->bits, nc * sizeof *nb);

		if (nb == NULL)
			return;
		fs->bits = nb;
		fs->capbits = nc;
	}
	memmove(fs->bits + at + 1, fs->bits + at,
		(fs->nbits - at) * sizeof *fs->bits);
	fs->bits[at] = id;
	fs->nbits++;
}

/* The conditions of a rule's flowbits (isset, isnotset). */
static int flowbits_ok(const struct ki_rule *r, const struct fstate *fs)
{
	for (size_t i = 0; i < r->nfb; i++) {
		const struct ki_flowbit *fb = &r->fb[i];
		int any = 0, all = 1;

		if (fb->op != KI_FB_ISSET && fb->op != KI_FB_ISNOTSET)
			continue;
		for (size_t k = 0; k < fb->n; k++) {
			int set = bit_isset(fs, fb->ids[k]);

			any |= set;
			all &= set;
		}
		if (fb->op == KI_FB_ISSET && !(fb->any ? any : all))
			return 0;
		/* isnotset a|b: one of them is not set; a&b: none is. */
		if (fb->op == KI_FB_ISNOTSET && (fb->any ? all : any))
			return 0;
	}
	return 1;
}

static void flowbits_do(const struct ki_rule *r, struct fstate *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < r->nfb; i++) {
		const struct ki_flowbit *fb = &r->fb[i];

		for (size_t k = 0; k < fb->n; k++)
			switch (fb->op) {
			case KI_FB_SET: bit_set(fs, fb->ids[k], 1); break;
			case KI_FB_UNSET: bit_set(fs, fb->ids[k], 0); break;
			case KI_FB_TOGGLE:
				bit_set(fs, fb->ids[k], !bit_isset(fs, fb->ids[k]));
				break;
			default: break;
			}
	}
}

/* ---- threshold and detection_filter -------------------------------------------- */

static uint64_t addr_key(const struct kn_addr *a)
{
	uint64_t h = a->family;

	for (int i = 0; i < 16; i++)
		h = h * 1099511628211ull + a->b[i];
	return h;
}

/* 1 when the event may alert under the tracking t. */
static int track(struct ki_ids *ids, const struct ki_rule *r,
		 const struct ki_threshold *t, const struct ki_alert *a,
		 uint64_t now_us)
{
	uint64_t key = ((uint64_t)r->gid << 32 | r->sid) * 0x9e3779b97f4a7c15ull;
	uint64_t win = (uint64_t)t->seconds * 1000000u;
	struct host *h;

	key ^= (uint64_t)t->type << 60;
	if (t->track == KI_TRACK_SRC || t->track == KI_TRACK_BOTH)
		key ^= addr_key(&a->src);
	if (t->track == KI_TRACK_DST || t->track == KI_TRACK_BOTH)
		key ^= addr_key(&a->dst) * 31;
	key = ks_u64map_mix(key) | 1;
	h = ks_u64map_get(&ids->hosts, key);
	if (h == NULL) {
		h = calloc(1, sizeof *h);
		if (h == NULL || ks_u64map_put(&ids->hosts, key, h) != 0) {
			/* The table is full: forget the tracks whose time
			 * ran out and try once more; failing that the event
			 * alerts, counted (an attacker filling the table
			 * must not silence the rules). */
			free(h);
			for (size_t i = 0; i < ids->hosts.cap; i++) {
				struct host *o = ids->hosts.slots[i].val;

				if (o != NULL && now_us - o->start_us > 86400000000ull) {
					ks_u64map_del(&ids->hosts, o->key);
					free(o);
					i--;
				}
			}
			h = calloc(1, sizeof *h);
			if (h == NULL || ks_u64map_put(&ids->hosts, key, h) != 0) {
				free(h);
				ids->st.hosts_full++;
				return 1;
			}
		}
		h->key = key;
		h->start_us = now_us;
	}
	if (now_us - h->start_us >= win) {
		h->start_us = now_us;
		h->count = 0;
		h->alerted = 0;
	}
	h->count++;
	switch (t->type) {
	case KI_TH_LIMIT:
		return h->count <= t->count;
	case KI_TH_THRESHOLD:
		if (h->count >= t->count) {
			h->count = 0;
			return 1;
		}
		return 0;
	case KI_TH_BOTH:
		if (h->count >= t->count && !h->alerted) {
			h->alerted = 1;
			return 1;
		}
		return 0;
	default:                     /* detection_filter */
		return h->count > t->count;
	}
}

/* ---- evaluation ------------------------------------------------------------------- */

struct ev {
	struct ki_ids *ids;
	int hook;
	struct fstate *fs;
	struct ki_alert a;           /* the orientation, for the header */
	const uint8_t *payload;
	size_t plen;
	uint64_t base;
	size_t min_end;
	/* Stream data: the prefilter starts at payload + scan_off, and the
	 * rules it found before are in pend (NULL without flow state). */
	size_t scan_off;
	struct pend *pend;
	int drop, nalerts, stop;
};

static int established(const struct kn_flow *f)
{
	if (f->proto == 6)
		return f->state == KN_TCP_ESTABLISHED || f->state == KN_TCP_CLOSING ||
		       (f->state == KN_TCP_NONE && f->pkts[0] > 0 && f->pkts[1] > 0);
	return f->pkts[0] > 0 && f->pkts[1] > 0;
}

static int proto_ok(const struct ki_rule *r, const struct ev *e)
{
	const struct kn_flow *f = e->a.f;
	uint8_t pr = e->a.proto;

	switch (r->proto) {
	case KI_PR_IP: return 1;
	case KI_PR_TCP: case KI_PR_TCP_PKT: case KI_PR_TCP_STREAM: return pr == 6;
	case KI_PR_UDP: return pr == 17;
	case KI_PR_ICMP: return pr == 1 || pr == 58;
	case KI_PR_HTTP:
		return e->hook == KI_H_HTTP_REQ || e->hook == KI_H_HTTP_RESP ||
		       (f != NULL && f->app == KN_APP_HTTP);
	case KI_PR_DNS:
		return e->hook == KI_H_DNS || (f != NULL && f->app == KN_APP_DNS);
	default:
		return e->hook == KI_H_TLS_HELLO || e->hook == KI_H_TLS_CERT ||
		       (f != NULL && f->app == KN_APP_TLS);
	}
}

static int ports_ok(const struct ki_ports *p, uint8_t proto, uint16_t port)
{
	if (proto != 6 && proto != 17)
		return ki_ports_any(p);
	return ki_ports_match(p, port);
}

/* Ports first: they are cheaper than address lists. */
static int header_ok(const struct ki_rule *r, const struct ki_alert *a)
{
	if (ports_ok(&r->sp, a->proto, a->sport) && ports_ok(&r->dp, a->proto, a->dport) &&
	    ki_addrs_match(&r->src, &a->src) && ki_addrs_match(&r->dst, &a->dst))
		return 1;
	return r->bidir && ports_ok(&r->sp, a->proto, a->dport) &&
	       ports_ok(&r->dp, a->proto, a->sport) &&
	       ki_addrs_match(&r->src, &a->dst) && ki_addrs_match(&r->dst, &a->src);
}

static int flow_ok(const struct ki_rule *r, const struct ev *e)
{
	const struct kn_flow *f = e->a.f;
	uint16_t fl = r->flow;

	if (fl == 0)
		return 1;
	if ((fl & (KI_FL_ESTABLISHED | KI_FL_TO_SERVER | KI_FL_TO_CLIENT)) &&
	    f == NULL)
		return 0;
	if ((fl & KI_FL_ESTABLISHED) && !established(f))
		return 0;
	if ((fl & KI_FL_NOT_ESTABLISHED) && f != NULL && established(f))
		return 0;
	if ((fl & KI_FL_TO_SERVER) && e->a.dir != KN_TO_SERVER)
		return 0;
	if ((fl & KI_FL_TO_CLIENT) && e->a.dir != KN_TO_CLIENT)
		return 0;
	if ((fl & KI_FL_ONLY_STREAM) && e->hook == KI_H_PACKET)
		return 0;
	if ((fl & KI_FL_NO_STREAM) && e->hook != KI_H_PACKET)
		return 0;
	if ((fl & KI_FL_ONLY_FRAG) && !(e->a.p != NULL && e->a.p->reassembled))
		return 0;
	if ((fl & KI_FL_NO_FRAG) && e->a.p != NULL && e->a.p->reassembled)
		return 0;
	return 1;
}

static int packet_ok(const struct ki_rule *r, const struct kn_pkt *p)
{
	if (p == NULL)
		return !(r->has_dsize || r->has_flags || r->has_itype ||
			 r->has_icode || r->sameip || r->ipopts || r->ipopts_any);
	if (r->has_dsize && !ki_num_match(&r->dsize, p->payload_len))
		return 0;
	if (r->has_flags) {
		uint8_t f = p->tcp_flags & r->flags_mask;

		if (p->proto != 6 || !p->has_l4)
			return 0;
		switch (r->flags_mode) {
		case '+': if ((f & r->flags_set) != r->flags_set) return 0; break;
		case '*': if ((f & r->flags_set) == 0 && r->flags_set) return 0; break;
		case '!': if ((f & r->flags_set) != 0) return 0; break;
		default: if (f != r->flags_set) return 0; break;
		}
	}
	if ((r->has_itype || r->has_icode) &&
	    (!(p->proto == 1 || p->proto == 58) || !p->has_l4))
		return 0;
	if (r->has_itype && !ki_num_match(&r->itype, p->icmp_type))
		return 0;
	if (r->has_icode && !ki_num_match(&r->icode, p->icmp_code))
		return 0;
	if (r->sameip && !kn_addr_eq(&p->src, &p->dst))
		return 0;
	if (r->ipopts && !(p->ipopts & r->ipopts))
		return 0;
	if (r->ipopts_any && p->ipopts == 0)
		return 0;
	return 1;
}

/* Every buffer the rule inspects, matched. */
static int buffers_ok(struct ev *e, const struct ki_rule *r)
{
	uint8_t done[KI_B_MAX];

	memset(done, 0, sizeof done);
	for (size_t i = 0; i < r->nsm; i++) {
		int b = r->sm[i].buf;
		const uint8_t *p;
		size_t n;
		int ok;

		if (done[b])
			continue;
		done[b] = 1;
		if (b == KI_B_PAYLOAD && (e->hook == KI_H_PACKET ||
					  e->hook == KI_H_STREAM)) {
			ok = ki_match_buffer(r, b, e->payload, e->plen, e->base,
					     e->hook == KI_H_STREAM ? e->min_end : 0,
					     &e->ids->m);
		} else {
			if (ki_bufs_get(&e->ids->bufs, b, &p, &n) != 0)
				return 0;    /* the buffer is not there */
			ok = ki_match_buffer(r, b, p, n, 0, 0, &e->ids->m);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static uint64_t now_us(const struct ev *e)
{
	const struct kn_pkt *p = e->a.p;

	if (p != NULL)
		return (uint64_t)p->ts.sec * 1000000u + p->ts.usec;
	if (e->a.f != NULL)
		return (uint64_t)e->a.f->last.sec * 1000000u + e->a.f->last.usec;
	return 0;
}

static void confirm(struct ev *e, const struct ki_rule *r)
{
	struct ki_ids *ids = e->ids;

	/* The cheap tests first; none of them changes state. */
	if (!proto_ok(r, e) || !flow_ok(r, e) ||
	    (e->hook == KI_H_PACKET && !packet_ok(r, e->a.p)) ||
	    !header_ok(r, &e->a) || !flowbits_ok(r, e->fs) || !buffers_ok(e, r))
		return;
	/* Flowbits change whether or not the rule alerts. */
	if (r->nfb > 0) {
		if (e->fs == NULL)
			e->fs = fstate(ids, e->a.f, 1);
		flowbits_do(r, e->fs);
	}
	if (r->action == KI_ACT_PASS) {
		ids->st.passed++;
		if (e->fs == NULL)
			e->fs = fstate(ids, e->a.f, 1);
		if (e->fs != NULL)
			e->fs->passed = 1;
		e->stop = 1;
		return;
	}
	if (r->noalert)
		return;
	e->a.r = r;
	if ((r->df.type != KI_TH_NONE && !track(ids, r, &r->df, &e->a, now_us(e))) ||
	    (r->th.type != KI_TH_NONE && !track(ids, r, &r->th, &e->a, now_us(e)))) {
		ids->st.suppressed++;
		return;
	}
	if ((unsigned)e->nalerts >= ids->c.max_alerts) {
		ids->st.alerts_capped++;
		return;
	}
	e->nalerts++;
	ids->st.alerts++;
	if (ids->cb(ids->ctx, &e->a))
		e->drop = 1;
}

struct scan_ctx {
	struct ki_ids *ids;
	const uint32_t *rules;
};

static int on_hs(unsigned id, unsigned long long from, unsigned long long to,
		 unsigned flags, void *ctx)
{
	struct scan_ctx *sc = ctx;
	struct ki_ids *ids = sc->ids;
	uint32_t r = sc->rules[id];

	(void)from;
	(void)to;
	(void)flags;
	if (ids->stamp[r] != ids->gen) {
		ids->stamp[r] = ids->gen;
		ids->cand[ids->ncand++] = r;
	}
	return 0;
}

static void add_cand(struct ki_ids *ids, uint32_t r)
{
	if (ids->stamp[r] != ids->gen) {
		ids->stamp[r] = ids->gen;
		ids->cand[ids->ncand++] = r;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_u32(uint32_t *v, size_t n)
{
	/* The prefilter usually finds a handful of rules: insertion sort
	 * then, qsort when a payload made many. */
	if (n > 32) {
		qsort(v, n, sizeof *v, cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t k = i;

		for (; k > 0 && v[k - 1] > x; k--)
			v[k] = v[k - 1];
		v[k] = x;
	}
}

/* The rules found in the stream before these bytes that may still be in
 * the window become candidates again; then the list is made of those
 * and of the new hits (cand[0..nnew)), found in bytes ending at `end`.
 * Past MAX_PENDING the list is dropped and the next call scans the whole
 * window, which finds them again. */
static void pend_update(struct ki_ids *ids, struct pend *pd, size_t nnew,
			uint64_t win_start, uint64_t end)
{
	uint32_t keep = 0;

	if (pd->setgen != ids->setgen || pd->full)
		pd->n = 0;
	for (uint32_t i = 0; i < pd->n; i++) {
		struct pend_ent x = pd->v[i];

		if (x.until <= win_start || ids->stamp[x.rule] == ids->gen)
			continue;
		add_cand(ids, x.rule);
		pd->v[keep++] = x;
	}
	pd->n = keep;
	pd->setgen = ids->setgen;
	pd->full = 0;
	if (nnew == 0)
		return;
	if (pd->v == NULL) {
		if (ids->win_mem + MAX_PENDING * sizeof *pd->v > ids->c.stream_mem ||
		    (pd->v = malloc(MAX_PENDING * sizeof *pd->v)) == NULL) {
			pd->full = 1;
			return;
		}
		ids->win_mem += MAX_PENDING * sizeof *pd->v;
	}
	if (pd->n + nnew > MAX_PENDING) {
		pd->n = 0;
		pd->full = 1;
		return;
	}
	for (size_t i = 0; i < nnew; i++) {
		pd->v[pd->n].rule = ids->cand[i];
		pd->v[pd->n++].until = end;
	}
}

struct list {
	const uint32_t *v;
	size_t n;
};

/* Confirm the candidates of the sorted lists in evaluation order, each
 * once. */
static void confirm_lists(struct ev *e, struct list *l, int nl)
{
	struct ki_set *s = e->ids->set;
	size_t at[4] = { 0, 0, 0, 0 };
	uint64_t last = UINT64_MAX;

	while (!e->stop) {
		uint32_t best = UINT32_MAX;
		int bi = -1;

		for (int k = 0; k < nl; k++)
			if (at[k] < l[k].n && (bi < 0 || l[k].v[at[k]] < best)) {
				best = l[k].v[at[k]];
				bi = k;
			}
		if (bi < 0)
			break;
		at[bi]++;
		if (best == last)
			continue;
		last = best;
		confirm(e, s->rules[s->comp->order[best]]);
	}
}

static int run(struct ev *e)
{
	struct ki_ids *ids = e->ids;
	struct ki_set *s = ids->set;
	const struct ki_hookc *hc;
	struct list l[4];
	int nl = 0, fam, pc;

	if (s == NULL || s->n == 0)
		return 0;
	e->a.hook = e->hook;
	hc = &s->comp->h[e->hook];
	if (!hc->used)
		return 0;
	if (e->fs == NULL)
		e->fs = fstate(ids, e->a.f, 0);
	if (e->fs != NULL && e->fs->passed)
		return 0;
	if (++ids->gen == 0) {
		memset(ids->stamp, 0, (s->n + 1) * sizeof *ids->stamp);
		ids->gen = 1;
	}
	ids->ncand = 0;
	pc = ki_proto_class(e->a.proto);
	for (size_t i = 0; i < hc->ndbs; i++) {
		const struct ki_hookdb *d = &hc->dbs[i];
		struct scan_ctx sc = { ids, d->rules };
		const uint8_t *p;
		size_t n;

		if (d->pc >= 0 && d->pc != pc)
			continue;
		if (d->buf == KI_B_PAYLOAD && (e->hook == KI_H_PACKET ||
					       e->hook == KI_H_STREAM)) {
			p = e->payload + e->scan_off;
			n = e->plen - e->scan_off;
		} else if (ki_bufs_get(&ids->bufs, d->buf, &p, &n) != 0) {
			continue;
		}
		if (n == 0 || n > UINT32_MAX)
			continue;
		hs_scan(d->db, (const char *)p, (unsigned)n, 0, ids->scratch,
			on_hs, &sc);
	}
	if (e->pend != NULL)
		pend_update(ids, e->pend, ids->ncand, e->base, e->base + e->plen);
	sort_u32(ids->cand, ids->ncand);
	l[nl++] = (struct list){ ids->cand, ids->ncand };
	fam = e->a.src.family == 6;
	l[nl++] = (struct list){ hc->always[fam][pc], hc->nalways[fam][pc] };
	if (hc->ipidx.nseg > 0 && !fam) {
		l[nl].v = ki_ipidx_find(&hc->ipidx, &e->a.src, &l[nl].n);
		nl++;
		l[nl].v = ki_ipidx_find(&hc->ipidx, &e->a.dst, &l[nl].n);
		nl++;
	}
	confirm_lists(e, l, nl);
	return e->drop;
}

static void orient(struct ev *e, struct kn_flow *f, int dir,
		   const struct kn_pkt *p)
{
	memset(e, 0, sizeof *e);
	e->a.f = f;
	e->a.p = p;
	e->a.dir = dir;
	if (f != NULL) {
		int ts = dir == KN_TO_SERVER;

		e->a.src = ts ? f->cli : f->srv;
		e->a.dst = ts ? f->srv : f->cli;
		e->a.sport = ts ? f->cport : f->sport;
		e->a.dport = ts ? f->sport : f->cport;
		e->a.proto = f->proto;
	} else if (p != NULL) {
		e->a.src = p->src;
		e->a.dst = p->dst;
		e->a.sport = p->has_l4 ? p->sport : 0;
		e->a.dport = p->has_l4 ? p->dport : 0;
		e->a.proto = p->proto;
	}
}

int ki_ids_packet(struct ki_ids *ids, struct kn_flow *f, int dir,
		  const struct kn_pkt *p)
{
	struct ev e;

	if (p->ipv == 0)
		return 0;
	orient(&e, NULL, dir, p);
	e.a.f = f;
	e.ids = ids;
	e.hook = KI_H_PACKET;
	e.payload = p->payload;
	e.plen = p->payload ? p->payload_len : 0;
	ki_bufs_reset(&ids->bufs);
	return run(&e);
}

/*
 * Append the new bytes to the direction's window and return the window
 * followed by them, contiguous, with the window's length in *wn.  A run
 * of bytes longer than the buffer's free room goes through the scratch
 * buffer instead, and the window keeps its tail.  Without a window (cap
 * reached) the bytes are returned alone.
 */
static const uint8_t *win_add(struct ki_ids *ids, struct win *w,
			      const uint8_t *data, size_t len, size_t *wn)
{
	size_t W = ids->c.stream_window, keep;

	*wn = 0;
	if (W == 0)
		return data;
	if (w->p == NULL) {
		if (ids->win_mem + 2 * W > ids->c.stream_mem) {
			ids->st.window_drops++;
			return data;
		}
		w->p = malloc(2 * W);
		if (w->p == NULL)
			return data;
		w->cap = 2 * W;
		ids->win_mem += w->cap;
	}
	keep = w->n < W ? w->n : W;
	if (w->n + len > w->cap && w->n > keep) {
		memmove(w->p, w->p + w->n - keep, keep);
		w->n = keep;
	}
	*wn = keep;
	if (w->n + len <= w->cap) {
		memcpy(w->p + w->n, data, len);
		w->n += len;
		return w->p + w->n - len - keep;
	}
	ks_buf_reset(&ids->winbuf);
	if (ks_buf_append(&ids->winbuf, w->p + w->n - keep, keep) != KS_OK ||
	    ks_buf_append(&ids->winbuf, data, len) != KS_OK) {
		*wn = 0;
		w->n = 0;
		return data;
	}
	w->n = ids->winbuf.len < W ? ids->winbuf.len : W;
	memcpy(w->p, ids->winbuf.data + ids->winbuf.len - w->n, w->n);
	return ids->winbuf.data;
}

/* The longest fast pattern of the stream's prefilter. */
static size_t stream_maxlen(const struct ki_hookc *hc)
{
	size_t m = 0;

	for (size_t i = 0; i < hc->ndbs; i++)
		if (hc->dbs[i].buf == KI_B_PAYLOAD && hc->dbs[i].maxlen > m)
			m = hc->dbs[i].maxlen;
	return m;
}

int ki_ids_stream(struct ki_ids *ids, struct kn_flow *f, int dir,
		  const uint8_t *data, size_t len, const struct kn_pkt *p)
{
	const struct ki_hookc *hc;
	struct ev e;
	struct fstate *fs;
	size_t wn;

	if (ids->set == NULL || !ids->set->comp->h[KI_H_STREAM].used)
		return 0;
	hc = &ids->set->comp->h[KI_H_STREAM];
	fs = fstate(ids, f, 1);
	if (data == NULL) {
		/* A hole: what follows does not continue the window. */
		if (fs != NULL) {
			fs->w[dir].n = 0;
			fs->pend[dir].n = 0;
			fs->off[dir] += len;
		}
		return 0;
	}
	orient(&e, f, dir, p);
	e.ids = ids;
	e.hook = KI_H_STREAM;
	e.fs = fs;
	ki_bufs_reset(&ids->bufs);
	if (fs == NULL) {
		/* Without state the offset is unknown: rules anchored at the
		 * start of the stream cannot be placed and do not match. */
		e.payload = data;
		e.plen = len;
		e.base = (uint64_t)1 << 40;
		return run(&e);
	}
	e.payload = win_add(ids, &fs->w[dir], data, len, &wn);
	e.plen = wn + len;
	e.min_end = wn;
	e.base = fs->off[dir] - wn;
	/* A fast pattern that ends in the new bytes starts at most its
	 * length before them; one that ends before them was found by an
	 * earlier call and is in the pending list (unless that overflowed
	 * or the set changed: then the whole window is scanned). */
	e.pend = &fs->pend[dir];
	if (!e.pend->full && e.pend->setgen == ids->setgen) {
		size_t back = stream_maxlen(hc);

		back = back > 0 ? back - 1 : 0;
		e.scan_off = wn > back ? wn - back : 0;
	}
	fs->off[dir] += len;
	return run(&e);
}

int ki_ids_http_request(struct ki_ids *ids, struct kn_flow *f,
			const struct kn_http_req *r, const struct kn_pkt *p)
{
	struct ev e;

	orient(&e, f, KN_TO_SERVER, p);
	e.ids = ids;
	e.hook = KI_H_HTTP_REQ;
	e.a.tx_id = r->tx_id;
	ki_bufs_reset(&ids->bufs);
	ids->bufs.req = r;
	return run(&e);
}

int ki_ids_http_response(struct ki_ids *ids, struct kn_flow *f,
			 const struct kn_http_req *req,
			 const struct kn_http_resp *r, const struct kn_pkt *p)
{
	struct ev e;

	orient(&e, f, KN_TO_CLIENT, p);
	e.ids = ids;
	e.hook = KI_H_HTTP_RESP;
	e.a.tx_id = r->tx_id;
	ki_bufs_reset(&ids->bufs);
	ids->bufs.req = req;
	ids->bufs.resp = r;
	return run(&e);
}

int ki_ids_dns(struct ki_ids *ids, struct kn_flow *f,
	       const struct kn_dns_msg *m, const struct kn_pkt *p)
{
	struct ev e;

	/* dns.query is the question of a query (as in Suricata). */
	if (m->response || m->qname[0] == '\0')
		return 0;
	orient(&e, f, KN_TO_SERVER, p);
	e.ids = ids;
	e.hook = KI_H_DNS;
	ki_bufs_reset(&ids->bufs);
	ids->bufs.dns = m;
	return run(&e);
}

int ki_ids_tls_hello(struct ki_ids *ids, struct kn_flow *f,
		     const struct kn_tls_hello *h, const struct kn_pkt *p)
{
	struct ev e;
	struct fstate *fs;

	/* The name is kept for rules that also look at the certificate. */
	if (h->has_sni && h->sni.n > 0 && ids->set != NULL &&
	    ids->set->comp->h[KI_H_TLS_CERT].used &&
	    (fs = fstate(ids, f, 1)) != NULL) {
		fs->nsni = h->sni.n < SNI_KEEP ? h->sni.n : SNI_KEEP;
		memcpy(fs->sni, h->sni.p, fs->nsni);
	}
	orient(&e, f, KN_TO_SERVER, p);
	e.ids = ids;
	e.hook = KI_H_TLS_HELLO;
	ki_bufs_reset(&ids->bufs);
	ids->bufs.hello = h;
	return run(&e);
}

int ki_ids_tls_cert(struct ki_ids *ids, struct kn_flow *f,
		    const struct kn_tls_cert *c, const struct kn_pkt *p)
{
	struct ev e;
	struct fstate *fs = fstate(ids, f, 0);

	orient(&e, f, KN_TO_CLIENT, p);
	e.ids = ids;
	e.hook = KI_H_TLS_CERT;
	e.fs = fs;
	ki_bufs_reset(&ids->bufs);
	ids->bufs.cert = c;
	if (fs != NULL && fs->nsni > 0) {
		ids->bufs.sni = fs->sni;
		ids->bufs.nsni = fs->nsni;
	}
	return run(&e);
}
