/*
 * Floods: SYN, UDP and ICMP, counted per target.
 *
 * SYN flood (RFC 4987): SYNs to the target whose handshakes do not
 * complete; the client's ACK that completes one takes it back, so a busy
 * server's connections do not add up.  UDP flood: datagrams that open a
 * flow, or go to a flow the target never answered (a download's packets
 * go to the side that asked; a resolver's answers to its clients); the
 * target's first answer on a flow takes that flow's datagrams back, so a
 * busy resolver's queries do not add up.  ICMP flood: messages that are
 * not replies to the target's own (the flow's first direction), leaving
 * out neighbour discovery and multicast listener messages (RFC 4861, RFC
 * 3810), which are link signalling, and errors that answer the target's
 * own datagrams (a UDP flood's port unreachables).  Probes of a
 * scan in progress are the scan's, not a flood's.
 *
 * A flood may come from one source or from many (forged) ones.  A
 * Boyer-Moore majority vote over the sources names the one that sent more
 * than half of the packets, if any; without one, or when that source is
 * the target itself, the episode is reported with no source and
 * spoofed=1, with the number of distinct sources.  A single-source episode
 * is made of that source's packets only.
 */
#include <string.h>

#include "net/det-int.h"

static uint64_t pkt_bytes(const struct kn_pkt *p)
{
	return p->wirelen != 0 ? p->wirelen : p->caplen;
}

/* The flood class a packet counts for, or -1. */
static int flood_class(const struct kn_pkt *p, const struct kn_flow *fl,
		       int dir)
{
	switch (p->proto) {
	case 6:
		if ((p->tcp_flags & (KN_TH_SYN | KN_TH_ACK | KN_TH_RST)) !=
		    KN_TH_SYN || (fl != NULL && dir == KN_TO_CLIENT))
			return -1;
		return KN_AT_SYN_FLOOD;
	case 17:
		if (fl != NULL && (dir != KN_TO_SERVER ||
				   fl->pkts[KN_TO_CLIENT] != 0))
			return -1;
		return KN_AT_UDP_FLOOD;
	case 1:
	case 58:
		if (fl != NULL && dir != KN_TO_SERVER)
			return -1;
		/* MLD (130-132, 143), router and neighbour discovery and
		 * redirect (133-137). */
		if (p->proto == 58 && ((p->icmp_type >= 130 &&
					p->icmp_type <= 137) ||
				       p->icmp_type == 143))
			return -1;
		/* Errors answering the destination's own datagrams (a
		 * flood's port unreachables go back to its sender). */
		if (kn_det_icmp_error_answer(p))
			return -1;
		return KN_AT_ICMP_FLOOD;
	default:
		return -1;
	}
}

struct kn_trk *kn_det_flood_target(struct kn_det *d, const struct kn_pkt *p,
				   const struct kn_flow *fl, int dir,
				   uint64_t now)
{
	int cls = flood_class(p, fl, dir);
	struct kn_dkey k;

	if (cls < 0)
		return NULL;
	kn_key(&k, (enum kn_attack_class)cls, NULL, &p->dst);
	return kn_trk_get(d, KN_TAB_DST, &k, now);
}

static uint32_t count(struct kn_det *d, struct kn_trk *t,
		      const struct kn_pkt *p, uint64_t now)
{
	int is_cand;

	if (t->active && !t->spoofed && !kn_same_addr(&t->ep_addr, &p->src))
		return 0;
	/* The candidate was counted among the sources when it became the
	 * candidate: a single-source flood costs no set lookups. */
	is_cand = t->u.cand.src.family != 0 &&
		  kn_same_addr(&t->u.cand.src, &p->src);
	if (!is_cand && kn_dset_add(d, t, kn_addr_item(d, &p->src)))
		t->distinct++;
	if (t->u.cand.vote == 0) {
		if (!is_cand) {
			memset(&t->u.cand.src, 0, sizeof t->u.cand.src);
			t->u.cand.src.family = p->src.family;
			kn_key_addr(t->u.cand.src.b, &p->src);
			t->u.cand.n = 0;
			is_cand = 1;
		}
		t->u.cand.vote = 1;
	} else if (is_cand) {
		t->u.cand.vote++;
	} else {
		t->u.cand.vote--;
	}
	if (is_cand)
		t->u.cand.n++;
	if (!t->active) {
		/* Decided when the episode starts, for the policy to act
		 * on at once. */
		t->proto = p->proto;
		t->ep_addr = t->u.cand.src;
		t->spoofed = !(t->u.cand.n * 2 > t->win_pkts + 1) ||
			     kn_same_addr(&t->u.cand.src, &p->dst);
	}
	if (p->proto == 6 || p->proto == 17)
		kn_trk_port(t, p->dport);
	if (kn_trk_add(d, t, now, pkt_bytes(p), 1, 1))
		return kn_det_bit((enum kn_attack_class)t->k.cls);
	return 0;
}

/* The client's ACK that completes a handshake the flow saw both halves
 * of (the flow table has counted this packet). */
static int completes(const struct kn_flow *fl, int dir, uint8_t f)
{
	return fl != NULL && dir == KN_TO_SERVER &&
	       (f & (KN_TH_SYN | KN_TH_ACK | KN_TH_RST)) == KN_TH_ACK &&
	       fl->pkts[KN_TO_SERVER] == 2 &&
	       (fl->flags_seen[KN_TO_SERVER] & KN_TH_SYN) &&
	       (fl->flags_seen[KN_TO_CLIENT] & (KN_TH_SYN | KN_TH_ACK)) ==
	       (KN_TH_SYN | KN_TH_ACK);
}

uint32_t kn_det_flood(struct kn_det *d, struct kn_trk *t,
		      const struct kn_pkt *p, const struct kn_flow *fl, int dir,
		      uint64_t now, uint32_t scanned)
{
	struct kn_dkey k;

	if (t != NULL) {
		/* Probes of a scan in progress are the scan's: its first
		 * probe of each port.  Packets to a port it has already
		 * probed (a flood that follows the scan, from the same
		 * source) count for the flood. */
		if (d->new_port &&
		    ((t->k.cls == KN_AT_SYN_FLOOD &&
		      (scanned & kn_det_bit(KN_AT_TCP_PORTSCAN))) ||
		     (t->k.cls == KN_AT_UDP_FLOOD &&
		      (scanned & kn_det_bit(KN_AT_UDP_PORTSCAN)))))
			return 0;
		return count(d, t, p, now);
	}
	/* The target's first answer on a UDP flow: the datagrams it
	 * answers are a service's (a resolver's queries), not a flood's. */
	if (p->proto == 17 && fl != NULL && dir == KN_TO_CLIENT &&
	    fl->pkts[KN_TO_CLIENT] == 1) {
		uint64_t n = fl->pkts[KN_TO_SERVER];

		kn_key(&k, KN_AT_UDP_FLOOD, NULL, &p->src);
		t = kn_trk_find(d, KN_TAB_DST, &k);
		if (t != NULL && (!t->active || t->spoofed ||
				  kn_same_addr(&t->ep_addr, &p->dst)))
			/* A flow's first few datagrams at most: each
			 * took one place in the measure. */
			for (uint64_t i = 0; i < n && i < 16; i++)
				kn_trk_shrink(d, t);
	}
	if (p->proto == 6 && completes(fl, dir, p->tcp_flags)) {
		kn_key(&k, KN_AT_SYN_FLOOD, NULL, &p->dst);
		t = kn_trk_find(d, KN_TAB_DST, &k);
		if (t != NULL && (!t->active || t->spoofed ||
				  kn_same_addr(&t->ep_addr, &p->src)))
			kn_trk_shrink(d, t);
	}
	return 0;
}
