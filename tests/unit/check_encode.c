/* The encoder through the public API: decode -> encode gives back the exact bytes for every
 * corpus vector that decodes cleanly, in every output mode; errors carry their XML line. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"

typedef struct bytes {
    uint8_t *p;
    size_t len, cap;
    long err_line;
    char err[256];
    int errors;
} bytes;

static void collect_bytes(void *user, const uint8_t *p, size_t n)
{
    bytes *b = user;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void collect_error(void *user, long line, const char *message)
{
    bytes *b = user;
    if (!b->errors++) {
        b->err_line = line;
        snprintf(b->err, sizeof b->err, "%s", message);
    }
}

static int count_errors;
static void count_diag(void *user, const ds_diag *d)
{
    (void)user;
    (void)d;
    count_errors++;
}

/* Decodes `in` (text or binary) to XML with the given options; returns malloc'd XML or NULL
 * when decoding reported anything. */
static char *decode_clean(const uint8_t *in, size_t len, int decimal, int comments, int pdu_only)
{
    FILE *src = fmemopen((void *)in, len, "rb");
    char *xml = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&xml, &size);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_xml_sink_set_decimal(sink, decimal);
    ds_options opt;
    ds_options_init(&opt);
    opt.decimal = decimal;
    opt.comments = comments;
    opt.pdu_only = pdu_only;
    count_errors = 0;
    sink->begin_document(sink);
    ds_decode_stream(src, DS_INPUT_AUTO, &opt, sink, count_diag, NULL, NULL);
    sink->end_document(sink);
    ds_sink_destroy(sink);
    fclose(out);
    fclose(src);
    if (count_errors) {
        free(xml);
        return NULL;
    }
    return xml;
}

static bytes encode(const char *xml)
{
    bytes b;
    memset(&b, 0, sizeof b);
    ds_encode_options o;
    ds_encode_options_init(&o);
    ds_encode_memory(xml, strlen(xml), &o, collect_bytes, &b, collect_error, &b, NULL);
    return b;
}

static uint8_t *read_hex_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return ds_hex_parse_text(text, n, len);
}

START_TEST(corpus_round_trip)
{
    DIR *dir = opendir("testdata/corpus");
    ck_assert_ptr_nonnull(dir);
    struct dirent *de;
    int checked = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 4, ".hex") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "testdata/corpus/%s", de->d_name);
        size_t len;
        uint8_t *in = read_hex_file(path, &len);
        ck_assert_ptr_nonnull(in);
        static const int MODES[3][2] = {{0, 1}, {1, 1}, {0, 0}}; /* decimal, comments */
        for (int m = 0; m < 3; m++) {
            char *xml = decode_clean(in, len, MODES[m][0], MODES[m][1], 0);
            if (!xml) break; /* vectors with diagnostics are not expected to round-trip */
            bytes b = encode(xml);
            ck_assert_msg(b.errors == 0, "%s mode %d: %s (line %ld)", de->d_name, m, b.err, b.err_line);
            ck_assert_msg(b.len == len && memcmp(b.p, in, len) == 0, "%s mode %d: bytes differ", de->d_name, m);
            free(b.p);
            free(xml);
            checked++;
        }
        free(in);
    }
    closedir(dir);
    /* 83 vectors, 14 with diagnostics: 69 x 3 modes */
    ck_assert_int_ge(checked, 3 * 60);
}
END_TEST

START_TEST(errors_have_lines_and_skip_only_their_unit)
{
    const char *xml = "<Messages>\n"
                      "<SetResponse>\n"
                      "  <SetResponseNormal>\n"
                      "    <InvokeIdAndPriority Value=\"1C1\" />\n"
                      "    <Result Value=\"Success\" />\n"
                      "  </SetResponseNormal>\n"
                      "</SetResponse>\n"
                      "<SetResponse>\n"
                      "  <SetResponseNormal>\n"
                      "    <InvokeIdAndPriority Value=\"C1\" />\n"
                      "    <Result Value=\"HardwareFault\" />\n"
                      "  </SetResponseNormal>\n"
                      "</SetResponse>\n"
                      "</Messages>\n";
    bytes b = encode(xml);
    ck_assert_int_eq(b.errors, 1);
    ck_assert_int_eq(b.err_line, 4);
    ck_assert_ptr_nonnull(strstr(b.err, "does not fit"));
    /* the second unit is written: C5 01 C1 01 */
    ck_assert_int_eq((int)b.len, 4);
    ck_assert_int_eq(b.p[3], 0x01);
    free(b.p);
}
END_TEST

START_TEST(unknown_and_missing_elements)
{
    bytes b = encode("<Messages>\n<GetRequest>\n<GetRequestNormale>\n</GetRequestNormale>\n</GetRequest>\n</Messages>");
    ck_assert_int_eq(b.errors, 1);
    ck_assert_int_eq(b.err_line, 3);
    ck_assert_int_eq((int)b.len, 0);
    free(b.p);
    b = encode("<Messages>\n<GetRequest>\n<GetRequestNormal>\n<InvokeIdAndPriority Value=\"C1\" />\n"
               "</GetRequestNormal>\n</GetRequest>\n</Messages>");
    ck_assert_int_eq(b.errors, 1);
    ck_assert_ptr_nonnull(strstr(b.err, "AttributeDescriptor"));
    free(b.p);
    /* a dotted object identifier: exact BER, and a trailing dot is not an identifier */
    b = encode("<Messages>\n<AssociationRequest>\n<ApplicationContextName Value=\"2.16.756.5.8.1.1\" />\n"
               "</AssociationRequest>\n</Messages>");
    ck_assert_int_eq(b.errors, 0);
    ck_assert_uint_eq(b.len, 13);
    ck_assert_mem_eq(b.p, "\x60\x0B\xA1\x09\x06\x07\x60\x85\x74\x05\x08\x01\x01", 13);
    free(b.p);
    b = encode("<Messages>\n<AssociationRequest>\n<ApplicationContextName Value=\"2.16.756.5.8.1.\" />\n"
               "</AssociationRequest>\n</Messages>");
    ck_assert_int_eq(b.errors, 1);
    ck_assert_int_eq(b.err_line, 3);
    ck_assert_ptr_nonnull(strstr(b.err, "dotted object identifier"));
    free(b.p);
}
END_TEST

START_TEST(decimal_scripts_and_root_attribute)
{
    /* An XmlClient-style decimal script: the clock GetRequest (GURUX-XML.md §8) */
    const char *body = "<GetRequest><GetRequestNormal><InvokeIdAndPriority Value=\"193\" />"
                       "<AttributeDescriptor><ClassId Value=\"0008\" /><InstanceId Value=\"0000010000FF\" />"
                       "<AttributeId Value=\"2\" /></AttributeDescriptor></GetRequestNormal></GetRequest>";
    char xml[1024];
    snprintf(xml, sizeof xml, "<Messages Numbers=\"decimal\">%s</Messages>", body);
    bytes b = encode(xml);
    static const uint8_t WANT[] = {0xC0, 0x01, 0xC1, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x02, 0x00};
    ck_assert_int_eq(b.errors, 0);
    ck_assert_int_eq((int)b.len, (int)sizeof WANT);
    ck_assert_int_eq(memcmp(b.p, WANT, sizeof WANT), 0);
    free(b.p);
    /* the same document read as hex: 193 does not fit one byte */
    snprintf(xml, sizeof xml, "<Messages>%s</Messages>", body);
    b = encode(xml);
    ck_assert_int_eq(b.errors, 1);
    free(b.p);
}
END_TEST

START_TEST(malformed_xml_is_reported)
{
    bytes b = encode("<Messages>\n<GetRequest>\n</Messages>\n");
    ck_assert_int_ge(b.errors, 1);
    ck_assert_int_gt(b.err_line, 0);
    free(b.p);
}
END_TEST

/* The text pass before libxml2 (xml_prep.c) works on a 64 KiB buffer and libxml2 asks for a
 * few KiB at a time: comment marks, the nested ones it changes and the first element must be
 * found wherever those boundaries fall, and the line numbers must stay true. */
START_TEST(rootless_nested_comments_across_buffers)
{
    static const char UNIT[] = "<GetRequest><GetRequestNormal><InvokeIdAndPriority Value=\"C1\" /><AttributeDescriptor>"
                               "<ClassId Value=\"0008\" /><InstanceId Value=\"0000010000FF\" /><AttributeId Value=\"02\" />"
                               "</AttributeDescriptor></GetRequestNormal></GetRequest>";
    static const char COMMENT[] = "<!--Decrypt data: <!--8--> <!--0.0.1.0.0.255-->-->";
    size_t cap = 1u << 20, w = 0;
    char *xml = malloc(cap);
    ck_assert_ptr_nonnull(xml);
    int units = 0;
    long line = 1;
    while (w + 512 < cap - 64) {
        int pad = (units * 37) % 61;
        memset(xml + w, ' ', (size_t)pad);
        w += (size_t)pad;
        w += (size_t)snprintf(xml + w, cap - w, "%s%s\n", COMMENT, UNIT);
        units++;
        line++;
    }
    w += (size_t)snprintf(xml + w, cap - w, "<GetRequest>\n</GetRequestX>\n"); /* an error on line `line + 1` */
    bytes b;
    memset(&b, 0, sizeof b);
    ds_encode_options o;
    ds_encode_options_init(&o);
    ds_encode_memory(xml, w, &o, collect_bytes, &b, collect_error, &b, NULL);
    ck_assert_int_eq((int)b.len, units * 13);
    ck_assert_int_eq(b.errors, 1);
    ck_assert_int_eq(b.err_line, line + 1);
    ck_assert_int_eq(memcmp(b.p + b.len - 13, "\xC0\x01\xC1\x00\x08\x00\x00\x01\x00\x00\xFF\x02\x00", 13), 0);
    free(b.p);
    free(xml);
}
END_TEST

/* ==== JSON in (decode --json's lines) ========================================================== */

START_TEST(json_values_to_bytes)
{
    /* written by hand: facts, "#" notes and diagnostics are skipped; a dotted InstanceId is the
     * OBIS code's 6 bytes; a list without @Qty counts its items */
    bytes b = encode("{\"frame\":1,\"service\":\"get-request\",\"GetRequest\":{\"GetRequestNormal\":{"
                     "\"InvokeIdAndPriority\":193,\"AttributeDescriptor\":{\"ClassId\":1,"
                     "\"InstanceId\":\"0.0.43.1.0.255\",\"AttributeId\":2}}},\"diagnostics\":[]}\n"
                     "{\"GetResponse\":{\"GetResponseNormal\":{\"InvokeIdAndPriority\":193,\"Result\":{\"Data\":"
                     "{\"Structure\":[{\"UInt16\":230},{\"OctetString\":\"0102\",\"#OctetString\":\"x\"}]}}}}}\n");
    ck_assert_int_eq(b.errors, 0);
    /* C0 01 C1 | 0001 | 00 00 2B 01 00 FF | 02 | 00 (no selective access), then
     * C4 01 C1 00 | 02 02 | 12 00E6 | 09 02 0102 */
    static const uint8_t want[] = {0xC0, 0x01, 0xC1, 0x00, 0x01, 0x00, 0x00, 0x2B, 0x01, 0x00, 0xFF, 0x02, 0x00,
                                   0xC4, 0x01, 0xC1, 0x00, 0x02, 0x02, 0x12, 0x00, 0xE6, 0x09, 0x02, 0x01, 0x02};
    ck_assert_int_eq((int)b.len, (int)sizeof want);
    ck_assert_mem_eq(b.p, want, sizeof want);
    free(b.p);
}
END_TEST

START_TEST(json_errors_have_line_and_column)
{
    /* line 1: '1' where ':' belongs, at column 36; line 2 is still encoded (C5 01 C1 00) */
    bytes b = encode("{\"GetRequest\": {\"GetRequestNormal\" 1}}\n"
                     "{\"SetResponse\":{\"SetResponseNormal\":{\"InvokeIdAndPriority\":193,\"Result\":\"Success\"}}}\n");
    ck_assert_int_eq(b.errors, 1);
    ck_assert_int_eq(b.err_line, 1);
    ck_assert_str_eq(b.err, "column 36: JSON: expected ':'");
    ck_assert_int_eq((int)b.len, 4);
    ck_assert_int_eq(b.p[0], 0xC5);
    ck_assert_int_eq(b.p[3], 0x00);
    free(b.p);
}
END_TEST

START_TEST(json_untrusted_shapes_are_refused)
{
    /* nesting beyond the limit, a bad escape, a NUL, an element name that is no name, a list
     * item that is no object, text after the value: one error each, no bytes, no crash */
    char deep[2 * 300 + 16];
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"A\":");
    for (int i = 0; i < 300; i++) deep[n++] = '[';
    for (int i = 0; i < 300; i++) deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    const char *bad[] = {deep, "{\"A\":\"\\x\"}", "{\"A\":\"\\u0000\"}", "{\"A b\":1}", "{\"A\":[1]}", "{\"A\":1} x",
                         "{\"A\":\"\\ud800\"}", "{\"A\":01}", "[1]", "{\"A\":{\"@Qty\":[]}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bytes b = encode(bad[i]);
        ck_assert_msg(b.errors >= 1, "no error for %s", bad[i]);
        ck_assert_int_eq((int)b.len, 0);
        free(b.p);
    }
    bytes b = encode(deep);
    ck_assert_ptr_nonnull(strstr(b.err, "nested too deeply"));
    free(b.p);
}
END_TEST

static Suite *encode_suite(void)
{
    Suite *s = suite_create("encode");
    TCase *t = tcase_create("encode");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, corpus_round_trip);
    tcase_add_test(t, errors_have_lines_and_skip_only_their_unit);
    tcase_add_test(t, unknown_and_missing_elements);
    tcase_add_test(t, decimal_scripts_and_root_attribute);
    tcase_add_test(t, malformed_xml_is_reported);
    tcase_add_test(t, rootless_nested_comments_across_buffers);
    tcase_add_test(t, json_values_to_bytes);
    tcase_add_test(t, json_errors_have_line_and_column);
    tcase_add_test(t, json_untrusted_shapes_are_refused);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(encode_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
