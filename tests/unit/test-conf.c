#include <stdio.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "file/profile.h"
#include "unit.h"

static int has_error(const struct ks_conf *c, unsigned line, const char *part)
{
	for (size_t i = 0; i < c->nerr; i++)
		if (c->errors[i].line == line && strstr(c->errors[i].msg, part))
			return 1;
	return 0;
}

TEST(conf_items_lines_and_continuations)
{
	struct ks_conf c;
	struct ks_err err;
	struct ks_conf_item *it;

	ks_conf_init(&c);
	REQUIRE(ks_conf_load_string(&c,
				    "; top comment\n"
				    "[kfscan]\n"
				    "max_size = 10M\n"
				    "rules = /a.yar\n"
				    "  /b.yar\n"
				    "\t/c.yar\n"
				    "# another comment\n"
				    "[profile web]\n"
				    "action = disinfect, quarantine\n",
				    "t.conf", &err) == KS_OK);
	CHECK_INT(c.nerr, 0);
	it = ks_conf_get(&c, "kfscan", "max_size");
	REQUIRE(it != NULL);
	CHECK_STR(it->value, "10M");
	CHECK_INT(it->line, 3);
	it = ks_conf_get(&c, "kfscan", "rules");
	REQUIRE(it != NULL);
	CHECK_STR(it->value, "/a.yar /b.yar /c.yar");
	CHECK_INT(it->line, 4);
	CHECK(ks_conf_get(&c, "kfscan", "nothing") == NULL);
	it = ks_conf_get(&c, "profile web", "action");
	REQUIRE(it != NULL);
	CHECK_INT(it->line, 9);
	ks_conf_free(&c);
}

TEST(conf_every_error_with_its_line)
{
	struct ks_conf c;
	struct ks_err err;
	char longline[5000];

	memset(longline, 'x', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	char *text;

	REQUIRE(asprintf(&text,
			 "[kfscan]\n"          /* 1 */
			 "max_size = 1M\n"     /* 2 */
			 "no equals here\n"    /* 3 */
			 "max_size = 2M\n"     /* 4 */
			 "[broken\n"           /* 5 */
			 "k = %s\n"            /* 6 */
			 "also wrong\n"        /* 7 */
			 "good = 1\n",         /* 8 */
			 longline) > 0);
	ks_conf_init(&c);
	REQUIRE(ks_conf_load_string(&c, text, "t.conf", &err) == KS_OK);
	CHECK(has_error(&c, 3, "not a section"));
	CHECK(has_error(&c, 4, "'max_size' is set again (first on line 2)"));
	CHECK(has_error(&c, 5, "not a section"));
	CHECK(has_error(&c, 6, "longer than"));
	CHECK(has_error(&c, 7, "not a section"));
	CHECK_INT(c.nerr, 5);
	/* Errors come in line order. */
	for (size_t i = 1; i < c.nerr; i++)
		CHECK(c.errors[i - 1].line <= c.errors[i].line);
	/* Unused keys are errors when asked. */
	ks_conf_get(&c, "kfscan", "max_size");
	ks_conf_check_unused(&c, "kfscan");
	CHECK(has_error(&c, 8, "unknown setting 'good' in [kfscan]") ||
	      has_error(&c, 8, "unknown setting 'good' in [broken"));
	ks_conf_free(&c);
	free(text);
}

TEST(conf_load_missing_file)
{
	struct ks_conf c;
	struct ks_err err;

	ks_conf_init(&c);
	CHECK_INT(ks_conf_load(&c, "/nonexistent/ksvm.conf", &err),
		  KS_ERR_NOTFOUND);
	CHECK(strstr(err.msg, "/nonexistent/ksvm.conf") != NULL);
	ks_conf_free(&c);
}

TEST(conf_words_and_bools)
{
	size_t n;
	char **w = ks_conf_words(" a, b\tc,,d ", &n);
	int v;

	REQUIRE(w != NULL);
	CHECK_INT(n, 4);
	CHECK_STR(w[0], "a");
	CHECK_STR(w[3], "d");
	CHECK(w[4] == NULL);
	ks_conf_words_free(w);
	CHECK(ks_conf_bool("Yes", &v) == 0 && v == 1);
	CHECK(ks_conf_bool("off", &v) == 0 && v == 0);
	CHECK(ks_conf_bool("maybe", &v) == -1);
}

TEST(profiles_builtin_and_from_conf)
{
	struct ks_conf c;
	struct ks_err err;
	struct kf_profiles ps;
	const struct kf_profile *p;

	kf_profiles_builtin(&ps);
	p = kf_profile_find(&ps, "disinfect");
	REQUIRE(p != NULL);
	CHECK_INT(p->nchain, 3);
	CHECK_INT(p->chain[0], KF_ACT_DISINFECT);
	CHECK_INT(p->chain[2], KF_ACT_BLOCK);
	ks_conf_init(&c);
	REQUIRE(ks_conf_load_string(&c,
				    "[profile web]\naction = disinfect delete\n"
				    "[profile report]\naction = block\n"
				    "[profile bad1]\naction = report quarantine\n"
				    "[profile bad2]\naction = zap\n"
				    "[profile bad3]\naction = delete delete\n"
				    "[profile bad4]\nother = 1\n"
				    "[profile bad name]\naction = report\n",
				    "t.conf", &err) == KS_OK);
	kf_profiles_from_conf(&ps, &c);
	p = kf_profile_find(&ps, "web");
	REQUIRE(p != NULL);
	CHECK_INT(p->nchain, 2);
	CHECK_INT(p->chain[1], KF_ACT_DELETE);
	/* A built-in profile can be redefined. */
	p = kf_profile_find(&ps, "report");
	REQUIRE(p != NULL);
	CHECK_INT(p->chain[0], KF_ACT_BLOCK);
	CHECK(kf_profile_find(&ps, "bad1") == NULL);
	CHECK(has_error(&c, 6, "always succeeds"));
	CHECK(has_error(&c, 8, "unknown action 'zap'"));
	CHECK(has_error(&c, 10, "listed twice"));
	CHECK(has_error(&c, 12, "has no 'action'"));
	CHECK(has_error(&c, 14, "a profile name is letters"));
	ks_conf_free(&c);
}
