/*
 * kurlcheck: checks web addresses against the databases of malicious and
 * phishing addresses.  Options, configuration and the choice between
 * checking and the compile and info subcommands.
 */
#include <idn2.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exitcode.h"
#include "kurlcheck.h"

enum {
	OPT_DB = 256, OPT_CONFIG, OPT_EVENTS, OPT_HOSTS, OPT_EXPLAIN,
	OPT_LISTED_ONLY, OPT_LINE_BUFFERED, OPT_NO_STATS, OPT_CHECK_CONFIG,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Database:", 1 },
	{ "db", OPT_DB, "FILE", 0, "The database (default " KURLCHECK_DB ", else the built-in sample)", 1 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read the database path from the [kurlcheck] section of FILE (ksvm.conf)", 1 },
	{ "check-config", OPT_CHECK_CONFIG, NULL, 0, "Check the settings and open the database (refused if damaged), say what is wrong, and exit", 1 },

	{ NULL, 0, NULL, 0, "What to check:", 2 },
	{ "events", OPT_EVENTS, NULL, 0, "Read JSON Lines events on stdin (http, tls and dns records of knetscan)", 2 },
	{ "hosts", OPT_HOSTS, NULL, 0, "The arguments or lines are host names, not URLs", 2 },

	{ NULL, 0, NULL, 0, "Output:", 3 },
	{ "explain", OPT_EXPLAIN, NULL, 0, "Add every expression and every lookup to each record", 3 },
	{ "listed-only", OPT_LISTED_ONLY, NULL, 0, "Write records only for listed addresses and errors", 3 },
	{ "line-buffered", OPT_LINE_BUFFERED, NULL, 0, "Write each record at once, even while more input is waiting", 3 },
	{ "no-stats", OPT_NO_STATS, NULL, 0, "Do not write the final stats record", 3 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case OPT_DB: o->db = arg; break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_CHECK_CONFIG: o->check_config = 1; break;
	case OPT_EVENTS: o->events = 1; break;
	case OPT_HOSTS: o->hosts = 1; break;
	case OPT_EXPLAIN: o->explain = 1; break;
	case OPT_LISTED_ONLY: o->listed_only = 1; break;
	case OPT_LINE_BUFFERED: o->line_buffered = 1; break;
	case OPT_NO_STATS: o->no_stats = 1; break;
	case ARGP_KEY_ARGS:
		o->args = state->argv + state->next;
		o->nargs = state->argc - state->next;
		break;
	case ARGP_KEY_END:
		if (o->check_config && (o->events || o->nargs > 0))
			argp_error(state, "--check-config checks and exits: give "
				   "no addresses and no --events");
		if (o->events && o->nargs > 0)
			argp_error(state, "--events reads stdin: give no "
				   "arguments");
		if (o->events && o->hosts)
			argp_error(state, "--events and --hosts exclude each "
				   "other (events say what they hold)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &ks_cli_common_argp, 0, NULL, 4 },
	{ 0 }
};

static const char doc[] =
	"Check web addresses against the databases of malicious and phishing "
	"addresses: one JSON url record per address on stdout.\v"
	"ADDRESS is a URL (or a host with --hosts); - or no address reads "
	"one a line from stdin.  `kurlcheck compile --help` shows how to "
	"build a database from feeds, `kurlcheck info --help` how to verify "
	"and describe one.  SIGHUP loads the database again (a new one "
	"written by compile), keeping the old one if the new one is bad.\n\n"
	"Exit status: 0 nothing listed, 1 something listed (also when some "
	"inputs failed), 2 an error and nothing listed, or a usage error.";

static const struct argp argp = {
	options, parse_opt, "[ADDRESS...]\n--events\ncompile ...\ninfo ...",
	doc, children, NULL, NULL
};

/* --version also names the IDNA and public suffix libraries. */
void kurlcheck_version(FILE *f, struct argp_state *state)
{
	(void)state;
	ks_cli_print_version(f, PROGRAM);
	fprintf(f, "libidn2 %s (UTS #46 non-transitional)\n",
		idn2_check_version(NULL));
	fprintf(f, "libpsl %s\n", psl_get_version());
}

static int load_config(struct opts *o)
{
	struct ks_conf c;
	struct ks_err err;
	struct ks_conf_item *it;
	static char *db;

	ks_conf_init(&c);
	if (ks_conf_load(&c, o->config, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		ks_conf_free(&c);
		return -1;
	}
	it = ks_conf_get(&c, "kurlcheck", "database");
	if (it != NULL && o->db == NULL) {
		free(db);
		db = strdup(it->value);
		o->db = db;
	}
	ks_conf_check_unused(&c, "kurlcheck");
	if (c.nerr > 0) {
		for (size_t i = 0; i < c.nerr; i++)
			fprintf(stderr, "%s:%u: %s\n", c.path, c.errors[i].line,
				c.errors[i].msg);
		fprintf(stderr, "%s: %s has errors; nothing was checked\n",
			PROGRAM, c.path);
		ks_conf_free(&c);
		return -1;
	}
	ks_conf_free(&c);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (argc > 1 && (strcmp(argv[1], "compile") == 0 ||
			 strcmp(argv[1], "info") == 0)) {
		static char cname[] = "kurlcheck compile";
		static char iname[] = "kurlcheck info";
		int compile = strcmp(argv[1], "compile") == 0;

		argv[1] = compile ? cname : iname;
		return compile ? kurlcheck_compile(argc - 1, argv + 1) :
				 kurlcheck_info(argc - 1, argv + 1);
	}
	memset(&o, 0, sizeof o);
	ks_cli_init(&o.cli, PROGRAM);
	argp_program_version_hook = kurlcheck_version;
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (o.config != NULL && load_config(&o) != 0)
		return KS_EXIT_FAIL;
	if (o.check_config) {
		struct ku_db *db;
		struct ks_err err;
		const char *path;

		if (open_db(o.db, KU_DB_VERIFY, o.cli.verbosity, &db, &path,
			    &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			return KS_EXIT_FAIL;
		}
		if (o.cli.verbosity >= 0)
			fprintf(stderr, "%s: database %s: valid\n", PROGRAM,
				path != NULL ? path : "(built-in sample)");
		ku_db_close(db);
		return KS_EXIT_CLEAN;
	}
	return kurlcheck_run(&o);
}
