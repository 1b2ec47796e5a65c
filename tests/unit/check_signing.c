/* general-signing (DF): field split and ECDSA verification.
 *
 * Two kinds of vectors:
 *  - fixed ones made outside this project with Python `cryptography` 48 (SHA-256 for P-256 and
 *    SHA-384 for P-384, DER signature turned into raw r||s):
 *    PY_* with private scalar 0x1234567890ABCDEF1122334455667788, signed from DF through the
 *    content (the with-tag reading);
 *    GS_* copied from testdata/security/gs-*.hex, made by make-general-signing.py there (RFC 6979
 *    signatures, keys listed in the script), signed under the Gurux and with-length readings;
 *  - ones built here around the same content with keys from mbedtls_ecdsa_genkey and a
 *    CTR-DRBG seeded with constant bytes, so every run signs the same way, one per reading.
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
#define CONTENT_FIELD_AT 30u /* 1 + 27 + 1 + 1: the content's length byte */
#define CONTENT_OFFSET 31u   /* after the content's length byte */

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

/* testdata/security/gs-gurux.hex, gs-gurux-suite2.hex, gs-with-length.hex and the originator's
 * signing keys (SIGN256, SIGN384 in tests/e2e/security.sh) */
static const char GS_P256_PUB[] =
    "04720594FEE9B664B7D450234B53A12B667AC96278EC9A3FFF7BD8ED067EE22630135D68100698C1584B975A7E6DCF28009392486421B73"
    "2B3CFF548DA0EE45623";
static const char GS_P384_PUB[] =
    "04197A3EBB496E62F2CBF9D3BB860561FBC54307FBB234163A07206CC7284FC482052E57DBEED651429DD3C4688965DD832411DE3367400"
    "ADC19DD151D5FEAEB74942A63641665E24CA3EC40D028214CAF829F8F0E097388EB7CFFA7D4AABEE3C1";
static const char GS_GURUX_P256_APDU[] =
    "DF080102030405060708084D4D4D0000BC614E084D4D4D0000000001000020C81E3001234567411312FF935A47566827C467BC7D825C3BE4"
    "A77C3FCC056B6B40FC67BE78EE82F3FABD2455DDB6EDB910DDA9EF5FF6A62F14EF7ABB3D773215F6FF081202AF4EF35AF96AA37EFEF4A395"
    "60A3EC84E1552DF42C82AE9455E1E95E";
static const char GS_GURUX_P384_APDU[] =
    "DF080102030405060708084D4D4D0000BC614E084D4D4D0000000001000020C81E3001234567411312FF935A47566827C467BC7D825C3BE4"
    "A77C3FCC056B6B60A1A88BDA27685ED2DB8A57F93A797A6B8066A986BBAE5752158FDF3168F9DA52378DB949B7027F4DF5A5156157797036"
    "86FD527CDBBEB4E7002A815B96668BFC42CDA54AA58562282366F05823223F72835BEDA329CA896522F50503EA58A8D1";
static const char GS_WITH_LENGTH_P256_APDU[] =
    "DF080102030405060708084D4D4D0000BC614E084D4D4D0000000001000020C81E3001234567411312FF935A47566827C467BC7D825C3BE4"
    "A77C3FCC056B6B407E411F04C5E4A27DBDA20EA0F183092B74CF866623E279B8E1F47A39992AC8D0A40DAA72EE6682FCC38CB573D104D0F0"
    "60481A816AAB03FF1EF4222134B9435C";

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

/* The bytes a reading signs, cut from an APDU built by build_span, whose content's length field
 * starts at content_field_at and whose content ends at span. Written from the layout, apart
 * from signing.c, so a slip there shows up here. */
static size_t signed_bytes(ds_signed_reading reading, const uint8_t *apdu, size_t span, size_t content_field_at,
                           const uint8_t *content, size_t content_len, uint8_t *out)
{
    size_t n = 0;
    switch (reading) {
    case DS_SIGNED_GURUX: /* header after the tag, then the content without its length */
        memcpy(out, apdu + 1, content_field_at - 1);
        n = content_field_at - 1;
        if (content_len)
            memcpy(out + n, content, content_len);
        return n + content_len;
    case DS_SIGNED_WITH_LENGTH:
        memcpy(out, apdu + 1, span - 1);
        return span - 1;
    case DS_SIGNED_WITH_TAG:
        memcpy(out, apdu, span);
        return span;
    case DS_SIGNED_CONTENT_ONLY:
        if (content_len)
            memcpy(out, content, content_len);
        return content_len;
    case DS_SIGNED_NONE:
    default: ck_abort_msg("no such reading"); return 0;
    }
}

/* A complete DF APDU around content, signed under the given reading. */
static size_t build_signed(signer *sg, const uint8_t *content, size_t content_len, ds_signed_reading reading,
                           uint8_t *out)
{
    uint8_t sig[96], tbs[512];
    size_t span = build_span(out, content, content_len);
    size_t field_at = span - content_len - (content_len < 0x80 ? 1 : content_len < 0x100 ? 2 : 3);
    size_t n = signed_bytes(reading, out, span, field_at, content, content_len, tbs);
    size_t sig_len = sign_raw(sg, tbs, n, sig);
    return put_field(out, span, sig, sig_len);
}

static const ds_signed_reading ALL_READINGS[] = {DS_SIGNED_GURUX, DS_SIGNED_WITH_LENGTH, DS_SIGNED_WITH_TAG,
                                                 DS_SIGNED_CONTENT_ONLY};

/* the Green Book glo-get-request content; out holds at least 64 bytes */
static size_t glo_get_request(uint8_t *out) { return test_unhex(CONTENT_HEX, out, 64); }

/* parse + verify in one step; the parse must succeed */
static int verify_apdu(const uint8_t *apdu, size_t n, const uint8_t *pub, size_t pub_len,
                       ds_signed_reading *reading, char *err, size_t errlen)
{
    ds_signed s;
    char perr[160] = "";
    ck_assert_msg(ds_signed_parse(apdu, n, &s, perr, sizeof perr) == 0, "parse failed: %s", perr);
    return ds_signed_verify(apdu, &s, pub, pub_len, reading, err, errlen);
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
    ck_assert_uint_eq(s.content_field_at, CONTENT_FIELD_AT);
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
    ck_assert_uint_eq(s.content_field_at, CONTENT_FIELD_AT);
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

    apdu[CONTENT_FIELD_AT] = 0x7F; /* content longer than the rest of the APDU (97 bytes) */
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "content"));
    ck_assert_ptr_nonnull(strstr(err, "offset 30"));
    apdu[CONTENT_FIELD_AT] = 0x20;

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

/* parse + verify of a hex vector; returns verify's result */
static int verify_hex(const char *apdu_hex, const char *pub_hex, ds_signed_reading *reading, char *err,
                      size_t errlen)
{
    uint8_t apdu[256], pub[97];
    size_t n = test_unhex(apdu_hex, apdu, sizeof apdu);
    size_t pub_len = test_unhex(pub_hex, pub, sizeof pub);
    return verify_apdu(apdu, n, pub, pub_len, reading, err, errlen);
}

START_TEST(python_gurux_vectors_verify)
{
    char err[160] = "";
    ds_signed_reading reading = DS_SIGNED_NONE;
    ck_assert_int_eq(verify_hex(GS_GURUX_P256_APDU, GS_P256_PUB, &reading, err, sizeof err), 0);
    ck_assert_int_eq(reading, DS_SIGNED_GURUX);
    ck_assert_ptr_nonnull(strstr(err, "P-256"));
    ck_assert_ptr_nonnull(strstr(err, "(Gurux)"));

    reading = DS_SIGNED_NONE;
    ck_assert_int_eq(verify_hex(GS_GURUX_P384_APDU, GS_P384_PUB, &reading, err, sizeof err), 0);
    ck_assert_int_eq(reading, DS_SIGNED_GURUX);
    ck_assert_ptr_nonnull(strstr(err, "P-384"));
}
END_TEST

START_TEST(python_with_length_vector_verifies)
{
    char err[160] = "";
    ds_signed_reading reading = DS_SIGNED_NONE;
    ck_assert_int_eq(verify_hex(GS_WITH_LENGTH_P256_APDU, GS_P256_PUB, &reading, err, sizeof err), 0);
    ck_assert_int_eq(reading, DS_SIGNED_WITH_LENGTH);
    ck_assert_ptr_nonnull(strstr(err, "its length included"));
}
END_TEST

/* the with-tag vectors made before the Gurux reading was known: still recognised, as with-tag */
START_TEST(python_with_tag_vectors_verify)
{
    char err[160] = "";
    ds_signed_reading reading = DS_SIGNED_NONE;
    ck_assert_int_eq(verify_hex(PY_P256_APDU, PY_P256_PUB, &reading, err, sizeof err), 0);
    ck_assert_int_eq(reading, DS_SIGNED_WITH_TAG);
    ck_assert_ptr_nonnull(strstr(err, "P-256"));
    ck_assert_ptr_nonnull(strstr(err, "from the tag"));

    reading = DS_SIGNED_NONE;
    ck_assert_int_eq(verify_hex(PY_P384_APDU, PY_P384_PUB, &reading, err, sizeof err), 0);
    ck_assert_int_eq(reading, DS_SIGNED_WITH_TAG);
    ck_assert_ptr_nonnull(strstr(err, "P-384"));
}
END_TEST

/* Every byte whose change keeps the layout intact (field contents and the signature) breaks the
 * signature under every reading: nothing else happens to verify. */
static void check_every_flip_fails(const char *apdu_hex, const char *pub_hex)
{
    uint8_t apdu[256], pub[97];
    size_t n = test_unhex(apdu_hex, apdu, sizeof apdu);
    size_t pub_len = test_unhex(pub_hex, pub, sizeof pub);
    char err[160] = "";
    ds_signed_reading reading = DS_SIGNED_GURUX;
    for (size_t i = 0; i < n; i++) {
        int is_length = i == 1 || i == 10 || i == 19 || i == 28 || i == 29 || i == CONTENT_FIELD_AT ||
                        i == EXPECTED_SIGNED_LEN;
        if (i == 0 || is_length)
            continue;
        apdu[i] ^= 0x01;
        ck_assert_msg(verify_apdu(apdu, n, pub, pub_len, &reading, err, sizeof err) == 1, "flip at %zu", i);
        ck_assert_int_eq(reading, DS_SIGNED_NONE);
        apdu[i] ^= 0x01;
    }
    ck_assert_ptr_nonnull(strstr(err, "does not verify over any reading"));
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &reading, err, sizeof err), 0); /* restored */
}

START_TEST(python_gurux_vector_with_flipped_bytes_fails) { check_every_flip_fails(GS_GURUX_P256_APDU, GS_P256_PUB); }
END_TEST

START_TEST(python_vector_with_flipped_bytes_fails) { check_every_flip_fails(PY_P256_APDU, PY_P256_PUB); }
END_TEST

/* ---- verification: vectors signed here -------------------------------------------------------- */

/* One reading signed here: recognised as that reading (no earlier one verifies by accident), and
 * a change inside what it signs breaks it, while a header byte outside it (content-only) does not. */
static void check_roundtrip(int p384, ds_signed_reading signed_as)
{
    signer sg;
    signer_init(&sg, p384, 1);
    uint8_t content[64], apdu[256];
    size_t content_len = glo_get_request(content);
    size_t n = build_signed(&sg, content, content_len, signed_as, apdu);
    ck_assert_uint_eq(n, EXPECTED_SIGNED_LEN + 1 + (p384 ? 96u : 64u));
    ds_signed_reading reading = DS_SIGNED_NONE;
    char err[160] = "";
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, err, sizeof err), 0);
    ck_assert_int_eq(reading, signed_as);

    apdu[CONTENT_OFFSET + 5] ^= 0x80; /* one content byte: signed under every reading */
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, err, sizeof err), 1);
    ck_assert_int_eq(reading, DS_SIGNED_NONE);
    apdu[CONTENT_OFFSET + 5] ^= 0x80;
    apdu[n - 1] ^= 0x01; /* last byte of s */
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, err, sizeof err), 1);
    apdu[n - 1] ^= 0x01;
    apdu[EXPECTED_SIGNED_LEN + 1] ^= 0x01; /* first byte of r */
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, err, sizeof err), 1);
    apdu[EXPECTED_SIGNED_LEN + 1] ^= 0x01;

    apdu[12] ^= 0x01; /* originator title: signed unless only the content is */
    int want = signed_as == DS_SIGNED_CONTENT_ONLY ? 0 : 1;
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, err, sizeof err), want);
    ck_assert_int_eq(reading, want == 0 ? signed_as : DS_SIGNED_NONE);
    apdu[12] ^= 0x01;
    ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, err, sizeof err), 0);
    signer_free(&sg);
}

START_TEST(p256_every_reading_signed_here)
{
    for (size_t i = 0; i < sizeof ALL_READINGS / sizeof ALL_READINGS[0]; i++)
        check_roundtrip(0, ALL_READINGS[i]);
}
END_TEST

START_TEST(p384_every_reading_signed_here)
{
    for (size_t i = 0; i < sizeof ALL_READINGS / sizeof ALL_READINGS[0]; i++)
        check_roundtrip(1, ALL_READINGS[i]);
}
END_TEST

/* a longer content, so the content's length takes two bytes (81 C8) that the Gurux reading skips */
START_TEST(long_form_content_length_every_reading)
{
    signer sg;
    signer_init(&sg, 0, 5);
    uint8_t content[200], apdu[512];
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < sizeof ALL_READINGS / sizeof ALL_READINGS[0]; i++) {
        size_t n = build_signed(&sg, content, sizeof content, ALL_READINGS[i], apdu);
        ck_assert_uint_eq(apdu[CONTENT_FIELD_AT], 0x81);
        ds_signed_reading reading = DS_SIGNED_NONE;
        ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, NULL, 0), 0);
        ck_assert_int_eq(reading, ALL_READINGS[i]);
    }
    signer_free(&sg);
}
END_TEST

START_TEST(wrong_public_key_does_not_verify)
{
    for (int p384 = 0; p384 <= 1; p384++) {
        signer a, b;
        signer_init(&a, p384, 1);
        signer_init(&b, p384, 2);
        ck_assert_mem_ne(a.pub, b.pub, a.pub_len);
        uint8_t content[64], apdu[256];
        size_t n = build_signed(&a, content, glo_get_request(content), DS_SIGNED_GURUX, apdu);
        ds_signed_reading reading = DS_SIGNED_GURUX;
        char err[160] = "";
        ck_assert_int_eq(verify_apdu(apdu, n, b.pub, b.pub_len, &reading, err, sizeof err), 1);
        ck_assert_int_eq(reading, DS_SIGNED_NONE);
        ck_assert_int_eq(verify_apdu(apdu, n, a.pub, a.pub_len, &reading, err, sizeof err), 0);
        ck_assert_int_eq(reading, DS_SIGNED_GURUX);
        signer_free(&a);
        signer_free(&b);
    }
}
END_TEST

START_TEST(empty_content_verifies)
{
    signer sg;
    signer_init(&sg, 0, 4);
    uint8_t apdu[256];
    for (size_t i = 0; i < sizeof ALL_READINGS / sizeof ALL_READINGS[0]; i++) {
        size_t n = build_signed(&sg, NULL, 0, ALL_READINGS[i], apdu);
        ck_assert_uint_eq(n, 31u + 1 + 64);
        ds_signed_reading reading = DS_SIGNED_NONE;
        ck_assert_int_eq(verify_apdu(apdu, n, sg.pub, sg.pub_len, &reading, NULL, 0), 0);
        ck_assert_int_eq(reading, ALL_READINGS[i]);
    }
    signer_free(&sg);
}
END_TEST

START_TEST(verdicts_name_every_reading)
{
    ck_assert_str_eq(ds_signed_verdict(DS_SIGNED_GURUX), "verified");
    ck_assert_str_eq(ds_signed_verdict(DS_SIGNED_WITH_LENGTH), "with-length");
    ck_assert_str_eq(ds_signed_verdict(DS_SIGNED_WITH_TAG), "with-tag");
    ck_assert_str_eq(ds_signed_verdict(DS_SIGNED_CONTENT_ONLY), "content-only");
    ck_assert_ptr_null(ds_signed_verdict(DS_SIGNED_NONE));
    ck_assert_ptr_null(ds_signed_verdict((ds_signed_reading)99));
}
END_TEST

/* ---- cannot check ------------------------------------------------------------------------------ */

START_TEST(unusable_public_keys_cannot_check)
{
    uint8_t apdu[256], pub[97];
    size_t n = test_unhex(PY_P256_APDU, apdu, sizeof apdu);
    size_t pub_len = test_unhex(PY_P256_PUB, pub, sizeof pub);
    ds_signed_reading reading = DS_SIGNED_GURUX;
    char err[160] = "";

    ck_assert_int_eq(verify_apdu(apdu, n, pub, 64, &reading, err, sizeof err), -1); /* no prefix */
    ck_assert_ptr_nonnull(strstr(err, "64 bytes"));
    ck_assert_int_eq(reading, DS_SIGNED_NONE);
    ck_assert_int_eq(verify_apdu(apdu, n, pub, 33, &reading, err, sizeof err), -1); /* compressed size */
    ck_assert_int_eq(verify_apdu(apdu, n, NULL, 65, &reading, err, sizeof err), -1);

    pub[0] = 0x02;
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &reading, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "0x02"));
    pub[0] = 0x04;

    pub[64] ^= 0x01; /* Y changed: no longer on the curve */
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &reading, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a point on P-256"));
    pub[64] ^= 0x01;

    memset(pub + 1, 0xFF, 32); /* X >= p */
    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &reading, err, sizeof err), -1);
    test_unhex(PY_P256_PUB, pub, sizeof pub);

    /* a P-384 key for a 64-byte signature: the suites do not match */
    uint8_t pub384[97];
    size_t pub384_len = test_unhex(PY_P384_PUB, pub384, sizeof pub384);
    ck_assert_int_eq(verify_apdu(apdu, n, pub384, pub384_len, &reading, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "96-byte"));
    ck_assert_int_eq(reading, DS_SIGNED_NONE);

    ck_assert_int_eq(verify_apdu(apdu, n, pub, pub_len, &reading, err, sizeof err), 0); /* restored */
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
    ds_signed_reading reading = DS_SIGNED_GURUX;
    ck_assert_int_eq(ds_signed_verify(apdu, &s, pub, pub_len, &reading, err, sizeof err), -1);
    ck_assert_int_eq(reading, DS_SIGNED_NONE);
    ck_assert_int_eq(ds_signed_verify(apdu, NULL, pub, pub_len, NULL, err, sizeof err), -1);
}
END_TEST

/* offsets that ds_signed_parse cannot produce are refused before any span is cut from them */
START_TEST(inconsistent_offsets_cannot_check)
{
    uint8_t apdu[256], pub[97];
    size_t n = test_unhex(GS_GURUX_P256_APDU, apdu, sizeof apdu);
    size_t pub_len = test_unhex(GS_P256_PUB, pub, sizeof pub);
    ds_signed s, bad;
    ck_assert_int_eq(ds_signed_parse(apdu, n, &s, NULL, 0), 0);
    ck_assert_uint_eq(s.content_field_at, CONTENT_FIELD_AT);
    char err[160] = "";

    bad = s;
    bad.content_field_at = 0; /* would put the Gurux span before the tag */
    ck_assert_int_eq(ds_signed_verify(apdu, &bad, pub, pub_len, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no parsed APDU"));
    bad = s;
    bad.content_field_at = s.signed_len + 1;
    ck_assert_int_eq(ds_signed_verify(apdu, &bad, pub, pub_len, NULL, err, sizeof err), -1);
    bad = s;
    bad.content_len = s.signed_len; /* more content than fits after its length */
    ck_assert_int_eq(ds_signed_verify(apdu, &bad, pub, pub_len, NULL, err, sizeof err), -1);

    ck_assert_int_eq(ds_signed_verify(apdu, &s, pub, pub_len, NULL, err, sizeof err), 0);
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
    tcase_add_test(verify, python_gurux_vectors_verify);
    tcase_add_test(verify, python_with_length_vector_verifies);
    tcase_add_test(verify, python_with_tag_vectors_verify);
    tcase_add_test(verify, python_gurux_vector_with_flipped_bytes_fails);
    tcase_add_test(verify, python_vector_with_flipped_bytes_fails);
    tcase_add_test(verify, p256_every_reading_signed_here);
    tcase_add_test(verify, p384_every_reading_signed_here);
    tcase_add_test(verify, long_form_content_length_every_reading);
    tcase_add_test(verify, wrong_public_key_does_not_verify);
    tcase_add_test(verify, empty_content_verifies);
    tcase_add_test(verify, verdicts_name_every_reading);
    tcase_add_test(verify, unusable_public_keys_cannot_check);
    tcase_add_test(verify, zero_signature_does_not_verify);
    tcase_add_test(verify, unparsed_apdu_cannot_check);
    tcase_add_test(verify, inconsistent_offsets_cannot_check);
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
