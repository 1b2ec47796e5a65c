/* The capture entry point (ds_decode_capture) on the generated captures of testdata/: the magic
 * numbers, eviction when more connections are live than allowed, a refused filter, a file that is
 * no capture. Run from the top of the source tree (as make check does). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "capture/packet.h"
#include "test_hex.h"

typedef struct counts {
    int evicted, gaps, errors;
} counts;

static void on_diag(void *user, const ds_diag *d)
{
    counts *c = user;
    if (!strcmp(d->code, DS_D_CAPTURE_EVICTED)) c->evicted++;
    if (!strcmp(d->code, DS_D_TCP_GAP)) c->gaps++;
    if (d->severity == DS_SEV_ERROR) c->errors++;
}

/* decodes a file into a null sink; returns ds_decode_capture's result */
static int decode(const char *path, const ds_capture_options *copt, counts *c, ds_stats *st, char *err, size_t errlen)
{
    FILE *in = fopen(path, "rb");
    ck_assert_msg(in != NULL, "%s: cannot open (run from the top of the tree)", path);
    ds_sink *sink = ds_null_sink_new();
    ds_options opt;
    ds_options_init(&opt);
    sink->begin_document(sink);
    int rc = ds_decode_capture(in, copt, &opt, sink, on_diag, c, st, err, errlen);
    sink->end_document(sink);
    ds_sink_destroy(sink);
    fclose(in);
    return rc;
}

/* IPv6 text (RFC 5952 section 4); every expected text is Python's ipaddress.IPv6Address(...).compressed */
START_TEST(ipv6_text)
{
    static const char *const CASES[][2] = {
        {"20010db8000000000000000000000001", "2001:db8::1"},
        {"20010db8000000000000000000000002", "2001:db8::2"},
        {"00000000000000000000000000000000", "::"},
        {"00000000000000000000000000000001", "::1"},
        {"fe800000000000000202b3fffe1e8329", "fe80::202:b3ff:fe1e:8329"},
        {"20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"},   /* one zero group stays */
        {"20010db8000000000001000000000001", "2001:db8::1:0:0:1"},      /* the first of equal runs */
        {"20010db8000100000000000000000000", "2001:db8:1::"},
        {"20010DB8AAAABBBBCCCCDDDDEEEE0001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
        {"00000001000000010000000100000001", "0:1:0:1:0:1:0:1"},
        {"00000000000100000000000000010000", "0:0:1::1:0"},             /* the longest run, not the first */
        {"20010db8000000000000000000010000", "2001:db8::1:0"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        uint8_t a[16];
        ck_assert_uint_eq(test_unhex(CASES[i][0], a, sizeof a), 16);
        char text[DS_IPV6_TEXT];
        ds_pkt_ipv6_text(a, text);
        ck_assert_str_eq(text, CASES[i][1]);
    }
}
END_TEST

/* A capture in a FILE without a descriptor (fmemopen) is read through stdio: the same frames and
 * APDUs as from the file (the dup of a descriptor it used before had none to dup) */
START_TEST(stream_without_descriptor)
{
    static const char PATH[] = "testdata/golden/pcap-wrapper-tcp.in";
    counts c1 = {0}, c2 = {0};
    ds_stats from_file, from_memory;
    char err[256];
    ck_assert_int_eq(decode(PATH, NULL, &c1, &from_file, err, sizeof err), 0);
    FILE *f = fopen(PATH, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t bytes[1 << 16];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_lt(n, sizeof bytes);
    FILE *mem = fmemopen(bytes, n, "rb");
    ck_assert_ptr_nonnull(mem);
    ds_sink *sink = ds_null_sink_new();
    ds_options opt;
    ds_options_init(&opt);
    sink->begin_document(sink);
    ck_assert_int_eq(ds_decode_capture(mem, NULL, &opt, sink, on_diag, &c2, &from_memory, err, sizeof err), 0);
    sink->end_document(sink);
    ds_sink_destroy(sink);
    fclose(mem);
    ck_assert_uint_gt(from_file.frames, 0);
    ck_assert_uint_eq(from_memory.frames, from_file.frames);
    ck_assert_uint_eq(from_memory.apdus, from_file.apdus);
    ck_assert_uint_eq(from_memory.bytes, from_file.bytes);
}
END_TEST

START_TEST(magic_numbers)
{
    static const uint8_t YES[][4] = {{0xD4, 0xC3, 0xB2, 0xA1}, {0xA1, 0xB2, 0xC3, 0xD4}, {0x4D, 0x3C, 0xB2, 0xA1},
                                     {0xA1, 0xB2, 0x3C, 0x4D}, {0x0A, 0x0D, 0x0D, 0x0A}};
    static const uint8_t NO[][4] = {{0xD4, 0xC3, 0xB2, 0xA0}, {0x7E, 0xA0, 0x08, 0x02}, {0x00, 0x01, 0x00, 0x01},
                                    {0x0A, 0x0D, 0x0D, 0x0B}};
    for (size_t i = 0; i < sizeof YES / sizeof YES[0]; i++) ck_assert_int_eq(ds_capture_magic(YES[i], 4), 1);
    for (size_t i = 0; i < sizeof NO / sizeof NO[0]; i++) ck_assert_int_eq(ds_capture_magic(NO[i], 4), 0);
    ck_assert_int_eq(ds_capture_magic(YES[0], 3), 0);
    ck_assert_int_eq(ds_capture_magic(NULL, 4), 0);
}
END_TEST

/* two connections at once with room for one: each packet of the other evicts the live one */
START_TEST(eviction)
{
    ds_capture_options copt;
    ds_capture_options_init(&copt);
    counts all = {0, 0, 0}, one = {0, 0, 0};
    ds_stats st;
    char err[256];
    ck_assert_int_eq(decode("testdata/golden/pcap-two-connections.in", &copt, &all, &st, err, sizeof err), 0);
    ck_assert_int_eq(all.evicted, 0);
    ck_assert_uint_eq(st.frames, 10);
    copt.max_connections = 1;
    decode("testdata/golden/pcap-two-connections.in", &copt, &one, &st, err, sizeof err);
    ck_assert_int_gt(one.evicted, 10);
    ck_assert_uint_eq(st.frames, 10); /* every frame still decoded (without its session's titles) */
}
END_TEST

START_TEST(bad_filter_and_not_a_capture)
{
    ds_capture_options copt;
    ds_capture_options_init(&copt);
    copt.filter = "tcp port banana";
    counts c = {0, 0, 0};
    char err[256] = "";
    ck_assert_int_eq(decode("testdata/golden/pcap-wrapper-tcp.in", &copt, &c, NULL, err, sizeof err), -2);
    ck_assert_ptr_nonnull(strstr(err, "bad --filter"));
    ds_capture_options_init(&copt);
    ck_assert_int_eq(decode("testdata/corpus/CS-u9n-snrm.hex", &copt, &c, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a capture"));
}
END_TEST

/* the lost segment: one gap, and the capture says something was not decodable */
START_TEST(gap_counted)
{
    ds_capture_options copt;
    ds_capture_options_init(&copt);
    counts c = {0, 0, 0};
    char err[256];
    ck_assert_int_eq(decode("testdata/golden/pcap-wrapper-tcp-dropped.in", &copt, &c, NULL, err, sizeof err), 1);
    ck_assert_int_eq(c.gaps, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("capture");
    TCase *t = tcase_create("capture");
    tcase_add_test(t, magic_numbers);
    tcase_add_test(t, ipv6_text);
    tcase_add_test(t, stream_without_descriptor);
    tcase_add_test(t, eviction);
    tcase_add_test(t, bad_filter_and_not_a_capture);
    tcase_add_test(t, gap_counted);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
