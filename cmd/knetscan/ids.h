/*
 * knetscan's intrusion-signature options: --rules, --var,
 * --classification, --rules-report, the matching [knetscan] keys, and
 * loading the rule set (kept apart from main.c so that the signature
 * wiring stays in one place).
 */
#ifndef KNETSCAN_IDS_H
#define KNETSCAN_IDS_H

#include <argp.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"
#include "ids/ids.h"
#include "json/writer.h"
#include "net/engine.h"

struct ki_inspect;

struct knids {
	char **paths;                /* --rules, or the configuration's */
	size_t npaths;
	int set_paths;               /* given on the command line */
	char **conf_paths;
	size_t nconf_paths;
	const char *classification;
	char *conf_classification;
	struct ki_vars *vars;
	char **cli_vars;             /* names set by --var (they win) */
	size_t ncli_vars;
	int report;                  /* --rules-report */
	int verbosity;
	struct ki_names *names;      /* lives as long as the run */
	struct ki_inspect *insp;     /* matching, once started */
	size_t syntax;               /* syntax refusals of the current set */
	size_t rules, refused;       /* of the current set */
	uint64_t reloads, reloads_refused;
};

extern struct knids knids;
extern const struct argp knids_argp;

/* The [knetscan] keys rules, classification and var.NAME. */
void knids_config(struct ks_conf *c);

/* Rules were asked for (command line or configuration). */
int knids_wanted(void);

/*
 * Build a rule set from the paths and variables: NULL when a rule file
 * or the classification cannot be read (the reason in err).  Refusals
 * are counted in the set; a summary goes to `diag` unless quiet.
 */
struct ki_set *knids_load(struct ks_err *err, FILE *diag);

/* --rules-report: the counts and the table of refusals on `out`.
 * Returns the exit code. */
int knids_report(FILE *out, FILE *diag);

/* --check-config: the rules load and compile (0), or say why (-1). */
int knids_check(FILE *diag);

/* Load, compile and hand the rules to the engine; -1 with the reason on
 * diag when they cannot be loaded. */
int knids_start(struct kn_engine *e, const struct kn_engine_conf *ec,
		kn_record_cb out, void *ctx, FILE *diag);

/* SIGHUP: the new set is built beside the current one and replaces it
 * only when it loads; otherwise an error record says why. */
int knids_reload(kn_record_cb out, void *ctx, FILE *diag);

void knids_free(void);

/* The "signatures" object of the stats record (rules, reloads and the
 * matcher's counters); nothing when no rules were started. */
void knids_stats(struct kj_writer *w);

#endif
