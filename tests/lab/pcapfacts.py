#!/usr/bin/python3
"""Checks the lab's captures against what made them, and writes
tests/pcap/README from them.

    pcapfacts.py check FILE...     (paths as under the top of the tree)
    pcapfacts.py readme            (run from the top of the tree)

The decoder here is its own (Ethernet with 802.1Q/802.1ad tags, Linux
cooked v1 and v2, ARP, IPv4 with options and fragments, IPv6 with extension
headers, TCP, UDP, ICMP, ICMPv6, DNS, HTTP/1.x, the TLS ClientHello), so
that what the README states does not come from the code under test.
Every number in the README is counted from the committed file; `check`
fails when a capture does not hold what its scenario must produce (a
flood short of packets, a scan that missed ports, an SNI split in the
wrong place).
"""

import collections
import ipaddress
import os
import struct
import sys
import textwrap

import labcommon
from craft import (ARP_GRATUITOUS, ARP_UNICAST, POD_DATA, POD_FRAG, POD_IDS,
                   POD_LONE_LEN, POD_LONE_OFFSET, TEARDROP_ID6, TEARDROP_IDS,
                   TINY_ID6, TINY_IDS, TINY_PORTS, TINY_SPORT)

P = labcommon.load_params()
ZONE = P["ZONE"]
PHISH = P["PHISH_HOST"]
SRV4, SRV6 = P["SERVER_IP4"], P["SERVER_IP6"]
CLI4, CLI6 = P["CLIENT_IP4"], P["CLIENT_IP6"]
VIC4, VIC6 = P["VICTIM_IP4"], P["VICTIM_IP6"]
ATT4, ATT6 = P["ATTACKER_IP4"], P["ATTACKER_IP6"]

TCP_FLAGS = "FSRPAUEC"


# ---------------------------------------------------------------- reading

def read_pcapng(path):
    """The pcapng blocks this lab meets (pcapng draft, sections 4.1-4.3):
    section header, interface description, enhanced packet."""
    blocks = collections.Counter()
    ifaces = []
    records = []
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    order = "<"
    while off + 12 <= len(data):
        btype = struct.unpack(order + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(order + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            raise labcommon.PcapError("%s: bad block at %d" % (path, off))
        body = data[off + 8:off + blen - 4]
        blocks[btype] += 1
        if btype == 1:
            linktype, _, snaplen = struct.unpack(order + "HHI", body[:8])
            resol = 6
            opts = body[8:]
            while len(opts) >= 4:
                code, olen = struct.unpack(order + "HH", opts[:4])
                if code == 0:
                    break
                if code == 9:
                    resol = opts[4]
                opts = opts[4 + ((olen + 3) & ~3):]
            ifaces.append((linktype, snaplen, resol))
        elif btype == 6:
            iface, hi, lo, caplen, wirelen = struct.unpack(order + "IIIII", body[:20])
            units = (hi << 32) | lo
            resol = ifaces[iface][2]
            ts_ns = units * 10 ** (9 - resol) if resol <= 9 else units // 10 ** (resol - 9)
            records.append((ts_ns, caplen, wirelen, body[20:20 + caplen]))
        off += blen
    if not ifaces:
        raise labcommon.PcapError("%s: no interface" % path)
    return ifaces[0][0], ifaces[0][1], blocks, records


class Capture:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.size = os.path.getsize(path)
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic == b"\x0a\x0d\x0d\x0a":
            self.format = "pcapng"
            self.linktype, self.snaplen, self.blocks, recs = read_pcapng(path)
        else:
            self.linktype, self.snaplen, nano, recs = labcommon.read_pcap(path)
            self.format = "pcap (nanosecond timestamps)" if nano else "pcap"
            self.blocks = None
            self.magic = magic
        self.packets = [decode(i + 1, ts, cap, wire, data, self.linktype)
                        for i, (ts, cap, wire, data) in enumerate(recs)]

    @property
    def duration(self):
        if len(self.packets) < 2:
            return 0.0
        return (self.packets[-1].ts - self.packets[0].ts) / 1e9


# ---------------------------------------------------------------- decoding

class Pkt:
    """One decoded packet; absent layers stay None."""
    __slots__ = ("n", "ts", "caplen", "wirelen", "l2", "src_mac", "dst_mac", "vlans",
                 "ether", "arp", "ipv", "src", "dst", "proto", "ip_id", "frag_off", "mf",
                 "df", "ip_opts", "ext", "frag_id", "ip_payload", "ip_total",
                 "sport", "dport", "flags", "seq", "ack", "payload", "icmp",
                 "first_frag", "l4_short")

    def __init__(self):
        for s in self.__slots__:
            setattr(self, s, None)
        self.vlans = []
        self.ip_opts = []
        self.ext = []

    @property
    def truncated(self):
        return self.caplen < self.wirelen

    def is_tcp(self):
        return self.proto == 6 and self.flags is not None

    def flagstr(self):
        return "".join(c for i, c in enumerate(TCP_FLAGS) if self.flags & (1 << i))


def mac(b):
    return ":".join("%02x" % x for x in b)


def decode(n, ts, caplen, wirelen, data, linktype):
    p = Pkt()
    p.n, p.ts, p.caplen, p.wirelen = n, ts, caplen, wirelen
    try:
        if linktype == 1:
            p.l2 = "ethernet"
            p.dst_mac, p.src_mac = mac(data[0:6]), mac(data[6:12])
            etype = struct.unpack("!H", data[12:14])[0]
            off = 14
            while etype in (0x8100, 0x88A8, 0x9100) and len(p.vlans) < 4:
                tci, nxt = struct.unpack("!HH", data[off:off + 4])
                p.vlans.append((etype, tci & 0xFFF, tci >> 13))
                etype = nxt
                off += 4
        elif linktype == 113:
            p.l2 = "sll"
            etype = struct.unpack("!H", data[14:16])[0]
            off = 16
        elif linktype == 276:
            p.l2 = "sll2"
            etype = struct.unpack("!H", data[0:2])[0]
            off = 20
        else:
            return p
        p.ether = etype
        if etype == 0x0806:
            decode_arp(p, data[off:])
        elif etype == 0x0800:
            decode_ip4(p, data[off:])
        elif etype == 0x86DD:
            decode_ip6(p, data[off:])
    except (struct.error, IndexError, ValueError):
        p.l4_short = True
    return p


def decode_arp(p, d):
    _, _, hl, pl, op = struct.unpack("!HHBBH", d[:8])
    if hl == 6 and pl == 4:
        p.arp = (op, mac(d[8:14]), str(ipaddress.IPv4Address(d[14:18])),
                 mac(d[18:24]), str(ipaddress.IPv4Address(d[24:28])))


def decode_ip4(p, d):
    p.ipv = 4
    ihl = (d[0] & 0xF) * 4
    total, ident, fl = struct.unpack("!HHH", d[2:8])
    p.ip_total = total
    p.ip_id = ident
    p.df = bool(fl & 0x4000)
    p.mf = bool(fl & 0x2000)
    p.frag_off = (fl & 0x1FFF) * 8
    p.proto = d[9]
    p.src = str(ipaddress.IPv4Address(d[12:16]))
    p.dst = str(ipaddress.IPv4Address(d[16:20]))
    opts = d[20:ihl]
    i = 0
    while i < len(opts):
        t = opts[i]
        if t == 0:
            p.ip_opts.append(("EOL", b""))
            break
        if t == 1:
            p.ip_opts.append(("NOP", b""))
            i += 1
            continue
        ln = opts[i + 1]
        name = {0x83: "LSRR", 0x89: "SSRR", 0x07: "RR", 0x44: "TS"}.get(t, "opt%d" % t)
        p.ip_opts.append((name, opts[i + 2:i + ln]))
        i += max(ln, 2)
    body = d[ihl:total]
    p.ip_payload = body
    if p.mf or p.frag_off:
        p.frag_id = ident
    p.first_frag = p.frag_off == 0
    if p.frag_off == 0:
        decode_l4(p, body)


def decode_ip6(p, d):
    p.ipv = 6
    plen = struct.unpack("!H", d[4:6])[0]
    nh = d[6]
    p.src = str(ipaddress.IPv6Address(d[8:24]))
    p.dst = str(ipaddress.IPv6Address(d[24:40]))
    body = d[40:40 + plen]
    p.first_frag = True
    for _ in range(16):                      # extension header nesting cap
        if nh in (0, 43, 60):
            ln = (body[1] + 1) * 8
            if nh == 43:
                addrs = [str(ipaddress.IPv6Address(body[8 + 16 * k:24 + 16 * k]))
                         for k in range((ln - 8) // 16)]
                p.ext.append(("routing", body[2], body[3], addrs))
            else:
                p.ext.append(("hop-by-hop" if nh == 0 else "destination", None, None, None))
            nh = body[0]
            body = body[ln:]
        elif nh == 44:
            offm, ident = struct.unpack("!HI", body[2:8])
            p.ext.append(("fragment", None, None, None))
            p.frag_id = ident
            p.frag_off = offm & 0xFFF8
            p.mf = bool(offm & 1)
            p.first_frag = p.frag_off == 0
            nh = body[0]
            body = body[8:]
        else:
            break
    p.proto = nh
    p.ip_payload = body
    if p.first_frag:
        decode_l4(p, body)


def decode_l4(p, d):
    if p.proto == 6:
        if len(d) < 20:
            p.l4_short = True
            if len(d) >= 4:
                p.sport, p.dport = struct.unpack("!HH", d[:4])
            return
        p.sport, p.dport, p.seq, p.ack, offf = struct.unpack("!HHIIH", d[:14])
        p.flags = d[13]
        p.payload = d[(offf >> 12) * 4:]
    elif p.proto == 17:
        p.sport, p.dport = struct.unpack("!HH", d[:4])
        p.payload = d[8:]
    elif p.proto in (1, 58):
        p.icmp = (d[0], d[1])
        p.payload = d[4:]
        if len(d) >= 8:
            p.sport = struct.unpack("!H", d[4:6])[0]     # echo identifier
            p.seq = struct.unpack("!H", d[6:8])[0]


# ---------------------------------------------------------------- TCP streams

class Conn:
    def __init__(self, client, cport, server, sport, syn):
        self.client, self.cport, self.server, self.sport = client, cport, server, sport
        self.syn = syn
        self.segs = {True: [], False: []}     # True: client to server
        self.isn = {}

    def stream(self, c2s):
        segs = sorted(self.segs[c2s], key=lambda s: s[0])
        if not segs:
            return b"", []
        base = self.isn.get(c2s, segs[0][0] - 1) + 1
        out = bytearray()
        spans = []
        for seq, data, pkt in segs:
            start = (seq - base) & 0xFFFFFFFF
            if start > len(out) + (1 << 30):
                continue
            if start + len(data) <= len(out):
                continue
            out += data[len(out) - start:] if start < len(out) else data
            spans.append((start, start + len(data), pkt))
        return bytes(out), spans


def tcp_conns(cap):
    """Connections keyed by their 4-tuple, in the order their SYN was seen;
    the side that sent the SYN (without ACK) is the client."""
    conns = collections.OrderedDict()
    for p in cap.packets:
        if not p.is_tcp():
            continue
        fwd = (p.src, p.sport, p.dst, p.dport)
        rev = (p.dst, p.dport, p.src, p.sport)
        if p.flags & 0x02 and not p.flags & 0x10 and fwd not in conns:
            conns[fwd] = Conn(p.src, p.sport, p.dst, p.dport, p)
        key, c2s = (fwd, True) if fwd in conns else (rev, False) if rev in conns else (None, None)
        if key is None:
            continue
        c = conns[key]
        if p.flags & 0x02:
            c.isn[c2s] = p.seq
        if p.payload:
            c.segs[c2s].append((p.seq, p.payload, p))
    return list(conns.values())


# ---------------------------------------------------------------- HTTP

def parse_http_requests(data):
    reqs = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1").split("\r\n")
        method, uri, version = (head[0].split(" ") + ["", ""])[:3]
        headers = [tuple(x.strip() for x in h.split(":", 1)) for h in head[1:] if ":" in h]
        hmap = {k.lower(): v for k, v in headers}
        blen = int(hmap.get("content-length", "0"))
        reqs.append({"method": method, "uri": uri, "version": version,
                     "host": hmap.get("host"), "ua": hmap.get("user-agent"),
                     "body": blen})
        data = data[end + 4 + blen:]
    return reqs


def parse_http_responses(data, methods):
    out = []
    for method in methods:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ")[1])
        hmap = {h.split(":", 1)[0].strip().lower(): h.split(":", 1)[1].strip()
                for h in head[1:] if ":" in h}
        blen = 0 if method == "HEAD" else int(hmap.get("content-length", "0"))
        out.append((status, blen))
        data = data[end + 4 + blen:]
    return out


def http_exchanges(cap):
    """Every HTTP/1.x request on a TCP connection to a port that speaks
    HTTP, with its connection and response."""
    out = []
    for c in tcp_conns(cap):
        req, spans = c.stream(True)
        if not req[:8].split(b" ")[0] in (b"GET", b"POST", b"HEAD", b"PUT", b"DELETE"):
            continue
        reqs = parse_http_requests(req)
        resp, _ = c.stream(False)
        resps = parse_http_responses(resp, [r["method"] for r in reqs])
        for i, r in enumerate(reqs):
            r["conn"] = c
            r["status"], r["resp_body"] = resps[i] if i < len(resps) else (None, None)
            host = r["host"] or (c.server if ":" not in c.server else "[%s]" % c.server)
            r["url"] = "http://%s%s" % (host, r["uri"])
            out.append(r)
    return out


def hostport(addr, port):
    return ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port)


def fmt_http(r):
    c = r["conn"]
    s = "%s %s  (Host: %s; User-Agent: %s; %s -> %s; status %s" % (
        r["method"], r["url"], r["host"] if r["host"] is not None else "none",
        r["ua"], hostport(c.client, c.cport), hostport(c.server, c.sport), r["status"])
    if r["method"] == "POST":
        s += "; request body %d bytes" % r["body"]
    if r["resp_body"]:
        s += "; response body %d bytes" % r["resp_body"]
    return s + ")"


# ---------------------------------------------------------------- DNS (RFC 1035)

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 16: "TXT", 28: "AAAA", 41: "OPT", 255: "ANY"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def dns_name(msg, off, depth=0):
    labels = []
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if depth > 16:
                raise ValueError("pointer loop")
            ptr = struct.unpack("!H", msg[off:off + 2])[0] & 0x3FFF
            rest, _ = dns_name(msg, ptr, depth + 1)
            labels.append(rest)
            return ".".join(x for x in labels if x), off + 2
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(msg[off:off + n].decode("latin-1"))
        off += n


def parse_dns(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    d = {"id": qid, "qr": bool(flags & 0x8000), "opcode": (flags >> 11) & 0xF,
         "rcode": RCODES.get(flags & 0xF, str(flags & 0xF)), "tc": bool(flags & 0x200),
         "qname": None, "qtype": None, "answers": []}
    off = 12
    if qd:
        d["qname"], off = dns_name(msg, off)
        qt = struct.unpack("!H", msg[off:off + 2])[0]
        d["qtype"] = QTYPES.get(qt, str(qt))
        off += 4
    for _ in range(an):
        name, off = dns_name(msg, off)
        rt, _, _, rl = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rl]
        if rt == 1:
            v = str(ipaddress.IPv4Address(rd))
        elif rt == 28:
            v = str(ipaddress.IPv6Address(rd))
        elif rt in (2, 5):
            v = dns_name(msg, off)[0]
        elif rt == 16:
            v = '"%s"' % rd[1:1 + rd[0]].decode("latin-1")
        else:
            v = rd.hex()
        d["answers"].append("%s %s %s" % (name, QTYPES.get(rt, str(rt)), v))
        off += rl
    return d


def dns_messages(cap):
    """(packet or connection, transport, client, server, message) for every
    DNS message on port 53, UDP and TCP, in capture order."""
    out = []
    for p in cap.packets:
        if p.proto == 17 and p.first_frag and 53 in (p.sport, p.dport) and p.payload is not None:
            try:
                m = parse_dns(p.payload)
            except (struct.error, IndexError, ValueError):
                m = None
            client, server = (p.src, p.dst) if p.dport == 53 else (p.dst, p.src)
            out.append((p.ts, "udp", client, p.sport if p.dport == 53 else p.dport, server, m))
    for c in tcp_conns(cap):
        if c.sport != 53:
            continue
        for c2s in (True, False):
            data, spans = c.stream(c2s)
            pos = 0
            while pos + 2 <= len(data):
                (ln,) = struct.unpack("!H", data[pos:pos + 2])
                msg = data[pos + 2:pos + 2 + ln]
                ts = next((pk.ts for s, e, pk in spans if s <= pos < e), 0)
                try:
                    m = parse_dns(msg)
                except (struct.error, IndexError, ValueError):
                    m = None
                out.append((ts, "tcp", c.client, c.cport, c.server, m))
                pos += 2 + ln
    out.sort(key=lambda x: x[0])
    return out


def dns_queries(cap):
    return [x for x in dns_messages(cap) if x[5] is not None and not x[5]["qr"]]


def dns_responses(cap):
    return [x for x in dns_messages(cap) if x[5] is not None and x[5]["qr"]]


def fmt_dns_query(q):
    return "%s %s over %s, id %d, from %s port %d to %s" % (
        q[5]["qname"], q[5]["qtype"], q[1].upper(), q[5]["id"], q[2], q[3], q[4])


def fmt_dns_response(r):
    m = r[5]
    ans = "; ".join(m["answers"]) if m["answers"] else "no answer"
    return "%s %s: %s, %s" % (m["qname"], m["qtype"], m["rcode"], ans)


# ---------------------------------------------------------------- TLS (RFC 8446 4.1.2, RFC 6066 3)

def parse_client_hello(data):
    """(sni or None, offered versions, offset of the SNI name, hello length,
    ALPN protocols)."""
    if len(data) < 5 or data[0] != 22:
        return None
    rlen = struct.unpack("!H", data[3:5])[0]
    h = data[5:5 + rlen]
    if not h or h[0] != 1:
        return None
    off = 4 + 2 + 32
    off += 1 + h[off]
    off += 2 + struct.unpack("!H", h[off:off + 2])[0]
    off += 1 + h[off]
    elen = struct.unpack("!H", h[off:off + 2])[0]
    off += 2
    end = off + elen
    sni = None
    sni_at = None
    alpn = []
    versions = [struct.unpack("!H", h[4:6])[0]]
    while off + 4 <= end:
        et, el = struct.unpack("!HH", h[off:off + 4])
        ed = h[off + 4:off + 4 + el]
        if et == 0:
            nl = struct.unpack("!H", ed[3:5])[0]
            sni = ed[5:5 + nl].decode("latin-1")
            sni_at = 5 + off + 4 + 5
        elif et == 43:
            versions = [struct.unpack("!H", ed[1 + 2 * i:3 + 2 * i])[0] for i in range(ed[0] // 2)]
        elif et == 16:
            i = 2
            while i < len(ed):
                alpn.append(ed[i + 1:i + 1 + ed[i]].decode("latin-1"))
                i += 1 + ed[i]
        off += 4 + el
    return sni, versions, sni_at, 5 + rlen, alpn


def tls_version_name(v):
    return {0x0304: "1.3", 0x0303: "1.2", 0x0302: "1.1", 0x0301: "1.0"}.get(v, hex(v))


def tls_hellos(cap):
    out = []
    for c in tcp_conns(cap):
        data, spans = c.stream(True)
        ch = parse_client_hello(data)
        if ch is None:
            continue
        sni, versions, sni_at, hlen, alpn = ch
        segs = [(s, e) for s, e, _ in spans if s < hlen]
        out.append({"conn": c, "sni": sni, "versions": versions, "sni_at": sni_at,
                    "len": hlen, "segments": segs, "alpn": alpn})
    return out


def fmt_tls(t):
    c = t["conn"]
    top = max(t["versions"])
    return "SNI %s  (%s port %d -> %s port %d; ClientHello offers TLS up to %s%s)" % (
        t["sni"] if t["sni"] is not None else "none (no server_name extension)",
        c.client, c.cport, c.server, c.sport, tls_version_name(top),
        "; ALPN %s" % ",".join(t["alpn"]) if t["alpn"] else "")


# ---------------------------------------------------------------- helpers

class Facts:
    def __init__(self, cap):
        self.cap = cap
        self.made = []
        self.holds = []
        self.find = []
        self.errors = []

    def expect(self, cond, msg):
        if not cond:
            self.errors.append("%s: %s" % (self.cap.name, msg))

    def eq(self, got, want, what):
        self.expect(got == want, "%s: %r, expected %r" % (what, got, want))
        return got


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def rate(n, t):
    return "%.0f packets/s" % (n / t) if t > 0 else "all at once"


def span(pkts):
    if len(pkts) < 2:
        return 0.0
    return (pkts[-1].ts - pkts[0].ts) / 1e9


def background(cap):
    """Packets that are the lab's plumbing rather than the scenario."""
    c = collections.Counter()
    for p in cap.packets:
        if p.arp:
            c["ARP " + ("request" if p.arp[0] == 1 else "reply")] += 1
        elif p.proto == 58 and p.icmp and p.icmp[0] in (133, 134, 135, 136):
            c["ICMPv6 neighbour " + ("solicitation" if p.icmp[0] == 135 else
                                     "advertisement" if p.icmp[0] == 136 else "router")] += 1
        elif p.proto == 58 and p.icmp and p.icmp[0] in (130, 131, 132, 143):
            c["MLD"] += 1
    return c


def fmt_background(cap):
    c = background(cap)
    if not c:
        return "no address resolution"
    return ", ".join("%d %s" % (n, k) for k, n in sorted(c.items()))


def tcp_from(cap, src, dst=None):
    return [p for p in cap.packets if p.is_tcp() and p.src == src and (dst is None or p.dst == dst)]


# ---------------------------------------------------------------- per capture

def f_http(cap, f):
    reqs = http_exchanges(cap)
    want = [
        ("GET", "www.%s" % ZONE, "/index.html"),
        ("GET", "intranet.%s" % ZONE, "/search?q=knetscan&lang=en"),
        ("POST", "www.%s" % ZONE, "/submit"),
        ("GET", "www.%s:%s" % (ZONE, P["HTTP_ALT_PORT"]), "/status"),
        ("GET", "v6.%s" % ZONE, "/index.html"),
        ("GET", "www.%s" % ZONE, "/static/obj-01.js"),
        ("GET", "www.%s" % ZONE, "/static/obj-02.png"),
        ("HEAD", "www.%s" % ZONE, "/index.html"),
        ("GET", "www.%s" % ZONE, "/missing.html"),
        ("GET", None, "/legacy.html"),
    ]
    f.eq([(r["method"], r["host"], r["uri"]) for r in reqs], want, "requests")
    conns = len({id(r["conn"]) for r in reqs})
    f.eq(conns, 9, "connections")
    f.made.append("curl in the client namespace, one request per invocation except "
                  "obj-01.js and obj-02.png, which one curl fetches over one persistent "
                  "connection; Host headers set with -H (no DNS)")
    f.holds.append("%d TCP connections from the client, %d HTTP/1.x requests"
                   % (conns, len(reqs)))
    f.find.append("%d `http` records, in this order (hostname, URI, absolute URL, user agent):"
                  % len(reqs))
    for i, r in enumerate(reqs, 1):
        f.find.append("  %d. %s" % (i, fmt_http(r)))
    f.find.append("Request 4 names a port in its Host header (url keeps it); request 5 is "
                  "over IPv6; request 10 is HTTP/1.0 without a Host header, so its only "
                  "name is the server's address.")
    f.find.append("No alert.")


def f_dns(cap, f, transport):
    qs = dns_queries(cap)
    rs = dns_responses(cap)
    if transport == "udp":
        want = [("www.%s" % ZONE, "A"), ("dual.%s" % ZONE, "AAAA"), ("alias.%s" % ZONE, "A"),
                ("chain.%s" % ZONE, "A"), ("nope.%s" % ZONE, "A"), ("txt.%s" % ZONE, "TXT"),
                ("WWW.Lab.Example", "A"), ("example.org", "A"), ("v6.%s" % ZONE, "AAAA")]
        f.made.append("dig @%s (+tries=1) in the client namespace, one query per run; the "
                      "last one to @%s" % (SRV4, SRV6))
    else:
        want = [("www.%s" % ZONE, "A"), ("dual.%s" % ZONE, "AAAA"), ("alias.%s" % ZONE, "A"),
                ("intranet.%s" % ZONE, "A"), ("secure.%s" % ZONE, "A"), ("v6.%s" % ZONE, "AAAA")]
        f.made.append("dig +tcp @%s in the client namespace; intranet and secure are two "
                      "queries on one connection (+keepopen); the last one to @%s"
                      % (SRV4, SRV6))
    f.eq([(q[5]["qname"], q[5]["qtype"]) for q in qs], want, "queries")
    f.eq(len(rs), len(want), "responses")
    f.expect(all(q[1] == transport for q in qs + rs), "transport")
    if transport == "tcp":
        conns = [c for c in tcp_conns(cap) if c.sport == 53]
        f.eq(len(conns), 5, "TCP connections to port 53")
        f.holds.append("%d TCP connections to port 53 carrying %d queries and %d responses"
                       % (len(conns), len(qs), len(rs)))
    else:
        f.holds.append("%d UDP queries and %d UDP responses" % (len(qs), len(rs)))
    f.find.append("%d `dns` query records (rrname exactly as sent, case kept), in order:" % len(qs))
    for i, q in enumerate(qs, 1):
        f.find.append("  %d. %s" % (i, fmt_dns_query(q)))
    f.find.append("and %d answers:" % len(rs))
    for i, r in enumerate(rs, 1):
        f.find.append("  %d. %s" % (i, fmt_dns_response(r)))
    f.find.append("No alert.")


def f_tls(cap, f):
    hs = tls_hellos(cap)
    want = ["secure.%s" % ZONE, "legacy.%s" % ZONE, "v6.%s" % ZONE, "alt-port.%s" % ZONE,
            None, "www.%s" % ZONE]
    f.eq([h["sni"] for h in hs], want, "SNI values")
    f.made.append("openssl s_client -servername NAME against s_server (-www) on %s:%s, "
                  "once with -tls1_2, once over IPv6, once to port %s, once with "
                  "-noservername; then curl -k https://www.%s/ (--resolve to %s)"
                  % (SRV4, P["TLS_PORT"], P["TLS_ALT_PORT"], ZONE, SRV4))
    f.holds.append("%d TLS connections, each a full handshake" % len(hs))
    f.find.append("%d `tls` records, in order:" % len(hs))
    for i, h in enumerate(hs, 1):
        f.find.append("  %d. %s" % (i, fmt_tls(h)))
    f.find.append("The fifth has no SNI; the sixth is curl's (with ALPN and a padding "
                  "extension).")
    f.find.append("No alert.")


def f_tls_split(cap, f):
    hs = tls_hellos(cap)
    name = "split-hello.%s" % ZONE
    f.eq([h["sni"] for h in hs], [name], "SNI values")
    if not hs:
        return
    h = hs[0]
    segs = h["segments"]
    f.eq(len(segs), 2, "segments of the ClientHello")
    cut = segs[0][1] if segs else 0
    inside = h["sni_at"] < cut < h["sni_at"] + len(name)
    f.expect(inside, "the segment boundary (%d) is not inside the name (%d..%d)"
             % (cut, h["sni_at"], h["sni_at"] + len(name)))
    f.made.append("openssl s_client -servername %s, while the server's route to the client "
                  "advertises a small MSS (ip route ... advmss), so the client sends its "
                  "ClientHello in two segments" % name)
    f.holds.append("one TLS 1.3 handshake; the ClientHello record is %d bytes, sent as TCP "
                   "payloads of %d and %d bytes; the host name starts at byte %d of the "
                   "record, so the first segment ends after \"%s\" and the second starts "
                   "with \"%s\"" % (h["len"], segs[0][1] - segs[0][0], segs[1][1] - segs[1][0],
                                    h["sni_at"], name[:cut - h["sni_at"]],
                                    name[cut - h["sni_at"]:]))
    f.find.append("1 `tls` record: %s. A decoder that looks at single segments finds no SNI "
                  "(or a cut one); stream reassembly is needed." % fmt_tls(h))
    f.find.append("No alert.")


def f_phishing(cap, f):
    qs = dns_queries(cap)
    reqs = http_exchanges(cap)
    hs = tls_hellos(cap)
    f.eq([(q[5]["qname"], q[5]["qtype"]) for q in qs],
         [(PHISH, "A"), (PHISH, "AAAA"), (PHISH, "A"), (PHISH, "AAAA"), (PHISH, "A")], "queries")
    f.eq([r["url"] for r in reqs], ["http://%s/account/verify?user=alice&token=4711" % PHISH],
         "HTTP URLs")
    f.eq([h["sni"] for h in hs], [PHISH], "SNI values")
    f.made.append("in the client namespace, with the lab's DNS server as resolver: curl "
                  "http://%s/account/verify?user=alice&token=4711, then curl -k "
                  "https://%s/signin (each resolves the name: A and AAAA), then dig %s A"
                  % (PHISH, PHISH, PHISH))
    f.holds.append("a visit of the made-up phishing host %s (it resolves to %s): DNS, "
                   "HTTP and TLS" % (PHISH, SRV4))
    f.find.append("%d `dns` queries for %s:" % (len(qs), PHISH))
    for i, q in enumerate(qs, 1):
        f.find.append("  %d. %s" % (i, fmt_dns_query(q)))
    f.find.append("1 `http` record: %s" % fmt_http(reqs[0]) if reqs else "")
    f.find.append("1 `tls` record: %s" % fmt_tls(hs[0]) if hs else "")
    f.find.append("kurlcheck with the sample feed flags all of them; knetscan itself raises "
                  "no alert.")


def f_scan(cap, f, kind, flags_want):
    att = [p for p in tcp_from(cap, ATT4, SRV4)]
    probes = [p for p in att if p.flags == flags_want]
    ports = {p.dport for p in probes}
    nports = int(P["SCAN_TCP_PORT_COUNT"])
    f.eq(len(ports), nports, "distinct ports probed")
    lo, hi = (int(x) for x in P["SCAN_TCP_PORTS"].split("-"))
    f.expect(ports == set(range(lo, hi + 1)), "ports probed are not %s" % P["SCAN_TCP_PORTS"])
    srv = tcp_from(cap, SRV4, ATT4)
    synack = sorted({p.sport for p in srv if p.flags & 0x12 == 0x12})
    rst = [p for p in srv if p.flags & 0x04]
    f.eq(synack, [53, 80, 443] if flags_want == 0x02 else [], "ports answering SYN-ACK")
    f.made.append("nmap -n %s -p %s %s from the attacker (default timing)"
                  % (kind, P["SCAN_TCP_PORTS"], SRV4))
    name = {"-sS": "SYN", "-sT": "connect", "-sX": "XMAS (FIN+PSH+URG)", "-sN": "NULL (no flags)",
            "-sF": "FIN"}[kind]
    f.holds.append("a TCP %s scan from %s to %s: %d probe packets with flags [%s] to %d "
                   "distinct ports (%s) in %.2f s; the server answers %d RSTs%s"
                   % (name, ATT4, SRV4, len(probes), "".join(c for i, c in enumerate(TCP_FLAGS)
                                                              if flags_want & (1 << i)) or "none",
                      len(ports), P["SCAN_TCP_PORTS"], span(probes), len(rst),
                      "; open ports %s answer SYN-ACK" % ", ".join(map(str, synack))
                      if synack else "; its open ports 53, 80 and 443 stay silent"))
    if kind == "-sT":
        full = [p for p in att if p.flags == 0x10 and not p.payload]
        f.holds.append("the connect scan completes the handshake on the open ports "
                       "(%d bare ACKs from the attacker) and closes with RST" % len(full))
    if kind == "-sS":
        f.holds.append("the attacker's RSTs after SYN-ACKs: %d"
                       % len([p for p in att if p.flags & 0x04]))
    alert = {"-sS": "TCP SYN port scan", "-sT": "TCP port scan (a connect scan)",
             "-sX": "XMAS scan", "-sN": "NULL scan", "-sF": "FIN scan"}[kind]
    f.find.append("One %s alert for the episode: source %s, target %s, %d distinct "
                  "destination ports, %d probes. No flood alert: no port gets more than "
                  "%s." % (alert, ATT4, SRV4, len(ports), len(probes),
                           plural(max(collections.Counter(p.dport for p in probes).values()),
                                  "probe")))
    if kind in ("-sX", "-sN"):
        f.find.append("Each probe is also a flag combination no TCP stack sends; whether the "
                      "invalid-flags detector reports the episode as well is for knetscan to "
                      "document.")


def f_scan_udp(cap, f):
    probes = [p for p in cap.packets if p.proto == 17 and p.src == ATT4 and p.dst == SRV4]
    ports = {p.dport for p in probes}
    lo, hi = (int(x) for x in P["SCAN_UDP_PORTS"].split("-"))
    f.eq(len(ports), int(P["SCAN_UDP_PORT_COUNT"]), "distinct UDP ports probed")
    f.expect(ports == set(range(lo, hi + 1)), "UDP ports probed are not %s" % P["SCAN_UDP_PORTS"])
    unreach = [p for p in cap.packets if p.proto == 1 and p.src == SRV4 and p.icmp == (3, 3)]
    udp_back = [p for p in cap.packets if p.proto == 17 and p.src == SRV4 and p.dst == ATT4]
    f.expect(any(p.sport == 53 for p in udp_back), "the DNS server did not answer nmap's probe")
    f.made.append("nmap -n -sU -p %s %s from the attacker (default timing; the lab lifts "
                  "the kernels' ICMP rate limit so that every closed port answers at once)"
                  % (P["SCAN_UDP_PORTS"], SRV4))
    f.holds.append("a UDP scan from %s to %s: %d UDP probes to %d distinct ports (%s) in "
                   "%.2f s (nmap sends protocol payloads to some ports, and repeats probes "
                   "that got no answer); %d ICMP port unreachable from the server; UDP "
                   "answers from port(s) %s" % (ATT4, SRV4, len(probes), len(ports),
                                               P["SCAN_UDP_PORTS"], span(probes), len(unreach),
                                               ", ".join(str(x) for x in
                                                         sorted({p.sport for p in udp_back}))))
    f.find.append("One UDP port scan alert: source %s, target %s, %d distinct destination "
                  "ports, %d probes." % (ATT4, SRV4, len(ports), len(probes)))
    f.find.append("Blocking policy: the scan's source is not blocked by default (UDP-borne).")


def f_sweep(cap, f):
    reqs = [p for p in cap.packets if p.proto == 1 and p.src == ATT4 and p.icmp == (8, 0)]
    reps = [p for p in cap.packets if p.proto == 1 and p.dst == ATT4 and p.icmp == (0, 0)]
    hosts = {p.dst for p in reqs}
    first, last = int(P["SWEEP_FIRST"]), int(P["SWEEP_LAST"])
    want = {"10.77.0.%d" % i for i in range(first, last + 1)}
    f.eq(hosts, want, "hosts swept")
    f.eq(len(reqs), len(want), "echo requests")
    f.made.append("nmap -n -sn -PE --send-ip 10.77.0.%d-%d from the attacker (the victim "
                  "namespace holds all %d addresses)" % (first, last, len(want)))
    f.holds.append("an ICMP echo sweep from %s: %d echo requests to %d distinct hosts "
                   "10.77.0.%d to 10.77.0.%d in %.2f s, %d echo replies; before each request "
                   "the attacker's kernel resolves the address (ARP)"
                   % (ATT4, len(reqs), len(hosts), first, last, span(reqs), len(reps)))
    f.find.append("One host sweep alert: source %s, %d distinct target hosts." % (ATT4, len(hosts)))


def f_flood(cap, f, kind):
    if kind == "syn":
        pk = [p for p in tcp_from(cap, ATT4, SRV4) if p.flags == 0x02]
        count = int(P["FLOOD_SYN_COUNT"])
        f.made.append("hping3 -S -p %s -c %d -i %s %s from the attacker"
                      % (P["HTTP_PORT"], count, P["FLOOD_INTERVAL"], SRV4))
        synack = [p for p in tcp_from(cap, SRV4, ATT4) if p.flags & 0x12 == 0x12]
        rst = [p for p in tcp_from(cap, ATT4, SRV4) if p.flags & 0x04]
        extra = ("the server answers %d SYN-ACKs, the attacker's kernel resets each (%d RSTs)"
                 % (len(synack), len(rst)))
        what = "SYN flood"
    elif kind == "syn-spoofed":
        pk = [p for p in cap.packets if p.is_tcp() and p.dst == SRV4 and p.flags == 0x02]
        count = int(P["FLOOD_SYN_COUNT"])
        f.made.append("hping3 -S --rand-source -p %s -c %d -i %s %s from the attacker"
                      % (P["HTTP_PORT"], count, P["FLOOD_INTERVAL"], SRV4))
        srcs = {p.src for p in pk}
        inlab = [s for s in srcs if ipaddress.ip_address(s) in ipaddress.ip_network(P["LAB_NET4"])]
        f.expect(len(srcs) > count * 0.95, "too few distinct spoofed sources")
        extra = ("%d distinct random source addresses (%d of them inside %s); the server has "
                 "no route back to them, so there are no answers on the wire"
                 % (len(srcs), len(inlab), P["LAB_NET4"]))
        what = "SYN flood with spoofed sources"
    elif kind == "udp":
        pk = [p for p in cap.packets if p.proto == 17 and p.src == ATT4 and p.dst == VIC4]
        count = int(P["FLOOD_UDP_COUNT"])
        f.made.append("hping3 -2 -p %s -d %s -c %d -i %s %s from the attacker"
                      % (P["FLOOD_UDP_PORT"], P["FLOOD_UDP_DATA"], count, P["FLOOD_INTERVAL"],
                         VIC4))
        unreach = [p for p in cap.packets if p.proto == 1 and p.src == VIC4 and p.icmp == (3, 3)]
        f.expect(all(p.dport == int(P["FLOOD_UDP_PORT"]) for p in pk), "UDP destination port")
        f.expect(all(len(p.payload) == int(P["FLOOD_UDP_DATA"]) for p in pk), "UDP payload size")
        extra = ("to port %s (closed), %s bytes of payload each, source ports counting up; "
                 "the victim answers %d ICMP port unreachable"
                 % (P["FLOOD_UDP_PORT"], P["FLOOD_UDP_DATA"], len(unreach)))
        what = "UDP flood"
    else:
        pk = [p for p in cap.packets if p.proto == 1 and p.src == ATT4 and p.icmp == (8, 0)]
        count = int(P["FLOOD_ICMP_COUNT"])
        f.made.append("hping3 -1 -c %d -i %s %s from the attacker"
                      % (count, P["FLOOD_INTERVAL"], VIC4))
        reps = [p for p in cap.packets if p.proto == 1 and p.src == VIC4 and p.icmp == (0, 0)]
        extra = "the victim answers %d echo replies" % len(reps)
        what = "ICMP flood"
    f.eq(len(pk), count, "flood packets")
    target = SRV4 if kind.startswith("syn") else VIC4
    t = span(pk)
    f.holds.append("%s %s against %s: %d packets in %.2f s (%s); %s"
                   % ("an" if what.startswith("ICMP") else "a", what, target, len(pk), t,
                      rate(len(pk), t), extra))
    if kind == "syn-spoofed":
        f.find.append("One SYN flood alert (spoofed sources) for target %s:%s with %d packets; "
                      "no single source sends more than %d." %
                      (target, P["HTTP_PORT"], len(pk),
                       max(collections.Counter(p.src for p in pk).values())))
    else:
        f.find.append("One %s alert: source %s, target %s, %d packets."
                      % (what, ATT4, target, len(pk)))
    if kind == "udp":
        f.find.append("Blocking policy: not blocked by default (UDP-borne, the source may "
                      "be spoofed).")


def f_land(cap, f):
    pk = [p for p in cap.packets if p.is_tcp() and p.src == p.dst]
    n = int(P["LAND_COUNT"])
    f.eq(len(pk), n, "Land packets")
    f.expect(all(p.src == VIC4 and p.sport == p.dport == int(P["LAND_PORT"]) and p.flags == 2
                 for p in pk), "Land packet fields")
    f.expect(all(p.src_mac == P["ATTACKER_MAC"] for p in pk), "Land packets' MAC source")
    f.made.append("hping3 -S -a %s -s %s -k -p %s -c %d -i u100000 %s from the attacker"
                  % (VIC4, P["LAND_PORT"], P["LAND_PORT"], n, VIC4))
    f.holds.append("%d TCP SYNs from %s:%s to %s:%s (source = destination), sent from the "
                   "attacker's MAC %s; the victim drops them without answer"
                   % (len(pk), VIC4, P["LAND_PORT"], VIC4, P["LAND_PORT"], P["ATTACKER_MAC"]))
    f.find.append("One Land alert: %s:%s, %d packets." % (VIC4, P["LAND_PORT"], len(pk)))


def f_bad_flags(cap, f):
    pk = tcp_from(cap, ATT4, SRV4)
    groups = collections.OrderedDict()
    for p in pk:
        groups.setdefault((p.sport, p.flagstr()), []).append(p)
    n = int(P["BADFLAGS_COUNT"])
    want = [(40001, "FS"), (40002, "SR"), (40003, ""), (40004, "FSRPAU")]
    f.eq([(k, len(v)) for k, v in groups.items()], [(k, n) for k in want], "flag groups")
    f.made.append("hping3 from the attacker to %s:%s, %d packets each with a fixed source "
                  "port: -S -F (port 40001), -S -R (40002), no flag option (40003), "
                  "-F -S -R -P -A -U (40004)" % (SRV4, P["BADFLAGS_PORT"], n))
    f.holds.append("%d TCP packets with invalid flag combinations from %s to %s:%s: "
                   "%s; the server answers none of them"
                   % (len(pk), ATT4, SRV4, P["BADFLAGS_PORT"],
                      ", ".join("%d x [%s] from port %d" % (len(v), k[1] or "none", k[0])
                                for k, v in groups.items())))
    f.eq(len(tcp_from(cap, SRV4, ATT4)), 0, "server answers")
    f.find.append("Invalid TCP flags alerts for source %s, target %s:%s: SYN+FIN x%d, "
                  "SYN+RST x%d, no flags x%d, all six flags x%d (one alert per combination "
                  "or one per episode, as the tool aggregates)." % (ATT4, SRV4, P["BADFLAGS_PORT"],
                                                                   n, n, n, n))


def f_source_route(cap, f):
    att = [p for p in cap.packets if p.src == ATT4 and p.ipv == 4]
    lsrr = [p for p in att if any(o[0] == "LSRR" for o in p.ip_opts)]
    ssrr = [p for p in att if any(o[0] == "SSRR" for o in p.ip_opts)]
    rr = [p for p in att if any(o[0] == "RR" for o in p.ip_opts)]
    f.eq((len(lsrr), len(ssrr), len(rr)), (3, 3, 2), "LSRR, SSRR, RR packets")
    rep = [p for p in cap.packets if p.src == SRV4 and p.proto == 1 and p.icmp == (0, 0)]
    f.made.append("craft.py source-route (scapy) in the attacker namespace")
    f.holds.append("3 ICMP echo requests with a loose source route (option 131) and 3 TCP "
                   "SYNs to port 80 with a strict source route (option 137), all from %s to "
                   "the first hop %s with %s as the listed final destination (the victim "
                   "drops them); then 2 echo requests to %s with a Record Route option (7), "
                   "which is not a source route, answered by %d echo replies that carry the "
                   "recorded route" % (ATT4, VIC4, SRV4, SRV4, len(rep)))
    f.find.append("IP source route alerts for source %s: 3 LSRR and 3 SSRR packets (6 in "
                  "all). The Record Route packets and their replies are IPv4 options too, "
                  "but must not raise this alert." % ATT4)


def f_rh0(cap, f):
    att = [p for p in cap.packets if p.src == ATT6]
    rts = [(p, e) for p in att for e in p.ext if e[0] == "routing"]
    t0 = [p for p, e in rts if e[1] == 0]
    t2 = [p for p, e in rts if e[1] == 2]
    chain = [p for p in att if [e[0] for e in p.ext] == ["hop-by-hop", "destination"]]
    f.eq((len(t0), len(t2), len(chain)), (3, 1, 1), "RH0, RH2, HBH+DestOpt packets")
    pp = [p for p in cap.packets if p.src == VIC6 and p.proto == 58 and p.icmp and p.icmp[0] == 4]
    f.made.append("craft.py rh0 (scapy) in the attacker namespace")
    f.eq(len(pp), 4, "parameter problems")
    f.holds.append("3 ICMPv6 echo requests from %s to %s with a type 0 routing header "
                   "(segments left 1, address %s); 1 echo request with a type 2 routing header "
                   "(Mobile IPv6, allowed by the RFCs; the victim does not do Mobile IPv6); the "
                   "victim answers each of these %d with an ICMPv6 parameter problem; 1 echo "
                   "request to %s through a hop-by-hop and a destination options header, "
                   "answered with an echo reply" % (ATT6, VIC6, SRV6, len(pp), SRV6))
    f.find.append("An IPv6 type 0 routing header alert (or anomaly, as Suricata's "
                  "ipv6.rh_type_0) for the 3 packets from %s; nothing for the type 2 header "
                  "or the options chain." % ATT6)


def frags_of(cap, ident, v):
    return [p for p in cap.packets if p.frag_id == ident and p.ipv == v]


def frag_desc(ps):
    return ", ".join("[%d,%d)%s" % (p.frag_off, p.frag_off + len(p.ip_payload),
                                    " MF" if p.mf else "") for p in ps)


def f_teardrop(cap, f):
    d = collections.OrderedDict()
    d["overlap"] = frags_of(cap, TEARDROP_IDS["overlap"], 4)
    d["inside"] = frags_of(cap, TEARDROP_IDS["inside"], 4)
    d["ipv6"] = frags_of(cap, TEARDROP_ID6, 6)
    d["same"] = frags_of(cap, TEARDROP_IDS["same"], 4)
    f.eq([len(v) for v in d.values()], [2, 2, 2, 2], "fragments per datagram")
    f.eq([frag_desc(v) for v in d.values()],
         ["[0,40) MF, [24,64)", "[0,48) MF, [24,40)", "[0,48) MF, [32,80)",
          "[0,40) MF, [24,64)"], "fragment layout")
    same = d["same"]
    if len(same) == 2:
        f.expect(same[0].ip_payload[24:40] == same[1].ip_payload[:16], "identical overlap")
    f.made.append("craft.py teardrop (scapy) in the attacker namespace")
    f.holds.append("4 fragmented UDP datagrams to port 7, 2 fragments each (byte ranges of "
                   "the IP payload, MF: more fragments):")
    f.holds.append("  - IPv4 id 0x%04x %s -> %s: %s; bytes 24-39 differ (A then B)"
                   % (TEARDROP_IDS["overlap"], ATT4, SRV4, frag_desc(d["overlap"])))
    f.holds.append("  - IPv4 id 0x%04x: %s; the last fragment lies inside the first "
                   "(Teardrop), different bytes" % (TEARDROP_IDS["inside"], frag_desc(d["inside"])))
    f.holds.append("  - IPv6 id 0x%08x %s -> %s: %s; bytes 32-47 differ"
                   % (TEARDROP_ID6, ATT6, SRV6, frag_desc(d["ipv6"])))
    f.holds.append("  - IPv4 id 0x%04x: %s; the overlap carries the same bytes"
                   % (TEARDROP_IDS["same"], frag_desc(d["same"])))
    f.holds.append("The server's kernel discards all four (no answer).")
    f.find.append("Overlapping-fragment (Teardrop) alerts for source %s/%s: the first three "
                  "datagrams overlap with different data. The fourth overlaps with identical "
                  "data: an overlap anomaly at most, not 'different data'." % (ATT4, ATT6))


def f_pod(cap, f):
    full = frags_of(cap, POD_IDS["full"], 4)
    lone = frags_of(cap, POD_IDS["lone"], 4)
    total = 8 + POD_DATA
    nfr = -(-total // POD_FRAG)
    f.eq(len(full), nfr, "fragments of the full datagram")
    f.eq(len(lone), 1, "lone fragment")
    end_full = max((p.frag_off + len(p.ip_payload) for p in full), default=0)
    end_lone = max((p.frag_off + len(p.ip_payload) for p in lone), default=0)
    f.eq(end_full, total, "end of the full datagram")
    f.eq(end_lone, POD_LONE_OFFSET + POD_LONE_LEN, "end of the lone fragment")
    f.made.append("craft.py pod (scapy) in the attacker namespace")
    f.holds.append("IPv4 id 0x%04x, %s -> %s: an ICMP echo request of %d bytes (8 header + "
                   "%d data) in %d fragments of %d bytes (the last %d, at offset %d); "
                   "reassembled it would be %d bytes with the IP header, past 65,535"
                   % (POD_IDS["full"], ATT4, SRV4, total, POD_DATA, len(full), POD_FRAG,
                      total - (nfr - 1) * POD_FRAG, (nfr - 1) * POD_FRAG, total + 20))
    f.holds.append("IPv4 id 0x%04x: a single last fragment (no MF) at offset %d with %d bytes, "
                   "ending at %d (+20 header = %d)" % (POD_IDS["lone"], POD_LONE_OFFSET,
                                                        POD_LONE_LEN, end_lone, end_lone + 20))
    f.find.append("Ping of Death alerts for source %s: 2 datagrams (ids 0x%04x and 0x%04x) "
                  "whose offset + length passes 65,535; the defragmenter must drop them, "
                  "never build a 65,628-byte packet." % (ATT4, POD_IDS["full"], POD_IDS["lone"]))


def f_tiny(cap, f):
    d = [frags_of(cap, i, 4) for i in TINY_IDS] + [frags_of(cap, TINY_ID6, 6)]
    f.eq([len(x) for x in d], [2, 2, 2, 2], "fragments per datagram")
    f.expect(all(x and len(x[0].ip_payload) == 8 and x[0].mf for x in d), "8-byte first fragments")
    ans = tcp_from(cap, SRV4, ATT4)
    f.made.append("craft.py tiny (scapy) in the attacker namespace")
    f.holds.append("4 TCP SYNs from source port %d, each cut so that the first fragment "
                   "holds only 8 bytes of the TCP header (ports and sequence number; the "
                   "flags are in the second fragment): IPv4 ids %s to %s ports %s, and IPv6 "
                   "id 0x%08x to [%s]:80. The server reassembles the IPv4 ones and answers "
                   "(%s); the IPv6 one is refused with a parameter problem, as RFC 7112 asks"
                   % (TINY_SPORT, ", ".join("0x%04x" % i for i in TINY_IDS), SRV4,
                      ", ".join(map(str, TINY_PORTS)), TINY_ID6, SRV6,
                      ", ".join("%s from %d" % (p.flagstr(), p.sport) for p in ans)))
    f.find.append("Tiny fragment alerts for source %s/%s: 4 datagrams whose first fragment "
                  "is too short for a TCP header (8 of 24 bytes)." % (ATT4, ATT6))


def f_frag_ok(cap, f):
    v4 = [p for p in cap.packets if p.ipv == 4 and p.frag_id is not None]
    v6 = [p for p in cap.packets if p.ipv == 6 and p.frag_id is not None]
    ids4 = collections.OrderedDict()
    for p in v4:
        ids4.setdefault((p.src, p.frag_id), []).append(p)
    ids6 = collections.OrderedDict()
    for p in v6:
        ids6.setdefault((p.src, p.frag_id), []).append(p)
    f.eq(len(ids4), 6, "IPv4 fragmented datagrams")
    f.eq(len(ids6), 6, "IPv6 fragmented datagrams")
    f.made.append("ping -c 3 -s 4000 %s and ping -6 -c 3 -s 3000 %s in the client namespace"
                  % (SRV4, SRV6))
    sizes4 = sorted({sum(len(p.ip_payload) for p in v) for v in ids4.values()})
    sizes6 = sorted({sum(len(p.ip_payload) for p in v) for v in ids6.values()})
    f.holds.append("3 IPv4 echo requests and 3 replies of %s bytes of ICMP, each in %s "
                   "fragments (%d fragments); 3 IPv6 echo requests and 3 replies of %s bytes "
                   "of ICMPv6, each in %s fragments (%d fragments); all reassemble cleanly"
                   % (sizes4, sorted({len(v) for v in ids4.values()}), len(v4), sizes6,
                      sorted({len(v) for v in ids6.values()}), len(v6)))
    f.find.append("No alert and no fragment anomaly: 12 datagrams reassemble (6 IPv4, 6 IPv6).")


def f_arp(cap, f):
    arps = [p for p in cap.packets if p.arp]
    legit = [p for p in arps if p.arp[0] == 2 and p.arp[2] == SRV4 and p.arp[1] == P["SERVER_MAC"]]
    forged = [p for p in arps
              if p.arp[0] == 2 and p.arp[2] == SRV4 and p.arp[1] == P["ATTACKER_MAC"]]
    f.eq(len(legit), 1, "genuine replies for the server")
    f.eq(len(forged), ARP_UNICAST + ARP_GRATUITOUS, "forged replies")
    uni = [p for p in forged if p.dst_mac == P["VICTIM_MAC"]]
    bcast = [p for p in forged if p.dst_mac == "ff:ff:ff:ff:ff:ff"]
    f.eq((len(uni), len(bcast)), (ARP_UNICAST, ARP_GRATUITOUS), "unicast and gratuitous")
    echo = [p for p in cap.packets if p.proto == 1 and p.src == VIC4 and p.icmp == (8, 0)]
    f.eq(len(echo), 2, "victim's echo requests")
    if len(echo) == 2:
        f.eq(echo[1].dst_mac, P["ATTACKER_MAC"], "second echo request's destination MAC")
    f.made.append("ping -c 1 %s in the victim namespace, then craft.py arp-spoof (scapy) in "
                  "the attacker namespace, then ping -c 1 again" % SRV4)
    f.holds.append("the genuine binding first: %s is-at %s (1 ARP reply to the victim's "
                   "request); then %d forged ARP replies '%s is-at %s' from the attacker: %d "
                   "unicast to the victim (%s, %s), %d gratuitous broadcasts; the victim's "
                   "second echo request then goes to the attacker's MAC and gets no reply"
                   % (SRV4, P["SERVER_MAC"], len(forged), SRV4, P["ATTACKER_MAC"], len(uni),
                      VIC4, P["VICTIM_MAC"], len(bcast)))
    f.find.append("One ARP spoofing alert: %s claimed by %s (the attacker, %s) after it was "
                  "seen at %s; %d forged replies." % (SRV4, P["ATTACKER_MAC"], ATT4,
                                                      P["SERVER_MAC"], len(forged)))


def f_dns_busy(cap, f):
    qs = dns_queries(cap)
    rs = dns_responses(cap)
    per = int(P["DNS_BUSY_QUERIES_PER_CLIENT"])
    clients = [CLI4] + P["CLIENT_EXTRA_IP4"].split()
    by = collections.Counter(q[2] for q in qs)
    f.eq(dict(by), {c: per for c in clients}, "queries per client")
    f.eq(len(rs), per * len(clients), "responses")
    names = {q[5]["qname"] for q in qs}
    types = collections.Counter(q[5]["qtype"] for q in qs)
    t = (qs[-1][0] - qs[0][0]) / 1e9 if qs else 0
    f.made.append("dig -b ADDRESS @%s -f BATCH in the client namespace, the %d client "
                  "addresses (%s) at the same time, %d queries each, in batches of %s "
                  "with a %s s pause between batches"
                  % (SRV4, len(clients), ", ".join(clients), per, P["DNS_BUSY_BATCH"],
                     P["DNS_BUSY_PAUSE"]))
    f.holds.append("%d UDP DNS queries (%s) for %d distinct names host001.%s to host500.%s, "
                   "from %d clients, in %.2f s (%.0f queries/s); %d answers, all NOERROR"
                   % (len(qs), ", ".join("%d %s" % (n, k) for k, n in sorted(types.items())),
                      len(names), ZONE, ZONE, len(clients), t, len(qs) / t if t else 0, len(rs)))
    f.expect(all(r[5]["rcode"] == "NOERROR" for r in rs), "rcodes")
    f.find.append("%d `dns` query records; no alert (not a UDP flood, not a UDP scan: one "
                  "destination port, answered)." % len(qs))


def f_web_page(cap, f):
    reqs = http_exchanges(cap)
    qs = dns_queries(cap)
    n = int(P["WEB_OBJECTS"])
    f.eq(len(reqs), n + 1, "HTTP requests")
    f.eq(reqs[0]["url"] if reqs else None, "http://www.%s/page.html" % ZONE, "first URL")
    conns = len({id(r["conn"]) for r in reqs})
    f.expect(2 <= conns <= 1 + int(P["WEB_PARALLEL"]), "connections: %d" % conns)
    f.expect(all(r["status"] == 200 for r in reqs), "statuses")
    f.eq(sorted((q[5]["qname"], q[5]["qtype"]) for q in qs),
         sorted([("www.%s" % ZONE, "A"), ("www.%s" % ZONE, "AAAA"),
                 ("static.%s" % ZONE, "A"), ("static.%s" % ZONE, "AAAA")]), "DNS queries")
    t = span(cap.packets)
    f.made.append("curl http://www.%s/page.html, then one curl --parallel --parallel-max %s "
                  "for its %d objects from http://static.%s/static/, names resolved through "
                  "the lab's DNS server" % (ZONE, P["WEB_PARALLEL"], n, ZONE))
    f.holds.append("4 DNS queries (A and AAAA for www.%s and static.%s), %d HTTP requests "
                   "over %d TCP connections to %s:80, %d bytes of response bodies, in %.2f s"
                   % (ZONE, ZONE, len(reqs), conns, SRV4,
                      sum(r["resp_body"] or 0 for r in reqs), t))
    f.find.append("%d `http` records: http://www.%s/page.html, then "
                  "http://static.%s/static/obj-01.js ... obj-%02d.css (the extension cycles "
                  "css, js, png, svg by number); 4 `dns` records; no alert."
                  % (len(reqs), ZONE, ZONE, n))


def f_download(cap, f):
    reqs = http_exchanges(cap)
    n = int(P["DOWNLOAD_BYTES"])
    f.eq([(r["url"], r["resp_body"]) for r in reqs], [("http://www.%s/bytes/%d" % (ZONE, n), n)],
         "download")
    data = [p for p in cap.packets if p.is_tcp() and p.src == SRV4 and p.payload]
    t = span(cap.packets)
    f.made.append("curl http://www.%s/bytes/%d in the client namespace (name resolved "
                  "through the lab's DNS server)" % (ZONE, n))
    f.holds.append("one HTTP download of %d bytes from %s over one connection: %d data "
                   "segments from the server (at most %d bytes each), %d packets in all, in "
                   "%.2f s" % (n, SRV4, len(data), max(len(p.payload) for p in data),
                               len(cap.packets), t))
    f.find.append("1 `http` record (%s); 2 `dns` records; no alert (a single fast "
                  "one-way flow is not a flood)." % fmt_http(reqs[0]) if reqs else "")


def small_mix(cap, f, pings=0, check_dns_udp=True):
    qs = dns_queries(cap)
    reqs = http_exchanges(cap)
    hs = tls_hellos(cap)
    f.eq([(q[5]["qname"], q[5]["qtype"]) for q in qs], [("www.%s" % ZONE, "A")], "queries")
    f.eq([r["url"] for r in reqs], ["http://www.%s/index.html" % ZONE], "URLs")
    f.eq([h["sni"] for h in hs], ["secure.%s" % ZONE], "SNI")
    echo = [p for p in cap.packets if p.proto == 1 and p.icmp == (8, 0)]
    f.eq(len(echo), pings, "echo requests")
    s = ""
    if pings:
        s = "%d ICMP echo requests from %s to %s and their replies, then " % (pings, CLI4, SRV4)
    f.holds.append(s + "dig www.%s A (UDP), curl GET http://www.%s/index.html (Host header), "
                   "openssl s_client -servername secure.%s: %d packets"
                   % (ZONE, ZONE, ZONE, len(cap.packets)))
    f.find.append("1 `dns` record (www.%s A), 1 `http` record (http://www.%s/index.html), 1 "
                  "`tls` record (SNI secure.%s); no alert, no anomaly." % (ZONE, ZONE, ZONE))


def f_snaplen(cap, f):
    f.eq(cap.snaplen, 96, "snap length")
    trunc = [p for p in cap.packets if p.truncated]
    f.expect(all(p.caplen <= 96 for p in cap.packets), "caplen over 96")
    f.expect(trunc, "nothing truncated")
    long_ = max(p.wirelen for p in cap.packets)
    f.made.append("tcpdump -s 96 on the bridge while the client runs dig www.%s A, dig "
                  "a-host-name-longer-than-the-snap-length-leaves.%s A, curl "
                  "http://%s/bytes/65536 (Host www.%s) and openssl s_client -servername "
                  "secure.%s" % (ZONE, ZONE, SRV4, ZONE, ZONE))
    f.holds.append("%d packets, %d of them cut by the snap length (caplen 96 < original "
                   "length, up to %d bytes); the untruncated ones are bare TCP segments, "
                   "ARP and the like" % (len(cap.packets), len(trunc), long_))
    dnsq = [p for p in cap.packets if p.proto == 17 and p.dport == 53]
    get = [p for p in cap.packets if p.is_tcp() and p.dport == 80 and p.payload]
    hello = [p for p in cap.packets if p.is_tcp() and p.dport == 443 and p.payload]
    f.eq((len(dnsq), len(get), bool(hello)), (2, 1, True), "DNS, HTTP and TLS client packets")
    if len(dnsq) == 2 and get and hello:
        g, h = get[0], hello[0]
        f.expect(all(p.truncated for p in dnsq + [g, h]), "client packets not truncated")
        for q in dnsq:
            whole = q.wirelen - (q.caplen - len(q.payload))
            try:
                qname, qend = dns_name(q.payload, 12)
                qend += 4
            except IndexError:
                qname, qend = None, whole
            if qend <= len(q.payload):
                f.holds.append("A DNS query of %d bytes on the wire, %d captured: %d of its %d "
                               "DNS bytes; its question (%s, %d bytes with the header) is "
                               "whole, the cut falls in the EDNS OPT record"
                               % (q.wirelen, q.caplen, len(q.payload), whole, qname, qend))
            else:
                f.holds.append("A DNS query of %d bytes on the wire, %d captured: %d of its %d "
                               "DNS bytes; the cut falls inside its question name "
                               "(a-host-name-longer-than-the-snap-length-leaves.%s)"
                               % (q.wirelen, q.caplen, len(q.payload), whole, ZONE))
        f.holds.append("The HTTP request keeps %d bytes of its payload: %s"
                       % (len(g.payload), repr(g.payload.decode("latin-1"))))
        f.holds.append("The ClientHello keeps %d of its bytes, short of the server_name "
                       "extension" % len(h.payload))
    f.find.append("%d packets truncated by the snap length, each told apart from an invalid "
                  "packet (an `anomaly` record for truncation, or a count in stats, as "
                  "knetscan documents); no crash." % len(trunc))
    f.find.append("At most one `dns` record, www.%s A, whose question is whole; none for the "
                  "long name (cut inside it); no `http` record with a hostname (the Host "
                  "header is cut) and no `tls` record with an SNI." % ZONE)


def f_pcapng(cap, f):
    f.eq(cap.format, "pcapng", "format")
    small_mix(cap, f)
    names = {0x0A0D0D0A: "section header", 1: "interface description",
             6: "enhanced packet", 5: "interface statistics", 4: "name resolution"}
    f.made.append("dumpcap -i br0 (pcapng is its default format) in the lan namespace")
    f.holds.append("blocks: %s" % ", ".join("%d %s" % (n, names.get(t, "type %d" % t))
                                           for t, n in sorted(cap.blocks.items(),
                                                              key=lambda x: x[0] & 0xFF)))


def f_nanosecond(cap, f):
    f.eq(cap.format, "pcap (nanosecond timestamps)", "format")
    small_mix(cap, f)
    f.made.append("tcpdump --time-stamp-precision=nano on the bridge (magic a1b23c4d)")


def f_vlan(cap, f, kind):
    small_mix(cap, f, pings=2)
    want = ([(0x8100, 100, 0)] if kind == "vlan" else
            [(0x88A8, 200, 3), (0x8100, 100, 0)])
    f.expect(all(p.vlans == want for p in cap.packets), "tags")
    ethertypes = "8100" if kind == "vlan" else "88a8 then 8100"
    f.made.append("the same traffic recorded untagged on the bridge, then craft.py retag %s "
                  "inserted the tag%s into every frame (this kernel has no VLAN devices); "
                  "timestamps and payloads as recorded" % (kind, "s" if kind == "qinq" else ""))
    f.holds.insert(0, "every frame carries %s: TPID %s, %s"
                   % ("one 802.1Q tag" if kind == "vlan" else "two tags (QinQ)", ethertypes,
                      "VLAN 100, priority 0" if kind == "vlan" else
                      "outer S-tag VLAN 200 priority 3, inner C-tag VLAN 100 priority 0"))


def f_sll(cap, f, kind):
    f.eq(cap.linktype, 113 if kind == "sll" else 276, "link type")
    small_mix(cap, f, pings=2)
    f.made.append("tcpdump -i any -y %s in the client namespace (two tcpdumps at once, one "
                  "per format)" % ("LINUX_SLL" if kind == "sll" else "LINUX_SLL2"))
    f.holds.insert(0, "link type %d (%s): each packet seen once, on eth0, outgoing and "
                   "incoming" % (cap.linktype, "LINUX_SLL" if kind == "sll" else "LINUX_SLL2"))


def f_mixed(cap, f):
    reqs = http_exchanges(cap)
    qs = dns_queries(cap)
    hs = tls_hellos(cap)
    n = int(P["WEB_OBJECTS"])
    urls = [r["url"] for r in reqs]
    phish_urls = [u for u in urls if PHISH in u]
    f.eq(len(reqs), n + 4, "HTTP requests")
    f.eq(phish_urls, ["http://%s/account/verify?user=alice&token=4711" % PHISH], "phishing URLs")
    f.eq([h["sni"] for h in hs], ["secure.%s" % ZONE, PHISH], "SNI values")
    syn = [p for p in tcp_from(cap, ATT4, SRV4) if p.flags == 0x02]
    ports = collections.Counter(p.dport for p in syn)
    f.eq(len(ports), int(P["SCAN_TCP_PORT_COUNT"]), "ports probed")
    f.expect(ports[int(P["HTTP_PORT"])] >= 2000, "flood packets to port 80")
    f.made.append("in order: the web page (41 requests), dig intranet.%s, a TLS handshake "
                  "to secure.%s, the phishing host over HTTP and HTTPS, a 1 MiB download, "
                  "nmap -sS -p %s %s from the attacker, hping3 -S -p 80 -c 2000 -i %s %s, "
                  "then dig www.%s and a search request"
                  % (ZONE, ZONE, P["SCAN_TCP_PORTS"], SRV4, P["FLOOD_INTERVAL"], SRV4, ZONE))
    f.holds.append("%d packets over %.1f s: %d HTTP requests (%d connections), %d DNS "
                   "queries, %d TLS handshakes, %d SYNs from the attacker to %d distinct "
                   "ports of %s (%d of them to port 80: nmap's probe plus hping3's 2000)"
                   % (len(cap.packets), cap.duration, len(reqs),
                      len({id(r["conn"]) for r in reqs}), len(qs), len(hs), len(syn), len(ports),
                      SRV4, ports[int(P["HTTP_PORT"])]))
    f.find.append("%d `http` records, among them http://%s/account/verify"
                  "?user=alice&token=4711; `dns` records for %s (A, AAAA, twice: once per "
                  "curl); `tls` records with SNI secure.%s and %s; one TCP SYN port scan "
                  "alert and one SYN flood alert, both from %s to %s; kurlcheck with the "
                  "sample feed flags the phishing host's three appearances."
                  % (len(reqs), PHISH, PHISH, ZONE, PHISH, ATT4, SRV4))
    f.find.append("DNS queries in order: %s." % ", ".join(
        "%s %s" % (q[5]["qname"], q[5]["qtype"]) for q in qs))


ANALYSES = collections.OrderedDict([
    ("tests/pcap/http.pcap", f_http),
    ("tests/pcap/dns-udp.pcap", lambda c, f: f_dns(c, f, "udp")),
    ("tests/pcap/dns-tcp.pcap", lambda c, f: f_dns(c, f, "tcp")),
    ("tests/pcap/tls-sni.pcap", f_tls),
    ("tests/pcap/tls-sni-split.pcap", f_tls_split),
    ("tests/pcap/phishing.pcap", f_phishing),
    ("tests/pcap/scan-syn.pcap", lambda c, f: f_scan(c, f, "-sS", 0x02)),
    ("tests/pcap/scan-connect.pcap", lambda c, f: f_scan(c, f, "-sT", 0x02)),
    ("tests/pcap/scan-udp.pcap", f_scan_udp),
    ("tests/pcap/scan-xmas.pcap", lambda c, f: f_scan(c, f, "-sX", 0x29)),
    ("tests/pcap/scan-null.pcap", lambda c, f: f_scan(c, f, "-sN", 0x00)),
    ("tests/pcap/scan-fin.pcap", lambda c, f: f_scan(c, f, "-sF", 0x01)),
    ("tests/pcap/sweep.pcap", f_sweep),
    ("tests/pcap/flood-syn.pcap", lambda c, f: f_flood(c, f, "syn")),
    ("tests/pcap/flood-syn-spoofed.pcap", lambda c, f: f_flood(c, f, "syn-spoofed")),
    ("tests/pcap/flood-udp.pcap", lambda c, f: f_flood(c, f, "udp")),
    ("tests/pcap/flood-icmp.pcap", lambda c, f: f_flood(c, f, "icmp")),
    ("tests/pcap/land.pcap", f_land),
    ("tests/pcap/bad-flags.pcap", f_bad_flags),
    ("tests/pcap/source-route.pcap", f_source_route),
    ("tests/pcap/rh0.pcap", f_rh0),
    ("tests/pcap/frag-teardrop.pcap", f_teardrop),
    ("tests/pcap/frag-pod.pcap", f_pod),
    ("tests/pcap/frag-tiny.pcap", f_tiny),
    ("tests/pcap/frag-ok.pcap", f_frag_ok),
    ("tests/pcap/arp-spoof.pcap", f_arp),
    ("tests/pcap/normal-dns-busy.pcap", f_dns_busy),
    ("tests/pcap/normal-web-page.pcap", f_web_page),
    ("tests/pcap/normal-download.pcap", f_download),
    ("tests/pcap/snaplen-96.pcap", f_snaplen),
    ("tests/pcap/pcapng.pcapng", f_pcapng),
    ("tests/pcap/nanosecond.pcap", f_nanosecond),
    ("tests/pcap/vlan.pcap", lambda c, f: f_vlan(c, f, "vlan")),
    ("tests/pcap/qinq.pcap", lambda c, f: f_vlan(c, f, "qinq")),
    ("tests/pcap/sll.pcap", lambda c, f: f_sll(c, f, "sll")),
    ("tests/pcap/sll2.pcap", lambda c, f: f_sll(c, f, "sll2")),
    ("samples/pcap/lab-mixed.pcap", f_mixed),
])


def analyse(path, key):
    cap = Capture(path)
    f = Facts(cap)
    ANALYSES[key](cap, f)
    short = [p.n for p in cap.packets if p.l4_short and not p.truncated and
             not (p.frag_id is not None)]
    f.expect(not short or key.endswith("snaplen-96.pcap"),
             "packets the decoder could not read: %s" % short[:10])
    if not key.endswith("snaplen-96.pcap"):
        f.expect(not any(p.truncated for p in cap.packets), "truncated packets")
    return f


# ---------------------------------------------------------------- output

README_HEAD = """Packet captures for knetscan's tests
=====================================

Made by tests/lab/make-captures, as root, with real tools in a lab of
network namespaces; this file is written by the same run
(tests/lab/pcapfacts.py), from the captures themselves, after checking that
each holds what its scenario must produce.  Do not edit it by hand: run
`tests/lab/make-captures` (all) or `tests/lab/make-captures NAME...` again.
Every count below is counted in the committed file.

The lab
-------
Namespaces (ksvm-lab-*) joined by veth pairs to a bridge in ksvm-lab-lan;
tcpdump records the bridge (br0, Ethernet, snap length 262144 unless said
otherwise), so every packet between the namespaces is in the capture once.
Offloads are off on every veth: frames are at most 1514 bytes and
checksums are filled in.  No namespace has a default route: nothing leaves
the lab.

    role      IPv4          IPv6      MAC
    server    {SRV4:<13} {SRV6:<9} {SERVER_MAC}
    client    {CLI4:<13} {CLI6:<9} {CLIENT_MAC}   (also {CLIENT_EXTRA_IP4})
    victim    {VIC4:<13} {VIC6:<9} {VICTIM_MAC}   (also 10.77.0.{SWEEP_FIRST}-{SWEEP_LAST})
    attacker  {ATT4:<13} {ATT6:<9} {ATTACKER_MAC}

Services on the server: HTTP/1.1 on ports {HTTP_PORT} and {HTTP_ALT_PORT}
(tests/lab/httpd.py), TLS on {TLS_PORT} and {TLS_ALT_PORT} (openssl s_server -www, a
self-signed certificate made at run time), DNS on {DNS_PORT} over UDP and TCP
(tests/lab/dnsd.py, authoritative, no recursion).  Zone {ZONE}: www,
static, secure, intranet -> A {SRV4}; dual -> A {SRV4} and AAAA {SRV6};
v6 -> AAAA {SRV6} only; alias -> CNAME www; chain -> CNAME alias;
txt -> TXT "v=ksvm-lab"; hostN -> A {SRV4} for any number N; any other name
in the zone -> NXDOMAIN with the SOA; names outside it -> REFUSED.  The
made-up phishing host {PHISH} -> A {SRV4} (no AAAA).

Each capture starts with the address resolution of its first exchange (the
lab flushes the neighbour caches before each): ARP and IPv6 neighbour
discovery packets (also the kernels' reachability probes) are counted per
file as "background".

Every number below is counted in the committed file, so tests can assert
all of them.  A new run of the script makes new files and a new README:
what the scenarios fix stays the same (names, URLs, SNI values, addresses,
MACs, ports probed, flood and crafted packet counts, fragment layouts:
pcapfacts.py refuses captures that differ), while time stamps, sequence
numbers, DNS ids, ephemeral ports, packet totals, ACKs, retransmissions and
background may change.

Files
-----
"""


def wrap(text, indent):
    """Fill a README paragraph to 78 columns; list items ("  - ", "  3. ")
    keep their continuation lines under their text."""
    body = text.lstrip(" ")
    lead = indent + " " * (len(text) - len(body))
    mark = ""
    for m in ("- ",) + tuple("%d. " % i for i in range(1, 100)):
        if body.startswith(m) and lead != indent:
            mark = m
            break
    return textwrap.fill(body, 78, initial_indent=lead, subsequent_indent=lead + " " * len(mark) +
                         ("  " if not mark and not lead else ""),
                         break_long_words=False, break_on_hyphens=False)


def readme():
    names = dict(P)
    names.update(SRV4=SRV4, SRV6=SRV6, CLI4=CLI4, CLI6=CLI6, VIC4=VIC4, VIC6=VIC6,
                 ATT4=ATT4, ATT6=ATT6, PHISH=PHISH)
    out = [README_HEAD.format(**names)]
    facts = []
    errors = []
    rows = []
    for key in ANALYSES:
        if not os.path.exists(key):
            errors.append("%s: missing" % key)
            continue
        f = analyse(key, key)
        facts.append((key, f))
        errors += f.errors
        c = f.cap
        rows.append("    %-32s %-8s %-30s %7d %9d" % (
            key.replace("tests/pcap/", ""), {1: "EN10MB", 113: "SLL", 276: "SLL2"}.get(
                c.linktype, str(c.linktype)), c.format, len(c.packets), c.size))
    out.append("    %-32s %-8s %-30s %7s %9s" % ("file", "link", "format", "packets", "bytes"))
    out += rows
    out.append("")
    out.append("    total %d bytes in %d files" % (sum(f.cap.size for _, f in facts), len(facts)))
    out.append("")
    for key, f in facts:
        c = f.cap
        title = key.replace("tests/pcap/", "")
        out.append(title)
        out.append("-" * len(title))
        out.append(wrap("Made by: " + "; ".join(f.made) + ".", ""))
        out.append(wrap("Holds: %d packets over %.2f s; background: %s." % (
            len(c.packets), c.duration, fmt_background(c)), ""))
        for h in f.holds:
            out.append(wrap(h, "  "))
        out.append("knetscan should find:")
        for x in f.find:
            out.append(wrap(x, "  "))
        out.append("")
    if errors:
        for e in errors:
            print("pcapfacts: %s" % e, file=sys.stderr)
        sys.exit(1)
    sys.stdout.write("\n".join(out))


def check(paths):
    errors = []
    for path in paths:
        key = next((k for k in ANALYSES if path.endswith(k)), None)
        if key is None:
            errors.append("%s: no checks for this file" % path)
            continue
        f = analyse(path, key)
        errors += f.errors
        print("pcapfacts: %-36s %6d packets  %s" % (key, len(f.cap.packets),
                                                    "ok" if not f.errors else "FAILED"),
              file=sys.stderr)
    for e in errors:
        print("pcapfacts: %s" % e, file=sys.stderr)
    return 1 if errors else 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2:]))
    if len(sys.argv) == 2 and sys.argv[1] == "readme":
        readme()
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
