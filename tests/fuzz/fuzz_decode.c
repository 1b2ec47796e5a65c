/* libFuzzer target: the whole decode pipeline (reader sniffing text or binary, framer,
 * reassembly, APDU decoding, XML writer) on arbitrary input. */
#include <stdint.h>
#include <stdio.h>

#include "dlmscope/dlmscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (size < 1 || !devnull) return 0;
    FILE *in = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "rb");
    if (!in) return 0;
    if (size == 1) fgetc(in); /* fmemopen refuses size 0: consume the one byte so the input is empty */
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = data[0] & 1;
    opt.decimal = (data[0] >> 1) & 1;
    opt.pdu_only = (data[0] >> 2) & 1;
    ds_sink *sink = (data[0] & 8) ? ds_json_sink_new(devnull) : ds_xml_sink_new(devnull);
    if (sink) {
        sink->begin_document(sink);
        ds_decode_stream(in, DS_INPUT_AUTO, &opt, sink, NULL, NULL, NULL);
        sink->end_document(sink);
        ds_sink_destroy(sink);
    }
    fclose(in);
    return 0;
}
