/*
 * Compiling a rule set for matching: the Hyperscan prefilter databases
 * (one per evaluation place and buffer, of the rules' fast patterns) and
 * the address-range table of content-less packet rules.
 */
#include "ids/compile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ids/detect.h"

#define MAX_IPIDX_CELLS (8u << 20)

static int rank(const struct ki_rule *r)
{
	return r->action == KI_ACT_PASS ? 0 :
	       (r->action == KI_ACT_DROP || r->action == KI_ACT_REJECT) ? 1 : 2;
}

/* How many IPv4 addresses a side can match: UINT64_MAX for any address
 * (no positive list), 0 when its list holds IPv6 networks only. */
static uint64_t v4_span(const struct ki_addrs *a)
{
	uint64_t n = 0;

	if (!a->has_pos)
		return UINT64_MAX;
	for (size_t i = 0; i < a->pos.nv4; i++)
		n += (uint64_t)a->pos.v4[i].hi - a->pos.v4[i].lo + 1;
	return n;
}

int ki_proto_class(uint8_t ipproto)
{
	switch (ipproto) {
	case 6: return KI_PC_TCP;
	case 17: return KI_PC_UDP;
	case 1: case 58: return KI_PC_ICMP;
	default: return KI_PC_OTHER;
	}
}

/* The protocol classes a rule's protocol can match (see proto_ok in
 * detect.c); the application protocols are taken as TCP or UDP whatever
 * the flow, which only widens the group. */
static unsigned proto_classes(const struct ki_rule *r)
{
	switch (r->proto) {
	case KI_PR_IP: return (1u << KI_PC_COUNT) - 1;
	case KI_PR_TCP: case KI_PR_TCP_PKT: case KI_PR_TCP_STREAM:
		return 1u << KI_PC_TCP;
	case KI_PR_UDP: return 1u << KI_PC_UDP;
	case KI_PR_ICMP: return 1u << KI_PC_ICMP;
	default: return 1u << KI_PC_TCP | 1u << KI_PC_UDP;
	}
}

struct span { uint32_t lo, hi, rule; };

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The first of the sorted boundaries that is >= v. */
static size_t first_ge(const uint64_t *b, size_t nb, uint64_t v)
{
	size_t lo = 0, hi = nb;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (b[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The segments between every range boundary, each with the rules that
 * cover it.  Returns -1 when the table would pass its cap (the rules then
 * stay "always"). */
static int ipidx_build(struct ki_ipidx *x, const struct span *sp, size_t n)
{
	uint64_t *b = malloc((2 * n + 1) * sizeof *b);
	size_t nb = 0, cells = 0;

	if (b == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		b[nb++] = sp[i].lo;
		b[nb++] = (uint64_t)sp[i].hi + 1;
	}
	qsort(b, nb, sizeof *b, cmp_u64);
	{
		size_t o = 0;

		for (size_t i = 0; i < nb; i++)
			if (o == 0 || b[o - 1] != b[i])
				b[o++] = b[i];
		nb = o;
	}
	/* Count first, so that the cap is checked before allocating. */
	for (size_t i = 0; i < n; i++) {
		size_t lo = first_ge(b, nb, sp[i].lo);
		for (size_t k = lo; k + 1 < nb && b[k] <= sp[i].hi; k++)
			if (++cells > MAX_IPIDX_CELLS) {
				free(b);
				return -1;
			}
	}
	x->nseg = nb > 0 ? nb - 1 : 0;
	x->seg = calloc(x->nseg + 1, sizeof *x->seg);
	x->cells = malloc((cells + 1) * sizeof *x->cells);
	if (x->seg == NULL || x->cells == NULL) {
		free(b);
		return -1;
	}
	for (size_t k = 0; k < x->nseg; k++)
		x->seg[k].lo = (uint32_t)b[k];
	x->end = nb > 0 ? b[nb - 1] : 0;
	/* Fill: per segment counts, then offsets, then cells. */
	{
		uint32_t *cnt = calloc(x->nseg + 1, sizeof *cnt);
		size_t off = 0;

		if (cnt == NULL) {
			free(b);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			size_t lo = first_ge(b, nb, sp[i].lo);
			for (size_t k = lo; k + 1 < nb && b[k] <= sp[i].hi; k++)
				cnt[k]++;
		}
		for (size_t k = 0; k < x->nseg; k++) {
			x->seg[k].first = (uint32_t)off;
			off += cnt[k];
			cnt[k] = 0;
		}
		for (size_t i = 0; i < n; i++) {
			size_t lo = first_ge(b, nb, sp[i].lo);
			for (size_t k = lo; k + 1 < nb && b[k] <= sp[i].hi; k++)
				x->cells[x->seg[k].first + cnt[k]++] = sp[i].rule;
		}
		for (size_t k = 0; k < x->nseg; k++) {
			x->seg[k].count = cnt[k];
			qsort(x->cells + x->seg[k].first, cnt[k],
			      sizeof *x->cells, cmp_u32);
		}
		free(cnt);
	}
	free(b);
	return 0;
}

const uint32_t *ki_ipidx_find(const struct ki_ipidx *x, const struct kn_addr *a,
			      size_t *n)
{
	uint32_t v;
	size_t lo = 0, hi;

	*n = 0;
	if (a->family != 4 || x->nseg == 0)
		return NULL;
	v = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
	    (uint32_t)a->b[2] << 8 | a->b[3];
	hi = x->nseg;
	/* The last segment whose start is <= v. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (x->seg[mid].lo <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	lo--;
	if (v >= x->end)
		return NULL;
	*n = x->seg[lo].count;
	return x->cells + x->seg[lo].first;
}

static void hook_free(struct ki_hookc *h)
{
	for (size_t i = 0; i < h->ndbs; i++) {
		hs_free_database(h->dbs[i].db);
		free(h->dbs[i].rules);
	}
	free(h->dbs);
	for (int f = 0; f < 2; f++)
		for (int k = 0; k < KI_PC_COUNT; k++)
			free(h->always[f][k]);
	free(h->ipidx.seg);
	free(h->ipidx.cells);
	memset(h, 0, sizeof *h);
}

void ki_compiled_free(struct ki_compiled *c)
{
	if (c == NULL)
		return;
	for (int h = 0; h < KI_H_COUNT; h++)
		hook_free(&c->h[h]);
	free(c->order);
	free(c);
}

static int push_u32(uint32_t **v, size_t *n, uint32_t x)
{
	uint32_t *nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (nv == NULL)
		return -1;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

/* Add rule `idx` to the lists of family `fam` of the classes `pcs`. */
static int always_add(struct ki_hookc *hc, int fam, unsigned pcs, uint32_t idx)
{
	for (int k = 0; k < KI_PC_COUNT; k++)
		if ((pcs & 1u << k) &&
		    push_u32(&hc->always[fam][k], &hc->nalways[fam][k], idx) != 0)
			return -1;
	return 0;
}

/* Whether the fast pattern of r goes into the database of (hook, buf,
 * protocol class pc, -1 for every class). */
static int in_db(const struct ki_rule *r, int hook, int buf, int pc)
{
	return (r->hooks & 1u << hook) && r->fast >= 0 && r->sm[r->fast].buf == buf &&
	       (pc < 0 || (proto_classes(r) & 1u << pc));
}

static enum ks_status build_db(struct ki_set *s, int hook, int buf, int pc,
			       struct ki_hookdb *d, struct ks_err *err)
{
	size_t n = 0;
	const char **pats = NULL;
	size_t *lens = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *ce = NULL;
	enum ks_status st = KS_OK;

	for (size_t i = 0; i < s->n; i++) {
		const struct ki_rule *r = s->rules[i];

		if (in_db(r, hook, buf, pc))
			n++;
	}
	d->buf = buf;
	d->pc = pc;
	pats = malloc(n * sizeof *pats);
	lens = malloc(n * sizeof *lens);
	flags = malloc(n * sizeof *flags);
	ids = malloc(n * sizeof *ids);
	d->rules = malloc(n * sizeof *d->rules);
	if (pats == NULL || lens == NULL || flags == NULL || ids == NULL ||
	    d->rules == NULL) {
		st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct ki_rule *r = s->rules[i];
		const struct ki_sm *sm;

		if (!in_db(r, hook, buf, pc))
			continue;
		sm = &r->sm[r->fast];
		if (sm->flags & KI_F_FAST_CHOP) {
			pats[d->n] = (const char *)sm->u.c.pat + sm->u.c.fp_off;
			lens[d->n] = sm->u.c.fp_len;
		} else {
			pats[d->n] = (const char *)sm->u.c.pat;
			lens[d->n] = sm->u.c.len;
		}
		if (lens[d->n] > d->maxlen)
			d->maxlen = lens[d->n];
		flags[d->n] = HS_FLAG_SINGLEMATCH |
			      ((sm->flags & KI_F_NOCASE) ? HS_FLAG_CASELESS : 0);
		ids[d->n] = (unsigned)d->n;
		d->rules[d->n++] = r->index;
	}
	if (hs_compile_lit_multi(pats, flags, ids, lens, (unsigned)d->n,
				 HS_MODE_BLOCK, NULL, &d->db, &ce) != HS_SUCCESS) {
		st = ks_err_set(err, KS_ERR_INTERNAL, "prefilter for %s: %s",
				ki_buf_name(buf), ce ? ce->message : "failed");
		hs_free_compile_error(ce);
		d->db = NULL;
	}
out:
	free(pats);
	free(lens);
	free(flags);
	free(ids);
	return st;
}

/* The databases to build, shared by the compiling threads. */
struct job {
	struct ki_hookdb *db;
	int hook;
	size_t size;                 /* its rules */
};

struct jobs {
	struct ki_set *s;
	struct job *v;
	size_t n;
	atomic_size_t next;
	pthread_mutex_t lock;
	enum ks_status st;           /* the first failure */
	struct ks_err err;
};

static void *build_worker(void *arg)
{
	struct jobs *j = arg;
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->n) {
		struct ki_hookdb *d = j->v[i].db;
		struct ks_err e;
		enum ks_status st = build_db(j->s, j->v[i].hook, d->buf, d->pc, d, &e);

		if (st != KS_OK) {
			pthread_mutex_lock(&j->lock);
			if (j->st == KS_OK) {
				j->st = st;
				j->err = e;
			}
			pthread_mutex_unlock(&j->lock);
		}
	}
	return NULL;
}

static int cmp_job_size(const void *a, const void *b)
{
	size_t x = ((const struct job *)a)->size, y = ((const struct job *)b)->size;

	return x > y ? -1 : x < y;
}

/* Build every prefilter database.  Compiling is most of the time a rule
 * set takes to load and the databases are independent: they are built
 * by one thread per processor (up to 8), the largest first so that the
 * last to finish is a small one.  Matching stays single-threaded. */
static enum ks_status build_all(struct ki_set *s, struct ki_compiled *c,
				struct ks_err *err)
{
	struct jobs j;
	pthread_t th[8];
	size_t nth = 0, total = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(&j, 0, sizeof j);
	j.s = s;
	for (int h = 0; h < KI_H_COUNT; h++)
		total += c->h[h].ndbs;
	if (total == 0)
		return KS_OK;
	j.v = calloc(total, sizeof *j.v);
	if (j.v == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	for (int h = 0; h < KI_H_COUNT; h++)
		for (size_t i = 0; i < c->h[h].ndbs; i++) {
			struct job *jb = &j.v[j.n++];

			jb->db = &c->h[h].dbs[i];
			jb->hook = h;
			for (size_t k = 0; k < s->n; k++)
				jb->size += in_db(s->rules[k], h, jb->db->buf, jb->db->pc);
		}
	qsort(j.v, j.n, sizeof *j.v, cmp_job_size);
	atomic_init(&j.next, 0);
	pthread_mutex_init(&j.lock, NULL);
	for (long i = 1; i < ncpu && i < 8 && (size_t)i < j.n; i++)
		if (pthread_create(&th[nth], NULL, build_worker, &j) == 0)
			nth++;
	build_worker(&j);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j.lock);
	free(j.v);
	if (j.st != KS_OK) {
		if (err != NULL)
			*err = j.err;
		return j.st;
	}
	return KS_OK;
}

static int cmp_order(const void *a, const void *b, void *ctx)
{
	const struct ki_set *s = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int rx = rank(s->rules[x]), ry = rank(s->rules[y]);

	if (rx != ry)
		return rx - ry;
	return x < y ? -1 : x > y;
}

enum ks_status ki_set_compile(struct ki_set *s, struct ks_err *err)
{
	struct ki_compiled *c;
	enum ks_status st = KS_OK;

	if (s->comp != NULL)
		return KS_OK;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	c->nrules = s->n;
	/* The evaluation order: pass, drop and reject, alert; then the
	 * order of the files. */
	c->order = malloc((s->n + 1) * sizeof *c->order);
	if (c->order == NULL) {
		free(c);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < s->n; i++)
		c->order[i] = (uint32_t)i;
	qsort_r(c->order, s->n, sizeof *c->order, cmp_order, s);
	for (size_t i = 0; i < s->n; i++) {
		struct ki_rule *r = s->rules[c->order[i]];

		r->index = (uint32_t)i;
		/* JIT where the platform has it; the interpreter otherwise
		 * (a failure here only costs speed). */
		for (size_t k = 0; k < r->nsm; k++)
			if (r->sm[k].kind == KI_SM_PCRE)
				pcre2_jit_compile(r->sm[k].u.re.re, PCRE2_JIT_COMPLETE);
	}
	for (int h = 0; h < KI_H_COUNT && st == KS_OK; h++) {
		struct ki_hookc *hc = &c->h[h];
		unsigned used[KI_B_MAX];     /* protocol classes per buffer */
		struct span *sp = NULL;
		size_t nsp = 0, capsp = 0;
		uint32_t *ipr = NULL;
		size_t nipr = 0;

		memset(used, 0, sizeof used);
		/* The rules in index order, so that every list comes out
		 * sorted. */
		for (size_t i = 0; i < s->n && st == KS_OK; i++) {
			const struct ki_rule *r = s->rules[c->order[i]];
			const struct ki_addrs *side;
			uint64_t a, b;
			unsigned pcs;

			if (!(r->hooks & 1u << h))
				continue;
			hc->used = 1;
			pcs = proto_classes(r);
			if (r->fast >= 0) {
				used[r->sm[r->fast].buf] |= pcs;
				continue;
			}
			a = v4_span(&r->src);
			b = v4_span(&r->dst);
			side = a <= b ? &r->src : &r->dst;
			if ((a <= b ? a : b) > (1u << 24)) {
				/* Any address, or too wide a list to index. */
				if (always_add(hc, 0, pcs, r->index) != 0 ||
				    always_add(hc, 1, pcs, r->index) != 0)
					st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
				continue;
			}
			for (size_t k = 0; k < side->pos.nv4 && st == KS_OK; k++) {
				if (nsp == capsp) {
					size_t ncap = capsp ? capsp * 2 : 256;
					struct span *ns = realloc(sp, ncap * sizeof *ns);

					if (ns == NULL) {
						st = ks_err_set(err, KS_ERR_NOMEM,
								"out of memory");
						break;
					}
					sp = ns;
					capsp = ncap;
				}
				sp[nsp].lo = side->pos.v4[k].lo;
				sp[nsp].hi = side->pos.v4[k].hi;
				sp[nsp++].rule = r->index;
			}
			if (side->pos.nv4 > 0 && push_u32(&ipr, &nipr, r->index) != 0)
				st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
			/* Only IPv6 traffic can match its IPv6 networks. */
			if (st == KS_OK && side->pos.nv6 > 0 &&
			    always_add(hc, 1, pcs, r->index) != 0)
				st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		}
		if (st == KS_OK && nsp > 0 && ipidx_build(&hc->ipidx, sp, nsp) != 0) {
			/* Too big a table: those rules are tried on all IPv4
			 * traffic instead. */
			free(hc->ipidx.seg);
			free(hc->ipidx.cells);
			memset(&hc->ipidx, 0, sizeof hc->ipidx);
			for (size_t k = 0; k < nipr && st == KS_OK; k++) {
				const struct ki_rule *ir = s->rules[c->order[ipr[k]]];

				if (always_add(hc, 0, proto_classes(ir), ipr[k]) != 0)
					st = ks_err_set(err, KS_ERR_NOMEM,
							"out of memory");
			}
			for (int k = 0; k < KI_PC_COUNT && st == KS_OK; k++)
				qsort(hc->always[0][k], hc->nalways[0][k],
				      sizeof (uint32_t), cmp_u32);
		}
		free(sp);
		free(ipr);
		/* Packets get a database per protocol class, so that a TCP
		 * packet is not scanned for the patterns of UDP rules; the
		 * other places see one protocol or two. */
		for (int bf = 0; bf < KI_B_MAX && st == KS_OK; bf++) {
			for (int pc = h == KI_H_PACKET ? 0 : -1;
			     pc < (h == KI_H_PACKET ? KI_PC_COUNT : 0) && st == KS_OK;
			     pc++) {
				struct ki_hookdb *nd;

				if (pc < 0 ? used[bf] == 0 : !(used[bf] & 1u << pc))
					continue;
				nd = realloc(hc->dbs, (hc->ndbs + 1) * sizeof *nd);
				if (nd == NULL) {
					st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
					break;
				}
				hc->dbs = nd;
				memset(&nd[hc->ndbs], 0, sizeof *nd);
				nd[hc->ndbs].buf = bf;
				nd[hc->ndbs].pc = pc;
				hc->ndbs++;
			}
		}
	}
	if (st == KS_OK)
		st = build_all(s, c, err);
	if (st != KS_OK) {
		ki_compiled_free(c);
		return st;
	}
	s->comp = c;
	return KS_OK;
}

void ki_set_uncompile(struct ki_set *s)
{
	ki_compiled_free(s->comp);
	s->comp = NULL;
}
