/* The emulator's image transfer (class 18): initiate, blocks, the progress attributes, verify,
 * activate, the stored image, the limits and the fault options.
 *
 * Expected bytes are worked out by hand from REFERENCE.md §8.6 (types), §10.4 (a3 bit order:
 * block 0 is the most significant bit of the first byte), §4 (A-XDR: 04 bit-string with its bit
 * count, 06 double-long-unsigned, 16 enum, 01 array, 02 structure, 09 octet-string) and §7.1
 * (results: 1 hardware-fault, 2 temporary-failure, 3 read-write-denied, 12 type-unmatched,
 * 250 other-reason). The model's block size is 4, so a 10-byte image is blocks 0..2 of 4, 4, 2. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlmscope/assoc.h"
#include "dlmscope/meter.h"
#include "dlmscope/value.h"
#include "test_hex.h"

static const char MODEL[] = "<meter>\n"
                            "<association client=\"16\" attributes=\"read-write\" methods=\"access\"/>\n"
                            "<object class=\"18\" obis=\"0.0.44.0.0.255\">\n"
                            "  <attribute id=\"2\"><UInt32 Value=\"4\"/></attribute>\n"
                            "  <attribute id=\"5\"><Boolean Value=\"true\"/></attribute>\n"
                            "</object></meter>";
#define IT "00002C0000FF"

static ds_meter *m;
static ds_server_objects ob;
static ds_value_arena *a;
static ds_meter_image_options opts;
static char err[512];

static void setup(void)
{
    m = ds_meter_load_memory(MODEL, strlen(MODEL), "t.xml", err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ds_meter_objects(m, &ob);
    memset(&opts, 0, sizeof opts);
    a = ds_value_arena_new(10000, 1u << 16);
    ck_assert_ptr_nonnull(a);
}

static void teardown(void)
{
    ds_value_arena_free(a);
    ds_meter_free(m);
}

static ds_cosem_ref ref(uint8_t id)
{
    ds_cosem_ref r;
    r.class_id = 18;
    test_unhex(IT, r.instance, 6);
    r.id = id;
    return r;
}

static ds_value *data(const char *hex)
{
    uint8_t b[1024];
    size_t n = test_unhex(hex, b, sizeof b), used = 0;
    ds_value *v = NULL;
    ck_assert_int_eq(ds_value_decode_data(a, b, n, &used, &v, NULL), 0);
    ck_assert_uint_eq(used, n);
    return v;
}

static void get_is(uint8_t id, const char *expect)
{
    ds_cosem_ref r = ref(id);
    ds_value *v = NULL;
    int rc = ob.get(ob.user, 16, &r, NULL, a, &v);
    ck_assert_msg(rc == 0, "get a%u: result %d", id, rc);
    uint8_t buf[1024], want[1024];
    size_t len = 0, n = test_unhex(expect, want, sizeof want);
    char e[128];
    ck_assert_msg(ds_value_encode_data(v, buf, sizeof buf, &len, e, sizeof e) == 0, "%s", e);
    ck_assert_msg(len == n && memcmp(buf, want, n) == 0, "a%u is not %s", id, expect);
}

static int set(uint8_t id, const char *hex)
{
    ds_cosem_ref r = ref(id);
    return ob.set(ob.user, 16, &r, NULL, data(hex));
}

static int act(uint8_t id, const char *hex)
{
    ds_cosem_ref r = ref(id);
    ds_value *ret = NULL;
    return ob.action(ob.user, 16, &r, data(hex), a, &ret);
}

/* image "AB" (41 42), 10 bytes */
static int initiate_ab10(void)
{
    return act(1, "02 02 09 02 4142 06 0000000A");
}

static void send_all_ab10(void)
{
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 0);
    ck_assert_int_eq(act(2, "02 02 06 00000001 09 04 11223344"), 0);
    ck_assert_int_eq(act(2, "02 02 06 00000002 09 02 EEFF"), 0);
}

START_TEST(before_initiate)
{
    get_is(2, "06 00000004");
    get_is(3, "04 00");
    get_is(4, "06 00000000");
    get_is(5, "03 01");
    get_is(6, "16 00");
    get_is(7, "01 00");
    /* nothing to take blocks for, nothing to verify or activate */
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 250);
    ck_assert_int_eq(act(3, "0F 00"), 250);
    ck_assert_int_eq(act(4, "0F 00"), 250);
}
END_TEST

START_TEST(blocks_and_progress)
{
    ck_assert_int_eq(initiate_ab10(), 0);
    get_is(6, "16 01");
    get_is(3, "04 03 00"); /* 3 blocks, none in */
    get_is(4, "06 00000000");
    ck_assert_int_eq(act(2, "02 02 06 00000001 09 04 11223344"), 0);
    get_is(3, "04 03 40"); /* block 1: 0x80 >> 1 */
    get_is(4, "06 00000000");
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 0);
    get_is(3, "04 03 C0");
    get_is(4, "06 00000002");
    /* refused: beyond the image, a block longer or shorter than its place */
    ck_assert_int_eq(act(2, "02 02 06 00000003 09 02 EEFF"), 250);
    ck_assert_int_eq(act(2, "02 02 06 FFFFFFFF 09 02 EEFF"), 250);
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 05 AABBCCDDEE"), 250);
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 03 AABBCC"), 250);
    ck_assert_int_eq(act(2, "02 02 06 00000002 09 04 EEFF0000"), 250);
    ck_assert_int_eq(act(2, "02 02 06 00000002 09 01 EE"), 250);
    /* verify with block 2 missing: refused, still transferring */
    ck_assert_int_eq(act(3, "0F 00"), 250);
    get_is(6, "16 01");
    /* a block sent twice counts once */
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 0);
    ck_assert_int_eq(act(3, "0F 00"), 250);
    ck_assert_int_eq(act(2, "02 02 06 00000002 09 02 EEFF"), 0);
    get_is(3, "04 03 E0");
    get_is(4, "06 00000003");
    get_is(7, "01 00");
    ck_assert_int_eq(act(3, "0F 00"), 0);
    get_is(6, "16 03");
    /* {size 10, identification "AB", signature empty} */
    get_is(7, "01 01 02 03 06 0000000A 09 02 4142 09 00");
    /* a verified image takes no more blocks */
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 250);
    ck_assert_int_eq(act(3, "0F 00"), 0);
    ck_assert_int_eq(act(4, "0F 00"), 0);
    get_is(6, "16 06");
    ck_assert_int_eq(act(4, "0F 00"), 0);
    /* re-initiate starts over: a 4-byte image "CD" is one block */
    ck_assert_int_eq(act(1, "02 02 09 02 4344 06 00000004"), 0);
    get_is(6, "16 01");
    get_is(3, "04 01 00");
    get_is(4, "06 00000000");
    get_is(7, "01 00");
}
END_TEST

START_TEST(attributes_written)
{
    ck_assert_int_eq(set(2, "06 00000008"), 3);
    ck_assert_int_eq(set(3, "04 00"), 3);
    ck_assert_int_eq(set(4, "06 00000000"), 3);
    ck_assert_int_eq(set(6, "16 03"), 3);
    ck_assert_int_eq(set(7, "01 00"), 3);
    ck_assert_int_eq(set(5, "11 00"), 12);
    /* transfer disabled: initiate and blocks refused; enabled again: taken */
    ck_assert_int_eq(initiate_ab10(), 0);
    ck_assert_int_eq(set(5, "03 00"), 0);
    get_is(5, "03 00");
    ck_assert_int_eq(initiate_ab10(), 250);
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 250);
    ck_assert_int_eq(set(5, "03 01"), 0);
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 0);
}
END_TEST

/* initiate a 4-byte image whose identifier is n bytes 'A' (n < 128: one length byte) */
static int initiate_id_of(int n)
{
    char hex[600];
    int k = snprintf(hex, sizeof hex, "02 02 09 %02X ", n);
    for (int i = 0; i < n; i++) k += snprintf(hex + k, sizeof hex - (size_t)k, "41");
    snprintf(hex + k, sizeof hex - (size_t)k, " 06 00000004");
    return act(1, hex);
}

START_TEST(limits)
{
    opts.max_image_size = 8;
    ds_meter_set_image_options(m, &opts);
    ck_assert_int_eq(initiate_ab10(), 250);
    get_is(6, "16 00");
    ck_assert_int_eq(act(1, "02 02 09 02 4142 06 00000000"), 250);
    ck_assert_int_eq(act(1, "02 02 09 02 4142 06 00000008"), 0);
    get_is(3, "04 02 00");
    /* an identifier of 121 bytes is longer than the meter keeps; 120 is taken */
    ck_assert_int_eq(initiate_id_of(121), 250);
    ck_assert_int_eq(initiate_id_of(120), 0);
    /* the parameter types of the class table */
    ck_assert_int_eq(act(1, "02 02 06 00000004 09 02 4142"), 12);
    ck_assert_int_eq(act(2, "02 02 09 01 41 06 00000000"), 12);
    ck_assert_int_eq(act(3, "11 00"), 12);
}
END_TEST

START_TEST(delays_and_results)
{
    opts.verify_delay_ms = 500;
    opts.activate_delay_ms = 200;
    opts.activate_fails = 1;
    ds_meter_set_image_options(m, &opts);
    ds_meter_set_mono_ms(m, 1000);
    ck_assert_int_eq(initiate_ab10(), 0);
    send_all_ab10();
    ck_assert_int_eq(act(3, "0F 00"), 2);
    get_is(6, "16 02");
    ds_meter_set_mono_ms(m, 1499);
    get_is(6, "16 02");
    ck_assert_int_eq(act(3, "0F 00"), 2);
    get_is(7, "01 00");
    ds_meter_set_mono_ms(m, 1500);
    get_is(6, "16 03");
    ck_assert_int_eq(act(3, "0F 00"), 0);
    ck_assert_int_eq(act(4, "0F 00"), 2);
    get_is(6, "16 05");
    ds_meter_set_mono_ms(m, 1700);
    ck_assert_int_eq(act(4, "0F 00"), 250); /* the activation ended, failed */
    get_is(6, "16 07");
}
END_TEST

START_TEST(verification_fails)
{
    opts.verify_fails = 1;
    ds_meter_set_image_options(m, &opts);
    ck_assert_int_eq(initiate_ab10(), 0);
    send_all_ab10();
    ck_assert_int_eq(act(3, "0F 00"), 250);
    get_is(6, "16 04");
    get_is(7, "01 00");
    ck_assert_int_eq(act(4, "0F 00"), 250);
    /* a new transfer after a failed one */
    ck_assert_int_eq(initiate_ab10(), 0);
    get_is(6, "16 01");
}
END_TEST

START_TEST(fault_options)
{
    opts.has_refuse_block = 1;
    opts.refuse_block = 1;
    opts.verify_busy = 2;
    ds_meter_set_image_options(m, &opts);
    ck_assert_int_eq(initiate_ab10(), 0);
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 0);
    ck_assert_int_eq(act(2, "02 02 06 00000001 09 04 11223344"), 1); /* once hardware-fault */
    get_is(3, "04 03 80");
    ck_assert_int_eq(act(2, "02 02 06 00000001 09 04 11223344"), 0);
    ck_assert_int_eq(act(2, "02 02 06 00000002 09 02 EEFF"), 0);
    ck_assert_int_eq(act(3, "0F 00"), 2);
    get_is(6, "16 01");
    ck_assert_int_eq(act(3, "0F 00"), 2);
    ck_assert_int_eq(act(3, "0F 00"), 0);
    get_is(6, "16 03");
}
END_TEST

static void file_is(const char *dir, const char *name, const uint8_t *want, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s not written", path);
    uint8_t buf[64];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_uint_eq(got, n);
    ck_assert_mem_eq(buf, want, n);
    unlink(path);
}

START_TEST(stored_images)
{
    char dir[] = "/tmp/check_meter_image.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    opts.store_dir = dir;
    ds_meter_set_image_options(m, &opts);
    static const uint8_t image[10] = {0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44, 0xEE, 0xFF};
    /* "fw-1.bin": a plain name */
    ck_assert_int_eq(act(1, "02 02 09 08 66772D312E62696E 06 0000000A"), 0);
    send_all_ab10();
    ck_assert_int_eq(act(3, "0F 00"), 0);
    file_is(dir, "fw-1.bin", image, sizeof image);
    /* "../x": a path from the peer, written as hex */
    ck_assert_int_eq(act(1, "02 02 09 04 2E2E2F78 06 0000000A"), 0);
    send_all_ab10();
    ck_assert_int_eq(act(3, "0F 00"), 0);
    file_is(dir, "2e2e2f78", image, sizeof image);
    /* control bytes: hex */
    ck_assert_int_eq(act(1, "02 02 09 02 0102 06 00000004"), 0);
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 0);
    ck_assert_int_eq(act(3, "0F 00"), 0);
    file_is(dir, "0102", image, 4);
    ck_assert_int_eq(rmdir(dir), 0); /* nothing else written (no .part left) */
    /* a directory that cannot be written: the verification fails */
    opts.store_dir = "/nonexistent/dir";
    ds_meter_set_image_options(m, &opts);
    ck_assert_int_eq(initiate_ab10(), 0);
    send_all_ab10();
    ck_assert_int_eq(act(3, "0F 00"), 250);
    get_is(6, "16 04");
}
END_TEST

/* A model without image_block_size: 256, as initiate uses it (512 bytes = 2 blocks). */
START_TEST(default_block_size)
{
    static const char xml[] = "<meter><association client=\"16\" methods=\"access\"/>"
                              "<object class=\"18\" obis=\"0.0.44.0.0.255\"/></meter>";
    ds_meter *mm = ds_meter_load_memory(xml, strlen(xml), "t.xml", err, sizeof err);
    ck_assert_msg(mm != NULL, "%s", err);
    ds_meter_objects(mm, &ob);
    get_is(2, "06 00000100");
    ck_assert_int_eq(act(1, "02 02 09 02 4142 06 00000200"), 0);
    get_is(3, "04 02 00");
    ds_meter_free(mm);
    ds_meter_objects(m, &ob);
}
END_TEST

/* emulate --image-block-size: attribute 2 and initiate take the option's size instead of the
 * model's 4 (10 bytes in blocks of 5 = 2 blocks, a 4-byte block refused); 0 is the model's again.
 * emulate --max-pdu: the link's max PDU, never below the model's lower limit of 64. */
START_TEST(block_size_and_max_pdu_options)
{
    opts.block_size = 5;
    ds_meter_set_image_options(m, &opts);
    get_is(2, "06 00000005");
    ck_assert_int_eq(initiate_ab10(), 0);
    get_is(3, "04 02 00");
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 04 AABBCCDD"), 250);
    ck_assert_int_eq(act(2, "02 02 06 00000000 09 05 AABBCCDD11"), 0);
    get_is(3, "04 02 80");
    opts.block_size = 0;
    ds_meter_set_image_options(m, &opts);
    get_is(2, "06 00000004");
    ds_meter_link link;
    ds_meter_set_max_pdu(m, 893);
    ds_meter_get_link(m, &link);
    ck_assert_uint_eq(link.max_pdu, 893);
    ds_meter_set_max_pdu(m, 10);
    ds_meter_get_link(m, &link);
    ck_assert_uint_eq(link.max_pdu, 64);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("meter_image");
    TCase *t = tcase_create("image transfer");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, before_initiate);
    tcase_add_test(t, blocks_and_progress);
    tcase_add_test(t, attributes_written);
    tcase_add_test(t, limits);
    tcase_add_test(t, delays_and_results);
    tcase_add_test(t, verification_fails);
    tcase_add_test(t, fault_options);
    tcase_add_test(t, stored_images);
    tcase_add_test(t, default_block_size);
    tcase_add_test(t, block_size_and_max_pdu_options);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
