#include "file/record.h"

#include <stdio.h>

#include "core/digest.h"

static void write_id(struct kj_writer *w, struct json_object *id)
{
	if (id != NULL)
		kj_json(w, "id", id);
}

static void write_file(struct kj_writer *w, const struct kf_result *r)
{
	char hex[2 * KS_SHA256_LEN + 1];
	char mode[8];

	kj_obj_open(w, "file");
	kj_str(w, "path", r->path);
	if (r->have_st) {
		kj_uint(w, "size", (uint64_t)r->st.st_size);
		kj_uint(w, "uid", r->st.st_uid);
		kj_uint(w, "gid", r->st.st_gid);
		if (r->owner != NULL)
			kj_str(w, "owner", r->owner);
		snprintf(mode, sizeof mode, "%04o", (unsigned)(r->st.st_mode & 07777));
		kj_str(w, "mode", mode);
		kj_time(w, "mtime", (struct ks_time){ r->st.st_mtim.tv_sec,
			(uint32_t)(r->st.st_mtim.tv_nsec / 1000) });
		kj_uint(w, "inode", (uint64_t)r->st.st_ino);
		kj_uint(w, "device", (uint64_t)r->st.st_dev);
	}
	if (r->have_sha256)
		kj_str(w, "sha256", ks_hex(r->sha256, KS_SHA256_LEN, hex));
	if (r->have_md5)
		kj_str(w, "md5", ks_hex(r->md5, KS_MD5_LEN, hex));
	if (r->mime != NULL)
		kj_str(w, "mime_type", r->mime);
	if (r->desc != NULL)
		kj_str(w, "description", r->desc);
	kj_obj_close(w);
}

static void write_match(struct kj_writer *w, const struct kf_match *m)
{
	kj_obj_open(w, NULL);
	kj_str(w, "source", m->source == KF_SRC_YARA ? "yara" : "hash");
	kj_str(w, "rule", m->rule);
	if (m->source == KF_SRC_YARA) {
		kj_str(w, "namespace", m->ns);
		kj_str(w, "rule_set", m->set);
		kj_arr_open(w, "tags");
		for (size_t i = 0; i < m->ntags; i++)
			kj_str(w, NULL, m->tags[i]);
		kj_arr_close(w);
		kj_obj_open(w, "meta");
		for (size_t i = 0; i < m->nmeta; i++) {
			const struct kf_meta *k = &m->meta[i];

			if (k->type == KF_META_STRING)
				kj_str(w, k->key, k->s);
			else if (k->type == KF_META_BOOL)
				kj_bool(w, k->key, k->i != 0);
			else
				kj_int(w, k->key, k->i);
		}
		kj_obj_close(w);
		kj_arr_open(w, "strings");
		for (size_t i = 0; i < m->nhits; i++) {
			kj_obj_open(w, NULL);
			kj_str(w, "id", m->hits[i].id);
			kj_uint(w, "offset", m->hits[i].offset);
			kj_uint(w, "length", m->hits[i].length);
			kj_obj_close(w);
		}
		kj_arr_close(w);
		kj_uint(w, "strings_total", m->hits_total);
	} else {
		kj_str(w, "hash", m->ns);
		kj_str(w, "list", m->set);
	}
	if (m->member != NULL)
		kj_str(w, "member", m->member);
	kj_obj_close(w);
}

static void write_archive(struct kj_writer *w, const struct kf_archive_info *a)
{
	if (a->archives == 0 && !a->capped_depth)
		return;
	kj_obj_open(w, "archive");
	if (a->format != NULL)
		kj_str(w, "format", a->format);
	kj_uint(w, "archives", a->archives);
	kj_uint(w, "members", a->members);
	kj_uint(w, "bytes", a->bytes);
	if (a->encrypted)
		kj_uint(w, "encrypted", a->encrypted);
	kj_arr_open(w, "capped");
	if (a->capped_depth)
		kj_str(w, NULL, "depth");
	if (a->capped_members)
		kj_str(w, NULL, "members");
	if (a->capped_size)
		kj_str(w, NULL, "member-size");
	if (a->capped_total)
		kj_str(w, NULL, "total-size");
	if (a->capped_ratio)
		kj_str(w, NULL, "ratio");
	kj_arr_close(w);
	if (a->corrupt) {
		kj_uint(w, "corrupt", a->corrupt);
		kj_str(w, "corrupt_message", a->corrupt_msg);
	}
	kj_obj_close(w);
}

static void write_outcome(struct kj_writer *w, const struct kf_outcome *o)
{
	kj_obj_open(w, "action");
	if (o->done)
		kj_str(w, "taken", kf_action_name(o->taken));
	else
		kj_null(w, "taken");
	kj_str(w, "access", o->deny ? "deny" : "allow");
	kj_arr_open(w, "attempts");
	for (size_t i = 0; i < o->n; i++) {
		const struct kf_attempt *a = &o->attempts[i];

		kj_obj_open(w, NULL);
		kj_str(w, "action", kf_action_name(a->action));
		kj_str(w, "result", a->ok ? "ok" : "failed");
		if (a->detail != NULL)
			kj_str(w, "detail", a->detail);
		if (a->quarantine_id[0] != '\0')
			kj_str(w, "quarantine_id", a->quarantine_id);
		kj_obj_close(w);
	}
	kj_arr_close(w);
	kj_obj_close(w);
}

enum ks_status kf_record_file(struct kj_writer *w, const struct kf_result *r,
			      const struct kf_outcome *o,
			      const struct kf_record_ctx *c)
{
	kj_record_begin(w, ks_time_now(), "file", c->program);
	write_id(w, c->id);
	if (c->vm != NULL)
		kj_str(w, "vm", c->vm);
	write_file(w, r);
	kj_str(w, "verdict", kf_verdict_name(r->verdict));
	if (r->nmatches > 0) {
		kj_arr_open(w, "matches");
		for (size_t i = 0; i < r->nmatches; i++)
			write_match(w, &r->matches[i]);
		kj_arr_close(w);
		if (r->matches_dropped)
			kj_uint(w, "matches_dropped", r->matches_dropped);
	}
	write_archive(w, &r->archive);
	if (r->skip_reason != NULL) {
		kj_obj_open(w, "skipped");
		kj_str(w, "reason", r->skip_reason);
		kj_obj_close(w);
	}
	if (r->err_msg != NULL) {
		kj_obj_open(w, "error");
		kj_str(w, "kind", ks_status_name(r->err_kind));
		kj_str(w, "message", r->err_msg);
		kj_obj_close(w);
	}
	if (c->profile != NULL && r->verdict == KF_INFECTED)
		kj_str(w, "profile", c->profile);
	if (o != NULL && o->n > 0)
		write_outcome(w, o);
	if (r->cached)
		kj_bool(w, "cached", 1);
	if (c->event != NULL)
		kj_json(w, "event", c->event);
	kj_uint(w, "elapsed_us", r->elapsed_us);
	return kj_record_end(w);
}

enum ks_status kf_record_request_error(struct kj_writer *w,
				       const char *program,
				       struct json_object *id,
				       const char *path, enum ks_status kind,
				       const char *message)
{
	kj_record_begin(w, ks_time_now(), "file", program);
	write_id(w, id);
	if (path != NULL) {
		kj_obj_open(w, "file");
		kj_str(w, "path", path);
		kj_obj_close(w);
	}
	kj_str(w, "verdict", "error");
	kj_obj_open(w, "error");
	kj_str(w, "kind", ks_status_name(kind));
	kj_str(w, "message", message);
	kj_obj_close(w);
	return kj_record_end(w);
}
