#ifndef KS_FILE_BUILTIN_RULES_H
#define KS_FILE_BUILTIN_RULES_H

/* YARA source of the built-in rule set (see builtin-rules.c). */
extern const char kf_builtin_rules[];

#endif
