/*
 * One severity scale for every event and one table that maps it to each
 * output format, so that a record is as serious in the text summary as in
 * CEF, syslog, SARIF and the HTML report (kreport(1), SEVERITY).
 *
 *   kreport    syslog (RFC 5424)   CEF   SARIF level  security-severity
 *   critical   2 Critical          10    error        9.5
 *   high       3 Error              8    error        8.0
 *   medium     4 Warning            5    warning      5.5
 *   low        5 Notice             3    note         3.0
 *   info       6 Informational      1    none         0.0
 *
 * CEF's 0-10 bands (0-3 low, 4-6 medium, 7-8 high, 9-10 very high) and
 * GitHub's security-severity bands (0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9
 * high, 9.0 and up critical) put each level in the band of its name.
 *
 * How a record gets its level is in kr_event_classify (event.c).
 */
#ifndef KR_SEVERITY_H
#define KR_SEVERITY_H

enum kr_sev {
	KR_SEV_INFO = 0,
	KR_SEV_LOW,
	KR_SEV_MEDIUM,
	KR_SEV_HIGH,
	KR_SEV_CRITICAL,
};

#define KR_SEV_COUNT 5

/* "info", "low", "medium", "high", "critical". */
const char *kr_sev_name(enum kr_sev s);

/* Parse a name (any case); 0 or -1. */
int kr_sev_parse(const char *name, enum kr_sev *out);

/* RFC 5424 section 6.2.1 severity code (0 Emergency .. 7 Debug). */
int kr_sev_syslog(enum kr_sev s);

/* ArcSight CEF header Severity, 0..10. */
int kr_sev_cef(enum kr_sev s);

/* SARIF 2.1.0 result level (3.27.10): "error", "warning", "note", "none". */
const char *kr_sev_sarif(enum kr_sev s);

/* GitHub code scanning's security-severity property, as a string. */
const char *kr_sev_security_severity(enum kr_sev s);

/* Suricata's alert.severity (1 highest, 3 lowest by convention; larger
 * numbers are informational) to the scale. */
enum kr_sev kr_sev_from_suricata(long long severity);

#endif
