/* Fuzz target: ciphered APDU layouts, deciphering and the mistake diagnosis.
 * Input = one APDU. Keys are fixed (the Green Book ones, REFERENCE §6.2) so that
 * seeds built with them reach the GCM paths; the dedicated and broadcast keys are
 * typed "as ASCII" so that the diagnosis tries its alternatives too; the master key lets
 * general-ciphering wrapped keys reach the key unwrap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/keys.h"
#include "security/cipher.h"

static const uint8_t TITLE[DS_TITLE_LEN] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
static const uint8_t OTHER[DS_TITLE_LEN] = {0x43, 0x49, 0x52, 0x00, 0x00, 0x00, 0x00, 0x01};

static void set_key(ds_key *k, const char *text)
{
    memset(k, 0, sizeof *k);
    int n = ds_hex_to_bytes(text, k->bytes, sizeof k->bytes);
    if (n <= 0) abort();
    k->len = (size_t)n;
    k->set = 1;
    strncpy(k->text, text, sizeof k->text - 1);
}

static ds_keyset keys;
static int ready;

static void setup(void)
{
    set_key(&keys.ek, "000102030405060708090A0B0C0D0E0F");
    set_key(&keys.ak, "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
    set_key(&keys.dk, "1111111111111111");
    set_key(&keys.bk, "00112233445566778899AABBCCDDEEFF");
    set_key(&keys.kek, "000102030405060708090A0B0C0D0E0F"); /* seed gc-wrapped-key.bin unwraps with it */
    ready = 1;
}

static void check_result(ds_dec_status st, size_t plain_len, const ds_ciphered *c)
{
    if (st == DS_DEC_OK && plain_len != c->body_len) abort();
    if (st != DS_DEC_OK && plain_len != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) setup();
    ds_ciphered c;
    char err[160];
    if (ds_ciphered_parse(data, size, &c, err, sizeof err) != 0) {
        if (!err[0]) abort(); /* every failure says why */
        return 0;
    }
    if (c.consumed > size || c.body + c.body_len > data + size) abort();
    if (c.tag && c.tag + c.tag_len > data + size) abort();
    uint8_t *plain = malloc(c.body_len ? c.body_len : 1);
    if (!plain) return 0;
    size_t plain_len = 0;
    char why[200];
    for (int ded = 0; ded <= 1; ded++) {
        ds_dec_status st = ds_decipher(&c, TITLE, &keys, ded, 1, plain, &plain_len);
        check_result(st, plain_len, &c);
        st = ds_decipher(&c, NULL, &keys, ded, 0, plain, &plain_len);
        check_result(st, plain_len, &c);
        if (ds_decipher(&c, TITLE, &keys, ded, 1, plain, &plain_len) != DS_DEC_OK) {
            const char *code = ds_decipher_diagnose_ex(&c, TITLE, OTHER, &keys, ded, 1, plain, &plain_len, why,
                                                       sizeof why);
            if (code && (plain_len != c.body_len || !why[0])) abort();
            if (!code && plain_len != 0) abort();
        }
    }
    free(plain);
    return 0;
}
