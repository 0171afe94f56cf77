/*
 * The [ksvm] section and the section names of ksvm.conf (see ksvm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/ksvm.h"

/* The settings of [ksvm]: name, default, kind. */
const struct ks_ksvm_setting ks_ksvm_settings[] = {
	{ "mode", "monitoring", KS_KSVM_MODE },
	{ "interface", "", KS_KSVM_STR },
	{ "bridge", "", KS_KSVM_STR },
	{ "pcap", "", KS_KSVM_INPUT },
	{ "forward", "", KS_KSVM_INPUT },
	{ "guest_events", "", KS_KSVM_INPUT },
	{ "user", "", KS_KSVM_STR },
	{ "log_dir", "/var/log/ksvm", KS_KSVM_PATH },
	{ "run_dir", "/run/ksvm", KS_KSVM_PATH },
	{ "pidfile", "", KS_KSVM_PATH },
	{ "report_text", "", KS_KSVM_PATH },
	{ "report_html", "", KS_KSVM_PATH },
	{ "restart_max", "30s", KS_KSVM_TIME },
	{ "drain_timeout", "10s", KS_KSVM_TIME },
	{ "url_check", "yes", KS_KSVM_BOOL },
};

const size_t ks_ksvm_nsettings = sizeof ks_ksvm_settings / sizeof ks_ksvm_settings[0];
_Static_assert(sizeof ks_ksvm_settings / sizeof ks_ksvm_settings[0] <= KS_KSVM_MAX_SETTINGS,
	       "KS_KSVM_MAX_SETTINGS is too small");

/* Sections some program reads; any other is a mistake. */
static const char *const known_sections[] = {
	"ksvm", "kfscan", "kgi-relay", "knetscan", "kurlcheck", "kreport",
};
static const char *const known_prefixes[] = { "profile ", "vm ", "urlfeed " };

static void check_value(struct ks_conf *c, const struct ks_ksvm_setting *s,
			const struct ks_conf_item *it)
{
	unsigned long long v;
	int b;

	switch (s->kind) {
	case KS_KSVM_MODE:
		if (strcmp(it->value, "standard") != 0 &&
		    strcmp(it->value, "monitoring") != 0)
			ks_conf_error(c, it->line, "mode: standard or monitoring, "
				      "not '%s'", it->value);
		break;
	case KS_KSVM_PATH:
		if (it->value[0] != '/')
			ks_conf_error(c, it->line, "%s: an absolute path, not '%s'",
				      s->key, it->value);
		break;
	case KS_KSVM_INPUT:
		if (it->value[0] != '/' && strcmp(it->value, "-") != 0)
			ks_conf_error(c, it->line, "%s: an absolute path or - "
				      "(standard input or output), not '%s'",
				      s->key, it->value);
		break;
	case KS_KSVM_TIME:
		if (ks_cli_parse_duration(it->value, &v) != 0 || v == 0)
			ks_conf_error(c, it->line, "%s: a time such as 30s, not "
				      "'%s'", s->key, it->value);
		break;
	case KS_KSVM_BOOL:
		if (ks_conf_bool(it->value, &b) != 0)
			ks_conf_error(c, it->line, "%s: yes or no, not '%s'",
				      s->key, it->value);
		break;
	case KS_KSVM_STR:
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

void ks_ksvm_check(struct ks_conf *c, const char **values)
{
	for (size_t i = 0; i < ks_ksvm_nsettings; i++) {
		struct ks_conf_item *it = ks_conf_get(c, "ksvm", ks_ksvm_settings[i].key);

		values[i] = ks_ksvm_settings[i].def;
		if (it != NULL) {
			check_value(c, &ks_ksvm_settings[i], it);
			values[i] = it->value;
		}
	}
	{
		/* One source of traffic. */
		static const char *const src[] = { "interface", "bridge", "pcap" };
		struct ks_conf_item *first = NULL, *it;

		for (size_t i = 0; i < 3; i++) {
			it = ks_conf_get(c, "ksvm", src[i]);
			if (it == NULL)
				continue;
			if (first != NULL)
				ks_conf_error(c, it->line, "%s: the traffic comes "
					      "from one of interface, bridge or "
					      "pcap, and %s is given (line %u)",
					      it->key, first->key, first->line);
			else
				first = it;
		}
	}
	ks_conf_check_unused(c, "ksvm");
	check_sections(c);
}
