#include "report/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/fault.h"
#include "report/crc32c.h"

#define WBUF_MAX (64u << 10)
#define RBUF_SIZE (256u << 10)
#define SEG_MAGIC "KRSPOOL1"
#define REC_MAGIC 0x314d524bu   /* "KRM1" read as little-endian */
#define CURSOR_TAG "ksvm-spool 1"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void seg_path(const struct kr_spool *s, uint64_t id, char *out,
		     size_t cap)
{
	snprintf(out, cap, "%s/%016" PRIx64 ".seg", s->dir, id);
}

static struct kr_spool_seg *tail(struct kr_spool *s)
{
	return &s->segs[s->nsegs - 1];
}

static int seg_index(const struct kr_spool *s, uint64_t id)
{
	for (size_t i = 0; i < s->nsegs; i++)
		if (s->segs[i].id == id)
			return (int)i;
	return -1;
}

static struct kr_spool_pos seg_start(const struct kr_spool *s, size_t i)
{
	if (i >= s->nsegs)
		return (struct kr_spool_pos){ s->nsegs ? s->segs[s->nsegs - 1].id :
						       1,
					      KR_SPOOL_HEADER, s->next_seq };
	return (struct kr_spool_pos){ s->segs[i].id, KR_SPOOL_HEADER,
				      s->segs[i].first_seq };
}

static int add_seg(struct kr_spool *s, struct kr_spool_seg g)
{
	if (s->nsegs == s->segcap) {
		size_t nc = s->segcap ? s->segcap * 2 : 16;
		struct kr_spool_seg *v = realloc(s->segs, nc * sizeof *v);

		if (v == NULL)
			return -1;
		s->segs = v;
		s->segcap = nc;
	}
	s->segs[s->nsegs++] = g;
	return 0;
}

static void drop_seg_entry(struct kr_spool *s, size_t i)
{
	char path[4200];

	seg_path(s, s->segs[i].id, path, sizeof path);
	unlink(path);
	if (s->rd_fd >= 0 && s->rd_fd_seg == s->segs[i].id) {
		close(s->rd_fd);
		s->rd_fd = -1;
		ks_buf_reset(&s->rbuf);
	}
	s->total_bytes -= s->segs[i].size;
	memmove(&s->segs[i], &s->segs[i + 1],
		(s->nsegs - i - 1) * sizeof *s->segs);
	s->nsegs--;
}

/*
 * Walk the records of a segment from `from` to at most `limit` bytes,
 * stopping at the first that is not whole and valid.  Returns the offset
 * after the last good record and adds their number to *count.
 */
static uint64_t scan(int fd, uint64_t from, uint64_t limit, uint64_t *count)
{
	uint8_t *buf = malloc(RBUF_SIZE);
	uint64_t off = from, boff = 0, blen = 0;

	if (buf == NULL)
		return from;
	while (off + KR_SPOOL_REC_HEADER <= limit) {
		uint32_t len, crc;
		ssize_t r;

		if (off < boff || off + KR_SPOOL_REC_HEADER > boff + blen) {
			r = pread(fd, buf, RBUF_SIZE, (off_t)off);
			if (r <= 0)
				break;
			boff = off;
			blen = (uint64_t)r;
			if (blen < KR_SPOOL_REC_HEADER)
				break;
		}
		if (get32(buf + (off - boff)) != REC_MAGIC)
			break;
		len = get32(buf + (off - boff) + 4);
		crc = get32(buf + (off - boff) + 8);
		if (off + KR_SPOOL_REC_HEADER + len > limit)
			break;
		if (off + KR_SPOOL_REC_HEADER + len > boff + blen) {
			/* Longer than what is buffered: read it whole. */
			uint8_t *big;

			if (KR_SPOOL_REC_HEADER + (uint64_t)len > RBUF_SIZE) {
				big = malloc(len);
				if (big == NULL ||
				    pread(fd, big, len,
					  (off_t)(off + KR_SPOOL_REC_HEADER)) !=
					    (ssize_t)len ||
				    kr_crc32c(0, big, len) != crc) {
					free(big);
					break;
				}
				free(big);
				off += KR_SPOOL_REC_HEADER + len;
				(*count)++;
				continue;
			}
			r = pread(fd, buf, RBUF_SIZE, (off_t)off);
			if (r < (ssize_t)(KR_SPOOL_REC_HEADER + len))
				break;
			boff = off;
			blen = (uint64_t)r;
		}
		if (kr_crc32c(0, buf + (off - boff) + KR_SPOOL_REC_HEADER, len) !=
		    crc)
			break;
		off += KR_SPOOL_REC_HEADER + len;
		(*count)++;
	}
	free(buf);
	return off;
}

static enum ks_status new_segment(struct kr_spool *s, struct ks_err *err)
{
	char path[4200];
	uint8_t hdr[KR_SPOOL_HEADER];
	uint64_t id = s->nsegs ? tail(s)->id + 1 : 1;
	int fd;

	seg_path(s, id, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return ks_err_sys(err, errno == ENOSPC ? KS_ERR_LIMIT :
					KS_ERR_IO, errno, "cannot create %s", path);
	memcpy(hdr, SEG_MAGIC, 8);
	put64(hdr + 8, s->next_seq);
	if (write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr) {
		int e = errno;

		close(fd);
		unlink(path);
		return ks_err_sys(err, e == ENOSPC ? KS_ERR_LIMIT : KS_ERR_IO,
				  e, "cannot write %s", path);
	}
	if (add_seg(s, (struct kr_spool_seg){ id, s->next_seq,
					      KR_SPOOL_HEADER }) != 0) {
		close(fd);
		unlink(path);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	if (s->tail_fd >= 0)
		close(s->tail_fd);
	s->tail_fd = fd;
	s->total_bytes += KR_SPOOL_HEADER;
	return KS_OK;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct kr_spool_seg *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Read the segments in the directory; damaged ones are set aside. */
static enum ks_status load_segments(struct kr_spool *s, struct ks_err *err)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;
	char path[4200];

	if (d == NULL)
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot read %s",
				  s->dir);
	while ((de = readdir(d)) != NULL) {
		struct kr_spool_seg g;
		uint8_t hdr[KR_SPOOL_HEADER];
		struct stat st;
		char *end;
		int fd;

		if (strlen(de->d_name) != 20 ||
		    strcmp(de->d_name + 16, ".seg") != 0)
			continue;
		g.id = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		seg_path(s, g.id, path, sizeof path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) != 0) {
			close(fd);
			continue;
		}
		if (st.st_size < (off_t)KR_SPOOL_HEADER) {
			/* Created, then cut off before its header: empty. */
			close(fd);
			unlink(path);
			continue;
		}
		if (pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr ||
		    memcmp(hdr, SEG_MAGIC, 8) != 0) {
			char bad[4210];

			close(fd);
			snprintf(bad, sizeof bad, "%s.bad", path);
			rename(path, bad);
			s->corrupt++;
			continue;
		}
		close(fd);
		g.first_seq = get64(hdr + 8);
		g.size = (uint64_t)st.st_size;
		if (add_seg(s, g) != 0) {
			closedir(d);
			return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		}
	}
	closedir(d);
	if (s->nsegs > 1)
		qsort(s->segs, s->nsegs, sizeof *s->segs, cmp_seg);
	return KS_OK;
}

static int read_cursor(struct kr_spool *s, uint64_t *seg, uint64_t *off)
{
	char path[4200], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/cursor", s->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (strncmp(buf, CURSOR_TAG " ", sizeof CURSOR_TAG) != 0)
		return -1;
	if (sscanf(buf + sizeof CURSOR_TAG, "%" SCNx64 " %" SCNu64, seg,
		   off) != 2)
		return -1;
	return 0;
}

enum ks_status kr_spool_open(struct kr_spool *s, const char *dir,
			     uint64_t max_bytes, enum kr_spool_policy policy,
			     struct ks_err *err)
{
	char path[4200];
	uint64_t cseg = 0, coff = 0, n;
	int have_cursor, fd;
	enum ks_status st;

	memset(s, 0, sizeof *s);
	s->lockfd = s->tail_fd = s->rd_fd = -1;
	ks_buf_init(&s->wbuf, KS_BUF_UNLIMITED);
	ks_buf_init(&s->rbuf, KS_BUF_UNLIMITED);
	if (strlen(dir) > 4000)
		return ks_err_set(err, KS_ERR_USAGE, "spool path too long");
	s->dir = strdup(dir);
	if (s->dir == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	if (max_bytes < KR_SPOOL_MIN_BYTES)
		max_bytes = KR_SPOOL_MIN_BYTES;
	s->max_bytes = max_bytes;
	s->seg_max = max_bytes / 8;
	if (s->seg_max < (128u << 10))
		s->seg_max = max_bytes / 2 < (128u << 10) ? max_bytes / 2 :
							    128u << 10;
	if (s->seg_max > (16u << 20))
		s->seg_max = 16u << 20;
	s->policy = policy;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot create the spool %s", dir);
	snprintf(path, sizeof path, "%s/lock", dir);
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s", path);
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0)
		return ks_err_sys(err, KS_ERR_USAGE, errno,
				  "the spool %s is in use by another kreport",
				  dir);
	st = load_segments(s, err);
	if (st != KS_OK)
		return st;
	have_cursor = read_cursor(s, &cseg, &coff) == 0;
	/* Segments before the cursor's were delivered. */
	while (have_cursor && s->nsegs > 0 && s->segs[0].id < cseg)
		drop_seg_entry(s, 0);
	for (size_t i = 0; i < s->nsegs; i++)
		s->total_bytes += s->segs[i].size;
	if (s->nsegs > 0) {
		struct kr_spool_seg *t = tail(s);

		/* Cut a torn record off the tail. */
		seg_path(s, t->id, path, sizeof path);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return ks_err_sys(err, KS_ERR_IO, errno, "cannot open %s",
					  path);
		n = 0;
		{
			uint64_t end = scan(fd, KR_SPOOL_HEADER, t->size, &n);

			if (end < t->size) {
				if (ftruncate(fd, (off_t)end) != 0) {
					close(fd);
					return ks_err_sys(err, KS_ERR_IO, errno,
							  "cannot repair %s",
							  path);
				}
				s->repaired += t->size - end;
				s->total_bytes -= t->size - end;
				t->size = end;
			}
		}
		close(fd);
		s->next_seq = t->first_seq + n;
		s->commit = seg_start(s, 0);
		if (have_cursor && s->segs[0].id == cseg && coff > KR_SPOOL_HEADER) {
			/* The sequence number at the cursor: count up to it
			 * (a cursor between records goes back to the one
			 * before, to be sent again). */
			seg_path(s, cseg, path, sizeof path);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				n = 0;
				s->commit.off = scan(fd, KR_SPOOL_HEADER,
						     coff < s->segs[0].size ?
							     coff : s->segs[0].size,
						     &n);
				s->commit.seq = s->segs[0].first_seq + n;
				close(fd);
			}
		}
		seg_path(s, t->id, path, sizeof path);
		s->tail_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (s->tail_fd < 0)
			return ks_err_sys(err, KS_ERR_IO, errno, "cannot open %s",
					  path);
	} else {
		st = new_segment(s, err);
		if (st != KS_OK)
			return st;
		s->commit = seg_start(s, 0);
	}
	s->rd = s->commit;
	s->replay = kr_spool_pending(s);
	return KS_OK;
}

/* Drop the oldest segment, counting what was not delivered. */
static void drop_head(struct kr_spool *s)
{
	uint64_t end = s->nsegs > 1 ? s->segs[1].first_seq : s->next_seq;
	uint64_t from = s->commit.seq > s->segs[0].first_seq ?
				s->commit.seq : s->segs[0].first_seq;
	uint64_t id = s->segs[0].id;

	if (end > from)
		s->dropped += end - from;
	drop_seg_entry(s, 0);
	if (s->commit.seg == id || s->commit.seq < end) {
		s->commit = seg_start(s, 0);
		s->dirty = 1;
	}
	if (s->rd.seg == id || s->rd.seq < end)
		s->rd = s->commit;
}

static enum ks_status write_all(int fd, const uint8_t *p, size_t n, int *e)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			*e = errno;
			return KS_ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return KS_OK;
}

enum ks_status kr_spool_flush(struct kr_spool *s, struct ks_err *err)
{
	struct kr_spool_seg *t;
	int e = 0;
	enum ks_status st;

	if (s->wbuf.len == 0 || s->nsegs == 0)
		return KS_OK;
	t = tail(s);
	for (;;) {
		size_t half = 0;

		/* The crash tests kill the process in the middle of a
		 * record here (KSVM_FAULT=kreport-spool-torn): all but the
		 * end of the last record is written. */
		if (getenv("KSVM_FAULT") != NULL && s->wbuf.len > 5) {
			half = s->wbuf.len - 5;
			st = write_all(s->tail_fd, s->wbuf.data, half, &e);
			if (st == KS_OK)
				ks_fault_point("kreport-spool-torn");
		}
		st = write_all(s->tail_fd, s->wbuf.data + half,
			       s->wbuf.len - half, &e);
		if (st == KS_OK)
			break;
		/* Take back a partial write so no torn record stays. */
		if (ftruncate(s->tail_fd, (off_t)t->size) != 0)
			return ks_err_sys(err, KS_ERR_IO, errno,
					  "cannot repair the spool after a "
					  "failed write");
		/* A full file system, a quota, or a file size limit: the
		 * spool cannot grow, which the policy handles. */
		if (e != ENOSPC && e != EDQUOT && e != EFBIG)
			return ks_err_sys(err, KS_ERR_IO, e,
					  "cannot write to the spool %s", s->dir);
		s->disk_full = 1;
		if (s->policy != KR_SPOOL_DROP_OLDEST || s->nsegs < 2)
			return ks_err_sys(err, KS_ERR_LIMIT, e,
					  "the spool %s cannot grow", s->dir);
		drop_head(s);
		t = tail(s);
	}
	t->size += s->wbuf.len;
	ks_buf_reset(&s->wbuf);
	s->disk_full = 0;
	return KS_OK;
}

/* Does a record of `rec` bytes start a new segment? */
static int must_rotate(const struct kr_spool *s, uint64_t rec)
{
	const struct kr_spool_seg *t = &s->segs[s->nsegs - 1];

	return t->size + s->wbuf.len + rec > s->seg_max &&
	       t->size + s->wbuf.len > KR_SPOOL_HEADER;
}

int kr_spool_room(const struct kr_spool *s, size_t n)
{
	uint64_t rec = KR_SPOOL_REC_HEADER + (uint64_t)n;

	if (s->disk_full || s->nsegs == 0)
		return 0;
	return s->total_bytes + rec +
		       (must_rotate(s, rec) ? KR_SPOOL_HEADER : 0) <=
	       s->max_bytes;
}

enum ks_status kr_spool_append(struct kr_spool *s, const void *msg, size_t n,
			       struct ks_err *err)
{
	uint64_t rec = KR_SPOOL_REC_HEADER + (uint64_t)n;
	uint8_t hdr[KR_SPOOL_REC_HEADER];
	enum ks_status st;

	if (rec + KR_SPOOL_HEADER > s->seg_max || n > UINT32_MAX)
		return ks_err_set(err, KS_ERR_LIMIT,
				  "a message of %zu bytes is larger than a "
				  "spool segment", n);
	if (s->disk_full && s->policy == KR_SPOOL_BLOCK)
		return ks_err_set(err, KS_ERR_LIMIT, "the spool's disk is full");
	for (;;) {
		/* A message that does not fit the tail starts a segment,
		 * whose header counts too. */
		int rotate = must_rotate(s, rec);
		uint64_t need = rec + (rotate ? KR_SPOOL_HEADER : 0);

		if (s->total_bytes + need <= s->max_bytes) {
			if (rotate) {
				st = kr_spool_flush(s, err);
				if (st == KS_OK)
					st = new_segment(s, err);
				if (st != KS_OK)
					return st;
			}
			break;
		}
		if (s->policy == KR_SPOOL_BLOCK)
			return ks_err_set(err, KS_ERR_LIMIT, "the spool is full");
		if (s->nsegs > 1) {
			drop_head(s);
			continue;
		}
		/* Only the tail is left: start a new one, drop the old. */
		st = kr_spool_flush(s, err);
		if (st == KS_OK)
			st = new_segment(s, err);
		if (st != KS_OK)
			return st;
	}
	put32(hdr, REC_MAGIC);
	put32(hdr + 4, (uint32_t)n);
	put32(hdr + 8, kr_crc32c(0, msg, n));
	st = ks_buf_append(&s->wbuf, hdr, sizeof hdr);
	if (st == KS_OK)
		st = ks_buf_append(&s->wbuf, msg, n);
	if (st != KS_OK) {
		return ks_err_set(err, st, "out of memory");
	}
	s->next_seq++;
	s->total_bytes += rec;
	if (s->wbuf.len >= WBUF_MAX) {
		st = kr_spool_flush(s, err);
		/* A full disk keeps the records buffered: they are counted,
		 * and the next flush writes them. */
		if (st != KS_OK && st != KS_ERR_LIMIT)
			return st;
	}
	return KS_OK;
}

/* Make rbuf hold [off, off + n) of segment `seg`. */
static enum ks_status load(struct kr_spool *s, uint64_t seg, uint64_t off,
			   size_t n, struct ks_err *err)
{
	char path[4200];
	size_t want = n > RBUF_SIZE ? n : RBUF_SIZE;
	ssize_t r;
	enum ks_status st;

	if (s->rd_fd >= 0 && s->rd_fd_seg == seg && off >= s->rbuf_off &&
	    off + n <= s->rbuf_off + s->rbuf.len)
		return KS_OK;
	if (s->rd_fd < 0 || s->rd_fd_seg != seg) {
		if (s->rd_fd >= 0)
			close(s->rd_fd);
		seg_path(s, seg, path, sizeof path);
		s->rd_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->rd_fd < 0)
			return ks_err_sys(err, KS_ERR_IO, errno, "cannot open %s",
					  path);
		s->rd_fd_seg = seg;
	}
	ks_buf_reset(&s->rbuf);
	st = ks_buf_reserve(&s->rbuf, want);
	if (st != KS_OK)
		return ks_err_set(err, st, "out of memory");
	r = pread(s->rd_fd, s->rbuf.data, want, (off_t)off);
	if (r < 0)
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot read the spool");
	s->rbuf.len = (size_t)r;
	s->rbuf_off = off;
	return (size_t)r >= n ? KS_OK : KS_ERR_TRUNCATED;
}

/* Give up on the rest of segment i (damaged): go to the next one. */
static void skip_rest(struct kr_spool *s, size_t i)
{
	s->corrupt++;
	if (i + 1 < s->nsegs) {
		s->rd = seg_start(s, i + 1);
	} else {
		/* The tail cannot be read past here; what follows is lost. */
		s->rd.off = s->segs[i].size;
		s->rd.seq = s->next_seq;
	}
}

enum ks_status kr_spool_peek(struct kr_spool *s, const uint8_t **msg,
			     size_t *n, struct kr_spool_pos *next,
			     struct ks_err *err)
{
	for (;;) {
		int i;
		uint64_t size;
		const uint8_t *h;
		uint32_t len, crc;
		enum ks_status st;

		if (s->rd.seq >= s->next_seq)
			return KS_EOF;
		i = seg_index(s, s->rd.seg);
		if (i < 0) {
			s->rd = seg_start(s, 0);
			continue;
		}
		size = s->segs[i].size;
		if ((size_t)i == s->nsegs - 1 && s->rd.off >= size &&
		    s->wbuf.len > 0) {
			st = kr_spool_flush(s, err);
			if (st != KS_OK)
				return st == KS_ERR_LIMIT ? KS_EOF : st;
			size = s->segs[i].size;
		}
		if (s->rd.off + KR_SPOOL_REC_HEADER > size) {
			if ((size_t)i == s->nsegs - 1)
				return KS_EOF;
			if (s->rd.off < size)
				s->corrupt++;
			s->rd = seg_start(s, (size_t)i + 1);
			continue;
		}
		st = load(s, s->rd.seg, s->rd.off, KR_SPOOL_REC_HEADER, err);
		if (st == KS_ERR_IO)
			return st;
		h = s->rbuf.data + (s->rd.off - s->rbuf_off);
		len = get32(h + 4);
		crc = get32(h + 8);
		if (st != KS_OK || get32(h) != REC_MAGIC ||
		    s->rd.off + KR_SPOOL_REC_HEADER + len > size) {
			skip_rest(s, (size_t)i);
			continue;
		}
		st = load(s, s->rd.seg, s->rd.off, KR_SPOOL_REC_HEADER + len, err);
		if (st == KS_ERR_IO)
			return st;
		h = s->rbuf.data + (s->rd.off - s->rbuf_off);
		if (st != KS_OK ||
		    kr_crc32c(0, h + KR_SPOOL_REC_HEADER, len) != crc) {
			skip_rest(s, (size_t)i);
			continue;
		}
		*msg = h + KR_SPOOL_REC_HEADER;
		*n = len;
		*next = (struct kr_spool_pos){ s->rd.seg,
					       s->rd.off + KR_SPOOL_REC_HEADER + len,
					       s->rd.seq + 1 };
		return KS_OK;
	}
}

void kr_spool_seek(struct kr_spool *s, const struct kr_spool_pos *pos)
{
	s->rd = *pos;
}

void kr_spool_rewind(struct kr_spool *s)
{
	s->rd = s->commit;
}

void kr_spool_commit(struct kr_spool *s, const struct kr_spool_pos *pos)
{
	if (pos->seq <= s->commit.seq)
		return;
	s->commit = *pos;
	s->dirty = 1;
	while (s->nsegs > 1 && s->segs[0].id < s->commit.seg)
		drop_seg_entry(s, 0);
	/* A head segment read to its end is delivered whole. */
	if (s->nsegs > 1 && s->segs[0].id == s->commit.seg &&
	    s->commit.off >= s->segs[0].size) {
		drop_seg_entry(s, 0);
		s->commit = seg_start(s, 0);
		if (kr_spool_before(&s->rd, &s->commit))
			s->rd = s->commit;
	}
}

enum ks_status kr_spool_save(struct kr_spool *s, struct ks_err *err)
{
	char tmp[4200], path[4200], buf[128];
	int fd, n;

	if (!s->dirty || s->dir == NULL)
		return KS_OK;
	snprintf(tmp, sizeof tmp, "%s/cursor.tmp", s->dir);
	snprintf(path, sizeof path, "%s/cursor", s->dir);
	n = snprintf(buf, sizeof buf, CURSOR_TAG " %016" PRIx64 " %" PRIu64 "\n",
		     s->commit.seg, s->commit.off);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot write %s", tmp);
	if (write(fd, buf, (size_t)n) != n || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return ks_err_sys(err, KS_ERR_IO, e, "cannot write %s", tmp);
	}
	close(fd);
	/* The crash tests stop here: the old cursor must still hold. */
	ks_fault_point("kreport-spool-cursor");
	if (rename(tmp, path) != 0)
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot replace %s",
				  path);
	s->dirty = 0;
	return KS_OK;
}

enum ks_status kr_spool_close(struct kr_spool *s, struct ks_err *err)
{
	enum ks_status st = KS_OK;
	char path[4200];

	if (s->dir != NULL && s->nsegs > 0) {
		st = kr_spool_flush(s, err);
		if (st == KS_OK && kr_spool_pending(s) == 0) {
			/* Everything is delivered: leave an empty spool. */
			while (s->nsegs > 0)
				drop_seg_entry(s, 0);
			snprintf(path, sizeof path, "%s/cursor", s->dir);
			unlink(path);
			s->dirty = 0;
		} else if (st == KS_OK) {
			st = kr_spool_save(s, err);
		} else {
			kr_spool_save(s, NULL);
		}
	}
	if (s->tail_fd >= 0)
		close(s->tail_fd);
	if (s->rd_fd >= 0)
		close(s->rd_fd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->tail_fd = s->rd_fd = s->lockfd = -1;
	ks_buf_free(&s->wbuf);
	ks_buf_free(&s->rbuf);
	free(s->segs);
	free(s->dir);
	s->segs = NULL;
	s->dir = NULL;
	s->nsegs = 0;
	return st;
}
