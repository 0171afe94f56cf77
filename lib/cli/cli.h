/*
 * The command-line conventions every ksvm tool shares, on argp.
 *
 * This module is the tools' common front end.  Like the rest of lib/ it
 * never calls exit on its own; argp does, as argp documents, for --help,
 * --usage, --version and usage errors (the exit code of a usage error is
 * KS_EXIT_FAIL, set by ks_cli_init).
 *
 *   -q, --quiet        no progress and no notices on stderr
 *   -v, --verbose      more detail on stderr (repeatable)
 *   -o, --output=FILE  write records to FILE instead of stdout
 *   -j, --jobs=N       worker threads (tools with workers; 0 = all cores)
 *   --help, --usage, --version   (argp; --version also names the versions
 *                       of libyara, libmagic, libpcap and json-c in use)
 *
 * A tool lists ks_cli_common_argp (and ks_cli_jobs_argp when it has
 * workers) as argp children and points their inputs at its struct ks_cli.
 */
#ifndef KS_CLI_CLI_H
#define KS_CLI_CLI_H

#include <argp.h>
#include <stdio.h>

struct ks_cli {
	const char *program;
	int verbosity;         /* 0 normal, -1 quiet, 1.. verbose */
	const char *output;    /* -o FILE, NULL for stdout */
	unsigned jobs;         /* -j N after parsing: never 0 */
};

extern const struct argp ks_cli_common_argp;
extern const struct argp ks_cli_jobs_argp;

/* Set the program name, the --version hook and argp's exit status for
 * usage errors.  Call once, before argp_parse. */
void ks_cli_init(struct ks_cli *cli, const char *program);

/* Print the --version text for `program` to `f`. */
void ks_cli_print_version(FILE *f, const char *program);

/* Number of online processors (at least 1). */
unsigned ks_cli_ncpu(void);

/* Largest accepted -j. */
#define KS_CLI_MAX_JOBS 1024u

/* Parse a decimal size with an optional K/M/G suffix (powers of 1024).
 * Returns 0 on success, -1 when the text is not a size. */
int ks_cli_parse_size(const char *s, unsigned long long *out);

/* Parse an unsigned decimal in [min, max]; returns 0 or -1. */
int ks_cli_parse_uint(const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *out);

/* Parse a duration: a number with s, ms, m or h (seconds when bare),
 * into milliseconds.  Returns 0 or -1. */
int ks_cli_parse_duration(const char *s, unsigned long long *ms);

#endif
