/* Fuzz target: enciphering. decipher(encipher(x)) must give x back for every form, security
 * control, suite, key-info and header the input picks, and an APDU the builder refuses must leave
 * nothing past the output limit. Input: form, SC, IC (4), key-info choice, output limit (2),
 * header field lengths (4), then the header fields' bytes and the plaintext. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/cipher.h"
#include "dlmscope/keys.h"

#define OUT_MAX 8192

static void set_key(ds_key *k, uint8_t seed, size_t len)
{
    memset(k, 0, sizeof *k);
    for (size_t i = 0; i < len; i++) k->bytes[i] = (uint8_t)(seed + 13 * i);
    k->len = len;
    k->set = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 13) return 0;
    static uint8_t out[OUT_MAX + 64], back[OUT_MAX];
    static const uint8_t TITLE[DS_TITLE_LEN] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
    ds_cipher_form form = (ds_cipher_form)(1 + data[0] % 5);
    uint8_t sc = data[1];
    uint32_t ic = (uint32_t)data[2] << 24 | (uint32_t)data[3] << 16 | (uint32_t)data[4] << 8 | data[5];
    int key_info = (int)(data[6] % 3) - 1; /* none, identified, wrapped */
    size_t cap = ((size_t)data[7] << 8 | data[8]) % (OUT_MAX + 1);
    size_t len[4] = {data[9] % 16, data[10] % 16, data[11] % 16, data[12] % 16};
    data += 13;
    size = size - 13;
    const uint8_t *field[4];
    for (int i = 0; i < 4; i++) {
        if (len[i] > size) len[i] = size;
        field[i] = data;
        data += len[i];
        size -= len[i];
    }
    size_t key_len = (sc & 0x0F) == 2 ? 32 : 16;
    ds_keyset keys;
    memset(&keys, 0, sizeof keys);
    set_key(&keys.ek, 0x10, key_len);
    set_key(&keys.ak, 0x20, 16);
    set_key(&keys.dk, 0x30, key_len);
    set_key(&keys.bk, 0x40, key_len);
    set_key(&keys.kek, 0x50, 16);
    uint8_t content_key[32];
    for (size_t i = 0; i < sizeof content_key; i++) content_key[i] = (uint8_t)(0x60 + i);

    ds_encipher_params p;
    ds_encipher_params_init(&p, form, sc, ic, TITLE);
    if (form == DS_CIPHER_GENERAL_CIPHERING) {
        p.transaction_id = field[0], p.transaction_id_len = len[0];
        p.recipient_title = field[1], p.recipient_title_len = len[1];
        p.date_time = field[2], p.date_time_len = len[2];
        p.other_info = field[3], p.other_info_len = len[3];
        p.key_info = key_info;
        p.key_id = (uint8_t)(ic & 1);
        p.content_key = content_key;
        p.content_key_len = key_len;
    }
    memset(out, 0xA5, sizeof out);
    size_t got = 0, pl = 0;
    char err[200];
    if (ds_encipher(&p, &keys, data, size, out, cap, &got, err, sizeof err) != 0) {
        if (got != 0 || !err[0]) abort();
        for (size_t i = cap; i < sizeof out; i++)
            if (out[i] != 0xA5) abort(); /* nothing past the limit */
        return 0;
    }
    if (got > cap || (sc & 0x80) || (sc & 0x0F) > 2) abort();
    for (size_t i = cap; i < sizeof out; i++)
        if (out[i] != 0xA5) abort();
    if (ds_decipher_apdu(out, got, TITLE, &keys, back, sizeof back, &pl, err, sizeof err) != 0) abort();
    if (pl != size || (size && memcmp(back, data, size) != 0)) abort();
    return 0;
}
