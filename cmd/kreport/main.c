/*
 * kreport: reports for people and systems, and the relay of events to the
 * administration server.  Options and configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/exitcode.h"
#include "kreport.h"
#include "report/syslog.h"

enum {
	OPT_VM = 256, OPT_SINCE, OPT_UNTIL, OPT_DETECTIONS_ONLY, OPT_TOP,
	OPT_MAX_ROWS, OPT_BASE, OPT_HOSTNAME, OPT_FACILITY, OPT_MAX_MESSAGE,
	OPT_MAX_LINE, OPT_TO, OPT_SPOOL, OPT_SPOOL_SIZE, OPT_SPOOL_FULL,
	OPT_CA, OPT_CERT, OPT_KEY, OPT_BACKOFF_MAX, OPT_DRAIN_TIMEOUT,
	OPT_CONFIG, OPT_CHECK_CONFIG, OPT_COPY, OPT_NO_RELAY,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Output:", 1 },
	{ "format", 'f', "FORMAT", 0, "text (default), json, html, sarif, cef, syslog or eve", 1 },
	{ "top", OPT_TOP, "N", 0, "Rows in the top threats and signatures (default 10)", 1 },
	{ "max-rows", OPT_MAX_ROWS, "N", 0, "Detections listed in the HTML and SARIF reports (default 100000)", 1 },
	{ "base", OPT_BASE, "DIR", 0, "SARIF: make file locations relative to DIR (the repository)", 1 },
	{ "hostname", OPT_HOSTNAME, "NAME", 0, "The SVM's name in syslog and CEF (default: this host's name)", 1 },
	{ "facility", OPT_FACILITY, "NAME", 0, "Syslog facility (default local0)", 1 },
	{ "max-message", OPT_MAX_MESSAGE, "SIZE", 0, "Largest syslog message (default 2K over UDP, else 8K)", 1 },

	{ NULL, 0, NULL, 0, "Filters:", 2 },
	{ "type", 't', "TYPE[,TYPE]", 0, "Only these event types (repeatable)", 2 },
	{ "vm", OPT_VM, "NAME", 0, "Only records of this VM (repeatable; empty: records without one)", 2 },
	{ "min-severity", 's', "LEVEL", 0, "Only events of this severity or above: info, low, medium, high, critical", 2 },
	{ "since", OPT_SINCE, "TIME", 0, "Only events at or after TIME (2026-11-26, 2026-11-26T09:00, @EPOCH, -2h)", 2 },
	{ "until", OPT_UNTIL, "TIME", 0, "Only events before TIME", 2 },
	{ "detections-only", OPT_DETECTIONS_ONLY, NULL, 0, "Only detections (infected files, alerts, bad addresses, denied access)", 2 },

	{ NULL, 0, NULL, 0, "Relay to a syslog server:", 3 },
	{ "to", OPT_TO, "URL", 0, "Send every event to syslog://HOST[:PORT] (UDP), tcp://, tls:// or unix:PATH", 3 },
	{ "spool", OPT_SPOOL, "DIR", 0, "The on-disk spool (default " KREPORT_SPOOL_DIR " as root, else $XDG_STATE_HOME/ksvm/kreport-spool)", 3 },
	{ "spool-size", OPT_SPOOL_SIZE, "SIZE", 0, "Largest spool (default 100M)", 3 },
	{ "spool-full", OPT_SPOOL_FULL, "POLICY", 0, "When the spool is full: block (hold the input, default) or drop-oldest", 3 },
	{ "ca", OPT_CA, "FILE", 0, "TLS: the CA certificates that sign the server's (default: the system's)", 3 },
	{ "cert", OPT_CERT, "FILE", 0, "TLS: this client's certificate (PEM)", 3 },
	{ "key", OPT_KEY, "FILE", 0, "TLS: this client's private key (PEM)", 3 },
	{ "backoff-max", OPT_BACKOFF_MAX, "DURATION", 0, "Longest wait between reconnections (default 30s)", 3 },
	{ "drain-timeout", OPT_DRAIN_TIMEOUT, "DURATION", 0, "At the end or on SIGTERM, how long to go on delivering (default 10s)", 3 },

	{ NULL, 0, NULL, 0, "Input and settings:", 4 },
	{ "max-line", OPT_MAX_LINE, "SIZE", 0, "Longest input line (default 1M)", 4 },
	{ "copy", OPT_COPY, "FILE", 0, "Also append every record read to FILE (the local event log), whatever the filters and the format", 4 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read the [kreport] settings from FILE (ksvm.conf)", 4 },
	{ "check-config", OPT_CHECK_CONFIG, NULL, 0, "Check the settings and the TLS files, say what is wrong, and exit (nothing is read or sent)", 4 },
	{ "no-relay", OPT_NO_RELAY, NULL, 0, "Leave the configuration's relay settings alone: write the report only (a report of the event log the relay already sent)", 4 },
	{ 0 }
};

static const struct {
	const char *name;
	enum format f;
} formats[] = {
	{ "text", FMT_TEXT }, { "json", FMT_JSON }, { "html", FMT_HTML },
	{ "sarif", FMT_SARIF }, { "cef", FMT_CEF }, { "syslog", FMT_SYSLOG },
	{ "eve", FMT_EVE },
};

static unsigned long long num(struct argp_state *state, const char *opt,
			      const char *arg, unsigned long long min,
			      unsigned long long max)
{
	unsigned long long v;

	if (ks_cli_parse_uint(arg, min, max, &v) != 0)
		argp_error(state, "%s wants a number from %llu to %llu, not '%s'",
			   opt, min, max, arg);
	return v;
}

static unsigned long long size(struct argp_state *state, const char *opt,
			       const char *arg, unsigned long long min,
			       unsigned long long max)
{
	unsigned long long v;

	if (ks_cli_parse_size(arg, &v) != 0 || v < min || v > max)
		argp_error(state, "%s wants a size from %llu to %llu bytes "
			   "(such as 8K or 100M), not '%s'", opt, min, max, arg);
	return v;
}

static unsigned long long duration(struct argp_state *state, const char *opt,
				   const char *arg)
{
	unsigned long long v;

	if (ks_cli_parse_duration(arg, &v) != 0 || v > 86400000ull)
		argp_error(state, "%s wants a duration such as 500ms, 10s or "
			   "5m (at most a day), not '%s'", opt, arg);
	return v;
}

static void time_arg(struct argp_state *state, const char *opt,
		     const char *arg, struct ks_time *t)
{
	if (kr_time_arg(arg, ks_time_now(), t) != 0)
		argp_error(state, "%s wants a time such as 2026-11-26, "
			   "2026-11-26T09:00, 2026-11-26T09:00:00.000000+0000, "
			   "@1795683804 or -2h, not '%s'", opt, arg);
}

static int parse_policy(const char *s, enum kr_spool_policy *p)
{
	if (strcmp(s, "block") == 0)
		*p = KR_SPOOL_BLOCK;
	else if (strcmp(s, "drop-oldest") == 0)
		*p = KR_SPOOL_DROP_OLDEST;
	else
		return -1;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	struct ks_err err;
	size_t i;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case 'f':
		for (i = 0; i < sizeof formats / sizeof formats[0]; i++)
			if (strcmp(arg, formats[i].name) == 0)
				break;
		if (i == sizeof formats / sizeof formats[0])
			argp_error(state, "unknown format '%s' (text, json, html, "
				   "sarif, cef, syslog, eve)", arg);
		o->format = formats[i].f;
		o->format_set = 1;
		break;
	case OPT_TOP: o->top = num(state, "--top", arg, 1, 1000); break;
	case OPT_MAX_ROWS:
		o->max_rows = num(state, "--max-rows", arg, 1, 100000000);
		break;
	case OPT_BASE: o->base = arg; break;
	case OPT_HOSTNAME:
		if (arg[0] == '\0')
			argp_error(state, "--hostname needs a name");
		o->hostname = arg;
		o->set_hostname = 1;
		break;
	case OPT_FACILITY:
		if (kr_syslog_facility(arg, &o->facility) != 0)
			argp_error(state, "unknown facility '%s' (kern, user, "
				   "daemon, auth, authpriv, local0 .. local7, "
				   "or 0 to 23)", arg);
		o->set_facility = 1;
		break;
	case OPT_MAX_MESSAGE:
		o->max_message = size(state, "--max-message", arg,
				      KR_SYSLOG_MIN_MAX, 65000);
		o->max_message_set = 1;
		break;
	case 't':
		if (kr_filter_add_types(&o->filter, arg) != 0)
			argp_failure(state, KS_EXIT_FAIL, 0, "out of memory");
		break;
	case OPT_VM:
		if (kr_filter_add_vm(&o->filter, arg) != 0)
			argp_failure(state, KS_EXIT_FAIL, 0, "out of memory");
		break;
	case 's':
		if (kr_sev_parse(arg, &o->filter.min_sev) != 0)
			argp_error(state, "unknown severity '%s' (info, low, "
				   "medium, high, critical)", arg);
		break;
	case OPT_SINCE:
		time_arg(state, "--since", arg, &o->filter.since);
		o->filter.have_since = 1;
		break;
	case OPT_UNTIL:
		time_arg(state, "--until", arg, &o->filter.until);
		o->filter.have_until = 1;
		break;
	case OPT_DETECTIONS_ONLY: o->filter.detections_only = 1; break;
	case OPT_TO:
		if (kr_dest_parse(arg, &o->dest, &err) != 0)
			argp_error(state, "--to: %s", err.msg);
		o->to = arg;
		o->set_to = 1;
		break;
	case OPT_SPOOL:
		if (arg[0] == '\0')
			argp_error(state, "--spool needs a directory");
		o->spool = arg;
		o->set_spool = 1;
		break;
	case OPT_SPOOL_SIZE:
		o->spool_size = size(state, "--spool-size", arg,
				     KR_SPOOL_MIN_BYTES, 1ull << 40);
		o->set_spool_size = 1;
		break;
	case OPT_SPOOL_FULL:
		if (parse_policy(arg, &o->spool_full) != 0)
			argp_error(state, "--spool-full wants block or "
				   "drop-oldest, not '%s'", arg);
		o->set_spool_full = 1;
		break;
	case OPT_CA: o->ca = arg; o->set_ca = 1; break;
	case OPT_CERT: o->cert = arg; o->set_cert = 1; break;
	case OPT_KEY: o->key = arg; o->set_key = 1; break;
	case OPT_BACKOFF_MAX:
		o->backoff_max_ms = duration(state, "--backoff-max", arg);
		if (o->backoff_max_ms < 100)
			argp_error(state, "--backoff-max must be at least 100ms");
		o->set_backoff = 1;
		break;
	case OPT_DRAIN_TIMEOUT:
		o->drain_timeout_ms = duration(state, "--drain-timeout", arg);
		o->set_drain = 1;
		break;
	case OPT_MAX_LINE:
		o->max_line = size(state, "--max-line", arg, 256, 64u << 20);
		break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_CHECK_CONFIG: o->check_config = 1; break;
	case OPT_COPY: o->copy = arg; o->set_copy = 1; break;
	case OPT_NO_RELAY: o->no_relay = 1; break;
	case ARGP_KEY_ARGS:
		o->paths = state->argv + state->next;
		o->npaths = state->argc - state->next;
		break;
	case ARGP_KEY_END:
		if (o->filter.have_since && o->filter.have_until &&
		    (o->filter.until.sec < o->filter.since.sec ||
		     (o->filter.until.sec == o->filter.since.sec &&
		      o->filter.until.usec <= o->filter.since.usec)))
			argp_error(state, "--until must come after --since");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &ks_cli_common_argp, 0, NULL, 5 },
	{ 0 }
};

static const char doc[] =
	"Read the JSON Lines records of the ksvm tools and turn them into "
	"reports (a text or JSON summary, an HTML report, SARIF for CI), "
	"lines for other systems (CEF, RFC 5424 syslog, EVE), and relay them "
	"to a syslog server without losing any.\v"
	"FILE is a JSON Lines file, a FIFO or - for stdin (the default); "
	"files are read in order, streams as their data arrives.  With --to "
	"and no --format, the events are only relayed.\n\n"
	"Exit status: 0 nothing found; 1 the records (after the filters) hold "
	"a detection: an infected file, an alert, a malicious or phishing "
	"address, an access denied for a detection (also when something "
	"failed); 2 an input could not be read, a line was malformed, an "
	"output failed, or the relay left events undelivered (they stay in "
	"the spool), or a usage error.";

static const struct argp argp = {
	options, parse_opt, "[FILE...]", doc, children, NULL, NULL
};

/* ---- configuration file --------------------------------------------------- */

static const char *conf_str(struct ks_conf *c, const char *key, int cli_set,
			    const char *cli)
{
	struct ks_conf_item *it = ks_conf_get(c, "kreport", key);

	return cli_set || it == NULL ? cli : it->value;
}

struct guest_ctx {
	struct opts *o;
	struct ks_conf *c;
};

/* [vm NAME] address: the guest's addresses and subnets (kgi-relay reads
 * the rest of the section). */
static void guest_section(void *ctx, const char *section, unsigned line)
{
	struct guest_ctx *g = ctx;
	struct ks_conf_item *it = ks_conf_get(g->c, section, "address");
	struct kreport_guest *ng;
	struct kn_cidr *nets;
	size_t n;
	char bad[64];

	(void)line;
	if (it == NULL)
		return;
	if (kn_cidr_list_parse(it->value, &nets, &n, bad, sizeof bad) != 0) {
		ks_conf_error(g->c, it->line, "[%s] address: '%s' is not an "
			      "address or a subnet", section, bad);
		return;
	}
	ng = realloc(g->o->guests, (g->o->nguests + 1) * sizeof *ng);
	if (ng == NULL) {
		free(nets);
		return;
	}
	g->o->guests = ng;
	ng[g->o->nguests].name = section + strlen("vm ");
	ng[g->o->nguests].nets = nets;
	ng[g->o->nguests].nnets = n;
	g->o->nguests++;
}

static void guests_free(struct opts *o)
{
	for (size_t i = 0; i < o->nguests; i++)
		free(o->guests[i].nets);
	free(o->guests);
	o->guests = NULL;
	o->nguests = 0;
}

static int load_config(struct opts *o, struct ks_conf *c)
{
	struct ks_err err;
	struct ks_conf_item *it;
	unsigned long long v;

	if (ks_conf_load(c, o->config, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return -1;
	}
	it = ks_conf_get(c, "kreport", "to");
	if (it != NULL && !o->set_to && !o->no_relay) {
		if (kr_dest_parse(it->value, &o->dest, &err) != 0)
			ks_conf_error(c, it->line, "to: %s", err.msg);
		else
			o->to = it->value;
	}
	o->spool = conf_str(c, "spool", o->set_spool, o->spool);
	o->copy = conf_str(c, "copy", o->set_copy, o->copy);
	o->ca = conf_str(c, "ca", o->set_ca, o->ca);
	o->cert = conf_str(c, "cert", o->set_cert, o->cert);
	o->key = conf_str(c, "key", o->set_key, o->key);
	o->hostname = conf_str(c, "hostname", o->set_hostname, o->hostname);
	it = ks_conf_get(c, "kreport", "spool_size");
	if (it != NULL && (ks_cli_parse_size(it->value, &v) != 0 ||
			   v < KR_SPOOL_MIN_BYTES))
		ks_conf_error(c, it->line, "spool_size: wants a size of at "
			      "least 256K");
	else if (it != NULL && !o->set_spool_size)
		o->spool_size = v;
	it = ks_conf_get(c, "kreport", "spool_full");
	if (it != NULL) {
		enum kr_spool_policy p;

		if (parse_policy(it->value, &p) != 0)
			ks_conf_error(c, it->line, "spool_full: wants block or "
				      "drop-oldest");
		else if (!o->set_spool_full)
			o->spool_full = p;
	}
	it = ks_conf_get(c, "kreport", "facility");
	if (it != NULL) {
		int f;

		if (kr_syslog_facility(it->value, &f) != 0)
			ks_conf_error(c, it->line, "facility: unknown '%s'",
				      it->value);
		else if (!o->set_facility)
			o->facility = f;
	}
	it = ks_conf_get(c, "kreport", "backoff_max");
	if (it != NULL && (ks_cli_parse_duration(it->value, &v) != 0 ||
			   v < 100))
		ks_conf_error(c, it->line, "backoff_max: wants a duration of "
			      "at least 100ms");
	else if (it != NULL && !o->set_backoff)
		o->backoff_max_ms = v;
	it = ks_conf_get(c, "kreport", "drain_timeout");
	if (it != NULL && ks_cli_parse_duration(it->value, &v) != 0)
		ks_conf_error(c, it->line, "drain_timeout: wants a duration");
	else if (it != NULL && !o->set_drain)
		o->drain_timeout_ms = v;
	{
		struct guest_ctx g = { o, c };

		ks_conf_sections(c, "vm ", guest_section, &g);
	}
	ks_conf_check_unused(c, "kreport");
	if (c->nerr > 0) {
		ks_conf_print_errors(c, stderr);
		fprintf(stderr, "%s: %s has errors; nothing was read\n", PROGRAM,
			c->path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct ks_conf conf;
	int rc;

	memset(&o, 0, sizeof o);
	kr_filter_init(&o.filter);
	o.format = FMT_TEXT;
	o.facility = 16;   /* local0 */
	o.spool_size = 100u << 20;
	o.spool_full = KR_SPOOL_BLOCK;
	o.backoff_max_ms = 30000;
	o.drain_timeout_ms = 10000;
	ks_cli_init(&o.cli, PROGRAM);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	ks_conf_init(&conf);
	if (o.config != NULL && load_config(&o, &conf) != 0) {
		ks_conf_free(&conf);
		kr_filter_free(&o.filter);
		guests_free(&o);
		return KS_EXIT_FAIL;
	}
	if (o.to != NULL && !o.format_set)
		o.format = FMT_NONE;
	if ((o.cert != NULL || o.key != NULL || o.ca != NULL) &&
	    (o.to == NULL || o.dest.proto != KR_PROTO_TLS)) {
		fprintf(stderr, "%s: --ca, --cert and --key are for a tls:// "
			"destination\n", PROGRAM);
		ks_conf_free(&conf);
		kr_filter_free(&o.filter);
		guests_free(&o);
		return KS_EXIT_FAIL;
	}
	if (o.check_config) {
		const char *files[] = { o.ca, o.cert, o.key };

		rc = KS_EXIT_CLEAN;
		for (size_t i = 0; i < 3; i++) {
			if (files[i] != NULL && access(files[i], R_OK) != 0) {
				fprintf(stderr, "%s: cannot read %s: %s\n", PROGRAM,
					files[i], strerror(errno));
				rc = KS_EXIT_FAIL;
			}
		}
		if (rc == KS_EXIT_CLEAN && o.cli.verbosity >= 0)
			fprintf(stderr, "%s: settings%s%s: valid\n", PROGRAM,
				o.config ? " of " : "", o.config ? o.config : "");
		ks_conf_free(&conf);
		kr_filter_free(&o.filter);
		guests_free(&o);
		return rc;
	}
	rc = kreport_run(&o);
	ks_conf_free(&conf);
	kr_filter_free(&o.filter);
	guests_free(&o);
	return rc;
}
