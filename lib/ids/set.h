/*
 * The inside of a rule set (private to lib/ids): the rules, the refusal
 * counts and, once compiled, the prefilter databases (detect.c).
 */
#ifndef KS_IDS_SET_H
#define KS_IDS_SET_H

#include "core/u64map.h"
#include "ids/ids.h"
#include "ids/parse.h"
#include "ids/rule.h"

struct ki_kwcount {
	char *name;
	size_t count;
};

struct ki_compiled;

struct ki_set {
	struct ki_parse_env env;
	struct ki_rule **rules;
	size_t n, cap;
	size_t refused;
	struct ki_kwcount *kw;       /* mutable order: sorted on demand */
	size_t nkw;
	char **fail;
	size_t nfail;
	char **files;
	size_t nfiles;
	struct ks_u64map sids;       /* (gid, sid) seen */
	struct ki_classes *own_classes;
	struct ki_compiled *comp;    /* NULL until compiled */
};

/* Free what ki_set_compile made (detect.c). */
void ki_set_uncompile(struct ki_set *s);

#endif
