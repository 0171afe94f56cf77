"""Shared by the lab's Python helpers: the parameters in lab.params and a
plain pcap reader and writer (the classic format of libpcap's
pcap-savefile(5), micro- and nanosecond variants, either byte order)."""

import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def load_params(path=None):
    """Read the NAME=value lines of lab.params into a dict of strings."""
    params = {}
    with open(path or os.path.join(HERE, "lab.params"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r'^([A-Z][A-Z0-9_]*)=(.*)$', line.strip())
            if not m:
                continue
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            params[m.group(1)] = value
    return params


class PcapError(Exception):
    pass


MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000),      # microseconds, little-endian
    b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),         # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1),
}


def read_pcap(path):
    """Return (linktype, snaplen, nanosecond, [(ts_ns, caplen, wirelen, data)])."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24 or head[:4] not in MAGICS:
            raise PcapError("%s: not a pcap file" % path)
        order, scale = MAGICS[head[:4]]
        _, _, _, _, snaplen, linktype = struct.unpack(order + "HHiIII", head[4:])
        records = []
        while True:
            rh = f.read(16)
            if not rh:
                break
            if len(rh) < 16:
                raise PcapError("%s: truncated record header" % path)
            sec, frac, caplen, wirelen = struct.unpack(order + "IIII", rh)
            data = f.read(caplen)
            if len(data) < caplen:
                raise PcapError("%s: truncated record" % path)
            records.append((sec * 1000000000 + frac * scale, caplen, wirelen, data))
    return linktype & 0xFFFF, snaplen, scale == 1, records


def count_pcap(path):
    """Count the records of a classic pcap file without keeping them."""
    n = 0
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24 or head[:4] not in MAGICS:
            raise PcapError("%s: not a pcap file" % path)
        order = MAGICS[head[:4]][0]
        while True:
            rh = f.read(16)
            if not rh:
                break
            if len(rh) < 16:
                raise PcapError("%s: truncated record header" % path)
            caplen = struct.unpack(order + "I", rh[8:12])[0]
            f.seek(caplen, 1)
            n += 1
    return n


def write_pcap(path, linktype, snaplen, records):
    """Write microsecond pcap records given as (ts_ns, wirelen, data)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for ts_ns, wirelen, data in records:
            usec = ts_ns // 1000
            f.write(struct.pack("<IIII", usec // 1000000, usec % 1000000, len(data), wirelen))
            f.write(data)
