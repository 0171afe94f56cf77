/*
 * kfscan: the File Anti-Virus of the SVM.  Options, configuration and the
 * choice between scanning and the quarantine subcommand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exitcode.h"
#include "kfscan.h"

enum {
	OPT_NO_BUILTIN = 256, OPT_SKIP_BAD, OPT_SAVE_RULES, OPT_REQUESTS,
	OPT_FILES_FROM, OPT_INCLUDE, OPT_EXCLUDE, OPT_EXCLUDE_PATH,
	OPT_MAX_SIZE, OPT_TIMEOUT, OPT_NO_ARCHIVES, OPT_ARCHIVE_DEPTH,
	OPT_ARCHIVE_MEMBERS, OPT_ARCHIVE_SIZE, OPT_ARCHIVE_RATIO,
	OPT_QUARANTINE, OPT_CACHE, OPT_NO_CACHE, OPT_CONFIG, OPT_VM,
	OPT_DETECTIONS_ONLY, OPT_NO_STATS, OPT_DESCRIBE, OPT_NO_TYPES,
	OPT_CHECK_CONFIG,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Rules and detection:", 1 },
	{ "rules", 'r', "PATH", 0, "YARA rules: a .yar/.yara file, a directory of them, or a compiled rules file (repeatable)", 1 },
	{ "no-builtin-rules", OPT_NO_BUILTIN, NULL, 0, "Leave out the built-in rules (EICAR test file)", 1 },
	{ "skip-bad-rules", OPT_SKIP_BAD, NULL, 0, "Leave out rule files with errors instead of refusing to start", 1 },
	{ "save-rules", OPT_SAVE_RULES, "FILE", 0, "Compile the rule sources into FILE and exit", 1 },
	{ "hashes", 'H', "FILE", 0, "A hash list (SHA-256 or MD5 entries) as a second detection source (repeatable)", 1 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0, "Time limit of the rules on one file (default 60)", 1 },

	{ NULL, 0, NULL, 0, "What to scan:", 2 },
	{ "requests", OPT_REQUESTS, NULL, 0, "Read scan requests (JSON Lines) on stdin and answer each one", 2 },
	{ "files-from", OPT_FILES_FROM, "FILE", 0, "Scan the paths listed in FILE (- for stdin), one a line or NUL-separated", 2 },
	{ "null", '0', NULL, 0, "Path lists are NUL-separated", 2 },
	{ "include", OPT_INCLUDE, "GLOB", 0, "Scan only files whose name (or path, when GLOB has a /) matches (repeatable)", 2 },
	{ "exclude", OPT_EXCLUDE, "GLOB", 0, "Leave out files and directories whose name (or path) matches (repeatable)", 2 },
	{ "exclude-path", OPT_EXCLUDE_PATH, "PREFIX", 0, "Leave out everything under the path PREFIX (repeatable)", 2 },
	{ "max-size", OPT_MAX_SIZE, "SIZE", 0, "Skip files larger than SIZE (default 100M)", 2 },
	{ "one-file-system", 'x', NULL, 0, "Do not enter directories on other file systems", 2 },
	{ "follow-symlinks", 'L', NULL, 0, "Follow symbolic links met in the tree", 2 },
	{ "no-archives", OPT_NO_ARCHIVES, NULL, 0, "Do not look inside archives", 2 },
	{ "archive-depth", OPT_ARCHIVE_DEPTH, "N", 0, "Archive nesting levels to open (default 5)", 2 },
	{ "archive-members", OPT_ARCHIVE_MEMBERS, "N", 0, "Members to scan per archive (default 10000)", 2 },
	{ "archive-size", OPT_ARCHIVE_SIZE, "SIZE", 0, "Bytes to extract per scanned file (default 256M)", 2 },
	{ "archive-ratio", OPT_ARCHIVE_RATIO, "N", 0, "Largest expansion ratio of an archive (default 100)", 2 },

	{ NULL, 0, NULL, 0, "Actions:", 3 },
	{ "profile", 'p', "NAME", 0, "Protection profile to apply on detections (default report)", 3 },
	{ "quarantine", OPT_QUARANTINE, "DIR", 0, "Quarantine directory (default " KFSCAN_QUARANTINE_DIR ")", 3 },
	{ "vm", OPT_VM, "NAME", 0, "Name of the guest the files belong to, for the records", 3 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read settings and profiles from FILE (ksvm.conf)", 3 },
	{ "check-config", OPT_CHECK_CONFIG, NULL, 0, "Check the configuration, the rules and the hash lists, say what is wrong, and exit", 3 },

	{ NULL, 0, NULL, 0, "Cache and output:", 4 },
	{ "cache", OPT_CACHE, "FILE", 0, "Scan cache file (default $XDG_CACHE_HOME/ksvm/kfscan.lmdb)", 4 },
	{ "no-cache", OPT_NO_CACHE, NULL, 0, "Scan every file, and keep no cache", 4 },
	{ "detections-only", OPT_DETECTIONS_ONLY, NULL, 0, "Write records only for detections and errors", 4 },
	{ "no-stats", OPT_NO_STATS, NULL, 0, "Do not write the final stats record", 4 },
	{ "describe", OPT_DESCRIBE, NULL, 0, "Give libmagic's description of every file, not only of detections", 4 },
	{ "no-types", OPT_NO_TYPES, NULL, 0, "Do not identify file types with libmagic (faster; no MIME type, rules see an empty filetype)", 4 },
	{ 0 }
};

int strlist_add(struct strlist *l, const char *s)
{
	if (l->n + 1 >= l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		const char **v = realloc(l->v, ncap * sizeof *v);

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

static void add(struct argp_state *state, struct strlist *l, const char *s)
{
	if (strlist_add(l, s) != 0)
		argp_failure(state, KS_EXIT_FAIL, 0, "out of memory");
}

static unsigned long long num(struct argp_state *state, const char *opt,
			      const char *arg, unsigned long long min,
			      unsigned long long max)
{
	unsigned long long v;

	if (ks_cli_parse_uint(arg, min, max, &v) != 0)
		argp_error(state, "%s wants a number from %llu to %llu, not '%s'",
			   opt, min, max, arg);
	return v;
}

static unsigned long long size(struct argp_state *state, const char *opt,
			       const char *arg)
{
	unsigned long long v;

	if (ks_cli_parse_size(arg, &v) != 0)
		argp_error(state, "%s wants a size such as 100M, not '%s'",
			   opt, arg);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		state->child_inputs[1] = &o->cli;
		break;
	case 'r': add(state, &o->rules, arg); break;
	case OPT_NO_BUILTIN: o->no_builtin = 1; break;
	case OPT_SKIP_BAD: o->skip_bad = 1; break;
	case OPT_SAVE_RULES: o->save_rules = arg; break;
	case 'H': add(state, &o->hashes, arg); break;
	case OPT_TIMEOUT:
		o->eng.timeout_s = (int)num(state, "--timeout", arg, 1, 86400);
		o->set_timeout = 1;
		break;
	case OPT_REQUESTS: o->requests = 1; break;
	case OPT_FILES_FROM: add(state, &o->files_from, arg); break;
	case '0': o->null_sep = 1; break;
	case OPT_INCLUDE: add(state, &o->include, arg); break;
	case OPT_EXCLUDE: add(state, &o->exclude, arg); break;
	case OPT_EXCLUDE_PATH: add(state, &o->exclude_path, arg); break;
	case OPT_MAX_SIZE:
		o->eng.max_size = size(state, "--max-size", arg);
		o->set_max_size = 1;
		break;
	case 'x': o->one_fs = 1; break;
	case 'L': o->follow = 1; break;
	case OPT_NO_ARCHIVES: o->eng.archives = 0; o->no_archives = 1; break;
	case OPT_ARCHIVE_DEPTH:
		o->eng.archive_depth = (unsigned)num(state, "--archive-depth",
						     arg, 0, 64);
		o->set_depth = 1;
		break;
	case OPT_ARCHIVE_MEMBERS:
		o->eng.alim.max_members = num(state, "--archive-members", arg,
					      1, 100000000);
		o->set_members = 1;
		break;
	case OPT_ARCHIVE_SIZE:
		o->eng.alim.max_total = size(state, "--archive-size", arg);
		o->set_total = 1;
		break;
	case OPT_ARCHIVE_RATIO:
		o->eng.alim.max_ratio = num(state, "--archive-ratio", arg, 1,
					    1000000);
		o->set_ratio = 1;
		break;
	case 'p': o->profile = arg; break;
	case OPT_QUARANTINE: o->quarantine = arg; break;
	case OPT_VM: o->vm = arg; break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_CHECK_CONFIG: o->check_config = 1; break;
	case OPT_CACHE: o->cache = arg; break;
	case OPT_NO_CACHE: o->no_cache = 1; break;
	case OPT_DETECTIONS_ONLY: o->detections_only = 1; break;
	case OPT_NO_STATS: o->no_stats = 1; break;
	case OPT_DESCRIBE: o->eng.describe_all = 1; break;
	case OPT_NO_TYPES: o->eng.no_types = 1; break;
	case ARGP_KEY_ARGS:
		o->paths = state->argv + state->next;
		o->npaths = state->argc - state->next;
		break;
	case ARGP_KEY_END:
		if (o->requests && (o->npaths > 0 || o->files_from.n > 0))
			argp_error(state, "--requests reads stdin: give no paths "
				   "and no --files-from");
		if (o->eng.no_types && o->eng.describe_all)
			argp_error(state, "--describe and --no-types exclude "
				   "each other");
		if (o->check_config && (o->requests || o->npaths > 0 ||
					o->files_from.n > 0 || o->save_rules))
			argp_error(state, "--check-config checks and exits: give "
				   "no paths, --requests or --save-rules");
		if (!o->requests && o->npaths == 0 && o->files_from.n == 0 &&
		    o->save_rules == NULL && !o->check_config)
			argp_error(state, "nothing to scan: give paths, "
				   "--files-from or --requests");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &ks_cli_common_argp, 0, NULL, 5 },
	{ &ks_cli_jobs_argp, 0, NULL, 5 },
	{ 0 }
};

static const char doc[] =
	"Scan files for malware with YARA rules and hash lists, and act on "
	"detections as the protection profile says.  One JSON record per "
	"file on stdout.\v"
	"PATH is a file or a directory (scanned recursively); - reads a list "
	"of paths from stdin.  `kfscan quarantine --help` shows how to list, "
	"restore and delete quarantined files.\n\n"
	"Exit status: 0 nothing found, 1 something found (also when some "
	"files failed), 2 an error and nothing found, or a usage error.";

static const struct argp argp = {
	options, parse_opt, "[PATH...]\n--requests\nquarantine ...", doc,
	children, NULL, NULL
};

/* ---- configuration file --------------------------------------------------- */

static void conf_size(struct ks_conf *c, const char *key, uint64_t *dst,
		      int cli_set)
{
	struct ks_conf_item *it = ks_conf_get(c, "kfscan", key);
	unsigned long long v;

	if (it == NULL)
		return;
	if (ks_cli_parse_size(it->value, &v) != 0) {
		ks_conf_error(c, it->line, "%s: not a size: %s", key, it->value);
		return;
	}
	if (!cli_set)
		*dst = v;
}

static void conf_num(struct ks_conf *c, const char *key, uint64_t *dst,
		     uint64_t min, uint64_t max, int cli_set)
{
	struct ks_conf_item *it = ks_conf_get(c, "kfscan", key);
	unsigned long long v;

	if (it == NULL)
		return;
	if (ks_cli_parse_uint(it->value, min, max, &v) != 0) {
		ks_conf_error(c, it->line, "%s: wants a number from %llu to "
			      "%llu", key, (unsigned long long)min,
			      (unsigned long long)max);
		return;
	}
	if (!cli_set)
		*dst = v;
}

static const char *conf_str(struct ks_conf *c, const char *key,
			    const char *cli)
{
	struct ks_conf_item *it = ks_conf_get(c, "kfscan", key);

	return cli != NULL ? cli : it != NULL ? it->value : NULL;
}

/* Words of a list setting, kept alive for the run in *keep. */
static void conf_list(struct ks_conf *c, const char *key, struct strlist *l,
		      char ***keep)
{
	struct ks_conf_item *it = ks_conf_get(c, "kfscan", key);
	char **w;

	if (it == NULL)
		return;
	w = ks_conf_words(it->value, NULL);
	for (size_t i = 0; w != NULL && w[i] != NULL; i++)
		strlist_add(l, w[i]);
	*keep = w;
}

void opts_free(struct opts *o)
{
	struct strlist *lists[] = { &o->rules, &o->hashes, &o->include,
				    &o->exclude, &o->exclude_path,
				    &o->files_from };

	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		free(lists[i]->v);
	for (size_t i = 0; i < 2; i++)
		ks_conf_words_free(o->conf_words[i]);
}

static void conf_bool(struct ks_conf *c, const char *key, int *dst)
{
	struct ks_conf_item *it = ks_conf_get(c, "kfscan", key);
	int v;

	if (it == NULL)
		return;
	if (ks_conf_bool(it->value, &v) != 0)
		ks_conf_error(c, it->line, "%s: wants yes or no", key);
	else
		*dst = v;
}

static int load_config(struct opts *o, struct ks_conf *c,
		       struct kf_profiles *ps)
{
	struct ks_err err;
	uint64_t t, depth;
	int builtin = !o->no_builtin, archives = o->eng.archives;

	if (ks_conf_load(c, o->config, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return -1;
	}
	/* Rules and hash lists from the file come before the command line's. */
	if (o->rules.n == 0)
		conf_list(c, "rules", &o->rules, &o->conf_words[0]);
	if (o->hashes.n == 0)
		conf_list(c, "hashes", &o->hashes, &o->conf_words[1]);
	o->quarantine = conf_str(c, "quarantine", o->quarantine);
	o->cache = conf_str(c, "cache", o->cache);
	o->profile = conf_str(c, "profile", o->profile);
	conf_size(c, "max_size", &o->eng.max_size, o->set_max_size);
	t = (uint64_t)o->eng.timeout_s;
	conf_num(c, "timeout", &t, 1, 86400, o->set_timeout);
	o->eng.timeout_s = (int)t;
	depth = o->eng.archive_depth;
	conf_num(c, "archive_depth", &depth, 0, 64, o->set_depth);
	o->eng.archive_depth = (unsigned)depth;
	conf_num(c, "archive_members", &o->eng.alim.max_members, 1, 100000000,
		 o->set_members);
	conf_size(c, "archive_size", &o->eng.alim.max_total, o->set_total);
	conf_num(c, "archive_ratio", &o->eng.alim.max_ratio, 1, 1000000,
		 o->set_ratio);
	conf_bool(c, "builtin_rules", &builtin);
	conf_bool(c, "archives", &archives);
	if (!o->no_builtin)
		o->no_builtin = !builtin;
	/* The command line wins over the file. */
	o->eng.archives = archives && !o->no_archives;
	if (!o->skip_bad)
		conf_bool(c, "skip_bad_rules", &o->skip_bad);
	kf_profiles_from_conf(ps, c);
	ks_conf_check_unused(c, "kfscan");
	ks_conf_check_unused(c, "profile ");
	if (c->nerr > 0) {
		ks_conf_print_errors(c, stderr);
		fprintf(stderr, "%s: %s has errors; nothing was scanned\n",
			PROGRAM, c->path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct kf_profiles profiles;
	struct ks_conf conf;
	int rc;

	if (argc > 1 && strcmp(argv[1], "quarantine") == 0) {
		static char name[] = "kfscan quarantine";

		argv[1] = name;
		return kfscan_quarantine(argc - 1, argv + 1);
	}

	memset(&o, 0, sizeof o);
	kf_engine_defaults(&o.eng);
	ks_cli_init(&o.cli, PROGRAM);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	kf_profiles_builtin(&profiles);
	ks_conf_init(&conf);
	if (o.config != NULL && load_config(&o, &conf, &profiles) != 0) {
		ks_conf_free(&conf);
		opts_free(&o);
		return KS_EXIT_FAIL;
	}
	if (o.profile == NULL)
		o.profile = "report";
	if (kf_profile_find(&profiles, o.profile) == NULL) {
		fprintf(stderr, "%s: unknown profile '%s'\n", PROGRAM, o.profile);
		ks_conf_free(&conf);
		opts_free(&o);
		return KS_EXIT_FAIL;
	}
	/* The archive member cap follows the file size cap. */
	o.eng.alim.max_member_size = o.eng.max_size;
	rc = kfscan_run(&o, &profiles);
	ks_conf_free(&conf);
	opts_free(&o);
	return rc;
}
