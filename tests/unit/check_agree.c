/* general-ciphering agreed keys: the concatenation KDF and ECDH on published vectors, then the
 * APDUs of testdata/security/make-gc-agreed-key.py (a second implementation: Python cryptography)
 * deciphered, and every way the key agreement can fail.
 *
 * Published vectors used:
 *  - RFC 7518 (JWA) appendix C, the ECDH-ES example, whose key derivation is the SP 800-56A
 *    concatenation KDF with SHA-256 (as carried by OP-TEE's xtest, jenswi-linaro/optee_test
 *    host/xtest/xtest_10000.c, "JWA-37 C").
 *  - DLMS Green Book Table C.2 (One-Pass Diffie-Hellman, suite 1): Z and the key derived with
 *    AlgorithmID || Sys-T of the originator || Sys-T of the recipient, as reproduced in
 *    gvtret/spodes-rs src/security/agreement.rs (the Green Book itself was not at hand).
 *  - NIST CAVS 14.1 ECC CDH Primitive (SP 800-56A), P-256 and P-384 COUNT 0 (as carried by Go's
 *    crypto/ecdh tests and others).
 * No official CAVP vector of the concatenation KDF on its own was found, nor one with more than
 * one hash block or with SHA-384: those outputs come from Python cryptography's ConcatKDFHash. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/keys.h"
#include "security/agree.h"
#include "security/cipher.h"
#include "test_hex.h"

/* The hex lines of testdata/security/NAME.hex; lines starting with # are comments. */
static size_t security_vector(const char *name, uint8_t *out, size_t cap)
{
    char path[256];
    snprintf(path, sizeof path, "testdata/security/%s.hex", name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    static char text[8192];
    size_t n = 0;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        size_t len = strlen(line);
        ck_assert_msg(n + len < sizeof text, "%s is too long for the test", path);
        memcpy(text + n, line, len);
        n += len;
    }
    fclose(f);
    text[n] = '\0';
    return test_unhex(text, out, cap);
}

static void expect_hex(const uint8_t *got, size_t got_len, const char *want_hex)
{
    uint8_t want[256];
    size_t n = test_unhex(want_hex, want, sizeof want);
    ck_assert_uint_eq(got_len, n);
    ck_assert_msg(memcmp(got, want, n) == 0, "bytes differ from %s", want_hex);
}

/* ---- the KDF ------------------------------------------------------------------------------- */

#define JWA_Z "9E56D91D817135D372834283BF84269CFB316EA3DA806A48F6DAA7798CFE90C4"
#define JWA_OTHER "000000074131323847434D00000005416C69636500000003426F6200000080"

START_TEST(kdf_rfc7518_appendix_c)
{
    uint8_t z[32], other[64], out[64];
    size_t zl = test_unhex(JWA_Z, z, sizeof z), ol = test_unhex(JWA_OTHER, other, sizeof other);
    ck_assert_int_eq(ds_kdf_concat(0, z, zl, other, ol, out, 16), 0);
    expect_hex(out, 16, "56AA8DEAF8236D205C2228CD71A7101A");
}
END_TEST

/* Green Book C.2: KDF(Z, AlgID, Sys-TC, Sys-TS) for the client, KDF(Z', AlgID, Sys-TS, Sys-TC) for
 * the server; the AES-128 key is the leftmost 16 bytes. */
START_TEST(kdf_green_book_c2)
{
    uint8_t z[32], other[32], out[32];
    test_unhex("0D4385BA0DD756CBCAB9887EB538396EE8F090A14C1079B4359F115B977F4615", z, sizeof z);
    size_t ol = test_unhex("60857405080300 4D4D4D0000BC614E 4D4D4D0000000001", other, sizeof other);
    ck_assert_int_eq(ds_kdf_concat(0, z, 32, other, ol, out, 32), 0);
    expect_hex(out, 32, "59A71FD81C929A86A99438DA17A66C058C6A93FD3065F5EE16A05D775927659B");
    ck_assert_int_eq(ds_kdf_concat(0, z, 32, other, ol, out, 16), 0);
    expect_hex(out, 16, "59A71FD81C929A86A99438DA17A66C05");
    test_unhex("2B4302DC49790E2E78D990CFB52ED6E2F273DECE441A2D95E4301B93812A9FAC", z, sizeof z);
    ol = test_unhex("60857405080300 4D4D4D0000000001 4D4D4D0000BC614E", other, sizeof other);
    ck_assert_int_eq(ds_kdf_concat(0, z, 32, other, ol, out, 16), 0);
    expect_hex(out, 16, "F0184BDA9466BFA4601A64A7EF46504A");
}
END_TEST

/* More than one block (the counter goes to 2) and SHA-384: Python cryptography ConcatKDFHash. */
START_TEST(kdf_blocks_and_sha384)
{
    uint8_t z[32], other[64], out[64];
    size_t zl = test_unhex(JWA_Z, z, sizeof z), ol = test_unhex(JWA_OTHER, other, sizeof other);
    ck_assert_int_eq(ds_kdf_concat(0, z, zl, other, ol, out, 40), 0);
    expect_hex(out, 40, "56AA8DEAF8236D205C2228CD71A7101AA4A8A036B0436D4F591331C26AF44460B0D12CE7559D8AF6");
    ck_assert_int_eq(ds_kdf_concat(1, z, zl, other, ol, out, 60), 0);
    expect_hex(out, 60, "010468A845C06B8DA1F20ABA945211A0F74F9CE223CAC3D69F705A450452C3EAC73C1FB1E9B1F0FB880CFD31"
                        "F6F5FB236C867E8865A56A3C9D9A221A");
    ck_assert_int_eq(ds_kdf_concat(0, z, zl, other, ol, out, 0), -1);
    ck_assert_int_eq(ds_kdf_concat(0, z, zl, other, ol, NULL, 16), -1);
    ck_assert_int_eq(ds_kdf_concat(0, NULL, 4, other, ol, out, 16), -1);
    static uint8_t big[2048];
    ck_assert_int_eq(ds_kdf_concat(0, z, zl, other, ol, big, sizeof big), -1); /* more than 1024 */
    ck_assert_int_eq(ds_kdf_concat(0, z, zl, NULL, 0, out, 16), 0);          /* empty OtherInfo is fine */
}
END_TEST

/* ---- ECDH ---------------------------------------------------------------------------------- */

#define P256_D "7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A534"
#define P256_Q "700C48F77F56584C5CC632CA65640DB91B6BACCE3A4DF6B42CE7CC838833D287" \
               "DB71E509E3FD9B060DDB20BA5C51DCC5948D46FBF640DFE0441782CAB85FA4AC"
#define P256_Z "46FC62106420FF012E54A434FBDD2D25CCC5852060561E68040DD7778997BD7B"
#define P384_D "3CC3122A68F0D95027AD38C067916BA0EB8C38894D22E1B15618B6818A661774AD463B205DA88CF699AB4D43C9CF98A1"
#define P384_Q "A7C76B970C3B5FE8B05D2838AE04AB47697B9EAF52E764592EFDA27FE7513272734466B400091ADBF2D68C58E0C50066" \
               "AC68F19F2E1CB879AED43A9969B91A0839C4C38A49749B661EFEDF243451915ED0905A32B060992B468C64766FC8437A"
#define P384_Z "5F9D29DC5E31A163060356213669C8CE132E22F57C9A04F40BA7FCEAD493B457E5621E766C40A2E3D4D6A04B25E533F1"

START_TEST(ecdh_cavs)
{
    uint8_t d[48], q[97], z[48];
    size_t dl = test_unhex(P256_D, d, sizeof d), ql = test_unhex(P256_Q, q + 1, 96);
    ck_assert_int_eq(ds_ecdh_shared(32, d, dl, q + 1, ql, z), 0); /* X||Y */
    expect_hex(z, 32, P256_Z);
    q[0] = 0x04;
    ck_assert_int_eq(ds_ecdh_shared(32, d, dl, q, ql + 1, z), 0); /* 04||X||Y */
    expect_hex(z, 32, P256_Z);
    dl = test_unhex(P384_D, d, sizeof d);
    ql = test_unhex(P384_Q, q, sizeof q);
    ck_assert_int_eq(ds_ecdh_shared(48, d, dl, q, ql, z), 0);
    expect_hex(z, 48, P384_Z);
}
END_TEST

START_TEST(ecdh_refuses)
{
    uint8_t d[48], q[97], z[48];
    size_t dl = test_unhex(P256_D, d, sizeof d), ql = test_unhex(P256_Q, q, sizeof q);
    q[63] ^= 0x01; /* Y changed: not on the curve */
    ck_assert_int_eq(ds_ecdh_shared(32, d, dl, q, ql, z), -2);
    q[63] ^= 0x01;
    static const uint8_t zero[32];
    ck_assert_int_eq(ds_ecdh_shared(32, zero, 32, q, ql, z), -1); /* 0 is no private key */
    static uint8_t order[32];
    test_unhex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", order, sizeof order);
    ck_assert_int_eq(ds_ecdh_shared(32, order, 32, q, ql, z), -1); /* n itself is not either */
    ck_assert_int_eq(ds_ecdh_shared(32, d, dl, q, ql - 1, z), -3);  /* no point length */
    ck_assert_int_eq(ds_ecdh_shared(32, d, 31, q, ql, z), -3);
    ck_assert_int_eq(ds_ecdh_shared(40, d, 40, q, ql, z), -3);
    ck_assert_int_eq(ds_ecdh_shared(48, d, 32, q, ql, z), -3);      /* a P-256 key on P-384 */
    uint8_t zeros[64] = {0};
    ck_assert_int_eq(ds_ecdh_shared(32, d, dl, zeros, 64, z), -2);  /* (0, 0) */
}
END_TEST

/* ---- the APDUs of make-gc-agreed-key.py ---------------------------------------------------------- */

#define AK1 "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
#define AK2 "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF"
#define SIGN256 "04720594FEE9B664B7D450234B53A12B667AC96278EC9A3FFF7BD8ED067EE22630135D68100698C1584B975A7E6DCF28009392486421B732B3CFF548DA0EE45623"
#define SIGN384 "04197A3EBB496E62F2CBF9D3BB860561FBC54307FBB234163A07206CC7284FC482052E57DBEED651429DD3C4688965DD832411DE3367400ADC19DD151D5FEAEB74942A63641665E24CA3EC40D028214CAF829F8F0E097388EB7CFFA7D4AABEE3C1"
#define ORIG_STATIC "04A7A3E38CD3EA60B9B383EEB5734A43A02D2965F79C2F6374EE830FFB95513A4C8D62E6984FB7019A7AC46D593319ED09249BC5A5C03636BEFB72A0B73FEA6D05"
#define RECIP_PUB "04EAD218590119E8876B29146FF89CA61770C4EDBBF97D38CE385ED281D8A6B23028AF61281FD35E2FA7002523ACC85A429CB06EE6648325389F59EDFCE1405141"
#define PLAIN "C001C100080000010000FF0200"

static void ec_key(ds_ec_key *k, const char *hex)
{
    memset(k, 0, sizeof *k);
    k->len = test_unhex(hex, k->bytes, sizeof k->bytes);
    k->set = 1;
}

static void sym_key(ds_key *k, const char *hex)
{
    memset(k, 0, sizeof *k);
    k->len = test_unhex(hex, k->bytes, sizeof k->bytes);
    k->set = 1;
}

static void parse(const uint8_t *apdu, size_t n, ds_ciphered *c)
{
    char err[160];
    ck_assert_msg(ds_ciphered_parse(apdu, n, c, err, sizeof err) == 0, "parse: %s", err);
}

/* Deciphers with the APDU's own originator title; returns the status and fills rep. */
static ds_dec_status run(const ds_ciphered *c, const ds_keyset *ks, uint8_t *plain, size_t *pl, ds_agree_report *rep)
{
    return ds_decipher_ex(c, NULL, ks, 0, 1, plain, pl, rep);
}

START_TEST(one_pass_suite1)
{
    uint8_t apdu[512], plain[64];
    size_t n = security_vector("gc-agreed-key", apdu, sizeof apdu), pl;
    ds_ciphered c;
    parse(apdu, n, &c);
    ck_assert_int_eq(c.key_info, 2);
    expect_hex(c.key_parameters, c.key_parameters_len, "01");
    ck_assert_uint_eq(c.agreed_data_len, 128);
    expect_hex(c.agreed_data, 64, P256_Q);
    ds_keyset ks;
    memset(&ks, 0, sizeof ks);
    sym_key(&ks.ak, AK1);
    ec_key(&ks.priv, P256_D);
    /* the key itself, as Python derived it */
    ds_key k;
    ds_agree_report rep;
    ck_assert_int_eq(ds_agreed_key(&c, c.title, &ks, &k, &rep), DS_DEC_OK);
    expect_hex(k.bytes, k.len, "166F4C8D98D69C0B6786CB8C3C4E859A");
    ck_assert_int_eq(rep.scheme, 1);
    ck_assert_int_eq(rep.signature, DS_KEYSIG_UNCHECKED);
    /* deciphered; the signature is only checked when a report is asked for */
    ck_assert_int_eq(ds_decipher(&c, NULL, &ks, 0, 1, plain, &pl), DS_DEC_OK);
    expect_hex(plain, pl, PLAIN);
    ec_key(&ks.sign, SIGN256);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_OK);
    expect_hex(plain, pl, PLAIN);
    ck_assert_int_eq(rep.signature, DS_KEYSIG_VERIFIED); /* over 01||X||Y, as Gurux signs */
    ec_key(&ks.sign, ORIG_STATIC);                         /* someone else's key */
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_OK);
    ck_assert_int_eq(rep.signature, DS_KEYSIG_MISMATCH);
    ec_key(&ks.sign, SIGN384); /* a P-384 key cannot check a P-256 signature */
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_OK);
    ck_assert_int_eq(rep.signature, DS_KEYSIG_UNUSABLE);
    ck_assert_ptr_nonnull(strstr(rep.sig_why, "P-384"));
    /* the usual-mistake guesses do not apply to agreed keys */
    char why[200];
    ck_assert_ptr_null(ds_decipher_diagnose(&c, c.title, NULL, &ks, 0, plain, &pl, why, sizeof why));
}
END_TEST

START_TEST(one_pass_suite2)
{
    uint8_t apdu[512], plain[64];
    size_t n = security_vector("gc-agreed-key-suite2", apdu, sizeof apdu), pl;
    ds_ciphered c;
    parse(apdu, n, &c);
    ck_assert_uint_eq(c.sc, 0x32);
    ck_assert_uint_eq(c.agreed_data_len, 192);
    ds_keyset ks;
    memset(&ks, 0, sizeof ks);
    sym_key(&ks.ak, AK2);
    ec_key(&ks.priv, P384_D);
    ec_key(&ks.sign, SIGN384);
    ds_key k;
    ck_assert_int_eq(ds_agreed_key(&c, c.title, &ks, &k, NULL), DS_DEC_OK);
    expect_hex(k.bytes, k.len, "36A7BB4BC801B361AFF1EDE835DAEDBBBDF116F94281A3FE10AB8833FCBFBEFD");
    ds_agree_report rep;
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_OK);
    expect_hex(plain, pl, PLAIN);
    ck_assert_int_eq(rep.signature, DS_KEYSIG_KEY_ONLY); /* this one signs X||Y alone */
    /* a P-256 private key on suite 2 */
    ec_key(&ks.priv, P256_D);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_AGREEMENT_FAILED);
    ck_assert_ptr_nonnull(strstr(rep.why, "P-256 key but security suite 2"));
    ck_assert_uint_eq(pl, 0);
}
END_TEST

START_TEST(static_unified)
{
    uint8_t apdu[256], plain[64];
    size_t n = security_vector("gc-agreed-key-static", apdu, sizeof apdu), pl;
    ds_ciphered c;
    parse(apdu, n, &c);
    expect_hex(c.key_parameters, c.key_parameters_len, "02");
    ck_assert_uint_eq(c.agreed_data_len, 0);
    ds_keyset ks;
    memset(&ks, 0, sizeof ks);
    sym_key(&ks.ak, AK1);
    ec_key(&ks.priv, P256_D);
    ds_agree_report rep;
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_NO_KEY);
    ck_assert_ptr_nonnull(strstr(rep.why, "originator 4D4D4D0000BC614E"));
    ec_key(&ks.pub, ORIG_STATIC);
    ds_key k;
    ck_assert_int_eq(ds_agreed_key(&c, c.title, &ks, &k, NULL), DS_DEC_OK);
    expect_hex(k.bytes, k.len, "B49815181CD296A637858B967957F8B8");
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_OK);
    expect_hex(plain, pl, PLAIN);
    ck_assert_int_eq(rep.scheme, 2);
    ck_assert_int_eq(rep.signature, DS_KEYSIG_NONE);
    /* the transaction-id is in the KDF: another one gives another key */
    apdu[9] ^= 0x01;
    parse(apdu, n, &c);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_TAG_MISMATCH);
    apdu[9] ^= 0x01;
    /* the wrong static key of the originator: another Z */
    ec_key(&ks.pub, RECIP_PUB);
    parse(apdu, n, &c);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_TAG_MISMATCH);
    ck_assert_uint_eq(pl, 0);
}
END_TEST

START_TEST(failures)
{
    uint8_t apdu[512], plain[64];
    size_t n = security_vector("gc-agreed-key", apdu, sizeof apdu), pl;
    ds_ciphered c;
    ds_agree_report rep;
    ds_keyset ks;
    memset(&ks, 0, sizeof ks);
    sym_key(&ks.ak, AK1);
    parse(apdu, n, &c);
    /* no private key (and no keys at all) */
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_NO_KEY);
    ck_assert_ptr_nonnull(strstr(rep.why, "recipient 4D4D4D0000000001"));
    ck_assert_int_eq(run(&c, NULL, plain, &pl, &rep), DS_DEC_NO_KEY);
    /* the wrong private key: another Z, the tag fails */
    ec_key(&ks.priv, "38F65D6DCE47676044D58CE5139582D568F64BB16098D179DBAB07741DD5CAF5");
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_TAG_MISMATCH);
    ck_assert_uint_eq(pl, 0);
    ec_key(&ks.priv, P256_D);
    /* no AK: the key is agreed, the tag cannot be checked */
    ds_key ak = ks.ak;
    memset(&ks.ak, 0, sizeof ks.ak);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_NO_KEY);
    ck_assert_str_eq(rep.why, "");
    ck_assert_int_eq(ds_decipher_ex(&c, NULL, &ks, 0, 0, plain, &pl, &rep), DS_DEC_OK); /* --no-verify */
    expect_hex(plain, pl, PLAIN);
    ks.ak = ak;
    /* an ephemeral key that is not on the curve */
    size_t at = (size_t)(c.agreed_data - apdu);
    apdu[at + 63] ^= 0x01;
    parse(apdu, n, &c);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_AGREEMENT_FAILED);
    ck_assert_ptr_nonnull(strstr(rep.why, "ephemeral public key in key-ciphered-data is not a point on P-256"));
    apdu[at + 63] ^= 0x01;
    /* key-parameters 03: no such scheme */
    apdu[at - 3] = 0x03;
    parse(apdu, n, &c);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(rep.why, "key-parameters 03"));
    apdu[at - 3] = 0x01;
    /* suite 0 in the security control: no curve */
    size_t sc_at = n - (c.body_len + 12 + 5);
    ck_assert_uint_eq(apdu[sc_at], 0x31);
    apdu[sc_at] = 0x30;
    parse(apdu, n, &c);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(rep.why, "suite 0"));
    apdu[sc_at] = 0x31;
    /* a private key that is not one: 0 */
    ec_key(&ks.priv, "0000000000000000000000000000000000000000000000000000000000000000");
    parse(apdu, n, &c);
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_AGREEMENT_FAILED);
    ck_assert_ptr_nonnull(strstr(rep.why, "not a valid P-256 private key"));
}
END_TEST

START_TEST(damaged_vectors)
{
    uint8_t apdu[512], plain[64];
    ds_ciphered c;
    char err[160];
    size_t n = security_vector("gc-agreed-key-truncated", apdu, sizeof apdu), pl;
    ck_assert_int_eq(ds_ciphered_parse(apdu, n, &c, err, sizeof err), -1);
    ck_assert_str_eq(err, "key-ciphered-data declares 128 bytes, 40 present");
    n = security_vector("gc-agreed-key-short", apdu, sizeof apdu);
    parse(apdu, n, &c);
    ck_assert_uint_eq(c.agreed_data_len, 100);
    ds_keyset ks;
    memset(&ks, 0, sizeof ks);
    sym_key(&ks.ak, AK1);
    ec_key(&ks.priv, P256_D);
    ds_agree_report rep;
    ck_assert_int_eq(run(&c, &ks, plain, &pl, &rep), DS_DEC_AGREEMENT_FAILED);
    ck_assert_ptr_nonnull(strstr(rep.why, "key-ciphered-data is 100 bytes"));
    /* every cut of a good vector either parses or says why, and never deciphers wrongly */
    n = security_vector("gc-agreed-key", apdu, sizeof apdu);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, apdu, cut);
        if (ds_ciphered_parse(copy, cut, &c, err, sizeof err) == 0) {
            uint8_t *p = malloc(c.body_len ? c.body_len : 1);
            ck_assert_int_ne(run(&c, &ks, p, &pl, &rep), DS_DEC_OK);
            free(p);
        } else {
            ck_assert_msg(cut == 0 || err[0], "cut at %zu: no reason", cut);
        }
        free(copy);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agree");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30); /* many ECDH and ECDSA runs under the sanitizers */
    tcase_add_test(tc, kdf_rfc7518_appendix_c);
    tcase_add_test(tc, kdf_green_book_c2);
    tcase_add_test(tc, kdf_blocks_and_sha384);
    tcase_add_test(tc, ecdh_cavs);
    tcase_add_test(tc, ecdh_refuses);
    tcase_add_test(tc, one_pass_suite1);
    tcase_add_test(tc, one_pass_suite2);
    tcase_add_test(tc, static_unified);
    tcase_add_test(tc, failures);
    tcase_add_test(tc, damaged_vectors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
