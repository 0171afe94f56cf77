/* Shared between the feed format files (feeds.c, feeds-csv.c) only. */
#ifndef KU_URL_FEEDS_INT_H
#define KU_URL_FEEDS_INT_H

#include "url/feeds.h"

void kuf_trim(char **s, size_t *n);
void kuf_why(char *why, size_t cap, const char *what, const char *s,
	     size_t n);
enum ku_line kuf_url_entry(struct ku_feed_parser *p, const char *s,
			   size_t n, ku_entry_fn fn, void *ctx, char *why,
			   size_t cap, enum ks_status *st);
enum ku_line kuf_csv_line(struct ku_feed_parser *p, char *s, size_t n,
			  ku_entry_fn fn, void *ctx, char *why, size_t cap,
			  enum ks_status *st);

#endif
