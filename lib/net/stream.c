/*
 * TCP stream reassembly, one direction (RFC 9293 section 3.4 for sequence
 * numbers; see net/stream.h for the policy on holes, overlaps and caps).
 */
#include <stdlib.h>
#include <string.h>

#include "net/stream.h"

struct kn_seg {
	struct kn_seg *next;
	uint64_t off;
	size_t len;
	uint8_t data[];
};

void kn_stream_init(struct kn_stream *s)
{
	memset(s, 0, sizeof *s);
}

void kn_stream_base(struct kn_stream *s, uint32_t seq, int syn)
{
	if (s->based)
		return;
	s->based = 1;
	s->syn = syn ? 1 : 0;
	s->isn = seq - 1;
	s->next_seq = seq;
	s->next_off = 0;
}

/* The offset of sequence number seq, read as a signed distance from the
 * next byte expected; negative results are clamped by the callers. */
static int64_t seq_off(const struct kn_stream *s, uint32_t seq)
{
	return (int64_t)s->next_off + (int32_t)(seq - s->next_seq);
}

static void free_segs(struct kn_stream *s, size_t *mem)
{
	struct kn_seg *g, *nx;

	for (g = s->segs; g != NULL; g = nx) {
		nx = g->next;
		*mem -= g->len + KN_SEG_OVERHEAD;
		s->held -= g->len + KN_SEG_OVERHEAD;
		free(g);
	}
	s->segs = NULL;
}

void kn_stream_release(struct kn_stream *s, size_t *mem)
{
	free_segs(s, mem);
}

/* The stream's end: the FIN, or stream_depth when that comes first.
 * Returns UINT64_MAX when there is none yet. */
static uint64_t limit_off(const struct kn_stream_io *io,
			  const struct kn_stream *s)
{
	uint64_t lim = UINT64_MAX;

	if (s->fin)
		lim = s->fin_off;
	if (io->conf->stream_depth > 0 && io->conf->stream_depth < lim)
		lim = io->conf->stream_depth;
	return lim;
}

static void deliver(struct kn_stream_io *io, const uint8_t *data, size_t len)
{
	if (io->deliver != NULL && len > 0)
		io->deliver(io->ctx, io->f, io->dir, data, len);
}

/* Move the next expected byte on by n (delivered or skipped), and notice
 * the stream's end. */
static void advance(struct kn_stream_io *io, struct kn_stream *s, uint64_t n)
{
	s->next_off += n;
	s->next_seq += (uint32_t)n;
	if (s->fin && s->next_off >= s->fin_off && !s->finished) {
		/* The FIN takes one sequence number of its own. */
		s->finished = 1;
		s->next_seq += 1;
		free_segs(s, io->mem);
	}
	if (io->conf->stream_depth > 0 &&
	    s->next_off >= io->conf->stream_depth && !s->depth_done) {
		s->depth_done = 1;
		free_segs(s, io->mem);
	}
}

static void hand_on(struct kn_stream_io *io, struct kn_stream *s,
		    const uint8_t *data, size_t len)
{
	deliver(io, data, len);
	io->st->stream_bytes += len;
	advance(io, s, len);
}

/* Give up on the bytes from next_off to off (off > next_off). */
static void skip_to(struct kn_stream_io *io, struct kn_stream *s, uint64_t off)
{
	uint64_t n = off - s->next_off;

	io->st->stream_gaps++;
	if (io->f != NULL)
		io->f->stream_gaps++;
	if (io->p != NULL)
		kn_anomaly(io->p, "stream", "stream.gap", 0);
	if (io->deliver != NULL)
		io->deliver(io->ctx, io->f, io->dir, NULL, (size_t)n);
	advance(io, s, n);
}

/* Hand on the held pieces that now follow the delivered bytes. */
static void drain(struct kn_stream_io *io, struct kn_stream *s)
{
	while (s->segs != NULL && !s->finished && !s->depth_done &&
	       s->segs->off <= s->next_off) {
		struct kn_seg *g = s->segs;
		uint64_t lim = limit_off(io, s);
		size_t skip = (size_t)(s->next_off - g->off);
		size_t n = g->len > skip ? g->len - skip : 0;

		if (lim != UINT64_MAX && s->next_off + n > lim)
			n = (size_t)(lim - s->next_off);
		s->segs = g->next;
		*io->mem -= g->len + KN_SEG_OVERHEAD;
		s->held -= g->len + KN_SEG_OVERHEAD;
		hand_on(io, s, g->data + skip, n);
		free(g);
	}
}

/* Give up on the first hole: deliver from the first held piece on. */
static void skip_first_hole(struct kn_stream_io *io, struct kn_stream *s)
{
	if (s->segs == NULL)
		return;
	if (s->segs->off > s->next_off)
		skip_to(io, s, s->segs->off);
	drain(io, s);
}

/* Bytes a segment [off, end) would need: its bytes plus one overhead per
 * piece it would be cut into around the pieces already held. */
static size_t cost_of(const struct kn_stream *s, uint64_t off, uint64_t end)
{
	size_t pieces = 1, covered = 0;

	for (const struct kn_seg *g = s->segs; g != NULL; g = g->next) {
		uint64_t ge = g->off + g->len;

		if (ge <= off)
			continue;
		if (g->off >= end)
			break;
		pieces++;
		covered += (size_t)((ge < end ? ge : end) -
				    (g->off > off ? g->off : off));
	}
	return (size_t)(end - off) - covered + pieces * KN_SEG_OVERHEAD;
}

/* Hold [off, off+len) where no piece is held yet, comparing the rest
 * with what is held.  Room was made by the caller.  Returns 1 when bytes
 * held differ from the new ones. */
static int hold(struct kn_stream_io *io, struct kn_stream *s, uint64_t off,
		const uint8_t *data, size_t len)
{
	struct kn_seg **pp = &s->segs;
	uint64_t cur = off, end = off + len;
	int differs = 0;

	while (cur < end) {
		struct kn_seg *x = *pp;
		uint64_t stop;

		if (x != NULL && x->off + x->len <= cur) {
			pp = &x->next;
			continue;
		}
		stop = (x == NULL || x->off >= end) ? end : x->off;
		if (stop > cur) {
			size_t n = (size_t)(stop - cur);
			struct kn_seg *g = malloc(sizeof *g + n);

			if (g == NULL) {
				/* Out of memory: what is not held becomes a
				 * hole, given up on later like any other. */
				io->st->stream_mem_drops++;
				return differs;
			}
			g->off = cur;
			g->len = n;
			memcpy(g->data, data + (cur - off), n);
			g->next = x;
			*pp = g;
			pp = &g->next;
			s->held += n + KN_SEG_OVERHEAD;
			*io->mem += n + KN_SEG_OVERHEAD;
			cur = stop;
			continue;
		}
		/* x overlaps [cur, end): the bytes held first are kept. */
		{
			uint64_t oe = x->off + x->len < end ? x->off + x->len : end;

			if (memcmp(x->data + (cur - x->off), data + (cur - off),
				   (size_t)(oe - cur)) != 0)
				differs = 1;
			cur = oe;
			pp = &x->next;
		}
	}
	return differs;
}

/* 1 when the held bytes that [off, off+len) overlaps differ from it. */
static int differs_held(const struct kn_stream *s, uint64_t off,
			const uint8_t *data, size_t len)
{
	uint64_t end = off + len;

	for (const struct kn_seg *g = s->segs; g != NULL; g = g->next) {
		uint64_t a, b;

		if (g->off >= end)
			break;
		a = g->off > off ? g->off : off;
		b = g->off + g->len < end ? g->off + g->len : end;
		if (a < b && memcmp(g->data + (a - g->off), data + (a - off),
				    (size_t)(b - a)) != 0)
			return 1;
	}
	return 0;
}

void kn_stream_data(struct kn_stream_io *io, struct kn_stream *s,
		    uint32_t seq, const uint8_t *data, size_t len)
{
	int differs = 0;

	if (!s->based)
		return;
	while (len > 0 && !s->finished && !s->depth_done) {
		int64_t rel = seq_off(s, seq);
		uint64_t off, end, lim;
		size_t cost;

		if (rel < (int64_t)s->next_off) {
			/* Bytes handed on already: a retransmission. */
			uint64_t old = (uint64_t)((int64_t)s->next_off - rel);

			if (old >= len)
				break;
			data += old;
			len -= (size_t)old;
			seq += (uint32_t)old;
			rel = (int64_t)s->next_off;
		}
		off = (uint64_t)rel;
		end = off + len;
		lim = limit_off(io, s);
		if (end > lim) {
			if (off >= lim)
				break;
			end = lim;
			len = (size_t)(end - off);
		}
		if (off == s->next_off) {
			/* In order: straight from the packet, up to the first
			 * held piece; what overlaps held pieces is compared
			 * with them, and they are handed on (first bytes
			 * kept). */
			uint64_t first = s->segs != NULL ? s->segs->off : end;
			size_t n;

			if (first > end)
				first = end;
			n = (size_t)(first - off);
			if (n > 0) {
				hand_on(io, s, data, n);
				data += n;
				seq += (uint32_t)n;
				len -= n;
				off = first;
			}
			if (len > 0)
				differs |= differs_held(s, off, data, len);
			drain(io, s);
			continue;
		}
		cost = cost_of(s, off, end);
		if (s->held + cost > io->conf->stream_depth_ooo ||
		    *io->mem + cost > io->conf->stream_mem) {
			/* No room: give up on the first hole (the one before
			 * this segment when nothing is held before it), then
			 * look at the segment again. */
			if (s->held + cost <= io->conf->stream_depth_ooo)
				io->st->stream_mem_drops++;
			differs |= differs_held(s, off, data, len);
			if (s->segs != NULL && s->segs->off < off)
				skip_first_hole(io, s);
			else
				skip_to(io, s, off);
			continue;
		}
		differs |= hold(io, s, off, data, len);
		drain(io, s);
		break;
	}
	if (differs) {
		io->st->stream_overlaps_differ++;
		if (io->p != NULL)
			kn_anomaly(io->p, "stream", "stream.overlap_differs", 0);
	}
}

void kn_stream_fin(struct kn_stream_io *io, struct kn_stream *s, uint32_t seq)
{
	int64_t rel;

	if (!s->based)
		kn_stream_base(s, seq, 0);
	if (s->fin)
		return;
	rel = seq_off(s, seq);
	s->fin = 1;
	s->fin_off = rel < (int64_t)s->next_off ? s->next_off : (uint64_t)rel;
	/* Held bytes past the FIN are not part of the stream. */
	{
		struct kn_seg **pp = &s->segs;

		while (*pp != NULL) {
			struct kn_seg *g = *pp;

			if (g->off >= s->fin_off) {
				*pp = g->next;
				*io->mem -= g->len + KN_SEG_OVERHEAD;
				s->held -= g->len + KN_SEG_OVERHEAD;
				free(g);
			} else {
				pp = &g->next;
			}
		}
	}
	if (s->next_off >= s->fin_off)
		advance(io, s, 0);
}

void kn_stream_acked(struct kn_stream_io *io, struct kn_stream *s, uint32_t ack)
{
	int32_t d;
	uint64_t to;

	if (!s->based || s->finished || s->depth_done)
		return;
	d = (int32_t)(ack - s->next_seq);
	/* Only a distance that a receive window allows (2^30, RFC 7323
	 * section 2.3) is believed; anything else is not an acknowledgment
	 * of this stream's bytes. */
	if (d <= 0 || d > (1 << 30))
		return;
	to = s->next_off + (uint64_t)d;
	if (s->fin && to > s->fin_off)
		to = s->fin_off;
	if (s->segs != NULL && s->segs->off < to)
		to = s->segs->off;
	if (to > s->next_off)
		skip_to(io, s, to);
	drain(io, s);
}

void kn_stream_flush(struct kn_stream_io *io, struct kn_stream *s)
{
	while (s->segs != NULL && !s->finished && !s->depth_done)
		skip_first_hole(io, s);
}
