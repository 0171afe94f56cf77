/*
 * The JSON summary: one `summary` record for scripts (ksvm-events(7);
 * tests/schemas/summary.schema.json).  Names from the input appear as
 * values, never as member names, so that any byte survives the escaping
 * of the event contract.
 */
#include <stdlib.h>

#include "json/writer.h"
#include "report/report.h"

static void str(struct kj_writer *w, const char *key, struct kr_str s)
{
	if (s.p != NULL)
		kj_strn(w, key, s.p, s.n);
}

static void counts(struct kj_writer *w, const char *key, const struct kr_map *m,
		   size_t limit, const char *name_key, int sigs)
{
	size_t *idx = kr_map_sorted(m, kr_agg_count_cmp);

	kj_arr_open(w, key);
	for (size_t i = 0; idx != NULL && i < m->n && i < limit; i++) {
		const struct kr_agg_count *k = kr_map_val(m, idx[i]);
		struct kr_str name = m->keys[idx[i]], id;

		kj_obj_open(w, NULL);
		if (sigs) {
			kr_agg_split_key(name, &id, &name);
			if (k->have_sid)
				kj_int(w, "signature_id", k->sid);
		}
		str(w, name_key, name);
		kj_uint(w, "count", k->count);
		kj_str(w, "severity", kr_sev_name(k->max_sev));
		kj_obj_close(w);
	}
	kj_arr_close(w);
	free(idx);
}

static void pairs(struct kj_writer *w, const char *key, const struct kr_map *m,
		  const char *value_key)
{
	size_t *idx = kr_map_sorted(m, kr_agg_count_cmp);

	kj_arr_open(w, key);
	for (size_t i = 0; idx != NULL && i < m->n; i++) {
		const struct kr_agg_count *k = kr_map_val(m, idx[i]);
		struct kr_str type, value;

		kr_agg_split_key(m->keys[idx[i]], &type, &value);
		kj_obj_open(w, NULL);
		str(w, "event_type", type);
		str(w, value_key, value);
		kj_uint(w, "count", k->count);
		kj_obj_close(w);
	}
	kj_arr_close(w);
	free(idx);
}

static void vms(struct kj_writer *w, const struct kr_map *m)
{
	size_t *idx = kr_map_sorted(m, kr_agg_vm_cmp);

	kj_arr_open(w, "vms");
	for (size_t i = 0; idx != NULL && i < m->n; i++) {
		const struct kr_agg_vm *v = kr_map_val(m, idx[i]);

		kj_obj_open(w, NULL);
		if (m->keys[idx[i]].n > 0)
			str(w, "vm", m->keys[idx[i]]);
		else
			kj_null(w, "vm");
		kj_uint(w, "records", v->records);
		kj_uint(w, "detections", v->detections);
		kj_uint(w, "high", v->high);
		kj_uint(w, "files", v->files);
		kj_uint(w, "infected", v->infected);
		kj_uint(w, "alerts", v->alerts);
		kj_uint(w, "urls", v->urls);
		kj_uint(w, "denied", v->denied);
		kj_uint(w, "errors", v->errors);
		kj_obj_close(w);
	}
	kj_arr_close(w);
	free(idx);
}

enum ks_status kr_json_report(struct ks_buf *b, const struct kr_report_ctx *c)
{
	const struct kr_agg *a = c->agg;
	struct kj_writer w;
	enum ks_status st;
	size_t top = c->top ? c->top : 10;

	kj_writer_init(&w, 64u << 20);
	kj_record_begin(&w, c->generated, "summary", "kreport");
	kj_obj_open(&w, "summary");
	kj_uint(&w, "records", a->records);
	kj_uint(&w, "filtered_out", c->filtered_out);
	kj_uint(&w, "detections", a->detections);
	kj_uint(&w, "malformed", a->malformed);
	kj_uint(&w, "errors", a->errors);
	if (a->have_time) {
		kj_time(&w, "first", a->first);
		kj_time(&w, "last", a->last);
	}
	kj_uint(&w, "no_timestamp", a->no_time);
	kj_arr_open(&w, "inputs");
	for (size_t i = 0; i < c->inputs->n; i++) {
		const struct kr_input *in = &c->inputs->v[i];

		kj_obj_open(&w, NULL);
		kj_str(&w, "name", in->name);
		kj_uint(&w, "records", in->records);
		kj_uint(&w, "malformed", in->malformed);
		kj_uint(&w, "bytes", in->bytes);
		kj_bool(&w, "failed", in->failed);
		kj_obj_close(&w);
	}
	kj_arr_close(&w);
	kj_obj_open(&w, "by_type");
	for (int t = 0; t < KR_T_OTHER; t++)
		if (a->by_type[t] > 0)
			kj_uint(&w, kr_type_name((enum kr_type)t), a->by_type[t]);
	kj_obj_close(&w);
	kj_obj_open(&w, "detections_by_type");
	for (int t = 0; t <= KR_T_OTHER; t++)
		if (a->det_by_type[t] > 0)
			kj_uint(&w, kr_type_name((enum kr_type)t),
				a->det_by_type[t]);
	kj_obj_close(&w);
	counts(&w, "other_types", &a->other_types, (size_t)-1, "event_type", 0);
	kj_obj_open(&w, "by_severity");
	for (int s = 0; s < KR_SEV_COUNT; s++)
		kj_uint(&w, kr_sev_name((enum kr_sev)s), a->by_sev[s]);
	kj_obj_close(&w);
	pairs(&w, "verdicts", &a->verdicts, "verdict");
	pairs(&w, "actions", &a->actions, "action");
	counts(&w, "top_threats", &a->threats, top, "name", 0);
	counts(&w, "top_signatures", &a->signatures, top, "signature", 1);
	counts(&w, "categories", &a->categories, (size_t)-1, "name", 0);
	vms(&w, &a->vms);
	kj_arr_open(&w, "error_samples");
	for (size_t i = 0; i < a->nsamples; i++) {
		const struct kr_agg_error *e = &a->samples[i];

		kj_obj_open(&w, NULL);
		str(&w, "program", e->program);
		str(&w, "input", e->input);
		if (e->line > 0)
			kj_uint(&w, "line", e->line);
		str(&w, "vm", e->vm);
		str(&w, "path", e->path);
		str(&w, "kind", e->kind);
		str(&w, "message", e->message);
		kj_obj_close(&w);
	}
	kj_arr_close(&w);
	kj_uint(&w, "not_counted_by_name", kr_agg_refused(a));
	kj_obj_close(&w);
	st = kj_record_end(&w);
	if (st == KS_OK)
		st = ks_buf_append(b, w.buf.data, w.buf.len);
	kj_writer_free(&w);
	return st;
}
