/*
 * Fuzz target: events (JSON Lines) to addresses, checks and url records,
 * as `kurlcheck --events` does them, against a small database built once.
 * Beyond "no crash": every address taken is non-empty, at most
 * KU_EVENT_MAX per event, and every record written is one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"
#include "url/events.h"
#include "url/feeds.h"
#include "url/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ku_db *db;
static struct ku_check *c;
static struct ku_event *ev;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char feed[] = "evil.example\n*.w.example\n";
	struct ku_builder *b = ku_builder_new();
	struct ku_feed_def d = { "f", "malicious", "domains", "fuzz",
				 KU_KIND_DOMAIN };
	struct ku_build_opts bo = { 1, 1, 7 };
	struct ku_feed_report rep;
	uint8_t *img;
	size_t len;
	unsigned id;

	(void)argc;
	(void)argv;
	c = ku_check_new();
	ev = malloc(sizeof *ev);
	if (b == NULL || c == NULL || ev == NULL ||
	    ku_builder_feed(b, &d, &id, NULL) != KS_OK ||
	    ku_feed_load_mem(b, id, KU_FMT_DOMAINS, KU_KIND_DOMAIN, feed,
			     sizeof feed - 1, &rep, NULL) != KS_OK ||
	    ku_builder_image(b, &bo, &img, &len, NULL) != KS_OK ||
	    ku_db_open_mem(&db, img, len, 1, 0, NULL) != KS_OK)
		abort();
	ku_builder_free(b);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kj_lines l;
	struct kj_parser p;
	struct kj_writer w;
	struct ku_psl_cache *pc = calloc(1, sizeof *pc);
	char *line;
	size_t len;
	enum ks_status st;
	int pushed = 0;

	if (db == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (pc == NULL)
		abort();
	kj_lines_init(&l, 65536);
	kj_writer_init(&w, 0);
	if (kj_parser_init(&p, 16) != KS_OK)
		abort();
	for (;;) {
		struct json_object *o = NULL;

		st = kj_lines_next(&l, &line, &len, pushed);
		if (st == KS_EOF)
			break;
		if (st == KS_AGAIN) {
			kj_lines_push(&l, data, size);
			pushed = 1;
			continue;
		}
		if (st != KS_OK || kj_parse(&p, line, len, &o, NULL) != KS_OK ||
		    o == NULL)
			continue;
		size_t n = ku_event_queries(ev, o);

		if (n > KU_EVENT_MAX)
			abort();
		for (size_t i = 0; i < n; i++) {
			struct ku_record_ctx rc;

			if (ev->q[i].len == 0)
				abort();
			memset(&rc, 0, sizeof rc);
			rc.program = "kurlcheck";
			rc.source = ev->q[i].source;
			rc.input = ev->q[i].text;
			rc.input_len = ev->q[i].len;
			rc.port = ev->q[i].port;
			rc.event = o;
			rc.psl = pc;
			ku_check(c, db, ev->q[i].text, ev->q[i].len,
				 ev->q[i].host_only);
			ku_record_url(&w, c, db, &rc);
			if (kj_record_end(&w) == KS_OK &&
			    (w.buf.len == 0 || w.buf.data[w.buf.len - 1] != '\n' ||
			     memchr(w.buf.data, '\n', w.buf.len) !=
				     w.buf.data + w.buf.len - 1))
				abort();
			ks_buf_reset(&w.buf);
			w.record_start = 0;
		}
		json_object_put(o);
	}
	kj_parser_free(&p);
	kj_lines_free(&l);
	kj_writer_free(&w);
	free(pc);
	return 0;
}
