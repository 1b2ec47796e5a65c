/* libFuzzer target: the diagnoser on arbitrary bytes. The first byte picks the framing and
 * whether the keys are on; the rest is fed in pieces of the second byte's size, the findings
 * written as JSON and text (to /dev/null), the summary too. */
#include <stdint.h>
#include <stdio.h>

#include "dlmscope/dlmscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_finding(void *user, const ds_finding *f)
{
    FILE *out = user;
    ds_finding_write_json(out, f);
    ds_finding_write_text(out, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (size < 2 || !devnull) return 0;
    static ds_keyring *keys;
    if (!keys) {
        char err[128];
        keys = ds_keyring_new();
        ds_keyring_set(keys, NULL, 'e', "000102030405060708090A0B0C0D0E0F", err, sizeof err);
        ds_keyring_set(keys, NULL, 'a', "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", err, sizeof err);
    }
    ds_options opt;
    ds_options_init(&opt);
    static const ds_link_kind KINDS[] = {DS_LINK_AUTO, DS_LINK_HDLC, DS_LINK_WRAPPER, DS_LINK_MBUS, DS_LINK_RAW};
    opt.link = KINDS[data[0] % 5];
    if (data[0] & 8) opt.keys = keys;
    ds_diagnoser *g = ds_diagnoser_new(on_finding, devnull);
    if (!g) return 0;
    ds_diagnoser_options(g, &opt);
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = sink ? ds_decoder_new(&opt, sink, ds_diagnoser_diag, g) : NULL;
    if (d) {
        size_t piece = data[1] ? data[1] : size;
        ds_meta meta = {0};
        for (size_t at = 2; at < size; at += piece) {
            size_t n = size - at < piece ? size - at : piece;
            meta.dir = (at / piece) & 1 ? DS_DIR_RX : DS_DIR_TX;
            if (data[0] & 16) ds_decoder_boundary(d);
            ds_decoder_feed(d, data + at, n, at - 2, &meta);
            if (data[0] & 32) ds_decoder_trim(d); /* as a capture with many connections does */
        }
        ds_decoder_end(d);
        ds_decoder_free(d);
    }
    ds_sink_destroy(sink);
    ds_diagnoser_end(g);
    ds_diagnoser_write_summary(g, devnull);
    ds_diagnoser_free(g);
    return 0;
}
