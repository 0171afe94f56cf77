/*
 * Reading packets (pcap and pcapng files, a pcap stream on stdin, a live
 * interface) through libpcap, and writing the packets that may pass (a
 * pcap stream) in standard mode.
 *
 * For monitoring mode, a file or stream can be opened with a copy
 * descriptor: every byte libpcap reads is also written there, and what is
 * left after the last packet too, so the copy is the input byte for byte
 * (pcapng blocks, comments, trailing junk included) whatever knetscan
 * makes of it.
 */
#ifndef KS_NET_CAP_H
#define KS_NET_CAP_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "core/status.h"

struct kn_cap;

/* Open a capture file, or stdin for "-"; copy_fd >= 0 receives a copy of
 * every byte read (the caller owns it). */
enum ks_status kn_cap_open_file(struct kn_cap **c, const char *path,
				int copy_fd, struct ks_err *err);

/* Open a live interface (snaplen 0: 262144), with a BPF filter or NULL. */
enum ks_status kn_cap_open_live(struct kn_cap **c, const char *ifname,
				int snaplen, int promisc, const char *filter,
				struct ks_err *err);

/*
 * Open one port of a two-port bridge: an Ethernet interface (anything
 * else is KS_ERR_UNSUPPORTED), whole frames, promiscuous, immediate, and
 * only the frames that arrive on it (PCAP_D_IN), so that the frames sent
 * out of it (kn_cap_inject) are not read back.  KS_ERR_NOTFOUND when there
 * is no such interface.  kn_cap_next on a port returns KS_AGAIN at once
 * when nothing waits: the caller waits on all ports with kn_cap_wait.
 */
enum ks_status kn_cap_open_port(struct kn_cap **c, const char *ifname,
				struct ks_err *err);

#define KN_CAP_WAIT_MAX 8

/* Wait until one of the n (at most KN_CAP_WAIT_MAX) live captures has a
 * packet, timeout_ms passes or a signal comes.  NULL entries are skipped. */
void kn_cap_wait(struct kn_cap *const *c, size_t n, int timeout_ms);

/* Send one whole frame out of a live capture's interface; KS_ERR_IO with
 * libpcap's message when the interface refuses it (a frame larger than
 * its MTU, the interface down). */
enum ks_status kn_cap_inject(struct kn_cap *c, const uint8_t *frame,
			     size_t len, struct ks_err *err);

/* Frames the kernel dropped before libpcap read them (buffer full, or
 * the interface's own drops), for a live capture; 0 when unknown. */
uint64_t kn_cap_kernel_drops(struct kn_cap *c);

/* Apply a BPF filter to an opened file. */
enum ks_status kn_cap_filter(struct kn_cap *c, const char *filter,
			     struct ks_err *err);

int kn_cap_linktype(const struct kn_cap *c);
int kn_cap_snaplen(const struct kn_cap *c);
const char *kn_cap_name(const struct kn_cap *c);

/*
 * The next packet: KS_OK (*h and *data valid until the next call),
 * KS_EOF, KS_AGAIN (a live capture's timeout passed with nothing: check
 * signals and call again), or an error: KS_ERR_TRUNCATED for a file that
 * ends inside a record, KS_ERR_INVALID for a record libpcap refuses (an
 * absurd caplen), KS_ERR_IO otherwise; the message is libpcap's.
 */
enum ks_status kn_cap_next(struct kn_cap *c, struct pcap_pkthdr **h,
			   const uint8_t **data, struct ks_err *err);

/* Close; for a copied input, first copies whatever libpcap did not read. */
enum ks_status kn_cap_close(struct kn_cap *c, struct ks_err *err);

/* Drop root: switch to `user`'s uid, gid and groups (after opening a live
 * interface, before any packet is decoded). */
enum ks_status kn_drop_privileges(const char *user, struct ks_err *err);

/* The writer of packets that pass. */
struct kn_dump;

enum ks_status kn_dump_open(struct kn_dump **d, const char *path,
			    int linktype, int snaplen, struct ks_err *err);
enum ks_status kn_dump_packet(struct kn_dump *d, const struct pcap_pkthdr *h,
			      const uint8_t *data, struct ks_err *err);
enum ks_status kn_dump_close(struct kn_dump *d, struct ks_err *err);

#endif
