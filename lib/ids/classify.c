/*
 * The classification table (Suricata's classification.config format:
 * "config classification: shortname,description,priority", '#'
 * comments) and the table of flowbit names.
 *
 * The built-in classes are the usual ones of Suricata and Emerging
 * Threats, so that a rule file loaded alone has severities; a
 * classification.config given to knetscan (or found beside the rules)
 * replaces entries by name and adds new ones.
 */
#include "ids/ids.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/u64map.h"

struct cls {
	char *name, *desc;
	int prio;
};

struct ki_classes {
	struct cls *c;
	size_t n, cap;
};

static const struct { const char *n, *d; int p; } builtin[] = {
	{ "not-suspicious", "Not Suspicious Traffic", 3 },
	{ "unknown", "Unknown Traffic", 3 },
	{ "bad-unknown", "Potentially Bad Traffic", 2 },
	{ "attempted-recon", "Attempted Information Leak", 2 },
	{ "successful-recon-limited", "Information Leak", 2 },
	{ "successful-recon-largescale", "Large Scale Information Leak", 2 },
	{ "attempted-dos", "Attempted Denial of Service", 2 },
	{ "successful-dos", "Denial of Service", 2 },
	{ "attempted-user", "Attempted User Privilege Gain", 1 },
	{ "unsuccessful-user", "Unsuccessful User Privilege Gain", 1 },
	{ "successful-user", "Successful User Privilege Gain", 1 },
	{ "attempted-admin", "Attempted Administrator Privilege Gain", 1 },
	{ "successful-admin", "Successful Administrator Privilege Gain", 1 },
	{ "rpc-portmap-decode", "Decode of an RPC Query", 2 },
	{ "shellcode-detect", "Executable code was detected", 1 },
	{ "string-detect", "A suspicious string was detected", 3 },
	{ "suspicious-filename-detect", "A suspicious filename was detected", 2 },
	{ "suspicious-login", "An attempted login using a suspicious username was detected", 2 },
	{ "system-call-detect", "A system call was detected", 2 },
	{ "tcp-connection", "A TCP connection was detected", 4 },
	{ "trojan-activity", "A Network Trojan was detected", 1 },
	{ "unusual-client-port-connection", "A client was using an unusual port", 2 },
	{ "network-scan", "Detection of a Network Scan", 3 },
	{ "denial-of-service", "Detection of a Denial of Service Attack", 2 },
	{ "non-standard-protocol", "Detection of a non-standard protocol or event", 2 },
	{ "protocol-command-decode", "Generic Protocol Command Decode", 3 },
	{ "web-application-activity", "access to a potentially vulnerable web application", 2 },
	{ "web-application-attack", "Web Application Attack", 1 },
	{ "misc-activity", "Misc activity", 3 },
	{ "misc-attack", "Misc Attack", 2 },
	{ "icmp-event", "Generic ICMP event", 3 },
	{ "inappropriate-content", "Inappropriate Content was Detected", 1 },
	{ "policy-violation", "Potential Corporate Privacy Violation", 1 },
	{ "default-login-attempt", "Attempt to login by a default username and password", 2 },
	{ "targeted-activity", "Targeted Malicious Activity was Detected", 1 },
	{ "exploit-kit", "Exploit Kit Activity Detected", 1 },
	{ "external-ip-check", "Device Retrieving External IP Address Detected", 2 },
	{ "domain-c2", "Domain Observed Used for C2 Detected", 1 },
	{ "pup-activity", "Possibly Unwanted Program Detected", 2 },
	{ "credential-theft", "Successful Credential Theft Detected", 1 },
	{ "social-engineering", "Possible Social Engineering Attempted", 2 },
	{ "coin-mining", "Crypto Currency Mining Activity Detected", 2 },
	{ "command-and-control", "Malware Command and Control Activity Detected", 1 },
};

static int put(struct ki_classes *c, const char *name, size_t nlen,
	       const char *desc, size_t dlen, int prio)
{
	char *n = strndup(name, nlen), *d = strndup(desc, dlen);

	if (n == NULL || d == NULL)
		goto nomem;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->c[i].name, n) == 0) {
			free(n);
			free(c->c[i].desc);
			c->c[i].desc = d;
			c->c[i].prio = prio;
			return 0;
		}
	if (c->n >= 10000)
		goto nomem;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		struct cls *nn = realloc(c->c, nc * sizeof *nn);

		if (nn == NULL)
			goto nomem;
		c->c = nn;
		c->cap = nc;
	}
	c->c[c->n].name = n;
	c->c[c->n].desc = d;
	c->c[c->n++].prio = prio;
	return 0;
nomem:
	free(n);
	free(d);
	return -1;
}

struct ki_classes *ki_classes_new(void)
{
	struct ki_classes *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (put(c, builtin[i].n, strlen(builtin[i].n), builtin[i].d,
			strlen(builtin[i].d), builtin[i].p) != 0) {
			ki_classes_free(c);
			return NULL;
		}
	return c;
}

void ki_classes_free(struct ki_classes *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->c[i].name);
		free(c->c[i].desc);
	}
	free(c->c);
	free(c);
}

const char *ki_classes_get(const struct ki_classes *c, const char *name,
			   int *priority, const char **stored_name)
{
	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->c[i].name, name) == 0) {
			if (priority != NULL)
				*priority = c->c[i].prio;
			if (stored_name != NULL)
				*stored_name = c->c[i].name;
			return c->c[i].desc;
		}
	return NULL;
}

/* One line: "config classification: name,description,priority". */
static int class_line(struct ki_classes *c, const char *s, const char *e)
{
	static const char pre[] = "config classification:";
	const char *c1, *c2;
	long prio;
	char num[16];

	if ((size_t)(e - s) < sizeof pre - 1 || memcmp(s, pre, sizeof pre - 1) != 0)
		return -1;
	s += sizeof pre - 1;
	while (s < e && isspace((unsigned char)*s))
		s++;
	c1 = memchr(s, ',', (size_t)(e - s));
	if (c1 == NULL || c1 == s)
		return -1;
	c2 = NULL;
	for (const char *p = e; p > c1 + 1; p--)
		if (p[-1] == ',') {
			c2 = p - 1;
			break;
		}
	if (c2 == NULL || c2 == c1 || (size_t)(e - c2 - 1) >= sizeof num)
		return -1;
	memcpy(num, c2 + 1, (size_t)(e - c2 - 1));
	num[e - c2 - 1] = '\0';
	{
		char *end;

		prio = strtol(num, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (end == num || *end != '\0' || prio < 1 || prio > 255)
			return -1;
	}
	for (const char *p = s; p < c1; p++)
		if (isspace((unsigned char)*p))
			return -1;
	return put(c, s, (size_t)(c1 - s), c1 + 1, (size_t)(c2 - c1 - 1),
		   (int)prio) == 0 ? 0 : -2;
}

enum ks_status ki_classes_load_string(struct ki_classes *c, const char *text,
				      const char *name, struct ks_err *err)
{
	const char *p = text;
	unsigned line = 0;
	enum ks_status st = KS_OK;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n'), *e, *s = p;

		if (nl == NULL)
			nl = p + strlen(p);
		e = nl;
		line++;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s < e && *s != '#') {
			int rc = class_line(c, s, e);

			if (rc != 0 && st == KS_OK)
				st = ks_err_set(err, rc == -2 ? KS_ERR_NOMEM :
						KS_ERR_INVALID, "%s:%u: not "
						"\"config classification: "
						"name,description,priority\"",
						name, line);
		}
		p = *nl ? nl + 1 : nl;
	}
	return st;
}

enum ks_status ki_classes_load(struct ki_classes *c, const char *path,
			       struct ks_err *err)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t n;
	enum ks_status st;

	if (f == NULL)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s", path);
	text = malloc(1u << 20);
	if (text == NULL) {
		fclose(f);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	n = fread(text, 1, (1u << 20) - 1, f);
	if (ferror(f) || !feof(f)) {
		int bad = ferror(f);

		fclose(f);
		free(text);
		return bad ? ks_err_sys(err, KS_ERR_IO, errno,
						  "cannot read %s", path) :
			     ks_err_set(err, KS_ERR_LIMIT, "%s: larger than "
					"1 MiB", path);
	}
	fclose(f);
	text[n] = '\0';
	st = ki_classes_load_string(c, text, path, err);
	free(text);
	return st;
}

/* ---- flowbit names -------------------------------------------------------------- */

struct ki_names {
	char **names;
	size_t n, cap;
	struct ks_u64map map;        /* hash -> chain head index + 1 */
	uint32_t *next;              /* chain links, index + 1 */
};

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return ks_u64map_mix(h) | 1;
}

struct ki_names *ki_names_new(void)
{
	struct ki_names *n = calloc(1, sizeof *n);

	if (n != NULL)
		ks_u64map_init(&n->map, KI_MAX_NAMES);
	return n;
}

void ki_names_free(struct ki_names *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		free(n->names[i]);
	free(n->names);
	free(n->next);
	ks_u64map_free(&n->map);
	free(n);
}

int64_t ki_names_id(struct ki_names *n, const char *name, size_t len)
{
	uint64_t h = name_hash(name, len);
	uintptr_t head = (uintptr_t)ks_u64map_get(&n->map, h);

	for (uintptr_t i = head; i != 0; i = n->next[i - 1])
		if (strlen(n->names[i - 1]) == len &&
		    memcmp(n->names[i - 1], name, len) == 0)
			return (int64_t)(i - 1);
	if (n->n >= KI_MAX_NAMES)
		return -1;
	if (n->n == n->cap) {
		size_t nc = n->cap ? n->cap * 2 : 64;
		char **nn = realloc(n->names, nc * sizeof *nn);
		uint32_t *nx;

		if (nn == NULL)
			return -1;
		n->names = nn;
		nx = realloc(n->next, nc * sizeof *nx);
		if (nx == NULL)
			return -1;
		n->next = nx;
		n->cap = nc;
	}
	n->names[n->n] = strndup(name, len);
	if (n->names[n->n] == NULL)
		return -1;
	n->next[n->n] = (uint32_t)head;
	if (ks_u64map_put(&n->map, h, (void *)(uintptr_t)(n->n + 1)) != 0) {
		free(n->names[n->n]);
		return -1;
	}
	return (int64_t)n->n++;
}

size_t ki_names_count(const struct ki_names *n)
{
	return n->n;
}
