/* TCP reassembly of one direction (src/capture/tcp_reasm.c) and the packet headers before it
 * (src/capture/packet.c). The stream is checked against the bytes sent: every case sends a
 * known message in some order and compares what came out, byte for byte, and the gaps. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/packet.h"
#include "capture/tcp_reasm.h"

typedef struct sink {
    uint8_t out[4096];
    size_t len;
    int contiguous;          /* every piece's offset followed on from the one before */
    uint64_t gap_offset[8], gap_missing[8];
    int gaps;
} sink;

static void on_data(void *user, const uint8_t *p, size_t n, uint64_t offset)
{
    sink *k = user;
    if (offset != k->len) k->contiguous = 0;
    ck_assert_uint_le(k->len + n, sizeof k->out);
    memcpy(k->out + k->len, p, n);
    k->len += n;
}

static void on_gap(void *user, uint64_t offset, uint64_t missing)
{
    sink *k = user;
    ck_assert_int_lt(k->gaps, 8);
    k->gap_offset[k->gaps] = offset;
    k->gap_missing[k->gaps] = missing;
    k->gaps++;
}

static uint8_t MSG[200];

static void setup_msg(void)
{
    for (size_t i = 0; i < sizeof MSG; i++) MSG[i] = (uint8_t)(i * 7 + 3);
}

typedef struct run {
    ds_tcp_stream s;
    sink k;
    ds_tcp_out out;
} run;

static void run_init(run *r, size_t cap)
{
    setup_msg();
    memset(r, 0, sizeof *r);
    ds_tcp_stream_init(&r->s, cap);
    r->k.contiguous = 1;
    r->out = (ds_tcp_out){on_data, on_gap, &r->k};
}

/* bytes [from, to) of MSG, with ISN so that byte 0 has sequence isn + 1 */
static void seg(run *r, uint32_t isn, size_t from, size_t to)
{
    ds_tcp_stream_segment(&r->s, isn + 1 + (uint32_t)from, 0, MSG + from, to - from, to - from, &r->out);
}

static void syn(run *r, uint32_t isn)
{
    ds_tcp_stream_segment(&r->s, isn, DS_TCP_SYN, NULL, 0, 0, &r->out);
}

START_TEST(in_order)
{
    run r;
    run_init(&r, 1 << 16);
    syn(&r, 1000);
    seg(&r, 1000, 0, 50);
    seg(&r, 1000, 50, 200);
    ck_assert_uint_eq(r.k.len, 200);
    ck_assert_mem_eq(r.k.out, MSG, 200);
    ck_assert_int_eq(r.k.gaps, 0);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* every order of four pieces, each also repeated: the stream always comes out whole */
START_TEST(out_of_order_and_repeated)
{
    static const size_t CUT[5] = {0, 30, 77, 150, 200};
    static const int ORDERS[][4] = {{3, 2, 1, 0}, {1, 0, 3, 2}, {2, 0, 3, 1}, {0, 2, 1, 3}, {3, 0, 1, 2}};
    for (size_t o = 0; o < sizeof ORDERS / sizeof ORDERS[0]; o++) {
        run r;
        run_init(&r, 1 << 16);
        syn(&r, 4000);
        for (int i = 0; i < 4; i++) {
            int k = ORDERS[o][i];
            seg(&r, 4000, CUT[k], CUT[k + 1]);
            seg(&r, 4000, CUT[k], CUT[k + 1]); /* retransmission */
        }
        ck_assert_uint_eq(r.k.len, 200);
        ck_assert_mem_eq(r.k.out, MSG, 200);
        ck_assert_int_eq(r.k.gaps, 0);
        ck_assert(r.k.contiguous);
        ck_assert_uint_eq(r.s.waiting_bytes, 0);
        ds_tcp_stream_free(&r.s);
    }
}
END_TEST

/* overlapping segments, before and after the stream has reached them */
START_TEST(overlaps)
{
    run r;
    run_init(&r, 1 << 16);
    syn(&r, 9);
    seg(&r, 9, 0, 40);
    seg(&r, 9, 20, 60);    /* half old */
    seg(&r, 9, 100, 140);  /* ahead */
    seg(&r, 9, 90, 120);   /* ahead, overlapping the waiting one */
    seg(&r, 9, 50, 110);   /* fills the hole, overlaps both sides */
    seg(&r, 9, 130, 200);
    ck_assert_uint_eq(r.k.len, 200);
    ck_assert_mem_eq(r.k.out, MSG, 200);
    ck_assert_int_eq(r.k.gaps, 0);
    ck_assert(r.k.contiguous);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* sequence numbers wrap at 2^32 inside the message */
START_TEST(sequence_wraps)
{
    run r;
    run_init(&r, 1 << 16);
    uint32_t isn = 0xFFFFFFFFu - 60;
    syn(&r, isn);
    seg(&r, isn, 100, 200);
    seg(&r, isn, 0, 100);
    ck_assert_uint_eq(r.k.len, 200);
    ck_assert_mem_eq(r.k.out, MSG, 200);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* no SYN seen: the first segment starts the stream */
START_TEST(mid_stream)
{
    run r;
    run_init(&r, 1 << 16);
    seg(&r, 777, 60, 120);
    seg(&r, 777, 120, 200);
    seg(&r, 777, 0, 60);   /* older than where the capture began: already past */
    ck_assert_uint_eq(r.k.len, 140);
    ck_assert_mem_eq(r.k.out, MSG + 60, 140);
    ck_assert_int_eq(r.k.gaps, 0);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* a lost segment: the rest waits until flushed, then comes after one gap of the right size */
START_TEST(lost_segment_flushed)
{
    run r;
    run_init(&r, 1 << 16);
    syn(&r, 50);
    seg(&r, 50, 0, 40);
    seg(&r, 50, 70, 200);
    ck_assert_uint_eq(r.k.len, 40);
    ds_tcp_stream_flush(&r.s, &r.out);
    ck_assert_int_eq(r.k.gaps, 1);
    ck_assert_uint_eq(r.k.gap_offset[0], 40);
    ck_assert_uint_eq(r.k.gap_missing[0], 30);
    ck_assert_uint_eq(r.k.len, 170);
    ck_assert_mem_eq(r.k.out, MSG, 40);
    ck_assert_mem_eq(r.k.out + 40, MSG + 70, 130);
    ck_assert(r.k.contiguous);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* the peer acknowledged past the hole: given up at once */
START_TEST(lost_segment_acknowledged)
{
    run r;
    run_init(&r, 1 << 16);
    syn(&r, 50);
    seg(&r, 50, 0, 40);
    seg(&r, 50, 70, 100);
    ck_assert_int_eq(r.k.gaps, 0);
    ds_tcp_stream_ack(&r.s, 50 + 1 + 100, &r.out);
    ck_assert_int_eq(r.k.gaps, 1);
    ck_assert_uint_eq(r.k.gap_missing[0], 30);
    ck_assert_uint_eq(r.k.len, 70);
    /* later data goes straight through; an ack below the stream changes nothing */
    ds_tcp_stream_ack(&r.s, 50 + 1 + 10, &r.out);
    seg(&r, 50, 100, 200);
    ck_assert_uint_eq(r.k.len, 170);
    ck_assert_int_eq(r.k.gaps, 1);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* what waits beyond a hole is capped: the hole is given up when the cap is passed */
START_TEST(waiting_bytes_capped)
{
    run r;
    run_init(&r, 64);
    syn(&r, 0);
    seg(&r, 0, 0, 10);
    seg(&r, 0, 20, 60);   /* 40 waiting */
    ck_assert_int_eq(r.k.gaps, 0);
    seg(&r, 0, 100, 130); /* 70 waiting > 64: the first hole goes */
    ck_assert_int_eq(r.k.gaps, 1);
    ck_assert_uint_eq(r.k.gap_missing[0], 10);
    ck_assert_uint_eq(r.k.len, 10 + 40);
    ck_assert_uint_le(r.s.waiting_bytes, 64);
    ds_tcp_stream_flush(&r.s, &r.out);
    ck_assert_int_eq(r.k.gaps, 2);
    ck_assert_uint_eq(r.k.gap_missing[1], 40);
    ck_assert_uint_eq(r.k.len, 80);
    ck_assert(r.k.contiguous);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* a segment the capture cut short (snaplen): the missing end is a gap at once */
START_TEST(snaplen_cut)
{
    run r;
    run_init(&r, 1 << 16);
    syn(&r, 0);
    ds_tcp_stream_segment(&r.s, 1, 0, MSG, 30, 100, &r.out);
    ck_assert_int_eq(r.k.gaps, 1);
    ck_assert_uint_eq(r.k.gap_offset[0], 30);
    ck_assert_uint_eq(r.k.gap_missing[0], 70);
    seg(&r, 0, 100, 200);
    ck_assert_uint_eq(r.k.len, 130);
    ck_assert_mem_eq(r.k.out + 30, MSG + 100, 100);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* a segment absurdly far ahead is not of this stream: not kept */
START_TEST(far_ahead_ignored)
{
    run r;
    run_init(&r, 1 << 16);
    syn(&r, 0);
    ds_tcp_stream_segment(&r.s, 0x80000000u, 0, MSG, 50, 50, &r.out);
    ck_assert_uint_eq(r.s.waiting_bytes, 0);
    seg(&r, 0, 0, 200);
    ck_assert_uint_eq(r.k.len, 200);
    ds_tcp_stream_flush(&r.s, &r.out);
    ck_assert_int_eq(r.k.gaps, 0);
    ds_tcp_stream_free(&r.s);
}
END_TEST

/* freeing with segments waiting releases them (ASan counts) */
START_TEST(free_while_waiting)
{
    run r;
    run_init(&r, 1 << 16);
    syn(&r, 0);
    seg(&r, 0, 50, 60);
    seg(&r, 0, 80, 90);
    ck_assert_uint_eq(r.s.waiting_bytes, 20);
    ds_tcp_stream_free(&r.s);
    ck_assert_uint_eq(r.s.waiting_bytes, 0);
}
END_TEST

/* ---- packet headers ------------------------------------------------------------------------- */

/* Ethernet, 802.1ad + 802.1Q, IPv4 with options, TCP with options, payload "AB"; the Ethernet
 * frame is padded past the IP length, as short frames are */
START_TEST(packet_vlan_ipv4_options_tcp)
{
    static const uint8_t PKT[] = {
        2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xA8, 0, 100, 0x81, 0x00, 0, 200, 0x08, 0x00,
        0x46, 0, 0, 50, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 0, /* IHL 6 */
        0xC3, 0x51, 0x0F, 0xDB, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x60, 0x18, 0xFF, 0xFF, 0, 0, 0, 0,
        1, 1, 1, 0,                                                                          /* data offset 6 */
        'A', 'B', 0, 0, 0, 0};                                                              /* padding */
    ds_pkt pk;
    const char *why;
    ck_assert_int_eq(ds_pkt_parse(DS_LT_ETHERNET, PKT, sizeof PKT, &pk, &why), DS_PKT_OURS);
    ck_assert_int_eq(pk.ip_version, 4);
    ck_assert_uint_eq(pk.proto, 6);
    ck_assert_uint_eq(pk.sport, 50001);
    ck_assert_uint_eq(pk.dport, 4059);
    ck_assert_uint_eq(pk.seq, 0x1000);
    ck_assert_uint_eq(pk.ack, 0x2000);
    ck_assert_uint_eq(pk.len, 2);
    ck_assert_uint_eq(pk.wire_len, 2);
    ck_assert_mem_eq(pk.payload, "AB", 2);
    /* every cut of it is refused or not ours, never read past the end */
    for (size_t n = 0; n < sizeof PKT - 4; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, PKT, n);
        ds_pkt_result r = ds_pkt_parse(DS_LT_ETHERNET, copy, n, &pk, &why);
        if (r == DS_PKT_OURS) ck_assert_uint_le(pk.len, 2);
        free(copy);
    }
}
END_TEST

/* IPv6 with a hop-by-hop header, UDP; and an IPv6 fragment */
START_TEST(packet_ipv6_extension_udp)
{
    uint8_t p[40 + 8 + 8 + 3];
    memset(p, 0, sizeof p);
    p[0] = 0x60;
    p[5] = 8 + 8 + 3;  /* payload length */
    p[6] = 0;          /* hop-by-hop */
    p[23] = 1;
    p[39] = 2;
    p[40] = 17;        /* next: UDP; length (0 + 1) * 8 */
    p[48] = 0x0F; p[49] = 0xDB; p[50] = 0x9C; p[51] = 0x40; p[53] = 11;
    p[56] = 1; p[57] = 2; p[58] = 3;
    ds_pkt pk;
    const char *why;
    ck_assert_int_eq(ds_pkt_parse(DS_LT_RAW, p, sizeof p, &pk, &why), DS_PKT_OURS);
    ck_assert_int_eq(pk.ip_version, 6);
    ck_assert_uint_eq(pk.proto, 17);
    ck_assert_uint_eq(pk.sport, 4059);
    ck_assert_uint_eq(pk.dport, 40000);
    ck_assert_uint_eq(pk.len, 3);
    p[6] = 44;         /* a fragment header instead, offset 0 with M set: the first fragment */
    p[43] = 1;
    ck_assert_int_eq(ds_pkt_parse(DS_LT_RAW, p, sizeof p, &pk, &why), DS_PKT_FRAGMENT);
    ck_assert_int_eq(pk.first_fragment, 1);
    ck_assert_uint_eq(pk.sport, 4059);
    ck_assert_int_eq(ds_pkt_parse(999, p, sizeof p, &pk, &why), DS_PKT_LINKTYPE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_reasm");
    TCase *t = tcase_create("tcp_reasm");
    tcase_add_test(t, in_order);
    tcase_add_test(t, out_of_order_and_repeated);
    tcase_add_test(t, overlaps);
    tcase_add_test(t, sequence_wraps);
    tcase_add_test(t, mid_stream);
    tcase_add_test(t, lost_segment_flushed);
    tcase_add_test(t, lost_segment_acknowledged);
    tcase_add_test(t, waiting_bytes_capped);
    tcase_add_test(t, snaplen_cut);
    tcase_add_test(t, far_ahead_ignored);
    tcase_add_test(t, free_while_waiting);
    tcase_add_test(t, packet_vlan_ipv4_options_tcp);
    tcase_add_test(t, packet_ipv6_extension_udp);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
