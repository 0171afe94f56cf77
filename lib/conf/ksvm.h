/*
 * The [ksvm] section of the appliance's configuration (ksvm.conf(5)): the
 * supervisor's own settings, their defaults and their checks, and the
 * check that every section of the file is one some program reads.  Used
 * by ksvm-config, which hands the settings to the ksvm(8) script.
 */
#ifndef KS_CONF_KSVM_H
#define KS_CONF_KSVM_H

#include <stddef.h>

#include "conf/conf.h"

enum ks_ksvm_kind { KS_KSVM_STR, KS_KSVM_PATH, KS_KSVM_INPUT, KS_KSVM_MODE,
		    KS_KSVM_TIME, KS_KSVM_BOOL };

struct ks_ksvm_setting {
	const char *key;
	const char *def;
	enum ks_ksvm_kind kind;
};

#define KS_KSVM_MAX_SETTINGS 32

extern const struct ks_ksvm_setting ks_ksvm_settings[];
extern const size_t ks_ksvm_nsettings;

/*
 * Check [ksvm] and the section names of a loaded file, adding an error
 * (with its line) to c for each problem.  values (ks_ksvm_nsettings
 * entries) gets each setting's value: the file's, else the default; the
 * strings belong to c.
 */
void ks_ksvm_check(struct ks_conf *c, const char **values);

#endif
