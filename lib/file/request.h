/*
 * Scan requests: the JSON Lines that kgi-relay (or anyone) writes to
 * `kfscan --requests`, one object per line:
 *
 *   {"id": "e-17", "path": "/srv/vm/web1/disk/tmp/x.exe",
 *    "vm": "web1", "profile": "disinfect", "event": {...}}
 *
 * id       string (1..256 bytes) or integer: copied into the verdict, so
 *          the requester can match answers, which come as soon as each
 *          scan is done (not in request order);
 * path     the absolute path of the file as the scanner sees it, or,
 *          with root, as the guest sees it;
 * root     optional: the directory where the guest's disk is seen; the path
 *          is then resolved beneath it and nowhere else (".." and symbolic
 *          links that lead out of it are refused: core/beneath.h);
 * vm       optional: the guest the file belongs to (1..256 bytes);
 * profile  optional: the protection profile to apply (else the run's);
 * event    optional: any JSON value, copied into the verdict as it is;
 * act      optional boolean, default true: false asks for the verdict
 *          only, with no action taken (monitoring mode).
 * Other members are ignored.  The line itself is read by the shared
 * JSON Lines reader (caps, NUL bytes, UTF-8) before it gets here.
 */
#ifndef KS_FILE_REQUEST_H
#define KS_FILE_REQUEST_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/status.h"

#define KF_REQ_MAX_ID 256
#define KF_REQ_MAX_VM 256
#define KF_REQ_MAX_PROFILE 63
#define KF_REQ_MAX_PATH 4096

struct kf_request {
	struct json_object *id;      /* borrowed from the object, or NULL */
	const char *path;            /* may hold any byte but NUL */
	const char *root;            /* NULL when absent */
	const char *vm;              /* NULL when absent */
	const char *profile;         /* NULL when absent */
	struct json_object *event;   /* borrowed, or NULL */
	int act;                     /* carry out the profile (default 1) */
};

/*
 * Check a parsed request.  On KS_ERR_INVALID, r->id is still set when the
 * request carried a valid id, so the answer can name it.  Pointers borrow
 * from `obj`, which must outlive the request.
 */
enum ks_status kf_request_parse(struct json_object *obj, struct kf_request *r,
				struct ks_err *err);

#endif
