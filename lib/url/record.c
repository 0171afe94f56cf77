/*
 * Writing `url` records (fields in record.h and ksvm-events(7)).
 */
#include "url/record.h"

#include <libpsl.h>
#include <string.h>

#include "url/events.h"
#include "url/hash.h"

void ku_explain_init(struct ku_explain *x)
{
	ks_buf_init(&x->buf, 1u << 20);
	x->n = 0;
	x->dropped = 0;
}

void ku_explain_free(struct ku_explain *x)
{
	ks_buf_free(&x->buf);
}

void ku_explain_reset(struct ku_explain *x)
{
	ks_buf_reset(&x->buf);
	x->n = 0;
	x->dropped = 0;
}

void ku_explain_trace(void *ctx, const char *what, const char *key,
		      size_t n, int found)
{
	struct ku_explain *x = ctx;
	size_t before = x->buf.len;

	if (ks_buf_puts(&x->buf, what) != KS_OK ||
	    ks_buf_putc(&x->buf, '\0') != KS_OK ||
	    ks_buf_putc(&x->buf, found ? '1' : '0') != KS_OK ||
	    ks_buf_putc(&x->buf, '\0') != KS_OK ||
	    ks_buf_append(&x->buf, &n, sizeof n) != KS_OK ||
	    ks_buf_append(&x->buf, key, n) != KS_OK) {
		x->buf.len = before;
		x->dropped++;
		return;
	}
	x->n++;
}

const char *ku_registrable(struct ku_psl_cache *pc, const char *host,
			   size_t n)
{
	const char *r;
	uint64_t h = 0;
	size_t slot = 0;

	if (pc != NULL) {
		h = ku_hash(host, n, 0);
		slot = h % KU_PSL_CACHE;
		if (pc->used[slot] && pc->hash[slot] == h)
			return pc->off[slot] < 0 ? NULL : host + pc->off[slot];
	}
	r = psl_registrable_domain(psl_builtin(), host);
	if (pc != NULL) {
		pc->used[slot] = 1;
		pc->hash[slot] = h;
		pc->off[slot] = r == NULL ? -1 : (int16_t)(r - host);
	}
	return r;
}

const char *ku_verdict_name(const struct ku_check *c)
{
	switch (c->verdict) {
	case KU_LISTED:
		return c->category;
	case KU_ERROR:
		return "error";
	default:
		return "clean";
	}
}

static int default_port(const char *scheme)
{
	if (strcmp(scheme, "http") == 0 || strcmp(scheme, "ws") == 0)
		return 80;
	if (strcmp(scheme, "https") == 0 || strcmp(scheme, "wss") == 0)
		return 443;
	if (strcmp(scheme, "ftp") == 0)
		return 21;
	return -1;
}

static void url_obj(struct kj_writer *w, const struct ku_check *c,
		    const struct ku_record_ctx *rc)
{
	const struct ku_url *u = &c->url;
	int port = u->port;

	kj_obj_open(w, "url");
	if (!u->host_only) {
		kj_strn(w, "canonical", u->canonical, u->canonical_len);
		kj_str(w, "scheme", u->scheme);
	}
	kj_strn(w, "host", u->host, u->host_len);
	if (u->host_type == KU_HOST_NAME) {
		const char *d = ku_registrable(rc->psl, u->host, u->host_len);

		if (d != NULL)
			kj_str(w, "domain", d);
	}
	if (port < 0 && rc->port >= 0)
		port = rc->port;
	if (port < 0 && !u->host_only)
		port = default_port(u->scheme);
	if (port >= 0)
		kj_uint(w, "port", (uint64_t)port);
	if (!u->host_only) {
		kj_strn(w, "path", u->path, u->path_len);
		if (u->query != NULL)
			kj_strn(w, "query", u->query, u->query_len);
		if (u->userinfo != NULL)
			kj_str(w, "userinfo", u->userinfo);
	}
	kj_obj_close(w);
}

static void explain_obj(struct kj_writer *w, const struct ku_check *c,
			const struct ku_explain *x)
{
	char one[KU_DB_MAX_KEY + 1];
	size_t off = 0;

	kj_obj_open(w, "explain");
	kj_arr_open(w, "expressions");
	for (unsigned h = 0; h < c->ex.nhosts; h++)
		for (unsigned p = 0; p < c->ex.npaths; p++) {
			size_t n = ku_expr_write(&c->ex, h, p, one, sizeof one);

			if (n > 0)
				kj_strn(w, NULL, one, n);
		}
	kj_arr_close(w);
	kj_arr_open(w, "lookups");
	for (size_t i = 0; i < x->n; i++) {
		const char *what = (const char *)x->buf.data + off;
		const char *found = what + strlen(what) + 1;
		size_t n;

		memcpy(&n, found + 2, sizeof n);
		kj_obj_open(w, NULL);
		kj_str(w, "type", what);
		kj_strn(w, "key", found + 2 + sizeof n, n);
		kj_bool(w, "found", found[0] == '1');
		kj_obj_close(w);
		off = (size_t)(found + 2 + sizeof n + n - (const char *)x->buf.data);
	}
	kj_arr_close(w);
	if (x->dropped > 0)
		kj_uint(w, "lookups_omitted", x->dropped);
	kj_obj_close(w);
}

void ku_record_url(struct kj_writer *w, const struct ku_check *c,
		   const struct ku_db *db, const struct ku_record_ctx *rc)
{
	kj_record_begin(w, rc->ts, "url", rc->program);
	if (rc->event != NULL) {
		for (size_t i = 0; ku_event_ids[i] != NULL; i++) {
			struct json_object *v;

			if (json_object_object_get_ex(rc->event, ku_event_ids[i],
						      &v))
				kj_json(w, ku_event_ids[i], v);
		}
	}
	kj_str(w, "source", rc->source);
	if (rc->line > 0)
		kj_uint(w, "line", rc->line);
	kj_strn(w, "input", rc->input, rc->input_len);
	kj_str(w, "query", c->url.host_only ? "host" : "url");
	kj_str(w, "verdict", ku_verdict_name(c));
	if (c->verdict == KU_ERROR) {
		kj_obj_open(w, "error");
		kj_str(w, "kind", ks_status_name(c->err.status));
		kj_str(w, "message", c->err.msg);
		kj_obj_close(w);
	} else {
		url_obj(w, c, rc);
		if (c->allowed)
			kj_bool(w, "allowed", 1);
		kj_arr_open(w, "matches");
		for (size_t i = 0; i < c->n; i++) {
			const struct ku_match *m = &c->m[i];
			const struct ku_db_feed *f = ku_db_feed(db, m->feed);

			kj_obj_open(w, NULL);
			kj_str(w, "feed", f->name);
			kj_str(w, "category", f->category);
			kj_str(w, "kind", ku_kind_name(m->kind));
			kj_strn(w, "entry", m->entry, m->entry_len);
			kj_strn(w, "expression", m->expr, m->expr_len);
			kj_obj_close(w);
		}
		kj_arr_close(w);
		if (c->omitted > 0)
			kj_uint(w, "matches_omitted", c->omitted);
	}
	kj_uint(w, "db_generation", ku_db_info(db)->generation);
	if (rc->explain != NULL && c->verdict != KU_ERROR)
		explain_obj(w, c, rc->explain);
}
