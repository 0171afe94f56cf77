/*
 * Protection profiles: what kfscan does when it finds something.
 *
 * A profile names a chain of actions: the first is tried, and when it
 * fails (or cannot apply, as disinfection without a cure) the next, and so
 * on.  The actions:
 *   report      nothing but the record; access is allowed
 *   block       the record says access must be denied
 *   disinfect   cure the file as its rules say, after saving the original
 *               in quarantine; the cured file is scanned again
 *   quarantine  move the file into the quarantine store
 *   delete      remove the file
 * When every action of the chain fails, access is denied.
 *
 * A profile also says, for kgi-relay, which guest file operations need a
 * scan before access is granted (scan_on = open execute close-after-write
 * by default) and what to decide when no verdict comes in time or the
 * scanner fails (fail = closed: deny, or open: allow).
 *
 * Built-in profiles (a configuration file may redefine them and add
 * others, in [profile NAME] sections with "action = A [B ...]",
 * "scan_on = ..." and "fail = open|closed"):
 *   report                report
 *   block                 block
 *   quarantine            quarantine, block
 *   disinfect             disinfect, quarantine, block
 *   delete                delete, block
 * All scan open, execute and close after a write; "report" fails open, the
 * others fail closed.
 */
#ifndef KS_FILE_PROFILE_H
#define KS_FILE_PROFILE_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/status.h"

enum kf_action {
	KF_ACT_REPORT,
	KF_ACT_BLOCK,
	KF_ACT_DISINFECT,
	KF_ACT_QUARANTINE,
	KF_ACT_DELETE,
};

#define KF_MAX_CHAIN 5

/* Guest file operations (kgi-relay's "op"). */
enum kf_op {
	KF_OP_OPEN = 1 << 0,
	KF_OP_CREATE = 1 << 1,
	KF_OP_WRITE = 1 << 2,
	KF_OP_CLOSE = 1 << 3,
	KF_OP_EXECUTE = 1 << 4,
	KF_OP_RENAME = 1 << 5,
	KF_OP_CLOSE_AFTER_WRITE = 1 << 6,   /* a close that follows a write */
};

#define KF_OPS_DEFAULT (KF_OP_OPEN | KF_OP_EXECUTE | KF_OP_CLOSE_AFTER_WRITE)

/* The operation named `name` (open, create, write, close, execute,
 * rename), or 0. */
unsigned kf_op_parse(const char *name);
const char *kf_op_name(unsigned op);
#define KF_MAX_PROFILES 256

const char *kf_action_name(enum kf_action a);
/* 0 and *a set, or -1 for an unknown name. */
int kf_action_parse(const char *name, enum kf_action *a);

struct kf_profile {
	char name[64];
	enum kf_action chain[KF_MAX_CHAIN];
	size_t nchain;
	unsigned scan_ops;      /* KF_OP_* that need a scan (kgi-relay) */
	int fail_open;          /* no verdict in time: allow (1) or deny (0) */
	unsigned line;          /* where the configuration defined it, or 0 */
};

struct kf_profiles {
	struct kf_profile v[KF_MAX_PROFILES];
	size_t n;
};

/* The built-in profiles. */
void kf_profiles_builtin(struct kf_profiles *ps);

/* Add or replace profiles from the [profile NAME] sections of a
 * configuration; errors go into the configuration's error list. */
void kf_profiles_from_conf(struct kf_profiles *ps, struct ks_conf *c);

/* Parse "A B ..." or "A,B" into a profile chain; 0, or -1 with a message
 * in err. */
int kf_profile_chain(struct kf_profile *p, const char *value,
		     struct ks_err *err);

const struct kf_profile *kf_profile_find(const struct kf_profiles *ps,
					 const char *name);

#endif
