#include "relay/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/beneath.h"
#include "core/timefmt.h"
#include "net/policy.h"
#include "core/u64map.h"
#include "json/reader.h"
#include "json/writer.h"
#include "relay/event.h"

/* ---- data ----------------------------------------------------------------- */

struct vm {
	char *name;
	char *root;
	int rootfd;
	const struct kf_profile *profile;
};

/* A file version under a profile: what a verdict is valid for. */
struct fkey {
	uint64_t dev, ino, size;
	int64_t mtime_s, ctime_s;
	uint32_t mtime_ns, ctime_ns;
	uint32_t vm;                  /* index: the profile comes with it */
};

struct scan;

struct waiter {
	struct waiter *prev, *next;   /* the deadline list (arrival order) */
	struct waiter *next_in_scan;
	struct scan *scan;
	int client;
	struct json_object *obj;      /* the event (owned) */
	struct kg_event ev;
	const struct vm *vm;
	uint64_t arrival, deadline;
	int joined;                   /* joined a scan already in flight */
};

struct scan {
	uint64_t id;                  /* "r<id>" in the request */
	struct fkey key;
	uint64_t khash;
	struct waiter *waiters;       /* unanswered events */
	size_t nwaiters;
	char *line;                   /* the request, to send again */
	size_t len;
	int sent;
};

/* A verdict kept for a file version. */
struct verdict {
	struct fkey key;
	int deny;                     /* what standard mode decides */
	int detected;
	char *summary;                /* the "scan" member's JSON text */
};

struct kg_engine {
	struct kg_config cfg;
	struct kg_io io;
	struct vm *vms;
	size_t nvms;
	struct ks_u64map scans_by_id, scans_by_key;
	struct ks_u64map cache;       /* khash -> struct verdict */
	struct ks_u64map dirty;       /* hash of (vm, path) -> marker */
	struct waiter *head, *tail;   /* unanswered, oldest first */
	uint64_t next_id;
	struct kj_parser parser;
	struct kj_writer w;
	struct kg_stats st;
};

/* ---- helpers -------------------------------------------------------------- */

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	/* FNV-1a, then mixed: plenty for table keys that are verified. */
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return ks_u64map_mix(h);
}

static uint64_t key_hash(const struct fkey *k)
{
	return hash_bytes(0xcbf29ce484222325ull, k, sizeof *k);
}

static uint64_t dirty_hash(uint32_t vm, const char *path)
{
	return hash_bytes(hash_bytes(0xcbf29ce484222325ull, &vm, sizeof vm),
			  path, strlen(path));
}

static void emit(struct kg_engine *e, int client, int to_client)
{
	if (kj_record_end(&e->w) != KS_OK) {
		e->w.buf.len = 0;
		return;
	}
	if (to_client)
		e->io.decision(e->io.ctx, client, (char *)e->w.buf.data,
			       e->w.buf.len);
	else
		e->io.log(e->io.ctx, (char *)e->w.buf.data, e->w.buf.len);
	ks_buf_reset(&e->w.buf);
}

static void log_error(struct kg_engine *e, const char *input, uint64_t line,
		      enum ks_status kind, const char *msg)
{
	kj_error_record(&e->w, "kgi-relay", input, line, kind, msg);
	e->io.log(e->io.ctx, (char *)e->w.buf.data, e->w.buf.len);
	ks_buf_reset(&e->w.buf);
}

/* ---- decisions ------------------------------------------------------------ */

enum reason {
	R_CLEAN, R_DETECTED, R_TIMEOUT, R_SCANNER_ERROR, R_NOT_SCANNED,
	R_BAD_EVENT,
};

static const char *const reason_names[] = {
	"clean", "detected", "timeout", "scanner-error", "not-scanned",
	"bad-event",
};

struct outcome {
	int deny;                 /* standard mode's decision */
	enum reason reason;
	const char *detail;       /* NULL or a message */
	const char *summary;      /* JSON text of the "scan" member, or NULL */
	const char *request;      /* "r12" */
	int merged, cached;
};

/* Write the access record for an event and hand it to its client. */
static void decide(struct kg_engine *e, int client, struct json_object *id,
		   const struct kg_event *ev, const struct vm *vm,
		   uint64_t arrival, uint64_t now, const struct outcome *o)
{
	int deny = e->cfg.monitoring ? 0 : o->deny;
	uint64_t lat = now > arrival ? now - arrival : 0;

	kj_record_begin(&e->w, ks_time_now(), "access", "kgi-relay");
	if (id != NULL)
		kj_json(&e->w, "id", id);
	else
		kj_null(&e->w, "id");
	/* The guest's name also when the agent gave its address. */
	if (vm != NULL)
		kj_str(&e->w, "vm", vm->name);
	else if (ev != NULL && ev->vm != NULL)
		kj_str(&e->w, "vm", ev->vm);
	if (ev != NULL && ev->address != NULL)
		kj_str(&e->w, "address", ev->address);
	if (ev != NULL && ev->op != 0)
		kj_str(&e->w, "op", kf_op_name(ev->op));
	if (ev != NULL && ev->path != NULL)
		kj_str(&e->w, "path", ev->path);
	if (ev != NULL && ev->pid >= 0)
		kj_int(&e->w, "pid", ev->pid);
	if (ev != NULL && ev->process != NULL)
		kj_str(&e->w, "process", ev->process);
	if (ev != NULL && ev->user != NULL)
		kj_str(&e->w, "user", ev->user);
	if (ev != NULL && ev->time != NULL)
		kj_str(&e->w, "event_time", ev->time);
	kj_str(&e->w, "decision", deny ? "deny" : "allow");
	kj_str(&e->w, "reason", reason_names[o->reason]);
	kj_str(&e->w, "mode", e->cfg.monitoring ? "monitoring" : "standard");
	if (e->cfg.monitoring)
		kj_str(&e->w, "would", o->deny ? "deny" : "allow");
	if (vm != NULL)
		kj_str(&e->w, "profile", vm->profile->name);
	if (o->detail != NULL)
		kj_str(&e->w, "detail", o->detail);
	if (o->summary != NULL || o->request != NULL) {
		kj_obj_open(&e->w, "scan");
		if (o->request != NULL)
			kj_str(&e->w, "request", o->request);
		kj_bool(&e->w, "merged", o->merged);
		kj_bool(&e->w, "cached", o->cached);
		if (o->summary != NULL) {
			struct json_object *sum = json_tokener_parse(o->summary);

			if (sum != NULL) {
				json_object_object_foreach(sum, k, v)
					kj_json(&e->w, k, v);
				json_object_put(sum);
			}
		}
		kj_obj_close(&e->w);
	}
	kj_uint(&e->w, "latency_us", lat);
	emit(e, client, 1);

	e->st.events++;
	if (deny)
		e->st.denied++;
	else
		e->st.allowed++;
	switch (o->reason) {
	case R_CLEAN: e->st.clean++; break;
	case R_DETECTED: e->st.detected++; break;
	case R_TIMEOUT: e->st.timeouts++; break;
	case R_SCANNER_ERROR: e->st.scanner_errors++; break;
	case R_NOT_SCANNED: e->st.not_scanned++; break;
	case R_BAD_EVENT: e->st.bad_events++; break;
	}
	if (lat > e->st.latency_max_us)
		e->st.latency_max_us = lat;
}

static void decide_now(struct kg_engine *e, int client, struct json_object *obj,
		       const struct kg_event *ev, const struct vm *vm,
		       uint64_t now, const struct outcome *o)
{
	decide(e, client, ev != NULL ? ev->id : NULL, ev, vm, now, now, o);
	json_object_put(obj);
}

/* ---- waiters -------------------------------------------------------------- */

static void unlink_waiter(struct kg_engine *e, struct waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		e->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		e->tail = w->prev;
	w->prev = w->next = NULL;
	e->st.waiting--;
}

static void free_waiter(struct waiter *w)
{
	json_object_put(w->obj);
	free(w);
}

static void free_scan(struct kg_engine *e, struct scan *s)
{
	ks_u64map_del(&e->scans_by_id, s->id);
	if (ks_u64map_get(&e->scans_by_key, s->khash) == s)
		ks_u64map_del(&e->scans_by_key, s->khash);
	free(s->line);
	free(s);
}

/* ---- set-up --------------------------------------------------------------- */

struct kg_engine *kg_engine_new(const struct kg_config *cfg,
				const struct kg_io *io, struct ks_err *err)
{
	struct kg_engine *e = calloc(1, sizeof *e);
	const struct kf_profile *def;

	if (e == NULL) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->io = *io;
	ks_u64map_init(&e->scans_by_id, cfg->max_waiting + 1);
	ks_u64map_init(&e->scans_by_key, cfg->max_waiting + 1);
	ks_u64map_init(&e->cache, cfg->cache_max);
	ks_u64map_init(&e->dirty, cfg->max_dirty);
	kj_writer_init(&e->w, 0);
	if (kj_parser_init(&e->parser, 0) != KS_OK)
		goto nomem;
	def = kf_profile_find(cfg->profiles, cfg->default_profile);
	if (def == NULL) {
		ks_err_set(err, KS_ERR_USAGE, "unknown profile '%s'",
			   cfg->default_profile);
		goto fail;
	}
	e->vms = calloc(cfg->nvms ? cfg->nvms : 1, sizeof *e->vms);
	if (e->vms == NULL)
		goto nomem;
	for (size_t i = 0; i < cfg->nvms; i++) {
		struct vm *v = &e->vms[i];
		const struct kg_vm_conf *c = &cfg->vms[i];

		v->rootfd = -1;
		for (size_t k = 0; k < i; k++) {
			if (strcmp(e->vms[k].name, c->name) == 0) {
				ks_err_set(err, KS_ERR_USAGE,
					   "VM '%s' is given twice", c->name);
				e->nvms = i;
				goto fail;
			}
		}
		v->name = strdup(c->name);
		v->root = strdup(c->root);
		e->nvms = i + 1;
		if (v->name == NULL || v->root == NULL)
			goto nomem;
		v->profile = c->profile != NULL ?
				     kf_profile_find(cfg->profiles, c->profile) :
				     def;
		if (v->profile == NULL) {
			ks_err_set(err, KS_ERR_USAGE,
				   "VM '%s': unknown profile '%s'", c->name,
				   c->profile);
			goto fail;
		}
		v->rootfd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (v->rootfd < 0) {
			ks_err_sys(err, ks_status_from_errno(errno), errno,
				   "VM '%s': cannot open its root %s", c->name,
				   c->root);
			goto fail;
		}
	}
	return e;
nomem:
	ks_err_set(err, KS_ERR_NOMEM, "out of memory");
fail:
	kg_engine_free(e);
	return NULL;
}

static void clear_cache(struct kg_engine *e)
{
	for (size_t i = 0; i < e->cache.cap; i++) {
		struct verdict *v = e->cache.slots[i].val;

		if (v != NULL) {
			free(v->summary);
			free(v);
		}
	}
	ks_u64map_clear(&e->cache);
}

void kg_engine_clear_cache(struct kg_engine *e)
{
	clear_cache(e);
}

void kg_engine_free(struct kg_engine *e)
{
	struct waiter *w, *n;

	if (e == NULL)
		return;
	for (w = e->head; w != NULL; w = n) {
		n = w->next;
		free_waiter(w);
	}
	for (size_t i = 0; i < e->scans_by_id.cap; i++) {
		struct scan *s = e->scans_by_id.slots[i].val;

		if (s != NULL) {
			free(s->line);
			free(s);
		}
	}
	clear_cache(e);
	ks_u64map_free(&e->scans_by_id);
	ks_u64map_free(&e->scans_by_key);
	ks_u64map_free(&e->cache);
	ks_u64map_free(&e->dirty);
	for (size_t i = 0; i < e->nvms; i++) {
		if (e->vms[i].rootfd >= 0)
			close(e->vms[i].rootfd);
		free(e->vms[i].name);
		free(e->vms[i].root);
	}
	free(e->vms);
	kj_parser_free(&e->parser);
	kj_writer_free(&e->w);
	free(e);
}

/* ---- events --------------------------------------------------------------- */

/* The guest of an event: by its name, else by its address (the guest
 * whose addresses hold it with the longest prefix, so that a host's own
 * address wins over the subnet it is in). */
static const struct vm *find_vm(const struct kg_engine *e,
				const struct kg_event *ev, uint32_t *index)
{
	struct kn_cidr a;
	int best = -1;
	size_t best_i = 0;

	if (ev->vm != NULL) {
		for (size_t i = 0; i < e->nvms; i++) {
			if (strcmp(e->vms[i].name, ev->vm) == 0) {
				*index = (uint32_t)i;
				return &e->vms[i];
			}
		}
		return NULL;
	}
	if (kn_cidr_parse(ev->address, &a) != 0 ||
	    a.prefix != (a.net.family == 4 ? 32 : 128))
		return NULL;
	for (size_t i = 0; i < e->cfg.nvms; i++) {
		const struct kg_vm_conf *c = &e->cfg.vms[i];
		int m = kn_cidr_list_match(c->addresses, c->naddresses, &a.net);

		if (m > best) {
			best = m;
			best_i = i;
		}
	}
	if (best < 0)
		return NULL;
	*index = (uint32_t)best_i;
	return &e->vms[best_i];
}

static void send_request(struct kg_engine *e, struct scan *s)
{
	e->io.request(e->io.ctx, s->line, s->len);
	s->sent = 1;
}

/* Build the scan request for the event's file. */
static struct scan *new_scan(struct kg_engine *e, const struct vm *vm,
			     const struct kg_event *ev, const struct fkey *k,
			     uint64_t khash)
{
	struct scan *s = calloc(1, sizeof *s);
	char id[32];

	if (s == NULL)
		return NULL;
	s->id = ++e->next_id;
	s->key = *k;
	s->khash = khash;
	snprintf(id, sizeof id, "r%llu", (unsigned long long)s->id);
	/* A request is a record-shaped line: the writer's escaping keeps
	 * paths that are not UTF-8 exact. */
	kj_line_begin(&e->w);
	kj_obj_open(&e->w, NULL);
	kj_str(&e->w, "id", id);
	kj_str(&e->w, "root", vm->root);
	kj_str(&e->w, "path", ev->path);
	kj_str(&e->w, "vm", vm->name);
	kj_str(&e->w, "profile", vm->profile->name);
	if (e->cfg.monitoring)
		kj_bool(&e->w, "act", 0);
	kj_obj_open(&e->w, "event");
	kj_str(&e->w, "op", kf_op_name(ev->op));
	kj_obj_close(&e->w);
	kj_obj_close(&e->w);
	if (kj_line_end(&e->w) != KS_OK ||
	    ks_u64map_put(&e->scans_by_id, s->id, s) != 0 ||
	    ks_u64map_put(&e->scans_by_key, khash, s) != 0) {
		ks_u64map_del(&e->scans_by_id, s->id);
		ks_buf_reset(&e->w.buf);
		free(s);
		return NULL;
	}
	s->line = (char *)ks_buf_steal(&e->w.buf, &s->len);
	return s;
}

void kg_engine_event(struct kg_engine *e, int client, struct json_object *obj,
		     uint64_t now)
{
	struct kg_event ev;
	struct ks_err err;
	const struct vm *vm;
	uint32_t vmi = 0;
	struct outcome o = { 0 };
	struct stat st;
	struct fkey k;
	uint64_t khash;
	struct verdict *cached;
	struct scan *s;
	struct waiter *w;
	int fd, scan_it;

	if (kg_event_parse(obj, &ev, &err) != KS_OK) {
		o.deny = 1;
		o.reason = R_BAD_EVENT;
		o.detail = err.msg;
		decide_now(e, client, obj, &ev, NULL, now, &o);
		return;
	}
	vm = find_vm(e, &ev, &vmi);
	if (vm == NULL) {
		o.deny = 1;
		o.reason = R_BAD_EVENT;
		o.detail = ev.vm != NULL ? "unknown vm" :
					   "no guest has this address";
		decide_now(e, client, obj, &ev, NULL, now, &o);
		return;
	}
	/* Which operations need a scan is the profile's to say; a write
	 * marks the file so that the close after it is scanned. */
	if (ev.op == KF_OP_WRITE || ev.op == KF_OP_CREATE) {
		uint64_t dh = dirty_hash(vmi, ev.path);

		if (ks_u64map_put(&e->dirty, dh, (void *)1) != 0) {
			/* Full: the oldest marks cannot be told apart, so
			 * start over (closes after a write are scanned
			 * while the profile scans open anyway). */
			ks_u64map_clear(&e->dirty);
			ks_u64map_put(&e->dirty, dh, (void *)1);
		}
	}
	scan_it = (vm->profile->scan_ops & ev.op) != 0;
	if (ev.op == KF_OP_CLOSE && !scan_it &&
	    (vm->profile->scan_ops & KF_OP_CLOSE_AFTER_WRITE))
		scan_it = ks_u64map_del(&e->dirty, dirty_hash(vmi, ev.path)) != NULL;
	else if (ev.op == KF_OP_CLOSE)
		ks_u64map_del(&e->dirty, dirty_hash(vmi, ev.path));
	if (!scan_it) {
		o.reason = R_NOT_SCANNED;
		decide_now(e, client, obj, &ev, vm, now, &o);
		return;
	}
	if (ks_path_has_dotdot(ev.path)) {
		o.deny = 1;
		o.reason = R_BAD_EVENT;
		o.detail = "the path leads out of the VM's root (\"..\")";
		decide_now(e, client, obj, &ev, vm, now, &o);
		return;
	}
	fd = ks_open_beneath(vm->rootfd, ev.path, O_PATH | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int errnum = errno;

		if (fd >= 0)
			close(fd);
		if (errnum == EXDEV) {
			o.deny = 1;
			o.reason = R_BAD_EVENT;
			o.detail = "the path leads out of the VM's root (a "
				   "symbolic link)";
		} else {
			/* Nothing there to scan (the guest's own open will
			 * fail the same way). */
			o.reason = R_NOT_SCANNED;
			o.detail = strerror(errnum);
		}
		decide_now(e, client, obj, &ev, vm, now, &o);
		return;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		o.reason = R_NOT_SCANNED;
		o.detail = "not a regular file";
		decide_now(e, client, obj, &ev, vm, now, &o);
		return;
	}
	memset(&k, 0, sizeof k);
	k.dev = (uint64_t)st.st_dev;
	k.ino = (uint64_t)st.st_ino;
	k.size = (uint64_t)st.st_size;
	k.mtime_s = st.st_mtim.tv_sec;
	k.mtime_ns = (uint32_t)st.st_mtim.tv_nsec;
	k.ctime_s = st.st_ctim.tv_sec;
	k.ctime_ns = (uint32_t)st.st_ctim.tv_nsec;
	k.vm = vmi;
	khash = key_hash(&k);

	cached = ks_u64map_get(&e->cache, khash);
	if (cached != NULL && memcmp(&cached->key, &k, sizeof k) == 0) {
		o.deny = cached->deny;
		o.reason = cached->detected ? R_DETECTED : R_CLEAN;
		o.summary = cached->summary;
		o.cached = 1;
		e->st.cache_hits++;
		decide_now(e, client, obj, &ev, vm, now, &o);
		return;
	}
	if (e->st.waiting >= e->cfg.max_waiting) {
		o.deny = !vm->profile->fail_open;
		o.reason = R_TIMEOUT;
		o.detail = "too many events are waiting for verdicts";
		decide_now(e, client, obj, &ev, vm, now, &o);
		return;
	}
	w = calloc(1, sizeof *w);
	if (w == NULL) {
		o.deny = !vm->profile->fail_open;
		o.reason = R_SCANNER_ERROR;
		o.detail = "out of memory";
		decide_now(e, client, obj, &ev, vm, now, &o);
		return;
	}
	s = ks_u64map_get(&e->scans_by_key, khash);
	if (s != NULL && memcmp(&s->key, &k, sizeof k) == 0) {
		e->st.merged++;
		w->joined = 1;
	} else {
		s = new_scan(e, vm, &ev, &k, khash);
		if (s == NULL) {
			free(w);
			o.deny = !vm->profile->fail_open;
			o.reason = R_SCANNER_ERROR;
			o.detail = "cannot queue the scan";
			decide_now(e, client, obj, &ev, vm, now, &o);
			return;
		}
		e->st.scans++;
		send_request(e, s);
	}
	w->scan = s;
	w->client = client;
	w->obj = obj;
	w->ev = ev;
	w->vm = vm;
	w->arrival = now;
	w->deadline = now + e->cfg.timeout_us;
	w->next_in_scan = s->waiters;
	s->waiters = w;
	s->nwaiters++;
	w->prev = e->tail;
	if (e->tail != NULL)
		e->tail->next = w;
	else
		e->head = w;
	e->tail = w;
	e->st.waiting++;
}

void kg_engine_bad_line(struct kg_engine *e, int client, uint64_t line_no,
			const char *why, uint64_t now)
{
	struct outcome o = { 0 };
	char detail[600];

	snprintf(detail, sizeof detail, "line %llu: %s",
		 (unsigned long long)line_no, why);
	o.deny = 1;
	o.reason = R_BAD_EVENT;
	o.detail = detail;
	decide(e, client, NULL, NULL, NULL, now, now, &o);
}

/* ---- verdicts ------------------------------------------------------------- */

/* The parts of a verdict record an access record repeats. */
static char *summarize(struct json_object *rec)
{
	struct kj_writer w;
	struct json_object *v, *m, *a;
	char *out;
	size_t n;

	kj_writer_init(&w, 1 << 16);
	kj_line_begin(&w);
	kj_obj_open(&w, NULL);
	if (json_object_object_get_ex(rec, "verdict", &v))
		kj_json(&w, "verdict", v);
	if (json_object_object_get_ex(rec, "file", &v) &&
	    json_object_object_get_ex(v, "sha256", &m))
		kj_json(&w, "sha256", m);
	if (json_object_object_get_ex(rec, "matches", &m) &&
	    json_object_is_type(m, json_type_array)) {
		kj_arr_open(&w, "rules");
		for (size_t i = 0; i < json_object_array_length(m) && i < 8; i++) {
			struct json_object *r;

			if (json_object_object_get_ex(json_object_array_get_idx(m, i),
						      "rule", &r))
				kj_json(&w, NULL, r);
		}
		kj_arr_close(&w);
	}
	if (json_object_object_get_ex(rec, "action", &a) &&
	    json_object_object_get_ex(a, "taken", &v))
		kj_json(&w, "action", v);
	if (json_object_object_get_ex(rec, "error", &v) &&
	    json_object_object_get_ex(v, "message", &m))
		kj_json(&w, "error", m);
	kj_obj_close(&w);
	if (kj_line_end(&w) != KS_OK) {
		kj_writer_free(&w);
		return NULL;
	}
	out = (char *)ks_buf_steal(&w.buf, &n);
	kj_writer_free(&w);
	return out;
}

static int get_str(struct json_object *o, const char *k, const char **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	return 0;
}

void kg_engine_scanner_line(struct kg_engine *e, char *line, size_t len,
			    uint64_t now)
{
	struct json_object *rec = NULL, *action;
	struct ks_err err;
	const char *et, *id, *verdict, *access, *kind;
	struct scan *s;
	struct outcome o = { 0 };
	char *endp;
	unsigned long long n;
	char request[32];

	if (kj_parse(&e->parser, line, len, &rec, &err) != KS_OK || rec == NULL) {
		if (rec == NULL && err.status == KS_OK)
			return;  /* a blank line */
		e->st.scanner_garbage++;
		log_error(e, "scanner", 0, KS_ERR_INVALID,
			  "the scanner wrote a line that is not a record");
		return;
	}
	/* Whatever the scanner says goes to the log; a file verdict with one
	 * of our request ids also answers the events that wait for it. */
	kj_record_json(&e->w, rec);
	e->io.log(e->io.ctx, (char *)e->w.buf.data, e->w.buf.len);
	ks_buf_reset(&e->w.buf);
	if (get_str(rec, "event_type", &et) != 0 || strcmp(et, "file") != 0 ||
	    get_str(rec, "id", &id) != 0 || id[0] != 'r') {
		if (get_str(rec, "event_type", &et) != 0)
			e->st.scanner_garbage++;
		json_object_put(rec);
		return;
	}
	n = strtoull(id + 1, &endp, 10);
	s = *endp == '\0' ? ks_u64map_get(&e->scans_by_id, n) : NULL;
	if (s == NULL) {
		/* An answer to a request that was already answered (sent
		 * twice after a restart) or that we never made. */
		json_object_put(rec);
		return;
	}
	if (get_str(rec, "verdict", &verdict) != 0)
		verdict = "error";
	o.summary = summarize(rec);
	snprintf(request, sizeof request, "r%llu", n);
	o.request = request;
	if (strcmp(verdict, "clean") == 0) {
		o.reason = R_CLEAN;
	} else if (strcmp(verdict, "infected") == 0) {
		o.reason = R_DETECTED;
		o.deny = 1;
		if (json_object_object_get_ex(rec, "action", &action) &&
		    get_str(action, "access", &access) == 0)
			o.deny = strcmp(access, "allow") != 0;
		/* In monitoring the scanner took no action: standard mode
		 * would have denied unless the profile only reports. */
		if (e->cfg.monitoring && s->waiters != NULL) {
			const struct kf_profile *p = s->waiters->vm->profile;

			o.deny = !(p->nchain > 0 && p->chain[0] == KF_ACT_REPORT);
		}
	} else if (strcmp(verdict, "skipped") == 0) {
		o.reason = R_NOT_SCANNED;
		o.detail = "the scanner skipped the file";
	} else {
		struct json_object *eo;

		o.reason = R_SCANNER_ERROR;
		if (json_object_object_get_ex(rec, "error", &eo) &&
		    get_str(eo, "kind", &kind) == 0 && strcmp(kind, "perm") == 0)
			o.detail = "the scanner could not open the file";
	}
	/* Answer every waiting event. */
	for (struct waiter *w = s->waiters, *nx; w != NULL; w = nx) {
		struct outcome wo = o;

		nx = w->next_in_scan;
		if (o.reason == R_SCANNER_ERROR)
			wo.deny = !w->vm->profile->fail_open;
		wo.merged = w->joined;
		unlink_waiter(e, w);
		decide(e, w->client, w->ev.id, &w->ev, w->vm, w->arrival, now, &wo);
		free_waiter(w);
	}
	s->waiters = NULL;
	s->nwaiters = 0;
	/* Keep what a clean or infected verdict decides, for the next events
	 * on the same file version. */
	if ((o.reason == R_CLEAN || o.reason == R_DETECTED) && o.summary != NULL &&
	    e->cfg.cache_max > 0) {
		struct verdict *v = calloc(1, sizeof *v), *old;

		if (v != NULL) {
			v->key = s->key;
			v->deny = o.deny;
			v->detected = o.reason == R_DETECTED;
			v->summary = strdup(o.summary);
			old = ks_u64map_get(&e->cache, s->khash);
			if (old != NULL) {
				ks_u64map_del(&e->cache, s->khash);
				free(old->summary);
				free(old);
			}
			if (v->summary == NULL ||
			    ks_u64map_put(&e->cache, s->khash, v) != 0) {
				/* Full: start over rather than keep stale
				 * entries around. */
				clear_cache(e);
				if (v->summary == NULL ||
				    ks_u64map_put(&e->cache, s->khash, v) != 0) {
					free(v->summary);
					free(v);
				}
			}
		}
	}
	free((char *)o.summary);
	free_scan(e, s);
	json_object_put(rec);
}

/* ---- time and the scanner's life ----------------------------------------- */

void kg_engine_tick(struct kg_engine *e, uint64_t now)
{
	while (e->head != NULL && e->head->deadline <= now) {
		struct waiter *w = e->head, **pp;
		struct scan *s = w->scan;
		struct outcome o = { 0 };
		char request[32];

		/* Take the event out of its scan; the scan goes on. */
		for (pp = &s->waiters; *pp != NULL; pp = &(*pp)->next_in_scan) {
			if (*pp == w) {
				*pp = w->next_in_scan;
				break;
			}
		}
		s->nwaiters--;
		unlink_waiter(e, w);
		snprintf(request, sizeof request, "r%llu",
			 (unsigned long long)s->id);
		o.deny = !w->vm->profile->fail_open;
		o.reason = R_TIMEOUT;
		o.detail = "no verdict before the deadline";
		o.request = request;
		o.merged = w->joined;
		decide(e, w->client, w->ev.id, &w->ev, w->vm, w->arrival, now, &o);
		free_waiter(w);
	}
}

uint64_t kg_engine_next_deadline(const struct kg_engine *e)
{
	return e->head != NULL ? e->head->deadline : UINT64_MAX;
}

void kg_engine_scanner_lost(struct kg_engine *e)
{
	/* Scans nobody waits for any more are dropped; the others are
	 * marked to be sent again. */
	for (size_t i = 0; i < e->scans_by_id.cap; i++) {
		struct scan *s = e->scans_by_id.slots[i].val;

		if (s == NULL)
			continue;
		if (s->waiters == NULL) {
			free_scan(e, s);
			i = (size_t)-1;  /* the table moved: start again */
			continue;
		}
		s->sent = 0;
	}
}

void kg_engine_scanner_ready(struct kg_engine *e)
{
	for (size_t i = 0; i < e->scans_by_id.cap; i++) {
		struct scan *s = e->scans_by_id.slots[i].val;

		if (s != NULL && !s->sent) {
			send_request(e, s);
			e->st.resent++;
		}
	}
}

void kg_engine_stats(const struct kg_engine *e, struct kg_stats *s)
{
	*s = e->st;
}
