/* The diagnoser through the public API: findings of APDU records fed to a decoder, image block
 * numbers beyond what is tracked, and the same findings whatever the pieces the bytes come in. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"

typedef struct seen {
    char codes[2048];
    char fields[4096];         /* "code: key=value ...;" of every finding */
    size_t n;
    int no_frames;
    char last_hint[1024];      /* the hint of the last finding */
} seen;

static void collect(void *user, const ds_finding *f)
{
    seen *s = user;
    size_t len = strlen(s->codes);
    snprintf(s->codes + len, sizeof s->codes - len, "%s@%llu ", f->code, (unsigned long long)f->frame);
    len = strlen(s->fields);
    snprintf(s->fields + len, sizeof s->fields - len, "%s:", f->code);
    for (size_t i = 0; i < f->nfields; i++) {
        len = strlen(s->fields);
        snprintf(s->fields + len, sizeof s->fields - len, " %s=%s", f->fields[i].key, f->fields[i].value);
    }
    len = strlen(s->fields);
    snprintf(s->fields + len, sizeof s->fields - len, ";");
    snprintf(s->last_hint, sizeof s->last_hint, "%s", f->hint ? f->hint : "");
    s->n++;
}

/* Each hex string is one record (a raw APDU), as the lines of a log; keys may be NULL */
static seen diagnose_records_keys(const char *const *hex, size_t n, const ds_keyring *keys)
{
    seen s;
    memset(&s, 0, sizeof s);
    ds_diagnoser *g = ds_diagnoser_new(collect, &s);
    ck_assert_ptr_nonnull(g);
    ds_options opt;
    ds_options_init(&opt);
    opt.link = DS_LINK_RAW;
    opt.keys = keys;
    ds_diagnoser_options(g, &opt);
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = ds_decoder_new(&opt, sink, ds_diagnoser_diag, g);
    ck_assert_ptr_nonnull(d);
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        uint8_t *p = ds_hex_parse_text(hex[i], strlen(hex[i]), &len);
        ck_assert_ptr_nonnull(p);
        ds_meta meta = {0};
        meta.dir = i % 2 ? DS_DIR_RX : DS_DIR_TX;
        ds_decoder_boundary(d);
        ds_decoder_feed(d, p, len, offset, &meta);
        offset += len;
        free(p);
    }
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    ds_diagnoser_end(g);
    s.no_frames = ds_diagnoser_no_frames(g);
    ds_diagnoser_free(g);
    return s;
}

static seen diagnose_records(const char *const *hex, size_t n)
{
    return diagnose_records_keys(hex, n, NULL);
}

/* AARQ with mechanism LOW, AARE accepted (REFERENCE §5), a disconnect refused (action-result 3) */
static const char *const LOW_DISCONNECT[] = {
    "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
    "BE10040E01000000065F1F0400001E1DFFFF",
    "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D04000007",
    "C301C10046000060030AFF01010F00",
    "C701C10300",
};

START_TEST(disconnect_refused_on_low)
{
    seen s = diagnose_records(LOW_DISCONNECT, 4);
    ck_assert_str_eq(s.codes, "app.action-result@4 ");
    ck_assert_int_eq(s.no_frames, 0);
}
END_TEST

/* The last line is missing: the request has no answer when the trace ends (frame 3 asked) */
START_TEST(request_without_answer_at_end)
{
    seen s = diagnose_records(LOW_DISCONNECT, 3);
    ck_assert_str_eq(s.codes, "service.no-answer@3 ");
}
END_TEST

/* image_block_transfer with block numbers 0 and 4294967295 (beyond the tracked 65536): no
 * crash, no memory beyond the bitmaps; the missing blocks are counted within what is tracked */
START_TEST(image_block_numbers_out_of_range)
{
    static const char *const HUGE[] = {
        "C301C1001200002C0000FF01010202090449 4D4731 06000000C0",
        "C701C10000",
        "C301C1001200002C0000FF0201020206000000000904AABBCCDD",
        "C701C10000",
        "C301C1001200002C0000FF020102020 6FFFFFFFF0904AABBCCDD",
        "C701C10000",
    };
    seen s = diagnose_records(HUGE, 6);
    ck_assert_ptr_nonnull(strstr(s.codes, "image.block-size-not-read@1"));
    ck_assert_ptr_nonnull(strstr(s.codes, "image.transfer@6"));
}
END_TEST

/* An image of 16 bytes in 8-byte blocks; block 0's ACTION in two parameter blocks (action-request-
 * with-first-pblock C3 04, answered next-pblock C7 04, then with-pblock C3 06 with the last-block
 * flag), block 1's in one: the parameter structure{double-long-unsigned 0, octet-string(8)} split
 * after its octet-string tag (IEC 62056-5-3 DataBlock-SA: last-block, block-number, raw-data) */
START_TEST(image_block_in_pblocks)
{
    static const char *const PBLOCKS[] = {
        "C301C1001200002C0000FF01010202090246310600000010",
        "C701C10000",
        "C304C1001200002C0000FF0200000000010802020600000000 09",
        "C704C100000001",
        "C306C10100000002 09 080102030405060708",
        "C701C10000",
        "C301C1001200002C0000FF02010202060000000109081112131415161718",
        "C701C10000",
    };
    seen s = diagnose_records(PBLOCKS, 8);
    ck_assert_str_eq(s.codes, "image.block-size-not-read@1 image.transfer@8 ");
    ck_assert_msg(strstr(s.fields, "image.transfer: identifier=F1 size=16 blocks_sent=2 blocks_acknowledged=2") != NULL,
                  "%s", s.fields);
}
END_TEST

/* An HDLC trace (testdata/diagnose/link-sequence.hex's frames) fed at once and a byte at a time */
static seen diagnose_stream(const uint8_t *p, size_t n, size_t piece)
{
    seen s;
    memset(&s, 0, sizeof s);
    ds_diagnoser *g = ds_diagnoser_new(collect, &s);
    ds_options opt;
    ds_options_init(&opt);
    ds_diagnoser_options(g, &opt);
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = ds_decoder_new(&opt, sink, ds_diagnoser_diag, g);
    for (size_t at = 0; at < n; at += piece)
        ds_decoder_feed(d, p + at, n - at < piece ? n - at : piece, at, NULL);
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    ds_diagnoser_end(g);
    ds_diagnoser_free(g);
    return s;
}

START_TEST(same_findings_in_any_pieces)
{
    FILE *f = fopen("testdata/diagnose/link-sequence.hex", "r");
    ck_assert_ptr_nonnull(f);
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    /* the hex of the lines that are not comments */
    char hex[4096] = "";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (line[0] != '#' && strchr(line, ':')) strncat(hex, strchr(line, ':') + 1, sizeof hex - strlen(hex) - 1);
    size_t len = 0;
    uint8_t *bytes = ds_hex_parse_text(hex, strlen(hex), &len);
    ck_assert_ptr_nonnull(bytes);
    seen whole = diagnose_stream(bytes, len, len);
    seen bytewise = diagnose_stream(bytes, len, 1);
    free(bytes);
    /* frame 6 repeats frame 5 unchanged: not a second get-request, so frame 7 answers the one
       request (before the decoder skipped repeats, a service.no-answer@5 followed) */
    ck_assert_str_eq(whole.codes, "link.sequence@5 link.retransmission@6 ");
    ck_assert_str_eq(bytewise.codes, whole.codes);
}
END_TEST

/* Records that do not decode: no valid frame, said once for the input */
START_TEST(noise_has_no_frames)
{
    static const char *const NOISE[] = {"00112233", "FF00FF00FF"};
    seen s = diagnose_records(NOISE, 2);
    ck_assert_int_eq(s.no_frames, 1);
    ck_assert_ptr_nonnull(strstr(s.codes, "input.no-frames@0"));
}
END_TEST

START_TEST(codes_are_listed)
{
    size_t n = 0;
    while (ds_diagnose_code(n)) n++;
    ck_assert_uint_ge(n, 30);
    ck_assert_ptr_null(ds_diagnose_code(n));
    ck_assert_str_eq(ds_diagnose_code(0), "link.fcs");
}
END_TEST

/* The Green Book glo-get-request (testdata/corpus/SEC-GB-glo-get-request.hex: IC 01234567, title
 * 4D4D4D0000BC614E, Green Book EK and AK) twice, then one with IC 00000203 (testdata/security/
 * ic-off-by-one.hex): the counters come from the headers, without keys */
static const char *const REPLAY[] = {
    "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
    "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
    "C81E30000002031540C8BB2ABF3ABE5DDF443BBC09B23396F04C02891973AA06",
};

START_TEST(invocation_counters_without_keys)
{
    seen s = diagnose_records(REPLAY, 3);
    ck_assert_ptr_nonnull(strstr(s.codes, "security.ic-repeated@2 "));
    ck_assert_ptr_nonnull(strstr(s.codes, "security.ic-decreasing@3 "));
    ck_assert_ptr_nonnull(strstr(s.codes, "security.no-key@1 ")); /* once, for the three */
    ck_assert_ptr_null(strstr(strstr(s.codes, "security.no-key@1 ") + 1, "security.no-key"));
    ck_assert_ptr_nonnull(strstr(s.fields, "security.ic-repeated: sender=client ic=19088743 last_ic=19088743 key=global;"));
    ck_assert_ptr_nonnull(strstr(s.fields, "security.ic-decreasing: sender=client ic=515 last_ic=19088743 key=global;"));
    ck_assert_ptr_nonnull(strstr(s.fields, "security.no-key: apdus=3 first_frame=1;"));
    ck_assert_int_eq(s.no_frames, 0);
}
END_TEST

/* ded-get-requests (D0: SC 30, IC, 2 bytes, a 12-byte tag; not deciphered) around a new AARQ: the
 * dedicated key's counter starts again with the association, the global key's does not */
START_TEST(dedicated_counter_starts_again_with_an_association)
{
    static const char *const RECORDS[] = {
        "D01330000000050102112233445566778899AABBCC", "D01330000000060102112233445566778899AABBCC",
        "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
        "BE10040E01000000065F1F0400001E1DFFFF",
        "D01330000000010102112233445566778899AABBCC",
        /* the same three with glo-get-request (C8): the global counter goes back */
        "C81330000000050102112233445566778899AABBCC", "C81330000000060102112233445566778899AABBCC",
        "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
        "BE10040E01000000065F1F0400001E1DFFFF",
        "C81330000000010102112233445566778899AABBCC",
    };
    seen s = diagnose_records(RECORDS, 8);
    ck_assert_ptr_null(strstr(s.codes, "security.ic-decreasing@4 "));
    ck_assert_ptr_nonnull(strstr(s.codes, "security.ic-decreasing@8 "));
    ck_assert_ptr_nonnull(strstr(s.fields, "security.ic-decreasing: sender=client ic=1 last_ic=6 key=global;"));
}
END_TEST

static ds_keyring *green_book_keys(const char *ak)
{
    ds_keyring *kr = ds_keyring_new();
    ck_assert_ptr_nonnull(kr);
    char err[200];
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "000102030405060708090A0B0C0D0E0F", err, sizeof err), 0);
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'a', ak, err, sizeof err), 0);
    static const uint8_t CLIENT[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
    ds_keyring_set_titles(kr, CLIENT, NULL);
    return kr;
}

START_TEST(tag_mismatch_with_a_wrong_ak)
{
    ds_keyring *kr = green_book_keys("D0D1D2D3D4D5D6D7D8D9DADBDCDDDE00");
    seen s = diagnose_records_keys(REPLAY, 1, kr);
    ds_keyring_free(kr);
    ck_assert_str_eq(s.codes, "security.auth-tag-mismatch@1 service.no-answer@1 ");
    ck_assert_ptr_nonnull(
        strstr(s.fields, "security.auth-tag-mismatch: sender=client ic=19088743 security_control=48 "
                         "decoder_code=cipher.tag-mismatch;")); /* no cause: no typing mistake explains it */
    ck_assert_int_eq(s.no_frames, 0); /* a record that does not decipher is still a frame */
}
END_TEST

START_TEST(right_keys_say_nothing)
{
    ds_keyring *kr = green_book_keys("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
    seen s = diagnose_records_keys(REPLAY, 2, kr);
    ds_keyring_free(kr);
    /* deciphered: no tag finding; the decoder's cipher.ic-replay is not repeated (the records go in
     * turns TX and RX here, so the identical second one is also an echo) */
    ck_assert_str_eq(s.codes, "link.echo@2 security.ic-repeated@2 ");
}
END_TEST

/* The decoder's diagnostics straight to the diagnoser: a mismatch and its cause at the same offset
 * are one finding; a cause elsewhere is not merged into it */
static void diag(ds_diagnoser *g, const char *code, uint64_t offset, const char *message)
{
    ds_diag d;
    memset(&d, 0, sizeof d);
    d.code = code;
    d.severity = DS_SEV_ERROR;
    d.offset = offset;
    snprintf(d.message, sizeof d.message, "%s", message);
    ds_diagnoser_diag(g, &d);
}

START_TEST(a_mismatch_and_its_cause_are_one_finding)
{
    seen s;
    memset(&s, 0, sizeof s);
    ds_diagnoser *g = ds_diagnoser_new(collect, &s);
    diag(g, "hls.stoc-mismatch", 10, "the client's f(StoC) does not match (mechanism 3)");
    diag(g, "hls.cause", 10, "key-ascii: the client's f(StoC) matches when the secret is read as ASCII");
    diag(g, "hls.ctos-mismatch", 20, "the server's f(CtoS) does not match (mechanism 3)");
    diag(g, "cipher.keys-swapped", 30, "the tag verifies with EK and AK swapped");
    diag(g, "cipher.ic-replay", 40, "invocation counter 1 does not increase");
    ds_diagnoser_end(g);
    ds_diagnoser_free(g);
    ck_assert_str_eq(s.codes, "security.hls-mismatch@0 security.hls-mismatch@0 security.auth-tag-mismatch@0 ");
    ck_assert_ptr_nonnull(strstr(s.fields, "security.hls-mismatch: value=f(StoC) sender=client "
                                           "decoder_code=hls.stoc-mismatch cause=key-ascii;"));
    ck_assert_ptr_nonnull(strstr(s.fields, "security.hls-mismatch: value=f(CtoS) sender=server "
                                           "decoder_code=hls.ctos-mismatch;"));
    ck_assert_ptr_nonnull(strstr(s.fields, "security.auth-tag-mismatch: decoder_code=cipher.keys-swapped "
                                           "cause=keys-swapped;"));
}
END_TEST

START_TEST(a_key_that_reads_as_text)
{
    ds_keyring *kr = ds_keyring_new();
    char err[200];
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "30303031303230333034303530363037", err, sizeof err), 0);
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'a', "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", err, sizeof err), 0);
    seen s = diagnose_records_keys(LOW_DISCONNECT, 4, kr);
    ds_keyring_free(kr);
    ck_assert_str_eq(s.codes, "security.key-looks-ascii@0 app.action-result@4 "); /* the AK is not text */
    ck_assert_ptr_nonnull(strstr(s.fields, "security.key-looks-ascii: key=EK length=16;"));
}
END_TEST

/* ---- HDLC: client SAP 1 and server 1 both have the address byte 03 ---- */

typedef struct hdlc_rec {
    uint8_t control;
    const char *info_hex; /* NULL: no information field */
    ds_direction dir;
} hdlc_rec;

/* One HDLC frame, destination and source 03 (format type 3, HCS and FCS as ds_crc16_x25 gives
 * them, low byte first): its length into *n */
static void hdlc_frame_03(const hdlc_rec *r, uint8_t *out, size_t *n)
{
    size_t info_len = 0;
    uint8_t *info = r->info_hex ? ds_hex_parse_text(r->info_hex, strlen(r->info_hex), &info_len) : NULL;
    size_t i = 0;
    out[i++] = 0x7E;
    size_t len = 2 + 2 + 1 + 2 + (info ? 2 + info_len : 0); /* format, dst, src, control, HCS, info, FCS */
    if (!info) len = 2 + 2 + 1 + 2;
    out[i++] = (uint8_t)(0xA0 | (len >> 8));
    out[i++] = (uint8_t)len;
    out[i++] = 0x03;
    out[i++] = 0x03;
    out[i++] = r->control;
    if (info) {
        uint16_t hcs = ds_crc16_x25(out + 1, i - 1);
        out[i++] = (uint8_t)hcs;
        out[i++] = (uint8_t)(hcs >> 8);
        memcpy(out + i, info, info_len);
        i += info_len;
    }
    uint16_t fcs = ds_crc16_x25(out + 1, i - 1);
    out[i++] = (uint8_t)fcs;
    out[i++] = (uint8_t)(fcs >> 8);
    out[i++] = 0x7E;
    *n = i;
    free(info);
}

static seen diagnose_hdlc(const hdlc_rec *recs, size_t n)
{
    seen s;
    memset(&s, 0, sizeof s);
    ds_diagnoser *g = ds_diagnoser_new(collect, &s);
    ck_assert_ptr_nonnull(g);
    ds_options opt;
    ds_options_init(&opt);
    opt.link = DS_LINK_HDLC;
    ds_diagnoser_options(g, &opt);
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = ds_decoder_new(&opt, sink, ds_diagnoser_diag, g);
    ck_assert_ptr_nonnull(d);
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t frame[300];
        size_t len = 0;
        hdlc_frame_03(&recs[i], frame, &len);
        ds_meta meta = {0};
        meta.dir = recs[i].dir;
        ds_decoder_boundary(d);
        ds_decoder_feed(d, frame, len, offset, &meta);
        offset += len;
    }
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    ds_diagnoser_end(g);
    ds_diagnoser_free(g);
    return s;
}

/* I frame control byte: N(R) in bits 7-5, P/F, N(S) in bits 3-1 */
#define I_CTRL(ns, nr) ((uint8_t)((nr) << 5 | 0x10 | (ns) << 1))
/* LLC and get-request of the clock's time (class 8, 0.0.1.0.0.255, attribute 2); its answer */
#define GET_TIME "E6E600C001C100080000010000FF0200"
#define GOT_TIME "E6E700C401C1000904DEADBEEF"
#define GOT_TIME2 "E6E700C401C1000904CAFEF00D"

START_TEST(hdlc_sides_with_one_address_byte)
{
    /* SNRM and UA, then two request/answer turns: each side counts N(S) 0, 1 and acknowledges
     * the other's frames; only the trace's direction tells client from server */
    const hdlc_rec ok[] = {
        {0x93, NULL, DS_DIR_TX},           {0x73, NULL, DS_DIR_RX},
        {I_CTRL(0, 0), GET_TIME, DS_DIR_TX}, {I_CTRL(0, 1), GOT_TIME, DS_DIR_RX},
        {I_CTRL(1, 1), GET_TIME, DS_DIR_TX}, {I_CTRL(1, 2), GOT_TIME, DS_DIR_RX},
    };
    seen s = diagnose_hdlc(ok, sizeof ok / sizeof ok[0]);
    ck_assert_msg(strstr(s.codes, "link.") == NULL, "%s", s.codes);
    /* the server counting wrongly (N(S) 0 again with another answer) is still said */
    const hdlc_rec bad[] = {
        {0x93, NULL, DS_DIR_TX},           {0x73, NULL, DS_DIR_RX},
        {I_CTRL(0, 0), GET_TIME, DS_DIR_TX}, {I_CTRL(0, 1), GOT_TIME, DS_DIR_RX},
        {I_CTRL(1, 1), GET_TIME, DS_DIR_TX}, {I_CTRL(0, 2), GOT_TIME2, DS_DIR_RX},
    };
    s = diagnose_hdlc(bad, sizeof bad / sizeof bad[0]);
    ck_assert_str_eq(s.codes, "link.sequence@6 ");
    ck_assert_ptr_nonnull(strstr(s.fields, "link.sequence: expected=1 ns=0;"));
}
END_TEST

/* A confirmed-service-error alone (0E service error-tag value, REFERENCE 7.3): the hint says the
 * cause REFERENCE gives for the pair, and the general words where it gives none */
static void cse_hint_has(const char *hex, const char *words)
{
    const char *const rec[] = {"C001C100080000010000FF0200", hex}; /* a get-request, the answer */
    seen s = diagnose_records(rec, 2);
    ck_assert_msg(strstr(s.codes, "app.confirmed-service-error@2 ") != NULL, "%s: %s", hex, s.codes);
    ck_assert_msg(strstr(s.last_hint, words) != NULL, "%s: '%s' not in '%s'", hex, words, s.last_hint);
}

START_TEST(confirmed_service_error_hints)
{
    /* initiate (step 2d of the association: user-information 0E 01 06 x) */
    cse_hint_has("0E010601", "the DLMS version proposed in the InitiateRequest is below 6");
    cse_hint_has("0E010602", "the conformance block proposed and the meter's have no service in common");
    cse_hint_has("0E010603", "client-max-receive-pdu-size proposed in the InitiateRequest is below the meter's minimum (64");
    cse_hint_has("0E010600", "for a client it does not know");
    cse_hint_has("0E010604", "the meter refuses the association's xDLMS part");
    /* application-reference deciphering-error, service pdu-size and service-unsupported */
    cse_hint_has("0E050006", "the meter could not decipher the request");
    cse_hint_has("0E060301", "longer than the server-max-receive-pdu-size of the InitiateResponse");
    cse_hint_has("0E010302", "to a short-name request sent before the association exists");
    /* read and write: definition (the short name), access 1 and 2 (the access rights) */
    cse_hint_has("0E050401", "attribute n of the object with base name B is B + 8*(n-1)");
    cse_hint_has("0E060403", "attribute n of the object with base name B is B + 8*(n-1)");
    cse_hint_has("0E050501", "do not allow the read: its access_mode in the object list's access_rights must be 1, 3, 4 or 6");
    cse_hint_has("0E060502", "do not allow the write: its access_mode in the object list's access_rights must be 2, 3, 5 or 6");
    /* no cause given by REFERENCE: the general words */
    cse_hint_has("0E050503", "the meter refuses the service (short-name read/write or initiate)");
    cse_hint_has("0E050101", "the meter refuses the service (short-name read/write or initiate)");
}
END_TEST

static Suite *diagnose_suite(void)
{
    Suite *s = suite_create("diagnose");
    TCase *t = tcase_create("core");
    tcase_add_test(t, disconnect_refused_on_low);
    tcase_add_test(t, request_without_answer_at_end);
    tcase_add_test(t, image_block_numbers_out_of_range);
    tcase_add_test(t, same_findings_in_any_pieces);
    tcase_add_test(t, noise_has_no_frames);
    tcase_add_test(t, codes_are_listed);
    tcase_add_test(t, invocation_counters_without_keys);
    tcase_add_test(t, dedicated_counter_starts_again_with_an_association);
    tcase_add_test(t, tag_mismatch_with_a_wrong_ak);
    tcase_add_test(t, right_keys_say_nothing);
    tcase_add_test(t, a_mismatch_and_its_cause_are_one_finding);
    tcase_add_test(t, a_key_that_reads_as_text);
    tcase_add_test(t, hdlc_sides_with_one_address_byte);
    tcase_add_test(t, image_block_in_pblocks);
    tcase_add_test(t, confirmed_service_error_hints);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(diagnose_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
