/* libFuzzer target: the whole capture path (libpcap reading pcap and pcapng, link/IP/TCP/UDP
 * headers, TCP reassembly, a decoder per connection, XML writer) on arbitrary files. The first
 * byte picks options (any port, small limits so eviction and the waiting cap are reached). The
 * bytes are handed over through a temporary file: the capture is read from a descriptor. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "dlmscope/dlmscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull, *file;
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (!file) file = tmpfile();
    if (size < 1 || !devnull || !file) return 0;
    int fd = fileno(file);
    if (ftruncate(fd, 0) != 0) return 0;
    if (pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1)) return 0;
    if (lseek(fd, 0, SEEK_SET) != 0) return 0;
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = data[0] & 1;
    ds_capture_options copt;
    ds_capture_options_init(&copt);
    copt.any_port = (data[0] >> 1) & 1;
    if (data[0] & 4) {
        copt.max_connections = 2;
        copt.max_waiting = 64;
    }
    if (data[0] & 8) copt.ports[copt.nports++] = 80;
    ds_sink *sink = (data[0] & 16) ? ds_json_sink_new(devnull) : ds_xml_sink_new(devnull);
    if (sink) {
        char err[256];
        sink->begin_document(sink);
        ds_decode_capture(file, &copt, &opt, sink, NULL, NULL, NULL, err, sizeof err);
        sink->end_document(sink);
        ds_sink_destroy(sink);
    }
    return 0;
}
