/* Block reassembly in the decoder: general block transfer and GET data blocks, whole once the
 * last block is in, and what is said when blocks are missing or repeated. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"

typedef struct run {
    char *xml;
    char codes[256];
} run;

static void collect(void *user, const ds_diag *d)
{
    run *r = user;
    size_t n = strlen(r->codes);
    snprintf(r->codes + n, sizeof r->codes - n, "%s ", d->code);
}

/* Each string is one raw APDU record (hex). */
static run decode(const char *const *records, size_t count)
{
    run r;
    memset(&r, 0, sizeof r);
    char text[4096];
    size_t w = 0;
    for (size_t i = 0; i < count; i++) w += (size_t)snprintf(text + w, sizeof text - w, "%s\n\n", records[i]);
    FILE *in = fmemopen(text, w, "rb");
    size_t size = 0;
    FILE *out = open_memstream(&r.xml, &size);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = 0;
    ds_decode_stream(in, DS_INPUT_HEX, &opt, sink, collect, &r, NULL);
    ds_sink_destroy(sink);
    fclose(out);
    fclose(in);
    return r;
}

START_TEST(get_data_blocks_reassembled)
{
    /* the octet-string 09 04 01020304 split over two blocks of 3 bytes */
    static const char *const BLOCKS[] = {"C402C100000000010003090401", "C402C101000000020003020304"};
    run r = decode(BLOCKS, 2);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GetResponsewithDataBlock\" >\n"
                                        "  <OctetString Value=\"01020304\" />\n"
                                        "</Reassembled>"));
    free(r.xml);
}
END_TEST

START_TEST(gbt_blocks_reassembled)
{
    /* a set-response-normal C5 01 C1 00 carried in two GBT blocks */
    static const char *const BLOCKS[] = {"E0400001000002C501", "E0C00002000002C100"};
    run r = decode(BLOCKS, 2);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled Blocks=\"GeneralBlockTransfer\" >\n  <SetResponse>"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<Result Value=\"Success\" />"));
    free(r.xml);
}
END_TEST

START_TEST(missing_and_repeated_blocks)
{
    static const char *const GAP[] = {"E0400001000002C501", "E0C00003000002C100"};
    run r = decode(GAP, 2);
    ck_assert_str_eq(r.codes, "gbt.missing-block ");
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
    static const char *const AGAIN[] = {"E0400001000002C501", "E0400001000002C501", "E0C00002000002C100"};
    r = decode(AGAIN, 3);
    ck_assert_str_eq(r.codes, "gbt.repeated-block ");
    ck_assert_ptr_nonnull(strstr(r.xml, "<Reassembled"));
    free(r.xml);
    /* a transfer that starts before the input: no diagnostic, no whole */
    static const char *const LATE[] = {"E0C00003000002C100"};
    r = decode(LATE, 1);
    ck_assert_str_eq(r.codes, "");
    ck_assert_ptr_null(strstr(r.xml, "<Reassembled"));
    free(r.xml);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blocks");
    TCase *t = tcase_create("blocks");
    tcase_add_test(t, get_data_blocks_reassembled);
    tcase_add_test(t, gbt_blocks_reassembled);
    tcase_add_test(t, missing_and_repeated_blocks);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
