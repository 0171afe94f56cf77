/*
 * Reading archive members through libarchive, with caps (see archive.h).
 *
 * The whole archive is in memory, so libarchive reads it through
 * archive_read_open_memory, which can also seek (the zip reader then uses
 * the central directory, which is what most zip tools trust).
 *
 * Memory policy: one buffer, reused for every member, holds the member
 * being extracted.  Data is pulled from libarchive in chunks of at most
 * CHUNK bytes, and each pull is sized so that the buffer never grows past
 * what the caps still allow: the member cap for this member, and the
 * total budget (max_total and the ratio cap together) for the call.  When
 * a budget reaches zero and the member still has data, a one-byte probe
 * into a scratch byte tells "exactly at the cap" from "over the cap"
 * without allocating anything more.
 *
 * What "total" counts: the bytes this module copied out of libarchive into
 * its buffer, including the bytes of a member that turned out to be too
 * large only while it was extracted (its size was not declared).  The data
 * of members skipped because of their declared size is not extracted and
 * not counted; libarchive may still have to decompress it to reach the
 * next header, which costs time but no memory.
 *
 * The ratio cap: with max_ratio R and an archive of L bytes, extraction
 * stops when it would take the total past max(R * L, 1 MiB).  Below 1 MiB
 * the ratio is not judged, as the header says, so small archives of very
 * compressible text are not flagged.
 *
 * Errors: any error from libarchive while reading a header or data ends
 * the iteration with `corrupt` set and libarchive's message; a member whose
 * data failed part-way is not handed to the callback (its content would be
 * incomplete), but the members before it were.  ARCHIVE_WARN from
 * archive_read_next_header (for example a name that could not be converted
 * to the current locale) still gives a usable entry and is not an error.
 *
 * Members: entries that hold file data (see is_member); `index` counts
 * every entry, directories and links included, so that it is the entry's
 * position in a listing of the archive.
 *
 * Names: libarchive converts names stored with a known character set (zip
 * names flagged UTF-8 or in CP437, pax names) to the current locale's, and
 * in the C locale it gives no name at all for any that is not ASCII.  So
 * while libarchive runs, the calling thread uses a UTF-8 locale (C.UTF-8,
 * through uselocale, which touches no other thread); the caller's locale
 * is back in place during each callback and on return.  Names without a
 * declared character set (tar, cpio, ar) come as the bytes stored.
 */
#include "file/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

/* Bytes pulled from libarchive per call. */
#define CHUNK ((size_t)64 * 1024)

/* The ratio cap is judged only once this much was extracted. */
#define RATIO_FLOOR ((uint64_t)1 << 20)

#define NO_CAP UINT64_MAX

/* ---- MIME types ------------------------------------------------------- */

/*
 * The MIME types libmagic (5.44) gives for formats libarchive reads,
 * checked on samples, plus other names in use for the same formats (newer
 * libmagic says application/vnd.rar).  Containers that are zip files but
 * have a MIME type of their own (office documents, EPUB) are not listed:
 * opening them is the caller's choice.
 */
static const char *const archive_mimes[] = {
	"application/zip",
	"application/x-zip",
	"application/java-archive",
	"application/vnd.android.package-archive",
	"application/x-tar",
	"application/x-gtar",
	"application/x-ustar",
	"application/gzip",
	"application/x-gzip",
	"application/x-bzip2",
	"application/x-xz",
	"application/x-lzip",
	"application/x-lzma",
	"application/x-lz4",
	"application/zstd",
	"application/x-zstd",
	"application/x-compress",
	"application/x-7z-compressed",
	"application/x-rar",
	"application/x-rar-compressed",
	"application/vnd.rar",
	"application/vnd.ms-cab-compressed",
	"application/x-cpio",
	"application/x-iso9660-image",
	"application/x-archive",
	"application/vnd.debian.binary-package",
	"application/x-rpm",
	"application/x-xar",
	"application/x-lha",
	"application/x-lzh-compressed",
	"application/warc",
};

int kf_archive_mime(const char *mime)
{
	size_t n;

	if (mime == NULL)
		return 0;
	while (*mime == ' ' || *mime == '\t')
		mime++;
	/* Parameters ("; charset=binary") and trailing blanks do not count. */
	n = strcspn(mime, "; \t");
	if (n == 0)
		return 0;
	for (size_t i = 0; i < sizeof archive_mimes / sizeof archive_mimes[0];
	     i++) {
		if (strlen(archive_mimes[i]) == n &&
		    strncasecmp(archive_mimes[i], mime, n) == 0)
			return 1;
	}
	return 0;
}

/* ---- names ------------------------------------------------------------ */

/*
 * Stable short names for libarchive's format families.  libarchive's own
 * archive_format_name() string belongs to the archive object and may name
 * the last entry's variant ("ZIP 2.0 (deflation)"), so the result uses
 * these, which live as long as the program.
 */
static const char *format_name(int code)
{
	switch (code & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_CPIO: return "cpio";
	case ARCHIVE_FORMAT_SHAR: return "shar";
	case ARCHIVE_FORMAT_TAR: return "tar";
	case ARCHIVE_FORMAT_ISO9660: return "iso9660";
	case ARCHIVE_FORMAT_ZIP: return "zip";
	case ARCHIVE_FORMAT_EMPTY: return "empty";
	case ARCHIVE_FORMAT_AR: return "ar";
	case ARCHIVE_FORMAT_MTREE: return "mtree";
	case ARCHIVE_FORMAT_RAW: return "raw";
	case ARCHIVE_FORMAT_XAR: return "xar";
	case ARCHIVE_FORMAT_LHA: return "lha";
	case ARCHIVE_FORMAT_CAB: return "cab";
	case ARCHIVE_FORMAT_RAR: return "rar";
	case ARCHIVE_FORMAT_7ZIP: return "7zip";
	case ARCHIVE_FORMAT_WARC: return "warc";
	case ARCHIVE_FORMAT_RAR_V5: return "rar5";
	default: return "unknown";
	}
}

/*
 * Compression suffixes and what a name becomes without them ("" means the
 * suffix is just dropped; ".tgz" stands for ".tar.gz").
 */
static const struct {
	const char *suffix;
	const char *becomes;
} suffixes[] = {
	{ ".gz", "" },   { ".gzip", "" }, { ".z", "" },    { ".bz2", "" },
	{ ".bz", "" },   { ".xz", "" },   { ".lzma", "" }, { ".lz", "" },
	{ ".lz4", "" },  { ".zst", "" },  { ".uu", "" },   { ".uue", "" },
	{ ".tgz", ".tar" },  { ".taz", ".tar" },  { ".tbz", ".tar" },
	{ ".tbz2", ".tar" }, { ".tb2", ".tar" },  { ".txz", ".tar" },
	{ ".tlz", ".tar" },  { ".tzst", ".tar" },
};

/*
 * The name of the single member of a compressed stream: the last path
 * component of the outer name without its compression suffix, "x.txt.gz"
 * giving "x.txt".  The directory part is dropped because a member name is
 * a path inside the archive.  "(data)" when there is no outer name, no
 * known suffix, or nothing left.
 */
static const char *raw_name(struct ks_buf *nb, const char *outer)
{
	const char *base, *slash;
	size_t n;

	if (outer == NULL)
		return "(data)";
	slash = strrchr(outer, '/');
	base = slash != NULL ? slash + 1 : outer;
	n = strlen(base);
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t sl = strlen(suffixes[i].suffix);

		if (n <= sl ||
		    strcasecmp(base + n - sl, suffixes[i].suffix) != 0)
			continue;
		ks_buf_reset(nb);
		if (ks_buf_append(nb, base, n - sl) != KS_OK ||
		    ks_buf_puts(nb, suffixes[i].becomes) != KS_OK)
			return "(data)";
		return (const char *)nb->data;
	}
	return "(data)";
}

/* ---- iteration -------------------------------------------------------- */

static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static locale_t utf8_loc;   /* (locale_t)0 when C.UTF-8 is missing */

static void utf8_init(void)
{
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

struct iter {
	struct archive *a;
	const struct kf_archive_limits *lim;
	struct kf_archive_result *res;
	struct ks_buf buf;       /* the member being extracted */
	struct ks_buf name;      /* the raw member's name */
	uint64_t ratio_bound;    /* max(max_ratio * len, 1 MiB) or NO_CAP */
	uint64_t total_limit;    /* min(max_total, ratio_bound) or NO_CAP */
	int data_status;         /* libarchive's status of a failed read */
	int raw_only;            /* second pass: the raw reader alone */
	int retry_raw;           /* the first pass asks for the second */
	kf_archive_cb cb;
	void *ctx;
	locale_t caller_loc;     /* the caller's locale, or (locale_t)0 */
};

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void set_corrupt_msg(struct iter *it, const char *fallback)
{
	const char *msg = archive_error_string(it->a);

	it->res->corrupt = 1;
	snprintf(it->res->message, sizeof it->res->message, "%s",
		 msg != NULL && msg[0] != '\0' ? msg : fallback);
}

static void set_corrupt(struct iter *it)
{
	set_corrupt_msg(it, "damaged archive (libarchive gave no detail)");
}

/*
 * Registers the decompression filters that libarchive runs in-process.
 * archive_read_support_filter_all() would also register lrzip, grzip and
 * (without liblzo2) lzop, which libarchive implements by running an
 * external program on the data: a scanner must never start a program on
 * hostile input.  The same holds for the others when libarchive was built
 * without their library, hence the version checks.
 */
static void support_filters(struct archive *a)
{
	archive_read_support_filter_compress(a);
	archive_read_support_filter_uu(a);
	archive_read_support_filter_rpm(a);
	if (archive_zlib_version() != NULL)
		archive_read_support_filter_gzip(a);
	if (archive_bzlib_version() != NULL)
		archive_read_support_filter_bzip2(a);
	if (archive_liblzma_version() != NULL) {
		archive_read_support_filter_xz(a);
		archive_read_support_filter_lzma(a);
		archive_read_support_filter_lzip(a);
	}
	if (archive_liblz4_version() != NULL)
		archive_read_support_filter_lz4(a);
	if (archive_libzstd_version() != NULL)
		archive_read_support_filter_zstd(a);
}

enum extract_end {
	EX_DONE,        /* the whole member is in the buffer */
	EX_TOO_LARGE,   /* over max_member_size */
	EX_BUDGET,      /* the total or ratio budget ran out */
	EX_ERROR,       /* libarchive failed: it->data_status says how */
	EX_NOMEM
};

/*
 * Pulls the current member's data into it->buf, never holding more than
 * the member cap or the remaining total budget allows.
 */
static enum extract_end extract(struct iter *it)
{
	uint64_t mcap = it->lim->max_member_size ? it->lim->max_member_size
						  : NO_CAP;

	ks_buf_reset(&it->buf);
	for (;;) {
		uint64_t mroom = mcap - it->buf.len;
		uint64_t troom = it->total_limit == NO_CAP
			? NO_CAP : it->total_limit - it->res->total;
		uint64_t room = min_u64(mroom, troom);
		size_t want;
		la_ssize_t n;

		if (room == 0) {
			uint8_t probe;

			n = archive_read_data(it->a, &probe, 1);
			if (n == 0)
				return EX_DONE;
			if (n < 0) {
				it->data_status = (int)n;
				return EX_ERROR;
			}
			/* The probe byte was seen but is not kept. */
			return mroom == 0 ? EX_TOO_LARGE : EX_BUDGET;
		}
		want = room < CHUNK ? (size_t)room : CHUNK;
		if (ks_buf_reserve(&it->buf, want) != KS_OK)
			return EX_NOMEM;
		n = archive_read_data(it->a, it->buf.data + it->buf.len, want);
		if (n == 0)
			return EX_DONE;
		if (n < 0) {
			it->data_status = (int)n;
			return EX_ERROR;
		}
		if ((size_t)n > want)
			return EX_NOMEM;  /* libarchive broke its contract */
		it->buf.len += (size_t)n;
		it->buf.data[it->buf.len] = '\0';
		it->res->total += (uint64_t)n;
	}
}

/* Marks which of the total caps ran out. */
static void set_budget_caps(struct iter *it)
{
	if (it->lim->max_total && it->res->total >= it->lim->max_total)
		it->res->capped_total = 1;
	if (it->ratio_bound != NO_CAP && it->res->total >= it->ratio_bound)
		it->res->capped_ratio = 1;
}

/* Counts the member and hands it over; non-zero when the caller stops. */
static int deliver(struct iter *it, const struct kf_archive_member *m)
{
	int stop;

	it->res->members++;
	if (it->cb == NULL)
		return 0;
	if (it->caller_loc != (locale_t)0)
		uselocale(it->caller_loc);
	stop = it->cb(it->ctx, m) != 0;
	if (it->caller_loc != (locale_t)0)
		uselocale(utf8_loc);
	return stop;
}

/* True for the libarchive statuses after which an entry is usable. */
static int usable(int r)
{
	return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

/*
 * The first header decides what the data is.  Returns KS_OK to go on with
 * the entry, or the status that ends the pass (*stop set).
 */
static enum ks_status first_header(struct iter *it, int r, int *stop,
				   struct ks_err *err)
{
	int fmt = archive_format(it->a) & ARCHIVE_FORMAT_BASE_MASK;
	int compressed = archive_filter_count(it->a) >= 2;

	*stop = 1;
	if (fmt == ARCHIVE_FORMAT_RAW && !compressed)
		return ks_err_set(err, KS_ERR_UNSUPPORTED,
				  "neither an archive nor compressed data");
	if (fmt == 0) {
		const char *msg = archive_error_string(it->a);

		/*
		 * No format took the data.  After a compression filter that
		 * is a damaged compressed stream (the raw reader takes
		 * anything that decompresses at all); otherwise it is not an
		 * archive.
		 */
		if (!compressed)
			return ks_err_set(err, KS_ERR_UNSUPPORTED, "%s",
					  msg != NULL ? msg : "not an archive");
		it->res->format = format_name(ARCHIVE_FORMAT_RAW);
		set_corrupt(it);
		return KS_OK;
	}
	if (r == ARCHIVE_EOF && compressed && fmt != ARCHIVE_FORMAT_RAW &&
	    fmt != ARCHIVE_FORMAT_EMPTY && !it->raw_only) {
		/*
		 * A compressed stream that reads as an archive without a
		 * single entry: most often data that merely starts like one
		 * (a .gz of anything that begins with 512 zero bytes reads as
		 * an empty tar).  Its content would go unseen, so the stream
		 * is read again as one raw member.
		 */
		it->retry_raw = 1;
		return KS_OK;
	}
	it->res->format = format_name(fmt);
	if (r == ARCHIVE_EOF)
		return KS_OK;
	if (!usable(r)) {
		/*
		 * An archive whose very directory is encrypted (7-Zip can do
		 * this) cannot be listed: say so through one encrypted
		 * member rather than as damage.
		 */
		if (archive_read_has_encrypted_entries(it->a) > 0) {
			struct kf_archive_member m;

			memset(&m, 0, sizeof m);
			m.name = "(encrypted)";
			m.encrypted = 1;
			return deliver(it, &m) ? KS_INTERRUPTED : KS_OK;
		}
		set_corrupt(it);
		return KS_OK;
	}
	*stop = 0;
	return KS_OK;
}

/*
 * Whether an entry holds file data to scan.  Directories, symbolic links,
 * devices, FIFOs and sockets do not.  An entry without any type bits is
 * taken as a file: GNU ar in deterministic mode writes modes like "644",
 * and the data is there.  A hard link without data of its own refers to
 * another entry's data, which was or will be seen under that entry.
 */
static int is_member(struct archive_entry *e)
{
	unsigned type = (unsigned)archive_entry_filetype(e);

	if (type != AE_IFREG && type != 0)
		return 0;
	if (archive_entry_hardlink(e) != NULL &&
	    (!archive_entry_size_is_set(e) || archive_entry_size(e) <= 0))
		return 0;
	return 1;
}

/* One pass over the entries of the opened archive. */
static enum ks_status iterate(struct iter *it, const char *outer_name,
			      struct ks_err *err)
{
	struct kf_archive_result *res = it->res;
	struct archive_entry *e;

	for (uint64_t index = 0;; index++) {
		struct kf_archive_member m;
		int64_t declared;
		int raw, stop;
		enum ks_status st;
		int r = archive_read_next_header(it->a, &e);

		if (index == 0) {
			st = first_header(it, r, &stop, err);
			if (stop)
				return st;
		} else if (r == ARCHIVE_EOF) {
			return KS_OK;
		} else if (!usable(r)) {
			set_corrupt(it);
			return KS_OK;
		}
		if (!is_member(e))
			continue;
		if (it->lim->max_members &&
		    res->members >= it->lim->max_members) {
			res->capped_members = 1;
			return KS_OK;
		}

		raw = (archive_format(it->a) & ARCHIVE_FORMAT_BASE_MASK) ==
		      ARCHIVE_FORMAT_RAW;
		memset(&m, 0, sizeof m);
		m.index = index;
		if (raw) {
			m.name = raw_name(&it->name, outer_name);
		} else {
			m.name = archive_entry_pathname(e);
			if (m.name == NULL)
				m.name = "(unnamed)";
		}
		declared = archive_entry_size_is_set(e) ? archive_entry_size(e)
							: -1;
		if (declared >= 0 && it->lim->max_member_size &&
		    (uint64_t)declared > it->lim->max_member_size) {
			m.too_large = 1;
			m.size = (size_t)declared;
		}

		if (archive_entry_is_encrypted(e)) {
			m.encrypted = 1;
			m.size = declared > 0 ? (size_t)declared : 0;
		} else if (!m.too_large) {
			switch (extract(it)) {
			case EX_DONE:
				m.data = it->buf.data != NULL
					? it->buf.data : (const uint8_t *)"";
				m.size = it->buf.len;
				break;
			case EX_TOO_LARGE:
				m.too_large = 1;
				/* Undeclared: one byte past the cap was seen. */
				m.size = it->buf.len + 1;
				break;
			case EX_BUDGET:
				set_budget_caps(it);
				return KS_OK;
			case EX_ERROR:
				/*
				 * Some formats find out only when the data is
				 * read that an entry is encrypted; libarchive
				 * goes on after that unless the error was
				 * fatal.
				 */
				if (!archive_entry_is_encrypted(e) ||
				    it->data_status == ARCHIVE_FATAL) {
					set_corrupt(it);
					return KS_OK;
				}
				m.encrypted = 1;
				m.size = declared > 0 ? (size_t)declared : 0;
				break;
			case EX_NOMEM:
				return ks_err_set(err, KS_ERR_NOMEM,
						  "out of memory");
			}
		}
		if (deliver(it, &m))
			return KS_INTERRUPTED;
		/*
		 * A raw stream has exactly one member; stopping here also
		 * spares decompressing the rest of one that was too large.
		 */
		if (raw)
			return KS_OK;
	}
}

/* Opens a reader on the data and makes one pass over it. */
static enum ks_status run(struct iter *it, const uint8_t *data, size_t len,
			  const char *outer_name, struct ks_err *err)
{
	enum ks_status st;
	int r;

	it->a = archive_read_new();
	if (it->a == NULL)
		return ks_err_set(err, KS_ERR_NOMEM,
				  "cannot create a libarchive reader");
	support_filters(it->a);
	if (!it->raw_only) {
		/*
		 * Every container format libarchive reads, named one by one:
		 * "all" would add mtree, which takes any list of paths in a
		 * text file for an archive of thousands of empty members,
		 * and "empty", which takes an empty file for an archive.
		 * Since every scanned file is offered here, those two would
		 * turn ordinary text into archives.
		 */
		archive_read_support_format_7zip(it->a);
		archive_read_support_format_ar(it->a);
		archive_read_support_format_cab(it->a);
		archive_read_support_format_cpio(it->a);
		archive_read_support_format_iso9660(it->a);
		archive_read_support_format_lha(it->a);
		archive_read_support_format_rar(it->a);
		archive_read_support_format_rar5(it->a);
		archive_read_support_format_tar(it->a);
		archive_read_support_format_warc(it->a);
		archive_read_support_format_xar(it->a);
		archive_read_support_format_zip(it->a);
	}
	/* Last resort for a compressed stream that holds no archive. */
	archive_read_support_format_raw(it->a);

	r = archive_read_open_memory(it->a, data != NULL ? data
				     : (const void *)"", len);
	if (usable(r)) {
		st = iterate(it, outer_name, err);
	} else if (archive_errno(it->a) == ENOMEM) {
		st = ks_err_set(err, KS_ERR_NOMEM, "%s",
				archive_error_string(it->a));
	} else {
		/*
		 * Opening reads no archive format yet: it fails only when a
		 * compression filter recognized the data and then could not
		 * decompress it (a truncated .gz fails here when its content
		 * is shorter than libarchive's 64 KiB output block).
		 */
		it->res->format = format_name(ARCHIVE_FORMAT_RAW);
		set_corrupt_msg(it, "damaged compressed data");
		st = KS_OK;
	}
	archive_read_free(it->a);
	it->a = NULL;
	return st;
}

enum ks_status kf_archive_iterate(const uint8_t *data, size_t len,
				  const char *outer_name,
				  const struct kf_archive_limits *lim,
				  kf_archive_cb cb, void *ctx,
				  struct kf_archive_result *res,
				  struct ks_err *err)
{
	static const struct kf_archive_limits no_limits;
	struct kf_archive_result local;
	struct iter it;
	enum ks_status st;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof *res);
	res->format = format_name(0);
	if (lim == NULL)
		lim = &no_limits;
	if (data == NULL && len > 0)
		return ks_err_set(err, KS_ERR_USAGE, "archive data is NULL");

	memset(&it, 0, sizeof it);
	it.lim = lim;
	it.res = res;
	it.cb = cb;
	it.ctx = ctx;
	it.ratio_bound = NO_CAP;
	if (lim->max_ratio) {
		it.ratio_bound = sat_mul(lim->max_ratio, (uint64_t)len);
		if (it.ratio_bound < RATIO_FLOOR)
			it.ratio_bound = RATIO_FLOOR;
	}
	it.total_limit = min_u64(lim->max_total ? lim->max_total : NO_CAP,
				 it.ratio_bound);
	/*
	 * The buffer's own maximum is the largest member the caps let
	 * through, so that its growth by doubling never allocates past it.
	 */
	ks_buf_init(&it.buf, (size_t)min_u64(lim->max_member_size
					     ? lim->max_member_size : NO_CAP,
					     min_u64(it.total_limit,
						     KS_BUF_UNLIMITED)));
	ks_buf_init(&it.name, 4096);

	pthread_once(&utf8_once, utf8_init);
	if (utf8_loc != (locale_t)0)
		it.caller_loc = uselocale(utf8_loc);
	st = run(&it, data, len, outer_name, err);
	if (st == KS_OK && it.retry_raw) {
		/* The first pass delivered nothing, so nothing is counted
		 * twice. */
		it.raw_only = 1;
		it.retry_raw = 0;
		st = run(&it, data, len, outer_name, err);
	}
	if (it.caller_loc != (locale_t)0)
		uselocale(it.caller_loc);
	ks_buf_free(&it.buf);
	ks_buf_free(&it.name);
	return st;
}
