#include <string.h>

#include "conf/conf.h"
#include "conf/ksvm.h"
#include "unit.h"

static int error_at(const struct ks_conf *c, unsigned line, const char *part)
{
	for (size_t i = 0; i < c->nerr; i++)
		if (c->errors[i].line == line && strstr(c->errors[i].msg, part))
			return 1;
	return 0;
}

static const char *value_of(const char **values, const char *key)
{
	for (size_t i = 0; i < ks_ksvm_nsettings; i++)
		if (strcmp(ks_ksvm_settings[i].key, key) == 0)
			return values[i];
	return NULL;
}

TEST(ksvm_defaults_and_values)
{
	struct ks_conf c;
	struct ks_err err;
	const char *values[KS_KSVM_MAX_SETTINGS];

	ks_conf_init(&c);
	REQUIRE(ks_conf_load_string(&c, "[ksvm]\nmode = standard\npcap = -\n"
				    "[vm web1]\nroot = /srv/web1\n[urlfeed x]\n"
				    "path = /x\n", "t.conf", &err) == KS_OK);
	ks_ksvm_check(&c, values);
	CHECK_INT(c.nerr, 0);
	CHECK_STR(value_of(values, "mode"), "standard");
	CHECK_STR(value_of(values, "pcap"), "-");
	CHECK_STR(value_of(values, "log_dir"), "/var/log/ksvm");
	CHECK_STR(value_of(values, "restart_max"), "30s");
	CHECK_STR(value_of(values, "url_check"), "yes");
	ks_conf_free(&c);
}

TEST(ksvm_every_error_with_its_line_in_file_order)
{
	struct ks_conf c;
	struct ks_err err;
	const char *values[KS_KSVM_MAX_SETTINGS];

	ks_conf_init(&c);
	REQUIRE(ks_conf_load_string(&c,
				    "[knetscan]\n"              /* 1 */
				    "[ksvm]\n"                  /* 2 */
				    "mode = inline\n"           /* 3 */
				    "log_dir = var/log\n"       /* 4 */
				    "restart_max = soon\n"      /* 5 */
				    "url_check = maybe\n"       /* 6 */
				    "interface = eth1\n"        /* 7 */
				    "pcap = /tmp/a.pcap\n"      /* 8 */
				    "forward = out.pcap\n"      /* 9 */
				    "colour = blue\n"           /* 10 */
				    "[kfscan]\n"                /* 11 */
				    "rules = /r\n"              /* 12 */
				    "[netscan]\n"               /* 13 */
				    "x = 1\n",                  /* 14 */
				    "t.conf", &err) == KS_OK);
	ks_ksvm_check(&c, values);
	ks_conf_sort_errors(&c);
	CHECK(error_at(&c, 3, "standard or monitoring"));
	CHECK(error_at(&c, 4, "absolute path"));
	CHECK(error_at(&c, 5, "a time"));
	CHECK(error_at(&c, 6, "yes or no"));
	CHECK(error_at(&c, 8, "one of interface, bridge or pcap"));
	CHECK(error_at(&c, 9, "absolute path or -"));
	CHECK(error_at(&c, 10, "colour"));
	CHECK(error_at(&c, 14, "[netscan]"));
	CHECK_INT(c.nerr, 8);
	for (size_t i = 1; i < c.nerr; i++)
		CHECK(c.errors[i - 1].line <= c.errors[i].line);
	/* A bad value leaves the file's text in values (the caller stops on
	 * errors anyway); a missing one gets the default. */
	CHECK_STR(value_of(values, "drain_timeout"), "10s");
	ks_conf_free(&c);
}

TEST(ksvm_sort_errors_is_stable)
{
	struct ks_conf c;
	struct ks_err err;

	ks_conf_init(&c);
	REQUIRE(ks_conf_load_string(&c, "[a]\n", "t.conf", &err) == KS_OK);
	ks_conf_error(&c, 5, "first at 5");
	ks_conf_error(&c, 2, "at 2");
	ks_conf_error(&c, 5, "second at 5");
	ks_conf_error(&c, 0, "whole file");
	ks_conf_sort_errors(&c);
	REQUIRE(c.nerr == 4);
	CHECK_STR(c.errors[0].msg, "whole file");
	CHECK_STR(c.errors[1].msg, "at 2");
	CHECK_STR(c.errors[2].msg, "first at 5");
	CHECK_STR(c.errors[3].msg, "second at 5");
	ks_conf_free(&c);
}
