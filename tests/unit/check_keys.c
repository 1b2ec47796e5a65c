/* The key store: hex parsing, keys of the wrong length, the key file and the environment.
 * Error messages must name the key and the line, never the key material. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlmscope/keys.h"

static const uint8_t GB_EK[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                  0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t TITLE[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};

START_TEST(hex_forms)
{
    uint8_t b[40];
    ck_assert_int_eq(ds_hex_to_bytes("000102030405060708090A0B0C0D0E0F", b, sizeof b), 16);
    ck_assert_mem_eq(b, GB_EK, 16);
    ck_assert_int_eq(ds_hex_to_bytes("00 01:02 03\t04:05 06 07 08090a0b 0c0d0e0f", b, sizeof b), 16);
    ck_assert_mem_eq(b, GB_EK, 16);
    ck_assert_int_eq(ds_hex_to_bytes("0x000102030405060708090A0B0C0D0E0F", b, sizeof b), 16);
    ck_assert_mem_eq(b, GB_EK, 16);
    ck_assert_int_eq(ds_hex_to_bytes("0X00 0x01 0x02", b, sizeof b), 3);
    ck_assert_uint_eq(b[2], 0x02);
    ck_assert_int_eq(ds_hex_to_bytes("  ab:CD  ", b, sizeof b), 2);
    ck_assert_uint_eq(b[0], 0xAB);
    ck_assert_uint_eq(b[1], 0xCD);
    ck_assert_int_eq(ds_hex_to_bytes("", b, sizeof b), 0);
    ck_assert_int_eq(ds_hex_to_bytes("abc", b, sizeof b), -1);        /* odd */
    ck_assert_int_eq(ds_hex_to_bytes("zz", b, sizeof b), -1);         /* not hex */
    ck_assert_int_eq(ds_hex_to_bytes("00g1", b, sizeof b), -1);
    ck_assert_int_eq(ds_hex_to_bytes("0102", b, 1), -1);              /* over the cap */
    ck_assert_int_eq(ds_hex_to_bytes("01 0x02", b, sizeof b), 2);
    ck_assert_int_eq(ds_hex_to_bytes("010x02", b, sizeof b), -1);     /* 0x only at a group start */
    ck_assert_int_eq(ds_hex_to_bytes(NULL, b, sizeof b), -1);
}
END_TEST

START_TEST(set_and_lookup)
{
    ds_keyring *kr = ds_keyring_new();
    ck_assert_ptr_nonnull(kr);
    char err[128];
    ck_assert_int_eq(ds_keyring_has_keys(kr), 0);
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "000102030405060708090A0B0C0D0E0F", err, sizeof err), 0);
    ck_assert_int_eq(ds_keyring_has_keys(kr), 1);
    const ds_keyset *g = ds_keyring_lookup(kr, NULL);
    ck_assert_int_eq(g->ek.set, 1);
    ck_assert_uint_eq(g->ek.len, 16);
    ck_assert_mem_eq(g->ek.bytes, GB_EK, 16);
    ck_assert_str_eq(g->ek.text, "000102030405060708090A0B0C0D0E0F");
    ck_assert_int_eq(g->ak.set, 0);
    /* a title without its own keys gets the global set */
    ck_assert_ptr_eq(ds_keyring_lookup(kr, TITLE), g);
    /* per-title keys */
    ck_assert_int_eq(ds_keyring_set(kr, TITLE, 'a', "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", err, sizeof err), 0);
    ck_assert_int_eq(ds_keyring_set(kr, TITLE, 'd', "00112233445566778899AABBCCDDEEFF", err, sizeof err), 0);
    ck_assert_int_eq(ds_keyring_set(kr, TITLE, 'b', "0x" "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF", err, sizeof err), 0);
    const ds_keyset *t = ds_keyring_lookup(kr, TITLE);
    ck_assert_ptr_ne(t, g);
    ck_assert_uint_eq(t->ak.bytes[0], 0xD0);
    ck_assert_uint_eq(t->dk.bytes[15], 0xFF);
    ck_assert_uint_eq(t->bk.bytes[0], 0xF0);
    ck_assert_int_eq(t->ek.set, 0);
    uint8_t other[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_ptr_eq(ds_keyring_lookup(kr, other), g);
    /* 32-byte keys (suite 2) */
    char k32[80];
    for (int i = 0; i < 32; i++) snprintf(k32 + 2 * i, 3, "%02X", i);
    ck_assert_int_eq(ds_keyring_set(kr, other, 'e', k32, err, sizeof err), 0);
    ck_assert_uint_eq(ds_keyring_lookup(kr, other)->ek.len, 32);
    ck_assert_uint_eq(ds_keyring_lookup(kr, other)->ek.bytes[31], 31);
    /* replacing a key */
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "FF0102030405060708090A0B0C0D0E0F", err, sizeof err), 0);
    ck_assert_uint_eq(ds_keyring_lookup(kr, NULL)->ek.bytes[0], 0xFF);
    /* an unknown key kind */
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'x', "00", err, sizeof err), -1);
    ds_keyring_free(kr);
    ck_assert_ptr_nonnull(ds_keyring_lookup(NULL, NULL));
    ds_keyring_free(NULL);
}
END_TEST

START_TEST(many_titles)
{
    ds_keyring *kr = ds_keyring_new();
    char err[128];
    for (unsigned i = 0; i < 300; i++) {
        uint8_t t[8] = {0, 0, 0, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
        ck_assert_int_eq(ds_keyring_set(kr, t, 'e', "000102030405060708090A0B0C0D0E0F", err, sizeof err), 0);
    }
    uint8_t t[8] = {0, 0, 0, 0, 0, 0, 1, 0x2B};
    ck_assert_int_eq(ds_keyring_lookup(kr, t)->ek.set, 1);
    ck_assert_ptr_ne(ds_keyring_lookup(kr, t), ds_keyring_lookup(kr, NULL));
    ds_keyring_free(kr);
}
END_TEST

START_TEST(wrong_length_refused)
{
    /* no security suite has keys of other lengths than 16 and 32 bytes: a usage error naming
     * the key and its length, with a hint when 16 characters look like an ASCII key */
    ds_keyring *kr = ds_keyring_new();
    char err[300];
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "1111111111111111", err, sizeof err), -1);
    ck_assert_str_eq(err, "the EK is 8 bytes: a key is 16 bytes (security suites 0 and 1) or 32 (suite 2); if its 16 "
                          "characters are the key as ASCII text, give the hex of their codes (32 digits: 1 is 31, A is 41)");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'a', "000102030405060708090A0B0C0D0E", err, sizeof err), -1);
    ck_assert_str_eq(err, "the AK is 15 bytes: a key is 16 bytes (security suites 0 and 1) or 32 (suite 2)");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'b', "000102030405060708090A0B0C0D0E0F10", err, sizeof err), -1);
    ck_assert_str_eq(err, "the broadcast key is 17 bytes: a key is 16 bytes (security suites 0 and 1) or 32 (suite 2)");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'k', "000102030405060708090A0B0C0D0E0F1011121314151617", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "the master key (KEK) is 24 bytes"));
    ck_assert_int_eq(ds_keyring_has_keys(kr), 0);
    /* a key of ASCII codes of hex digits is taken, with a warning */
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "31313131313131313131313131313131", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "the EK's 16 bytes are all ASCII codes of hex digits"));
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'a', "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(ds_keyring_has_keys(kr), 1);
    ds_keyring_free(kr);
}
END_TEST

START_TEST(bad_keys_errors)
{
    ds_keyring *kr = ds_keyring_new();
    char err[128];
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "MYDUMMYGLOBALKEY", err, sizeof err), -1);
    ck_assert_str_eq(err, "the EK is not hex");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'a', "D0D1D2D3xx", err, sizeof err), -1);
    ck_assert_str_eq(err, "the AK is not hex");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'd', "", err, sizeof err), -1);
    ck_assert_str_eq(err, "the dedicated key is empty");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'b', "000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F00",
                                    err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "the broadcast key is longer than 32 bytes");
    char huge[200];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', huge, err, sizeof err), -1);
    ck_assert_str_eq(err, "the EK is too long");
    ck_assert_int_eq(ds_keyring_has_keys(kr), 0);
    ck_assert_int_eq(ds_keyring_lookup(kr, NULL)->ek.set, 0); /* nothing half-stored */
    ds_keyring_free(kr);
}
END_TEST

START_TEST(titles)
{
    ds_keyring *kr = ds_keyring_new();
    uint8_t out[8];
    ck_assert_int_eq(ds_keyring_client_title(kr, out), 0);
    ck_assert_int_eq(ds_keyring_server_title(kr, out), 0);
    uint8_t client[8] = {0x43, 0x49, 0x52, 0, 0, 0, 0, 1};
    ds_keyring_set_titles(kr, client, NULL);
    ck_assert_int_eq(ds_keyring_client_title(kr, out), 1);
    ck_assert_mem_eq(out, client, 8);
    ck_assert_int_eq(ds_keyring_server_title(kr, out), 0);
    ds_keyring_set_titles(kr, NULL, TITLE);
    ck_assert_int_eq(ds_keyring_server_title(kr, out), 1);
    ck_assert_mem_eq(out, TITLE, 8);
    ck_assert_int_eq(ds_keyring_client_title(kr, out), 1);
    ck_assert_mem_eq(out, client, 8);
    ds_keyring_free(kr);
}
END_TEST

/* ---- key file ----------------------------------------------------------------------------------- */

static char tmpdir[64];
static char made[8][160];
static size_t n_made;

/* Removes what write_file created (each test runs in its own forked process). */
static void remove_made(void)
{
    for (size_t i = 0; i < n_made; i++) unlink(made[i]);
    n_made = 0;
    if (tmpdir[0]) rmdir(tmpdir);
    tmpdir[0] = '\0';
}

static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[160];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/check_keys.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, len, f);
    fclose(f);
    if (n_made < 8) snprintf(made[n_made++], sizeof made[0], "%s", path);
    return path;
}

static const char *file_of(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

/* Test keys: the NIST CAVS ECC CDH P-256 COUNT 0 private key and its public point (QIUT). */
#define P256_PRIV "7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A534"
#define P256_XY "EAD218590119E8876B29146FF89CA61770C4EDBBF97D38CE385ED281D8A6B230" \
                "28AF61281FD35E2FA7002523ACC85A429CB06EE6648325389F59EDFCE1405141"

START_TEST(ec_keys)
{
    ds_keyring *kr = ds_keyring_new();
    char err[200];
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'p', P256_PRIV, err, sizeof err), 0);
    const ds_keyset *g = ds_keyring_lookup(kr, NULL);
    ck_assert_int_eq(g->priv.set, 1);
    ck_assert_uint_eq(g->priv.len, 32);
    ck_assert_uint_eq(g->priv.bytes[0], 0x7D);
    ck_assert_int_eq(ds_keyring_has_keys(kr), 1); /* a private key alone is something to decipher with */
    /* a public key as X||Y is kept as 04||X||Y; as 04||X||Y it stays */
    ck_assert_int_eq(ds_keyring_set(kr, TITLE, 'q', P256_XY, err, sizeof err), 0);
    const ds_keyset *t = ds_keyring_lookup(kr, TITLE);
    ck_assert_uint_eq(t->pub.len, 65);
    ck_assert_uint_eq(t->pub.bytes[0], 0x04);
    ck_assert_uint_eq(t->pub.bytes[1], 0xEA);
    ck_assert_uint_eq(t->pub.bytes[64], 0x41);
    ck_assert_int_eq(ds_keyring_set(kr, TITLE, 's', "04" P256_XY, err, sizeof err), 0);
    ck_assert_uint_eq(t->sign.len, 65);
    ck_assert_uint_eq(t->sign.bytes[1], 0xEA);
    /* a P-384 private key is 48 bytes */
    ck_assert_int_eq(ds_keyring_set(kr, TITLE, 'p', P256_PRIV "0102030405060708090A0B0C0D0E0F10", err, sizeof err), 0);
    ck_assert_uint_eq(t->priv.len, 48);
    ds_keyring_free(kr);
}
END_TEST

START_TEST(ec_key_errors)
{
    ds_keyring *kr = ds_keyring_new();
    char err[256];
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'p', "7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A5", err,
                                    sizeof err),
                     -1);
    ck_assert_str_eq(err, "the private key is 31 bytes: a P-256 key (suite 1) is 32 bytes, a P-384 key (suite 2) 48");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'p', "7D7DC5F7-not-hex", err, sizeof err), -1);
    ck_assert_str_eq(err, "the private key is not hex or longer than 97 bytes");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'p', "", err, sizeof err), -1);
    ck_assert_str_eq(err, "the private key is empty");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'q', "05" P256_XY, err, sizeof err), -1);
    ck_assert_str_eq(err, "the agreement public key is 65 bytes and does not start with 04: give an uncompressed point "
                          "04||X||Y of 65 (P-256) or 97 (P-384) bytes, or X||Y");
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 's', "04AABB", err, sizeof err), -1);
    ck_assert_str_eq(err, "the signing public key is 3 bytes: give an uncompressed point 04||X||Y of 65 (P-256) or 97 "
                          "(P-384) bytes, or X||Y");
    static char huge[500];
    memset(huge, 'A', sizeof huge - 1);
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'p', huge, err, sizeof err), -1);
    ck_assert_str_eq(err, "the private key is too long");
    ck_assert_int_eq(ds_keyring_has_keys(kr), 0);
    const ds_keyset *g = ds_keyring_lookup(kr, NULL);
    ck_assert_int_eq(g->priv.set + g->pub.set + g->sign.set, 0); /* nothing half-stored */
    ds_keyring_free(kr);
}
END_TEST

START_TEST(key_file_good)
{
    const char *path = file_of("good.keys",
                               "# keys of the test meters\n"
                               "\n"
                               "*  ek=000102030405060708090A0B0C0D0E0F ak=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF\n"
                               "4D4D4D0000BC614E EK=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\tak=0xD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
                               " dk=5E168412318BA71848C99B2B2AB33294 bk=F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF # a comment\r\n"
                               "   # indented comment\n"
                               "4B464D1010000023 ek=101112131415161718191A1B1C1D1E1F KEK=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n"
                               "4D4D4D0000000001 priv=" P256_PRIV " pub=" P256_XY " SignPub=04" P256_XY);
    ds_keyring *kr = ds_keyring_new();
    char err[256];
    ck_assert_msg(ds_keyring_load_file(kr, path, err, sizeof err) == 0, "%s", err);
    const ds_keyset *g = ds_keyring_lookup(kr, NULL);
    ck_assert_mem_eq(g->ek.bytes, GB_EK, 16);
    ck_assert_uint_eq(g->ak.bytes[0], 0xD0);
    const ds_keyset *t = ds_keyring_lookup(kr, TITLE);
    ck_assert_uint_eq(t->ek.len, 16);
    ck_assert_uint_eq(t->ek.bytes[1], 0x11);
    ck_assert_uint_eq(t->ak.bytes[15], 0xDF);
    ck_assert_uint_eq(t->dk.bytes[0], 0x5E);
    ck_assert_uint_eq(t->bk.bytes[15], 0xFF);
    uint8_t kfm[8] = {0x4B, 0x46, 0x4D, 0x10, 0x10, 0x00, 0x00, 0x23};
    ck_assert_uint_eq(ds_keyring_lookup(kr, kfm)->ek.bytes[0], 0x10);
    ck_assert_int_eq(ds_keyring_lookup(kr, kfm)->ak.set, 0);
    ck_assert_uint_eq(ds_keyring_lookup(kr, kfm)->kek.len, 16);
    ck_assert_uint_eq(ds_keyring_lookup(kr, kfm)->kek.bytes[15], 0xAF);
    ck_assert_int_eq(t->kek.set, 0);
    uint8_t server[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01};
    const ds_keyset *sv = ds_keyring_lookup(kr, server);
    ck_assert_uint_eq(sv->priv.len, 32);
    ck_assert_uint_eq(sv->pub.len, 65);
    ck_assert_uint_eq(sv->sign.len, 65);
    ck_assert_int_eq(sv->ek.set, 0);
    ck_assert_int_eq(ds_keyring_has_keys(kr), 1);
    ds_keyring_free(kr);
    remove_made();
}
END_TEST

/* Loads text, expects failure with exactly "path:line: message", and no key text in it. */
static void expect_file_error(const char *text, int line, const char *message, const char *secret)
{
    const char *path = file_of("bad.keys", text);
    char want[400];
    snprintf(want, sizeof want, "%s:%d: %s", path, line, message);
    ds_keyring *kr = ds_keyring_new();
    char err[400];
    ck_assert_int_eq(ds_keyring_load_file(kr, path, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    if (secret) ck_assert_msg(strstr(err, secret) == NULL, "key material in: %s", err);
    ds_keyring_free(kr);
}

START_TEST(key_file_errors)
{
    expect_file_error("# ok\n4D4D4D0000BC61 ek=000102030405060708090A0B0C0D0E0F\n", 2,
                      "the system title is not 16 hex digits or *", NULL);
    expect_file_error("4D4D4D0000BC614E00 ek=000102030405060708090A0B0C0D0E0F\n", 1,
                      "the system title is not 16 hex digits or *", NULL);
    expect_file_error("4D4D4D0000BC614G ek=000102030405060708090A0B0C0D0E0F\n", 1,
                      "the system title is not 16 hex digits or *", NULL);
    expect_file_error("\n\n* ek=00010203040506070809ZZ0B0C0D0E0F\n", 3, "the EK is not hex", "0809ZZ");
    /* a file that is not a key file: a line is not read whole into memory */
    static char long_line[6000];
    memset(long_line, 'A', sizeof long_line - 2);
    long_line[sizeof long_line - 2] = '\n';
    expect_file_error(long_line, 1, "line longer than 4095 characters", NULL);
    expect_file_error("* ek=000102030405060708090A0B0C0D0E0F ak=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEQQ\n", 1,
                      "the AK is not hex", "D0D1");
    expect_file_error("* xk=000102030405060708090A0B0C0D0E0F\n", 1, "unknown key name 'xk' (known: ek ak dk bk kek priv pub signpub)",
                      "0001");
    expect_file_error("* ek 000102030405060708090A0B0C0D0E0F\n", 1,
                      "expected name=hex, e.g. ek=...; found a word without '='", "0001");
    expect_file_error("4D4D4D0000BC614E\n", 1, "no keys after the system title", NULL);
    expect_file_error("* # only a comment\n", 1, "no keys after the system title", NULL);
    expect_file_error("* dk=\n", 1, "the dedicated key is empty", NULL);
    expect_file_error("* bk=000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0FAA\n", 1,
                      "the broadcast key is longer than 32 bytes", "0A0B");
    expect_file_error("* priv=7D7DC5F71EB29DDAF80D6214632EEAE03D9058AF1FB6D22ED80BADB62BC1A5\n", 1,
                      "the private key is 31 bytes: a P-256 key (suite 1) is 32 bytes, a P-384 key (suite 2) 48",
                      "7D7DC5");
    remove_made();
}
END_TEST

START_TEST(key_file_nul_and_missing)
{
    static const char TEXT[] = "* ek=0001\0 02\n";
    const char *path = write_file("nul.keys", TEXT, sizeof TEXT - 1);
    char want[300];
    snprintf(want, sizeof want, "%s:1: NUL byte in the line", path);
    ds_keyring *kr = ds_keyring_new();
    char err[300];
    ck_assert_int_eq(ds_keyring_load_file(kr, path, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(ds_keyring_load_file(kr, "/nonexistent/dir/k.keys", err, sizeof err), -1);
    ck_assert_msg(strncmp(err, "/nonexistent/dir/k.keys: cannot open", 36) == 0, "%s", err);
    /* a wrong-length key in a file is refused, as on the command line, with its line */
    path = file_of("short.keys", "# meter 1\n* ek=1111111111111111\n");
    ck_assert_int_eq(ds_keyring_load_file(kr, path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: the EK is 8 bytes: a key is 16 bytes", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
    /* an empty file is fine */
    path = file_of("empty.keys", "");
    ck_assert_int_eq(ds_keyring_load_file(kr, path, err, sizeof err), 0);
    ds_keyring_free(kr);
    remove_made();
}
END_TEST

/* ---- environment ------------------------------------------------------------------------------------ */

static void clear_env(void)
{
    unsetenv("DLMSCOPE_EK");
    unsetenv("DLMSCOPE_AK");
    unsetenv("DLMSCOPE_DK");
    unsetenv("DLMSCOPE_BK");
    unsetenv("DLMSCOPE_KEK");
    unsetenv("DLMSCOPE_PRIVATE_KEY");
    unsetenv("DLMSCOPE_AGREEMENT_PUBLIC_KEY");
    unsetenv("DLMSCOPE_CLIENT_TITLE");
    unsetenv("DLMSCOPE_SERVER_TITLE");
}

START_TEST(env_keys)
{
    clear_env();
    ds_keyring *kr = ds_keyring_new();
    char err[200];
    ck_assert_int_eq(ds_keyring_from_env(kr, err, sizeof err), 0);
    ck_assert_int_eq(ds_keyring_has_keys(kr), 0);
    setenv("DLMSCOPE_EK", "000102030405060708090A0B0C0D0E0F", 1);
    setenv("DLMSCOPE_AK", "D0:D1:D2:D3:D4:D5:D6:D7:D8:D9:DA:DB:DC:DD:DE:DF", 1);
    setenv("DLMSCOPE_DK", "5E168412318BA71848C99B2B2AB33294", 1);
    setenv("DLMSCOPE_BK", "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF", 1);
    setenv("DLMSCOPE_KEK", "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF", 1);
    setenv("DLMSCOPE_PRIVATE_KEY", P256_PRIV, 1);
    setenv("DLMSCOPE_AGREEMENT_PUBLIC_KEY", P256_XY, 1);
    setenv("DLMSCOPE_CLIENT_TITLE", "4349520000000001", 1);
    setenv("DLMSCOPE_SERVER_TITLE", "4D 4D 4D 00 00 BC 61 4E", 1);
    ck_assert_msg(ds_keyring_from_env(kr, err, sizeof err) == 0, "%s", err);
    const ds_keyset *g = ds_keyring_lookup(kr, NULL);
    ck_assert_mem_eq(g->ek.bytes, GB_EK, 16);
    ck_assert_uint_eq(g->ak.bytes[15], 0xDF);
    ck_assert_uint_eq(g->dk.bytes[0], 0x5E);
    ck_assert_uint_eq(g->bk.bytes[0], 0xF0);
    ck_assert_uint_eq(g->kek.bytes[0], 0xA0);
    ck_assert_uint_eq(g->priv.bytes[31], 0x34);
    ck_assert_uint_eq(g->pub.len, 65);
    uint8_t out[8];
    ck_assert_int_eq(ds_keyring_server_title(kr, out), 1);
    ck_assert_mem_eq(out, TITLE, 8);
    ck_assert_int_eq(ds_keyring_client_title(kr, out), 1);
    ck_assert_uint_eq(out[0], 0x43);
    ds_keyring_free(kr);

    kr = ds_keyring_new();
    setenv("DLMSCOPE_AK", "secret-not-hex", 1);
    ck_assert_int_eq(ds_keyring_from_env(kr, err, sizeof err), -1);
    ck_assert_str_eq(err, "DLMSCOPE_AK: the AK is not hex");
    setenv("DLMSCOPE_AK", "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", 1);
    setenv("DLMSCOPE_CLIENT_TITLE", "43495200", 1);
    ck_assert_int_eq(ds_keyring_from_env(kr, err, sizeof err), -1);
    ck_assert_str_eq(err, "DLMSCOPE_CLIENT_TITLE: not a system title (16 hex digits)");
    ds_keyring_free(kr);
    kr = ds_keyring_new();
    clear_env();
    setenv("DLMSCOPE_PRIVATE_KEY", "7D7D", 1);
    ck_assert_int_eq(ds_keyring_from_env(kr, err, sizeof err), -1);
    ck_assert_str_eq(err,
                     "DLMSCOPE_PRIVATE_KEY: the private key is 2 bytes: a P-256 key (suite 1) is 32 bytes, a P-384 key (suite 2) 48");
    ds_keyring_free(kr);
    clear_env();
}
END_TEST

/* ds_ec_key_load: the HLS-ECDSA keys of `run`, as hex or in a file (hex or PEM). The keys are
 * test keys made with openssl for this test (testdata/emulate/ecdsa-client.pem, the meter's
 * public key of ecdsa-meter.pub.pem); the hex values were printed from the same PEM files by
 * another program (Python's cryptography), not by the code under test. */
#define CLIENT_D "1E04CA73187869FDD22207F88BDCC5714EB590C7801FD6A1C0F9D9A868CA3625"
#define CLIENT_Q                                                                                                    \
    "049BD986316F74EC89BC425FF1596304F34C88B4B4C5D2489F9B17AB4FB3DBFC268CCBF3D3FE4AB943E8540C657FB8636ED1E5C993BE" \
    "8939D8B435B3EA1CEFFDB3"
#define METER_Q                                                                                                     \
    "041694B341648E7B91C16742000E4F45A965FB0A65D8A725C3420A301283EE1BC8D8627DC40CE271B8453BC6D3610C70F4853FC76364" \
    "8E92977912F2713D669F75"
static const char CLIENT_SEC1_PEM[] = "-----BEGIN EC PRIVATE KEY-----\n"
                                      "MHcCAQEEIB4EynMYeGn90iIH+IvcxXFOtZDHgB/WocD52ahoyjYloAoGCCqGSM49\n"
                                      "AwEHoUQDQgAEm9mGMW907Im8Ql/xWWME80yItLTF0kifmxerT7Pb/CaMy/PT/kq5\n"
                                      "Q+hUDGV/uGNu0eXJk76JOdi0NbPqHO/9sw==\n"
                                      "-----END EC PRIVATE KEY-----\n";
static const char CLIENT_PKCS8_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                                       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgHgTKcxh4af3SIgf4\n"
                                       "i9zFcU61kMeAH9ahwPnZqGjKNiWhRANCAASb2YYxb3TsibxCX/FZYwTzTIi0tMXS\n"
                                       "SJ+bF6tPs9v8JozL89P+SrlD6FQMZX+4Y27R5cmTvok52LQ1s+oc7/2z\n"
                                       "-----END PRIVATE KEY-----\n";
static const char METER_PUB_PEM[] = "-----BEGIN PUBLIC KEY-----\n"
                                    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFpSzQWSOe5HBZ0IADk9FqWX7CmXY\n"
                                    "pyXDQgowEoPuG8jYYn3EDOJxuEU7xtNhDHD0hT/HY2SOkpd5EvJxPWafdQ==\n"
                                    "-----END PUBLIC KEY-----\n";

static void expect_key(const ds_ec_key *k, const char *hex)
{
    uint8_t want[DS_EC_KEY_MAX];
    int n = ds_hex_to_bytes(hex, want, sizeof want);
    ck_assert(k->set);
    ck_assert_uint_eq(k->len, (size_t)n);
    ck_assert_mem_eq(k->bytes, want, (size_t)n);
}

static const char *pem_file(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

START_TEST(ec_key_load)
{
    ds_ec_key k;
    char err[200];
    memset(&k, 0, sizeof k);
    ck_assert_int_eq(ds_ec_key_load(CLIENT_D, 1, &k, err, sizeof err), 0);
    expect_key(&k, CLIENT_D);
    ck_assert_int_eq(ds_ec_key_load(pem_file("c.pem", CLIENT_SEC1_PEM), 1, &k, err, sizeof err), 0);
    expect_key(&k, CLIENT_D);
    ck_assert_int_eq(ds_ec_key_load(pem_file("c8.pem", CLIENT_PKCS8_PEM), 1, &k, err, sizeof err), 0);
    expect_key(&k, CLIENT_D);
    /* a private key's PEM gives its public key where a public one is asked */
    ck_assert_int_eq(ds_ec_key_load(pem_file("c.pem", CLIENT_SEC1_PEM), 0, &k, err, sizeof err), 0);
    expect_key(&k, CLIENT_Q);
    ck_assert_int_eq(ds_ec_key_load(pem_file("m.pem", METER_PUB_PEM), 0, &k, err, sizeof err), 0);
    expect_key(&k, METER_Q);
    ck_assert_int_eq(ds_ec_key_load(METER_Q, 0, &k, err, sizeof err), 0);
    expect_key(&k, METER_Q);
    /* hex in a file, with its newline */
    ck_assert_int_eq(ds_ec_key_load(pem_file("d.hex", CLIENT_D "\n"), 1, &k, err, sizeof err), 0);
    expect_key(&k, CLIENT_D);
    remove_made();

    /* refused, *out left alone, and the key never in the message */
    ds_ec_key before = k;
    ck_assert_int_eq(ds_ec_key_load("0102", 1, &k, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "32 bytes"));
    ck_assert_int_eq(ds_ec_key_load(pem_file("m.pem", METER_PUB_PEM), 1, &k, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "public key where the private key"));
    ck_assert_int_eq(ds_ec_key_load(pem_file("b.pem", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), 1,
                                    &k, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "not a PEM"));
    ck_assert_int_eq(ds_ec_key_load("", 0, &k, err, sizeof err), -1);
    ck_assert_int_eq(ds_ec_key_load(CLIENT_D "00", 1, &k, err, sizeof err), -1);
    ck_assert_ptr_null(strstr(err, "1E04CA"));
    ck_assert_mem_eq(&k, &before, sizeof k);
    remove_made();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, hex_forms);
    tcase_add_test(tc, set_and_lookup);
    tcase_add_test(tc, many_titles);
    tcase_add_test(tc, wrong_length_refused);
    tcase_add_test(tc, bad_keys_errors);
    tcase_add_test(tc, ec_keys);
    tcase_add_test(tc, ec_key_errors);
    tcase_add_test(tc, ec_key_load);
    tcase_add_test(tc, titles);
    tcase_add_test(tc, key_file_good);
    tcase_add_test(tc, key_file_errors);
    tcase_add_test(tc, key_file_nul_and_missing);
    tcase_add_test(tc, env_keys);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
