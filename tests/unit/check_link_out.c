/* The link layer in the encode direction: HDLC addresses, frames built from XML envelopes
 * compared with corpus bytes, decode -> encode round trips of the corpus envelopes, framing of
 * bare APDUs (sequence numbers, segmentation, wrapper), and the decoder's Size/Parameter
 * additions that make exact round trips possible. */
#include <check.h>
#include <dirent.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "encode/link_out.h"
#include "link/envelope.h"
#include "test_hex.h"

#ifndef CORPUS_DIR
#define CORPUS_DIR "testdata/corpus"
#endif

static xmlDoc *parse(const char *xml)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "test.xml", NULL, XML_PARSE_NONET);
    ck_assert_msg(doc != NULL, "XML does not parse: %s", xml);
    return doc;
}

/* A fake APDU encoder: appends fixed bytes, whatever the element. */
typedef struct fixed_apdu {
    const uint8_t *p;
    size_t n;
    int calls;
} fixed_apdu;

static int fixed_apdu_fn(void *user, ds_enc *enc, const xmlNode *apdu, ds_buf *out)
{
    fixed_apdu *f = user;
    (void)enc;
    (void)apdu;
    f->calls++;
    return ds_buf_append(out, f->p, f->n);
}

static int failing_apdu_fn(void *user, ds_enc *enc, const xmlNode *apdu, ds_buf *out)
{
    (void)user;
    (void)out;
    return ds_enc_fail(enc, apdu, "must not be called");
}

/* Encodes every envelope under the root of `xml` (or the root itself) into out.
 * Returns the number of envelopes, or -1 on the first failure (error left in enc). */
static int encode_doc(const char *xml, ds_enc *enc, ds_apdu_encode_fn fn, void *user, ds_buf *out)
{
    xmlDoc *doc = parse(xml);
    xmlNode *root = xmlDocGetRootElement(doc);
    int count = 0;
    if (ds_is_envelope(root)) {
        count = ds_envelope_encode(enc, NULL, root, fn, user, out) ? -1 : 1;
    } else {
        for (xmlNode *n = ds_x_first(root); n && count >= 0; n = ds_x_next(n)) {
            if (!ds_is_envelope(n)) continue;
            count = ds_envelope_encode(enc, NULL, n, fn, user, out) ? -1 : count + 1;
        }
    }
    xmlFreeDoc(doc);
    return count;
}

/* Encodes `xml` and checks the bytes equal the corpus vector `name` (whole file). */
static void expect_corpus(const char *xml, int decimal, ds_apdu_encode_fn fn, void *user, const char *name)
{
    static uint8_t want[1 << 16];
    size_t n = test_corpus(name, want, sizeof want);
    ds_enc enc;
    ds_enc_init(&enc, decimal);
    ds_buf out;
    ds_buf_init(&out);
    int rc = encode_doc(xml, &enc, fn, user, &out);
    ck_assert_msg(rc > 0, "%s: encode failed: %s (line %ld)", name, enc.error, enc.error_line);
    ck_assert_msg(out.len == n && memcmp(out.p, want, n) == 0, "%s: %zu bytes encoded, %zu expected", name, out.len,
                  n);
    ds_buf_free(&out);
}

/* ---- addresses ---------------------------------------------------------------------------------- */

typedef struct addr_case {
    const char *hex;
    uint32_t packed;
} addr_case;

/* Packed numbers by hand from the Gurux rule: 1 byte: b>>1; 2: upper<<7|lower; 4: upper<<14|lower. */
static const addr_case ADDRS[] = {
    {"21", 0x10},         /* public client */
    {"0223", 0x91},       /* logical 1, physical 0x11 */
    {"00020401", 0x4100}, /* logical 1, physical 256 */
    {"03", 0x01},
    {"41", 0x20},
    {"CEFF", 0x33FF},     /* logical 0x67, physical 0x7F */
};

START_TEST(address_encode_and_infer)
{
    for (size_t i = 0; i < sizeof ADDRS / sizeof ADDRS[0]; i++) {
        uint8_t want[4], got[4];
        size_t n = test_unhex(ADDRS[i].hex, want, 4);
        ck_assert_uint_eq(ds_hdlc_addr_size_for(ADDRS[i].packed), n);
        ck_assert_uint_eq(ds_hdlc_addr_encode(ADDRS[i].packed, 0, got), n);
        ck_assert_msg(memcmp(got, want, n) == 0, "address %s", ADDRS[i].hex);
        ck_assert_uint_eq(ds_hdlc_addr_encode(ADDRS[i].packed, (int)n, got), n);
        ds_hdlc_addr a;
        ck_assert_uint_eq(ds_hdlc_addr_decode(want, n, &a), n);
        ck_assert_uint_eq(a.packed, ADDRS[i].packed);
    }
}
END_TEST

START_TEST(address_explicit_sizes)
{
    uint8_t got[4];
    /* 0x11 written in 2 and 4 bytes: upper 0 */
    ck_assert_uint_eq(ds_hdlc_addr_encode(0x11, 2, got), 2);
    ck_assert_uint_eq(got[0], 0x00);
    ck_assert_uint_eq(got[1], 0x23);
    ck_assert_uint_eq(ds_hdlc_addr_encode(0x11, 4, got), 4);
    ck_assert_uint_eq(got[0], 0x00);
    ck_assert_uint_eq(got[1], 0x00);
    ck_assert_uint_eq(got[2], 0x00);
    ck_assert_uint_eq(got[3], 0x23);
    /* 0x91 in 4 bytes: upper 0, lower 0x91 = 01 0010001 -> 00 00 02 23 */
    ck_assert_uint_eq(ds_hdlc_addr_encode(0x91, 4, got), 4);
    ck_assert_uint_eq(got[2], 0x02);
    ck_assert_uint_eq(got[3], 0x23);
    /* boundaries of the inference */
    ck_assert_uint_eq(ds_hdlc_addr_size_for(0x7F), 1);
    ck_assert_uint_eq(ds_hdlc_addr_size_for(0x80), 2);
    ck_assert_uint_eq(ds_hdlc_addr_size_for(0x3FFF), 2);
    ck_assert_uint_eq(ds_hdlc_addr_size_for(0x4000), 4);
    /* too large for the size asked */
    ck_assert_uint_eq(ds_hdlc_addr_encode(0x80, 1, got), 0);
    ck_assert_uint_eq(ds_hdlc_addr_encode(0x4000, 2, got), 0);
    ck_assert_uint_eq(ds_hdlc_addr_encode(0x10000000, 4, got), 0);
    ck_assert_uint_eq(ds_hdlc_addr_encode(0x10, 3, got), 0);
    /* parameter sizes */
    ck_assert_uint_eq(ds_hdlc_param_size_for(0x05, 128), 1);
    ck_assert_uint_eq(ds_hdlc_param_size_for(0x06, 256), 2);
    ck_assert_uint_eq(ds_hdlc_param_size_for(0x05, 0x10000), 4);
    ck_assert_uint_eq(ds_hdlc_param_size_for(0x07, 1), 4);
    ck_assert_uint_eq(ds_hdlc_param_size_for(0x08, 7), 4);
}
END_TEST

/* ---- envelopes against corpus bytes ----------------------------------------------------------------- */

START_TEST(snrm_from_fields)
{
    expect_corpus("<HDLC len=\"9\"><TargetAddress Value=\"91\" /><SourceAddress Value=\"10\" />"
                  "<FrameType Value=\"93\" /><Snrm>\n</Snrm></HDLC>",
                  0, NULL, NULL, "CS-u9n-snrm");
    /* Gurux-style: lower-case names, decimal numbers */
    expect_corpus("<hdlc><targetaddress Value=\"145\" /><sourceaddress Value=\"16\" />"
                  "<frametype Value=\"93\" /><snrm /></hdlc>",
                  1, NULL, NULL, "CS-u9n-snrm");
}
END_TEST

static const char UA_XML[] =
    "<HDLC len=\"1E\" >\n<TargetAddress Value=\"10\" />\n<SourceAddress Value=\"91\" />\n"
    "<FrameType Value=\"73\" />\n<PDU>\n<Ua>\n  <MaxInfoTX Value=\"154\" />\n  <MaxInfoRX Value=\"154\" />\n"
    "  <WindowSizeTX Value=\"1\" />\n  <WindowSizeRX Value=\"1\" />\n</Ua>\n</PDU>\n</HDLC>\n";

START_TEST(ua_with_parameters)
{
    expect_corpus(UA_XML, 0, NULL, NULL, "CS-u9n-ua");
    /* the same without <PDU> around <Ua> */
    expect_corpus("<HDLC><TargetAddress Value=\"10\"/><SourceAddress Value=\"91\"/><FrameType Value=\"73\"/>"
                  "<Ua><MaxInfoTX Value=\"154\"/><MaxInfoRX Value=\"154\"/><WindowSizeTX Value=\"1\"/>"
                  "<WindowSizeRX Value=\"1\"/></Ua></HDLC>",
                  0, NULL, NULL, "CS-u9n-ua");
}
END_TEST

START_TEST(ua_4byte_address_and_sized_parameters)
{
    /* 00 02 00 23 = logical 1, physical 0x11 -> 0x4011; max-info 128 in 2 bytes (05 02 00 80) */
    static const char params[] = "<PDU><Ua><MaxInfoTX Value=\"128\" Size=\"2\" /><MaxInfoRX Value=\"128\" Size=\"2\" />"
                                 "<WindowSizeTX Value=\"1\" /><WindowSizeRX Value=\"1\" /></Ua></PDU>";
    char xml[2048];
    snprintf(xml, sizeof xml,
             "<Messages><HDLC><TargetAddress Value=\"1\" /><SourceAddress Value=\"4011\" /><FrameType Value=\"73\" />%s"
             "</HDLC><HDLC><TargetAddress Value=\"10\" /><SourceAddress Value=\"4011\" /><FrameType Value=\"73\" />%s"
             "</HDLC></Messages>",
             params, params);
    expect_corpus(xml, 0, NULL, NULL, "CS-u9n-ua-4byte-addr");
}
END_TEST

START_TEST(ua_empty_and_dm)
{
    expect_corpus("<HDLC><TargetAddress Value=\"10\"/><SourceAddress Value=\"1\"/><FrameType Value=\"73\"/><Ua>\n</Ua>"
                  "</HDLC>",
                  0, NULL, NULL, "CS-u9n-ua-empty-fiorentini");
    expect_corpus("<HDLC><TargetAddress Value=\"10\"/><SourceAddress Value=\"4100\"/><FrameType Value=\"1F\"/>"
                  "<DisconnectMode>\n</DisconnectMode></HDLC>",
                  0, NULL, NULL, "CS-gurux-dm-4byte");
    /* decimal: 0x4100 = 16640 */
    expect_corpus("<HDLC><TargetAddress Value=\"16\"/><SourceAddress Value=\"16640\"/><FrameType Value=\"1F\"/>"
                  "<DisconnectMode /></HDLC>",
                  1, NULL, NULL, "CS-gurux-dm-4byte");
}
END_TEST

START_TEST(aarq_iframe_with_pdu)
{
    uint8_t frame[256];
    size_t n = test_corpus("CS-u9n-aarq-iframe", frame, sizeof frame);
    /* 7E A0 2C 02 23 21 10 HCS(2) E6 E6 00 | APDU ... | FCS(2) 7E */
    fixed_apdu f = {frame + 12, n - 12 - 3, 0};
    ck_assert_uint_eq(frame[12], 0x60);
    expect_corpus("<HDLC len=\"2B\"><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/>"
                  "<FrameType Value=\"10\"/><PDU><AssociationRequest/></PDU></HDLC>",
                  0, fixed_apdu_fn, &f, "CS-u9n-aarq-iframe");
    ck_assert_int_eq(f.calls, 1);
    /* LLC attribute overrides the default: E6 E7 00 makes different bytes */
    ds_enc enc;
    ds_enc_init(&enc, 0);
    ds_buf out;
    ds_buf_init(&out);
    ck_assert_int_eq(encode_doc("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/>"
                                "<FrameType Value=\"10\"/><PDU LLC=\"\"><X/></PDU></HDLC>",
                                &enc, fixed_apdu_fn, &f, &out),
                     1);
    ck_assert_uint_eq(out.len, n - 3);          /* no LLC */
    ck_assert_uint_eq(out.p[2], (uint8_t)(0x2C - 3));
    ck_assert_int_eq(memcmp(out.p + 9, frame + 12, n - 15), 0);
    ds_buf_free(&out);
}
END_TEST

START_TEST(kaifa_list1_iframe)
{
    uint8_t frame[256];
    size_t n = test_corpus("HAN-NO-kaifa-list1", frame, sizeof frame);
    /* 7E A0 27 01 02 01 10 HCS(2) E6 E7 00 | 0F ... */
    fixed_apdu f = {frame + 12, n - 12 - 3, 0};
    ck_assert_uint_eq(frame[12], 0x0F);
    expect_corpus("<HDLC len=\"26\" Direction=\"RX\" Time=\"10:00:00\"><TargetAddress Value=\"0\"/>"
                  "<SourceAddress Value=\"80\"/><FrameType Value=\"10\"/><PDU><DataNotification/></PDU></HDLC>",
                  0, fixed_apdu_fn, &f, "HAN-NO-kaifa-list1");
}
END_TEST

START_TEST(wrapper_frame)
{
    uint8_t frame[256];
    size_t n = test_corpus("CS-wrapper-image-transfer-initiate", frame, sizeof frame);
    fixed_apdu f = {frame + 8, n - 8, 0};
    expect_corpus("<WRAPPER len=\"45\"><TargetAddress Value=\"1\"/><SourceAddress Value=\"1\"/>"
                  "<PDU><ActionRequest/></PDU></WRAPPER>",
                  0, fixed_apdu_fn, &f, "CS-wrapper-image-transfer-initiate");
    /* ports are not swapped: source then destination on the wire */
    ds_enc enc;
    ds_enc_init(&enc, 0);
    ds_buf out;
    ds_buf_init(&out);
    ck_assert_int_eq(encode_doc("<WRAPPER><TargetAddress Value=\"1234\"/><SourceAddress Value=\"10\"/>"
                                "<Undecoded Value=\"C001\"/></WRAPPER>",
                                &enc, NULL, NULL, &out),
                     1);
    static const uint8_t want[] = {0x00, 0x01, 0x00, 0x10, 0x12, 0x34, 0x00, 0x02, 0xC0, 0x01};
    ck_assert_uint_eq(out.len, sizeof want);
    ck_assert_int_eq(memcmp(out.p, want, sizeof want), 0);
    ds_buf_free(&out);
}
END_TEST

START_TEST(mbus_two_telegrams)
{
    static uint8_t bytes[1024];
    size_t n = test_corpus("HAN-AT-netznoe-kaifa-ma309-mbus", bytes, sizeof bytes);
    size_t first = (size_t)bytes[1] + 6;  /* 68 L L 68 ... CS 16 */
    ck_assert_uint_lt(first, n);
    static char xml[4096];
    size_t w = (size_t)snprintf(xml, sizeof xml,
                                "<Messages><WiredMBus len=\"100\"><Control Value=\"53\"/><Address Value=\"FF\"/>"
                                "<CI Value=\"00\"/><SourceAddress Value=\"01\"/><TargetAddress Value=\"67\"/>"
                                "<NextFrame Value=\"");
    for (size_t i = 9; i < first - 2; i++) w += (size_t)snprintf(xml + w, sizeof xml - w, "%02X", bytes[i]);
    w += (size_t)snprintf(xml + w, sizeof xml - w,
                          "\"/></WiredMBus><WiredMBus><Control Value=\"53\"/><Address Value=\"FF\"/><CI Value=\"11\"/>"
                          "<SourceAddress Value=\"01\"/><TargetAddress Value=\"67\"/><NextFrame Value=\"");
    for (size_t i = first + 9; i < n - 2; i++) w += (size_t)snprintf(xml + w, sizeof xml - w, "%02X", bytes[i]);
    snprintf(xml + w, sizeof xml - w, "\"/><PDU><GeneralGloCiphering/></PDU></WiredMBus></Messages>");
    /* the PDU after the segments is the reassembled view: the APDU encoder is never asked */
    expect_corpus(xml, 0, failing_apdu_fn, NULL, "HAN-AT-netznoe-kaifa-ma309-mbus");
}
END_TEST

START_TEST(mbus_short_frame_and_ack)
{
    /* REQ_UD2 to FE: 10 5B FE (5B+FE = 0x159 -> 59) 16; the single character E5 */
    ds_enc enc;
    ds_enc_init(&enc, 0);
    ds_buf out;
    ds_buf_init(&out);
    ck_assert_int_eq(encode_doc("<Messages><WiredMBus len=\"5\"><Control Value=\"5B\"/><Address Value=\"FE\"/>"
                                "</WiredMBus><WiredMBus len=\"1\"></WiredMBus></Messages>",
                                &enc, failing_apdu_fn, NULL, &out),
                     2);
    static const uint8_t want[] = {0x10, 0x5B, 0xFE, 0x59, 0x16, 0xE5};
    ck_assert_uint_eq(out.len, sizeof want);
    ck_assert(memcmp(out.p, want, sizeof want) == 0);
    ds_buf_free(&out);
}
END_TEST

/* ---- error paths ------------------------------------------------------------------------------------ */

static void expect_error(const char *xml, int decimal, const char *needle)
{
    ds_enc enc;
    ds_enc_init(&enc, decimal);
    ds_buf out;
    ds_buf_init(&out);
    ck_assert_int_eq(ds_buf_append(&out, "\x11\x22", 2), 0);
    fixed_apdu f = {(const uint8_t *)"\xC0\x01", 2, 0};
    ck_assert_msg(encode_doc(xml, &enc, fixed_apdu_fn, &f, &out) < 0, "accepted: %s", xml);
    ck_assert_msg(strstr(enc.error, needle) != NULL, "error '%s' lacks '%s'", enc.error, needle);
    ck_assert_int_gt(enc.error_line, 0);
    ck_assert_uint_eq(out.len, 2);  /* nothing written */
    ds_buf_free(&out);
}

START_TEST(envelope_errors)
{
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/></HDLC>", 0, "FrameType");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><FrameType Value=\"10\"/></HDLC>", 0, "SourceAddress");
    expect_error("<HDLC><TargetAddress Value=\"91\" Size=\"1\"/><SourceAddress Value=\"10\"/>"
                 "<FrameType Value=\"10\"/></HDLC>",
                 0, "does not fit");
    expect_error("<HDLC><TargetAddress Value=\"91\" Size=\"3\"/><SourceAddress Value=\"10\"/>"
                 "<FrameType Value=\"10\"/></HDLC>",
                 0, "1, 2 or 4");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/><FrameType Value=\"1FF\"/></HDLC>",
                 0, "does not fit");
    expect_error("<HDLC><TargetAddress Value=\"9G\"/><SourceAddress Value=\"10\"/><FrameType Value=\"10\"/></HDLC>",
                 0, "not a hex");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/><FrameType Value=\"10\"/>"
                 "<Bogus/></HDLC>",
                 0, "Bogus");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/><FrameType Value=\"10\"/>"
                 "<NextFrame Value=\"ABC\"/></HDLC>",
                 0, "odd");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/><FrameType Value=\"93\"/>"
                 "<Snrm><MaxInfoTX Value=\"300\" Size=\"1\"/></Snrm></HDLC>",
                 0, "does not fit");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/><FrameType Value=\"93\"/>"
                 "<Snrm><Parameter Id=\"09\" Value=\"0102030405\"/></Snrm></HDLC>",
                 0, "1 to 4");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/><FrameType Value=\"93\"/>"
                 "<Snrm><Window Value=\"1\"/></Snrm></HDLC>",
                 0, "not an HDLC parameter");
    expect_error("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/><FrameType Value=\"10\"/>"
                 "<PDU><X/></PDU><PDU><X/></PDU></HDLC>",
                 0, "second");
    expect_error("<WRAPPER><TargetAddress Value=\"10000\"/><SourceAddress Value=\"1\"/></WRAPPER>", 0, "does not fit");
    expect_error("<WRAPPER><SourceAddress Value=\"1\"/></WRAPPER>", 0, "TargetAddress");
    /* Control and Address alone are a short frame (mbus_short_frame_and_ack); with data, CI is missing */
    expect_error("<WiredMBus><Control Value=\"53\"/><Address Value=\"FF\"/><Undecoded Value=\"01\"/></WiredMBus>", 0,
                 "CI");
    expect_error("<WiredMBus><Control Value=\"53\"/></WiredMBus>", 0, "CI");
    expect_error("<WiredMBus><Control Value=\"53\"/><Address Value=\"FF\"/><CI Value=\"00\"/>"
                 "<SourceAddress Value=\"01\"/></WiredMBus>",
                 0, "go together");
}
END_TEST

START_TEST(not_an_envelope_and_big_info)
{
    ds_enc enc;
    ds_enc_init(&enc, 0);
    ds_buf out;
    ds_buf_init(&out);
    xmlDoc *doc = parse("<GetRequest/>");
    ck_assert_int_eq(ds_envelope_encode(&enc, NULL, xmlDocGetRootElement(doc), NULL, NULL, &out), -1);
    ck_assert_ptr_nonnull(strstr(enc.error, "not a frame envelope"));
    xmlFreeDoc(doc);
    /* 2040 info bytes cannot fit the 11-bit length */
    static char xml[8192];
    size_t w = (size_t)snprintf(xml, sizeof xml, "<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/>"
                                                 "<FrameType Value=\"10\"/><Undecoded Value=\"");
    for (int i = 0; i < 2040; i++) w += (size_t)snprintf(xml + w, sizeof xml - w, "AB");
    snprintf(xml + w, sizeof xml - w, "\"/></HDLC>");
    ds_enc_init(&enc, 0);
    ck_assert_int_eq(encode_doc(xml, &enc, NULL, NULL, &out), -1);
    ck_assert_ptr_nonnull(strstr(enc.error, "do not fit"));
    ck_assert_uint_eq(out.len, 0);
    /* a PDU with an APDU element and no encoder */
    ds_enc_init(&enc, 0);
    ck_assert_int_eq(encode_doc("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/>"
                                "<FrameType Value=\"10\"/><PDU><GetRequest/></PDU></HDLC>",
                                &enc, NULL, NULL, &out),
                     -1);
    ck_assert_ptr_nonnull(strstr(enc.error, "no APDU encoder"));
    /* the APDU encoder's failure stops the frame */
    ds_enc_init(&enc, 0);
    ck_assert_int_eq(encode_doc("<HDLC><TargetAddress Value=\"91\"/><SourceAddress Value=\"10\"/>"
                                "<FrameType Value=\"10\"/><PDU><GetRequest/></PDU></HDLC>",
                                &enc, failing_apdu_fn, NULL, &out),
                     -1);
    ck_assert_ptr_nonnull(strstr(enc.error, "must not be called"));
    ck_assert_uint_eq(out.len, 0);
    ds_buf_free(&out);
}
END_TEST

/* ---- decode -> encode over the corpus -------------------------------------------------------------- */

#define MAX_FRAMES 64

typedef struct framed {
    size_t count;
    int diags;
    int all_framed;
    struct {
        ds_link_kind kind;
        uint8_t wire[2200];
        size_t wire_len;
        uint8_t apdu[2100];  /* the payload the decoder shows in an unsegmented <PDU> */
        size_t apdu_len;
    } f[MAX_FRAMES];
} framed;

static void collect_frame(void *user, const ds_frame *f)
{
    framed *fs = user;
    if (f->kind == DS_LINK_RAW) fs->all_framed = 0;
    if (fs->count >= MAX_FRAMES || f->wire_len > sizeof fs->f[0].wire || f->info_len > sizeof fs->f[0].apdu) {
        fs->all_framed = 0;
        return;
    }
    size_t i = fs->count++;
    fs->f[i].kind = f->kind;
    memcpy(fs->f[i].wire, f->wire, f->wire_len);
    fs->f[i].wire_len = f->wire_len;
    size_t llc = f->kind == DS_LINK_HDLC ? (f->info_len >= 3 && f->info[0] == 0xE6 ? 3 : 0) : 0;
    fs->f[i].apdu_len = f->info_len - llc;
    if (f->info_len > llc) memcpy(fs->f[i].apdu, f->info + llc, f->info_len - llc);
}

static void framer_diag(void *user, const ds_diag *d)
{
    (void)d;
    ((framed *)user)->diags++;
}

static void count_diag(void *user, const ds_diag *d)
{
    if (getenv("SHOW_DIAGS")) fprintf(stderr, "diag %s: %s\n", d->code, d->message);
    (*(int *)user)++;
}

typedef struct frame_apdu {
    const uint8_t *p;
    size_t n;
} frame_apdu;

static int frame_apdu_fn(void *user, ds_enc *enc, const xmlNode *apdu, ds_buf *out)
{
    frame_apdu *fa = user;
    (void)enc;
    (void)apdu;
    return ds_buf_append(out, fa->p, fa->n);
}

/* Returns 1 when the vector was checked, 0 when it does not qualify (raw, diagnostics unless
 * allow_diags). */
static int round_trip(const char *name, int decimal, int allow_diags)
{
    static uint8_t bytes[1 << 16];
    static framed fs;
    size_t n = test_corpus(name, bytes, sizeof bytes);
    memset(&fs, 0, sizeof fs);
    fs.all_framed = 1;
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, collect_frame, framer_diag, &fs);
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    ds_framer_feed(fr, bytes, n, 0, &meta);
    ds_framer_flush(fr);
    ds_framer_free(fr);
    if (!fs.all_framed || fs.count == 0 || (fs.diags && !allow_diags)) return 0;

    /* decode the vector to XML with the library, comments on */
    char path[512];
    snprintf(path, sizeof path, "%s/%s.hex", CORPUS_DIR, name);
    FILE *in = fopen(path, "r");
    ck_assert_ptr_nonnull(in);
    char *xml = NULL;
    size_t xml_len = 0;
    FILE *out = open_memstream(&xml, &xml_len);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_xml_sink_set_decimal(sink, decimal);
    ds_options opt;
    ds_options_init(&opt);
    opt.decimal = decimal;
    opt.comments = 1;
    int ddiags = 0;
    sink->begin_document(sink);
    int rc = ds_decode_stream(in, DS_INPUT_AUTO, &opt, sink, count_diag, &ddiags, NULL);
    sink->end_document(sink);
    ds_sink_destroy(sink);
    fclose(out);
    fclose(in);
    if (rc != 0 || (ddiags && !allow_diags)) {
        free(xml);
        return 0;
    }

    xmlDoc *doc = parse(xml);
    xmlNode *root = xmlDocGetRootElement(doc);
    size_t k = 0;
    for (xmlNode *env = ds_x_first(root); env; env = ds_x_next(env)) {
        if (!ds_is_envelope(env)) continue;
        ck_assert_msg(k < fs.count, "%s: more envelopes than frames", name);
        ds_enc enc;
        ds_enc_init(&enc, decimal);
        ds_buf frame;
        ds_buf_init(&frame);
        frame_apdu fa = {fs.f[k].apdu, fs.f[k].apdu_len};
        int erc = ds_envelope_encode(&enc, NULL, env, frame_apdu_fn, &fa, &frame);
        ck_assert_msg(erc == 0, "%s frame %zu: %s (line %ld)", name, k + 1, enc.error, enc.error_line);
        ck_assert_msg(frame.len == fs.f[k].wire_len && memcmp(frame.p, fs.f[k].wire, frame.len) == 0,
                      "%s frame %zu (%s): re-encoded bytes differ (%zu vs %zu)", name, k + 1,
                      decimal ? "decimal" : "hex", frame.len, fs.f[k].wire_len);
        ds_buf_free(&frame);
        k++;
    }
    ck_assert_msg(k == fs.count, "%s: %zu envelopes for %zu frames", name, k, fs.count);
    xmlFreeDoc(doc);
    free(xml);
    return 1;
}

START_TEST(corpus_round_trip)
{
    DIR *dir = opendir(CORPUS_DIR);
    ck_assert_ptr_nonnull(dir);
    struct dirent *de;
    int checked = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".hex") != 0) continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), de->d_name);
        int a = round_trip(name, 0, 0);
        int b = round_trip(name, 1, 0);
        ck_assert_int_eq(a, b);
        checked += a;
        if (getenv("SHOW_VECTORS")) fprintf(stderr, "%s %s\n", a ? "checked" : "skipped", name);
    }
    closedir(dir);
    /* 25 framed clean vectors when written; a drop here means vectors stopped qualifying */
    ck_assert_int_ge(checked, 20);
}
END_TEST

/* M-Bus with the L quirk (L = 01 for 257 user bytes; a warning, not an error): the encoder
 * writes L the same way */
START_TEST(mbus_l_quirk_round_trip)
{
    ck_assert_int_eq(round_trip("HAN-AT-evn-sagemcom-mbus-L01", 0, 1), 1);
    ck_assert_int_eq(round_trip("HAN-AT-evn-sagemcom-mbus-L01", 1, 1), 1);
}
END_TEST

/* ---- decoder additions: Size and Parameter ------------------------------------------------------- */

/* Decodes frame bytes (comments off) into a malloc'd XML string. */
static char *decode_xml(const uint8_t *p, size_t n, int decimal, int *diags)
{
    char *xml = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&xml, &len);
    ds_sink *sink = ds_xml_sink_new(out);
    ds_options opt;
    ds_options_init(&opt);
    opt.comments = 0;
    opt.decimal = decimal;
    *diags = 0;
    ds_decoder *d = ds_decoder_new(&opt, sink, count_diag, diags);
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    ds_decoder_feed(d, p, n, 0, &meta);
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    fclose(out);
    return xml;
}

START_TEST(decoder_sizes_round_trip)
{
    /* UA from 00 23 (0x11 in 2 bytes) to 00 00 00 21 (0x10 in 4 bytes); parameters:
     * max-info TX 154 in 2 bytes, RX 154 in 1, window TX 1 in 1 byte, window RX 1 in 4,
     * unknown 09 with 2 bytes 01 02 */
    static const uint8_t dst[] = {0x00, 0x23}, src[] = {0x00, 0x00, 0x00, 0x21};
    static const uint8_t info[] = {0x81, 0x80, 0x14, 0x05, 0x02, 0x00, 0x9A, 0x06, 0x01, 0x9A, 0x07, 0x01,
                                   0x01, 0x08, 0x04, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x01, 0x02};
    ds_buf frame;
    ds_buf_init(&frame);
    ck_assert_int_eq(ds_hdlc_build(&frame, dst, 2, src, 4, 0x73, 0, info, sizeof info), 0);
    int diags;
    char *xml = decode_xml(frame.p, frame.len, 0, &diags);
    ck_assert_int_eq(diags, 0);
    /* the decoder writes no <Messages> root itself (the caller's sink does) */
    static const char want[] =
        "<HDLC len=\"23\" >\n"
        "<TargetAddress Value=\"11\" Size=\"2\" />\n"
        "<SourceAddress Value=\"10\" Size=\"4\" />\n"
        "<FrameType Value=\"73\" />\n<PDU>\n<Ua>\n"
        "  <MaxInfoTX Value=\"154\" Size=\"2\" />\n"
        "  <MaxInfoRX Value=\"154\" />\n"
        "  <WindowSizeTX Value=\"1\" Size=\"1\" />\n"
        "  <WindowSizeRX Value=\"1\" />\n"
        "  <Parameter Id=\"09\" Value=\"0102\" />\n"
        "</Ua>\n</PDU>\n</HDLC>\n";
    ck_assert_str_eq(xml, want);
    ds_enc enc;
    ds_enc_init(&enc, 0);
    ds_buf again;
    ds_buf_init(&again);
    ck_assert_int_eq(encode_doc(xml, &enc, NULL, NULL, &again), 1);
    ck_assert_uint_eq(again.len, frame.len);
    ck_assert_int_eq(memcmp(again.p, frame.p, frame.len), 0);
    free(xml);
    /* decimal: same bytes back */
    xml = decode_xml(frame.p, frame.len, 1, &diags);
    ck_assert_ptr_nonnull(strstr(xml, "<TargetAddress Value=\"17\" Size=\"2\" />"));
    ds_enc_init(&enc, 1);
    ds_buf_reset(&again);
    ck_assert_int_eq(encode_doc(xml, &enc, NULL, NULL, &again), 1);
    ck_assert_uint_eq(again.len, frame.len);
    ck_assert_int_eq(memcmp(again.p, frame.p, frame.len), 0);
    free(xml);
    ds_buf_free(&again);
    ds_buf_free(&frame);
}
END_TEST

/* Builds an HDLC frame, decodes it (hex and decimal), re-encodes the envelope and compares. The
 * fake APDU encoder hands back the info field minus the LLC the decoder strips. */
static void hdlc_round_trip(uint8_t control, int segmented, const char *info_hex, const char *must_contain)
{
    static const uint8_t dst[] = {0x02, 0x23}, src[] = {0x21};
    uint8_t info[256];
    size_t n = test_unhex(info_hex, info, sizeof info);
    ds_buf frame;
    ds_buf_init(&frame);
    ck_assert_int_eq(ds_hdlc_build(&frame, dst, 2, src, 1, control, segmented, info, n), 0);
    size_t llc = n >= 3 && info[0] == 0xE6 && (info[1] == 0xE6 || info[1] == 0xE7) && info[2] == 0 ? 3 : 0;
    for (int decimal = 0; decimal < 2; decimal++) {
        int diags;
        char *xml = decode_xml(frame.p, frame.len, decimal, &diags);
        ck_assert_msg(strstr(xml, must_contain) != NULL, "%s lacks %s", xml, must_contain);
        ds_enc enc;
        ds_enc_init(&enc, decimal);
        ds_buf again;
        ds_buf_init(&again);
        fixed_apdu f = {info + llc, n - llc, 0};
        ck_assert_msg(encode_doc(xml, &enc, fixed_apdu_fn, &f, &again) == 1, "%s: %s", xml, enc.error);
        ck_assert_msg(again.len == frame.len && memcmp(again.p, frame.p, frame.len) == 0, "differs: %s", xml);
        ds_buf_free(&again);
        free(xml);
    }
    ds_buf_free(&frame);
}

START_TEST(frame_kinds_round_trip)
{
    hdlc_round_trip(0x31, 0, "", "<Command Value=\"NextFrame\" />");        /* RR N(R)=1 */
    hdlc_round_trip(0x35, 0, "", "<Command Value=\"NextFrame\" />");        /* RNR */
    hdlc_round_trip(0x53, 0, "", "<DisconnectRequest>");                     /* DISC */
    hdlc_round_trip(0x97, 0, "0102030405", "<UnacceptableFrame>");           /* FRMR with a reason */
    hdlc_round_trip(0x93, 0, "818003050180", "<Snrm>");                      /* SNRM, one parameter */
    hdlc_round_trip(0x73, 0, "0102", "<Undecoded Value=\"0102\" />");        /* UA, not a parameter group */
    hdlc_round_trip(0x10, 0, "", "<FrameType Value=\"10\" />");              /* I frame without info */
    hdlc_round_trip(0x10, 0, "C001C1000800000100FF0200", "<PDU LLC=\"\" >"); /* no LLC */
    hdlc_round_trip(0x10, 0, "E6E700C001C1000800000100FF0200", "<PDU LLC=\"E6E700\" >");
    hdlc_round_trip(0x13, 0, "E6E600C001C1000800000100FF0200", "<GetRequest>"); /* UI frame */
    hdlc_round_trip(0x10, 1, "E6E600C001C100", "<NextFrame Value=\"E6E600C001C100\" />"); /* first segment */
}
END_TEST

/* ---- the sink extension used for Size ------------------------------------------------------------ */

static char *sink_text(ds_sink *(*make)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ds_sink *s = make(out);
    ds_attr attrs[2] = {DS_ATTR("Value", "11"), DS_ATTR("Size", "4")};
    ds_sink_leaf_attrs(s, "TargetAddress", attrs, 2);
    ds_attr other[2] = {DS_ATTR("Id", "09"), DS_ATTR("Value", "0102")};
    ds_sink_leaf_attrs(s, "Parameter", other, 2);
    ds_sink_destroy(s);
    fclose(out);
    return text;
}

static char LAST_LEAF[128];

static void record_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    (void)s;
    ck_assert_uint_eq(name_len, strlen(name));
    snprintf(LAST_LEAF, sizeof LAST_LEAF, "%s %zu %s=%s", name, nattrs, nattrs ? attrs[0].name : "-",
             nattrs ? attrs[0].value : "-");
}

START_TEST(sink_leaf_attrs)
{
    char *xml = sink_text(ds_xml_sink_new);
    ck_assert_str_eq(xml, "<TargetAddress Value=\"11\" Size=\"4\" />\n<Parameter Id=\"09\" Value=\"0102\" />\n");
    free(xml);
    char *json = sink_text(ds_json_sink_new);
    ck_assert_ptr_nonnull(strstr(json, "\"TargetAddress\":{\"@Value\":\"11\",\"@Size\":\"4\"}"));
    ck_assert_ptr_nonnull(strstr(json, "\"Parameter\":{\"@Id\":\"09\",\"@Value\":\"0102\"}"));
    free(json);
    /* ds_sink_leaf_attrs() measures the name and hands everything over; a sink without
     * leaf_attrs is left alone */
    ds_sink bare;
    memset(&bare, 0, sizeof bare);
    bare.leaf_attrs = record_leaf_attrs;
    ds_attr attrs[2] = {DS_ATTR("Value", "11"), DS_ATTR("Size", "4")};
    ds_sink_leaf_attrs(&bare, "TargetAddress", attrs, 2);
    ck_assert_str_eq(LAST_LEAF, "TargetAddress 2 Value=11");
    LAST_LEAF[0] = '\0';
    bare.leaf_attrs = NULL;
    ds_sink_leaf_attrs(&bare, "TargetAddress", attrs, 2);
    ck_assert_str_eq(LAST_LEAF, "");
    ds_sink *null = ds_null_sink_new();
    ds_sink_leaf_attrs(null, "TargetAddress", attrs, 2);
    ds_sink_destroy(null);
}
END_TEST

/* ---- framing bare APDUs ---------------------------------------------------------------------------- */

typedef struct frames_out {
    size_t count;
    uint8_t f[8][2200];
    size_t len[8];
} frames_out;

static int keep_frame(void *user, const uint8_t *p, size_t n)
{
    frames_out *fo = user;
    ck_assert_uint_lt(fo->count, 8);
    ck_assert_uint_le(n, sizeof fo->f[0]);
    memcpy(fo->f[fo->count], p, n);
    fo->len[fo->count++] = n;
    return 0;
}

typedef struct seen {
    size_t count;
    ds_frame f[8];
    uint8_t info[8][256];
} seen;

static void keep_seen(void *user, const ds_frame *f)
{
    seen *s = user;
    if (s->count >= 8) return;
    s->f[s->count] = *f;
    memcpy(s->info[s->count], f->info, f->info_len < 256 ? f->info_len : 256);
    s->count++;
}

START_TEST(segmentation)
{
    static uint8_t apdu[300];
    apdu[0] = 0xC0;  /* a get-request: client -> server, LLC E6 E6 00 */
    for (size_t i = 1; i < sizeof apdu; i++) apdu[i] = (uint8_t)i;
    ds_link_opts o;
    ds_link_opts_init(&o);
    o.kind = DS_LINK_HDLC;
    o.server_lower = 0x11;
    o.server_size = 2;
    ds_link_state st;
    ds_link_state_init(&st);
    static frames_out fo;
    memset(&fo, 0, sizeof fo);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, apdu, sizeof apdu, keep_frame, &fo), 0);
    ck_assert_uint_eq(fo.count, 3);
    /* 303 info bytes: 128 + 128 + 47; frame length = 2 + 2 + 1 + 1 + 2 + info + 2 */
    static const size_t info_len[3] = {128, 128, 47};
    static const uint8_t control[3] = {0x10, 0x12, 0x14};
    for (size_t i = 0; i < 3; i++) {
        const uint8_t *f = fo.f[i];
        size_t flen = 10 + info_len[i];
        ck_assert_uint_eq(fo.len[i], flen + 2);
        ck_assert_uint_eq(f[1], (uint8_t)(0xA0 | (i < 2 ? 0x08 : 0) | (flen >> 8)));
        ck_assert_uint_eq(f[2], (uint8_t)(flen & 0xFF));
        ck_assert_uint_eq(f[3], 0x02);  /* server 1/0x11 */
        ck_assert_uint_eq(f[4], 0x23);
        ck_assert_uint_eq(f[5], 0x21);  /* client 0x10 */
        ck_assert_uint_eq(f[6], control[i]);
    }
    ck_assert_uint_eq(fo.f[0][9], 0xE6);
    ck_assert_uint_eq(fo.f[0][10], 0xE6);
    ck_assert_uint_eq(fo.f[0][11], 0x00);
    ck_assert_uint_eq(fo.f[0][12], 0xC0);
    ck_assert_uint_eq(fo.f[1][9], 125);  /* second segment continues the APDU: byte 125 */
    ck_assert_uint_eq(fo.f[2][9], 253);

    /* the library's framer accepts them: checks, S bits, info */
    static seen s;
    memset(&s, 0, sizeof s);
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, keep_seen, NULL, &s);
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    uint64_t off = 0;
    for (size_t i = 0; i < 3; i++) {
        ds_framer_feed(fr, fo.f[i], fo.len[i], off, &meta);
        off += fo.len[i];
    }
    ds_framer_flush(fr);
    ds_framer_free(fr);
    ck_assert_uint_eq(s.count, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(s.f[i].checks_ok, 1);
        ck_assert_int_eq(s.f[i].u.hdlc.segmented, i < 2);
        ck_assert_int_eq(s.f[i].u.hdlc.hcs_ok, 1);
        ck_assert_int_eq(s.f[i].u.hdlc.fcs_ok, 1);
        ck_assert_uint_eq(s.f[i].info_len, info_len[i]);
        ck_assert_int_eq(s.f[i].u.hdlc.ns, (int)i);
    }
}
END_TEST

START_TEST(sequence_numbers)
{
    static const uint8_t req[] = {0xC0, 0x01, 0xC1, 0x00, 0x08, 0, 0, 1, 0, 0, 0xFF, 0x02, 0x00};
    static const uint8_t resp[] = {0xC4, 0x01, 0xC1, 0x00, 0x09, 0x00};
    static const uint8_t want[5] = {0x10, 0x30, 0x32, 0x52, 0x54};
    ds_link_opts o;
    ds_link_opts_init(&o);
    o.kind = DS_LINK_HDLC;
    o.server_lower = 0x11;
    o.server_size = 2;
    ds_link_state st;
    ds_link_state_init(&st);
    static frames_out fo;
    for (int i = 0; i < 5; i++) {
        memset(&fo, 0, sizeof fo);
        const uint8_t *p = i % 2 ? resp : req;
        size_t n = i % 2 ? sizeof resp : sizeof req;
        ck_assert_int_eq(ds_link_frame_apdu(&o, &st, p, n, keep_frame, &fo), 0);
        ck_assert_uint_eq(fo.count, 1);
        ck_assert_uint_eq(fo.f[0][6], want[i]);
        /* responses go to the client: dst 21, src 02 23, LLC E6 E7 00 */
        ck_assert_uint_eq(fo.f[0][3], i % 2 ? 0x21 : 0x02);
        ck_assert_uint_eq(fo.f[0][10], i % 2 ? 0xE7 : 0xE6);
    }
    /* 4-byte and 1-byte server addresses from the options */
    o.server_upper = 1;
    o.server_lower = 256;
    o.server_size = 0;
    memset(&fo, 0, sizeof fo);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), 0);
    ck_assert_int_eq(memcmp(fo.f[0] + 3, "\x00\x02\x04\x01\x21", 5), 0);
    o.server_size = 1;
    o.server_lower = 0;
    memset(&fo, 0, sizeof fo);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), 0);
    ck_assert_int_eq(memcmp(fo.f[0] + 3, "\x03\x21", 2), 0);
    /* bad options */
    o.server_lower = 5;  /* a 1-byte address has no physical part */
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), -1);
    o.server_lower = 0;
    o.max_info = 4000;
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), -1);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, 0, keep_frame, &fo), -1);
}
END_TEST

static int stop_at_first(void *user, const uint8_t *p, size_t n)
{
    (void)p;
    (void)n;
    (*(int *)user)++;
    return 7;
}

/* One set of defaults: the framing's are the encoder options' (they disagreed on the client
 * wPort: 1, the management client, against 16). REFERENCE §2.1: wPort 16 = public client, 1 =
 * management logical device; so a default wrapper request is 00 01 | 00 10 | 00 01 | length. */
START_TEST(defaults_are_the_encoder_options)
{
    ds_link_opts o;
    ds_link_opts_init(&o);
    ck_assert_int_eq(o.kind, DS_LINK_RAW);
    ck_assert_uint_eq(o.wport_client, 16);
    ck_assert_uint_eq(o.wport_server, 1);
    ck_assert_uint_eq(o.client_sap, 16);
    ck_assert_uint_eq(o.server_upper, 1);
    ck_assert_uint_eq(o.server_lower, 0);
    ck_assert_int_eq(o.server_size, 1);
    ck_assert_uint_eq(o.max_info, 128);
    ds_encode_options eo;
    ds_encode_options_init(&eo);
    ds_link_opts from;
    ds_link_opts_from_encode_options(&from, &eo);
    ck_assert_int_eq(memcmp(&o, &from, sizeof o), 0);

    static const uint8_t req[] = {0xC0, 0x01, 0x81};
    o.kind = DS_LINK_WRAPPER;
    ds_link_state st;
    ds_link_state_init(&st);
    static frames_out fo;
    memset(&fo, 0, sizeof fo);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), 0);
    ck_assert_uint_eq(fo.len[0], 11);
    ck_assert_int_eq(memcmp(fo.f[0], "\x00\x01\x00\x10\x00\x01\x00\x03\xC0\x01\x81", 11), 0);
    /* HDLC: server 1 in one byte (1<<1|1 = 03), client 16 (16<<1|1 = 21) */
    o.kind = DS_LINK_HDLC;
    memset(&fo, 0, sizeof fo);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), 0);
    ck_assert_uint_eq(fo.f[0][3], 0x03);
    ck_assert_uint_eq(fo.f[0][4], 0x21);
}
END_TEST

START_TEST(wrapper_and_raw_framing)
{
    static const uint8_t req[] = {0xC0, 0x01, 0x81};
    static const uint8_t resp[] = {0xC4, 0x01, 0x81, 0x00};
    ds_link_opts o;
    ds_link_opts_init(&o);
    o.kind = DS_LINK_WRAPPER;
    o.wport_client = 0x10;
    o.wport_server = 0x01;
    ds_link_state st;
    ds_link_state_init(&st);
    static frames_out fo;
    memset(&fo, 0, sizeof fo);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), 0);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, resp, sizeof resp, keep_frame, &fo), 0);
    ck_assert_uint_eq(fo.len[0], 11);
    ck_assert_int_eq(memcmp(fo.f[0], "\x00\x01\x00\x10\x00\x01\x00\x03\xC0\x01\x81", 11), 0);
    ck_assert_uint_eq(fo.len[1], 12);
    ck_assert_int_eq(memcmp(fo.f[1], "\x00\x01\x00\x01\x00\x10\x00\x04\xC4\x01\x81\x00", 12), 0);
    o.kind = DS_LINK_RAW;
    memset(&fo, 0, sizeof fo);
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, req, sizeof req, keep_frame, &fo), 0);
    ck_assert_uint_eq(fo.len[0], 3);
    ck_assert_int_eq(memcmp(fo.f[0], req, 3), 0);
    /* the sink's stop value comes back, and no more frames are made */
    static uint8_t big[400];
    big[0] = 0xC0;
    o.kind = DS_LINK_HDLC;
    int calls = 0;
    ck_assert_int_eq(ds_link_frame_apdu(&o, &st, big, sizeof big, stop_at_first, &calls), 7);
    ck_assert_int_eq(calls, 1);
}
END_TEST

static Suite *link_out_suite(void)
{
    Suite *s = suite_create("link_out");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, address_encode_and_infer);
    tcase_add_test(t, address_explicit_sizes);
    tcase_add_test(t, snrm_from_fields);
    tcase_add_test(t, ua_with_parameters);
    tcase_add_test(t, ua_4byte_address_and_sized_parameters);
    tcase_add_test(t, ua_empty_and_dm);
    tcase_add_test(t, aarq_iframe_with_pdu);
    tcase_add_test(t, kaifa_list1_iframe);
    tcase_add_test(t, wrapper_frame);
    tcase_add_test(t, mbus_two_telegrams);
    tcase_add_test(t, envelope_errors);
    tcase_add_test(t, mbus_short_frame_and_ack);
    tcase_add_test(t, not_an_envelope_and_big_info);
    tcase_add_test(t, corpus_round_trip);
    tcase_add_test(t, mbus_l_quirk_round_trip);
    tcase_add_test(t, decoder_sizes_round_trip);
    tcase_add_test(t, frame_kinds_round_trip);
    tcase_add_test(t, sink_leaf_attrs);
    tcase_add_test(t, segmentation);
    tcase_add_test(t, sequence_numbers);
    tcase_add_test(t, wrapper_and_raw_framing);
    tcase_add_test(t, defaults_are_the_encoder_options);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(link_out_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    xmlCleanupParser();
    return failed ? 1 : 0;
}
