/* Names tables: OBIS formatting and meanings, class names, units, date texts.
 * Expected strings come from REFERENCE.md §4.4/§8/§9 and dialect decision 7. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apdu/enums.h"
#include "dlmscope/value.h"
#include "names/names.h"
#include "util/fmt.h"

static const char *dt(const char *hex)
{
    static char out[128];
    uint8_t b[32];
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    size_t len = ds_datetime_format(b, n, out, sizeof out);
    if (len == 0) return NULL;
    ck_assert_uint_eq(len, strlen(out));
    return out;
}

#define ck_dt(hex, expected) ck_assert_str_eq(dt(hex), expected)
#define ck_dt_bad(hex) ck_assert_ptr_null(dt(hex))

START_TEST(obis_format)
{
    char buf[24];
    const uint8_t clock[6] = {0, 0, 1, 0, 0, 255};
    ck_assert_uint_eq(ds_obis_format(clock, buf), 13);
    ck_assert_str_eq(buf, "0.0.1.0.0.255");
    const uint8_t all[6] = {255, 255, 255, 255, 255, 255};
    ck_assert_uint_eq(ds_obis_format(all, buf), 23);
    ck_assert_str_eq(buf, "255.255.255.255.255.255");
    const uint8_t energy[6] = {1, 0, 1, 8, 0, 255};
    ds_obis_format(energy, buf);
    ck_assert_str_eq(buf, "1.0.1.8.0.255");
}
END_TEST

static const char *meaning(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f)
{
    const uint8_t o[6] = {a, b, c, d, e, f};
    return ds_obis_meaning(o);
}

START_TEST(obis_meanings)
{
    ck_assert_str_eq(meaning(0, 0, 1, 0, 0, 255), "Clock");
    ck_assert_str_eq(meaning(0, 0, 40, 0, 0, 255), "Current association");
    ck_assert_str_eq(meaning(0, 0, 40, 0, 3, 255), "Association");
    ck_assert_str_eq(meaning(0, 0, 42, 0, 0, 255), "COSEM logical device name");
    ck_assert_str_eq(meaning(0, 0, 43, 0, 2, 255), "Security setup");
    ck_assert_str_eq(meaning(0, 0, 43, 1, 0, 255), "Invocation counter");
    ck_assert_str_eq(meaning(0, 0, 44, 0, 0, 255), "Image transfer");
    ck_assert_str_eq(meaning(0, 0, 96, 3, 10, 255), "Disconnect control");
    ck_assert_str_eq(meaning(0, 0, 96, 1, 0, 255), "Device ID 1");
    ck_assert_str_eq(meaning(0, 0, 25, 9, 0, 255), "Push setup");
    ck_assert_str_eq(meaning(0, 2, 24, 1, 0, 255), "M-Bus client");
    ck_assert_str_eq(meaning(1, 0, 1, 8, 0, 255), "Active energy import (+A) total");
    ck_assert_str_eq(meaning(1, 0, 1, 8, 2, 255), "Active energy import (+A) tariff 2");
    ck_assert_str_eq(meaning(1, 0, 2, 8, 0, 255), "Active energy export (-A) total");
    ck_assert_str_eq(meaning(1, 0, 1, 7, 0, 255), "Active power import (+P)");
    ck_assert_str_eq(meaning(1, 0, 32, 7, 0, 255), "Voltage L1");
    ck_assert_str_eq(meaning(1, 0, 52, 7, 0, 255), "Voltage L2");
    ck_assert_str_eq(meaning(1, 0, 71, 7, 0, 255), "Current L3");
    ck_assert_str_eq(meaning(1, 0, 99, 1, 0, 255), "Load profile 1");
    ck_assert_str_eq(meaning(1, 1, 0, 2, 129, 255), "List version identifier");
    ck_assert_str_eq(meaning(1, 0, 0, 2, 129, 255), "List version identifier");
    /* channel 1 electricity codes (Kamstrup) mean the same quantity */
    ck_assert_str_eq(meaning(1, 1, 32, 7, 0, 255), "Voltage L1");
    ck_assert_str_eq(meaning(1, 1, 1, 7, 0, 255), "Active power import (+P)");
    /* but nothing else is guessed */
    ck_assert_ptr_null(meaning(1, 2, 32, 7, 0, 255));
    ck_assert_ptr_null(meaning(1, 0, 32, 7, 0, 0));
    ck_assert_ptr_null(meaning(0, 1, 1, 0, 0, 255));
    ck_assert_ptr_null(meaning(0, 0, 1, 0, 0, 0));
    ck_assert_ptr_null(meaning(1, 2, 3, 4, 5, 255));
    ck_assert_ptr_null(meaning(0, 0, 0, 0, 0, 0));
}
END_TEST

START_TEST(obis_table_order)
{
    /* sorted strictly: no code twice, so that the index holds one row per code */
    ck_assert_int_eq(ds_obis_table_sorted(), 1);
    ck_assert_int_eq(ds_obis_table_indexed(), 1);
}
END_TEST

/* The names that become comments are written without escaping (DS_TEXT_PLAIN): none may hold
 * a character a writer would have to escape. Unit names (m³, °C) are not used in comments. */
static void ck_plain(const char *name)
{
    ck_assert_msg(ds_text_is_plain(name, strlen(name)), "not plain: \"%s\"", name);
}

/* The widest date text (year 65534, dst-begin month, second-last day, every field unspecified
 * that can be, deviation +12:00, every status bit) fits DS_DATETIME_TEXT_MAX and no less. */
START_TEST(datetime_widest_text)
{
    const uint8_t widest[12] = {0xFF, 0xFE, 0xFE, 0xFD, 0x01, 0xFF, 0xFF, 0xFF, 0x63, 0xFD, 0x30, 0x8F};
    char buf[DS_DATETIME_TEXT_MAX];
    size_t len = ds_datetime_format(widest, sizeof widest, buf, sizeof buf);
    ck_assert_str_eq(buf, "65534-dst-begin-2nd-lastT**:**:**.99+12:00 dst,invalid,doubtful,different-base,invalid-status");
    ck_assert_uint_eq(len, DS_DATETIME_TEXT_MAX - 1);
    ck_assert_uint_eq(ds_datetime_format(widest, sizeof widest, buf, sizeof buf - 1), 0);
}
END_TEST

START_TEST(comment_names_are_plain)
{
    size_t n = 0;
    for (const char *name; (name = ds_obis_table_name(n)) != NULL; n++) ck_plain(name);
    ck_assert_uint_gt(n, 50);
    for (unsigned id = 0; id <= 0xFFFF; id++)
        if (ds_class_name((uint16_t)id)) ck_plain(ds_class_name((uint16_t)id));
    static const ds_enum *const tables[] = {DS_ASSOCIATION_RESULT, DS_ACSE_USER_DIAG, DS_ACSE_PROVIDER_DIAG,
                                            DS_CSE_SERVICE};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const ds_enum *row = tables[t]; row->name; row++) ck_plain(row->name);
    /* date texts, for dates with every special value in every field (xorshift bytes biased
     * towards FF, FE, FD, 80 and 00) */
    static const uint8_t special[] = {0xFF, 0xFE, 0xFD, 0x80, 0x00, 0x7F};
    uint32_t x = 12345;
    size_t formatted = 0;
    for (int i = 0; i < 200000; i++) {
        uint8_t d[12];
        for (size_t k = 0; k < sizeof d; k++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            d[k] = (x & 1) ? special[(x >> 1) % sizeof special] : (uint8_t)(x >> 8) % 64;
        }
        char buf[128];
        size_t len = ds_datetime_format(d, sizeof d, buf, sizeof buf);
        if (len) ck_assert_msg(ds_text_is_plain(buf, len), "not plain: \"%.*s\"", (int)len, buf);
        formatted += len != 0;
    }
    ck_assert_uint_gt(formatted, 1000);
}
END_TEST

START_TEST(class_names)
{
    ck_assert_str_eq(ds_class_name(1), "Data");
    ck_assert_str_eq(ds_class_name(3), "Register");
    ck_assert_str_eq(ds_class_name(4), "Extended register");
    ck_assert_str_eq(ds_class_name(7), "Profile generic");
    ck_assert_str_eq(ds_class_name(8), "Clock");
    ck_assert_str_eq(ds_class_name(12), "Association SN");
    ck_assert_str_eq(ds_class_name(15), "Association LN");
    ck_assert_str_eq(ds_class_name(18), "Image transfer");
    ck_assert_str_eq(ds_class_name(40), "Push setup");
    ck_assert_str_eq(ds_class_name(64), "Security setup");
    ck_assert_str_eq(ds_class_name(70), "Disconnect control");
    ck_assert_str_eq(ds_class_name(71), "Limiter");
    ck_assert_str_eq(ds_class_name(72), "M-Bus client");
    ck_assert_str_eq(ds_class_name(124), "Communication port protection");
    ck_assert_ptr_null(ds_class_name(0));
    ck_assert_ptr_null(ds_class_name(2));
    ck_assert_ptr_null(ds_class_name(13));
    ck_assert_ptr_null(ds_class_name(125));
    ck_assert_ptr_null(ds_class_name(65535));
}
END_TEST

/* REFERENCE.md §8.5, 8.6, 8.8, 8.4 and 8.2, read by hand */
START_TEST(member_names)
{
    ck_assert_str_eq(ds_method_name(15, 1), "reply_to_HLS_authentication");
    ck_assert_str_eq(ds_method_name(18, 1), "image_transfer_initiate");
    ck_assert_str_eq(ds_method_name(18, 2), "image_block_transfer");
    ck_assert_str_eq(ds_method_name(18, 3), "image_verify");
    ck_assert_str_eq(ds_method_name(18, 4), "image_activate");
    ck_assert_ptr_null(ds_method_name(18, 5));
    ck_assert_ptr_null(ds_method_name(18, 0));
    ck_assert_str_eq(ds_method_name(70, 1), "remote_disconnect");
    ck_assert_str_eq(ds_method_name(70, 2), "remote_reconnect");
    ck_assert_ptr_null(ds_method_name(70, 3));
    ck_assert_str_eq(ds_attribute_name(8, 2), "time");
    ck_assert_str_eq(ds_attribute_name(8, 9), "clock_base");
    ck_assert_ptr_null(ds_attribute_name(8, 10));
    ck_assert_str_eq(ds_attribute_name(3, 3), "scaler_unit");
    ck_assert_str_eq(ds_attribute_name(15, 11), "current_user");
    ck_assert_str_eq(ds_attribute_name(1, 2), "value");
    /* attribute 1 of every known class; nothing for an unknown class */
    ck_assert_str_eq(ds_attribute_name(71, 1), "logical_name");
    ck_assert_ptr_null(ds_attribute_name(71, 2));
    ck_assert_ptr_null(ds_attribute_name(2, 1));
    ck_assert_ptr_null(ds_method_name(2, 1));
    ck_assert_ptr_null(ds_method_name(1, 1));
}
END_TEST

START_TEST(unit_names)
{
    ck_assert_str_eq(ds_unit_name(27), "W");
    ck_assert_str_eq(ds_unit_name(29), "var");
    ck_assert_str_eq(ds_unit_name(30), "Wh");
    ck_assert_str_eq(ds_unit_name(32), "varh");
    ck_assert_str_eq(ds_unit_name(33), "A");
    ck_assert_str_eq(ds_unit_name(35), "V");
    ck_assert_str_eq(ds_unit_name(44), "Hz");
    ck_assert_str_eq(ds_unit_name(13), "m\xC2\xB3");
    ck_assert_str_eq(ds_unit_name(9), "\xC2\xB0" "C");
    ck_assert_str_eq(ds_unit_name(255), "count");
    ck_assert_ptr_null(ds_unit_name(0));
    ck_assert_ptr_null(ds_unit_name(58));
    ck_assert_ptr_null(ds_unit_name(200));
}
END_TEST

START_TEST(datetime_full)
{
    /* CS-u9n-set-request-clock: 2021-01-24 14:48:57.80, deviation -60 (UTC+1) */
    ck_dt("07E50118FF0E303950FFC400", "2021-01-24T14:48:57.80+01:00");
    /* deviation 0 and +120 (UTC-2), -330 (UTC+5:30), the +-720 limits */
    ck_dt("07E50118070E303950000000", "2021-01-24T14:48:57.80+00:00");
    ck_dt("07E50118070E303950007800", "2021-01-24T14:48:57.80-02:00");
    ck_dt("07E50118070E303950FEB600", "2021-01-24T14:48:57.80+05:30");
    ck_dt("07E50118070E30395002D000", "2021-01-24T14:48:57.80-12:00");
    ck_dt("07E50118070E303950FD3000", "2021-01-24T14:48:57.80+12:00");
    /* hundredths FF omitted, deviation 8000 = none, status 80 = dst */
    ck_dt("07E4020FFF011922FF800080", "2020-02-15T01:25:34 dst");
    /* status FF and 00 add nothing */
    ck_dt("07E4020FFF011922FF8000FF", "2020-02-15T01:25:34");
    ck_dt("07E4020FFF01192200800000", "2020-02-15T01:25:34.00");
    /* HAN-NO-kaifa-list3-obis clock */
    ck_dt("07E709040111132DFFFFC400", "2023-09-04T17:19:45+01:00");
    /* year below 1000 is zero-padded */
    ck_dt("000501010100000000800000", "0005-01-01T00:00:00.00");
}
END_TEST

START_TEST(datetime_unspecified_and_special)
{
    ck_dt("FFFFFFFFFFFFFFFFFF8000FF", "****-**-**T**:**:**");
    ck_dt("FFFF0C1FFF17FF00FF800000", "****-12-31T23:**:00");
    ck_dt("07E5FEFD07020000FF800000", "2021-dst-begin-2nd-lastT02:00:00");
    ck_dt("07E5FDFE07030000FF800000", "2021-dst-end-lastT03:00:00");
}
END_TEST

START_TEST(datetime_status_words)
{
    ck_dt("07E4020FFF011922FF800083", "2020-02-15T01:25:34 dst,invalid,doubtful");
    ck_dt("07E4020FFF011922FF80000C", "2020-02-15T01:25:34 different-base,invalid-status");
    ck_dt("07E4020FFF011922FF800001", "2020-02-15T01:25:34 invalid");
    /* only reserved bits: no word */
    ck_dt("07E4020FFF011922FF800010", "2020-02-15T01:25:34");
}
END_TEST

START_TEST(datetime_implausible)
{
    ck_dt_bad("07E50D18FF0E303950FFC400"); /* month 13 */
    ck_dt_bad("07E50018FF0E303950FFC400"); /* month 0 */
    ck_dt_bad("07E50120FF0E303950FFC400"); /* day 32 */
    ck_dt_bad("07E50100FF0E303950FFC400"); /* day 0 */
    ck_dt_bad("07E501E0FF0E303950FFC400"); /* reserved day E0 */
    ck_dt_bad("07E50118FF18303950FFC400"); /* hour 24 */
    ck_dt_bad("07E50118FF0E3C3950FFC400"); /* minute 60 */
    ck_dt_bad("07E50118FF0E303C50FFC400"); /* second 60 */
    ck_dt_bad("07E50118FF0E303964FFC400"); /* hundredths 100 */
    ck_dt_bad("07E50118FF0E30395002D100"); /* deviation +721 */
    ck_dt_bad("07E50118FF0E303950FD2F00"); /* deviation -721 */
    ck_dt_bad("49534B313033303737373736"); /* the text "ISK103077776" */
    ck_dt_bad("0000000000000000000000000000"); /* 14 bytes: not a date length */
    ck_dt_bad("07E50118FF0E30"); /* 7 bytes */
}
END_TEST

START_TEST(date_and_time_only)
{
    ck_dt("07E4020F06", "2020-02-15");
    ck_dt("FFFFFFFFFF", "****-**-**");
    ck_dt("07E4FE0106", "2020-dst-begin-01");
    ck_dt_bad("07E40D0F06");
    ck_dt_bad("07E4021F"); /* 4 bytes of a date are read as a time: 07 E4 -> hour 7, minute 228 */
    ck_dt("01192200", "01:25:34.00");
    ck_dt("011922FF", "01:25:34");
    ck_dt("FFFFFFFF", "**:**:**");
    ck_dt_bad("18000000");
    ck_dt_bad("003C0000");
}
END_TEST

START_TEST(datetime_small_buffer)
{
    const uint8_t b[12] = {0x07, 0xE5, 0x01, 0x18, 0xFF, 0x0E, 0x30, 0x39, 0x50, 0xFF, 0xC4, 0x00};
    char buf[80];
    ck_assert_uint_eq(ds_datetime_format(b, 12, buf, 10), 0);
    /* exactly enough: 28 characters + NUL */
    ck_assert_uint_eq(ds_datetime_format(b, 12, buf, 29), 28);
    ck_assert_str_eq(buf, "2021-01-24T14:48:57.80+01:00");
    ck_assert_uint_eq(ds_datetime_format(b, 12, buf, 28), 0);
}
END_TEST

/* The one value-type check (the emulator's and the typed steps'): image transfer's method 1
 * takes structure{octet-string, double-long-unsigned} (REFERENCE.md section 8, class 18) and
 * disconnect control's method 1 integer(0) (class 70); what differs is said as a path. */
static ds_value *image_initiate(ds_value_arena *a, uint8_t size_type, int elements)
{
    ds_value *s = ds_value_new_data(a, DS_DATA_STRUCTURE);
    ck_assert_int_eq(ds_value_append(s, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, (const uint8_t *)"fw", 2)), 0);
    if (elements > 1) ck_assert_int_eq(ds_value_append(s, ds_value_new_uint(a, size_type, 1000)), 0);
    return s;
}

START_TEST(type_fits)
{
    ds_value_arena *a = ds_value_arena_new(100, 4096);
    ck_assert_ptr_nonnull(a);
    const ds_member_def *initiate = ds_class_method(ds_class_find(18), 1);
    ck_assert_ptr_nonnull(initiate);
    size_t n = ds_type_spec_len(initiate->type, 64);
    ck_assert_uint_eq(n, 4);
    ds_type_misfit why;
    ck_assert_int_eq(ds_type_fits(initiate->type, n, image_initiate(a, DS_DATA_DOUBLE_LONG_UNSIGNED, 2), &why), 1);
    /* the size as UInt16: element 2 of the structure */
    ds_value *bad = image_initiate(a, DS_DATA_LONG_UNSIGNED, 2);
    ck_assert_int_eq(ds_type_fits(initiate->type, n, bad, &why), 0);
    ck_assert_uint_eq(why.depth, 1);
    ck_assert_uint_eq(why.path[0].container, DS_DATA_STRUCTURE);
    ck_assert_uint_eq(why.path[0].element, 2);
    ck_assert_ptr_eq(why.value, bad->child->next);
    ck_assert_int_eq(why.count_differs, 0);
    /* a structure of one element: the count differs, at the top */
    bad = image_initiate(a, DS_DATA_DOUBLE_LONG_UNSIGNED, 1);
    ck_assert_int_eq(ds_type_fits(initiate->type, n, bad, &why), 0);
    ck_assert_uint_eq(why.depth, 0);
    ck_assert_ptr_eq(why.value, bad);
    ck_assert_int_eq(why.count_differs, 1);
    ck_assert_uint_eq(why.want_count, 2);
    /* no misfit record wanted */
    ck_assert_int_eq(ds_type_fits(initiate->type, n, bad, NULL), 0);

    const ds_member_def *disconnect = ds_class_method(ds_class_find(70), 1);
    ck_assert_ptr_nonnull(disconnect);
    n = ds_type_spec_len(disconnect->type, 64);
    ck_assert_int_eq(ds_type_fits(disconnect->type, n, ds_value_new_int(a, DS_DATA_INTEGER, 0), &why), 1);
    ds_value *u8 = ds_value_new_uint(a, DS_DATA_UNSIGNED, 0);
    ck_assert_int_eq(ds_type_fits(disconnect->type, n, u8, &why), 0);
    ck_assert_ptr_eq(why.value, u8);
    ck_assert_uint_eq(why.depth, 0);

    /* an array of UInt8 whose third element is Int8 */
    const uint8_t array_of_u8[] = {DS_DATA_ARRAY, DS_DATA_UNSIGNED};
    ds_value *arr = ds_value_new_data(a, DS_DATA_ARRAY);
    ds_value_append(arr, ds_value_new_uint(a, DS_DATA_UNSIGNED, 1));
    ds_value_append(arr, ds_value_new_uint(a, DS_DATA_UNSIGNED, 2));
    ck_assert_int_eq(ds_type_fits(array_of_u8, sizeof array_of_u8, arr, &why), 1);
    ds_value *third = ds_value_new_int(a, DS_DATA_INTEGER, 3);
    ds_value_append(arr, third);
    ck_assert_int_eq(ds_type_fits(array_of_u8, sizeof array_of_u8, arr, &why), 0);
    ck_assert_uint_eq(why.depth, 1);
    ck_assert_uint_eq(why.path[0].container, DS_DATA_ARRAY);
    ck_assert_uint_eq(why.path[0].element, 3);
    ck_assert_ptr_eq(why.value, third);

    /* any type; no value; a malformed description */
    const uint8_t any[] = {DS_TYPE_ANY}, cut[] = {DS_DATA_STRUCTURE};
    ck_assert_int_eq(ds_type_fits(any, 1, arr, &why), 1);
    ck_assert_int_eq(ds_type_fits(any, 1, NULL, &why), 0);
    ck_assert_int_eq(ds_type_fits(cut, 1, bad, &why), 0);
    ck_assert_ptr_null(why.value);
    ds_value_arena_free(a);
}
END_TEST

static Suite *names_suite(void)
{
    Suite *s = suite_create("names");
    TCase *t = tcase_create("core");
    tcase_add_test(t, obis_format);
    tcase_add_test(t, obis_meanings);
    tcase_add_test(t, obis_table_order);
    tcase_add_test(t, class_names);
    tcase_add_test(t, member_names);
    tcase_add_test(t, comment_names_are_plain);
    tcase_add_test(t, datetime_widest_text);
    tcase_add_test(t, unit_names);
    tcase_add_test(t, datetime_full);
    tcase_add_test(t, datetime_unspecified_and_special);
    tcase_add_test(t, datetime_status_words);
    tcase_add_test(t, datetime_implausible);
    tcase_add_test(t, date_and_time_only);
    tcase_add_test(t, datetime_small_buffer);
    tcase_add_test(t, type_fits);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(names_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
