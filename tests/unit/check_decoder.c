/* The pipeline: framing + reassembly + APDU decoding, driven through the public API.
 * Frames are built here with their FCS so that segment layouts can be varied freely. */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"

typedef struct run {
    char *xml;
    char codes[16384];
    ds_stats stats;
} run;

static void collect(void *user, const ds_diag *d)
{
    run *r = user;
    size_t n = strlen(r->codes);
    snprintf(r->codes + n, sizeof r->codes - n, "%s@%llu ", d->code, (unsigned long long)d->offset);
}

/* Decodes `len` bytes fed in pieces of `piece` bytes (0 = all at once); trim: ds_decoder_trim
 * after every piece, as a capture with many connections does. */
static run decode_pieces(const uint8_t *p, size_t len, size_t piece, int pdu_only, int trim)
{
    run r;
    memset(&r, 0, sizeof r);
    size_t size = 0;
    FILE *out = open_memstream(&r.xml, &size);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = 0;
    opt.pdu_only = pdu_only;
    ds_decoder *d = ds_decoder_new(&opt, sink, collect, &r);
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    sink->begin_document(sink);
    if (piece == 0) piece = len ? len : 1;
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        ds_decoder_feed(d, p + off, n, off, &meta);
        if (trim) ds_decoder_trim(d);
    }
    ds_decoder_end(d);
    r.stats = *ds_decoder_stats(d);
    sink->end_document(sink);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    fclose(out);
    return r;
}

/* Two long outputs the same, else where they part (the whole texts are too long for a message). */
static void assert_same(const char *got, const char *want)
{
    size_t i = 0;
    while (got[i] && got[i] == want[i]) i++;
    size_t from = i > 60 ? i - 60 : 0;
    ck_assert_msg(got[i] == want[i], "differ at %zu: got ...%.120s... want ...%.120s...", i, got + from, want + from);
}

/* As decode_pieces without trimming; each input is decoded again trimmed after every piece and
 * after every byte: the output must be the same (what is given back is only what holds nothing). */
static run decode_bytes(const uint8_t *p, size_t len, size_t piece, int pdu_only)
{
    run r = decode_pieces(p, len, piece, pdu_only, 0);
    size_t pieces[2] = {piece, 1};
    for (int i = 0; i < 2; i++) {
        run t = decode_pieces(p, len, pieces[i], pdu_only, 1);
        assert_same(t.xml, r.xml);
        assert_same(t.codes, r.codes);
        free(t.xml);
    }
    return r;
}

/* Appends one HDLC frame (format type 3) with correct HCS/FCS; returns bytes written. */
static size_t hdlc(uint8_t *out, const uint8_t *dst, size_t dl, const uint8_t *src, size_t sl, uint8_t ctrl,
                   int segmented, const uint8_t *info, size_t il)
{
    size_t len = 2 + dl + sl + 1 + 2 + (il ? il + 2 : 0);
    size_t w = 0;
    out[w++] = 0x7E;
    out[w++] = (uint8_t)(0xA0 | (segmented ? 0x08 : 0) | (len >> 8));
    out[w++] = (uint8_t)(len & 0xFF);
    memcpy(out + w, dst, dl);
    w += dl;
    memcpy(out + w, src, sl);
    w += sl;
    out[w++] = ctrl;
    if (il) {
        uint16_t hcs = ds_crc16_x25(out + 1, w - 1);
        out[w++] = (uint8_t)(hcs & 0xFF);
        out[w++] = (uint8_t)(hcs >> 8);
        memcpy(out + w, info, il);
        w += il;
    }
    uint16_t fcs = ds_crc16_x25(out + 1, w - 1);
    out[w++] = (uint8_t)(fcs & 0xFF);
    out[w++] = (uint8_t)(fcs >> 8);
    out[w++] = 0x7E;
    return w;
}

static const uint8_t CLIENT[1] = {0x21};
static const uint8_t SERVER[2] = {0x02, 0x23};

/* A get-response-normal carrying an octet-string of 40 bytes 00..27, split in 3 segments,
 * with the client's RR polls between them (IEC 62056-46 §6.4.4.4 flow, window 1). */
static size_t segmented_exchange(uint8_t *buf, size_t ends[5])
{
    uint8_t apdu[3 + 6 + 40];
    size_t n = 0;
    static const uint8_t LLC[3] = {0xE6, 0xE7, 0x00};
    memcpy(apdu, LLC, 3);
    n = 3;
    static const uint8_t HEAD[6] = {0xC4, 0x01, 0xC1, 0x00, 0x09, 40};
    memcpy(apdu + n, HEAD, 6);
    n += 6;
    for (int i = 0; i < 40; i++) apdu[n++] = (uint8_t)i;
    size_t w = 0;
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x30, 1, apdu, 20);        /* I N(S)=0 N(R)=1, S=1 */
    ends[0] = w;
    w += hdlc(buf + w, SERVER, 2, CLIENT, 1, 0x31, 0, NULL, 0);         /* RR N(R)=1 */
    ends[1] = w;
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x32, 1, apdu + 20, 20);   /* I N(S)=1, S=1 */
    ends[2] = w;
    w += hdlc(buf + w, SERVER, 2, CLIENT, 1, 0x51, 0, NULL, 0);         /* RR N(R)=2 */
    ends[3] = w;
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x34, 0, apdu + 40, n - 40); /* last, S=0 */
    ends[4] = w;
    return w;
}

START_TEST(hdlc_segments_reassembled_once)
{
    uint8_t buf[512];
    size_t ends[5];
    size_t len = segmented_exchange(buf, ends);
    run r = decode_bytes(buf, len, 0, 0);
    ck_assert_str_eq(r.codes, "");
    ck_assert_int_eq((int)r.stats.frames, 5);
    /* segments as on the wire: the first keeps its LLC */
    ck_assert_ptr_nonnull(strstr(r.xml, "<NextFrame Value=\"E6E700C401C1000928000102030405060708090A\" />"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<NextFrame Value=\"0B0C0D0E0F101112131415161718191A1B1C1D1E\" />"));
    /* the reassembled APDU appears once, in the last frame */
    const char *pdu = strstr(r.xml, "<PDU>");
    ck_assert_ptr_nonnull(pdu);
    ck_assert_ptr_null(strstr(pdu + 1, "<PDU>"));
    ck_assert_ptr_nonnull(strstr(pdu, "<OctetString Value=\"000102030405060708090A0B0C0D0E0F10111213141516171819"
                                      "1A1B1C1D1E1F2021222324252627\" />"));
    ck_assert_int_eq((int)r.stats.apdus, 1);
    free(r.xml);
}
END_TEST

START_TEST(byte_at_a_time_gives_the_same_output)
{
    uint8_t buf[512];
    size_t ends[5];
    size_t len = segmented_exchange(buf, ends);
    run whole = decode_bytes(buf, len, 0, 0);
    for (size_t piece = 1; piece <= 7; piece += 3) {
        run bits = decode_bytes(buf, len, piece, 0);
        ck_assert_str_eq(bits.xml, whole.xml);
        ck_assert_str_eq(bits.codes, whole.codes);
        free(bits.xml);
    }
    free(whole.xml);
}
END_TEST

START_TEST(segments_of_two_directions_do_not_mix)
{
    /* A client segment (to the server) interleaved with a server segment (to the client):
     * each direction reassembles its own APDU. */
    uint8_t buf[512];
    static const uint8_t REQ[] = {0xE6, 0xE6, 0x00, 0xC0, 0x01, 0xC1, 0x00, 0x08, 0x00, 0x00,
                                  0x01, 0x00, 0x00, 0xFF, 0x02, 0x00};
    static const uint8_t RSP[] = {0xE6, 0xE7, 0x00, 0xC4, 0x01, 0xC1, 0x00, 0x11, 0x07};
    size_t w = 0;
    w += hdlc(buf + w, SERVER, 2, CLIENT, 1, 0x10, 1, REQ, 8);
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x10, 1, RSP, 6);
    w += hdlc(buf + w, SERVER, 2, CLIENT, 1, 0x32, 0, REQ + 8, sizeof REQ - 8);
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x32, 0, RSP + 6, sizeof RSP - 6);
    run r = decode_bytes(buf, w, 0, 1);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<GetRequestNormal>"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<UInt8 Value=\"07\" />"));
    ck_assert_int_eq((int)r.stats.apdus, 2);
    free(r.xml);
}
END_TEST

START_TEST(unfinished_segments_at_end_are_not_an_error)
{
    uint8_t buf[512];
    size_t ends[5];
    size_t len = segmented_exchange(buf, ends);
    (void)len;
    /* stop after the second segment */
    run r = decode_bytes(buf, ends[2], 0, 0);
    ck_assert_str_eq(r.codes, "");
    ck_assert_int_eq((int)r.stats.apdus, 0);
    ck_assert_int_eq((int)r.stats.errors, 0);
    free(r.xml);
}
END_TEST

/* M-Bus long frame carrying a DLMS segment: 68 L L 68 53 FF CI 01 67 data CS 16 */
static size_t mbus(uint8_t *out, uint8_t ci, const uint8_t *data, size_t n)
{
    size_t l = 3 + 2 + n;
    size_t w = 0;
    out[w++] = 0x68;
    out[w++] = (uint8_t)l;
    out[w++] = (uint8_t)l;
    out[w++] = 0x68;
    const uint8_t head[5] = {0x53, 0xFF, ci, 0x01, 0x67};
    memcpy(out + w, head, 5);
    w += 5;
    memcpy(out + w, data, n);
    w += n;
    uint8_t cs = 0;
    for (size_t i = 4; i < w; i++) cs = (uint8_t)(cs + out[i]);
    out[w++] = cs;
    out[w++] = 0x16;
    return w;
}

START_TEST(mbus_telegrams_reassembled_and_order_checked)
{
    static const uint8_t APDU[] = {0x0F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x11, 0x2A};
    uint8_t buf[256];
    size_t w = mbus(buf, 0x00, APDU, 4);
    w += mbus(buf + w, 0x11, APDU + 4, 4);
    run r = decode_bytes(buf, w, 0, 1);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<UInt8 Value=\"2A\" />"));
    free(r.xml);

    /* a telegram numbered 2 where 1 is expected: the gathered bytes are dropped */
    w = mbus(buf, 0x00, APDU, 4);
    size_t second = w;
    w += mbus(buf + w, 0x12, APDU + 4, 4); /* sequence 2 where 1 is expected */
    r = decode_bytes(buf, w, 0, 1);
    char want[64];
    snprintf(want, sizeof want, "frame.segment@%zu", second + 9);
    ck_assert_msg(strstr(r.codes, want) != NULL, "codes: %s", r.codes);
    free(r.xml);
}
END_TEST

/* A link set up in the trace (SNRM, UA), then a segmented answer whose middle segment came
 * twice (the client's RR poll went out before the late segment arrived, and the meter sent
 * it again): the repeat is shown undecoded with a link.retransmission note (info) and the
 * APDU is reassembled once, without trailing bytes. */
static size_t link_setup(uint8_t *buf)
{
    size_t w = hdlc(buf, SERVER, 2, CLIENT, 1, 0x93, 0, NULL, 0); /* SNRM */
    return w + hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x73, 0, NULL, 0); /* UA */
}

START_TEST(hdlc_retransmitted_segment_not_doubled)
{
    uint8_t seg[512], buf[1024];
    size_t ends[5];
    segmented_exchange(seg, ends);
    size_t w = link_setup(buf);
    memcpy(buf + w, seg, ends[2]); /* I N(S)=0, RR, I N(S)=1 */
    w += ends[2];
    w += hdlc(buf + w, SERVER, 2, CLIENT, 1, 0x51, 0, NULL, 0); /* the client polls again: RR N(R)=1 */
    size_t repeat = w;
    memcpy(buf + w, seg + ends[1], ends[2] - ends[1]); /* I N(S)=1 again, the same bytes */
    w += ends[2] - ends[1];
    memcpy(buf + w, seg + ends[2], ends[4] - ends[2]); /* RR N(R)=2, the last segment */
    w += ends[4] - ends[2];
    run r = decode_bytes(buf, w, 0, 0);
    char want[64];
    snprintf(want, sizeof want, "link.retransmission@%zu ", repeat);
    ck_assert_str_eq(r.codes, want);
    ck_assert_int_eq((int)r.stats.apdus, 1);
    ck_assert_ptr_nonnull(strstr(r.xml, "<Undecoded Value=\"0B0C0D0E0F101112131415161718191A1B1C1D1E\" />"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<OctetString Value=\"000102030405060708090A0B0C0D0E0F10111213141516171819"
                                        "1A1B1C1D1E1F2021222324252627\" />"));
    free(r.xml);
    /* byte by byte, the same */
    run one = decode_bytes(buf, w, 1, 0);
    ck_assert_str_eq(one.codes, want);
    free(one.xml);
}
END_TEST

/* Without a link set up in the trace, N(S) may not count (a meter pushing I frames without a
 * link): two equal frames are two APDUs. After DISC and a new SNRM/UA, N(S) starts over: the
 * same first frame again is new. */
START_TEST(hdlc_repeat_only_on_a_followed_link)
{
    static const uint8_t PUSH[] = {0xE6, 0xE7, 0x00, 0x0F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x11, 0x2A};
    uint8_t buf[512];
    size_t w = hdlc(buf, CLIENT, 1, SERVER, 2, 0x10, 0, PUSH, sizeof PUSH);
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x10, 0, PUSH, sizeof PUSH);
    run r = decode_bytes(buf, w, 0, 1);
    ck_assert_str_eq(r.codes, "");
    ck_assert_int_eq((int)r.stats.apdus, 2);
    free(r.xml);

    w = link_setup(buf);
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x10, 0, PUSH, sizeof PUSH);
    size_t repeat = w;
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x10, 0, PUSH, sizeof PUSH);
    w += hdlc(buf + w, SERVER, 2, CLIENT, 1, 0x53, 0, NULL, 0); /* DISC */
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x73, 0, NULL, 0); /* UA */
    w += link_setup(buf + w);
    w += hdlc(buf + w, CLIENT, 1, SERVER, 2, 0x10, 0, PUSH, sizeof PUSH); /* N(S)=0 of the new link */
    r = decode_bytes(buf, w, 0, 1);
    char want[64];
    snprintf(want, sizeof want, "link.retransmission@%zu ", repeat);
    ck_assert_str_eq(r.codes, want);
    ck_assert_int_eq((int)r.stats.apdus, 2);
    free(r.xml);
}
END_TEST

/* Garbage runs longer and shorter than the part of a run that is shown, around and between
 * frames and cut by the pieces: decode_bytes compares them trimmed after every byte (the copy
 * of a run under way is kept, a reported one given back). */
START_TEST(garbage_runs_across_pieces_trimmed)
{
    static uint8_t buf[4096];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t w = 0;
    size_t runs[3] = {700, 5, 300};
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < runs[k]; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint8_t b = (uint8_t)x;
            buf[w++] = b == 0x7E || b == 0x68 || b == 0x10 || b == 0x00 || b == 0xE5 ? 0x55 : b; /* no frame start */
        }
        size_t ends[5];
        w += segmented_exchange(buf + w, ends);
    }
    run r = decode_bytes(buf, w, 97, 0);
    ck_assert_ptr_nonnull(strstr(r.codes, "frame.garbage"));
    ck_assert_int_eq((int)r.stats.apdus, 3);
    free(r.xml);
}
END_TEST

/* Files decoded one after the other by one decoder, as `dlmscope decode` reads them (records
 * from the reader), each chunk fed `piece` bytes at a time (0: whole), ds_decoder_trim after
 * every piece when trim. */
static run decode_files(const char *const *paths, size_t count, const ds_options *opt, size_t piece, int trim)
{
    run r;
    memset(&r, 0, sizeof r);
    size_t size = 0;
    FILE *out = open_memstream(&r.xml, &size);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_decoder *d = ds_decoder_new(opt, sink, collect, &r);
    ck_assert_ptr_nonnull(d);
    sink->begin_document(sink);
    uint64_t base = 0; /* the files follow each other in one stream */
    for (size_t i = 0; i < count; i++) {
        FILE *in = fopen(paths[i], "rb");
        ck_assert_msg(in != NULL, "%s", paths[i]);
        ds_reader *rd = ds_reader_new(in, DS_INPUT_HEX, collect, &r);
        ds_chunk c;
        uint64_t end = base;
        while (ds_reader_next(rd, &c) > 0) {
            if (c.record_start) ds_decoder_boundary(d);
            size_t step = piece ? piece : c.len;
            for (size_t off = 0; off < c.len; off += step) {
                size_t n = c.len - off < step ? c.len - off : step;
                ds_decoder_feed(d, c.data + off, n, base + c.offset + off, &c.meta);
                if (trim) ds_decoder_trim(d);
            }
            end = base + c.offset + c.len;
        }
        ds_decoder_boundary(d);
        base = end;
        ds_reader_free(rd);
        fclose(in);
    }
    ds_decoder_end(d);
    r.stats = *ds_decoder_stats(d);
    sink->end_document(sink);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    fclose(out);
    return r;
}

static void set_key(ds_keyring *kr, char which, const char *hex)
{
    char err[200];
    ck_assert_msg(ds_keyring_set(kr, NULL, which, hex, err, sizeof err) == 0, "%s", err);
}

/* The whole corpus in one stream (one decoder: conversations come and go, HLS and ciphered
 * associations with the corpus' keys, block transfers, pushes), and an HLS exchange whose
 * check needs the challenges of the association kept: trimming after every byte gives back
 * only what holds nothing, so the output is the same. */
START_TEST(trimming_after_every_byte_changes_nothing)
{
    glob_t g;
    ck_assert_int_eq(glob("testdata/corpus/*.hex", 0, NULL, &g), 0);
    ck_assert_uint_gt(g.gl_pathc, 50);
    ds_keyring *kr = ds_keyring_new();
    set_key(kr, 'e', "000102030405060708090A0B0C0D0E0F");
    set_key(kr, 'a', "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
    ds_options opt;
    ds_options_init(&opt);
    opt.keys = kr;
    const char *const *paths = (const char *const *)g.gl_pathv;
    run whole = decode_files(paths, g.gl_pathc, &opt, 0, 0);
    ck_assert_uint_gt(whole.stats.apdus, 50);
    ck_assert_ptr_nonnull(strstr(whole.xml, "<Decrypted"));
    ck_assert_ptr_nonnull(strstr(whole.xml, "<Reassembled"));
    run trimmed = decode_files(paths, g.gl_pathc, &opt, 1, 1);
    assert_same(trimmed.xml, whole.xml);
    assert_same(trimmed.codes, whole.codes);
    free(whole.xml);
    free(trimmed.xml);
    globfree(&g);
    ds_keyring_free(kr);

    static const uint8_t SECRET[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    ds_options_init(&opt);
    opt.hls_secret = SECRET;
    opt.hls_secret_len = sizeof SECRET;
    static const char *const HLS2[] = {"testdata/security/hls2-fips197.hex"};
    whole = decode_files(HLS2, 1, &opt, 0, 0);
    trimmed = decode_files(HLS2, 1, &opt, 1, 1);
    ck_assert_ptr_nonnull(strstr(trimmed.xml, "HLS mechanism 2: the client's f(StoC) verifies"));
    ck_assert_ptr_nonnull(strstr(trimmed.xml, "HLS mechanism 2: the server's f(CtoS) verifies"));
    assert_same(trimmed.xml, whole.xml);
    assert_same(trimmed.codes, whole.codes);
    free(whole.xml);
    free(trimmed.xml);
}
END_TEST

static Suite *decoder_suite(void)
{
    Suite *s = suite_create("decoder");
    TCase *t = tcase_create("pipeline");
    tcase_add_test(t, hdlc_segments_reassembled_once);
    tcase_add_test(t, byte_at_a_time_gives_the_same_output);
    tcase_add_test(t, segments_of_two_directions_do_not_mix);
    tcase_add_test(t, unfinished_segments_at_end_are_not_an_error);
    tcase_add_test(t, mbus_telegrams_reassembled_and_order_checked);
    tcase_add_test(t, hdlc_retransmitted_segment_not_doubled);
    tcase_add_test(t, hdlc_repeat_only_on_a_followed_link);
    tcase_add_test(t, trimming_after_every_byte_changes_nothing);
    tcase_add_test(t, garbage_runs_across_pieces_trimmed);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(decoder_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
