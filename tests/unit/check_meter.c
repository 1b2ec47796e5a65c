/* The emulator's meter: the model reader and the objects' answers to GET, SET and ACTION through
 * the ds_server_objects callbacks, for each class, with the results a meter gives.
 *
 * Expected bytes are worked out by hand from REFERENCE.md (A-XDR §4, classes §8, results §7.1)
 * and the values of testdata/emulate/meter.xml; times from Python's calendar.timegm. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/assoc.h"
#include "dlmscope/meter.h"
#include "dlmscope/value.h"
#include "names/names.h"
#include "test_hex.h"

#define MODEL "testdata/emulate/meter.xml"
#define T_2026_12_06_12_00 1796558400 /* 2026-12-06T12:00:00Z, a Sunday */

static ds_meter *m;
static ds_server_objects ob;
static ds_value_arena *a;
static char err[512];

static void setup(void)
{
    m = ds_meter_load(MODEL, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ds_meter_set_time(m, T_2026_12_06_12_00);
    ds_meter_objects(m, &ob);
    a = ds_value_arena_new(100000, 1u << 20);
    ck_assert_ptr_nonnull(a);
}

static void teardown(void)
{
    ds_value_arena_free(a);
    ds_meter_free(m);
}

static ds_cosem_ref ref(uint16_t class_id, const char *obis_hex, uint8_t id)
{
    ds_cosem_ref r;
    r.class_id = class_id;
    ck_assert_uint_eq(test_unhex(obis_hex, r.instance, 6), 6);
    r.id = id;
    return r;
}

/* A Data value from hex */
static ds_value *data(const char *hex)
{
    uint8_t b[512];
    size_t n = test_unhex(hex, b, sizeof b), used = 0;
    ds_value *v = NULL;
    ck_assert_int_eq(ds_value_decode_data(a, b, n, &used, &v, NULL), 0);
    ck_assert_uint_eq(used, n);
    return v;
}

/* GET: the result, and the value encoded as hex into out (when 0) */
static int get(int client, uint16_t class_id, const char *obis, uint8_t id, const ds_value *access, char *out,
               size_t cap)
{
    ds_cosem_ref r = ref(class_id, obis, id);
    ds_value *v = NULL;
    int rc = ob.get(ob.user, client, &r, access, a, &v);
    out[0] = 0;
    if (rc) {
        ck_assert_ptr_null(v);
        return rc;
    }
    ck_assert_ptr_nonnull(v);
    static uint8_t buf[1 << 16];
    size_t len = 0;
    char e[128];
    ck_assert_msg(ds_value_encode_data(v, buf, sizeof buf, &len, e, sizeof e) == 0, "%s", e);
    ck_assert_uint_lt(2 * len, cap);
    for (size_t i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02X", buf[i]);
    return 0;
}

static void get_is(int client, uint16_t class_id, const char *obis, uint8_t id, const char *expect)
{
    static char out[1 << 17];
    uint8_t want[4096];
    size_t n = test_unhex(expect, want, sizeof want);
    char hex[8193];
    for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02X", want[i]);
    hex[2 * n] = 0;
    int rc = get(client, class_id, obis, id, NULL, out, sizeof out);
    ck_assert_msg(rc == 0, "get %u/%s/%u: result %d", class_id, obis, id, rc);
    ck_assert_str_eq(out, hex);
}

static int get_rc(int client, uint16_t class_id, const char *obis, uint8_t id)
{
    static char out[1 << 17];
    return get(client, class_id, obis, id, NULL, out, sizeof out);
}

static int set(int client, uint16_t class_id, const char *obis, uint8_t id, const char *value_hex)
{
    ds_cosem_ref r = ref(class_id, obis, id);
    return ob.set(ob.user, client, &r, NULL, data(value_hex));
}

static int act(int client, uint16_t class_id, const char *obis, uint8_t id, const char *params_hex)
{
    ds_cosem_ref r = ref(class_id, obis, id);
    ds_value *ret = NULL;
    return ob.action(ob.user, client, &r, params_hex ? data(params_hex) : NULL, a, &ret);
}

START_TEST(class_table_types)
{
    const ds_class_def *it = ds_class_find(18);
    ck_assert_ptr_nonnull(it);
    uint8_t m1[] = {DS_DATA_STRUCTURE, 2, DS_DATA_OCTET_STRING, DS_DATA_DOUBLE_LONG_UNSIGNED};
    uint8_t m2[] = {DS_DATA_STRUCTURE, 2, DS_DATA_DOUBLE_LONG_UNSIGNED, DS_DATA_OCTET_STRING};
    ck_assert_uint_eq(ds_type_spec_len(ds_class_method(it, 1)->type, 16), 4);
    ck_assert_mem_eq(ds_class_method(it, 1)->type, m1, 4);
    ck_assert_mem_eq(ds_class_method(it, 2)->type, m2, 4);
    ck_assert_uint_eq(ds_class_method(ds_class_find(70), 1)->type[0], DS_DATA_INTEGER);
    ck_assert_uint_eq(ds_class_method(ds_class_find(70), 2)->type[0], DS_DATA_INTEGER);
    ck_assert_uint_eq(ds_class_find(7)->version, 1);
    ck_assert_uint_eq(ds_class_attribute_count(ds_class_find(8)), 9);
    ck_assert_uint_eq(ds_class_method_count(ds_class_find(8)), 6);
    ck_assert_uint_eq(ds_class_attribute_count(ds_class_find(9)), 1);
    ck_assert_uint_eq(ds_class_attribute(ds_class_find(9), 1)->type[0], DS_DATA_OCTET_STRING);
    /* every type description of the table is well formed */
    for (size_t i = 0; ds_class_at(i); i++) {
        const ds_class_def *c = ds_class_at(i);
        for (unsigned k = 1; k <= ds_class_attribute_count(c); k++)
            ck_assert_msg(ds_type_spec_len(ds_class_attribute(c, k)->type, 64) > 0, "class %u attr %u", c->id, k);
        for (unsigned k = 1; k <= ds_class_method_count(c); k++)
            ck_assert_msg(ds_type_spec_len(ds_class_method(c, k)->type, 64) > 0, "class %u method %u", c->id, k);
    }
}
END_TEST

START_TEST(register_get_set)
{
    get_is(16, 3, "0100010800FF", 1, "09 06 0100010800FF");
    get_is(16, 3, "0100010800FF", 2, "06 0001E240");              /* 123456 */
    get_is(16, 3, "0100010800FF", 3, "02 02 0F 01 16 1E");        /* scaler 1, Wh */
    get_is(16, 3, "0100200700FF", 3, "02 02 0F FF 16 23");        /* scaler -1, V */
    ck_assert_int_eq(get_rc(16, 3, "0100020800FF", 2), 4);        /* no such object: object-undefined */
    ck_assert_int_eq(get_rc(16, 1, "0100010800FF", 2), 9);        /* wrong class: object-class-inconsistent */
    ck_assert_int_eq(get_rc(16, 3, "0100010800FF", 4), 4);        /* no attribute 4 in a register */
    ck_assert_int_eq(set(16, 3, "0100010800FF", 2, "06 00000005"), 3); /* read only: read-write-denied */
    ck_assert_int_eq(set(17, 3, "0100010800FF", 2, "12 0005"), 12);    /* keeps its type: type-unmatched */
    ck_assert_int_eq(set(17, 3, "0100010800FF", 3, "02 01 0F 01"), 12);
    ck_assert_int_eq(set(17, 3, "0100010800FF", 1, "09 06 0100010800FF"), 3);
    ck_assert_int_eq(set(17, 3, "0100010800FF", 2, "06 00000005"), 0);
    get_is(16, 3, "0100010800FF", 2, "06 00000005");
    ck_assert_int_eq(set(17, 3, "0100010800FF", 3, "02 02 0F FD 16 1E"), 0);
    get_is(16, 3, "0100010800FF", 3, "02 02 0F FD 16 1E");
    /* reset: client 1 only (methods), integer(0) only */
    ck_assert_int_eq(act(17, 3, "0100010800FF", 1, "0F 00"), 3);
    ck_assert_int_eq(act(1, 3, "0100010800FF", 1, "11 00"), 12);
    ck_assert_int_eq(act(1, 3, "0100010800FF", 1, "0F 00"), 0);
    get_is(16, 3, "0100010800FF", 2, "06 00000000");
    ck_assert_int_eq(act(1, 3, "0100010800FF", 2, "0F 00"), 4);
}
END_TEST

START_TEST(extended_register_and_data)
{
    get_is(16, 4, "0100010600FF", 2, "06 00001388");
    get_is(16, 4, "0100010600FF", 3, "02 02 0F 00 16 1B");
    get_is(16, 4, "0100010600FF", 5, "09 0C 07EA0C01020C000000FFC400");
    /* reset: value 0, capture time now (12:00 UTC is 13:00 at deviation -60, Sunday = 7) */
    ck_assert_int_eq(act(1, 4, "0100010600FF", 1, "0F 00"), 0);
    get_is(16, 4, "0100010600FF", 2, "06 00000000");
    get_is(16, 4, "0100010600FF", 5, "09 0C 07EA0C06070D000000FFC400");
    get_is(16, 1, "0000600100FF", 2, "0A 08 4453303030303031");  /* "DS000001" */
    get_is(16, 1, "00002A0000FF", 2, "09 10 44534330303030303030303030303031");
    get_is(16, 1, "00002B0100FF", 2, "06 00000000");              /* client 1's frame counter */
    get_is(16, 17, "0000290000FF", 2, "01 01 02 02 12 0001 09 0F 445343303030303030303030303031");
    get_is(16, 64, "00002B0000FF", 5, "09 08 4755520000000001");
    get_is(16, 64, "00002B0000FF", 2, "16 03");
    ck_assert_int_eq(act(1, 64, "00002B0000FF", 1, "16 01"), 11); /* not emulated */
}
END_TEST

START_TEST(clock)
{
    get_is(16, 8, "0000010000FF", 2, "09 0C 07EA0C06070D000000FFC400");
    get_is(16, 8, "0000010000FF", 3, "10 FFC4");
    get_is(16, 8, "0000010000FF", 9, "16 01");
    /* set to 14:00 local (13:00 UTC); the clock then runs from there */
    ck_assert_int_eq(set(16, 8, "0000010000FF", 2, "09 0C 07EA0C06070E000000FFC400"), 3);
    ck_assert_int_eq(set(17, 8, "0000010000FF", 2, "09 0C 07EA0C06070E000000FFC400"), 0);
    get_is(16, 8, "0000010000FF", 2, "09 0C 07EA0C06070E000000FFC400");
    /* with the deviation not specified (8000) the clock's own time zone is used */
    ck_assert_int_eq(set(17, 8, "0000010000FF", 2, "09 0C 07EA0C06070F000000800000"), 0);
    get_is(16, 8, "0000010000FF", 2, "09 0C 07EA0C06070F000000FFC400");
    ck_assert_int_eq(set(17, 8, "0000010000FF", 2, "09 05 07EA0C0607"), 12);
    ck_assert_int_eq(set(17, 8, "0000010000FF", 2, "09 0C FFFF0C06070F000000800000"), 250);
    ck_assert_int_eq(set(17, 8, "0000010000FF", 2, "06 00000001"), 12);
    /* shift_time +60 s (client 1); adjust_to_minute */
    ck_assert_int_eq(act(17, 8, "0000010000FF", 6, "10 003C"), 3);
    ck_assert_int_eq(act(1, 8, "0000010000FF", 6, "10 003C"), 0);
    get_is(16, 8, "0000010000FF", 2, "09 0C 07EA0C06070F010000FFC400");
    ck_assert_int_eq(act(1, 8, "0000010000FF", 6, "10 0385"), 250); /* 901 s */
    ck_assert_int_eq(act(1, 8, "0000010000FF", 6, "0F 01"), 12);
    ck_assert_int_eq(act(1, 8, "0000010000FF", 1, "0F 00"), 0);       /* to the quarter: 15:00 */
    get_is(16, 8, "0000010000FF", 2, "09 0C 07EA0C06070F000000FFC400");
    ck_assert_int_eq(act(1, 8, "0000010000FF", 7, "0F 00"), 4);
}
END_TEST

START_TEST(disconnect_control)
{
    const char *dc = "0000600300FF"; /* 0.0.96.3.10.255 is 00 00 60 03 0A FF */
    dc = "000060030AFF";
    get_is(16, 70, dc, 2, "03 01");
    get_is(16, 70, dc, 3, "16 01");
    get_is(16, 70, dc, 4, "16 04");
    /* LOW association: no method access */
    ck_assert_int_eq(act(17, 70, dc, 1, "0F 00"), 3);
    ck_assert_int_eq(act(16, 70, dc, 1, "0F 00"), 3);
    /* integer(0) only */
    ck_assert_int_eq(act(1, 70, dc, 1, "11 00"), 12);
    ck_assert_int_eq(act(1, 70, dc, 1, "10 0000"), 12);
    ck_assert_int_eq(act(1, 70, dc, 1, NULL), 12);
    ck_assert_int_eq(act(1, 70, dc, 3, "0F 00"), 4);
    /* b: connected -> disconnected; a (mode 4): disconnected -> connected */
    ck_assert_int_eq(act(1, 70, dc, 1, "0F 00"), 0);
    get_is(16, 70, dc, 2, "03 00");
    get_is(16, 70, dc, 3, "16 00");
    ck_assert_int_eq(act(1, 70, dc, 2, "0F 00"), 0);
    get_is(16, 70, dc, 2, "03 01");
    get_is(16, 70, dc, 3, "16 01");
    /* mode 1: d goes to ready_for_reconnection, the output stays off */
    ck_assert_int_eq(set(17, 70, dc, 4, "16 01"), 0);
    ck_assert_int_eq(set(17, 70, dc, 3, "16 00"), 3);
    ck_assert_int_eq(set(17, 70, dc, 4, "0F 01"), 12);
    ck_assert_int_eq(act(1, 70, dc, 1, "0F 00"), 0);
    ck_assert_int_eq(act(1, 70, dc, 2, "0F 00"), 0);
    get_is(16, 70, dc, 3, "16 02");
    get_is(16, 70, dc, 2, "03 00");
    /* c: ready_for_reconnection -> disconnected */
    ck_assert_int_eq(act(1, 70, dc, 1, "0F 00"), 0);
    get_is(16, 70, dc, 3, "16 00");
    /* mode 0: always connected, no transition */
    ck_assert_int_eq(set(17, 70, dc, 4, "16 00"), 0);
    ck_assert_int_eq(act(1, 70, dc, 2, "0F 00"), 2);
}
END_TEST

START_TEST(image_transfer_attributes)
{
    const char *it = "00002C0000FF";
    get_is(16, 18, it, 2, "06 00000100");
    get_is(16, 18, it, 3, "04 00");
    get_is(16, 18, it, 4, "06 00000000");
    get_is(16, 18, it, 5, "03 01");
    get_is(16, 18, it, 6, "16 00");
    get_is(16, 18, it, 7, "01 00");
    ck_assert_int_eq(get_rc(16, 18, it, 8), 4);
    /* methods: the parameter types of the class table; the transfer itself is check_meter_image's.
       A 512-byte image is two 256-byte blocks: a 2-byte block 0 is refused (other-reason), and
       so is verify with blocks missing. */
    ck_assert_int_eq(act(1, 18, it, 1, "02 02 09 02 4142 06 00000200"), 0);
    ck_assert_int_eq(act(1, 18, it, 1, "02 02 06 00000200 09 02 4142"), 12);
    ck_assert_int_eq(act(1, 18, it, 2, "02 02 06 00000000 09 02 4142"), 250);
    get_is(16, 18, it, 3, "04 02 00");
    get_is(16, 18, it, 6, "16 01");
    ck_assert_int_eq(act(1, 18, it, 3, "0F 00"), 250);
    ck_assert_int_eq(act(1, 18, it, 3, "02 00"), 12);
}
END_TEST

/* The selective access as assoc.h hands it over: a structure {selector, parameters}. */
static const ds_value *selection(const char *selector_and_params)
{
    char hex[1024];
    snprintf(hex, sizeof hex, "02 02 11 %s", selector_and_params);
    return data(hex);
}

/* The same as the AccessSelection group of a decoded get-request-normal. */
static const ds_value *selection_group(const char *selector_and_params)
{
    char hex[1024];
    snprintf(hex, sizeof hex, "C0 01 C1 0007 0100630100FF 02 01 %s", selector_and_params);
    uint8_t b[512];
    size_t n = test_unhex(hex, b, sizeof b);
    ds_value *apdu = NULL;
    ck_assert_int_eq(ds_value_decode_apdu(a, b, n, &apdu, NULL), 0);
    const ds_value *s = ds_value_find_any(apdu, "AccessSelection");
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(profile_generic)
{
    static char out[1 << 17];
    const char *pg = "0100630100FF";
    get_is(16, 7, pg, 7, "06 000000F0");
    get_is(16, 7, pg, 8, "06 000000F0");
    get_is(16, 7, pg, 4, "06 00000384");
    /* the whole buffer: 240 rows of {time, +A}; row 0 is 2026-12-01 00:00 UTC = 01:00 local
       (a Tuesday), value 10; each row 2 + 14 + 5 = 21 bytes */
    ck_assert_int_eq(get(16, 7, pg, 2, NULL, out, sizeof out), 0);
    ck_assert_uint_eq(strlen(out), 2 * (3 + 240 * 21));
    ck_assert_int_eq(strncmp(out, "0181F00202090C07EA0C0102010000" "00FFC400" "060000000A", 2 * 24), 0);
    /* the last row: 239 * 900 s later = 2026-12-03 11:45 UTC, 12:45 local (Thursday), value 2400 */
    ck_assert_str_eq(out + strlen(out) - 42, "0202090C07EA0C03040C2D0000FFC40006" "00000960");
    /* by entry: rows 2..3, column 2 */
    ck_assert_int_eq(get(16, 7, pg, 2, selection("02 02 04 06 00000002 06 00000003 12 0002 12 0000"), out,
                         sizeof out), 0);
    ck_assert_str_eq(out, "010202010600000014020106" "0000001E");
    /* by entry past the end: no row */
    ck_assert_int_eq(get(16, 7, pg, 2, selection("02 02 04 06 00000300 06 00000000 12 0000 12 0000"), out,
                         sizeof out), 0);
    ck_assert_str_eq(out, "0100");
    /* by range of the clock column: 02:00 to 02:30 local (01:00 to 01:30 UTC) = rows 4, 5, 6 */
    const char *range = "01 02 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000"
                        " 09 0C 07EA0C0102020000 00FFC400 09 0C 07EA0C0102021E00 00FFC400 01 00";
    ck_assert_int_eq(get(16, 7, pg, 2, selection(range), out, sizeof out), 0);
    ck_assert_uint_eq(strlen(out), 2 * (2 + 3 * 21));
    ck_assert_int_eq(strncmp(out, "0103" "0202090C07EA0C0102020000" "00FFC400" "0600000032", 2 * 23), 0);
    ck_assert_str_eq(out + strlen(out) - 10, "0600000046");
    /* the same range, only the energy column */
    const char *range_energy = "01 02 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000"
                               " 09 0C 07EA0C0102020000 00FFC400 09 0C 07EA0C0102021E00 00FFC400"
                               " 01 01 02 04 12 0003 09 06 0100010800FF 0F 02 12 0000";
    ck_assert_int_eq(get(16, 7, pg, 2, selection(range_energy), out, sizeof out), 0);
    ck_assert_str_eq(out, "0103020106000000320201060000003C02010600000046");
    ck_assert_int_eq(get(16, 7, pg, 2, selection_group(range_energy), out, sizeof out), 0);
    ck_assert_str_eq(out, "0103020106000000320201060000003C02010600000046");
    /* a restricting object that is no column; an unknown selector; wrong parameter types */
    const char *not_a_column = "01 02 04 02 04 12 0003 09 06 0100020800FF 0F 02 12 0000"
                               " 09 0C 07EA0C0102020000 00FFC400 09 0C 07EA0C0102021E00 00FFC400 01 00";
    ck_assert_int_eq(get(16, 7, pg, 2, selection(not_a_column), out, sizeof out), 11);
    ck_assert_int_eq(get(16, 7, pg, 2, selection("03 0F 00"), out, sizeof out), 11);
    ck_assert_int_eq(get(16, 7, pg, 2, selection("02 02 02 06 00000002 06 00000003"), out, sizeof out), 12);
    /* selective access elsewhere */
    ck_assert_int_eq(get(16, 3, "0100010800FF", 2, selection("02 02 04 06 00000001 06 00000001 12 0000 12 0000"),
                         out, sizeof out), 11);
    /* the buffer is the meter's own */
    ck_assert_int_eq(set(17, 7, pg, 2, "01 00"), 3);
    /* capture on a full buffer drops the oldest row (fifo); reset empties it */
    ck_assert_int_eq(act(1, 7, pg, 2, "0F 00"), 0);
    get_is(16, 7, pg, 7, "06 000000F0");
    ck_assert_int_eq(get(16, 7, pg, 2, selection("02 02 04 06 00000001 06 00000001 12 0002 12 0002"), out,
                         sizeof out), 0);
    ck_assert_str_eq(out, "01010201060000" "0014");
    ck_assert_int_eq(act(1, 7, pg, 1, "0F 00"), 0);
    get_is(16, 7, pg, 7, "06 00000000");
    get_is(16, 7, pg, 2, "01 00");
}
END_TEST

START_TEST(association_ln)
{
    static char out[1 << 17];
    const char *cur = "0000280000FF";
    get_is(16, 15, cur, 3, "02 02 0F 10 12 0001");
    get_is(17, 15, cur, 6, "02 07 11 02 11 10 12 02F4 11 05 11 08 11 02 11 01");
    get_is(1, 15, cur, 4, "02 07 11 02 11 10 12 02F4 11 05 11 08 11 01 11 03");
    get_is(16, 15, cur, 4, "02 07 11 02 11 10 12 02F4 11 05 11 08 11 01 11 01");
    get_is(16, 15, cur, 5, "02 06 04 18 001E1D 12 0400 12 0400 11 06 0F 00 09 00");
    get_is(16, 15, cur, 8, "16 02");
    get_is(16, 15, cur, 9, "09 06 00002B0000FF");
    ck_assert_int_eq(get_rc(1, 15, cur, 7), 3); /* the secret is never read */
    /* the object list: 13 objects; the register with client 16's rights (read, no method) */
    ck_assert_int_eq(get(16, 15, cur, 2, NULL, out, sizeof out), 0);
    ck_assert_int_eq(strncmp(out, "010D", 4), 0);
    ck_assert_ptr_nonnull(strstr(out, "020412000311000906010001" "0800FF"
                                      "0202" "0103" "02030F011601" "00" "02030F021601" "00" "02030F031601" "00"
                                      "0101" "02020F011600"));
    /* client 1: read-write and method access; the profile's buffer with selectors 1 and 2 */
    ck_assert_int_eq(get(1, 15, cur, 2, NULL, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "0204120046110009060000600" "30AFF" "0202" "0104"
                                      "02030F011603" "00" "02030F021603" "00" "02030F031603" "00"
                                      "02030F041603" "00" "0102" "02020F011601" "02020F021601"));
    ck_assert_ptr_nonnull(strstr(out, "02030F02160301020F010F02"));
    /* reply_to_HLS_authentication is the association machine's */
    ck_assert_int_eq(act(1, 15, cur, 1, "09 02 0102"), 3);
    ck_assert_int_eq(act(16, 15, cur, 1, "09 02 0102"), 3);
    ck_assert_int_eq(set(17, 15, cur, 3, "02 02 0F 10 12 0001"), 3);
}
END_TEST

static ds_association aarq(uint8_t context, int mechanism, const char *password)
{
    ds_association q;
    memset(&q, 0, sizeof q);
    q.context = context;
    q.mechanism = mechanism;
    q.auth = (const uint8_t *)password;
    q.auth_len = password ? strlen(password) : 0;
    return q;
}

START_TEST(accept_associations)
{
    ds_assoc_settings s;
    ds_association q = aarq(1, -1, NULL);
    ck_assert_int_eq(ob.accept(ob.user, 16, &q, &s), 0);
    ck_assert_int_eq(s.mechanism, 0);
    ck_assert_ptr_null(s.keys);
    ck_assert_int_eq(s.role, DS_ASSOC_SERVER);
    ck_assert_uint_eq(s.max_pdu, 1024);
    ck_assert_uint_eq(s.conformance, 0x001E1D);
    q = aarq(1, 1, "12345678");
    ck_assert_int_eq(ob.accept(ob.user, 17, &q, &s), 0);
    ck_assert_int_eq(s.mechanism, 1);
    ck_assert_uint_eq(s.secret_len, 8);
    ck_assert_mem_eq(s.secret, "12345678", 8);
    q = aarq(1, 1, "12345679");
    ck_assert_int_eq(ob.accept(ob.user, 17, &q, &s), 13); /* authentication-failure */
    q = aarq(1, -1, NULL);
    ck_assert_int_eq(ob.accept(ob.user, 17, &q, &s), 12); /* mechanism-name-required */
    q = aarq(1, 5, NULL);
    ck_assert_int_eq(ob.accept(ob.user, 17, &q, &s), 11);
    q = aarq(1, 5, NULL);
    ck_assert_int_eq(ob.accept(ob.user, 1, &q, &s), 2);   /* a ciphered association needs context 3 */
    q = aarq(3, 5, NULL);
    ck_assert_int_eq(ob.accept(ob.user, 1, &q, &s), 0);
    ck_assert_int_eq(s.mechanism, 5);
    ck_assert_ptr_nonnull(s.keys);
    ck_assert_uint_eq(s.keys->ek.len, 16);
    ck_assert_uint_eq(s.keys->ek.bytes[15], 0x0F);
    ck_assert_uint_eq(s.keys->ak.bytes[0], 0xD0);
    ck_assert_uint_eq(s.security_suite, 0);
    ck_assert_uint_eq(s.security_policy, 0x3C);
    ck_assert_ptr_nonnull(s.own_title);
    ck_assert_mem_eq(s.own_title, "\x47\x55\x52\x00\x00\x00\x00\x01", 8);
    q = aarq(2, -1, NULL);
    ck_assert_int_eq(ob.accept(ob.user, 16, &q, &s), 2);  /* SN is not served */
    ck_assert_int_eq(ob.accept(ob.user, 99, &q, &s), 1);
    ck_assert_int_eq(get_rc(99, 3, "0100010800FF", 2), 3);
    ds_meter_link l;
    ds_meter_get_link(m, &l);
    ck_assert_int_eq(l.hdlc, 1);
    ck_assert_uint_eq(l.max_info, 128);
    ck_assert_uint_eq(l.window, 1);
}
END_TEST

/* ---- models that are refused, and access modes ---- */

/* The P-256 test keys of testdata/emulate/meter.xml's HLS-ECDSA client. */
#define ECDSA_METER_PRIV "2DB477ABF819585F4880F6E817859F6E2DBFAAE0419DAC7281054D72740CB014"
#define ECDSA_CLIENT_PUB                                                                                     \
    "049BD986316F74EC89BC425FF1596304F34C88B4B4C5D2489F9B17AB4FB3DBFC268CCBF3D3FE4AB943E8540C657FB8636ED1E5C9" \
    "93BE8939D8B435B3EA1CEFFDB3"

static void refused(const char *xml, const char *message)
{
    char e[512];
    ds_meter *bad = ds_meter_load_memory(xml, strlen(xml), "t.xml", e, sizeof e);
    ck_assert_msg(bad == NULL, "accepted: %s", xml);
    ck_assert_msg(strstr(e, message) != NULL, "'%s' not in '%s'", message, e);
}

#define ASSOC16 "<association client=\"16\"/>\n"

START_TEST(model_errors)
{
    refused("<meter>\n<association client=\"16\">\n</meter>", "t.xml:3: not well-formed XML");
    refused("<model/>", "t.xml:1: the root element is not <meter>");
    refused("<meter/>", "no <association>");
    refused("<meter>\n" ASSOC16 "<object class=\"3\" obis=\"1.0.1.8.0.255\">\n"
            "<attribute id=\"3\"><Structure><Int8 Value=\"1\"/></Structure></attribute></object></meter>",
            "t.xml:4: attribute 3 (scaler_unit) of class 3: the value is not of the attribute's type");
    refused("<meter>\n" ASSOC16 "<object class=\"3\" obis=\"1.0.1.8.0\"/></meter>", "t.xml:3: obis=");
    refused("<meter>\n" ASSOC16 "<object class=\"3\" obis=\"1.0.1.8.0.255\"/>\n<object class=\"3\" obis=\"1.0.1.8.0.255\"/></meter>",
            "t.xml:4: a second object");
    refused("<meter>\n" ASSOC16 "<object class=\"3\" obis=\"1.0.1.8.0.255\">\n<attribute id=\"9\"><UInt8 Value=\"1\"/></attribute></object></meter>",
            "t.xml:4: class 3 (Register) has no attribute 9");
    refused("<meter>\n" ASSOC16 "<object class=\"3\" obis=\"1.0.1.8.0.255\">\n<attribute id=\"2\"><UInt8 Value=\"300\"/></attribute></object></meter>",
            "t.xml:4: attribute 2:");
    refused("<meter>\n<association client=\"17\" mechanism=\"low\"/></meter>", "t.xml:2: mechanism low needs password");
    refused("<meter>\n<association client=\"1\" mechanism=\"high-gmac\" ek=\"0011\"/></meter>", "t.xml:2: ek: 32 or 64 hex");
    refused("<meter>\n<association client=\"1\" mechanism=\"medium\"/></meter>", "t.xml:2: mechanism=\"medium\"");
    refused("<meter>\n<association client=\"2\" mechanism=\"high-ecdsa\" server-title=\"4755520000000001\"/></meter>",
            "t.xml:2: mechanism high-ecdsa needs signing-key");
    refused("<meter>\n<association client=\"2\" mechanism=\"high-ecdsa\" server-title=\"4755520000000001\" signing-key=\"0102\" "
            "client-public-key=\"04\"/></meter>",
            "t.xml:2: signing-key: the private key is a P-256 scalar");
    refused("<meter>\n<association client=\"2\" mechanism=\"high-ecdsa\" server-title=\"4755520000000001\" "
            "signing-key=\"" "2DB477ABF819585F4880F6E817859F6E2DBFAAE0419DAC7281054D72740CB0142DB477ABF819585F4880F6E817859F6E\" "
            "client-public-key=\"" "049BD986316F74EC89BC425FF1596304F34C88B4B4C5D2489F9B17AB4FB3DBFC268CCBF3D3FE4AB943E8540C657FB8636"
            "ED1E5C993BE8939D8B435B3EA1CEFFDB3\"/></meter>",
            "t.xml:2: signing-key and client-public-key are on different curves");
    refused("<meter>\n<association client=\"2\" mechanism=\"high-ecdsa\" server-title=\"4755520000000001\" "
            "signing-key=\"" ECDSA_METER_PRIV "\" private-key=\"" ECDSA_METER_PRIV "\" "
            "client-public-key=\"" ECDSA_CLIENT_PUB "\"/></meter>",
            "t.xml:2: signing-key and private-key (its old name) together: give one");
    /* under the old name, the messages say the name the model gives */
    refused("<meter>\n<association client=\"2\" mechanism=\"high-ecdsa\" server-title=\"4755520000000001\" private-key=\"0102\" "
            "client-public-key=\"04\"/></meter>",
            "t.xml:2: private-key: the private key is a P-256 scalar");
    refused("<meter>\n" ASSOC16 ASSOC16 "</meter>", "t.xml:3: a second association for client 16");
    refused("<meter>\n" ASSOC16 "<link max-info=\"9000\"/></meter>", "t.xml:3: max-info=");
    refused("<meter>\n" ASSOC16 "<object class=\"1\" obis=\"0.0.1.0.0.255\">\n<access client=\"17\" attribute=\"2\" mode=\"read\"/></object></meter>",
            "<access client=\"17\"> names no association");
    refused("<meter>\n" ASSOC16 "<object class=\"7\" obis=\"1.0.99.1.0.255\"><rows count=\"3\" start=\"2026-12-01T00:00:00\"/></object></meter>",
            "capture_objects");
    refused("<meter>\n" ASSOC16 "<thing/></meter>", "t.xml:3: <thing> in <meter>");
}
END_TEST

/* The meter's signing key under its name, signing-key, loads without a warning; under the old
 * name private-key (elsewhere the name of a key-agreement key) it loads the same key, which the
 * association then signs with, and the loader says which name to use, with the line. */
START_TEST(ecdsa_signing_key_names)
{
    static const char *const NAMES[] = {"signing-key", "private-key"};
    for (int old = 0; old < 2; old++) {
        char xml[512], why[512];
        snprintf(xml, sizeof xml,
                 "<meter>\n<association client=\"2\" mechanism=\"high-ecdsa\" server-title=\"4755520000000001\"\n"
                 "%s=\"" ECDSA_METER_PRIV "\" client-public-key=\"" ECDSA_CLIENT_PUB "\"/></meter>",
                 NAMES[old]);
        ds_meter *mm = ds_meter_load_memory(xml, strlen(xml), "t.xml", why, sizeof why);
        ck_assert_msg(mm != NULL, "%s: %s", NAMES[old], why);
        ds_server_objects o;
        ds_meter_objects(mm, &o);
        ds_assoc_settings s;
        ds_association q = aarq(1, 7, NULL);
        ck_assert_int_eq(o.accept(o.user, 2, &q, &s), 0);
        ck_assert_uint_eq(s.ecdsa_priv_len, 32);
        ck_assert_uint_eq(s.ecdsa_priv[0], 0x2D);
        ck_assert_uint_eq(s.ecdsa_priv[31], 0x14);
        if (old)
            ck_assert_str_eq(ds_meter_warnings(mm), "t.xml:3: private-key is the old name of signing-key "
                                                    "(the meter's ECDSA signing key): say signing-key\n");
        else
            ck_assert_str_eq(ds_meter_warnings(mm), "");
        ds_meter_free(mm);
    }
}
END_TEST

START_TEST(access_modes)
{
    const char *xml = "<meter>\n"
                      "<association client=\"16\" attributes=\"none\"/>\n"
                      "<association client=\"17\" mechanism=\"low\" password=\"pw\" attributes=\"read-write\"/>\n"
                      "<association client=\"2\" mechanism=\"high-md5\" secret=\"3132\"/>\n"
                      "<object class=\"1\" obis=\"0.0.96.1.0.255\">\n"
                      "  <attribute id=\"2\"><UInt8 Value=\"7\"/></attribute>\n"
                      "  <access client=\"16\" attribute=\"1\" mode=\"read\"/>\n"
                      "  <access client=\"17\" attribute=\"*\" mode=\"auth-read\"/>\n"
                      "  <access client=\"17\" attribute=\"1\" mode=\"read\"/>\n"
                      "  <access client=\"2\" attribute=\"2\" mode=\"auth-read-write\"/>\n"
                      "</object></meter>";
    ds_meter *mm = ds_meter_load_memory(xml, strlen(xml), "t.xml", err, sizeof err);
    ck_assert_msg(mm != NULL, "%s", err);
    ds_meter_objects(mm, &ob);
    get_is(16, 1, "0000600100FF", 1, "09 06 0000600100FF");
    ck_assert_int_eq(get_rc(16, 1, "0000600100FF", 2), 3);  /* none: read-write-denied */
    get_is(17, 1, "0000600100FF", 1, "09 06 0000600100FF");
    ck_assert_int_eq(get_rc(17, 1, "0000600100FF", 2), 13); /* LLS: scope-of-access-violated */
    get_is(2, 1, "0000600100FF", 2, "11 07");                /* HLS */
    ck_assert_int_eq(set(2, 1, "0000600100FF", 2, "11 08"), 0);
    get_is(2, 1, "0000600100FF", 2, "11 08");
    ck_assert_int_eq(get_rc(2, 1, "0000600100FF", 3), 4);
    ds_meter_free(mm);
    ds_meter_objects(m, &ob);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("meter");
    TCase *t = tcase_create("objects");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, class_table_types);
    tcase_add_test(t, register_get_set);
    tcase_add_test(t, extended_register_and_data);
    tcase_add_test(t, clock);
    tcase_add_test(t, disconnect_control);
    tcase_add_test(t, image_transfer_attributes);
    tcase_add_test(t, profile_generic);
    tcase_add_test(t, association_ln);
    tcase_add_test(t, accept_associations);
    tcase_add_test(t, model_errors);
    tcase_add_test(t, ecdsa_signing_key_names);
    tcase_add_test(t, access_modes);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
