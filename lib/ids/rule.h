/*
 * One intrusion signature after parsing (private to lib/ids).
 *
 * The rule language is Suricata's (docs.suricata.io, "Rules", versions 5
 * to 7): a header "action proto src sport -> dst dport" and options in
 * parentheses.  Everything a rule says is kept here in a form that the
 * matcher reads without parsing again: addresses as sorted ranges, ports
 * as ranges, and the payload keywords as a list of "sigmatches" in rule
 * order, each tagged with the buffer it inspects (the packet payload, the
 * reassembled stream or one of the application buffers).
 *
 * A rule owns every pointer in it; ki_rule_free releases them.
 */
#ifndef KS_IDS_RULE_H
#define KS_IDS_RULE_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum ki_action { KI_ACT_ALERT, KI_ACT_DROP, KI_ACT_REJECT, KI_ACT_PASS };

enum ki_proto {
	KI_PR_IP, KI_PR_TCP, KI_PR_UDP, KI_PR_ICMP,
	KI_PR_TCP_PKT,               /* tcp-pkt: packets only, not the stream */
	KI_PR_TCP_STREAM,            /* tcp-stream: the stream only */
	KI_PR_HTTP, KI_PR_DNS, KI_PR_TLS,
};

/* The buffers a sigmatch inspects.  HTTP buffers that exist on both sides
 * (headers, file data, content type, ...) are read from the request or
 * the response according to the rule's flow direction; without one, a
 * rule made only of them is evaluated on both. */
enum ki_buf {
	KI_B_PAYLOAD = 0,            /* packet payload or stream data */
	KI_B_HTTP_URI, KI_B_HTTP_URI_RAW, KI_B_HTTP_HOST, KI_B_HTTP_HOST_RAW,
	KI_B_HTTP_METHOD, KI_B_HTTP_UA, KI_B_HTTP_REQUEST_LINE,
	KI_B_HTTP_PROTOCOL, KI_B_HTTP_REFERER, KI_B_HTTP_ACCEPT,
	KI_B_HTTP_ACCEPT_ENC, KI_B_HTTP_ACCEPT_LANG,
	/* Either side. */
	KI_B_HTTP_HEADER, KI_B_HTTP_HEADER_RAW, KI_B_HTTP_HEADER_NAMES,
	KI_B_HTTP_COOKIE, KI_B_HTTP_CONTENT_TYPE, KI_B_HTTP_CONTENT_LEN,
	KI_B_HTTP_CONNECTION, KI_B_HTTP_START, KI_B_FILE_DATA,
	KI_B_HTTP_REQUEST_BODY,
	/* Response only. */
	KI_B_HTTP_STAT_CODE, KI_B_HTTP_STAT_MSG, KI_B_HTTP_RESPONSE_LINE,
	KI_B_HTTP_RESPONSE_BODY, KI_B_HTTP_SERVER, KI_B_HTTP_LOCATION,
	/* Other protocols. */
	KI_B_DNS_QUERY, KI_B_TLS_SNI, KI_B_TLS_CERT_SUBJECT,
	KI_B_TLS_CERT_ISSUER, KI_B_TLS_CERT_SERIAL,
	KI_B_COUNT,
	/* A buffer with the dotprefix transform: its own buffer id. */
	KI_B_DOT = 64,
	KI_B_MAX = 128,
};

#define KI_BUF_BASE(b) ((b) & (KI_B_DOT - 1))

/* Buffer classes. */
int ki_buf_is_http(int b);
int ki_buf_is_http_resp_only(int b);
int ki_buf_is_http_either(int b);
const char *ki_buf_name(int b);

/* Where a rule is evaluated. */
enum ki_hook {
	KI_H_PACKET,                 /* each packet */
	KI_H_STREAM,                 /* TCP stream data, in order, per direction */
	KI_H_HTTP_REQ,               /* each HTTP request */
	KI_H_HTTP_RESP,              /* each HTTP response (with its request) */
	KI_H_DNS,                    /* each DNS query */
	KI_H_TLS_HELLO,              /* each TLS ClientHello */
	KI_H_TLS_CERT,               /* the server's certificate */
	KI_H_COUNT
};

struct ki_v4range { uint32_t lo, hi; };
struct ki_v6net { uint8_t b[16]; uint8_t prefix; };

struct ki_ipset {
	struct ki_v4range *v4;       /* sorted, merged */
	size_t nv4;
	struct ki_v6net *v6;
	size_t nv6;
};

struct ki_addrs {
	int has_pos;                 /* 0: any address, minus neg */
	struct ki_ipset pos, neg;
};

struct ki_prange { uint16_t lo, hi; };

struct ki_ports {
	int has_pos;
	struct ki_prange *pos, *neg;
	size_t npos, nneg;
};

/* A number comparison as dsize, bsize, urilen, itype, icode write it:
 * "N", "<N", ">N", "<=N", ">=N", "!N", "A<>B" (exclusive). */
enum { KI_CMP_EQ, KI_CMP_LT, KI_CMP_GT, KI_CMP_LE, KI_CMP_GE, KI_CMP_NE,
       KI_CMP_RANGE };
struct ki_num {
	uint8_t op;
	uint64_t a, b;
};
int ki_num_match(const struct ki_num *n, uint64_t v);

enum ki_sm_kind {
	KI_SM_CONTENT, KI_SM_PCRE, KI_SM_BYTE_TEST, KI_SM_BYTE_JUMP,
	KI_SM_ISDATAAT, KI_SM_BSIZE,
};

enum {
	KI_F_NOCASE = 1 << 0,
	KI_F_NEGATED = 1 << 1,
	KI_F_RELATIVE = 1 << 2,      /* distance or within, or pcre /R */
	KI_F_STARTSWITH = 1 << 3,
	KI_F_ENDSWITH = 1 << 4,
	KI_F_FAST = 1 << 5,          /* fast_pattern */
	KI_F_OFFSET = 1 << 6,
	KI_F_DEPTH = 1 << 7,
	KI_F_DISTANCE = 1 << 8,
	KI_F_WITHIN = 1 << 9,
	KI_F_FAST_ONLY = 1 << 10,
	KI_F_FAST_CHOP = 1 << 11,
};

/* byte_test and byte_jump flags. */
enum {
	KI_BF_RELATIVE = 1 << 0, KI_BF_LITTLE = 1 << 1, KI_BF_STRING = 1 << 2,
	KI_BF_HEX = 1 << 3, KI_BF_OCT = 1 << 4, KI_BF_DEC = 1 << 5,
	KI_BF_ALIGN = 1 << 6, KI_BF_FROM_BEGIN = 1 << 7, KI_BF_FROM_END = 1 << 8,
	KI_BF_NOT = 1 << 9, KI_BF_BITMASK = 1 << 10,
};

struct ki_sm {
	uint8_t kind;
	uint8_t buf;
	uint16_t flags;
	union {
		struct {
			uint8_t *pat;
			uint32_t len;
			int32_t offset, depth, distance, within;
			uint16_t fp_off, fp_len;   /* fast_pattern:off,len */
		} c;
		struct {
			pcre2_code *re;
			char *src;                 /* as written, for messages */
		} re;
		struct {
			uint8_t nbytes;
			uint8_t op;                /* '<' '>' '=' '&' '^' 'L'(<=) 'G'(>=) */
			uint16_t bflags;
			uint64_t value;
			int32_t offset;
			uint64_t bitmask;
			/* byte_jump */
			uint32_t multiplier;
			int32_t post_offset;
		} bt;
		struct {
			int32_t n;
			int relative;
		} isdataat;
		struct ki_num bsize;
	} u;
};

/* flow: options. */
enum {
	KI_FL_ESTABLISHED = 1 << 0, KI_FL_NOT_ESTABLISHED = 1 << 1,
	KI_FL_STATELESS = 1 << 2, KI_FL_TO_SERVER = 1 << 3,
	KI_FL_TO_CLIENT = 1 << 4, KI_FL_ONLY_STREAM = 1 << 5,
	KI_FL_NO_STREAM = 1 << 6, KI_FL_ONLY_FRAG = 1 << 7,
	KI_FL_NO_FRAG = 1 << 8,
};

enum { KI_FB_SET, KI_FB_UNSET, KI_FB_TOGGLE, KI_FB_ISSET, KI_FB_ISNOTSET,
       KI_FB_NOALERT };

struct ki_flowbit {
	uint8_t op;
	uint8_t any;                 /* isset with a|b: any; set with a&b: all */
	uint32_t *ids;               /* names interned in the name table */
	size_t n;
};

enum { KI_TH_NONE, KI_TH_LIMIT, KI_TH_THRESHOLD, KI_TH_BOTH,
       KI_TH_DETECTION_FILTER };
enum { KI_TRACK_SRC, KI_TRACK_DST, KI_TRACK_RULE, KI_TRACK_BOTH };

struct ki_threshold {
	uint8_t type, track;
	uint32_t count;
	uint32_t seconds;
};

struct ki_meta { char *key, *value; };

struct ki_rule {
	uint32_t sid, gid, rev;
	int priority;                /* severity: priority, else the class's */
	char *msg;
	const char *class_name;      /* owned by the class table */
	const char *class_desc;
	struct ki_meta *meta;
	size_t nmeta;
	uint8_t action, proto, bidir;
	uint8_t hook;                /* where it is evaluated first */
	uint8_t hooks;               /* every place: 1 << hook, and for HTTP
				      * rules of both directions also
				      * 1 << KI_H_HTTP_RESP */
	uint8_t target;              /* 0 none, 1 src_ip, 2 dest_ip */
	struct ki_addrs src, dst;
	struct ki_ports sp, dp;
	struct ki_sm *sm;
	size_t nsm;
	uint16_t flow;
	int has_dsize;
	struct ki_num dsize;
	int has_flags;
	uint8_t flags_set, flags_mask, flags_mode;  /* mode: 0 exact, '+', '*', '!' */
	int has_itype, has_icode;
	struct ki_num itype, icode;
	int sameip;
	unsigned ipopts;             /* KN_IPOPT_*; 0 none asked */
	int ipopts_any;
	struct ki_flowbit *fb;
	size_t nfb;
	int noalert;
	struct ki_threshold th;      /* threshold */
	struct ki_threshold df;      /* detection_filter */
	int fast;                    /* the sigmatch of the fast pattern, or -1 */
	uint32_t bufmask_lo, bufmask_hi;
	char *file;                  /* the file it came from (shared string) */
	unsigned line;
	uint32_t index;              /* its place in the set */
};

void ki_rule_free(struct ki_rule *r);

#endif
