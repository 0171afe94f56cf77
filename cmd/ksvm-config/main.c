/*
 * ksvm-config: the [ksvm] section of the appliance's configuration, for
 * the ksvm supervisor script.  The script never parses the file itself
 * (and never evaluates text from it): it asks this program, which reads
 * the file with the same library as every tool, to check the section and
 * the file's section names, and to hand over the settings as
 * NUL-separated "key=value" items.
 *
 *   ksvm-config check FILE    every error with its line; exit 0 or 2
 *   ksvm-config get FILE      the settings with their defaults
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "conf/ksvm.h"
#include "core/exitcode.h"
#include "url/db.h"

#define PROGRAM "ksvm-config"

struct args {
	struct ks_cli cli;
	const char *cmd;
	const char *file;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->cli;
		break;
	case ARGP_KEY_ARG:
		if (a->cmd == NULL)
			a->cmd = arg;
		else if (a->file == NULL)
			a->file = arg;
		else
			argp_error(state, "too many arguments");
		break;
	case ARGP_KEY_END:
		if (a->cmd == NULL || a->file == NULL)
			argp_error(state, "give a command (check or get) and "
				   "the configuration file");
		if (strcmp(a->cmd, "check") != 0 && strcmp(a->cmd, "get") != 0)
			argp_error(state, "unknown command '%s' (check, get)",
				   a->cmd);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &ks_cli_common_argp, 0, NULL, 5 },
	{ 0 }
};

static const char doc[] =
	"Check the [ksvm] section of the appliance's configuration file and "
	"the names of its sections, or print its settings for ksvm(8).\v"
	"Commands:\n"
	"  check FILE   report every error with its line (exit 0 or 2), and "
	"print vm_count and urlfeed_count as NUL-separated key=value items\n"
	"  get FILE     the settings of [ksvm] with their defaults, as "
	"NUL-separated key=value items (times in seconds, switches yes or no), "
	"and vm_count, urlfeed_count, knetscan_url_db, kurlcheck_db, relay_mode, "
	"netscan_mode, report_to\n";

static const struct argp argp = {
	NULL, parse_opt, "check FILE\nget FILE", doc, children, NULL, NULL
};

static void count_section(void *ctx, const char *section, unsigned line)
{
	(void)section;
	(void)line;
	(*(unsigned *)ctx)++;
}

static void put(const char *key, const char *value)
{
	fputs(key, stdout);
	putchar('=');
	fputs(value, stdout);
	putchar('\0');
}

/* A setting as the script takes it: times in whole seconds (at least 1),
 * yes or no for switches, anything else as written. */
static void put_setting(const struct ks_ksvm_setting *st, const char *value)
{
	unsigned long long ms;
	char num[32];
	int b;

	if (st->kind == KS_KSVM_TIME && ks_cli_parse_duration(value, &ms) == 0) {
		snprintf(num, sizeof num, "%llu", ms / 1000 + (ms % 1000 != 0));
		put(st->key, num);
	} else if (st->kind == KS_KSVM_BOOL && ks_conf_bool(value, &b) == 0) {
		put(st->key, b ? "yes" : "no");
	} else {
		put(st->key, value);
	}
}

int main(int argc, char **argv)
{
	struct args a;
	struct ks_conf c;
	struct ks_err err;
	const char *values[KS_KSVM_MAX_SETTINGS];
	struct ks_conf_item *to, *it;
	unsigned nvm = 0, nfeed = 0;
	char num[32];
	int rc = KS_EXIT_FAIL;

	memset(&a, 0, sizeof a);
	ks_cli_init(&a.cli, PROGRAM);
	argp_parse(&argp, argc, argv, 0, NULL, &a);
	ks_conf_init(&c);
	if (ks_conf_load(&c, a.file, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out;
	}
	ks_ksvm_check(&c, values);
	ks_conf_sections(&c, "vm ", count_section, &nvm);
	ks_conf_sections(&c, "urlfeed ", count_section, &nfeed);
	if (strcmp(a.cmd, "check") == 0) {
		/* Which tools have a part to check, also when there are
		 * errors: every tool's errors are wanted at once. */
		printf("vm_count=%u%curlfeed_count=%u%c", nvm, 0, nfeed, 0);
		fflush(stdout);
	}
	if (c.nerr > 0) {
		ks_conf_print_errors(&c, stderr);
		goto out;
	}
	if (strcmp(a.cmd, "check") == 0) {
		if (a.cli.verbosity > 0)
			fprintf(stderr, "%s: %s: no errors in [ksvm] and the "
				"section names\n", PROGRAM, c.path);
		rc = KS_EXIT_CLEAN;
		goto out;
	}
	if (a.cli.output != NULL && freopen(a.cli.output, "w", stdout) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", PROGRAM, a.cli.output,
			strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < ks_ksvm_nsettings; i++)
		put_setting(&ks_ksvm_settings[i], values[i]);
	snprintf(num, sizeof num, "%u", nvm);
	put("vm_count", num);
	snprintf(num, sizeof num, "%u", nfeed);
	put("urlfeed_count", num);
	/* The web address database knetscan checks inline: its own
	 * url_db, else the one kurlcheck uses (and the feeds compile to). */
	it = ks_conf_get(&c, "knetscan", "url_db");
	put("knetscan_url_db", it != NULL ? it->value : "");
	it = ks_conf_get(&c, "kurlcheck", "database");
	put("kurlcheck_db", it != NULL ? it->value : KU_DB_DEFAULT_PATH);
	/* A path's own mode, when its tool's section gives one: guests in
	 * standard mode while the network is only watched, or the other
	 * way round. */
	it = ks_conf_get(&c, "kgi-relay", "mode");
	put("relay_mode", it != NULL ? it->value : "");
	it = ks_conf_get(&c, "knetscan", "mode");
	put("netscan_mode", it != NULL ? it->value : "");
	to = ks_conf_get(&c, "kreport", "to");
	put("report_to", to != NULL ? to->value : "");
	rc = fflush(stdout) == 0 ? KS_EXIT_CLEAN : KS_EXIT_FAIL;
out:
	ks_conf_free(&c);
	return rc;
}
