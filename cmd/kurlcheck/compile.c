/*
 * `kurlcheck compile` (feeds into a database file) and `kurlcheck info`
 * (describe a database), with the feed list from --feed and from the
 * [urlfeed NAME] sections of the configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "core/hex.h"
#include "json/writer.h"
#include "kurlcheck.h"

void feed_specs_free(struct feed_spec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].category);
		free(v[i].path);
	}
	free(v);
}

static struct feed_spec *spec_new(struct feed_spec **v, size_t *n)
{
	struct feed_spec *nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (nv == NULL)
		return NULL;
	*v = nv;
	memset(&nv[*n], 0, sizeof nv[0]);
	return &nv[(*n)++];
}

/* The default feed name: the file name without its extension. */
static char *name_of_path(const char *path)
{
	const char *b = strrchr(path, '/');
	char *s, *dot;

	s = strdup(b != NULL ? b + 1 : path);
	if (s != NULL && (dot = strrchr(s, '.')) != NULL && dot != s)
		*dot = '\0';
	return s;
}

/* Check and complete a spec; returns NULL or what is wrong. */
static const char *spec_finish(struct feed_spec *f, const char *format,
			       const char *category, const char *match)
{
	if (format == NULL || ku_format_parse(format, &f->fmt) != 0)
		return "unknown format (urls, openphish, domains, hosts, "
		       "adblock, urlhaus, phishtank, ip, cidr)";
	f->kind = ku_format_default_kind(f->fmt);
	if (match != NULL && ku_kind_parse(match, &f->kind) != 0)
		return "unknown match (url, host, domain, ip, cidr)";
	if (!ku_format_kind_ok(f->fmt, f->kind))
		return "this format cannot have that match";
	f->category = strdup(category != NULL ? category :
			     ku_format_default_category(f->fmt));
	if (f->category == NULL)
		return "out of memory";
	if (!ku_category_ok(f->category))
		return "a category is 1 to 32 of a-z, 0-9, _ and -, and not "
		       "clean or error";
	if (f->name == NULL && f->path != NULL)
		f->name = name_of_path(f->path);
	if (f->name == NULL || f->name[0] == '\0')
		return "a feed needs a name";
	return NULL;
}

/* FORMAT[,KEY=VALUE...]:PATH */
static const char *parse_spec(const char *s, struct feed_spec *f)
{
	const char *colon = strchr(s, ':');
	const char *format = NULL, *category = NULL, *match = NULL, *why;
	char *head, *save = NULL;

	if (colon == NULL || colon == s || colon[1] == '\0')
		return "want FORMAT[,KEY=VALUE...]:PATH";
	head = strndup(s, (size_t)(colon - s));
	f->path = strdup(colon + 1);
	if (head == NULL || f->path == NULL) {
		free(head);
		return "out of memory";
	}
	for (char *t = strtok_r(head, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');

		if (format == NULL && eq == NULL) {
			format = t;
			continue;
		}
		if (eq == NULL) {
			free(head);
			return "want KEY=VALUE after the format";
		}
		*eq = '\0';
		if (strcmp(t, "name") == 0 && f->name == NULL)
			f->name = strdup(eq + 1);
		else if (strcmp(t, "category") == 0)
			category = eq + 1;
		else if (strcmp(t, "match") == 0)
			match = eq + 1;
		else {
			free(head);
			return "unknown key (name, category, match)";
		}
	}
	why = spec_finish(f, format, category, match);
	free(head);
	return why;
}

struct conf_ctx {
	struct ks_conf *c;
	const char *dir;
	const struct mem_file *mem;
	struct feed_spec **v;
	size_t *n;
	int failed;
};

static void conf_section(void *vctx, const char *section, unsigned line)
{
	struct conf_ctx *x = vctx;
	struct ks_conf_item *fmt = ks_conf_get(x->c, section, "format");
	struct ks_conf_item *path = ks_conf_get(x->c, section, "path");
	struct ks_conf_item *cat = ks_conf_get(x->c, section, "category");
	struct ks_conf_item *match = ks_conf_get(x->c, section, "match");
	struct feed_spec *f;
	const char *why;

	if (fmt == NULL || path == NULL) {
		ks_conf_error(x->c, line, "[%s] needs format and path", section);
		return;
	}
	f = spec_new(x->v, x->n);
	if (f == NULL) {
		x->failed = 1;
		return;
	}
	f->line = line;
	f->name = strdup(section + strlen("urlfeed "));
	if (x->mem != NULL) {
		for (size_t i = 0; x->mem[i].name != NULL; i++)
			if (strcmp(x->mem[i].name, path->value) == 0) {
				f->text = x->mem[i].text;
				f->text_len = x->mem[i].len;
			}
		f->path = strdup(path->value);
	} else if (path->value[0] == '/' || x->dir[0] == '\0') {
		f->path = strdup(path->value);
	} else if (asprintf(&f->path, "%s/%s", x->dir, path->value) < 0) {
		f->path = NULL;
	}
	if (f->path == NULL || f->name == NULL) {
		x->failed = 1;
		return;
	}
	why = spec_finish(f, fmt->value, cat != NULL ? cat->value : NULL,
			  match != NULL ? match->value : NULL);
	if (why != NULL)
		ks_conf_error(x->c, line, "[%s]: %s", section, why);
	else if (x->mem != NULL && f->text == NULL)
		ks_conf_error(x->c, line, "[%s]: no such sample file", section);
}

int feeds_from_conf(struct ks_conf *c, const char *dir,
		    const struct mem_file *mem, struct feed_spec **out,
		    size_t *n)
{
	struct conf_ctx x = { c, dir, mem, out, n, 0 };

	ks_conf_sections(c, "urlfeed ", conf_section, &x);
	ks_conf_check_unused(c, "urlfeed ");
	return x.failed ? -1 : 0;
}

/* ---- building ------------------------------------------------------------ */

static void flush(struct kj_writer *w, struct ks_out *out)
{
	if (w != NULL && out != NULL)
		(void)kj_flush(w, out, NULL);
}

int build_feeds(const struct feed_spec *v, size_t n, uint64_t generation,
		int verbosity, struct kj_writer *w, struct ks_out *out,
		uint8_t **img, size_t *len, uint64_t *bad_lines)
{
	struct ku_builder *b = ku_builder_new();
	struct ku_build_opts bo = { generation, 0, 0 };
	struct ku_feed_report rep;
	struct ks_err err;
	int rc = 0;

	*bad_lines = 0;
	if (b == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROGRAM);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct feed_spec *f = &v[i];
		struct ku_feed_def d = { f->name, f->category,
					 ku_format_name(f->fmt), f->path,
					 f->kind };
		const struct ku_feed_counts *fc;
		enum ks_status st;
		unsigned id;

		if (ku_builder_feed(b, &d, &id, &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			rc = -1;
			break;
		}
		if (f->text != NULL) {
			st = ku_feed_load_mem(b, id, f->fmt, f->kind, f->text,
					      f->text_len, &rep, &err);
		} else {
			int fd = strcmp(f->path, "-") == 0 ? STDIN_FILENO :
				 open(f->path, O_RDONLY | O_CLOEXEC);

			if (fd < 0) {
				st = ks_err_sys(&err, ks_status_from_errno(errno),
						errno, "cannot open");
			} else {
				st = ku_feed_load_fd(b, id, f->fmt, f->kind, fd,
						     &rep, &err);
				if (fd != STDIN_FILENO)
					close(fd);
			}
		}
		if (st != KS_OK) {
			fprintf(stderr, "%s: feed %s: %s: %s\n", PROGRAM, f->name,
				f->path, err.msg);
			if (w != NULL)
				kj_error_record(w, PROGRAM, f->path, 0, st,
						err.msg);
			flush(w, out);
			rc = -1;
			break;
		}
		fc = ku_builder_counts(b, id);
		*bad_lines += fc->bad;
		for (size_t k = 0; k < rep.nshown; k++) {
			enum ks_status kind = rep.shown[k].what == KU_LINE_BAD ?
					      KS_ERR_INVALID : KS_ERR_UNSUPPORTED;

			if (verbosity >= 0)
				fprintf(stderr, "%s:%llu: %s%s\n", f->path,
					(unsigned long long)rep.shown[k].line,
					kind == KS_ERR_UNSUPPORTED ?
					"unsupported: " : "", rep.shown[k].why);
			if (w != NULL)
				kj_error_record(w, PROGRAM, f->path,
						rep.shown[k].line, kind,
						rep.shown[k].why);
		}
		if (fc->bad + fc->unsupported > rep.nshown && verbosity >= 0)
			fprintf(stderr, "%s: %s: %llu more lines not shown\n",
				PROGRAM, f->path, (unsigned long long)
				(fc->bad + fc->unsupported - rep.nshown));
		if (verbosity >= 0)
			fprintf(stderr, "%s: feed %s (%s, %s, match %s): %llu "
				"lines, %llu entries, %llu duplicates, %llu bad, "
				"%llu unsupported, %llu skipped\n", PROGRAM,
				f->name, ku_format_name(f->fmt), f->category,
				ku_kind_name(f->kind),
				(unsigned long long)fc->lines,
				(unsigned long long)fc->entries,
				(unsigned long long)fc->duplicates,
				(unsigned long long)fc->bad,
				(unsigned long long)fc->unsupported,
				(unsigned long long)fc->skipped);
		flush(w, out);
	}
	if (rc == 0 && ku_builder_image(b, &bo, img, len, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = -1;
	}
	ku_builder_free(b);
	return rc;
}

/* ---- the urldb record ------------------------------------------------------ */

static void urldb_record(struct kj_writer *w, const struct ku_db *db,
			 const char *path)
{
	const struct ku_db_info *in = ku_db_info(db);
	struct ks_time bt = { (int64_t)(in->build_time_us / 1000000),
			      (uint32_t)(in->build_time_us % 1000000) };
	char sum[17];

	snprintf(sum, sizeof sum, "%016llx", (unsigned long long)in->checksum);
	kj_record_begin(w, ks_time_now(), "urldb", PROGRAM);
	kj_obj_open(w, "urldb");
	if (path != NULL)
		kj_str(w, "path", path);
	else
		kj_str(w, "builtin", "sample");
	kj_uint(w, "format_version", in->version);
	kj_uint(w, "generation", in->generation);
	kj_time(w, "build_time", bt);
	kj_uint(w, "size", in->file_size);
	kj_uint(w, "block_size", in->block_size);
	kj_uint(w, "blocks", in->nblocks);
	kj_str(w, "checksum", sum);
	kj_uint(w, "keys", in->nkeys);
	kj_uint(w, "entries", in->nentries);
	kj_arr_open(w, "feeds");
	for (unsigned i = 0; i < in->nfeeds; i++) {
		const struct ku_db_feed *f = ku_db_feed(db, i);

		kj_obj_open(w, NULL);
		kj_str(w, "name", f->name);
		kj_str(w, "category", f->category);
		kj_str(w, "format", f->format);
		kj_str(w, "match", ku_kind_name(f->kind));
		kj_str(w, "source", f->source);
		kj_uint(w, "lines", f->counts.lines);
		kj_uint(w, "entries", f->counts.entries);
		kj_uint(w, "duplicates", f->counts.duplicates);
		kj_uint(w, "bad", f->counts.bad);
		kj_uint(w, "unsupported", f->counts.unsupported);
		kj_uint(w, "skipped", f->counts.skipped);
		kj_obj_close(w);
	}
	kj_arr_close(w);
	kj_obj_close(w);
	kj_record_end(w);
}

enum ks_status open_db(const char *db_opt, unsigned flags, int verbosity,
		       struct ku_db **db, const char **path_used,
		       struct ks_err *err)
{
	uint8_t *img;
	size_t len;
	enum ks_status st;

	if (db_opt != NULL) {
		*path_used = db_opt;
		return ku_db_open(db, db_opt, flags, err);
	}
	if (access(KURLCHECK_DB, F_OK) == 0) {
		*path_used = KURLCHECK_DB;
		return ku_db_open(db, KURLCHECK_DB, flags, err);
	}
	*path_used = NULL;
	st = sample_image(&img, &len, err);
	if (st != KS_OK)
		return st;
	if (verbosity >= 0)
		fprintf(stderr, "%s: no database at %s: using the built-in "
			"sample database (made-up entries, see kurlcheck(1))\n",
			PROGRAM, KURLCHECK_DB);
	return ku_db_open_mem(db, img, len, 1, flags, err);
}

/* ---- the subcommands -------------------------------------------------------- */

struct copts {
	struct ks_cli cli;
	const char *db, *config;
	int strict, sample;
	struct feed_spec *specs;
	size_t nspecs;
};

enum { C_DB = 256, C_CONFIG, C_FEED, C_STRICT, C_SAMPLE };

static const struct argp_option coptions[] = {
	{ "db", C_DB, "FILE", 0, "The database to write (default " KURLCHECK_DB ")", 0 },
	{ "feed", C_FEED, "SPEC", 0, "A feed: FORMAT[,name=N][,category=C][,match=M]:PATH (repeatable; PATH - is stdin)", 0 },
	{ "config", C_CONFIG, "FILE", 0, "Read the database path and [urlfeed NAME] feeds from FILE (ksvm.conf)", 0 },
	{ "sample", C_SAMPLE, NULL, 0, "Compile the built-in sample feeds", 0 },
	{ "strict", C_STRICT, NULL, 0, "Write nothing when a feed has a bad line", 0 },
	{ 0 }
};

static error_t cparse(int key, char *arg, struct argp_state *state)
{
	struct copts *o = state->input;
	struct feed_spec *f;
	const char *why;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case C_DB: o->db = arg; break;
	case C_CONFIG: o->config = arg; break;
	case C_STRICT: o->strict = 1; break;
	case C_SAMPLE: o->sample = 1; break;
	case C_FEED:
		f = spec_new(&o->specs, &o->nspecs);
		if (f == NULL)
			argp_failure(state, KS_EXIT_FAIL, 0, "out of memory");
		why = parse_spec(arg, f);
		if (why != NULL)
			argp_error(state, "--feed %s: %s", arg, why);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "compile takes no arguments (feeds are given "
			   "with --feed)");
		break;
	case ARGP_KEY_END:
		if (o->nspecs == 0 && o->config == NULL && !o->sample)
			argp_error(state, "no feeds: give --feed, --config or "
				   "--sample");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child cchildren[] = {
	{ &ks_cli_common_argp, 0, NULL, 1 },
	{ 0 }
};

static const struct argp cargp = {
	coptions, cparse, "--feed SPEC...\n--config FILE\n--sample",
	"Compile feeds into a kurlcheck database.  The file is written "
	"beside the old one, synced and renamed over it, so checkers never "
	"see half of it; send them SIGHUP to load it.  One urldb record "
	"describes the database written; bad lines are error records.\v"
	"FORMAT is urls, openphish, domains, hosts, adblock, urlhaus, "
	"phishtank, ip or cidr; match is url, host, domain, ip or cidr; "
	"category is malicious, phishing, allow (an allowlist) or a name "
	"of your own.\n\n"
	"Exit status: 0 the database was written, 2 it was not.",
	cchildren, NULL, NULL
};

static int load_conf(struct copts *o, struct ks_conf *conf)
{
	struct ks_err err;
	struct ks_conf_item *it;
	char *copy, *dir;
	int rc;

	if (ks_conf_load(conf, o->config, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return -1;
	}
	it = ks_conf_get(conf, "kurlcheck", "database");
	if (it != NULL && o->db == NULL)
		o->db = it->value;
	copy = strdup(o->config);
	if (copy == NULL)
		return -1;
	dir = dirname(copy);
	rc = feeds_from_conf(conf, dir, NULL, &o->specs, &o->nspecs);
	free(copy);
	ks_conf_check_unused(conf, "kurlcheck");
	if (rc != 0 || conf->nerr > 0) {
		for (size_t i = 0; i < conf->nerr; i++)
			fprintf(stderr, "%s:%u: %s\n", conf->path,
				conf->errors[i].line, conf->errors[i].msg);
		fprintf(stderr, "%s: %s has errors; nothing was compiled\n",
			PROGRAM, conf->path);
		return -1;
	}
	return 0;
}

int kurlcheck_compile(int argc, char **argv)
{
	struct copts o;
	struct ks_conf conf;
	struct kj_writer w;
	struct ks_out out;
	struct ks_err err;
	struct ku_db *db = NULL;
	uint8_t *img = NULL;
	size_t len = 0;
	uint64_t bad = 0;
	int rc = KS_EXIT_FAIL;

	memset(&o, 0, sizeof o);
	ks_cli_init(&o.cli, PROGRAM);
	argp_program_version_hook = kurlcheck_version;
	argp_parse(&cargp, argc, argv, 0, NULL, &o);
	ks_conf_init(&conf);
	kj_writer_init(&w, 0);
	memset(&out, 0, sizeof out);
	if (o.config != NULL && load_conf(&o, &conf) != 0)
		goto done;
	if (o.sample && sample_specs(&o.specs, &o.nspecs) != 0) {
		fprintf(stderr, "%s: the built-in sample feeds do not load\n",
			PROGRAM);
		goto done;
	}
	if (o.nspecs == 0) {
		fprintf(stderr, "%s: %s has no [urlfeed NAME] sections\n",
			PROGRAM, o.config);
		goto done;
	}
	if (o.db == NULL)
		o.db = KURLCHECK_DB;
	if (ks_out_open(&out, o.cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto done;
	}
	if (build_feeds(o.specs, o.nspecs, ku_db_peek_generation(o.db) + 1,
			o.cli.verbosity, &w, &out, &img, &len, &bad) != 0) {
		fprintf(stderr, "%s: %s was not written\n", PROGRAM, o.db);
		goto done;
	}
	if (o.strict && bad > 0) {
		fprintf(stderr, "%s: %llu bad lines and --strict: %s was not "
			"written\n", PROGRAM, (unsigned long long)bad, o.db);
		goto done;
	}
	/* The image is read back as a checker would before it replaces
	 * anything. */
	if (ku_db_open_mem(&db, img, len, 0, 0, &err) != KS_OK) {
		fprintf(stderr, "%s: the new database does not read back: %s\n",
			PROGRAM, err.msg);
		goto done;
	}
	if (ku_db_write_file(o.db, img, len, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto done;
	}
	urldb_record(&w, db, o.db);
	if (kj_flush(&w, &out, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto done;
	}
	if (o.cli.verbosity >= 0)
		fprintf(stderr, "%s: wrote %s: generation %llu, %llu entries, "
			"%zu bytes\n", PROGRAM, o.db,
			(unsigned long long)ku_db_info(db)->generation,
			(unsigned long long)ku_db_info(db)->nentries, len);
	rc = KS_EXIT_CLEAN;
done:
	(void)kj_flush(&w, &out, NULL);
	if (ks_out_close(&out, &err) != KS_OK && rc == KS_EXIT_CLEAN) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = KS_EXIT_FAIL;
	}
	ku_db_close(db);
	free(img);
	kj_writer_free(&w);
	ks_conf_free(&conf);
	feed_specs_free(o.specs, o.nspecs);
	return rc;
}

/* ---- info --------------------------------------------------------------------- */

struct iopts {
	struct ks_cli cli;
	const char *db;
};

static const struct argp_option ioptions[] = {
	{ "db", C_DB, "FILE", 0, "The database (default " KURLCHECK_DB ", else the built-in sample)", 0 },
	{ 0 }
};

static error_t iparse(int key, char *arg, struct argp_state *state)
{
	struct iopts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case C_DB: o->db = arg; break;
	case ARGP_KEY_ARG:
		argp_error(state, "info takes no arguments");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp iargp = {
	ioptions, iparse, "",
	"Verify a kurlcheck database (every block against its checksum) and "
	"describe it in one urldb record: generation, build time, size, "
	"checksum and each feed with its line counts.\v"
	"Exit status: 0 the database is good, 2 it is refused (the message "
	"says why).",
	cchildren, NULL, NULL
};

int kurlcheck_info(int argc, char **argv)
{
	struct iopts o;
	struct kj_writer w;
	struct ks_out out;
	struct ks_err err;
	struct ku_db *db = NULL;
	const char *path;
	int rc = KS_EXIT_FAIL;

	memset(&o, 0, sizeof o);
	ks_cli_init(&o.cli, PROGRAM);
	argp_program_version_hook = kurlcheck_version;
	argp_parse(&iargp, argc, argv, 0, NULL, &o);
	kj_writer_init(&w, 0);
	/* Every block is summed: a damaged byte anywhere refuses the file. */
	if (open_db(o.db, KU_DB_VERIFY, -1, &db, &path, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		kj_writer_free(&w);
		return KS_EXIT_FAIL;
	}
	if (ks_out_open(&out, o.cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
	} else {
		urldb_record(&w, db, path);
		if (kj_flush(&w, &out, &err) == KS_OK &&
		    ks_out_close(&out, &err) == KS_OK)
			rc = KS_EXIT_CLEAN;
		else
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
	}
	ku_db_close(db);
	kj_writer_free(&w);
	return rc;
}
