/* libFuzzer target: the TCP reassembler fed arbitrary segments. Each segment is
 *   flags (1 byte: SYN, FIN, ACK-only, flush) | sequence offset (2 bytes, from a base that the
 *   first byte moves across 2^32) | length (1 byte) | payload
 * and the stream must come out with contiguous offsets, never more bytes than were fed, and
 * never more waiting than the cap plus one segment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/tcp_reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct out_state {
    uint64_t next;
    uint64_t delivered;
} out_state;

static void on_data(void *user, const uint8_t *p, size_t n, uint64_t offset)
{
    out_state *o = user;
    if (offset != o->next || n == 0) abort();
    volatile uint8_t touch = p[n - 1]; /* the bytes are readable */
    (void)touch;
    o->next += n;
    o->delivered += n;
}

static void on_gap(void *user, uint64_t offset, uint64_t missing)
{
    out_state *o = user;
    if (offset != o->next || missing == 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint32_t base = (uint32_t)data[0] << 24 | 0x00FFFF00u;
    size_t cap = 64u << (data[0] & 7);
    ds_tcp_stream s;
    ds_tcp_stream_init(&s, cap);
    out_state o = {0, 0};
    ds_tcp_out out = {on_data, on_gap, &o};
    uint64_t fed = 0;
    size_t i = 1;
    while (i + 4 <= size) {
        uint8_t flags = data[i];
        uint32_t seq = base + (uint32_t)(data[i + 1] << 8 | data[i + 2]);
        size_t n = data[i + 3];
        i += 4;
        if (n > size - i) n = size - i;
        if (flags & 0x40) {
            ds_tcp_stream_ack(&s, seq, &out);
        } else if (flags & 0x80) {
            ds_tcp_stream_flush(&s, &out);
        } else {
            unsigned f = (flags & 1 ? DS_TCP_SYN : 0) | (flags & 2 ? DS_TCP_FIN : 0);
            size_t wire = n + ((flags & 4) ? (size_t)(flags >> 3) : 0);
            ds_tcp_stream_segment(&s, seq, f, data + i, n, wire, &out);
            fed += n;
        }
        i += n;
        if (s.waiting_bytes > cap + 255) abort();
        if (o.delivered > fed) abort();
    }
    ds_tcp_stream_flush(&s, &out);
    if (s.waiting || s.waiting_bytes) abort();
    ds_tcp_stream_free(&s);
    return 0;
}
