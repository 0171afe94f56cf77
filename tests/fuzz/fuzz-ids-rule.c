/*
 * Fuzz target: rule files in the Suricata dialect.  The input is read as
 * a whole rule file (continuations, comments, many rules); every rule is
 * either loaded or refused with a keyword and a reason, and the counts
 * must add up.
 */
#include <stdlib.h>
#include <string.h>

#include "ids/ids.h"
#include "ids/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ki_vars *v = ki_vars_new();
	struct ki_classes *c = ki_classes_new();
	struct ki_names *n = ki_names_new();
	struct ki_set *s;
	struct ks_err err;
	size_t total = 0, cnt;
	const char *kw;

	if (v == NULL || c == NULL || n == NULL)
		abort();
	/* Variables that refer to each other, for the nesting cap. */
	ki_vars_set(v, "LOOP", "[$LOOP2,1.2.3.4]", NULL);
	ki_vars_set(v, "LOOP2", "!$LOOP", NULL);
	s = ki_set_new(v, c, n);
	if (s == NULL)
		abort();
	ki_set_load_string(s, (const char *)data, size, "fuzz.rules", &err);
	for (size_t i = 0; (kw = ki_set_refusal(s, i, &cnt)) != NULL; i++) {
		if (kw[0] == '\0' || cnt == 0)
			abort();
		total += cnt;
	}
	if (total != ki_set_refused(s))
		abort();
	for (size_t i = 0; i < ki_set_count(s); i++) {
		const struct ki_rule *r = ki_set_rule(s, i);

		if (r->sid == 0 || r->msg == NULL || r->hook >= KI_H_COUNT)
			abort();
		for (size_t k = 0; k < r->nsm; k++)
			if (r->sm[k].kind == KI_SM_CONTENT &&
			    (r->sm[k].u.c.len == 0 || r->sm[k].u.c.pat == NULL))
				abort();
	}
	ki_set_free(s);
	ki_names_free(n);
	ki_classes_free(c);
	ki_vars_free(v);
	return 0;
}
