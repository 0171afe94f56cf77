/*
 * Intrusion signatures in the Suricata rule dialect: loading.
 *
 * A rule set (struct ki_set) is built from rule files with the variables
 * of the configuration and the command line (struct ki_vars) and the
 * classification table (struct ki_classes), then compiled for matching
 * (net/ids-detect: ki_set_compile, in detect.h).  Each rule is parsed
 * whole before it is kept: a rule that uses a keyword, a value or a
 * protocol this implementation does not support is refused with its
 * reason and counted under that keyword, never half-applied.  Syntax
 * errors are refused the same way, under "(syntax)"; the rule's file and
 * line go with every reason.
 *
 * Everything a rule file holds is untrusted: the length of a rule, the
 * number of options, addresses, ports and contents, the nesting of
 * variables and lists are capped (KI_MAX_*), and a rule past a cap is
 * refused.
 *
 * Ownership: a ki_set owns its rules and the strings in them; it keeps
 * pointers to the ki_vars and ki_classes only while loading (they are not
 * used afterwards), and to the ki_names table for its whole life (the
 * names must outlive every set that used them).
 */
#ifndef KS_IDS_IDS_H
#define KS_IDS_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define KI_MAX_RULE_LEN (1u << 20)   /* bytes of one rule, continuations joined */
#define KI_MAX_OPTIONS 512
#define KI_MAX_CONTENT 65535
#define KI_MAX_ADDRS 100000          /* entries of one address list */
#define KI_MAX_PORTS 4096
#define KI_MAX_VAR_DEPTH 16
#define KI_MAX_VARS 4096
#define KI_MAX_RULES 1000000
#define KI_MAX_NAMES 65536           /* flowbit names */
#define KI_MAX_FAILURES 1000         /* refusal messages kept per set */

/* ---- variables ------------------------------------------------------------ */

struct ki_vars;

/* Suricata's defaults (its suricata.yaml): HOME_NET the private ranges,
 * EXTERNAL_NET !$HOME_NET, the *_SERVERS $HOME_NET, the port variables. */
struct ki_vars *ki_vars_new(void);
void ki_vars_free(struct ki_vars *v);

/* Define or redefine NAME (without '$'); the value is checked when a rule
 * uses it.  -1 with a message for a bad name or too many variables. */
int ki_vars_set(struct ki_vars *v, const char *name, const char *value,
		struct ks_err *err);

/* "NAME=VALUE" as --var takes it. */
int ki_vars_set_arg(struct ki_vars *v, const char *arg, struct ks_err *err);

const char *ki_vars_get(const struct ki_vars *v, const char *name);

/* ---- classification.config ---------------------------------------------------- */

struct ki_classes;

/* The classification table: "config classification: name,description,
 * priority" lines.  ki_classes_new starts with the usual classes. */
struct ki_classes *ki_classes_new(void);
void ki_classes_free(struct ki_classes *c);

/* Read a classification.config; entries replace those of the same name.
 * A bad line is an error with its line number (the rest is still read;
 * the first error is in err). */
enum ks_status ki_classes_load(struct ki_classes *c, const char *path,
			       struct ks_err *err);
enum ks_status ki_classes_load_string(struct ki_classes *c, const char *text,
				      const char *name, struct ks_err *err);

/* The description and priority of a class; NULL when unknown. */
const char *ki_classes_get(const struct ki_classes *c, const char *name,
			   int *priority, const char **stored_name);

/* ---- flowbit names ---------------------------------------------------------------- */

struct ki_names;

struct ki_names *ki_names_new(void);
void ki_names_free(struct ki_names *n);
/* The id of a name (made when new); -1 when the table is full. */
int64_t ki_names_id(struct ki_names *n, const char *name, size_t len);
size_t ki_names_count(const struct ki_names *n);

/* ---- rule sets ---------------------------------------------------------------- */

struct ki_set;
struct ki_rule;

struct ki_set *ki_set_new(const struct ki_vars *v, const struct ki_classes *c,
			  struct ki_names *names);
void ki_set_free(struct ki_set *s);

/*
 * Add the rules of a file, or of every "*.rules" file of a directory (in
 * name order).  KS_OK when the files were read, whatever their rules;
 * an error when a file could not be read or a cap on the set was hit.
 */
enum ks_status ki_set_load_path(struct ki_set *s, const char *path,
				struct ks_err *err);
enum ks_status ki_set_load_file(struct ki_set *s, const char *path,
				struct ks_err *err);
/* Rules from memory; `name` stands for the file in messages. */
enum ks_status ki_set_load_string(struct ki_set *s, const char *text,
				  size_t len, const char *name,
				  struct ks_err *err);

/*
 * One rule's text (no continuation lines).  Returns KS_OK when the rule
 * was added, KS_EOF for a blank or comment line, KS_ERR_UNSUPPORTED or
 * KS_ERR_INVALID when refused (counted; *kw set to the keyword it is
 * counted under and err to the reason).
 */
enum ks_status ki_set_add_rule(struct ki_set *s, const char *text,
			       const char *file, unsigned line,
			       const char **kw, struct ks_err *err);

/* The set takes the class table its rules were parsed with (their
 * class names point into it) and frees it with itself. */
void ki_set_own_classes(struct ki_set *s, struct ki_classes *c);

size_t ki_set_count(const struct ki_set *s);
const struct ki_rule *ki_set_rule(const struct ki_set *s, size_t i);
size_t ki_set_refused(const struct ki_set *s);

/* The refusal table, most frequent first: i-th keyword and count; NULL
 * past the end. */
const char *ki_set_refusal(const struct ki_set *s, size_t i, size_t *count);

/* The first KI_MAX_FAILURES refusals, as "file:line: reason". */
size_t ki_set_failure_count(const struct ki_set *s);
const char *ki_set_failure(const struct ki_set *s, size_t i);

/* Rule fields for tools and tests. */
uint32_t ki_rule_sid(const struct ki_rule *r);
const char *ki_rule_msg(const struct ki_rule *r);

#endif
