#!/usr/bin/env python3
"""Builds the gs-*.hex vectors: general-signing APDUs (DF) whose ECDSA signature covers the bytes
of one reading each of "what general-signing signs", plus a damaged one for the negative test.

Written with the Python 'cryptography' package (ECDSA with RFC 6979 deterministic signing,
SHA-256 for P-256, SHA-384 for P-384), independently of dlmscope's C code, so that the
verification is checked against a second implementation. Run it from this directory:
    python3 make-general-signing.py
It rewrites the .hex files; with deterministic ECDSA the output is the same on every run.

The APDU (every field an A-XDR length, here one byte, then that many bytes):
    DF  transaction-id  originator-system-title  recipient-system-title  date-time
        other-information  content  signature
The content is the Green Book glo-get-request of testdata/corpus/SEC-GB-glo-get-request.hex
(EK 000102..0F, AK D0..DF, client title 4D4D4D0000BC614E), the signature the raw r || s.

The readings (sources in src/security/signing.c):
    gurux        the fields from transaction-id through other-information (with their lengths,
                 without the DF tag), then the content bytes without the content's length
    with-length  the APDU bytes after the DF tag through the end of the content, the content's
                 length included
    with-tag     the APDU bytes from the DF tag through the end of the content
    content-only the content bytes only

Keys (test values, never used anywhere real): the originator 4D4D4D0000BC614E signs with the
signing keys of make-gc-agreed-key.py (ORIG_SIGN_256 / ORIG_SIGN_384 below, same values), so the
public keys are the SIGN256 / SIGN384 of tests/e2e/security.sh; they are printed to standard error.
"""
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ORIG_TITLE = bytes.fromhex("4D4D4D0000BC614E")
RECIP_TITLE = bytes.fromhex("4D4D4D0000000001")
TRANSACTION_ID = bytes.fromhex("0102030405060708")
CONTENT = bytes.fromhex("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B")
ORIG_SIGN_256 = 0x2F1E3D4C5B6A79880F1E2D3C4B5A69788796A5B4C3D2E1F00112233445566778
ORIG_SIGN_384 = 0x1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F809

CURVES = {
    "P-256": dict(curve=ec.SECP256R1(), hash=hashes.SHA256, coord=32, key=ORIG_SIGN_256),
    "P-384": dict(curve=ec.SECP384R1(), hash=hashes.SHA384, coord=48, key=ORIG_SIGN_384),
}


def ln(b):
    assert len(b) < 0x80
    return bytes([len(b)]) + b


def header():
    """transaction-id .. other-information, each with its length (date-time, other-information empty)"""
    return ln(TRANSACTION_ID) + ln(ORIG_TITLE) + ln(RECIP_TITLE) + b"\x00" + b"\x00"


def signed_bytes(reading):
    if reading == "gurux":
        return header() + CONTENT
    if reading == "with-length":
        return header() + ln(CONTENT)
    if reading == "with-tag":
        return b"\xDF" + header() + ln(CONTENT)
    if reading == "content-only":
        return CONTENT
    raise ValueError(reading)


def sign_raw(curve_name, data):
    c = CURVES[curve_name]
    priv = ec.derive_private_key(c["key"], c["curve"])
    der = priv.sign(data, ec.ECDSA(c["hash"](), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(c["coord"], "big") + s.to_bytes(c["coord"], "big")
    priv.public_key().verify(der, data, ec.ECDSA(c["hash"]()))  # the library agrees with itself
    return raw


def apdu(curve_name, reading):
    return b"\xDF" + header() + ln(CONTENT) + ln(sign_raw(curve_name, signed_bytes(reading)))


def write(name, comment, data):
    with open(name, "w") as f:
        f.write("# " + comment + "\n" + data.hex().upper() + "\n")


def main():
    gen = "Built by make-general-signing.py (Python cryptography, a second implementation); keys listed there."
    write("gs-gurux.hex", gen + " P-256, signed: fields after the tag + content without its length (Gurux)",
          apdu("P-256", "gurux"))
    write("gs-gurux-suite2.hex", gen + " P-384, signed: fields after the tag + content without its length (Gurux)",
          apdu("P-384", "gurux"))
    write("gs-with-length.hex", gen + " P-256, signed: after the tag through the content, its length included",
          apdu("P-256", "with-length"))
    write("gs-with-tag.hex", gen + " P-256, signed: the tag through the content", apdu("P-256", "with-tag"))
    write("gs-content-only.hex", gen + " P-256, signed: the content only", apdu("P-256", "content-only"))

    # damaged: gs-gurux.hex with one content byte flipped (inside the ciphertext), signature kept
    good = apdu("P-256", "gurux")
    at = 1 + len(header()) + 1 + 10  # DF, header, content length, 10 bytes into the content
    assert good[at - 10:at - 10 + len(CONTENT)] == CONTENT
    bad = good[:at] + bytes([good[at] ^ 0x01]) + good[at + 1:]
    write("gs-gurux-flipped.hex", gen + " gs-gurux.hex with content byte 10 flipped (0x%02X -> 0x%02X)"
          % (good[at], bad[at]), bad)

    for name, c in CURVES.items():
        pub = ec.derive_private_key(c["key"], c["curve"]).public_key().public_numbers()
        print("signing public key %s (originator): 04%s%s" % (
            name, pub.x.to_bytes(c["coord"], "big").hex().upper(), pub.y.to_bytes(c["coord"], "big").hex().upper()),
            file=sys.stderr)


if __name__ == "__main__":
    main()
