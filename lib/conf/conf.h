/*
 * The configuration file of the appliance (ksvm.conf(5)), read with
 * libinih: INI sections and "key = value" lines, ';' or '#' comments.
 *
 * ks_conf_load keeps every item with its line number and collects every
 * error (syntax, duplicate keys, over-long lines) instead of stopping at
 * the first, so that a broken file is reported whole.  The tools then read
 * the sections they own, add their own errors about values
 * (ks_conf_error), and report keys nobody used (ks_conf_check_unused) so a
 * misspelled setting never goes unnoticed.
 *
 * A value that continues on indented lines is joined with single spaces.
 * The file is untrusted: lines are capped (at libinih's line size, 200
 * bytes with Debian's build: a longer line is an error, never cut) and so
 * is the number of items.
 *
 * The struct owns every string in it; ks_conf_free releases them.
 */
#ifndef KS_CONF_CONF_H
#define KS_CONF_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"

#define KS_CONF_MAX_ITEMS 100000
#define KS_CONF_MAX_ERRORS 100

struct ks_conf_item {
	char *section;
	char *key;
	char *value;
	unsigned line;
	int used;
};

struct ks_conf_error {
	unsigned line;   /* 0 when the error is about the whole file */
	char *msg;
};

struct ks_conf {
	char *path;
	struct ks_conf_item *items;
	size_t n, cap;
	struct ks_conf_error *errors;
	size_t nerr, errcap;
	unsigned long dropped_errors;  /* errors past KS_CONF_MAX_ERRORS */
};

void ks_conf_init(struct ks_conf *c);
void ks_conf_free(struct ks_conf *c);

/*
 * Read `path`.  KS_OK when the file was read (check c->nerr for errors in
 * it); an error when it could not be opened or read at all.
 */
enum ks_status ks_conf_load(struct ks_conf *c, const char *path,
			    struct ks_err *err);

/* Same from memory (for tests and fuzzing); `name` stands for the path. */
enum ks_status ks_conf_load_string(struct ks_conf *c, const char *text,
				   const char *name, struct ks_err *err);

/* The item (marked used) or NULL. */
struct ks_conf_item *ks_conf_get(struct ks_conf *c, const char *section,
				 const char *key);

/* Record an error about a line (0: the file). */
void ks_conf_error(struct ks_conf *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Call back for each distinct section whose name starts with `prefix`
 * ("profile " gives every "[profile NAME]"), in file order, with the
 * line of its first item.
 */
typedef void (*ks_conf_section_cb)(void *ctx, const char *section,
				   unsigned line);
void ks_conf_sections(const struct ks_conf *c, const char *prefix,
		      ks_conf_section_cb cb, void *ctx);

/* Add an error for every unused key in sections starting with `prefix`
 * ("" for all). */
void ks_conf_check_unused(struct ks_conf *c, const char *prefix);

/* Sort the errors by line (stable), so they are reported in file order. */
void ks_conf_sort_errors(struct ks_conf *c);

/* Print every error as "FILE:LINE: message" (sorted by line), and how
 * many more there were past the cap. */
void ks_conf_print_errors(struct ks_conf *c, FILE *f);

/* Split a value into words (separated by blanks or commas).  Returns a
 * NULL-terminated array the caller frees with ks_conf_words_free. */
char **ks_conf_words(const char *value, size_t *n);
void ks_conf_words_free(char **w);

/* Parse booleans: yes/no, true/false, on/off, 1/0.  0 or -1. */
int ks_conf_bool(const char *value, int *out);

#endif
