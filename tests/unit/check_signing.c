/* general-signing (DF): field split and ECDSA verification.
 *
 * Two kinds of vectors:
 *  - fixed ones (PY_*) made outside this project with Python `cryptography` 48 (private scalar
 *    0x1234567890ABCDEF1122334455667788, ECDSA over the APDU from DF through the content, SHA-256
 *    for P-256 and SHA-384 for P-384, DER signature turned into raw r||s);
 *  - ones built here around the same content with keys from mbedtls_ecdsa_genkey and a
 *    CTR-DRBG seeded with constant bytes, so every run signs the same way.
 * The content is the SEC-GB-glo-get-request APDU of testdata/corpus. Field offsets and lengths
 * below are counted by hand from the layout in REFERENCE.md 6.3. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "security/signing.h"
#include "test_hex.h"

static const char CONTENT_HEX[] = "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B";
static const uint8_t TRANSACTION_ID[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t TITLE_C[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t TITLE_S[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};

/* DF, 3 x (1 + 8), date-time 00, other-information 00, content 20 + 32 bytes */
#define EXPECTED_SIGNED_LEN 63u
#define CONTENT_OFFSET 31u /* 1 + 27 + 1 + 1 + the content's length byte */

static const char PY_P256_PUB[] =
    "04F9EBEDCEB69AB0A5223A04F7055404405E66B073E2929FB798A4A9A96B26ECEA00AA2EE7CA58381EB1E2CE699604B38B1F693B30C5647"
    "49E4D9142AB3B8F06C6";
static const char PY_P256_APDU[] =
    "DF080102030405060708084D4D4D0000000001084D4D4D0000BC614E000020C81E3001234567411312FF935A47566827C467BC7D825C3BE4"
    "A77C3FCC056B6B40BB15FD9FA1E94A4613D15123C5229CAA0DC1B9AA889AD382160452A5B8B6BC0DA4D2093821C1ECE9D337150626CF263F"
    "9172755B7EB823613E96BC510640DFF5";
static const char PY_P384_PUB[] =
    "0448E7E6129D6E2AD7E8B34BEC4DFEE56EE7DB0B3A3D23786B05274033366DB0E6EF4290481DCB4C4C6CC487FC95C8BDA695E4F83C2795F"
    "E2528C524C23FB942ECA085A9BF815FFA27D95B77BEAB1867FB7087C5F1B55A92449A1C51929E433968";
static const char PY_P384_APDU[] =
    "DF080102030405060708084D4D4D0000000001084D4D4D0000BC614E000020C81E3001234567411312FF935A47566827C467BC7D825C3BE4"
    "A77C3FCC056B6B6050449928C6E80F1AAF67DA468317C72727FB630FD25066663A50ADB16216E4120DD3DF82FD5F3663B967C7326EB54AF0"
    "BA00D9A9B3B6DB6186CF8D3D71E567F2ADC6F6AF7570E21E75060339F4D02D18F1E13A5FA3A1E5F0007C06BD1CF02B89";

/* ---- building APDUs --------------------------------------------------------------------------- */

static size_t put_field(uint8_t *out, size_t at, const uint8_t *p, size_t n)
{
    if (n < 0x80) {
        out[at++] = (uint8_t)n;
    } else if (n < 0x100) {
        out[at++] = 0x81;
        out[at++] = (uint8_t)n;
    } else {
        out[at++] = 0x82;
        out[at++] = (uint8_t)(n >> 8);
        out[at++] = (uint8_t)n;
    }
    if (n)
        memcpy(out + at, p, n);
    return at + n;
}

/* DF header fields and the content; returns the length of the signed span */
static size_t build_span(uint8_t *out, const uint8_t *content, size_t content_len)
{
    size_t at = 0;
    out[at++] = 0xDF;
    at = put_field(out, at, TRANSACTION_ID, sizeof TRANSACTION_ID);
    at = put_field(out, at, TITLE_C, sizeof TITLE_C);
    at = put_field(out, at, TITLE_S, sizeof TITLE_S);
    at = put_field(out, at, NULL, 0); /* date-time absent */
    at = put_field(out, at, NULL, 0); /* other-information absent */
    return put_field(out, at, content, content_len);
}

/* ---- deterministic keys and signatures ------------------------------------------------------ */

typedef struct signer {
    mbedtls_ecdsa_context key;
    mbedtls_ctr_drbg_context drbg;
    int p384;
    uint8_t pub[97];
    size_t pub_len;
} signer;

static int constant_entropy(void *ctx, unsigned char *out, size_t len)
{
    unsigned char fill = *(const unsigned char *)ctx;
    memset(out, fill, len);
    return 0;
}

static void signer_init(signer *sg, int p384, unsigned char seed)
{
    static unsigned char seeds[256];
    static const char personalization[] = "dlmscope check_signing";
    seeds[seed] = seed;
    sg->p384 = p384;
    mbedtls_ecdsa_init(&sg->key);
    mbedtls_ctr_drbg_init(&sg->drbg);
    ck_assert_int_eq(mbedtls_ctr_drbg_seed(&sg->drbg, constant_entropy, &seeds[seed],
                                           (const unsigned char *)personalization, sizeof personalization - 1),
                     0);
    ck_assert_int_eq(mbedtls_ecdsa_genkey(&sg->key, p384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1,
                                          mbedtls_ctr_drbg_random, &sg->drbg),
                     0);
    ck_assert_int_eq(mbedtls_ecp_point_write_binary(&sg->key.grp, &sg->key.Q, MBEDTLS_ECP_PF_UNCOMPRESSED,
                                                    &sg->pub_len, sg->pub, sizeof sg->pub),
                     0);
    ck_assert_uint_eq(sg->pub_len, p384 ? 97u : 65u);
}

static void signer_free(signer *sg)
{
    mbedtls_ecdsa_free(&sg->key);
    mbedtls_ctr_drbg_free(&sg->drbg);
}

/* raw r||s over data with the suite's hash; returns the signature length */
static size_t sign_raw(signer *sg, const uint8_t *data, size_t len, uint8_t *sig)
{
    uint8_t hash[64]; /* mbedtls_sha512_ret's output is declared as 64 bytes */
    size_t hash_len = sg->p384 ? 48 : 32;
    size_t coord = sg->p384 ? 48 : 32;
    if (sg->p384)
        ck_assert_int_eq(mbedtls_sha512_ret(data, len, hash, 1), 0);
    else
        ck_assert_int_eq(mbedtls_sha256_ret(data, len, hash, 0), 0);
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    ck_assert_int_eq(mbedtls_ecdsa_sign(&sg->key.grp, &r, &s, &sg->key.d, hash, hash_len, mbedtls_ctr_drbg_random,
                                        &sg->drbg),
                     0);
    ck_assert_int_eq(mbedtls_mpi_write_binary(&r, sig, coord), 0);
    ck_assert_int_eq(mbedtls_mpi_write_binary(&s, sig + coord, coord), 0);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return 2 * coord;
}

/* A complete DF APDU around content; content_only selects the fallback reading. */
static size_t build_signed(signer *sg, const uint8_t *content, size_t content_len, int content_only, uint8_t *out)
{
    uint8_t sig[96];
    size_t span = build_span(out, content, content_len);
    size_t sig_len = content_only ? sign_raw(sg, content, content_len, sig) : sign_raw(sg, out, span, sig);
    return put_field(out, span, sig, sig_len);
}

/* the Green Book glo-get-request content; out holds at least 64 bytes */
static size_t glo_get_request(uint8_t *out) { return test_unhex(CONTENT_HEX, out, 64); }

/* parse + verify in one step; the parse must succeed */
static int verify_apdu(const uint8_t *apdu, size_t n, const uint8_t *pub, size_t pub_len, int *content_only,
                       char *err, size_t errlen)
{
    ds_signed s;
    char perr[160] = "";
    ck_assert_msg(ds_signed_parse(apdu, n, &s, perr, sizeof perr) == 0, "parse failed: %s", perr);
    return ds_signed_verify(apdu, &s, pub, pub_len, content_only, err, errlen);
}

/* ---- parsing ---------------------------------------------------------------------------------- */

START_TEST(parse_splits_every_field)
{
    uint8_t apdu[256];
    size_t n = test_unhex(PY_P256_APDU, apdu, sizeof apdu);
    ck_assert_uint_eq(n, 128u); /* 63 signed + 40 + 64 */
    ds_signed s;
    char err[160] = "";
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), 0);
    ck_assert_ptr_eq(s.transaction_id, apdu + 2);
    ck_assert_uint_eq(s.transaction_id_len, 8);
    ck_assert_ptr_eq(s.originator, apdu + 11);
    ck_assert_uint_eq(s.originator_len, 8);
    ck_assert_mem_eq(s.originator, TITLE_C, 8);
    ck_assert_ptr_eq(s.recipient, apdu + 20);
    ck_assert_mem_eq(s.recipient, TITLE_S, 8);
    ck_assert_uint_eq(s.date_time_len, 0);
    ck_assert_uint_eq(s.other_len, 0);
    ck_assert_ptr_eq(s.content, apdu + CONTENT_OFFSET);
    ck_assert_uint_eq(s.content_len, 32);
    ck_assert_uint_eq(s.content[0], 0xC8);
    ck_assert_uint_eq(s.signed_len, EXPECTED_SIGNED_LEN);
    ck_assert_ptr_eq(s.signature, apdu + 64);
    ck_assert_uint_eq(s.signature_len, 64);
    ck_assert_uint_eq(s.apdu_len, 128);
}
END_TEST

START_TEST(parse_long_form_lengths_and_trailing_bytes)
{
    uint8_t content[200], apdu[512];
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (uint8_t)i;
    size_t span = build_span(apdu, content, sizeof content);
    /* content length written as 81 C8: 1 + 27 + 2 + 2 + 200 */
    ck_assert_uint_eq(span, 232u);
    uint8_t sig[64];
    memset(sig, 0x11, sizeof sig);
    size_t n = put_field(apdu, span, sig, sizeof sig);
    apdu[n++] = 0xAA; /* a byte after the APDU: not part of it, not an error */
    ds_signed s;
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, NULL, 0), 0);
    ck_assert_uint_eq(s.content_len, 200);
    ck_assert_ptr_eq(s.content, apdu + 32);
    ck_assert_uint_eq(s.signed_len, 232);
    ck_assert_uint_eq(s.apdu_len, n - 1);
}
END_TEST

START_TEST(parse_rejects_every_truncation)
{
    uint8_t apdu[256];
    size_t n = test_unhex(PY_P384_APDU, apdu, sizeof apdu);
    ck_assert_uint_eq(n, 160u);
    for (size_t cut = 0; cut < n; cut++) {
        /* an exactly-sized copy, so ASan sees any read past the end */
        uint8_t *copy = malloc(cut ? cut : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, apdu, cut);
        ds_signed s;
        char err[160] = "";
        ck_assert_msg(ds_signed_parse(copy, cut, &s, err, sizeof err) == -1, "cut at %zu parsed", cut);
        ck_assert_msg(cut == 0 || err[0] != 0, "cut at %zu: no reason given", cut);
        ck_assert_uint_eq(s.signed_len, 0); /* nothing half-filled is left behind */
        free(copy);
    }
}
END_TEST

START_TEST(parse_rejects_lying_and_invalid_lengths)
{
    uint8_t apdu[256];
    size_t n = test_unhex(PY_P256_APDU, apdu, sizeof apdu);
    ds_signed s;
    char err[160] = "";

    apdu[0] = 0xDE; /* not general-signing */
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "tag"));
    apdu[0] = 0xDF;

    apdu[CONTENT_OFFSET - 1] = 0x7F; /* content longer than the rest of the APDU (97 bytes) */
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "content"));
    ck_assert_ptr_nonnull(strstr(err, "offset 30"));
    apdu[CONTENT_OFFSET - 1] = 0x20;

    apdu[EXPECTED_SIGNED_LEN] = 0x41; /* signature one byte longer than what is left */
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "signature"));
    apdu[EXPECTED_SIGNED_LEN] = 0x40;

    apdu[1] = 0x80; /* indefinite length */
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "invalid length"));
    apdu[1] = 0x85; /* five length bytes */
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), -1);
    apdu[1] = 0x84; /* four length bytes saying 0x01020304 */
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), -1);
    apdu[1] = 0x08;

    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), 0); /* restored: parses again */
}
END_TEST

/* ---- verification: independent vectors -------------------------------------------------------- */

START_TEST(python_vectors_verify)
{
    uint8_t apdu[256], pub[97];
    char err[160] = "";
    int content_only = -1;
    size_t n = test_unhex(PY_P256_APDU, apdu, sizeof apdu);
    size_t pub_len = test_unhex(PY_P256_PUB, pub, sizeof pub);
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &content_only, err, sizeof err), 0);
    ck_assert_int_eq(content_only, 0);
    ck_assert_ptr_nonnull(strstr(err, "P-256"));

    n = test_unhex(PY_P384_APDU, apdu, sizeof apdu);
    pub_len = test_unhex(PY_P384_PUB, pub, sizeof pub);
    content_only = -1;
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &content_only, err, sizeof err), 0);
    ck_assert_int_eq(content_only, 0);
    ck_assert_ptr_nonnull(strstr(err, "P-384"));
}
END_TEST

START_TEST(python_vector_with_flipped_bytes_fails)
{
    uint8_t apdu[256], pub[97];
    size_t n = test_unhex(PY_P256_APDU, apdu, sizeof apdu);
    size_t pub_len = test_unhex(PY_P256_PUB, pub, sizeof pub);
    char err[160] = "";
    int content_only = -1;
    /* every byte whose change keeps the layout intact: field contents and the signature */
    for (size_t i = 0; i < n; i++) {
        int is_length = i == 1 || i == 10 || i == 19 || i == 28 || i == 29 || i == 30 || i == 63;
        if (i == 0 || is_length)
            continue;
        apdu[i] ^= 0x01;
        ck_assert_msg(verify_apdu(apdu, n, pub, pub_len, &content_only, err, sizeof err) == 1, "flip at %zu", i);
        ck_assert_int_eq(content_only, 0);
        apdu[i] ^= 0x01;
    }
    ck_assert_ptr_nonnull(strstr(err, "does not verify"));
}
END_TEST

/* ---- verification: vectors signed here -------------------------------------------------------- */

static void check_roundtrip(int p384)
{
    signer sg;
    signer_init(&sg, p384, 1);
    uint8_t content[64], apdu[256];
    size_t content_len = glo_get_request(content);
    size_t n = build_signed(&sg, content, content_len, 0, apdu);
    ck_assert_uint_eq(n, EXPECTED_SIGNED_LEN + 1 + (p384 ? 96u : 64u));
    int content_only = -1;
    char err[160] = "";
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 0);
    ck_assert_int_eq(content_only, 0);

    apdu[CONTENT_OFFSET + 5] ^= 0x80; /* one content byte */
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 1);
    apdu[CONTENT_OFFSET + 5] ^= 0x80;
    apdu[n - 1] ^= 0x01; /* last byte of s */
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 1);
    apdu[n - 1] ^= 0x01;
    apdu[EXPECTED_SIGNED_LEN + 1] ^= 0x01; /* first byte of r */
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 1);
    apdu[EXPECTED_SIGNED_LEN + 1] ^= 0x01;
    apdu[12] ^= 0x01; /* originator title: signed in the primary reading */
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 1);
    apdu[12] ^= 0x01;
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 0);
    signer_free(&sg);
}

START_TEST(p256_signed_here_verifies_and_detects_changes) { check_roundtrip(0); }
END_TEST

START_TEST(p384_signed_here_verifies_and_detects_changes) { check_roundtrip(1); }
END_TEST

START_TEST(wrong_public_key_does_not_verify)
{
    for (int p384 = 0; p384 <= 1; p384++) {
        signer a, b;
        signer_init(&a, p384, 1);
        signer_init(&b, p384, 2);
        ck_assert_mem_ne(a.pub, b.pub, a.pub_len);
        uint8_t content[64], apdu[256];
        size_t n = build_signed(&a, content, glo_get_request(content), 0, apdu);
        int content_only = -1;
        char err[160] = "";
        ck_assert_int_eq(verify_apdu(apdu, n, b.pub, b.pub_len, &content_only, err, sizeof err), 1);
        ck_assert_int_eq(content_only, 0);
        ck_assert_int_eq(verify_apdu(apdu, n, a.pub, a.pub_len, &content_only, err, sizeof err), 0);
        signer_free(&a);
        signer_free(&b);
    }
}
END_TEST

START_TEST(content_only_signature_is_recognised)
{
    for (int p384 = 0; p384 <= 1; p384++) {
        signer sg;
        signer_init(&sg, p384, 3);
        uint8_t content[64], apdu[256];
        size_t content_len = glo_get_request(content);
        size_t n = build_signed(&sg, content, content_len, 1, apdu);
        int content_only = -1;
        char err[160] = "";
        ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 0);
        ck_assert_int_eq(content_only, 1);
        ck_assert_ptr_nonnull(strstr(err, "content only"));

        /* a header byte is outside this reading's span, a content byte is not */
        apdu[3] ^= 0x01;
        ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 0);
        ck_assert_int_eq(content_only, 1);
        apdu[3] ^= 0x01;
        apdu[CONTENT_OFFSET] ^= 0x01;
        ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, err, sizeof err), 1);
        ck_assert_int_eq(content_only, 0);
        signer_free(&sg);
    }
}
END_TEST

START_TEST(empty_content_verifies)
{
    signer sg;
    signer_init(&sg, 0, 4);
    uint8_t apdu[256];
    size_t n = build_signed(&sg, NULL, 0, 0, apdu);
    ck_assert_uint_eq(n, 31u + 1 + 64);
    int content_only = -1;
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &content_only, NULL, 0), 0);
    ck_assert_int_eq(content_only, 0);
    signer_free(&sg);
}
END_TEST

/* ---- cannot check ------------------------------------------------------------------------------ */

START_TEST(unusable_public_keys_cannot_check)
{
    uint8_t apdu[256], pub[97];
    size_t n = test_unhex(PY_P256_APDU, apdu, sizeof apdu);
    size_t pub_len = test_unhex(PY_P256_PUB, pub, sizeof pub);
    int content_only = -1;
    char err[160] = "";

    ck_assert_int_eq(verify_apdu(apdu, n, pub, 64, &content_only, err, sizeof err), -1); /* no prefix */
    ck_assert_ptr_nonnull(strstr(err, "64 bytes"));
    ck_assert_int_eq(verify_apdu(apdu, n, pub, 33, &content_only, err, sizeof err), -1); /* compressed size */
    ck_assert_int_eq(verify_apdu(apdu, n, NULL, 65, &content_only, err, sizeof err), -1);

    pub[0] = 0x02;
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &content_only, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "0x02"));
    pub[0] = 0x04;

    pub[64] ^= 0x01; /* Y changed: no longer on the curve */
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &content_only, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a point on P-256"));
    pub[64] ^= 0x01;

    memset(pub + 1, 0xFF, 32); /* X >= p */
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &content_only, err, sizeof err), -1);
    test_unhex(PY_P256_PUB, pub, sizeof pub);

    /* a P-384 key for a 64-byte signature: the suites do not match */
    uint8_t pub384[97];
    size_t pub384_len = test_unhex(PY_P384_PUB, pub384, sizeof pub384);
    ck_assert_int_eq(verify_apdu(apdu, n, pub384, pub384_len, &content_only, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "96-byte"));
    ck_assert_int_eq(content_only, 0);

    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &content_only, err, sizeof err), 0); /* restored */
}
END_TEST

START_TEST(zero_signature_does_not_verify)
{
    uint8_t apdu[256], pub[97];
    size_t n = test_unhex(PY_P256_APDU, apdu, sizeof apdu);
    size_t pub_len = test_unhex(PY_P256_PUB, pub, sizeof pub);
    memset(apdu + EXPECTED_SIGNED_LEN + 1, 0, 64); /* r = s = 0 is outside [1, n-1] */
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, NULL, NULL, 0), 1);
    memset(apdu + EXPECTED_SIGNED_LEN + 1, 0xFF, 64); /* r, s >= n */
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, NULL, NULL, 0), 1);
}
END_TEST

START_TEST(unparsed_apdu_cannot_check)
{
    uint8_t pub[97];
    size_t pub_len = test_unhex(PY_P256_PUB, pub, sizeof pub);
    ds_signed s;
    memset(&s, 0, sizeof s);
    uint8_t apdu[1] = {0xDF};
    char err[160] = "";
    int content_only = -1;
    ck_assert_int_eq(ds_signed_verify(apdu, &s, pub, pub_len, &content_only, err, sizeof err), -1);
    ck_assert_int_eq(content_only, 0);
    ck_assert_int_eq(ds_signed_verify(apdu, NULL, pub, pub_len, NULL, err, sizeof err), -1);
}
END_TEST

static Suite *signing_suite(void)
{
    Suite *s = suite_create("signing");
    TCase *parse = tcase_create("parse");
    tcase_add_test(parse, parse_splits_every_field);
    tcase_add_test(parse, parse_long_form_lengths_and_trailing_bytes);
    tcase_add_test(parse, parse_rejects_every_truncation);
    tcase_add_test(parse, parse_rejects_lying_and_invalid_lengths);
    suite_add_tcase(s, parse);
    TCase *verify = tcase_create("verify");
    tcase_set_timeout(verify, 60);
    tcase_add_test(verify, python_vectors_verify);
    tcase_add_test(verify, python_vector_with_flipped_bytes_fails);
    tcase_add_test(verify, p256_signed_here_verifies_and_detects_changes);
    tcase_add_test(verify, p384_signed_here_verifies_and_detects_changes);
    tcase_add_test(verify, wrong_public_key_does_not_verify);
    tcase_add_test(verify, content_only_signature_is_recognised);
    tcase_add_test(verify, empty_content_verifies);
    tcase_add_test(verify, unusable_public_keys_cannot_check);
    tcase_add_test(verify, zero_signature_does_not_verify);
    tcase_add_test(verify, unparsed_apdu_cannot_check);
    suite_add_tcase(s, verify);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(signing_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
