/*
 * Carrying out a profile on a scan result.
 *
 * kf_act walks the profile's chain until an action succeeds and records
 * every attempt, failed ones included, with the reason, so that the
 * verdict record tells the whole story.  It works on the descriptor and
 * bytes that were scanned (kf_result.fd, .data): the file is never opened
 * again by name, and before anything is removed or replaced the path is
 * checked to still name that same file.
 *
 * Disinfection follows the metadata of the rules that matched (documented
 * in kfscan(1), "CURES"):
 *   ksvm_cure = "truncate"   cut the file at the first match of the cure
 *                            string (an appended payload);
 *   ksvm_cure = "wipe"       overwrite every match of the cure string with
 *                            the fill byte;
 *   ksvm_cure_string = "$x"  which string (default: every string of the
 *                            rule that matched);
 *   ksvm_cure_fill = N       the fill byte for "wipe" (default 0).
 * Every matching rule must have a cure, no match may be inside an archive
 * member, and hash-list detections have none: otherwise the action fails
 * and the chain goes on.  The original is first saved in quarantine; the
 * cured bytes are scanned again and written back only when they are clean,
 * through a temporary file renamed over the original with its mode and
 * owner.
 */
#ifndef KS_FILE_ACTION_H
#define KS_FILE_ACTION_H

#include "file/profile.h"
#include "file/quarantine.h"
#include "file/scan.h"

struct kf_attempt {
	enum kf_action action;
	int ok;
	const char *detail;          /* why it failed, or what it did */
	char quarantine_id[KF_QUAR_ID_LEN + 1];  /* entry made, or "" */
};

struct kf_outcome {
	struct kf_attempt attempts[KF_MAX_CHAIN];
	size_t n;
	int done;                    /* an action succeeded */
	enum kf_action taken;        /* the one that did */
	int deny;                    /* access must be denied */
};

struct kf_action_ctx {
	struct kf_quar *quar;        /* NULL: quarantine is not available */
	const char *vm;
};

/* Act on an infected result (others are left alone: outcome n == 0).
 * Strings in the outcome live in the result's arena. */
void kf_act(struct kf_worker *w, const struct kf_profile *p,
	    struct kf_result *r, const struct kf_action_ctx *ctx,
	    struct kf_outcome *out);

#endif
