/*
 * Payload matching of one buffer: content, pcre, byte_test, byte_jump,
 * isdataat and bsize in rule order, with Suricata's positions
 * (docs.suricata.io, "Payload keywords"):
 *
 *   offset/depth   absolute: the match starts at or after offset and ends
 *                  within depth bytes of it;
 *   distance/within relative to the end of the previous match in the
 *                  same buffer: it starts at least distance bytes after it
 *                  (distance may be negative) and ends within `within`
 *                  bytes of that start;
 *   startswith     the match is at the start of the buffer;
 *   endswith       the match ends at the end of the buffer;
 *   pcre /R        the regex runs from the end of the previous match.
 *
 * When a later relative match fails, the earlier content is tried at its
 * next occurrence (as Suricata does), within a budget of steps per buffer
 * so that a crafted payload cannot make the matcher quadratic without
 * end; an exhausted budget is "no match".
 *
 * `base` is the stream offset of the buffer's first byte (0 but for stream
 * windows): absolute positions are counted from the start of the stream.
 * `min_end`: a match counts only when one of its positive matches ends
 * after that point (the stream window's new bytes).
 */
#include "ids/match.h"

#include "ids/ids.h"

#include <ctype.h>
#include <string.h>

#define STEP_BUDGET 4096

static const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *n,
			   size_t nn, int nocase)
{
	if (nn == 0 || nn > hn)
		return NULL;
	if (!nocase)
		return memmem(h, hn, n, nn);
	{
		int f0 = tolower(n[0]), F0 = toupper(n[0]);

		for (size_t i = 0; i + nn <= hn; i++) {
			if (h[i] != f0 && h[i] != F0)
				continue;
			size_t k = 1;

			while (k < nn && tolower(h[i + k]) == tolower(n[k]))
				k++;
			if (k == nn)
				return h + i;
		}
	}
	return NULL;
}

static int eq_at(const uint8_t *h, const uint8_t *n, size_t nn, int nocase)
{
	if (!nocase)
		return memcmp(h, n, nn) == 0;
	for (size_t k = 0; k < nn; k++)
		if (tolower(h[k]) != tolower(n[k]))
			return 0;
	return 1;
}

struct mstate {
	const struct ki_rule *r;
	const uint8_t *p;
	size_t n;
	uint64_t base;
	size_t min_end;
	int idx[KI_MAX_OPTIONS];
	int cnt;
	int budget;
	struct ki_mctx *m;
};

/* Read nbytes at pos as byte_test/byte_jump say; -1 when they are not
 * there or not a number. */
static int extract(const struct ki_sm *sm, const uint8_t *p, size_t n,
		   size_t pos, uint64_t *out)
{
	size_t nb = sm->u.bt.nbytes;
	uint64_t v = 0;

	if (sm->u.bt.bflags & KI_BF_STRING) {
		int radix = (sm->u.bt.bflags & KI_BF_HEX) ? 16 :
			    (sm->u.bt.bflags & KI_BF_OCT) ? 8 : 10;
		size_t i, end;

		if (pos >= n)
			return -1;
		end = nb == 0 ? n : pos + nb;
		if (end > n)
			return -1;
		if (end - pos > 20)
			end = pos + 20;
		for (i = pos; i < end; i++) {
			int d = isdigit(p[i]) ? p[i] - '0' :
				isxdigit(p[i]) ? tolower(p[i]) - 'a' + 10 : 99;

			if (d >= radix)
				break;
			if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)radix)
				return -1;
			v = v * (uint64_t)radix + (uint64_t)d;
		}
		if (i == pos)
			return -1;
		*out = v;
		return 0;
	}
	if (pos > n || nb > n - pos)
		return -1;
	for (size_t i = 0; i < nb; i++) {
		size_t k = (sm->u.bt.bflags & KI_BF_LITTLE) ? nb - 1 - i : i;

		v = v << 8 | p[pos + k];
	}
	*out = v;
	return 0;
}

/* An absolute position (from the start of the stream) in the buffer;
 * -1 when it lies before the buffer. */
static long long abs_pos(const struct mstate *s, long long at)
{
	return at - (long long)s->base;
}

static int step(struct mstate *s, int k, size_t prev, size_t hi);

static int content(struct mstate *s, int k, const struct ki_sm *sm,
		   size_t prev, size_t hi)
{
	long long start, end;
	size_t len = sm->u.c.len;
	int nocase = !!(sm->flags & KI_F_NOCASE);

	if (sm->flags & KI_F_RELATIVE) {
		start = (long long)prev + ((sm->flags & KI_F_DISTANCE) ?
					   sm->u.c.distance : 0);
		end = (sm->flags & KI_F_WITHIN) ? start + sm->u.c.within :
						  (long long)s->n;
		if (start < 0)
			start = 0;
	} else if (sm->flags & KI_F_STARTSWITH) {
		start = abs_pos(s, 0);
		end = start + (long long)len;
	} else {
		long long off = (sm->flags & KI_F_OFFSET) ? sm->u.c.offset : 0;

		start = abs_pos(s, off);
		end = (sm->flags & KI_F_DEPTH) ? start + sm->u.c.depth :
						 (long long)s->n;
		if (start < 0) {
			/* The window starts before this buffer: a depth that
			 * ended there too leaves nothing to search. */
			if (end <= 0)
				return sm->flags & KI_F_NEGATED ?
					step(s, k + 1, prev, hi) : 0;
			start = 0;
		}
	}
	if (end > (long long)s->n)
		end = (long long)s->n;
	if (sm->flags & KI_F_ENDSWITH) {
		long long at = (long long)s->n - (long long)len;

		if (at < start || at + (long long)len > end)
			start = end = 0;
		else
			start = at;
	}
	if (sm->flags & KI_F_NEGATED) {
		int found = start < end && (size_t)(end - start) >= len &&
			    find(s->p + start, (size_t)(end - start), sm->u.c.pat,
				 len, nocase) != NULL;

		return found ? 0 : step(s, k + 1, prev, hi);
	}
	while (start < end && (size_t)(end - start) >= len) {
		const uint8_t *f;
		size_t at, e;

		if (--s->budget < 0)
			return 0;
		if (sm->flags & KI_F_ENDSWITH)
			f = eq_at(s->p + start, sm->u.c.pat, len, nocase) ?
				s->p + start : NULL;
		else
			f = find(s->p + start, (size_t)(end - start), sm->u.c.pat,
				 len, nocase);
		if (f == NULL)
			return 0;
		at = (size_t)(f - s->p);
		e = at + len;
		if (step(s, k + 1, e, e > hi ? e : hi))
			return 1;
		start = (long long)at + 1;
	}
	return 0;
}

static int pcre(struct mstate *s, int k, const struct ki_sm *sm, size_t prev,
		size_t hi)
{
	size_t from = (sm->flags & KI_F_RELATIVE) ? prev : 0;
	int rc;

	if (--s->budget < 0)
		return 0;
	if (from > s->n)
		return (sm->flags & KI_F_NEGATED) ? step(s, k + 1, prev, hi) : 0;
	rc = pcre2_match(sm->u.re.re, (PCRE2_SPTR)(s->p + from), s->n - from, 0,
			 0, s->m->md, s->m->mc);
	if (sm->flags & KI_F_NEGATED)
		return rc >= 0 ? 0 : step(s, k + 1, prev, hi);
	if (rc < 0)
		return 0;
	{
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->m->md);
		size_t e = from + ov[1];

		return step(s, k + 1, e, e > hi ? e : hi);
	}
}

static int byte_test(struct mstate *s, int k, const struct ki_sm *sm,
		     size_t prev, size_t hi)
{
	long long at = ((sm->flags & KI_F_RELATIVE) ? (long long)prev :
			abs_pos(s, 0)) + sm->u.bt.offset;
	uint64_t v, x = sm->u.bt.value;
	int ok;

	if (at < 0 || extract(sm, s->p, s->n, (size_t)at, &v) != 0)
		return 0;
	if (sm->u.bt.bflags & KI_BF_BITMASK) {
		uint64_t m = sm->u.bt.bitmask;

		v &= m;
		while (m != 0 && !(m & 1)) {
			m >>= 1;
			v >>= 1;
		}
	}
	switch (sm->u.bt.op) {
	case '<': ok = v < x; break;
	case '>': ok = v > x; break;
	case '=': ok = v == x; break;
	case '&': ok = (v & x) != 0; break;
	case '^': ok = (v ^ x) != 0; break;
	case 'L': ok = v <= x; break;
	default: ok = v >= x; break;
	}
	if (sm->u.bt.bflags & KI_BF_NOT)
		ok = !ok;
	return ok ? step(s, k + 1, prev, hi) : 0;
}

static int byte_jump(struct mstate *s, int k, const struct ki_sm *sm,
		     size_t prev, size_t hi)
{
	long long at = ((sm->flags & KI_F_RELATIVE) ? (long long)prev :
			abs_pos(s, 0)) + sm->u.bt.offset;
	uint64_t v;
	long long to;
	size_t nb = sm->u.bt.nbytes;

	if (at < 0 || extract(sm, s->p, s->n, (size_t)at, &v) != 0 ||
	    v > (1u << 30))
		return 0;
	v *= sm->u.bt.multiplier;
	if (sm->u.bt.bflags & KI_BF_FROM_BEGIN)
		to = abs_pos(s, 0) + (long long)v;
	else if (sm->u.bt.bflags & KI_BF_FROM_END)
		to = (long long)s->n + (long long)v;
	else
		to = at + (long long)nb + (long long)v;
	if (sm->u.bt.bflags & KI_BF_ALIGN)
		to = (to + 3) & ~3LL;
	to += sm->u.bt.post_offset;
	if (to < 0 || to > (long long)s->n)
		return 0;
	return step(s, k + 1, (size_t)to, hi);
}

static int step(struct mstate *s, int k, size_t prev, size_t hi)
{
	const struct ki_sm *sm;

	if (k == s->cnt)
		return s->min_end == 0 || hi > s->min_end;
	sm = &s->r->sm[s->idx[k]];
	switch (sm->kind) {
	case KI_SM_CONTENT:
		return content(s, k, sm, prev, hi);
	case KI_SM_PCRE:
		return pcre(s, k, sm, prev, hi);
	case KI_SM_BYTE_TEST:
		return byte_test(s, k, sm, prev, hi);
	case KI_SM_BYTE_JUMP:
		return byte_jump(s, k, sm, prev, hi);
	case KI_SM_ISDATAAT: {
		/* As Suricata reads it: relative, N more bytes after the
		 * previous match; absolute, a byte at offset N. */
		long long at = ((sm->flags & KI_F_RELATIVE) ? (long long)prev :
				abs_pos(s, 0) + 1) + sm->u.isdataat.n;
		int there = at >= 0 && at <= (long long)s->n;

		if (sm->flags & KI_F_NEGATED)
			there = !there;
		return there ? step(s, k + 1, prev, hi) : 0;
	}
	default:
		return ki_num_match(&sm->u.bsize, s->n) ?
			step(s, k + 1, prev, hi) : 0;
	}
}

int ki_match_buffer(const struct ki_rule *r, int buf, const uint8_t *p,
		    size_t n, uint64_t base, size_t min_end, struct ki_mctx *m)
{
	struct mstate s;

	s.r = r;
	s.p = p ? p : (const uint8_t *)"";
	s.n = p ? n : 0;
	s.base = base;
	s.min_end = min_end;
	s.cnt = 0;
	s.budget = STEP_BUDGET;
	s.m = m;
	for (size_t i = 0; i < r->nsm; i++)
		if (r->sm[i].buf == buf)
			s.idx[s.cnt++] = (int)i;
	if (min_end > 0) {
		/* Without a positive match to place, the window's new bytes
		 * count as the match. */
		int pos = 0;

		for (int i = 0; i < s.cnt; i++) {
			const struct ki_sm *sm = &r->sm[s.idx[i]];

			if ((sm->kind == KI_SM_CONTENT || sm->kind == KI_SM_PCRE) &&
			    !(sm->flags & KI_F_NEGATED))
				pos = 1;
		}
		if (!pos)
			s.min_end = 0;
	}
	return step(&s, 0, 0, 0);
}

int ki_mctx_init(struct ki_mctx *m)
{
	m->md = pcre2_match_data_create(16, NULL);
	m->mc = pcre2_match_context_create(NULL);
	if (m->md == NULL || m->mc == NULL) {
		ki_mctx_free(m);
		return -1;
	}
	/* Backtracking limits: a rule's regex meets hostile payloads. */
	pcre2_set_match_limit(m->mc, 100000);
	pcre2_set_depth_limit(m->mc, 5000);
	return 0;
}

void ki_mctx_free(struct ki_mctx *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	m->md = NULL;
	m->mc = NULL;
}
