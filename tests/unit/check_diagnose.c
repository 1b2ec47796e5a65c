/* The diagnoser through the public API: findings of APDU records fed to a decoder, image block
 * numbers beyond what is tracked, and the same findings whatever the pieces the bytes come in. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"

typedef struct seen {
    char codes[2048];
    size_t n;
    int no_frames;
} seen;

static void collect(void *user, const ds_finding *f)
{
    seen *s = user;
    size_t len = strlen(s->codes);
    snprintf(s->codes + len, sizeof s->codes - len, "%s@%llu ", f->code, (unsigned long long)f->frame);
    s->n++;
}

/* Each hex string is one record (a raw APDU), as the lines of a log */
static seen diagnose_records(const char *const *hex, size_t n)
{
    seen s;
    memset(&s, 0, sizeof s);
    ds_diagnoser *g = ds_diagnoser_new(collect, &s);
    ck_assert_ptr_nonnull(g);
    ds_options opt;
    ds_options_init(&opt);
    opt.link = DS_LINK_RAW;
    ds_diagnoser_options(g, &opt);
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = ds_decoder_new(&opt, sink, ds_diagnoser_diag, g);
    ck_assert_ptr_nonnull(d);
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        uint8_t *p = ds_hex_parse_text(hex[i], strlen(hex[i]), &len);
        ck_assert_ptr_nonnull(p);
        ds_meta meta = {0};
        meta.dir = i % 2 ? DS_DIR_RX : DS_DIR_TX;
        ds_decoder_boundary(d);
        ds_decoder_feed(d, p, len, offset, &meta);
        offset += len;
        free(p);
    }
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    ds_diagnoser_end(g);
    s.no_frames = ds_diagnoser_no_frames(g);
    ds_diagnoser_free(g);
    return s;
}

/* AARQ with mechanism LOW, AARE accepted (REFERENCE §5), a disconnect refused (action-result 3) */
static const char *const LOW_DISCONNECT[] = {
    "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
    "BE10040E01000000065F1F0400001E1DFFFF",
    "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D04000007",
    "C301C10046000060030AFF01010F00",
    "C701C10300",
};

START_TEST(disconnect_refused_on_low)
{
    seen s = diagnose_records(LOW_DISCONNECT, 4);
    ck_assert_str_eq(s.codes, "app.action-result@4 ");
    ck_assert_int_eq(s.no_frames, 0);
}
END_TEST

/* The last line is missing: the request has no answer when the trace ends (frame 3 asked) */
START_TEST(request_without_answer_at_end)
{
    seen s = diagnose_records(LOW_DISCONNECT, 3);
    ck_assert_str_eq(s.codes, "service.no-answer@3 ");
}
END_TEST

/* image_block_transfer with block numbers 0 and 4294967295 (beyond the tracked 65536): no
 * crash, no memory beyond the bitmaps; the missing blocks are counted within what is tracked */
START_TEST(image_block_numbers_out_of_range)
{
    static const char *const HUGE[] = {
        "C301C1001200002C0000FF01010202090449 4D4731 06000000C0",
        "C701C10000",
        "C301C1001200002C0000FF0201020206000000000904AABBCCDD",
        "C701C10000",
        "C301C1001200002C0000FF020102020 6FFFFFFFF0904AABBCCDD",
        "C701C10000",
    };
    seen s = diagnose_records(HUGE, 6);
    ck_assert_ptr_nonnull(strstr(s.codes, "image.block-size-not-read@1"));
    ck_assert_ptr_nonnull(strstr(s.codes, "image.transfer@6"));
}
END_TEST

/* An HDLC trace (testdata/diagnose/link-sequence.hex's frames) fed at once and a byte at a time */
static seen diagnose_stream(const uint8_t *p, size_t n, size_t piece)
{
    seen s;
    memset(&s, 0, sizeof s);
    ds_diagnoser *g = ds_diagnoser_new(collect, &s);
    ds_options opt;
    ds_options_init(&opt);
    ds_diagnoser_options(g, &opt);
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = ds_decoder_new(&opt, sink, ds_diagnoser_diag, g);
    for (size_t at = 0; at < n; at += piece)
        ds_decoder_feed(d, p + at, n - at < piece ? n - at : piece, at, NULL);
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    ds_diagnoser_end(g);
    ds_diagnoser_free(g);
    return s;
}

START_TEST(same_findings_in_any_pieces)
{
    FILE *f = fopen("testdata/diagnose/link-sequence.hex", "r");
    ck_assert_ptr_nonnull(f);
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    /* the hex of the lines that are not comments */
    char hex[4096] = "";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (line[0] != '#' && strchr(line, ':')) strncat(hex, strchr(line, ':') + 1, sizeof hex - strlen(hex) - 1);
    size_t len = 0;
    uint8_t *bytes = ds_hex_parse_text(hex, strlen(hex), &len);
    ck_assert_ptr_nonnull(bytes);
    seen whole = diagnose_stream(bytes, len, len);
    seen bytewise = diagnose_stream(bytes, len, 1);
    free(bytes);
    /* frame 6 repeats frame 5 unchanged: not a second get-request, so frame 7 answers the one
       request (before the decoder skipped repeats, a service.no-answer@5 followed) */
    ck_assert_str_eq(whole.codes, "link.sequence@5 link.retransmission@6 ");
    ck_assert_str_eq(bytewise.codes, whole.codes);
}
END_TEST

/* Records that do not decode: no valid frame, said once for the input */
START_TEST(noise_has_no_frames)
{
    static const char *const NOISE[] = {"00112233", "FF00FF00FF"};
    seen s = diagnose_records(NOISE, 2);
    ck_assert_int_eq(s.no_frames, 1);
    ck_assert_ptr_nonnull(strstr(s.codes, "input.no-frames@0"));
}
END_TEST

START_TEST(codes_are_listed)
{
    size_t n = 0;
    while (ds_diagnose_code(n)) n++;
    ck_assert_uint_ge(n, 30);
    ck_assert_ptr_null(ds_diagnose_code(n));
    ck_assert_str_eq(ds_diagnose_code(0), "link.fcs");
}
END_TEST

static Suite *diagnose_suite(void)
{
    Suite *s = suite_create("diagnose");
    TCase *t = tcase_create("core");
    tcase_add_test(t, disconnect_refused_on_low);
    tcase_add_test(t, request_without_answer_at_end);
    tcase_add_test(t, image_block_numbers_out_of_range);
    tcase_add_test(t, same_findings_in_any_pieces);
    tcase_add_test(t, noise_has_no_frames);
    tcase_add_test(t, codes_are_listed);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(diagnose_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
