/*
 * kgi-relay: the Guest Introspection relay.  Options, configuration, and
 * the scanner's command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/exitcode.h"
#include "relay.h"

enum {
	OPT_LISTEN = 256, OPT_GROUP, OPT_STDIN, OPT_ROOT, OPT_ASSIGN,
	OPT_PROFILE, OPT_SCANNER, OPT_TIMEOUT, OPT_MODE, OPT_MAX_CLIENTS,
	OPT_CACHE, OPT_CONFIG, OPT_CHECK_CONFIG,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Events in:", 1 },
	{ "listen", OPT_LISTEN, "PATH", 0, "Take the guests' agents' connections on the UNIX socket PATH", 1 },
	{ "socket-group", OPT_GROUP, "GROUP", 0, "Let members of GROUP connect to the socket (mode 0660; default 0600)", 1 },
	{ "stdin", OPT_STDIN, NULL, 0, "Also read events on stdin (the default without --listen)", 1 },
	{ NULL, 0, NULL, 0, "Guests:", 2 },
	{ "root", OPT_ROOT, "VM=DIR", 0, "Where the disk of guest VM is seen (repeatable)", 2 },
	{ "assign", OPT_ASSIGN, "VM=PROFILE", 0, "The protection profile of guest VM (repeatable)", 2 },
	{ "profile", OPT_PROFILE, "NAME", 0, "The profile of guests that have none (default disinfect)", 2 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read guests, profiles and settings from FILE (ksvm.conf)", 2 },
	{ "check-config", OPT_CHECK_CONFIG, NULL, 0, "Check the settings, the guests' roots and their profiles, say what is wrong, and exit", 2 },
	{ NULL, 0, NULL, 0, "Scanning and decisions:", 3 },
	{ "scanner", OPT_SCANNER, "COMMAND", 0, "The scanner to run (default: kfscan --requests); split on blanks", 3 },
	{ "timeout", OPT_TIMEOUT, "TIME", 0, "Deadline of a decision (default 5s; ms, s, m suffixes)", 3 },
	{ "mode", OPT_MODE, "MODE", 0, "standard (decide) or monitoring (allow all, record what would be decided)", 3 },
	{ "cache", OPT_CACHE, "N", 0, "Verdicts kept for unchanged files (default 100000; 0: none)", 3 },
	{ "max-clients", OPT_MAX_CLIENTS, "N", 0, "Connections at once (default 1024)", 3 },
	{ 0 }
};

static void add_vm(struct argp_state *state, struct ropts *o, const char *arg,
		   int is_root)
{
	const char *eq = strchr(arg, '=');
	struct kg_vm_conf *v = NULL;
	char *name;

	if (eq == NULL || eq == arg || eq[1] == '\0')
		argp_error(state, "%s wants VM=%s, not '%s'",
			   is_root ? "--root" : "--assign",
			   is_root ? "DIR" : "PROFILE", arg);
	name = strndup(arg, (size_t)(eq - arg));
	if (name == NULL)
		argp_failure(state, KS_EXIT_FAIL, ENOMEM, "out of memory");
	for (size_t i = 0; i < o->nvms; i++)
		if (strcmp(o->vms[i].name, name) == 0)
			v = &o->vms[i];
	if (v == NULL) {
		struct kg_vm_conf *nv = realloc(o->vms, (o->nvms + 1) * sizeof *nv);

		if (nv == NULL)
			argp_failure(state, KS_EXIT_FAIL, ENOMEM, "out of memory");
		o->vms = nv;
		v = &o->vms[o->nvms++];
		memset(v, 0, sizeof *v);
		v->name = name;
	} else {
		free(name);
	}
	if (is_root) {
		if (eq[1] != '/')
			argp_error(state, "--root %s: the directory must be an "
				   "absolute path", arg);
		v->root = eq + 1;
	} else {
		v->profile = eq + 1;
	}
}

static char **split_words(const char *s)
{
	size_t n = 0;
	char **w = ks_conf_words(s, &n);

	/* ks_conf_words also splits at commas; a scanner command has none
	 * that matter, and quoting is not supported: no shell involved. */
	if (w != NULL && n == 0) {
		ks_conf_words_free(w);
		return NULL;
	}
	return w;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct ropts *o = state->input;
	unsigned long long v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case OPT_LISTEN:
		if (arg[0] == '\0')
			argp_error(state, "--listen wants a socket path");
		o->listen = arg;
		break;
	case OPT_GROUP: o->group = arg; break;
	case OPT_STDIN: o->read_stdin = 1; break;
	case OPT_ROOT: add_vm(state, o, arg, 1); break;
	case OPT_ASSIGN: add_vm(state, o, arg, 0); break;
	case OPT_PROFILE: o->kc.default_profile = arg; break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_CHECK_CONFIG: o->check_config = 1; break;
	case OPT_SCANNER:
		ks_conf_words_free(o->scanner);
		o->scanner = split_words(arg);
		if (o->scanner == NULL)
			argp_error(state, "--scanner wants a command");
		o->scanner_default = 0;
		break;
	case OPT_TIMEOUT:
		if (ks_cli_parse_duration(arg, &v) != 0 || v == 0 || v > 3600000)
			argp_error(state, "--timeout wants a time from 1ms to 1h, "
				   "such as 500ms or 5s");
		o->timeout_ms = v;
		break;
	case OPT_MODE:
		o->mode_given = 1;
		if (strcmp(arg, "standard") == 0)
			o->kc.monitoring = 0;
		else if (strcmp(arg, "monitoring") == 0)
			o->kc.monitoring = 1;
		else
			argp_error(state, "--mode is standard or monitoring");
		break;
	case OPT_CACHE:
		if (ks_cli_parse_uint(arg, 0, 100000000, &v) != 0)
			argp_error(state, "--cache wants a number of verdicts");
		o->cache = v;
		break;
	case OPT_MAX_CLIENTS:
		if (ks_cli_parse_uint(arg, 1, 100000, &v) != 0)
			argp_error(state, "--max-clients wants 1 to 100000");
		o->max_clients = v;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &ks_cli_common_argp, 0, NULL, 4 },
	{ 0 }
};

static const char doc[] =
	"Relay the guests' file events to the scanner and answer each one "
	"with an access decision before its deadline.\v"
	"Events are JSON Lines (id, vm, op, path) on stdin or on the UNIX "
	"socket of --listen; each client gets its decisions back on its own "
	"connection, and every access record, with the scanner's verdicts, "
	"goes to stdout (or -o FILE) for kreport.  See kgi-relay(8).\n\n"
	"Exit status: 0 no detection, 1 a detection, 2 bad events or a "
	"failure with no detection, or a usage error.";

static const struct argp argp = {
	options, parse_opt, "", doc, children, NULL, NULL
};

/* ---- configuration ------------------------------------------------------- */

struct vm_ctx {
	struct ropts *o;
	struct ks_conf *c;
};

/* A guest's addresses: addresses or subnets (10.1.2.3, 10.1.2.0/24,
 * 2001:db8::/64), separated by spaces or commas; events that name their
 * guest by address find it by them. */
static void vm_addresses(struct ks_conf *c, const char *section,
			 const struct ks_conf_item *it, struct kg_vm_conf *v)
{
	struct kn_cidr *a;
	size_t n;
	char bad[64];

	if (kn_cidr_list_parse(it->value, &a, &n, bad, sizeof bad) != 0) {
		if (bad[0] == '\0')
			ks_conf_error(c, it->line, "[%s] address: no address",
				      section);
		else
			ks_conf_error(c, it->line, "[%s] address: '%s' is not "
				      "an address or a subnet (10.0.0.5, "
				      "10.0.0.0/24, 2001:db8::/64)", section,
				      bad);
		return;
	}
	v->addresses = a;
	v->naddresses = n;
}

static void vm_section(void *ctx, const char *section, unsigned line)
{
	struct vm_ctx *vc = ctx;
	const char *name = section + strlen("vm ");
	struct ks_conf_item *root = ks_conf_get(vc->c, section, "root");
	struct ks_conf_item *prof = ks_conf_get(vc->c, section, "profile");
	struct kg_vm_conf *v = NULL;

	struct ks_conf_item *addr = ks_conf_get(vc->c, section, "address");
	for (size_t i = 0; i < vc->o->nvms; i++)
		if (strcmp(vc->o->vms[i].name, name) == 0)
			v = &vc->o->vms[i];
	if (v == NULL) {
		struct kg_vm_conf *nv = realloc(vc->o->vms,
						(vc->o->nvms + 1) * sizeof *nv);

		if (nv == NULL)
			return;
		vc->o->vms = nv;
		v = &vc->o->vms[vc->o->nvms++];
		memset(v, 0, sizeof *v);
		v->name = strdup(name);
	}
	/* The command line wins over the file. */
	if (root != NULL && v->root == NULL) {
		if (root->value[0] != '/')
			ks_conf_error(vc->c, root->line, "[%s] root must be an "
				      "absolute path", section);
		v->root = root->value;
	}
	if (addr != NULL && v->naddresses == 0)
		vm_addresses(vc->c, section, addr, v);
	if (prof != NULL && v->profile == NULL) {
		v->profile = prof->value;
		if (kf_profile_find(&vc->o->profiles, prof->value) == NULL)
			ks_conf_error(vc->c, prof->line, "[%s] profile: no "
				      "profile '%s' (built-in, or a [profile "
				      "NAME] section)", section, prof->value);
	}
	if (root != NULL && v->root == root->value && root->value[0] == '/') {
		struct stat st;

		if (stat(root->value, &st) != 0)
			ks_conf_error(vc->c, root->line, "[%s] root %s: %s",
				      section, root->value, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			ks_conf_error(vc->c, root->line, "[%s] root %s: not "
				      "a directory", section, root->value);
	}
	if (*name == '\0')
		ks_conf_error(vc->c, line, "[vm] needs a name: [vm NAME]");
}

static int load_config(struct ropts *o, struct ks_conf *c)
{
	struct ks_err err;
	struct ks_conf_item *it;
	struct vm_ctx vc = { o, c };
	unsigned long long v;

	if (ks_conf_load(c, o->config, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return -1;
	}
	if (o->listen == NULL && (it = ks_conf_get(c, "kgi-relay", "listen")))
		o->listen = it->value;
	if (o->group == NULL && (it = ks_conf_get(c, "kgi-relay", "socket_group")))
		o->group = it->value;
	if ((it = ks_conf_get(c, "kgi-relay", "scanner")) && o->scanner_default) {
		ks_conf_words_free(o->scanner);
		o->scanner = split_words(it->value);
		o->scanner_default = 0;
		if (o->scanner == NULL)
			ks_conf_error(c, it->line, "scanner: no command");
	}
	if ((it = ks_conf_get(c, "kgi-relay", "timeout")) && o->timeout_ms == 0) {
		if (ks_cli_parse_duration(it->value, &v) != 0 || v == 0)
			ks_conf_error(c, it->line, "timeout: not a time");
		else
			o->timeout_ms = v;
	}
	if ((it = ks_conf_get(c, "kgi-relay", "mode"))) {
		/* The command line wins over the file. */
		if (strcmp(it->value, "monitoring") == 0) {
			if (!o->mode_given)
				o->kc.monitoring = 1;
		} else if (strcmp(it->value, "standard") != 0) {
			ks_conf_error(c, it->line, "mode: standard or monitoring");
		}
	}
	if ((it = ks_conf_get(c, "kgi-relay", "cache"))) {
		if (ks_cli_parse_uint(it->value, 0, 100000000, &v) != 0)
			ks_conf_error(c, it->line, "cache: a number of verdicts");
		else if (o->cache == (unsigned long long)-1)
			o->cache = v;
	}
	/* Profiles first: the VMs name them. */
	kf_profiles_from_conf(&o->profiles, c);
	ks_conf_sections(c, "vm ", vm_section, &vc);
	if ((it = ks_conf_get(c, "kgi-relay", "profile")) &&
	    o->kc.default_profile == NULL) {
		o->kc.default_profile = it->value;
		if (kf_profile_find(&o->profiles, it->value) == NULL)
			ks_conf_error(c, it->line, "profile: no profile '%s'",
				      it->value);
	}
	ks_conf_check_unused(c, "kgi-relay");
	ks_conf_check_unused(c, "vm ");
	if (c->nerr > 0) {
		ks_conf_print_errors(c, stderr);
		fprintf(stderr, "%s: %s has errors; not started\n", PROGRAM,
			c->path);
		return -1;
	}
	return 0;
}

/* The default scanner is the kfscan beside this program, else kfscan in
 * PATH, given the same configuration file. */
static char **default_scanner(const char *config)
{
	char self[4096], *slash, *kf;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char **argv = calloc(5, sizeof *argv);
	int i = 0;

	if (argv == NULL)
		return NULL;
	kf = NULL;
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (asprintf(&kf, "%s/kfscan", self) < 0)
				kf = NULL;
			else if (access(kf, X_OK) != 0) {
				free(kf);
				kf = NULL;
			}
		}
	}
	argv[i++] = kf != NULL ? kf : strdup("kfscan");
	argv[i++] = strdup("--requests");
	if (config != NULL) {
		argv[i++] = strdup("--config");
		argv[i++] = strdup(config);
	}
	argv[i] = NULL;
	return argv;
}

static void ropts_free(struct ropts *o)
{
	ks_conf_words_free(o->scanner);
	o->scanner = NULL;
	for (size_t i = 0; i < o->nvms; i++) {
		free((char *)o->vms[i].name);
		free((void *)o->vms[i].addresses);
	}
	free(o->vms);
	o->vms = NULL;
	o->nvms = 0;
}

int main(int argc, char **argv)
{
	struct ropts o;
	struct ks_conf conf;
	int rc = KS_EXIT_FAIL;

	memset(&o, 0, sizeof o);
	ks_cli_init(&o.cli, PROGRAM);
	o.scanner_default = 1;
	o.cache = (unsigned long long)-1;
	o.max_clients = 1024;
	kf_profiles_builtin(&o.profiles);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	ks_conf_init(&conf);
	if (o.config != NULL && load_config(&o, &conf) != 0)
		goto out;
	if (o.nvms == 0) {
		fprintf(stderr, "%s: no guest is known: give --root VM=DIR or "
			"[vm NAME] sections in --config\n", PROGRAM);
		goto out;
	}
	for (size_t i = 0; i < o.nvms; i++) {
		if (o.vms[i].root == NULL) {
			fprintf(stderr, "%s: guest %s has no root directory "
				"(--root %s=DIR)\n", PROGRAM, o.vms[i].name,
				o.vms[i].name);
			goto out;
		}
	}
	if (o.scanner_default)
		o.scanner = default_scanner(o.config);
	if (o.kc.default_profile == NULL)
		o.kc.default_profile = "disinfect";
	o.kc.profiles = &o.profiles;
	o.kc.vms = o.vms;
	o.kc.nvms = o.nvms;
	o.kc.timeout_us = (o.timeout_ms ? o.timeout_ms : 5000) * 1000;
	o.kc.cache_max = o.cache == (unsigned long long)-1 ? 100000 : o.cache;
	o.kc.max_waiting = 100000;
	o.kc.max_dirty = 100000;
	if (o.listen == NULL)
		o.read_stdin = 1;
	if (o.check_config) {
		/* The engine refuses what the run would refuse: unknown
		 * profiles, a guest twice, a root that cannot be opened. */
		struct kg_io io;
		struct ks_err err;
		struct kg_engine *e;

		memset(&io, 0, sizeof io);
		e = kg_engine_new(&o.kc, &io, &err);
		if (e == NULL) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			goto out;
		}
		kg_engine_free(e);
		if (o.cli.verbosity >= 0)
			fprintf(stderr, "%s: %zu guests, their roots and profiles: "
				"valid\n", PROGRAM, o.nvms);
		rc = KS_EXIT_CLEAN;
		goto out;
	}
	rc = relay_run(&o);
out:
	ropts_free(&o);
	ks_conf_free(&conf);
	return rc;
}
