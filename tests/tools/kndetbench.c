/*
 * kndetbench: the cost per packet of the attack detectors and the policy
 * check, on a synthetic mix built in memory (so that only they are timed):
 * downloads (data and acknowledgments in established flows), connection
 * handshakes to busy servers, DNS queries and answers, a SYN scan and a
 * spoofed UDP flood.  Prints packets per second for the policy check
 * alone, and for detectors and policy together, with default settings.
 *
 *   kndetbench [PACKETS [MIX]]   (default 2,000,000 packets)
 *
 * MIX leaves out kinds of traffic (their packets become download
 * segments): a string of the letters h (handshakes), d (DNS), s (scan),
 * f (flood) to keep; by default all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "net/det-int.h"
#include "net/det.h"
#include "net/policy.h"

struct item {
	struct kn_pkt p;
	uint32_t flow;                /* index into flows + 1, or 0 */
	int dir;
};

static uint64_t alerts;

static void on_attack(void *ctx, const struct kn_attack *a,
		      enum kn_episode_phase ph)
{
	(void)ctx;
	(void)a;
	if (ph == KN_EPISODE_END)
		alerts++;
}

static struct kn_addr v4(uint32_t x)
{
	struct kn_addr a;

	memset(&a, 0, sizeof a);
	a.family = 4;
	a.b[0] = (uint8_t)(x >> 24);
	a.b[1] = (uint8_t)(x >> 16);
	a.b[2] = (uint8_t)(x >> 8);
	a.b[3] = (uint8_t)x;
	return a;
}

static double secs(void)
{
	struct timespec ts;

	/* CPU time, not wall time: on a shared machine it is what the
	 * code costs. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd_state = 88172645463325252ull;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)rnd_state;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000, i = 0;
	const char *mix = argc > 2 ? argv[2] : "hdsf";
	struct item *it = calloc(n, sizeof *it);
	struct kn_flow *flows = calloc(n / 4 + 16, sizeof *flows);
	size_t nflows = 0;
	uint64_t t = 1700000000ull * 1000000;
	struct kn_det_conf dc;
	struct kn_policy_conf *pc = calloc(1, sizeof *pc);
	struct kn_det *d;
	struct kn_policy *pol;
	double t0, t1, t2;
	struct rusage r1, r2;
	uint64_t sink = 0;
	int would;

	if (it == NULL || flows == NULL || pc == NULL)
		return 2;
	/* The mix, in rounds of 100 packets: 70 download segments, 12
	 * handshake packets (4 connections), 10 DNS packets (5 queries and
	 * answers), 4 scan probes, 4 flood datagrams. */
	while (i + 100 <= n) {
		size_t dl = nflows;
		struct kn_flow *f = &flows[nflows++];

		f->proto = 6;
		f->cli = v4(0x0a000000u | (rnd() & 0xfff));
		f->srv = v4(0x5d000000u | (rnd() & 0xff));
		f->cport = (uint16_t)(1024 + rnd() % 60000);
		f->sport = 443;
		f->flags_seen[0] = f->flags_seen[1] = KN_TH_SYN | KN_TH_ACK;
		f->pkts[0] = f->pkts[1] = 3;
		for (int k = 0; k < 100; k++, i++) {
			struct kn_pkt *p = &it[i].p;

			t += 10;
			memset(p, 0, sizeof *p);
			p->ts.sec = (int64_t)(t / 1000000);
			p->ts.usec = (uint32_t)(t % 1000000);
			p->ipv = 4;
			p->has_l4 = 1;
			p->caplen = p->wirelen = 1514;
			int kind = k < 70 ? 0 : k < 82 ? 'h' : k < 92 ? 'd' :
				   k < 96 ? 's' : 'f';

			if (kind == 0 || strchr(mix, kind) == NULL) {
				int back = k % 3 == 2;

				p->proto = 6;
				p->src = back ? f->cli : f->srv;
				p->dst = back ? f->srv : f->cli;
				p->sport = back ? f->cport : 443;
				p->dport = back ? 443 : f->cport;
				p->tcp_flags = KN_TH_ACK;
				p->payload_len = p->payload_wire = back ? 0 : 1448;
				it[i].flow = (uint32_t)dl + 1;
				it[i].dir = back ? KN_TO_SERVER : KN_TO_CLIENT;
			} else if (kind == 'h') {
				static struct kn_flow *hf;
				int step = (k - 70) % 3;

				if (step == 0) {
					hf = &flows[nflows++];
					hf->proto = 6;
					hf->cli = v4(0x0a010000u | (rnd() & 0xffff));
					hf->srv = v4(0x0a020000u | (rnd() & 0x3f));
					hf->cport = (uint16_t)(1024 + rnd() % 60000);
					hf->sport = 80;
				}
				p->proto = 6;
				p->src = step == 1 ? hf->srv : hf->cli;
				p->dst = step == 1 ? hf->cli : hf->srv;
				p->sport = step == 1 ? 80 : hf->cport;
				p->dport = step == 1 ? hf->cport : 80;
				p->tcp_flags = step == 0 ? KN_TH_SYN :
					       step == 1 ? KN_TH_SYN | KN_TH_ACK :
					       KN_TH_ACK;
				it[i].flow = (uint32_t)(hf - flows) + 1;
				it[i].dir = step == 1 ? KN_TO_CLIENT :
					    KN_TO_SERVER;
			} else if (kind == 'd') {
				static struct kn_flow *qf;
				int q = (k - 82) % 2 == 0;

				if (q) {
					qf = &flows[nflows++];
					qf->proto = 17;
					qf->cli = v4(0x0a030000u | (rnd() & 0x3ff));
					qf->srv = v4(0x0a000035u);
					qf->cport = (uint16_t)(1024 + rnd() % 60000);
					qf->sport = 53;
				}
				p->proto = 17;
				p->src = q ? qf->cli : qf->srv;
				p->dst = q ? qf->srv : qf->cli;
				p->sport = q ? qf->cport : 53;
				p->dport = q ? 53 : qf->cport;
				p->caplen = p->wirelen = q ? 80 : 200;
				it[i].flow = (uint32_t)(qf - flows) + 1;
				it[i].dir = q ? KN_TO_SERVER : KN_TO_CLIENT;
			} else if (kind == 's') {
				p->proto = 6;
				p->src = v4(0x0a0000ff);
				p->dst = v4(0x0a040000u | (rnd() & 0xff));
				p->sport = 40000;
				p->dport = (uint16_t)(rnd() % 1024);
				p->tcp_flags = KN_TH_SYN;
				p->caplen = p->wirelen = 60;
			} else {
				p->proto = 17;
				p->src = v4(rnd());
				p->dst = v4(0x0a050001);
				p->sport = (uint16_t)rnd();
				p->dport = 53;
				p->caplen = p->wirelen = 60;
			}
		}
	}
	n = i;

	kn_det_defaults(&dc);
	kn_policy_defaults(pc);
	d = kn_det_new(&dc, on_attack, NULL);
	pol = kn_policy_new(pc);
	if (d == NULL || pol == NULL)
		return 2;

	/* The same walk over the packets and flows, with the policy check
	 * only: what the detectors' time is measured against. */
	t0 = secs();
	for (i = 0; i < n; i++) {
		struct kn_flow *f = it[i].flow ? &flows[it[i].flow - 1] : NULL;

		if (f != NULL)
			sink += f->pkts[it[i].dir];
		sink += (uint64_t)kn_policy_blocked(pol, &it[i].p, 0, &would);
	}
	t1 = secs();
	/* Detectors and policy, flows' counters moving as the table would
	 * move them, one tick per second of packet time. */
	getrusage(RUSAGE_SELF, &r1);
	{
		uint64_t last_tick = 0;

		for (i = 0; i < n; i++) {
			struct kn_flow *f = it[i].flow ? &flows[it[i].flow - 1] :
					    NULL;
			uint64_t now = (uint64_t)it[i].p.ts.sec * 1000000 +
				       it[i].p.ts.usec;

			if (f != NULL) {
				f->pkts[it[i].dir]++;
				if (f->proto == 6)
					f->flags_seen[it[i].dir] |=
						it[i].p.tcp_flags;
			}
			if (now - last_tick >= 1000000) {
				kn_det_tick(d, now);
				kn_policy_expire(pol, now);
				last_tick = now;
			}
			sink += (uint64_t)kn_policy_blocked(pol, &it[i].p, now,
							   &would);
			sink += kn_det_packet(d, &it[i].p, f, it[i].dir, NULL);
		}
	}
	t2 = secs();
	getrusage(RUSAGE_SELF, &r2);
	kn_det_flush(d);
	printf("packets            %zu\n", n);
	printf("walk+policy        %.1f Mpkt/s (%.1f ns/packet)\n",
	       (double)n / (t1 - t0) / 1e6, (t1 - t0) * 1e9 / (double)n);
	printf("walk+policy+det    %.1f Mpkt/s (%.1f ns/packet)\n",
	       (double)n / (t2 - t1) / 1e6, (t2 - t1) * 1e9 / (double)n);
	printf("detectors          %.1f ns/packet\n",
	       ((t2 - t1) - (t1 - t0)) * 1e9 / (double)n);
	printf("  of which system  %.1f ns/packet (%ld page faults)\n",
	       ((double)(r2.ru_stime.tv_sec - r1.ru_stime.tv_sec) * 1e9 +
		(double)(r2.ru_stime.tv_usec - r1.ru_stime.tv_usec) * 1e3) /
	       (double)n, r2.ru_minflt - r1.ru_minflt);
	printf("alerts             %llu (set entries overwritten: %llu)\n",
	       (unsigned long long)alerts, (unsigned long long)d->set_evicted);
	printf("tables             %zu trackers x %zu bytes, %zu set entries x %zu bytes\n",
	       dc.max_sources + dc.max_targets + dc.max_arp,
	       sizeof(struct kn_trk), (d->set_mask + 1) * KN_DSET_WAYS,
	       sizeof(struct kn_dent));
	printf("(sink %llu)\n", (unsigned long long)(sink & 1));
	kn_det_free(d);
	kn_policy_free(pol);
	free(it);
	free(flows);
	free(pc);
	return 0;
}
