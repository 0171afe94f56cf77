/*
 * The rule parser (private to lib/ids; set.c and the tests call it).
 *
 * ki_rule_parse reads one rule's text (continuation lines already joined)
 * into a new struct ki_rule.  On refusal it returns KS_ERR_INVALID (the
 * text breaks the grammar) or KS_ERR_UNSUPPORTED (valid Suricata that
 * knetscan does not implement), sets *kw to the keyword the refusal is
 * counted under (a static string, or one inside `kwbuf`) and err to the
 * reason.
 */
#ifndef KS_IDS_PARSE_H
#define KS_IDS_PARSE_H

#include "core/status.h"
#include "ids/ids.h"
#include "ids/rule.h"

struct ki_parse_env {
	const struct ki_vars *vars;
	const struct ki_classes *classes;
	struct ki_names *names;
};

#define KI_KW_MAX 48

enum ks_status ki_rule_parse(const char *text, size_t len,
			     const struct ki_parse_env *env,
			     struct ki_rule **out, const char **kw,
			     char kwbuf[KI_KW_MAX], struct ks_err *err);

#endif
