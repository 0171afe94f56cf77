#include "report/severity.h"

#include <strings.h>

/* The table of severity.h, one row per level, in the order of the enum. */
static const struct {
	const char *name;
	int syslog;
	int cef;
	const char *sarif;
	const char *secsev;
} table[KR_SEV_COUNT] = {
	{ "info",     6, 1,  "none",    "0.0" },
	{ "low",      5, 3,  "note",    "3.0" },
	{ "medium",   4, 5,  "warning", "5.5" },
	{ "high",     3, 8,  "error",   "8.0" },
	{ "critical", 2, 10, "error",   "9.5" },
};

static unsigned idx(enum kr_sev s)
{
	return (unsigned)s < KR_SEV_COUNT ? (unsigned)s : 0;
}

const char *kr_sev_name(enum kr_sev s)
{
	return table[idx(s)].name;
}

int kr_sev_parse(const char *name, enum kr_sev *out)
{
	for (unsigned i = 0; i < KR_SEV_COUNT; i++) {
		if (strcasecmp(name, table[i].name) == 0) {
			*out = (enum kr_sev)i;
			return 0;
		}
	}
	return -1;
}

int kr_sev_syslog(enum kr_sev s)
{
	return table[idx(s)].syslog;
}

int kr_sev_cef(enum kr_sev s)
{
	return table[idx(s)].cef;
}

const char *kr_sev_sarif(enum kr_sev s)
{
	return table[idx(s)].sarif;
}

const char *kr_sev_security_severity(enum kr_sev s)
{
	return table[idx(s)].secsev;
}

enum kr_sev kr_sev_from_suricata(long long severity)
{
	if (severity == 1)
		return KR_SEV_HIGH;
	if (severity == 2)
		return KR_SEV_MEDIUM;
	if (severity == 3)
		return KR_SEV_LOW;
	/* 4 and up are informational signatures; 0 and negative numbers
	 * are not Suricata's, and are taken as the default (3). */
	return severity >= 4 ? KR_SEV_INFO : KR_SEV_LOW;
}
