/*
 * `kfscan quarantine`: list, show, restore and delete quarantined files.
 * Every result is a JSON record (event_type "quarantine") on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sig.h"
#include "core/exitcode.h"
#include "file/quarantine.h"
#include "json/writer.h"
#include "kfscan.h"

struct qopts {
	struct ks_cli cli;
	const char *dir;
	const char *to;
	int overwrite, keep;
	const char *verb;
	char **ids;
	int nids;
};

enum { QOPT_DIR = 256, QOPT_TO, QOPT_OVERWRITE, QOPT_KEEP };

static const struct argp_option qoptions[] = {
	{ "dir", QOPT_DIR, "DIR", 0, "Quarantine directory (default " KFSCAN_QUARANTINE_DIR ")", 0 },
	{ "to", QOPT_TO, "PATH", 0, "restore: write the file to PATH instead of its original path", 0 },
	{ "overwrite", QOPT_OVERWRITE, NULL, 0, "restore: replace a file that exists at the target", 0 },
	{ "keep", QOPT_KEEP, NULL, 0, "restore: leave the entry in the quarantine", 0 },
	{ 0 }
};

static error_t qparse(int key, char *arg, struct argp_state *state)
{
	struct qopts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case QOPT_DIR: o->dir = arg; break;
	case QOPT_TO: o->to = arg; break;
	case QOPT_OVERWRITE: o->overwrite = 1; break;
	case QOPT_KEEP: o->keep = 1; break;
	case ARGP_KEY_ARG:
		if (o->verb == NULL) {
			o->verb = arg;
			if (strcmp(arg, "list") && strcmp(arg, "show") &&
			    strcmp(arg, "restore") && strcmp(arg, "delete"))
				argp_error(state, "unknown command '%s' (list, "
					   "show, restore, delete)", arg);
			o->ids = state->argv + state->next;
			o->nids = state->argc - state->next;
			state->next = state->argc;
		}
		break;
	case ARGP_KEY_END:
		if (o->verb == NULL)
			argp_error(state, "say what to do: list, show, restore "
				   "or delete");
		if (strcmp(o->verb, "list") == 0 && o->nids > 0)
			argp_error(state, "list takes no ids");
		if (strcmp(o->verb, "list") != 0 && o->nids == 0)
			argp_error(state, "%s needs at least one id", o->verb);
		if (o->to != NULL && (strcmp(o->verb, "restore") != 0 ||
				      o->nids != 1))
			argp_error(state, "--to goes with restore of one id");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child qchildren[] = {
	{ &ks_cli_common_argp, 0, NULL, 1 },
	{ 0 }
};

static const struct argp qargp = {
	qoptions, qparse, "list\nshow ID...\nrestore ID... [--to PATH]\n"
	"delete ID...",
	"Manage the files kfscan moved into quarantine.\v"
	"restore writes the file back byte for byte with its mode, owner "
	"(when run as root) and times, and refuses to replace an existing "
	"file unless --overwrite.  Each entry is one JSON record on stdout.",
	qchildren, NULL, NULL
};

static void entry(struct kj_writer *w, const struct kf_quar_meta *m)
{
	char hex[2 * KS_SHA256_LEN + 1];
	char mode[8];

	kj_str(w, "id", m->id);
	kj_str(w, "path", m->path);
	kj_uint(w, "size", m->size);
	kj_str(w, "sha256", ks_hex(m->sha256, KS_SHA256_LEN, hex));
	kj_str(w, "detection", m->detection);
	if (m->vm != NULL)
		kj_str(w, "vm", m->vm);
	kj_str(w, "reason", m->reason);
	kj_time(w, "quarantined", m->when);
	kj_uint(w, "uid", m->uid);
	kj_uint(w, "gid", m->gid);
	snprintf(mode, sizeof mode, "%04o", (unsigned)(m->mode & 07777));
	kj_str(w, "mode", mode);
	kj_time(w, "mtime", (struct ks_time){ m->mtime.tv_sec,
		(uint32_t)(m->mtime.tv_nsec / 1000) });
}

struct qrun {
	struct kj_writer w;
	struct ks_out out;
	int failed;
	int dead;
};

static void emit(struct qrun *q)
{
	struct ks_err err;

	if (!q->dead && kj_flush(&q->w, &q->out, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		q->dead = 1;
		q->failed = 1;
	}
}

static void problem(struct qrun *q, const char *id, const char *op,
		    const struct ks_err *err)
{
	kj_record_begin(&q->w, ks_time_now(), "quarantine", PROGRAM);
	kj_obj_open(&q->w, "quarantine");
	kj_str(&q->w, "id", id);
	kj_str(&q->w, "operation", op);
	kj_str(&q->w, "result", "failed");
	kj_str(&q->w, "message", err->msg);
	kj_obj_close(&q->w);
	kj_record_end(&q->w);
	emit(q);
	q->failed = 1;
}

static int list_cb(void *ctx, const char *id, const struct kf_quar_meta *m,
		   const char *why)
{
	struct qrun *q = ctx;

	kj_record_begin(&q->w, ks_time_now(), "quarantine", PROGRAM);
	kj_obj_open(&q->w, "quarantine");
	if (m != NULL) {
		entry(&q->w, m);
	} else {
		kj_str(&q->w, "id", id);
		kj_str(&q->w, "result", "failed");
		kj_str(&q->w, "message", why);
		q->failed = 1;
	}
	kj_obj_close(&q->w);
	kj_record_end(&q->w);
	emit(q);
	return q->dead;
}

int kfscan_quarantine(int argc, char **argv)
{
	struct qopts o;
	struct qrun q;
	struct kf_quar *store = NULL;
	struct kf_quar_recovery rec;
	struct ks_err err;
	const char *dir;

	memset(&o, 0, sizeof o);
	ks_cli_init(&o.cli, PROGRAM " quarantine");
	argp_parse(&qargp, argc, argv, 0, NULL, &o);
	ks_sig_install();
	dir = o.dir != NULL ? o.dir : KFSCAN_QUARANTINE_DIR;
	memset(&q, 0, sizeof q);
	if (kf_quar_open(&store, dir, &rec, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return KS_EXIT_FAIL;
	}
	if (ks_out_open(&q.out, o.cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		kf_quar_close(store);
		return KS_EXIT_FAIL;
	}
	kj_writer_init(&q.w, 0);
	if (strcmp(o.verb, "list") == 0 &&
	    kf_quar_list(store, list_cb, &q, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		q.failed = 1;
	}
	for (int i = 0; i < o.nids && !q.dead; i++) {
		const char *id = o.ids[i];
		struct kf_quar_meta m;

		memset(&m, 0, sizeof m);
		if (kf_quar_get(store, id, &m, &err) != KS_OK) {
			problem(&q, id, o.verb, &err);
			continue;
		}
		if (strcmp(o.verb, "show") == 0) {
			list_cb(&q, id, &m, NULL);
		} else if (strcmp(o.verb, "restore") == 0) {
			int owner = 0;
			int flags = (o.overwrite ? KF_QUAR_OVERWRITE : 0) |
				    (o.keep ? KF_QUAR_KEEP : 0);

			if (kf_quar_restore(store, id, o.to, flags, &owner,
					    &err) != KS_OK) {
				problem(&q, id, "restore", &err);
			} else {
				kj_record_begin(&q.w, ks_time_now(), "quarantine",
						PROGRAM);
				kj_obj_open(&q.w, "quarantine");
				entry(&q.w, &m);
				kj_str(&q.w, "operation", "restore");
				kj_str(&q.w, "result", "ok");
				kj_str(&q.w, "restored_to",
				       o.to != NULL ? o.to : m.path);
				kj_bool(&q.w, "owner_restored", owner);
				kj_bool(&q.w, "kept", o.keep);
				kj_obj_close(&q.w);
				kj_record_end(&q.w);
				emit(&q);
			}
		} else {
			if (kf_quar_delete(store, id, &err) != KS_OK) {
				problem(&q, id, "delete", &err);
			} else {
				kj_record_begin(&q.w, ks_time_now(), "quarantine",
						PROGRAM);
				kj_obj_open(&q.w, "quarantine");
				entry(&q.w, &m);
				kj_str(&q.w, "operation", "delete");
				kj_str(&q.w, "result", "ok");
				kj_obj_close(&q.w);
				kj_record_end(&q.w);
				emit(&q);
			}
		}
		kf_quar_meta_free(&m);
	}
	if (ks_out_close(&q.out, &err) != KS_OK && !q.dead) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		q.failed = 1;
	}
	kj_writer_free(&q.w);
	kf_quar_close(store);
	return q.failed ? KS_EXIT_FAIL : KS_EXIT_CLEAN;
}
