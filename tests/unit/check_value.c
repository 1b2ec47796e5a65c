/* Values (include/dlmscope/value.h): bytes -> values -> bytes for every A-XDR type, the
 * compact-array and date-time views, field paths and getters, builders, refusals, and (case
 * "corpus", run by tests/e2e/values.sh) every APDU of the test data.
 *
 * Every expected value is worked out by hand from the encodings of REFERENCE.md §3.3 and §4
 * (type tags, big-endian numbers, two's complement, IEEE 754); the working is in the comments. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "dlmscope/value.h"
#include "apdu/axdr.h"
#include "test_hex.h"

static ds_value_arena *A;

static void setup(void) { A = ds_value_arena_new(100000, 1 << 20); }
static void teardown(void) { ds_value_arena_free(A); }

/* Decodes hex as one Data, checks that it took every byte and encodes back to the same bytes. */
static ds_value *data_roundtrip(const char *hex)
{
    uint8_t in[512], out[512];
    size_t n = test_unhex(hex, in, sizeof in), used = 0, len = 0;
    ds_value *v = NULL;
    ds_diag d;
    ck_assert_msg(ds_value_decode_data(A, in, n, &used, &v, &d) == 0, "%s: %s", hex, d.message);
    ck_assert_uint_eq(used, n);
    char err[256];
    ck_assert_msg(ds_value_encode_data(v, out, sizeof out, &len, err, sizeof err) == 0, "%s: %s", hex, err);
    ck_assert_uint_eq(len, n);
    ck_assert_msg(memcmp(in, out, n) == 0, "%s: re-encoded differently", hex);
    return v;
}

/* ---- every type -------------------------------------------------------------------------------- */

START_TEST(simple_types)
{
    ds_value *v;
    v = data_roundtrip("00");
    ck_assert_int_eq(v->tag, DS_DATA_NULL);
    v = data_roundtrip("FF");
    ck_assert_int_eq(v->tag, DS_DATA_DONT_CARE);
    v = data_roundtrip("03 01");
    ck_assert_uint_eq(v->u, 1);
    v = data_roundtrip("03 FF"); /* true sent as FF: the byte is kept */
    ck_assert_uint_eq(v->u, 0xFF);
    /* bit-string of 10 bits: 0A, bits 1100 0000 01 in C0 40 */
    v = data_roundtrip("04 0A C0 40");
    ck_assert_uint_eq(v->u, 10);
    ck_assert_uint_eq(v->len, 2);
    ck_assert_uint_eq(v->bytes[0], 0xC0);
    /* double-long FFFFFFFE = -2 */
    v = data_roundtrip("05 FF FF FF FE");
    ck_assert_int_eq(v->i, -2);
    /* double-long-unsigned 00010000 = 65536 */
    v = data_roundtrip("06 00 01 00 00");
    ck_assert_uint_eq(v->u, 65536);
    v = data_roundtrip("09 03 41 42 43");
    ck_assert_uint_eq(v->len, 3);
    ck_assert_mem_eq(v->bytes, "ABC", 3);
    v = data_roundtrip("0A 02 68 69");
    ck_assert_mem_eq(v->bytes, "hi", 2);
    v = data_roundtrip("0C 02 C3 A9"); /* U+00E9 in UTF-8 */
    ck_assert_uint_eq(v->tag, DS_DATA_UTF8_STRING);
    ck_assert_uint_eq(v->len, 2);
    v = data_roundtrip("0D 12");
    ck_assert_uint_eq(v->u, 0x12);
    v = data_roundtrip("0F 80"); /* integer 80 = -128 */
    ck_assert_int_eq(v->i, -128);
    v = data_roundtrip("10 FF 85"); /* long FF85 = 65413 - 65536 = -123 */
    ck_assert_int_eq(v->i, -123);
    v = data_roundtrip("11 FF");
    ck_assert_uint_eq(v->u, 255);
    v = data_roundtrip("12 12 34"); /* 0x1234 = 4660 */
    ck_assert_uint_eq(v->u, 4660);
    v = data_roundtrip("14 FF FF FF FF FF FF FF FF");
    ck_assert_int_eq(v->i, -1);
    v = data_roundtrip("14 80 00 00 00 00 00 00 00");
    ck_assert(v->i == INT64_MIN);
    v = data_roundtrip("15 00 00 00 00 00 00 01 00");
    ck_assert_uint_eq(v->u, 256);
    v = data_roundtrip("16 07");
    ck_assert_uint_eq(v->u, 7);
    /* float32 3FC00000: sign 0, exponent 0x7F (2^0), fraction .1b = 1.5 */
    v = data_roundtrip("17 3F C0 00 00");
    ck_assert(v->f == 1.5);
    /* float64 400921FB54442D18 is the double nearest pi */
    v = data_roundtrip("18 40 09 21 FB 54 44 2D 18");
    ck_assert(v->f == 3.141592653589793);
}
END_TEST

START_TEST(containers_and_length_forms)
{
    /* array of two unsigned: 01 02 | 11 01 | 11 02 */
    ds_value *v = data_roundtrip("01 02 11 01 11 02");
    ck_assert_uint_eq(v->count, 2);
    ck_assert_uint_eq(ds_value_child(v, 1)->u, 2);
    /* structure { octet-string "ABC", visible-string "hi" } */
    v = data_roundtrip("02 02 09 03 41 42 43 0A 02 68 69");
    ck_assert_uint_eq(v->tag, DS_DATA_STRUCTURE);
    ck_assert_uint_eq(ds_value_child(v, 0)->tag, DS_DATA_OCTET_STRING);
    /* a length in a longer form than needed (81 03 for 3) comes back as it was */
    v = data_roundtrip("09 81 03 41 42 43");
    ck_assert_uint_eq(v->len_bytes, 2);
    v = data_roundtrip("01 82 00 01 00");
    ck_assert_uint_eq(v->count, 1);
    /* an element count beyond the bytes left is an error at the count: offset 1 */
    uint8_t bad[] = {0x01, 0x05, 0x00};
    ds_diag d;
    ds_value *out;
    ck_assert_int_eq(ds_value_decode_data(A, bad, sizeof bad, NULL, &out, &d), -1);
    ck_assert_str_eq(d.code, DS_D_DATA_BAD_LENGTH);
    ck_assert_uint_eq(d.offset, 1);
    /* unknown type 08 at offset 0 */
    uint8_t unknown[] = {0x08, 0x00};
    ck_assert_int_eq(ds_value_decode_data(A, unknown, 2, NULL, &out, &d), -1);
    ck_assert_str_eq(d.code, DS_D_DATA_UNKNOWN_TYPE);
}
END_TEST

START_TEST(compact_array_views)
{
    /* 13 | description 02 02 12 03 = structure { long-unsigned, boolean } |
     * contents 06 bytes: (00 01, 01) (00 02, 00) = {1, true}, {2, false} */
    ds_value *v = data_roundtrip("13 02 02 12 03 06 00 01 01 00 02 00");
    ds_value *desc = ds_value_child(v, 0), *contents = ds_value_child(v, 1);
    ck_assert_str_eq(desc->name, "ContentsDescription");
    ck_assert_uint_eq(desc->child->tag, DS_DATA_STRUCTURE);
    ck_assert_uint_eq(desc->child->count, 2);
    ck_assert_uint_eq(ds_value_child(desc->child, 0)->tag, DS_DATA_LONG_UNSIGNED);
    ck_assert_uint_eq(ds_value_child(desc->child, 1)->tag, DS_DATA_BOOLEAN);
    ck_assert_str_eq(contents->name, "ArrayContents");
    ck_assert_uint_eq(contents->count, 2);
    ds_value *e0 = ds_value_child(contents, 0), *e1 = ds_value_child(contents, 1);
    ck_assert_uint_eq(e0->tag, DS_DATA_STRUCTURE);
    ck_assert_uint_eq(ds_value_child(e0, 0)->u, 1);
    ck_assert_uint_eq(ds_value_child(e0, 1)->u, 1);
    ck_assert_uint_eq(ds_value_child(e1, 0)->u, 2);
    ck_assert_uint_eq(ds_value_child(e1, 1)->u, 0);

    /* description 01 0003 11 = array of 3 unsigned; contents 03: 0A 14 1E = one element {10, 20, 30} */
    v = data_roundtrip("13 01 00 03 11 03 0A 14 1E");
    desc = ds_value_child(v, 0);
    ck_assert_uint_eq(desc->child->tag, DS_DATA_ARRAY);
    ck_assert_uint_eq(desc->child->u, 3);
    contents = ds_value_child(v, 1);
    ck_assert_uint_eq(contents->count, 1);
    ck_assert_uint_eq(ds_value_child(contents->child, 2)->u, 30);

    /* simple element type: 13 11 | 03 bytes 01 02 03 = three unsigned 1, 2, 3 */
    v = data_roundtrip("13 11 03 01 02 03");
    contents = ds_value_child(v, 1);
    ck_assert_uint_eq(contents->count, 3);
    ck_assert_uint_eq(ds_value_child(contents, 2)->u, 3);

    /* octet strings inside: 13 09 | 05: (02 AA BB) (01 CC) */
    v = data_roundtrip("13 09 05 02 AA BB 01 CC");
    ck_assert_uint_eq(ds_value_child(v, 1)->count, 2);
    ck_assert_uint_eq(ds_value_child(ds_value_child(v, 1), 1)->bytes[0], 0xCC);

    /* contents that end inside an element: 3 bytes for long-unsigned elements (2 each) */
    uint8_t bad[] = {0x13, 0x12, 0x03, 0x00, 0x01, 0x00};
    ds_diag d;
    ds_value *out;
    ck_assert_int_eq(ds_value_decode_data(A, bad, sizeof bad, NULL, &out, &d), -1);
    ck_assert_str_eq(d.code, DS_D_DATA_BAD_LENGTH);
    ck_assert_uint_eq(d.offset, 5); /* element 1 starts at content byte 2, offset 3 + 2 */
}
END_TEST

START_TEST(date_time_views)
{
    ds_datetime dt;
    /* 19 + 07E8 (2024) 03 (March) 1F (31) 07 (Sunday) 17:3B:3A.00 (23:59:58.00)
     * deviation FFC4 = 65476 - 65536 = -60, clock status 00 */
    ds_value *v = data_roundtrip("19 07 E8 03 1F 07 17 3B 3A 00 FF C4 00");
    ck_assert_int_eq(ds_value_datetime(v, &dt), 0);
    ck_assert_uint_eq(dt.year, 2024);
    ck_assert_uint_eq(dt.month, 3);
    ck_assert_uint_eq(dt.day, 31);
    ck_assert_uint_eq(dt.weekday, 7);
    ck_assert_uint_eq(dt.hour, 23);
    ck_assert_uint_eq(dt.minute, 59);
    ck_assert_uint_eq(dt.second, 58);
    ck_assert_uint_eq(dt.hundredths, 0);
    ck_assert_int_eq(dt.deviation, -60);
    ck_assert_uint_eq(dt.clock_status, 0);
    uint8_t back[12];
    ck_assert_uint_eq(ds_datetime_bytes(&dt, back, 12), 12);
    ck_assert_mem_eq(back, v->bytes, 12);

    /* everything not specified: FFFF FF FF FF FF FF FF FF 8000 FF */
    v = data_roundtrip("19 FF FF FF FF FF FF FF FF FF 80 00 FF");
    ds_value_datetime(v, &dt);
    ck_assert_uint_eq(dt.year, DS_DT_UNSPECIFIED_YEAR);
    ck_assert_uint_eq(dt.month, DS_DT_UNSPECIFIED);
    ck_assert_int_eq(dt.deviation, DS_DT_UNSPECIFIED_DEVIATION);
    ck_assert_uint_eq(dt.clock_status, DS_DT_UNSPECIFIED);

    /* date 07E8 0C 19 03 = 2024-12-25, a Wednesday (3); no time: not specified */
    v = data_roundtrip("1A 07 E8 0C 19 03");
    ds_value_datetime(v, &dt);
    ck_assert_uint_eq(dt.year, 2024);
    ck_assert_uint_eq(dt.month, 12);
    ck_assert_uint_eq(dt.day, 25);
    ck_assert_uint_eq(dt.weekday, 3);
    ck_assert_uint_eq(dt.hour, DS_DT_UNSPECIFIED);
    /* time 0C 1E 00 FF = 12:30:00, hundredths not specified */
    v = data_roundtrip("1B 0C 1E 00 FF");
    ds_value_datetime(v, &dt);
    ck_assert_uint_eq(dt.hour, 12);
    ck_assert_uint_eq(dt.minute, 30);
    ck_assert_uint_eq(dt.hundredths, 0xFF);
    ck_assert_uint_eq(dt.year, DS_DT_UNSPECIFIED_YEAR);
    /* an unsigned is no date */
    v = data_roundtrip("11 05");
    ck_assert_int_eq(ds_value_datetime(v, &dt), -1);
}
END_TEST

/* ds_axdr_skip (blocks.c's stepping over Data) reads the same type table as the decoders */
static long skipped(const char *hex)
{
    uint8_t in[64];
    size_t n = test_unhex(hex, in, sizeof in);
    ds_cursor c;
    ds_cur_init(&c, in, n);
    return ds_axdr_skip(&c, 0) ? -1 : (long)c.pos;
}

START_TEST(skip_by_the_type_table)
{
    ck_assert_int_eq(skipped("00 AA"), 1);                       /* null: the tag */
    ck_assert_int_eq(skipped("19 07 E8 03 1F 07 17 3B 3A 00 FF C4 00 AA"), 13); /* date-time: 1 + 12 */
    ck_assert_int_eq(skipped("04 0A C0 40 AA"), 4);              /* 10 bits in 2 bytes */
    ck_assert_int_eq(skipped("02 02 09 01 41 11 05 AA"), 7);     /* structure {octets "A", unsigned 5} */
    ck_assert_int_eq(skipped("13 02 02 12 03 06 00 01 01 00 02 00 AA"), 12); /* compact array: 1+4+1+6 */
    ck_assert_int_eq(skipped("13 00 01 00"), -1);                /* null cannot be an element type */
    ck_assert_int_eq(skipped("07 00 00 00 00"), -1);             /* 07 is no Data type for the decoder */
    ck_assert_int_eq(skipped("12 00"), -1);                      /* long-unsigned cut short */
    ck_assert_int_eq(skipped("01 05 00"), -1);                   /* 5 elements, 1 byte */
}
END_TEST

/* ---- APDUs: paths, getters ----------------------------------------------------------------------- */

static ds_value *apdu_roundtrip(const char *hex)
{
    uint8_t in[512], out[512];
    size_t n = test_unhex(hex, in, sizeof in), len = 0;
    ds_value *v = NULL;
    ds_diag d;
    ck_assert_msg(ds_value_decode_apdu(A, in, n, &v, &d) == 0, "%s: %s", hex, d.message);
    char err[256];
    ck_assert_msg(ds_value_encode_apdu(v, out, sizeof out, &len, err, sizeof err) == 0, "%s: %s", hex, err);
    ck_assert_uint_eq(len, n);
    ck_assert_msg(memcmp(in, out, n) == 0, "%s: re-encoded differently", hex);
    return v;
}

START_TEST(paths_and_getters)
{
    /* get-response-normal, IIP C1, data 00 (data), long-unsigned 0010 = 16 */
    ds_value *v = apdu_roundtrip("C4 01 C1 00 12 00 10");
    ds_value *data = ds_value_find(v, "GetResponse/GetResponseNormal/Result/Data");
    ck_assert_ptr_nonnull(data);
    ck_assert_str_eq(data->name, "Data");
    ds_value *d = ds_value_data(data);
    ck_assert_uint_eq(d->tag, DS_DATA_LONG_UNSIGNED);
    ck_assert_uint_eq(d->u, 16);
    uint32_t iid, result;
    ck_assert_int_eq(ds_value_invoke_id(v, &iid), 0);
    ck_assert_uint_eq(iid, 0xC1);
    ck_assert_int_eq(ds_value_result(v, &result), 0);
    ck_assert_uint_eq(result, 0);
    ck_assert_ptr_null(ds_value_find(v, "GetResponse/GetResponseWithList"));

    /* get-response-normal with data-access-result 04 (object-undefined) */
    v = apdu_roundtrip("C4 01 C1 01 04");
    ck_assert_int_eq(ds_value_result(v, &result), 0);
    ck_assert_uint_eq(result, 4);
    ck_assert_str_eq(ds_value_enum_name(ds_value_find(v, "GetResponse/GetResponseNormal/Result/DataAccessError")),
                     "UndefinedObject"); /* enums.c spelling of 4 */

    /* get-request-normal (REFERENCE.md §3.3): class 8, 0.0.1.0.0.255, attribute 2 */
    v = apdu_roundtrip("C0 01 C1 00 08 00 00 01 00 00 FF 02 00");
    uint16_t cls;
    uint8_t obis[6], attr;
    ck_assert_int_eq(ds_value_class_id(v, &cls), 0);
    ck_assert_uint_eq(cls, 8);
    ck_assert_int_eq(ds_value_instance_id(v, obis), 0);
    ck_assert_mem_eq(obis, "\x00\x00\x01\x00\x00\xFF", 6);
    ck_assert_int_eq(ds_value_attribute_id(v, &attr), 0);
    ck_assert_uint_eq(attr, 2);

    /* RLRQ with reason 0 (normal): 62 03 80 01 00 */
    v = apdu_roundtrip("62 03 80 01 00");
    ck_assert_uint_eq(ds_value_find(v, "ReleaseRequest/Reason")->u, 0);
    /* a BER length in its long form comes back as it was: 62 81 03 ... */
    apdu_roundtrip("62 81 03 80 01 00");
}
END_TEST

/* ---- builders ---------------------------------------------------------------------------------- */

static void expect_bytes(const uint8_t *got, size_t n, const char *hex)
{
    uint8_t want[256];
    size_t m = test_unhex(hex, want, sizeof want);
    char text[800] = "";
    for (size_t i = 0; i < n && 3 * i + 3 < sizeof text; i++) snprintf(text + 3 * i, 4, "%02X ", got[i]);
    ck_assert_msg(n == m && memcmp(got, want, n) == 0, "got %s, want %s", text, hex);
}

static const ds_cosem_ref ENERGY = {3, {1, 0, 1, 8, 0, 255}, 2};

START_TEST(builders)
{
    uint8_t buf[256];
    size_t n;
    char err[256];
    /* C0 get-request, 01 normal, C1 IIP, 0003 class 3, 0100010800FF, 02 attribute, 00 no selection */
    ck_assert_int_eq(ds_build_get_request_normal(0xC1, &ENERGY, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C0 01 C1 00 03 01 00 01 08 00 FF 02 00");
    /* get-request-next: C0 02 IIP block-number(4) */
    ck_assert_int_eq(ds_build_get_request_next(0xC1, 1, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C0 02 C1 00 00 00 01");
    /* with-list: C0 03 IIP 02 {AD 00} x 2 */
    ds_cosem_ref two[2] = {ENERGY, {3, {1, 0, 2, 8, 0, 255}, 2}};
    ck_assert_int_eq(ds_build_get_request_with_list(0xC1, two, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C0 03 C1 02 00 03 01 00 01 08 00 FF 02 00 00 03 01 00 02 08 00 FF 02 00");

    ds_value *u5 = ds_value_new_uint(A, DS_DATA_UNSIGNED, 5);
    /* get-response-normal: C4 01 IIP 00 Data | 01 DAR */
    ck_assert_int_eq(ds_build_get_response_normal(0xC1, u5, 0, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C4 01 C1 00 11 05");
    ck_assert_int_eq(ds_build_get_response_normal(0xC1, NULL, 4, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C4 01 C1 01 04");
    /* set-request-normal: C1 01 IIP AD SEL Data; long-unsigned 16 = 12 00 10 */
    ds_value *lu16 = ds_value_new_uint(A, DS_DATA_LONG_UNSIGNED, 16);
    ck_assert_int_eq(ds_build_set_request_normal(0xC1, &ENERGY, lu16, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C1 01 C1 00 03 01 00 01 08 00 FF 02 00 12 00 10");
    ck_assert_int_eq(ds_build_set_response_normal(0xC1, 0, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C5 01 C1 00");
    /* action-request-normal: C3 01 IIP MD 01 Data; class 8, 0.0.1.0.0.255, method 1, integer 0 */
    ds_cosem_ref clock = {8, {0, 0, 1, 0, 0, 255}, 1};
    ds_value *i0 = ds_value_new_int(A, DS_DATA_INTEGER, 0);
    ck_assert_int_eq(ds_build_action_request_normal(0xC1, &clock, i0, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C3 01 C1 00 08 00 00 01 00 00 FF 01 01 0F 00");
    ck_assert_int_eq(ds_build_action_request_normal(0xC1, &clock, NULL, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C3 01 C1 00 08 00 00 01 00 00 FF 01 00");
    /* action-response-normal: C7 01 IIP result 00 | 01 (00 Data) */
    ck_assert_int_eq(ds_build_action_response_normal(0xC1, 0, NULL, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C7 01 C1 00 00");
    ck_assert_int_eq(ds_build_action_response_normal(0xC1, 0, u5, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C7 01 C1 00 01 00 11 05");
    /* RLRQ / RLRE: 62|63 len [80 01 reason] */
    ck_assert_int_eq(ds_build_release_request(0, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "62 03 80 01 00");
    ck_assert_int_eq(ds_build_release_request(-1, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "62 00");
    ck_assert_int_eq(ds_build_release_response(0, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "63 03 80 01 00");
    /* exception-response: D8 state-error service-error [IC(4) when 6] */
    ck_assert_int_eq(ds_build_exception_response(1, 2, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "D8 01 02");
    ck_assert_int_eq(ds_build_exception_response(1, 6, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "D8 01 06 00 00 00 00");
    /* data-notification: 0F long-IIP(4) date-time(00: none | 0C + 12) Data */
    ck_assert_int_eq(ds_build_data_notification(1, NULL, 0, u5, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "0F 00 00 00 01 00 11 05");
    const uint8_t when[12] = {0x07, 0xE8, 0x03, 0x1F, 0x07, 0x17, 0x3B, 0x3A, 0x00, 0xFF, 0xC4, 0x00};
    ck_assert_int_eq(ds_build_data_notification(1, when, 12, u5, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "0F 00 00 00 01 0C 07 E8 03 1F 07 17 3B 3A 00 FF C4 00 11 05");
}
END_TEST

START_TEST(association_builders)
{
    uint8_t buf[256];
    size_t n;
    char err[256];
    /* AARQ, LN without security: 60 len | A1 09 06 07 60857405080101 (2.16.756.5.8.1.1) |
     * BE 10 04 0E + InitiateRequest 01 00 00 00 06 5F1F0400 007E1F 04B0; 11 + 18 = 29 = 0x1D */
    ds_association as = {.context = 1, .mechanism = -1, .dlms_version = 6, .conformance = 0x007E1F, .max_pdu = 1200};
    ck_assert_int_eq(ds_build_aarq(&as, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0");
    /* with a password (LLS, mechanism 1): + 8A 02 0780, 8B 07 60857405080201, AC 0A 80 08 "12345678";
     * 11 + 4 + 9 + 12 + 18 = 54 = 0x36 */
    as.mechanism = 1;
    as.auth = (const uint8_t *)"12345678";
    as.auth_len = 8;
    ck_assert_int_eq(ds_build_aarq(&as, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85 74 05 08 02 01 "
                         "AC 0A 80 08 31 32 33 34 35 36 37 38 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0");
    /* AARE accepted: A1 ..., A2 03 02 01 00 (accepted), A3 05 A1 03 02 01 00 (user: null),
     * BE 10 04 0E + InitiateResponse 08 00 06 5F1F0400 00501F 01F4 0007; 11 + 5 + 7 + 18 = 41 = 0x29 */
    ds_association re = {.context = 1, .mechanism = -1, .dlms_version = 6, .conformance = 0x00501F, .max_pdu = 500,
                         .vaa_name = 7};
    ck_assert_int_eq(ds_build_aare(&re, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 "
                         "BE 10 04 0E 08 00 06 5F 1F 04 00 00 50 1F 01 F4 00 07");
    /* the user-information given as bytes: a confirmed-service-error 0E 01 06 00 (initiate, other) */
    const uint8_t cse[] = {0x0E, 0x01, 0x06, 0x00};
    re.result = 1;
    re.diagnostic = 1;
    re.user_information = cse;
    re.user_information_len = sizeof cse;
    ck_assert_int_eq(ds_build_aare(&re, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "61 1F A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 01 A3 05 A1 03 02 01 01 BE 06 04 04 0E 01 06 00");
    /* what is built decodes back to the same values */
    ds_value *v;
    ck_assert_int_eq(ds_value_decode_apdu(A, buf, n, &v, NULL), 0);
    ck_assert_uint_eq(ds_value_find_any(v, "AssociationResult")->u, 1);
}
END_TEST

/* block transfer: the APDUs of a split, kept for the test */
typedef struct blocks {
    uint8_t apdu[4][1200];
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

START_TEST(block_transfer)
{
    /* an octet-string of 1500 bytes: 09 82 05DC + 1500 bytes = 1504 bytes of Data */
    static uint8_t data[1504], joined[2000];
    data[0] = 0x09, data[1] = 0x82, data[2] = 0x05, data[3] = 0xDC;
    for (size_t i = 4; i < sizeof data; i++) data[i] = (uint8_t)(i * 7);
    blocks b = {.n = 0};
    char err[256];
    ck_assert_int_eq(ds_split_get_response(0xC1, data, sizeof data, 1000, keep_block, &b, err, sizeof err), 0);
    ck_assert_int_eq(b.n, 2);
    /* block 1: C4 02 C1, last 00, number 00000001, raw-data choice 00, length 82 03E8 (1000) */
    ck_assert_uint_eq(b.len[0], 12 + 1000);
    expect_bytes(b.apdu[0], 12, "C4 02 C1 00 00 00 00 01 00 82 03 E8");
    ck_assert_mem_eq(b.apdu[0] + 12, data, 1000);
    /* block 2: last 01, number 2, length 82 01F8 (504) */
    ck_assert_uint_eq(b.len[1], 12 + 504);
    expect_bytes(b.apdu[1], 12, "C4 02 C1 01 00 00 00 02 00 82 01 F8");

    ds_block_join j;
    ds_block_join_init(&j, joined, sizeof joined);
    ds_value *v;
    /* out of order: block 2 first */
    ck_assert_int_eq(ds_value_decode_apdu(A, b.apdu[1], b.len[1], &v, NULL), 0);
    ck_assert_int_eq(ds_block_join_add(&j, v, err, sizeof err), -1);
    ck_assert_str_eq(err, "block 2 where block 1 was expected");
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(ds_value_decode_apdu(A, b.apdu[i], b.len[i], &v, NULL), 0);
        ck_assert_int_eq(ds_block_join_add(&j, v, err, sizeof err), i == 1);
    }
    ck_assert_uint_eq(j.len, sizeof data);
    ck_assert_mem_eq(joined, data, sizeof data);

    /* set-request: long-unsigned 16 (12 00 10) in blocks of 2: first block with the attribute,
     * C1 02 C1 AD 00 | last 00, number 1, 02 12 00; then C1 03 C1 | 01, 2, 01 10 */
    const uint8_t lu16[] = {0x12, 0x00, 0x10};
    b.n = 0;
    ck_assert_int_eq(ds_split_set_request(0xC1, &ENERGY, lu16, 3, 2, keep_block, &b, err, sizeof err), 0);
    ck_assert_int_eq(b.n, 2);
    expect_bytes(b.apdu[0], b.len[0], "C1 02 C1 00 03 01 00 01 08 00 FF 02 00 00 00 00 00 01 02 12 00");
    expect_bytes(b.apdu[1], b.len[1], "C1 03 C1 01 00 00 00 02 01 10");
    /* a data-access-result instead of data ends a join: C4 02 C1 01 00000001 01 04 */
    ds_block_join_init(&j, joined, sizeof joined);
    const uint8_t refused[] = {0xC4, 0x02, 0xC1, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04};
    ck_assert_int_eq(ds_value_decode_apdu(A, refused, sizeof refused, &v, NULL), 0);
    ck_assert_int_eq(ds_block_join_add(&j, v, err, sizeof err), -1);
    ck_assert_str_eq(err, "block 1 carries data-access-result 4 instead of data");
}
END_TEST

/* The lenient join the decoder uses, one per sender: what a trace shows is said, not refused. */
START_TEST(lenient_join_says_what_came)
{
    static const uint8_t B1[] = {0x01, 0x02}, B1B[] = {0x09}, B2[] = {0x03}, B3[] = {0x04, 0x05};
    ds_block_join j;
    ds_block_join_init_growing(&j, 6);
    ds_block_step st = ds_block_join_take(&j, 2, 0, B2, 1); /* the input starts mid-transfer */
    ck_assert_int_eq(st.outcome, DS_BLOCK_NO_START);
    st = ds_block_join_take(&j, 1, 0, B1, 2);
    ck_assert_int_eq(st.outcome, DS_BLOCK_TAKEN);
    ck_assert_int_eq(st.restarted, 0);
    st = ds_block_join_take(&j, 1, 0, B1, 2); /* block 1 sent again, the only one so far */
    ck_assert_int_eq(st.outcome, DS_BLOCK_REPEATED);
    st = ds_block_join_take(&j, 3, 0, B3, 2); /* block 2 lost */
    ck_assert_int_eq(st.outcome, DS_BLOCK_GAP);
    ck_assert_uint_eq(st.expected, 2);
    ck_assert_uint_eq(st.dropped, 2);
    ck_assert(!j.open);
    st = ds_block_join_take(&j, 2, 0, B2, 1); /* after block 3, with no block 1 between */
    ck_assert_int_eq(st.outcome, DS_BLOCK_BACKWARDS);
    ck_assert_uint_eq(st.highest, 3);
    ck_assert_int_eq(ds_block_join_take(&j, 1, 0, B1, 2).outcome, DS_BLOCK_TAKEN);
    ck_assert_int_eq(ds_block_join_take(&j, 2, 0, B2, 1).outcome, DS_BLOCK_TAKEN);
    st = ds_block_join_take(&j, 1, 0, B1B, 1); /* block 1 with other bytes: a new transfer */
    ck_assert_int_eq(st.restarted, 2);
    ck_assert_uint_eq(st.dropped, 3);
    ck_assert_int_eq(st.outcome, DS_BLOCK_TAKEN);
    st = ds_block_join_take(&j, 2, 1, B3, 2);
    ck_assert_int_eq(st.outcome, DS_BLOCK_COMPLETE);
    uint8_t *bytes = NULL;
    size_t n = ds_block_join_detach(&j, &bytes);
    ck_assert_uint_eq(n, 3);
    static const uint8_t WHOLE[] = {0x09, 0x04, 0x05};
    ck_assert_mem_eq(bytes, WHOLE, 3);
    free(bytes);
    /* past the cap of 6 bytes: given up */
    ck_assert_int_eq(ds_block_join_take(&j, 1, 0, B1, 2).outcome, DS_BLOCK_TAKEN);
    ck_assert_int_eq(ds_block_join_take(&j, 2, 0, B3, 2).outcome, DS_BLOCK_TAKEN);
    ck_assert_int_eq(ds_block_join_take(&j, 3, 0, B3, 2).outcome, DS_BLOCK_TAKEN);
    ck_assert_int_eq(ds_block_join_take(&j, 4, 1, B2, 1).outcome, DS_BLOCK_TOO_LARGE);
    ck_assert(!j.open);
    ds_block_join_free(&j);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------------------------ */

static void expect_refusal(const ds_value *apdu, const char *part)
{
    uint8_t buf[256];
    size_t n = 99;
    char err[256];
    ck_assert_int_eq(ds_value_encode_apdu(apdu, buf, sizeof buf, &n, err, sizeof err), -1);
    ck_assert_uint_eq(n, 0);
    ck_assert_msg(strstr(err, part) != NULL, "message \"%s\" lacks \"%s\"", err, part);
}

START_TEST(refusals_name_the_field)
{
    ds_value *v = ds_value_new_apdu(A, 0xC0);
    ds_value *req = ds_value_find(v, "GetRequest");
    expect_refusal(v, "GetRequest: no alternative chosen");
    ck_assert_int_eq(ds_value_choose(A, req, 9), -1); /* get-request has alternatives 1..3 */
    ck_assert_int_eq(ds_value_choose(A, req, 1), 0);
    ds_value_find(req, "GetRequestNormal/InvokeIdAndPriority")->u = 0xC1;
    ds_value_find(req, "GetRequestNormal/AttributeDescriptor/AttributeId")->u = 2;
    /* an instance id of 5 bytes where the field takes 6 */
    ds_value *inst = ds_value_find(v, "GetRequest/GetRequestNormal/AttributeDescriptor/InstanceId");
    ds_value_set_bytes(A, inst, (const uint8_t *)"\1\0\1\x08\0", 5);
    expect_refusal(v, "GetRequest/GetRequestNormal/AttributeDescriptor/InstanceId: 5 byte(s) where the field takes 6");
    ds_value_set_bytes(A, inst, (const uint8_t *)"\1\0\1\x08\0\xFF", 6);
    /* a class id of 70000 does not fit its 2 bytes */
    ds_value *cls = ds_value_find(v, "GetRequest/GetRequestNormal/AttributeDescriptor/ClassId");
    cls->u = 70000;
    expect_refusal(v, "GetRequest/GetRequestNormal/AttributeDescriptor/ClassId: 70000 does not fit 2 byte(s)");
    /* the wrong kind of value */
    cls->kind = DS_VALUE_BYTES;
    expect_refusal(v, "AttributeDescriptor/ClassId: a bytes value where a number value is needed");
    cls->kind = DS_VALUE_NUMBER;
    cls->u = 3;
    /* an unknown choice */
    req->tag = 7;
    expect_refusal(v, "GetRequest: 0x07 is not a valid choice");
    req->tag = 1;

    /* the caller's limit: 12 of the 13 bytes do not fit, and nothing is written past them */
    uint8_t buf[16];
    memset(buf, 0xAA, sizeof buf);
    size_t n;
    char err[128];
    ck_assert_int_eq(ds_value_encode_apdu(v, buf, 12, &n, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "does not fit the buffer of 12 bytes") != NULL, "%s", err);
    for (size_t i = 12; i < sizeof buf; i++) ck_assert_uint_eq(buf[i], 0xAA);
    ck_assert_int_eq(ds_value_encode_apdu(v, buf, 13, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "C0 01 C1 00 03 01 00 01 08 00 FF 02 00");

    /* Data: too many elements for the compact array's description, a value too big for its type */
    ds_value *resp = ds_value_new_apdu(A, 0xC4);
    ds_value_choose(A, ds_value_find(resp, "GetResponse"), 1);
    ds_value *result = ds_value_find(resp, "GetResponse/GetResponseNormal/Result");
    ds_value_choose(A, result, 0);
    ds_value *big = ds_value_new_uint(A, DS_DATA_UNSIGNED, 256);
    ds_value_set_data(A, result, big);
    expect_refusal(resp, "GetResponse/GetResponseNormal/Result/Data: 256 does not fit UInt8");

    uint8_t ca[] = {0x13, 0x01, 0x00, 0x02, 0x11, 0x02, 0x01, 0x02}; /* array of 2 unsigned: {1, 2} */
    ds_value *arr;
    ck_assert_int_eq(ds_value_decode_data(A, ca, sizeof ca, NULL, &arr, NULL), 0);
    ds_value_append(ds_value_child(ds_value_child(arr, 1), 0), ds_value_new_uint(A, DS_DATA_UNSIGNED, 3));
    ds_value_set_data(A, result, arr);
    expect_refusal(resp, "Result/Data[0]: too many elements: 3 where the description says 2");
    /* an unknown data type */
    ds_value_set_data(A, result, ds_value_new_data(A, 0x08));
    expect_refusal(resp, "Result/Data: unknown data type 0x08");
}
END_TEST

START_TEST(arena_limits)
{
    ds_value_arena *small = ds_value_arena_new(4, 64);
    uint8_t in[] = {0xC4, 0x01, 0xC1, 0x00, 0x01, 0x03, 0x11, 0x01, 0x11, 0x02, 0x11, 0x03};
    ds_value *v;
    ds_diag d;
    ck_assert_int_eq(ds_value_decode_apdu(small, in, sizeof in, &v, &d), -1);
    ck_assert_str_eq(d.code, DS_D_INPUT_TOO_LARGE);
    ck_assert_msg(strstr(d.message, "more than 4 values") != NULL, "%s", d.message);
    ck_assert_ptr_nonnull(v); /* what decoded */
    ds_value_arena_reset(small);
    uint8_t octets[] = {0x09, 0x48};
    uint8_t big[2 + 0x48] = {0x09, 0x48};
    (void)octets;
    ck_assert_int_eq(ds_value_decode_data(small, big, sizeof big, NULL, &v, &d), -1);
    ck_assert_msg(strstr(d.message, "more than 64 bytes") != NULL, "%s", d.message);
    ds_value_arena_free(small);
}
END_TEST

/* ---- raw bytes (an <Undecoded> of the XML) --------------------------------------------------------- */

static ds_value *decode_hex(const char *hex)
{
    uint8_t in[256];
    size_t n = test_unhex(hex, in, sizeof in);
    ds_value *v = NULL;
    ds_diag d;
    ck_assert_msg(ds_value_decode_apdu(A, in, n, &v, &d) == 0, "%s: %s", hex, d.message);
    return v;
}

static ds_value *raw_hex(const char *hex)
{
    uint8_t b[64];
    size_t n = test_unhex(hex, b, sizeof b);
    ds_value *r = ds_value_new_raw(A, b, n);
    ck_assert_ptr_nonnull(r);
    return r;
}

static void expect_apdu(const ds_value *v, const char *hex)
{
    uint8_t buf[256];
    size_t n = 0;
    char err[256];
    ck_assert_msg(ds_value_encode_apdu(v, buf, sizeof buf, &n, err, sizeof err) == 0, "%s", err);
    expect_bytes(buf, n, hex);
}

/* Expected bytes: the APDU up to the raw bytes, as value_encode writes fields (REFERENCE.md §4),
 * then the raw bytes as they are, then nothing more of their scope. */
START_TEST(raw_bytes_end_their_scope)
{
    /* an array of 3 announced, cut short after its first element: the count stays 3 */
    ds_value *v = decode_hex("C4 01 C1 00 01 03 11 05 11 06 11 07");
    ds_value *arr = ds_value_data(v);
    arr->child->next = raw_hex("11 06 FF");
    arr->count = 2;
    ds_value_cut_short(arr, 3);
    expect_apdu(v, "C4 01 C1 00 01 03 11 05 11 06 FF");
    arr->flags &= (uint8_t)~DS_VALUE_CUT_SHORT; /* not cut short: the count is the elements there */
    expect_apdu(v, "C4 01 C1 00 01 02 11 05 11 06 FF");

    /* a SEQUENCE OF (get-response-with-list) cut short in its second item, 3 announced */
    v = decode_hex("C4 03 C1 02 00 11 05 00 11 06");
    ds_value *list = ds_value_find(v, "GetResponse/GetResponseWithList/Result");
    ck_assert_int_eq(list->kind, DS_VALUE_LIST);
    list->child->next = raw_hex("00 11");
    ds_value_cut_short(list, 3);
    expect_apdu(v, "C4 03 C1 03 00 11 05 00 11");
    list->child->next->next = raw_hex("00"); /* nothing may follow the raw bytes */
    expect_refusal(v, "values after raw bytes");

    /* raw bytes in a named group end the APDU: the optional after the group is not written, and
     * a value left for it is refused */
    v = decode_hex("C3 01 C1 00 03 01 00 01 08 00 FF 02 00");
    ds_value *md = ds_value_find(v, "ActionRequest/ActionRequestNormal/MethodDescriptor");
    ds_value *inst = ds_value_find(md, "InstanceId");
    inst->next = raw_hex("02 FF");
    expect_refusal(v, "values after raw bytes");
    md->next = NULL;
    expect_apdu(v, "C3 01 C1 00 03 01 00 01 08 00 FF 02 FF");

    /* a choice whose tag could not be read: the raw bytes are tag and body */
    v = ds_value_new_apdu(A, 0xC4);
    ds_value *resp = ds_value_find(v, "GetResponse");
    ck_assert(resp->flags & DS_VALUE_UNCHOSEN);
    resp->child = NULL;
    ds_value_append(resp, raw_hex("09 01 02"));
    expect_apdu(v, "C4 09 01 02");

    /* a compact array the decoder could not read: all its bytes after the type tag */
    ds_value *ca = ds_value_new_data(A, DS_DATA_COMPACT_ARRAY);
    ds_value_append(ca, raw_hex("01 02 03"));
    uint8_t buf[16];
    size_t n = 0;
    char err[128];
    ck_assert_int_eq(ds_value_encode_data(ca, buf, sizeof buf, &n, err, sizeof err), 0);
    expect_bytes(buf, n, "13 01 02 03");
}
END_TEST

/* In BER, a field is a scope of its own: raw bytes in a field or for a whole field stop nothing
 * after it. The AARQ is the one of association_builders (hand-checked there). */
START_TEST(raw_bytes_in_ber_fields)
{
    static const char AARQ[] = "60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0";
    ds_value *v = decode_hex(AARQ);
    ds_value *seq = v->child;
    ck_assert_int_eq(seq->kind, DS_VALUE_GROUP);
    ds_value *context = seq->child;
    ck_assert_int_eq(context->kind, DS_VALUE_TAGGED);
    ck_assert_uint_eq(context->tag, 0xA1);
    /* the whole application-context field as raw bytes */
    ds_value *raw = raw_hex("A1 09 06 07 60 85 74 05 08 01 01");
    raw->next = context->next;
    seq->child = raw;
    expect_apdu(v, AARQ);
    /* the content of the field as raw bytes: its length is measured over them, and the
     * user-information field after it is still written */
    seq->child = context;
    context->child = raw_hex("06 07 60 85 74 05 08 01 01");
    expect_apdu(v, AARQ);
    context->child = raw_hex("06 02 60 85");
    expect_apdu(v, "60 18 A1 04 06 02 60 85 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0");
}
END_TEST

/* ---- every APDU of the test data (tests/e2e/values.sh gives the list) ---------------------------------- */

static size_t errors_of_xml_decoder(const uint8_t *p, size_t n)
{
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = 0;
    ds_sink *sink = ds_null_sink_new();
    int errors = ds_decode_apdu_buffer(p, n, &opt, sink, NULL, NULL);
    ds_sink_destroy(sink);
    return (size_t)errors;
}

START_TEST(corpus)
{
    const char *path = getenv("DS_VALUE_APDUS");
    if (!path) {
        printf("corpus: DS_VALUE_APDUS not set (tests/e2e/values.sh runs this case)\n");
        return;
    }
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char line[1 << 17];
    static uint8_t in[1 << 16], out[1 << 16];
    size_t total = 0, exact = 0, with_error = 0, disagree = 0, mismatch = 0;
    ds_value_arena *a = ds_value_arena_new(1 << 20, 1 << 24);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        size_t n = test_unhex(line, in, sizeof in);
        total++;
        ds_value_arena_reset(a);
        ds_value *v;
        ds_diag d;
        int rc = ds_value_decode_apdu(a, in, n, &v, &d);
        size_t xml_errors = errors_of_xml_decoder(in, n);
        if ((rc == 0) != (xml_errors == 0)) {
            disagree++;
            printf("corpus: the decoders disagree on %s: values %s (%s at %llu: %s), XML decoder %zu error(s)\n",
                   line, rc ? "error" : "clean", rc ? d.code : "-", (unsigned long long)(rc ? d.offset : 0),
                   rc ? d.message : "", xml_errors);
        }
        if (rc) {
            with_error++;
            continue;
        }
        size_t len;
        char err[256];
        if (ds_value_encode_apdu(v, out, sizeof out, &len, err, sizeof err) || len != n || memcmp(in, out, n)) {
            mismatch++;
            printf("corpus: not exact: %s (%s)\n", line, err);
            continue;
        }
        exact++;
    }
    fclose(f);
    ds_value_arena_free(a);
    printf("corpus: %zu APDUs: %zu decoded without error and re-encoded exactly, %zu with an error, "
           "%zu not exact, %zu where the decoders disagree\n",
           total, exact, with_error, mismatch, disagree);
    ck_assert_uint_gt(total, 0);
    ck_assert_uint_eq(mismatch, 0);
    ck_assert_uint_eq(disagree, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("value");
    TCase *t = tcase_create("data");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, simple_types);
    tcase_add_test(t, containers_and_length_forms);
    tcase_add_test(t, compact_array_views);
    tcase_add_test(t, date_time_views);
    tcase_add_test(t, skip_by_the_type_table);
    suite_add_tcase(s, t);
    t = tcase_create("apdu");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, paths_and_getters);
    tcase_add_test(t, builders);
    tcase_add_test(t, association_builders);
    tcase_add_test(t, block_transfer);
    tcase_add_test(t, lenient_join_says_what_came);
    tcase_add_test(t, refusals_name_the_field);
    tcase_add_test(t, arena_limits);
    tcase_add_test(t, raw_bytes_end_their_scope);
    tcase_add_test(t, raw_bytes_in_ber_fields);
    suite_add_tcase(s, t);
    t = tcase_create("corpus");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, corpus);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
