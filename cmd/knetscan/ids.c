/*
 * knetscan: the options and configuration of intrusion signatures.
 */
#include "ids.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "ids/inspect.h"
#include "json/writer.h"

struct knids knids;

enum { OPT_RULES = 400, OPT_VAR, OPT_CLASSIFICATION, OPT_RULES_REPORT };

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Intrusion signatures:", 3 },
	{ "rules", OPT_RULES, "FILE|DIR", 0, "Suricata rules: a file, or every *.rules file of a directory (repeatable)", 3 },
	{ "var", OPT_VAR, "NAME=VALUE", 0, "Set a rule variable such as HOME_NET=[10.0.0.0/8] (repeatable)", 3 },
	{ "classification", OPT_CLASSIFICATION, "FILE", 0, "A classification.config for classtype severities (default: the one beside the rules, else built in)", 3 },
	{ "rules-report", OPT_RULES_REPORT, NULL, 0, "Load the rules, print how many loaded and why the others were refused, and exit", 3 },
	{ 0 }
};

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (nv == NULL)
		return -1;
	*v = nv;
	nv[*n] = strdup(s);
	if (nv[*n] == NULL)
		return -1;
	(*n)++;
	return 0;
}

static int vars_ready(void)
{
	if (knids.vars == NULL)
		knids.vars = ki_vars_new();
	return knids.vars != NULL ? 0 : -1;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct ks_err err;

	switch (key) {
	case OPT_RULES:
		if (knids.npaths >= 1000)
			argp_error(state, "too many --rules");
		if (push(&knids.paths, &knids.npaths, arg) != 0)
			argp_failure(state, KS_EXIT_FAIL, ENOMEM, "out of memory");
		knids.set_paths = 1;
		break;
	case OPT_VAR: {
		const char *eq = strchr(arg, '=');

		if (vars_ready() != 0)
			argp_failure(state, KS_EXIT_FAIL, ENOMEM, "out of memory");
		if (ki_vars_set_arg(knids.vars, arg, &err) != 0)
			argp_error(state, "--var: %s", err.msg);
		if (push(&knids.cli_vars, &knids.ncli_vars, arg) != 0)
			argp_failure(state, KS_EXIT_FAIL, ENOMEM, "out of memory");
		knids.cli_vars[knids.ncli_vars - 1][eq - arg] = '\0';
		break;
	}
	case OPT_CLASSIFICATION: knids.classification = arg; break;
	case OPT_RULES_REPORT: knids.report = 1; break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp knids_argp = { options, parse_opt, NULL, NULL, NULL, NULL, NULL };

static int cli_var(const char *name)
{
	for (size_t i = 0; i < knids.ncli_vars; i++)
		if (strcmp(knids.cli_vars[i], name) == 0)
			return 1;
	return 0;
}

void knids_config(struct ks_conf *c)
{
	struct ks_conf_item *it;
	struct ks_err err;

	if ((it = ks_conf_get(c, "knetscan", "rules"))) {
		char **w = ks_conf_words(it->value, NULL);

		for (size_t i = 0; w != NULL && w[i] != NULL; i++)
			if (push(&knids.conf_paths, &knids.nconf_paths, w[i]) != 0)
				ks_conf_error(c, it->line, "out of memory");
		ks_conf_words_free(w);
	}
	if ((it = ks_conf_get(c, "knetscan", "classification")))
		knids.conf_classification = strdup(it->value);
	for (size_t i = 0; i < c->n; i++) {
		struct ks_conf_item *ci = &c->items[i];

		if (strcmp(ci->section, "knetscan") != 0 ||
		    strncmp(ci->key, "var.", 4) != 0)
			continue;
		ci->used = 1;
		if (cli_var(ci->key + 4))
			continue;
		if (vars_ready() != 0 ||
		    ki_vars_set(knids.vars, ci->key + 4, ci->value, &err) != 0)
			ks_conf_error(c, ci->line, "%s: %s", ci->key,
				      knids.vars ? err.msg : "out of memory");
	}
}

int knids_wanted(void)
{
	return knids.npaths > 0 || knids.nconf_paths > 0;
}

/* The classification table: the file given, else a classification.config
 * in the first rules directory that has one, else the built-in one. */
static struct ki_classes *classes(char **paths, size_t n, struct ks_err *err)
{
	struct ki_classes *c = ki_classes_new();
	const char *file = knids.classification ? knids.classification :
			   knids.conf_classification;
	char *found = NULL;

	if (c == NULL) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; file == NULL && i < n; i++) {
		struct stat st;

		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    asprintf(&found, "%s/classification.config", paths[i]) >= 0) {
			if (access(found, R_OK) == 0)
				file = found;
			else {
				free(found);
				found = NULL;
			}
		}
	}
	if (file != NULL && ki_classes_load(c, file, err) != KS_OK) {
		ki_classes_free(c);
		c = NULL;
	}
	free(found);
	return c;
}

struct ki_set *knids_load(struct ks_err *err, FILE *diag)
{
	char **paths = knids.set_paths ? knids.paths : knids.conf_paths;
	size_t n = knids.set_paths ? knids.npaths : knids.nconf_paths;
	struct ki_classes *cls;
	struct ki_set *s;

	if (vars_ready() != 0 ||
	    (knids.names == NULL && (knids.names = ki_names_new()) == NULL)) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	cls = classes(paths, n, err);
	if (cls == NULL)
		return NULL;
	s = ki_set_new(knids.vars, cls, knids.names);
	if (s == NULL) {
		ki_classes_free(cls);
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (ki_set_load_path(s, paths[i], err) != KS_OK) {
			ki_set_free(s);
			ki_classes_free(cls);
			return NULL;
		}
	/* Rules keep pointers into the class table only for names that
	 * the set copies; see ki_set_own_classes. */
	ki_set_own_classes(s, cls);
	if (diag != NULL && knids.verbosity >= 0 && ki_set_refused(s) > 0)
		fprintf(diag, "knetscan: %zu rules loaded, %zu refused "
			"(--rules-report says why)\n", ki_set_count(s),
			ki_set_refused(s));
	if (diag != NULL && knids.verbosity > 0)
		for (size_t i = 0; i < ki_set_failure_count(s); i++)
			fprintf(diag, "knetscan: refused: %s\n", ki_set_failure(s, i));
	return s;
}

int knids_report(FILE *out, FILE *diag)
{
	struct ks_err err;
	struct ki_set *s = knids_load(&err, NULL);
	const char *kw;
	size_t count;

	if (s == NULL) {
		fprintf(diag, "knetscan: %s\n", err.msg);
		return KS_EXIT_FAIL;
	}
	fprintf(out, "rules loaded: %zu\nrules refused: %zu\n",
		ki_set_count(s), ki_set_refused(s));
	if (ki_set_refused(s) > 0)
		fprintf(out, "refused by keyword:\n");
	for (size_t i = 0; (kw = ki_set_refusal(s, i, &count)) != NULL; i++)
		fprintf(out, "%10zu  %s\n", count, kw);
	if (knids.verbosity > 0)
		for (size_t i = 0; i < ki_set_failure_count(s); i++)
			fprintf(out, "refused: %s\n", ki_set_failure(s, i));
	ki_set_free(s);
	return KS_EXIT_CLEAN;
}

/* Load and compile; NULL with the reason. */
static struct ki_set *build(struct ks_err *err, FILE *diag)
{
	struct ki_set *s = knids_load(err, diag);

	if (s != NULL && ki_set_compile(s, err) != KS_OK) {
		ki_set_free(s);
		return NULL;
	}
	return s;
}

static size_t syntax_errors(const struct ki_set *s)
{
	const char *kw;
	size_t n;

	for (size_t i = 0; (kw = ki_set_refusal(s, i, &n)) != NULL; i++)
		if (strcmp(kw, "(syntax)") == 0)
			return n;
	return 0;
}

int knids_check(FILE *diag)
{
	struct ks_err err;
	struct ki_set *s = build(&err, diag);

	if (s == NULL) {
		fprintf(diag, "knetscan: %s\n", err.msg);
		return -1;
	}
	ki_set_free(s);
	return 0;
}

int knids_start(struct kn_engine *e, const struct kn_engine_conf *ec,
		kn_record_cb out, void *ctx, FILE *diag)
{
	struct ki_inspect_conf c;
	struct kn_inspector in;
	struct ks_err err;
	struct ki_set *s, *old = NULL;

	s = build(&err, diag);
	if (s == NULL) {
		fprintf(diag, "knetscan: %s\n", err.msg);
		return -1;
	}
	memset(&c, 0, sizeof c);
	ki_ids_defaults(&c.ids);
	c.ids.max_flows = ec->flow.max_flows;
	c.strict = ec->strict;
	c.monitoring = ec->policy.monitoring;
	knids.insp = ki_inspect_new(&c, kn_engine_policy(e), out, ctx);
	if (knids.insp == NULL || ki_inspect_swap(knids.insp, s, &old) != 0) {
		fprintf(diag, "knetscan: out of memory\n");
		ki_set_free(s);
		return -1;
	}
	knids.syntax = syntax_errors(s);
	knids.rules = ki_set_count(s);
	knids.refused = ki_set_refused(s);
	ki_inspect_inspector(knids.insp, &in);
	kn_engine_set_inspector(e, &in);
	if (knids.verbosity >= 0)
		fprintf(diag, "knetscan: %zu rules loaded\n", ki_set_count(s));
	return 0;
}

/* A reload that fails (a file that cannot be read, or rules with syntax
 * errors that the current set did not have) keeps the current set and
 * says why in an error record. */
int knids_reload(kn_record_cb out, void *ctx, FILE *diag)
{
	struct ks_err err;
	struct ki_set *s, *old = NULL;
	struct kj_writer w;

	if (knids.insp == NULL)
		return 0;
	s = build(&err, knids.verbosity > 0 ? diag : NULL);
	if (s != NULL && syntax_errors(s) > knids.syntax) {
		ks_err_set(&err, KS_ERR_INVALID, "%zu rules with syntax errors "
			   "(first: %s)", syntax_errors(s) - knids.syntax,
			   ki_set_failure_count(s) ? ki_set_failure(s, 0) : "?");
		ki_set_free(s);
		s = NULL;
	}
	if (s != NULL && ki_inspect_swap(knids.insp, s, &old) != 0) {
		ks_err_set(&err, KS_ERR_NOMEM, "out of memory");
		ki_set_free(s);
		s = NULL;
	}
	if (s == NULL) {
		char m[KS_ERR_MSG_MAX + 80];

		knids.reloads_refused++;
		snprintf(m, sizeof m, "rules not reloaded, the previous rules "
			 "stay: %s", err.msg);
		kj_writer_init(&w, 0);
		kj_error_record(&w, "knetscan", "rules", 0, err.status, m);
		out(ctx, (const char *)w.buf.data, w.buf.len);
		kj_writer_free(&w);
		if (knids.verbosity >= 0)
			fprintf(diag, "knetscan: %s\n", m);
		return -1;
	}
	ki_set_free(old);
	knids.syntax = syntax_errors(s);
	knids.rules = ki_set_count(s);
	knids.refused = ki_set_refused(s);
	knids.reloads++;
	if (knids.verbosity >= 0)
		fprintf(diag, "knetscan: rules reloaded: %zu loaded, %zu "
			"refused\n", ki_set_count(s), ki_set_refused(s));
	return 0;
}

void knids_stats(struct kj_writer *w)
{
	struct ki_ids_stats st;

	if (knids.insp == NULL)
		return;
	ki_inspect_get_stats(knids.insp, &st);
	kj_obj_open(w, "signatures");
	kj_uint(w, "rules", knids.rules);
	kj_uint(w, "refused", knids.refused);
	kj_uint(w, "alerts", st.alerts);
	kj_uint(w, "suppressed", st.suppressed);
	kj_uint(w, "passed", st.passed);
	kj_uint(w, "flows_untracked", st.flows_untracked);
	kj_uint(w, "hosts_full", st.hosts_full);
	kj_uint(w, "alerts_capped", st.alerts_capped);
	kj_uint(w, "reloads", knids.reloads);
	kj_uint(w, "reloads_refused", knids.reloads_refused);
	kj_obj_close(w);
}

void knids_free(void)
{
	ki_inspect_free(knids.insp);
	for (size_t i = 0; i < knids.npaths; i++)
		free(knids.paths[i]);
	free(knids.paths);
	for (size_t i = 0; i < knids.nconf_paths; i++)
		free(knids.conf_paths[i]);
	free(knids.conf_paths);
	for (size_t i = 0; i < knids.ncli_vars; i++)
		free(knids.cli_vars[i]);
	free(knids.cli_vars);
	free(knids.conf_classification);
	ki_vars_free(knids.vars);
	ki_names_free(knids.names);
	memset(&knids, 0, sizeof knids);
}
