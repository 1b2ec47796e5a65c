/* libFuzzer target: the APDU decoder (schema walker, ACSE, A-XDR data) on arbitrary bytes.
 * The first byte picks options so every formatting path is reached; with bit 3 the security
 * layer is on with fixed keys and titles, and with bit 4 tags are not checked, so that random
 * ciphertext reaches the deciphered view and its plaintext is decoded too. */
#include <stdint.h>
#include <stdio.h>

#include "dlmscope/dlmscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (size < 1) return 0;
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = data[0] & 1;
    opt.decimal = (data[0] >> 1) & 1;
    static ds_keyring *keys;
    if (!keys) {
        static const uint8_t CLIENT[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
        static const uint8_t SERVER[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01};
        char err[128];
        keys = ds_keyring_new();
        ds_keyring_set(keys, NULL, 'e', "000102030405060708090A0B0C0D0E0F", err, sizeof err);
        ds_keyring_set(keys, NULL, 'a', "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", err, sizeof err);
        ds_keyring_set(keys, NULL, 'd', "00112233445566778899AABBCCDDEEFF", err, sizeof err);
        ds_keyring_set_titles(keys, CLIENT, SERVER);
    }
    if (data[0] & 8) opt.keys = keys;
    opt.no_verify = (data[0] >> 4) & 1;
    static const uint8_t SECRET[8] = "12345678";
    opt.hls_secret = SECRET;
    opt.hls_secret_len = sizeof SECRET;
    ds_sink *sink = (data[0] & 4) && devnull ? ds_xml_sink_new(devnull) : ds_null_sink_new();
    if (!sink) return 0;
    ds_decode_apdu_buffer(data + 1, size - 1, &opt, sink, NULL, NULL);
    ds_sink_destroy(sink);
    return 0;
}
