/* kreport: reports, SIEM formats and the relay.  Shared between its files. */
#ifndef KREPORT_H
#define KREPORT_H

#include <stdint.h>

#include "cli/cli.h"
#include "report/conn.h"
#include "report/filter.h"
#include "report/spool.h"
#include "net/policy.h"

#define PROGRAM "kreport"

enum format {
	FMT_NONE,      /* only the relay (and the summary on stderr) */
	FMT_TEXT,
	FMT_JSON,
	FMT_HTML,
	FMT_SARIF,
	FMT_CEF,
	FMT_SYSLOG,
	FMT_EVE,
};

struct opts {
	struct ks_cli cli;
	enum format format;
	int format_set;
	int check_config;
	struct kr_filter filter;
	unsigned long long top, max_rows, max_line, max_message;
	int max_message_set;
	const char *base;
	const char *hostname;
	int facility;
	const char *to;
	struct kr_dest dest;
	const char *spool;
	const char *copy;             /* --copy: the local event log */
	int set_copy;
	int no_relay;                 /* --no-relay: ignore the file's "to" */
	unsigned long long spool_size;
	enum kr_spool_policy spool_full;
	const char *ca, *cert, *key;
	unsigned long long backoff_max_ms, drain_timeout_ms;
	const char *config;
	/* Which settings came from the command line (they win over the
	 * configuration file). */
	int set_to, set_spool, set_spool_size, set_spool_full, set_ca,
	    set_cert, set_key, set_backoff, set_drain, set_facility,
	    set_hostname;
	char **paths;
	int npaths;
	/* The guests' addresses ([vm NAME] address): a network record with
	 * no vm is the guest's whose address it goes to (else comes from). */
	struct kreport_guest {
		const char *name;
		struct kn_cidr *nets;
		size_t nnets;
	} *guests;
	size_t nguests;
};

/* run.c: read, report, relay; returns the exit code. */
int kreport_run(struct opts *o);

/* The default spool directory (root: /var/spool/ksvm/kreport). */
#define KREPORT_SPOOL_DIR "/var/spool/ksvm/kreport"

#endif
