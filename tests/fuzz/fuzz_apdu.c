/* libFuzzer target: the APDU decoder (schema walker, ACSE, A-XDR data) on arbitrary bytes.
 * The first byte picks options so every formatting path is reached. */
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
    ds_sink *sink = (data[0] & 4) && devnull ? ds_xml_sink_new(devnull) : ds_null_sink_new();
    if (!sink) return 0;
    ds_decode_apdu_buffer(data + 1, size - 1, &opt, sink, NULL, NULL);
    ds_sink_destroy(sink);
    return 0;
}
