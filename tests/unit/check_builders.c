/* The builders added after the first set (include/dlmscope/value.h, "more builders"): every
 * builder's bytes are checked against a corpus APDU (testdata/corpus/, named in the comment) or
 * against bytes worked out by hand from the layouts of REFERENCE.md §3.2–3.3 (the working is in
 * the comments), then decoded back: by the value decoder, and by the XML decoder with no
 * diagnostic at all. Block transfers are split and joined again. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "dlmscope/value.h"
#include "test_hex.h"

static ds_value_arena *A;

static void setup(void) { A = ds_value_arena_new(100000, 1 << 20); }
static void teardown(void) { ds_value_arena_free(A); }

static void count_diag(void *user, const ds_diag *d)
{
    (void)d;
    (*(int *)user)++;
}

/* The built APDU decodes back: to values without error, and by the XML decoder without any
 * diagnostic (warnings included). */
static void decodes_cleanly(const uint8_t *apdu, size_t n)
{
    ds_value *v;
    ds_diag d;
    ck_assert_msg(ds_value_decode_apdu(A, apdu, n, &v, &d) == 0, "values: %s at %llu: %s", d.code,
                  (unsigned long long)d.offset, d.message);
    ds_options opt;
    ds_options_init(&opt);
    ds_sink *sink = ds_null_sink_new();
    int diagnostics = 0;
    ds_decode_apdu_buffer(apdu, n, &opt, sink, count_diag, &diagnostics);
    ds_sink_destroy(sink);
    ck_assert_int_eq(diagnostics, 0);
}

static void expect_bytes(const uint8_t *got, size_t n, const char *hex)
{
    static uint8_t want[4096];
    size_t m = test_unhex(hex, want, sizeof want);
    char text[1200] = "";
    for (size_t i = 0; i < n && 3 * i + 3 < sizeof text; i++) snprintf(text + 3 * i, 4, "%02X ", got[i]);
    ck_assert_msg(n == m && memcmp(got, want, n) == 0, "got %s, want %s", text, hex);
    decodes_cleanly(got, n);
}

static const ds_cosem_ref ENERGY = {3, {1, 0, 1, 8, 0, 255}, 2};
static const ds_cosem_ref ENERGY_EXPORT = {3, {1, 0, 2, 8, 0, 255}, 2};
static const ds_cosem_ref CLOCK_ADJUST = {8, {0, 0, 1, 0, 0, 255}, 1};
static const ds_cosem_ref DISCONNECT = {70, {0, 0, 96, 3, 10, 255}, 1};
static const ds_cosem_ref IMAGE_TRANSFER_BLOCK = {18, {0, 0, 44, 0, 0, 255}, 2};

START_TEST(confirmed_service_error_and_event_notification)
{
    uint8_t buf[256];
    size_t n;
    char err[256];
    /* CS-gosem-confirmed-service-error: 0E, initiateError [1], ServiceError initiate [6], value 1 */
    ck_assert_int_eq(ds_build_confirmed_service_error(1, 6, 1, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "0E 01 06 01");
    /* an unknown ServiceError kind (11) is refused by its name */
    ck_assert_int_eq(ds_build_confirmed_service_error(1, 11, 0, buf, sizeof buf, &n, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "ServiceError") != NULL, "%s", err);

    /* event-notification-request: C2 time-opt AD Data; no time: 00; unsigned 5: 11 05 */
    ds_value *u5 = ds_value_new_uint(A, DS_DATA_UNSIGNED, 5);
    ck_assert_int_eq(ds_build_event_notification(NULL, 0, &ENERGY, u5, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C2 00 00 03 01 00 01 08 00 FF 02 11 05");
    /* with a time: 01 (present) 0C (12 bytes) 2024-03-31 Sunday 23:59:58.00, deviation FFC4 (-60), status 00 */
    const uint8_t when[12] = {0x07, 0xE8, 0x03, 0x1F, 0x07, 0x17, 0x3B, 0x3A, 0x00, 0xFF, 0xC4, 0x00};
    ck_assert_int_eq(ds_build_event_notification(when, 12, &ENERGY, u5, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C2 01 0C 07 E8 03 1F 07 17 3B 3A 00 FF C4 00 00 03 01 00 01 08 00 FF 02 11 05");
    ck_assert_int_eq(ds_build_event_notification(when, 5, &ENERGY, u5, buf, sizeof buf, &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "EventNotificationRequest/Time: 5 bytes (a date-time is 12)");
    ck_assert_int_eq(ds_build_event_notification(NULL, 0, &ENERGY, NULL, buf, sizeof buf, &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "EventNotificationRequest/AttributeValue: no value given");
}
END_TEST

START_TEST(with_list)
{
    uint8_t buf[256];
    size_t n;
    char err[256];
    /* CS-u9n-get-response-with-list: C4 03 C1, 2 results, 00 + octet-string of 16 ("ISK1030777764366"),
     * 00 + octet-string of 12 (a date-time) */
    const ds_value *two[2] = {
        ds_value_new_bytes(A, DS_DATA_OCTET_STRING, (const uint8_t *)"ISK1030777764366", 16),
        ds_value_new_bytes(A, DS_DATA_OCTET_STRING,
                           (const uint8_t[]){0x07, 0xE5, 0x06, 0x03, 0x04, 0x0E, 0x09, 0x17, 0x00, 0xFF, 0xC4, 0x00},
                           12)};
    ck_assert_int_eq(ds_build_get_response_with_list(0xC1, two, NULL, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C4 03 C1 02 00 09 10 49 53 4B 31 30 33 30 37 37 37 37 36 34 33 36 36 "
                         "00 09 0C 07 E5 06 03 04 0E 09 17 00 FF C4 00");
    /* data, then a data-access-result: 00 11 05 | 01 04 (object-unavailable) */
    ds_value *u5 = ds_value_new_uint(A, DS_DATA_UNSIGNED, 5);
    const ds_value *mixed[2] = {u5, NULL};
    const uint8_t results[2] = {0, 4};
    ck_assert_int_eq(ds_build_get_response_with_list(0xC1, mixed, results, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C4 03 C1 02 00 11 05 01 04");

    /* set-request-with-list: C1 04 IIP n {AD SEL} x n, m Data x m: unsigned 5, long-unsigned 16 */
    ds_cosem_ref refs[2] = {ENERGY, ENERGY_EXPORT};
    ds_value *lu16 = ds_value_new_uint(A, DS_DATA_LONG_UNSIGNED, 16);
    const ds_value *values[2] = {u5, lu16};
    ck_assert_int_eq(ds_build_set_request_with_list(0xC1, refs, values, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C1 04 C1 02 00 03 01 00 01 08 00 FF 02 00 00 03 01 00 02 08 00 FF 02 00 "
                         "02 11 05 12 00 10");
    const ds_value *one_missing[2] = {u5, NULL};
    ck_assert_int_eq(ds_build_set_request_with_list(0xC1, refs, one_missing, 2, buf, sizeof buf, &n, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "SetRequestWithList/ValueList: no value 1 given");
    /* set-response-with-list: C5 05 IIP n DAR x n: success, read-write-denied (3) */
    const uint8_t set_results[2] = {0, 3};
    ck_assert_int_eq(ds_build_set_response_with_list(0xC1, set_results, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C5 05 C1 02 00 03");

    /* action-request-with-list: C3 03 IIP n MD x n, m Data x m; the second method without
     * parameters: null-data 00 (MD as in CS-gosem-disconnect-action: 0046 000060030AFF 01) */
    ds_cosem_ref methods[2] = {CLOCK_ADJUST, DISCONNECT};
    const ds_value *params[2] = {ds_value_new_int(A, DS_DATA_INTEGER, 0), NULL};
    ck_assert_int_eq(ds_build_action_request_with_list(0xC1, methods, params, 2, buf, sizeof buf, &n, err, sizeof err),
                     0);
    expect_bytes(buf, n, "C3 03 C1 02 00 08 00 00 01 00 00 FF 01 00 46 00 00 60 03 0A FF 01 02 0F 00 00");
    /* action-response-with-list: C7 03 IIP n {result, 01 (00 Data) | 00}: success with unsigned 5,
     * hardware-fault (1) without return parameters */
    const uint8_t action_results[2] = {0, 1};
    const ds_value *returned[2] = {u5, NULL};
    ck_assert_int_eq(
        ds_build_action_response_with_list(0xC1, action_results, returned, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C7 03 C1 02 00 01 00 11 05 01 00");
}
END_TEST

/* the APDUs of a split, kept for the test */
typedef struct blocks {
    uint8_t apdu[4][200];
    size_t len[4];
    int n;
} blocks;

static int keep_block(void *user, const uint8_t *apdu, size_t len)
{
    blocks *b = user;
    ck_assert_int_lt(b->n, 4);
    ck_assert_uint_le(len, sizeof b->apdu[0]);
    memcpy(b->apdu[b->n], apdu, len);
    b->len[b->n++] = len;
    return 0;
}

/* Joins the kept blocks through their decoded values; returns the joined length. */
static size_t join_all(const blocks *b, uint8_t *out, size_t cap)
{
    ds_block_join j;
    ds_block_join_init(&j, out, cap);
    char err[256];
    for (int i = 0; i < b->n; i++) {
        ds_value *v;
        ck_assert_int_eq(ds_value_decode_apdu(A, b->apdu[i], b->len[i], &v, NULL), 0);
        ck_assert_msg(ds_block_join_add(&j, v, err, sizeof err) == (i + 1 == b->n), "block %d: %s", i, err);
    }
    return j.len;
}

START_TEST(action_pblocks)
{
    uint8_t buf[256];
    size_t n;
    char err[256];
    /* action-request-with-first-pblock: C3 04 IIP MD last(1) block(4) len raw; image transfer (class
     * 18 = 0012, 0.0.44.0.0.255), method 2 */
    const uint8_t raw[] = {0x09, 0x03, 0x01, 0x02, 0x03};
    ck_assert_int_eq(ds_build_action_request_with_first_pblock(0xC1, &IMAGE_TRANSFER_BLOCK, 0, 1, raw, 2, buf,
                                                               sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C3 04 C1 00 12 00 00 2C 00 00 FF 02 00 00 00 00 01 02 09 03");
    /* action-request-with-pblock: C3 06 IIP last block(4) len raw */
    ck_assert_int_eq(ds_build_action_request_with_pblock(0xC1, 1, 2, raw + 2, 3, buf, sizeof buf, &n, err, sizeof err),
                     0);
    expect_bytes(buf, n, "C3 06 C1 01 00 00 00 02 03 01 02 03");
    /* action-response-with-pblock: C7 02 IIP last block(4) len raw */
    ck_assert_int_eq(ds_build_action_response_with_pblock(0xC1, 1, 1, (const uint8_t[]){0x11, 0x05}, 2, buf,
                                                          sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C7 02 C1 01 00 00 00 01 02 11 05");
    /* the acknowledgements: C3 02 / C7 04 / C5 02 IIP block(4); C5 03 IIP DAR block(4) */
    ck_assert_int_eq(ds_build_action_request_next_pblock(0xC1, 1, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C3 02 C1 00 00 00 01");
    ck_assert_int_eq(ds_build_action_response_next_pblock(0xC1, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C7 04 C1 00 00 00 02");
    ck_assert_int_eq(ds_build_set_response_datablock(0xC1, 1, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C5 02 C1 00 00 00 01");
    ck_assert_int_eq(ds_build_set_response_last_datablock(0xC1, 0, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C5 03 C1 00 00 00 00 02");

    /* the split of an octet-string 09 03 010203 in blocks of 2: first with the method, then two
     * with-pblock; the last marked; joined back to the 5 bytes */
    blocks b = {.n = 0};
    ck_assert_int_eq(ds_split_action_request(0xC1, &IMAGE_TRANSFER_BLOCK, raw, sizeof raw, 2, keep_block, &b, err,
                                             sizeof err), 0);
    ck_assert_int_eq(b.n, 3);
    expect_bytes(b.apdu[0], b.len[0], "C3 04 C1 00 12 00 00 2C 00 00 FF 02 00 00 00 00 01 02 09 03");
    expect_bytes(b.apdu[1], b.len[1], "C3 06 C1 00 00 00 00 02 02 01 02");
    expect_bytes(b.apdu[2], b.len[2], "C3 06 C1 01 00 00 00 03 01 03");
    uint8_t joined[16];
    ck_assert_uint_eq(join_all(&b, joined, sizeof joined), sizeof raw);
    ck_assert_mem_eq(joined, raw, sizeof raw);
}
END_TEST

/* HAN-CY-lg-e450-hdlc-gbt-plain: the three general-block-transfer APDUs of its HDLC frames (the
 * first after the LLC E6 E7 00); each is E0 control number(2) ack(2) len data. */
static const char *const GBT_BLOCK[3] = {
    "E04000010000700F007C83D30C07EA071206103A00FF800000020D010D020412002809060009190900FF0F0212000002041200010906"
    "00002A0000FF0F02120000020412000109060000600101FF0F02120000020412000109060000600E00FF0F0212000002041200030906"
    "0100010801FF0F02120000",
    "E040000200006C020412000309060100010802FF0F02120000020412000309060100020801FF0F021200000204120003090601000208"
    "02FF0F02120000020412000309060100010800FF0F02120000020412000309060100020800FF0F021200000204120003090601000308"
    "00FF0F02120000",
    "E0C00003000073020412000309060100040800FF0F0212000002041200460906000060030AFF0F0312000009104C475A313032303738"
    "32353436333731090731323939363532090852415445320000000600361F58060036C67E0600018EB306002778D506006CE5D6060029"
    "0788060004C70D06002714591601"};

static size_t unhex_block(int i, uint8_t *out, size_t cap) { return test_unhex(GBT_BLOCK[i], out, cap); }

START_TEST(general_block_transfer)
{
    uint8_t corpus[3][200], buf[256], whole[400];
    size_t corpus_len[3], n, whole_len = 0;
    char err[256];
    /* each block rebuilt from its fields: control 40 (streaming, window 0) twice, then C0 (last and
     * streaming, as this meter sends it), numbers 1..3, ack 0, data = the len (byte 6) bytes after it */
    for (int i = 0; i < 3; i++) {
        corpus_len[i] = unhex_block(i, corpus[i], sizeof corpus[i]);
        const uint8_t *c = corpus[i];
        ck_assert_uint_eq(corpus_len[i], 7u + c[6]);
        ck_assert_int_eq(ds_build_general_block_transfer(c[1], (uint16_t)(i + 1), 0, c + 7, c[6], buf, sizeof buf, &n,
                                                         err, sizeof err), 0);
        ck_assert_uint_eq(n, corpus_len[i]);
        ck_assert_mem_eq(buf, c, n);
        decodes_cleanly(buf, n);
        memcpy(whole + whole_len, c + 7, c[6]);
        whole_len += c[6];
    }
    /* the corpus's 112 + 108 + 115 = 335 bytes: a data-notification 0F 007C83D3 ... */
    ck_assert_uint_eq(whole_len, 335);
    ck_assert_mem_eq(whole, ((const uint8_t[]){0x0F, 0x00, 0x7C, 0x83, 0xD3}), 5);
    decodes_cleanly(whole, whole_len);

    /* joined through the decoded values, by the same join as the data blocks */
    blocks b = {.n = 3};
    for (int i = 0; i < 3; i++) {
        memcpy(b.apdu[i], corpus[i], corpus_len[i]);
        b.len[i] = corpus_len[i];
    }
    uint8_t joined[400];
    ck_assert_uint_eq(join_all(&b, joined, sizeof joined), whole_len);
    ck_assert_mem_eq(joined, whole, whole_len);

    /* split again in blocks of 112, streaming, window 0: block 1 is the corpus's block 1; block 2
     * E0 40 0002 0000 70 + bytes 112..223; block 3 E0 80 0003 0000 6F (111) + bytes 224..334: the last
     * block does not stream */
    ds_gbt_params p = {.first_number = 1, .ack = 0, .window = 0, .streaming = 1};
    b.n = 0;
    ck_assert_int_eq(ds_split_general_block_transfer(whole, whole_len, 112, &p, keep_block, &b, err, sizeof err), 0);
    ck_assert_int_eq(b.n, 3);
    ck_assert_uint_eq(b.len[0], corpus_len[0]);
    ck_assert_mem_eq(b.apdu[0], corpus[0], corpus_len[0]);
    const char *head[2] = {"E0 40 00 02 00 00 70", "E0 80 00 03 00 00 6F"};
    for (int i = 1; i < 3; i++) {
        uint8_t want[7];
        test_unhex(head[i - 1], want, sizeof want);
        ck_assert_mem_eq(b.apdu[i], want, 7);
        ck_assert_uint_eq(b.len[i], 7u + want[6]);
        ck_assert_mem_eq(b.apdu[i] + 7, whole + 112 * i, want[6]);
        decodes_cleanly(b.apdu[i], b.len[i]);
    }
    ck_assert_uint_eq(join_all(&b, joined, sizeof joined), whole_len);
    ck_assert_mem_eq(joined, whole, whole_len);

    /* not streaming, window 5, numbered from 7 with ack 6: control 05, then 85 (last) */
    p = (ds_gbt_params){.first_number = 7, .ack = 6, .window = 5, .streaming = 0};
    uint8_t small[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    b.n = 0;
    ck_assert_int_eq(ds_split_general_block_transfer(small, sizeof small, 6, &p, keep_block, &b, err, sizeof err), 0);
    ck_assert_int_eq(b.n, 2);
    expect_bytes(b.apdu[0], b.len[0], "E0 05 00 07 00 06 06 01 02 03 04 05 06");
    expect_bytes(b.apdu[1], b.len[1], "E0 85 00 08 00 06 04 07 08 09 0A");
    /* refused: a window above 63, block number 0, more blocks than the 16-bit numbers hold */
    p.window = 64;
    ck_assert_int_eq(ds_split_general_block_transfer(small, sizeof small, 6, &p, keep_block, &b, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "window 64") != NULL, "%s", err);
    p = (ds_gbt_params){.first_number = 0xFFFF};
    ck_assert_int_eq(ds_split_general_block_transfer(small, sizeof small, 6, &p, keep_block, &b, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "blocks 2 from number 65535") != NULL, "%s", err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("builders");
    TCase *t = tcase_create("apdu");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, confirmed_service_error_and_event_notification);
    tcase_add_test(t, with_list);
    tcase_add_test(t, action_pblocks);
    tcase_add_test(t, general_block_transfer);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
