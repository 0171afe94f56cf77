/* kfscan: the File Anti-Virus.  Shared between the files of the tool. */
#ifndef KFSCAN_H
#define KFSCAN_H

#include <stdint.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "file/profile.h"
#include "file/scan.h"
#include "file/walk.h"

#define PROGRAM "kfscan"

struct strlist {
	const char **v;   /* NULL-terminated */
	size_t n, cap;
};

int strlist_add(struct strlist *l, const char *s);

struct opts {
	struct ks_cli cli;
	struct strlist rules, hashes, include, exclude, exclude_path, files_from;
	int no_builtin, no_archives, skip_bad, requests, null_sep, detections_only,
	    no_stats, no_cache, follow, one_fs, check_config;
	const char *save_rules;
	const char *profile;
	const char *quarantine;
	const char *cache;
	const char *config;
	const char *vm;
	struct kf_engine_opts eng;
	/* Which settings came from the command line (they win over the
	 * configuration file). */
	int set_max_size, set_timeout, set_depth, set_members, set_total,
	    set_ratio;
	char **paths;
	int npaths;
	char **conf_words[2];   /* word lists from the configuration file */
};

void opts_free(struct opts *o);

/* run.c: scan what the options say; returns the exit code. */
int kfscan_run(struct opts *o, struct kf_profiles *profiles);

/* quarantine.c: `kfscan quarantine ...`; returns the exit code. */
int kfscan_quarantine(int argc, char **argv);

/* The default paths of the state kfscan keeps. */
#define KFSCAN_QUARANTINE_DIR "/var/lib/ksvm/quarantine"

#endif
