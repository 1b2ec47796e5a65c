/* HLS mechanisms 2-7: expected values, verification and the diagnosis of the usual mistakes.
 *
 * Expected values: mechanism 5 from the Green Book GMAC example (testdata/corpus/README.md,
 * SEC-GB-hls-gmac-fStoC / -fCtoS); the others were computed outside this project with Python
 * hashlib / cryptography and `openssl enc -aes-128-ecb` from the formulas of REFERENCE.md 6.5.
 * Mechanism 7 signatures are made here with mbedtls directly (deterministic DRBG). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "security/hls.h"
#include "test_hex.h"

static const uint8_t STOC[8] = {0x50, 0x36, 0x77, 0x52, 0x4A, 0x32, 0x31, 0x46}; /* "P6wRJ21F" */
static const uint8_t CTOS[8] = {0x4B, 0x35, 0x36, 0x69, 0x56, 0x61, 0x67, 0x59}; /* "K56iVagY" */
static const uint8_t TITLE_C[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t TITLE_S[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
static const uint8_t SECRET[5] = {'G', 'u', 'r', 'u', 'x'};
static const uint8_t EK[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};

static ds_hls_inputs base(int mechanism)
{
    ds_hls_inputs in;
    memset(&in, 0, sizeof in);
    in.mechanism = mechanism;
    in.secret = SECRET;
    in.secret_len = sizeof SECRET;
    in.client_title = TITLE_C;
    in.server_title = TITLE_S;
    in.ctos = CTOS;
    in.ctos_len = sizeof CTOS;
    in.stoc = STOC;
    in.stoc_len = sizeof STOC;
    return in;
}

static ds_hls_inputs gmac_inputs(void)
{
    ds_hls_inputs in = base(5);
    in.secret = NULL;
    in.secret_len = 0;
    in.ek = EK;
    in.ak = AK;
    in.key_len = 16;
    in.sc = 0x10;
    return in;
}

/* verify must say 0 for want and 1 for want with one byte changed */
static void check_match_and_mismatch(const ds_hls_inputs *in, int server_side, const char *want_hex)
{
    uint8_t v[128];
    char why[160];
    size_t n = test_unhex(want_hex, v, sizeof v);
    ck_assert_int_eq(ds_hls_verify(in, server_side, v, n, why, sizeof why), 0);
    v[n - 1] ^= 0x01;
    ck_assert_int_eq(ds_hls_verify(in, server_side, v, n, why, sizeof why), 1);
    ck_assert_ptr_nonnull(strstr(why, server_side ? "f(CtoS)" : "f(StoC)"));
    ck_assert_int_eq(ds_hls_verify(in, server_side, v, n - 1, why, sizeof why), 1);
}

static void check_expected(const ds_hls_inputs *in, int server_side, uint32_t ic, const char *want_hex)
{
    uint8_t want[128], out[DS_HLS_VALUE_MAX];
    size_t n = test_unhex(want_hex, want, sizeof want), out_len = sizeof out;
    ck_assert_int_eq(ds_hls_expected(in, server_side, ic, out, &out_len), 0);
    ck_assert_uint_eq(out_len, n);
    ck_assert_mem_eq(out, want, n);
}

static void check_diagnosis_raw(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t n,
                                const ds_hls_hints *hints, const char *want_code)
{
    char why[200];
    ck_assert_int_eq(ds_hls_verify(in, server_side, got, n, why, sizeof why), 1);
    const char *code = ds_hls_diagnose(in, server_side, got, n, hints, why, sizeof why);
    ck_assert_ptr_nonnull(code);
    ck_assert_str_eq(code, want_code);
    ck_assert_uint_gt(strlen(why), 10);
}

static void check_diagnosis(const ds_hls_inputs *in, int server_side, const char *got_hex, const ds_hls_hints *hints,
                            const char *want_code)
{
    uint8_t got[128];
    size_t n = test_unhex(got_hex, got, sizeof got);
    check_diagnosis_raw(in, server_side, got, n, hints, want_code);
}

/* ---- mechanism 5: Green Book vectors ------------------------------------------------------ */

#define GB_FSTOC "10000000011A52FE7DD3E72748973C1E28"
#define GB_FCTOS "1001234567FE1466AFB3DBCD4F9389E2B7"

START_TEST(gmac_green_book_both_directions)
{
    ds_hls_inputs in = gmac_inputs();
    check_match_and_mismatch(&in, 0, GB_FSTOC);
    check_match_and_mismatch(&in, 1, GB_FCTOS);
    check_expected(&in, 0, 1, GB_FSTOC);
    check_expected(&in, 1, 0x01234567, GB_FCTOS);
    in.sc = 0; /* SC taken from the value */
    check_match_and_mismatch(&in, 0, GB_FSTOC);
    check_expected(&in, 0, 1, GB_FSTOC); /* default SC 0x10 for 16-byte keys */
}
END_TEST

START_TEST(gmac_wrong_direction_and_sc)
{
    ds_hls_inputs in = gmac_inputs();
    uint8_t v[17];
    char why[160];
    test_unhex(GB_FSTOC, v, sizeof v);
    /* the client's value checked as the server's: other title and challenge */
    ck_assert_int_eq(ds_hls_verify(&in, 1, v, sizeof v, why, sizeof why), 1);
    ck_assert_ptr_nonnull(strstr(why, "f(CtoS)"));
    /* SC byte changed: the tag covers SC, and SC itself differs */
    in.sc = 0x30;
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, sizeof v, why, sizeof why), 1);
}
END_TEST

START_TEST(gmac_suite2)
{
    static const uint8_t EK32[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                     16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    uint8_t ak32[32];
    for (int i = 0; i < 32; i++)
        ak32[i] = (uint8_t)(0xD0 + i);
    ds_hls_inputs in = gmac_inputs();
    in.ek = EK32;
    in.ak = ak32;
    in.key_len = 32;
    in.sc = 0x12;
    check_match_and_mismatch(&in, 0, "120000000502F168DA97D577DBD602863A");
}
END_TEST

START_TEST(gmac_diagnose_ic_off_by_one)
{
    ds_hls_inputs in = gmac_inputs();
    /* tag of IC 1 carried with IC 2, and of IC 0x01234567 carried with 0x01234566 */
    check_diagnosis(&in, 0, "10000000021A52FE7DD3E72748973C1E28", NULL, "ic-off-by-one");
    check_diagnosis(&in, 1, "1001234566FE1466AFB3DBCD4F9389E2B7", NULL, "ic-off-by-one");
    char why[200];
    uint8_t v[17];
    test_unhex("10000000021A52FE7DD3E72748973C1E28", v, sizeof v);
    ds_hls_diagnose(&in, 0, v, sizeof v, NULL, why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "invocation counter 00000001,"));
    /* IC off by two is not explained */
    test_unhex("10000000031A52FE7DD3E72748973C1E28", v, sizeof v);
    ck_assert_ptr_null(ds_hls_diagnose(&in, 0, v, sizeof v, NULL, why, sizeof why));
    ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(gmac_diagnose_titles_keys)
{
    ds_hls_inputs in = gmac_inputs();
    in.client_title = TITLE_S;
    in.server_title = TITLE_C;
    check_diagnosis(&in, 0, GB_FSTOC, NULL, "titles-swapped");
    check_diagnosis(&in, 1, GB_FCTOS, NULL, "titles-swapped");

    in = gmac_inputs();
    in.ek = AK;
    in.ak = EK;
    check_diagnosis(&in, 0, GB_FSTOC, NULL, "keys-swapped");

    static const uint8_t OTHER[16] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                                      0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
    in = gmac_inputs();
    in.ek = OTHER;
    ds_hls_hints h;
    memset(&h, 0, sizeof h);
    h.other_ek = EK;
    h.other_ek_len = 16;
    h.other_ek_is_dedicated = 1;
    check_diagnosis(&in, 0, GB_FSTOC, &h, "dedicated-key");
    h.other_ek_is_dedicated = 0;
    check_diagnosis(&in, 1, GB_FCTOS, &h, "global-key");
    /* without the other key nothing explains it */
    char why[200];
    uint8_t v[17];
    test_unhex(GB_FSTOC, v, sizeof v);
    ck_assert_ptr_null(ds_hls_diagnose(&in, 0, v, sizeof v, NULL, why, sizeof why));
}
END_TEST

START_TEST(gmac_diagnose_key_ascii)
{
    /* The meter's EK is the ASCII text "1111111111111111"; the user typed that text and it was
     * read as hex (8 bytes of 0x11). */
    static const uint8_t EK_AS_HEX[8] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
    ds_hls_inputs in = gmac_inputs();
    in.ek = EK_AS_HEX;
    in.key_len = 8;
    in.ak_len = 16;
    char why[200];
    uint8_t v[17];
    test_unhex("10000000011760ECFE64D59CA2604C661A", v, sizeof v);
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, sizeof v, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "encryption key of 8 bytes"));
    ds_hls_hints h;
    memset(&h, 0, sizeof h);
    h.ek_text = "1111111111111111";
    const char *code = ds_hls_diagnose(&in, 0, v, sizeof v, &h, why, sizeof why);
    ck_assert_ptr_nonnull(code);
    ck_assert_str_eq(code, "key-ascii");
    ck_assert_ptr_null(strstr(why, "1111")); /* keys are never echoed */
    /* without the text: the bytes' hex spelling is tried as ASCII */
    code = ds_hls_diagnose(&in, 0, v, sizeof v, NULL, why, sizeof why);
    ck_assert_ptr_nonnull(code);
    ck_assert_str_eq(code, "key-ascii");
    /* with the right ASCII key it verifies */
    static const uint8_t EK_ASCII[16] = "1111111111111111";
    in.ek = EK_ASCII;
    in.key_len = 16;
    in.ak_len = 0;
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, sizeof v, why, sizeof why), 0);
}
END_TEST

/* The forum case: the meter's EK is the ASCII text of the first 16 characters of the EK's hex,
 * "0001020304050607". f(StoC) computed with Python cryptography (testdata/security/
 * make-key-mistakes.py, hls-gmac-ascii-prefix.hex). */
START_TEST(gmac_diagnose_key_ascii_prefix)
{
    ds_hls_inputs in = gmac_inputs();
    ds_hls_hints h;
    memset(&h, 0, sizeof h);
    h.ek_text = "000102030405060708090A0B0C0D0E0F";
    check_diagnosis(&in, 0, "1000000001C6F24DBB8DC11B56CB8B6059", &h, "key-ascii-prefix");
    char why[200];
    uint8_t v[17];
    test_unhex("1000000001C6F24DBB8DC11B56CB8B6059", v, sizeof v);
    ck_assert_ptr_nonnull(ds_hls_diagnose(&in, 0, v, sizeof v, &h, why, sizeof why));
    ck_assert_str_eq(why, "the client's f(StoC) matches when the EK is the ASCII text of its first 16 characters, "
                          "not the hex of all 32");
}
END_TEST

/* The reverse: the user gives the ASCII codes of the EK's 32 hex digits (64 digits typed); the
 * meter uses the Green Book EK, so the Green Book f(StoC) is what it sends. */
START_TEST(gmac_diagnose_key_hex_digits)
{
    static const uint8_t EK_DIGITS[32] = "000102030405060708090A0B0C0D0E0F";
    ds_hls_inputs in = gmac_inputs();
    in.ek = EK_DIGITS;
    in.key_len = 32;
    in.ak_len = 16;
    check_diagnosis(&in, 0, GB_FSTOC, NULL, "key-hex-digits");
}
END_TEST

/* ---- mechanisms 2, 3, 4, 6 ------------------------------------------------------------------ */

START_TEST(mechanism2_aes_ecb)
{
    ds_hls_inputs in = base(2);
    check_match_and_mismatch(&in, 0, "96011EF322EF023442A5636628BFB4C3");
    check_match_and_mismatch(&in, 1, "9254E714D14262B28AD378FF64E1FB65");
    check_expected(&in, 0, 0, "96011EF322EF023442A5636628BFB4C3");
    /* a 20-byte challenge is padded to two blocks */
    uint8_t long_stoc[20];
    memcpy(long_stoc, STOC, 8);
    memcpy(long_stoc + 8, CTOS, 8);
    memcpy(long_stoc + 16, "ABCD", 4);
    in.stoc = long_stoc;
    in.stoc_len = sizeof long_stoc;
    check_match_and_mismatch(&in, 0, "1D9FE33D7F2759ADD714F5C0A3F916152246DA94C6BEC678B90DFF11A20448D0");
    /* secret longer than an AES-128 key */
    static const uint8_t LONG_SECRET[17] = "12345678901234567";
    in.secret = LONG_SECRET;
    in.secret_len = sizeof LONG_SECRET;
    char why[160];
    uint8_t v[16] = {0};
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, sizeof v, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "17 bytes"));
}
END_TEST

/* Mechanism 2 with its method set to "none": nothing computed, verified or suggested. */
START_TEST(mechanism2_method_none)
{
    static const int NOT_AES[2] = {DS_HLS_MECH2_NONE, 9}; /* an unknown value counts as none */
    uint8_t aes[16], md5[16], out[DS_HLS_VALUE_MAX];
    test_unhex("96011EF322EF023442A5636628BFB4C3", aes, sizeof aes); /* AES-ECB f(StoC) of base() */
    test_unhex("B481209B439AD7B31C6852FB03655DD9", md5, sizeof md5);  /* MD5 f(StoC) of base() */
    char why[200];
    /* with AES-ECB, the MD5 value is explained as mechanism 3's formula ... */
    ds_hls_inputs in = base(2);
    check_diagnosis_raw(&in, 0, md5, sizeof md5, NULL, "mechanism-3");
    for (size_t i = 0; i < 2; i++) {
        in = base(2);
        in.mech2 = NOT_AES[i];
        ck_assert_int_eq(ds_hls_verify(&in, 0, aes, sizeof aes, why, sizeof why), -1);
        ck_assert_ptr_nonnull(strstr(why, "not checked"));
        size_t out_len = sizeof out;
        ck_assert_int_eq(ds_hls_expected(&in, 1, 0, out, &out_len), -1);
        /* ... without a method nothing is said about a mechanism 2 value */
        ck_assert_ptr_null(ds_hls_diagnose(&in, 0, md5, sizeof md5, NULL, why, sizeof why));
        ck_assert_str_eq(why, "");
        /* and the AES value sent for mechanism 4 is no longer "mechanism-2" */
        in = base(4);
        in.mech2 = NOT_AES[i];
        ck_assert_int_eq(ds_hls_verify(&in, 0, aes, sizeof aes, why, sizeof why), 1);
        ck_assert_ptr_null(ds_hls_diagnose(&in, 0, aes, sizeof aes, NULL, why, sizeof why));
        /* the other mechanisms are not affected */
        in = base(3);
        in.mech2 = NOT_AES[i];
        check_match_and_mismatch(&in, 0, "B481209B439AD7B31C6852FB03655DD9");
    }
}
END_TEST

START_TEST(mechanism3_md5)
{
    ds_hls_inputs in = base(3);
    check_match_and_mismatch(&in, 0, "B481209B439AD7B31C6852FB03655DD9");
    check_match_and_mismatch(&in, 1, "D2B75AB5F06B5E0C90D89577841C16BC");
    check_expected(&in, 1, 0, "D2B75AB5F06B5E0C90D89577841C16BC");
}
END_TEST

START_TEST(mechanism4_sha1)
{
    ds_hls_inputs in = base(4);
    check_match_and_mismatch(&in, 0, "EE1AE061D6C8DB8AF1F93BB7F7945D85A2D7B522");
    check_match_and_mismatch(&in, 1, "C024E877CBBA7D3F7DC354802E2D1D860ECBDE01");
    check_expected(&in, 0, 0, "EE1AE061D6C8DB8AF1F93BB7F7945D85A2D7B522");
}
END_TEST

START_TEST(mechanism6_sha256)
{
    ds_hls_inputs in = base(6);
    check_match_and_mismatch(&in, 0, "F6D1E90A4E1D237972A02ED7F392D165BA5527D922A07C4A22D690397D6888F3");
    check_match_and_mismatch(&in, 1, "A4AD3DF3CF2A3BC9986E8BDB8E4109DC51710B6E232439C0333A5106CCCF42ED");
    check_expected(&in, 1, 0, "A4AD3DF3CF2A3BC9986E8BDB8E4109DC51710B6E232439C0333A5106CCCF42ED");
}
END_TEST

START_TEST(diagnose_hash_mechanisms)
{
    /* SHA-1 value while mechanism 3 is configured */
    ds_hls_inputs in = base(3);
    check_diagnosis(&in, 0, "EE1AE061D6C8DB8AF1F93BB7F7945D85A2D7B522", NULL, "mechanism-4");
    /* MD5 value while mechanism 6 is configured */
    in = base(6);
    check_diagnosis(&in, 1, "D2B75AB5F06B5E0C90D89577841C16BC", NULL, "mechanism-3");
    /* AES value while mechanism 4 is configured */
    in = base(4);
    check_diagnosis(&in, 0, "96011EF322EF023442A5636628BFB4C3", NULL, "mechanism-2");
    /* JD's title-less SHA-256 */
    in = base(6);
    check_diagnosis(&in, 0, "E2E29C6A92165BDCA61DF658E2510851AE2E5D6C7946B50D5470EF44AC95A4EC", NULL,
                    "mechanism-6-variant");
    /* mechanism 6 with the titles in the other order */
    check_diagnosis(&in, 0, "47739759BE71DEA3177847689B011EB6D0B5D41EFCC97536CF733CBC97F20269", NULL,
                    "titles-swapped");
    /* the client answered its own challenge (MD5(CtoS || secret) sent as f(StoC)) */
    in = base(3);
    check_diagnosis(&in, 0, "D2B75AB5F06B5E0C90D89577841C16BC", NULL, "challenges-swapped");
    /* garbage: nothing explains it */
    uint8_t v[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    char why[200];
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, sizeof v, why, sizeof why), 1);
    ck_assert_ptr_null(ds_hls_diagnose(&in, 0, v, sizeof v, NULL, why, sizeof why));
}
END_TEST

START_TEST(diagnose_secret_ascii)
{
    /* The meter's secret is the text "1111111111111111"; the user's was read as hex. */
    static const uint8_t AS_HEX[8] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
    ds_hls_inputs in = base(3);
    in.secret = AS_HEX;
    in.secret_len = sizeof AS_HEX;
    ds_hls_hints h;
    memset(&h, 0, sizeof h);
    h.secret_text = "1111111111111111";
    check_diagnosis(&in, 0, "8EF473D3CFA0562A6D46E46A2FC4F5AF", &h, "key-ascii");
    check_diagnosis(&in, 0, "8EF473D3CFA0562A6D46E46A2FC4F5AF", NULL, "key-ascii");
    /* the reverse: the secret "1111111111111111" given as ASCII, the meter uses 11 11 ... 11 */
    static const uint8_t AS_ASCII[16] = "1111111111111111";
    in.secret = AS_ASCII;
    in.secret_len = sizeof AS_ASCII;
    uint8_t want[16];
    size_t want_len = sizeof want;
    ds_hls_inputs meter = base(3);
    meter.secret = AS_HEX;
    meter.secret_len = sizeof AS_HEX;
    ck_assert_int_eq(ds_hls_expected(&meter, 0, 0, want, &want_len), 0);
    char why[200];
    ck_assert_int_eq(ds_hls_verify(&in, 0, want, want_len, why, sizeof why), 1);
    const char *code = ds_hls_diagnose(&in, 0, want, want_len, NULL, why, sizeof why);
    ck_assert_ptr_nonnull(code);
    ck_assert_str_eq(code, "key-ascii");
}
END_TEST

/* ---- mechanism 7 ------------------------------------------------------------------------------ */

static int constant_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(0x5A ^ i);
    return 0;
}

typedef struct signer {
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ecdsa_context key;
    uint8_t pub[97];
    size_t pub_len;
    int p384;
} signer;

static void signer_init(signer *s, int p384, const char *personalization)
{
    memset(s, 0, sizeof *s);
    s->p384 = p384;
    mbedtls_ctr_drbg_init(&s->drbg);
    mbedtls_ecdsa_init(&s->key);
    ck_assert_int_eq(mbedtls_ctr_drbg_seed(&s->drbg, constant_entropy, NULL, (const unsigned char *)personalization,
                                           strlen(personalization)),
                     0);
    ck_assert_int_eq(mbedtls_ecdsa_genkey(&s->key, p384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1,
                                          mbedtls_ctr_drbg_random, &s->drbg),
                     0);
    ck_assert_int_eq(mbedtls_ecp_point_write_binary(&s->key.grp, &s->key.Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &s->pub_len,
                                                    s->pub, sizeof s->pub),
                     0);
    ck_assert_uint_eq(s->pub_len, p384 ? 97u : 65u);
}

static void signer_free(signer *s)
{
    mbedtls_ecdsa_free(&s->key);
    mbedtls_ctr_drbg_free(&s->drbg);
}

/* raw r || s over a || b || c || d (8, 8, 8, 8 bytes) */
static size_t sign4(signer *s, const uint8_t *a, const uint8_t *b, const uint8_t *c, const uint8_t *d, uint8_t *sig)
{
    uint8_t msg[32], hash[64];
    memcpy(msg, a, 8);
    memcpy(msg + 8, b, 8);
    memcpy(msg + 16, c, 8);
    memcpy(msg + 24, d, 8);
    size_t hlen = s->p384 ? 48 : 32, coord = s->p384 ? 48 : 32;
    if (s->p384)
        ck_assert_int_eq(mbedtls_sha512_ret(msg, sizeof msg, hash, 1), 0);
    else
        ck_assert_int_eq(mbedtls_sha256_ret(msg, sizeof msg, hash, 0), 0);
    mbedtls_mpi r, sv;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&sv);
    ck_assert_int_eq(mbedtls_ecdsa_sign(&s->key.grp, &r, &sv, &s->key.d, hash, hlen, mbedtls_ctr_drbg_random, &s->drbg),
                     0);
    ck_assert_int_eq(mbedtls_mpi_write_binary(&r, sig, coord), 0);
    ck_assert_int_eq(mbedtls_mpi_write_binary(&sv, sig + coord, coord), 0);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&sv);
    return 2 * coord;
}

static void check_ecdsa(int p384)
{
    signer client, server;
    signer_init(&client, p384, "dlmscope client");
    signer_init(&server, p384, "dlmscope server");
    ds_hls_inputs in = base(7);
    in.secret = NULL;
    in.client_pub = client.pub;
    in.server_pub = server.pub;
    in.pub_len = client.pub_len;
    uint8_t sig[96];
    char why[200];

    size_t n = sign4(&client, TITLE_C, TITLE_S, STOC, CTOS, sig);
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n, why, sizeof why), 0);
    ck_assert_int_eq(ds_hls_verify(&in, 1, sig, n, why, sizeof why), 1); /* not the server's signature */
    sig[5] ^= 0x80;
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n, why, sizeof why), 1);
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n - 1, why, sizeof why), 1);

    n = sign4(&server, TITLE_S, TITLE_C, CTOS, STOC, sig);
    ck_assert_int_eq(ds_hls_verify(&in, 1, sig, n, why, sizeof why), 0);
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n, why, sizeof why), 1);

    /* the client signed with the titles in the server's order */
    n = sign4(&client, TITLE_S, TITLE_C, STOC, CTOS, sig);
    check_diagnosis_raw(&in, 0, sig, n, NULL, "titles-swapped");
    /* the server signed the client's message layout (challenges in the other order) */
    n = sign4(&server, TITLE_S, TITLE_C, STOC, CTOS, sig);
    check_diagnosis_raw(&in, 1, sig, n, NULL, "challenges-swapped");
    /* a signature by the wrong key is not explained */
    n = sign4(&server, TITLE_C, TITLE_S, STOC, CTOS, sig);
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n, why, sizeof why), 1);
    ck_assert_ptr_null(ds_hls_diagnose(&in, 0, sig, n, NULL, why, sizeof why));

    /* not computable, and unusable keys */
    uint8_t out[DS_HLS_VALUE_MAX];
    size_t out_len = sizeof out;
    ck_assert_int_eq(ds_hls_expected(&in, 0, 0, out, &out_len), -1);
    uint8_t bad_pub[97] = {0x04};
    in.client_pub = bad_pub;
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "not a point"));
    in.client_pub = NULL;
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n, why, sizeof why), -1);
    ck_assert_str_eq(why, "no client public key");
    in.client_pub = client.pub;
    in.pub_len = 64;
    ck_assert_int_eq(ds_hls_verify(&in, 0, sig, n, why, sizeof why), -1);
    signer_free(&client);
    signer_free(&server);
}

START_TEST(mechanism7_ecdsa_p256)
{
    check_ecdsa(0);
}
END_TEST

START_TEST(mechanism7_ecdsa_p384)
{
    check_ecdsa(1);
}
END_TEST

/* ---- inputs that cannot be checked ----------------------------------------------------------- */

START_TEST(missing_inputs)
{
    uint8_t v[32] = {0};
    char why[160];
    ds_hls_inputs in = base(3);
    in.secret = NULL;
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, 16, why, sizeof why), -1);
    ck_assert_str_eq(why, "no HLS secret");
    in = base(3);
    in.stoc = NULL;
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, 16, why, sizeof why), -1);
    ck_assert_str_eq(why, "no StoC challenge");
    in = base(6);
    in.server_title = NULL;
    ck_assert_int_eq(ds_hls_verify(&in, 1, v, 32, why, sizeof why), -1);
    ck_assert_str_eq(why, "no server system title");
    in = base(6);
    in.stoc_len = DS_HLS_CHALLENGE_MAX + 1;
    ck_assert_int_eq(ds_hls_verify(&in, 1, v, 32, why, sizeof why), -1);
    in = base(8);
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, 16, why, sizeof why), -1);
    in = gmac_inputs();
    in.ak = NULL;
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, 17, why, sizeof why), -1);
    ck_assert_str_eq(why, "no authentication key for HLS-GMAC");
    ck_assert_int_eq(ds_hls_verify(NULL, 0, v, 17, why, sizeof why), -1);
    /* mechanism 5 value of the wrong size is a mismatch, also with no bytes at all */
    in = gmac_inputs();
    ck_assert_int_eq(ds_hls_verify(&in, 0, v, 16, why, sizeof why), 1);
    ck_assert_int_eq(ds_hls_verify(&in, 0, NULL, 0, why, sizeof why), 1);
    ck_assert_ptr_null(ds_hls_diagnose(&in, 0, NULL, 0, NULL, why, sizeof why));
    /* capacity too small */
    uint8_t out[16];
    size_t out_len = 16;
    ck_assert_int_eq(ds_hls_expected(&in, 0, 1, out, &out_len), -1);
    in = base(4);
    out_len = 16;
    ck_assert_int_eq(ds_hls_expected(&in, 0, 0, out, &out_len), -1);
    ck_assert_str_eq(ds_hls_mismatch_code(0), "hls.stoc-mismatch");
    ck_assert_str_eq(ds_hls_mismatch_code(1), "hls.ctos-mismatch");
}
END_TEST

static Suite *hls_suite(void)
{
    Suite *s = suite_create("hls");
    TCase *tc = tcase_create("hls");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, gmac_green_book_both_directions);
    tcase_add_test(tc, gmac_wrong_direction_and_sc);
    tcase_add_test(tc, gmac_suite2);
    tcase_add_test(tc, gmac_diagnose_ic_off_by_one);
    tcase_add_test(tc, gmac_diagnose_titles_keys);
    tcase_add_test(tc, gmac_diagnose_key_ascii);
    tcase_add_test(tc, gmac_diagnose_key_ascii_prefix);
    tcase_add_test(tc, gmac_diagnose_key_hex_digits);
    tcase_add_test(tc, mechanism2_aes_ecb);
    tcase_add_test(tc, mechanism2_method_none);
    tcase_add_test(tc, mechanism3_md5);
    tcase_add_test(tc, mechanism4_sha1);
    tcase_add_test(tc, mechanism6_sha256);
    tcase_add_test(tc, diagnose_hash_mechanisms);
    tcase_add_test(tc, diagnose_secret_ascii);
    tcase_add_test(tc, mechanism7_ecdsa_p256);
    tcase_add_test(tc, mechanism7_ecdsa_p384);
    tcase_add_test(tc, missing_inputs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hls_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
