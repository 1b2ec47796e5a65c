/* A program that uses libdlmscope.so through the public headers only, as a third party would:
 * decodes one HDLC frame given as hex on stdin and writes the XML to stdout. */
#include <stdio.h>

#include <dlmscope/dlmscope.h>

int main(void)
{
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = 0;
    ds_sink *sink = ds_xml_sink_new(stdout);
    if (!sink) return 3;
    int rc = ds_decode_stream(stdin, DS_INPUT_AUTO, &opt, sink, NULL, NULL, NULL);
    ds_sink_destroy(sink);
    printf("version %s rc %d\n", DLMSCOPE_VERSION, rc);
    return rc == 0 ? 0 : 1;
}
