/* APDU descriptions and the schema walker: bytes in, XML text and diagnostics out.
 * Expected texts are written by hand from REFERENCE.md §3 and GURUX-XML.md §4. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "test_hex.h"

typedef struct result {
    char *xml;
    char codes[512];   /* "code@offset " per diagnostic */
    int errors;
} result;

static void collect(void *user, const ds_diag *d)
{
    result *r = user;
    size_t n = strlen(r->codes);
    snprintf(r->codes + n, sizeof r->codes - n, "%s@%llu ", d->code, (unsigned long long)d->offset);
}

static result decode(const char *hex, int comments, int decimal)
{
    static uint8_t buf[4096];
    result r;
    memset(&r, 0, sizeof r);
    int n = (int)test_unhex(hex, buf, sizeof buf);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = comments;
    opt.decimal = decimal;
    r.errors = ds_decode_apdu_buffer(buf, (size_t)n, &opt, sink, collect, &r);
    ds_sink_destroy(sink);
    fclose(out);
    r.xml = text;
    return r;
}

/* Diagnostic comments carry free text: keep only up to the offset for comparison. */
static void strip_messages(char *s)
{
    char *p = s;
    while ((p = strstr(p, "<!--")) != NULL) {
        char *off = strstr(p, " offset=");
        char *end = strstr(p, "-->");
        if (off && end && off < end) {
            char *colon = strchr(off, ':');
            if (colon && colon < end) memmove(colon, end, strlen(end) + 1);
        }
        p += 4;
    }
}

#define EXPECT_XML(r, want)                                    \
    do {                                                       \
        strip_messages((r).xml);                               \
        ck_assert_str_eq((r).xml, want);                       \
        free((r).xml);                                         \
    } while (0)

START_TEST(get_request_normal)
{
    result r = decode("C001C100080000010000FF0200", 0, 0);
    ck_assert_int_eq(r.errors, 0);
    ck_assert_str_eq(r.codes, "");
    EXPECT_XML(r, "<GetRequest>\n"
                  "  <GetRequestNormal>\n"
                  "    <InvokeIdAndPriority Value=\"C1\" />\n"
                  "    <AttributeDescriptor>\n"
                  "      <ClassId Value=\"0008\" />\n"
                  "      <InstanceId Value=\"0000010000FF\" />\n"
                  "      <AttributeId Value=\"02\" />\n"
                  "    </AttributeDescriptor>\n"
                  "  </GetRequestNormal>\n"
                  "</GetRequest>\n");
}
END_TEST

START_TEST(get_request_normal_decimal_with_comments)
{
    /* CS-u9n-get-request-normal: class 1, 0.0.43.1.0.255 attribute 2 (GURUX-XML.md §4.1 decimal mode) */
    result r = decode("C001C1000100002B0100FF0200", 1, 1);
    ck_assert_int_eq(r.errors, 0);
    ck_assert_ptr_nonnull(strstr(r.xml, "    <!--invoke-id 1, confirmed, high priority-->\n"
                                        "    <InvokeIdAndPriority Value=\"193\" />\n"));
    ck_assert_ptr_nonnull(strstr(r.xml, "      <!--Data-->\n      <ClassId Value=\"1\" />\n"));
    ck_assert_ptr_nonnull(strstr(r.xml, "      <!--0.0.43.1.0.255"));
    ck_assert_ptr_nonnull(strstr(r.xml, "      <InstanceId Value=\"00002B0100FF\" />\n"
                                        "      <!--value-->\n"
                                        "      <AttributeId Value=\"2\" />\n"));
    free(r.xml);
}
END_TEST

START_TEST(action_response_invalid_choice)
{
    /* The example: result hardware-fault (01), return-parameters present (01),
     * Get-Data-Result choice 02 does not exist: error at offset 5, the rest shown where
     * decoding stopped, choice byte included (the encoder writes it back there). */
    result r = decode("C701C1010102114373F23ADF37A31D0DECB749D496DBD1CA", 0, 0);
    ck_assert_int_eq(r.errors, 1);
    ck_assert_str_eq(r.codes, "apdu.invalid-choice@5 ");
    EXPECT_XML(r, "<ActionResponse>\n"
                  "  <ActionResponseNormal>\n"
                  "    <InvokeIdAndPriority Value=\"C1\" />\n"
                  "    <Result Value=\"HardwareFault\" />\n"
                  "    <ReturnParameters>\n"
                  "      <!--error apdu.invalid-choice offset=5-->\n"
                  "      <Undecoded Value=\"02114373F23ADF37A31D0DECB749D496DBD1CA\" />\n"
                  "    </ReturnParameters>\n"
                  "  </ActionResponseNormal>\n"
                  "</ActionResponse>\n");
}
END_TEST

START_TEST(truncated_attribute_descriptor)
{
    result r = decode("C001C1000800", 0, 0);
    ck_assert_int_eq(r.errors, 1);
    /* ClassId 0008 read, the 6-byte InstanceId starts at offset 5 with 1 byte left */
    ck_assert_str_eq(r.codes, "apdu.truncated@5 ");
    ck_assert_ptr_nonnull(strstr(r.xml, "<ClassId Value=\"0008\" />"));
    ck_assert_ptr_nonnull(strstr(r.xml, "<Undecoded Value=\"00\" />"));
    ck_assert_ptr_nonnull(strstr(r.xml, "</GetRequest>"));
    free(r.xml);
}
END_TEST

START_TEST(trailing_bytes)
{
    result r = decode("C501C100FFEE", 0, 0);
    ck_assert_int_eq(r.errors, 1);
    ck_assert_str_eq(r.codes, "apdu.trailing-bytes@4 ");
    EXPECT_XML(r, "<SetResponse>\n"
                  "  <SetResponseNormal>\n"
                  "    <InvokeIdAndPriority Value=\"C1\" />\n"
                  "    <Result Value=\"Success\" />\n"
                  "  </SetResponseNormal>\n"
                  "</SetResponse>\n"
                  "<!--error apdu.trailing-bytes offset=4-->\n"
                  "<Undecoded Value=\"FFEE\" />\n");
}
END_TEST

START_TEST(unknown_tag)
{
    result r = decode("AE12", 0, 0);
    ck_assert_str_eq(r.codes, "apdu.unknown-tag@0 ");
    EXPECT_XML(r, "<!--error apdu.unknown-tag offset=0-->\n<Undecoded Value=\"AE12\" />\n");
}
END_TEST

START_TEST(huge_list_count_rejected)
{
    /* get-request-with-list announcing 0xFFFFFFFF descriptors with 2 bytes left */
    result r = decode("C003C184FFFFFFFF0001", 0, 0);
    ck_assert_str_eq(r.codes, "data.bad-length@3 ");
    free(r.xml);
}
END_TEST

START_TEST(exception_response)
{
    result r = decode("D80102", 0, 0);
    ck_assert_int_eq(r.errors, 0);
    EXPECT_XML(r, "<ExceptionResponse>\n"
                  "  <StateError Value=\"ServiceNotAllowed\" />\n"
                  "  <ServiceError Value=\"ServiceNotSupported\" />\n"
                  "</ExceptionResponse>\n");
    r = decode("D8010600000102", 0, 0);
    ck_assert_int_eq(r.errors, 0);
    EXPECT_XML(r, "<ExceptionResponse>\n"
                  "  <StateError Value=\"ServiceNotAllowed\" />\n"
                  "  <ServiceError Value=\"InvocationCounterError\" />\n"
                  "  <InvocationCounter Value=\"00000102\" />\n"
                  "</ExceptionResponse>\n");
}
END_TEST

START_TEST(confirmed_service_error)
{
    result r = decode("0E010203", 0, 0);
    ck_assert_int_eq(r.errors, 0);
    EXPECT_XML(r, "<ConfirmedServiceError>\n"
                  "  <Service Value=\"01\" />\n"
                  "  <ServiceError>\n"
                  "    <VdeStateError Value=\"StatusNochange\" />\n"
                  "  </ServiceError>\n"
                  "</ConfirmedServiceError>\n");
}
END_TEST

START_TEST(aare_hls_gmac)
{
    /* CS-GB-aare-hls-gmac, GURUX-XML.md E12 */
    result r = decode("6142A109060760857405080101A203020100A305A10302010E88020780890760857405080205AA0A8008503677524A"
                      "323146BE10040E0800065F1F040000501F01F40007",
                      0, 0);
    ck_assert_int_eq(r.errors, 0);
    EXPECT_XML(r, "<AssociationResponse>\n"
                  "  <ApplicationContextName Value=\"LN\" />\n"
                  "  <AssociationResult Value=\"00\" />\n"
                  "  <ResultSourceDiagnostic>\n"
                  "    <ACSEServiceUser Value=\"0E\" />\n"
                  "  </ResultSourceDiagnostic>\n"
                  "  <ResponderACSERequirement Value=\"1\" />\n"
                  "  <MechanismName Value=\"HighGmac\" />\n"
                  "  <RespondingAuthentication Value=\"503677524A323146\" />\n"
                  "  <InitiateResponse>\n"
                  "    <NegotiatedDlmsVersionNumber Value=\"06\" />\n"
                  "    <NegotiatedConformance>\n"
                  "      <ConformanceBit Name=\"PriorityMgmtSupported\" />\n"
                  "      <ConformanceBit Name=\"BlockTransferWithGetOrRead\" />\n"
                  "      <ConformanceBit Name=\"Get\" />\n"
                  "      <ConformanceBit Name=\"Set\" />\n"
                  "      <ConformanceBit Name=\"SelectiveAccess\" />\n"
                  "      <ConformanceBit Name=\"EventNotification\" />\n"
                  "      <ConformanceBit Name=\"Action\" />\n"
                  "    </NegotiatedConformance>\n"
                  "    <NegotiatedMaxPduSize Value=\"01F4\" />\n"
                  "    <VaaName Value=\"0007\" />\n"
                  "  </InitiateResponse>\n"
                  "</AssociationResponse>\n");
}
END_TEST

START_TEST(rlrq_plain_and_unknown_ber_field)
{
    result r = decode("6203800100", 0, 0);
    ck_assert_int_eq(r.errors, 0);
    EXPECT_XML(r, "<ReleaseRequest>\n  <Reason Value=\"Normal\" />\n</ReleaseRequest>\n");
    /* 0x85 is no RLRQ field: reported and shown, and decoding resumes at the next field */
    r = decode("62078502AABB800100", 0, 0);
    ck_assert_str_eq(r.codes, "apdu.unknown-tag@2 ");
    EXPECT_XML(r, "<ReleaseRequest>\n"
                  "  <!--error apdu.unknown-tag offset=2-->\n"
                  "  <Undecoded Value=\"8502AABB\" />\n"
                  "  <Reason Value=\"Normal\" />\n"
                  "</ReleaseRequest>\n");
}
END_TEST

START_TEST(ciphered_truncated)
{
    /* BRK-gb-glo-initreq-truncated: length 0x30 (48) but 47 bytes follow */
    result r = decode("21303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E35"
                      "68",
                      0, 0);
    ck_assert_str_eq(r.codes, "apdu.truncated@1 ");
    free(r.xml);
    r = decode("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B", 0, 0);
    ck_assert_int_eq(r.errors, 0);
    EXPECT_XML(r, "<glo_GetRequest Value=\"3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B\" />\n");
}
END_TEST

START_TEST(data_notification_decimal)
{
    /* CS-gosem-datanotification-small, GURUX-XML.md E7 */
    result r = decode("0F0063D76A0003FF", 0, 1);
    ck_assert_int_eq(r.errors, 0);
    EXPECT_XML(r, "<DataNotification>\n"
                  "  <LongInvokeIdAndPriority Value=\"6543210\" />\n"
                  "  <DateTime Value=\"\" />\n"
                  "  <NotificationBody>\n"
                  "    <DataValue>\n"
                  "      <Boolean Value=\"True\" Byte=\"FF\" />\n"
                  "    </DataValue>\n"
                  "  </NotificationBody>\n"
                  "</DataNotification>\n");
}
END_TEST

START_TEST(every_prefix_of_a_valid_apdu_is_reported)
{
    /* Cutting a valid AARQ anywhere must give an error, never a clean decode or a crash. */
    static const char *AARQ = "6036A1090607608574050801018A0207808B0760857405080205AC0A80084B35366956616759BE10040E0100"
                              "0000065F1F0400007E1F04B0";
    char hex[256];
    size_t full = strlen(AARQ);
    for (size_t cut = 2; cut < full; cut += 2) {
        memcpy(hex, AARQ, cut);
        hex[cut] = '\0';
        result r = decode(hex, 1, 0);
        ck_assert_msg(r.errors > 0, "prefix of %zu bytes decoded without error", cut / 2);
        free(r.xml);
    }
    result r = decode(AARQ, 1, 0);
    ck_assert_int_eq(r.errors, 0);
    free(r.xml);
}
END_TEST

static Suite *apdu_suite(void)
{
    Suite *s = suite_create("apdu");
    TCase *t = tcase_create("decode");
    tcase_add_test(t, get_request_normal);
    tcase_add_test(t, get_request_normal_decimal_with_comments);
    tcase_add_test(t, action_response_invalid_choice);
    tcase_add_test(t, truncated_attribute_descriptor);
    tcase_add_test(t, trailing_bytes);
    tcase_add_test(t, unknown_tag);
    tcase_add_test(t, huge_list_count_rejected);
    tcase_add_test(t, exception_response);
    tcase_add_test(t, confirmed_service_error);
    tcase_add_test(t, aare_hls_gmac);
    tcase_add_test(t, rlrq_plain_and_unknown_ber_field);
    tcase_add_test(t, ciphered_truncated);
    tcase_add_test(t, data_notification_decimal);
    tcase_add_test(t, every_prefix_of_a_valid_apdu_is_reported);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(apdu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
