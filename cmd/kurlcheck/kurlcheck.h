/* kurlcheck: web address checks.  Shared between the files of the tool. */
#ifndef KURLCHECK_H
#define KURLCHECK_H

#include <stddef.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "url/db.h"
#include "url/feeds.h"

#define PROGRAM "kurlcheck"

/* Where the appliance keeps the database `compile` writes and checks
 * read. */
#define KURLCHECK_DB KU_DB_DEFAULT_PATH

struct opts {
	struct ks_cli cli;
	const char *db;
	const char *config;
	int events, hosts, explain, listed_only, line_buffered, no_stats,
	    check_config;
	char **args;
	int nargs;
};

/* main.c: the --version text (with libidn2 and libpsl). */
#include <stdio.h>
struct argp_state;
void kurlcheck_version(FILE *f, struct argp_state *state);

/* check.c: check what the options say; returns the exit code. */
int kurlcheck_run(struct opts *o);

/* compile.c: `kurlcheck compile` and `kurlcheck info`. */
int kurlcheck_compile(int argc, char **argv);
int kurlcheck_info(int argc, char **argv);

/* sample.c: the built-in database, compiled from the sample feeds the
 * program carries (samples/feeds). */
enum ks_status sample_image(uint8_t **img, size_t *len, struct ks_err *err);
struct feed_spec;
int sample_specs(struct feed_spec **v, size_t *n);

/* A feed to compile. */
struct feed_spec {
	char *name, *category, *path;
	enum ku_format fmt;
	enum ku_kind kind;
	unsigned line;          /* of the configuration file, or 0 */
	const char *text;       /* in memory (the samples) instead of path */
	size_t text_len;
};

/* Feeds of the [urlfeed NAME] sections; paths relative to `dir`.
 * Errors go to the configuration's error list.  For the samples, `mem`
 * names the files by their text. */
struct mem_file {
	const char *name;
	const char *text;
	size_t len;
};
int feeds_from_conf(struct ks_conf *c, const char *dir,
		    const struct mem_file *mem, struct feed_spec **out,
		    size_t *n);
void feed_specs_free(struct feed_spec *v, size_t n);

/* Build an image from feeds; reports on stderr and as records when
 * w/out are given.  Returns 0, or -1 when a feed could not be read. */
struct kj_writer;
struct ks_out;
int build_feeds(const struct feed_spec *v, size_t n, uint64_t generation,
		int verbosity, struct kj_writer *w, struct ks_out *out,
		uint8_t **img, size_t *len, uint64_t *bad_lines);

/* Open the database the options name (or the default, or the samples)
 * with the KU_DB_* flags; *path_used is the file to reload on SIGHUP, or
 * NULL for the samples. */
enum ks_status open_db(const char *db_opt, unsigned flags, int verbosity,
		       struct ku_db **db, const char **path_used,
		       struct ks_err *err);

#endif
