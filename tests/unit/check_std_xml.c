/* The IEC 62056 standard XML representation, both directions: the standard sink writes what
 * the ASN.1 names say (expected texts written by hand from the Green Book ASN.1), and that text,
 * turned back into our dialect by ds_std_xml_to_simple, encodes to the original bytes. */
#include <check.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "encode/schema_encode.h"
#include "encode/std_xml.h"
#include "sinks/std_names.h"

#define ROOT_OPEN "<Messages xmlns:x=\"http://www.dlms.com/COSEMpdu\" Numbers=\"decimal\" >\n"
#define ROOT_CLOSE "</Messages>\n"

/* One APDU decoded (decimal numbers, no comments) into the standard sink. */
static char *decode_std(const uint8_t *apdu, size_t len)
{
    char *xml = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&xml, &size);
    ck_assert_ptr_nonnull(out);
    ds_sink *sink = ds_std_xml_sink_new(out);
    ck_assert_ptr_nonnull(sink);
    ds_options opt;
    ds_options_init(&opt);
    opt.decimal = 1;
    opt.comments = 0;
    sink->begin_document(sink);
    int errors = ds_decode_apdu_buffer(apdu, len, &opt, sink, NULL, NULL);
    sink->end_document(sink);
    ck_assert_int_eq(ds_sink_error(sink), 0);
    ds_sink_destroy(sink);
    fclose(out);
    ck_assert_int_eq(errors, 0);
    return xml;
}

static xmlDoc *parse(const char *xml)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "std.xml", NULL, XML_PARSE_NONET);
    ck_assert_msg(doc != NULL, "not well-formed:\n%s", xml);
    return doc;
}

static xmlNode *first_element(xmlNode *parent)
{
    for (xmlNode *n = parent->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE) return n;
    return NULL;
}

/* Standard XML document (APDU = first child of the root) -> dialect -> bytes. Returns the
 * encoder's result; on success the bytes must equal `expect`. */
static int encode_std(const char *xml, const uint8_t *expect, size_t expect_len, ds_enc *enc)
{
    xmlDoc *doc = parse(xml);
    xmlNode *apdu = first_element(xmlDocGetRootElement(doc));
    ck_assert_ptr_nonnull(apdu);
    ds_enc_init(enc, 1);
    int rc = ds_std_xml_to_simple(enc, apdu);
    if (rc == 0) {
        ds_buf out;
        ds_buf_init(&out);
        rc = ds_apdu_encode(enc, apdu, &out);
        if (rc == 0) {
            ck_assert_msg(out.len == expect_len && memcmp(out.p, expect, expect_len) == 0,
                          "re-encoded bytes differ (%zu vs %zu bytes)", out.len, expect_len);
        }
        ds_buf_free(&out);
    }
    xmlFreeDoc(doc);
    return rc;
}

/* Decode -> compare with the hand-written text -> encode -> compare with the bytes. */
static void check_both_ways(const uint8_t *apdu, size_t len, const char *expected_body)
{
    char *xml = decode_std(apdu, len);
    size_t need = strlen(ROOT_OPEN) + strlen(expected_body) + strlen(ROOT_CLOSE) + 1;
    char *expected = malloc(need);
    snprintf(expected, need, "%s%s%s", ROOT_OPEN, expected_body, ROOT_CLOSE);
    ck_assert_str_eq(xml, expected);
    ds_enc enc;
    int rc = encode_std(xml, apdu, len, &enc);
    ck_assert_msg(rc == 0, "encode failed at line %ld: %s", enc.error_line, enc.error);
    free(expected);
    free(xml);
}

START_TEST(get_request_normal)
{
    static const uint8_t apdu[] = {0xC0, 0x01, 0xC1, 0x00, 0x01, 0x00, 0x00, 0x2B, 0x01, 0x00, 0xFF, 0x02, 0x00};
    check_both_ways(apdu, sizeof apdu,
                    "<x:get-request>\n"
                    "  <x:get-request-normal>\n"
                    "    <x:invoke-id-and-priority>193</x:invoke-id-and-priority>\n"
                    "    <x:cosem-attribute-descriptor>\n"
                    "      <x:class-id>1</x:class-id>\n"
                    "      <x:instance-id>00002B0100FF</x:instance-id>\n"
                    "      <x:attribute-id>2</x:attribute-id>\n"
                    "    </x:cosem-attribute-descriptor>\n"
                    "  </x:get-request-normal>\n"
                    "</x:get-request>\n");
}
END_TEST

/* A structure of eight Data types (hand-made): long-unsigned 8, octet-string, integer -2,
 * enum 30, boolean true, visible-string "AB", double-long -1, null-data. */
START_TEST(get_response_structure)
{
    static const uint8_t apdu[] = {0xC4, 0x01, 0xC1, 0x00, 0x02, 0x08, 0x12, 0x00, 0x08, 0x09, 0x06, 0x00,
                                   0x00, 0x01, 0x00, 0x00, 0xFF, 0x0F, 0xFE, 0x16, 0x1E, 0x03, 0x01, 0x0A,
                                   0x02, 0x41, 0x42, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    check_both_ways(apdu, sizeof apdu,
                    "<x:get-response>\n"
                    "  <x:get-response-normal>\n"
                    "    <x:invoke-id-and-priority>193</x:invoke-id-and-priority>\n"
                    "    <x:result>\n"
                    "      <x:data>\n"
                    "        <x:structure>\n"
                    "          <x:long-unsigned>8</x:long-unsigned>\n"
                    "          <x:octet-string>0000010000FF</x:octet-string>\n"
                    "          <x:integer>-2</x:integer>\n"
                    "          <x:enum>30</x:enum>\n"
                    "          <x:boolean>true</x:boolean>\n"
                    "          <x:visible-string>AB</x:visible-string>\n"
                    "          <x:double-long>-1</x:double-long>\n"
                    "          <x:null-data />\n"
                    "        </x:structure>\n"
                    "      </x:data>\n"
                    "    </x:result>\n"
                    "  </x:get-response-normal>\n"
                    "</x:get-response>\n");
}
END_TEST

START_TEST(get_response_data_access_result)
{
    static const uint8_t apdu[] = {0xC4, 0x01, 0xC1, 0x01, 0x04};
    check_both_ways(apdu, sizeof apdu,
                    "<x:get-response>\n"
                    "  <x:get-response-normal>\n"
                    "    <x:invoke-id-and-priority>193</x:invoke-id-and-priority>\n"
                    "    <x:result>\n"
                    "      <x:data-access-result>object-undefined</x:data-access-result>\n"
                    "    </x:result>\n"
                    "  </x:get-response-normal>\n"
                    "</x:get-response>\n");
}
END_TEST

/* Corpus CS-GB-aarq-hls-gmac: LN context, HLS GMAC, conformance 00 7E 1F. */
START_TEST(aarq_conformance)
{
    static const uint8_t apdu[] = {
        0x60, 0x36, 0xA1, 0x09, 0x06, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x01, 0x8A, 0x02, 0x07,
        0x80, 0x8B, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x02, 0x05, 0xAC, 0x0A, 0x80, 0x08, 0x4B, 0x35,
        0x36, 0x69, 0x56, 0x61, 0x67, 0x59, 0xBE, 0x10, 0x04, 0x0E, 0x01, 0x00, 0x00, 0x00, 0x06, 0x5F,
        0x1F, 0x04, 0x00, 0x00, 0x7E, 0x1F, 0x04, 0xB0};
    check_both_ways(apdu, sizeof apdu,
                    "<x:aarq>\n"
                    "  <x:application-context-name>2.16.756.5.8.1.1</x:application-context-name>\n"
                    "  <x:sender-acse-requirements>1</x:sender-acse-requirements>\n"
                    "  <x:mechanism-name>2.16.756.5.8.2.5</x:mechanism-name>\n"
                    "  <x:calling-authentication-value>4B35366956616759</x:calling-authentication-value>\n"
                    "  <x:initiateRequest>\n"
                    "    <x:proposed-dlms-version-number>6</x:proposed-dlms-version-number>\n"
                    "    <x:proposed-conformance>\n"
                    "      <x:priority-mgmt-supported />\n"
                    "      <x:attribute0-supported-with-get />\n"
                    "      <x:block-transfer-with-get-or-read />\n"
                    "      <x:block-transfer-with-set-or-write />\n"
                    "      <x:block-transfer-with-action />\n"
                    "      <x:multiple-references />\n"
                    "      <x:get />\n"
                    "      <x:set />\n"
                    "      <x:selective-access />\n"
                    "      <x:event-notification />\n"
                    "      <x:action />\n"
                    "    </x:proposed-conformance>\n"
                    "    <x:client-max-receive-pdu-size>1200</x:client-max-receive-pdu-size>\n"
                    "  </x:initiateRequest>\n"
                    "</x:aarq>\n");
}
END_TEST

START_TEST(set_request_normal)
{
    static const uint8_t apdu[] = {0xC1, 0x01, 0xC1, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x02, 0x00, 0x09,
                                   0x0C, 0x07, 0xE5, 0x01, 0x18, 0xFF, 0x0E, 0x30, 0x39, 0x50, 0xFF, 0xC4, 0x00};
    check_both_ways(apdu, sizeof apdu,
                    "<x:set-request>\n"
                    "  <x:set-request-normal>\n"
                    "    <x:invoke-id-and-priority>193</x:invoke-id-and-priority>\n"
                    "    <x:cosem-attribute-descriptor>\n"
                    "      <x:class-id>8</x:class-id>\n"
                    "      <x:instance-id>0000010000FF</x:instance-id>\n"
                    "      <x:attribute-id>2</x:attribute-id>\n"
                    "    </x:cosem-attribute-descriptor>\n"
                    "    <x:value>\n"
                    "      <x:octet-string>07E50118FF0E303950FFC400</x:octet-string>\n"
                    "    </x:value>\n"
                    "  </x:set-request-normal>\n"
                    "</x:set-request>\n");
}
END_TEST

/* Corpus CS-gosem-disconnect-action: disconnect control (70) 0.0.96.3.10.255, method 1, integer 0. */
START_TEST(action_request_normal)
{
    static const uint8_t apdu[] = {0xC3, 0x01, 0xC1, 0x00, 0x46, 0x00, 0x00, 0x60,
                                   0x03, 0x0A, 0xFF, 0x01, 0x01, 0x0F, 0x00};
    check_both_ways(apdu, sizeof apdu,
                    "<x:action-request>\n"
                    "  <x:action-request-normal>\n"
                    "    <x:invoke-id-and-priority>193</x:invoke-id-and-priority>\n"
                    "    <x:cosem-method-descriptor>\n"
                    "      <x:class-id>70</x:class-id>\n"
                    "      <x:instance-id>000060030AFF</x:instance-id>\n"
                    "      <x:method-id>1</x:method-id>\n"
                    "    </x:cosem-method-descriptor>\n"
                    "    <x:method-invocation-parameters>\n"
                    "      <x:integer>0</x:integer>\n"
                    "    </x:method-invocation-parameters>\n"
                    "  </x:action-request-normal>\n"
                    "</x:action-request>\n");
}
END_TEST

/* long-invoke-id 0x0063D76A = 6543210, no date-time (length 0), boolean TRUE sent as FF: the
 * byte stays an attribute so that it re-encodes as it was. */
START_TEST(data_notification)
{
    static const uint8_t apdu[] = {0x0F, 0x00, 0x63, 0xD7, 0x6A, 0x00, 0x03, 0xFF};
    check_both_ways(apdu, sizeof apdu,
                    "<x:data-notification>\n"
                    "  <x:long-invoke-id-and-priority>6543210</x:long-invoke-id-and-priority>\n"
                    "  <x:date-time></x:date-time>\n"
                    "  <x:notification-body>\n"
                    "    <x:data-value>\n"
                    "      <x:boolean Byte=\"FF\">true</x:boolean>\n"
                    "    </x:data-value>\n"
                    "  </x:notification-body>\n"
                    "</x:data-notification>\n");
}
END_TEST

START_TEST(exception_response)
{
    static const uint8_t apdu[] = {0xD8, 0x01, 0x02};
    check_both_ways(apdu, sizeof apdu,
                    "<x:exception-response>\n"
                    "  <x:state-error>service-not-allowed</x:state-error>\n"
                    "  <x:service-error>service-not-supported</x:service-error>\n"
                    "</x:exception-response>\n");
}
END_TEST

/* ServiceError definition(4) object-undefined(1): the same spelling as Data-Access-Result 4,
 * but another Gurux value, chosen by the element. */
START_TEST(confirmed_service_error_scoped_value)
{
    static const uint8_t apdu[] = {0x0E, 0x06, 0x04, 0x01};
    check_both_ways(apdu, sizeof apdu,
                    "<x:confirmedServiceError>\n"
                    "  <x:service>6</x:service>\n"
                    "  <x:service-error>\n"
                    "    <x:definition>object-undefined</x:definition>\n"
                    "  </x:service-error>\n"
                    "</x:confirmedServiceError>\n");
}
END_TEST

/* Written by hand, not by our sink: default namespace instead of a prefix, white space around
 * values, list items of Data-Access-Result. set-response-with-list: success, read-write-denied. */
START_TEST(hand_written_input)
{
    static const uint8_t apdu[] = {0xC5, 0x05, 0xC1, 0x02, 0x00, 0x03};
    const char *xml = "<Messages>\n"
                      "<set-response xmlns=\"http://www.dlms.com/COSEMpdu\">\n"
                      " <set-response-with-list>\n"
                      "  <invoke-id-and-priority> 193 </invoke-id-and-priority>\n"
                      "  <result>\n"
                      "   <Data-Access-Result>success</Data-Access-Result>\n"
                      "   <Data-Access-Result>\n     read-write-denied\n   </Data-Access-Result>\n"
                      "  </result>\n"
                      " </set-response-with-list>\n"
                      "</set-response>\n"
                      "</Messages>\n";
    ds_enc enc;
    int rc = encode_std(xml, apdu, sizeof apdu, &enc);
    ck_assert_msg(rc == 0, "encode failed at line %ld: %s", enc.error_line, enc.error);
}
END_TEST

/* Elements outside the namespace (frame envelope, Gurux parts) are left alone; the APDU inside
 * is converted. */
START_TEST(envelope_left_alone)
{
    const char *xml = "<Messages xmlns:x=\"http://www.dlms.com/COSEMpdu\">\n"
                      "<PDU LLC=\"\">\n"
                      "<x:exception-response><x:state-error>service-unknown</x:state-error>"
                      "<x:service-error>other-reason</x:service-error></x:exception-response>\n"
                      "</PDU>\n"
                      "</Messages>\n";
    xmlDoc *doc = parse(xml);
    xmlNode *pdu = first_element(xmlDocGetRootElement(doc));
    ds_enc enc;
    ds_enc_init(&enc, 1);
    ck_assert_int_eq(ds_std_xml_is_std(pdu), 0);
    ck_assert_int_eq(ds_std_xml_to_simple(&enc, pdu), 0);
    ck_assert_str_eq((const char *)pdu->name, "PDU");
    ck_assert_str_eq(ds_x_attr(pdu, "LLC"), "");
    xmlNode *apdu = first_element(pdu);
    ck_assert_str_eq((const char *)apdu->name, "ExceptionResponse");
    ck_assert_ptr_null(apdu->ns);
    xmlNode *state = first_element(apdu);
    ck_assert_str_eq((const char *)state->name, "StateError");
    ck_assert_str_eq(ds_x_attr(state, "Value"), "ServiceUnknown");
    ck_assert_ptr_null(state->children); /* the text went into Value */
    ds_buf out;
    ds_buf_init(&out);
    ck_assert_int_eq(ds_apdu_encode(&enc, apdu, &out), 0);
    static const uint8_t expect[] = {0xD8, 0x02, 0x03};
    ck_assert_uint_eq(out.len, sizeof expect);
    ck_assert_mem_eq(out.p, expect, sizeof expect);
    ds_buf_free(&out);
    xmlFreeDoc(doc);
}
END_TEST

/* A whole HDLC frame (corpus CS-u9n-aarq-iframe) through the stream decoder: the envelope stays
 * unprefixed in the Gurux form, the APDU inside <PDU> is standard XML and encodes back to the
 * frame's APDU bytes. Addresses: 02 23 -> upper 1, lower 17 -> 145; 21 -> 16. Conformance
 * 00 1E 1D -> bits 11-14, 19, 20, 21, 23. */
START_TEST(stream_with_envelope)
{
    static const char hex[] = "7EA02C02232110AF9FE6E600601DA109060760857405080101BE10040E01000000065F1F04"
                              "00001E1DFFFFC5E47E\n";
    static const uint8_t apdu[] = {0x60, 0x1D, 0xA1, 0x09, 0x06, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x01,
                                   0x01, 0xBE, 0x10, 0x04, 0x0E, 0x01, 0x00, 0x00, 0x00, 0x06, 0x5F, 0x1F,
                                   0x04, 0x00, 0x00, 0x1E, 0x1D, 0xFF, 0xFF};
    FILE *src = fmemopen((void *)hex, sizeof hex - 1, "rb");
    char *xml = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&xml, &size);
    ds_sink *sink = ds_std_xml_sink_new(out);
    ds_options opt;
    ds_options_init(&opt);
    opt.decimal = 1;
    opt.comments = 0;
    sink->begin_document(sink);
    ck_assert_int_eq(ds_decode_stream(src, DS_INPUT_AUTO, &opt, sink, NULL, NULL, NULL), 0);
    sink->end_document(sink);
    ds_sink_destroy(sink);
    fclose(out);
    fclose(src);
    ck_assert_ptr_nonnull(strstr(xml, ROOT_OPEN "<HDLC len="));
    ck_assert_ptr_nonnull(strstr(xml, "\n<TargetAddress Value=\"145\" />\n<SourceAddress Value=\"16\" />\n"));
    ck_assert_ptr_nonnull(strstr(xml, "\n<PDU>\n"
                                      "<x:aarq>\n"
                                      "  <x:application-context-name>2.16.756.5.8.1.1</x:application-context-name>\n"
                                      "  <x:initiateRequest>\n"
                                      "    <x:proposed-dlms-version-number>6</x:proposed-dlms-version-number>\n"
                                      "    <x:proposed-conformance>\n"
                                      "      <x:block-transfer-with-get-or-read />\n"
                                      "      <x:block-transfer-with-set-or-write />\n"
                                      "      <x:block-transfer-with-action />\n"
                                      "      <x:multiple-references />\n"
                                      "      <x:get />\n"
                                      "      <x:set />\n"
                                      "      <x:selective-access />\n"
                                      "      <x:action />\n"
                                      "    </x:proposed-conformance>\n"
                                      "    <x:client-max-receive-pdu-size>65535</x:client-max-receive-pdu-size>\n"
                                      "  </x:initiateRequest>\n"
                                      "</x:aarq>\n"
                                      "</PDU>\n"
                                      "</HDLC>\n" ROOT_CLOSE));
    xmlDoc *doc = parse(xml);
    xmlNode *hdlc = first_element(xmlDocGetRootElement(doc));
    ds_enc enc;
    ds_enc_init(&enc, 1);
    ck_assert_int_eq(ds_std_xml_to_simple(&enc, hdlc), 0); /* the whole frame: envelope untouched */
    ck_assert_str_eq((const char *)hdlc->name, "HDLC");
    xmlNode *pdu = NULL;
    for (xmlNode *n = first_element(hdlc); n; n = ds_x_next(n))
        if (strcmp((const char *)n->name, "PDU") == 0) pdu = n;
    ck_assert_ptr_nonnull(pdu);
    ds_buf b;
    ds_buf_init(&b);
    ck_assert_int_eq(ds_apdu_encode(&enc, first_element(pdu), &b), 0);
    ck_assert_uint_eq(b.len, sizeof apdu);
    ck_assert_mem_eq(b.p, apdu, sizeof apdu);
    ds_buf_free(&b);
    xmlFreeDoc(doc);
    free(xml);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */

static void expect_failure(const char *xml, const char *message_part, long line)
{
    ds_enc enc;
    int rc = encode_std(xml, NULL, 0, &enc);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(enc.error, message_part) != NULL, "error \"%s\" lacks \"%s\"", enc.error, message_part);
    ck_assert_int_eq(enc.error_line, line);
}

START_TEST(unknown_standard_name)
{
    expect_failure("<Messages xmlns:x=\"http://www.dlms.com/COSEMpdu\">\n"
                   "<x:get-request>\n"
                   "  <x:get-request-sideways>\n"
                   "  </x:get-request-sideways>\n"
                   "</x:get-request>\n"
                   "</Messages>\n",
                   "get-request-sideways", 3);
}
END_TEST

START_TEST(unknown_conformance_bit)
{
    expect_failure("<Messages xmlns:x=\"http://www.dlms.com/COSEMpdu\">\n"
                   "<x:initiateRequest>\n"
                   "  <x:proposed-dlms-version-number>6</x:proposed-dlms-version-number>\n"
                   "  <x:proposed-conformance>\n"
                   "    <x:get />\n"
                   "    <x:teleport />\n"
                   "  </x:proposed-conformance>\n"
                   "</x:initiateRequest>\n"
                   "</Messages>\n",
                   "teleport", 6);
}
END_TEST

START_TEST(text_in_container)
{
    expect_failure("<Messages xmlns:x=\"http://www.dlms.com/COSEMpdu\">\n"
                   "<x:get-request>\n"
                   "  <x:get-request-normal>oops</x:get-request-normal>\n"
                   "</x:get-request>\n"
                   "</Messages>\n",
                   "takes no text", 3);
}
END_TEST

START_TEST(text_and_elements)
{
    expect_failure("<Messages xmlns:x=\"http://www.dlms.com/COSEMpdu\">\n"
                   "<x:get-request>\n"
                   "  <x:get-request-normal>stray<x:invoke-id-and-priority>1</x:invoke-id-and-priority>\n"
                   "  </x:get-request-normal>\n"
                   "</x:get-request>\n"
                   "</Messages>\n",
                   "both text and elements", 3);
}
END_TEST

/* An unknown enumeration word passes through; the encoder then rejects it. */
START_TEST(unknown_enum_spelling)
{
    expect_failure("<Messages xmlns:x=\"http://www.dlms.com/COSEMpdu\">\n"
                   "<x:exception-response>\n"
                   "  <x:state-error>service-on-holiday</x:state-error>\n"
                   "  <x:service-error>other-reason</x:service-error>\n"
                   "</x:exception-response>\n"
                   "</Messages>\n",
                   "service-on-holiday", 3);
}
END_TEST

/* ---- the sink on its own: envelopes, Qty, values XML cannot carry, escaping ------------------ */

START_TEST(sink_envelope_and_escaping)
{
    char *xml = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&xml, &size);
    ds_sink *s = ds_std_xml_sink_new(out);
    s->begin_document(s);
    const ds_attr len_attr[] = {DS_ATTR("len", "1E")};
    s->open(s, "HDLC", sizeof "HDLC" - 1, len_attr, 1, DS_OPEN_FLAT);
    const ds_attr addr[] = {DS_ATTR("Value", "11"), DS_ATTR("Size", "4")};
    ds_sink_leaf_attrs(s, "TargetAddress", addr, 2);
    s->open(s, "PDU", sizeof "PDU" - 1, NULL, 0, DS_OPEN_FLAT);
    const ds_attr qty[] = {DS_ATTR("Qty", "02")};
    s->open(s, "Array", sizeof "Array" - 1, qty, 1, 0);
    s->leaf(s, "String", sizeof "String" - 1, "a<b&c", 5, 0);
    s->leaf(s, "String", sizeof "String" - 1, "x\001y", 3, 0);
    s->close(s, "Array", sizeof "Array" - 1);
    s->close(s, "PDU", sizeof "PDU" - 1);
    s->close(s, "HDLC", sizeof "HDLC" - 1);
    s->end_document(s);
    ds_sink_destroy(s);
    fclose(out);
    ck_assert_str_eq(xml, ROOT_OPEN
                     "<HDLC len=\"1E\" >\n"
                     "<TargetAddress Value=\"11\" Size=\"4\" />\n"
                     "<PDU>\n"
                     "<x:array>\n"
                     "  <x:visible-string>a&lt;b&amp;c</x:visible-string>\n"
                     "  <x:visible-string ValueHex=\"780179\" />\n"
                     "</x:array>\n"
                     "</PDU>\n"
                     "</HDLC>\n" ROOT_CLOSE);
    free(xml);
}
END_TEST

/* A compact array's type description keeps the array count (number-of-elements). */
START_TEST(compact_array_description)
{
    /* array of 3 unsigned: 13 01 00 03 11, contents 03 01 02 03; decimal mode: Qty="3" */
    static const uint8_t apdu[] = {0xC4, 0x01, 0xC1, 0x00, 0x13, 0x01, 0x00, 0x03, 0x11, 0x03, 0x01, 0x02, 0x03};
    char *xml = decode_std(apdu, sizeof apdu);
    ck_assert_ptr_nonnull(strstr(xml, "<x:contents-description>\n"
                                      "            <x:array Qty=\"3\" >\n"
                                      "              <x:unsigned />\n"
                                      "            </x:array>\n"
                                      "          </x:contents-description>\n"));
    ds_enc enc;
    int rc = encode_std(xml, apdu, sizeof apdu, &enc);
    ck_assert_msg(rc == 0, "encode failed at line %ld: %s", enc.error_line, enc.error);
    free(xml);
}
END_TEST

/* ---- the table ------------------------------------------------------------------------------- */

START_TEST(table_both_ways)
{
    static const char *const names[] = {
        "GetRequest", "GetResponsewithDataBlock", "SetRequestFirstDataBlock", "ActionRequestWithBlock",
        "DataNotification", "ExceptionResponse", "AssociationRequest", "InitiateRequest", "ProposedMaxPduSize",
        "NegotiatedMaxPduSize", "DataAccessError", "DataAccessResult", "Result", "CipheredContent", "UInt16",
        "Int16", "String", "None", "DontCare", "glo_GetRequest", "_AccessRequestSpecification"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const ds_std_name *row = ds_std_by_gurux(names[i]);
        ck_assert_msg(row != NULL, "%s has no standard name", names[i]);
        const ds_std_name *back = ds_std_by_std(row->std, NULL);
        ck_assert_msg(back && strcmp(back->gurux, names[i]) == 0, "%s -> %s -> %s", names[i], row->std,
                      back ? back->gurux : "(none)");
    }
    ck_assert_str_eq(ds_std_by_gurux("ProposedMaxPduSize")->std, "client-max-receive-pdu-size");
    ck_assert_str_eq(ds_std_by_gurux("UInt32")->std, "double-long-unsigned");
    /* the same standard name under different parents */
    ck_assert_str_eq(ds_std_by_std("result", "AssociationResponse")->gurux, "AssociationResult");
    ck_assert_str_eq(ds_std_by_std("result", "GetResponseNormal")->gurux, "Result");
    ck_assert_str_eq(ds_std_by_std("ciphered-content", "GeneralGloCiphering")->gurux, "CipheredService");
    ck_assert_str_eq(ds_std_by_std("ciphered-content", "GeneralCiphering")->gurux, "CipheredContent");
    ck_assert_ptr_null(ds_std_by_std("no-such-thing", NULL));
    ck_assert_ptr_null(ds_std_by_gurux("NoSuchThing"));
    /* values */
    ck_assert_str_eq(ds_std_value_to_std("AccessViolated", "Result"), "scope-of-access-violated");
    ck_assert_str_eq(ds_std_value_to_gurux("scope-of-access-violated", "Result"), "AccessViolated");
    ck_assert_str_eq(ds_std_value_to_gurux("scope-of-access-violated", "Access"), "ScopeOfAccessViolated");
    ck_assert_str_eq(ds_std_value_to_gurux("long-get-aborted", "DataAccessError"), "LongGetOrReadAborted");
    ck_assert_ptr_null(ds_std_value_to_gurux("sideways", "Result"));
    ck_assert_str_eq(ds_std_bit_to_std("BlockTransferWithGetOrRead"), "block-transfer-with-get-or-read");
    ck_assert_str_eq(ds_std_bit_to_gurux("attribute0-supported-with-set"), "Attribute0SupportedWithSet");
    ck_assert_ptr_null(ds_std_bit_to_gurux("teleport"));
    /* object identifiers belong to their element: a mechanism OID in an application context
     * field stays dotted */
    ck_assert_str_eq(ds_std_value_to_gurux("2.16.756.5.8.2.0", "MechanismName"), "None");
    ck_assert_ptr_null(ds_std_value_to_gurux("2.16.756.5.8.2.0", "ApplicationContextName"));
    ck_assert_str_eq(ds_std_value_to_std("LN", "ApplicationContextName"), "2.16.756.5.8.1.1");
    ck_assert_ptr_null(ds_std_value_to_std("None", "Result"));
}
END_TEST

static Suite *std_xml_suite(void)
{
    Suite *s = suite_create("std_xml");
    TCase *tc = tcase_create("std_xml");
    tcase_add_test(tc, get_request_normal);
    tcase_add_test(tc, get_response_structure);
    tcase_add_test(tc, get_response_data_access_result);
    tcase_add_test(tc, aarq_conformance);
    tcase_add_test(tc, set_request_normal);
    tcase_add_test(tc, action_request_normal);
    tcase_add_test(tc, data_notification);
    tcase_add_test(tc, exception_response);
    tcase_add_test(tc, confirmed_service_error_scoped_value);
    tcase_add_test(tc, hand_written_input);
    tcase_add_test(tc, envelope_left_alone);
    tcase_add_test(tc, stream_with_envelope);
    tcase_add_test(tc, unknown_standard_name);
    tcase_add_test(tc, unknown_conformance_bit);
    tcase_add_test(tc, text_in_container);
    tcase_add_test(tc, text_and_elements);
    tcase_add_test(tc, unknown_enum_spelling);
    tcase_add_test(tc, sink_envelope_and_escaping);
    tcase_add_test(tc, compact_array_description);
    tcase_add_test(tc, table_both_ways);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(std_xml_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
