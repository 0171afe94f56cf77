/*
 * Rule variables, address lists and port lists of the rule header
 * (Suricata's "Rules format": "any", "$VAR", "[a,b]", "!x", CIDR blocks,
 * IPv4 ranges "a-b", port ranges "a:b", "a:" and ":b").
 *
 * A variable's value is parsed each time a rule uses it, so that a bad
 * value refuses the rules that use it (with the variable named), not the
 * run.  Variables may refer to others; the nesting is capped
 * (KI_MAX_VAR_DEPTH) so that "A = $B, B = $A" ends.
 *
 * Negation of a list negates each member: "![a,!b]" is "not a, but b".
 * Where a list mixes both, an address matches when it is in a positive
 * member (or there is none) and in no negative one; this is Suricata's
 * reading for the lists rule sets use.
 */
#include "ids/vars.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ids/ids.h"

struct var {
	char *name, *value;
};

struct ki_vars {
	struct var *v;
	size_t n, cap;
};

static const char *const defaults[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" }, { "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" }, { "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" }, { "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" }, { "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" }, { "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" }, { "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" }, { "SIP_SERVERS", "$HOME_NET" },
	{ "HTTP_PORTS", "80" }, { "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" }, { "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" }, { "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" }, { "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" }, { "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" }, { "SIP_PORTS", "[5060,5061]" },
};

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

struct ki_vars *ki_vars_new(void)
{
	struct ki_vars *v = calloc(1, sizeof *v);

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (ki_vars_set(v, defaults[i][0], defaults[i][1], NULL) != 0) {
			ki_vars_free(v);
			return NULL;
		}
	return v;
}

void ki_vars_free(struct ki_vars *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	free(v);
}

int ki_vars_set(struct ki_vars *v, const char *name, const char *value,
		struct ks_err *err)
{
	char *val;

	if (name[0] == '$')
		name++;
	if (!valid_name(name, strlen(name))) {
		ks_err_set(err, KS_ERR_USAGE, "bad variable name '%s' (letters, "
			   "digits and _)", name);
		return -1;
	}
	if (strlen(value) > KI_MAX_RULE_LEN) {
		ks_err_set(err, KS_ERR_LIMIT, "value of %s too long", name);
		return -1;
	}
	val = strdup(value);
	if (val == NULL) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0) {
			free(v->v[i].value);
			v->v[i].value = val;
			return 0;
		}
	if (v->n >= KI_MAX_VARS) {
		free(val);
		ks_err_set(err, KS_ERR_LIMIT, "too many variables (%d)", KI_MAX_VARS);
		return -1;
	}
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 32;
		struct var *nv = realloc(v->v, nc * sizeof *nv);

		if (nv == NULL) {
			free(val);
			ks_err_set(err, KS_ERR_NOMEM, "out of memory");
			return -1;
		}
		v->v = nv;
		v->cap = nc;
	}
	v->v[v->n].name = strdup(name);
	if (v->v[v->n].name == NULL) {
		free(val);
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return -1;
	}
	v->v[v->n++].value = val;
	return 0;
}

int ki_vars_set_arg(struct ki_vars *v, const char *arg, struct ks_err *err)
{
	const char *eq = strchr(arg, '=');
	char name[80];

	if (eq == NULL || (size_t)(eq - arg) >= sizeof name || eq == arg) {
		ks_err_set(err, KS_ERR_USAGE, "wants NAME=VALUE, not '%s'", arg);
		return -1;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	return ki_vars_set(v, name, eq + 1, err);
}

const char *ki_vars_get(const struct ki_vars *v, const char *name)
{
	for (size_t i = 0; v != NULL && i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			return v->v[i].value;
	return NULL;
}

/* ---- list walking -------------------------------------------------------------- */

static const char *skip_ws(const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *e)
{
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return e;
}

/* Look a "$NAME" up; returns its value or NULL with the error set. */
static const char *var_value(const struct ki_vars *v, const char *s,
			     const char *e, struct ks_err *err,
			     const char **kw)
{
	char name[80];
	const char *val;

	s++;
	if (!valid_name(s, (size_t)(e - s)) || (size_t)(e - s) >= sizeof name) {
		ks_err_set(err, KS_ERR_INVALID, "bad variable '%.*s'",
			   (int)(e - s + 1), s - 1);
		*kw = "(syntax)";
		return NULL;
	}
	memcpy(name, s, (size_t)(e - s));
	name[e - s] = '\0';
	val = ki_vars_get(v, name);
	if (val == NULL) {
		ks_err_set(err, KS_ERR_UNSUPPORTED, "undefined variable $%s "
			   "(define it with --var or var.%s in the configuration)",
			   name, name);
		*kw = "(undefined variable)";
	}
	return val;
}

/*
 * Walk a list: call `leaf` for each member with its negation, expanding
 * variables and nested lists.
 */
typedef int (*leaf_fn)(void *ctx, const char *s, const char *e, int neg,
		       struct ks_err *err, const char **kw);

static int walk(const struct ki_vars *v, const char *s, const char *e,
		int neg, int depth, leaf_fn leaf, void *ctx,
		struct ks_err *err, const char **kw)
{
	s = skip_ws(s, e);
	e = trim_end(s, e);
	if (depth > KI_MAX_VAR_DEPTH) {
		ks_err_set(err, KS_ERR_INVALID, "variables or lists nested "
			   "deeper than %d", KI_MAX_VAR_DEPTH);
		*kw = "(syntax)";
		return -1;
	}
	if (s == e) {
		ks_err_set(err, KS_ERR_INVALID, "empty address or port");
		*kw = "(syntax)";
		return -1;
	}
	while (s < e && *s == '!') {
		neg = !neg;
		s = skip_ws(s + 1, e);
	}
	if (s == e) {
		ks_err_set(err, KS_ERR_INVALID, "'!' with nothing after it");
		*kw = "(syntax)";
		return -1;
	}
	if (*s == '$') {
		const char *val = var_value(v, s, e, err, kw);

		if (val == NULL)
			return -1;
		return walk(v, val, val + strlen(val), neg, depth + 1, leaf,
			    ctx, err, kw);
	}
	if (*s == '[') {
		const char *p, *start;
		int d = 0;

		if (e[-1] != ']') {
			ks_err_set(err, KS_ERR_INVALID, "list without its ']': "
				   "'%.*s'", (int)(e - s > 60 ? 60 : e - s), s);
			*kw = "(syntax)";
			return -1;
		}
		start = s + 1;
		for (p = s + 1; p < e - 1; p++) {
			if (*p == '[')
				d++;
			else if (*p == ']' && --d < 0)
				break;
			else if (*p == ',' && d == 0) {
				if (walk(v, start, p, neg, depth + 1, leaf, ctx,
					 err, kw) != 0)
					return -1;
				start = p + 1;
			}
		}
		if (d != 0) {
			ks_err_set(err, KS_ERR_INVALID, "unbalanced brackets in "
				   "'%.*s'", (int)(e - s > 60 ? 60 : e - s), s);
			*kw = "(syntax)";
			return -1;
		}
		return walk(v, start, e - 1, neg, depth + 1, leaf, ctx, err, kw);
	}
	return leaf(ctx, s, e, neg, err, kw);
}

/* ---- addresses ----------------------------------------------------------------- */

struct addr_build {
	int any_pos, nmembers;
	struct ki_ipset set[2];      /* [0] positive, [1] negative */
	size_t cap4[2], cap6[2];
};

static int add_v4(struct addr_build *b, int neg, uint32_t lo, uint32_t hi)
{
	struct ki_ipset *s = &b->set[neg];

	if (s->nv4 == b->cap4[neg]) {
		size_t nc = b->cap4[neg] ? b->cap4[neg] * 2 : 4;
		struct ki_v4range *n = realloc(s->v4, nc * sizeof *n);

		if (n == NULL)
			return -1;
		s->v4 = n;
		b->cap4[neg] = nc;
	}
	s->v4[s->nv4].lo = lo;
	s->v4[s->nv4++].hi = hi;
	return 0;
}

static int add_v6(struct addr_build *b, int neg, const uint8_t a[16],
		  unsigned prefix)
{
	struct ki_ipset *s = &b->set[neg];

	if (s->nv6 == b->cap6[neg]) {
		size_t nc = b->cap6[neg] ? b->cap6[neg] * 2 : 4;
		struct ki_v6net *n = realloc(s->v6, nc * sizeof *n);

		if (n == NULL)
			return -1;
		s->v6 = n;
		b->cap6[neg] = nc;
	}
	memcpy(s->v6[s->nv6].b, a, 16);
	s->v6[s->nv6++].prefix = (uint8_t)prefix;
	return 0;
}

static int parse_v4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int addr_leaf(void *ctx, const char *s, const char *e, int neg,
		     struct ks_err *err, const char **kw)
{
	struct addr_build *b = ctx;
	char t[128], *slash, *dash;
	uint32_t lo, hi;
	uint8_t a6[16];
	int rc = 0;

	if (++b->nmembers > KI_MAX_ADDRS) {
		ks_err_set(err, KS_ERR_LIMIT, "more than %d addresses",
			   KI_MAX_ADDRS);
		*kw = "(limit)";
		return -1;
	}
	if ((size_t)(e - s) >= sizeof t)
		goto bad;
	memcpy(t, s, (size_t)(e - s));
	t[e - s] = '\0';
	if (strcmp(t, "any") == 0) {
		if (neg) {
			ks_err_set(err, KS_ERR_INVALID, "'!any' matches nothing");
			*kw = "(syntax)";
			return -1;
		}
		b->any_pos = 1;
		return 0;
	}
	slash = strchr(t, '/');
	dash = strchr(t, '-');
	if (slash != NULL)
		*slash++ = '\0';
	if (dash != NULL && slash == NULL && strchr(t, ':') == NULL) {
		*dash++ = '\0';
		if (parse_v4(t, &lo) != 0 || parse_v4(dash, &hi) != 0 || lo > hi)
			goto bad;
		rc = add_v4(b, neg, lo, hi);
	} else if (strchr(t, ':') == NULL) {
		unsigned long pfx = 32;
		char *end;

		if (parse_v4(t, &lo) != 0)
			goto bad;
		if (slash != NULL) {
			uint32_t mask;

			if (strchr(slash, '.') != NULL) {
				/* A netmask: it must be contiguous. */
				if (parse_v4(slash, &mask) != 0 ||
				    (mask != 0 && ((~mask + 1) & ~mask) != 0))
					goto bad;
				pfx = (unsigned long)__builtin_popcount(mask);
			} else {
				pfx = strtoul(slash, &end, 10);
				if (*slash == '\0' || *end != '\0' || pfx > 32)
					goto bad;
			}
		}
		{
			uint32_t m = pfx == 0 ? 0 : ~0u << (32 - pfx);

			rc = add_v4(b, neg, lo & m, (lo & m) | ~m);
		}
	} else {
		unsigned long pfx = 128;
		char *end;
		struct in6_addr a;

		if (inet_pton(AF_INET6, t, &a) != 1)
			goto bad;
		memcpy(a6, &a, 16);
		if (slash != NULL) {
			pfx = strtoul(slash, &end, 10);
			if (*slash == '\0' || *end != '\0' || pfx > 128)
				goto bad;
		}
		rc = add_v6(b, neg, a6, (unsigned)pfx);
	}
	if (rc != 0) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		*kw = "(limit)";
	}
	return rc;
bad:
	ks_err_set(err, KS_ERR_INVALID, "bad address '%.*s'",
		   (int)(e - s > 60 ? 60 : e - s), s);
	*kw = "(syntax)";
	return -1;
}

static int cmp_v4(const void *a, const void *b)
{
	const struct ki_v4range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void merge_v4(struct ki_ipset *s)
{
	size_t o = 0;

	if (s->nv4 == 0)
		return;
	qsort(s->v4, s->nv4, sizeof *s->v4, cmp_v4);
	for (size_t i = 1; i < s->nv4; i++) {
		if (s->v4[i].lo <= s->v4[o].hi ||
		    (s->v4[o].hi != UINT32_MAX && s->v4[i].lo == s->v4[o].hi + 1)) {
			if (s->v4[i].hi > s->v4[o].hi)
				s->v4[o].hi = s->v4[i].hi;
		} else {
			s->v4[++o] = s->v4[i];
		}
	}
	s->nv4 = o + 1;
}

int ki_addrs_parse(const struct ki_vars *v, const char *s, size_t n,
		   struct ki_addrs *out, struct ks_err *err, const char **kw)
{
	struct addr_build b;

	memset(&b, 0, sizeof b);
	memset(out, 0, sizeof *out);
	if (walk(v, s, s + n, 0, 0, addr_leaf, &b, err, kw) != 0) {
		for (int i = 0; i < 2; i++) {
			free(b.set[i].v4);
			free(b.set[i].v6);
		}
		return -1;
	}
	merge_v4(&b.set[0]);
	merge_v4(&b.set[1]);
	out->pos = b.set[0];
	out->neg = b.set[1];
	if (b.any_pos) {
		free(out->pos.v4);
		free(out->pos.v6);
		memset(&out->pos, 0, sizeof out->pos);
	}
	out->has_pos = !b.any_pos && (out->pos.nv4 > 0 || out->pos.nv6 > 0);
	return 0;
}

void ki_addrs_free(struct ki_addrs *a)
{
	free(a->pos.v4);
	free(a->pos.v6);
	free(a->neg.v4);
	free(a->neg.v6);
	memset(a, 0, sizeof *a);
}

static int in_set(const struct ki_ipset *s, const struct kn_addr *a)
{
	if (a->family == 4) {
		uint32_t x = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
			     (uint32_t)a->b[2] << 8 | a->b[3];
		size_t lo = 0, hi = s->nv4;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (x < s->v4[mid].lo)
				hi = mid;
			else if (x > s->v4[mid].hi)
				lo = mid + 1;
			else
				return 1;
		}
		return 0;
	}
	for (size_t i = 0; i < s->nv6; i++) {
		unsigned p = s->v6[i].prefix, full = p / 8, rest = p % 8;

		if (memcmp(s->v6[i].b, a->b, full) != 0)
			continue;
		if (rest != 0) {
			uint8_t m = (uint8_t)(0xff << (8 - rest));

			if ((s->v6[i].b[full] & m) != (a->b[full] & m))
				continue;
		}
		return 1;
	}
	return 0;
}

int ki_addrs_match(const struct ki_addrs *s, const struct kn_addr *a)
{
	if (a->family != 4 && a->family != 6)
		return !s->has_pos && s->neg.nv4 == 0 && s->neg.nv6 == 0;
	if (s->has_pos && !in_set(&s->pos, a))
		return 0;
	return !in_set(&s->neg, a);
}

/* ---- ports ---------------------------------------------------------------------- */

struct port_build {
	int any_pos, nmembers;
	struct ki_prange *r[2];
	size_t n[2], cap[2];
};

static int port_num(const char *s, const char *e, uint16_t *out)
{
	unsigned long v = 0;

	if (s == e || e - s > 5)
		return -1;
	for (; s < e; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int port_leaf(void *ctx, const char *s, const char *e, int neg,
		     struct ks_err *err, const char **kw)
{
	struct port_build *b = ctx;
	const char *colon;
	uint16_t lo = 0, hi = 65535;

	if (++b->nmembers > KI_MAX_PORTS) {
		ks_err_set(err, KS_ERR_LIMIT, "more than %d ports", KI_MAX_PORTS);
		*kw = "(limit)";
		return -1;
	}
	if (e - s == 3 && memcmp(s, "any", 3) == 0) {
		if (neg) {
			ks_err_set(err, KS_ERR_INVALID, "'!any' matches nothing");
			*kw = "(syntax)";
			return -1;
		}
		b->any_pos = 1;
		return 0;
	}
	colon = memchr(s, ':', (size_t)(e - s));
	if (colon == NULL) {
		if (port_num(s, e, &lo) != 0)
			goto bad;
		hi = lo;
	} else {
		if (colon > s && port_num(s, colon, &lo) != 0)
			goto bad;
		if (colon + 1 < e && port_num(colon + 1, e, &hi) != 0)
			goto bad;
		if (colon == s && colon + 1 == e)
			goto bad;
		if (lo > hi)
			goto bad;
	}
	if (b->n[neg] == b->cap[neg]) {
		size_t nc = b->cap[neg] ? b->cap[neg] * 2 : 4;
		struct ki_prange *n = realloc(b->r[neg], nc * sizeof *n);

		if (n == NULL) {
			ks_err_set(err, KS_ERR_NOMEM, "out of memory");
			*kw = "(limit)";
			return -1;
		}
		b->r[neg] = n;
		b->cap[neg] = nc;
	}
	b->r[neg][b->n[neg]].lo = lo;
	b->r[neg][b->n[neg]++].hi = hi;
	return 0;
bad:
	ks_err_set(err, KS_ERR_INVALID, "bad port '%.*s'",
		   (int)(e - s > 60 ? 60 : e - s), s);
	*kw = "(syntax)";
	return -1;
}

int ki_ports_parse(const struct ki_vars *v, const char *s, size_t n,
		   struct ki_ports *out, struct ks_err *err, const char **kw)
{
	struct port_build b;

	memset(&b, 0, sizeof b);
	memset(out, 0, sizeof *out);
	if (walk(v, s, s + n, 0, 0, port_leaf, &b, err, kw) != 0) {
		free(b.r[0]);
		free(b.r[1]);
		return -1;
	}
	if (b.any_pos) {
		free(b.r[0]);
		b.r[0] = NULL;
		b.n[0] = 0;
	}
	out->pos = b.r[0];
	out->npos = b.n[0];
	out->neg = b.r[1];
	out->nneg = b.n[1];
	out->has_pos = !b.any_pos && b.n[0] > 0;
	return 0;
}

void ki_ports_free(struct ki_ports *p)
{
	free(p->pos);
	free(p->neg);
	memset(p, 0, sizeof *p);
}

int ki_ports_match(const struct ki_ports *p, uint16_t port)
{
	size_t i;

	if (p->has_pos) {
		for (i = 0; i < p->npos; i++)
			if (port >= p->pos[i].lo && port <= p->pos[i].hi)
				break;
		if (i == p->npos)
			return 0;
	}
	for (i = 0; i < p->nneg; i++)
		if (port >= p->neg[i].lo && port <= p->neg[i].hi)
			return 0;
	return 1;
}

int ki_ports_any(const struct ki_ports *p)
{
	return !p->has_pos && p->nneg == 0;
}
