/* Enciphering (dlmscope/cipher.h): the published vectors of the corpus
 * (../shared/corpus/README.md: Green Book examples as transcribed by u9n/dlms-cosem, Circutor
 * gosem) enciphered from their stated plaintext, keys, title and IC must give the published
 * bytes exactly; decipher(encipher(x)) == x for every suite, security control and form; bad
 * input refused with a message naming the field; the invocation counters. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/cipher.h"
#include "dlmscope/keys.h"
#include "security/cipher.h"
#include "security/signing.h"
#include "security/agree.h"
#include <mbedtls/ecp.h>
#include "test_hex.h"

#define GB_EK "000102030405060708090A0B0C0D0E0F"
#define GB_AK "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
#define GB_TITLE "4D4D4D0000BC614E"
#define GOSEM_KEY "00112233445566778899AABBCCDDEEFF"
#define GOSEM_DK "5E168412318BA71848C99B2B2AB33294"
#define GOSEM_CLIENT "4349520000000001"
#define GOSEM_SERVER "4C475A2022604828"

static void key_from_hex(ds_key *k, const char *hex)
{
    memset(k, 0, sizeof *k);
    k->len = test_unhex(hex, k->bytes, sizeof k->bytes);
    k->set = 1;
}

static void keyset(ds_keyset *ks, const char *ek, const char *ak)
{
    memset(ks, 0, sizeof *ks);
    if (ek) key_from_hex(&ks->ek, ek);
    if (ak) key_from_hex(&ks->ak, ak);
}

static void expect_bytes(const uint8_t *got, size_t got_len, const char *want_hex)
{
    uint8_t want[1024];
    size_t n = test_unhex(want_hex, want, sizeof want);
    ck_assert_uint_eq(got_len, n);
    ck_assert_msg(memcmp(got, want, n) == 0, "bytes differ from %s", want_hex);
}

/* enciphers the plaintext with the vector's facts and compares with the published bytes */
static void vector(ds_cipher_form form, uint8_t sc, uint32_t ic, const char *title_hex, const ds_keyset *ks,
                   const char *plain_hex, const char *published_hex)
{
    uint8_t title[8], plain[512], out[600];
    ck_assert_uint_eq(test_unhex(title_hex, title, 8), 8);
    size_t n = test_unhex(plain_hex, plain, sizeof plain), got = 0;
    ds_encipher_params p;
    ds_encipher_params_init(&p, form, sc, ic, title);
    char err[200];
    ck_assert_msg(ds_encipher(&p, ks, plain, n, out, sizeof out, &got, err, sizeof err) == 0, "%s", err);
    expect_bytes(out, got, published_hex);
}

/* SEC-GB-glo-get-request: plaintext, keys, title and IC as the corpus states them */
START_TEST(gb_glo_get_request)
{
    ds_keyset ks;
    keyset(&ks, GB_EK, GB_AK);
    vector(DS_CIPHER_GLO, 0x30, 0x01234567, GB_TITLE, &ks, "C0 01 00 0008 0000010000FF 02 00",
           "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
}
END_TEST

/* SEC-GB-glo-initiate-request (also inside SEC-GB-aarq-ciphered-lls and SEC-GB-rlrq-ciphered) */
START_TEST(gb_glo_initiate_request)
{
    ds_keyset ks;
    keyset(&ks, GB_EK, GB_AK);
    vector(DS_CIPHER_GLO, 0x30, 0x01234567, GB_TITLE, &ks,
           "01 01 10 00112233445566778899AABBCCDDEEFF 00 00 06 5F1F 04 00 007E1F 04B0",
           "21303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855");
}
END_TEST

/* SEC-GB-rlre-ciphered: the glo-initiate-response in its user-information */
START_TEST(gb_rlre_initiate_response)
{
    ds_keyset ks;
    keyset(&ks, GB_EK, GB_AK);
    vector(DS_CIPHER_GLO, 0x30, 0x01234567, GB_TITLE, &ks, "08 00 06 5F1F 04 00 007C1F 0400 0007",
           "281F3001234567891214A0845E475714383F65BC19745CA235906525E4F3E1C893");
}
END_TEST

/* SEC-gosem-ded-get-request / -response: the dedicated key, client and server titles */
START_TEST(gosem_ded)
{
    ds_keyset ks;
    keyset(&ks, GOSEM_KEY, GOSEM_KEY);
    key_from_hex(&ks.dk, GOSEM_DK);
    vector(DS_CIPHER_DED, 0x30, 1, GOSEM_CLIENT, &ks, "C0 01 C1 0008 0000010000FF 02 00",
           "D01E3000000001D3B903996D9508C5B6BCDEB025DD1800A5C92775FB55F317CF");
    vector(DS_CIPHER_DED, 0x30, 1, GOSEM_SERVER, &ks, "C401C100090C07E7020F0311371500800000",
           "D4233000000001AA07A549F82E6B8EEA919659D91689BF995BE6F93C95A7208718A3B84EE4");
}
END_TEST

/* A published APDU whose plaintext the corpus does not spell out: deciphered (its tag verifies),
 * then enciphered again with the same facts, it must give the published bytes exactly. */
static void reencipher(const char *published_hex, const char *title_hex, const ds_keyset *ks)
{
    uint8_t apdu[256], title[8], plain[256], out[300];
    size_t n = test_unhex(published_hex, apdu, sizeof apdu), pl = 0, got = 0;
    char err[200];
    const uint8_t *t = NULL;
    if (title_hex) {
        ck_assert_uint_eq(test_unhex(title_hex, title, 8), 8);
        t = title;
    }
    ck_assert_msg(ds_decipher_apdu(apdu, n, t, ks, plain, sizeof plain, &pl, err, sizeof err) == 0, "%s", err);
    ds_ciphered c;
    ck_assert_int_eq(ds_ciphered_parse(apdu, n, &c, err, sizeof err), 0);
    ds_encipher_params p;
    ds_encipher_params_init(&p, c.kind, c.sc, c.ic, t ? t : c.title);
    ck_assert_msg(ds_encipher(&p, ks, plain, pl, out, sizeof out, &got, err, sizeof err) == 0, "%s", err);
    expect_bytes(out, got, published_hex);
}

START_TEST(gosem_association_and_release)
{
    ds_keyset ks;
    keyset(&ks, GOSEM_KEY, GOSEM_KEY);
    /* SEC-gosem-aarq-glo, -aare-glo, -rlrq-glo, -rlre-glo: their user-information */
    reencipher("2130300000005992D807DBCF8533E9AD675AE0948241FB8E6CF9AFA7006BAA134A473C9151B3362F56DC12F89E85DA97E176",
               GOSEM_CLIENT, &ks);
    reencipher("281F300000005AE916783AF33B5317AD0E453A799A65F26AE97660CF8B14FEB7B0", GOSEM_SERVER, &ks);
    reencipher("2130300000005A8E9B83D641B89FAAF36DA504132C34F87E4BA66175A7DCED015460239699C72C18C06DB29C54673B83BAC0",
               GOSEM_CLIENT, &ks);
    reencipher("281F300000005BCD34827974EDCF8B1DAB306F62C58AB42052DB67361377507825", GOSEM_SERVER, &ks);
}
END_TEST

/* SEC-u9n-general-glo-ciphering: EK = AK = "MYDUMMYGLOBALKEY", the title in the APDU */
START_TEST(u9n_general_glo)
{
    ds_keyset ks;
    keyset(&ks, "4D5944554D4D59474C4F42414C4B4559", "4D5944554D4D59474C4F42414C4B4559");
    reencipher("DB082F192291991641033B30000001E5025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92E"
               "A8C087B5BDFDEFEAB6BECF282DFE49C08F5BE6DC8400",
               NULL, &ks);
}
END_TEST

/* The general-glo layout written around the published glo-get-request's protected part: the
 * content (SC IC ciphertext T) is the same, since the IV and AAD do not see the layout. */
START_TEST(general_forms_layout)
{
    ds_keyset ks;
    keyset(&ks, GB_EK, GB_AK);
    const char *gb = "C0 01 00 0008 0000010000FF 02 00";
    vector(DS_CIPHER_GENERAL_GLO, 0x30, 0x01234567, GB_TITLE, &ks, gb,
           "DB 08" GB_TITLE "1E 3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
    key_from_hex(&ks.dk, GB_EK);
    vector(DS_CIPHER_GENERAL_DED, 0x30, 0x01234567, GB_TITLE, &ks, gb,
           "DC 08" GB_TITLE "1E 3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
    /* general-ciphering, suite 0: transaction-id, originator, recipient, date-time, other-info
     * empty, no key-info; the AAD holds no header in suite 0 */
    vector(DS_CIPHER_GENERAL_CIPHERING, 0x30, 0x01234567, GB_TITLE, &ks, gb,
           "DD 00 08" GB_TITLE "00 00 00 00 1E 3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
}
END_TEST

/* decipher(encipher(x)) == x over suites, security controls and forms, general-ciphering with
 * each key-info and with the header in the AAD (suites 1, 2 with a recipient). */
START_TEST(roundtrip_matrix)
{
    static const uint8_t SCS[] = {0x00, 0x10, 0x20, 0x30, 0x50, 0x60, 0x70};
    static const char *const KEY16 = "101112131415161718191A1B1C1D1E1F", *const KEY32 =
        "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F";
    uint8_t title[8], recipient[8] = {1, 2, 3, 4, 5, 6, 7, 8}, tid[3] = {9, 9, 9}, dt[12] = {0x07, 0xE7};
    uint8_t plain[300], out[400], back[400], content_key[32];
    for (size_t i = 0; i < sizeof plain; i++) plain[i] = (uint8_t)(i * 7 + 3);
    plain[0] = 0xC0; /* a get-request: it has glo and ded forms */
    test_unhex(GB_TITLE, title, 8);
    int runs = 0;
    for (unsigned suite = 0; suite <= 2; suite++) {
        const char *k = suite == 2 ? KEY32 : KEY16;
        ds_keyset ks;
        memset(&ks, 0, sizeof ks);
        key_from_hex(&ks.ek, k);
        key_from_hex(&ks.ak, GB_AK);
        key_from_hex(&ks.dk, k);
        ks.dk.bytes[0] ^= 0x55;
        key_from_hex(&ks.bk, k);
        ks.bk.bytes[1] ^= 0xAA;
        key_from_hex(&ks.kek, k);
        ks.kek.bytes[2] ^= 0x0F;
        memcpy(content_key, ks.ek.bytes, ks.ek.len);
        content_key[3] ^= 0x33;
        for (size_t s = 0; s < sizeof SCS; s++)
            for (int form = DS_CIPHER_GLO; form <= DS_CIPHER_GENERAL_CIPHERING; form++)
                for (int ki = DS_KEY_INFO_NONE; ki <= (form == DS_CIPHER_GENERAL_CIPHERING ? 1 : -1); ki++)
                    for (size_t n = 1; n < sizeof plain; n += 149) {
                        uint8_t sc = (uint8_t)(SCS[s] | suite);
                        ds_encipher_params p;
                        ds_encipher_params_init(&p, (ds_cipher_form)form, sc, 0x01000000u + (uint32_t)n, title);
                        if (form == DS_CIPHER_GENERAL_CIPHERING) {
                            p.transaction_id = tid;
                            p.transaction_id_len = sizeof tid;
                            p.recipient_title = recipient;
                            p.recipient_title_len = 8;
                            p.date_time = dt;
                            p.date_time_len = sizeof dt;
                            p.key_info = ki;
                            p.key_id = 0;
                            p.content_key = content_key;
                            p.content_key_len = ks.ek.len;
                        }
                        size_t got = 0, pl = 0;
                        char err[200];
                        ck_assert_msg(ds_encipher(&p, &ks, plain, n, out, sizeof out, &got, err, sizeof err) == 0,
                                      "suite %u sc %02X form %d: %s", suite, sc, form, err);
                        ck_assert_msg(ds_decipher_apdu(out, got, title, &ks, back, sizeof back, &pl, err,
                                                       sizeof err) == 0,
                                      "suite %u sc %02X form %d key-info %d: %s", suite, sc, form, ki, err);
                        ck_assert_uint_eq(pl, n);
                        ck_assert_mem_eq(back, plain, n);
                        /* encrypted: the plaintext is not in the APDU; authenticated: one bit
                         * flipped in the body fails */
                        if (sc & DS_SC_AUTH) {
                            out[got - 13] ^= 1;
                            ck_assert_int_eq(ds_decipher_apdu(out, got, title, &ks, back, sizeof back, &pl, err,
                                                              sizeof err),
                                             -1);
                        }
                        runs++;
                    }
    }
    ck_assert_int_eq(runs, 3 * 7 * (4 + 3) * 3); /* suites, SCs, forms and key-infos, lengths 1, 150, 299 */
}
END_TEST

/* The key each form and SC choose: enciphered with one key, only that key deciphers. */
START_TEST(key_choice)
{
    uint8_t title[8], plain[] = {0xC0, 0x01, 0x00}, out[64], back[64];
    test_unhex(GB_TITLE, title, 8);
    ds_keyset ks, only;
    keyset(&ks, GB_EK, GB_AK);
    key_from_hex(&ks.bk, GB_AK);
    size_t got, pl;
    char err[200];
    ds_encipher_params p;
    ds_encipher_params_init(&p, DS_CIPHER_GLO, 0x70, 5, title); /* broadcast key set */
    ck_assert_int_eq(ds_encipher(&p, &ks, plain, sizeof plain, out, sizeof out, &got, err, sizeof err), 0);
    keyset(&only, GB_AK, GB_AK); /* the broadcast key as EK: the EK is not what deciphers it */
    key_from_hex(&only.bk, GB_EK);
    ck_assert_int_eq(ds_decipher_apdu(out, got, title, &only, back, sizeof back, &pl, err, sizeof err), -1);
    ck_assert_int_eq(ds_decipher_apdu(out, got, title, &ks, back, sizeof back, &pl, err, sizeof err), 0);
    /* identified key-id 1: the broadcast key */
    ds_encipher_params_init(&p, DS_CIPHER_GENERAL_CIPHERING, 0x30, 5, title);
    p.key_info = DS_KEY_INFO_IDENTIFIED;
    p.key_id = 1;
    ck_assert_int_eq(ds_encipher(&p, &ks, plain, sizeof plain, out, sizeof out, &got, err, sizeof err), 0);
    expect_bytes(out, 11, "DD 00 08" GB_TITLE);
    ck_assert_mem_eq(out + 14, "\x01\x00\x01", 3); /* key-info present, identified-key, key-id 1 */
    ks.bk.bytes[0] ^= 1;
    ck_assert_int_eq(ds_decipher_apdu(out, got, NULL, &ks, back, sizeof back, &pl, err, sizeof err), -1);
}
END_TEST

static void expect_refused(const ds_encipher_params *p, const ds_keyset *ks, const uint8_t *plain, size_t n,
                           size_t cap, const char *field)
{
    uint8_t out[128];
    memset(out, 0xEE, sizeof out);
    size_t got = 99;
    char err[200];
    ck_assert_int_eq(ds_encipher(p, ks, plain, n, out, cap, &got, err, sizeof err), -1);
    ck_assert_uint_eq(got, 0);
    ck_assert_msg(strstr(err, field) != NULL, "\"%s\" does not name %s", err, field);
    for (size_t i = cap; i < sizeof out; i++) ck_assert_uint_eq(out[i], 0xEE); /* nothing past the limit */
}

START_TEST(refusals)
{
    uint8_t title[8], plain[] = {0xC0, 0x01, 0x00, 0x00, 0x08, 0, 0, 1, 0, 0, 0xFF, 2, 0}, dn[] = {0x0F, 0, 0, 0, 1};
    test_unhex(GB_TITLE, title, 8);
    ds_keyset ks;
    keyset(&ks, GB_EK, GB_AK);
    ds_encipher_params p;
    ds_encipher_params_init(&p, DS_CIPHER_GLO, 0x30, 1, title);
    /* the published glo-get-request is 32 bytes: 31 do not hold it, and nothing is written */
    expect_refused(&p, &ks, plain, sizeof plain, 31, "output buffer");
    expect_refused(&p, &ks, plain, sizeof plain, 0, "output buffer");
    ds_encipher_params_init(&p, DS_CIPHER_GLO, 0xB0, 1, title);
    expect_refused(&p, &ks, plain, sizeof plain, 64, "compression");
    ds_encipher_params_init(&p, DS_CIPHER_GLO, 0x33, 1, title);
    expect_refused(&p, &ks, plain, sizeof plain, 64, "suite 3");
    ds_encipher_params_init(&p, DS_CIPHER_GLO, 0x32, 1, title); /* suite 2 needs a 32-byte key */
    expect_refused(&p, &ks, plain, sizeof plain, 64, "global key (EK) is 16 bytes, security suite 2 needs 32");
    ds_encipher_params_init(&p, DS_CIPHER_DED, 0x30, 1, title);
    expect_refused(&p, &ks, plain, sizeof plain, 64, "no dedicated key");
    ds_encipher_params_init(&p, DS_CIPHER_GLO, 0x30, 1, title);
    expect_refused(&p, &ks, dn, sizeof dn, 64, "tag 0F (data-notification) has no glo- form");
    ds_keyset no_ak;
    keyset(&no_ak, GB_EK, NULL);
    expect_refused(&p, &no_ak, plain, sizeof plain, 64, "authentication key (AK)");
    ds_encipher_params_init(&p, DS_CIPHER_GLO, 0x30, 1, NULL);
    expect_refused(&p, &ks, plain, sizeof plain, 64, "system title");
    ds_encipher_params_init(&p, DS_CIPHER_GENERAL_CIPHERING, 0x30, 1, title);
    p.key_info = DS_KEY_INFO_AGREED;
    expect_refused(&p, &ks, plain, sizeof plain, 64, "key-info");
    p.key_info = DS_KEY_INFO_WRAPPED;
    p.content_key = ks.ek.bytes;
    p.content_key_len = 16;
    expect_refused(&p, &ks, plain, sizeof plain, 64, "master key (KEK)");
    p.content_key_len = 15;
    expect_refused(&p, &ks, plain, sizeof plain, 64, "content key: 15 bytes");
}
END_TEST

START_TEST(decipher_apdu_errors)
{
    uint8_t apdu[64], plain[64];
    size_t n = test_unhex("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B", apdu, sizeof apdu), pl;
    uint8_t title[8];
    test_unhex(GB_TITLE, title, 8);
    ds_keyset ks;
    keyset(&ks, GB_EK, GB_AK);
    char err[200];
    ck_assert_int_eq(ds_decipher_apdu(apdu, n, title, &ks, plain, 12, &pl, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "plaintext buffer"));
    ck_assert_int_eq(ds_decipher_apdu(apdu, n, NULL, &ks, plain, sizeof plain, &pl, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "system title"));
    ck_assert_int_eq(ds_decipher_apdu(apdu, n, title, &ks, plain, sizeof plain, &pl, err, sizeof err), 0);
    expect_bytes(plain, pl, "C0 01 00 0008 0000010000FF 02 00");
    apdu[20] ^= 1;
    ck_assert_int_eq(ds_decipher_apdu(apdu, n, title, &ks, plain, sizeof plain, &pl, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not verify"));
    ck_assert_int_eq(ds_decipher_apdu(apdu, n - 20, title, &ks, plain, sizeof plain, &pl, err, sizeof err), -1);
}
END_TEST

START_TEST(invocation_counters)
{
    ds_ic_counters c;
    ds_ic_init(&c, 0xFFFFFFFEu);
    uint32_t ic = 0;
    ck_assert_int_eq(ds_ic_take(&c, &ic), 0);
    ck_assert_uint_eq(ic, 0xFFFFFFFEu);
    ck_assert_int_eq(ds_ic_take(&c, &ic), 0);
    ck_assert_uint_eq(ic, 0xFFFFFFFFu);
    ck_assert_int_eq(ds_ic_take(&c, &ic), -1); /* never wraps to 0 */
    ck_assert_int_eq(c.exhausted, 1);

    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_CLIENT, 5), DS_IC_FRESH);
    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_CLIENT, 6), DS_IC_FRESH);
    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_CLIENT, 6), DS_IC_REPEATED);
    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_CLIENT, 2), DS_IC_DECREASED);
    ck_assert_uint_eq(c.last[DS_IC_CLIENT], 6); /* the highest is kept */
    /* each sender and key on its own */
    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_SERVER, 2), DS_IC_FRESH);
    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_CLIENT_DEDICATED, 1), DS_IC_FRESH);
    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_SERVER_DEDICATED, 0), DS_IC_FRESH);
    ck_assert_int_eq(ds_ic_seen(&c, DS_IC_SERVER_DEDICATED, 0), DS_IC_REPEATED);
    ck_assert_int_eq(ds_ic_seen(&c, 7, 0), DS_IC_FRESH);
    ck_assert_int_eq(ds_ic_seen(&c, -1, 0), DS_IC_FRESH);
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

/* general-signing made over the published glo-get-request, checked by the decoder's verifier */
static void signing(size_t key_len)
{
    uint8_t priv[48], pub[97], content[64], out[256], tid[4] = {0, 0, 0, 7}, title[8];
    for (size_t i = 0; i < key_len; i++) priv[i] = (uint8_t)(0x31 + 5 * i);
    size_t pub_len = public_of(priv, key_len, pub);
    size_t n = test_unhex("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B", content, sizeof content);
    test_unhex(GB_TITLE, title, 8);
    ds_sign_params p;
    memset(&p, 0, sizeof p);
    p.transaction_id = tid;
    p.transaction_id_len = sizeof tid;
    p.originator_title = title;
    p.originator_title_len = 8;
    p.priv = priv;
    p.priv_len = key_len;
    size_t got = 0;
    char err[200];
    ck_assert_msg(ds_sign_apdu(&p, content, n, out, sizeof out, &got, err, sizeof err) == 0, "%s", err);
    /* DF 04 00000007 08 title 00 00 00 20 content 40|60 signature */
    ck_assert_uint_eq(got, 1 + 5 + 9 + 3 + 1 + n + 1 + 2 * key_len);
    expect_bytes(out, 19, "DF 04 00000007 08" GB_TITLE "00 00 00 20");
    ds_signed s;
    ck_assert_int_eq(ds_signed_parse(out, got, &s, err, sizeof err), 0);
    ck_assert_uint_eq(s.apdu_len, got);
    ck_assert_mem_eq(s.content, content, n);
    ds_signed_reading reading = DS_SIGNED_NONE;
    ck_assert_msg(ds_signed_verify(out, &s, pub, pub_len, &reading, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(reading, DS_SIGNED_GURUX);
    out[25] ^= 1; /* a content byte */
    ck_assert_int_eq(ds_signed_verify(out, &s, pub, pub_len, &reading, err, sizeof err), 1);
    /* refusals name the field, and nothing is written past the limit */
    ck_assert_int_eq(ds_sign_apdu(&p, content, n, out, got - 1, &got, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "output buffer"));
    p.priv_len = 33;
    ck_assert_int_eq(ds_sign_apdu(&p, content, n, out, sizeof out, &got, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "private key: 33 bytes"));
}

START_TEST(general_signing_p256)
{
    signing(32);
}
END_TEST

START_TEST(general_signing_p384)
{
    signing(48);
}
END_TEST

/* agreed keys. The Static Unified Model vector testdata/security/gc-agreed-key-static.hex was
 * made by make-gc-agreed-key.py with Python cryptography (keys listed there): the originator's
 * static key and the recipient's public key give it exactly (the AAD without the header, as the
 * script writes it). */
#define RECIP_PRIV_256 "7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A534"
#define ORIG_STATIC_256 "5A4B3C2D1E0F5A4B3C2D1E0F5A4B3C2D1E0F5A4B3C2D1E0F5A4B3C2D1E0F5A4B"

START_TEST(agreed_static_unified_vector)
{
    uint8_t recip_priv[32], orig_priv[32], recip_pub[97], title[8], recipient[8], tid[8], plain[32], out[256];
    test_unhex(RECIP_PRIV_256, recip_priv, 32);
    test_unhex(ORIG_STATIC_256, orig_priv, 32);
    size_t pub_len = public_of(recip_priv, 32, recip_pub);
    test_unhex(GB_TITLE, title, 8);
    test_unhex("4D4D4D0000000001", recipient, 8);
    test_unhex("0102030405060708", tid, 8);
    size_t n = test_unhex("C001C100080000010000FF0200", plain, sizeof plain), got = 0;
    ds_keyset ks;
    keyset(&ks, NULL, GB_AK);
    ds_encipher_params p;
    ds_encipher_params_init(&p, DS_CIPHER_GENERAL_CIPHERING, 0x31, 0x104, title);
    p.transaction_id = tid, p.transaction_id_len = 8;
    p.recipient_title = recipient, p.recipient_title_len = 8;
    p.key_info = DS_KEY_INFO_AGREED;
    p.agreement_scheme = 2;
    p.own_priv = orig_priv, p.own_priv_len = 32;
    p.recipient_pub = recip_pub, p.recipient_pub_len = pub_len;
    p.header_not_in_aad = 1;
    char err[300];
    ck_assert_msg(ds_encipher(&p, &ks, plain, n, out, sizeof out, &got, err, sizeof err) == 0, "%s", err);
    expect_bytes(out, got, "DD080102030405060708084D4D4D0000BC614E084D4D4D0000000001000001020102001E310000010423D975AC"
                           "FB9F7DABAE9678C20016E65BD9C08DF8D47149829E");
    /* the AAD with the header (the default): the recipient deciphers it too */
    p.header_not_in_aad = 0;
    ck_assert_int_eq(ds_encipher(&p, &ks, plain, n, out, sizeof out, &got, err, sizeof err), 0);
    ds_keyset recip;
    keyset(&recip, NULL, GB_AK);
    recip.priv.set = 1, recip.priv.len = 32;
    memcpy(recip.priv.bytes, recip_priv, 32);
    recip.pub.set = 1;
    recip.pub.len = public_of(orig_priv, 32, recip.pub.bytes);
    uint8_t back[64];
    size_t pl = 0;
    ck_assert_msg(ds_decipher_apdu(out, got, NULL, &recip, back, sizeof back, &pl, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(pl, n);
    ck_assert_mem_eq(back, plain, n);
    /* suite 0 has no agreed keys; no recipient key */
    ds_encipher_params_init(&p, DS_CIPHER_GENERAL_CIPHERING, 0x30, 1, title);
    p.key_info = DS_KEY_INFO_AGREED;
    p.agreement_scheme = 2;
    ck_assert_int_eq(ds_encipher(&p, &ks, plain, n, out, sizeof out, &got, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "suite 1 or 2"));
    p.sc = 0x31;
    p.own_priv = orig_priv, p.own_priv_len = 32;
    ck_assert_int_eq(ds_encipher(&p, &ks, plain, n, out, sizeof out, &got, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "recipient's key-agreement public key"));
}
END_TEST

/* One-Pass Diffie-Hellman, suites 1 and 2: the recipient deciphers with its static key and
 * checks the ephemeral key's signature with the originator's signing key. */
static void one_pass(unsigned suite)
{
    size_t coord = suite == 2 ? 48 : 32;
    uint8_t recip_priv[48], eph[48], sign_priv[48], recip_pub[97], title[8], recipient[8], plain[40], out[512];
    for (size_t i = 0; i < coord; i++) {
        recip_priv[i] = (uint8_t)(0x41 + i);
        eph[i] = (uint8_t)(0x17 + 3 * i);
        sign_priv[i] = (uint8_t)(0x29 + 7 * i);
    }
    size_t pub_len = public_of(recip_priv, coord, recip_pub);
    test_unhex(GB_TITLE, title, 8);
    test_unhex("4D4D4D0000000001", recipient, 8);
    size_t n = test_unhex("C001C100080000010000FF0200", plain, sizeof plain), got = 0;
    ds_keyset ks;
    memset(&ks, 0, sizeof ks);
    key_from_hex(&ks.ak, suite == 2 ? "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF" : GB_AK);
    ds_encipher_params p;
    ds_encipher_params_init(&p, DS_CIPHER_GENERAL_CIPHERING, (uint8_t)(0x30 | suite), 0x200, title);
    p.recipient_title = recipient, p.recipient_title_len = 8;
    p.key_info = DS_KEY_INFO_AGREED;
    p.agreement_scheme = 1;
    p.own_priv = eph, p.own_priv_len = coord;
    p.recipient_pub = recip_pub, p.recipient_pub_len = pub_len;
    p.signing_priv = sign_priv, p.signing_priv_len = coord;
    char err[300];
    ck_assert_msg(ds_encipher(&p, &ks, plain, n, out, sizeof out, &got, err, sizeof err) == 0, "%s", err);
    ds_keyset recip = ks;
    recip.priv.set = 1, recip.priv.len = coord;
    memcpy(recip.priv.bytes, recip_priv, coord);
    recip.sign.set = 1;
    recip.sign.len = public_of(sign_priv, coord, recip.sign.bytes);
    ds_ciphered c;
    ck_assert_int_eq(ds_ciphered_parse(out, got, &c, err, sizeof err), 0);
    ck_assert_int_eq(c.key_info, DS_KEY_INFO_AGREED);
    ck_assert_uint_eq(c.agreed_data_len, 4 * coord);
    uint8_t back[64];
    size_t pl = 0;
    ds_agree_report rep;
    ck_assert_int_eq(ds_decipher_ex(&c, NULL, &recip, 0, 1, back, &pl, &rep), DS_DEC_OK);
    ck_assert_int_eq(rep.scheme, 1);
    ck_assert_int_eq(rep.signature, DS_KEYSIG_VERIFIED);
    ck_assert_uint_eq(pl, n);
    ck_assert_mem_eq(back, plain, n);
    /* without the signing key the ephemeral key cannot be signed */
    p.signing_priv = NULL;
    ck_assert_int_eq(ds_encipher(&p, &ks, plain, n, out, sizeof out, &got, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "signing key"));
}

START_TEST(agreed_one_pass_suite1)
{
    one_pass(1);
}
END_TEST

START_TEST(agreed_one_pass_suite2)
{
    one_pass(2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("encipher");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, gb_glo_get_request);
    tcase_add_test(tc, gb_glo_initiate_request);
    tcase_add_test(tc, gb_rlre_initiate_response);
    tcase_add_test(tc, gosem_ded);
    tcase_add_test(tc, gosem_association_and_release);
    tcase_add_test(tc, u9n_general_glo);
    tcase_add_test(tc, general_forms_layout);
    tcase_add_test(tc, roundtrip_matrix);
    tcase_add_test(tc, key_choice);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, decipher_apdu_errors);
    tcase_add_test(tc, invocation_counters);
    tcase_add_test(tc, general_signing_p256);
    tcase_add_test(tc, general_signing_p384);
    tcase_add_test(tc, agreed_static_unified_vector);
    tcase_add_test(tc, agreed_one_pass_suite1);
    tcase_add_test(tc, agreed_one_pass_suite2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
