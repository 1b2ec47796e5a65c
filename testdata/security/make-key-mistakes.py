#!/usr/bin/env python3
"""Builds the key-mistake traces: APDUs ciphered (or HLS-GMAC values computed) with the key a
user did not give, so that dlmscope must name the mistake. Run from this directory; it writes
the .hex files next to itself.

Written with the Python 'cryptography' package (AES-GCM, GMAC as AES-GCM over no plaintext),
independently of dlmscope's own code. Before writing anything it reproduces two published values
with the Green Book example keys, so that the layout below is known to be right:
  EK 000102030405060708090A0B0C0D0E0F, AK D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF (Green Book)
  glo-get-request, title 4D4D4D0000BC614E, IC 01234567, SC 30: testdata/corpus/SEC-GB-glo-get-request.hex
  HLS-GMAC f(StoC), client title 4D4D4D0000000001, StoC "P6wRJ21F", IC 1:
    10 00000001 1A52FE7DD3E72748973C1E28 (Green Book, tests/unit/check_hls.c GB_FSTOC)

The traces (what the user gives is always the Green Book EK and AK, in hex):
  ek-ascii-prefix.hex  glo-get-request, SC 30, IC 00000201, EK = the ASCII codes of the first 16
                       characters of the EK's hex text, "0001020304050607" (the forum case)
  ek-ascii-suite2.hex  glo-get-request, SC 32, IC 00000202, EK = the ASCII codes of all 32
                       characters "000102030405060708090A0B0C0D0E0F", AK = GB AK || E0..EF
  ic-off-by-one.hex    glo-get-request, SC 30, carries IC 00000203, ciphered with IC 00000204
  hls-gmac-ascii-prefix.hex  AARQ/AARE of HLS mechanism 5 (the Green Book example's, without
                       titles: give --client-title 4D4D4D0000000001 --server-title 4D4D4D0000BC614E),
                       then f(StoC) (IC 1) and f(CtoS) (IC 01234567) computed with the EK of
                       ek-ascii-prefix.hex
"""
import os
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

GB_EK_TEXT = "000102030405060708090A0B0C0D0E0F"
EK = bytes.fromhex(GB_EK_TEXT)
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
AK32 = AK + bytes.fromhex("E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF")
SERVER = bytes.fromhex("4D4D4D0000BC614E")
CLIENT = bytes.fromhex("4D4D4D0000000001")
GET_CLOCK = bytes.fromhex("C0010000080000010000FF0200")  # get-request normal, clock attribute 2


def glo_get(ek, ak, sc, ic, title=CLIENT, iv_ic=None):
    """glo-get-request (C8): SC || IC || ciphertext || 12-byte tag; AAD = SC || AK."""
    iv = title + (ic if iv_ic is None else iv_ic).to_bytes(4, "big")
    out = AESGCM(ek).encrypt(iv, GET_CLOCK, bytes([sc]) + ak)
    content = bytes([sc]) + ic.to_bytes(4, "big") + out[:-16] + out[-16:-4]
    return bytes([0xC8, len(content)]) + content


def gmac_value(ek, ak, title, ic, challenge, sc=0x10):
    """HLS mechanism 5: SC || IC || GMAC(EK, title || IC, SC || AK || challenge)[:12]."""
    tag = AESGCM(ek).encrypt(title + ic.to_bytes(4, "big"), b"", bytes([sc]) + ak + challenge)
    return bytes([sc]) + ic.to_bytes(4, "big") + tag[:12]


# the layout, checked against published values first
with open(os.path.join(os.path.dirname(__file__), "..", "corpus", "SEC-GB-glo-get-request.hex")) as f:
    corpus = "".join(line.strip() for line in f if not line.startswith("#"))
assert glo_get(EK, AK, 0x30, 0x01234567, SERVER).hex().upper() == corpus.upper()
assert gmac_value(EK, AK, CLIENT, 1, b"P6wRJ21F").hex().upper() == "10000000011A52FE7DD3E72748973C1E28"

EK_PREFIX = GB_EK_TEXT[:16].encode("ascii")  # 30 30 30 31 30 32 30 33 ...
EK_WHOLE = GB_EK_TEXT.encode("ascii")        # 32 bytes: a suite 2 key

AARQ = "6036A1090607608574050801018A0207808B0760857405080205AC0A80084B35366956616759BE10040E01000000065F1F0400007E1F04B0"
AARE = ("6142A109060760857405080101A203020100A305A10302010E88020780890760857405080205AA0A8008503677524A323146"
        "BE10040E0800065F1F040000501F01F40007")
fstoc = gmac_value(EK_PREFIX, AK, CLIENT, 1, b"P6wRJ21F")
fctos = gmac_value(EK_PREFIX, AK, SERVER, 0x01234567, b"K56iVagY")
reply = bytes.fromhex("C301C1000F0000280000FF01010911") + fstoc
answer = bytes.fromhex("C701C10001000911") + fctos

TRACES = {
    "ek-ascii-prefix": [glo_get(EK_PREFIX, AK, 0x30, 0x201)],
    "ek-ascii-suite2": [glo_get(EK_WHOLE, AK32, 0x32, 0x202)],
    "ic-off-by-one": [glo_get(EK, AK, 0x30, 0x203, iv_ic=0x204)],
    "hls-gmac-ascii-prefix": [bytes.fromhex(AARQ), bytes.fromhex(AARE), reply, answer],
}
here = os.path.dirname(os.path.abspath(__file__))
for name, apdus in TRACES.items():
    with open(os.path.join(here, name + ".hex"), "w") as f:
        f.write("# Built by make-key-mistakes.py (Python cryptography); keys and values listed there.\n")
        f.write("\n\n".join(a.hex().upper() for a in apdus) + "\n")
