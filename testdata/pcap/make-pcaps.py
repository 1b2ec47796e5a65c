#!/usr/bin/env python3
"""Writes the capture test inputs of dlmscope from known conversations (python3 stdlib only).

The APDUs and frames come from streams.txt (copied from the shared corpus, provenance there).
Each capture is a conversation put on the wire the way a capture tool would record it: link
header, IPv4/IPv6, TCP with handshake, sequence numbers and FIN, or UDP. Variants cut the TCP
stream into small segments, reorder, repeat and overlap them, or drop one (the decoder must
report tcp.gap and resynchronise). Usage: make-pcaps.py [OUTDIR]  (default: testdata/golden)
and the pcapng twins go next to this script.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1767323045  # 2026-01-02T03:04:05Z


def streams():
    out = {}
    with open(os.path.join(HERE, "streams.txt")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, hexs = line.split()
                out[name] = bytes.fromhex(hexs)
    return out


S = streams()


def wrapper(src, dst, apdu):
    """DLMS wrapper (IEC 62056-47): version 1, source and destination wPort, length."""
    return struct.pack(">HHHH", 1, src, dst, len(apdu)) + apdu


# ---- checksums and headers -----------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    head, _, tail = a.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    return struct.pack(">8H", *(h + [0] * (8 - len(h) - len(t)) + t))


def tcp_header(src, dst, sport, dport, seq, ack, flags, payload):
    hdr = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + (struct.pack(">BBH", 0, 6, len(hdr) + len(payload)) if len(src) == 4
                          else struct.pack(">IxxxB", len(hdr) + len(payload), 6))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack(">H", c) + hdr[18:] + payload


def udp_header(src, dst, sport, dport, payload):
    ln = 8 + len(payload)
    pseudo = src + dst + (struct.pack(">BBH", 0, 17, ln) if len(src) == 4 else struct.pack(">IxxxB", ln, 17))
    c = csum(pseudo + struct.pack(">HHHH", sport, dport, ln, 0) + payload) or 0xFFFF
    return struct.pack(">HHHH", sport, dport, ln, c) + payload


IPID = [1]


def ip_packet(src, dst, proto, segment):
    if len(src) == 4:
        IPID[0] += 1
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(segment), IPID[0], 0x4000, 64, proto, 0, src, dst)
        return hdr[:10] + struct.pack(">H", csum(hdr)) + hdr[12:] + segment
    return struct.pack(">IHBB16s16s", 6 << 28, len(segment), proto, 64, src, dst) + segment


# ---- link layers ---------------------------------------------------------------------------

def link(kind, ip):
    v6 = (ip[0] >> 4) == 6
    etype = 0x86DD if v6 else 0x0800
    if kind == "ethernet":
        return bytes.fromhex("020000000002020000000001") + struct.pack(">H", etype) + ip
    if kind == "vlan":  # 802.1ad outer tag, 802.1Q inner tag
        return (bytes.fromhex("020000000002020000000001") + struct.pack(">HHHH", 0x88A8, 100, 0x8100, 200)
                + struct.pack(">H", etype) + ip)
    if kind == "sll":
        return struct.pack(">HHH8sH", 0, 1, 6, bytes(8), etype) + ip
    if kind == "sll2":
        return struct.pack(">HHIHBB8s", etype, 0, 2, 1, 0, 6, bytes(8)) + ip
    if kind == "raw":
        return ip
    if kind == "null":  # little-endian host
        return struct.pack("<I", 30 if v6 else 2) + ip
    raise ValueError(kind)


LINKTYPE = {"ethernet": 1, "vlan": 1, "sll": 113, "sll2": 276, "raw": 101, "null": 0}


# ---- files ---------------------------------------------------------------------------------

def write_pcap(path, linktype, packets, endian="<", nano=False):
    with open(path, "wb") as f:
        f.write(struct.pack(endian + "IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for ts, data in packets:
            sec, usec = divmod(ts, 1000000)
            f.write(struct.pack(endian + "IIII", sec, usec * 1000 if nano else usec, len(data), len(data)) + data)


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def write_pcapng(path, linktype, packets):
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", linktype, 0, 0)))  # no if_tsresol: microseconds
        for ts, data in packets:
            f.write(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data))


# ---- conversations -------------------------------------------------------------------------

class Tcp:
    """One TCP connection: packets with real sequence numbers (both sides), timestamps in us."""

    def __init__(self, cli, srv, cport, sport, kind, clock, isn=(1000, 5000000)):
        self.ip = (ip4(cli), ip4(srv)) if "." in cli else (ip6(cli), ip6(srv))
        self.port = (cport, sport)
        self.kind = kind
        self.seq = [isn[0], isn[1]]
        self.clock = clock
        self.out = []

    def packet(self, side, flags, payload=b"", seq=None):
        src, dst = self.ip[side], self.ip[1 - side]
        s = self.seq[side] if seq is None else seq
        seg = tcp_header(src, dst, self.port[side], self.port[1 - side], s, self.seq[1 - side], flags, payload)
        self.clock[0] += 1234
        self.out.append((self.clock[0], link(self.kind, ip_packet(src, dst, 6, seg))))

    def open(self):
        self.packet(0, 0x02)
        self.seq[0] += 1
        self.packet(1, 0x12)
        self.seq[1] += 1
        self.packet(0, 0x10)

    def send(self, side, data, size=None):
        """data in segments of `size` bytes (all at once without)."""
        size = size or len(data)
        for i in range(0, len(data), size):
            self.packet(side, 0x18, data[i:i + size])
            self.seq[side] += len(data[i:i + size])

    def pieces(self, side, data, size):
        """(seq, bytes) of the segments data would take, without sending them."""
        base = self.seq[side]
        self.seq[side] += len(data)
        return [(base + i, data[i:i + size]) for i in range(0, len(data), size)]

    def send_pieces(self, side, pieces):
        for seq, p in pieces:
            self.packet(side, 0x18, p, seq=seq)

    def close(self):
        self.packet(0, 0x11)
        self.seq[0] += 1
        self.packet(1, 0x11)
        self.seq[1] += 1
        self.packet(0, 0x10)


CW, SW = 0x10, 0x01  # client and server wPorts
GOSEM = ["SEC-gosem-aarq-glo", "SEC-gosem-aare-glo", "SEC-gosem-ded-get-request", "SEC-gosem-ded-get-response",
         "SEC-gosem-rlrq-glo", "SEC-gosem-rlre-glo"]
GB = ["SEC-GB-aarq-ciphered-lls", "CS-GB-aare-accepted", "SEC-GB-glo-get-request", None, "SEC-GB-rlrq-ciphered", None]


def wrapped(name, side):
    return wrapper(CW, SW, S[name]) if side == 0 else wrapper(SW, CW, S[name])


def gosem_session(kind="ethernet", size=None, cli="10.0.0.1", srv="10.0.0.2"):
    t = Tcp(cli, srv, 50001, 4059, kind, [T0 * 1000000])
    t.open()
    for i, name in enumerate(GOSEM):
        t.send(i % 2, wrapped(name, i % 2), size)
    t.close()
    return t.out


def send_shuffled(t, side, data):
    """data in 7-byte segments sent pairwise swapped, every third one twice, and (when data is
    long enough) one longer segment over bytes 3..16, which two earlier segments already carried."""
    base = t.seq[side]
    pieces = t.pieces(side, data, 7)
    order = []
    for k in range(0, len(pieces), 2):
        order += pieces[k:k + 2][::-1]
    for k, p in enumerate(order):
        t.send_pieces(side, [p])
        if k % 3 == 0:
            t.send_pieces(side, [p])  # retransmission
        if k == 4:
            t.send_pieces(side, [(base + 3, data[3:17])])  # overlaps the first two pieces


def gosem_reordered():
    """Each message as send_shuffled sends it."""
    t = Tcp("10.0.0.1", "10.0.0.2", 50001, 4059, "ethernet", [T0 * 1000000])
    t.open()
    for i, name in enumerate(GOSEM):
        send_shuffled(t, i % 2, wrapped(name, i % 2))
    t.close()
    return t.out


def gosem_dropped():
    """16-byte segments; the second segment of the ded-get-request is lost."""
    t = Tcp("10.0.0.1", "10.0.0.2", 50001, 4059, "ethernet", [T0 * 1000000])
    t.open()
    for i, name in enumerate(GOSEM):
        side = i % 2
        pieces = t.pieces(side, wrapped(name, side), 16)
        if name == "SEC-gosem-ded-get-request":
            del pieces[1]
        t.send_pieces(side, pieces)
    t.close()
    return t.out


def gosem_coalesced():
    """Several APDUs in one segment: the association in one go each way, then the rest."""
    t = Tcp("10.0.0.1", "10.0.0.2", 50001, 4059, "ethernet", [T0 * 1000000])
    t.open()
    t.send(0, wrapped(GOSEM[0], 0))
    t.send(1, wrapped(GOSEM[1], 1))
    t.send(0, wrapped(GOSEM[2], 0) + wrapped(GOSEM[4], 0))
    t.send(1, wrapped(GOSEM[3], 1) + wrapped(GOSEM[5], 1))
    t.close()
    return t.out


def two_connections():
    """The gosem session and a Green Book session at once, same addresses and wPorts, other
    TCP ports, their packets interleaved one by one."""
    clock = [T0 * 1000000]
    a = Tcp("10.0.0.1", "10.0.0.2", 50001, 4059, "raw", clock)
    b = Tcp("10.0.0.1", "10.0.0.2", 50002, 4059, "raw", clock, isn=(77777, 4000000000))
    out = []
    for t, names in ((a, GOSEM), (b, GB)):
        t.open()
    for i in range(6):
        for t, names in ((a, GOSEM), (b, GB)):
            if names[i]:
                t.send(i % 2, wrapped(names[i], i % 2))
    for t in (a, b):
        t.close()
    # merge by time: both used the one clock, so their packets interleave in sending order
    out = sorted(a.out + b.out, key=lambda p: p[0])
    return out


def hdlc_session():
    """HDLC over TCP (IPv6, 802.1ad + 802.1Q tags); the AARQ frame comes in two segments and
    the UA and the AARE each with the next one's start."""
    t = Tcp("2001:db8::1", "2001:db8::2", 50010, 4061, "vlan", [T0 * 1000000])
    t.open()
    t.send(0, S["CS-u9n-snrm"])
    t.send(1, S["CS-u9n-ua"])
    aarq = S["CS-u9n-aarq-iframe"]
    t.send(0, aarq, 20)
    t.send(1, S["CS-u9n-aare-iframe"], 30)
    t.close()
    return t.out


HDLC = [(0, "CS-u9n-snrm"), (1, "CS-u9n-ua"), (0, "CS-u9n-aarq-iframe"), (1, "CS-u9n-aare-iframe")]


def hdlc_connection():
    """The connection of hdlc_session: IPv6, 802.1ad + 802.1Q tags, meter on TCP port 4061."""
    return Tcp("2001:db8::1", "2001:db8::2", 50010, 4061, "vlan", [T0 * 1000000])


def hdlc_split():
    """Every HDLC frame in 5-byte segments: flags, header, HCS, information and FCS are cut apart."""
    t = hdlc_connection()
    t.open()
    for side, name in HDLC:
        t.send(side, S[name], 5)
    t.close()
    return t.out


def hdlc_reordered():
    """Every HDLC frame as send_shuffled sends it: swapped, retransmitted and overlapping segments."""
    t = hdlc_connection()
    t.open()
    for side, name in HDLC:
        send_shuffled(t, side, S[name])
    t.close()
    return t.out


def hdlc_dropped():
    """16-byte segments; the second segment of the UA (its bytes 16..31) is lost, so the UA cannot
    decode; the AARE that follows on the same side must."""
    t = hdlc_connection()
    t.open()
    for side, name in HDLC:
        pieces = t.pieces(side, S[name], 16)
        if name == "CS-u9n-ua":
            del pieces[1]
        t.send_pieces(side, pieces)
    t.close()
    return t.out


HLS = ["HLS-aarq-titled", "HLS-aare-titled", "HLS-reply-to-hls", "HLS-reply-response"]


def hls_session():
    """The HLS-GMAC association over TCP port 4060, Ethernet."""
    t = Tcp("10.0.0.5", "10.0.0.6", 50020, 4060, "ethernet", [T0 * 1000000])
    t.open()
    for i, name in enumerate(HLS):
        t.send(i % 2, wrapped(name, i % 2))
    t.close()
    return t.out


def on_port(port):
    """The gosem session with the meter on another TCP port."""
    t = Tcp("10.0.0.1", "10.0.0.2", 50001, port, "ethernet", [T0 * 1000000])
    t.open()
    for i, name in enumerate(GOSEM):
        t.send(i % 2, wrapped(name, i % 2))
    t.close()
    return t.out


def fragments():
    """The UDP wrapper datagram cut into two IPv4 fragments (MF, then offset 16 x 8 bytes)."""
    src, dst = ip4("192.168.1.20"), ip4("192.168.1.10")
    data = udp_header(src, dst, 4059, 40000, S["TR-u9n-udp-wrapper-ggc"])
    out = []
    for off, flags, piece in ((0, 0x2000, data[:128]), (16, 0, data[128:])):
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(piece), 7, flags | off, 64, 17, 0, src, dst)
        hdr = hdr[:10] + struct.pack(">H", csum(hdr)) + hdr[12:]
        out.append((T0 * 1000000 + len(out), link("ethernet", hdr + piece)))
    return out


def udp_push():
    """The wrapper datagram from the meter (port 4059) to a client port, Linux cooked capture."""
    src, dst = ip4("192.168.1.20"), ip4("192.168.1.10")
    data = udp_header(src, dst, 4059, 40000, S["TR-u9n-udp-wrapper-ggc"])
    return [(T0 * 1000000 + 500000, link("sll", ip_packet(src, dst, 17, data)))]


def udp_session(order):
    """The gosem session in wrapper datagrams, one APDU each, IPv6 [2001:db8::1]:50001 <->
    [2001:db8::2]:4059 on Ethernet; order lists the indexes in GOSEM to send (repeats allowed)."""
    cli, srv = ip6("2001:db8::1"), ip6("2001:db8::2")
    out = []
    for k, i in enumerate(order):
        side = i % 2
        src, dst = (cli, srv) if side == 0 else (srv, cli)
        sport, dport = (50001, 4059) if side == 0 else (4059, 50001)
        data = udp_header(src, dst, sport, dport, wrapped(GOSEM[i], side))
        out.append((T0 * 1000000 + 1234 * (k + 4), link("ethernet", ip_packet(src, dst, 17, data))))
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "golden")
    cases = {
        "pcap-wrapper-tcp": ("ethernet", gosem_session()),
        "pcap-wrapper-tcp-split": ("ethernet", gosem_session(size=5)),
        "pcap-wrapper-tcp-reordered": ("ethernet", gosem_reordered()),
        "pcap-wrapper-tcp-dropped": ("ethernet", gosem_dropped()),
        "pcap-wrapper-tcp-coalesced": ("ethernet", gosem_coalesced()),
        "pcap-two-connections": ("raw", two_connections()),
        "pcap-hdlc-tcp": ("vlan", hdlc_session()),
        "pcap-hdlc-tcp-split": ("vlan", hdlc_split()),
        "pcap-hdlc-tcp-reordered": ("vlan", hdlc_reordered()),
        "pcap-hdlc-tcp-dropped": ("vlan", hdlc_dropped()),
        "pcap-wrapper-udp": ("sll", udp_push()),
        "pcap-wrapper-udp-session": ("ethernet", udp_session([0, 1, 2, 3, 4, 5])),
        "pcap-wrapper-udp-reordered": ("ethernet", udp_session([0, 1, 3, 2, 2, 4, 5])),
        "pcap-wrapper-udp-dropped": ("ethernet", udp_session([0, 1, 3, 4, 5])),
        "pcap-hls-gmac": ("ethernet", hls_session()),
    }
    for name, (kind, packets) in cases.items():
        if name.startswith("pcap-hdlc-tcp"):  # big-endian writer, nanosecond timestamps
            write_pcap(os.path.join(outdir, name + ".in"), LINKTYPE[kind], packets, ">", True)
        else:
            write_pcap(os.path.join(outdir, name + ".in"), LINKTYPE[kind], packets)
    write_pcapng(os.path.join(HERE, "wrapper-tcp.pcapng"), 1, gosem_session())
    write_pcapng(os.path.join(HERE, "wrapper-tcp-reordered.pcapng"), 1, gosem_reordered())
    write_pcapng(os.path.join(HERE, "hdlc-tcp.pcapng"), 1, hdlc_session())
    for variant, packets in (("split", hdlc_split()), ("reordered", hdlc_reordered()), ("dropped", hdlc_dropped())):
        write_pcapng(os.path.join(HERE, "hdlc-tcp-%s.pcapng" % variant), 1, packets)
    # the other link types, one each, for the same session (tests/e2e/pcap.sh compares them)
    for kind in ("sll2", "null"):
        write_pcap(os.path.join(HERE, "wrapper-tcp-%s.pcap" % kind), LINKTYPE[kind], gosem_session(kind))
    write_pcap(os.path.join(HERE, "wrapper-tcp-port5000.pcap"), 1, on_port(5000))
    # seen mid-stream: the capture starts after the handshake, and it ends with an RST instead of FINs
    midstream = gosem_session()[3:-3]
    t = Tcp("10.0.0.1", "10.0.0.2", 50001, 4059, "ethernet", [midstream[-1][0]])
    t.seq = [1001 + sum(len(wrapped(n, 0)) for n in GOSEM[0::2]), 5000001 + sum(len(wrapped(n, 1)) for n in GOSEM[1::2])]
    t.packet(0, 0x14)
    write_pcap(os.path.join(HERE, "wrapper-tcp-midstream.pcap"), 1, midstream + t.out)
    write_pcap(os.path.join(HERE, "fragments.pcap"), 1, fragments())
    write_pcap(os.path.join(HERE, "wrapper-tcp-ipv6-null.pcap"), 0,
               gosem_session("null", cli="2001:db8::1", srv="2001:db8::2"))
    write_pcapng(os.path.join(HERE, "wrapper-udp-reordered.pcapng"), 1, udp_session([0, 1, 3, 2, 2, 4, 5]))
    # last, as its IPv4 identification number would shift those of the captures above
    write_pcapng(os.path.join(HERE, "wrapper-udp.pcapng"), LINKTYPE["sll"], udp_push())


if __name__ == "__main__":
    main()
