/*
 * knetscan: network threat detection on captures and live traffic.
 * Options, configuration, the capture loop and the exit code.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sig.h"
#include "conf/conf.h"
#include "core/exitcode.h"
#include "core/out.h"
#include "json/writer.h"
#include "net/cap.h"
#include "net/engine.h"
#include "net/pkt.h"
#include "url/db.h"

#include "ids.h"

#define PROGRAM "knetscan"
#define MAX_INPUTS 100000

struct opts {
	struct ks_cli cli;
	char **inputs;
	size_t ninputs, capinputs;
	const char *iface, *filter, *user, *write_to, *config, *url_db;
	char bridge[2][IF_NAMESIZE];  /* --bridge IF1,IF2, or "" */
	unsigned long long snaplen;
	int no_promisc, set_snaplen;
	int check_config;
	struct kn_engine_conf ec;
	int set_mode, set_events, set_block, set_strict, set_rate, set_flows,
	    set_stream, set_defrag, set_url_db;
	int set_action[KN_CLASS_COUNT];
	int set_threshold[KN_AT_COUNT];
};

enum {
	OPT_MODE = 256, OPT_EVENTS, OPT_STRICT, OPT_ACTION, OPT_BLOCK_TIME,
	OPT_EXCLUDE, OPT_THRESHOLD, OPT_CONFIG, OPT_NO_PROMISC, OPT_MAX_FLOWS,
	OPT_STREAM_MEM, OPT_DEFRAG_MEM, OPT_ANOMALY_RATE, OPT_CHECK_CONFIG,
	OPT_URL_DB, OPT_BRIDGE,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Input:", 1 },
	{ "read", 'r', "FILE", 0, "A pcap or pcapng file, a directory of them, or - for a pcap stream on stdin (repeatable; also as arguments)", 1 },
	{ "interface", 'i', "IF", 0, "Capture live on the interface IF", 1 },
	{ "bridge", OPT_BRIDGE, "IF1,IF2", 0, "Bridge two Ethernet interfaces: capture on both and send each frame that passes out of the other (monitoring mode: every frame)", 1 },
	{ "filter", 'f', "BPF", 0, "Only packets the BPF expression accepts", 1 },
	{ "user", 'Z', "USER", 0, "After opening the interface (or both, with --bridge), become USER before decoding anything", 1 },
	{ "snaplen", 's', "BYTES", 0, "Live capture: bytes kept of each packet (default 262144)", 1 },
	{ "no-promisc", OPT_NO_PROMISC, NULL, 0, "Live capture: do not put the interface in promiscuous mode", 1 },
	{ NULL, 0, NULL, 0, "Policy:", 2 },
	{ "mode", OPT_MODE, "MODE", 0, "standard (inline: drop what the policy blocks) or monitoring (report only; the default)", 2 },
	{ "write", 'w', "FILE", 0, "Write the packets that pass (standard) or a byte-identical copy of the input (monitoring) to FILE, - for stdout", 2 },
	{ "action", OPT_ACTION, "CLASS=ACTION", 0, "allow, drop or block for a detection class (repeatable; see knetscan(1))", 2 },
	{ "block-time", OPT_BLOCK_TIME, "TIME", 0, "How long a blocked source stays blocked (default 60m)", 2 },
	{ "url-db", OPT_URL_DB, "FILE", 0, "Check the web addresses of HTTP requests, TLS SNI and DNS queries against this kurlcheck database (kurlcheck compile); a malicious or phishing one is a url finding (SIGHUP reloads it)", 2 },
	{ "exclude", OPT_EXCLUDE, "CIDR", 0, "Never drop or block this address or subnet (repeatable)", 2 },
	{ "threshold", OPT_THRESHOLD, "CLASS=N/TIME", 0, "Detect CLASS at N events within TIME (repeatable)", 2 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read the [knetscan] section of FILE (ksvm.conf)", 2 },
	{ "check-config", OPT_CHECK_CONFIG, NULL, 0, "Check the settings, say what is wrong, and exit (no packet is read)", 2 },
	{ NULL, 0, NULL, 0, "Output:", 3 },
	{ "events", OPT_EVENTS, "LIST", 0, "Record types: alert,anomaly,http,dns,tls,flow,stats or all (default all but flow)", 3 },
	{ "eve-strict", OPT_STRICT, NULL, 0, "Only members of Suricata's EVE schema", 3 },
	{ "anomaly-rate", OPT_ANOMALY_RATE, "N", 0, "Anomaly records per event name per minute (default 100; 0: no cap)", 3 },
	{ NULL, 0, NULL, 0, "Limits:", 4 },
	{ "max-flows", OPT_MAX_FLOWS, "N", 0, "Flows tracked at once (default 65536)", 4 },
	{ "stream-mem", OPT_STREAM_MEM, "SIZE", 0, "Out-of-order TCP bytes held in all (default 64M)", 4 },
	{ "defrag-mem", OPT_DEFRAG_MEM, "SIZE", 0, "Fragment bytes held in all (default 32M)", 4 },
	{ 0 }
};

static void add_input(struct argp_state *state, struct opts *o, const char *s)
{
	if (o->ninputs >= MAX_INPUTS)
		argp_error(state, "too many inputs");
	if (o->ninputs == o->capinputs) {
		size_t n = o->capinputs ? o->capinputs * 2 : 8;
		char **v = realloc(o->inputs, n * sizeof *v);

		if (v == NULL)
			argp_failure(state, KS_EXIT_FAIL, ENOMEM, "out of memory");
		o->inputs = v;
		o->capinputs = n;
	}
	o->inputs[o->ninputs++] = strdup(s);
}

/* "IF1,IF2": two different interface names. */
static int parse_bridge(const char *arg, char out[2][IF_NAMESIZE])
{
	const char *comma = strchr(arg, ',');
	size_t n1, n2;

	if (comma == NULL || strchr(comma + 1, ',') != NULL)
		return -1;
	n1 = (size_t)(comma - arg);
	n2 = strlen(comma + 1);
	if (n1 == 0 || n2 == 0 || n1 >= IF_NAMESIZE || n2 >= IF_NAMESIZE ||
	    (n1 == n2 && memcmp(arg, comma + 1, n1) == 0))
		return -1;
	memcpy(out[0], arg, n1);
	out[0][n1] = '\0';
	memcpy(out[1], comma + 1, n2 + 1);
	return 0;
}

/* CLASS=ACTION into pc; set (when not NULL) records the classes given;
 * "all" leaves the classes that keep (when not NULL) marks alone. */
static int parse_action(const char *arg, struct kn_policy_conf *pc,
			int *set, const int *keep, struct ks_err *err)
{
	const char *eq = strchr(arg, '=');
	char cls[64];
	int c, a;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof cls) {
		ks_err_set(err, KS_ERR_USAGE, "wants CLASS=ACTION, not '%s'", arg);
		return -1;
	}
	memcpy(cls, arg, (size_t)(eq - arg));
	cls[eq - arg] = '\0';
	a = kn_action_parse(eq + 1);
	if (a < 0) {
		ks_err_set(err, KS_ERR_USAGE, "unknown action '%s' (allow, drop, "
			   "block)", eq + 1);
		return -1;
	}
	/* The classes knetscan detects: the attacks, web addresses (with
	 * --url-db) and intrusion signatures (with --rules); "all" is the
	 * attacks and web addresses. */
	if (strcmp(cls, "all") == 0) {
		for (c = 0; c < KN_CLASS_COUNT; c++) {
			if (c == KN_CLASS_SIGNATURE || (keep != NULL && keep[c]))
				continue;
			pc->action[c] = (enum kn_action)a;
			if (set)
				set[c] = 1;
		}
		return 0;
	}
	c = kn_class_parse(cls);
	if (c < 0) {
		ks_err_set(err, KS_ERR_USAGE, "unknown detection class '%s' "
			   "(knetscan --help lists them)", cls);
		return -1;
	}
	pc->action[c] = (enum kn_action)a;
	if (set)
		set[c] = 1;
	return 0;
}

static int parse_threshold(const char *arg, struct kn_det_conf *dc, int *set,
			   struct ks_err *err)
{
	const char *eq = strchr(arg, '='), *slash;
	char cls[64], num[32];
	unsigned long long n, ms;
	int c;

	slash = eq ? strchr(eq, '/') : NULL;
	if (eq == NULL || slash == NULL || (size_t)(eq - arg) >= sizeof cls ||
	    (size_t)(slash - eq - 1) >= sizeof num) {
		ks_err_set(err, KS_ERR_USAGE, "wants CLASS=N/TIME, not '%s'", arg);
		return -1;
	}
	memcpy(cls, arg, (size_t)(eq - arg));
	cls[eq - arg] = '\0';
	memcpy(num, eq + 1, (size_t)(slash - eq - 1));
	num[slash - eq - 1] = '\0';
	c = kn_attack_parse(cls);
	if (c < 0) {
		ks_err_set(err, KS_ERR_USAGE, "unknown attack class '%s'", cls);
		return -1;
	}
	if (ks_cli_parse_uint(num, 1, 1000000000, &n) != 0 ||
	    ks_cli_parse_duration(slash + 1, &ms) != 0 || ms == 0) {
		ks_err_set(err, KS_ERR_USAGE, "'%s': N is a count and TIME a "
			   "time such as 10s", arg);
		return -1;
	}
	dc->th[c].count = n;
	dc->th[c].window_us = ms * 1000;
	if (set)
		set[c] = 1;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	struct ks_err err;
	unsigned long long v;
	struct kn_cidr cidr;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case 'r': add_input(state, o, arg); break;
	case 'i': o->iface = arg; break;
	case OPT_BRIDGE:
		if (parse_bridge(arg, o->bridge) != 0)
			argp_error(state, "--bridge wants two different interfaces "
				   "IF1,IF2 (names of at most %d bytes), not '%s'",
				   IF_NAMESIZE - 1, arg);
		break;
	case 'f': o->filter = arg; break;
	case 'Z': o->user = arg; break;
	case 's':
		if (ks_cli_parse_uint(arg, 64, 262144, &v) != 0)
			argp_error(state, "--snaplen wants 64 to 262144");
		o->snaplen = v;
		o->set_snaplen = 1;
		break;
	case OPT_NO_PROMISC: o->no_promisc = 1; break;
	case OPT_MODE:
		if (strcmp(arg, "standard") == 0)
			o->ec.policy.monitoring = 0;
		else if (strcmp(arg, "monitoring") == 0)
			o->ec.policy.monitoring = 1;
		else
			argp_error(state, "--mode is standard or monitoring");
		o->set_mode = 1;
		break;
	case 'w': o->write_to = arg; break;
	case OPT_ACTION:
		if (parse_action(arg, &o->ec.policy, o->set_action, NULL, &err) != 0)
			argp_error(state, "--action: %s", err.msg);
		break;
	case OPT_BLOCK_TIME:
		if (ks_cli_parse_duration(arg, &v) != 0 || v == 0)
			argp_error(state, "--block-time wants a time such as 60m");
		o->ec.policy.block_us = v * 1000;
		o->set_block = 1;
		break;
	case OPT_EXCLUDE:
		if (kn_cidr_parse(arg, &cidr) != 0)
			argp_error(state, "--exclude wants an address or a subnet, "
				   "not '%s'", arg);
		if (o->ec.policy.nexclude >= KN_POLICY_MAX_EXCLUDE)
			argp_error(state, "too many --exclude");
		o->ec.policy.exclude[o->ec.policy.nexclude++] = cidr;
		break;
	case OPT_THRESHOLD:
		if (parse_threshold(arg, &o->ec.det, o->set_threshold, &err) != 0)
			argp_error(state, "--threshold: %s", err.msg);
		break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_URL_DB: o->url_db = arg; o->set_url_db = 1; break;
	case OPT_CHECK_CONFIG: o->check_config = 1; break;
	case OPT_EVENTS:
		if (kn_events_parse(arg, &o->ec.events, &err) != 0)
			argp_error(state, "--events: %s", err.msg);
		o->set_events = 1;
		break;
	case OPT_STRICT: o->ec.strict = 1; o->set_strict = 1; break;
	case OPT_ANOMALY_RATE:
		if (ks_cli_parse_uint(arg, 0, 1000000000, &v) != 0)
			argp_error(state, "--anomaly-rate wants a number");
		o->ec.anomaly_per_minute = v;
		o->set_rate = 1;
		break;
	case OPT_MAX_FLOWS:
		if (ks_cli_parse_uint(arg, 16, 100000000, &v) != 0)
			argp_error(state, "--max-flows wants 16 to 100000000");
		o->ec.flow.max_flows = v;
		o->set_flows = 1;
		break;
	case OPT_STREAM_MEM:
		if (ks_cli_parse_size(arg, &v) != 0)
			argp_error(state, "--stream-mem wants a size such as 64M");
		o->ec.flow.stream_mem = v;
		o->set_stream = 1;
		break;
	case OPT_DEFRAG_MEM:
		if (ks_cli_parse_size(arg, &v) != 0)
			argp_error(state, "--defrag-mem wants a size such as 32M");
		o->ec.defrag.max_mem = v;
		o->set_defrag = 1;
		break;
	case ARGP_KEY_ARG:
		add_input(state, o, arg);
		break;
	case ARGP_KEY_END:
		if (o->iface != NULL && o->ninputs > 0)
			argp_error(state, "read files or capture live, not both");
		if (o->bridge[0][0] != '\0') {
			if (o->iface != NULL || o->ninputs > 0)
				argp_error(state, "--bridge captures on its own two "
					   "interfaces: not with -i or -r");
			/* A port must see every frame, whole, or what it does
			 * not see is silently not forwarded. */
			if (o->filter != NULL || o->set_snaplen || o->no_promisc)
				argp_error(state, "--bridge forwards every whole "
					   "frame: not with -f, -s or --no-promisc");
		}
		if (o->check_config || knids.report)
			break;
		if (o->iface == NULL && o->ninputs == 0 && o->bridge[0][0] == '\0')
			argp_error(state, "nothing to read: give capture files, "
				   "-r - for stdin, -i IF or --bridge IF1,IF2");
		if (o->user != NULL && o->iface == NULL && o->bridge[0][0] == '\0')
			argp_error(state, "-Z goes with a live capture (-i or "
				   "--bridge)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &ks_cli_common_argp, 0, NULL, 5 },
	{ &knids_argp, 0, NULL, 3 },
	{ 0 }
};

static const char doc[] =
	"Detect network attacks and extract web addresses from captures or "
	"live traffic; in standard mode, drop what the policy blocks.  "
	"Suricata EVE records on stdout.\v"
	"Detection classes: tcp-portscan, udp-portscan, stealth-scan, "
	"host-sweep, syn-flood, udp-flood, icmp-flood, land, ping-of-death, "
	"teardrop, tiny-fragment, bad-tcp-flags, source-route, arp-spoof, "
	"url (a listed web address, with --url-db) (or all of these, for "
	"--action), and signature (--rules).  See knetscan(1) for the default thresholds "
	"and actions.\n\n"
	"Exit status: 0 no alert, 1 an alert, 2 an input failed and no alert, "
	"or a usage error.";

static const struct argp argp = {
	options, parse_opt, "[FILE...]", doc, children, NULL, NULL
};

/* ---- configuration --------------------------------------------------------- */

static int load_config(struct opts *o, struct ks_conf *c)
{
	struct ks_err err;
	struct ks_conf_item *it;
	unsigned long long v;

	if (ks_conf_load(c, o->config, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return -1;
	}
	if ((it = ks_conf_get(c, "knetscan", "mode")) && !o->set_mode) {
		if (strcmp(it->value, "monitoring") == 0)
			o->ec.policy.monitoring = 1;
		else if (strcmp(it->value, "standard") == 0)
			o->ec.policy.monitoring = 0;
		else
			ks_conf_error(c, it->line, "mode: standard or monitoring");
	}
	if ((it = ks_conf_get(c, "knetscan", "events")) && !o->set_events &&
	    kn_events_parse(it->value, &o->ec.events, &err) != 0)
		ks_conf_error(c, it->line, "events: %s", err.msg);
	if ((it = ks_conf_get(c, "knetscan", "block_time")) && !o->set_block) {
		if (ks_cli_parse_duration(it->value, &v) != 0 || v == 0)
			ks_conf_error(c, it->line, "block_time: not a time");
		else
			o->ec.policy.block_us = v * 1000;
	}
	if ((it = ks_conf_get(c, "knetscan", "eve_strict")) && !o->set_strict &&
	    ks_conf_bool(it->value, &o->ec.strict) != 0)
		ks_conf_error(c, it->line, "eve_strict: yes or no");
	if ((it = ks_conf_get(c, "knetscan", "anomaly_rate")) && !o->set_rate) {
		if (ks_cli_parse_uint(it->value, 0, 1000000000, &v) != 0)
			ks_conf_error(c, it->line, "anomaly_rate: not a number");
		else
			o->ec.anomaly_per_minute = v;
	}
	if ((it = ks_conf_get(c, "knetscan", "max_flows")) && !o->set_flows) {
		if (ks_cli_parse_uint(it->value, 16, 100000000, &v) != 0)
			ks_conf_error(c, it->line, "max_flows: 16 to 100000000");
		else
			o->ec.flow.max_flows = v;
	}
	if ((it = ks_conf_get(c, "knetscan", "stream_mem")) && !o->set_stream) {
		if (ks_cli_parse_size(it->value, &v) != 0)
			ks_conf_error(c, it->line, "stream_mem: not a size");
		else
			o->ec.flow.stream_mem = v;
	}
	if ((it = ks_conf_get(c, "knetscan", "defrag_mem")) && !o->set_defrag) {
		if (ks_cli_parse_size(it->value, &v) != 0)
			ks_conf_error(c, it->line, "defrag_mem: not a size");
		else
			o->ec.defrag.max_mem = v;
	}
	if ((it = ks_conf_get(c, "knetscan", "url_db")) && !o->set_url_db) {
		if (it->value[0] == '\0')
			ks_conf_error(c, it->line, "url_db: a database file");
		else
			o->url_db = it->value;
	}
	if ((it = ks_conf_get(c, "knetscan", "exclude"))) {
		char **w = ks_conf_words(it->value, NULL);

		for (size_t i = 0; w != NULL && w[i] != NULL; i++) {
			struct kn_cidr cidr;

			if (kn_cidr_parse(w[i], &cidr) != 0)
				ks_conf_error(c, it->line, "exclude: not an "
					      "address or subnet: %s", w[i]);
			else if (o->ec.policy.nexclude < KN_POLICY_MAX_EXCLUDE)
				o->ec.policy.exclude[o->ec.policy.nexclude++] = cidr;
			else
				ks_conf_error(c, it->line, "exclude: more than %d "
					      "addresses and subnets",
					      KN_POLICY_MAX_EXCLUDE);
		}
		ks_conf_words_free(w);
	}
	/* action.all first, so that an action for one class wins over it
	 * wherever it is in the file; neither touches the classes the
	 * command line set. */
	{
		struct ks_conf_item *all = ks_conf_get(c, "knetscan", "action.all");
		char arg[128];

		if (all != NULL) {
			snprintf(arg, sizeof arg, "all=%s", all->value);
			if (parse_action(arg, &o->ec.policy, NULL, o->set_action,
					 &err) != 0)
				ks_conf_error(c, all->line, "action.all: %s", err.msg);
		}
	}
	/* action.CLASS = ACTION and threshold.CLASS = N/TIME */
	for (size_t i = 0; i < c->n; i++) {
		struct ks_conf_item *ci = &c->items[i];
		char buf[128];

		if (strcmp(ci->section, "knetscan") != 0)
			continue;
		if (strncmp(ci->key, "action.", 7) == 0) {
			int cls = kn_class_parse(ci->key + 7);

			ci->used = 1;
			if (strcmp(ci->key + 7, "all") == 0)
				continue;
			snprintf(buf, sizeof buf, "%s=%s", ci->key + 7, ci->value);
			if (cls >= 0 && o->set_action[cls])
				continue;
			if (parse_action(buf, &o->ec.policy, NULL, NULL, &err) != 0)
				ks_conf_error(c, ci->line, "%s: %s", ci->key, err.msg);
		} else if (strncmp(ci->key, "threshold.", 10) == 0) {
			int cls = kn_attack_parse(ci->key + 10);

			ci->used = 1;
			snprintf(buf, sizeof buf, "%s=%s", ci->key + 10, ci->value);
			if (cls >= 0 && o->set_threshold[cls])
				continue;
			if (parse_threshold(buf, &o->ec.det, NULL, &err) != 0)
				ks_conf_error(c, ci->line, "%s: %s", ci->key, err.msg);
		}
	}
	knids_config(c);
	ks_conf_check_unused(c, "knetscan");
	if (c->nerr > 0) {
		for (size_t i = 0; i < c->nerr; i++)
			fprintf(stderr, "%s:%u: %s\n", c->path, c->errors[i].line,
				c->errors[i].msg);
		fprintf(stderr, "%s: %s has errors; nothing was read\n", PROGRAM,
			c->path);
		return -1;
	}
	return 0;
}

/* ---- the run ---------------------------------------------------------------------- */

struct run {
	struct opts *o;
	struct ks_out out;
	int out_dead;
	struct kn_engine *e;
	struct kn_dump *dump;
	int dump_linktype;
	int copy_fd;          /* monitoring copy, or -1 */
	int failed;
	struct ku_db *url_db; /* the engine checks against it, or NULL */
};

static void on_record(void *ctx, const char *line, size_t n)
{
	struct run *r = ctx;
	struct ks_err err;

	if (r->out_dead)
		return;
	if (ks_out_write(&r->out, line, n, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r->out_dead = 1;
	}
}

static void error_record(struct run *r, const char *input, enum ks_status st,
			 const char *msg)
{
	struct kj_writer w;

	kj_writer_init(&w, 0);
	kj_error_record(&w, PROGRAM, input, 0, st, msg);
	on_record(r, (const char *)w.buf.data, w.buf.len);
	kj_writer_free(&w);
	r->failed = 1;
	if (r->o->cli.verbosity >= 0)
		fprintf(stderr, "%s: %s\n", PROGRAM, msg);
}

/* SIGHUP: the web address database again, opened beside the one in use,
 * which stays when the new one is refused.  The swap happens between two
 * packets, so no check sees either half-way. */
static void reload_url_db(struct run *r)
{
	const char *path = r->o->url_db;
	struct ku_db *ndb;
	struct ks_err err;
	enum ks_status st;

	if (path == NULL) {
		if (r->o->cli.verbosity >= 0)
			fprintf(stderr, "%s: SIGHUP: no web address database "
				"to reload\n", PROGRAM);
		return;
	}
	st = ku_db_open(&ndb, path, KU_DB_VERIFY, &err);
	if (st == KS_OK && kn_engine_set_url_db(r->e, ndb, &err) != KS_OK) {
		ku_db_close(ndb);
		st = err.status;
	}
	if (st != KS_OK) {
		char m[KS_ERR_MSG_MAX + 128];

		snprintf(m, sizeof m, "reload refused, generation %llu stays in "
			 "use: %s", (unsigned long long)
			 ku_db_info(r->url_db)->generation, err.msg);
		/* The old database is still the engine's. */
		kn_engine_set_url_db(r->e, r->url_db, &err);
		error_record(r, path, st, m);
		return;
	}
	ku_db_close(r->url_db);
	r->url_db = ndb;
	if (r->o->cli.verbosity >= 0)
		fprintf(stderr, "%s: loaded %s: generation %llu, %llu entries\n",
			PROGRAM, path,
			(unsigned long long)ku_db_info(ndb)->generation,
			(unsigned long long)ku_db_info(ndb)->nentries);
}

static void stats_to_stderr(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

/* Standard mode's -w output for the packets of c (link type lt): 1 ready
 * (or not wanted), 0 when c's link type differs from the output's (c is
 * not read), -1 when the output cannot be opened. */
static int dump_ready(struct run *r, struct kn_cap *c, int lt)
{
	struct ks_err err;

	if (r->o->write_to == NULL || r->copy_fd >= 0)
		return 1;
	if (r->dump == NULL) {
		if (kn_dump_open(&r->dump, r->o->write_to, lt,
				 kn_cap_snaplen(c), &err) != KS_OK) {
			error_record(r, r->o->write_to, err.status, err.msg);
			return -1;
		}
		r->dump_linktype = lt;
	} else if (lt != r->dump_linktype) {
		char m[300];

		snprintf(m, sizeof m, "%s: link type %d differs from the "
			 "output's %d; not read", kn_cap_name(c), lt,
			 r->dump_linktype);
		error_record(r, kn_cap_name(c), KS_ERR_UNSUPPORTED, m);
		return 0;
	}
	return 1;
}

static int one_capture(struct run *r, struct kn_cap *c)
{
	struct pcap_pkthdr *h;
	const uint8_t *data;
	struct ks_err err;
	enum ks_status st;
	int lt = kn_cap_linktype(c), ready;

	if (!kn_linktype_supported(lt)) {
		char m[300];

		snprintf(m, sizeof m, "%s: link type %d (%s) is not one knetscan "
			 "decodes; not read", kn_cap_name(c), lt,
			 pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) :
							 "unknown");
		error_record(r, kn_cap_name(c), KS_ERR_UNSUPPORTED, m);
		/* In monitoring mode the copy still gets every byte. */
		return 0;
	}
	ready = dump_ready(r, c, lt);
	if (ready <= 0)
		return ready;
	while (!ks_sig_stop() && !r->out_dead) {
		if (ks_sig_take_stats())
			kn_engine_stats_record(r->e, stats_to_stderr, NULL);
		st = kn_cap_next(c, &h, &data, &err);
		/* After the wait for a packet, so that the packets that come
		 * after the signal meet the new rules and database. */
		if (ks_sig_take_reload()) {
			knids_reload(on_record, r, stderr);
			reload_url_db(r);
		}
		if (st == KS_EOF)
			break;
		if (st == KS_AGAIN) {
			kn_engine_idle(r->e, ks_time_now());
			continue;
		}
		if (st != KS_OK) {
			error_record(r, kn_cap_name(c), st, err.msg);
			break;
		}
		if (kn_engine_frame(r->e, lt, data, h->caplen, h->len,
				    (struct ks_time){ h->ts.tv_sec,
						      (uint32_t)h->ts.tv_usec }) &&
		    r->dump != NULL &&
		    kn_dump_packet(r->dump, h, data, &err) != KS_OK) {
			error_record(r, r->o->write_to, err.status, err.msg);
			return -1;
		}
	}
	return 0;
}

/* ---- the bridge ------------------------------------------------------------------- */

/* Frames read from one port before the other gets its turn. */
#define BRIDGE_BATCH 64

struct bridge {
	struct kn_cap *port[2];
	uint64_t received, forwarded, dropped, inject_errors;
	int reported[2];      /* an inject error of port[i] was reported */
};

static void bridge_stats(void *ctx, struct kj_writer *w)
{
	struct bridge *b = ctx;

	kj_obj_open(w, "bridge");
	kj_uint(w, "received", b->received);
	kj_uint(w, "forwarded", b->forwarded);
	kj_uint(w, "dropped", b->dropped);
	kj_uint(w, "inject_errors", b->inject_errors);
	kj_uint(w, "kernel_drops", kn_cap_kernel_drops(b->port[0]) +
				   kn_cap_kernel_drops(b->port[1]));
	kj_obj_close(w);
}

/* The stats record's own parts: the signatures' counters, and the
 * bridge's when it runs (ctx: the bridge, or NULL). */
static void extra_stats(void *ctx, struct kj_writer *w)
{
	knids_stats(w);
	if (ctx != NULL)
		bridge_stats(ctx, w);
}

/* A frame that arrived on port[from]: through the engine, then out of the
 * other port when it passes.  -1 when the -w output fails. */
static int bridge_frame(struct run *r, struct bridge *b, int from,
			const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct kn_cap *to = b->port[!from];
	struct ks_err err;
	enum ks_status st;

	b->received++;
	if (!kn_engine_frame(r->e, DLT_EN10MB, data, h->caplen, h->len,
			     (struct ks_time){ h->ts.tv_sec,
					       (uint32_t)h->ts.tv_usec })) {
		b->dropped++;
		return 0;
	}
	if (r->dump != NULL && kn_dump_packet(r->dump, h, data, &err) != KS_OK) {
		error_record(r, r->o->write_to, err.status, err.msg);
		return -1;
	}
	if (h->caplen != h->len)
		st = ks_err_set(&err, KS_ERR_TRUNCATED, "%s: a frame of %u bytes "
				"was captured as %u: not forwarded",
				kn_cap_name(b->port[from]), h->len, h->caplen);
	else
		st = kn_cap_inject(to, data, h->caplen, &err);
	if (st == KS_OK) {
		b->forwarded++;
		return 0;
	}
	/* One record per port: a frame too large for the other side's MTU
	 * would otherwise make one for every such frame. */
	b->inject_errors++;
	if (!b->reported[!from]) {
		char m[KS_ERR_MSG_MAX + 100];

		b->reported[!from] = 1;
		snprintf(m, sizeof m, "%s (later failures to send out of %s "
			 "are only counted)", err.msg, kn_cap_name(to));
		error_record(r, kn_cap_name(to), st, m);
	}
	return 0;
}

static void run_bridge(struct run *r, struct bridge *b)
{
	struct pcap_pkthdr *h;
	const uint8_t *data;
	struct ks_err err;
	enum ks_status st;

	if (dump_ready(r, b->port[0], DLT_EN10MB) != 1)
		return;
	while (!ks_sig_stop() && !r->out_dead) {
		size_t got = 0;

		if (ks_sig_take_stats())
			kn_engine_stats_record(r->e, stats_to_stderr, NULL);
		/* After the wait that ended the last round, so that the
		 * frames that come after the signal meet the new rules and
		 * database. */
		if (ks_sig_take_reload()) {
			knids_reload(on_record, r, stderr);
			reload_url_db(r);
		}
		for (int i = 0; i < 2; i++) {
			for (int k = 0; k < BRIDGE_BATCH; k++) {
				st = kn_cap_next(b->port[i], &h, &data, &err);
				if (st == KS_AGAIN)
					break;
				if (st != KS_OK) {
					/* An interface that went away or
					 * down: the bridge cannot go on. */
					if (st != KS_EOF)
						error_record(r, kn_cap_name(b->port[i]),
							     st, err.msg);
					return;
				}
				got++;
				if (bridge_frame(r, b, i, h, data) != 0)
					return;
			}
		}
		if (got == 0) {
			kn_cap_wait(b->port, 2, 100);
			kn_engine_idle(r->e, ks_time_now());
		}
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: every regular file in it, in name order (not recursive). */
static void read_dir(struct run *r, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL) {
		char m[300];

		snprintf(m, sizeof m, "cannot open %s: %s", dir, strerror(errno));
		error_record(r, dir, ks_status_from_errno(errno), m);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 32) * sizeof *nn);

			if (nn == NULL)
				break;
			names = nn;
			cap = cap ? cap * 2 : 32;
		}
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		struct kn_cap *c;
		struct ks_err err;

		if (!ks_sig_stop() && lstat(names[i], &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (kn_cap_open_file(&c, names[i], -1, &err) != KS_OK) {
				error_record(r, names[i], err.status, err.msg);
			} else {
				one_capture(r, c);
				kn_cap_close(c, NULL);
			}
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct ks_conf conf;
	struct ks_err err;
	struct kn_engine_stats es;
	struct bridge br;
	int rc = KS_EXIT_FAIL;

	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	memset(&br, 0, sizeof br);
	ks_cli_init(&o.cli, PROGRAM);
	kn_engine_defaults(&o.ec);
	/* Reporting is the default: dropping needs an explicit choice. */
	o.ec.policy.monitoring = 1;
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	ks_conf_init(&conf);
	if (o.config != NULL && load_config(&o, &conf) != 0)
		goto out_conf;
	knids.verbosity = o.cli.verbosity;
	if (knids.report) {
		if (!knids_wanted())
			fprintf(stderr, "%s: --rules-report wants rules (--rules, "
				"or rules in the configuration)\n", PROGRAM);
		else
			rc = knids_report(stdout, stderr);
		goto out_conf;
	}
	if (o.url_db != NULL &&
	    ku_db_open(&r.url_db, o.url_db, KU_DB_VERIFY, &err) != KS_OK) {
		fprintf(stderr, "%s: cannot use the web address database: %s; "
			"nothing was read\n", PROGRAM, err.msg);
		goto out_conf;
	}
	if (o.check_config) {
		/* The engine refuses what a run would refuse. */
		struct kn_engine *e = kn_engine_new(&o.ec, on_record, NULL, &err);

		if (e == NULL) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			goto out_conf;
		}
		kn_engine_free(e);
		if (knids_wanted() && knids_check(stderr) != 0)
			goto out_conf;
		if (o.cli.verbosity >= 0)
			fprintf(stderr, "%s: settings%s%s: valid\n", PROGRAM,
				o.config ? " of " : "", o.config ? o.config : "");
		rc = KS_EXIT_CLEAN;
		goto out_conf;
	}
	r.o = &o;
	r.copy_fd = -1;
	ks_sig_install();
	if (o.ec.policy.monitoring && o.write_to != NULL) {
		/* The copy must be the input byte for byte: one input. */
		if (o.iface != NULL || o.bridge[0][0] != '\0' || o.ninputs != 1) {
			fprintf(stderr, "%s: in monitoring mode, -w copies one "
				"input file or stream\n", PROGRAM);
			goto out_conf;
		}
		r.copy_fd = strcmp(o.write_to, "-") == 0 ? STDOUT_FILENO :
			open(o.write_to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (r.copy_fd < 0) {
			fprintf(stderr, "%s: cannot write %s: %s\n", PROGRAM,
				o.write_to, strerror(errno));
			goto out_conf;
		}
	}
	if (o.write_to != NULL && strcmp(o.write_to, "-") == 0 &&
	    (o.cli.output == NULL || strcmp(o.cli.output, "-") == 0)) {
		fprintf(stderr, "%s: -w - writes packets to stdout: send the "
			"records elsewhere with -o FILE\n", PROGRAM);
		goto out_conf;
	}
	if (ks_out_open(&r.out, o.cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out_conf;
	}
	r.e = kn_engine_new(&o.ec, on_record, &r, &err);
	if (r.e == NULL) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out_close;
	}
	if (kn_engine_set_url_db(r.e, r.url_db, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out_engine;
	}
	if (knids_wanted() &&
	    knids_start(r.e, &o.ec, on_record, &r, stderr) != 0)
		goto out_engine;
	kn_engine_set_stats_extra(r.e, extra_stats, NULL);
	if (o.iface != NULL) {
		struct kn_cap *c;

		if (kn_cap_open_live(&c, o.iface, (int)o.snaplen, !o.no_promisc,
				     o.filter, &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			goto out_engine;
		}
		/* Root is needed to open the interface, never to decode what
		 * arrives on it. */
		if (o.user != NULL && kn_drop_privileges(o.user, &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			kn_cap_close(c, NULL);
			goto out_engine;
		}
		one_capture(&r, c);
		kn_cap_close(c, NULL);
	}
	if (o.bridge[0][0] != '\0') {
		for (int i = 0; i < 2; i++) {
			if (kn_cap_open_port(&br.port[i], o.bridge[i], &err) != KS_OK) {
				fprintf(stderr, "%s: --bridge: %s\n", PROGRAM, err.msg);
				goto out_engine;
			}
		}
		if (o.user != NULL && kn_drop_privileges(o.user, &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			goto out_engine;
		}
		kn_engine_set_stats_extra(r.e, extra_stats, &br);
		run_bridge(&r, &br);
	}
	for (size_t i = 0; i < o.ninputs && !ks_sig_stop() && !r.out_dead; i++) {
		struct stat st;
		struct kn_cap *c;

		if (strcmp(o.inputs[i], "-") != 0 && stat(o.inputs[i], &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			read_dir(&r, o.inputs[i]);
			continue;
		}
		if (kn_cap_open_file(&c, o.inputs[i], r.copy_fd, &err) != KS_OK) {
			error_record(&r, o.inputs[i], err.status, err.msg);
			continue;
		}
		if (o.filter != NULL && kn_cap_filter(c, o.filter, &err) != KS_OK) {
			error_record(&r, o.inputs[i], err.status, err.msg);
			kn_cap_close(c, NULL);
			continue;
		}
		one_capture(&r, c);
		if (kn_cap_close(c, &err) != KS_OK)
			error_record(&r, o.write_to, err.status, err.msg);
	}
	kn_engine_finish(r.e);
	if (o.ec.events & KN_EV_STATS)
		kn_engine_stats_record(r.e, on_record, &r);
	kn_engine_get_stats(r.e, &es);
	if (ks_sig_stop() && o.cli.verbosity >= 0)
		fprintf(stderr, "%s: stopped by signal %d after %llu packets\n",
			PROGRAM, ks_sig_stop(), (unsigned long long)es.packets);
	rc = ks_exit_code(es.alerts > 0, r.failed || r.out_dead);
out_engine:
	kn_cap_close(br.port[0], NULL);
	kn_cap_close(br.port[1], NULL);
	if (r.dump != NULL && kn_dump_close(r.dump, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = ks_exit_code(rc == KS_EXIT_FOUND, 1);
	}
	kn_engine_free(r.e);
out_close:
	if (ks_out_close(&r.out, &err) != KS_OK && !r.out_dead) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = KS_EXIT_FAIL;
	}
	if (r.copy_fd >= 0 && r.copy_fd != STDOUT_FILENO && close(r.copy_fd) != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", PROGRAM, o.write_to,
			strerror(errno));
		rc = KS_EXIT_FAIL;
	}
out_conf:
	ku_db_close(r.url_db);
	knids_free();
	ks_conf_free(&conf);
	for (size_t i = 0; i < o.ninputs; i++)
		free(o.inputs[i]);
	free(o.inputs);
	return rc;
}
