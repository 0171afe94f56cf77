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
#include "core/exitcode.h"

#define PROGRAM "ksvm-config"

/* The settings of [ksvm]: name, default, kind. */
enum kind { K_STR, K_PATH, K_INPUT, K_MODE, K_TIME, K_BOOL };

static const struct setting {
	const char *key;
	const char *def;
	enum kind kind;
} settings[] = {
	{ "mode", "monitoring", K_MODE },
	{ "interface", "", K_STR },
	{ "pcap", "", K_INPUT },
	{ "forward", "", K_INPUT },
	{ "guest_events", "", K_INPUT },
	{ "user", "", K_STR },
	{ "log_dir", "/var/log/ksvm", K_PATH },
	{ "run_dir", "/run/ksvm", K_PATH },
	{ "pidfile", "", K_PATH },
	{ "report_text", "", K_PATH },
	{ "report_html", "", K_PATH },
	{ "restart_max", "30s", K_TIME },
	{ "drain_timeout", "10s", K_TIME },
	{ "url_check", "yes", K_BOOL },
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

/* Sections some program reads; any other is a mistake. */
static const char *const known_sections[] = {
	"ksvm", "kfscan", "kgi-relay", "knetscan", "kurlcheck", "kreport",
};
static const char *const known_prefixes[] = { "profile ", "vm ", "urlfeed " };

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
	"  check FILE   report every error with its line (exit 0 or 2)\n"
	"  get FILE     the settings of [ksvm] with their defaults, as "
	"NUL-separated key=value items, and vm_count, urlfeed_count, report_to\n";

static const struct argp argp = {
	NULL, parse_opt, "check FILE\nget FILE", doc, children, NULL, NULL
};

static void check_value(struct ks_conf *c, const struct setting *s,
			const struct ks_conf_item *it)
{
	unsigned long long v;
	int b;

	switch (s->kind) {
	case K_MODE:
		if (strcmp(it->value, "standard") != 0 &&
		    strcmp(it->value, "monitoring") != 0)
			ks_conf_error(c, it->line, "mode: standard or monitoring, "
				      "not '%s'", it->value);
		break;
	case K_PATH:
		if (it->value[0] != '/')
			ks_conf_error(c, it->line, "%s: an absolute path, not '%s'",
				      s->key, it->value);
		break;
	case K_INPUT:
		if (it->value[0] != '/' && strcmp(it->value, "-") != 0)
			ks_conf_error(c, it->line, "%s: an absolute path or - "
				      "(standard input or output), not '%s'",
				      s->key, it->value);
		break;
	case K_TIME:
		if (ks_cli_parse_duration(it->value, &v) != 0 || v == 0)
			ks_conf_error(c, it->line, "%s: a time such as 30s, not "
				      "'%s'", s->key, it->value);
		break;
	case K_BOOL:
		if (ks_conf_bool(it->value, &b) != 0)
			ks_conf_error(c, it->line, "%s: yes or no, not '%s'",
				      s->key, it->value);
		break;
	case K_STR:
		if (it->value[0] == '\0')
			ks_conf_error(c, it->line, "%s: empty", s->key);
		break;
	}
}

static int known_section(const char *name)
{
	for (size_t i = 0; i < sizeof known_sections / sizeof *known_sections; i++)
		if (strcmp(name, known_sections[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof known_prefixes / sizeof *known_prefixes; i++)
		if (strncmp(name, known_prefixes[i], strlen(known_prefixes[i])) == 0)
			return 1;
	return 0;
}

/* Every section name, once, in file order (the first item's line). */
static void check_sections(struct ks_conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		int seen = 0;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(c->items[k].section, c->items[i].section) == 0;
		if (!seen && !known_section(c->items[i].section))
			ks_conf_error(c, c->items[i].line, "[%s]: no program reads "
				      "this section (ksvm, kfscan, kgi-relay, "
				      "knetscan, kurlcheck, kreport, profile NAME, "
				      "vm NAME, urlfeed NAME)", c->items[i].section);
	}
}

static void check_ksvm(struct ks_conf *c, const char **values)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		struct ks_conf_item *it = ks_conf_get(c, "ksvm", settings[i].key);

		values[i] = settings[i].def;
		if (it != NULL) {
			check_value(c, &settings[i], it);
			values[i] = it->value;
		}
	}
	{
		struct ks_conf_item *ifc = ks_conf_get(c, "ksvm", "interface");
		struct ks_conf_item *pc = ks_conf_get(c, "ksvm", "pcap");

		if (ifc != NULL && pc != NULL)
			ks_conf_error(c, pc->line, "pcap: the traffic comes from "
				      "an interface (line %u) or a capture, not "
				      "both", ifc->line);
	}
	ks_conf_check_unused(c, "ksvm");
}

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

int main(int argc, char **argv)
{
	struct args a;
	struct ks_conf c;
	struct ks_err err;
	const char *values[NSETTINGS];
	struct ks_conf_item *to;
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
	check_ksvm(&c, values);
	check_sections(&c);
	if (c.nerr > 0) {
		for (size_t i = 0; i < c.nerr; i++)
			fprintf(stderr, "%s:%u: %s\n", c.path, c.errors[i].line,
				c.errors[i].msg);
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
	for (size_t i = 0; i < NSETTINGS; i++)
		put(settings[i].key, values[i]);
	ks_conf_sections(&c, "vm ", count_section, &nvm);
	snprintf(num, sizeof num, "%u", nvm);
	put("vm_count", num);
	ks_conf_sections(&c, "urlfeed ", count_section, &nfeed);
	snprintf(num, sizeof num, "%u", nfeed);
	put("urlfeed_count", num);
	to = ks_conf_get(&c, "kreport", "to");
	put("report_to", to != NULL ? to->value : "");
	rc = fflush(stdout) == 0 ? KS_EXIT_CLEAN : KS_EXIT_FAIL;
out:
	ks_conf_free(&c);
	return rc;
}
