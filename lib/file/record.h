/*
 * The `file` record: one per scanned file (ksvm-events(7), "file").
 */
#ifndef KS_FILE_RECORD_H
#define KS_FILE_RECORD_H

#include <json-c/json.h>

#include "file/action.h"
#include "file/scan.h"
#include "json/writer.h"

struct kf_record_ctx {
	const char *program;         /* "kfscan" */
	struct json_object *id;      /* request id, or NULL */
	const char *vm;              /* or NULL */
	const char *profile;         /* the profile applied, or NULL */
	struct json_object *event;   /* echoed from the request, or NULL */
};

/* Write the record for a result and the outcome of its actions (NULL
 * when nothing was done); the status is kj_record_end's. */
enum ks_status kf_record_file(struct kj_writer *w, const struct kf_result *r,
			      const struct kf_outcome *o,
			      const struct kf_record_ctx *c);

/* The answer to a request that could not be scanned at all (bad request):
 * a `file` record with verdict "error" and the request's id. */
enum ks_status kf_record_request_error(struct kj_writer *w,
				       const char *program,
				       struct json_object *id,
				       const char *path, enum ks_status kind,
				       const char *message);

#endif
