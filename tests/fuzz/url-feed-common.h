/*
 * Shared by the feed fuzz targets (fuzz-url-feed-text.c, fuzz-url-feed-
 * csv.c): the first byte picks the format and the match meaning, the rest
 * is the feed.  Beyond "no crash":
 *   - the database built from it opens (checksum included);
 *   - every entry the parser gave is found under its key, with its kind,
 *     in feed 0, and the counts add up to the lines;
 *   - every line checked as a URL and as a host gives a verdict or a
 *     reason, never a listed verdict without a match.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url/check.h"
#include "url/feeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t n;
	struct {
		enum ku_kind kind;
		unsigned flags;
		size_t len;
		uint8_t key[KU_DB_MAX_KEY];
	} e[64];
};

static enum ks_status collect(void *ctx, enum ku_kind kind, unsigned flags,
			      const void *key, size_t n)
{
	struct seen *s = ctx;

	if (s->n < 64 && n <= KU_DB_MAX_KEY) {
		s->e[s->n].kind = kind;
		s->e[s->n].flags = flags;
		s->e[s->n].len = n;
		memcpy(s->e[s->n].key, key, n);
		s->n++;
	}
	return KS_OK;
}

static void run_feed(enum ku_format fmt, enum ku_kind kind,
		     const uint8_t *data, size_t size)
{
	struct ku_builder *b = ku_builder_new();
	struct ku_feed_def d = { "f", "malicious", ku_format_name(fmt), "fuzz",
				 kind };
	struct ku_build_opts bo = { 1, 1, 42 };
	struct ku_feed_report rep;
	struct ku_feed_parser p;
	static struct seen s;
	static struct ku_check *c;
	const struct ku_feed_counts *fc;
	struct ku_db *db;
	uint8_t *img;
	size_t len, i = 0, lines = 0;
	unsigned id;
	char why[200];

	if (c == NULL && (c = ku_check_new()) == NULL)
		abort();
	if (b == NULL || ku_builder_feed(b, &d, &id, NULL) != KS_OK)
		abort();
	if (ku_feed_load_mem(b, id, fmt, kind, (const char *)data, size, &rep,
			     NULL) != KS_OK)
		abort();
	fc = ku_builder_counts(b, id);
	if (ku_builder_image(b, &bo, &img, &len, NULL) != KS_OK ||
	    ku_db_open_mem(&db, img, len, 1, 0, NULL) != KS_OK)
		abort();
	if (ku_feed_parser_init(&p, fmt, kind) != KS_OK)
		abort();
	while (i < size) {
		const char *t = (const char *)data + i;
		const char *nl = memchr(t, '\n', size - i);
		size_t n = nl != NULL ? (size_t)(nl - t) : size - i;
		enum ks_status st;
		char *line = malloc(n + 1);

		if (line == NULL)
			abort();
		lines++;
		memcpy(line, t, n);
		line[n] = '\0';
		s.n = 0;
		if (n <= KU_FEED_MAX_LINE)
			ku_feed_line(&p, line, n, collect, &s, why, sizeof why, &st);
		for (size_t k = 0; k < s.n; k++) {
			struct ku_rec r;
			int found = 0;

			if (!ku_db_find(db, s.e[k].key, s.e[k].len,
					ku_db_hash(db, s.e[k].key, s.e[k].len), &r))
				abort();
			for (size_t m = 0; m < r.nmatch; m++) {
				unsigned feed, kd, fl;

				ku_rec_entry(&r, m, &feed, &kd, &fl);
				if (feed == 0 && kd == s.e[k].kind &&
				    fl == s.e[k].flags)
					found = 1;
			}
			if (!found)
				abort();
		}
		memcpy(line, t, n);
		if (ku_check(c, db, line, n, 0) == KU_LISTED && c->n == 0)
			abort();
		if (ku_check(c, db, line, n, 1) == KU_LISTED && c->n == 0)
			abort();
		free(line);
		i += n + 1;
	}
	if (fc->lines != lines || fc->bad + fc->unsupported + fc->skipped +
	    rep.ignored > lines)
		abort();
	ku_feed_parser_free(&p);
	ku_db_close(db);
	ku_builder_free(b);
}
