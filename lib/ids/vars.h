/*
 * Address and port lists of the rule header (private to lib/ids; see
 * vars.c for the grammar).  Parsed lists are owned by the caller and
 * released with ki_addrs_free / ki_ports_free.  On failure *kw names
 * what the refusal is counted under ("(syntax)", "(undefined variable)",
 * "(limit)") and err says why.
 */
#ifndef KS_IDS_VARS_H
#define KS_IDS_VARS_H

#include "core/status.h"
#include "ids/rule.h"
#include "net/pkt.h"

struct ki_vars;

int ki_addrs_parse(const struct ki_vars *v, const char *s, size_t n,
		   struct ki_addrs *out, struct ks_err *err, const char **kw);
void ki_addrs_free(struct ki_addrs *a);
int ki_addrs_match(const struct ki_addrs *s, const struct kn_addr *a);

int ki_ports_parse(const struct ki_vars *v, const char *s, size_t n,
		   struct ki_ports *out, struct ks_err *err, const char **kw);
void ki_ports_free(struct ki_ports *p);
int ki_ports_match(const struct ki_ports *p, uint16_t port);
int ki_ports_any(const struct ki_ports *p);

#endif
