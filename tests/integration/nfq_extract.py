#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Pull client->server payloads out of a capture (classic pcap, Ethernet,
IPv4/IPv6, TCP/UDP) made by tests/integration/nfq_capture.sh.

  nfq_extract.py tls  PCAP PORT OUT.bin
      the client's TCP stream to PORT (first connection), in sequence order,
      cut after the first complete TLS record (the ClientHello)
  nfq_extract.py quic PCAP PORT OUTPREFIX [MAX]
      the client's first UDP datagrams to PORT (first flow) that start with a
      long-header Initial packet, up to MAX (default 4), as OUTPREFIX.N.bin
      (N from 1)
  nfq_extract.py info PCAP
      one line per packet: src dst proto len

Standard library only; no third-party packet parser.
"""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise SystemExit("%s: not a classic pcap" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit("%s: link type %d, want Ethernet" % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + incl]
        off += incl


def parse(frame):
    """(src, dst, proto, sport, dport, seq, payload) or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        proto = ip[9]
        src, dst = ip[12:16], ip[16:20]
        l4 = ip[ihl:total]
    elif etype == 0x86DD:
        plen = struct.unpack("!H", ip[4:6])[0]
        proto = ip[6]
        src, dst = ip[8:24], ip[24:40]
        l4 = ip[40:40 + plen]
    else:
        return None
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq = struct.unpack("!HHI", l4[:8])
        doff = (l4[12] >> 4) * 4
        return (src, dst, "tcp", sport, dport, seq, l4[doff:])
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack("!HH", l4[:4])
        return (src, dst, "udp", sport, dport, 0, l4[8:])
    return None


def tls(path, port, out):
    flow = None
    segs = {}
    for fr in packets(path):
        p = parse(fr)
        if not p or p[2] != "tcp" or p[4] != port or not p[6]:
            continue
        key = (p[0], p[1], p[3])
        if flow is None:
            flow = key
        if key == flow:
            segs.setdefault(p[5], p[6])
    if not segs:
        raise SystemExit("%s: no TCP payload to port %d" % (path, port))
    base = min(segs)
    stream = bytearray()
    for seq in sorted(segs):
        rel = (seq - base) & 0xFFFFFFFF
        if rel > len(stream):
            break
        stream[rel:rel + len(segs[seq])] = segs[seq]
    if len(stream) < 5 or stream[0] != 0x16:
        raise SystemExit("%s: the stream does not start with a TLS handshake" % path)
    rlen = struct.unpack("!H", stream[3:5])[0]
    if len(stream) < 5 + rlen:
        raise SystemExit("%s: the first TLS record is incomplete" % path)
    with open(out, "wb") as f:
        f.write(stream[:5 + rlen])
    print("%s: %d bytes" % (out, 5 + rlen))


def is_initial(d):
    if len(d) < 5 or not d[0] & 0x80:
        return False
    ver = struct.unpack("!I", d[1:5])[0]
    ptype = (d[0] >> 4) & 3
    if ver == 0x6B3343CF:  # QUIC v2: Initial is type 1
        return ptype == 1
    return ptype == 0


def quic(path, port, prefix, maxn):
    flow = None
    n = 0
    for fr in packets(path):
        p = parse(fr)
        if not p or p[2] != "udp" or p[4] != port:
            continue
        key = (p[0], p[1], p[3])
        if flow is None:
            flow = key
        if key != flow:
            continue
        if not is_initial(p[6]):
            break
        n += 1
        out = "%s.%d.bin" % (prefix, n)
        with open(out, "wb") as f:
            f.write(p[6])
        print("%s: %d bytes" % (out, len(p[6])))
        if n >= maxn:
            break
    if n == 0:
        raise SystemExit("%s: no QUIC Initial to port %d" % (path, port))


def info(path):
    for fr in packets(path):
        p = parse(fr)
        if p:
            print(p[0].hex(), p[1].hex(), p[2], p[3], p[4], len(p[6]))


def main(argv):
    if len(argv) >= 5 and argv[1] == "tls":
        tls(argv[2], int(argv[3]), argv[4])
    elif len(argv) >= 5 and argv[1] == "quic":
        quic(argv[2], int(argv[3]), argv[4], int(argv[5]) if len(argv) > 5 else 4)
    elif len(argv) == 3 and argv[1] == "info":
        info(argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
