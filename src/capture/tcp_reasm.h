/* TCP reassembly of one direction of one connection: segments in, the byte stream out in order.
 *
 * Segments may arrive out of order, twice (retransmissions), overlapping, or not at all (lost
 * before the capture saw them). What follows the next expected byte is delivered at once; what
 * lies beyond a hole waits, up to a cap of bytes, and is delivered after a gap report when the
 * cap is reached or the stream is flushed (FIN, RST, end of capture). The first copy of a byte
 * wins: a retransmission never changes bytes already delivered or waiting.
 *
 * Offsets count the bytes delivered (without the missing ones), so the consumer sees one
 * continuous stream; a gap report says where in it the hole lies and how many bytes it held. */
#ifndef DS_CAPTURE_TCP_REASM_H
#define DS_CAPTURE_TCP_REASM_H

#include <stddef.h>
#include <stdint.h>

#define DS_TCP_SYN 0x02u
#define DS_TCP_FIN 0x01u
#define DS_TCP_RST 0x04u

typedef struct ds_tcp_out {
    /* n bytes of the stream, the first at stream offset `offset` */
    void (*data)(void *user, const uint8_t *p, size_t n, uint64_t offset);
    /* `missing` bytes (sequence numbers) were never seen; the stream goes on at `offset` */
    void (*gap)(void *user, uint64_t offset, uint64_t missing);
    void *user;
} ds_tcp_out;

typedef struct ds_tcp_seg ds_tcp_seg;

typedef struct ds_tcp_stream {
    int started;          /* next_seq is known (from a SYN, or from the first segment seen) */
    uint32_t next_seq;    /* sequence number of the next byte to deliver */
    uint64_t offset;      /* stream offset of that byte */
    ds_tcp_seg *waiting;  /* segments beyond a hole, in sequence order (relative to next_seq) */
    size_t waiting_bytes; /* their data bytes, overlaps counted */
    size_t cap;           /* most waiting bytes before the hole is given up */
    uint64_t gaps;        /* holes given up so far */
    int acked;            /* ack_seq is set */
    uint32_t ack_seq;     /* the highest acknowledgement the peer sent */
} ds_tcp_stream;

void ds_tcp_stream_init(ds_tcp_stream *s, size_t cap);
/* One segment: its sequence number, flags (DS_TCP_SYN, DS_TCP_FIN), the captured payload p[0..n)
 * and the payload length on the wire (wire_len >= n: a capture cut short by its snaplen misses
 * the rest, reported as a gap at once when the segment is the next expected one). */
void ds_tcp_stream_segment(ds_tcp_stream *s, uint32_t seq, unsigned flags, const uint8_t *p, size_t n,
                           size_t wire_len, const ds_tcp_out *out);
/* Whether a segment is the common case that ds_tcp_stream_segment() delivers at once: the next
 * bytes in order, whole, nothing waiting beyond a hole. A caller may then hand p[0..n) on
 * itself, at stream offset s->offset, and call ds_tcp_stream_delivered(): the same as
 * ds_tcp_stream_segment() with its ds_tcp_out, without the call and the callback a packet. */
static inline int ds_tcp_stream_in_order(const ds_tcp_stream *s, uint32_t seq, unsigned flags, size_t n,
                                         size_t wire_len)
{
    return s->started && !s->waiting && seq == s->next_seq && !(flags & DS_TCP_SYN) && n == wire_len && n;
}
/* After bytes that ds_tcp_stream_in_order() allowed were handed on: the stream goes on past them. */
static inline void ds_tcp_stream_delivered(ds_tcp_stream *s, size_t n)
{
    s->next_seq += (uint32_t)n;
    s->offset += n;
}
/* The part of ds_tcp_stream_ack() for segments waiting beyond a hole. */
void ds_tcp_stream_give_up_acked(ds_tcp_stream *s, const ds_tcp_out *out);
/* The peer acknowledged every byte before `ack`: a hole below it reached the peer but not the
 * capture, so it is given up at once instead of being waited for. Inline: every packet of a
 * capture acknowledges, and mostly nothing waits. */
static inline void ds_tcp_stream_ack(ds_tcp_stream *s, uint32_t ack, const ds_tcp_out *out)
{
    if (!s->started) return;
    if (!s->acked || (int32_t)(ack - s->ack_seq) > 0) {
        s->acked = 1;
        s->ack_seq = ack;
    }
    if (s->waiting) ds_tcp_stream_give_up_acked(s, out);
}
/* Gives up every hole: what waits is delivered after its gap reports. */
void ds_tcp_stream_flush(ds_tcp_stream *s, const ds_tcp_out *out);
void ds_tcp_stream_free(ds_tcp_stream *s);

#endif
