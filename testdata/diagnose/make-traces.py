#!/usr/bin/env python3
"""Writes the conversation traces of testdata/diagnose/ (synthetic: made for the purpose).

Each APDU is spelled out field by field from REFERENCE (the project's protocol fact sheet):
tags §3.1 (C0/C4 get, C3/C7 action, 60/61 AARQ/AARE, 62/63 RLRQ/RLRE), the normal forms §3.2-3.3
(C3 01 IIP class(2) OBIS(6) method(1) 01 Data / C7 01 IIP result 00), A-XDR §4 (02 structure,
06 double-long-unsigned, 09 octet-string, 0F integer, 16 enum, 04 bit-string). HDLC frames §2:
7E, format A0|len (S bit 08 for a segment), destination, source, control, HCS, information, FCS,
7E, with CRC-16/X.25 computed here (not by dlmscope). Client SAP 16 (one byte 21), server logical
1 physical 17 (02 23), the addresses of testdata/demo/session.log.

Run: python3 testdata/diagnose/make-traces.py  (writes the *.hex files next to it)
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def crc16_x25(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    crc ^= 0xFFFF
    return bytes([crc & 0xFF, crc >> 8])


CLIENT = bytes([0x21])
SERVER = bytes([0x02, 0x23])
LLC_REQ = bytes.fromhex("E6E600")
LLC_RESP = bytes.fromhex("E6E700")


def hdlc(dst, src, control, info=b"", segmented=False):
    length = 2 + len(dst) + len(src) + 1 + (2 + len(info) + 2 if info else 2)
    fmt = bytes([0xA0 | (0x08 if segmented else 0) | (length >> 8), length & 0xFF])
    head = fmt + dst + src + bytes([control])
    if info:
        body = head + crc16_x25(head) + info
    else:
        body = head
    return b"\x7E" + body + crc16_x25(body) + b"\x7E"


def i_control(ns, nr):
    return (nr << 5) | 0x10 | (ns << 1)


def hexline(b):
    return b.hex().upper()


def write(name, comment, lines):
    with open(os.path.join(HERE, name), "w") as f:
        for c in comment.strip().splitlines():
            f.write("# " + c + "\n")
        for l in lines:
            f.write(l + "\n")


# ---- APDUs ----
OBIS_IMAGE = bytes.fromhex("00002C0000FF")     # 0.0.44.0.0.255, image transfer
OBIS_DISCONNECT = bytes.fromhex("000060030AFF")  # 0.0.96.3.10.255, disconnect control


def aarq_low(password=b"12345678", context=1):
    ctx = bytes.fromhex("A1090607608574050801") + bytes([context])  # 1 LN, 2 SN, no ciphering
    req = bytes.fromhex("8A020780")                        # sender-acse-requirements: authentication
    mech = bytes.fromhex("8B0760857405080201")             # mechanism 1 (LOW)
    auth = bytes([0xAC, len(password) + 2, 0x80, len(password)]) + password
    # InitiateRequest: 01, no dedicated key, no response-allowed, no quality, version 6,
    # conformance 5F1F04 00 00 1E 1D (get, set, action, selective access, block transfer), max PDU FFFF
    ini = bytes.fromhex("01000000065F1F0400001E1DFFFF")
    ui = bytes([0xBE, len(ini) + 2, 0x04, len(ini)]) + ini
    body = ctx + req + mech + auth + ui
    return bytes([0x60, len(body)]) + body


def aare(result=0, diag=0, max_pdu=0x0400, context=1):
    ctx = bytes.fromhex("A1090607608574050801") + bytes([context])
    res = bytes([0xA2, 0x03, 0x02, 0x01, result])
    src = bytes([0xA3, 0x05, 0xA1, 0x03, 0x02, 0x01, diag])
    # InitiateResponse: 08, no quality, version 6, conformance, max PDU, VAA name 0007
    vaa = bytes.fromhex("0007" if context == 1 else "FA00")   # VAA name: LN 0007, SN FA00 (REFERENCE §5)
    ini = bytes.fromhex("0800065F1F0400001E1D") + max_pdu.to_bytes(2, "big") + vaa
    ui = bytes([0xBE, len(ini) + 2, 0x04, len(ini)]) + ini
    body = ctx + res + src + ui
    return bytes([0x61, len(body)]) + body


RLRQ = bytes.fromhex("6203800100")   # release-request, reason normal
RLRE = bytes.fromhex("6303800100")   # release-response, reason normal


def action(cls, obis, method, data=None, iip=0xC1):
    a = bytes([0xC3, 0x01, iip]) + cls.to_bytes(2, "big") + obis + bytes([method])
    return a + (b"\x01" + data if data is not None else b"\x00")


def action_resp(result, iip=0xC1):
    return bytes([0xC7, 0x01, iip, result, 0x00])


def get(cls, obis, attr, iip=0xC1):
    return bytes([0xC0, 0x01, iip]) + cls.to_bytes(2, "big") + obis + bytes([attr, 0x00])


def get_resp(data, iip=0xC1):
    return bytes([0xC4, 0x01, iip, 0x00]) + data


def dlu(v):
    return b"\x06" + v.to_bytes(4, "big")


def octets(b):
    """an octet-string with its A-XDR length: one byte below 0x80, else 0x80|k and k bytes (REFERENCE §4)"""
    n = len(b)
    length = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xFF])
    return b"\x09" + length + b


def initiate(ident, size):
    return action(18, OBIS_IMAGE, 1, b"\x02\x02" + octets(ident) + dlu(size))


def block(n, size):
    return action(18, OBIS_IMAGE, 2, b"\x02\x02" + dlu(n) + octets(bytes([n & 0xFF]) * size))


VERIFY = action(18, OBIS_IMAGE, 3, b"\x0F\x00")
GET_BLOCK_SIZE = get(18, OBIS_IMAGE, 2)
GET_BLOCKS_STATUS = get(18, OBIS_IMAGE, 3)
GET_STATUS = get(18, OBIS_IMAGE, 6)
OK = action_resp(0)


def raw(pairs):
    """TX/RX lines of raw APDUs (one record per line)"""
    return ["%s: %s" % (d, hexline(a)) for d, a in pairs]


def session(*exchanges):
    out = [("TX", aarq_low()), ("RX", aare())]
    for e in exchanges:
        out += e
    return out + [("TX", RLRQ), ("RX", RLRE)]


# 1. a disconnect refused on a LOW association (ReadWriteDenied, 3)
write("disconnect-low.hex", """
synthetic (make-traces.py): LOW association (mechanism 1), remote_disconnect (class 70 0.0.96.3.10.255
method 1, integer(0)) answered with action-result read-write-denied (3), then release.
""", raw(session([("TX", action(70, OBIS_DISCONNECT, 1, b"\x0F\x00")), ("RX", action_resp(3))])))

# 2. the same with an unsigned(0) parameter, answered type-unmatched (12)
write("disconnect-bad-param.hex", """
synthetic (make-traces.py): remote_disconnect with unsigned(0) (11 00) instead of integer(0) (0F 00),
answered with action-result type-unmatched (12).
""", raw(session([("TX", action(70, OBIS_DISCONNECT, 1, b"\x11\x00")), ("RX", action_resp(12))])))

# 3. image transfer with block 1 missing: block size 64 read first, size 192 (3 blocks), blocks 0 and 2,
#    verify answered temporary-failure, status read back: verification failed (4)
write("image-missing-block.hex", """
synthetic (make-traces.py): image transfer (class 18, 0.0.44.0.0.255): image_block_size read (64), initiate
"IMG1" size 192 (3 blocks), blocks 0 and 2 sent and acknowledged, block 1 never sent, verify answered
temporary-failure (2), image_transfer_status read back: 4 (verification failed).
""", raw(session(
    [("TX", GET_BLOCK_SIZE), ("RX", get_resp(dlu(64)))],
    [("TX", initiate(b"IMG1", 192)), ("RX", OK)],
    [("TX", block(0, 64)), ("RX", OK)],
    [("TX", block(2, 64)), ("RX", OK)],
    [("TX", VERIFY), ("RX", action_resp(2))],
    [("TX", GET_STATUS), ("RX", get_resp(b"\x16\x04"))])))

# 4. initiate repeated after two blocks; the block size is not read
write("image-initiate-repeated.hex", """
synthetic (make-traces.py): image transfer without reading image_block_size; initiate "IMG1" size 128,
blocks 0 and 1 acknowledged, then initiate again (the transfer restarts), block 0 again.
""", raw(session(
    [("TX", initiate(b"IMG1", 128)), ("RX", OK)],
    [("TX", block(0, 64)), ("RX", OK)],
    [("TX", block(1, 64)), ("RX", OK)],
    [("TX", initiate(b"IMG1", 128)), ("RX", OK)],
    [("TX", block(0, 64)), ("RX", OK)])))

# 5. block 2 answered with hardware-fault; image_transferred_blocks_status read back: 03 C0 = 3 bits 110
write("image-hardware-fault.hex", """
synthetic (make-traces.py): image transfer, block size 64, size 192; blocks 0 and 1 acknowledged, block 2
answered with action-result hardware-fault (1); image_transferred_blocks_status read back: bit-string of 3
bits 110 (04 03 C0): blocks 0 and 1 stored.
""", raw(session(
    [("TX", GET_BLOCK_SIZE), ("RX", get_resp(dlu(64)))],
    [("TX", initiate(b"IMG1", 192)), ("RX", OK)],
    [("TX", block(0, 64)), ("RX", OK)],
    [("TX", block(1, 64)), ("RX", OK)],
    [("TX", block(2, 64)), ("RX", action_resp(1))],
    [("TX", GET_BLOCKS_STATUS), ("RX", get_resp(b"\x04\x03\xC0"))])))


# 6. HDLC: 256-byte blocks over max info 128, one trace with max PDU 1024 (fits) and one with 128
def hdlc_session(max_pdu, exchanges):
    """SNRM/UA, AARQ/AARE, the exchanges as I frames (segmented at 128 bytes of information, the
    receiver answering RR between segments), DISC/UA. Returns TX/RX lines."""
    lines = []
    vs = {"c": 0, "s": 0}   # next N(S) of client, server
    vr = {"c": 0, "s": 0}   # next N(S) expected from the other side

    def send(who, apdu):
        dst, src, llc = (SERVER, CLIENT, LLC_REQ) if who == "c" else (CLIENT, SERVER, LLC_RESP)
        other = "s" if who == "c" else "c"
        data = llc + apdu
        chunks = [data[i:i + 128] for i in range(0, len(data), 128)]
        for k, ch in enumerate(chunks):
            last = k == len(chunks) - 1
            f = hdlc(dst, src, i_control(vs[who], vr[who]), ch, segmented=not last)
            lines.append(("TX" if who == "c" else "RX", f))
            vs[who] = (vs[who] + 1) & 7
            vr[other] = vs[who]
            if not last:  # the receiver asks for the next segment
                rr = hdlc(src, dst, (vr[other] << 5) | 0x11)
                lines.append(("RX" if who == "c" else "TX", rr))

    ua_info = bytes.fromhex("818012050180060180070400000001080400000001")
    lines.append(("TX", hdlc(SERVER, CLIENT, 0x93)))
    lines.append(("RX", hdlc(CLIENT, SERVER, 0x73, ua_info)))
    send("c", aarq_low())
    send("s", aare(max_pdu=max_pdu))
    for who, apdu in exchanges:
        send(who, apdu)
    send("c", RLRQ)
    send("s", RLRE)
    lines.append(("TX", hdlc(SERVER, CLIENT, 0x53)))
    lines.append(("RX", hdlc(CLIENT, SERVER, 0x73)))
    return ["%s: %s" % (d, hexline(f)) for d, f in lines]


BIG = [("c", GET_BLOCK_SIZE), ("s", get_resp(dlu(256))), ("c", initiate(b"IMG2", 512)), ("s", OK),
       ("c", block(0, 256)), ("s", OK), ("c", block(1, 256)), ("s", OK)]
write("image-block-split.hex", """
synthetic (make-traces.py): HDLC, UA max info 128, AARE max PDU 1024; image_block_size 256, blocks of 256
bytes: each block's 280-byte APDU (C3 01 C1, 0012, OBIS, 02, 01, 02 02, 06 + 4, 09 82 0100 + 256) with
its 3 LLC bytes goes in 3 I frames of 128 + 128 + 27 bytes (segments), which is normal.
""", hdlc_session(0x0400, BIG))
write("image-block-too-large.hex", """
synthetic (make-traces.py): as image-block-split.hex but the AARE negotiates max PDU 128: the 280-byte
APDU of a 256-byte block is larger than the PDU the meter takes, although HDLC split it into 3 frames.
""", hdlc_session(0x0080, BIG))

# 7. link: an SNRM echoed by an optical probe, the meter never answers
snrm = hdlc(SERVER, CLIENT, 0x93)
write("link-echo.hex", """
synthetic (make-traces.py): an SNRM sent (TX) and the same 10 bytes received (RX): the probe's echo.
""", ["TX: " + hexline(snrm), "RX: " + hexline(snrm)])

# 8. link: N(S) skipped and an I frame sent twice
ua = hdlc(CLIENT, SERVER, 0x73)
g1 = LLC_REQ + get(8, bytes.fromhex("0000010000FF"), 2)
r1 = LLC_RESP + get_resp(bytes.fromhex("090C07E7020F0311371500800000"))
write("link-sequence.hex", """
synthetic (make-traces.py): SNRM/UA; a get-request (clock) in I frame N(S)=0 N(R)=0, answered in N(S)=0
N(R)=1; the client's next I frame has N(S)=2 where 1 was due (frame 5: a sequence error), and is sent again
unchanged (frame 6: a retransmission); the server answers N(S)=1 N(R)=3.
""", ["TX: " + hexline(snrm), "RX: " + hexline(ua),
      "TX: " + hexline(hdlc(SERVER, CLIENT, i_control(0, 0), g1)),
      "RX: " + hexline(hdlc(CLIENT, SERVER, i_control(0, 1), r1)),
      "TX: " + hexline(hdlc(SERVER, CLIENT, i_control(2, 1), g1)),
      "TX: " + hexline(hdlc(SERVER, CLIENT, i_control(2, 1), g1)),
      "RX: " + hexline(hdlc(CLIENT, SERVER, i_control(1, 3), r1))])

# 9. an answer with another invoke-id than its request (C1 = invoke-id 1, C2 = invoke-id 2), with times
clock = bytes.fromhex("0000010000FF")
write("invoke-id.hex", """
synthetic (make-traces.py): get-request (clock, class 8 0.0.1.0.0.255 attribute 2) with invoke-id 1 (C1),
answered by a get-response with invoke-id 2 (C2).
""", ["TX: 10:00:00.000 " + hexline(get(8, clock, 2, iip=0xC1)),
      "RX: 10:00:00.250 " + hexline(get_resp(bytes.fromhex("090C07E7020F0311371500800000"), iip=0xC2))])

# 10. FRMR: the server rejects an I frame as too long (Y bit, 04); information field: the rejected
#     control byte (10: I frame N(S)=0 N(R)=0 P), V(S)/V(R) byte 00, the W X Y Z bits 04
write("link-frmr.hex", """
synthetic (make-traces.py): SNRM/UA, then an I frame answered by FRMR (control 97) whose information field
10 00 04 says: control byte 10 rejected, reason Y (information field too long).
""", ["TX: " + hexline(snrm), "RX: " + hexline(ua),
      "TX: " + hexline(hdlc(SERVER, CLIENT, i_control(0, 0), g1)),
      "RX: " + hexline(hdlc(CLIENT, SERVER, 0x97, bytes.fromhex("100004")))])

# 11. noise: 8 records of 24, 23, ... 17 bytes (lines of one width would be read as one wrapped
#     record) from a fixed linear congruential generator (not DLMS), as a receiver at the wrong
#     serial setting delivers them; the first byte of each is made C1 (set-request), so that each
#     is taken as an APDU and fails
seed = 12345
lines = []
for i in range(8):
    rec = []
    for _ in range(24 - i):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        rec.append(seed >> 16 & 0xFF)
    rec[0] = 0xC1
    lines.append(hexline(bytes(rec)))
write("noise.hex", """
synthetic (make-traces.py): 8 lines of 24 to 17 bytes of noise (an LCG with a fixed seed), each beginning with C1:
no valid frame or APDU at all.
""", lines)

# 12. initiate refused: first temporary-failure (2), then, initiated again, hardware-fault (1); no block sent
write("image-initiate-failed.hex", """
synthetic (make-traces.py): image_block_size read (64), image_transfer_initiate "IMG1" size 192 answered
temporary-failure (2), initiated again at once and answered hardware-fault (1); no block is sent.
""", raw(session(
    [("TX", GET_BLOCK_SIZE), ("RX", get_resp(dlu(64)))],
    [("TX", initiate(b"IMG1", 192)), ("RX", action_resp(2))],
    [("TX", initiate(b"IMG1", 192)), ("RX", action_resp(1))])))

# 13. a whole transfer verified, then activate answered temporary-failure (2), the status read back
#     says activation initiated (5), activate again answered hardware-fault (1), status activation failed (7)
ACTIVATE = action(18, OBIS_IMAGE, 4, b"\x0F\x00")
write("image-activate.hex", """
synthetic (make-traces.py): image transfer, block size 64, size 192, blocks 0 to 2 acknowledged, verify
answered success; image_activate answered temporary-failure (2), image_transfer_status read back 5
(activation initiated), image_activate again answered hardware-fault (1), status read back 7 (activation failed).
""", raw(session(
    [("TX", GET_BLOCK_SIZE), ("RX", get_resp(dlu(64)))],
    [("TX", initiate(b"IMG1", 192)), ("RX", OK)],
    [("TX", block(0, 64)), ("RX", OK)],
    [("TX", block(1, 64)), ("RX", OK)],
    [("TX", block(2, 64)), ("RX", OK)],
    [("TX", VERIFY), ("RX", OK)],
    [("TX", ACTIVATE), ("RX", action_resp(2))],
    [("TX", GET_STATUS), ("RX", get_resp(b"\x16\x05"))],
    [("TX", ACTIVATE), ("RX", action_resp(1))],
    [("TX", GET_STATUS), ("RX", get_resp(b"\x16\x07"))])))

# 14. a header damaged: the get-request's HCS has its first byte changed (E6 70 -> E7 70) but
#     the FCS is computed over the damaged frame, so the frame is found and only its HCS fails; the
#     answer then acknowledges N(R)=1, an I frame the server never got
def damaged_hcs(frame):
    body = bytearray(frame[1:-3])
    hcs_at = 2 + len(SERVER) + len(CLIENT) + 1
    body[hcs_at] ^= 0x01
    return b"\x7E" + bytes(body) + crc16_x25(bytes(body)) + b"\x7E"


write("link-hcs.hex", """
synthetic (make-traces.py): SNRM/UA; the get-request's I frame N(S)=0 with a wrong HCS (its first byte
XORed with 01; the FCS computed over the damaged frame, so only the HCS fails); the answer N(S)=0 N(R)=1
acknowledges a frame the server did not take.
""", ["TX: " + hexline(snrm), "RX: " + hexline(ua),
      "TX: " + hexline(damaged_hcs(hdlc(SERVER, CLIENT, i_control(0, 0), g1))),
      "RX: " + hexline(hdlc(CLIENT, SERVER, i_control(0, 1), r1))])

# 15-18. requests sent again after a timeout and the answers that come late (REFERENCE §7.5 the
#     invoke-id-and-priority byte: b3..b0 invoke-id, b6 service class, b7 priority; §10.3 the server
#     copies the invoke-id and the priority flag into its answer). Times as a client with a 5 s
#     timeout would log them.
clock_data = bytes.fromhex("090C07E7020F0311371500800000")
energy = bytes.fromhex("0100010800FF")
write("late-answer.hex", """
synthetic (make-traces.py): get-request (clock) with invoke-id 1 (C1) unanswered for 5 s, sent again with
invoke-id 2 (C2); then the answer with invoke-id 1 (late, to the first) and the answer with invoke-id 2.
""", ["TX: 10:00:00.000 " + hexline(get(8, clock, 2, iip=0xC1)),
      "TX: 10:00:05.000 " + hexline(get(8, clock, 2, iip=0xC2)),
      "RX: 10:00:05.300 " + hexline(get_resp(clock_data, iip=0xC1)),
      "RX: 10:00:05.350 " + hexline(get_resp(clock_data, iip=0xC2))])
write("late-answer-same-id.hex", """
synthetic (make-traces.py): get-request (clock) with invoke-id 1 (C1) unanswered for 5 s, sent again with
the same invoke-id 1 (a client that keeps id 1); then two answers with invoke-id 1.
""", ["TX: 10:00:00.000 " + hexline(get(8, clock, 2, iip=0xC1)),
      "TX: 10:00:05.000 " + hexline(get(8, clock, 2, iip=0xC1)),
      "RX: 10:00:05.300 " + hexline(get_resp(clock_data, iip=0xC1)),
      "RX: 10:00:05.350 " + hexline(get_resp(clock_data, iip=0xC1))])
write("late-answer-other.hex", """
synthetic (make-traces.py): get-request (register, class 3 1.0.1.8.0.255 attribute 2) with invoke-id 1 (C1)
unanswered for 5 s; the client goes on with another request, the clock with invoke-id 2 (C2); then the
register's late answer, invoke-id 1 with data-access-result 4 (object-undefined), and the clock's answer
with invoke-id 2.
""", ["TX: 10:00:00.000 " + hexline(get(3, energy, 2, iip=0xC1)),
      "TX: 10:00:05.000 " + hexline(get(8, clock, 2, iip=0xC2)),
      "RX: 10:00:05.300 " + hexline(bytes.fromhex("C401C10104")),
      "RX: 10:00:05.350 " + hexline(get_resp(clock_data, iip=0xC2))])
write("priority-not-copied.hex", """
synthetic (make-traces.py): get-request (clock) with invoke-id-and-priority C1 (high priority, confirmed,
invoke-id 1), answered with 41 (the same invoke-id and service class, normal priority).
""", ["TX: 10:00:00.000 " + hexline(get(8, clock, 2, iip=0xC1)),
      "RX: 10:00:00.250 " + hexline(get_resp(clock_data, iip=0x41))])

# 19. a header damaged on the line: the same HCS byte changed, the FCS as the sender computed it over
#     the good bytes, so both checks fail (line noise in a header mostly does this: the FCS covers the
#     header and its HCS); the frame stands where one is due, between the UA and the answer
def damaged_on_the_line(frame):
    body = bytearray(frame[1:-1])
    body[2 + len(SERVER) + len(CLIENT) + 1] ^= 0x01
    return b"\x7E" + bytes(body) + b"\x7E"


write("link-hcs-fcs.hex", """
synthetic (make-traces.py), from link-hcs.hex: the get-request's I frame N(S)=0 with its HCS's first byte
XORed with 01 and the FCS left as sent (over the good bytes), so both checks fail: one frame damaged in its
header (link.hcs, saying the FCS fails too), not garbage; the answer N(S)=0 N(R)=1 then acknowledges a frame
the server did not take.
""", ["TX: " + hexline(snrm), "RX: " + hexline(ua),
      "TX: " + hexline(damaged_on_the_line(hdlc(SERVER, CLIENT, i_control(0, 0), g1))),
      "RX: " + hexline(hdlc(CLIENT, SERVER, i_control(0, 1), r1))])


# 20. a block sent again after the meter acknowledged it: block size 64 read, size 192 (3 blocks),
#     blocks 0, 1, 1 again and 2, each acknowledged; verify answered success
write("image-repeated-block.hex", """
synthetic (make-traces.py), as image-missing-block.hex: image_block_size read (64), initiate "IMG1" size 192
(3 blocks), blocks 0 and 1 acknowledged, block 1 sent again (frame 11) and acknowledged again, block 2
acknowledged, verify answered success.
""", raw(session(
    [("TX", GET_BLOCK_SIZE), ("RX", get_resp(dlu(64)))],
    [("TX", initiate(b"IMG1", 192)), ("RX", OK)],
    [("TX", block(0, 64)), ("RX", OK)],
    [("TX", block(1, 64)), ("RX", OK)],
    [("TX", block(1, 64)), ("RX", OK)],
    [("TX", block(2, 64)), ("RX", OK)],
    [("TX", VERIFY), ("RX", OK)])))

# 21. DM right after a request: the AARQ sent in an I frame (N(S)=0 N(R)=0) without SNRM/UA first; a
#     server in disconnected mode answers DM (control 1F: DM with the F bit; REFERENCE §2 frame types
#     and the link state table: NDM, an AARQ in an I frame, DM)
write("link-dm.hex", """
synthetic (make-traces.py), frames as link-frmr.hex: no SNRM/UA; the AARQ (LOW, as disconnect-low.hex) in
an I frame N(S)=0 N(R)=0, answered by DM (control 1F): the meter has no link with this client.
""", ["TX: " + hexline(hdlc(SERVER, CLIENT, i_control(0, 0), LLC_REQ + aarq_low())),
      "RX: " + hexline(hdlc(CLIENT, SERVER, 0x1F))])


# 22. confirmed-service-error answers to short-name requests (REFERENCE §3.4 readRequest 05 / writeRequest 06,
#     VAS choice 2 variable-name int16; §7.3 0E service error-tag value): an SN association (context 2, VAA
#     FA00, max PDU 128), a read of a short name the meter does not have (0E 05 04 01: read, definition,
#     object-undefined), a write of Association SN's object_list (base name FA00, attribute 2 = FA08) refused
#     (0E 06 05 02: write, access, object-access-invalid), a write of 200 bytes over the max PDU 128
#     (0E 06 03 01: write, service, pdu-size); after the release a read answered as Gurux's server answers
#     an SN request outside an association (0E 01 03 02: service, service-unsupported)
def sn_read(short_name):
    return bytes([0x05, 0x01, 0x02]) + short_name.to_bytes(2, "big")


def sn_write(short_name, data):
    return bytes([0x06, 0x01, 0x02]) + short_name.to_bytes(2, "big") + b"\x01" + data


write("cse-short-name.hex", """
synthetic (make-traces.py): SN association (LOW, application context 2, AARE VAA name FA00, max PDU 128);
a readRequest of short name 1234 answered read/definition/object-undefined; a writeRequest of FA08
(Association SN object_list) answered write/access/object-access-invalid; a writeRequest of 6008 with a
200-byte octet-string answered write/service/pdu-size; the release; a readRequest of FA08 answered
initiateError/service/service-unsupported, as Gurux's server answers outside an association.
""", raw([("TX", aarq_low(context=2)), ("RX", aare(max_pdu=0x0080, context=2)),
          ("TX", sn_read(0x1234)), ("RX", bytes.fromhex("0E050401")),
          ("TX", sn_write(0xFA08, b"\x01\x00")), ("RX", bytes.fromhex("0E060502")),
          ("TX", sn_write(0x6008, octets(bytes(200)))), ("RX", bytes.fromhex("0E060301")),
          ("TX", RLRQ), ("RX", RLRE),
          ("TX", sn_read(0xFA08)), ("RX", bytes.fromhex("0E010302"))]))


# 23. binary noise (1 KiB each, written as bytes, not hex lines) from the LCG of case 11, behind a first
#     byte that makes the input look like DLMS: an APDU tag (61 AARE, 0E confirmedServiceError, 21
#     glo-initiateRequest) makes the file one raw APDU record, 7E A0 a bogus HDLC start, 68 a bogus
#     M-Bus start. Random bytes with a tag in front (about 1 random file in 8) are no APDU: no request,
#     answer or association is to be made of them; only input.no-frames and serial.random.
def lcg_bytes(seed, n):
    out = []
    for _ in range(n):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(seed >> 16 & 0xFF)
    return bytes(out)


def write_noise(name, first, seed):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(first + lcg_bytes(seed, 1024 - len(first)))


write_noise("noise-aare.bin", b"\x61", 1)
write_noise("noise-cse.bin", b"\x0E", 1)
write_noise("noise-glo.bin", b"\x21", 3)   # its glo-initiateRequest ends early: 1000 bytes after it
write_noise("noise-hdlc.bin", b"\x7E\xA0", 1)
write_noise("noise-mbus.bin", b"\x68", 1)
