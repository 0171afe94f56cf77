/* kgi-relay: shared between the files of the tool. */
#ifndef KGI_RELAY_H
#define KGI_RELAY_H

#include <stdint.h>

#include "cli/cli.h"
#include "file/profile.h"
#include "relay/engine.h"

#define PROGRAM "kgi-relay"

struct ropts {
	struct ks_cli cli;
	const char *listen;
	const char *group;
	int read_stdin;              /* also read events on stdin */
	int check_config;            /* check the settings and exit */
	int mode_given;              /* --mode on the command line */
	char **scanner;              /* argv of the scanner */
	int scanner_default;         /* argv is the default kfscan */
	const char *config;
	unsigned long long timeout_ms;
	unsigned long long max_clients;
	unsigned long long cache;
	struct kg_config kc;
	struct kf_profiles profiles;
	struct kg_vm_conf *vms;
	size_t nvms;
};

/* loop.c: run the relay; returns the exit code. */
int relay_run(struct ropts *o);

#endif
