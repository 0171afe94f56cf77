#include "report/agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

void kr_agg_init(struct kr_agg *a, int keep_rows, size_t max_rows)
{
	memset(a, 0, sizeof *a);
	kr_map_init(&a->other_types, sizeof(struct kr_agg_count), 1000);
	kr_map_init(&a->verdicts, sizeof(struct kr_agg_count), 1000);
	kr_map_init(&a->actions, sizeof(struct kr_agg_count), 1000);
	kr_map_init(&a->threats, sizeof(struct kr_agg_count), KR_AGG_MAX_NAMES);
	kr_map_init(&a->signatures, sizeof(struct kr_agg_count),
		    KR_AGG_MAX_NAMES);
	kr_map_init(&a->categories, sizeof(struct kr_agg_count),
		    KR_AGG_MAX_NAMES);
	kr_map_init(&a->vms, sizeof(struct kr_agg_vm), KR_AGG_MAX_NAMES);
	kr_hist_init(&a->hist);
	a->keep_rows = keep_rows;
	a->max_rows = max_rows ? max_rows : KR_AGG_DEFAULT_ROWS;
	ks_arena_init(&a->arena, KS_BUF_UNLIMITED);
}

void kr_agg_free(struct kr_agg *a)
{
	kr_map_free(&a->other_types);
	kr_map_free(&a->verdicts);
	kr_map_free(&a->actions);
	kr_map_free(&a->threats);
	kr_map_free(&a->signatures);
	kr_map_free(&a->categories);
	kr_map_free(&a->vms);
	kr_hist_free(&a->hist);
	free(a->samples);
	free(a->rows);
	ks_arena_free(&a->arena);
}

struct kr_str kr_agg_cut(struct kr_str s, size_t max)
{
	if (s.p == NULL || s.n <= max)
		return s;
	/* Back off to the start of a UTF-8 sequence. */
	while (max > 0 && ((unsigned char)s.p[max] & 0xc0) == 0x80)
		max--;
	return (struct kr_str){ s.p, max };
}

static struct kr_agg_count *count_name(struct kr_map *m, struct kr_str key,
				       const struct kr_event *e)
{
	struct kr_agg_count *c;

	key = kr_agg_cut(key, KR_AGG_NAME_MAX);
	c = kr_map_get(m, key.p, key.n, 1);
	if (c == NULL)
		return NULL;
	if (c->count == 0) {
		c->type = e->type;
		c->max_sev = e->sev;
	}
	c->count++;
	if (e->sev > c->max_sev)
		c->max_sev = e->sev;
	return c;
}

/* "type value" keys for the verdict and action tables. */
static void count_pair(struct kr_map *m, const struct kr_event *e,
		       struct kr_str value)
{
	char key[KR_AGG_NAME_MAX + 64];
	const char *tn = e->type == KR_T_OTHER ? NULL : kr_type_name(e->type);
	struct kr_str et = tn != NULL ? kr_str_c(tn) :
					kr_agg_cut(e->event_type, 48);
	size_t k = 0;

	if (!kr_str_full(value))
		return;
	value = kr_agg_cut(value, KR_AGG_NAME_MAX);
	if (et.p != NULL) {
		/* A NUL separates the halves: neither can hold one that
		 * matters here, and a space could. */
		memcpy(key, et.p, et.n);
		k = et.n;
	}
	key[k++] = '\0';
	memcpy(key + k, value.p, value.n);
	k += value.n;
	count_name(m, (struct kr_str){ key, k }, e);
}

void kr_agg_split_key(struct kr_str key, struct kr_str *type,
		      struct kr_str *value)
{
	const char *z = memchr(key.p, '\0', key.n);

	if (z == NULL) {
		*type = KR_STR_NONE;
		*value = key;
		return;
	}
	*type = (struct kr_str){ key.p, (size_t)(z - key.p) };
	*value = (struct kr_str){ z + 1, key.n - (size_t)(z - key.p) - 1 };
}

static struct kr_str copy(struct kr_agg *a, struct kr_str s, size_t max)
{
	char *c;

	if (s.p == NULL)
		return KR_STR_NONE;
	s = kr_agg_cut(s, max);
	c = ks_arena_memdup(&a->arena, s.p, s.n);
	return c != NULL ? (struct kr_str){ c, s.n } : KR_STR_NONE;
}

static void sample_error(struct kr_agg *a, const struct kr_event *e)
{
	struct kr_agg_error *s;

	if (a->nsamples >= KR_AGG_MAX_SAMPLES)
		return;
	if (a->samples == NULL) {
		a->samples = calloc(KR_AGG_MAX_SAMPLES, sizeof *a->samples);
		if (a->samples == NULL)
			return;
	}
	s = &a->samples[a->nsamples++];
	s->program = copy(a, e->program, 64);
	s->vm = copy(a, e->vm, 256);
	s->path = copy(a, e->path, 4096);
	s->malformed = e->malformed;
	if (e->malformed || e->type == KR_T_ERROR) {
		s->input = copy(a, e->err_input, 4096);
		s->line = e->err_line;
	}
	s->kind = copy(a, kr_str_full(e->err_kind) ? e->err_kind : e->verdict,
		       64);
	s->message = copy(a, e->err_msg, 1024);
}

static int keep_row(struct kr_agg *a, struct kr_event *e)
{
	struct kr_agg_row *r;

	if (a->nrows >= a->max_rows) {
		a->rows_dropped++;
		return 0;
	}
	if (a->nrows == a->rows_cap) {
		size_t nc = a->rows_cap ? a->rows_cap * 2 : 256;
		struct kr_agg_row *nr;

		if (nc > a->max_rows)
			nc = a->max_rows;
		nr = realloc(a->rows, nc * sizeof *nr);
		if (nr == NULL)
			return -1;
		a->rows = nr;
		a->rows_cap = nc;
	}
	r = &a->rows[a->nrows++];
	memset(r, 0, sizeof *r);
	r->ts = e->ts;
	r->have_ts = e->have_ts;
	r->sev = e->sev;
	r->type = e->type;
	r->event_type = copy(a, e->event_type, 64);
	r->program = copy(a, e->program, 64);
	r->vm = copy(a, e->vm, 256);
	r->threat = copy(a, e->threat, 1024);
	r->category = copy(a, e->category, 256);
	r->action = copy(a, e->action, 64);
	r->verdict = copy(a, e->verdict, 64);
	r->path = copy(a, e->path, 4096);
	r->sha256 = copy(a, e->sha256, 64);
	r->url = copy(a, e->url, 4096);
	r->endpoints = copy(a, kr_event_endpoints(e), 512);
	r->input = copy(a, kr_str_c(e->input), 4096);
	r->line_no = e->line_no;
	r->sid = e->signature_id;
	r->have_sid = e->have_sid;
	memcpy(r->id, e->id, sizeof r->id);
	if (e->nmatches > 0) {
		r->matches = ks_arena_alloc(&a->arena,
					    e->nmatches * sizeof *r->matches);
		if (r->matches == NULL)
			return -1;
		for (size_t i = 0; i < e->nmatches; i++) {
			const struct kr_match *m = &e->matches[i];

			r->matches[i].rule = copy(a, m->rule, 1024);
			r->matches[i].set = copy(a, m->set, 256);
			r->matches[i].member = copy(a, m->member, 4096);
			r->matches[i].description = copy(a, m->description,
							 1024);
		}
		r->nmatches = e->nmatches;
	}
	return 0;
}

static void count_vm(struct kr_agg *a, const struct kr_event *e)
{
	struct kr_str name = kr_agg_cut(e->vm, KR_AGG_NAME_MAX);
	struct kr_agg_vm *v;

	/* Records without a guest count under the empty name, shown as
	 * "(none)". */
	v = kr_map_get(&a->vms, name.p != NULL ? name.p : "", name.n, 1);
	if (v == NULL)
		return;
	v->records++;
	v->detections += (uint64_t)e->detection;
	v->high += (uint64_t)(e->detection && e->sev >= KR_SEV_HIGH);
	switch (e->type) {
	case KR_T_FILE:
		v->files++;
		v->infected += (uint64_t)e->detection;
		break;
	case KR_T_ALERT:
		v->alerts++;
		break;
	case KR_T_URL:
		v->urls += (uint64_t)e->detection;
		break;
	case KR_T_ACCESS:
		v->denied += (uint64_t)kr_str_eq(e->verdict, "deny");
		break;
	default:
		break;
	}
	if (e->type == KR_T_ERROR || kr_str_eq(e->verdict, "error"))
		v->errors++;
}

int kr_agg_add(struct kr_agg *a, struct kr_event *e)
{
	a->records++;
	a->by_type[e->type]++;
	a->by_sev[e->sev]++;
	if (e->type == KR_T_OTHER)
		count_name(&a->other_types, kr_str_full(e->event_type) ?
				e->event_type : kr_str_c("(none)"), e);
	/* kreport's own events carry the time they were made, not a time
	 * of the input: they stay out of its time span. */
	if (e->have_ts && !e->own) {
		if (!a->have_time || e->ts.sec < a->first.sec ||
		    (e->ts.sec == a->first.sec && e->ts.usec < a->first.usec))
			a->first = e->ts;
		if (!a->have_time || e->ts.sec > a->last.sec ||
		    (e->ts.sec == a->last.sec && e->ts.usec > a->last.usec))
			a->last = e->ts;
		a->have_time = 1;
	} else if (!e->have_ts) {
		a->no_time++;
	}
	count_pair(&a->verdicts, e, e->verdict);
	count_pair(&a->actions, e, e->action);
	count_vm(a, e);
	if (e->malformed)
		a->malformed++;
	if (e->type == KR_T_ERROR || kr_str_eq(e->verdict, "error")) {
		a->errors++;
		sample_error(a, e);
	}
	if (!e->detection)
		return 0;
	a->detections++;
	a->det_by_type[e->type]++;
	if (e->type == KR_T_ALERT) {
		char key[KR_AGG_NAME_MAX + 32];
		struct kr_str sig = kr_agg_cut(e->threat, KR_AGG_NAME_MAX);
		struct kr_agg_count *c;
		int k = 0;

		/* The id and the name together: the same id may come from
		 * two rule sets with different names. */
		if (e->have_sid)
			k = snprintf(key, 32, "%lld", (long long)e->signature_id);
		key[k++] = '\0';
		memcpy(key + k, sig.p, sig.n);
		c = count_name(&a->signatures,
			       (struct kr_str){ key, (size_t)k + sig.n }, e);
		if (c != NULL) {
			c->sid = e->signature_id;
			c->have_sid = e->have_sid;
		}
	} else if (e->type == KR_T_FILE && e->nmatches > 1) {
		/* Every rule that matched the file counts once. */
		for (size_t i = 0; i < e->nmatches; i++) {
			size_t j;

			for (j = 0; j < i; j++)
				if (e->matches[j].rule.n == e->matches[i].rule.n &&
				    memcmp(e->matches[j].rule.p,
					   e->matches[i].rule.p,
					   e->matches[i].rule.n) == 0)
					break;
			if (j == i && kr_str_full(e->matches[i].rule))
				count_name(&a->threats, e->matches[i].rule, e);
		}
	} else {
		count_name(&a->threats, e->threat, e);
	}
	count_name(&a->categories, kr_str_full(e->category) ? e->category :
				   kr_str_c("(none)"), e);
	if (e->have_ts && kr_hist_add(&a->hist, e->ts.sec, e->sev) != 0)
		return -1;
	if (a->keep_rows && keep_row(a, e) != 0)
		return -1;
	return 0;
}

int kr_agg_count_cmp(const void *pa, const void *pb)
{
	const struct kr_agg_count *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->max_sev != b->max_sev)
		return a->max_sev > b->max_sev ? -1 : 1;
	return 0;
}

int kr_agg_vm_cmp(const void *pa, const void *pb)
{
	const struct kr_agg_vm *a = pa, *b = pb;

	if (a->detections != b->detections)
		return a->detections > b->detections ? -1 : 1;
	if (a->records != b->records)
		return a->records > b->records ? -1 : 1;
	return 0;
}

uint64_t kr_agg_refused(const struct kr_agg *a)
{
	return a->other_types.refused + a->verdicts.refused +
	       a->actions.refused + a->threats.refused +
	       a->signatures.refused + a->categories.refused + a->vms.refused;
}
