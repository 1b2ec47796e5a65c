#!/usr/bin/env python3
"""Builds the gc-agreed-key*.hex vectors: general-ciphering APDUs (DD) whose key-info is an agreed
key (ECDH), plus two damaged ones for the negative tests.

Written with the Python 'cryptography' package (ECDH, ECDSA with RFC 6979 deterministic signing,
NIST SP 800-56A concatenation KDF as ConcatKDFHash, AES-GCM), independently of dlmscope's own C
code, so that the decoder is checked against a second implementation. Run it from this directory:
    python3 make-gc-agreed-key.py
It rewrites the .hex files; with deterministic ECDSA the output is the same on every run.

What the APDUs follow (sources in src/security/agree.c):
  key-info       01 (present) 02 (agreed-key) len key-parameters len key-ciphered-data
  key-parameters 01 One-Pass Diffie-Hellman C(1e, 1s, ECC CDH): key-ciphered-data is the
                 originator's ephemeral public key X||Y and an ECDSA signature r||s over it
                 02 Static Unified Model C(0e, 2s, ECC CDH): key-ciphered-data is empty
  Z              x-coordinate of the ECDH point (recipient's static private key with the
                 ephemeral key, or with the originator's static key)
  KDF            SHA-256 (suite 1) / SHA-384 (suite 2) concatenation KDF, the leftmost 16 / 32
                 bytes are the AES-GCM key
  OtherInfo      AlgorithmID (60 85 74 05 08 03 00 AES-GCM-128, ...01 AES-GCM-256)
                 || originator system title || recipient system title          (One-Pass)
                 || originator title || 08 transaction-id || recipient title    (Static Unified)
  IV             originator system title || invocation counter
  AAD            SC || AK || the general-ciphering header (transaction-id .. other-information with
                 their lengths) for gc-agreed-key.hex; SC || AK for the other two (dlmscope tries both)

Keys (test values, never used anywhere real):
  recipient 4D4D4D0000000001, static key-agreement private key (NIST CAVS 14.1 ECC CDH Primitive,
    COUNT 0, dIUT):
      P-256 7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A534
      P-384 3CC3122A68F0D95027AD38C067916BA0EB8C38894D22E1B15618B6818A661774AD463B205DA88CF699AB4D43C9CF98A1
  originator 4D4D4D0000BC614E:
    ephemeral public key = the CAVS QCAVS point of the same vector, so Z is the published ZIUT
    signing private key P-256 ORIG_SIGN_256 below, P-384 ORIG_SIGN_384 below
    static key-agreement private key (Static Unified Model) ORIG_STATIC_256 below
  authentication key D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF (suite 1),
    D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF (suite 2)
The public keys to give dlmscope are printed to standard error.
"""
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

ALG_ID_PREFIX = bytes.fromhex("608574050803")  # 2.16.756.5.8.3 (DLMS UA cryptographic algorithm ids)
ORIG_TITLE = bytes.fromhex("4D4D4D0000BC614E")
RECIP_TITLE = bytes.fromhex("4D4D4D0000000001")
TRANSACTION_ID = bytes.fromhex("0102030405060708")
PLAIN = bytes.fromhex("C001C100080000010000FF0200")  # get-request normal, clock 0.0.1.0.0.255 attr 2

CURVES = {
    1: dict(curve=ec.SECP256R1(), hash=hashes.SHA256, coord=32, alg=0x00, key_len=16,
            ak=bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"),
            recip_priv="7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A534",
            eph_x="700C48F77F56584C5CC632CA65640DB91B6BACCE3A4DF6B42CE7CC838833D287",
            eph_y="DB71E509E3FD9B060DDB20BA5C51DCC5948D46FBF640DFE0441782CAB85FA4AC",
            z="46FC62106420FF012E54A434FBDD2D25CCC5852060561E68040DD7778997BD7B"),
    2: dict(curve=ec.SECP384R1(), hash=hashes.SHA384, coord=48, alg=0x01, key_len=32,
            ak=bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF"),
            recip_priv="3CC3122A68F0D95027AD38C067916BA0EB8C38894D22E1B15618B6818A661774AD463B205DA88CF699AB4D43C9CF98A1",
            eph_x="A7C76B970C3B5FE8B05D2838AE04AB47697B9EAF52E764592EFDA27FE7513272734466B400091ADBF2D68C58E0C50066",
            eph_y="AC68F19F2E1CB879AED43A9969B91A0839C4C38A49749B661EFEDF243451915ED0905A32B060992B468C64766FC8437A",
            z="5F9D29DC5E31A163060356213669C8CE132E22F57C9A04F40BA7FCEAD493B457E5621E766C40A2E3D4D6A04B25E533F1"),
}
ORIG_SIGN_256 = 0x2F1E3D4C5B6A79880F1E2D3C4B5A69788796A5B4C3D2E1F00112233445566778
ORIG_SIGN_384 = 0x1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F809
ORIG_STATIC_256 = 0x5A4B3C2D1E0F5A4B3C2D1E0F5A4B3C2D1E0F5A4B3C2D1E0F5A4B3C2D1E0F5A4B


HEADER_LEN = 1 + 8 + 1 + 8 + 1 + 8 + 1 + 1  # transaction-id .. other-information with their lengths


def ln(b):
    assert len(b) < 0x80
    return bytes([len(b)]) + b


def point(pub):
    n = pub.public_numbers()
    size = (pub.curve.key_size + 7) // 8
    return n.x.to_bytes(size, "big") + n.y.to_bytes(size, "big")


def sign_raw(priv, data, hash_cls, coord):
    der = priv.sign(data, ec.ECDSA(hash_cls(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return r.to_bytes(coord, "big") + s.to_bytes(coord, "big")


def kdf(suite, z, other_info):
    c = CURVES[suite]
    return ConcatKDFHash(c["hash"](), c["key_len"], other_info).derive(z)


def apdu(suite, sc, ic, key_params, key_data, key, with_header_aad):
    c = CURVES[suite]
    header = ln(TRANSACTION_ID) + ln(ORIG_TITLE) + ln(RECIP_TITLE) + b"\x00" + b"\x00"
    aad = bytes([sc]) + c["ak"] + (header if with_header_aad else b"")
    iv = ORIG_TITLE + ic.to_bytes(4, "big")
    ct_tag = AESGCM(key).encrypt(iv, PLAIN, aad)
    content = bytes([sc]) + ic.to_bytes(4, "big") + ct_tag[:-16] + ct_tag[-16:-4]  # 12-byte tag
    key_info = b"\x01\x02" + ln(bytes([key_params])) + (bytes([0x81, len(key_data)]) if len(key_data) >= 0x80
                                                        else bytes([len(key_data)])) + key_data
    return b"\xDD" + header + key_info + ln(content)


def one_pass(suite, sign_priv, sign_over_params):
    c = CURVES[suite]
    recip = ec.derive_private_key(int(c["recip_priv"], 16), c["curve"])
    eph = ec.EllipticCurvePublicNumbers(int(c["eph_x"], 16), int(c["eph_y"], 16), c["curve"]).public_key()
    z = recip.exchange(ec.ECDH(), eph)
    assert z.hex().upper() == c["z"]  # the published ZIUT
    other = ALG_ID_PREFIX + bytes([c["alg"]]) + ORIG_TITLE + RECIP_TITLE
    key = kdf(suite, z, other)
    x_y = point(eph)
    signed = (b"\x01" + x_y) if sign_over_params else x_y
    sig = sign_raw(sign_priv, signed, c["hash"], c["coord"])
    return key, x_y + sig


def static_unified():
    c = CURVES[1]
    recip = ec.derive_private_key(int(c["recip_priv"], 16), c["curve"])
    orig = ec.derive_private_key(ORIG_STATIC_256, c["curve"])
    z = recip.exchange(ec.ECDH(), orig.public_key())
    assert z == orig.exchange(ec.ECDH(), recip.public_key())
    other = ALG_ID_PREFIX + bytes([c["alg"]]) + ORIG_TITLE + ln(TRANSACTION_ID) + RECIP_TITLE
    return kdf(1, z, other)


def write(name, comment, data):
    with open(name, "w") as f:
        f.write("# " + comment + "\n" + data.hex().upper() + "\n")


def main():
    sign256 = ec.derive_private_key(ORIG_SIGN_256, ec.SECP256R1())
    sign384 = ec.derive_private_key(ORIG_SIGN_384, ec.SECP384R1())
    static256 = ec.derive_private_key(ORIG_STATIC_256, ec.SECP256R1())
    gen = "Built by make-gc-agreed-key.py (Python cryptography, a second implementation); keys listed there."

    key, data = one_pass(1, sign256, True)
    one = apdu(1, 0x31, 0x00000102, 0x01, data, key, True)
    write("gc-agreed-key.hex", gen + " One-Pass Diffie-Hellman, suite 1, signature over 01||X||Y", one)

    key, data = one_pass(2, sign384, False)
    write("gc-agreed-key-suite2.hex", gen + " One-Pass Diffie-Hellman, suite 2, signature over X||Y",
          apdu(2, 0x32, 0x00000103, 0x01, data, key, False))

    write("gc-agreed-key-static.hex", gen + " Static Unified Model, suite 1",
          apdu(1, 0x31, 0x00000104, 0x02, b"", static_unified(), False))

    # damaged: key-ciphered-data declares 128 bytes and the APDU ends after 40 of them
    kcd = 1 + HEADER_LEN + 2 + 2 + 2  # DD, header, 01 02, 01 01 (key-parameters), 81 80
    assert one[kcd - 2:kcd] == b"\x81\x80"
    write("gc-agreed-key-truncated.hex", gen + " gc-agreed-key.hex cut inside key-ciphered-data", one[:kcd + 40])
    # damaged: key-ciphered-data of 100 bytes (28 bytes of the signature left out), lengths consistent
    short = one[:kcd - 2] + bytes([100]) + one[kcd:kcd + 100] + one[kcd + 128:]
    write("gc-agreed-key-short.hex", gen + " gc-agreed-key.hex with a 100-byte key-ciphered-data", short)

    def pub_hex(k):
        return "04" + point(k.public_key()).hex().upper()
    print("signing public key P-256 (originator): " + pub_hex(sign256), file=sys.stderr)
    print("signing public key P-384 (originator): " + pub_hex(sign384), file=sys.stderr)
    print("static key-agreement public key P-256 (originator): " + pub_hex(static256), file=sys.stderr)
    print("static key-agreement public key P-256 (recipient): "
          + pub_hex(ec.derive_private_key(int(CURVES[1]["recip_priv"], 16), ec.SECP256R1())), file=sys.stderr)


if __name__ == "__main__":
    main()
