#!/usr/bin/env python3
"""Builds gc-wrapped-key.hex: a general-ciphering APDU (DD) whose key-info is a wrapped key.

Written with the Python 'cryptography' package (AES key wrap RFC 3394, AES-GCM), independently
of dlmscope's own code, so that the decoder is checked against a second implementation.
Layout and AAD (suite 0: SC || AK) as in REFERENCE.md section 6; values:
  master key (KEK)   000102030405060708090A0B0C0D0E0F   (RFC 3394 section 4.1)
  content key        00112233445566778899AABBCCDDEEFF   (RFC 3394 section 4.1)
  authentication key D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF   (Green Book example AK)
  originator title   4D4D4D0000BC614E, recipient 4D4D4D0000000001, IC 00000101, SC 30
  plaintext          get-request normal, clock 0.0.1.0.0.255 attribute 2
"""
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

kek = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
ck = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
ak = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
title = bytes.fromhex("4D4D4D0000BC614E")
recipient = bytes.fromhex("4D4D4D0000000001")
sc, ic = 0x30, 0x00000101
pt = bytes.fromhex("C001C100080000010000FF0200")

wrapped = aes_key_wrap(kek, ck)
assert wrapped.hex().upper() == "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"  # RFC 3394 4.1
iv = title + ic.to_bytes(4, "big")
ct_tag = AESGCM(ck).encrypt(iv, pt, bytes([sc]) + ak)
ct, tag = ct_tag[:-16], ct_tag[-16:-4]  # DLMS keeps 12 bytes of the tag
content = bytes([sc]) + ic.to_bytes(4, "big") + ct + tag
apdu = (bytes([0xDD, 0x08]) + bytes.fromhex("0102030405060708")
        + bytes([0x08]) + title + bytes([0x08]) + recipient + bytes([0x00, 0x00])
        + bytes([0x01, 0x01, 0x00, len(wrapped)]) + wrapped
        + bytes([len(content)]) + content)
print(apdu.hex().upper())
