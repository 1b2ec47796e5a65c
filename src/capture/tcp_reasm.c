/* TCP reassembly of one direction (see tcp_reasm.h). Sequence numbers are compared modulo 2^32
 * through their signed difference from next_seq, so a stream may wrap. */
#include "capture/tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

struct ds_tcp_seg {
    ds_tcp_seg *next;
    uint32_t seq;
    size_t len;
    uint8_t data[];
};

/* Where seq lies relative to the next expected byte: < 0 already delivered, 0 next, > 0 ahead. */
static int64_t ahead(const ds_tcp_stream *s, uint32_t seq)
{
    return (int32_t)(seq - s->next_seq);
}

void ds_tcp_stream_init(ds_tcp_stream *s, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->cap = cap;
}

static void deliver(ds_tcp_stream *s, const uint8_t *p, size_t n, const ds_tcp_out *out)
{
    if (n == 0) return;
    if (out && out->data) out->data(out->user, p, n, s->offset);
    ds_tcp_stream_delivered(s, n);
}

/* Bytes [seq, seq+n) where seq may lie before next_seq: only the part not yet delivered goes. */
static void deliver_new_part(ds_tcp_stream *s, uint32_t seq, const uint8_t *p, size_t n, const ds_tcp_out *out)
{
    int64_t rel = ahead(s, seq);
    if (rel > 0) return; /* the caller checked: never ahead */
    size_t old = (size_t)-rel;
    if (old >= n) return; /* all of it delivered already (a retransmission) */
    deliver(s, p + old, n - old, out);
}

/* Delivers the waiting segments that the stream has reached. */
static void drain(ds_tcp_stream *s, const ds_tcp_out *out)
{
    while (s->waiting && ahead(s, s->waiting->seq) <= 0) {
        ds_tcp_seg *g = s->waiting;
        s->waiting = g->next;
        s->waiting_bytes -= g->len;
        deliver_new_part(s, g->seq, g->data, g->len, out);
        free(g);
    }
}

/* The hole before the first waiting segment is given up: reported, then skipped. */
static void skip_hole(ds_tcp_stream *s, const ds_tcp_out *out)
{
    if (!s->waiting) return;
    uint64_t missing = (uint64_t)ahead(s, s->waiting->seq);
    s->gaps++;
    if (out && out->gap) out->gap(out->user, s->offset, missing);
    s->next_seq = s->waiting->seq;
    drain(s, out);
}

/* Keeps a copy of a segment that lies ahead of a hole, in sequence order; a segment whose start
 * and length are already waiting is a retransmission and is not kept twice. */
static void wait_for_hole(ds_tcp_stream *s, uint32_t seq, const uint8_t *p, size_t n)
{
    ds_tcp_seg **at = &s->waiting;
    int64_t rel = ahead(s, seq);
    while (*at && ahead(s, (*at)->seq) < rel) at = &(*at)->next;
    if (*at && (*at)->seq == seq && (*at)->len >= n) return;
    ds_tcp_seg *g = malloc(sizeof *g + n);
    if (!g) return; /* out of memory: the bytes become part of a gap */
    g->seq = seq;
    g->len = n;
    memcpy(g->data, p, n);
    g->next = *at;
    *at = g;
    s->waiting_bytes += n;
}

static void give_up_acked(ds_tcp_stream *s, const ds_tcp_out *out);

/* A segment's payload is accepted only this far ahead of the stream: anything beyond is not of
 * this stream (a reused port, a corrupted header) and would only fill the buffer. */
#define DS_TCP_WINDOW_MAX (1L << 30)

void ds_tcp_stream_segment(ds_tcp_stream *s, uint32_t seq, unsigned flags, const uint8_t *p, size_t n,
                           size_t wire_len, const ds_tcp_out *out)
{
    if (ds_tcp_stream_in_order(s, seq, flags, n, wire_len)) {
        /* the common case, as the general way below would take it: the next bytes in order,
         * whole, nothing waiting beyond a hole */
        deliver(s, p, n, out);
        return;
    }
    uint32_t data_seq = seq + ((flags & DS_TCP_SYN) ? 1u : 0u); /* a SYN takes one sequence number */
    if (!s->started) {
        s->started = 1;
        s->next_seq = data_seq; /* from the SYN, or mid-stream from the first segment seen */
    }
    if (wire_len < n) wire_len = n;
    if (n == 0 && wire_len == 0) return;
    int64_t rel = ahead(s, data_seq);
    if (rel > DS_TCP_WINDOW_MAX) return;
    if (rel > 0) {
        if (n) wait_for_hole(s, data_seq, p, n);
        while (s->waiting && s->waiting_bytes > s->cap) skip_hole(s, out);
        give_up_acked(s, out);
        return;
    }
    deliver_new_part(s, data_seq, p, n, out);
    uint32_t end = data_seq + (uint32_t)wire_len;
    if (wire_len > n && ahead(s, end) > 0) {
        /* the capture kept only the start of this segment: the rest is lost now */
        uint64_t missing = (uint64_t)ahead(s, end);
        s->gaps++;
        if (out && out->gap) out->gap(out->user, s->offset, missing);
        s->next_seq = end;
    }
    drain(s, out);
}

/* Holes below what the peer acknowledged are lost to the capture: nothing will fill them. */
static void give_up_acked(ds_tcp_stream *s, const ds_tcp_out *out)
{
    while (s->acked && s->waiting && ahead(s, s->ack_seq) > 0) skip_hole(s, out);
}

void ds_tcp_stream_give_up_acked(ds_tcp_stream *s, const ds_tcp_out *out)
{
    give_up_acked(s, out);
}

void ds_tcp_stream_flush(ds_tcp_stream *s, const ds_tcp_out *out)
{
    while (s->waiting) skip_hole(s, out);
}

void ds_tcp_stream_free(ds_tcp_stream *s)
{
    while (s->waiting) {
        ds_tcp_seg *g = s->waiting;
        s->waiting = g->next;
        free(g);
    }
    s->waiting_bytes = 0;
}
