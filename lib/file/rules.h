/*
 * YARA rules for the file scanner, through libyara's public API.
 *
 * kf_rules_load takes files and directories: a directory contributes every
 * *.yar and *.yara file below it (in name order); a file that starts with
 * libyara's compiled-rules magic is loaded as compiled rules, any other
 * file is compiled as source.  All sources are compiled together into one
 * rule set (namespace "default"); each compiled file is a set of its own.
 * The built-in set (the EICAR test file) is a set of its own too, unless
 * left out.
 *
 * Every compile error and warning is kept with its file and line.  A rule
 * error makes the load fail (nothing is scanned with half the rules)
 * unless skip_bad is set; then the files with errors are left out, named
 * in `skipped`, and the rest is compiled again.
 *
 * External variables are defined for rules written for file scanners:
 * filename (base name), filepath (the whole path), extension (lowercase,
 * with its dot: ".exe", or ""), filetype (the MIME type from libmagic) and
 * owner (the owner's user name, or the numeric uid).  The scanner sets them
 * for each file.
 *
 * The struct owns everything; kf_rules_free accepts a half-built one.
 * Loaded rules are read-only and shared by every worker thread.
 */
#ifndef KS_FILE_RULES_H
#define KS_FILE_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <yara.h>

#include "core/digest.h"
#include "core/status.h"

struct kf_rule_diag {
	char *file;       /* NULL when not about a file */
	int line;         /* 0 when unknown */
	int warning;      /* 0: error */
	char *message;
};

struct kf_rules {
	YR_RULES **sets;
	char **set_names;     /* "sources", "builtin", or the compiled file */
	size_t nsets;
	uint64_t nrules;
	size_t nfiles;        /* rule files read */
	struct kf_rule_diag *diags;
	size_t ndiags;
	char **skipped;       /* files left out for errors */
	size_t nskipped;
	uint8_t fingerprint[KS_SHA256_LEN];  /* over every input byte */
};

struct kf_rules_opts {
	const char *const *paths;   /* NULL-terminated, may be NULL */
	int skip_bad;
	int no_builtin;
};

/* libyara's global state: call once at start and once at exit. */
enum ks_status kf_yara_init(struct ks_err *err);
void kf_yara_fini(void);

/*
 * Load every rule.  On KS_ERR_INVALID (a rule error without skip_bad),
 * *out is still set so the caller can print the diagnostics; free it.
 */
enum ks_status kf_rules_load(struct kf_rules **out,
			     const struct kf_rules_opts *o,
			     struct ks_err *err);
void kf_rules_free(struct kf_rules *r);

/* Write the compiled sources set (and nothing else) to `path`. */
enum ks_status kf_rules_save(struct kf_rules *r, const char *path,
			     struct ks_err *err);

/* The external variable names, for scanners. */
extern const char *const kf_rule_externals[];

#endif
