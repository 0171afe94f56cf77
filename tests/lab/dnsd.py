#!/usr/bin/python3
"""Authoritative DNS server for the knetscan capture lab (RFC 1035, with
the EDNS(0) OPT record of RFC 6891 and TCP framing of RFC 7766).

It answers A, AAAA, CNAME, TXT, NS and SOA for a small fixed zone, over UDP
and TCP, on one dual-stack socket of each kind.  Names outside the zone
get REFUSED, missing names NXDOMAIN with the zone's SOA, and a query it
cannot parse FORMERR, so that nmap's UDP probes and hostile input get an
answer and never stop the server.

    dnsd.py --zone lab.example --extra login-verify-account.example \
            --ip4 10.77.0.10 --ip6 fd77::10 [--port 53]
"""

import argparse
import ipaddress
import re
import socket
import struct
import sys
import threading

TTL = 300
T_A, T_NS, T_CNAME, T_SOA, T_TXT, T_AAAA, T_OPT = 1, 2, 5, 6, 16, 28, 41
NOERROR, FORMERR, NXDOMAIN, REFUSED = 0, 1, 3, 5
# Bounds on what the server accepts, so that hostile input stays small.
MAX_MSG = 65535
MAX_LABELS = 64


class FormErr(Exception):
    pass


def build_zone(zone, extra, ip4, ip6):
    """Return {name: [(type, rdata-value)]} and the set of apexes."""
    a = [(T_A, ip4)]
    aaaa = [(T_AAAA, ip6)]
    records = {
        zone: [(T_NS, "ns." + zone), (T_SOA, zone)] + a,
        "ns." + zone: a,
        "www." + zone: a,
        "static." + zone: a,
        "secure." + zone: a,
        "intranet." + zone: a,
        "dual." + zone: a + aaaa,
        "v6." + zone: aaaa,
        "alias." + zone: [(T_CNAME, "www." + zone)],
        "chain." + zone: [(T_CNAME, "alias." + zone)],
        "txt." + zone: [(T_TXT, "v=ksvm-lab")],
    }
    apexes = [zone]
    for name in extra:
        records[name] = [(T_NS, "ns." + zone), (T_SOA, name)] + a
        apexes.append(name)
    return records, apexes


class Zone:
    def __init__(self, zone, extra, ip4, ip6):
        self.records, self.apexes = build_zone(zone, extra, ip4, ip6)
        self.zone = zone
        self.ip4 = ip4
        # hostNNN.<zone> exists for every NNN, for the busy-resolver
        # batches and the benchmark.
        self.host_re = re.compile(r"^host[0-9]{1,6}\." + re.escape(zone) + "$")

    def apex_of(self, name):
        for apex in self.apexes:
            if name == apex or name.endswith("." + apex):
                return apex
        return None

    def lookup(self, name):
        if name in self.records:
            return self.records[name]
        if self.host_re.match(name):
            return [(T_A, self.ip4)]
        return None


def read_name(msg, off):
    """Read an uncompressed name (queries carry no compression)."""
    labels = []
    while True:
        if off >= len(msg):
            raise FormErr("name runs past the message")
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0:
            raise FormErr("compressed or extended label in a question")
        if off + n > len(msg) or len(labels) >= MAX_LABELS:
            raise FormErr("bad label")
        labels.append(msg[off:off + n].decode("ascii", "replace").lower())
        off += n
    return ".".join(labels), off


def write_name(name):
    out = b""
    for label in name.split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def rdata(rtype, value, zone):
    if rtype == T_A:
        return ipaddress.IPv4Address(value).packed
    if rtype == T_AAAA:
        return ipaddress.IPv6Address(value).packed
    if rtype in (T_CNAME, T_NS):
        return write_name(value)
    if rtype == T_TXT:
        raw = value.encode("ascii")
        return bytes([len(raw)]) + raw
    if rtype == T_SOA:
        return (write_name("ns." + zone) + write_name("hostmaster." + zone) +
                struct.pack("!IIIII", 2024010101, 3600, 600, 86400, TTL))
    raise ValueError(rtype)


def rr(name, rtype, value, zone):
    data = rdata(rtype, value, zone)
    return write_name(name) + struct.pack("!HHIH", rtype, 1, TTL, len(data)) + data


def answer(zone, query, max_udp):
    """Build the response to one query message, or None to stay silent."""
    if len(query) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", query[:12])
    if flags & 0x8000:
        return None                     # a response: never answer those
    opcode = (flags >> 11) & 0xF
    rd = flags & 0x0100
    base = 0x8000 | (opcode << 11) | rd

    def error(rcode, question=b""):
        return struct.pack("!HHHHHH", qid, base | rcode, 1 if question else 0,
                           0, 0, 0) + question

    try:
        if opcode != 0 or qd != 1:
            raise FormErr("not one standard query")
        name, off = read_name(query, 12)
        if off + 4 > len(query):
            raise FormErr("question runs past the message")
        qtype, qclass = struct.unpack("!HH", query[off:off + 4])
        question = query[12:off + 4]
        off += 4
        edns = None
        # Skip answer and authority records, then look for an OPT record in
        # the additional section.
        for i in range(an + ns + ar):
            if off < len(query) and query[off] == 0:
                rname_end = off + 1
            else:
                _, rname_end = read_name(query, off)
            if rname_end + 10 > len(query):
                raise FormErr("record runs past the message")
            rtype, rclass, _, rdlen = struct.unpack("!HHIH", query[rname_end:rname_end + 10])
            if i >= an + ns and rtype == T_OPT:
                edns = max(512, min(rclass, 4096))
            off = rname_end + 10 + rdlen
            if off > len(query):
                raise FormErr("record data runs past the message")
    except FormErr:
        return error(FORMERR)

    opt = b""
    if edns is not None:
        opt = b"\x00" + struct.pack("!HHIH", T_OPT, 1232, 0, 0)
    apex = zone.apex_of(name)
    if apex is None or qclass != 1:
        return struct.pack("!HHHHHH", qid, base | REFUSED, 1, 0, 0,
                           1 if opt else 0) + question + opt

    answers = []
    rcode = NOERROR
    owner = name
    seen = set()
    while True:
        recs = zone.lookup(owner)
        if recs is None:
            if owner == name:
                rcode = NXDOMAIN
            break
        cname = [v for t, v in recs if t == T_CNAME]
        if cname and qtype != T_CNAME and owner not in seen:
            seen.add(owner)
            answers.append(rr(owner, T_CNAME, cname[0], apex))
            owner = cname[0]
            if zone.apex_of(owner) is None:
                break
            continue
        for t, v in recs:
            if t == qtype or qtype == 255:
                answers.append(rr(owner, t, v, apex))
        break
    authority = []
    if not answers or rcode == NXDOMAIN:
        authority.append(rr(apex, T_SOA, apex, apex))
    flags_out = base | 0x0400 | rcode   # AA: the server is authoritative
    msg = (struct.pack("!HHHHHH", qid, flags_out, 1, len(answers), len(authority),
                       1 if opt else 0) + question + b"".join(answers) +
           b"".join(authority) + opt)
    limit = edns if edns is not None else 512
    if max_udp and len(msg) > limit:
        # Too large for UDP: truncated, the client retries over TCP.
        msg = struct.pack("!HHHHHH", qid, flags_out | 0x0200, 1, 0, 0,
                          1 if opt else 0) + question + opt
    return msg


def serve_udp(zone, sock):
    while True:
        try:
            data, peer = sock.recvfrom(MAX_MSG)
        except OSError:
            continue
        msg = answer(zone, data, True)
        if msg is not None:
            try:
                sock.sendto(msg, peer)
            except OSError:
                pass


def recv_exact(conn, n):
    out = b""
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        if not chunk:
            return None
        out += chunk
    return out


def serve_tcp_conn(zone, conn):
    conn.settimeout(10)
    try:
        while True:
            head = recv_exact(conn, 2)
            if head is None:
                break
            (n,) = struct.unpack("!H", head)
            data = recv_exact(conn, n)
            if data is None:
                break
            msg = answer(zone, data, False)
            if msg is None:
                break
            conn.sendall(struct.pack("!H", len(msg)) + msg)
    except OSError:
        pass
    finally:
        conn.close()


def serve_tcp(zone, sock):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            continue
        threading.Thread(target=serve_tcp_conn, args=(zone, conn), daemon=True).start()


def dual_stack(kind, port):
    sock = socket.socket(socket.AF_INET6, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", port))
    return sock


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zone", required=True)
    ap.add_argument("--extra", action="append", default=[],
                    help="another apex answered like the zone's www name")
    ap.add_argument("--ip4", required=True)
    ap.add_argument("--ip6", required=True)
    ap.add_argument("--port", type=int, default=53)
    args = ap.parse_args()
    zone = Zone(args.zone.lower(), [e.lower() for e in args.extra], args.ip4, args.ip6)
    udp = dual_stack(socket.SOCK_DGRAM, args.port)
    tcp = dual_stack(socket.SOCK_STREAM, args.port)
    tcp.listen(64)
    threading.Thread(target=serve_tcp, args=(zone, tcp), daemon=True).start()
    print("dnsd: listening on port %d" % args.port, file=sys.stderr, flush=True)
    serve_udp(zone, udp)


if __name__ == "__main__":
    main()
