/*
 * ARP spoofing (RFC 826): an IPv4 address claimed by a second MAC address
 * while the first one's claim is still remembered.
 *
 * Every ARP request and reply claims its sender's binding (sender
 * protocol address -> sender hardware address); gratuitous ARP (RFC 5227
 * section 3, an announcement) is such a claim too.  A binding is
 * remembered for the class's window since its owner last claimed it; a
 * claim by another MAC address within that time is a conflict, and the
 * binding moves to the new claimant (so the poisoning tools' claims, sent
 * every second or two against the real owner's, keep conflicting).  Past
 * the window the old binding is taken as gone (a new owner of the address)
 * without a finding.  ARP probes (sender address 0.0.0.0, RFC 5227 section
 * 2.1.1) claim nothing; nor do claims from multicast or zero hardware
 * addresses, which no interface owns.
 *
 * The episode's source is the contested address, its target the address
 * the first conflicting claim was sent to, arp_mac_old the binding before
 * and arp_mac_new the MAC that claimed it; its packets are the claims by
 * any MAC address other than arp_mac_old.  Which of the two is the real
 * owner cannot be known from the traffic alone.
 */
#include <string.h>

#include "net/det-int.h"

uint32_t kn_det_arp(struct kn_det *d, const struct kn_pkt *p, uint64_t now)
{
	static const uint8_t zero[6];
	struct kn_addr ip;
	struct kn_dkey k;
	struct kn_trk *t;
	uint8_t old[6];
	uint64_t bytes = p->wirelen != 0 ? p->wirelen : p->caplen;
	int fresh, member;

	if (p->arp_op != 1 && p->arp_op != 2)
		return 0;
	if (memcmp(p->arp_spa, zero, 4) == 0 || (p->arp_sha[0] & 1) ||
	    memcmp(p->arp_sha, zero, 6) == 0)
		return 0;
	memset(&ip, 0, sizeof ip);
	ip.family = 4;
	memcpy(ip.b, p->arp_spa, 4);
	kn_key(&k, KN_AT_ARP_SPOOF, &ip, NULL);
	t = kn_trk_get(d, KN_TAB_ARP, &k, now);
	if (!t->u.bind.set) {
		memcpy(t->u.bind.mac, p->arp_sha, 6);
		t->u.bind.set = 1;
		t->u.bind.at = now;
		return 0;
	}
	if (memcmp(t->u.bind.mac, p->arp_sha, 6) == 0) {
		/* The binding confirmed; during an episode, a claim by the
		 * new MAC address is one of its packets. */
		t->u.bind.at = now;
		if (t->active && memcmp(p->arp_sha, t->mac_old, 6) != 0 &&
		    kn_trk_add(d, t, now, bytes, 0, 1))
			return kn_det_bit(KN_AT_ARP_SPOOF);
		return 0;
	}
	fresh = now - t->u.bind.at < d->c.th[KN_AT_ARP_SPOOF].window_us;
	memcpy(old, t->u.bind.mac, 6);
	memcpy(t->u.bind.mac, p->arp_sha, 6);
	t->u.bind.at = now;
	if (!fresh && !t->active)
		return 0;
	if (!t->active) {
		t->proto = 0;
		memcpy(t->mac_old, old, 6);
		memcpy(t->mac_new, p->arp_sha, 6);
		memset(&t->ep_addr, 0, sizeof t->ep_addr);
		t->ep_addr.family = 4;
		memcpy(t->ep_addr.b, p->arp_tpa, 4);
	}
	member = memcmp(p->arp_sha, t->active ? t->mac_old : old, 6) != 0;
	if (kn_trk_add(d, t, now, bytes, 1, member))
		return kn_det_bit(KN_AT_ARP_SPOOF);
	return 0;
}
