/* The decoder's APDU callback (ds_decoder_on_apdu): every APDU decoded on its own reaches the
 * caller as values, with where it came from and what the session knows.
 *
 * Inputs and expected values come from the corpus, whose README states them:
 *  - CS-u9n-get-request-normal: C0 01 C1 0001 00002B0100FF 02 00, a get-request-normal, invoke
 *    id C1, class 1 (data), 0.0.43.1.0.255, attribute 2;
 *  - CS-gosem-get-response-dar: C4 01 C1 01 09, a get-response-normal with data-access-result 9
 *    (object-unavailable);
 *  - SEC-GB-glo-get-request: C8 1E 30 01234567 ..., glo-get-request, SC 30, IC 0x01234567, keys
 *    EK 000102..0F, AK D0D1..DF, sender title 4D4D4D0000BC614E; plaintext C0 01 00 0008
 *    0000010000FF 02 00 (clock 0.0.1.0.0.255, attribute 2, invoke id 00);
 *  - CS-u9n-snrm, CS-u9n-ua, CS-u9n-aarq-iframe, CS-u9n-aare-iframe: one HDLC connection between
 *    client 0x10 (address 21) and server 1/17 (02 23). The SNRM has no parameters; the UA's are
 *    81 80 12 05 01 9A 06 01 9A 07 04 00000001 08 04 00000001 (max info TX and RX 154, windows TX
 *    and RX 1); the AARQ's InitiateRequest proposes conformance 00 1E 1D and max PDU FFFF; the
 *    AARE's InitiateResponse gives conformance 00 1E 1D and max PDU 04 C8 (1224), checked by hand
 *    against REFERENCE §1.6 (SNRM / UA parameters) and §5.6 (InitiateRequest / InitiateResponse). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "dlmscope/value.h"
#include "test_hex.h"

#define MAX_SEEN 8

typedef struct seen_apdu {
    uint8_t tag;
    ds_apdu_source source;
    int decoded;                 /* all of it decoded to values */
    int has_class, has_obis;
    uint16_t class_id;
    uint8_t obis[6];
    uint32_t invoke;
    uint32_t result;
    int has_result;
    uint64_t offset;
    size_t len;
    int client_title;            /* the session knew the client's title */
    int ic_seen_client;
    uint32_t ic_client;
    int skipped;                 /* value_skipped: the want function declined its values */
    ds_negotiated negotiated;    /* the session's view of the negotiation */
} seen_apdu;

typedef struct seen {
    seen_apdu a[MAX_SEEN];
    size_t n;
} seen;

static void on_apdu(void *user, const ds_apdu_event *ev)
{
    seen *s = user;
    ck_assert_uint_lt(s->n, MAX_SEEN);
    seen_apdu *a = &s->a[s->n++];
    memset(a, 0, sizeof *a);
    ck_assert_ptr_nonnull(ev->session);
    a->tag = ev->len ? ev->apdu[0] : 0;
    a->source = ev->source;
    a->decoded = ev->value && !ev->value_error;
    a->offset = ev->offset;
    a->len = ev->len;
    a->client_title = ev->session->has_client_title;
    a->ic_seen_client = ev->session->ic_seen[0];
    a->ic_client = ev->session->ic_last[0];
    a->skipped = ev->value_skipped;
    if (ev->value_skipped) ck_assert(!ev->value && !ev->value_error);
    a->negotiated = ev->session->negotiated;
    if (!ev->value) return;
    a->has_class = ds_value_class_id(ev->value, &a->class_id) == 0;
    a->has_obis = ds_value_instance_id(ev->value, a->obis) == 0;
    ds_value_invoke_id(ev->value, &a->invoke);
    a->has_result = ds_value_result(ev->value, &a->result) == 0;
}

/* Decodes the records (one hex string each) with the callback on; keys may be NULL. */
static void decode_records(const char *const *records, size_t n, const ds_keyring *keys, seen *s)
{
    ds_options o;
    ds_options_init(&o);
    o.keys = keys;
    ds_sink *sink = ds_null_sink_new();
    ck_assert_ptr_nonnull(sink);
    ds_decoder *d = ds_decoder_new(&o, sink, NULL, NULL);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(ds_decoder_on_apdu(d, on_apdu, s), 0);
    ds_decoder_begin(d);
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b[256];
        size_t len = test_unhex(records[i], b, sizeof b);
        ds_meta meta;
        memset(&meta, 0, sizeof meta);
        ds_decoder_feed(d, b, len, offset, &meta);
        ds_decoder_boundary(d);
        offset += len;
    }
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
}

START_TEST(plain_apdus_as_values)
{
    static const char *const RECORDS[] = {"C001C1000100002B0100FF0200", "C401C10109"};
    seen s = {0};
    decode_records(RECORDS, 2, NULL, &s);
    ck_assert_uint_eq(s.n, 2);
    static const uint8_t OBIS[6] = {0, 0, 43, 1, 0, 255};
    ck_assert_uint_eq(s.a[0].tag, 0xC0);
    ck_assert_int_eq(s.a[0].source, DS_APDU_FROM_FRAME);
    ck_assert(s.a[0].decoded);
    ck_assert(s.a[0].has_class);
    ck_assert_uint_eq(s.a[0].class_id, 1);
    ck_assert(s.a[0].has_obis);
    ck_assert_mem_eq(s.a[0].obis, OBIS, 6);
    ck_assert_uint_eq(s.a[0].invoke, 0xC1);
    ck_assert_uint_eq(s.a[0].offset, 0);
    ck_assert_uint_eq(s.a[0].len, 13);
    ck_assert_uint_eq(s.a[1].tag, 0xC4);
    ck_assert(s.a[1].decoded);
    ck_assert(s.a[1].has_result);
    ck_assert_uint_eq(s.a[1].result, 9);
    ck_assert_uint_eq(s.a[1].offset, 13);
    ck_assert(!s.a[1].negotiated.has_proposed);      /* no AARQ, no SNRM: nothing negotiated */
    ck_assert(!s.a[1].negotiated.has_snrm);
}
END_TEST

static const char SNRM[] = "7EA00802232193BD647E";
static const char UA[] = "7EA01F21022373E6C781801205019A06019A070400000001080400000001CCA27E";
static const char AARQ[] = "7EA02C02232110AF9FE6E600601DA109060760857405080101BE10040E01000000065F1F0400001E1DFFFFC5E47E";
static const char AARE[] =
    "7EA0382102233034E7E6E7006129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D04C80007B86A7E";

START_TEST(session_shows_what_the_connection_negotiated)
{
    const char *const RECORDS[] = {SNRM, UA, AARQ, AARE};
    seen s = {0};
    decode_records(RECORDS, 4, NULL, &s);
    ck_assert_uint_eq(s.n, 2);
    const ds_negotiated *q = &s.a[0].negotiated, *r = &s.a[1].negotiated;
    ck_assert_uint_eq(s.a[0].tag, 0x60);
    ck_assert(q->has_proposed);                       /* the AARQ's own InitiateRequest */
    ck_assert_uint_eq(q->proposed_conformance, 0x001E1D);
    ck_assert_uint_eq(q->proposed_max_pdu, 0xFFFF);
    ck_assert(!q->has_negotiated);                    /* no answer yet */
    ck_assert_uint_eq(q->negotiated_max_pdu, 0);
    ck_assert_uint_eq(s.a[1].tag, 0x61);
    ck_assert(r->has_proposed);
    ck_assert_uint_eq(r->proposed_max_pdu, 0xFFFF);
    ck_assert(r->has_negotiated);
    ck_assert_uint_eq(r->negotiated_conformance, 0x001E1D);
    ck_assert_uint_eq(r->negotiated_max_pdu, 1224);
    ck_assert(r->has_snrm);
    ck_assert(!r->snrm.present);                      /* an SNRM without parameters */
    ck_assert(r->has_ua);
    ck_assert(r->ua.present);
    ck_assert(r->ua.has_max_info_tx && r->ua.has_max_info_rx && r->ua.has_window_tx && r->ua.has_window_rx);
    ck_assert_uint_eq(r->ua.max_info_tx, 154);
    ck_assert_uint_eq(r->ua.max_info_rx, 154);
    ck_assert_uint_eq(r->ua.window_tx, 1);
    ck_assert_uint_eq(r->ua.window_rx, 1);
}
END_TEST

START_TEST(a_new_snrm_and_aarq_start_the_negotiation_again)
{
    const char *const RECORDS[] = {SNRM, UA, AARQ, AARE, SNRM, AARQ};
    seen s = {0};
    decode_records(RECORDS, 6, NULL, &s);
    ck_assert_uint_eq(s.n, 3);
    const ds_negotiated *again = &s.a[2].negotiated;
    ck_assert_uint_eq(s.a[2].tag, 0x60);
    ck_assert(again->has_snrm);
    ck_assert(!again->has_ua);                        /* the new link is not answered yet */
    ck_assert(!again->ua.present);
    ck_assert(again->has_proposed);
    ck_assert(!again->has_negotiated);                /* the last AARE answered the last AARQ */
    ck_assert_uint_eq(again->negotiated_max_pdu, 0);
}
END_TEST

START_TEST(deciphered_plaintext_follows_the_ciphered_apdu)
{
    static const char *const RECORDS[] = {"C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"};
    ds_keyring *kr = ds_keyring_new();
    char err[256];
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'e', "000102030405060708090A0B0C0D0E0F", err, sizeof err), 0);
    ck_assert_int_eq(ds_keyring_set(kr, NULL, 'a', "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", err, sizeof err), 0);
    static const uint8_t TITLE[8] = {0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E};
    ds_keyring_set_titles(kr, TITLE, NULL);
    seen s = {0};
    decode_records(RECORDS, 1, kr, &s);
    ds_keyring_free(kr);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_uint_eq(s.a[0].tag, 0xC8);              /* the ciphered APDU as it came */
    ck_assert_int_eq(s.a[0].source, DS_APDU_FROM_FRAME);
    ck_assert(s.a[0].decoded);
    ck_assert(!s.a[0].has_class);                     /* ciphered: no descriptor in the clear */
    ck_assert_uint_eq(s.a[1].tag, 0xC0);              /* then its plaintext */
    ck_assert_int_eq(s.a[1].source, DS_APDU_FROM_DECIPHERED);
    ck_assert(s.a[1].decoded);
    ck_assert_uint_eq(s.a[1].class_id, 8);
    ck_assert(s.a[1].has_obis);
    static const uint8_t CLOCK[6] = {0, 0, 1, 0, 0, 255};
    ck_assert_mem_eq(s.a[1].obis, CLOCK, 6);
    ck_assert_uint_eq(s.a[1].invoke, 0x00);
    ck_assert_uint_eq(s.a[1].offset, 0);              /* the ciphered APDU's offset */
    ck_assert_uint_eq(s.a[1].len, 13);
    ck_assert(s.a[1].ic_seen_client);                 /* the session has counted its IC */
    ck_assert_uint_eq(s.a[1].ic_client, 0x01234567);
}
END_TEST

START_TEST(a_cut_apdu_comes_with_what_decoded)
{
    static const char *const RECORDS[] = {"C001C1000100002B01"}; /* cut inside the OBIS code */
    seen s = {0};
    decode_records(RECORDS, 1, NULL, &s);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_uint_eq(s.a[0].tag, 0xC0);
    ck_assert(!s.a[0].decoded);
    ck_assert_uint_eq(s.a[0].len, 9);
    ck_assert(s.a[0].has_class);                      /* what came before the cut is there */
    ck_assert_uint_eq(s.a[0].class_id, 1);
    ck_assert(!s.a[0].has_obis);
}
END_TEST

START_TEST(off_by_default_and_when_turned_off)
{
    static const char *const RECORDS[] = {"C401C10109"};
    seen s = {0};
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = ds_decoder_new(NULL, sink, NULL, NULL);
    ck_assert_int_eq(ds_decoder_on_apdu(d, on_apdu, &s), 0);
    ck_assert_int_eq(ds_decoder_on_apdu(d, NULL, NULL), 0);
    uint8_t b[8];
    size_t len = test_unhex(RECORDS[0], b, sizeof b);
    ds_decoder_feed(d, b, len, 0, NULL);
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

/* The want function: values for get-requests only */
static int wants_get_requests(void *user, const uint8_t *apdu, size_t n, int source)
{
    (void)user;
    (void)source;
    return n > 0 && apdu[0] == 0xC0;
}

START_TEST(values_only_for_the_apdus_wanted)
{
    /* a get-request, its get-response, a data-notification */
    static const char *const RECORDS[] = {"C001C1000100002B0100FF0200", "C401C10109", "0F0000000100090101"};
    seen s = {0};
    ds_sink *sink = ds_null_sink_new();
    ds_decoder *d = ds_decoder_new(NULL, sink, NULL, NULL);
    ck_assert_int_eq(ds_decoder_on_apdu(d, on_apdu, &s), 0);
    ds_decoder_apdu_values_for(d, wants_get_requests);
    uint64_t offset = 0;
    for (size_t i = 0; i < 3; i++) {
        uint8_t b[32];
        size_t len = test_unhex(RECORDS[i], b, sizeof b);
        ds_decoder_feed(d, b, len, offset, NULL);
        ds_decoder_boundary(d);
        offset += len;
    }
    ds_decoder_end(d);
    ds_decoder_free(d);
    ds_sink_destroy(sink);
    ck_assert_uint_eq(s.n, 3);                        /* every APDU still reaches the callback */
    ck_assert(s.a[0].decoded && !s.a[0].skipped);
    ck_assert(s.a[0].has_class);
    ck_assert_uint_eq(s.a[1].tag, 0xC4);
    ck_assert(!s.a[1].decoded && s.a[1].skipped && !s.a[1].has_result);
    ck_assert_uint_eq(s.a[2].tag, 0x0F);
    ck_assert(s.a[2].skipped);
    ck_assert_uint_eq(s.a[2].len, 9);                 /* with its bytes */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("decoder_apdus");
    TCase *t = tcase_create("callback");
    tcase_add_test(t, plain_apdus_as_values);
    tcase_add_test(t, deciphered_plaintext_follows_the_ciphered_apdu);
    tcase_add_test(t, a_cut_apdu_comes_with_what_decoded);
    tcase_add_test(t, off_by_default_and_when_turned_off);
    tcase_add_test(t, values_only_for_the_apdus_wanted);
    tcase_add_test(t, session_shows_what_the_connection_negotiated);
    tcase_add_test(t, a_new_snrm_and_aarq_start_the_negotiation_again);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
