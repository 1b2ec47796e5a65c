/* HLS in both roles (dlmscope/hls.h): for every mechanism 2-7 the value a side computes with
 * ds_hls_expected is accepted by the check of the other side (ds_hls_verify), one changed byte
 * is not; mechanism 5 gives the Green Book values of the corpus (SEC-GB-hls-gmac-fStoC /
 * -fCtoS); mechanism 7 signs deterministically, as RFC 6979 A.2.5 / A.2.6 say. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>

#include "dlmscope/hls.h"
#include "security/hash.h"
#include "security/signing.h"
#include "test_hex.h"

static const uint8_t CLIENT_TITLE[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t SERVER_TITLE[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
static const uint8_t CTOS[8] = "K56iVagY", STOC[8] = "P6wRJ21F";

static uint8_t EK[16], AK[16];

static ds_hls_inputs inputs(int mechanism)
{
    static const uint8_t SECRET[8] = "12345678";
    ds_hls_inputs in;
    memset(&in, 0, sizeof in);
    in.mechanism = mechanism;
    in.secret = SECRET;
    in.secret_len = sizeof SECRET;
    test_unhex("000102030405060708090A0B0C0D0E0F", EK, 16);
    test_unhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", AK, 16);
    in.ek = EK;
    in.ak = AK;
    in.key_len = 16;
    in.client_title = CLIENT_TITLE;
    in.server_title = SERVER_TITLE;
    in.ctos = CTOS;
    in.ctos_len = sizeof CTOS;
    in.stoc = STOC;
    in.stoc_len = sizeof STOC;
    return in;
}

/* computed by one side, checked as the other side checks it */
static void both_roles(const ds_hls_inputs *in)
{
    for (int side = 0; side <= 1; side++) {
        uint8_t v[DS_HLS_VALUE_MAX];
        size_t n = sizeof v;
        char why[200];
        ck_assert_msg(ds_hls_expected(in, side, 0x01234567, v, &n) == 0, "mechanism %d side %d", in->mechanism, side);
        ck_assert_msg(ds_hls_verify(in, side, v, n, why, sizeof why) == 0, "mechanism %d side %d: %s", in->mechanism,
                      side, why);
        /* the other side's value is not this side's */
        ck_assert_int_eq(ds_hls_verify(in, !side, v, n, why, sizeof why), 1);
        v[n - 1] ^= 0x01;
        ck_assert_int_eq(ds_hls_verify(in, side, v, n, why, sizeof why), 1);
    }
}

START_TEST(mechanisms_2_to_6)
{
    for (int m = 2; m <= 6; m++) {
        ds_hls_inputs in = inputs(m);
        both_roles(&in);
    }
    ds_hls_inputs in = inputs(5); /* suite 2: 32-byte EK */
    uint8_t ek32[32];
    memset(ek32, 0x42, sizeof ek32);
    in.ek = ek32;
    in.key_len = 32;
    in.ak_len = 16;
    both_roles(&in);
}
END_TEST

/* SEC-GB-hls-gmac-fStoC: client title 4D4D4D0000000001, IC 1; -fCtoS: server title
 * 4D4D4D0000BC614E, IC 01234567; SC 10, EK/AK of the Green Book */
START_TEST(gmac_green_book)
{
    ds_hls_inputs in = inputs(5);
    uint8_t v[DS_HLS_VALUE_MAX], want[17];
    size_t n = sizeof v;
    ck_assert_int_eq(ds_hls_expected(&in, 0, 1, v, &n), 0);
    ck_assert_uint_eq(n, 17);
    test_unhex("10000000011A52FE7DD3E72748973C1E28", want, 17);
    ck_assert_mem_eq(v, want, 17);
    n = sizeof v;
    ck_assert_int_eq(ds_hls_expected(&in, 1, 0x01234567, v, &n), 0);
    test_unhex("1001234567FE1466AFB3DBCD4F9389E2B7", want, 17);
    ck_assert_mem_eq(v, want, 17);
}
END_TEST

/* the public key d*G of a private key, 04 || X || Y */
static size_t public_of(const uint8_t *priv, size_t len, uint8_t *pub)
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    size_t out = 0;
    ck_assert_int_eq(mbedtls_ecp_group_load(&grp, len == 48 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1), 0);
    ck_assert_int_eq(mbedtls_mpi_read_binary(&d, priv, len), 0);
    ck_assert_int_eq(mbedtls_ecp_mul(&grp, &q, &d, &grp.G, NULL, NULL), 0);
    ck_assert_int_eq(mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &out, pub, 97), 0);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return out;
}

static void mechanism7(size_t key_len)
{
    uint8_t client_priv[48], server_priv[48], client_pub[97], server_pub[97];
    for (size_t i = 0; i < key_len; i++) {
        client_priv[i] = (uint8_t)(0x11 + i);
        server_priv[i] = (uint8_t)(0x22 + 3 * i);
    }
    ds_hls_inputs in = inputs(7);
    in.client_priv = client_priv;
    in.server_priv = server_priv;
    in.priv_len = key_len;
    in.client_pub = client_pub;
    in.server_pub = server_pub;
    in.pub_len = public_of(client_priv, key_len, client_pub);
    ck_assert_uint_eq(public_of(server_priv, key_len, server_pub), in.pub_len);
    both_roles(&in);
    /* deterministic: the same value twice */
    uint8_t a[DS_HLS_VALUE_MAX], b[DS_HLS_VALUE_MAX];
    size_t na = sizeof a, nb = sizeof b;
    ck_assert_int_eq(ds_hls_expected(&in, 0, 0, a, &na), 0);
    ck_assert_int_eq(ds_hls_expected(&in, 0, 0, b, &nb), 0);
    ck_assert_uint_eq(na, 2 * key_len);
    ck_assert_mem_eq(a, b, na);
    /* no private key of the side: not computable */
    in.client_priv = NULL;
    na = sizeof a;
    ck_assert_int_eq(ds_hls_expected(&in, 0, 0, a, &na), -1);
}

START_TEST(mechanism7_p256)
{
    mechanism7(32);
}
END_TEST

START_TEST(mechanism7_p384)
{
    mechanism7(48);
}
END_TEST

/* RFC 6979 A.2.5 (P-256, SHA-256, message "sample"): the deterministic signature */
START_TEST(ecdsa_rfc6979_p256)
{
    uint8_t priv[32], sig[96], want[64];
    test_unhex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", priv, 32);
    ds_bytes msg = {(const uint8_t *)"sample", 6};
    size_t n = 0;
    char err[120];
    ck_assert_msg(ds_ecdsa_sign_parts(priv, 32, &msg, 1, sig, sizeof sig, &n, err, sizeof err) == 0, "%s", err);
    test_unhex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
               "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
               want, 64);
    ck_assert_uint_eq(n, 64);
    ck_assert_mem_eq(sig, want, 64);
    /* refusals name the field */
    ck_assert_int_eq(ds_ecdsa_sign_parts(priv, 31, &msg, 1, sig, sizeof sig, &n, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "private key: 31 bytes"));
    ck_assert_int_eq(ds_ecdsa_sign_parts(priv, 32, &msg, 1, sig, 63, &n, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "signature buffer"));
    memset(priv, 0, sizeof priv); /* 0 is no private key */
    ck_assert_int_eq(ds_ecdsa_sign_parts(priv, 32, &msg, 1, sig, sizeof sig, &n, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a private key"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hls_roles");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, mechanisms_2_to_6);
    tcase_add_test(tc, gmac_green_book);
    tcase_add_test(tc, mechanism7_p256);
    tcase_add_test(tc, mechanism7_p384);
    tcase_add_test(tc, ecdsa_rfc6979_p256);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
