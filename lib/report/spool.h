/*
 * The relay's on-disk spool: every message kreport relays is written here
 * first, read back by the sender in order, and forgotten only once it is
 * known to be delivered.  It is what makes delivery at-least-once: a
 * server that is down or slow, a SIGTERM, or a killed process lose
 * nothing that reached the spool, and the next run sends it.
 *
 * Layout of the directory:
 *   lock                  held with flock() while a kreport uses the spool
 *   NNNNNNNNNNNNNNNN.seg  segments, hexadecimal numbers in order; each
 *                         starts with "KRSPOOL1" and the sequence number
 *                         of its first message (8 bytes, little-endian),
 *                         then records: magic "KRM1", length (4 bytes
 *                         LE), CRC-32C of the payload (4 bytes LE),
 *                         payload
 *   cursor                "ksvm-spool 1 SEGMENT OFFSET\n": every message
 *                         before that position is delivered; replaced
 *                         atomically (write, fsync, rename)
 *
 * Bounded: the segments together never exceed max_bytes.  When a message
 * does not fit (or the disk is full), the policy decides: KR_SPOOL_BLOCK
 * refuses it (the caller stops reading input until the sender makes room)
 * and KR_SPOOL_DROP_OLDEST deletes the oldest segments, counting the
 * messages lost in `dropped`.
 *
 * Crash safety: appends are buffered in memory up to 64 KiB and written
 * by kr_spool_flush (which the relay calls after each input chunk and
 * before it reads); a record cut short by a crash is found by its length
 * and CRC at the next open and cut off (`repaired`).  Delivery state is
 * the cursor file, written at most about once a second and at close, so
 * a restart may send again what was delivered since: receivers recognize
 * duplicates by the event id in each message.
 *
 * Single-threaded.  The spool owns its descriptors and buffers.
 */
#ifndef KR_SPOOL_H
#define KR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/status.h"

enum kr_spool_policy {
	KR_SPOOL_BLOCK,
	KR_SPOOL_DROP_OLDEST,
};

#define KR_SPOOL_HEADER 16u      /* segment header */
#define KR_SPOOL_REC_HEADER 12u  /* record header */
#define KR_SPOOL_MIN_BYTES (256u << 10)

/* A place in the spool: a segment, an offset in it, and the sequence
 * number of the message that starts there. */
struct kr_spool_pos {
	uint64_t seg, off, seq;
};

struct kr_spool_seg {
	uint64_t id;
	uint64_t first_seq;
	uint64_t size;        /* bytes on disk */
};

struct kr_spool {
	char *dir;
	int lockfd;
	uint64_t max_bytes, seg_max;
	enum kr_spool_policy policy;

	struct kr_spool_seg *segs;   /* oldest first; the last is the tail */
	size_t nsegs, segcap;
	int tail_fd;
	struct ks_buf wbuf;          /* appended, not yet written */
	uint64_t next_seq;
	uint64_t total_bytes;        /* segments on disk plus wbuf */

	struct kr_spool_pos commit;  /* delivered up to here */
	struct kr_spool_pos rd;      /* the next message to read */
	int rd_fd;
	uint64_t rd_fd_seg;
	struct ks_buf rbuf;          /* bytes of rd_fd_seg from rbuf_off */
	uint64_t rbuf_off;

	int dirty;                   /* the cursor file is behind */
	uint64_t dropped;            /* messages lost to drop-oldest */
	uint64_t corrupt;            /* segments or records found damaged */
	uint64_t repaired;           /* bytes of a torn tail cut off */
	uint64_t replay;             /* messages found pending at open */
	int disk_full;               /* the last flush met ENOSPC */
};

/* Open (creating the directory) and take the lock. */
enum ks_status kr_spool_open(struct kr_spool *s, const char *dir,
			     uint64_t max_bytes, enum kr_spool_policy policy,
			     struct ks_err *err);

/*
 * Write the cursor, flush, and release everything.  When nothing is
 * pending the segments and the cursor are removed.  Safe on a zeroed or
 * half-opened spool.
 */
enum ks_status kr_spool_close(struct kr_spool *s, struct ks_err *err);

/*
 * Add a message.  KS_OK; KS_ERR_LIMIT when it does not fit and the policy
 * is to block (nothing was added: offer it again later); KS_ERR_IO.
 * Under drop-oldest, room is made by dropping the oldest segments.
 */
enum ks_status kr_spool_append(struct kr_spool *s, const void *msg, size_t n,
			       struct ks_err *err);

/* Write buffered appends.  KS_ERR_LIMIT when the disk is full (they stay
 * buffered, counted in total_bytes), KS_ERR_IO. */
enum ks_status kr_spool_flush(struct kr_spool *s, struct ks_err *err);

/*
 * The message at the read position: KS_OK with *msg and *n valid until the
 * next spool call and *next the position after it; KS_EOF when every
 * message has been read; KS_ERR_IO.
 */
enum ks_status kr_spool_peek(struct kr_spool *s, const uint8_t **msg,
			     size_t *n, struct kr_spool_pos *next,
			     struct ks_err *err);

/* Move the read position (to *next after a peek, or back to commit). */
void kr_spool_seek(struct kr_spool *s, const struct kr_spool_pos *pos);
void kr_spool_rewind(struct kr_spool *s);

/* Everything before `pos` is delivered; whole segments are deleted. */
void kr_spool_commit(struct kr_spool *s, const struct kr_spool_pos *pos);

/* Write the cursor file now if it is behind. */
enum ks_status kr_spool_save(struct kr_spool *s, struct ks_err *err);

/* Messages not yet delivered / not yet read. */
static inline uint64_t kr_spool_pending(const struct kr_spool *s)
{
	return s->next_seq - s->commit.seq;
}

static inline uint64_t kr_spool_unread(const struct kr_spool *s)
{
	return s->next_seq - s->rd.seq;
}

/* Is there room for a message of n bytes now (without dropping)? */
int kr_spool_room(const struct kr_spool *s, size_t n);

/* a < b in spool order. */
static inline int kr_spool_before(const struct kr_spool_pos *a,
				  const struct kr_spool_pos *b)
{
	return a->seq < b->seq;
}

#endif
